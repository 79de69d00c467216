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


def test_copy_keeps_a_held_video_past_retention(store):
    store.put_bytes("videos/2026/01/a.mp4", b"old video")
    store.copy("videos/2026/01/a.mp4", "held/2026/01/a.mp4")
    assert store.get_bytes("held/2026/01/a.mp4") == b"old video"


def test_local_retention_deletes_only_old_raw_videos(tmp_path):
    import time

    store = LocalObjectStore(tmp_path / "o")
    store.put_bytes("videos/2026/01/old.mp4", b"x")
    store.put_bytes("videos/2026/11/new.mp4", b"y")
    store.put_bytes("held/2026/01/old.mp4", b"z")
    past = time.time() - 31 * 86400
    os.utime(tmp_path / "o/videos/2026/01/old.mp4", (past, past))
    os.utime(tmp_path / "o/held/2026/01/old.mp4", (past, past))
    assert store.apply_retention("videos/", 30) == 1
    assert not store.exists("videos/2026/01/old.mp4")
    assert store.exists("videos/2026/11/new.mp4") and store.exists("held/2026/01/old.mp4")


def test_s3_lifecycle_rule_is_accepted_and_read_back(s3_server):
    s = S3ObjectStore(s3_server.url, s3_server.extra["access_key"], s3_server.extra["secret_key"],
                      bucket=f"t-{os.urandom(4).hex()}")
    s.ensure_bucket()
    s.apply_retention("videos/", 30)
    assert s.lifecycle_rules() == [("videos/", 30)]
