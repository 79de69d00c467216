"""What the bot says: answers to events, menu clicks and text, in short plain Chinese for old eyes.

:func:`respond` takes a parsed wechatpy message and returns the reply text (or
None for no reply). It may touch the database; the endpoint runs it under a time
budget and sends a late answer as a customer-service message.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import update

from bot import accounts, faq
from bot.scenes import handle_scene
from storage.models import Notification
from wechat import menu
from wechat.oauth import authorize_url

log = logging.getLogger("lifecert.wechat.replies")

# Events after which WeChat opens the 48-hour customer-service window.
INTERACTIVE_EVENTS = {"subscribe", "subscribe_scan", "scan", "click", "scancode_push", "scancode_waitmsg",
                      "location"}


def _certify_link(settings) -> str:
    return f'<a href="{authorize_url(settings.wechat, menu.CERTIFY_PATH, state="reply")}">点这里开始认证</a>'


def welcome(services) -> str:
    return ("您好，欢迎关注！这里可以在家用手机完成养老金领取资格认证，不用跑腿。\n\n"
            "第一步：点下方菜单“在线服务→资格认证”，按提示绑定本人信息，再拍一段几秒钟的视频就行。\n"
            "家人也可以帮忙：点“在线服务→家属代认证”。\n\n"
            "有问题回复“帮助”。认证免费，不要把验证码告诉任何人。")


def help_text(services) -> str:
    return ("您可以回复这些字：\n"
            "“认证”——怎么在手机上认证\n"
            "“查询”——查看认证记录\n"
            "“家属”——家人怎么帮忙认证\n"
            "“绑定”——绑定或解绑老人\n"
            "“问题”——常见问题\n"
            "“电话”——联系我们\n"
            "也可以直接点下方菜单。")


def guide_text(services) -> str:
    return ("【手机认证四步走】\n"
            "1. 点菜单“在线服务→资格认证”；\n"
            "2. 第一次使用要绑定本人姓名和身份证号；\n"
            "3. 到亮处，摘下帽子眼镜，按提示拍几秒钟视频；\n"
            "4. 等消息通知结果，一般几分钟内就有。\n"
            f"{_certify_link(services.settings)}")


def certify_text(services) -> str:
    return ("在手机上认证很简单：点下方菜单“在线服务→资格认证”，按提示拍几秒钟视频就行。\n"
            f"{_certify_link(services.settings)}\n"
            "拍摄时请到亮处，摘下帽子和眼镜。")


def _page_link(services, path: str, text: str) -> str:
    return f'<a href="{authorize_url(services.settings.wechat, path, state="reply")}">{text}</a>'


def family_text(services) -> str:
    return ("家人可以用自己的手机帮老人认证：\n"
            "1. 老人在自己的微信里打开“家属代认证”，出示家属二维码；\n"
            "2. 家人关注本公众号，用微信“扫一扫”扫这个二维码；\n"
            "3. 绑定后点“在线服务→资格认证”，选择老人，请老人本人对着镜头拍摄。\n"
            "一位家人可以帮几位老人认证。\n" + _page_link(services, "/h5/family", "点这里出示二维码或管理家属"))


def contact_text(services) -> str:
    hotline = services.settings.wechat.hotline
    return (f"人社服务热线：{hotline}（工作日上班时间）。\n"
            "也可以带上身份证，到社区服务站或社保经办窗口办理。\n"
            "在这里直接留言，我们也会看到。")


def contact_info_text(services) -> str:
    return ("修改联系电话，需要先绑定老人。\n" + _page_link(services, "/h5/contact", "点这里修改手机号") +
            f"\n修改地址请带身份证到社保经办窗口办理，或打{services.settings.wechat.hotline}咨询。")


def binding_text(services, openid: str) -> str:
    people = accounts.bound_retirees(services, openid)
    bind_link = (_page_link(services, "/h5/certify", "点这里绑定本人") + "\n"
                 + _page_link(services, "/h5/family", "点这里管理家属代认证（解绑）"))
    if not people:
        return ("您还没有绑定老人。绑定后才能认证和查记录。\n"
                "本人或家人都可以绑定，需要老人的姓名和身份证号。\n" + bind_link)
    lines = ["您已绑定："]
    lines += [f"· {p['name']}（{'本人' if p['kind'] == 'self' else '家属代办'}）" for p in people]
    return "\n".join(lines) + "\n" + bind_link


_STATUS = {"active": "正常发放", "suspended": "暂停发放（补做认证后恢复）", "stopped": "已停发"}


def records_text(services, openid: str) -> str:
    people = accounts.bound_retirees(services, openid)
    if not people:
        return "您还没有绑定老人，暂时查不到认证记录。\n请先点“我的→绑定/解绑”。"
    lines = ["【认证记录】"]
    for p in people:
        last = p["last_certified_on"]
        when = f"{last.year}年{last.month}月{last.day}日" if last else "还没有记录"
        lines.append(f"{p['name']}：上次认证 {when}；养老金{_STATUS.get(p['pension_status'], '')}")
    return "\n".join(lines) + "\n" + _page_link(services, "/h5/records", "点这里看全部记录")


def default_text(services) -> str:
    return "抱歉，没看懂您的意思。\n" + help_text(services)


def _faq_index(services, openid):
    return faq.index_text()


def _family(services, openid):
    return family_text(services)


def _guide(services, openid):
    return guide_text(services)


def _contact(services, openid):
    return contact_text(services)


def _contact_info(services, openid):
    return contact_info_text(services)


def _help(services, openid):
    return help_text(services)


# Answers that are fixed text (no database, no network).
STATIC = {_faq_index, _family, _guide, _contact, _contact_info, _help}

CLICK_REPLIES = {
    menu.CERT_RECORDS: records_text,
    menu.FAMILY: _family,
    menu.GUIDE: _guide,
    menu.FAQ: _faq_index,
    menu.CONTACT: _contact,
    menu.BINDING: binding_text,
    menu.CONTACT_INFO: _contact_info,
}

# (keywords, answer) tried in order on text messages; the first whose keyword appears wins.
KEYWORDS: list[tuple[tuple[str, ...], object]] = [
    (("记录", "查询", "查一下"), records_text),
    (("解绑", "绑定"), binding_text),
    (("家属", "家人", "代认证", "子女"), _family),
    (("帮助", "菜单", "你好", "您好", "在吗", "?", "？"), _help),
    (("问题", "常见"), _faq_index),
    (("电话", "联系", "人工", "客服", "地址"), _contact),
    (("指南", "流程", "步骤"), _guide),
]


def _text_answer(services, openid: str, text: str):
    """(function, args) that answers ``text``; the function is in STATIC when it needs no look-up."""
    text = text.strip()
    hotline = services.settings.wechat.hotline
    if re.fullmatch(r"\d{1,2}", text):
        return (lambda: faq.answer(int(text), hotline) or faq.index_text()), True
    for words, fn in KEYWORDS:
        if any(w in text for w in words):
            return (lambda fn=fn: fn(services, openid)), fn in STATIC
    if found := faq.match(text, hotline):
        return (lambda: found), True
    if "认证" in text:
        return (lambda: certify_text(services)), True
    return (lambda: default_text(services)), True


def text_reply(services, openid: str, text: str) -> str:
    answer, _static = _text_answer(services, openid, text)
    return answer()


def instant(services, msg) -> str | None:
    """The reply, if it is fixed text that needs no database or network (None: call :func:`respond`).

    The endpoint answers these inline, and answers a retry by computing them again, which keeps
    the common case (keywords, guide, FAQ) to one Redis round trip.
    """
    if msg.type == "text":
        answer, static = _text_answer(services, msg.source, msg.content or "")
        return answer() if static else None
    if msg.type == "event" and msg.event == "click" and CLICK_REPLIES.get(msg.key) in STATIC:
        return CLICK_REPLIES[msg.key](services, msg.source)
    return None


def respond(services, msg) -> str | None:
    """The reply text for ``msg`` (a wechatpy message or event), after recording what it says about the user."""
    openid = msg.source
    kind = msg.type if msg.type != "event" else msg.event
    if kind == "subscribe":
        accounts.record(services, openid, subscribed=True)
        return welcome(services)
    if kind == "subscribe_scan":
        accounts.record(services, openid, subscribed=True)
        return handle_scene(services, openid, msg.scene_id or "")
    if kind == "unsubscribe":
        accounts.record(services, openid, subscribed=False, interacted=False)
        return None
    if kind == "templatesendjobfinish":
        _template_delivered(services, str(msg.id), msg.status)
        return None
    if kind == "scan":
        return handle_scene(services, openid, msg.scene_id or "")
    if kind == "click":
        fn = CLICK_REPLIES.get(msg.key)
        return fn(services, openid) if fn else default_text(services)
    if kind == "text":
        return text_reply(services, openid, msg.content or "")
    if kind in ("view", "location", "view_miniprogram") or msg.type == "event":
        return None
    if kind == "video" or kind == "shortvideo":
        return ("收到您的视频。认证视频请在“在线服务→资格认证”里按提示拍摄，聊天里发的视频不能用来认证。\n"
                f"{_certify_link(services.settings)}")
    if kind in ("image", "voice"):
        return "收到。目前只能看懂文字，请回复“帮助”看看能做什么，或打" + services.settings.wechat.hotline + "。"
    return default_text(services)


def _template_delivered(services, msgid: str, status: str) -> None:
    """WeChat's asynchronous delivery report for a template message (TEMPLATESENDJOBFINISH)."""
    new = "delivered" if status == "success" else "failed"
    with services.db.session() as s:
        s.execute(update(Notification).where(Notification.msgid == msgid, Notification.channel == "template")
                  .values(status=new, errmsg=None if new == "delivered" else status[:200]))
