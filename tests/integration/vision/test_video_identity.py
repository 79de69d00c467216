"""The fraud the issue measured: a selfie video of one man against another man's template.

On these clips (East-Asian men of evaldata/liveness) dlib alone puts every pair of
different people under its 0.55 pass distance (0.47-0.50), so the dlib-only matcher
passed them. Each clip also runs against its own first-frame template, so the test would
also catch a matcher that refuses everybody."""

from __future__ import annotations

import pytest

from vision import analyze_video
from vision.clipmaker import read_frames
from vision.enroll import embed_face_image

CLIPS = {"lp_d0.mp4": "lp_d0_man", "lp_d12.mp4": "lp_d12_man_glasses", "vr_face1.mp4": "vr_face1_man_suit"}


@pytest.fixture(scope="module")
def clip_dir(shared_dir):
    return shared_dir / "evaldata" / "liveness" / "videos"


@pytest.fixture(scope="module")
def first_frame_templates(clip_dir, vision_config, vision_models):
    out = {}
    for name in CLIPS:
        frames, _ = read_frames(clip_dir / name, max_frames=1)
        t = embed_face_image(frames[0], vision_models, vision_config)
        assert t is not None and t.sface is not None and t.dlib is not None, name
        out[name] = t.to_bytes()
    return out


@pytest.mark.parametrize("clip", sorted(CLIPS))
def test_a_video_never_passes_against_another_persons_template(clip, clip_dir, first_frame_templates, vision_config,
                                                                vision_models):
    cfg = vision_config.with_overrides(max_duration_s=60.0)
    own = analyze_video(clip_dir / clip, ["blink"], [first_frame_templates[clip]], cfg, vision_models)
    assert "not_same_person" not in own.reasons and "match_uncertain" not in own.reasons, own.scores
    for other, tmpl in first_frame_templates.items():
        if other == clip:
            continue
        v = analyze_video(clip_dir / clip, ["blink"], [tmpl], cfg, vision_models)
        assert v.verdict != "pass" and "not_same_person" in v.reasons, (clip, other, v.scores)
        # the attack is real: dlib alone would have let this stranger through
        assert v.scores["match_distance"] <= cfg.match_threshold, (clip, other, v.scores["match_distance"])


def test_the_persons_own_template_among_strangers_still_matches_and_is_named(clip_dir, first_frame_templates,
                                                                             vision_config, vision_models):
    cfg = vision_config.with_overrides(max_duration_s=60.0)
    order = ["lp_d12.mp4", "vr_face1.mp4", "lp_d0.mp4"]
    v = analyze_video(clip_dir / "lp_d0.mp4", ["blink"], [first_frame_templates[n] for n in order], cfg, vision_models)
    assert "not_same_person" not in v.reasons and "match_uncertain" not in v.reasons
    assert v.scores["match_template"] == 2
