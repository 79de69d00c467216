"""The journeys a family takes from the menu: the family page, a home visit, a death report,
a second person on the same phone — each opened as a page, as the user would."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select

from bot import replies
from flows import FlowError, channels, payments, people
from flows import requests as requests_flow
from storage.models import Binding, PensionStatus, Retiree, ServiceRequest, WeChatUser


@pytest.fixture
def h5(app, world):
    """A test client of the app on the world's database, logged in as a WeChat user (``h5.login(uid)``)."""
    client = app.test_client()

    def login(user_id: int):
        with client.session_transaction() as sess:
            sess.clear()
            sess["wx_user_id"] = user_id
            sess["wx_ver"] = 0  # a fresh user's session version (web/login.py: sessions can be ended)
        return client

    client.login = login
    return client


def test_family_page_opens_lists_helpers_and_either_side_ends_it(h5, world):
    son_binding = world.bind(world.family_user_id, world.retiree_id)
    page = h5.login(world.self_user_id).get("/h5/family")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    text = page.get_data(as_text=True)
    assert "出示家属二维码" in text and "正在帮我认证的家人" in text and "一位家人" in text
    assert f"/h5/family/revoke/{son_binding}" in text
    # the family member sees whom they help and can leave
    text = h5.login(world.family_user_id).get("/h5/family").get_data(as_text=True)
    assert "我在帮他们认证" in text and "张桂兰" in text and "不再代认证" in text
    assert h5.post(f"/h5/family/revoke/{son_binding}").status_code == 302
    text = h5.get("/h5/family").get_data(as_text=True)
    assert "张桂兰" not in text
    # and the retiree's page no longer lists a helper
    text = h5.login(world.self_user_id).get("/h5/family").get_data(as_text=True)
    assert "还没有家人帮您认证" in text


