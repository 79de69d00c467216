"""Use cases over fakes (SQLite, a folder, an in-memory queue): what they record and what they queue."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import random

import pytest
from sqlalchemy import select

from flows import FlowError, certify, get_row, outbox, verification
from storage import queues
from storage.models import AttemptStatus, Certification, Notification, Retiree
from tests.recording import ran_timeline

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64  # enough for the type sniff; nothing decodes it here


@dataclasses.dataclass
class Verdict:
    verdict: str
    reasons: list = dataclasses.field(default_factory=list)
    advice: list = dataclasses.field(default_factory=list)
    scores: dict = dataclasses.field(default_factory=dict)
    models: dict = dataclasses.field(default_factory=lambda: {"test": "1"})
    timings: dict = dataclasses.field(default_factory=dict)
    best_frame_jpeg: bytes | None = None
    best_frame_template: bytes | None = None
    fingerprint: bytes | None = None


def _submitted(world):
    challenge = certify.start_challenge(world.services, world.self_user_id, world.retiree_id, rng=random.Random(3))
    ran_timeline(world.services, challenge.id)
    attempt = certify.receive_upload(world.services, challenge.id, world.self_user_id, io.BytesIO(MP4_HEAD),
                                     "video/mp4", len(MP4_HEAD))
    return certify.submit(world.services, attempt.id, world.self_user_id)


def test_the_unit_tier_really_has_no_redis(world):
    with pytest.raises(Exception):  # noqa: B017 - any connection error will do
        world.services.redis.ping()


def test_submit_queues_one_verification_however_often_it_is_sent(world):
    attempt = _submitted(world)
    certify.submit(world.services, attempt.id, world.self_user_id)
    jobs = world.services.jobs.named(queues.VERIFY_ATTEMPT)
    assert [(j.args, j.job_id) for j in jobs] == [((attempt.id,), f"verify-{attempt.id}")]
    assert attempt.status == AttemptStatus.queued


def test_someone_else_cannot_submit_my_attempt(world):
    attempt = _submitted(world)
    with pytest.raises(FlowError) as exc:
        certify.submit(world.services, attempt.id, world.family_user_id)
    assert exc.value.code == "attempt_unknown"


def test_a_pass_records_one_certification_and_queues_its_message(world):
    attempt = _submitted(world)
    now = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.timezone.utc)
    assert verification.record_verdict(world.services, attempt.id, Verdict("pass"), now) == "passed"
    assert verification.record_verdict(world.services, attempt.id, Verdict("pass"), now) == "passed"
    with world.services.db.session() as s:
        certs = s.scalars(select(Certification).where(Certification.attempt_id == attempt.id)).all()
        notes = s.scalars(select(Notification).where(Notification.retiree_id == world.retiree_id)).all()
    assert len(certs) == 1 and len(notes) == 1 and notes[0].kind == "cert_result"
    assert [j.args for j in world.services.jobs.named(queues.SEND_NOTIFICATION)] == [(notes[0].id,)]


def test_the_outbox_sends_once_per_dedupe_key(world):
    fields = {"name": "张*兰", "passed": True, "at": dt.datetime(2026, 12, 1, 10, 0)}
    first = outbox.enqueue_template(world.services, "o_x", "cert_result", fields, dedupe_key="k1")
    again = outbox.enqueue_template(world.services, "o_x", "cert_result", fields, dedupe_key="k1")
    assert first == again
    assert len(world.services.jobs.named(queues.SEND_NOTIFICATION)) == 1


def test_a_verdict_for_an_attempt_that_is_gone_is_a_refusal_not_a_crash(world):
    # the row vanished (retention, a test reset) while the job waited: a code the edge can word
    with pytest.raises(FlowError) as exc:
        verification.record_verdict(world.services, "no-such-attempt", verification.REUSED_VIDEO,
                                    now=dt.datetime.now(dt.timezone.utc))
    assert exc.value.code == "attempt_unknown"


def test_get_row_refuses_a_missing_row_with_its_code(world):
    with world.services.db.session() as s:
        assert get_row(s, Retiree, world.retiree_id).id == world.retiree_id
        with pytest.raises(FlowError) as exc:
            get_row(s, Retiree, 10**9)
    assert exc.value.code == "record_gone"
