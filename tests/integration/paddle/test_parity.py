"""Paddle (PaddleHub modules built from the pinned ONNX files) against onnxruntime on the
shared test data: same faces (IoU >= 0.95 per face), same anti-spoof scores (|diff| <= 0.01)
and decisions, and the same whole-pipeline verdicts on the test videos."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from vision import analyze_video
from vision.clipmaker import read_frames

MIN_IOU = 0.95
MAX_SCORE_DIFF = 0.01
VIDEOS = ["lp_d3.mp4", "lp_d12.mp4", "lp_d14.mp4", "zc_real.mov", "zc_fake.mp4", "mk_fake.mp4"]


def iou(a, b) -> float:
    ix = max(0.0, min(a.x2, b.x2) - max(a.x1, b.x1))
    iy = max(0.0, min(a.y2, b.y2) - max(a.y1, b.y1))
    inter = ix * iy
    return inter / (a.area + b.area - inter + 1e-9)


@pytest.fixture(scope="module")
def images(testdata) -> list[tuple[str, np.ndarray]]:
    """RGB images: every still in faces/ and spoof_images/, and 4 frames of each video."""
    out = []
    for p in sorted([*(testdata / "faces").rglob("*.*"), *(testdata / "spoof_images").glob("*.jpg")]):
        bgr = cv2.imread(str(p))
        if bgr is not None:
            out.append((str(p.relative_to(testdata)), bgr[:, :, ::-1].copy()))
    for name in VIDEOS:
        frames, _ = read_frames(testdata / "videos" / name, max_frames=60)
        for i in (0, 20, 40, 59):
            if i < len(frames):
                out.append((f"{name}#{i}", frames[i]))
    return out


def test_models_report_the_paddle_runtime(paddle_models):
    versions = paddle_models.versions()
    assert "on paddle" in versions["ultraface-rfb-320"] and "on paddle" in versions["minifasnet-v2+v1se"]
    assert "on paddle" in versions["opencv-sface-2021dec-int8bq"]
    assert "UNAVAILABLE" not in json.dumps(versions)


def test_same_faces(images, vision_models, paddle_models, record_property):
    worst, n_faces = 1.0, 0
    for name, rgb in images:
        ref = vision_models.detector.detect(rgb, 0.5)
        got = paddle_models.detector.detect(rgb, 0.5)
        assert len(got) == len(ref), (name, ref, got)
        for a, b in zip(ref, got):
            assert iou(a, b) >= MIN_IOU, (name, a, b)
            assert abs(a.score - b.score) <= 1e-3, (name, a, b)
            worst = min(worst, iou(a, b))
            n_faces += 1
    assert n_faces >= len(images) // 2
    record_property("faces", n_faces)
    record_property("min_iou", worst)
    print(f"\ndetector parity: {len(images)} images, {n_faces} faces, min IoU {worst:.6f}")


def _band(score: float, cfg) -> str:
    return "fail" if score < cfg.spoof_fail_below else "review" if score < cfg.spoof_review_below else "pass"


def test_same_antispoof_scores_and_decisions(images, vision_config, vision_models, paddle_models, record_property):
    worst, n = 0.0, 0
    for name, rgb in images:
        boxes = vision_models.detector.detect(rgb, vision_config.det_score_threshold)
        for box in boxes[:2]:
            a = vision_models.antispoof.live_score(rgb, box)
            b = paddle_models.antispoof.live_score(rgb, box)
            assert abs(a - b) <= MAX_SCORE_DIFF, (name, a, b)
            assert _band(a, vision_config) == _band(b, vision_config), (name, a, b)
            worst = max(worst, abs(a - b))
            n += 1
    assert n >= 20
    record_property("max_score_diff", worst)
    print(f"\nanti-spoof parity: {n} faces, max |live score diff| {worst:.2e}")


MIN_SFACE_COSINE = 0.9999


def test_same_sface_descriptors(testdata, vision_config, vision_models, paddle_models, record_property):
    """SFace on the PaddleHub module vs cv2.FaceRecognizerSF on the pinned file, on the same
    aligned faces (every colour test photo and video frame with a face and mesh points)."""
    from vision.enroll import _pose_on_crop, find_face, read_image

    photos = sorted(p for p in (testdata / "faces").rglob("*.*") if "orl_" not in str(p))
    worst, n = 1.0, 0
    for p in photos:
        rgb, boxes = find_face(read_image(p, vision_config.enroll_max_side), vision_models, vision_config, pad_tight=True)
        pose = _pose_on_crop(rgb, boxes[0], vision_models) if boxes else None
        if pose is None:
            continue
        a = vision_models.sface.embed(rgb, pose["five"])
        b = paddle_models.sface.embed(rgb, pose["five"])
        worst = min(worst, float(a @ b))
        n += 1
    assert n >= 10
    record_property("sface_min_cosine", worst)
    print(f"\nSFace parity: {n} faces, min cosine onnx-file (OpenCV) vs paddle {worst:.6f}")
    assert worst >= MIN_SFACE_COSINE


@pytest.fixture(scope="module")
def templates(testdata, vision_config, vision_models, video_frame_jpeg):
    from vision.enroll import embed_face_image

    out = {}
    for name in VIDEOS:
        vec = embed_face_image(video_frame_jpeg(testdata / "videos" / name), vision_models, vision_config)
        assert vec is not None, name
        out[name] = vec.to_bytes()
    return out


CASES = [
    ("lp_d3.mp4", ["turn_left", "open_mouth"]),
    ("lp_d12.mp4", ["blink", "open_mouth"]),
    ("lp_d14.mp4", ["turn_left"]),
    ("zc_real.mov", ["turn_right", "turn_left"]),
    ("zc_fake.mp4", ["blink", "turn_left"]),
    ("mk_fake.mp4", ["nod"]),
]


@pytest.mark.parametrize("name,challenge", CASES)
def test_same_pipeline_verdicts(testdata, templates, vision_config, vision_models, paddle_config, paddle_models,
                                name, challenge):
    path = testdata / "videos" / name
    ref = analyze_video(path, challenge, [templates[name]], vision_config, vision_models)
    got = analyze_video(path, challenge, [templates[name]], paddle_config, paddle_models)
    assert got.verdict == ref.verdict, (ref.to_dict(), got.to_dict())
    assert got.reasons == ref.reasons
    for key in ("spoof_live_score", "match_distance", "match_score"):
        if key in ref.scores or key in got.scores:
            assert abs(ref.scores[key] - got.scores[key]) <= MAX_SCORE_DIFF, (key, ref.scores[key], got.scores[key])
    print(f"\n{name} {challenge}: onnx {ref.verdict} {ref.reasons} / paddle {got.verdict} {got.reasons}")
