"""The fake WeChat's own page, in headless Chromium, as a newcomer uses it after `serve.sh --demo`.

A new user, 关注, the welcome reply, the service menu, a typed 帮助 and its answer, and the SMS a
roster phone got. Before: no test opened this page, so a broken script would have left a newcomer
with a page where nothing happens.
"""

from __future__ import annotations

from sms import SmsClient
from tests.webdriver import Browser
from wechat.menu import push_menu
from wording import zh


def test_a_newcomer_chats_with_the_service_on_the_fake_phone(sms_stack):
    push_menu(sms_stack.services)
    SmsClient(sms_stack.services.settings.sms).send("13812345678", "SMS_LC_SELF_CLAIM", {"phone": "12333"})
    browser = Browser()
    try:
        browser.open(sms_stack.fake.url + "/_fake/")
        assert "138****5678" in browser.wait_for_text("有人在微信上用您的姓名", css="#sms")
        assert "13812345678" not in browser.text("#sms")
        assert "在线服务" in browser.wait_for_text("在线服务", css="#menu")
        browser.click("button[onclick='newUser()']")
        browser.wait_for_text("未关注", css="#users")
        browser.click("#subBtn")
        browser.wait_for_text(zh.WELCOME.splitlines()[0], css="#chat")
        browser.type("#text", "帮助")
        browser.click(".input button")
        browser.wait_for_text(zh.HELP.splitlines()[0], css="#chat")
        assert "已关注" in browser.wait_for_text("已关注", css="#users")
    finally:
        browser.quit()
