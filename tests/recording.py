"""Test helper: make a bound challenge look as if its recording ran to the end just now
(the page started the recorder, fetched every step on time), for tests about other things."""

from __future__ import annotations

import datetime as dt

from storage.models import Challenge, utcnow


def ran_timeline(services, challenge_id: str, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    with services.db.session() as s:
        c = s.get(Challenge, challenge_id)
        if c.timeline is None:
            return
        c.recording_started_at = now - dt.timedelta(seconds=c.timeline["duration_s"] + 0.5)
        c.reveals = [{"step": k, "at_s": p["shown_s"]} for k, p in enumerate(c.timeline["prompts"])]
