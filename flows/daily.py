"""The daily run, at 01:30 in each agency's own time.

rq cron reads a cron string in the host's local time, so a fixed "30 1 * * *" ran the cycle
rules of a Beijing agency at 09:30 on a UTC host, and at another hour for an agency in
another zone. Instead the schedule ticks every minute (:func:`run_due`) and each agency is
run once per local day, as soon as its own clock passes :data:`DAILY_AT`. The run itself
(cycle rules, then the automatic reminders) is safe to repeat, so two overlapping ticks do
no harm; the day is recorded only after the run succeeded, so a crash is retried next tick.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from flows import clock
from flows.campaigns import plan_automatic
from flows.cycle_run import CycleReport, run_cycle
from storage.models import Agency, utcnow

log = logging.getLogger(__name__)

#: after the night's payment file has been cut, before anyone is awake to be reminded
DAILY_AT = dt.time(1, 30)
#: where the last local day an agency was run is kept (``agency.settings``)
RUN_ON_KEY = "daily_run_on"


def due(services, now: dt.datetime | None = None) -> list[tuple[int, str, dt.date]]:
    """(agency id, code, local day) of every agency whose daily run is due at ``now``."""
    now = now or utcnow()
    out = []
    with services.db.session() as session:
        for agency in session.scalars(select(Agency).order_by(Agency.id)):
            if not agency.cycle_policy:
                continue
            local = clock.local_now(clock.zone_of(agency), now)
            if local.time() >= DAILY_AT and (agency.settings or {}).get(RUN_ON_KEY) != local.date().isoformat():
                out.append((agency.id, agency.code, local.date()))
    return out


def run_agency(services, agency_id: int, code: str, day: dt.date) -> list[CycleReport]:
    """One agency's daily run for its local ``day``; the day is recorded when it succeeded."""
    reports = run_cycle(services, day, agency_codes=[code])
    plan_automatic(services, day, agency_ids=[agency_id])
    with services.db.session() as session:
        agency = session.get(Agency, agency_id)
        if agency is not None:
            agency.settings = {**(agency.settings or {}), RUN_ON_KEY: day.isoformat()}
    log.info("daily run", extra={"agency_id": agency_id, "day": day.isoformat()})
    return reports


def run_due(services, now: dt.datetime | None = None) -> list[tuple[str, dt.date]]:
    """Every minute: run each agency whose local 01:30 has passed today and that has not run yet."""
    ran = []
    for agency_id, code, day in due(services, now):
        run_agency(services, agency_id, code, day)
        ran.append((code, day))
    return ran
