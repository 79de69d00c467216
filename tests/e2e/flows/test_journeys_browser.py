"""The family's and the agency's walks in headless Chromium at 390 px, through the fake WeChat.

Each walk asserts on what the person reads and saves a screenshot under test-artifacts/:
the family page, a home visit (and the date staff set), a death report and the agency's
confirmation, a second person added to the same phone by their consent QR, and the
console's user page.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from certification.cycle import HARBIN
from certification.idnumber import mask_id_number
from flows import channels, people
from storage.models import (
    AdminRole,
    AdminUser,
    Agency,
    Binding,
    BindingKind,
    Certification,
    PensionStatus,
    Retiree,
    ServiceRequest,
)
from tests.conftest import REPO
from tests.integration.flows.conftest import make_id
from tests.integration.wechat.conftest import build_stack

ARTIFACTS = REPO / "test-artifacts"
PASSWORD = "journeys pass 12"


@pytest.fixture
def stack(tmp_path, redis_url):
    s, stops = build_stack(tmp_path, redis_url)
    yield s
    for stop in stops:
        stop()


@pytest.fixture
def browser():
    from tests.webdriver import Browser

    b = Browser()
    b._s("POST", "/window/rect", {"width": 390, "height": 844})
    yield b
    b.quit()


def seed(stack) -> dict:
    """An agency, 张桂兰 (her own WeChat) and her husband 王建国 (no WeChat), a son, an admin."""
    cipher = stack.services.cipher
    ids = {}
    with stack.services.db.session() as s:
        agency = Agency(code="harbin", name="哈尔滨市社保中心", cycle_policy=HARBIN.to_dict())
        s.add(agency)
        s.flush()
        for name, number in (("张桂兰", make_id("230102", "19400315", "124")),
                             ("王建国", make_id("230102", "19380601", "131"))):
            r = Retiree(agency_id=agency.id, name=name, id_number_enc=cipher.encrypt(number, b"id_number"),
                        id_number_index=cipher.blind_index(number, b"id_number"),
                        id_number_masked=mask_id_number(number),
                        birth_date=dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
                        address="南岗区一曼街1号")
            s.add(r)
            s.flush()
            s.add(Certification(retiree_id=r.id, method="on_site", certified_on=dt.date(2025, 12, 10)))
            ids[name] = r.id
        s.add(AdminUser(username="admin1", password_hash=generate_password_hash(PASSWORD), role=AdminRole.admin,
                        agency_id=agency.id))
    ids["zhang_openid"], ids["son_openid"] = stack.new_user(), stack.new_user()
    with stack.services.db.session() as s:
        zhang = people.user_for_openid(s, oa_openid=ids["zhang_openid"])
        son = people.user_for_openid(s, oa_openid=ids["son_openid"])
        s.add(Binding(wechat_user_id=zhang.id, retiree_id=ids["张桂兰"], kind=BindingKind.self_, created_via="name_id"))
        s.add(Binding(wechat_user_id=son.id, retiree_id=ids["张桂兰"], kind=BindingKind.family, created_via="qr_code"))
        people.give_consent(s, zhang)
        people.give_consent(s, son)
    return ids


def open_as(stack, browser, openid: str, path: str) -> None:
    """A fresh phone session: the user taps a link in WeChat and comes through OAuth to ``path``."""
    from wechat.oauth import authorize_url

    browser._s("DELETE", "/cookie")
    opened = stack.call("POST", f"/_fake/users/{openid}/view",
                        url=authorize_url(stack.services.settings.wechat, path, state="menu"), name=path)
    browser.open(opened["open_url"])


def console_login(stack, browser) -> None:
    browser._s("DELETE", "/cookie")
    browser.open(stack.app_url + "/console/login")
    browser.type("#username", "admin1")
    browser.type("#password", PASSWORD)
    browser.click("#login-button")
    browser.wait_for_text("退出")


def shot(browser, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    browser.screenshot(ARTIFACTS / name)


def test_family_page_and_home_visit_walk(stack, browser):
    ids = seed(stack)
    open_as(stack, browser, ids["zhang_openid"], "/h5/family")
    text = browser.wait_for_text("家属代认证")
    assert "出示家属二维码" in text and "正在帮我认证的家人" in text and "一位家人" in text
    assert "Internal Server Error" not in text
    shot(browser, "h5-family.png")
    browser.click("a[href^='/h5/family/qr/']")
    assert "二维码" in browser.wait_for_text("二维码")
    shot(browser, "h5-family-qr.png")

    # the son writes what his mother should read for him; a number is refused and kept out
    open_as(stack, browser, ids["son_openid"], "/h5/family")
    browser.wait_for_text("您的称呼")
    browser.type("input[name=helper_name]", "13912345678")
    browser.click(".proxy-of form[action^='/h5/family/name/'] button")
    assert "不要写数字" in browser.wait_for_text("称呼没有保存")
    open_as(stack, browser, ids["son_openid"], "/h5/family")
    browser.wait_for_text("您的称呼")
    browser.type("input[name=helper_name]", "儿子 小明")
    browser.click(".proxy-of form[action^='/h5/family/name/'] button")
    browser.wait_for_text("我在帮他们认证")
    assert browser.script("return document.querySelector('input[name=helper_name]').value") == "儿子 小明"
    shot(browser, "h5-family-helper-name.png")
    open_as(stack, browser, ids["zhang_openid"], "/h5/family")
    assert "家属 儿子 小明" in browser.wait_for_text("家属 儿子")

    # the menu's 预约上门认证: a wrong phone number keeps what was typed
    open_as(stack, browser, ids["zhang_openid"], "/h5/home-visit")
    browser.wait_for_text("预约上门认证")
    browser.type("#phone", "1391234")
    browser.click("input[name=times][value=weekday_morning]")
    browser.type("#note", "三楼东户")
    browser.click("#visit-form button[type=submit]")
    assert "请输入正确的11位手机号码" in browser.wait_for_text("11位", "#message")
    assert browser.script("return document.querySelector('#phone').value") == "1391234"
    assert browser.script("return document.querySelector('#note').value") == "三楼东户"
    assert browser.script("return document.querySelector('input[value=weekday_morning]').checked") is True
    browser.script("document.querySelector('#phone').value = ''")
    browser.type("#phone", "13912345678")
    browser.click("#visit-form button[type=submit]")
    assert "已收到您的预约" in browser.wait_for_text("已收到", "#filed")
    assert "工作日上午" in browser.text("body") and "139****5678" in browser.text("body")
    shot(browser, "h5-home-visit-filed.png")

    # staff set a date in the console; the family sees it
    with stack.services.db.session() as s:
        req = s.scalar(select(ServiceRequest).where(ServiceRequest.kind == "home_visit"))
        visit_day = dt.date.today() + dt.timedelta(days=3)
        channels.handle_request(s, req.id, "schedule", None, s.get(Retiree, req.retiree_id).agency_id, None,
                                visit_day)
    open_as(stack, browser, ids["zhang_openid"], "/h5/home-visit")
    text = browser.wait_for_text("已安排")
    assert f"已安排：{visit_day.year}年{visit_day.month}月{visit_day.day}日 上门" in text
    shot(browser, "h5-home-visit-scheduled.png")


def test_death_report_and_the_agency_confirms_walk(stack, browser):
    ids = seed(stack)
    # the son writes "我父亲去世了" in the chat: he is led to the report, not to "没看懂"
    stack.call("POST", f"/_fake/users/{ids['son_openid']}/text", content="我母亲去世了")
    reply = stack.last_bot_text(ids["son_openid"])
    assert "节哀" in reply and "没看懂" not in reply
    open_as(stack, browser, ids["son_openid"], "/h5/death-report")
    browser.wait_for_text("去世日期")
    died = dt.date.today().replace(day=1) - dt.timedelta(days=40)
    browser.script("document.querySelector('#died_on').value = arguments[0]", died.isoformat())
    browser.script("document.querySelector('#relation').value = 'child'")
    shot(browser, "h5-death-report-form.png")
    browser.click("#death-form button[type=submit]")
    assert "工作人员核实后会联系您" in browser.wait_for_text("已收到", "#filed")
    assert f"{died.year}年{died.month}月{died.day}日" in browser.text("body")
    shot(browser, "h5-death-report-filed.png")

    # the agency confirms, after a confirmation step that says what will happen
    console_login(stack, browser)
    browser.open(stack.app_url + "/console/requests")
    text = browser.wait_for_text("家属报告的死亡信息")
    assert "张桂兰" in text and "子女" in text
    browser.click("#death-table button.danger")
    text = browser.wait_for_text("确认停发待遇")
    stop = (died.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    assert f"从{stop.year}年{stop.month}月起停发" in text and "不能撤销" in text and "已多发" in text
    shot(browser, "console-death-confirm.png")
    browser.click("#confirm-yes")
    browser.wait_for_text("已处理")
    with stack.services.db.session() as s:
        retiree = s.get(Retiree, ids["张桂兰"])
        assert retiree.pension_status == PensionStatus.stopped and retiree.died_on == died
    open_as(stack, browser, ids["son_openid"], "/h5/death-report")
    assert "已核实" in browser.wait_for_text("已核实")


def test_second_person_on_the_same_phone_by_consent_qr_walk(stack, browser):
    ids = seed(stack)
    open_as(stack, browser, ids["zhang_openid"], "/h5/add-person")
    text = browser.wait_for_text("老伴也用这部手机")
    assert "本人同意" in text and "只填姓名和身份证号不能添加别人" in text
    shot(browser, "h5-add-person.png")
    # staff give 王建国 his own consent QR at the counter
    console_login(stack, browser)
    browser.open(f"{stack.app_url}/console/people/{ids['王建国']}")
    browser.click("#consent-qr-button")
    text = browser.wait_for_text("只能用一次")
    assert "交给 王建国 本人" in text
    shot(browser, "console-consent-qr.png")
    ticket = next(q["ticket"] for q in stack.call("GET", "/_fake/state")["qrcodes"] if q["scene"].startswith("share:"))
    # the shared phone scans it
    stack.call("POST", f"/_fake/users/{ids['zhang_openid']}/scan", ticket=ticket)
    assert "已添加 王建国" in stack.last_bot_text(ids["zhang_openid"])
    open_as(stack, browser, ids["zhang_openid"], "/h5/certify")
    text = browser.wait_for_text("王建国")
    assert "张桂兰" in text
    shot(browser, "h5-two-people-one-phone.png")
    open_as(stack, browser, ids["zhang_openid"], "/h5/family")
    assert "这部手机上的其他老人" in browser.wait_for_text("这部手机上的其他老人")


def test_console_user_page_walk(stack, browser):
    seed(stack)
    console_login(stack, browser)
    browser._s("POST", "/window/rect", {"width": 1280, "height": 900})
    browser.open(stack.app_url + "/console/users")
    browser.wait_for_text("新建账号")
    browser.type("#new-user input[name=username]", "li.ming")
    browser.type("#new-user input[name=password]", "a long password 1")
    browser.script("document.querySelector('#new-user select[name=role]').value = 'reviewer'")
    browser.click("#new-user button[type=submit]")
    assert "已创建账号 li.ming" in browser.wait_for_text("已创建账号")
    browser.click("tr[data-username='li.ming'] button.danger")
    assert "停用后，li.ming 马上不能再登录管理台" in browser.wait_for_text("确认停用账号")
    browser.click("#confirm-yes")
    browser.wait_for_text("已停用")
    assert "已停用" in browser.text("tr[data-username='li.ming'] .state")
    shot(browser, "console-users.png")
    # the cycle: a dry run in plain words, and 立即执行 asks before it suspends anyone
    browser.open(stack.app_url + "/console/cycle")
    dry = browser.wait_for_text("预计发微信通知", "#dry-run")
    assert "哈尔滨市社保中心" in dry and "harbin" not in dry
    browser.click("form[action$='/cycle/run'] button")
    text = browser.wait_for_text("确认立即执行认证周期")
    assert "不能撤销" in text and "哈尔滨市社保中心" in text
    shot(browser, "console-cycle-confirm.png")
    browser.click("#confirm-no")
    browser.wait_for_text("导出给发放系统")
