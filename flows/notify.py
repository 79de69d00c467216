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
from flows import outbox
from storage.models import Attempt, Binding, BindingKind, Retiree, WeChatUser
from wording import zh
from wording.zh import advice_text, reason_text

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


def openid_of(session: Session, retiree_id: int) -> str | None:
    return session.scalar(select(openid_column(Retiree.id)).where(Retiree.id == retiree_id))


def send_template(services, openid: str, kind: str, fields: dict, retiree_id: int | None = None,
                  dedupe_key: str | None = None, campaign_id: int | None = None) -> int:
    """The one place the console reaches the bot's queue; returns the Notification id."""
    return outbox.enqueue_template(services, openid, kind, fields, retiree_id=retiree_id, dedupe_key=dedupe_key,
                            campaign_id=campaign_id)


def review_result_fields(name: str, passed: bool, reason: str = "", next_step: str = "",
                         at: dt.datetime | None = None) -> dict:
    fields = {"name": masked_name(name), "passed": passed, "at": at or dt.datetime.now()}
    if not passed:
        fields.update(reason_text=reason[:20] or zh.REVIEW_NOT_PASSED, next_step=(next_step or zh.REVIEW_NEXT_STEP)[:20])
    return fields


def notify_retiree(services, session: Session, retiree: Retiree, kind: str, fields: dict, dedupe_key: str) -> int | None:
    """Send ``kind`` about ``retiree`` to whoever is bound to them; None when nobody is."""
    openid = openid_of(session, retiree.id)
    if not openid:
        return None
    return send_template(services, openid, kind, {"name": masked_name(retiree.name), **fields},
                         retiree_id=retiree.id, dedupe_key=dedupe_key)


def _short(text: str, limit: int = 20) -> str:
    """WeChat template keyword fields hold at most 20 characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def notify_attempt_result(services, attempt_id: str, openid: str | None, retiree_id: int, status: str,
                          effect=None) -> int | None:
    """Tell the person who recorded the video how it went, and what to do next."""
    if not openid:
        return None
    with services.db.session() as session:
        attempt = session.get(Attempt, attempt_id)
        name = session.scalar(select(Retiree.name).where(Retiree.id == retiree_id))
        reasons, advice = list(attempt.reasons), list(attempt.advice)
    fields: dict = {"name": _short(name or ""), "passed": status == "passed", "at": dt.datetime.now()}
    if status == "review":
        fields["reason_text"] = _short(reason_text(reasons) if reasons else zh.REVIEW_PENDING)
        fields["next_step"] = zh.REVIEW_PENDING_STEP
    elif status != "passed":
        fields["reason_text"] = _short(reason_text(reasons))
        fields["next_step"] = _short(advice_text(advice).split(zh.ADVICE_SEP)[0] if advice else zh.TRY_AGAIN)
    nid = outbox.enqueue_template(services, openid, "cert_result", fields, retiree_id=retiree_id,
                           dedupe_key=f"attempt:{attempt_id}:{status}")
    if effect is not None and effect.resume_month is not None:
        outbox.enqueue_template(services, openid, "resumption", {"name": fields["name"], "from_date": effect.resume_month},
                         retiree_id=retiree_id, dedupe_key=f"attempt:{attempt_id}:resumption")
    return nid
