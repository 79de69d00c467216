"""How a person and an attempt are shown to the user, the same on the H5 pages and in the mini-program API."""

from __future__ import annotations

import logging

from flows import people as people_flow
from flows import result as result_flow
from storage.models import Attempt
from wording import zh
from wording.zh import METHODS, status_line

log = logging.getLogger("lifecert.web.presenters")



STATUS_WORDS = zh.PERSON_STATUS


METHOD_WORDS = METHODS


def person_json(p: people_flow.PersonView) -> dict:
    shown = p.shown_status
    return {"retiree_id": p.retiree_id, "binding_id": p.binding_id, "kind": p.kind, "name": p.name,
            "status": shown,
            # a self claim not yet proven by a face match (flows.people.link_self) shows no status of the record
            "status_text": (zh.SELF_PENDING_TEXT if p.kind == "self_pending"
                            else status_line(shown, p.due_by, p.valid_until, p.back_pay_months)),
            "may_start": p.may_start, "under_review": p.under_review,  # a pending claim proves itself by recording
            "due_by": p.due_by.isoformat() if p.due_by else None,
            "valid_until": p.valid_until.isoformat() if p.valid_until else None,
            "back_pay_months": p.back_pay_months,
            "last_by": zh.certified_by_text(p.last_by, p.last_helper),
            "last_certified_on": p.last_certified_on.isoformat() if p.last_certified_on else None}


def history_json(line: people_flow.CertificationLine) -> dict:
    return {"date": line.certified_on, "method": METHOD_WORDS.get(line.method, line.method),
            "by": zh.certified_by_text(line.by, line.helper)}


def attempt_json(attempt: Attempt, view: result_flow.ResultView | None = None) -> dict:
    """An attempt for the recording page and the mini-program: the result view's words and ways on."""
    view = view or result_flow.result_view(attempt, phone="")
    status = attempt.status.value
    out = {"attempt_id": attempt.id, "status": status, "verdict": attempt.verdict,
           "reasons": list(attempt.reasons), "advice": list(attempt.advice),
           "finished": status in ("passed", "failed", "rejected", "review", "error")}
    detail = "。".join(part for part in (view.reason, view.action) if part)
    return {**out, "headline": view.headline, "detail": detail, "reason": view.reason, "action": view.action,
            "tip": view.tip, "spoken": view.spoken, "retry": view.retry, "phone": view.phone,
            "retry_url": f"/h5/record/{view.retiree_id}", "home_visit_url": view.home_visit_url,
            "result_url": view.result_path}
