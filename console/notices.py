"""What the console tells people, handed to the bot's send queue (wechat.sender).

Every call has a dedupe key, so a job or a double click that runs twice sends
once. Fields are passed by meaning; wechat/templates.py turns them into the
template's keywords (20 characters each at most).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from storage.models import Binding, BindingKind, Retiree, WeChatUser


def masked_name(name: str) -> str:
    """张三 → 张*, 欧阳修 → 欧*修: template messages can show on a locked screen."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name or "老人"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


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
    from wechat.sender import enqueue_template

    return enqueue_template(services, openid, kind, fields, retiree_id=retiree_id, dedupe_key=dedupe_key,
                            campaign_id=campaign_id)


def review_result_fields(name: str, passed: bool, reason: str = "", next_step: str = "",
                         at: dt.datetime | None = None) -> dict:
    fields = {"name": masked_name(name), "passed": passed, "at": at or dt.datetime.now()}
    if not passed:
        fields.update(reason_text=reason[:20] or "审核未通过", next_step=(next_step or "可到社区服务站办理")[:20])
    return fields


def notify_retiree(services, session: Session, retiree: Retiree, kind: str, fields: dict, dedupe_key: str) -> int | None:
    """Send ``kind`` about ``retiree`` to whoever is bound to them; None when nobody is."""
    openid = openid_of(session, retiree.id)
    if not openid:
        return None
    return send_template(services, openid, kind, {"name": masked_name(retiree.name), **fields},
                         retiree_id=retiree.id, dedupe_key=dedupe_key)
