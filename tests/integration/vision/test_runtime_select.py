"""Runtime selection (issue #5) in the default environment, which has no paddle: choosing
the paddle runtime without paddle or without module folders must make the model
unavailable (verdict review, never pass), and the onnx default must never import paddle."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vision import analyze_video, load_models


def test_default_runtime_is_onnx_and_does_not_import_paddle(vision_config):
    assert vision_config.detector_runtime == "onnx" and vision_config.antispoof_runtime == "onnx"
    code = (
        "import sys; from pathlib import Path; from vision import VisionConfig, load_models;"
        f"m = load_models(VisionConfig(models_dir=Path({str(vision_config.models_dir)!r})));"
        "assert m.detector is not None and m.antispoof is not None;"
        "assert 'paddle' not in sys.modules and 'paddlehub' not in sys.modules, 'paddle imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("stage,field", [("detector", "detector_runtime"), ("antispoof", "antispoof_runtime")])
def test_paddle_runtime_without_module_dir_is_unavailable(vision_config, stage, field):
    models = load_models(vision_config.with_overrides(**{field: "paddle"}))
    assert stage in models.unavailable
    assert "paddle_modules_dir not configured" in models.status[stage].error


def test_paddle_runtime_with_empty_module_dir_is_unavailable(vision_config, tmp_path):
    models = load_models(vision_config.with_overrides(detector_runtime="paddle", antispoof_runtime="paddle",
                                                      paddle_modules_dir=tmp_path))
    assert {"detector", "antispoof"} <= set(models.unavailable)
    assert "no PaddleHub module" in models.status["detector"].error


def test_unknown_runtime_is_unavailable(vision_config):
    models = load_models(vision_config.with_overrides(detector_runtime="tensorrt"))
    assert models.unavailable == ["detector"]
    assert "unknown runtime" in models.status["detector"].error


def test_tampered_module_folder_is_refused(vision_config, tmp_path):
    """A folder with a build record whose files do not match it is refused before paddle is touched."""
    import json

    d = tmp_path / "ultraface_rfb320_lifecert"
    (d / "model").mkdir(parents=True)
    (d / "module.py").write_text("# module\n")
    (d / "model" / "model.pdiparams").write_bytes(b"tampered")
    (d / "lifecert_build.json").write_text(json.dumps({
        "format": 2,
        "source_sha256": "34cd7e60aeff28744c657de7a3dc64e872d506741de66987f3426f2b79f88017",
        "files": {"module.py": "0" * 64},
    }))
    models = load_models(vision_config.with_overrides(detector_runtime="paddle", paddle_modules_dir=tmp_path))
    assert "sha256 mismatch for module.py" in models.status["detector"].error


def test_paddle_missing_gives_review_not_pass(testdata, vision_config, tmp_path):
    """Module folders that look valid but paddle not importable (this environment): review."""
    try:
        import paddle  # noqa: F401
        pytest.skip("paddle is installed here; covered by tests/integration/paddle")
    except ImportError:
        pass
    for name in ("ultraface_rfb320_lifecert", "minifasnet_v2_lifecert", "minifasnet_v1se_lifecert"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "module.py").write_text("# no build record\n")
    cfg = vision_config.with_overrides(detector_runtime="paddle", paddle_modules_dir=tmp_path,
                                       paddle_allow_unpinned_detector=True)
    models = load_models(cfg)
    assert models.unavailable == ["detector"]
    assert "ModuleNotFoundError" in models.status["detector"].error
    v = analyze_video(testdata / "videos" / "lp_d3.mp4", ["turn_left"], [b"\0" * 512], cfg, models)
    assert v.verdict == "review" and "model_unavailable" in v.reasons


def test_module_folders_without_build_record_are_refused_unless_allowed(vision_config, tmp_path):
    """Unpinned weights: refused by default; the detector alone may opt in, anti-spoof never."""
    for name in ("ultraface_rfb320_lifecert", "minifasnet_v2_lifecert", "minifasnet_v1se_lifecert"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "module.py").write_text("# no build record\n")
    cfg = vision_config.with_overrides(detector_runtime="paddle", antispoof_runtime="paddle", paddle_modules_dir=tmp_path)
    models = load_models(cfg)
    assert "no lifecert_build.json" in models.status["detector"].error
    assert "no lifecert_build.json" in models.status["antispoof"].error
    models = load_models(cfg.with_overrides(paddle_allow_unpinned_detector=True))
    assert "lifecert_build.json" not in models.status["detector"].error  # got past the pin check
    assert "no lifecert_build.json" in models.status["antispoof"].error


def test_module_folder_from_an_older_build_format_is_refused(vision_config, tmp_path):
    import json

    d = tmp_path / "ultraface_rfb320_lifecert"
    d.mkdir()
    (d / "module.py").write_text("# module\n")
    (d / "lifecert_build.json").write_text(json.dumps({"format": 1, "files": {}}))
    models = load_models(vision_config.with_overrides(detector_runtime="paddle", paddle_modules_dir=tmp_path))
    assert "rebuild it" in models.status["detector"].error
