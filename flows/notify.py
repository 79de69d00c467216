"""Who is told what: the messages the certification flow and the console send, by meaning.

Everything here hands a message to the outbox (flows/outbox.py) with a dedupe key, so a job
or a double click that runs twice sends once. Fields are passed by meaning; wechat/templates.py
turns them into the template's keywords (20 characters each at most).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from certification.names import mask_name
from flows import clock, get_row, outbox
from flows import result as result_flow
from storage.models import Agency, Attempt, Binding, BindingKind, Retiree, WeChatUser
from wechat.oauth import authorize_url
from wording import zh

log = logging.getLogger("lifecert.flows.notify")


def masked_name(name: str) -> str:
    """The name as a template message shows it (see certification.names.mask_name)."""
    return mask_name(name) or zh.NAME_FALLBACK

def openid_column(retiree_id_column):
    """Correlated subquery: the official-account openid to write to about a retiree.

    Their own binding first, else the family member who bound first. One per
    retiree, so a family of five gets one reminder, not five.
    """
    return (select(WeChatUser.oa_openid)
            .join(Binding, Binding.wechat_user_id == WeChatUser.id)
            .where(Binding.retiree_id == retiree_id_column, Binding.revoked_at.is_(None),
                   WeChatUser.oa_openid.is_not(None))
            .order_by(case((Binding.kind == BindingKind.self_, 0), else_=1), Binding.id)
            .limit(1).correlate_except(Binding, WeChatUser).scalar_subquery())


def reachable_openid_column(retiree_id_column):
    """Like :func:`openid_column`, but only an account that still follows us: WeChat refuses template
    messages to anyone else (43004), so they are not reach, they are people to call."""
    return (select(WeChatUser.oa_openid)
            .join(Binding, Binding.wechat_user_id == WeChatUser.id)
            .where(Binding.retiree_id == retiree_id_column, Binding.revoked_at.is_(None),
                   WeChatUser.oa_openid.is_not(None), WeChatUser.subscribed.is_(True))
            .order_by(case((Binding.kind == BindingKind.self_, 0), else_=1), Binding.id)
            .limit(1).correlate_except(Binding, WeChatUser).scalar_subquery())


def openid_of(session: Session, retiree_id: int) -> str | None:
    return session.scalar(select(openid_column(Retiree.id)).where(Retiree.id == retiree_id))


def send_template(services, openid: str, kind: str, fields: dict, retiree_id: int | None = None,
                  dedupe_key: str | None = None, campaign_id: int | None = None,
                  session: Session | None = None) -> int:
    """The one place the console reaches the bot's queue; returns the Notification id.

    Pass the ``session`` of the transaction that causes the message: the row is written in it.
    """
    return outbox.enqueue_template(services, openid, kind, fields, retiree_id=retiree_id, dedupe_key=dedupe_key,
                                   campaign_id=campaign_id, session=session)


def review_result_fields(name: str, passed: bool, reason: str = "", next_step: str = "",
                         at: dt.datetime | None = None) -> dict:
    fields = {"name": masked_name(name), "passed": passed, "at": at or clock.local_now()}
    if not passed:
        fields.update(reason_text=reason[:20] or zh.REVIEW_NOT_PASSED, next_step=(next_step or zh.REVIEW_NEXT_STEP)[:20])
    return fields


def notify_retiree(services, session: Session, retiree: Retiree, kind: str, fields: dict, dedupe_key: str) -> int | None:
    """Send ``kind`` about ``retiree`` to whoever is bound to them; None when nobody is."""
    openid = openid_of(session, retiree.id)
    if not openid:
        return None
    return send_template(services, openid, kind, {"name": masked_name(retiree.name), **fields},
                         retiree_id=retiree.id, dedupe_key=dedupe_key, session=session)


def _short(text: str, limit: int = 20) -> str:
    """WeChat template keyword fields hold at most 20 characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def notify_attempt_result(services, session: Session, attempt_id: str, openid: str | None, retiree_id: int,
                          status: str, effect=None, at: dt.datetime | None = None) -> int | None:
    """Tell the person who recorded the video how it went and what to do next, with a link to the result page.

    Called inside the transaction that records the verdict: the messages are written with it. The words
    are those of the result page (flows.result), each within WeChat's 20 characters, and the time is the
    agency's local time. When a family member passed for the retiree, the retiree's own account is told too.
    """
    if not openid:
        return None
    attempt = get_row(session, Attempt, attempt_id)
    retiree = session.get(Retiree, retiree_id)
    name = retiree.name if retiree else ""
    zone = clock.zone_of(session.get(Agency, retiree.agency_id) if retiree else None)
    view = result_flow.result_of(session, attempt, services.settings.wechat.hotline)
    own_openid = _own_openid(session, retiree_id)
    local_at = clock.local_now(zone, at)
    fields: dict = {"name": masked_name(name), "passed": status == "passed", "review": status == "review",
                    "at": local_at}
    if status != "passed":
        fields["reason_text"] = view.reason or zh.FAILURE_DEFAULT[0]
        fields["next_step"] = view.action or zh.TRY_AGAIN
    url = authorize_url(services.settings.wechat, view.result_path, state="msg")
    nid = outbox.enqueue_template(services, openid, "cert_result", fields, retiree_id=retiree_id,
                                  dedupe_key=f"attempt:{attempt_id}:{status}", url=url, session=session)
    if status == "passed" and own_openid and own_openid != openid:
        # a family member certified for the retiree: the retiree's own WeChat hears of it
        call = zh.FAMILY_CERTIFIED_CALL.format(phone=view.phone)
        outbox.enqueue_template(services, own_openid, "cert_result", {
            "name": masked_name(name), "passed": True, "at": local_at, "reason_text": zh.family_certified_step(_helper_name(session, attempt)),
            "next_step": call if len(call) <= 20 else zh.FAMILY_CERTIFIED_CALL_SHORT},
            retiree_id=retiree_id, dedupe_key=f"attempt:{attempt_id}:told-self", session=session)
    if effect is not None and effect.resume_month is not None:
        outbox.enqueue_template(services, openid, "resumption",
                                {"name": fields["name"], "from_date": effect.resume_month},
                                retiree_id=retiree_id, dedupe_key=f"attempt:{attempt_id}:resumption", session=session)
    return nid


def _helper_name(session: Session, attempt: Attempt) -> str | None:
    """The name the family helper who made ``attempt`` gave themself, if any."""
    return session.scalar(select(Binding.helper_name).where(
        Binding.wechat_user_id == attempt.wechat_user_id, Binding.retiree_id == attempt.retiree_id,
        Binding.kind == BindingKind.family).order_by(Binding.id.desc()).limit(1))


def _own_openid(session: Session, retiree_id: int) -> str | None:
    """The retiree's own (self-bound) official-account openid, if any."""
    return session.scalar(select(WeChatUser.oa_openid).join(Binding, Binding.wechat_user_id == WeChatUser.id).where(
        Binding.retiree_id == retiree_id, Binding.kind == BindingKind.self_, Binding.revoked_at.is_(None)).limit(1))
