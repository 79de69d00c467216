"""Limits on certification attempts, and when a case goes to a person instead.

An elderly user who fails three times in a row is not helped by a fourth try:
the case goes to manual review and the reply lists the offline options.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence


@dataclasses.dataclass(frozen=True)
class AttemptPolicy:
    max_per_day: int = 5
    failures_before_review: int = 3
    #: Challenges issued per retiree (issue 15): a re-roll storm, asking for fresh
    #: challenges until one suits an old recording, is refused and audited. Every issued
    #: challenge counts, used or not, expired or not.
    max_challenges_per_hour: int = 6
    max_challenges_per_day: int = 12


class AttemptRefusal(str, enum.Enum):
    too_many_today = "too_many_today"
    already_running = "already_running"
    under_review = "under_review"
    too_many_challenges = "too_many_challenges"


def may_issue(challenges_last_hour: int, challenges_today: int,
              policy: AttemptPolicy = AttemptPolicy()) -> AttemptRefusal | None:
    """None when another challenge may be issued to this retiree, else why not."""
    if challenges_last_hour >= policy.max_challenges_per_hour or challenges_today >= policy.max_challenges_per_day:
        return AttemptRefusal.too_many_challenges
    return None


def may_start(attempts_today: int, running: int, under_review: bool,
              policy: AttemptPolicy = AttemptPolicy()) -> AttemptRefusal | None:
    """None when a new attempt may start, else why not."""
    if running:
        return AttemptRefusal.already_running
    if under_review:
        return AttemptRefusal.under_review
    if attempts_today >= policy.max_per_day:
        return AttemptRefusal.too_many_today
    return None


def consecutive_failures(verdicts_newest_first: Sequence[str]) -> int:
    """How many 'fail' verdicts in a row, counting back from the newest, until a pass or a review."""
    count = 0
    for verdict in verdicts_newest_first:
        if verdict != "fail":
            break
        count += 1
    return count


def needs_review(verdicts_newest_first: Sequence[str], policy: AttemptPolicy = AttemptPolicy()) -> bool:
    return consecutive_failures(verdicts_newest_first) >= policy.failures_before_review
