"""Enrollment quality checks and 1:1 matching on the real test photos."""

from __future__ import annotations

import csv

import cv2
import numpy as np
import pytest

from vision import VisionConfig, enroll_photo
from vision.enroll import embed_face_image, read_image
from vision.match import fused_pair
from vision.templates import FaceTemplate, parse_template


def _colour_pairs(testdata):
    rows = list(csv.DictReader(open(testdata / "pairs.csv")))
    # ORL images in the shared copy are 23x28 px: too small for any enrollment
    return [r for r in rows if "orl_" not in r["left"] and "orl_" not in r["right"]]


def _photos(testdata):
    return sorted({k for r in _colour_pairs(testdata) for k in (r["left"], r["right"])})


@pytest.fixture(scope="module")
def enrolled(testdata, vision_config, vision_models):
    return {k: enroll_photo(testdata / k, vision_config, vision_models) for k in _photos(testdata)}


def test_web_photos_enroll_unless_the_head_is_turned(enrolled, vision_config):
    """These are web photos, not ID photos: a few are three-quarter views, which the
    frontal check must refuse (and must say why); every other one must enroll."""
    for key, res in enrolled.items():
        if res.ok:
            t = parse_template(res.template)
            assert t.dlib is not None and t.sface is not None and t.quality is not None and res.quality["faces"] >= 1
        else:
            assert res.reasons == ["not_frontal"], (key, res.reasons)
            q = res.quality
            assert abs(q["yaw"]) > vision_config.enroll_max_yaw_deg or abs(q["nose_pos"] - 0.5) > vision_config.enroll_max_nose_offset
    assert sum(r.ok for r in enrolled.values()) >= len(enrolled) - 3


def test_same_people_match_and_different_people_do_not(testdata, vision_config, vision_models):
    vec = {k: embed_face_image(testdata / k, vision_models, vision_config) for k in _photos(testdata)}
    assert all(v is not None for v in vec.values())
    same, diff = [], []
    for r in _colour_pairs(testdata):
        d = fused_pair(vec[r["left"]], vec[r["right"]], vision_config)
        (same if r["same"] == "1" else diff).append(d)
    assert len(same) >= 6 and len(diff) >= 15
    assert max(same) <= vision_config.match_pass_score
    assert min(diff) > vision_config.match_review_score


def test_template_bytes_round_trip(enrolled):
    raw = next(r for r in enrolled.values() if r.ok).template
    t = parse_template(raw)
    assert t.dlib.shape == (128,) and t.sface.shape == (128,) and np.isfinite(t.sface).all()
    assert abs(np.linalg.norm(t.sface) - 1.0) < 1e-5
    assert parse_template(t.to_bytes()).to_bytes() == raw
    legacy = parse_template(t.dlib.astype("<f4").tobytes())  # a 512-byte template from before SFace
    assert legacy.sface is None and np.allclose(legacy.dlib, t.dlib)
    for bad in (raw[:-4], raw + b"\0", b"LFT1\x01\x09" + bytes(512), bytes(100)):
        with pytest.raises(ValueError):
            parse_template(bad)
    with pytest.raises(ValueError):
        FaceTemplate().to_bytes()


def _jpeg(rgb: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    return buf.tobytes()


@pytest.fixture(scope="module")
def obama(testdata):
    return read_image(testdata / "faces" / "obama" / "obama.jpg")


def test_product_default_rejects_a_photo_below_640x480(testdata, vision_models, shared_dir):
    small = testdata / "faces" / "matt_damon" / "img29.jpg"
    h, w = read_image(small).shape[:2]
    cfg = VisionConfig(models_dir=shared_dir / "models")
    res = enroll_photo(small, cfg, vision_models)
    if max(h, w) < 640 or min(h, w) < 480:
        assert res.reasons == ["too_small"]
    tiny = cv2.resize(read_image(small), (320, 240))
    assert enroll_photo(_jpeg(tiny), cfg, vision_models).reasons == ["too_small"]


@pytest.mark.parametrize(
    "transform,reason",
    [
        (lambda im: cv2.GaussianBlur(im, (0, 0), 6), "too_blurred"),
        (lambda im: (im.astype(np.float32) * 0.18).astype(np.uint8), "too_dark"),
        (lambda im: np.hstack([im, im]), "several_faces"),
        (lambda im: np.full_like(im, 235), "no_face"),
    ],
)
def test_bad_photos_are_rejected_with_a_clear_reason(obama, vision_config, vision_models, transform, reason):
    res = enroll_photo(_jpeg(transform(obama)), vision_config, vision_models)
    assert not res.ok and res.template is None
    assert reason in res.reasons


def test_a_turned_head_is_not_frontal(obama, vision_config, vision_models):
    h, w = obama.shape[:2]
    rot = cv2.warpAffine(obama, cv2.getRotationMatrix2D((w / 2, h / 2), 35, 1.0), (w, h), borderMode=cv2.BORDER_REPLICATE)
    res = enroll_photo(_jpeg(rot), vision_config, vision_models)
    assert "not_frontal" in res.reasons
    assert enroll_photo(_jpeg(obama), vision_config, vision_models).ok


def test_an_unreadable_photo_is_reported(vision_config, vision_models):
    res = enroll_photo(b"\x89PNG\r\n\x1a\n broken", vision_config, vision_models)
    assert res.reasons == ["photo_unreadable"]
