"""Table tests for the yearly cycle, built from two real agencies' rules.

Harbin: certify once a year by Dec 31, recommended in the birthday month; a
data-comparison result counts; not certified → suspended from Jan 1; a later
certification resumes payment next month with back pay; suspended more than
24 months → in person at the agency.

Shijiazhuang: certify in the Aug 15 – Oct 31 window; not certified → suspended
from Dec 1.

Every expected value below is worked out by hand from those rules.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from certification.cycle import (
    HARBIN,
    METHOD_DATA_COMPARISON,
    SHIJIAZHUANG,
    CyclePolicy,
    PassEffect,
    RetireeState,
    StatusCode,
    cycle_start,
    cycle_year_of,
    days_until_deadline,
    deadline_for,
    due_this_month,
    is_certified,
    is_overdue,
    months_suspended,
    payment_effect_of_pass,
    requires_in_person,
    status_of,
    suspension_date_for,
    to_suspend_today,
    who_is_due,
    who_is_overdue,
    who_to_suspend,
)

HRB = HARBIN
SJZ = SHIJIAZHUANG
DC = METHOD_DATA_COMPARISON


def d(iso: str | None) -> date | None:
    return None if iso is None else date.fromisoformat(iso)


def state(
    cert: str | None = None,
    method: str | None = "face",
    *,
    born: str = "1955-03-12",
    status: str = "active",
    since: str | None = None,
) -> RetireeState:
    return RetireeState(
        birth_date=d(born),
        status=status,
        suspended_since=d(since),
        last_certified_on=d(cert),
        last_method=method if cert else None,
    )


# --- cycle dates ------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "year", "start", "deadline", "suspension"),
    [
        (HRB, 2025, "2025-01-01", "2025-12-31", "2026-01-01"),
        (HRB, 2024, "2024-01-01", "2024-12-31", "2025-01-01"),
        (SJZ, 2025, "2024-12-01", "2025-10-31", "2025-12-01"),
        (SJZ, 2026, "2025-12-01", "2026-10-31", "2026-12-01"),
        # An annual policy with a grace period: deadline Dec 31, suspended Mar 1.
        (CyclePolicy("annual_deadline", suspend_on=(3, 1), deadline=(12, 31)), 2025, "2025-03-01", "2025-12-31", "2026-03-01"),
        # Suspended in the deadline's own year, or the next, whichever comes first after it.
        (CyclePolicy("window", suspend_on=(8, 14), window_start=(8, 15), window_end=(10, 31)), 2025, "2025-08-14", "2025-10-31", "2026-08-14"),
        (CyclePolicy("window", suspend_on=(11, 1), window_start=(8, 15), window_end=(10, 31)), 2025, "2024-11-01", "2025-10-31", "2025-11-01"),
        # A mid-year annual policy: deadline Jun 30, suspended Jul 1.
        (CyclePolicy("annual_deadline", suspend_on=(7, 1), deadline=(6, 30)), 2025, "2024-07-01", "2025-06-30", "2025-07-01"),
    ],
)
def test_cycle_dates(policy, year, start, deadline, suspension):
    assert cycle_start(policy, year) == d(start)
    assert deadline_for(policy, year) == d(deadline)
    assert suspension_date_for(policy, year) == d(suspension)


@pytest.mark.parametrize(
    ("policy", "day", "year"),
    [
        (HRB, "2025-01-01", 2025),
        (HRB, "2025-12-31", 2025),
        (HRB, "2026-01-01", 2026),
        (HRB, "2024-02-29", 2024),
        (SJZ, "2025-01-01", 2025),
        (SJZ, "2025-08-15", 2025),
        (SJZ, "2025-10-31", 2025),
        (SJZ, "2025-11-30", 2025),
        (SJZ, "2025-12-01", 2026),
        (SJZ, "2025-12-31", 2026),
        (SJZ, "2026-01-01", 2026),
    ],
)
def test_cycle_year_of(policy, day, year):
    assert cycle_year_of(policy, d(day)) == year


@pytest.mark.parametrize(
    ("policy", "today", "days"),
    [
        (HRB, "2025-12-31", 0),
        (HRB, "2025-12-30", 1),
        (HRB, "2025-12-24", 7),
        (HRB, "2025-12-01", 30),
        (HRB, "2026-01-01", 364),
        (HRB, "2024-01-01", 365),  # 2024 is a leap year
        (HRB, "2024-02-29", 306),
        (SJZ, "2025-10-31", 0),
        (SJZ, "2025-10-30", 1),
        (SJZ, "2025-10-24", 7),
        (SJZ, "2025-10-01", 30),
        (SJZ, "2025-08-15", 77),
        (SJZ, "2025-11-01", -1),  # deadline passed, cycle not yet turned
        (SJZ, "2025-11-30", -30),
        (SJZ, "2025-12-01", 334),  # next cycle's window end: 2026-10-31
    ],
)
def test_days_until_deadline(policy, today, days):
    assert days_until_deadline(policy, d(today)) == days


# --- certified for the current cycle ---------------------------------------


@pytest.mark.parametrize(
    ("policy", "cert", "method", "today", "expected"),
    [
        (HRB, "2025-03-01", "face", "2025-12-31", True),
        (HRB, "2025-03-01", "face", "2026-01-01", False),  # valid for its calendar year only
        (HRB, "2025-12-31", "face", "2026-01-01", False),
        (HRB, "2026-01-01", "face", "2026-01-01", True),
        (HRB, "2025-01-01", "face", "2025-01-01", True),
        (HRB, "2024-02-29", "face", "2024-12-31", True),
        (HRB, "2024-02-29", "face", "2025-02-28", False),
        (HRB, "2025-05-01", DC, "2025-06-01", True),  # Harbin counts data comparison
        (HRB, None, None, "2025-06-01", False),
        (SJZ, "2025-09-01", "face", "2025-11-30", True),
        (SJZ, "2025-09-01", "face", "2025-12-01", False),  # next cycle from Dec 1
        (SJZ, "2024-12-01", "face", "2025-08-20", True),  # since the previous suspension date
        (SJZ, "2024-11-30", "face", "2025-08-20", False),
        (SJZ, "2025-03-10", "face", "2025-10-31", True),
        (SJZ, "2025-09-01", DC, "2025-10-01", False),  # Shijiazhuang does not count it
    ],
)
def test_is_certified(policy, cert, method, today, expected):
    assert is_certified(state(cert, method), policy, d(today)) is expected


# --- status for the family list ---------------------------------------------


@pytest.mark.parametrize(
    ("policy", "retiree", "today", "code", "year", "due_by", "suspends_on"),
    [
        # Harbin
        (HRB, state("2025-06-01"), "2025-12-31", StatusCode.CERTIFIED, 2025, None, None),
        (HRB, state("2024-06-01"), "2025-12-31", StatusCode.DUE, 2025, "2025-12-31", "2026-01-01"),
        (HRB, state("2024-06-01"), "2026-01-01", StatusCode.OVERDUE, 2025, "2025-12-31", "2026-01-01"),
        (HRB, state("2025-06-01"), "2026-01-01", StatusCode.DUE, 2026, "2026-12-31", "2027-01-01"),
        (HRB, state("2025-04-01", DC), "2025-12-31", StatusCode.CERTIFIED, 2025, None, None),
        (HRB, state(None), "2025-06-01", StatusCode.OVERDUE, 2024, "2024-12-31", "2025-01-01"),
        (HRB, state("2024-06-01", status="suspended", since="2026-01-01"), "2026-03-01", StatusCode.SUSPENDED, 2026, None, None),
        (HRB, state("2023-06-01", status="suspended", since="2024-01-01"), "2025-12-31", StatusCode.SUSPENDED, 2025, None, None),
        (HRB, state("2023-06-01", status="suspended", since="2024-01-01"), "2026-01-01", StatusCode.IN_PERSON_REQUIRED, 2026, None, None),
        (HRB, state("2025-06-01", status="stopped"), "2025-07-01", StatusCode.STOPPED, 2025, None, None),
        # Shijiazhuang
        (SJZ, state("2024-09-01"), "2025-08-14", StatusCode.DUE, 2025, "2025-10-31", "2025-12-01"),
        (SJZ, state("2024-09-01"), "2025-10-31", StatusCode.DUE, 2025, "2025-10-31", "2025-12-01"),
        (SJZ, state("2024-09-01"), "2025-11-01", StatusCode.OVERDUE, 2025, "2025-10-31", "2025-12-01"),
        (SJZ, state("2024-09-01"), "2025-11-30", StatusCode.OVERDUE, 2025, "2025-10-31", "2025-12-01"),
        (SJZ, state("2024-09-01"), "2025-12-01", StatusCode.OVERDUE, 2025, "2025-10-31", "2025-12-01"),
        (SJZ, state("2025-08-15"), "2025-08-15", StatusCode.CERTIFIED, 2025, None, None),
        (SJZ, state("2025-11-15"), "2025-11-20", StatusCode.CERTIFIED, 2025, None, None),  # late, before suspension
        (SJZ, state("2025-11-15"), "2025-12-01", StatusCode.DUE, 2026, "2026-10-31", "2026-12-01"),
        (SJZ, state("2025-12-05"), "2025-12-06", StatusCode.CERTIFIED, 2026, None, None),
        # No in-person limit in the Shijiazhuang example: five years suspended is still just suspended.
        (SJZ, state("2019-09-01", status="suspended", since="2020-12-01"), "2025-12-01", StatusCode.SUSPENDED, 2026, None, None),
    ],
)
def test_status_of(policy, retiree, today, code, year, due_by, suspends_on):
    status = status_of(retiree, policy, d(today))
    assert (status.code, status.cycle_year, status.due_by, status.suspends_on) == (code, year, d(due_by), d(suspends_on))


# --- due this month (reminders) ---------------------------------------------


@pytest.mark.parametrize(
    ("policy", "retiree", "today", "expected"),
    [
        # Harbin, born in March, last certified in 2024
        (HRB, state("2024-06-01"), "2025-02-28", False),
        (HRB, state("2024-06-01"), "2025-03-01", True),  # birthday month
        (HRB, state("2024-06-01"), "2025-03-31", True),
        (HRB, state("2024-06-01"), "2025-04-01", False),
        (HRB, state("2024-06-01"), "2025-11-30", False),
        (HRB, state("2024-06-01"), "2025-12-01", True),  # deadline month: everyone not certified
        (HRB, state("2024-06-01"), "2025-12-31", True),
        (HRB, state("2025-02-01"), "2025-03-10", False),  # already certified this year
        (HRB, state("2025-02-01"), "2025-12-10", False),
        (HRB, state("2024-06-01", born="1955-01-20"), "2026-01-05", False),  # overdue for 2025, not "due"
        (HRB, state("2025-06-01", born="1955-01-20"), "2026-01-05", True),  # birthday month of the new year
        (HRB, state("2025-06-01", born="1955-12-20"), "2026-12-05", True),  # birthday month = deadline month
        # Feb 29 birthday: due in February, leap year or not
        (HRB, state("2024-06-01", born="1952-02-29"), "2025-02-28", True),
        (HRB, state("2023-06-01", born="1952-02-29"), "2024-02-29", True),
        (HRB, state("2024-06-01", born="1952-02-29"), "2025-03-01", False),
        (HRB, state("2024-06-01", status="suspended", since="2025-01-01"), "2025-03-10", False),
        (HRB, state("2025-01-02", status="stopped"), "2025-12-10", False),
        # Shijiazhuang, last certified in 2024's window
        (SJZ, state("2024-09-01"), "2025-07-31", False),
        (SJZ, state("2024-09-01"), "2025-08-01", True),  # the window opens this month
        (SJZ, state("2024-09-01"), "2025-08-15", True),
        (SJZ, state("2024-09-01"), "2025-09-30", True),
        (SJZ, state("2024-09-01"), "2025-10-31", True),
        (SJZ, state("2024-09-01"), "2025-11-01", False),  # overdue now
        (SJZ, state("2024-09-01"), "2025-03-10", False),  # birthday month, but no such rule here
        (SJZ, state("2025-08-20"), "2025-09-01", False),
        (SJZ, state("2025-08-20"), "2026-08-01", True),
    ],
)
def test_due_this_month(policy, retiree, today, expected):
    assert due_this_month(retiree, policy, d(today)) is expected


def test_birthday_recommendation_is_a_setting():
    no_birthday = CyclePolicy.from_dict({**HRB.to_dict(), "recommend_birthday_month": False})
    retiree = state("2024-06-01")
    assert due_this_month(retiree, HRB, d("2025-03-10")) is True
    assert due_this_month(retiree, no_birthday, d("2025-03-10")) is False
    assert due_this_month(retiree, no_birthday, d("2025-12-10")) is True


# --- overdue and suspension -------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "retiree", "today", "overdue", "suspend"),
    [
        # Harbin: the Dec 31 / Jan 1 edge
        (HRB, state("2024-06-01"), "2025-12-31", False, False),
        (HRB, state("2024-06-01"), "2026-01-01", True, True),
        (HRB, state("2024-06-01"), "2026-01-15", True, True),  # a missed job run catches up
        (HRB, state("2025-06-01"), "2025-12-31", False, False),
        (HRB, state("2025-06-01"), "2026-01-01", False, False),
        (HRB, state("2025-12-31"), "2026-01-01", False, False),
        (HRB, state("2025-05-01", DC), "2026-01-01", False, False),  # data comparison counts: no suspension
        (HRB, state(None), "2026-01-01", True, True),
        (HRB, state("2024-06-01", status="suspended", since="2026-01-01"), "2026-01-01", False, False),  # idempotent
        (HRB, state("2024-06-01", status="stopped"), "2026-01-01", False, False),
        # Resumed after a pass on Jan 10: must not be suspended again for the old cycle.
        (HRB, state("2026-01-10"), "2026-01-15", False, False),
        # Shijiazhuang: window end and Dec 1
        (SJZ, state("2024-09-01"), "2025-10-31", False, False),
        (SJZ, state("2024-09-01"), "2025-11-01", True, False),
        (SJZ, state("2024-09-01"), "2025-11-30", True, False),
        (SJZ, state("2024-09-01"), "2025-12-01", True, True),
        (SJZ, state("2025-11-30"), "2025-12-01", False, False),  # late, but before suspension
        (SJZ, state("2025-12-01"), "2025-12-01", False, False),  # certified on the suspension day
        (SJZ, state("2025-08-15"), "2025-12-01", False, False),
        (SJZ, state("2025-09-01", DC), "2025-12-01", True, True),  # data comparison does not count here
        (SJZ, state("2024-09-01", status="suspended", since="2025-12-01"), "2025-12-01", False, False),
        (SJZ, state("2025-12-05"), "2025-12-20", False, False),
    ],
)
def test_overdue_and_suspension(policy, retiree, today, overdue, suspend):
    assert is_overdue(retiree, policy, d(today)) is overdue
    assert to_suspend_today(retiree, policy, d(today)) is suspend


def test_data_comparison_is_a_setting():
    harbin_without = CyclePolicy.from_dict({**HRB.to_dict(), "data_comparison_counts": False})
    retiree = state("2025-05-01", DC)
    assert to_suspend_today(retiree, HRB, d("2026-01-01")) is False
    assert to_suspend_today(retiree, harbin_without, d("2026-01-01")) is True


# --- in person and back pay -------------------------------------------------


@pytest.mark.parametrize(
    ("since", "today", "months", "in_person"),
    [
        ("2024-01-01", "2024-01-01", 1, False),
        ("2024-01-01", "2025-12-01", 24, False),
        ("2024-01-01", "2025-12-31", 24, False),  # exactly 24 months: still online
        ("2024-01-01", "2026-01-01", 25, True),  # the 25th month: in person
        ("2024-01-31", "2025-12-31", 24, False),  # mid/late-month suspension counts its month
        ("2024-01-31", "2026-01-01", 25, True),
        ("2023-12-01", "2025-11-30", 24, False),
        ("2023-12-01", "2025-12-01", 25, True),
    ],
)
def test_in_person_after_24_months(since, today, months, in_person):
    retiree = state("2022-06-01", status="suspended", since=since)
    assert months_suspended(retiree, d(today)) == months
    assert requires_in_person(retiree, HRB, d(today)) is in_person


@pytest.mark.parametrize(
    ("policy", "since", "passed", "resume", "back_pay", "first", "last"),
    [
        (HRB, "2026-01-01", "2026-01-01", "2026-02-01", 1, "2026-01-01", "2026-01-01"),  # pass on the suspension day
        (HRB, "2026-01-01", "2026-01-10", "2026-02-01", 1, "2026-01-01", "2026-01-01"),  # same month as suspension
        (HRB, "2026-01-01", "2026-01-31", "2026-02-01", 1, "2026-01-01", "2026-01-01"),
        (HRB, "2026-01-01", "2026-02-01", "2026-03-01", 2, "2026-01-01", "2026-02-01"),
        (HRB, "2026-01-01", "2026-03-31", "2026-04-01", 3, "2026-01-01", "2026-03-01"),
        (HRB, "2025-01-01", "2025-12-31", "2026-01-01", 12, "2025-01-01", "2025-12-01"),  # resume across the year boundary
        (HRB, "2024-01-01", "2025-12-31", "2026-01-01", 24, "2024-01-01", "2025-12-01"),  # 24 months: online still works
        (HRB, "2024-01-01", "2024-02-29", "2024-03-01", 2, "2024-01-01", "2024-02-01"),  # leap day pass
        (SJZ, "2025-12-01", "2025-12-01", "2026-01-01", 1, "2025-12-01", "2025-12-01"),
        (SJZ, "2025-12-01", "2025-12-31", "2026-01-01", 1, "2025-12-01", "2025-12-01"),
        (SJZ, "2025-12-01", "2026-03-15", "2026-04-01", 4, "2025-12-01", "2026-03-01"),
        (SJZ, "2019-12-01", "2025-12-01", "2026-01-01", 73, "2019-12-01", "2025-12-01"),  # no in-person limit set
    ],
)
def test_payment_effect_of_pass(policy, since, passed, resume, back_pay, first, last):
    retiree = state("2019-09-01", status="suspended", since=since)
    effect = payment_effect_of_pass(retiree, policy, d(passed))
    assert effect.resume_month == d(resume)
    assert effect.back_pay_months == back_pay == len(effect.months)
    assert (effect.months[0], effect.months[-1]) == (d(first), d(last))
    assert all(m.day == 1 for m in effect.months)
    assert len(set(effect.months)) == len(effect.months)
    assert effect.in_person_required is False


def test_back_paid_months_are_consecutive():
    retiree = state(None, status="suspended", since="2025-12-01")
    effect = payment_effect_of_pass(retiree, SJZ, d("2026-03-15"))
    assert effect.months == (d("2025-12-01"), d("2026-01-01"), d("2026-02-01"), d("2026-03-01"))


@pytest.mark.parametrize(("passed", "in_person_required"), [("2025-12-31", False), ("2026-01-01", True), ("2027-06-01", True)])
def test_online_pass_after_24_months_needs_the_agency(passed, in_person_required):
    retiree = state("2023-06-01", status="suspended", since="2024-01-01")
    online = payment_effect_of_pass(retiree, HRB, d(passed))
    assert online.in_person_required is in_person_required
    if in_person_required:
        assert online == PassEffect(None, 0, (), True)
        at_agency = payment_effect_of_pass(retiree, HRB, d(passed), in_person=True)
        assert at_agency.in_person_required is False
        assert at_agency.months[0] == d("2024-01-01")
        assert at_agency.back_pay_months == months_suspended(retiree, d(passed))


def test_pass_of_an_active_retiree_changes_no_payment():
    assert payment_effect_of_pass(state("2024-06-01"), HRB, d("2025-03-01")) == PassEffect(None, 0, (), False)


@pytest.mark.parametrize(
    "retiree",
    [
        state("2024-06-01", status="stopped"),
        state("2024-06-01", status="suspended", since="2026-01-01"),  # pass dated before the suspension
    ],
)
def test_impossible_passes_are_errors(retiree):
    with pytest.raises(ValueError):
        payment_effect_of_pass(retiree, HRB, d("2025-12-31"))


# --- batches ----------------------------------------------------------------

ROSTER = [
    ("zhang", state("2025-06-01", born="1950-01-05")),  # certified in 2025
    ("wang", state("2024-06-01", born="1951-01-06")),  # missed 2025
    ("li", state("2023-06-01", born="1952-01-07", status="suspended", since="2025-01-01")),
    ("zhao", state("2025-05-01", DC, born="1953-01-08")),  # data comparison in 2025
    ("liu", state("2025-03-01", born="1954-07-09")),  # certified, birthday in July
    ("chen", state("2025-03-01", born="1954-01-10", status="stopped")),
]


def test_harbin_new_year_batch():
    today = d("2026-01-01")
    assert who_to_suspend(ROSTER, HRB, today) == ["wang"]
    assert who_is_overdue(ROSTER, HRB, today) == ["wang"]
    # January birthdays who certified for 2025 and are not yet certified for 2026:
    assert who_is_due(ROSTER, HRB, today) == ["zhang", "zhao"]
    # Running the suspension again after it was applied selects nobody.
    applied = [(k, RetireeState(s.birth_date, "suspended", today, s.last_certified_on, s.last_method)) if k == "wang" else (k, s) for k, s in ROSTER]
    assert who_to_suspend(applied, HRB, today) == []


def test_shijiazhuang_batches_over_the_autumn():
    roster = [
        ("a", state("2024-09-01")),
        ("b", state("2025-09-01")),
        ("c", state("2025-11-20")),
        ("d", state(None, status="suspended", since="2024-12-01")),
    ]
    assert who_is_due(roster, SJZ, d("2025-08-01")) == ["a"]
    assert who_is_due(roster, SJZ, d("2025-07-31")) == []
    assert who_is_overdue(roster, SJZ, d("2025-11-01")) == ["a"]
    assert who_to_suspend(roster, SJZ, d("2025-11-30")) == []
    assert who_to_suspend(roster, SJZ, d("2025-12-01")) == ["a"]


def test_batches_accept_any_iterable_and_key():
    gen = ((i, state("2024-06-01")) for i in range(3))
    assert who_to_suspend(gen, HRB, d("2026-01-01")) == [0, 1, 2]


# --- policy as data ---------------------------------------------------------


@pytest.mark.parametrize("policy", [HRB, SJZ])
def test_policy_round_trips_through_json(policy):
    data = json.loads(json.dumps(policy.to_dict()))
    assert CyclePolicy.from_dict(data) == policy
    assert hash(CyclePolicy.from_dict(data)) == hash(policy)


def test_harbin_preset_as_stored():
    assert HRB.to_dict() == {
        "kind": "annual_deadline",
        "suspend_on": [1, 1],
        "deadline": [12, 31],
        "window_start": None,
        "window_end": None,
        "recommend_birthday_month": True,
        "in_person_after_months": 24,
        "data_comparison_counts": True,
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "monthly"},
        {"deadline": None},
        {"window_start": [8, 15]},
        {"deadline": [2, 29]},  # must exist every year
        {"deadline": [13, 1]},
        {"deadline": ["12", "31"]},
        {"deadline": [12]},
        {"suspend_on": [4, 31]},
        {"suspend_on": [12, 31]},  # the deadline day itself
        {"suspend_on": None},
        {"in_person_after_months": 0},
        {"in_person_after_months": True},
        {"in_person_after_months": "24"},
        {"recommend_birthday_month": "yes"},
        {"deadlines": [12, 31]},  # misspelt key
    ],
)
def test_bad_policies_are_refused(changes):
    with pytest.raises(ValueError):
        CyclePolicy.from_dict({**HRB.to_dict(), **changes})


@pytest.mark.parametrize(
    "changes",
    [
        {"window_start": [11, 1]},  # start after end
        {"deadline": [10, 31]},
        {"window_end": None},
        {"suspend_on": None},
        {"suspend_on": [10, 31]},  # the last window day
        {"suspend_on": [9, 1]},  # inside the window
        {"suspend_on": [8, 15]},
    ],
)
def test_bad_window_policies_are_refused(changes):
    with pytest.raises(ValueError):
        CyclePolicy.from_dict({**SJZ.to_dict(), **changes})


def test_missing_required_key_is_refused():
    data = HRB.to_dict()
    del data["suspend_on"]
    with pytest.raises(ValueError):
        CyclePolicy.from_dict(data)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"status": "dead"},
        {"status": "suspended"},  # without suspended_since
    ],
)
def test_bad_retiree_states_are_refused(kwargs):
    with pytest.raises(ValueError):
        RetireeState(birth_date=d("1955-03-12"), **kwargs)
