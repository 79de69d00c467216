"""vision.match decision rules on constructed descriptors (no model): fusion, frames,
templates, one model missing, quality moving a borderline fail to review."""

from __future__ import annotations

import numpy as np

from vision import VisionConfig
from vision.match import FrameFace, fuse, match_faces, scaled_dlib, scaled_sface
from vision.templates import FaceQuality, FaceTemplate

CFG = VisionConfig()
RNG = np.random.default_rng(7)
GOOD = FaceQuality(face_px=300, sharpness=80, luma=120, yaw=0)


def _unit(v):
    return v / np.linalg.norm(v)


BASE_D = RNG.normal(size=128) * 0.1
BASE_S = _unit(RNG.normal(size=128))


def face_at(score: float, quality: FaceQuality = GOOD) -> FrameFace:
    """A face whose fused score against ``TEMPLATE`` is ``score`` (both models scaled equally)."""
    direction = _unit(RNG.normal(size=128))
    dlib = BASE_D + direction * 0.6 * score
    ortho = _unit(RNG.normal(size=128) - BASE_S * (RNG.normal(size=128) @ BASE_S))
    ortho = _unit(ortho - BASE_S * (ortho @ BASE_S))
    cos = 1.0 - score * (1.0 - 0.363)
    sface = cos * BASE_S + np.sqrt(max(0.0, 1 - cos * cos)) * ortho
    return FrameFace(dlib=dlib, sface=sface, quality=quality)


TEMPLATE = FaceTemplate(dlib=BASE_D, sface=BASE_S, quality=GOOD)


def test_scaling_puts_both_published_thresholds_at_one():
    assert scaled_dlib(0.6) == 1.0 and abs(scaled_sface(0.363) - 1.0) < 1e-12
    assert fuse(1.0, 1.0, 0.8) == 1.0


def test_thresholds_make_pass_review_fail():
    for score, decision in ((0.5, "pass"), (CFG.match_pass_score - 0.01, "pass"), (1.0, "review"), (1.3, "fail")):
        res = match_faces([face_at(score)], [TEMPLATE], CFG)
        assert res.decision == decision, (score, res)
        assert abs(res.score - score) < 1e-6


def test_median_over_frames_one_lucky_frame_does_not_pass_a_stranger():
    res = match_faces([face_at(0.3), face_at(1.4), face_at(1.5)], [TEMPLATE], CFG)
    assert res.decision == "fail" and abs(res.score - 1.4) < 1e-6


def test_best_template_counts_and_is_reported():
    stranger = FaceTemplate(dlib=BASE_D + 1.0, sface=_unit(-BASE_S + 0.1), quality=GOOD)
    res = match_faces([face_at(0.6), face_at(0.7)], [stranger, TEMPLATE], CFG)
    assert res.decision == "pass" and res.template_index == 1


def test_one_model_missing_is_review_never_pass():
    f = face_at(0.2)
    for face, tmpl in ((FrameFace(dlib=f.dlib, quality=GOOD), TEMPLATE),
                       (f, FaceTemplate(dlib=BASE_D)),  # a template from before SFace
                       (FrameFace(sface=f.sface, quality=GOOD), TEMPLATE)):
        res = match_faces([face], [tmpl], CFG)
        assert res.decision == "review" and res.reason == "match_uncertain" and res.why[0] == "one_model_only"
    res = match_faces([f], [FaceTemplate(dlib=BASE_D)], CFG)
    assert "template_without_sface" in res.why


def test_poor_quality_moves_a_borderline_fail_to_review_and_says_why():
    score = CFG.match_review_score + CFG.match_quality_margin / 2
    assert match_faces([face_at(score)], [TEMPLATE], CFG).decision == "fail"
    small = FaceQuality(face_px=70, sharpness=80, luma=120, yaw=0)
    res = match_faces([face_at(score, small)], [TEMPLATE], CFG)
    assert res.decision == "review" and res.why == ["frame_face_small"]
    dark_photo = FaceTemplate(dlib=BASE_D, sface=BASE_S, quality=FaceQuality(face_px=300, sharpness=10, luma=40, yaw=25))
    res = match_faces([face_at(score)], [dark_photo], CFG)
    assert res.decision == "review" and set(res.why) == {"photo_blurred", "photo_dark", "photo_turned"}
    # far beyond the band, quality does not rescue a stranger
    assert match_faces([face_at(1.6, small)], [TEMPLATE], CFG).decision == "fail"
