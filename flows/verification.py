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
from flows import FlowError, clock, get_row
from flows.certify import FINISHED, recent_verdicts
from flows.cycles import apply_pass
from flows.face_templates import active_templates, refresh_after_pass
from flows.notify import notify_attempt_result
from flows.people import check_may_certify, confirm_self_by_face, require_consent
from flows.ports import Services
from storage.models import (
    Agency,
    Attempt,
    AttemptStatus,
    Certification,
    CertificationMethod,
    Challenge,
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
    best_frame_template: bytes | None  # may refresh the newest template after a strong pass
    fingerprint: bytes | None  # the clip's content fingerprint, kept to catch its replay


def verify_attempt(services: Services, attempt_id: str) -> str:
    """Verify one attempt; returns the recorded status (or "done" if it was finished). Safe to run twice."""
    work = load_for_verification(services, attempt_id)
    if work is None:
        log.info("attempt already finished", extra={"attempt_id": attempt_id})
        return "done"
    mark_running(services, attempt_id)
    if work.reused:
        log.warning("video submitted before", extra={"attempt_id": attempt_id})
        return record_verdict(services, attempt_id, REUSED_VIDEO, now=clock.now_utc())
    started = time.perf_counter()
    with services.objects.local_copy(work.video_key) as path:
        verdict = vision.analyze_video(path, challenge=work.challenge, templates=work.templates,
                                       config=services.vision_config, models=services.vision_models,
                                       earlier_fingerprints=work.earlier_fingerprints)
    name_matched_template(verdict, work)
    log.info("vision done", extra={"attempt_id": attempt_id, "verdict": verdict.verdict,
                                   "reasons": verdict.reasons, "seconds": round(time.perf_counter() - started, 3)})
    return record_verdict(services, attempt_id, verdict, now=clock.now_utc())


class VerificationWork:
    """What the job needs, read in one short transaction."""

    def __init__(self, video_key: str, actions: list[str], templates: list[bytes], reused: bool,
                 template_ids: list[int] | None = None, template_sources: list[str] | None = None,
                 timeline: dict | None = None, earlier_fingerprints: list[bytes] | None = None) -> None:
        self.video_key, self.actions, self.templates = video_key, actions, templates
        self.reused = reused  # the very same bytes were submitted before: a replay, not a recording
        self.template_ids = template_ids or []
        self.template_sources = template_sources or []
        #: issue 15: the bound challenge (vision.Timeline) and the retiree's earlier uploads' fingerprints
        self.timeline = timeline
        self.earlier_fingerprints = earlier_fingerprints or []

    @property
    def challenge(self):
        return vision.Timeline.from_dict(self.timeline) if self.timeline else self.actions


def name_matched_template(verdict: Verdict, work: VerificationWork) -> None:
    """vision reports the matched template by position; record which enrolled photo that is."""
    idx = verdict.scores.get("match_template")
    if isinstance(idx, int) and 0 <= idx < len(work.template_ids):
        verdict.scores["match_template_photo_id"] = work.template_ids[idx]
        verdict.scores["match_template_source"] = work.template_sources[idx]


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
    best_frame_template: bytes | None = None
    fingerprint: bytes | None = None


REUSED_VIDEO = RefusedVideo("fail", ["video_reused"], ["try_again"])
NOT_AUTHORIZED = RefusedVideo("fail", ["not_authorized"], [])  # binding or consent ended before the verdict


def load_for_verification(services, attempt_id: str) -> VerificationWork | None:
    """None when the attempt is already finished (a re-run of a completed job)."""
    with services.db.session() as session:
        attempt = session.get(Attempt, attempt_id)
        if attempt is None:
            raise FlowError("attempt_unknown")
        if attempt.status in FINISHED:
            return None
        challenge = get_row(session, Challenge, attempt.challenge_id)
        photos = active_templates(session, attempt.retiree_id)
        reused = session.scalar(select(Attempt.id).where(Attempt.video_sha256 == attempt.video_sha256,
                                                         Attempt.id != attempt.id).limit(1)) is not None
        fingerprints = session.scalars(
            select(Attempt.fingerprint).where(Attempt.retiree_id == attempt.retiree_id, Attempt.id != attempt.id,
                                              Attempt.fingerprint.is_not(None))
            .order_by(Attempt.created_at.desc()).limit(30))
        earlier = [fp for fp in fingerprints if fp is not None]
        templates = [p.template for p in photos if p.template is not None]  # active_templates has only these
        return VerificationWork(attempt.video_key, list(challenge.actions), templates, reused,
                                [p.id for p in photos], [p.source for p in photos], challenge.timeline, earlier)


def mark_running(services, attempt_id: str) -> None:
    with services.db.session() as session:
        session.execute(update(Attempt).where(Attempt.id == attempt_id, Attempt.status.in_(
            [AttemptStatus.queued, AttemptStatus.running, AttemptStatus.error])).values(
            status=AttemptStatus.running, started_at=utcnow(), runs=Attempt.runs + 1))


def record_verdict(services: Services, attempt_id: str, verdict: Verdict, now: dt.datetime,
                   policy: AttemptPolicy = AttemptPolicy()) -> str:
    """Write the verdict, on a pass the certification, and the message about it, in one transaction.

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
        attempt = get_row(session, Attempt, attempt_id, "attempt_unknown", with_for_update=True)
        if attempt.status in FINISHED:
            return attempt.status.value
        attempt.verdict = verdict.verdict
        attempt.reasons = list(verdict.reasons)
        if verdict.fingerprint:
            attempt.fingerprint = verdict.fingerprint
        attempt.advice = list(verdict.advice)
        attempt.scores = dict(verdict.scores)
        attempt.model_versions = dict(verdict.models)
        attempt.timings = dict(verdict.timings)
        attempt.best_frame_key = best_key
        attempt.finished_at = now
        effect = None
        refusal = _still_authorized(session, attempt, now)
        if refusal is not None:
            # The binding, the consent or the limits changed while the video was in the queue:
            # whatever vision says, nothing is certified for this user.
            log.warning("verdict refused: authorization gone", extra={"attempt_id": attempt_id, "code": refusal})
            attempt.status = AttemptStatus.failed
            attempt.verdict = "fail"
            attempt.reasons = list(NOT_AUTHORIZED.reasons)
            attempt.advice = list(NOT_AUTHORIZED.advice)
        elif verdict.verdict == "pass":
            attempt.status = AttemptStatus.passed
            retiree = get_row(session, Retiree, attempt.retiree_id)
            # A pass at 00:30 Beijing time on 1 January counts for the new year: the agency's day.
            local_day = clock.local_today(clock.zone_of(session.get(Agency, retiree.agency_id)), now)
            certification = Certification(retiree_id=retiree.id, method=CertificationMethod.face,
                                          certified_on=local_day, by_wechat_user_id=attempt.wechat_user_id,
                                          attempt_id=attempt.id)
            session.add(certification)
            effect = apply_pass(session, retiree, certification, local_day)
            refresh_after_pass(session, retiree.id, attempt.scores, verdict.best_frame_template,
                               best_key, None, attempt.id, local_day)
            if attempt.wechat_user_id:
                # A live face matched the enrolled photo at the pass threshold: that proves a claim of "self".
                confirm_self_by_face(session, attempt.wechat_user_id, retiree.id, attempt.id)
        elif verdict.verdict == "review":
            attempt.status = AttemptStatus.review
        else:
            attempt.status = AttemptStatus.failed
            session.flush()
            if needs_review(recent_verdicts(session, attempt.retiree_id, attempt.wechat_user_id), policy):
                attempt.status = AttemptStatus.review
                attempt.reasons = [*attempt.reasons, "repeated_failures"]
        if attempt.status == AttemptStatus.review:
            attempt.video_key = _hold_for_review(services, attempt.video_key)
        status = attempt.status.value
        openid, retiree_id = _notify_target(session, attempt)
        session.flush()
        notify_attempt_result(services, session, attempt_id, openid, retiree_id, status, effect, at=now)
    return status


def _still_authorized(session, attempt: Attempt, now: dt.datetime) -> str | None:
    """The refusal code if the attempt's user may no longer certify this retiree (None: still may)."""
    if attempt.wechat_user_id is None:
        return None  # recorded by staff
    try:
        check_may_certify(session, attempt.wechat_user_id, attempt.retiree_id, now.date())
        require_consent(session, attempt.wechat_user_id, attempt.retiree_id)
    except FlowError as exc:
        if exc.code == "self_pending_agency":
            return None  # the video is kept for a reviewer; it does not confirm the claim (no photo)
        return exc.code
    return None


def _hold_for_review(services, key: str | None) -> str | None:
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
