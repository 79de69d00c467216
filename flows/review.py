"""The review queue: attempts the machine could not decide, decided by a person.

A decision is per person, not per attempt: approving or rejecting closes every open
attempt of that person at once, and the user hears one answer (never "未通过" and a
minute later "认证通过" from two attempts decided apart). The machine's verdict stays
in ``Attempt.verdict``; the reviewer's decision goes to ``status``/``reviewed_by``,
so statistics can keep the two apart (flows.dashboard).

Approving records a ``manual_review`` certification through flows.cycles.apply_pass
(so a suspended pension resumes with back pay); rejecting sends the reviewer's
reason to whoever recorded the video. A conditional UPDATE on the attempt's
status makes two reviewers clicking at once decide it once.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import cast

from sqlalchemy import CursorResult, Update, func, select, update
from sqlalchemy.orm import Session

from flows import clock, get_row, notify, retention
from flows.cycles import apply_pass
from flows.face_templates import enrol_image
from storage import audit
from storage.models import (
    Attempt,
    AttemptStatus,
    Certification,
    CertificationMethod,
    EnrollmentPhoto,
    PensionStatus,
    Region,
    Retiree,
    WeChatUser,
    utcnow,
)
from storage.objects import ObjectStoreError
from wording import zh
from wording.zh import reason_text

log = logging.getLogger("lifecert.console")

OPEN = (AttemptStatus.review, AttemptStatus.failed)
REJECT_REASONS = zh.REJECT_REASONS
# The vision verdict's scores a reviewer can weigh, in the order they matter, with what the number means.
SCORE_LABELS = zh.SCORE_LABELS
ACTION_WORDS = zh.ACTIONS


def score_rows(scores: dict) -> list[tuple[str, str]]:
    """The scores a reviewer reads, labelled in Chinese and rounded; internals are left out."""
    rows = []
    for key, label in SCORE_LABELS.items():
        if key not in scores:
            continue
        value = scores[key]
        if key == "match_template_source":
            value = zh.TEMPLATE_SOURCES.get(str(value), str(value))
        elif key == "match_review_why" and isinstance(value, list):
            value = zh.LIST_SEP.join(zh.MATCH_REVIEW_WHY.get(v, str(v)) for v in value) or zh.NONE_WORD
        elif isinstance(value, list):
            value = zh.LIST_SEP.join(ACTION_WORDS.get(v, str(v)) for v in value) or zh.NONE_WORD
        elif isinstance(value, float):
            value = f"{value:.2f}"
        rows.append((label, str(value)))
    return rows


class ReviewError(Exception):
    """``code``: already_decided / stopped / not_found."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def queue(session: Session, agency_id: int, region_ids: list[int] | None, status: str = "review",
          limit: int = 200) -> list[dict]:
    """Open attempts of the viewer's retirees, one line per person (their latest attempt, with how many
    are open), oldest first (they have waited longest)."""
    query = (select(Attempt, Retiree.name, Retiree.id_number_masked, Region.name)
             .join(Retiree, Retiree.id == Attempt.retiree_id).outerjoin(Region, Region.id == Retiree.region_id)
             .where(Attempt.status == AttemptStatus(status), Retiree.agency_id == agency_id))
    if region_ids:
        query = query.where(Retiree.region_id.in_(region_ids))
    rows = session.execute(query.order_by(Attempt.created_at).limit(limit * 5)).all()
    people: dict[int, dict] = {}
    for a, name, masked, region in rows:
        line = people.get(a.retiree_id)
        if line is None:
            line = people[a.retiree_id] = {"created_at": a.created_at, "count": 0}
        line.update(id=a.id, name=name, id_masked=masked, region=region or "", reasons=reason_text(a.reasons or []),
                    scores=a.scores or {})  # the latest attempt is what the reviewer looks at
    if people:  # how many open attempts (either tab) one decision will close
        counts = dict(session.execute(select(Attempt.retiree_id, func.count()).where(
            Attempt.retiree_id.in_(list(people)), Attempt.status.in_(OPEN)).group_by(Attempt.retiree_id)).all())
        for retiree_id, line in people.items():
            line["count"] = counts.get(retiree_id, 1)
    return list(people.values())[:limit]


def load(session: Session, attempt_id: str, agency_id: int, region_ids: list[int] | None):
    """(attempt, retiree, photo) if the attempt is the viewer's to see, else ReviewError('not_found').
    The photo is the template the video matched best (``match_template_photo_id``), else the
    newest active one."""
    attempt = session.get(Attempt, attempt_id)
    retiree = session.get(Retiree, attempt.retiree_id) if attempt else None
    if attempt is None or retiree is None or retiree.agency_id != agency_id or (
            region_ids and retiree.region_id not in region_ids):
        raise ReviewError("not_found")
    matched_id = (attempt.scores or {}).get("match_template_photo_id")
    matched = session.get(EnrollmentPhoto, matched_id) if isinstance(matched_id, int) else None
    if matched is not None and matched.retiree_id == retiree.id:
        return attempt, retiree, matched
    photo = session.scalar(select(EnrollmentPhoto).where(EnrollmentPhoto.retiree_id == retiree.id,
                                                         EnrollmentPhoto.active.is_(True))
                           .order_by(EnrollmentPhoto.id.desc()).limit(1))
    return attempt, retiree, photo


