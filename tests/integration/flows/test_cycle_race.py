"""The first passes of a year, at two workers at once, share one cycle row.

Found by bench/ops_bench.py on PostgreSQL with two rq workers: the cycle row of (agency, year)
is created on first use, and when two certifications were the year's first at the same moment
both read "no row", both inserted, and the second job died with UniqueViolation on
uq_certification_cycle_agency_id (to be re-run later by the job's retry: the person waited,
and the worker log showed a traceback). Here the two sessions are interleaved on purpose: the
first has inserted but not committed, the second asks for the same cycle.
"""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select

from certification.cycle import HARBIN
from flows.cycles import cycle_row
from storage.db import Database, upgrade
from storage.models import Agency, CertificationCycle


def _database_with_agency(url: str) -> tuple[Database, int]:
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        agency = Agency(code="harbin", name="哈尔滨市社保中心", cycle_policy=HARBIN.to_dict())
        s.add(agency)
        s.flush()
        return db, agency.id


def test_two_first_passes_of_the_year_at_once_share_one_cycle(postgres_url):
    db, agency_id = _database_with_agency(postgres_url)
    day = dt.date(2026, 12, 4)
    got: dict[str, object] = {}

    def second_worker() -> None:
        try:
            with db.session() as s:
                got["id"] = cycle_row(s, s.get(Agency, agency_id), HARBIN, day).id
        except Exception as e:  # noqa: BLE001 - what the worker would have died of
            got["error"] = e

    with db.session() as first:
        mine = cycle_row(first, first.get(Agency, agency_id), HARBIN, day)  # inserted, not committed
        other = threading.Thread(target=second_worker)
        other.start()
        other.join(1.0)  # it waits on the unique index until this transaction ends
        assert other.is_alive(), "the second insert should wait for the first transaction"
        mine_id = mine.id
    other.join(10)
    assert "error" not in got, got.get("error")
    assert got["id"] == mine_id
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(CertificationCycle)) == 1
    db.engine.dispose()


def test_the_cycle_is_created_once_and_then_found(tmp_path):
    db, agency_id = _database_with_agency(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    with db.session() as s:
        agency = s.get(Agency, agency_id)
        first = cycle_row(s, agency, HARBIN, dt.date(2026, 12, 4))
        again = cycle_row(s, agency, HARBIN, dt.date(2026, 12, 5))
        assert first.id == again.id and first.year == again.year
        assert first.deadline is not None
    db.engine.dispose()
