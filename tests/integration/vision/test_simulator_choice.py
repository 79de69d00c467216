"""Which footage of a real clip the simulator may use for a simulated bona fide person
(pure; no model). A simulated retiree follows the page: the face stays inside the picture
and an asked action is deliberate. Footage that shows neither is not what an honest,
compliant person sends, and a bona fide recording built from it measures the source clip,
not the product (jo_real_1's camera drifts until half the face is cut off; KatieHill's
0.16 s "turn" is a glance while talking)."""

from __future__ import annotations

from vision.landmarks import FrameMeasure
from vision.liveness import ActionEvent, Series
from vision.simulator import face_inside, rest_stretch, usable_events

FPS = 10.0
W, H = 360, 640


def measures(n: int, box=(60.0, 150.0, 300.0, 450.0), cut: range = range(0), gone: range = range(0)) -> list:
    out = []
    for i in range(n):
        b = (-40.0, 150.0, 200.0, 450.0) if i in cut else box
        if i in gone:
            out.append(FrameMeasure(i / FPS, False))
        else:
            out.append(FrameMeasure(i / FPS, True, 0.3, 0.3, 0.05, 0.0, 0.0, 0.5, b))
    return out


def test_a_face_cut_off_by_the_image_edge_is_not_inside():
    ms = measures(10, cut=range(3, 5), gone=range(8, 9))
    inside = face_inside(ms, W, H)
    assert inside.tolist() == [True, True, True, False, False, True, True, True, False, True]


def test_a_box_overhanging_by_a_landmark_or_two_still_counts_as_inside():
    ms = [FrameMeasure(0.0, True, box=(-3.0, 150.0, 361.0, 450.0))]
    assert face_inside(ms, W, H).tolist() == [True]


def test_the_rest_stretch_never_shows_a_cut_off_face():
    ms = measures(100, cut=range(40, 100))  # the camera drifts off the face from 4 s on
    s = Series.from_measures(ms)
    rest = rest_stretch(s, {}, FPS, face_inside(ms, W, H))
    assert rest and max(rest) < 40


def test_only_deliberate_actions_with_the_face_in_frame_are_offered():
    ms = measures(100, cut=range(60, 75))
    inside = face_inside(ms, W, H)
    events = {
        "turn_left": [ActionEvent("turn_left", 1.0, 1.05, 1.1, 20.0),   # a 0.2 s glance
                      ActionEvent("turn_left", 3.0, 3.4, 3.8, 35.0)],   # a held turn
        "turn_right": [ActionEvent("turn_right", 6.2, 6.5, 6.9, 40.0)],  # face cut off meanwhile
        "blink": [ActionEvent("blink", 2.0, 2.0, 2.1, 0.4)],            # blinks are slowed, so short is fine
        "nod": [],
    }
    got = usable_events(events, inside, FPS)
    assert [e.start for e in got["turn_left"]] == [3.0]
    assert got["turn_right"] == []
    assert [e.start for e in got["blink"]] == [2.0]
    assert got["nod"] == []
