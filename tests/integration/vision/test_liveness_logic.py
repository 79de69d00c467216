"""Pure-logic tests of the action detectors on synthetic landmark sequences (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.integration.vision.synthetic_face import closed_between, face_points, project, ramp, sequence
from vision.config import VisionConfig
from vision.landmarks import head_pose, measure
from vision.liveness import ACTIONS, Series, check_order, detect_actions, parallax

CFG = VisionConfig()


def series_of(seq, mirrored: bool = False) -> Series:
    return Series.from_measures([measure(pts, 640, 480, t, mirrored) for t, pts in seq])


def detected(seq, cfg: VisionConfig = CFG, mirrored: bool = False) -> dict[str, list]:
    return detect_actions(series_of(seq, mirrored), cfg)


def test_action_names_are_the_product_vocabulary():
    assert ACTIONS == ("blink", "turn_left", "turn_right", "open_mouth", "nod")


@pytest.mark.parametrize("yaw,pitch", [(30, 0), (-30, 0), (0, 20), (20, -10)])
def test_head_pose_tracks_a_known_rotation(yaw, pitch):
    pts = face_points()
    y0, p0 = head_pose(project(pts))
    y1, p1 = head_pose(project(pts, yaw=yaw, pitch=pitch))
    assert y1 - y0 == pytest.approx(yaw, abs=4)
    assert p1 - p0 == pytest.approx(pitch, abs=4)


@pytest.mark.parametrize("fps", [10, 15, 30])
def test_a_blink_is_found_at_phone_frame_rates(fps):
    seq = sequence(4, fps, eye_r=closed_between(1.5, 1.8), eye_l=closed_between(1.5, 1.8))
    ev = detected(seq)
    assert len(ev["blink"]) == 1
    assert 1.4 <= ev["blink"][0].peak <= 1.9
    assert not ev["turn_left"] and not ev["turn_right"] and not ev["nod"] and not ev["open_mouth"]


def test_a_slow_elderly_blink_counts_but_eyes_shut_for_long_do_not():
    slow = detected(sequence(5, 10, eye_r=closed_between(1.0, 2.0), eye_l=closed_between(1.0, 2.0)))
    assert len(slow["blink"]) == 1
    asleep = detected(sequence(8, 10, eye_r=closed_between(1.0, 5.0), eye_l=closed_between(1.0, 5.0)))
    assert asleep["blink"] == []


def test_narrow_eyes_or_glasses_still_blink_relative_to_their_own_baseline():
    # open-eye EAR 0.2 (narrow eyelids): an absolute 0.2 threshold would see eyes "always shut"
    seq = sequence(4, 15, eye_r=closed_between(2.0, 2.3, 0.15), eye_l=closed_between(2.0, 2.3, 0.15), eye_height=3.0)
    assert len(detected(seq)["blink"]) == 1
    still = sequence(4, 15, eye_height=3.0)
    assert detected(still)["blink"] == []


def test_a_wink_is_not_a_blink():
    seq = sequence(4, 15, eye_r=closed_between(1.5, 1.9))
    assert detected(seq)["blink"] == []


def test_a_slow_turn_to_the_persons_left_is_turn_left():
    seq = sequence(6, 10, yaw=ramp(1.0, 2.5, 3.5, 5.0, 30))
    ev = detected(seq)
    assert len(ev["turn_left"]) == 1 and ev["turn_right"] == []
    assert ev["turn_left"][0].strength == pytest.approx(30, abs=5)


def test_a_turn_to_the_persons_right_is_turn_right():
    ev = detected(sequence(5, 30, yaw=ramp(1.0, 1.5, 2.0, 2.5, -25)))
    assert len(ev["turn_right"]) == 1 and ev["turn_left"] == []


def test_mirrored_input_swaps_the_meaning_of_left_and_right():
    seq = sequence(5, 10, yaw=ramp(1.0, 1.5, 2.5, 3.0, 30))
    assert detected(seq)["turn_left"] and not detected(seq)["turn_right"]
    mirrored = detected(seq, mirrored=True)
    assert mirrored["turn_right"] and not mirrored["turn_left"]


def test_small_head_motion_is_not_a_turn_or_a_nod():
    seq = sequence(6, 15, yaw=lambda t: 8 * np.sin(t * 2), pitch=lambda t: 5 * np.sin(t * 3))
    ev = detected(seq)
    assert ev["turn_left"] == [] and ev["turn_right"] == [] and ev["nod"] == []


def test_a_held_turn_does_not_move_the_frontal_baseline():
    # the user turns at 1 s and holds the turn for most of the clip
    seq = sequence(6, 10, yaw=ramp(1.0, 1.5, 5.5, 5.9, 30))
    assert len(detected(seq)["turn_left"]) == 1


def test_open_mouth_is_found_and_talking_is_not():
    wide = detected(sequence(4, 15, mouth=ramp(1.0, 1.3, 2.0, 2.3, 14)))
    assert len(wide["open_mouth"]) == 1
    talking = detected(sequence(4, 15, mouth=lambda t: 3 + 3 * abs(np.sin(t * 7))))
    assert talking["open_mouth"] == []


def test_a_nod_goes_down_and_comes_back():
    ev = detected(sequence(5, 10, pitch=ramp(1.0, 1.8, 2.2, 3.0, 20)))
    assert len(ev["nod"]) == 1
    assert ev["turn_left"] == [] and ev["turn_right"] == []


def test_looking_down_and_staying_down_is_not_a_nod():
    ev = detected(sequence(5, 10, pitch=ramp(1.0, 1.8, 4.99, 5.0, 20)))
    assert ev["nod"] == []


def test_eyes_lowered_during_a_nod_are_not_a_blink():
    seq = sequence(5, 10, pitch=ramp(1.0, 1.5, 2.5, 3.0, 25), eye_r=closed_between(1.5, 2.5, 0.3),
                   eye_l=closed_between(1.5, 2.5, 0.3))
    ev = detected(seq)
    assert ev["nod"] and ev["blink"] == []


def _scripted_clip():
    """turn left at ~1.5 s, blink at 3.5 s, open mouth at 5 s."""
    return sequence(
        7, 15,
        yaw=ramp(1.0, 1.4, 1.8, 2.3, 28),
        eye_r=closed_between(3.4, 3.65), eye_l=closed_between(3.4, 3.65),
        mouth=ramp(4.6, 4.9, 5.3, 5.6, 14),
    )


def test_the_challenge_in_the_order_done_passes():
    ev = detected(_scripted_clip())
    res = check_order(["turn_left", "blink", "open_mouth"], ev)
    assert res.ok and [e.action for e in res.matched] == ["turn_left", "blink", "open_mouth"]


def test_a_replayed_recording_fails_a_new_random_order():
    ev = detected(_scripted_clip())
    res = check_order(["open_mouth", "turn_left"], ev)
    assert not res.ok and res.out_of_order and not res.missing


def test_an_action_never_done_is_missing():
    ev = detected(_scripted_clip())
    res = check_order(["turn_left", "nod"], ev)
    assert not res.ok and res.missing == ["nod"]


def test_a_flat_photo_turned_before_the_camera_shows_no_parallax():
    turn = ramp(1.0, 1.5, 2.0, 2.5, 30)
    real = series_of(sequence(4, 10, yaw=turn))
    photo = series_of(sequence(4, 10, yaw=turn, flat=True))
    assert parallax(real) >= CFG.min_parallax
    assert parallax(photo) < CFG.min_parallax / 2
