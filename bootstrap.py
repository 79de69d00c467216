"""The composition root: every adapter one process needs, built once from :class:`settings.Settings`.

The app factory, the rq workers, the CLI and the tests all get their :class:`Services`
from :func:`build_services`; nothing else constructs an adapter or keeps one in a module
global. What is expensive or may be unused (Redis, the WeChat client, the face models) is
built on first use and then kept for the life of the process.
"""

from __future__ import annotations

import dataclasses
import functools
import threading

import redis

import vision
from settings import Settings
from sms import SmsClient
from storage import redis_conn
from storage.db import Database
from storage.objects import LocalObjectStore, ObjectStore, S3ObjectStore
from storage.personal_data import FieldCipher
from storage.queues import JobQueue, RqJobQueue
from vision.config import VisionConfig
from wechat.client import LifecertWeChatClient


def make_object_store(settings: Settings) -> ObjectStore:
    if settings.object_store == "s3":
        return S3ObjectStore(settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key,
                             settings.s3_bucket, settings.s3_secure)
    return LocalObjectStore(settings.local_store_dir)


@dataclasses.dataclass
class Services:
    """What a use case runs against. Passed explicitly; typed as this class everywhere."""

    settings: Settings
    db: Database
    objects: ObjectStore
    cipher: FieldCipher
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False, compare=False)

    @functools.cached_property
    def redis(self) -> redis.Redis:
        # Lazy: an embedded server is started only by a process that uses Redis.
        # A running embedded service's Redis (published under instance/) is joined, not duplicated.
        return redis_conn.connect(self.settings.redis_url, self.settings.instance_dir)

    @functools.cached_property
    def jobs(self) -> JobQueue:
        """Where use cases queue work (rq on this process's Redis)."""
        return RqJobQueue(lambda: self.redis)

    @functools.cached_property
    def wechat(self) -> LifecertWeChatClient:
        """The official-account API client (a requests session plus a token read from Redis per call)."""
        return LifecertWeChatClient(self.settings.wechat, self.redis)

    @functools.cached_property
    def sms(self) -> SmsClient:
        """The SMS gateway client (Alibaba Cloud's SendSms; the fake WeChat serves it in tests)."""
        return SmsClient(self.settings.sms)

    @functools.cached_property
    def vision_config(self) -> VisionConfig:
        return self.settings.vision_config()

    @functools.cached_property
    def vision_models(self) -> vision.VisionModels:
        """The face models, loaded once per process (about a second) and kept between videos."""
        with self._lock:
            return vision.load_models(self.vision_config)


def build_services(settings: Settings) -> Services:
    return Services(settings=settings, db=Database(settings.database_url), objects=make_object_store(settings),
                    cipher=FieldCipher(settings.data_key, settings.index_key, settings.data_key_id,
                                       settings.old_data_keys, settings.old_index_keys))
