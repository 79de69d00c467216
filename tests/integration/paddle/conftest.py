"""Paddle parity fixtures. These tests run in the paddle environment
(``scripts/bootstrap.sh --paddle``; ``scripts/test.sh`` does that as its second pytest run).
In the default environment they are skipped, unless LIFECERT_REQUIRE_PADDLE=1 (set by
test.sh for the paddle run) turns a missing paddle into an error instead of a skip."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.integration.vision.conftest import testdata, video_frame_jpeg, vision_config, vision_models  # noqa: F401 - fixtures

if os.environ.get("LIFECERT_REQUIRE_PADDLE") != "1":
    pytest.importorskip("paddle", reason="paddle environment only (scripts/bootstrap.sh --paddle)")
    pytest.importorskip("paddlehub", reason="paddle environment only")


def _build_key(models_dir: Path) -> str:
    """Modules are rebuilt when the build code, the templates or the paddle lock change."""
    from vision.paddle import build

    h = hashlib.sha256()
    here = Path(build.__file__).parent
    for p in [Path(build.__file__), *sorted((here / "templates").glob("*.py")),
              Path(__file__).resolve().parents[3] / "requirements-paddle.lock"]:
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


@pytest.fixture(scope="session")
def paddle_modules_dir(vision_config) -> Path:
    """The project's PaddleHub module folders, built (or reused) outside the repository."""
    from vision.paddle.build import build

    out = os.environ.get("LIFECERT_PADDLE_MODULES_DIR")
    out = Path(out) if out else Path.home() / ".cache" / "lifecert" / f"paddle-modules-{_build_key(vision_config.models_dir)}"
    build(vision_config.models_dir, out)
    return out


@pytest.fixture(scope="session")
def paddle_config(vision_config, paddle_modules_dir):
    return vision_config.with_overrides(detector_runtime="paddle", antispoof_runtime="paddle", sface_runtime="paddle",
                                        paddle_modules_dir=paddle_modules_dir)


@pytest.fixture(scope="session")
def paddle_models(paddle_config):
    from vision import load_models

    models = load_models(paddle_config)
    assert models.unavailable == [], models.versions()
    return models
