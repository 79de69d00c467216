"""Enrolling a photo: the single seam between the console and vision/.

Everything the console needs from the face models is :func:`enroll`; the ZIP
import takes it as a parameter, so tests and the integrator can put another
function in its place.
"""

from __future__ import annotations

from typing import Any, Protocol

import vision
from flows.ports import Services


class Enrollment(Protocol):
    ok: bool
    template: bytes | None
    quality: dict[str, Any]
    reasons: list[str]


# Why a photo was refused, in the words agency staff use (vision reason keys).
PHOTO_REASONS: dict[str, str] = {
    "no_face": "照片里没有找到人脸",
    "several_faces": "照片里有不止一张人脸",
    "not_frontal": "不是正脸照片",
    "too_blurred": "照片太模糊",
    "too_dark": "照片太暗",
    "too_small": "照片分辨率太低或人脸太小",
    "photo_unreadable": "照片文件打不开",
    "unsupported_type": "只支持 jpg、jpeg、png 照片",
    "bad_file_name": "文件名应为 姓名+身份证号，如 张三230102194603151234.jpg",
    "bad_id_number": "文件名里的身份证号不正确",
    "not_in_roster": "名单里没有这个身份证号，请先导入名单",
    "name_mismatch": "文件名里的姓名和名单不一致",
    "duplicate_in_zip": "同一个人的照片在压缩包里出现了多次",
    "too_large": "照片文件太大（超过 10 MB）",
    "vision_unavailable": "人脸模型暂不可用，请稍后重试",
}


def reason_words(codes: list[str]) -> str:
    return "；".join(PHOTO_REASONS.get(c, c) for c in codes) or "照片不合格"


def enroll(services: Services, image_bytes: bytes) -> Enrollment:
    """Quality-check a photo and compute its face template with vision/ (models loaded once per process)."""
    return vision.enroll_photo(image_bytes, config=services.vision_config, models=services.vision_models)
