"""The menu as data: WeChat's limits, every click answered, the FAQ covers what retirees ask."""

from __future__ import annotations

from bot import faq, replies
from fakewechat.server import menu_error
from settings import load_settings
from wechat import menu


def test_menu_fits_wechat_limits():
    body = menu.build_menu(load_settings({}).wechat)
    assert menu.problems(body) == []
    assert menu_error(body) == 0  # the fake agrees
    assert 1 <= len(body["button"]) <= 3
    for top in body["button"]:
        assert len(top["name"].encode()) <= 16
        assert 1 <= len(top["sub_button"]) <= 5
        for item in top["sub_button"]:
            assert len(item["name"].encode()) <= 40


def test_limits_are_really_checked():
    too_many = {"button": [{"type": "click", "name": "a", "key": "k"}] * 4}
    assert menu.problems(too_many) and menu_error(too_many) == 40016
    long_name = {"button": [{"name": "这是一个太长的菜单名", "sub_button": [{"type": "click", "name": "x", "key": "k"}]}]}
    assert menu.problems(long_name) and menu_error(long_name) == 40018
    six = {"button": [{"name": "多", "sub_button": [{"type": "click", "name": str(i), "key": "k"} for i in range(6)]}]}
    assert menu.problems(six)


def test_expected_items_and_certify_goes_through_oauth():
    body = menu.build_menu(load_settings({}).wechat)
    names = {top["name"]: [i["name"] for i in top["sub_button"]] for top in body["button"]}
    assert names == {"在线服务": ["资格认证", "认证记录", "家属代认证", "预约上门认证"],
                     "办事指南": ["认证指南", "常见问题", "联系我们"], "我的": ["绑定/解绑", "联系信息修改"]}
    visit = body["button"][0]["sub_button"][3]
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fh5%2Fhome-visit" in visit["url"]
    certify = body["button"][0]["sub_button"][0]
    assert certify["url"].startswith("https://open.weixin.qq.com/connect/oauth2/authorize?appid=")
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fh5%2Fcertify" in certify["url"]


def test_every_click_key_has_an_answer():
    body = menu.build_menu(load_settings({}).wechat)
    keys = {i["key"] for top in body["button"] for i in top["sub_button"] if i["type"] == "click"}
    assert keys <= set(replies.CLICK_REPLIES)


def test_faq_covers_what_retirees_ask():
    text = "\n".join(faq.answer(i, "12333") for i in range(1, len(faq.ENTRIES) + 1))
    for must in ("每年", "12个月", "摘下帽子", "光线" if "光线" in text else "明亮", "框里", "社区服务站", "上门",
                 "下个月", "补发", "家人", "外地", "免费"):
        assert must in text, must
    assert faq.answer(99, "12333") is None
