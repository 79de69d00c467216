"""The figures on the dashboard: standing by region, certifications by month, pass rate, failure reasons."""

from __future__ import annotations

import collections
import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows import standing
from flows.cycles import policy_of
from storage.models import Agency, Attempt, AttemptStatus, Certification, CertificationMethod, Region, Retiree
from wording import zh
from wording.zh import REASONS

DECIDED = (AttemptStatus.passed, AttemptStatus.failed, AttemptStatus.review, AttemptStatus.rejected)
MACHINE_VERDICTS = ("pass", "fail", "review")


def _month(session: Session, column):
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m", column)
    return func.to_char(column, "YYYY-MM")


def last_months(today: dt.date, n: int = 12) -> list[str]:
    year, month, out = today.year, today.month, []
    for _ in range(n):
        out.append(f"{year}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(out))


def figures(session: Session, agency: Agency, region_ids: list[int] | None, today: dt.date) -> dict:
    bounds = standing.bounds_for(policy_of(agency), today)
    by_region = standing.counts_by_region(session, bounds, agency.id, region_ids)
    names: dict[int | None, str] = dict(session.execute(select(Region.id, Region.name).where(Region.agency_id == agency.id)).all())
    regions = sorted(by_region, key=lambda r: names.get(r, "~"))
    totals = dict.fromkeys(standing.CODES, 0)
    for counts in by_region.values():
        for code, count in counts.items():
            totals[code] += count

    months = last_months(today)
    month = _month(session, Certification.certified_on)
    cert_q = (select(month, Certification.method == CertificationMethod.face, func.count())
              .join(Retiree, Retiree.id == Certification.retiree_id)
              .where(Retiree.agency_id == agency.id, Certification.certified_on >= dt.date.fromisoformat(months[0] + "-01")))
    att_month = _month(session, Attempt.created_at)
    # the machine's verdict, never the reviewer's decision: approving a case does not raise the pass rate
    att_q = (select(att_month, Attempt.verdict, func.count()).join(Retiree, Retiree.id == Attempt.retiree_id)
             .where(Retiree.agency_id == agency.id, Attempt.verdict.in_(MACHINE_VERDICTS),
                    Attempt.created_at >= dt.datetime.fromisoformat(months[0] + "-01T00:00:00+00:00")))
    reasons_q = (select(Attempt.reasons).join(Retiree, Retiree.id == Attempt.retiree_id)
                 .where(Retiree.agency_id == agency.id,
                        Attempt.status.in_([AttemptStatus.failed, AttemptStatus.review, AttemptStatus.rejected]),
                        Attempt.created_at >= dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=90))
                 .order_by(Attempt.created_at.desc()).limit(20000))
    if region_ids:
        cert_q, att_q, reasons_q = (q.where(Retiree.region_id.in_(region_ids)) for q in (cert_q, att_q, reasons_q))
    face = dict.fromkeys(months, 0)
    other = dict.fromkeys(months, 0)
    for m, is_face, count in session.execute(cert_q.group_by(month, Certification.method == CertificationMethod.face)):
        if m in face:
            (face if is_face else other)[m] += count
    passed = dict.fromkeys(months, 0)
    decided = dict.fromkeys(months, 0)
    for m, verdict, count in session.execute(att_q.group_by(att_month, Attempt.verdict)):
        if m in decided:
            decided[m] += count
            if verdict == "pass":
                passed[m] += count
    review_q = (select(Attempt.status, func.count()).join(Retiree, Retiree.id == Attempt.retiree_id)
                .where(Retiree.agency_id == agency.id, Attempt.reviewed_by.is_not(None),
                       Attempt.finished_at >= dt.datetime.fromisoformat(months[0] + "-01T00:00:00+00:00")))
    if region_ids:
        review_q = review_q.where(Retiree.region_id.in_(region_ids))
    reviewed = {status.value if hasattr(status, "value") else status: count
                for status, count in session.execute(review_q.group_by(Attempt.status))}
    reasons = collections.Counter(code for row in session.scalars(reasons_q) for code in (row or []))
    total_decided, total_passed = sum(decided.values()), sum(passed.values())
    return {
        "bounds": bounds,
        "totals": totals,
        "regions": [names.get(r, zh.NO_REGION) for r in regions],
        "by_region": [by_region[r] for r in regions],
        "months": months,
        "face_by_month": [face[m] for m in months],
        "other_by_month": [other[m] for m in months],
        "pass_rate_by_month": [round(passed[m] * 100 / decided[m]) if decided[m] else 0 for m in months],
        "pass_rate": round(total_passed * 100 / total_decided, 1) if total_decided else None,
        "attempts": total_decided,
        "review_approved": reviewed.get("passed", 0),
        "review_rejected": reviewed.get("rejected", 0),
        "reasons": [(REASONS.get(code, code), count) for code, count in reasons.most_common(8)],
    }
