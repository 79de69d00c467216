"""The review queue: approve (manual_review certification, suspended pension resumes) or reject with a reason."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from flows import clock
from storage.models import (
    Attempt,
    AttemptStatus,
    AuditLog,
    Certification,
    EnrollmentPhoto,
    Notification,
    PensionStatus,
    Retiree,
)
from tests.integration.console.conftest import login, make_id, post


def review_attempt(world, name="王芳", region="南岗区", **retiree_values) -> tuple[int, str]:
    rid = world.add_retiree(name, make_id("230102", "19480506", str(len(world.people)).zfill(3)), region=region,
                            openid=f"openid-{name}", **retiree_values)
    services = world.services
    services.objects.put_bytes(f"frames/{rid}.jpg", b"\xff\xd8frame", "image/jpeg")
    services.objects.put_bytes(f"photos/{rid}/p.jpg", b"\xff\xd8photo", "image/jpeg")
    user = world.wechat_user(rid)
    with services.db.session() as s:
        s.add(EnrollmentPhoto(retiree_id=rid, object_key=f"photos/{rid}/p.jpg", template=b"t", source="zip_import"))
        attempt = Attempt(retiree_id=rid, wechat_user_id=user.id, status=AttemptStatus.review, verdict="review",
                          scores={"match_distance": 0.61, "spoof_live_score": 0.9, "actions": {"blink": []}}, reasons=["not_same_person"],
                          best_frame_key=f"frames/{rid}.jpg")
        s.add(attempt)
        s.flush()
        return rid, attempt.id


def test_approve_resumes_a_suspended_pension_and_tells_the_user(client, world):
    today = clock.local_today()
    since = (today.replace(day=1) - dt.timedelta(days=40)).replace(day=1)
    rid, attempt_id = review_attempt(world, pension_status=PensionStatus.suspended, suspended_since=since)
    login(client, "reviewer1")
    listing = client.get("/console/review").get_data(as_text=True)
    assert "王芳" in listing and "和登记的照片不像同一个人" in listing
    detail = client.get(f"/console/review/{attempt_id}").get_data(as_text=True)
    assert "dlib比对距离" in detail and "0.61" in detail and "actions" not in detail
    assert client.get(f"/console/media/frame/{attempt_id}").data == b"\xff\xd8frame"
    response = post(client, f"/console/review/{attempt_id}/decide", {"decision": "approve", "note": "电话核实"})
    assert response.status_code == 302
    page = client.get("/console/review").get_data(as_text=True)
    assert "恢复发放，补发 3 个月" in page
    with world.services.db.session() as s:
        cert = s.scalar(select(Certification).where(Certification.retiree_id == rid))
        assert cert.method.value == "manual_review" and cert.attempt_id == attempt_id
        retiree = s.get(Retiree, rid)
        assert retiree.pension_status == PensionStatus.active and retiree.suspended_since is None
        attempt = s.get(Attempt, attempt_id)
        assert attempt.status == AttemptStatus.passed and attempt.reviewed_by == world.users["reviewer1"]
        note = s.scalar(select(Notification).where(Notification.retiree_id == rid))
        assert (note.kind, note.openid, note.dedupe_key) == ("cert_result", "openid-王芳", f"review:{attempt_id}")
        assert {"review.view", "review.approve", "retiree.resume"} <= set(s.scalars(select(AuditLog.action)))
    # a second reviewer clicking late changes nothing
    again = post(client, f"/console/review/{attempt_id}/decide", {"decision": "approve"})
    assert again.status_code == 302
    assert "已经被处理过了" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_reject_sends_the_reason(client, world, fake_sender):
    rid, attempt_id = review_attempt(world)
    login(client, "reviewer1")
    post(client, f"/console/review/{attempt_id}/decide", {"decision": "reject", "reason": "不是本人现场拍摄"})
    with world.services.db.session() as s:
        assert s.get(Attempt, attempt_id).status == AttemptStatus.rejected
        note = s.scalar(select(Notification).where(Notification.retiree_id == rid))
        assert note.payload["fields"]["reason_text"] == "不是本人现场拍摄"
        assert note.payload["fields"]["passed"] == "False"
        assert note.payload["fields"]["name"] == "王*"
        assert s.scalar(select(Certification.id)) is None


def test_reviewer_sees_only_their_regions(client, world):
    _rid, attempt_id = review_attempt(world, region="南岗区")
    login(client, "daoli")
    assert "王芳" not in client.get("/console/review").get_data(as_text=True)
    assert client.get(f"/console/review/{attempt_id}").status_code == 404
    assert post(client, f"/console/review/{attempt_id}/decide", {"decision": "approve"}).status_code == 404
    assert client.get(f"/console/media/frame/{attempt_id}").status_code == 404


def test_the_review_queue_shows_beijing_time(client, world):
    rid, attempt_id = review_attempt(world, name="李梅")
    with world.services.db.session() as s:  # 23:59 UTC on 31 December is 07:59 on 1 January in Beijing
        s.get(Attempt, attempt_id).created_at = dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.timezone.utc)
    login(client, "reviewer1")
    assert "2027-01-01 07:59" in client.get("/console/review").get_data(as_text=True)
    assert "2027-01-01 07:59" in client.get(f"/console/review/{attempt_id}").get_data(as_text=True)


def test_one_decision_per_person_closes_all_their_open_attempts_and_keeps_machine_statistics(client, world):
    from flows import dashboard
    from storage.models import Agency

    rid, first = review_attempt(world)
    user = world.wechat_user(rid)
    with world.services.db.session() as s:
        second = Attempt(retiree_id=rid, wechat_user_id=user.id, status=AttemptStatus.failed, verdict="fail",
                         reasons=["too_dark"])
        s.add(second)
        s.flush()
        second_id = second.id
    login(client, "reviewer1")
    listing = client.get("/console/review").get_data(as_text=True)
    assert listing.count("王芳") == 1 and "共 2 次，一并处理" in listing
    post(client, f"/console/review/{second_id}/decide", {"decision": "approve", "note": "电话核实"})
    with world.services.db.session() as s:
        statuses = {a.id: a.status for a in s.scalars(select(Attempt).where(Attempt.retiree_id == rid))}
        assert statuses == {first: AttemptStatus.passed, second_id: AttemptStatus.passed}
        notes = s.scalars(select(Notification).where(Notification.retiree_id == rid)).all()
        assert len(notes) == 1 and notes[0].payload["fields"]["passed"] == "True"
        assert s.scalar(select(Certification.attempt_id).where(Certification.retiree_id == rid)) == second_id
    # the other attempt is no longer open: a late reviewer cannot now reject the person
    late = post(client, f"/console/review/{first}/decide", {"decision": "reject", "reason": "不是本人现场拍摄"})
    assert "已经被处理过了" in client.get(late.headers["Location"]).get_data(as_text=True)
    with world.services.db.session() as s:
        data = dashboard.figures(s, s.get(Agency, world.agency_id), None, dt.date.today())
    # the machine passed neither attempt; the approval is counted apart and does not change that
    assert (data["attempts"], data["pass_rate"]) == (2, 0.0)
    assert (data["review_approved"], data["review_rejected"]) == (2, 0)
    page = client.get("/console/").get_data(as_text=True)
    assert "人工审核另计：通过 2 次" in page
