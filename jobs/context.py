"""What a job runs against: the Services of this worker process.

rq calls job functions with their queued arguments only, so a worker process needs
one place to find its Services: built from the environment on the first job (the
composition root, bootstrap.py), or handed in by a test or the in-process
``wechat-worker`` command with :func:`use_services`. This is the only such holder.
"""

from __future__ import annotations

import redis

from bootstrap import Services, build_services
from settings import load_settings
from storage.redis_conn import resolve_url

_process: dict[str, Services] = {}


def use_services(services: Services) -> None:
    _process["services"] = services


def get_services() -> Services:
    if "services" not in _process:
        _process["services"] = build_services(load_settings())
    return _process["services"]


def worker_connection(services: Services) -> redis.Redis:
    """A connection without the short socket timeout: a worker blocks on the queue for minutes."""
    return redis.Redis.from_url(resolve_url(services.settings.redis_url, services.settings.instance_dir))
