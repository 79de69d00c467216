"""Where every retiree of an agency stands today, computed in SQL for whole rosters.

The rules are certification.cycle's; they are pure and take one retiree at a
time. The dashboard, the reminder segments and the daily cycle run need the
answer for a million people at once, so this module turns the rules into a few
date bounds per agency and one SQL ``CASE`` over the latest certification. The
tests check it agrees with :func:`certification.cycle.status_of` retiree by
retiree.

One addition to the pure rules: a retiree with no certification on record is
treated as certified for the cycle *before* the one they were enrolled in
(``created_at``). The roster import brings in people who are being paid today,
so the previous cycle is settled; whether they have certified this cycle is
unknown, so they are due. Without it, the first daily run after an import
would suspend the whole roster. Someone enrolled in an earlier cycle who never
certified since is overdue as usual.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import Select, case, extract, func, literal, or_, select
from sqlalchemy.orm import Session

from certification import cycle
from storage.models import Certification, CertificationMethod, PensionStatus, Retiree
from wording import zh

# Codes. "lapsed": active, and the previous cycle's suspension date has passed without a
# certification — the daily run suspends them. "overdue": the current deadline has passed,
# the suspension date not yet (a window policy in November). Both show as overdue (逾期).
CERTIFIED, DUE, OVERDUE, LAPSED, SUSPENDED, STOPPED = "certified", "due", "overdue", "lapsed", "suspended", "stopped"
CODES = (CERTIFIED, DUE, OVERDUE, LAPSED, SUSPENDED, STOPPED)
LABELS = {code: zh.STANDING[code] for code in CODES}


@dataclasses.dataclass(frozen=True)
class Bounds:
    """The dates that decide everyone's standing on ``today`` under one policy."""

    today: dt.date
    cycle_year: int
    previous_start: dt.date  # start of the previous cycle: certified on/after → not lapsed
    current_start: dt.date  # start of the current cycle: certified on/after → certified
    deadline: dt.date  # last day to certify for the current cycle
    due_first: dt.date  # the current cycle's due period (reminder months)
    birthday_month: bool
    data_comparison_counts: bool

    @property
    def days_to_deadline(self) -> int:
        return (self.deadline - self.today).days

    @property
    def in_due_period(self) -> bool:
        """Whether this month touches the due period: then everyone due is reminded, not only by birthday."""
        month_first = self.today.replace(day=1)
        next_month = (month_first + dt.timedelta(days=32)).replace(day=1)
        return month_first <= self.deadline and next_month > self.due_first


def bounds_for(policy: cycle.CyclePolicy, today: dt.date) -> Bounds:
    year = cycle.cycle_year_of(policy, today)
    deadline = cycle.deadline_for(policy, year)
    if policy.kind == "window":
        assert policy.window_start is not None  # CyclePolicy refuses a window without a start
        due_first = dt.date(year, *policy.window_start)
    else:
        due_first = deadline.replace(day=1)
    return Bounds(today=today, cycle_year=year, previous_start=cycle.cycle_start(policy, year - 1),
                  current_start=cycle.cycle_start(policy, year), deadline=deadline, due_first=due_first,
                  birthday_month=policy.recommend_birthday_month,
                  data_comparison_counts=policy.data_comparison_counts)


def latest_certification(bounds: Bounds):
    """Subquery: each retiree's latest certification that counts under the policy."""
    query = select(Certification.retiree_id.label("retiree_id"),
                   func.max(Certification.certified_on).label("last_on"))
    if not bounds.data_comparison_counts:
        query = query.where(Certification.method != CertificationMethod.data_comparison)
    return query.group_by(Certification.retiree_id).subquery("latest")


def _utc_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.timezone.utc)


def code_column(bounds: Bounds, latest):
    """A SQL expression giving each retiree's code (see CODES); ``latest`` from :func:`latest_certification`."""
    baseline = case((Retiree.created_at >= _utc_midnight(bounds.current_start), literal(bounds.previous_start)),
                    else_=None)
    last = func.coalesce(latest.c.last_on, baseline)
    return case(
        (Retiree.pension_status == PensionStatus.stopped, literal(STOPPED)),
        (Retiree.pension_status == PensionStatus.suspended, literal(SUSPENDED)),
        (or_(last.is_(None), last < bounds.previous_start), literal(LAPSED)),
        (last >= bounds.current_start, literal(CERTIFIED)),
        (literal(bounds.today <= bounds.deadline), literal(DUE)),
        else_=literal(OVERDUE),
    )


def scoped(query: Select, agency_id: int, region_ids: list[int] | None) -> Select:
    """Limit a query on Retiree to an agency and, where given, some of its regions."""
    query = query.where(Retiree.agency_id == agency_id)
    if region_ids:
        query = query.where(Retiree.region_id.in_(region_ids))
    return query


def standing_query(bounds: Bounds, agency_id: int, region_ids: list[int] | None = None, *columns) -> Select:
    """``SELECT <columns>, code`` over an agency's retirees, joined to their latest certification."""
    latest = latest_certification(bounds)
    code = code_column(bounds, latest).label("code")
    query = select(*columns, code).select_from(Retiree).outerjoin(latest, latest.c.retiree_id == Retiree.id)
    return scoped(query, agency_id, region_ids)


def birthday_filter(bounds: Bounds):
    """Who is reminded this month among the due: everyone in the due period, else those born this month."""
    if bounds.in_due_period:
        return literal(True)
    if bounds.birthday_month:
        return extract("month", Retiree.birth_date) == bounds.today.month
    return literal(False)


def counts_by_region(session: Session, bounds: Bounds, agency_id: int,
                     region_ids: list[int] | None = None) -> dict[int | None, dict[str, int]]:
    """{region_id: {code: count}} for the dashboard."""
    inner = standing_query(bounds, agency_id, region_ids, Retiree.region_id.label("region_id")).subquery()
    rows = session.execute(select(inner.c.region_id, inner.c.code, func.count())
                           .group_by(inner.c.region_id, inner.c.code)).all()
    result: dict[int | None, dict[str, int]] = {}
    for region_id, code, count in rows:
        result.setdefault(region_id, dict.fromkeys(CODES, 0))[code] = count
    return result


def code_of(state: cycle.RetireeState, policy: cycle.CyclePolicy, today: dt.date) -> str:
    """The same code from the pure rules, for one retiree (tests, and single-person pages)."""
    if cycle.to_suspend_today(state, policy, today):
        return LAPSED
    status = cycle.status_of(state, policy, today)
    return {cycle.StatusCode.CERTIFIED: CERTIFIED, cycle.StatusCode.DUE: DUE, cycle.StatusCode.OVERDUE: OVERDUE,
            cycle.StatusCode.SUSPENDED: SUSPENDED, cycle.StatusCode.IN_PERSON_REQUIRED: SUSPENDED,
            cycle.StatusCode.STOPPED: STOPPED}[status.code]

