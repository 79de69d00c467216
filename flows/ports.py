"""What a use case may ask of the process it runs in: the :class:`Services` it is handed.

A Protocol, not the concrete class, so the service layer does not import the
composition root above it (``bootstrap.Services`` satisfies it, and so does any
test double with the same attributes).
"""

from __future__ import annotations

from typing import Any, Protocol

import redis

from settings import Settings
from storage.db import Database
from storage.objects import ObjectStore
from storage.personal_data import FieldCipher
from storage.queues import JobQueue
from vision.config import VisionConfig


class Services(Protocol):
    settings: Settings
    db: Database
    objects: ObjectStore
    cipher: FieldCipher

    @property
    def redis(self) -> redis.Redis: ...

    @property
    def jobs(self) -> JobQueue: ...

    @property
    def wechat(self) -> Any: ...  # wechat.client.LifecertWeChatClient

    @property
    def sms(self) -> Any: ...  # sms.SmsClient: the roster-phone notices' gateway

    @property
    def vision_config(self) -> VisionConfig: ...

    @property
    def vision_models(self) -> Any: ...  # vision.VisionModels
