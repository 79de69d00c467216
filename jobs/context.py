"""What a job runs against: the process's Services and rq queues.

A worker process builds its Services from the environment once; a test or the
``wechat-worker`` command hands in the ones it already has with :func:`use_services`.
"""

from __future__ import annotations

import redis

_services = None


def use_services(services) -> None:
    global _services
    _services = services


def get_services():
    global _services
    if _services is None:
        from settings import load_settings
        from storage.services import build_services

        _services = build_services(load_settings())
    return _services




def worker_connection(services) -> redis.Redis:
    """A connection without the short socket timeout: a worker blocks on the queue for minutes."""
    from storage.redis_conn import resolve_url

    return redis.Redis.from_url(resolve_url(services.settings.redis_url))
