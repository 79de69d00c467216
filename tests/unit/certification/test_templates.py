"""Template ageing rules: the anchor stays, extras are capped, a refresh at most once a year."""

from __future__ import annotations

import datetime as dt

from certification.templates import (
    TemplateInfo,
    TemplatePolicy,
    is_anchor,
    may_refresh,
    refresh_replaces,
    strong_pass,
    to_retire,
)

D = dt.date(2026, 12, 1)


def test_the_agency_photo_is_never_retired_or_replaced():
    active = [TemplateInfo(1, "zip_import", D - dt.timedelta(days=4000))]
    assert is_anchor("zip_import") and is_anchor("console") and not is_anchor("review_approval")
    assert refresh_replaces(active) is None and to_retire(active, TemplatePolicy(max_extra=0)) == []


def test_extras_beyond_the_cap_retire_oldest_first():
    active = [TemplateInfo(1, "zip_import", D)] + [TemplateInfo(i, "review_approval", D - dt.timedelta(days=10 * i))
                                                   for i in range(2, 7)]
    assert to_retire(active, TemplatePolicy(max_extra=3)) == [6, 5]


def test_a_refresh_at_most_once_a_year_and_it_takes_the_newest_extras_place():
    anchor = TemplateInfo(1, "zip_import", D - dt.timedelta(days=2000))
    recent = TemplateInfo(2, "refresh", D - dt.timedelta(days=200))
    assert not may_refresh([anchor, recent], D)
    older = TemplateInfo(2, "refresh", D - dt.timedelta(days=400))
    newer = TemplateInfo(3, "home_visit", D - dt.timedelta(days=380))
    assert may_refresh([anchor, older, newer], D) and refresh_replaces([anchor, older, newer]) == 3
    assert may_refresh([anchor], D)


def test_only_a_strong_clean_pass_refreshes():
    assert strong_pass({"match_score": 0.5, "spoof_live_score": 0.95, "match_review_why": []})
    assert not strong_pass({"match_score": 0.9, "spoof_live_score": 0.95})
    assert not strong_pass({"match_score": 0.5, "spoof_live_score": 0.7})
    assert not strong_pass({"match_distance": 0.3, "spoof_live_score": 0.99})  # dlib alone is never enough
