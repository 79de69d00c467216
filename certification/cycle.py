"""The yearly certification cycle: who is certified, due, overdue, to be suspended.

Every agency runs the same idea with its own dates, so the dates are data
(:class:`CyclePolicy`, stored per agency by the integrator), never constants.
Two shapes exist:

* ``annual_deadline`` — certify once a year by a deadline (Harbin: by Dec 31,
  recommended in the birthday month; suspended from Jan 1 of the next year).
* ``window`` — certify during a yearly window (Shijiazhuang: Aug 15 – Oct 31;
  suspended from Dec 1).

Conventions (all functions below follow them):

**Cycle and cycle year.** The *suspension date* of cycle ``Y`` is the first
``suspend_on`` day strictly after cycle ``Y``'s deadline (the deadline of a
window policy is the window's last day). Cycle ``Y`` is the half-open period
``[suspension date of Y-1, suspension date of Y)``, and it is named after the
year its deadline falls in. For Harbin that is exactly the calendar year ``Y``;
for Shijiazhuang cycle ``Y`` runs Dec 1 of ``Y-1`` to Nov 30 of ``Y`` and holds
window ``Y`` (so from Dec 1 the next year's window is the one that counts).

**Certified for a cycle.** A certification counts for the cycle it was made in,
and, being a later proof of life, for every earlier cycle too: a retiree is
certified for cycle ``Y`` when their latest counting certification is on or
after the start of cycle ``Y``. Harbin: valid for the calendar year it was made
in. Shijiazhuang: a certification in the window, or any time since the previous
Dec 1 suspension date (e.g. one made in March to get a suspended pension
resumed), counts for that year's cycle. A late certification made after the
deadline but before the suspension date (Shijiazhuang in November) still
prevents suspension. A ``data_comparison`` result counts only where the policy
says so (Harbin: yes).

**Back pay.** Payment is monthly. A suspension on any day withholds that
month's payment, so the suspended months run from ``suspended_since``'s month
up to and including the month of the passing certification; these are paid as
back pay, and regular payment resumes from the first day of the month after the
pass. Nothing is lost and nothing is paid twice.

**In person.** "Suspended for more than N months" counts those same months:
a pass today would need back pay for ``months_suspended(state, today)`` months;
if that exceeds ``in_person_after_months`` an online pass cannot resume
payment. Harbin (N = 24), suspended 2024-01-01: online until 2025-12-31
(24 months), in person from 2026-01-01 (the 25th month).

Nothing here reads the clock: ``today`` is always passed in.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date
from enum import StrEnum
from typing import Any, Literal, TypeVar

__all__ = [
    "HARBIN",
    "METHOD_DATA_COMPARISON",
    "SHIJIAZHUANG",
    "CyclePolicy",
    "CycleStatus",
    "PassEffect",
    "RetireeState",
    "StatusCode",
    "certified_for_cycle",
    "cycle_start",
    "cycle_year_of",
    "days_until_deadline",
    "deadline_for",
    "due_this_month",
    "is_certified",
    "is_overdue",
    "months_suspended",
    "payment_effect_of_pass",
    "requires_in_person",
    "status_of",
    "suspension_date_for",
    "to_suspend_today",
    "who_is_due",
    "who_is_overdue",
    "who_to_suspend",
]

K = TypeVar("K")
MonthDay = tuple[int, int]
PolicyKind = Literal["annual_deadline", "window"]
RetireeStatus = Literal["active", "suspended", "stopped"]

METHOD_DATA_COMPARISON = "data_comparison"
"""``last_method`` of a certification inferred from other agencies' data (数据比对), not made by the retiree."""

_KINDS = ("annual_deadline", "window")
_STATUSES = ("active", "suspended", "stopped")


def _month_day(name: str, value: Any) -> MonthDay:
    try:
        month, day = value
        if not all(type(part) is int for part in (month, day)):
            raise TypeError
        date(2001, month, day)  # a non-leap year: the day must exist every year
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a [month, day] that exists every year, not {value!r}") from exc
    return month, day


