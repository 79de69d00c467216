"""Housekeeping jobs, run on a schedule by ``rq cron jobs/cron.py``."""

from __future__ import annotations

import datetime as dt
import logging

from flows.certify import recover_stuck_attempts
from flows.retention import run_retention
from jobs.context import get_services
from storage.objects import VIDEO_PREFIX

log = logging.getLogger("lifecert.jobs.maintenance")


def recover_attempts() -> list[str]:
    """Re-queue certification attempts a dead worker or a Redis restart left behind."""
    services = get_services()
    after = dt.timedelta(seconds=services.settings.recovery_after_s)
    return recover_stuck_attempts(services, older_than=after, started_older_than=2 * after)


def apply_video_retention() -> int:
    """Delete what is past its time (videos, frames, held videos of decided cases, replaced photos, staged
    imports: flows/retention.py), then the store's own age rule for raw videos (MinIO has a lifecycle rule)."""
    services = get_services()
    report = run_retention(services)
    removed = services.objects.apply_retention(VIDEO_PREFIX, services.settings.video_retention_days)
    log.info("video retention applied", extra={"removed": removed, "videos": report.videos})
    return removed + report.videos + report.frames + report.held + report.photos + report.staged
