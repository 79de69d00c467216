"""Vision fixtures: models loaded once per session, a config for the shared test data."""

from __future__ import annotations

from pathlib import Path

import pytest

from vision import VisionConfig, load_models


@pytest.fixture(scope="session")
def vision_config(shared_dir: Path) -> VisionConfig:
    """Product defaults, with the models from ../shared and enrollment limits lowered for
    the web photos and video frames of the test data (smaller than an agency scan)."""
    models_dir = shared_dir / "models"
    if not models_dir.is_dir():
        raise RuntimeError(f"model folder missing: {models_dir}")
    return VisionConfig(models_dir=models_dir, enroll_min_long_side=200, enroll_min_short_side=150)


@pytest.fixture(scope="session")
def vision_models(vision_config):
    models = load_models(vision_config)
    # a missing model must fail the test run, never silently skip the real-model tests
    assert models.unavailable == [], models.versions()
    return models


@pytest.fixture(scope="session")
def testdata(shared_dir: Path) -> Path:
    return shared_dir / "testdata"


@pytest.fixture(scope="session")
def video_frame_jpeg():
    """Encode one frame (at ``t`` seconds) of a video as JPEG bytes: the stand-in for an
    enrollment photo of the person in that video."""
    import cv2

    from vision.clipmaker import read_frames

    def grab(path: Path, index: int = 0) -> bytes:
        frames, _fps = read_frames(path, max_frames=index + 1)
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(frames[index], cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
        assert ok
        return buf.tobytes()

    return grab
