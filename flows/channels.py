"""Certifications made other ways than the face check, and the requests users send from the menu.

* on site (现场), home visit (上门), by mail (邮寄): one person at a time, by staff;
* data comparison (数据比对): a CSV of ID numbers from the agency's other data
  (hospital, civil affairs, medical insurance use) marks many people at once;
* home-visit requests are scheduled and done (done = a home-visit certification);
* death reports are confirmed (payment stops: status ``stopped``) or rejected.

Every certification goes through flows.cycles.apply_pass, so a suspended pension
resumes the same way whichever channel the proof of life came from.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session
from typing_extensions import TypeIs

from certification.idnumber import InvalidIdNumber, validate_id_number
from flows import clock
from flows.cycles import apply_pass, policy_of
from flows.face_templates import enrol_image
from flows.personal_keys import find_retiree_by_id_number
from flows.requests import overpaid_months, payment_stop_month
from storage import audit
from storage.models import (
    Agency,
    Certification,
    CertificationMethod,
    PensionStatus,
    Retiree,
    ServiceRequest,
    utcnow,
)
from storage.personal_data import FieldCipher
from wording import zh
from wording.zh import METHODS

log = logging.getLogger("lifecert.console")

METHOD_LABELS = METHODS
STAFF_METHODS = ("on_site", "home_visit", "by_mail")
#: Certifications where staff saw the person: method -> template source (certification.templates).
SUPERVISED_METHODS = {"on_site": "onsite", "home_visit": "home_visit"}
REQUEST_LABELS = zh.REQUEST_KINDS
REQUEST_STATUS_LABELS = zh.REQUEST_STATUS


class ChannelError(Exception):
    """``code``: stopped / bad_method / future_date / not_found / bad_state / no_id_column."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def in_scope(retiree: Retiree | None, agency_id: int, region_ids: list[int] | None) -> TypeIs[Retiree]:
    return retiree is not None and retiree.agency_id == agency_id and (not region_ids or retiree.region_id in region_ids)


def record_certification(session: Session, retiree: Retiree, method: str, certified_on: dt.date, admin_id: int,
                         note: str | None = None, today: dt.date | None = None, photo: bytes | None = None,
                         services=None):
    """Record one certification and apply it to payment; returns (certification, PassEffect).

    The same person, method and day recorded twice (a double click) is recorded once. An
    on-site or home-visit certification may bring the photo staff took of the person
    (``photo`` + ``services``): it becomes an extra face template when it passes the
    enrollment checks (flows.face_templates; the agency photo stays the anchor).
    """
    today = today or clock.agency_today(session, retiree.agency_id)
    if method not in METHOD_LABELS or method in ("face", "manual_review"):
        raise ChannelError("bad_method")
    if certified_on > today:
        raise ChannelError("future_date")
    if retiree.pension_status == PensionStatus.stopped:
        raise ChannelError("stopped")
    existing = session.scalar(select(Certification).where(
        Certification.retiree_id == retiree.id, Certification.method == CertificationMethod(method),
        Certification.certified_on == certified_on))
    if existing is not None:
        return existing, None
    certification = Certification(retiree_id=retiree.id, method=CertificationMethod(method),
                                  certified_on=certified_on, by_admin_id=admin_id, note=(note or "")[:200] or None)
    session.add(certification)
    effect = apply_pass(session, retiree, certification, certified_on)
    audit.record(session, "admin", "certification.record", actor_id=admin_id, target_kind="retiree",
                 target_id=retiree.id, method=method, certification_id=certification.id,
                 back_pay_months=effect.back_pay_months)
    if photo and services is not None and method in SUPERVISED_METHODS:
        key = f"photos/{retiree.id}/{method}-{certified_on:%Y%m%d}-{certification.id}.jpg"
        services.objects.put_bytes(key, photo, "image/jpeg")
        enrol_image(services, session, retiree.id, photo, key, SUPERVISED_METHODS[method], "admin", admin_id,
                    f"certification:{certification.id}")
    return certification, effect


@dataclasses.dataclass
class ComparisonReport:
    recorded: int = 0
    already: int = 0
    not_found: int = 0
    bad: list[int] = dataclasses.field(default_factory=list)  # line numbers
    counts_for_cycle: bool = True


