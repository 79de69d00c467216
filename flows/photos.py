"""Enrolling a photo: the single seam between the console and vision/.

Everything the console needs from the face models is :func:`enroll`; the ZIP
import takes it as a parameter, so tests and the integrator can put another
function in its place.
"""

from __future__ import annotations

from typing import Any, Protocol

import vision
from flows.ports import Services
from wording import zh


class Enrollment(Protocol):
    ok: bool
    template: bytes | None
    quality: dict[str, Any]
    reasons: list[str]


# Why a photo was refused, in the words agency staff use (vision reason keys).
PHOTO_REASONS: dict[str, str] = zh.PHOTO_REASONS


def reason_words(codes: list[str]) -> str:
    return zh.ADVICE_SEP.join(PHOTO_REASONS.get(c, c) for c in codes) or zh.PHOTO_REJECTED


def enroll(services: Services, image_bytes: bytes) -> Enrollment:
    """Quality-check a photo and compute its face template with vision/ (models loaded once per process)."""
    return vision.enroll_photo(image_bytes, config=services.vision_config, models=services.vision_models)
