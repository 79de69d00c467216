"""Issue 11: personal-data views are audited (face frames, enrolled photos, the review list, campaign recipients)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.models import Attempt, AttemptStatus, AuditLog, Campaign, EnrollmentPhoto
from tests.integration.console.conftest import make_id


def _actions(world) -> list[str]:
    with world.services.db.session() as s:
        return list(s.scalars(select(AuditLog.action)))


def test_each_personal_data_view_leaves_an_audit_entry(as_admin, world):
    rid = world.add_retiree("张桂兰", make_id("230102", "19400315", "124"))
    world.services.objects.put_bytes("frames/x.jpg", b"jpeg")
    world.services.objects.put_bytes("photos/x.jpg", b"jpeg")
    with world.services.db.session() as s:
        s.add(Attempt(id="f" * 32, retiree_id=rid, status=AttemptStatus.review, best_frame_key="frames/x.jpg",
                      created_at=dt.datetime.now(dt.timezone.utc)))
        photo = EnrollmentPhoto(retiree_id=rid, object_key="photos/x.jpg", source="test")
        campaign = Campaign(agency_id=world.agency_id, name="提醒", segment={"kind": "due_month"})
        s.add_all([photo, campaign])
        s.flush()
        photo_id, campaign_id = photo.id, campaign.id
    assert as_admin.get("/console/review").status_code == 200
    assert as_admin.get(f"/console/media/frame/{'f' * 32}").status_code == 200
    assert as_admin.get(f"/console/media/photo/{photo_id}").status_code == 200
    assert as_admin.get(f"/console/campaigns/{campaign_id}").status_code == 200
    done = _actions(world)
    for action in ("review.list", "media.frame", "media.photo", "campaign.recipients"):
        assert action in done, (action, done)
