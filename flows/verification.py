"""Verification as one use case: load the attempt, mark it running, look at the video, record, notify.

The rq job (jobs/verify.py) only sets the job id for the logs and calls
:func:`verify_attempt`. The verdict is anything shaped like :class:`Verdict`
(vision's own ``vision.Verdict`` or a verdict reached without looking at faces).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from typing import Any, Protocol

from sqlalchemy import select, update

import vision
from certification.attempts import AttemptPolicy, needs_review
from flows import FlowError
from flows.certify import FINISHED, recent_verdicts
from flows.cycles import apply_pass
from flows.notify import notify_attempt_result
from flows.ports import Services
from storage.models import (
    Attempt,
    AttemptStatus,
    Certification,
    CertificationMethod,
    Challenge,
    EnrollmentPhoto,
    Retiree,
    WeChatUser,
    utcnow,
)
from storage.objects import HELD_PREFIX, VIDEO_PREFIX, ObjectStoreError

log = logging.getLogger("lifecert.flows.verification")


class Verdict(Protocol):
    """What the service layer reads of a verdict (``vision.Verdict`` has these and more)."""

    verdict: str  # "pass" | "fail" | "review"
    reasons: list[str]
    advice: list[str]
    scores: dict[str, Any]
    models: dict[str, str]
    timings: dict[str, float]
    best_frame_jpeg: bytes | None


def verify_attempt(services: Services, attempt_id: str) -> str:
    """Verify one attempt; returns the recorded status (or "done" if it was finished). Safe to run twice."""
    work = load_for_verification(services, attempt_id)
    if work is None:
        log.info("attempt already finished", extra={"attempt_id": attempt_id})
        return "done"
    mark_running(services, attempt_id)
    if work.reused:
        log.warning("video submitted before", extra={"attempt_id": attempt_id})
        return record_verdict(services, attempt_id, REUSED_VIDEO, now=dt.datetime.now(dt.timezone.utc))
    started = time.perf_counter()
    with services.objects.local_copy(work.video_key) as path:
        verdict = vision.analyze_video(path, challenge=work.challenge, templates=work.templates,
                                       config=services.vision_config, models=services.vision_models,
                                       earlier_fingerprints=work.earlier_fingerprints)
    log.info("vision done", extra={"attempt_id": attempt_id, "verdict": verdict.verdict,
                                   "reasons": verdict.reasons, "seconds": round(time.perf_counter() - started, 3)})
    return record_verdict(services, attempt_id, verdict, now=dt.datetime.now(dt.timezone.utc))


class VerificationWork:
    """What the job needs, read in one short transaction."""

    def __init__(self, video_key: str, actions: list[str], templates: list[bytes], reused: bool,
                 timeline: dict | None = None, earlier_fingerprints: list[bytes] | None = None) -> None:
        self.video_key, self.actions, self.templates = video_key, actions, templates
        self.reused = reused  # the very same bytes were submitted before: a replay, not a recording
        #: issue 15: the bound challenge (vision.Timeline) and the retiree's earlier uploads' fingerprints
        self.timeline = timeline
        self.earlier_fingerprints = earlier_fingerprints or []

    @property
    def challenge(self):
        return vision.Timeline.from_dict(self.timeline) if self.timeline else self.actions


@dataclasses.dataclass
class RefusedVideo:
    """A verdict reached without looking at faces (same shape as vision's Verdict)."""

    verdict: str
    reasons: list
    advice: list
    scores: dict = dataclasses.field(default_factory=dict)
    models: dict = dataclasses.field(default_factory=dict)
    timings: dict = dataclasses.field(default_factory=dict)
    best_frame_jpeg: bytes | None = None


REUSED_VIDEO = RefusedVideo("fail", ["video_reused"], ["try_again"])


def load_for_verification(services, attempt_id: str) -> VerificationWork | None:
    """None when the attempt is already finished (a re-run of a completed job)."""
    with services.db.session() as session:
        attempt = session.get(Attempt, attempt_id)
        if attempt is None:
            raise FlowError("attempt_unknown")
        if attempt.status in FINISHED:
            return None
        challenge = session.get(Challenge, attempt.challenge_id)
        templates = list(session.scalars(
            select(EnrollmentPhoto.template).where(EnrollmentPhoto.retiree_id == attempt.retiree_id,
                                                   EnrollmentPhoto.active.is_(True),
                                                   EnrollmentPhoto.template.is_not(None))))
        reused = session.scalar(select(Attempt.id).where(Attempt.video_sha256 == attempt.video_sha256,
                                                         Attempt.id != attempt.id).limit(1)) is not None
        earlier = list(session.scalars(
            select(Attempt.fingerprint).where(Attempt.retiree_id == attempt.retiree_id, Attempt.id != attempt.id,
                                              Attempt.fingerprint.is_not(None))
            .order_by(Attempt.created_at.desc()).limit(30)))
        return VerificationWork(attempt.video_key, list(challenge.actions), templates, reused,
                                challenge.timeline, earlier)


def mark_running(services, attempt_id: str) -> None:
    with services.db.session() as session:
        session.execute(update(Attempt).where(Attempt.id == attempt_id, Attempt.status.in_(
            [AttemptStatus.queued, AttemptStatus.running, AttemptStatus.error])).values(
            status=AttemptStatus.running, started_at=utcnow()))


def record_verdict(services: Services, attempt_id: str, verdict: Verdict, now: dt.datetime,
                   policy: AttemptPolicy = AttemptPolicy()) -> str:
    """Write the verdict, and on a pass the certification, in one transaction; then notify.

    Returns the attempt's final status. Running twice records once: a finished
    attempt is left alone, and ``certification.attempt_id`` is unique.
    """
    best_key = None
    if verdict.best_frame_jpeg:
        best_key = f"frames/{now:%Y/%m}/{attempt_id}.jpg"
        try:
            services.objects.put_bytes(best_key, verdict.best_frame_jpeg, "image/jpeg")
        except ObjectStoreError:
            best_key = None  # the verdict matters more than the picture
    with services.db.session() as session:
        attempt = session.get(Attempt, attempt_id, with_for_update=True)
        if attempt.status in FINISHED:
            return attempt.status.value
        attempt.verdict = verdict.verdict
        attempt.reasons = list(verdict.reasons)
        if getattr(verdict, "fingerprint", None):
            attempt.fingerprint = verdict.fingerprint
        attempt.advice = list(verdict.advice)
        attempt.scores = dict(verdict.scores)
        attempt.model_versions = dict(verdict.models)
        attempt.timings = dict(verdict.timings)
        attempt.best_frame_key = best_key
        attempt.finished_at = now
        effect = None
        if verdict.verdict == "pass":
            attempt.status = AttemptStatus.passed
            retiree = session.get(Retiree, attempt.retiree_id)
            certification = Certification(retiree_id=retiree.id, method=CertificationMethod.face,
                                          certified_on=now.date(), by_wechat_user_id=attempt.wechat_user_id,
                                          attempt_id=attempt.id)
            session.add(certification)
            effect = apply_pass(session, retiree, certification, now.date())
        elif verdict.verdict == "review":
            attempt.status = AttemptStatus.review
        else:
            attempt.status = AttemptStatus.failed
            session.flush()
            if needs_review(recent_verdicts(session, attempt.retiree_id), policy):
                attempt.status = AttemptStatus.review
                attempt.reasons = [*attempt.reasons, "repeated_failures"]
        if attempt.status == AttemptStatus.review:
            attempt.video_key = _hold_for_review(services, attempt.video_key)
        status = attempt.status.value
        openid, retiree_id = _notify_target(session, attempt)

    notify_attempt_result(services, attempt_id, openid, retiree_id, status, effect)
    return status


def _hold_for_review(services, key: str) -> str:
    """Copy a video a reviewer needs out of reach of the retention rule; keep the raw key on failure."""
    if not key or not key.startswith(VIDEO_PREFIX):
        return key
    held = HELD_PREFIX + key[len(VIDEO_PREFIX):]
    try:
        services.objects.copy(key, held)
    except ObjectStoreError:
        log.warning("could not hold video for review", extra={"key": key})
        return key
    return held


def _notify_target(session, attempt: Attempt) -> tuple[str | None, int]:
    user = session.get(WeChatUser, attempt.wechat_user_id) if attempt.wechat_user_id else None
    return (user.oa_openid if user else None), attempt.retiree_id
