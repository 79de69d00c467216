"""The retiree's pages as a browser gets them: status, result with its ways on, forgiving forms, errors in Chinese."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from app import create_app
from flows import clock
from storage.models import Agency, Attempt, AttemptStatus, Binding, BindingKind, Challenge

NOW = dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def app(world):
    with world.services.db.session() as s:
        agency = s.get(Agency, world.agency_id)
        agency.settings = {**(agency.settings or {}), "phone": "0451-12333"}
    application = create_app(world.services.settings, world.services)
    application.config["TESTING"] = True
    return application


def login(app, user_id: int):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["wx_user_id"] = user_id
        sess["wx_ver"] = 0  # a fresh user's session version (web/login.py: sessions can be ended)
    return client


def _attempt(world, status, reasons=(), advice=()) -> str:
    with world.services.db.session() as s:
        ch = Challenge(retiree_id=world.retiree_id, wechat_user_id=world.self_user_id, actions=["blink"], nonce="n",
                       created_at=NOW, expires_at=NOW + dt.timedelta(minutes=5))
        s.add(ch)
        s.flush()
        a = Attempt(retiree_id=world.retiree_id, wechat_user_id=world.self_user_id, challenge_id=ch.id,
                    status=status, reasons=list(reasons), advice=list(advice), created_at=NOW)
        s.add(a)
        s.flush()
        return a.id


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_under_review_the_card_says_so_and_offers_no_start(app, world):
    _attempt(world, AttemptStatus.review, ["repeated_failures"])
    page = login(app, world.self_user_id).get("/h5/certify").get_data(as_text=True)
    assert "审核中（预计3个工作日内有结果）" in page
    assert "开始认证" not in page and "待认证" not in page


def test_the_result_page_gives_one_reason_one_action_and_big_ways_on(app, world):
    attempt_id = _attempt(world, AttemptStatus.failed, ["too_dark", "spoof_suspected", "action_missing"],
                          ["more_light", "remove_glasses_hat", "go_offline", "try_again"])
    page = login(app, world.self_user_id).get(f"/h5/result/{attempt_id}").get_data(as_text=True)
    words = text_of(page)
    assert "光线太暗，看不清脸" in words and "请到亮一点的地方再试一次" in words
    assert "摘下帽子和眼镜更容易通过" in words
    assert "不是本人" not in words and "没有做完" not in words  # one reason, no accusation
    assert f'href="/h5/record/{world.retiree_id}"' in page and "再试一次" in words
    assert 'href="tel:0451-12333"' in page and "打电话给社保" in words
    assert f'href="/h5/home-visit?retiree_id={world.retiree_id}"' in page and "预约上门" in words
    assert 'data-speak="这次没有通过。光线太暗，看不清脸。请到亮一点的地方再试一次。摘下帽子和眼镜更容易通过。"' in page
    # someone else cannot read it
    other = world.add_user("o_other")
    assert login(app, other).get(f"/h5/result/{attempt_id}").status_code == 404


def test_a_claim_of_self_not_yet_proven_reads_no_result_of_the_real_person(app, world):
    """Typing someone's name and ID number is not proof: the claimant sees nothing of their record."""
    attempt_id = _attempt(world, AttemptStatus.failed, ["too_dark"], ["more_light"])
    claimant = world.add_user("o_claimant")
    with world.services.db.session() as s:
        claim = Binding(wechat_user_id=claimant, retiree_id=world.retiree_id, kind=BindingKind.self_,
                        created_via="name_id")
        s.add(claim)
        s.flush()
        claim.confirmed_at = None  # the column's default confirms (flows.people._bind does the same)
    assert login(app, claimant).get(f"/h5/result/{attempt_id}").status_code == 404


def test_a_typo_in_the_id_number_keeps_what_was_typed_and_marks_where_to_look(app, world):
    uid = world.add_user("o_new")
    typed = world.zhang_id_number[:10] + "13" + world.zhang_id_number[12:]  # month 13
    res = login(app, uid).post("/h5/link", data={"name": "张桂兰", "id_number": typed})
    page = res.get_data(as_text=True)
    assert res.status_code == 400
    assert 'value="张桂兰"' in page and f'value="{typed}"' in page
    assert "出生日期" in page
    marked = re.findall(r'<span class="wrong">(.)</span>', page)
    assert marked == ["1", "3"]


def test_camera_denied_page_says_how_to_allow_it_and_offers_offline_ways(app, world):
    page = login(app, world.self_user_id).get(f"/h5/camera-help?retiree_id={world.retiree_id}").get_data(as_text=True)
    words = text_of(page)
    assert "需要打开摄像头" in words and "摄像头" in words and "微信" in words
    assert 'href="tel:0451-12333"' in page and "预约上门" in words and "再试一次" in words


def test_errors_are_chinese_pages_and_json_for_the_api(app, world):
    @app.get("/h5/boom")
    def boom():
        raise RuntimeError("boom")

    app.config["TESTING"] = False  # let the error handler answer, as in production
    client = login(app, world.self_user_id)
    res = client.get("/h5/no-such-page")
    assert res.status_code == 404 and "没有找到这个页面" in res.get_data(as_text=True)
    assert 'name="viewport"' in res.get_data(as_text=True)
    res = client.get("/h5/boom")
    assert res.status_code == 500 and "系统出了点问题" in res.get_data(as_text=True)
    assert "Traceback" not in res.get_data(as_text=True) and "Internal Server Error" not in res.get_data(as_text=True)
    res = client.get("/api/no-such-thing")
    assert res.status_code == 404 and res.get_json()["error"] == "not_found" and res.get_json()["message"]
    res = client.get("/console/no-such-page")
    assert res.status_code == 404 and "没有找到这个页面" in res.get_data(as_text=True)
    assert "管理台" in res.get_data(as_text=True)
    res = client.post("/h5/consent")
    assert res.status_code in (302, 401, 403, 400)


def test_a_certified_person_opening_the_recording_page_is_told_there_is_nothing_to_do(app, world):
    from storage.models import Certification, CertificationMethod

    with world.services.db.session() as s:
        s.add(Certification(retiree_id=world.retiree_id, method=CertificationMethod.on_site,
                            certified_on=clock.local_today()))
    page = login(app, world.self_user_id).get(f"/h5/record/{world.retiree_id}").get_data(as_text=True)
    assert "现在不用认证" in page and "已认证（有效至" in page and "开始" not in text_of(page).replace("返回", "")
