"""End to end: the fake WeChat (a real HTTP server) pushes to the app (a real HTTP server) and back."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from bot import scenes
from storage.models import WeChatUser
from wechat import qrcode
from wechat.menu import build_menu


def test_subscribe_gets_welcome_and_next_step_and_is_recorded(stack):
    openid = stack.new_user()
    welcome = stack.last_bot_text(openid)
    assert "欢迎关注" in welcome and "资格认证" in welcome
    with stack.services.db.session() as s:
        user = s.scalar(select(WeChatUser).where(WeChatUser.oa_openid == openid))
        assert user.subscribed and user.subscribed_at and user.last_interaction_at
    stack.call("POST", f"/_fake/users/{openid}/unsubscribe")
    with stack.services.db.session() as s:
        assert not s.scalar(select(WeChatUser).where(WeChatUser.oa_openid == openid)).subscribed


def test_menu_push_then_every_menu_item_gives_a_sensible_reply(stack):
    runner = stack.app.test_cli_runner()
    result = runner.invoke(args=["wechat-menu", "push"])
    assert result.exit_code == 0, result.output
    menu = stack.call("GET", "/_fake/state")["menu"]
    assert menu == build_menu(stack.services.settings.wechat)
    openid = stack.new_user()
    expected = {"认证记录": "绑定", "家属代认证": "家人", "认证指南": "四步", "常见问题": "回复数字",
                "联系我们": "12333", "绑定/解绑": "绑定", "联系信息修改": "身份证"}
    for top in menu["button"]:
        for item in top["sub_button"]:
            if item["type"] == "click":
                out = stack.call("POST", f"/_fake/users/{openid}/click", key=item["key"], name=item["name"])
                assert out["status"] == "ok", item
                assert expected[item["name"]] in out["reply"]["Content"], item["name"]
            else:  # 资格认证, 预约上门认证: WeChat opens the OAuth link; it comes back to our page with a code
                out = stack.call("POST", f"/_fake/users/{openid}/view", url=item["url"], name=item["name"])
                resp = requests.get(out["open_url"], allow_redirects=False, timeout=10)
                assert resp.status_code == 302
                location = resp.headers["Location"]
                page = {"资格认证": "/h5/certify", "预约上门认证": "/h5/home-visit"}[item["name"]]
                assert location.startswith(stack.services.settings.wechat.public_base_url + page + "?code=")
                from urllib.parse import parse_qs, urlsplit

                from wechat.oauth import OAuthCodeInvalid, exchange_code

                code = parse_qs(urlsplit(location).query)["code"][0]
                assert exchange_code(stack.services.settings.wechat, code)["openid"] == openid
                with pytest.raises(OAuthCodeInvalid):  # single use
                    exchange_code(stack.services.settings.wechat, code)


@pytest.mark.parametrize("text,expect", [
    ("认证", "资格认证"), ("查询", "绑定"), ("帮助", "回复这些字"), ("绑定", "绑定"),
    ("3", "摘下帽子"), ("刷脸失败了怎么办", "社区服务站"), ("养老金停发了", "补发"), ("我在外地", "居住地"),
    ("随便说点什么", "没看懂"),
])
def test_text_keywords(stack, text, expect):
    openid = stack.new_user()
    out = stack.call("POST", f"/_fake/users/{openid}/text", content=text)
    assert expect in out["reply"]["Content"]


def test_retried_msgid_is_processed_once(stack, monkeypatch):
    import bot.replies

    calls = []
    real = bot.replies.respond
    monkeypatch.setattr(bot.replies, "respond", lambda s, m: calls.append(m.type) or real(s, m))
    openid = stack.new_user()
    calls.clear()
    out = stack.call("POST", f"/_fake/users/{openid}/text", content="查询", repeat=3)  # a look-up, not fixed text
    assert out["tries"] == 3
    assert len({r["Content"] for r in out["replies"]}) == 1  # every copy got the same answer
    assert calls == ["text"]


def test_wechat_retries_a_slow_bot_and_the_retry_is_not_processed_again(stack, monkeypatch):
    import time

    import bot.replies

    calls = []

    def slow(services, msg):
        calls.append(msg.id)
        time.sleep(1.2)  # past try 2's deadline (1.0 s), inside try 3's (1.5 s)
        return "慢慢来"

    monkeypatch.setattr(bot.replies, "respond", slow)
    stack.fake.state.config.push_timeout_s = 0.5  # WeChat's 5 s, scaled down
    openid = stack.call("POST", "/_fake/users")["openid"]
    stack.fake.state.user(openid).subscribed = True
    out = stack.call("POST", f"/_fake/users/{openid}/text", content="查询")
    # try 1 times out; tries 2 and 3 wait for the first copy's answer, and the last one gets it in time
    assert out["tries"] == 3 and out["status"] == "ok" and out["reply"]["Content"] == "慢慢来"
    assert len(calls) == 1


def test_forged_signature_processes_nothing(stack, monkeypatch):
    import bot.replies

    calls = []
    monkeypatch.setattr(bot.replies, "respond", lambda *a: calls.append(a))
    stack.fake.state.config.token = "not-the-real-token"
    openid = stack.call("POST", "/_fake/users")["openid"]
    out = stack.call("POST", f"/_fake/users/{openid}/subscribe")
    assert out["http_status"] == 403 and out["status"] == "broken"
    assert calls == []
    with stack.services.db.session() as s:
        assert s.scalar(select(WeChatUser).where(WeChatUser.oa_openid == openid)) is None


def test_safe_mode_round_trip(safe_stack):
    openid = safe_stack.new_user()
    assert "欢迎关注" in safe_stack.last_bot_text(openid)
    out = safe_stack.call("POST", f"/_fake/users/{openid}/text", content="常见问题")
    assert out["status"] == "ok" and "常见问题" in out["reply"]["Content"]


def test_qr_scan_uses_registered_scene_handler_or_says_expired(stack, monkeypatch):
    monkeypatch.setattr(scenes, "_handlers", {})

    @scenes.on_scene("bind")
    def bind(services, openid, value):
        if value != "good":
            raise scenes.SceneRejected()
        return f"已绑定（{value}）"

    good = qrcode.create_scene_qrcode(stack.services, "bind:good")
    bad = qrcode.create_scene_qrcode(stack.services, "bind:used")
    unknown = qrcode.create_scene_qrcode(stack.services, "mystery:1")
    png = requests.get(good["image_url"].replace("https://mp.weixin.qq.com", stack.fake_url), timeout=10)
    assert png.headers["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"
    newcomer = stack.call("POST", "/_fake/users")["openid"]  # not following: subscribe + qrscene_
    out = stack.call("POST", f"/_fake/users/{newcomer}/scan", ticket=good["ticket"])
    assert out["reply"]["Content"] == "已绑定（good）"
    with stack.services.db.session() as s:
        assert s.scalar(select(WeChatUser).where(WeChatUser.oa_openid == newcomer)).subscribed
    for qr in (bad, unknown):  # already following: SCAN
        out = stack.call("POST", f"/_fake/users/{newcomer}/scan", ticket=qr["ticket"])
        assert "失效" in out["reply"]["Content"]


def test_fake_enforces_token_rotation_and_wechatpy_recovers(stack):
    client = stack.services.wechat
    client.menu.create(build_menu(stack.services.settings.wechat))
    stack.fake.state.config.token_grace_s = 0
    stack.call("POST", "/_fake/rotate")  # someone else force-refreshed: our stored token is now dead
    assert client.menu.get()["menu"]["button"][0]["name"] == "在线服务"
    counts = stack.call("GET", "/_fake/stats")["counts"]
    assert counts["stable_token"] == 2 and counts["token"] == 0
