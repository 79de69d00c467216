"""What the bot says: answers to events, menu clicks and text, in short plain Chinese for old eyes.

:func:`respond` takes a parsed wechatpy message and returns the reply text (or
None for no reply). It may touch the database; the endpoint runs it under a time
budget and sends a late answer as a customer-service message.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import select

from bot import accounts, faq
from bot.scenes import handle_scene
from certification.names import mask_name
from flows import clock, outbox
from flows import people as people_flow
from storage.models import WeChatUser
from wechat import menu
from wechat.oauth import authorize_url
from wording import zh
from wording.zh import status_line

log = logging.getLogger("lifecert.wechat.replies")

# Events after which WeChat opens the 48-hour customer-service window.
INTERACTIVE_EVENTS = {"subscribe", "subscribe_scan", "scan", "click", "scancode_push", "scancode_waitmsg",
                      "location"}


def _certify_link(settings) -> str:
    return f'<a href="{authorize_url(settings.wechat, menu.CERTIFY_PATH, state="reply")}">{zh.LINK_CERTIFY}</a>'


def welcome(services) -> str:
    return zh.WELCOME


def help_text(services) -> str:
    return zh.HELP


def guide_text(services) -> str:
    return zh.GUIDE.format(link=_certify_link(services.settings))


def certify_text(services) -> str:
    return zh.CERTIFY.format(link=_certify_link(services.settings))


def _page_link(services, path: str, text: str) -> str:
    return f'<a href="{authorize_url(services.settings.wechat, path, state="reply")}">{text}</a>'


def family_text(services) -> str:
    return zh.FAMILY + _page_link(services, "/h5/family", zh.LINK_FAMILY)


def contact_text(services) -> str:
    hotline = services.settings.wechat.hotline
    return zh.CONTACT.format(hotline=hotline)


def contact_info_text(services) -> str:
    return (zh.CONTACT_INFO + _page_link(services, "/h5/contact", zh.LINK_CONTACT_INFO) +
            zh.CONTACT_INFO_ADDRESS.format(hotline=services.settings.wechat.hotline))


def binding_text(services, openid: str) -> str:
    people = accounts.bound_retirees(services, openid)
    bind_link = (_page_link(services, "/h5/certify", zh.LINK_BIND_SELF) + "\n"
                 + _page_link(services, "/h5/family", zh.LINK_MANAGE_FAMILY))
    if not people:
        return zh.NOT_BOUND_YET + bind_link
    lines = [zh.BOUND_HEADER]
    lines += [zh.BOUND_LINE.format(name=p['name'], kind=zh.BINDING_KINDS.get(p['kind'], zh.BINDING_KINDS['family']))
              for p in people]
    return "\n".join(lines) + "\n" + bind_link


_STATUS = zh.PENSION_STATUS


def records_text(services, openid: str) -> str:
    """The 查询 reply: one clear status per person, in Beijing time, with who did the last certification."""
    with services.db.session() as db:
        user = db.scalar(select(WeChatUser).where(WeChatUser.oa_openid == openid))
        people = people_flow.people_of(db, user, clock.local_today()) if user is not None else []
    if not people:
        return zh.RECORDS_NOT_BOUND
    lines = [zh.RECORDS_HEADER]
    for p in people:
        status = status_line(p.shown_status, p.due_by, p.valid_until, p.back_pay_months)
        line = zh.RECORDS_STATUS_LINE.format(name=mask_name(p.name), status=status)
        if p.last_certified_on:
            line += zh.RECORDS_LAST_BY.format(when=zh.date_text(p.last_certified_on),
                                              by=zh.certified_by_text(p.last_by or "self", p.last_helper))
        lines.append(line)
    return "\n".join(lines) + "\n" + _page_link(services, "/h5/records", zh.LINK_RECORDS)


def home_visit_text(services) -> str:
    return zh.HOME_VISIT_CHAT + "\n" + _page_link(services, menu.HOME_VISIT_PATH, zh.HOME_VISIT_LINK)


def death_report_text(services) -> str:
    return zh.DEATH_REPORT_CHAT + "\n" + _page_link(services, "/h5/death-report", zh.DEATH_REPORT_LINK)


def _home_visit(services, openid):
    return home_visit_text(services)


def _death_report(services, openid):
    return death_report_text(services)


def default_text(services) -> str:
    return zh.NOT_UNDERSTOOD + help_text(services)


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
STATIC = {_faq_index, _family, _guide, _contact, _contact_info, _help, _home_visit, _death_report}

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
    # first: a family telling us of a death must never get a menu or "didn't understand"
    (zh.KEYWORDS_DEATH, _death_report),
    (zh.KEYWORDS_HOME_VISIT, _home_visit),
    (zh.KEYWORDS_RECORDS, records_text),
    (zh.KEYWORDS_BINDING, binding_text),
    (zh.KEYWORDS_FAMILY, _family),
    (zh.KEYWORDS_HELP, _help),
    (zh.KEYWORDS_FAQ, _faq_index),
    (zh.KEYWORDS_CONTACT, _contact),
    (zh.KEYWORDS_GUIDE, _guide),
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
    if zh.KEYWORD_CERTIFY in text:
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
        outbox.record_delivery_report(services, openid, str(msg.id), msg.status or "")
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
        return zh.VIDEO_IN_CHAT.format(link=_certify_link(services.settings))
    if kind in ("image", "voice"):
        return zh.TEXT_ONLY.format(hotline=services.settings.wechat.hotline)
    return default_text(services)
