"""What a finished attempt tells its user: one main reason, one action, at most one tip, and the ways on.

The same view feeds the result page, the recording page's JSON, the words read
aloud and the template message, so the four never disagree. Evidence counts as
strong only where a model is confident (a very low live score, a face far from
the enrolled photo) and nothing about the picture's quality explains the miss.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from storage.models import Agency, Attempt, Retiree
from wording import zh

HOME_VISIT_PATH = "/h5/home-visit"  # journeys-agency's home-visit request page
QUALITY_REASONS = frozenset(zh.FAILURE_ORDER) - {"spoof_suspected", "not_same_person"}


@dataclasses.dataclass(frozen=True)
class ResultView:
    attempt_id: str
    retiree_id: int
    status: str  # AttemptStatus value
    finished: bool
    headline: str
    reason: str  # one short sentence (≤ 20 characters), "" while running
    action: str  # the one thing to do (≤ 20 characters)
    tip: str  # at most one secondary tip, may be ""
    phone: str  # the agency's number, for the 打电话给社保 button
    retry: bool  # offer 再试一次
    home_visit_url: str

    @property
    def spoken(self) -> str:
        """Everything the page shows, as one text to read aloud."""
        return "。".join(part for part in (self.headline, self.reason, self.action, self.tip) if part) + "。"

    @property
    def result_path(self) -> str:
        return f"/h5/result/{self.attempt_id}"


def strong_evidence(reasons, scores: dict | None, spoof_fail_below: float = 0.35) -> bool:
    """Whether a failure may be put down to "not the person, not live": confident models, no quality excuse."""
    reasons = set(reasons or ())
    scores = scores or {}
    if reasons & QUALITY_REASONS:
        return False
    if "not_same_person" in reasons:
        return True
    live = scores.get("spoof_live_score")
    return "spoof_suspected" in reasons and isinstance(live, (int, float)) and live < spoof_fail_below


def agency_phone(agency: Agency | None, hotline: str) -> str:
    """The number retirees of ``agency`` call (``agency.settings["phone"]``), else the account's hotline."""
    phone = ((agency.settings or {}).get("phone") if agency is not None else None) or hotline
    return str(phone).strip()


def result_of(session: Session, attempt: Attempt, hotline: str = "12333") -> ResultView:
    """The result of ``attempt`` with the number of its retiree's agency."""
    retiree = session.get(Retiree, attempt.retiree_id)
    return result_view(attempt, agency_phone(session.get(Agency, retiree.agency_id) if retiree else None, hotline))


def result_view(attempt: Attempt, phone: str) -> ResultView:
    """The words and ways on of ``attempt`` (no database: the phone number is handed in)."""
    status = attempt.status.value
    home_visit = f"{HOME_VISIT_PATH}?retiree_id={attempt.retiree_id}"
    finished = status in ("passed", "failed", "rejected", "review", "error")
    headline = zh.RESULT_HEADLINES.get(status, zh.RESULT_RUNNING_HEADLINE)
    reason = action = tip = ""
    retry = False
    if status == "passed":
        reason, action = zh.PASSED_WORDS
    elif status in ("failed", "rejected"):
        reason, action, tip = zh.failure_words(attempt.reasons, attempt.advice,
                                               strong_evidence(attempt.reasons, attempt.scores))
        retry = True
    elif status == "review":
        reason, action = (zh.REVIEW_REPEATED_WORDS if "repeated_failures" in (attempt.reasons or [])
                          else zh.REVIEW_WORDS)
    elif status == "error":
        (reason, action), retry = zh.RESULT_ERROR_WORDS, True
    else:
        reason = zh.RESULT_RUNNING
    return ResultView(attempt.id, attempt.retiree_id, status, finished, headline, reason, action, tip, phone,
                      retry, home_visit)
