"""Reminder campaigns: SQL segments, preview, exactly-once sending across a crash, pause/resume, quota, results."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from flows import campaigns, clock
from storage.models import (
    Agency,
    AuditLog,
    Campaign,
    CampaignRecipient,
    Certification,
    CertificationMethod,
    Notification,
)
from tests.integration.console.conftest import make_id, post

TODAY = clock.local_today()


def populate(world, n=12):
    """n retirees born this month, all due; every third without WeChat; one certified this cycle."""
    ids = []
    for i in range(n):
        birth = dt.date(1950, TODAY.month, 1 + i % 28)
        ids.append(world.add_retiree(f"提醒{i:02d}", make_id("230102", birth.strftime("%Y%m%d"), f"{i:03d}"),
                                     region="南岗区" if i % 2 else "道里区", openid=None if i % 3 == 0 else f"oid-{i}"))
    world.add_retiree("已认证", make_id("230102", dt.date(1950, TODAY.month, 1).strftime("%Y%m%d"), "999"),
                      openid="oid-done")
    with world.services.db.session() as s:
        s.add(Certification(retiree_id=world.people["已认证"], method=CertificationMethod.face, certified_on=TODAY))
    return ids


def plan(world, segment, today=TODAY):
    with world.services.db.session() as s:
        return campaigns.plan(s, s.get(Agency, world.agency_id), "测试", segment, today).id


def notifications(world, cid) -> list[tuple[int, str]]:
    with world.services.db.session() as s:
        return list(s.execute(select(Notification.retiree_id, Notification.status)
                              .where(Notification.campaign_id == cid)).all())


def test_plan_is_one_row_per_retiree_with_no_wechat_skipped(world):
    populate(world)
    cid = plan(world, {"kind": "due_month"})
    with world.services.db.session() as s:
        rows = s.execute(select(CampaignRecipient.status, func.count()).where(CampaignRecipient.campaign_id == cid)
                         .group_by(CampaignRecipient.status)).all()
        assert dict(rows) == {"pending": 8, "skipped": 4}
        assert s.get(Campaign, cid).total == 12
        only = plan(world, {"kind": "due_month", "region_ids": [world.regions["道里区"]]})
        assert s.get(Campaign, only).total == 6


def test_dispatch_sends_once_each_even_after_a_crash(world, fake_sender):
    populate(world)
    cid = plan(world, {"kind": "due_month"})
    campaigns.set_status(world.services, cid, "start")  # enqueues a dispatcher; we run it by hand here
    calls = []

    def crashing_send(services, *args, **kwargs):
        calls.append(kwargs["retiree_id"])
        nid = fake_sender.enqueue_template(services, *args, **kwargs)
        if len(calls) == 5:
            raise SystemExit("worker killed")  # after handing over, before marking the recipient
        return nid

    with pytest.raises(SystemExit):
        campaigns.dispatch(world.services, cid, send=crashing_send, batch=3)
    world.services.redis.delete(f"console:campaign:{cid}:lock")  # the dead worker's lease runs out
    assert campaigns.dispatch(world.services, cid, send=crashing_send, batch=3) == "done"
    sent = notifications(world, cid)
    assert len(sent) == 8 and len({r for r, _ in sent}) == 8  # one each...
    # ...and the crashed call's message was rolled back with its recipient's step (one transaction), so
    # only that one recipient was handed over twice
    assert len(calls) == 9
    with world.services.db.session() as s:
        assert s.get(Campaign, cid).status == "done"
        counts = campaigns.result_counts(s, cid)
    assert counts == {"sent": 8, "skipped": 4}


def test_paced_at_the_configured_rate(world, fake_sender):
    populate(world, 6)
    with world.services.db.session() as s:
        s.get(Agency, world.agency_id).settings = {"campaign_rate_per_s": 2}
    cid = plan(world, {"kind": "due_month"})
    campaigns.set_status(world.services, cid, "start")
    clock = [0.0]
    campaigns.dispatch(world.services, cid, clock=lambda: clock[0], sleep=lambda d: clock.__setitem__(0, clock[0] + d))
    assert clock[0] == pytest.approx(1.5)  # 4 messages at 2 per second: 0, .5, 1, 1.5


def test_pause_resume_and_daily_quota(world, fake_sender):
    populate(world)
    with world.services.db.session() as s:
        s.get(Agency, world.agency_id).settings = {"campaign_rate_per_s": 0, "template_daily_quota": 3}
    cid = plan(world, {"kind": "due_month"})
    campaigns.set_status(world.services, cid, "start")
    assert campaigns.dispatch(world.services, cid) == "quota"
    assert len(notifications(world, cid)) == 3
    with world.services.db.session() as s:
        campaign = s.get(Campaign, cid)
        assert (campaign.status, campaign.pause_reason) == ("paused", "quota")
    # the next day the watchdog lifts the quota pause
    tomorrow = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    with world.services.db.session() as s:
        s.get(Agency, world.agency_id).settings = {"campaign_rate_per_s": 0}
    assert campaigns.watchdog(world.services, now=tomorrow) == [cid]
    assert campaigns.set_status(world.services, cid, "pause") == "paused"
    assert campaigns.dispatch(world.services, cid) == "paused"
    assert campaigns.watchdog(world.services, now=tomorrow) == []  # a staff pause stays paused
    assert campaigns.set_status(world.services, cid, "resume") == "sending"
    assert campaigns.dispatch(world.services, cid) == "done"
    assert len(notifications(world, cid)) == 8


def test_watchdog_restarts_a_dead_dispatcher(world):
    populate(world, 3)
    cid = plan(world, {"kind": "due_month"})
    campaigns.set_status(world.services, cid, "start")
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)
    assert campaigns.watchdog(world.services, now=later) == [cid]
    world.services.redis.set(f"console:campaign:{cid}:lock", "alive")
    assert campaigns.watchdog(world.services, now=later) == []


def test_browser_flow_preview_send_and_results(as_admin, world, fake_sender):
    from rq import SimpleWorker

    from jobs.console import use_services
    from storage.queues import DEFAULT, queue

    populate(world)
    fake_sender.UNFOLLOWED.add("oid-1")
    preview = as_admin.get("/console/campaigns/preview", query_string={"kind": "due_month"}).get_data(as_text=True)
    assert 'id="preview-total">12<' in preview and 'id="preview-reachable">8<' in preview
    response = post(as_admin, "/console/campaigns", {"kind": "due_month", "name": "十一月提醒", "start": "1"})
    assert response.status_code == 302
    use_services(world.services)
    SimpleWorker([queue(world.services, DEFAULT)], connection=world.services.redis).work(burst=True)
    detail = as_admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "已完成" in detail and "已发送 7" in detail and "失败 1" in detail and "没有绑定微信" in detail
    failed = as_admin.get(response.headers["Location"] + "?result=failed").get_data(as_text=True)
    # WeChat's code explained in Chinese, never its raw English message
    assert "对方已取消关注公众号，收不到消息，请电话通知" in failed and "43004" in failed
    progress = as_admin.get(response.headers["Location"] + "/progress").get_json()
    assert progress["percent"] == 100 and progress["status"] == "done"


def test_automatic_reminders_are_planned_once(world, fake_sender):
    populate(world, 3)
    day = dt.date(TODAY.year, 12, 24)  # Harbin: 7 days before Dec 31
    first = campaigns.plan_automatic(world.services, day)
    assert campaigns.plan_automatic(world.services, day) == []
    with world.services.db.session() as s:
        keys = set(s.scalars(select(Campaign.auto_key).where(Campaign.id.in_(first),
                                                              Campaign.agency_id == world.agency_id)))
    assert keys == {f"auto:{world.agency_id}:deadline7:{TODAY.year}"}
    month_day = dt.date(TODAY.year, 3, 1)
    started = campaigns.plan_automatic(world.services, month_day)
    with world.services.db.session() as s:
        assert set(s.scalars(select(Campaign.auto_key).where(Campaign.id.in_(started),
                                                             Campaign.agency_id == world.agency_id))) == {
            f"auto:{world.agency_id}:due_month:{TODAY.year}-03"}


def test_reach_counts_only_followers_and_the_rest_are_an_excel_call_list(as_admin, world):
    import io as _io

    from openpyxl import load_workbook

    from storage.models import WeChatUser

    populate(world)
    # one of the 8 bound people unfollowed the account: not reach, but a call
    with world.services.db.session() as s:
        s.execute(update(WeChatUser).where(WeChatUser.oa_openid == "oid-1").values(subscribed=False))
    preview = as_admin.get("/console/campaigns/preview", query_string={"kind": "due_month"}).get_data(as_text=True)
    assert 'id="preview-total">12<' in preview and 'id="preview-reachable">7<' in preview
    assert 'id="preview-unreachable">5<' in preview and "下载电话通知名单" in preview
    xlsx = as_admin.get("/console/campaigns/call-list.xlsx", query_string={"kind": "due_month"})
    assert xlsx.status_code == 200
    sheet = load_workbook(_io.BytesIO(xlsx.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(campaigns.CALL_LIST_HEADER) and len(rows) == 6
    reasons = sorted(r[5] for r in rows[1:])
    assert reasons.count("已取消关注公众号") == 1 and reasons.count("没有绑定微信") == 4
    with world.services.db.session() as s:
        assert s.scalar(select(AuditLog.id).where(AuditLog.action == "campaign.call_list")) is not None