def _id_cells(data: bytes) -> list[tuple[int, str]]:
    """(line, ID cell) from a CSV: the 身份证号 column if there is a header, else each line's first cell."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ChannelError("bad_encoding")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    column, start = 0, 1
    header = [c.strip() for c in rows[0]]
    for i, cell in enumerate(header):
        if cell in zh.ID_COLUMN_HEADERS:
            column = i
            break
    else:
        start = 0  # no header: every line is data
    return [(line, row[column].strip()) for line, row in enumerate(rows[start:], start=start + 1)
            if len(row) > column and row[column].strip()]


def record_data_comparison(session: Session, cipher: FieldCipher, agency: Agency, region_ids: list[int] | None,
                           data: bytes, certified_on: dt.date, admin_id: int) -> ComparisonReport:
    """Mark everyone whose ID number is in the CSV as certified by data comparison on ``certified_on``."""
    report = ComparisonReport(counts_for_cycle=policy_of(agency).data_comparison_counts)
    for line, cell in _id_cells(data):
        try:
            number = validate_id_number(cell, today=certified_on).number
        except InvalidIdNumber:
            report.bad.append(line)
            continue
        retiree = find_retiree_by_id_number(session, cipher, number)
        if not in_scope(retiree, agency.id, region_ids) or retiree.pension_status == PensionStatus.stopped:
            report.not_found += 1
            continue
        _cert, effect = record_certification(session, retiree, "data_comparison", certified_on, admin_id,
                                             note=zh.NOTE_DATA_COMPARISON, today=certified_on)
        if effect is None:
            report.already += 1
        else:
            report.recorded += 1
    audit.record(session, "admin", "certification.data_comparison", actor_id=admin_id, target_kind="agency",
                 target_id=agency.id, recorded=report.recorded, already=report.already, not_found=report.not_found,
                 bad=len(report.bad))
    return report


# --- requests from the menu ------------------------------------------------------


def requests_list(session: Session, agency_id: int, region_ids: list[int] | None, kind: str,
                  statuses: tuple[str, ...] = ("open", "scheduled")) -> list[tuple[ServiceRequest, Retiree]]:
    query = (select(ServiceRequest, Retiree).join(Retiree, Retiree.id == ServiceRequest.retiree_id)
             .where(ServiceRequest.kind == kind, ServiceRequest.status.in_(statuses), Retiree.agency_id == agency_id))
    if region_ids:
        query = query.where(Retiree.region_id.in_(region_ids))
    return list(session.execute(query.order_by(ServiceRequest.scheduled_for.is_(None), ServiceRequest.scheduled_for,
                                               ServiceRequest.created_at)).all())


def handle_request(session: Session, request_id: int, action: str, admin_id: int, agency_id: int,
                   region_ids: list[int] | None, when: dt.date | None = None, note: str | None = None,
                   today: dt.date | None = None) -> ServiceRequest:
    """schedule / done / cancel a home visit; confirm / reject a death report."""
    today = today or clock.agency_today(session, agency_id)
    request = session.get(ServiceRequest, request_id)
    retiree = session.get(Retiree, request.retiree_id) if request else None
    if request is None or not in_scope(retiree, agency_id, region_ids):
        raise ChannelError("not_found")
    moves: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
        "home_visit": {"schedule": (("open", "scheduled"), "scheduled"), "done": (("open", "scheduled"), "done"),
                       "cancel": (("open", "scheduled"), "cancelled")},
        "death_report": {"confirm": (("open",), "confirmed"), "reject": (("open",), "rejected")},
    }
    if action not in moves.get(request.kind, {}) or request.status not in moves[request.kind][action][0]:
        raise ChannelError("bad_state")
    if action == "schedule":
        if when is None or when < today:
            raise ChannelError("bad_date")
        request.scheduled_for = when
    if action == "done":
        record_certification(session, retiree, "home_visit", when or today, admin_id, note=zh.NOTE_HOME_VISIT, today=today)
    if action == "confirm":
        died_on = request.died_on or when
        detail: dict = {"effective_on": (when or today).isoformat()}
        if died_on is not None:
            # paid for the month of death; stopped from the next; what went out after is overpaid
            overpaid = overpaid_months(died_on, today, retiree.suspended_since
                                       if retiree.pension_status == PensionStatus.suspended else None)
            detail = {"died_on": died_on.isoformat(), "effective_on": payment_stop_month(died_on).isoformat(),
                      "overpaid_months": overpaid}
            retiree.died_on = died_on
        retiree.pension_status = PensionStatus.stopped
        retiree.stopped_reason = "death"
        audit.record(session, "admin", "retiree.stop", actor_id=admin_id, target_kind="retiree", target_id=retiree.id,
                     reason="death", request_id=request.id, **detail)
    request.status = moves[request.kind][action][1]
    request.handled_by = admin_id
    request.handled_at = utcnow()
    request.handle_note = (note or "")[:200] or request.handle_note
    audit.record(session, "admin", f"request.{action}", actor_id=admin_id, target_kind="service_request",
                 target_id=request.id, kind=request.kind)
    return request
