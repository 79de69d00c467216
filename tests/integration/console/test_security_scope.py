"""Issue 11, medium: a region-limited admin sees and acts only on their regions.

The attack: an admin limited to 道里区 downloaded the payments export of the whole agency,
opened and steered campaigns of other regions, ran the agency-wide cycle, and saw the
agency's review count on the dashboard.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from werkzeug.security import generate_password_hash

from storage import audit
from storage.models import AdminRole, AdminUser, Attempt, AttemptStatus, Campaign
from tests.integration.console.conftest import PASSWORD, login, make_id


@pytest.fixture
def daoli_admin(app, world):
    with world.services.db.session() as s:
        s.add(AdminUser(username="daoliadmin", password_hash=generate_password_hash(PASSWORD), role=AdminRole.admin,
                        agency_id=world.agency_id, region_ids=[world.regions["道里区"]]))
    client = app.test_client()
    assert login(client, "daoliadmin").status_code == 302
    return client


def test_payments_export_is_scoped(world, daoli_admin):
    nangang = world.add_retiree("南岗人", make_id("230102", "19400101", "111"), region="南岗区")
    daoli = world.add_retiree("道里人", make_id("230102", "19400202", "222"), region="道里区")
    with world.services.db.session() as s:
        for rid in (nangang, daoli):
            audit.record(s, "system", "retiree.suspend", target_kind="retiree", target_id=rid, since="2026-11-01")
    body = daoli_admin.get("/console/exports/payments.csv").data.decode("utf-8-sig")
    assert "道里人" in body and "南岗人" not in body


def test_campaigns_of_other_regions_are_out_of_reach(world, daoli_admin):
    with world.services.db.session() as s:
        c = Campaign(agency_id=world.agency_id, name="南岗提醒", segment={"kind": "due_month",
                                                                       "region_ids": [world.regions["南岗区"]]})
        whole = Campaign(agency_id=world.agency_id, name="全市提醒", segment={"kind": "due_month"})
        s.add_all([c, whole])
        s.flush()
        ids = c.id, whole.id
    listing = daoli_admin.get("/console/campaigns").get_data(as_text=True)
    assert "南岗提醒" not in listing and "全市提醒" not in listing
    for cid in ids:
        assert daoli_admin.get(f"/console/campaigns/{cid}").status_code == 404
        assert daoli_admin.get(f"/console/campaigns/{cid}/progress").status_code == 404


def test_cycle_run_is_for_whole_agency_admins_only(daoli_admin):
    assert daoli_admin.get("/console/cycle").status_code == 403
    with daoli_admin.session_transaction() as sess:
        token = sess["csrf"]
    assert daoli_admin.post("/console/cycle/run", data={"csrf_token": token}).status_code == 403


def test_dashboard_review_count_is_scoped(world, daoli_admin):
    rid = world.add_retiree("南岗人", make_id("230102", "19400101", "111"), region="南岗区")
    with world.services.db.session() as s:
        s.add(Attempt(retiree_id=rid, status=AttemptStatus.review, created_at=dt.datetime.now(dt.timezone.utc)))
    page = daoli_admin.get("/console/").get_data(as_text=True)
    count = re.search(r"待人工审核</span><b><a [^>]*>(\d+)<", page)
    assert count is not None and count.group(1) == "0"
