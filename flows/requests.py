"""Requests a retiree or family member makes through the menu, for the agency to act on.

* a home visit (老人行动不便，请上门认证), which staff schedule and carry out;
* a death report, which staff confirm (payment stops) or reject.

Only someone bound to the retiree may ask; asking twice while a request is open
returns the open one instead of adding another.

A home visit carries whom to call and when the family is at home; the user sees
the date staff set (:func:`requests_of`). A death report carries the date of
death, how the reporter is related, and optionally a photo of the certificate;
:func:`overpaid_months` is what the payment export shows once staff confirm it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from certification.phone import InvalidPhoneNumber, mask_phone, validate_phone
from flows import FlowError, clock
from storage import audit
from storage.models import Binding, PensionStatus, Retiree, ServiceRequest, WeChatUser

log = logging.getLogger("lifecert.flows.requests")

HOME_VISIT = "home_visit"
DEATH_REPORT = "death_report"
OPEN_STATUSES = ("open", "scheduled")
# When a family can be at home for a visit (keys; wording.zh words them).
VISIT_TIMES = ("weekday_morning", "weekday_afternoon", "weekend", "any")
# How the reporter of a death is related to the deceased (keys; wording.zh words them).
RELATIONS = ("child", "spouse", "sibling", "grandchild", "other_relative", "neighbour_or_staff")
CERTIFICATE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
CERTIFICATE_MAX_BYTES = 8 * 1024 * 1024


def _file(session: Session, wechat_user: WeChatUser, retiree_id: int, kind: str, note: str | None,
          **details) -> ServiceRequest:
    bound = session.scalar(select(Binding.id).where(Binding.wechat_user_id == wechat_user.id,
                                                    Binding.retiree_id == retiree_id,
                                                    Binding.revoked_at.is_(None)).limit(1))
    if bound is None:
        raise FlowError("not_bound")
    retiree = session.get(Retiree, retiree_id)
    if retiree is None:
        raise FlowError("not_bound")
    if retiree.pension_status == PensionStatus.stopped:
        raise FlowError("stopped")
    existing = session.scalar(select(ServiceRequest).where(ServiceRequest.retiree_id == retiree_id,
                                                           ServiceRequest.kind == kind,
                                                           ServiceRequest.status.in_(OPEN_STATUSES)))
    if existing is not None:
        return existing
    request = ServiceRequest(kind=kind, retiree_id=retiree_id, wechat_user_id=wechat_user.id,
                             note=(note or "").strip()[:500] or None, status="open", **details)
    session.add(request)
    session.flush()
    audit.record(session, "wechat", f"request.{kind}", actor_id=wechat_user.id, target_kind="service_request",
                 target_id=request.id, retiree_id=retiree_id)
    log.info("service request filed", extra={"request_id": request.id, "kind": kind})
    return request


def request_home_visit(session: Session, wechat_user: WeChatUser, retiree_id: int, note: str | None = None,
                       phone: str | None = None, times: list[str] | tuple[str, ...] = (),
                       cipher=None) -> ServiceRequest:
    """Ask the agency to certify ``retiree_id`` at home.

    ``phone`` (whom staff call to arrange it) is validated and stored encrypted when a
    ``cipher`` is given; ``times`` are keys of VISIT_TIMES. Raises FlowError
    'not_bound' / 'stopped' / 'bad_phone' / 'bad_times'.
    """
    details: dict = {}
    if phone is not None or cipher is not None:
        try:
            number = validate_phone(phone or "")
        except InvalidPhoneNumber as exc:
            raise FlowError("bad_phone") from exc
        details["contact_phone_masked"] = mask_phone(number)
        if cipher is not None:
            details["contact_phone_enc"] = cipher.encrypt(number, b"phone")
    chosen = [t for t in VISIT_TIMES if t in set(times or ())]
    if set(times or ()) - set(VISIT_TIMES):
        raise FlowError("bad_times")
    if chosen:
        details["preferred_times"] = ",".join(chosen)
    return _file(session, wechat_user, retiree_id, HOME_VISIT, note, **details)


def report_death(session: Session, wechat_user: WeChatUser, retiree_id: int, note: str | None = None,
                 died_on: dt.date | None = None, relation: str | None = None, certificate_key: str | None = None,
                 today: dt.date | None = None) -> ServiceRequest:
    """Report that ``retiree_id`` has died; the agency confirms before payment stops.

    ``died_on`` may not be in the future nor before the person was born (FlowError
    'bad_death_date'); ``relation`` is a key of RELATIONS ('bad_relation').
    """
    details: dict = {}
    if died_on is not None:
        retiree = session.get(Retiree, retiree_id)
        if died_on > (today or clock.local_today()) or (retiree is not None and died_on < retiree.birth_date):
            raise FlowError("bad_death_date")
        details["died_on"] = died_on
    if relation is not None:
        if relation not in RELATIONS:
            raise FlowError("bad_relation")
        details["reporter_relation"] = relation
    if certificate_key:
        details["certificate_key"] = certificate_key
    return _file(session, wechat_user, retiree_id, DEATH_REPORT, note, **details)


def store_certificate(services, retiree_id: int, data: bytes, content_type: str) -> str:
    """Put a photo of a death certificate in the object store; its key, or FlowError('certificate_type'/'certificate_size')."""
    ext = CERTIFICATE_TYPES.get((content_type or "").split(";")[0].strip().lower())
    if ext is None:
        raise FlowError("certificate_type")
    if not data or len(data) > CERTIFICATE_MAX_BYTES:
        raise FlowError("certificate_size")
    key = f"certificates/{retiree_id}/{uuid.uuid4().hex}.{ext}"
    services.objects.put_bytes(key, data, content_type=content_type)
    return key


@dataclasses.dataclass(frozen=True)
class RequestView:
    """One request as its filer sees it: what, for whom, and where it stands (the agency's schedule)."""

    id: int
    kind: str
    retiree_id: int
    name: str
    status: str
    scheduled_for: dt.date | None
    preferred_times: list[str]
    contact_phone_masked: str | None
    died_on: dt.date | None
    created_at: dt.datetime


def requests_of(session: Session, wechat_user: WeChatUser, kind: str | None = None,
                limit: int = 20) -> list[RequestView]:
    """Requests for the people this user is bound to (whoever filed them), newest first."""
    retiree_ids = select(Binding.retiree_id).where(Binding.wechat_user_id == wechat_user.id,
                                                   Binding.revoked_at.is_(None))
    query = (select(ServiceRequest, Retiree.name).join(Retiree, Retiree.id == ServiceRequest.retiree_id)
             .where(ServiceRequest.retiree_id.in_(retiree_ids)))
    if kind:
        query = query.where(ServiceRequest.kind == kind)
    rows = session.execute(query.order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc()).limit(limit)).all()
    return [RequestView(r.id, r.kind, r.retiree_id, name, r.status, r.scheduled_for,
                        [t for t in (r.preferred_times or "").split(",") if t], r.contact_phone_masked, r.died_on,
                        r.created_at) for r, name in rows]


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def payment_stop_month(died_on: dt.date) -> dt.date:
    """Pension is paid for the month of death; it stops from the first day of the next month."""
    return _next_month(died_on)


def overpaid_months(died_on: dt.date, confirmed_on: dt.date, suspended_since: dt.date | None = None) -> list[str]:
    """Months ('YYYY-MM') paid after death: from the month after death through the month of confirmation,
    leaving out months while the pension was already suspended (nothing was paid then)."""
    months, month = [], payment_stop_month(died_on)
    last = _month_start(confirmed_on)
    while month <= last:
        if suspended_since is None or month < _month_start(suspended_since):
            months.append(f"{month.year}-{month.month:02d}")
        month = _next_month(month)
    return months
