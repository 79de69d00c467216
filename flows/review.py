"""The review queue: attempts the machine could not decide, decided by a person.

Approving records a ``manual_review`` certification through flows.cycles.apply_pass
(so a suspended pension resumes with back pay); rejecting sends the reviewer's
reason to whoever recorded the video. A conditional UPDATE on the attempt's
status makes two reviewers clicking at once decide it once.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flows import notify
from flows.cycles import apply_pass
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
        if isinstance(value, list):
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
    """Open attempts of the viewer's retirees, oldest first (they have waited longest)."""
    query = (select(Attempt, Retiree.name, Retiree.id_number_masked, Region.name)
             .join(Retiree, Retiree.id == Attempt.retiree_id).outerjoin(Region, Region.id == Retiree.region_id)
             .where(Attempt.status == AttemptStatus(status), Retiree.agency_id == agency_id))
    if region_ids:
        query = query.where(Retiree.region_id.in_(region_ids))
    rows = session.execute(query.order_by(Attempt.created_at).limit(limit)).all()
    return [{"id": a.id, "name": name, "id_masked": masked, "region": region or "", "created_at": a.created_at,
             "reasons": reason_text(a.reasons or []), "scores": a.scores or {}} for a, name, masked, region in rows]


def load(session: Session, attempt_id: str, agency_id: int, region_ids: list[int] | None):
    """(attempt, retiree, active photo) if the attempt is the viewer's to see, else ReviewError('not_found')."""
    attempt = session.get(Attempt, attempt_id)
    retiree = session.get(Retiree, attempt.retiree_id) if attempt else None
    if retiree is None or retiree.agency_id != agency_id or (region_ids and retiree.region_id not in region_ids):
        raise ReviewError("not_found")
    photo = session.scalar(select(EnrollmentPhoto).where(EnrollmentPhoto.retiree_id == retiree.id,
                                                         EnrollmentPhoto.active.is_(True))
                           .order_by(EnrollmentPhoto.id.desc()).limit(1))
    return attempt, retiree, photo


def _decide(session: Session, attempt_id: str, status: AttemptStatus, admin_id: int, note: str) -> Attempt:
    changed = session.execute(update(Attempt).where(Attempt.id == attempt_id, Attempt.status.in_(OPEN)).values(
        status=status, reviewed_by=admin_id, review_note=note or None, finished_at=utcnow())).rowcount
    if not changed:
        raise ReviewError("already_decided")
    return session.get(Attempt, attempt_id)


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
    today = today or dt.date.today()
    with services.db.session() as session:
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
        openid, name, retiree_id = _recorder_openid(session, attempt), retiree.name, retiree.id
    if openid:
        fields = notify.review_result_fields(name, True)
        notify.send_template(services, openid, "cert_result", fields, retiree_id=retiree_id,
                              dedupe_key=f"review:{attempt_id}")
    log.info("review approved", extra={"attempt_id": attempt_id, "back_pay_months": effect.back_pay_months})
    return effect


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
                              dedupe_key=f"review:{attempt_id}")
    log.info("review rejected", extra={"attempt_id": attempt_id})
