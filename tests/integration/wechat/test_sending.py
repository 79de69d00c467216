"""Template and customer-service messages through rq and the fake: quota pause and recovery, failures, retries."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from flows import outbox as sender
from storage.models import Notification


def _result(openid: str) -> dict:
    return {"name": "张*明", "passed": False, "reason": "too_dark", "at": dt.datetime(2026, 11, 5, 14, 30)}


def _rows(stack) -> list[Notification]:
    with stack.services.db.session() as s:
        return list(s.scalars(select(Notification).order_by(Notification.id)))


def test_quota_exhaustion_pauses_sending_and_resume_sends_the_rest_once(stack):
    users = [stack.new_user() for _ in range(5)]
    stack.call("POST", "/_fake/inject", api="template", errcode=45009, after=3)
    ids = [sender.enqueue_template(stack.services, u, "cert_result", _result(u), dedupe_key=f"r:{u}") for u in users]
    stack.run_worker()
    rows = _rows(stack)
    assert [r.status for r in rows][:3] in (["sent"] * 3, ["delivered"] * 3) or all(
        r.status in ("sent", "delivered") for r in rows[:3])
    assert [r.status for r in rows[3:]] == ["paused", "paused"]
    assert rows[3].errcode == 45009 and rows[3].tries == 1 and rows[4].tries == 0  # the 5th never called WeChat
    assert sender.paused_until(stack.services) is not None
    assert len(stack.call("GET", "/_fake/templates")["items"]) == 3

    stack.call("POST", "/_fake/reset")  # a new day: the quota is back (users are kept by re-subscribing)
    for u in users:
        stack.fake.state.member(u).subscribed = True
    assert sender.resume_sending(stack.services) == 2
    stack.run_worker()
    rows = _rows(stack)
    assert all(r.status in ("sent", "delivered") and r.msgid for r in rows)
    sent = stack.call("GET", "/_fake/templates")["items"]
    assert sorted(t["touser"] for t in sent) == sorted(users[3:])  # the rest, once each
    data = sent[0]["data"]
    assert data["phrase2"]["value"] == "未通过" and data["thing3"]["value"] == "光线太暗"
    assert not any(k in data for k in ("first", "remark"))
    # the dedupe key makes a repeated call a no-op
    assert sender.enqueue_template(stack.services, users[0], "cert_result", _result(users[0]),
                                   dedupe_key=f"r:{users[0]}") == ids[0]


def test_not_following_is_recorded_not_retried(stack):
    openid = stack.new_user()
    stack.call("POST", f"/_fake/users/{openid}/unsubscribe")
    nid = sender.enqueue_template(stack.services, openid, "reminder", {"name": "李*", "deadline": dt.date(2026, 12, 31)})
    stack.run_worker()
    (row,) = _rows(stack)
    assert (row.id, row.status, row.errcode, row.tries) == (nid, "failed", 43004, 1)


def test_transient_errors_are_retried_then_sent(stack):
    openid = stack.new_user()
    stack.call("POST", "/_fake/inject", api="template", errcode=-1, times=2)
    sender.enqueue_template(stack.services, openid, "suspension", {"name": "王*华", "since": dt.date(2026, 1, 1)})
    stack.run_worker()
    (row,) = _rows(stack)
    assert row.status in ("sent", "delivered") and row.tries == 3


def test_customer_service_message_respects_48_hour_window(stack):
    fresh, stale = stack.new_user(), stack.new_user()
    stack.call("POST", f"/_fake/users/{stale}/age", hours=49)
    sender.enqueue_text(stack.services, fresh, "您的认证已受理")
    sender.enqueue_text(stack.services, stale, "您的认证已受理")
    stack.run_worker()
    by_user = {r.openid: r for r in _rows(stack)}
    assert by_user[fresh].status == "sent"
    assert (by_user[stale].status, by_user[stale].errcode) == ("failed", 45015)
    assert stack.last_bot_text(fresh) == "您的认证已受理"


def test_template_delivery_report_marks_delivered(stack):
    import time

    openid = stack.new_user()
    nid = sender.enqueue_template(stack.services, openid, "resumption", {"name": "赵*", "from_date": dt.date(2026, 3, 1)})
    stack.run_worker()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with stack.services.db.session() as s:
            if s.get(Notification, nid).status == "delivered":
                break
        time.sleep(0.1)
    with stack.services.db.session() as s:
        assert s.get(Notification, nid).status == "delivered"


@pytest.mark.parametrize("kind,fields", [
    ("cert_result", {"name": "张*明", "passed": True, "at": dt.datetime(2026, 1, 2, 3, 4)}),
    ("cert_result", {"name": "张*明", "passed": False, "reason": "mismatch", "at": dt.date(2026, 1, 2)}),
    ("reminder", {"name": "张*明", "deadline": dt.date(2026, 12, 31)}),
    ("suspension", {"name": "张*明", "since": dt.date(2026, 1, 1)}),
    ("resumption", {"name": "张*明", "from_date": dt.date(2026, 2, 1)}),
    ("family_bound", {"name": "张*明", "family": "儿子 138****0000", "at": dt.date(2026, 2, 1)}),
])
def test_every_template_fits_wechat_rules(kind, fields):
    from wechat.templates import render

    data = render(kind, fields)
    assert data and "first" not in data and "remark" not in data
    assert all(0 < len(v["value"]) <= 20 and "\n" not in v["value"] for v in data.values())


def test_too_long_or_missing_fields_are_refused_when_queued():
    from wechat.templates import render

    with pytest.raises(ValueError):
        render("reminder", {"name": "一个名字长得超过了二十个字的人一个名字长得超过了", "deadline": dt.date(2026, 1, 1)})
    with pytest.raises(ValueError):
        render("suspension", {"name": "张*"})
    with pytest.raises(ValueError):
        render("no_such_kind", {})


def test_a_notice_for_the_sms_gateway_is_never_sent_through_wechat(stack):
    """The roster-phone notice (flows.people.tell_roster_phone) waits for the SMS gateway: the WeChat
    sender and its sweeper leave it queued instead of sending text to an empty openid and failing it."""
    with stack.services.db.session() as s:
        row = Notification(openid="", kind="self_claim", channel="sms", payload={"phone_masked": "139****5678"},
                           status="queued", dedupe_key="sms:self_claim:test")
        s.add(row)
        s.flush()
        nid = row.id
    assert sender.deliver(stack.services, nid) == "queued"
    far = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    sender.sweep(stack.services, now=far)
    stack.run_worker()
    with stack.services.db.session() as s:
        row = s.get(Notification, nid)
        assert (row.status, row.tries, row.errcode) == ("queued", 0, None)
    assert stack.call("GET", "/_fake/templates")["items"] == []
