"""How a person and an attempt are shown to the user, the same on the H5 pages and in the mini-program API."""

from __future__ import annotations

import logging

from flows import people as people_flow
from storage.models import Attempt
from wording import zh
from wording.zh import METHODS, advice_text, reason_text

log = logging.getLogger("lifecert.web.presenters")



STATUS_WORDS = zh.PERSON_STATUS


METHOD_WORDS = METHODS


def person_json(p: people_flow.PersonView) -> dict:
    return {"retiree_id": p.retiree_id, "binding_id": p.binding_id, "kind": p.kind, "name": p.name,
            "status": p.status, "status_text": STATUS_WORDS.get(p.status, p.status),
            "due_by": p.due_by.isoformat() if p.due_by else None,
            "last_certified_on": p.last_certified_on.isoformat() if p.last_certified_on else None}


def attempt_json(attempt: Attempt) -> dict:
    status = attempt.status.value
    if status == "passed":
        headline, detail = zh.ATTEMPT_PASSED
    elif status in ("failed", "rejected"):
        headline = zh.ATTEMPT_FAILED
        detail = reason_text(attempt.reasons)
        if advice := advice_text(attempt.advice):
            detail += "。" + advice
    elif status == "review":
        headline = zh.ATTEMPT_REVIEW
        detail = (zh.ATTEMPT_REVIEW_REPEATED
                  if "repeated_failures" in attempt.reasons else zh.ATTEMPT_REVIEW_DETAIL)
    elif status == "error":
        headline, detail = zh.ATTEMPT_ERROR
    else:
        headline, detail = zh.ATTEMPT_RUNNING
    return {"attempt_id": attempt.id, "status": status, "verdict": attempt.verdict,
            "reasons": list(attempt.reasons), "advice": list(attempt.advice),
            "finished": status in ("passed", "failed", "rejected", "review", "error"),
            "headline": headline, "detail": detail}
