"""Issue 11: a retention run over objects aged 400 days leaves only what the consent text names.

Before: best-frame JPEGs, held review videos, replaced photos with their templates and crashed
roster uploads (full ID numbers) outlived the 30 days the consent text promised.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

from sqlalchemy import select

from flows import retention
from storage.models import Attempt, AttemptStatus, EnrollmentPhoto
from wording import zh

OLD = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=400)


def _root(world) -> Path:
    return Path(world.services.settings.local_store_dir)


def _put(world, key: str, aged: bool = True) -> None:
    world.services.objects.put_bytes(key, b"personal bytes")
    if aged:
        stamp = time.time() - 400 * 86400
        os.utime(_root(world) / key, (stamp, stamp))


def _keys(world) -> set[str]:
    root = _root(world)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")}


def test_a_run_over_400_day_old_objects_leaves_only_what_the_consent_names(world):
    with world.services.db.session() as s:
        s.add_all([
            Attempt(id="a" * 32, retiree_id=world.retiree_id, status=AttemptStatus.failed, created_at=OLD,
                    video_key="videos/2025/10/a.mp4", best_frame_key="frames/2025/10/a.jpg", scores={"match": 0.4}),
            Attempt(id="b" * 32, retiree_id=world.retiree_id, status=AttemptStatus.rejected, created_at=OLD,
                    video_key="held/2025/10/b.mp4", best_frame_key="frames/2025/10/b.jpg"),
            Attempt(id="c" * 32, retiree_id=world.retiree_id, status=AttemptStatus.review, created_at=OLD,
                    video_key="held/2025/10/c.mp4"),
            EnrollmentPhoto(retiree_id=world.retiree_id, object_key="photos/old.jpg", template=b"t" * 512,
                            source="zip_import", active=False, created_at=OLD),
            EnrollmentPhoto(retiree_id=world.retiree_id, object_key="photos/current.jpg", template=b"t" * 512,
                            source="zip_import", active=True, created_at=OLD),
        ])
    for key in ("videos/2025/10/a.mp4", "frames/2025/10/a.jpg", "held/2025/10/b.mp4", "frames/2025/10/b.jpg",
                "held/2025/10/c.mp4", "photos/old.jpg", "photos/current.jpg", "imports/crashed/roster.csv"):
        _put(world, key)
    report = retention.run_retention(world.services)
    assert (report.videos, report.frames, report.held, report.photos, report.staged) == (1, 2, 1, 1, 1)
    # what remains: the active enrolled photo, and the video of a case a reviewer has not decided
    assert _keys(world) == {"photos/current.jpg", "held/2025/10/c.mp4"}
    assert "登记的照片" in zh.CONSENT_TEXT and "审核结束后删除" in zh.CONSENT_TEXT and "30天" in zh.CONSENT_TEXT
    with world.services.db.session() as s:
        a = s.get(Attempt, "a" * 32)
        assert (a.video_key, a.best_frame_key, a.scores) == (None, None, {"match": 0.4})  # scores, no dangling keys
        assert [p.object_key for p in s.scalars(select(EnrollmentPhoto))] == ["photos/current.jpg"]


def test_a_decided_review_releases_its_held_video_at_once(world):
    with world.services.db.session() as s:
        s.add(Attempt(id="d" * 32, retiree_id=world.retiree_id, status=AttemptStatus.rejected,
                      video_key="held/2026/11/d.mp4"))
    _put(world, "held/2026/11/d.mp4", aged=False)
    retention.release_held(world.services, "d" * 32)
    assert "held/2026/11/d.mp4" not in _keys(world)
    with world.services.db.session() as s:
        assert s.get(Attempt, "d" * 32).video_key is None
