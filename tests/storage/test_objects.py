"""Both object stores behave the same; the S3 one against a real S3 server (SeaweedFS)."""

from __future__ import annotations

import io
import os

import pytest

from storage.objects import LocalObjectStore, ObjectNotFound, ObjectStoreError, S3ObjectStore


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalObjectStore(tmp_path / "objects")
    server = request.getfixturevalue("s3_server")
    s = S3ObjectStore(server.url, server.extra["access_key"], server.extra["secret_key"],
                      bucket=f"t-{os.urandom(4).hex()}")
    s.ensure_bucket()
    return s


def test_put_get_stream_delete(store):
    store.ping()
    payload = os.urandom(3 * 1024 * 1024 + 17)
    store.put("videos/2026/a.mp4", io.BytesIO(payload), len(payload), "video/mp4")
    assert store.exists("videos/2026/a.mp4")
    assert store.size("videos/2026/a.mp4") == len(payload)
    with store.local_copy("videos/2026/a.mp4") as path:
        assert path.read_bytes() == payload
    store.put("unknown-length", io.BytesIO(b"abc"))  # length -1: streamed in parts
    assert store.get_bytes("unknown-length") == b"abc"
    store.delete("videos/2026/a.mp4")
    assert not store.exists("videos/2026/a.mp4")
    with pytest.raises(ObjectNotFound):
        store.get_bytes("videos/2026/a.mp4")


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a/../../b", ""])
def test_bad_keys_are_refused(store, key):
    with pytest.raises(ValueError):
        store.put_bytes(key, b"x")


def test_wrong_credentials_and_dead_server_are_store_errors(s3_server):
    bad = S3ObjectStore(s3_server.url, "minioadmin", "wrong-secret", bucket="anything")
    with pytest.raises(ObjectStoreError):
        bad.ping()
    from tests.servers import free_port

    dead = S3ObjectStore(f"127.0.0.1:{free_port()}", "a", "b", bucket="anything")
    with pytest.raises(ObjectStoreError):
        dead.put_bytes("k", b"x")
