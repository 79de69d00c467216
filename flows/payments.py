"""Exports for the payment system: who was suspended, resumed or stopped, and the months to back-pay.

The audit log is the record: the daily cycle run writes ``retiree.suspend``,
flows.cycles.apply_pass (and the run's catch-up) ``retiree.resume``, a confirmed
death report ``retiree.stop``. The payment office imports the file monthly; it
identifies people by 社保编号 and sees masked ID numbers only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows import clock
from storage.models import Agency, AuditLog, Region, Retiree
from wording import zh

ACTIONS = zh.PAYMENT_ACTIONS
HEADER = zh.PAYMENT_HEADER


def _months_before(first_of_resume: dt.date, count: int) -> list[str]:
    months, year, month = [], first_of_resume.year, first_of_resume.month
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append(f"{year}-{month:02d}")
    return list(reversed(months))


def payment_changes(session: Session, agency_id: int, start: dt.date, end: dt.date,
                    scope: list[int] | None = None) -> list[list]:
    """Rows (HEADER order) of changes recorded from ``start`` to ``end`` inclusive, oldest first.

    ``scope``: region ids the viewer may see (None: the whole agency). The days are the agency's
    (Beijing time): a change at 00:30 on the 1st belongs to the 1st.
    """
    zone = clock.zone_of(session.get(Agency, agency_id))
    since = clock.day_start(zone, start)
    until = clock.day_start(zone, end + dt.timedelta(days=1))
    entries = session.execute(select(AuditLog.action, AuditLog.target_id, AuditLog.detail, AuditLog.at).where(
        AuditLog.action.in_(list(ACTIONS)), AuditLog.target_kind == "retiree", AuditLog.at >= since,
        AuditLog.at < until).order_by(AuditLog.id)).all()
    ids = {int(e.target_id) for e in entries}
    query = (select(Retiree, Region.name).outerjoin(Region, Region.id == Retiree.region_id)
             .where(Retiree.id.in_(ids), Retiree.agency_id == agency_id))
    if scope:
        query = query.where(Retiree.region_id.in_(scope))
    people = {r.id: (r, region) for r, region in session.execute(query).all()} if ids else {}
    rows = []
    for action, target_id, detail, at in entries:
        if int(target_id) not in people:
            continue
        retiree, region = people[int(target_id)]
        months: list[str] = []
        overpaid: list[str] = []
        if action == "retiree.suspend":
            effective = detail.get("since", "")
        elif action == "retiree.resume":
            effective = detail.get("resume_month", "")
            if effective:
                months = _months_before(dt.date.fromisoformat(effective), int(detail.get("back_pay_months") or 0))
        else:
            effective = detail.get("effective_on", "")
            overpaid = list(detail.get("overpaid_months") or [])  # paid after death: to recover
        rows.append([ACTIONS[action], retiree.name, retiree.ss_number or "", retiree.id_number_masked, region or "",
                     effective, len(months), ",".join(months), clock.local_now(zone, at).strftime("%Y-%m-%d %H:%M"),
                     len(overpaid), ",".join(overpaid)])
    return rows


def _cell(value):
    """A text cell Excel would run as a formula (=, +, -, @, tab, CR first) is prefixed with ' to stay text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(rows: list[list]) -> bytes:
    """UTF-8 with a BOM: what Excel on Chinese Windows opens without garbling."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = zh.PAYMENT_SHEET
    ws.append(HEADER)
    for row in rows:
        ws.append([_cell(v) for v in row])
    for column, width in zip("ABCDEFGHIJK", (10, 10, 16, 20, 12, 12, 10, 40, 18, 10, 40)):
        ws.column_dimensions[column].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