@dataclass(frozen=True)
class CyclePolicy:
    """One agency's cycle rules. Plain data: :meth:`to_dict` / :meth:`from_dict` round-trip through JSON.

    Month-day pairs must exist in every year (Feb 29 is refused), and a window
    lies within one calendar year. ``suspend_on`` is a month-day; the year is
    implied (the first such day after the deadline), so a policy cannot state a
    suspension date that contradicts its deadline.
    """

    kind: PolicyKind
    suspend_on: MonthDay
    deadline: MonthDay | None = None
    window_start: MonthDay | None = None
    window_end: MonthDay | None = None
    recommend_birthday_month: bool = False
    in_person_after_months: int | None = None
    data_comparison_counts: bool = False

    def __post_init__(self) -> None:
        # Accept lists (what JSON gives back) but store tuples, so instances stay hashable.
        for name in ("suspend_on", "deadline", "window_start", "window_end"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _month_day(name, value))
        if self.kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, not {self.kind!r}")
        if self.suspend_on is None:
            raise ValueError("suspend_on is required: a cycle without suspension has no consequence")
        if self.kind == "annual_deadline":
            if self.deadline is None or self.window_start is not None or self.window_end is not None:
                raise ValueError("an annual_deadline policy needs deadline and no window")
        else:
            if self.window_start is None or self.window_end is None or self.deadline is not None:
                raise ValueError("a window policy needs window_start and window_end and no deadline")
            if self.window_start > self.window_end:
                raise ValueError("window_start must not be after window_end (windows lie within one year)")
            if self.window_start <= self.suspend_on <= self.window_end:
                # It would land inside the next year's window, suspending people mid-window.
                raise ValueError("suspend_on must fall outside the window")
        if self.suspend_on == (self.deadline or self.window_end):
            # "The first suspend_on after the deadline" would then be a year later: surely a mistake.
            raise ValueError("suspend_on must not be the deadline day itself")
        for name in ("recommend_birthday_month", "data_comparison_counts"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be a bool")
        months = self.in_person_after_months
        if months is not None and (isinstance(months, bool) or not isinstance(months, int) or months < 1):
            raise ValueError("in_person_after_months must be a positive int or None")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (month-days as ``[month, day]`` lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CyclePolicy:
        """Build a policy from :meth:`to_dict` output; unknown keys are an error, not ignored.

        A misspelt key in an agency's stored settings would otherwise silently
        fall back to a default and change who gets suspended.
        """
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown policy keys: {sorted(unknown)}")
        try:
            return cls(**data)
        except TypeError as exc:  # a required key is missing
            raise ValueError(str(exc)) from exc


HARBIN = CyclePolicy(
    kind="annual_deadline",
    deadline=(12, 31),
    suspend_on=(1, 1),
    recommend_birthday_month=True,
    in_person_after_months=24,
    data_comparison_counts=True,
)
"""Example: certify once a year by Dec 31, ideally in the birthday month; a data-comparison
result counts; suspended from Jan 1; suspended more than 24 months → in person."""

SHIJIAZHUANG = CyclePolicy(
    kind="window",
    window_start=(8, 15),
    window_end=(10, 31),
    suspend_on=(12, 1),
)
"""Example: certify in the Aug 15 – Oct 31 window; not certified → suspended from Dec 1."""


@dataclass(frozen=True)
class RetireeState:
    """The facts about one retiree that the cycle rules need.

    ``last_certified_on``/``last_method`` describe the latest certification
    (``"face"``, ``"in_person"``, :data:`METHOD_DATA_COMPARISON`, ...). Where
    the agency does not count data comparison, the integrator should pass the
    latest certification of another method, since a data comparison cannot
    undo an earlier face certification. A new retiree's enrolment should be
    recorded as a certification, or they will be due for suspension at once.
    ``suspended_since`` is the first day of the current suspension; it is
    required when ``status`` is ``"suspended"`` and ignored otherwise.
    """

    birth_date: date
    status: RetireeStatus = "active"
    suspended_since: date | None = None
    last_certified_on: date | None = None
    last_method: str | None = None

    def __post_init__(self) -> None:
        if self.status not in _STATUSES:
            raise ValueError(f"status must be one of {_STATUSES}, not {self.status!r}")
        if self.status == "suspended" and self.suspended_since is None:
            raise ValueError("a suspended retiree needs suspended_since")


class StatusCode(StrEnum):
    """Where a retiree stands, for the list a family member sees. Values are stable keys."""

    CERTIFIED = "certified"
    DUE = "due"
    OVERDUE = "overdue"
    SUSPENDED = "suspended"
    IN_PERSON_REQUIRED = "in_person_required"
    STOPPED = "stopped"


@dataclass(frozen=True)
class CycleStatus:
    """A retiree's standing on one day.

    ``cycle_year`` is the cycle the code is about (for an overdue retiree the
    overdue cycle, which may be last year's). ``due_by`` is the last day to
    certify for it and ``suspends_on`` the day payment stops without it; both
    are ``None`` where nothing is due (certified, suspended, stopped).
    """

    code: StatusCode
    cycle_year: int
    due_by: date | None = None
    suspends_on: date | None = None


@dataclass(frozen=True)
class PassEffect:
    """What a passing certification does to payment (see the module docstring for the counting).

    ``months`` are the first days of the back-paid months, oldest first;
    ``back_pay_months == len(months)``. With ``in_person_required`` the pass
    changes nothing and the retiree must go to the agency.
    """

    resume_month: date | None
    back_pay_months: int
    months: tuple[date, ...]
    in_person_required: bool


# --- dates of a cycle -------------------------------------------------------


def deadline_for(policy: CyclePolicy, cycle_year: int) -> date:
    """The last day to certify for cycle ``cycle_year`` (for a window policy, the window's last day)."""
    month, day = policy.deadline if policy.kind == "annual_deadline" else policy.window_end  # type: ignore[misc]
    return date(cycle_year, month, day)


def suspension_date_for(policy: CyclePolicy, cycle_year: int) -> date:
    """The day retirees not certified for ``cycle_year`` are suspended: the first ``suspend_on`` after the deadline."""
    deadline = deadline_for(policy, cycle_year)
    month, day = policy.suspend_on
    same_year = date(cycle_year, month, day)
    return same_year if same_year > deadline else date(cycle_year + 1, month, day)


def cycle_start(policy: CyclePolicy, cycle_year: int) -> date:
    """The first day of cycle ``cycle_year``: the previous cycle's suspension date."""
    return suspension_date_for(policy, cycle_year - 1)


def cycle_year_of(policy: CyclePolicy, day: date) -> int:
    """The cycle that ``day`` falls in (Harbin: its calendar year; Shijiazhuang: +1 from Dec 1)."""
    year = day.year - 1  # cycle day.year-2 ended by day.year-1 at the latest, so start here
    while suspension_date_for(policy, year) <= day:
        year += 1
    return year


def days_until_deadline(policy: CyclePolicy, today: date) -> int:
    """Days from ``today`` to the current cycle's deadline: 0 on the deadline, 1 the day before.

    Negative between a window's end and the next cycle's start (Shijiazhuang in
    November), when the deadline has passed but the cycle has not turned.
    Reminders go out where this is 30, 7 or 1.
    """
    return (deadline_for(policy, cycle_year_of(policy, today)) - today).days


# --- certification ----------------------------------------------------------


def certified_for_cycle(state: RetireeState, policy: CyclePolicy, cycle_year: int) -> bool:
    """Whether the latest counting certification is on or after the start of ``cycle_year``."""
    last = state.last_certified_on
    if last is None:
        return False
    if state.last_method == METHOD_DATA_COMPARISON and not policy.data_comparison_counts:
        return False
    return last >= cycle_start(policy, cycle_year)


def is_certified(state: RetireeState, policy: CyclePolicy, today: date) -> bool:
    """Whether the retiree is certified for the cycle ``today`` falls in. A fact about certification only; see :func:`status_of` for standing."""
    return certified_for_cycle(state, policy, cycle_year_of(policy, today))


def months_suspended(state: RetireeState, today: date) -> int:
    """Payment months withheld so far: ``suspended_since``'s month to ``today``'s month, both included. 0 unless suspended."""
    if state.status != "suspended" or state.suspended_since is None:
        return 0
    return max(0, _month_index(today) - _month_index(state.suspended_since) + 1)


def requires_in_person(state: RetireeState, policy: CyclePolicy, today: date) -> bool:
    """Whether the retiree has been suspended so long that only an in-person certification resumes payment."""
    limit = policy.in_person_after_months
    return limit is not None and months_suspended(state, today) > limit


def status_of(state: RetireeState, policy: CyclePolicy, today: date) -> CycleStatus:
    """The retiree's standing today, for the list a family member sees.

    Order: stopped, then suspended (in person or not), then an active retiree
    who missed a cycle whose suspension date has passed (overdue; the
    suspension job has not run yet), then the current cycle: certified, due
    (deadline ahead) or overdue (deadline passed, suspension date not yet).
    """
    current = cycle_year_of(policy, today)
    if state.status == "stopped":
        return CycleStatus(StatusCode.STOPPED, current)
    if state.status == "suspended":
        code = StatusCode.IN_PERSON_REQUIRED if requires_in_person(state, policy, today) else StatusCode.SUSPENDED
        return CycleStatus(code, current)
    previous = current - 1
    if not certified_for_cycle(state, policy, previous):
        return CycleStatus(
            StatusCode.OVERDUE, previous, deadline_for(policy, previous), suspension_date_for(policy, previous)
        )
    if certified_for_cycle(state, policy, current):
        return CycleStatus(StatusCode.CERTIFIED, current)
    deadline = deadline_for(policy, current)
    code = StatusCode.DUE if today <= deadline else StatusCode.OVERDUE
    return CycleStatus(code, current, deadline, suspension_date_for(policy, current))


def due_this_month(state: RetireeState, policy: CyclePolicy, today: date) -> bool:
    """Whether to remind the retiree this month: due (see :func:`status_of`) and in a due month.

    Due months: the deadline's month (annual) or every month the window
    touches, so a reminder on Aug 1 can announce a window opening Aug 15; plus
    the birthday month where the policy recommends it (a Feb 29 birthday is
    due in February every year). Overdue retirees are not "due": they get the
    overdue list instead.
    """
    status = status_of(state, policy, today)
    if status.code is not StatusCode.DUE:
        return False
    if policy.recommend_birthday_month and today.month == state.birth_date.month:
        return True
    first, last = _due_period(policy, status.cycle_year)
    month_first = today.replace(day=1)
    month_last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    return month_first <= last and month_last >= first


def is_overdue(state: RetireeState, policy: CyclePolicy, today: date) -> bool:
    """Active, past a deadline without certifying for it, and not yet suspended."""
    return status_of(state, policy, today).code is StatusCode.OVERDUE


def to_suspend_today(state: RetireeState, policy: CyclePolicy, today: date) -> bool:
    """Whether the suspension job should suspend the retiree today.

    True for an active retiree not certified for the latest cycle whose
    suspension date is on or before ``today``. Idempotent: a suspended or
    stopped retiree is never "to suspend", and a job that missed a day catches
    up on the next run.
    """
    if state.status != "active":
        return False
    return not certified_for_cycle(state, policy, cycle_year_of(policy, today) - 1)


def payment_effect_of_pass(
    state: RetireeState, policy: CyclePolicy, today: date, *, in_person: bool = False
) -> PassEffect:
    """What a certification passed ``today`` does to payment.

    Active retiree: nothing to resume. Suspended retiree: back pay for the
    months from ``suspended_since``'s month through ``today``'s month, regular
    payment from next month; unless the suspension has run past the policy's
    in-person limit and this pass was online (``in_person=False``), in which
    case nothing changes and ``in_person_required`` is set. A stopped retiree
    cannot pass (the binding rules refuse them), so that is a ValueError.
    """
    if state.status == "stopped":
        raise ValueError("a stopped retiree cannot be certified")
    if state.status == "active":
        return PassEffect(None, 0, (), False)
    assert state.suspended_since is not None  # RetireeState guarantees it
    if today < state.suspended_since:
        raise ValueError("a pass cannot predate the suspension it ends")
    if not in_person and requires_in_person(state, policy, today):
        return PassEffect(None, 0, (), True)
    first = _month_index(state.suspended_since)
    months = tuple(_month_from_index(i) for i in range(first, _month_index(today) + 1))
    return PassEffect(_month_from_index(_month_index(today) + 1), len(months), months, False)


# --- batches ----------------------------------------------------------------


def who_is_due(retirees: Iterable[tuple[K, RetireeState]], policy: CyclePolicy, today: date) -> list[K]:
    """Keys of retirees to remind this month (:func:`due_this_month`), in input order."""
    return _select(retirees, policy, today, due_this_month)


def who_is_overdue(retirees: Iterable[tuple[K, RetireeState]], policy: CyclePolicy, today: date) -> list[K]:
    """Keys of overdue retirees (:func:`is_overdue`), in input order."""
    return _select(retirees, policy, today, is_overdue)


def who_to_suspend(retirees: Iterable[tuple[K, RetireeState]], policy: CyclePolicy, today: date) -> list[K]:
    """Keys of retirees the suspension job should suspend today (:func:`to_suspend_today`), in input order."""
    return _select(retirees, policy, today, to_suspend_today)


# --- helpers ----------------------------------------------------------------


def _select(
    retirees: Iterable[tuple[K, RetireeState]],
    policy: CyclePolicy,
    today: date,
    rule: Callable[[RetireeState, CyclePolicy, date], bool],
) -> list[K]:
    return [key for key, state in retirees if rule(state, policy, today)]


def _due_period(policy: CyclePolicy, cycle_year: int) -> tuple[date, date]:
    deadline = deadline_for(policy, cycle_year)
    if policy.kind == "window":
        assert policy.window_start is not None
        return date(cycle_year, *policy.window_start), deadline
    return deadline.replace(day=1), deadline


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_from_index(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)