def test_home_visit_keeps_what_was_typed_then_files_and_shows_the_schedule(h5, world):
    h5.login(world.self_user_id)
    form = h5.get("/h5/home-visit").get_data(as_text=True)
    assert "联系电话" in form and "工作日上午" in form
    bad = h5.post("/h5/home-visit", data={"retiree_id": world.retiree_id, "phone": "1391234",
                                          "times": ["weekday_morning"], "note": "三楼东"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "请输入正确的11位手机号码" in text
    assert 'value="1391234"' in text and 'value="三楼东"' in text and "checked" in text
    ok = h5.post("/h5/home-visit", data={"retiree_id": world.retiree_id, "phone": "139 1234 5678",
                                         "times": ["weekday_morning", "weekend"]})
    assert ok.status_code == 200 and "已收到您的预约" in ok.get_data(as_text=True)
    with world.services.db.session() as s:
        req = s.scalar(select(ServiceRequest).where(ServiceRequest.retiree_id == world.retiree_id))
        assert req.kind == "home_visit" and req.preferred_times == "weekday_morning,weekend"
        assert req.contact_phone_masked == "139****5678"
        assert world.cipher.decrypt(req.contact_phone_enc, b"phone") == "13912345678"
        channels.handle_request(s, req.id, "schedule", None, world.agency_id, None, dt.date(2026, 12, 3),
                                today=dt.date(2026, 11, 30))
    text = h5.get("/h5/home-visit").get_data(as_text=True)
    assert "已安排：2026年12月3日 上门" in text and "工作日上午、周末" in text


def test_home_visit_for_someone_not_mine_is_refused(h5, world):
    h5.login(world.self_user_id)
    resp = h5.post("/h5/home-visit", data={"retiree_id": world.suspended_id, "phone": "13912345678"})
    assert resp.status_code == 400 and "您还没有绑定这位老人" in resp.get_data(as_text=True)


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x9a\xa0\xa0\x00\x00\x00\x00IEND\xaeB`\x82")


def test_death_report_by_family_then_agency_confirms_and_overpayment_is_exported(h5, world):
    world.bind(world.family_user_id, world.retiree_id)
    h5.login(world.family_user_id)
    assert "去世日期" in h5.get("/h5/death-report").get_data(as_text=True)
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    bad = h5.post("/h5/death-report", data={"retiree_id": world.retiree_id, "died_on": future, "relation": "child"})
    assert bad.status_code == 400 and "去世日期不对" in bad.get_data(as_text=True)
    died = dt.date(2026, 8, 15)
    ok = h5.post("/h5/death-report", content_type="multipart/form-data",
                 data={"retiree_id": str(world.retiree_id), "died_on": died.isoformat(), "relation": "child",
                       "certificate": (io.BytesIO(PNG), "zm.png", "image/png")})
    assert ok.status_code == 200, ok.get_data(as_text=True)[:500]
    assert "已收到" in ok.get_data(as_text=True) and "2026年8月15日" in ok.get_data(as_text=True)
    with world.services.db.session() as s:
        req = s.scalar(select(ServiceRequest).where(ServiceRequest.kind == "death_report"))
        assert req.died_on == died and req.reporter_relation == "child"
        assert world.services.objects.get_bytes(req.certificate_key) == PNG
        # the agency confirms on 20 November: paid for August, stopped from September, 3 months overpaid
        channels.handle_request(s, req.id, "confirm", None, world.agency_id, None, today=dt.date(2026, 11, 20))
        retiree = s.get(Retiree, world.retiree_id)
        assert retiree.pension_status == PensionStatus.stopped and retiree.died_on == died
    with world.services.db.session() as s:
        rows = payments.payment_changes(s, world.agency_id, dt.date.today() - dt.timedelta(days=1),
                                        dt.date.today() + dt.timedelta(days=1))
    stop = [r for r in rows if r[0] == "停止发放"]
    assert len(stop) == 1
    assert stop[0][5] == "2026-09-01"
    assert stop[0][-2:] == [3, "2026-09,2026-10,2026-11"]
    assert payments.HEADER[-2:] == ["多发月数", "多发月份"]
    # the family sees it confirmed
    assert "已核实" in h5.get("/h5/death-report").get_data(as_text=True)


def test_overpaid_months_leave_out_a_suspension_and_a_same_month_confirmation():
    assert requests_flow.overpaid_months(dt.date(2026, 11, 3), dt.date(2026, 11, 20)) == []
    assert requests_flow.overpaid_months(dt.date(2026, 12, 31), dt.date(2027, 2, 1)) == ["2027-01", "2027-02"]
    assert requests_flow.overpaid_months(dt.date(2026, 6, 1), dt.date(2026, 10, 9),
                                         suspended_since=dt.date(2026, 9, 1)) == ["2026-07", "2026-08"]


def test_chat_words_of_a_death_or_a_visit_lead_to_their_page(world):
    for words in ("我父亲去世了", "老人上个月过世了", "我妈死亡了怎么办"):
        answer = replies.text_reply(world.services, "o_any", words)
        assert "节哀" in answer and "death-report" in answer and "没看懂" not in answer
    for words in ("能不能上门", "预约上门认证", "老人行动不便"):
        answer = replies.text_reply(world.services, "o_any", words)
        assert "home-visit" in answer and "上门" in answer


def test_second_person_on_this_phone_only_with_their_own_consent_qr(h5, world):
    """The phone of 张桂兰 adds her husband 王建国 by scanning his consent QR, never by typing his ID."""
    with world.services.db.session() as s:
        share = people.new_binding_token(s, world.suspended_id, purpose="share")
        family = people.new_binding_token(s, world.suspended_id)
    with world.services.db.session() as s:
        phone = s.get(WeChatUser, world.self_user_id)
        with pytest.raises(FlowError):  # a family token is not a consent to share a phone
            people.redeem_share_token(s, phone, family)
    with world.services.db.session() as s:
        with pytest.raises(FlowError):  # nor the other way round
            people.redeem_binding_token(s, s.get(WeChatUser, world.family_user_id), share)
    with world.services.db.session() as s:
        assert people.redeem_share_token(s, s.get(WeChatUser, world.self_user_id), share).name == "王建国"
    with world.services.db.session() as s:
        listed = {p.name for p in people.people_of(s, s.get(WeChatUser, world.self_user_id), dt.date(2026, 11, 22))}
        assert listed == {"张桂兰", "王建国"}
        via = s.scalar(select(Binding.created_via).where(Binding.retiree_id == world.suspended_id))
        assert via == "share_qr"
    text = h5.login(world.self_user_id).get("/h5/family").get_data(as_text=True)
    assert "这部手机上的其他老人" in text and "王建国" in text
    text = h5.get("/h5/add-person").get_data(as_text=True)
    assert "本人同意二维码" in text and "王建国" in text
