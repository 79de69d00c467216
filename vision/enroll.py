"""Enrollment: an agency's ID-style photo -> quality check -> template (dlib + SFace
descriptors and the photo's quality, ``vision.templates``).

Why strict checks here: every later certification is compared with this template, so a
blurred, dark, turned or shared photo would make honest retirees fail (or let someone
else pass) for years. The product default asks for an agency scan of at least 640x480;
tests and evaluation on web photos lower it through ``VisionConfig``.
"""

from __future__ import annotations

import io
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vision.config import VisionConfig
from vision.detect import FaceBox
from vision.landmarks import EYE_L, EYE_R, eye_aspect_ratio, five_points, head_pose, nose_position
from vision.loading import VisionModels, load_models
from vision.quality import luma_and_sharpness
from vision.templates import FaceQuality, FaceTemplate

log = logging.getLogger("lifecert.vision")


@dataclass
class EnrollmentResult:
    ok: bool
    template: bytes | None
    quality: dict[str, Any]
    reasons: list[str]
    models: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "has_template": self.template is not None,
            "quality": self.quality,
            "reasons": list(self.reasons),
            "models": dict(self.models),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


class PhotoUnreadable(Exception):
    pass


def read_image(image: bytes | bytearray | str | os.PathLike | np.ndarray, max_side: int | None = None) -> np.ndarray:
    """Decode a photo to upright RGB uint8 (EXIF orientation applied, grey -> RGB).

    Pillow is used rather than cv2.imread because it honours EXIF orientation, which
    phone and scanner JPEGs rely on."""
    rgb: np.ndarray
    if isinstance(image, np.ndarray):
        arr = image
        if arr.ndim == 2:
            arr = np.stack([arr] * 3, axis=-1)
        rgb = np.ascontiguousarray(arr[:, :, :3]).astype(np.uint8)
    else:
        from PIL import Image, ImageOps, UnidentifiedImageError

        try:
            src = io.BytesIO(bytes(image)) if isinstance(image, (bytes, bytearray)) else Path(image)
            with Image.open(src) as im:
                im.load()
                rgb = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
            raise PhotoUnreadable(f"{exc.__class__.__name__}") from exc
    if max_side and max(rgb.shape[:2]) > max_side:
        import cv2

        s = max_side / float(max(rgb.shape[:2]))
        rgb = cv2.resize(rgb, (int(round(rgb.shape[1] * s)), int(round(rgb.shape[0] * s))), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(rgb)


def find_face(rgb: np.ndarray, models: VisionModels, config: VisionConfig, pad_tight: bool = False) -> tuple[np.ndarray, list[FaceBox]]:
    """Detect faces; with ``pad_tight`` a photo that is already a tight face crop (no face
    found) is padded by half its size and tried again. Returns the image used and boxes."""
    detector = models.require_detector()
    boxes = detector.detect(rgb, config.det_score_threshold)
    if boxes or not pad_tight:
        return rgb, boxes
    import cv2

    h, w = rgb.shape[:2]
    padded = cv2.copyMakeBorder(rgb, h // 2, h // 2, w // 2, w // 2, cv2.BORDER_REPLICATE)
    return padded, detector.detect(padded, config.det_score_threshold)


def photo_template(rgb: np.ndarray, box: FaceBox, models: VisionModels, scale: float = 1.0,
                   pose: dict[str, Any] | None = None) -> FaceTemplate:
    """Both descriptors of the face in ``box`` and its quality. SFace needs the mesh's five
    points; when the mesh finds no face on the crop the template has no SFace part (and
    matching against it can only reach review). ``scale``: analysis pixels per original."""
    if pose is None:
        pose = _pose_on_crop(rgb, box, models)
    dlib_vec = models.embedder.embed(rgb, box) if models.embedder is not None else None
    sface_vec = None
    if models.sface is not None and pose is not None:
        sface_vec = models.sface.embed(rgb, pose["five"])
    luma, sharp = luma_and_sharpness(rgb, (box.x1, box.y1, box.x2, box.y2))
    quality = FaceQuality(face_px=box.height / scale, sharpness=sharp, luma=luma,
                          yaw=float(pose["yaw"]) if pose is not None else float("nan"))
    return FaceTemplate(dlib=dlib_vec, sface=sface_vec, quality=quality)


def embed_face_image(
    image: bytes | str | os.PathLike | np.ndarray, models: VisionModels, config: VisionConfig
) -> FaceTemplate | None:
    """Template of the largest face in a photo without the enrollment quality gates
    (used by the evaluation to measure the matchers themselves). None when no face is found."""
    rgb = read_image(image, config.enroll_max_side)
    rgb, boxes = find_face(rgb, models, config, pad_tight=True)
    if not boxes:
        return None
    return photo_template(rgb, boxes[0], models)


def enroll_photo(
    image: bytes | str | os.PathLike | np.ndarray,
    config: VisionConfig | None = None,
    models: VisionModels | None = None,
) -> EnrollmentResult:
    """Check an enrollment photo and make its template.

    Reasons: photo_unreadable, too_small (photo or face), no_face, several_faces,
    not_frontal, too_blurred, too_dark, model_unavailable. ``ok`` only when none apply."""
    config = config or VisionConfig()
    models = models or load_models(config)
    t0 = time.perf_counter()
    quality: dict[str, Any] = {}
    reasons: list[str] = []

    def result(template: bytes | None = None) -> EnrollmentResult:
        uniq = list(dict.fromkeys(reasons))
        return EnrollmentResult(
            ok=not uniq and template is not None,
            template=template if not uniq else None,
            quality=quality,
            reasons=uniq,
            models=models.versions(),
            timings={"total": time.perf_counter() - t0},
        )

    needed = [s for s in ("detector", "embedding", "sface", "landmarks") if s in models.unavailable]
    if needed:
        reasons.append("model_unavailable")
        quality["unavailable_models"] = needed
        return result()
    try:
        full = read_image(image)
    except PhotoUnreadable:
        reasons.append("photo_unreadable")
        return result()
    h, w = full.shape[:2]
    quality["width"], quality["height"] = w, h
    if max(w, h) < config.enroll_min_long_side or min(w, h) < config.enroll_min_short_side:
        reasons.append("too_small")
        return result()
    rgb = full
    if max(h, w) > config.enroll_max_side:
        rgb = read_image(full, config.enroll_max_side)
    scale = rgb.shape[1] / float(w)

    boxes = models.require_detector().detect(rgb, config.det_score_threshold)
    quality["faces"] = len(boxes)
    if not boxes:
        reasons.append("no_face")
        return result()
    main = boxes[0]
    others = [b for b in boxes[1:] if b.height >= config.second_face_min_ratio * main.height]
    if others:
        reasons.append("several_faces")
    face_px = main.height / scale
    quality["face_height_px"] = round(face_px, 1)
    if face_px < config.enroll_min_face_px:
        reasons.append("too_small")

    luma, sharp = luma_and_sharpness(rgb, (main.x1, main.y1, main.x2, main.y2))
    quality["face_luma"], quality["face_sharpness"] = round(luma, 2), round(sharp, 2)
    if luma < config.enroll_min_luma:
        reasons.append("too_dark")
    if sharp < config.enroll_min_sharpness:
        reasons.append("too_blurred")

    # frontal: mesh on the face region (static mode); yaw from the head-pose plane,
    # nose centred in the outline, eyes level (roll), eyes open.
    pose = _pose_on_crop(rgb, main, models)
    if pose is None:
        reasons.append("not_frontal")
        quality["frontal_check"] = "no landmarks"
    else:
        quality.update({k: round(v, 3) for k, v in pose.items() if k != "five"})
        if (
            abs(pose["yaw"]) > config.enroll_max_yaw_deg
            or abs(pose["nose_pos"] - 0.5) > config.enroll_max_nose_offset
            or abs(pose["roll"]) > config.enroll_max_roll_deg
        ):
            reasons.append("not_frontal")

    if reasons:
        return result()
    return result(photo_template(rgb, main, models, scale, pose).to_bytes())


def _pose_on_crop(rgb: np.ndarray, box: FaceBox, models: VisionModels) -> dict[str, Any] | None:
    """Face Mesh on the face region (static mode): pose figures and the five SFace points
    (in ``rgb`` pixels)."""
    import cv2

    h, w = rgb.shape[:2]
    m = 0.6
    x1, y1 = int(max(0, box.x1 - m * box.width)), int(max(0, box.y1 - m * box.height))
    x2, y2 = int(min(w, box.x2 + m * box.width)), int(min(h, box.y2 + m * box.height))
    crop = np.ascontiguousarray(rgb[y1:y2, x1:x2])
    if max(crop.shape[:2]) > 640:
        s = 640 / max(crop.shape[:2])
        crop = cv2.resize(crop, (int(crop.shape[1] * s), int(crop.shape[0] * s)), interpolation=cv2.INTER_AREA)
    with models.new_landmarker(static=True) as tracker:
        pts = tracker.landmarks(crop)
    if pts is None:
        return None
    crop_scale = crop.shape[1] / float(x2 - x1)
    yaw, pitch = head_pose(pts)
    dx, dy = pts[263, 0] - pts[33, 0], pts[263, 1] - pts[33, 1]
    return {
        "yaw": yaw,
        "roll": float(np.degrees(np.arctan2(dy, dx))),
        "nose_pos": nose_position(pts),
        "ear": (eye_aspect_ratio(pts, EYE_R) + eye_aspect_ratio(pts, EYE_L)) / 2,
        "five": five_points(pts) / crop_scale + np.array([x1, y1], np.float64),
    }


#: A certification frame is an analysis frame (long side <= 640 px), not an agency scan:
#: the photo-size gate is lowered, every face-quality gate of enrollment still applies.
FRAME_MIN_LONG_SIDE = 320
FRAME_MIN_SHORT_SIDE = 240


def frame_template(
    image: bytes | str | os.PathLike | np.ndarray,
    config: VisionConfig | None = None,
    models: VisionModels | None = None,
) -> EnrollmentResult:
    """Enrollment of a certification's best frame (a supervised certification's extra
    template): the checks of ``enroll_photo`` with the frame-size limits above."""
    config = (config or VisionConfig()).with_overrides(enroll_min_long_side=FRAME_MIN_LONG_SIDE,
                                                       enroll_min_short_side=FRAME_MIN_SHORT_SIDE)
    return enroll_photo(image, config, models)
