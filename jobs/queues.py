"""The rq queues, by name, and how to reach them from a set of services."""

from __future__ import annotations

from rq import Queue

VIDEOS = "videos"  # certification videos through the vision pipeline
MESSAGES = "messages"  # template and customer-service messages to WeChat
DEFAULT = "default"  # everything else: imports, the daily cycle run

ALL = (VIDEOS, MESSAGES, DEFAULT)


def queue(services, name: str = DEFAULT) -> Queue:
    return Queue(name, connection=services.redis)
