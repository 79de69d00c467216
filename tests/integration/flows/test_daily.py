"""The daily run starts at 01:30 in each agency's own time, whatever clock the host keeps.

rq cron reads its cron strings in the host's local time, so "30 1 * * *" meant 09:30 in
Beijing on a UTC host and the cycle rules of 1 January ran on the morning of the day, not in
the night. The schedule now ticks every minute and each agency is run once a local day.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from flows import daily
from storage.models import Agency

UTC = dt.timezone.utc


def _second_agency(world, zone: str) -> str:
    with world.services.db.session() as s:
        first = s.get(Agency, world.agency_id)
        s.add(Agency(code="xj", name="乌鲁木齐", cycle_policy=first.cycle_policy, settings={"time_zone": zone, daily.RUN_ON_KEY: "2026-12-31"}))
        return first.code


def test_each_agency_runs_once_a_day_at_half_past_one_its_own_time(world):
    beijing = _second_agency(world, "Asia/Urumqi")
    # 01:29 on 1 January in Beijing (17:29 UTC on 31 December): too early for anyone
    assert daily.run_due(world.services, dt.datetime(2026, 12, 31, 17, 29, tzinfo=UTC)) == []
    # 01:31 in Beijing, 23:31 on 31 December in Urumqi: Beijing's run, for its 1 January
    assert daily.run_due(world.services, dt.datetime(2026, 12, 31, 17, 31, tzinfo=UTC)) == [
        (beijing, dt.date(2027, 1, 1))]
    # a minute later: already run today
    assert daily.run_due(world.services, dt.datetime(2026, 12, 31, 17, 32, tzinfo=UTC)) == []
    # 01:31 in Urumqi: its run, for 1 January too
    assert daily.run_due(world.services, dt.datetime(2026, 12, 31, 19, 31, tzinfo=UTC)) == [
        ("xj", dt.date(2027, 1, 1))]
    # the next local day, each again
    assert sorted(daily.run_due(world.services, dt.datetime(2027, 1, 1, 20, 0, tzinfo=UTC))) == [
        (beijing, dt.date(2027, 1, 2)), ("xj", dt.date(2027, 1, 2))]


def test_the_run_suspends_on_the_local_first_of_january(world):
    """Deadline 31 December: at 01:31 Beijing time on 1 January the lapsed are suspended."""
    from storage.models import PensionStatus, Retiree

    with world.services.db.session() as s:
        before = {r.id: r.pension_status for r in s.scalars(select(Retiree))}
    daily.run_due(world.services, dt.datetime(2026, 12, 31, 17, 31, tzinfo=UTC))
    with world.services.db.session() as s:
        after = {r.id: r.pension_status for r in s.scalars(select(Retiree))}
    newly = [rid for rid in after if after[rid] == PensionStatus.suspended and before[rid] != PensionStatus.suspended]
    assert world.retiree_id in newly


def test_a_tick_that_finds_the_run_in_progress_leaves_it_alone(world):
    from jobs import console as console_jobs

    console_jobs.use_services(world.services)
    held = world.services.redis.lock(console_jobs.DAILY_LOCK, timeout=60)
    assert held.acquire(blocking=False)
    try:
        assert console_jobs.daily() == []
        with world.services.db.session() as s:
            assert daily.RUN_ON_KEY not in (s.get(Agency, world.agency_id).settings or {})
    finally:
        held.release()
