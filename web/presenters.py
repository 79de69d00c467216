"""How a person and an attempt are shown to the user, the same on the H5 pages and in the mini-program API."""

from __future__ import annotations

import logging

from flows import people as people_flow
from storage.models import Attempt
from wording.zh import METHODS, advice_text, reason_text

log = logging.getLogger("lifecert.web.presenters")



STATUS_WORDS = {
    "certified": "今年已认证",
    "due": "待认证",
    "overdue": "已逾期",
    "suspended": "已暂停发放",
    "in_person_required": "需本人到现场",
    "stopped": "已停发",
}


METHOD_WORDS = METHODS


def person_json(p: people_flow.PersonView) -> dict:
    return {"retiree_id": p.retiree_id, "binding_id": p.binding_id, "kind": p.kind, "name": p.name,
            "status": p.status, "status_text": STATUS_WORDS.get(p.status, p.status),
            "due_by": p.due_by.isoformat() if p.due_by else None,
            "last_certified_on": p.last_certified_on.isoformat() if p.last_certified_on else None}


def attempt_json(attempt: Attempt) -> dict:
    status = attempt.status.value
    if status == "passed":
        headline, detail = "认证通过", "本年度认证已完成，谢谢您！"
    elif status in ("failed", "rejected"):
        headline = "这次没有通过"
        detail = reason_text(attempt.reasons)
        if advice := advice_text(attempt.advice):
            detail += "。" + advice
    elif status == "review":
        headline = "已转人工审核"
        detail = ("多次没有通过，工作人员会帮您审核。也可以到社区服务点办理，或预约上门认证。"
                  if "repeated_failures" in attempt.reasons else "工作人员会尽快审核，结果会通过微信通知您。")
    elif status == "error":
        headline, detail = "系统出了点问题", "请稍后再试一次"
    else:
        headline, detail = "正在核验，请稍候", "一般几秒钟就好"
    return {"attempt_id": attempt.id, "status": status, "verdict": attempt.verdict,
            "reasons": list(attempt.reasons), "advice": list(attempt.advice),
            "finished": status in ("passed", "failed", "rejected", "review", "error"),
            "headline": headline, "detail": detail}
