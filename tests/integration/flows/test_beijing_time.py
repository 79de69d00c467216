"""Beijing time around 1 January: the day every rule counts with is the agency's, not UTC's.

A pass at 00:30 Beijing time on 1 January (16:30 UTC on 31 December) counts for
the new year; the 5-a-day limit resets at Beijing midnight, not at 08:00; the
result message says the Beijing time.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from certification.cycle import cycle_year_of
from flows import FlowError, certify, clock, people, verification
from flows.cycles import policy_of
from storage.models import (
    Agency,
    Attempt,
    AttemptStatus,
    Certification,
    CertificationCycle,
    Challenge,
    Notification,
    WeChatUser,
)

UTC = dt.timezone.utc
BEIJING = clock.DEFAULT_ZONE


def beijing(*args) -> dt.datetime:
    """A Beijing wall-clock time as the aware UTC moment that is stored."""
    return dt.datetime(*args, tzinfo=BEIJING).astimezone(UTC)


def test_clock_days_turn_at_beijing_midnight():
    assert clock.local_today(now=beijing(2026, 12, 31, 23, 59)) == dt.date(2026, 12, 31)
    assert clock.local_today(now=beijing(2027, 1, 1, 0, 1)) == dt.date(2027, 1, 1)
    # 00:01 Beijing on 1 January is still 31 December in UTC: the bug this guards against
    assert beijing(2027, 1, 1, 0, 1).date() == dt.date(2026, 12, 31)
    assert clock.day_start(BEIJING, dt.date(2027, 1, 1)) == dt.datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert clock.local_date_of(dt.datetime(2026, 12, 31, 16, 30)) == dt.date(2027, 1, 1)  # naive = UTC (SQLite)
    assert clock.zone_of(None) is BEIJING
    assert clock.zone_of(Agency(code="x", name="x", settings={"time_zone": "Asia/Urumqi"})).key == "Asia/Urumqi"
    assert clock.zone_of(Agency(code="x", name="x", settings={"time_zone": "Mars/Olympus"})) is BEIJING


def _attempt(world, at: dt.datetime, status: AttemptStatus = AttemptStatus.failed) -> str:
    with world.services.db.session() as s:
        ch = Challenge(retiree_id=world.retiree_id, wechat_user_id=world.self_user_id, actions=["blink"],
                       nonce=at.isoformat(), created_at=at, expires_at=at + dt.timedelta(minutes=5))
        s.add(ch)
        s.flush()
        a = Attempt(retiree_id=world.retiree_id, wechat_user_id=world.self_user_id, challenge_id=ch.id,
                    status=status, verdict="fail" if status == AttemptStatus.failed else None, created_at=at,
                    video_key=f"videos/{ch.id}.webm", video_sha256=ch.id)
        s.add(a)
        s.flush()
        return a.id


def test_a_pass_at_0030_beijing_on_1_january_counts_for_the_new_year(world):
    at = beijing(2027, 1, 1, 0, 30)
    attempt_id = _attempt(world, at, AttemptStatus.running)
    status = verification.record_verdict(world.services, attempt_id,
                                         verification.RefusedVideo("pass", [], []), now=at)
    assert status == "passed"
    with world.services.db.session() as s:
        cert = s.scalar(select(Certification).where(Certification.attempt_id == attempt_id))
        assert cert.certified_on == dt.date(2027, 1, 1)
        policy = policy_of(s.get(Agency, world.agency_id))
        assert s.get(CertificationCycle, cert.cycle_id).year == cycle_year_of(policy, dt.date(2027, 1, 1)) == 2027
        listed = people.people_of(s, s.get(WeChatUser, world.self_user_id), dt.date(2027, 1, 1))
        assert listed[0].status == "certified"
        note = s.scalar(select(Notification).where(Notification.kind == "cert_result"))
        # the message says the Beijing time of the pass, not 16:30 on 31 December
        assert note.payload["data"]["time5"]["value"] == "2027年1月1日 00:30"


def test_the_daily_limit_resets_at_beijing_midnight_not_at_0800(world):
    for minute in range(5):  # five failures between 23:55 and 23:59 on 31 December
        _attempt(world, beijing(2026, 12, 31, 23, 55 + minute))
    with pytest.raises(FlowError) as exc:
        certify.start_challenge(world.services, world.self_user_id, world.retiree_id,
                                now=beijing(2026, 12, 31, 23, 59, 30))
    assert exc.value.code == "too_many_today"
    # 00:01 on 1 January Beijing time is a new day (still 31 December in UTC)
    certify.start_challenge(world.services, world.self_user_id, world.retiree_id, now=beijing(2027, 1, 1, 0, 1))


def test_five_tries_after_beijing_midnight_still_count_at_0801(world):
    for minute in range(5):  # five failures just after midnight, Beijing time
        _attempt(world, beijing(2027, 1, 1, 0, 1 + minute))
    # 08:01 Beijing is 00:01 UTC, a new day for a UTC clock: it must still be the same day here
    with pytest.raises(FlowError) as exc:
        certify.start_challenge(world.services, world.self_user_id, world.retiree_id, now=beijing(2027, 1, 1, 8, 1))
    assert exc.value.code == "too_many_today"


def test_the_payment_export_counts_beijing_days_and_shows_beijing_times(world):
    from flows.payments import payment_changes
    from storage import audit

    with world.services.db.session() as s:  # 00:30 Beijing on 1 January = 16:30 UTC on 31 December
        audit.record(s, "system", "retiree.resume", target_kind="retiree", target_id=world.suspended_id,
                             resume_month="2027-02-01", back_pay_months=1,
                             at=beijing(2027, 1, 1, 0, 30))  # append-only and chained: the time is set before the hash
    with world.services.db.session() as s:
        january = payment_changes(s, world.agency_id, dt.date(2027, 1, 1), dt.date(2027, 1, 31))
        december = payment_changes(s, world.agency_id, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert len(january) == 1 and december == []
    assert "2027-01-01 00:30" in january[0]  # the time recorded, in Beijing time
