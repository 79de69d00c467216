"""The SQL classification agrees with the pure cycle rules, retiree by retiree."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import select

from certification import cycle
from flows import clock, standing
from flows.cycles import retiree_state
from storage.models import Agency, Certification, CertificationMethod, PensionStatus, Retiree
from tests.integration.console.conftest import make_id

DAYS = [dt.date(2026, 3, 15), dt.date(2026, 11, 2), dt.date(2026, 12, 31), dt.date(2027, 1, 1),
        dt.date(2026, 8, 1), dt.date(2026, 10, 31), dt.date(2026, 11, 30), dt.date(2026, 12, 1)]


@pytest.mark.parametrize("policy", [cycle.HARBIN, cycle.SHIJIAZHUANG], ids=["harbin", "shijiazhuang"])
def test_sql_codes_match_the_rules(world, policy):
    rng = random.Random(7)
    services = world.services
    with services.db.session() as s:
        s.get(Agency, world.agency_id).cycle_policy = policy.to_dict()
    methods = list(CertificationMethod)
    for i in range(120):
        birth = dt.date(1940 + rng.randrange(20), rng.randrange(1, 13), rng.randrange(1, 28))
        status = rng.choice(["active"] * 4 + ["suspended", "stopped"])
        values = {"pension_status": PensionStatus(status)}
        if status == "suspended":
            values["suspended_since"] = dt.date(2025 + rng.randrange(2), rng.randrange(1, 13), 1)
        rid = world.add_retiree(f"人{i:03d}", make_id("230102", birth.strftime("%Y%m%d"), f"{i:03d}"),
                                created_at=dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc), **values)
        with services.db.session() as s:
            for _ in range(rng.randrange(3)):
                s.add(Certification(retiree_id=rid, method=rng.choice(methods),
                                    certified_on=dt.date(2024, 6, 1) + dt.timedelta(days=rng.randrange(900))))
    for today in DAYS:
        bounds = standing.bounds_for(policy, today)
        with services.db.session() as s:
            sql = dict(s.execute(standing.standing_query(bounds, world.agency_id, None, Retiree.id)).all())
            for retiree in s.scalars(select(Retiree)):
                state = retiree_state(s, retiree, policy)
                if state.last_certified_on and state.last_certified_on > today:
                    continue  # a certification "from the future" is not a case the rules define
                assert sql[retiree.id] == standing.code_of(state, policy, today), (retiree.id, today, state)


def test_new_retiree_without_certification_is_due_not_lapsed(world):
    today = clock.local_today()
    rid = world.add_retiree("新人", make_id("230102", "19500101", "001"))
    old = world.add_retiree("老人", make_id("230102", "19500101", "002"),
                            created_at=dt.datetime(today.year - 2, 1, 5, tzinfo=dt.timezone.utc))
    bounds = standing.bounds_for(cycle.HARBIN, today)
    with world.services.db.session() as s:
        codes = dict(s.execute(standing.standing_query(bounds, world.agency_id, None, Retiree.id)).all())
    assert codes[rid] in (standing.DUE, standing.OVERDUE)
    assert codes[old] == standing.LAPSED
