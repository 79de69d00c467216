"""rq jobs of the agency console: imports, campaign dispatch, the daily cycle and the minute tick.

A worker builds its Services once from the environment; tests and in-process
workers hand theirs in with :func:`use_services`. Schedule them with rq's cron
(``rq cron jobs/cron.py``).
"""

from __future__ import annotations

import datetime as dt
import logging

from flows import clock
from flows.campaigns import dispatch, plan_automatic, watchdog
from flows.cycle_run import run_cycle as run
from flows.daily import run_due
from flows.imports import run_photo_job, run_roster_job
from jobs.context import get_services as services
from jobs.context import use_services  # noqa: F401 - tests and workers hand theirs in here too
from wording import zh

log = logging.getLogger("lifecert.console")


def import_roster(job_key: str, upload_key: str, suffix: str, agency_id: int, admin_id: int,
                  file_date: str | None = None) -> dict:
    return run_roster_job(services(), job_key, upload_key, suffix, agency_id, admin_id, file_date)


def import_photos(job_key: str, upload_key: str, agency_id: int, admin_id: int) -> dict:
    return run_photo_job(services(), job_key, upload_key, agency_id, admin_id)


def dispatch_campaign(campaign_id: int) -> str:
    return dispatch(services(), campaign_id)


def run_cycle(dry_run: bool = False, day: str | None = None) -> list[str]:
    """The daily run: the cycle rules, then the automatic reminders. Safe to repeat."""

    today = dt.date.fromisoformat(day) if day else clock.local_today()
    reports = run(services(), today, dry_run=dry_run)
    lines = [r.summary() for r in reports]
    if not dry_run:
        started = plan_automatic(services(), today)
        lines.append(zh.AUTO_CAMPAIGNS_STARTED.format(count=len(started)))
    return lines


#: one daily run at a time: a tick that finds it held leaves the work to the one running
DAILY_LOCK = "lifecert:daily-run"


def daily() -> list[str]:
    """rq cron, every minute: each agency's daily run once its own 01:30 has passed (flows.daily)."""
    lock = services().redis.lock(DAILY_LOCK, timeout=3600, blocking=False)
    if not lock.acquire(blocking=False):
        return []
    try:
        return [f"{code} {day.isoformat()}" for code, day in run_due(services())]
    finally:
        lock.release()


def tick() -> list[int]:
    """Every minute: restart dead campaign dispatchers, lift yesterday's quota pauses."""
    return watchdog(services())
