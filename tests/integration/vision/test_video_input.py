"""Video input: real containers only, limits, rotation, 10-bit HEVC, truncated/disguised files."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from vision import analyze_video
from vision.clipmaker import fit_frame, read_frames, write_clip
from vision.video import VideoRejected, load_video


@pytest.fixture(scope="module")
def source_frames(testdata):
    """3 s of a real face video (lp_d3: a woman turning her head), as RGB frames."""
    frames, fps = read_frames(testdata / "videos" / "lp_d3.mp4", max_frames=90)
    return frames, fps


def _clip(tmp_path, frames, name="clip.mp4", size=(640, 480), **kw):
    return write_clip([fit_frame(f, *size) for f in frames], tmp_path / name, fps=30, **kw)


def _face_found(video, vision_models, vision_config):
    from vision.pipeline import _Timer, gather_evidence

    ev = gather_evidence(video, vision_models, vision_config, _Timer(), need_embedding=False)
    return sum(m.face for m in ev.measures) / len(ev.measures)


@pytest.mark.parametrize(
    "payload,detail",
    [
        (b"", "empty"),
        (b"this is a text file, not a video\n" * 20, "not_a_video"),
        (bytes(np.random.default_rng(1).integers(0, 256, 200_000, dtype=np.uint8)), "not_a_video"),
    ],
)
def test_non_videos_are_rejected_fast(tmp_path, vision_config, payload, detail):
    p = tmp_path / "upload.mp4"
    p.write_bytes(payload)
    t = time.perf_counter()
    with pytest.raises(VideoRejected) as exc:
        load_video(p, vision_config)
    assert exc.value.detail == detail
    assert time.perf_counter() - t < 1.0


def test_a_jpeg_renamed_mp4_is_rejected_although_ffmpeg_opens_it(tmp_path, testdata, vision_config):
    p = tmp_path / "selfie.mp4"
    p.write_bytes((testdata / "faces" / "obama" / "obama.jpg").read_bytes())
    with pytest.raises(VideoRejected) as exc:
        load_video(p.read_bytes(), vision_config)
    assert exc.value.detail == "format_not_allowed"


def test_truncated_upload_with_index_at_the_end_is_rejected(tmp_path, source_frames, vision_config):
    clip = _clip(tmp_path, source_frames[0])
    data = clip.read_bytes()
    with pytest.raises(VideoRejected) as exc:
        load_video(data[: len(data) // 2], vision_config)
    assert exc.value.detail in ("not_a_video", "truncated_or_corrupt")


def test_truncated_faststart_upload_is_rejected_although_its_prefix_decodes(tmp_path, source_frames, vision_config):
    clip = _clip(tmp_path, source_frames[0], container_options={"movflags": "faststart"})
    data = clip.read_bytes()
    load_video(data, vision_config)  # complete file is fine
    with pytest.raises(VideoRejected) as exc:
        load_video(data[: int(len(data) * 0.4)], vision_config)
    assert exc.value.detail == "truncated_or_corrupt"


def test_analyze_video_turns_a_corrupt_upload_into_a_fail_with_a_reason(vision_config, vision_models):
    v = analyze_video(b"GIF89a not a video", ["blink"], [], vision_config, vision_models)
    assert v.verdict == "fail"
    assert v.reasons == ["video_unusable"]
    assert "try_again" in v.advice
    assert v.video["rejected"] in ("not_a_video", "format_not_allowed")  # ffmpeg sniffs "GIF89a"


def test_limits_on_size_duration_and_resolution(tmp_path, source_frames, vision_config):
    clip = _clip(tmp_path, source_frames[0])
    with pytest.raises(VideoRejected) as exc:
        load_video(clip, vision_config.with_overrides(max_video_bytes=1000))
    assert exc.value.detail == "too_large"
    with pytest.raises(VideoRejected) as exc:
        load_video(clip, vision_config.with_overrides(max_duration_s=2.0))
    assert exc.value.detail == "too_long"
    with pytest.raises(VideoRejected) as exc:
        load_video(clip, vision_config.with_overrides(max_pixels=320 * 240))
    assert exc.value.detail == "resolution_too_high"
    with pytest.raises(VideoRejected) as exc:
        load_video(clip, vision_config.with_overrides(min_short_side=720))
    assert exc.value.detail == "resolution_too_low"


def test_portrait_phone_video_with_rotation_matrix_is_made_upright(tmp_path, source_frames, vision_config, vision_models):
    # a phone stores portrait video as landscape frames plus a display matrix of -90 degrees
    upright = [fit_frame(f, 360, 640) for f in source_frames[0][:45]]
    stored = [np.ascontiguousarray(np.rot90(f, k=1)) for f in upright]  # turned on its side
    clip = write_clip(stored, tmp_path / "portrait.mp4", fps=30, rotation=-90)
    video = load_video(clip, vision_config)
    assert video.rotation == -90
    assert (video.width, video.height) == (360, 640)
    assert video.frames[0].rgb.shape[:2] == (640, 360)
    assert _face_found(video, vision_models, vision_config) > 0.9


def test_ten_bit_hevc_like_iphone_hdr_decodes_and_shows_the_face(tmp_path, source_frames, vision_config, vision_models):
    clip = _clip(tmp_path, source_frames[0][:45], "hdr.mov", size=(640, 480), codec="libx265", pix_fmt="yuv420p10le")
    video = load_video(clip, vision_config)
    assert video.codec == "hevc" and video.pix_fmt == "yuv420p10le"
    assert video.frames[0].rgb.dtype == np.uint8
    assert _face_found(video, vision_models, vision_config) > 0.9


def test_sampling_follows_analysis_fps_whatever_the_source_rate(tmp_path, source_frames, vision_config):
    clip = _clip(tmp_path, source_frames[0])
    video = load_video(clip, vision_config)
    assert video.decoded_frames == 90 and video.info["packets"] == 90
    ts = np.array([f.t for f in video.frames])
    assert len(video.frames) == pytest.approx(3 * vision_config.analysis_fps, abs=2)
    assert np.all(np.diff(ts) > 0)


def test_vp8_in_a_mov_container_and_bytes_input_work(testdata, vision_config):
    data = (testdata / "videos" / "zc_real.mov").read_bytes()
    video = load_video(data, vision_config)
    assert video.codec in ("vp8", "libvpx") and video.frames


def test_unreadable_path_is_a_rejection_not_a_crash(tmp_path, vision_config):
    with pytest.raises(VideoRejected):
        load_video(tmp_path / "missing.mp4", vision_config)
    assert not os.path.exists(tmp_path / "missing.mp4")


def test_an_unknown_codec_tag_is_a_rejection_not_a_crash(testdata, vision_config, vision_models):
    """An mp4 whose sample entry says "zq9x": FFmpeg opens it, PyAV gives no codec context (was AttributeError)."""
    data = (testdata / "videos" / "lp_d3.mp4").read_bytes().replace(b"avc1", b"zq9x")
    with pytest.raises(VideoRejected) as exc:
        load_video(data, vision_config)
    assert exc.value.detail == "unknown_codec"
    verdict = analyze_video(data, challenge=["blink"], templates=[], config=vision_config, models=vision_models)
    assert verdict.verdict == "fail" and verdict.reasons == ["video_unusable"]
