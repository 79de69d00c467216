"""Which face templates a retiree keeps as the face ages: the rules, no I/O.

The agency's photo is the anchor: it is never replaced or retired by these rules. Extra
templates come from certifications a person vouched for (a reviewer's approval, an on-site
or home-visit certification: the supervised sources) or, at most once a year, from an
automatic pass whose match and liveness were both strong (a refresh). At most
``max_extra`` extra templates are active; adding one beyond that retires the oldest extra.
Why a cap: every active template is one more chance for a look-alike to match.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence

#: Sources of agency photos (anchors).
ANCHOR_SOURCES = frozenset({"zip_import", "console"})
#: Extra templates that a person vouched for.
SUPERVISED_SOURCES = frozenset({"review_approval", "onsite", "home_visit"})
REFRESH_SOURCE = "refresh"


@dataclasses.dataclass(frozen=True)
class TemplatePolicy:
    max_extra: int = 3
    refresh_every_days: int = 365
    #: fused match score (vision.match; lower = more alike) at or below which a pass is "strong":
    #: well inside the pass line 0.95 (half the genuine colour pairs score below ~0.6).
    strong_match_score: float = 0.7
    #: MiniFASNet live score at or above which liveness is "strong" (review line 0.6).
    strong_live_score: float = 0.9


@dataclasses.dataclass(frozen=True)
class TemplateInfo:
    id: int
    source: str
    created_on: dt.date


def is_anchor(source: str) -> bool:
    """Anything that is not an extra template counts as an anchor (never retired here)."""
    return source not in SUPERVISED_SOURCES and source != REFRESH_SOURCE


def strong_pass(scores: Mapping[str, object], policy: TemplatePolicy = TemplatePolicy()) -> bool:
    """A pass whose match and liveness both leave a wide margin, with nothing flagged."""
    match, live = scores.get("match_score"), scores.get("spoof_live_score")
    if not isinstance(match, (int, float)) or not isinstance(live, (int, float)):
        return False
    return match <= policy.strong_match_score and live >= policy.strong_live_score and not scores.get("match_review_why")


def may_refresh(active: Sequence[TemplateInfo], today: dt.date, policy: TemplatePolicy = TemplatePolicy()) -> bool:
    """At most once a year: no extra template was added within ``refresh_every_days``."""
    extras = [t for t in active if not is_anchor(t.source)]
    return all((today - t.created_on).days >= policy.refresh_every_days for t in extras)


def refresh_replaces(active: Sequence[TemplateInfo]) -> int | None:
    """The template a refresh takes the place of: the newest extra one (never an anchor)."""
    extras = [t for t in active if not is_anchor(t.source)]
    return max(extras, key=lambda t: (t.created_on, t.id)).id if extras else None


def to_retire(active: Sequence[TemplateInfo], policy: TemplatePolicy = TemplatePolicy()) -> list[int]:
    """Ids of extra templates over the cap, oldest first (anchors never)."""
    extras = sorted((t for t in active if not is_anchor(t.source)), key=lambda t: (t.created_on, t.id))
    over = len(extras) - policy.max_extra
    return [t.id for t in extras[:over]] if over > 0 else []
