"""The object store: videos, enrollment photos and best frames.

Two implementations share one small interface: :class:`S3ObjectStore` wraps the
``minio`` SDK (MinIO in production; SeaweedFS in tests) and
:class:`LocalObjectStore` keeps objects in a folder for the embedded mode.
Objects are streamed in and out; nothing here holds a whole video in memory.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 1024 * 1024


class ObjectStoreError(RuntimeError):
    """The store could not be reached or refused the operation."""


class ObjectNotFound(ObjectStoreError):
    pass


class ObjectStore(Protocol):
    def ping(self) -> None: ...
    def put(self, key: str, data: BinaryIO, length: int = -1, content_type: str = "application/octet-stream") -> None: ...
    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...
    def get_bytes(self, key: str) -> bytes: ...
    def local_copy(self, key: str) -> AbstractContextManager[Path]: ...
    def size(self, key: str) -> int: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def copy(self, src: str, dst: str) -> None: ...
    def apply_retention(self, prefix: str, days: int) -> int: ...


VIDEO_PREFIX = "videos/"  # raw recordings: deleted after the retention period
HELD_PREFIX = "held/"  # recordings a reviewer still needs: kept until the case is closed


def _check_key(key: str) -> str:
    if not key or key.startswith("/") or ".." in key.split("/") or "\\" in key:
        raise ValueError(f"bad object key {key!r}")
    return key


class LocalObjectStore:
    """Objects as files under ``root``; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def ping(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise ObjectStoreError(f"object folder is not writable: {self.root}")

    def put(self, key: str, data: BinaryIO, length: int = -1, content_type: str = "application/octet-stream") -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                remaining = length
                while remaining != 0:
                    chunk = data.read(CHUNK if remaining < 0 else min(CHUNK, remaining))
                    if not chunk:
                        break
                    out.write(chunk)
                    if remaining > 0:
                        remaining -= len(chunk)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        import io

        self.put(key, io.BytesIO(data), len(data), content_type)

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.exists():
            raise ObjectNotFound(key)
        yield path

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def copy(self, src: str, dst: str) -> None:
        source = self._path(src)
        if not source.exists():
            raise ObjectNotFound(src)
        with open(source, "rb") as data:
            self.put(dst, data)

    def apply_retention(self, prefix: str, days: int) -> int:
        """Delete objects under ``prefix`` older than ``days``; the folder store's lifecycle rule.

        Run daily by the maintenance job. Returns how many objects were removed.
        """
        cutoff = dt.datetime.now().timestamp() - days * 86400
        base = self.root / _check_key(prefix.rstrip("/"))
        removed = 0
        if not base.exists():
            return 0
        for path in base.rglob("*"):
            if path.is_file() and not path.name.startswith(".") and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        return removed


class S3ObjectStore:
    """The minio SDK against MinIO (or any S3 server that checks SigV4)."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, bucket: str, secure: bool = False,
                 region: str = "us-east-1") -> None:
        from minio import Minio
        from urllib3 import PoolManager, Retry, Timeout

        http = PoolManager(timeout=Timeout(connect=3, read=30), retries=Retry(total=2, backoff_factor=0.2,
                                                                               status_forcelist=(500, 502, 503, 504)))
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure,
                            region=region, http_client=http)
        self.bucket = bucket

    @contextmanager
    def _errors(self, key: str = "") -> Iterator[None]:
        from minio.error import S3Error
        from urllib3.exceptions import HTTPError

        try:
            yield
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                raise ObjectNotFound(key) from exc
            raise ObjectStoreError(f"object store refused: {exc.code}") from exc
        except (HTTPError, OSError) as exc:
            raise ObjectStoreError(f"object store unreachable: {type(exc).__name__}") from exc

    def ensure_bucket(self) -> None:
        with self._errors():
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)

    def apply_retention(self, prefix: str, days: int) -> int:
        """Install the bucket lifecycle rule that expires ``prefix`` after ``days`` (MinIO applies it)."""
        from minio.commonconfig import ENABLED, Filter
        from minio.lifecycleconfig import Expiration, LifecycleConfig, Rule

        rule_id = f"expire-{prefix.strip('/')}"
        rule = Rule(ENABLED, rule_filter=Filter(prefix=prefix), rule_id=rule_id, expiration=Expiration(days=days))
        with self._errors():
            current = self.client.get_bucket_lifecycle(self.bucket)
            # one rule per prefix: setting one must not drop the others (videos, frames, staged imports)
            others = [r for r in (current.rules if current else []) if r.rule_id != rule_id]
            self.client.set_bucket_lifecycle(self.bucket, LifecycleConfig([*others, rule]))
        return 0

    def lifecycle_rules(self) -> list[tuple[str, int]]:
        """(prefix, days) of each expiration rule on the bucket."""
        with self._errors():
            config = self.client.get_bucket_lifecycle(self.bucket)
        if config is None:
            return []
        return [(r.rule_filter.prefix or "", r.expiration.days or 0) for r in config.rules
                if r.expiration and r.rule_filter]

    def copy(self, src: str, dst: str) -> None:
        from minio.commonconfig import CopySource

        with self._errors(src):
            self.client.copy_object(self.bucket, _check_key(dst), CopySource(self.bucket, _check_key(src)))

    def ping(self) -> None:
        with self._errors():
            if not self.client.bucket_exists(self.bucket):
                raise ObjectStoreError(f"bucket {self.bucket!r} does not exist")

    def put(self, key: str, data: BinaryIO, length: int = -1, content_type: str = "application/octet-stream") -> None:
        with self._errors(key):
            self.client.put_object(self.bucket, _check_key(key), data, length=length, content_type=content_type,
                                   part_size=10 * 1024 * 1024 if length < 0 else 0)

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        import io

        self.put(key, io.BytesIO(data), len(data), content_type)

    def get_bytes(self, key: str) -> bytes:
        with self._errors(key):
            resp = self.client.get_object(self.bucket, _check_key(key))
            try:
                return resp.read()
            finally:
                resp.close()
                resp.release_conn()

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """Download to a temporary file (video demuxing needs a seekable file)."""
        fd, tmp = tempfile.mkstemp(prefix="lifecert-obj-")
        os.close(fd)
        try:
            with self._errors(key):
                resp = self.client.get_object(self.bucket, _check_key(key))
                try:
                    with open(tmp, "wb") as out:
                        shutil.copyfileobj(resp, out, CHUNK)
                finally:
                    resp.close()
                    resp.release_conn()
            yield Path(tmp)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def size(self, key: str) -> int:
        with self._errors(key):
            return self.client.stat_object(self.bucket, _check_key(key)).size or 0

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
            return True
        except ObjectNotFound:
            return False

    def delete(self, key: str) -> None:
        with self._errors(key):
            self.client.remove_object(self.bucket, _check_key(key))


