"""Personal data lives only as long as the consent text says (issue 11).

What is kept, and for how long — the consent text (wording.zh.CONSENT_TEXT) says exactly this:

* the certification video and the picked face frame: ``retention_days`` (30) after recording;
  a video held for a reviewer until the case is decided, then deleted at once;
* the agency's enrolled photo and its face template: while it is the active photo
  (a replaced photo goes, with its template, at the next run);
* staged import files (full ID numbers): deleted when the import ends, whatever happened,
  and swept after one day if a worker died mid-way;
* attempt rows keep their scores and reasons (no face), but no key to a deleted object.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from sqlalchemy import delete, or_, select

from storage import audit
from storage.models import Attempt, AttemptStatus, EnrollmentPhoto, utcnow
from storage.objects import HELD_PREFIX, ObjectStoreError

log = logging.getLogger("lifecert.flows.retention")

STAGED_PREFIX = "imports/"
STAGED_DAYS = 1
OPEN = (AttemptStatus.review, AttemptStatus.created, AttemptStatus.queued, AttemptStatus.running)


@dataclasses.dataclass
class RetentionReport:
    videos: int = 0
    frames: int = 0
    held: int = 0
    photos: int = 0
    staged: int = 0


def _delete(services, key: str | None) -> bool:
    if not key:
        return False
    try:
        services.objects.delete(key)
    except ObjectStoreError:
        log.warning("could not delete an object past retention", extra={"key": key})
        return False
    return True


def release_held(services, attempt_id: str) -> None:
    """The case is decided: the video held for the reviewer goes now."""
    with services.db.session() as session:
        attempt = session.get(Attempt, attempt_id)
        if attempt is None or attempt.status in OPEN or not (attempt.video_key or "").startswith(HELD_PREFIX):
            return
        if _delete(services, attempt.video_key):
            attempt.video_key = None


def run_retention(services, now: dt.datetime | None = None, days: int | None = None,
                  batch: int = 500) -> RetentionReport:
    """One pass over everything with a deadline; safe to run any time (the daily cron runs it)."""
    now = now or utcnow()
    days = days or services.settings.video_retention_days
    cutoff = now - dt.timedelta(days=days)
    report = RetentionReport()
    while True:
        with services.db.session() as session:
            rows = list(session.scalars(select(Attempt).where(
                or_(Attempt.video_key.is_not(None), Attempt.best_frame_key.is_not(None)),
                Attempt.created_at < cutoff).order_by(Attempt.created_at).limit(batch)))
            touched = 0
            for attempt in rows:
                held_open = (attempt.video_key or "").startswith(HELD_PREFIX) and attempt.status in OPEN
                if attempt.video_key and not held_open and _delete(services, attempt.video_key):
                    if attempt.video_key.startswith(HELD_PREFIX):
                        report.held += 1
                    else:
                        report.videos += 1
                    attempt.video_key = None
                    touched += 1
                if attempt.best_frame_key and _delete(services, attempt.best_frame_key):
                    attempt.best_frame_key = None
                    report.frames += 1
                    touched += 1
        if len(rows) < batch or touched == 0:
            break
    with services.db.session() as session:
        # decided cases whose held video is still there (decided before release_held existed, or it failed)
        for attempt in session.scalars(select(Attempt).where(Attempt.video_key.like(HELD_PREFIX + "%"),
                                                             Attempt.status.not_in(OPEN))):
            if _delete(services, attempt.video_key):
                attempt.video_key = None
                report.held += 1
        for photo in list(session.scalars(select(EnrollmentPhoto).where(EnrollmentPhoto.active.is_(False)))):
            if _delete(services, photo.object_key):
                report.photos += 1
                session.execute(delete(EnrollmentPhoto).where(EnrollmentPhoto.id == photo.id))
        report.staged = services.objects.apply_retention(STAGED_PREFIX, STAGED_DAYS)
        audit.record(session, "system", "retention.run", **dataclasses.asdict(report))
    log.info("retention run", extra=dataclasses.asdict(report))
    return report
