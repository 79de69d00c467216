"""The certification flow up to and after the vision job, with its faults."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import random

import pytest
from rq import Queue
from sqlalchemy import func, select

from flows import FlowError, certify, verification
from storage.models import (
    Attempt,
    AttemptStatus,
    AuditLog,
    Certification,
    Notification,
    PensionStatus,
    Retiree,
)
from storage.objects import LocalObjectStore, ObjectStoreError
from tests.recording import ran_timeline


@pytest.fixture(scope="module")
def tiny_mp4() -> bytes:
    import av
    import numpy as np

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i * 20, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


@dataclasses.dataclass
class FakeVerdict:
    """A verdict as vision returns it; these tests are about what the flow records."""

    verdict: str
    reasons: list = dataclasses.field(default_factory=list)
    advice: list = dataclasses.field(default_factory=list)
    scores: dict = dataclasses.field(default_factory=dict)
    models: dict = dataclasses.field(default_factory=lambda: {"test": "1"})
    timings: dict = dataclasses.field(default_factory=dict)
    best_frame_jpeg: bytes | None = b"\xff\xd8jpeg"
    best_frame_template: bytes | None = None
    fingerprint: bytes | None = None


def uploaded(world, tiny_mp4, user_id=None, retiree_id=None, seed=1):
    user_id = user_id or world.self_user_id
    challenge = certify.start_challenge(world.services, user_id, retiree_id or world.retiree_id,
                                        rng=random.Random(seed))
    ran_timeline(world.services, challenge.id)
    return certify.receive_upload(world.services, challenge.id, user_id, io.BytesIO(tiny_mp4), "video/mp4",
                                  len(tiny_mp4))


def videos_queue(world) -> Queue:
    return Queue("videos", connection=world.services.redis)


def test_challenge_needs_binding_and_consent(world):
    with pytest.raises(FlowError) as exc:
        certify.start_challenge(world.services, world.family_user_id, world.retiree_id)
    assert exc.value.code == "not_bound"
    world.bind(world.family_user_id, world.retiree_id)
    no_consent = world.add_user("o_no_consent", consent=False)
    world.bind(no_consent, world.suspended_id)
    with pytest.raises(FlowError) as exc:
        certify.start_challenge(world.services, no_consent, world.suspended_id)
    assert exc.value.code == "no_consent"
    challenge = certify.start_challenge(world.services, world.family_user_id, world.retiree_id)
    assert 2 <= len(challenge.actions) <= 3


def test_upload_streams_into_the_store_and_double_upload_is_one_attempt(world, tiny_mp4):
    attempt = uploaded(world, tiny_mp4)
    assert world.services.objects.get_bytes(attempt.video_key) == tiny_mp4
    again = certify.receive_upload(world.services, attempt.challenge_id, world.self_user_id, io.BytesIO(tiny_mp4),
                                   "video/mp4")
    assert again.id == attempt.id


def test_disguised_or_wrong_type_uploads_are_refused(world):
    challenge = certify.start_challenge(world.services, world.self_user_id, world.retiree_id)
    ran_timeline(world.services, challenge.id)
    with pytest.raises(FlowError) as exc:
        certify.receive_upload(world.services, challenge.id, world.self_user_id, io.BytesIO(b"\xff\xd8\xff\xe0JFIF"),
                               "video/mp4")
    assert exc.value.code == "video_unusable"
    with pytest.raises(FlowError) as exc:
        certify.receive_upload(world.services, challenge.id, world.self_user_id, io.BytesIO(b"x"), "image/jpeg")
    assert exc.value.code == "video_type"
    with pytest.raises(FlowError) as exc:
        certify.receive_upload(world.services, challenge.id, world.self_user_id, io.BytesIO(b"x"), "video/mp4",
                               length=certify.MAX_VIDEO_BYTES + 1)
    assert exc.value.code == "video_too_large"
    assert list((world.services.settings.local_store_dir).rglob("*.mp4")) == []


def test_store_down_at_upload_leaves_no_half_made_attempt(world, tiny_mp4, monkeypatch):
    def broken_put(*_a, **_k):
        raise ObjectStoreError("object store unreachable: MaxRetryError")

    monkeypatch.setattr(LocalObjectStore, "put", broken_put)
    with pytest.raises(FlowError) as exc:
        uploaded(world, tiny_mp4)
    assert exc.value.code == "store_unavailable"
    with world.services.db.session() as s:
        assert s.scalar(select(func.count(Attempt.id))) == 0


def test_expired_challenge_refuses_upload(world, tiny_mp4):
    challenge = certify.start_challenge(world.services, world.self_user_id, world.retiree_id)
    with pytest.raises(FlowError) as exc:
        certify.receive_upload(world.services, challenge.id, world.self_user_id, io.BytesIO(tiny_mp4), "video/mp4",
                               now=challenge.expires_at + dt.timedelta(seconds=1))
    assert exc.value.code == "challenge_expired"


def test_submitting_twice_queues_once_and_spends_the_challenge(world, tiny_mp4):
    attempt = uploaded(world, tiny_mp4)
    certify.submit(world.services, attempt.id, world.self_user_id)
    certify.submit(world.services, attempt.id, world.self_user_id)
    assert videos_queue(world).count == 1
    with pytest.raises(FlowError) as exc:
        certify.receive_upload(world.services, attempt.challenge_id, world.self_user_id, io.BytesIO(tiny_mp4),
                               "video/mp4")
    assert exc.value.code == "challenge_used"
    with pytest.raises(FlowError):
        certify.start_challenge(world.services, world.self_user_id, world.retiree_id)  # one running at a time


def test_a_pass_records_one_certification_and_resumes_a_suspended_pension(world, tiny_mp4):
    world.bind(world.family_user_id, world.suspended_id)
    attempt = uploaded(world, tiny_mp4, user_id=world.family_user_id, retiree_id=world.suspended_id)
    certify.submit(world.services, attempt.id, world.family_user_id)
    now = dt.datetime(2026, 11, 22, 10, tzinfo=dt.timezone.utc)
    assert verification.record_verdict(world.services, attempt.id, FakeVerdict("pass"), now) == "passed"
    assert verification.record_verdict(world.services, attempt.id, FakeVerdict("pass"), now) == "passed"  # job ran twice
    with world.services.db.session() as s:
        certs = s.scalars(select(Certification).where(Certification.retiree_id == world.suspended_id)).all()
        assert len(certs) == 1 and certs[0].method.value == "face" and certs[0].cycle_id is not None
        wang = s.get(Retiree, world.suspended_id)
        assert wang.pension_status == PensionStatus.active and wang.suspended_since is None
        resumed = s.scalar(select(AuditLog).where(AuditLog.action == "retiree.resume"))
        assert resumed.detail["back_pay_months"] == 11 and resumed.detail["resume_month"] == "2026-12-01"
        kinds = sorted(n.kind for n in s.scalars(select(Notification)))
        assert kinds == ["cert_result", "resumption"]  # sent once, not twice
        attempt_row = s.get(Attempt, attempt.id)
        assert attempt_row.best_frame_key and world.services.objects.exists(attempt_row.best_frame_key)


def test_three_failures_in_a_row_go_to_manual_review(world, tiny_mp4):
    now = dt.datetime(2026, 11, 22, 10, tzinfo=dt.timezone.utc)
    statuses = []
    for seed in range(3):
        attempt = uploaded(world, tiny_mp4, seed=seed)
        certify.submit(world.services, attempt.id, world.self_user_id)
        verdict = FakeVerdict("fail", reasons=["too_dark"], advice=["more_light"])
        statuses.append(verification.record_verdict(world.services, attempt.id, verdict, now + dt.timedelta(minutes=seed)))
    assert statuses == ["failed", "failed", "review"]
    with pytest.raises(FlowError) as exc:
        certify.start_challenge(world.services, world.self_user_id, world.retiree_id)
    assert exc.value.code == "under_review"
    with world.services.db.session() as s:
        last = s.scalars(select(Notification).order_by(Notification.id.desc())).first()
        assert last.kind == "cert_result"
        assert "人工" in str(last.payload)
        held = s.scalars(select(Attempt).where(Attempt.status == AttemptStatus.review)).one()
        assert held.video_key.startswith("held/")  # out of reach of the retention rule
        assert world.services.objects.get_bytes(held.video_key) == tiny_mp4


def test_recovery_requeues_attempts_lost_with_redis(world, tiny_mp4):
    attempt = uploaded(world, tiny_mp4)
    certify.submit(world.services, attempt.id, world.self_user_id)
    world.services.redis.flushall()  # Redis restarted without persistence: the queue is gone
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=6)
    assert certify.recover_stuck_attempts(world.services, now=later) == [attempt.id]
    assert videos_queue(world).job_ids == [f"verify-{attempt.id}"]
    # while the job is queued, recovery leaves it alone
    assert certify.recover_stuck_attempts(world.services, now=later) == []


def test_a_job_that_fails_every_time_ends_kindly_and_the_person_may_start_again(world, tiny_mp4):
    """Poison: the job fails on every run (here its video is gone). After MAX_RUNS it is not queued
    again forever: the attempt ends failed with "video_unusable", the message says so, a new challenge is given."""
    from rq.job import Job

    attempt = uploaded(world, tiny_mp4)
    certify.submit(world.services, attempt.id, world.self_user_id)
    world.services.objects.delete(attempt.video_key)
    for _ in range(certify.MAX_RUNS):
        with pytest.raises(ObjectStoreError):
            verification.verify_attempt(world.services, attempt.id)
    Job.fetch(f"verify-{attempt.id}", connection=world.services.redis).delete()  # rq gave up on it too
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=11)
    assert certify.recover_stuck_attempts(world.services, now=later) == []
    with world.services.db.session() as s:
        row = s.get(Attempt, attempt.id)
        assert (row.status, row.reasons, row.runs) == (AttemptStatus.failed, ["video_unusable"], certify.MAX_RUNS)
        (note,) = s.scalars(select(Notification).where(Notification.dedupe_key == f"attempt:{attempt.id}:failed"))
        assert note.payload["data"]  # the message is written, in the same transaction
    assert certify.recover_stuck_attempts(world.services, now=later) == []  # and stays ended
    certify.start_challenge(world.services, world.self_user_id, world.retiree_id)  # at once, no 409
