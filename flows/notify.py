"""What the certification flow tells people, handed to the bot's send queue.

Each message has a dedupe key, so a job that runs twice sends once.
"""

from __future__ import annotations

import datetime as dt
import logging

from web.wording import advice_text, reason_text

log = logging.getLogger("lifecert.flows.notify")

def _short(text: str, limit: int = 20) -> str:
    """WeChat template keyword fields hold at most 20 characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def notify_attempt_result(services, attempt_id: str, openid: str | None, retiree_id: int, status: str,
                          effect=None) -> int | None:
    """Tell the person who recorded the video how it went, and what to do next."""
    if not openid:
        return None
    from sqlalchemy import select

    from storage.models import Attempt, Retiree

    with services.db.session() as session:
        attempt = session.get(Attempt, attempt_id)
        name = session.scalar(select(Retiree.name).where(Retiree.id == retiree_id))
        reasons, advice = list(attempt.reasons), list(attempt.advice)
    fields: dict = {"name": _short(name or ""), "passed": status == "passed", "at": dt.datetime.now()}
    if status == "review":
        fields["reason_text"] = _short(reason_text(reasons) if reasons else "需要人工确认")
        fields["next_step"] = "工作人员审核后通知您"
    elif status != "passed":
        fields["reason_text"] = _short(reason_text(reasons))
        fields["next_step"] = _short(advice_text(advice).split("；")[0] if advice else "请再试一次")
    from wechat.sender import enqueue_template

    nid = enqueue_template(services, openid, "cert_result", fields, retiree_id=retiree_id,
                           dedupe_key=f"attempt:{attempt_id}:{status}")
    if effect is not None and effect.resume_month is not None:
        enqueue_template(services, openid, "resumption", {"name": fields["name"], "from_date": effect.resume_month},
                         retiree_id=retiree_id, dedupe_key=f"attempt:{attempt_id}:resumption")
    return nid
