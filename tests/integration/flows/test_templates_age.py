"""Templates that age with the person, with the real models: a reviewer's approval enrols the
certification's best frame, and the next certification matches that template (the review page
names it); the agency photo stays the anchor."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

import vision
from bootstrap import build_services
from certification.cycle import HARBIN
from flows import review
from flows.verification import verify_attempt
from storage.db import upgrade
from storage.models import (
    AdminRole,
    AdminUser,
    Agency,
    Attempt,
    AuditLog,
    Challenge,
    EnrollmentPhoto,
    PensionStatus,
    Retiree,
)
from tests.conftest import make_settings
from tests.idnumbers import make_id
from vision.clipmaker import read_frames
from wording import zh

CLIP, CHALLENGE = "lp_d12.mp4", ["blink", "open_mouth"]


def _attempt(services, rid: int, video_key: str, sha: str) -> str:
    with services.db.session() as s:
        ch = Challenge(retiree_id=rid, actions=CHALLENGE, nonce=sha,
                       expires_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=10))
        s.add(ch)
        s.flush()
        a = Attempt(retiree_id=rid, challenge_id=ch.id, video_key=video_key, video_sha256=sha)
        s.add(a)
        s.flush()
        return a.id


def test_a_reviewers_approval_adds_a_template_that_the_next_certification_uses(tmp_path, redis_url, shared_dir):
    settings = make_settings(tmp_path, REDIS_URL=redis_url, VISION_MODELS_DIR=str(shared_dir / "models"))
    upgrade(settings.database_url)
    services = build_services(settings)
    clip = shared_dir / "testdata" / "videos" / CLIP
    # the agency's photo was enrolled before SFace existed: a dlib-only template, which can
    # only ever reach review (one model)
    frames, _ = read_frames(clip, max_frames=1)
    old = vision.enroll.embed_face_image(frames[0], services.vision_models, services.vision_config)
    legacy = old.dlib.astype("<f4").tobytes()
    number = make_id("230102", "19450101", "017")
    with services.db.session() as s:
        agency = Agency(code="harbin", name="哈尔滨市社保中心", cycle_policy=HARBIN.to_dict())
        s.add(agency)
        s.flush()
        r = Retiree(agency_id=agency.id, name="李明", id_number_enc=b"x", id_number_index=number,
                    id_number_masked=number[:4] + "*" * 10 + number[-4:], birth_date=dt.date(1945, 1, 1),
                    pension_status=PensionStatus.active)
        s.add(r)
        s.flush()
        s.add(EnrollmentPhoto(retiree_id=r.id, object_key="photos/anchor.jpg", template=legacy, source="zip_import"))
        admin = AdminUser(username="rev", password_hash="x", role=AdminRole.reviewer, agency_id=agency.id)
        s.add(admin)
        s.flush()
        rid, agency_id, admin_id = r.id, agency.id, admin.id
    services.objects.put_bytes("videos/one.mp4", clip.read_bytes(), "video/mp4")

    first = _attempt(services, rid, "videos/one.mp4", "sha-one")
    assert verify_attempt(services, first) == "review"
    with services.db.session() as s:
        a = s.get(Attempt, first)
        assert a.reasons == ["match_uncertain"] and "template_without_sface" in a.scores["match_review_why"]
        assert a.scores["match_template_source"] == "zip_import" and a.best_frame_key

    review.approve(services, first, admin_id, agency_id, None)
    with services.db.session() as s:
        photos = list(s.scalars(select(EnrollmentPhoto).where(EnrollmentPhoto.retiree_id == rid).order_by(EnrollmentPhoto.id)))
        assert [(p.source, p.active) for p in photos] == [("zip_import", True), ("review_approval", True)]
        added = photos[1]
        assert vision.templates.parse_template(added.template).sface is not None
        assert "template.add" in set(s.scalars(select(AuditLog.action)))
        added_id = added.id

    services.objects.put_bytes("videos/two.mp4", clip.read_bytes(), "video/mp4")
    second = _attempt(services, rid, "videos/two.mp4", "sha-two")
    assert verify_attempt(services, second) == "passed"
    with services.db.session() as s:
        a = s.get(Attempt, second)
        assert a.scores["match_template_photo_id"] == added_id
        _attempt_row, _retiree, shown = review.load(s, second, agency_id, None)
        assert shown.id == added_id  # the review page shows the template that matched
        rows = dict(review.score_rows(a.scores))
        assert rows[zh.SCORE_LABELS["match_template_source"]] == zh.TEMPLATE_SOURCES["review_approval"]
    services.db.engine.dispose()


def test_a_strong_pass_refreshes_once_a_year_and_never_touches_the_anchor(tmp_path, redis_url, shared_dir):
    settings = make_settings(tmp_path, REDIS_URL=redis_url, VISION_MODELS_DIR=str(shared_dir / "models"))
    upgrade(settings.database_url)
    services = build_services(settings)
    clip = shared_dir / "testdata" / "videos" / CLIP
    frames, _ = read_frames(clip, max_frames=1)
    anchor = vision.enroll.embed_face_image(frames[0], services.vision_models, services.vision_config).to_bytes()
    number = make_id("230102", "19450101", "025")
    with services.db.session() as s:
        agency = Agency(code="harbin", name="哈尔滨市社保中心", cycle_policy=HARBIN.to_dict())
        s.add(agency)
        s.flush()
        r = Retiree(agency_id=agency.id, name="李明", id_number_enc=b"x", id_number_index=number,
                    id_number_masked=number[:4] + "*" * 10 + number[-4:], birth_date=dt.date(1945, 1, 1),
                    pension_status=PensionStatus.active)
        s.add(r)
        s.flush()
        s.add(EnrollmentPhoto(retiree_id=r.id, object_key="photos/anchor.jpg", template=anchor, source="zip_import"))
        rid = r.id
    for n in ("one", "two"):
        services.objects.put_bytes(f"videos/{n}.mp4", clip.read_bytes(), "video/mp4")
        assert verify_attempt(services, _attempt(services, rid, f"videos/{n}.mp4", f"sha-{n}")) == "passed"
    with services.db.session() as s:
        photos = list(s.scalars(select(EnrollmentPhoto).where(EnrollmentPhoto.retiree_id == rid).order_by(EnrollmentPhoto.id)))
        # the first pass was strong (same face): one refresh template; the second, the same day, adds none
        assert [(p.source, p.active) for p in photos] == [("zip_import", True), ("refresh", True)], \
            [(p.source, p.active) for p in photos]
        assert photos[1].object_key.startswith("frames/")
        adds = list(s.scalars(select(AuditLog).where(AuditLog.action == "template.add")))
        assert len(adds) == 1 and adds[0].detail["source"] == "refresh"
    services.db.engine.dispose()


def test_an_on_site_certification_with_a_photo_adds_a_template(tmp_path, redis_url, shared_dir):
    import cv2

    from flows import channels

    settings = make_settings(tmp_path, REDIS_URL=redis_url, VISION_MODELS_DIR=str(shared_dir / "models"))
    upgrade(settings.database_url)
    services = build_services(settings)
    frames, _ = read_frames(shared_dir / "testdata" / "videos" / CLIP, max_frames=1)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(frames[0], cv2.COLOR_RGB2BGR))
    number = make_id("230102", "19450101", "033")
    with services.db.session() as s:
        agency = Agency(code="harbin", name="哈尔滨市社保中心", cycle_policy=HARBIN.to_dict())
        s.add(agency)
        s.flush()
        r = Retiree(agency_id=agency.id, name="李明", id_number_enc=b"x", id_number_index=number,
                    id_number_masked=number[:4] + "*" * 10 + number[-4:], birth_date=dt.date(1945, 1, 1),
                    pension_status=PensionStatus.active)
        s.add(r)
        admin = AdminUser(username="staff", password_hash="x", role=AdminRole.staff, agency_id=agency.id)
        s.add(admin)
        s.flush()
        s.add(EnrollmentPhoto(retiree_id=r.id, object_key="photos/anchor.jpg", template=b"\0" * 512, source="zip_import"))
        channels.record_certification(s, r, "on_site", dt.date.today(), admin.id, photo=buf.tobytes(), services=services)
        channels.record_certification(s, r, "by_mail", dt.date.today(), admin.id, photo=buf.tobytes(), services=services)
        s.flush()
        photos = list(s.scalars(select(EnrollmentPhoto).where(EnrollmentPhoto.retiree_id == r.id).order_by(EnrollmentPhoto.id)))
        assert [p.source for p in photos] == ["zip_import", "onsite"]  # by mail: nobody saw the face
    services.db.engine.dispose()


def test_templates_made_before_sface_are_enrolled_again_from_their_photo(tmp_path, redis_url, shared_dir):
    from flows.face_templates import reembed_anchor_photos

    settings = make_settings(tmp_path, REDIS_URL=redis_url, VISION_MODELS_DIR=str(shared_dir / "models"),
                             VISION_ENROLL_MIN_LONG_SIDE="200", VISION_ENROLL_MIN_SHORT_SIDE="150")
    upgrade(settings.database_url)
    services = build_services(settings)
    photo = (shared_dir / "testdata" / "faces" / "obama" / "obama.jpg").read_bytes()
    services.objects.put_bytes("photos/obama.jpg", photo, "image/jpeg")
    old = vision.enroll.embed_face_image(photo, services.vision_models, services.vision_config)
    number = make_id("230102", "19450101", "041")
    with services.db.session() as s:
        agency = Agency(code="harbin", name="哈尔滨市社保中心", cycle_policy=HARBIN.to_dict())
        s.add(agency)
        s.flush()
        r = Retiree(agency_id=agency.id, name="李明", id_number_enc=b"x", id_number_index=number,
                    id_number_masked=number[:4] + "*" * 10 + number[-4:], birth_date=dt.date(1945, 1, 1),
                    pension_status=PensionStatus.active)
        s.add(r)
        s.flush()
        s.add(EnrollmentPhoto(retiree_id=r.id, object_key="photos/obama.jpg", template=old.dlib.astype("<f4").tobytes(),
                              source="zip_import"))
        s.add(EnrollmentPhoto(retiree_id=r.id, object_key="photos/gone.jpg", template=b"\0" * 512, source="zip_import"))
    assert reembed_anchor_photos(services) == {"reembedded": 1, "failed": 0, "missing_photo": 1, "already": 0}
    assert reembed_anchor_photos(services) == {"reembedded": 0, "failed": 0, "missing_photo": 1, "already": 1}
    with services.db.session() as s:
        t = s.scalar(select(EnrollmentPhoto.template).where(EnrollmentPhoto.object_key == "photos/obama.jpg"))
        assert vision.templates.parse_template(t).sface is not None
    services.db.engine.dispose()