def _rows_changed(session: Session, statement: Update) -> int:
    """Rows an UPDATE changed (its cursor's rowcount)."""
    return cast(CursorResult, session.execute(statement)).rowcount


def _decide(session: Session, attempt_id: str, status: AttemptStatus, admin_id: int, note: str) -> Attempt:
    """Decide ``attempt_id`` and, with it, every other open attempt of the same person."""
    changed = _rows_changed(session, update(Attempt).where(Attempt.id == attempt_id, Attempt.status.in_(OPEN)).values(
        status=status, reviewed_by=admin_id, review_note=note or None, finished_at=utcnow()))
    if not changed:
        raise ReviewError("already_decided")
    attempt = get_row(session, Attempt, attempt_id)
    others = _rows_changed(session, update(Attempt).where(Attempt.retiree_id == attempt.retiree_id, Attempt.id != attempt_id,
                                                   Attempt.status.in_(OPEN))
                             .values(status=status, reviewed_by=admin_id, finished_at=utcnow(),
                                     review_note=zh.REVIEW_CLOSED_WITH.format(attempt=attempt_id[:8])))
    if others:
        log.info("review closed the person's other attempts", extra={"attempt_id": attempt_id, "closed": others})
    return attempt


def _recorder_openid(session: Session, attempt: Attempt) -> str | None:
    """The person who recorded the video hears the answer; else whoever is bound to the retiree."""
    if attempt.wechat_user_id:
        openid = session.scalar(select(WeChatUser.oa_openid).where(WeChatUser.id == attempt.wechat_user_id))
        if openid:
            return openid
    return notify.openid_of(session, attempt.retiree_id)


def approve(services, attempt_id: str, admin_id: int, agency_id: int, region_ids: list[int] | None,
            note: str = "", today: dt.date | None = None):
    """Certify by manual review; returns the PassEffect (resume month and back pay, if suspended)."""
    with services.db.session() as session:
        today = today or clock.agency_today(session, agency_id)
        attempt, retiree, _photo = load(session, attempt_id, agency_id, region_ids)
        if retiree.pension_status == PensionStatus.stopped:
            raise ReviewError("stopped")
        attempt = _decide(session, attempt_id, AttemptStatus.passed, admin_id, note)
        certification = Certification(retiree_id=retiree.id, method=CertificationMethod.manual_review,
                                      certified_on=today, by_admin_id=admin_id, attempt_id=attempt.id,
                                      note=(note or None) and note[:200])
        session.add(certification)
        effect = apply_pass(session, retiree, certification, today)
        audit.record(session, "admin", "review.approve", actor_id=admin_id, target_kind="attempt",
                     target_id=attempt_id, retiree_id=retiree.id, certification_id=certification.id,
                     back_pay_months=effect.back_pay_months)
        enrol_best_frame(services, session, attempt, "review_approval", "admin", admin_id)
        openid, name, retiree_id = _recorder_openid(session, attempt), retiree.name, retiree.id
        if openid:  # the message is written with the decision, in the same transaction
            fields = notify.review_result_fields(name, True)
            notify.send_template(services, openid, "cert_result", fields, retiree_id=retiree_id,
                                 dedupe_key=f"review:{attempt_id}", session=session)
    retention.release_held(services, attempt_id)  # decided: the held video goes now
    log.info("review approved", extra={"attempt_id": attempt_id, "back_pay_months": effect.back_pay_months})
    return effect


def enrol_best_frame(services, session: Session, attempt: Attempt, source: str, actor_kind: str, actor_id) -> None:
    """A reviewer vouched for this certification: its best frame may become an extra template."""
    if not attempt.best_frame_key:
        return
    try:
        jpeg = services.objects.get_bytes(attempt.best_frame_key)
    except ObjectStoreError:
        log.warning("best frame unreadable; no template added", extra={"attempt_id": attempt.id})
        return
    enrol_image(services, session, attempt.retiree_id, jpeg, attempt.best_frame_key, source, actor_kind, actor_id,
                attempt.id)


def reject(services, attempt_id: str, admin_id: int, agency_id: int, region_ids: list[int] | None,
           reason: str, next_step: str = "") -> None:
    """Refuse the attempt and tell the user why (the reason is sent as written, at most 20 characters)."""
    reason = (reason or "").strip()[:20]
    if not reason:
        raise ReviewError("reason_required")
    with services.db.session() as session:
        attempt, retiree, _photo = load(session, attempt_id, agency_id, region_ids)
        attempt = _decide(session, attempt_id, AttemptStatus.rejected, admin_id, reason)
        audit.record(session, "admin", "review.reject", actor_id=admin_id, target_kind="attempt",
                     target_id=attempt_id, retiree_id=retiree.id)
        openid, name, retiree_id = _recorder_openid(session, attempt), retiree.name, retiree.id
        if openid:
            fields = notify.review_result_fields(name, False, reason, next_step)
            notify.send_template(services, openid, "cert_result", fields, retiree_id=retiree_id,
                                 dedupe_key=f"review:{attempt_id}", session=session)
    retention.release_held(services, attempt_id)  # decided: the held video goes now
    log.info("review rejected", extra={"attempt_id": attempt_id})
