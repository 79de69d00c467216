"""The adapters one process needs, built once from :class:`settings.Settings`."""

from __future__ import annotations

import dataclasses
import functools

import redis

from settings import Settings
from storage import redis_conn
from storage.db import Database
from storage.objects import ObjectStore, make_object_store


@dataclasses.dataclass
class Services:
    settings: Settings
    db: Database
    objects: ObjectStore

    @functools.cached_property
    def redis(self) -> redis.Redis:
        # Lazy: an embedded server is started only by a process that uses Redis.
        return redis_conn.connect(self.settings.redis_url)


def build_services(settings: Settings) -> Services:
    return Services(settings=settings, db=Database(settings.database_url), objects=make_object_store(settings))
