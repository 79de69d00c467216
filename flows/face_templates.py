"""Templates that age with the person: enrol a supervised certification's best frame, refresh
after a strong pass (rules in certification/templates.py). Every change is audited.

Called inside the transaction of the use case that certified the person (review approval,
automatic pass), so the template and the certification are recorded together.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

import vision
import vision.templates
from certification.templates import (
    REFRESH_SOURCE,
    TemplateInfo,
    TemplatePolicy,
    is_anchor,
    may_refresh,
    refresh_replaces,
    strong_pass,
    to_retire,
)
from storage import audit
from storage.models import EnrollmentPhoto

log = logging.getLogger("lifecert.flows.templates")


def active_templates(session: Session, retiree_id: int) -> list[EnrollmentPhoto]:
    """The retiree's active templates, in the order matching sees them (by id)."""
    return list(session.scalars(select(EnrollmentPhoto).where(
        EnrollmentPhoto.retiree_id == retiree_id, EnrollmentPhoto.active.is_(True),
        EnrollmentPhoto.template.is_not(None)).order_by(EnrollmentPhoto.id)))


def _infos(photos: list[EnrollmentPhoto]) -> list[TemplateInfo]:
    return [TemplateInfo(p.id, p.source, p.created_at.date()) for p in photos]


def _retire(session: Session, photo: EnrollmentPhoto, why: str, actor_kind: str, actor_id) -> None:
    photo.active = False
    audit.record(session, actor_kind, "template.retire", actor_id=actor_id, target_kind="enrollment_photo",
                 target_id=photo.id, retiree_id=photo.retiree_id, why=why)


def add_template(session: Session, retiree_id: int, template: bytes, source: str, object_key: str,
                 quality: dict, model: str | None, *, actor_kind: str, actor_id, attempt_id: str,
                 policy: TemplatePolicy = TemplatePolicy()) -> EnrollmentPhoto:
    """Add an extra template (never an anchor) and retire extras beyond the cap."""
    photo = EnrollmentPhoto(retiree_id=retiree_id, object_key=object_key, template=template, template_model=model,
                            quality=quality, source=source, active=True)
    session.add(photo)
    session.flush()
    audit.record(session, actor_kind, "template.add", actor_id=actor_id, target_kind="enrollment_photo",
                 target_id=photo.id, retiree_id=retiree_id, source=source, attempt_id=attempt_id)
    photos = active_templates(session, retiree_id)
    for pid in to_retire(_infos(photos), policy):
        _retire(session, next(p for p in photos if p.id == pid), "cap", actor_kind, actor_id)
    return photo


def refresh_after_pass(session: Session, retiree_id: int, scores: dict, template: bytes | None, object_key: str | None,
                       model: str | None, attempt_id: str, today: dt.date,
                       policy: TemplatePolicy = TemplatePolicy()) -> EnrollmentPhoto | None:
    """After an automatic pass: with a strong match and strong liveness, and no extra
    template added within a year, the best frame takes the place of the newest extra
    template (or becomes the first one). Returns the new template, or None."""
    if template is None or not object_key or not strong_pass(scores, policy):
        return None
    photos = active_templates(session, retiree_id)
    infos = _infos(photos)
    if not may_refresh(infos, today, policy):
        return None
    replaced = refresh_replaces(infos)
    if replaced is not None:
        _retire(session, next(p for p in photos if p.id == replaced), "refreshed", "system", None)
    new = add_template(session, retiree_id, template, REFRESH_SOURCE, object_key, {}, model,
                       actor_kind="system", actor_id=None, attempt_id=attempt_id, policy=policy)
    log.info("template refreshed", extra={"attempt_id": attempt_id, "replaced": replaced})
    return new


def enrol_image(services, session: Session, retiree_id: int, jpeg: bytes, object_key: str, source: str,
                actor_kind: str, actor_id, ref_id: str) -> EnrollmentPhoto | None:
    """A supervised certification's picture becomes an extra template when it passes
    enrollment's face checks (``vision.frame_template``); otherwise the refusal is audited.
    Never raises for a bad picture: the certification itself stands."""
    res = vision.frame_template(jpeg, services.vision_config, services.vision_models)
    if not res.ok or res.template is None:
        audit.record(session, actor_kind, "template.not_added", actor_id=actor_id, target_kind="retiree",
                     target_id=retiree_id, source=source, ref=ref_id, reasons=res.reasons)
        return None
    return add_template(session, retiree_id, res.template, source, object_key, res.quality,
                        "+".join(sorted(res.models))[:64], actor_kind=actor_kind, actor_id=actor_id, attempt_id=ref_id)


def reembed_anchor_photos(services, limit: int | None = None) -> dict[str, int]:
    """Templates made before SFace (dlib only) can reach "review" at best. Enrol their stored
    photo again so the template holds both descriptors; returns counts. Photos that no
    longer pass enrollment keep their old template (still review-only) and are audited."""
    counts = {"reembedded": 0, "failed": 0, "missing_photo": 0, "already": 0}
    with services.db.session() as session:
        photos = list(session.scalars(select(EnrollmentPhoto).where(EnrollmentPhoto.active.is_(True),
                                                                    EnrollmentPhoto.template.is_not(None))))
        for photo in photos:
            if limit is not None and counts["reembedded"] >= limit:
                break
            try:
                if vision.templates.parse_template(photo.template).sface is not None:
                    counts["already"] += 1
                    continue
            except ValueError:
                pass  # unreadable template: enrol again
            try:
                data = services.objects.get_bytes(photo.object_key)
            except Exception:  # noqa: BLE001 - any store error: the photo is not there
                counts["missing_photo"] += 1
                continue
            enrol = vision.enroll_photo if is_anchor(photo.source) else vision.frame_template
            res = enrol(data, services.vision_config, services.vision_models)
            if not res.ok:
                counts["failed"] += 1
                audit.record(session, "system", "template.reembed_failed", target_kind="enrollment_photo",
                             target_id=photo.id, retiree_id=photo.retiree_id, reasons=res.reasons)
                continue
            photo.template = res.template
            photo.quality = res.quality
            audit.record(session, "system", "template.reembed", target_kind="enrollment_photo", target_id=photo.id,
                         retiree_id=photo.retiree_id)
            counts["reembedded"] += 1
    return counts
