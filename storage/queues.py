"""The rq queues and every job the product queues, by name, in one place.

Why names and not function objects: the service layer queues work that the
entry points in ``jobs/`` carry out, and imports point down only, so the service
layer cannot import ``jobs``. Every :class:`JobSpec` below names its function as a
dotted path; ``tests/unit/test_layers.py`` checks each one resolves to a callable.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

from rq import Queue, Retry

VIDEOS = "videos"  # certification videos through the vision pipeline
MESSAGES = "messages"  # template and customer-service messages to WeChat
DEFAULT = "default"  # everything else: imports, the daily cycle run

ALL = (VIDEOS, MESSAGES, DEFAULT)


@dataclasses.dataclass(frozen=True)
class JobSpec:
    """A job the product queues: the function's dotted path, its queue and its time limit."""

    func: str
    queue: str
    timeout: int


VERIFY_ATTEMPT = JobSpec("jobs.verify.verify_attempt", VIDEOS, 300)
SEND_NOTIFICATION = JobSpec("jobs.messaging.send_notification", MESSAGES, 60)
RESUME_SENDING = JobSpec("jobs.messaging.resume_paused", MESSAGES, 60)
IMPORT_ROSTER = JobSpec("jobs.console.import_roster", DEFAULT, 3 * 3600)
IMPORT_PHOTOS = JobSpec("jobs.console.import_photos", DEFAULT, 3 * 3600)
DISPATCH_CAMPAIGN = JobSpec("jobs.console.dispatch_campaign", DEFAULT, 24 * 3600)
RUN_CYCLE = JobSpec("jobs.console.run_cycle", DEFAULT, 3600)

JOBS = (VERIFY_ATTEMPT, SEND_NOTIFICATION, RESUME_SENDING, IMPORT_ROSTER, IMPORT_PHOTOS, DISPATCH_CAMPAIGN,
        RUN_CYCLE)


class JobQueue(Protocol):
    """Where the service layer puts work for later: rq in production, a list in unit tests."""

    def enqueue(self, job: JobSpec, *args: Any, job_id: str | None = None, delay: dt.timedelta | None = None,
                at: dt.datetime | None = None, retry: Retry | None = None, result_ttl: int = 3600,
                failure_ttl: int | None = None) -> Any: ...


class RqJobQueue:
    """The real queue: rq on the process's Redis (connected lazily, so a unit test never needs Redis)."""

    def __init__(self, connection: Callable[[], Any]) -> None:
        self._connection = connection

    def queue(self, name: str = DEFAULT) -> Queue:
        return Queue(name, connection=self._connection())

    def enqueue(self, job: JobSpec, *args: Any, job_id: str | None = None, delay: dt.timedelta | None = None,
                at: dt.datetime | None = None, retry: Retry | None = None, result_ttl: int = 3600,
                failure_ttl: int | None = None) -> Any:
        q = self.queue(job.queue)
        options: dict[str, Any] = {"job_id": job_id, "job_timeout": job.timeout, "result_ttl": result_ttl,
                                   "retry": retry}
        if failure_ttl is not None:
            options["failure_ttl"] = failure_ttl
        if at is not None:
            return q.enqueue_at(at, job.func, *args, **options)
        if delay is not None and delay.total_seconds() > 0:
            return q.enqueue_in(delay, job.func, *args, **options)
        return q.enqueue(job.func, *args, **options)


@dataclasses.dataclass
class QueuedJob:
    job: JobSpec
    args: tuple[Any, ...]
    job_id: str | None = None
    delay: dt.timedelta | None = None
    at: dt.datetime | None = None


class InMemoryJobQueue:
    """A queue that only remembers: for unit tests of the service layer (``.jobs`` lists what was queued)."""

    def __init__(self) -> None:
        self.jobs: list[QueuedJob] = []

    def enqueue(self, job: JobSpec, *args: Any, job_id: str | None = None, delay: dt.timedelta | None = None,
                at: dt.datetime | None = None, retry: Retry | None = None, result_ttl: int = 3600,
                failure_ttl: int | None = None) -> QueuedJob:
        queued = QueuedJob(job, args, job_id, delay, at)
        self.jobs.append(queued)
        return queued

    def named(self, job: JobSpec) -> list[QueuedJob]:
        return [j for j in self.jobs if j.job == job]


class HasQueues(Protocol):
    @property
    def redis(self) -> Any: ...

    @property
    def jobs(self) -> JobQueue: ...


def queue(services: HasQueues, name: str = DEFAULT) -> Queue:
    """The rq queue ``name`` (for workers and tests that run jobs)."""
    return Queue(name, connection=services.redis)


def enqueue(services: HasQueues, job: JobSpec, *args: Any, job_id: str | None = None,
            delay: dt.timedelta | None = None, at: dt.datetime | None = None, retry: Retry | None = None,
            result_ttl: int = 3600, failure_ttl: int | None = None) -> Any:
    """Queue ``job`` with ``args`` now, after ``delay`` or at ``at``: the one way the product queues work."""
    return services.jobs.enqueue(job, *args, job_id=job_id, delay=delay, at=at, retry=retry, result_ttl=result_ttl,
                                 failure_ttl=failure_ttl)
