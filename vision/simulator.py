"""Simulated recordings for a challenge timeline, made from real face videos (issue 15).

Why: the binding checks (light response, action windows, earlier uploads) must be
exercised by the tests, the benchmark and the fake WeChat demo without a person in front
of a camera. A simulated bona fide recording is built from a real clip of ../shared:

1. ``load_source`` runs the face mesh on every frame of the clip and finds its actions
   with the product's own detectors, plus a stretch of frames where the face rests. Only
   footage a compliant person would send is used (``usable_events``, ``rest_stretch``):
   the whole face inside the picture, and turns, nods and mouth openings that last like
   a deliberate action, not a glance while talking;
2. ``retime`` lays out the output clip: the face rests, and after each prompt (plus the
   person's reaction delay: the words must end first, a late starter waits 2.5 s more)
   the frames of one real occurrence of the asked action play, optionally slowed (0.6x);
3. ``render`` blends the screen colour onto the face region of every frame: what a
   phone screen 30-40 cm from a face does (multiplicative, per channel, with a camera lag
   and a first-order exposure response, a gain of 0.06-0.2 and sensor noise).

Attack generators live here too (``vision.attacks`` uses them): a replay is the same
rendering for another timeline; a photo attack renders a still image with small hand
movement, with the reflection a print gets, or none for an injected still.

Everything is generated on the fly; nothing is written into the repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from vision.clipmaker import read_frames, write_clip
from vision.config import VisionConfig
from vision.landmarks import FrameMeasure, measure
from vision.liveness import ACTIONS, ActionEvent, Series, detect_actions
from vision.timeline import Timeline

#: Seconds a person waits after the spoken prompt has ended before moving.
REACTION_S = 0.5
#: The late starter of issue 15 waits this long after the prompt.
LATE_S = 2.5
#: Blinks are played at most at this speed. Why: the source clips show spontaneous blinks
#: (0.1-0.15 s, fewer than 2 analysed frames at 10 fps); a blink done on request is a
#: deliberate 0.3-0.6 s closure.
BLINK_SPEED = 0.4
#: A turn, nod or mouth opening done on request lasts at least this long in the source.
#: Why: talking-head clips show 0.1-0.2 s "turns" during a head tilt (st_WDA_KatieHill:
#: 0.16 s at 22 degrees); played at normal speed they fall between analysed frames, and no
#: one asked to turn their head does that. Blinks are slowed instead (``BLINK_SPEED``).
DELIBERATE_MIN_S = 0.3
#: The landmark box may overhang the image by this fraction of its size and still count
#: as inside: a chin tip or the edge of a cheek past the border (lp_d3's chin, 4 %) leaves
#: the face readable; jo_real_1's drift cuts off 8-28 % of the face's width.
EDGE_TOLERANCE = 0.05
#: Footage played before and after an event (``retime``); it must show the face too.
PRE_S, POST_S = 0.3, 0.4


@dataclass
class SourceClip:
    name: str
    frames: list[np.ndarray]  # RGB, long side <= max_side
    fps: float
    measures: list[FrameMeasure]
    events: dict[str, list[ActionEvent]]
    rest: list[int]  # frame indices of a stretch where the face is at rest

    @property
    def t(self) -> np.ndarray:
        return np.arange(len(self.frames)) / self.fps

    def actions(self) -> list[str]:
        """Actions this clip shows (at least one detected occurrence)."""
        return [a for a in ACTIONS if self.events.get(a)]


def _downscale(rgb: np.ndarray, max_side: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    s = min(1.0, max_side / max(h, w))
    if s >= 1.0:
        return rgb
    tw, th = int(round(w * s)) // 2 * 2, int(round(h * s)) // 2 * 2
    return cv2.resize(rgb, (tw, th), interpolation=cv2.INTER_AREA)


def load_source(path: str | Path, models, config: VisionConfig | None = None, max_side: int = 640,
                max_seconds: float = 30.0) -> SourceClip:
    """Frames, per-frame face measures, detected actions and a rest stretch of a real clip."""
    config = config or VisionConfig()
    raw, fps = read_frames(path, max_frames=int(max_seconds * 60))
    frames = [_downscale(f, max_side) for f in raw]
    ms: list[FrameMeasure] = []
    with models.new_landmarker() as tracker:
        for i, f in enumerate(frames):
            pts = tracker.landmarks(f)
            h, w = f.shape[:2]
            ms.append(measure(pts, w, h, i / fps, config.mirrored_input) if pts is not None else FrameMeasure(i / fps, False))
    series = Series.from_measures(ms)
    h, w = frames[0].shape[:2] if frames else (0, 0)
    inside = face_inside(ms, w, h)
    detected = detect_actions(series, config)
    rest = rest_stretch(series, detected, fps, inside)  # rest away from every event, glances too
    return SourceClip(Path(path).name, frames, fps, ms, usable_events(detected, inside, fps), rest)


def face_inside(measures: Sequence[FrameMeasure], w: int, h: int, tol: float = EDGE_TOLERANCE) -> np.ndarray:
    """Per frame: a face was found and its landmark box lies inside the ``w`` x ``h`` image."""
    out = np.zeros(len(measures), dtype=bool)
    for i, m in enumerate(measures):
        if not m.face or m.box is None:
            continue
        x1, y1, x2, y2 = m.box
        mx, my = tol * (x2 - x1), tol * (y2 - y1)
        out[i] = x1 >= -mx and y1 >= -my and x2 <= w + mx and y2 <= h + my
    return out


def usable_events(events: dict[str, list[ActionEvent]], inside: np.ndarray,
                  fps: float) -> dict[str, list[ActionEvent]]:
    """The detected events a simulated person may replay: the face is inside the picture
    in every frame ``retime`` plays for it, and a turn, nod or mouth opening lasts at least
    ``DELIBERATE_MIN_S``."""
    n = inside.size
    out: dict[str, list[ActionEvent]] = {}
    for action, evs in events.items():
        keep = []
        for e in evs:
            if action != "blink" and e.end - e.start + 1.0 / fps < DELIBERATE_MIN_S:
                continue
            i0 = max(0, int(np.floor((e.start - PRE_S) * fps)))
            i1 = min(n - 1, int(np.ceil((e.end + POST_S) * fps)))
            if n and inside[i0 : i1 + 1].all():
                keep.append(e)
        out[action] = keep
    return out


def rest_stretch(s: Series, events: dict[str, list[ActionEvent]], fps: float,
                 inside: np.ndarray | None = None) -> list[int]:
    """Longest run of frames outside every detected action (padded by 0.3 s) with a face
    (inside the picture, where ``inside`` is given), the head near its usual pose; at
    least a few frames."""
    busy = ~s.valid
    if inside is not None:
        busy |= ~inside
    for evs in events.values():
        for e in evs:
            busy |= (s.t >= e.start - 0.3) & (s.t <= e.end + 0.3)
    yaw0 = np.nanmedian(s.yaw)
    busy |= ~(np.abs(s.yaw - yaw0) < 8)
    best, start = (0, 0), None
    for i, b in enumerate(list(busy) + [True]):
        if not b and start is None:
            start = i
        elif b and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    if best[1] - best[0] < 5:
        framed = s.valid & inside if inside is not None else s.valid
        ok = np.flatnonzero(framed if framed.any() else s.valid)
        return ok[: max(1, min(len(ok), int(fps)))].tolist() or [0]
    return list(range(best[0], best[1]))[: int(4 * fps)]


def pick_event(evs: Sequence[ActionEvent]) -> ActionEvent:
    """The clearest occurrence: deepest blink, widest turn / nod / mouth opening."""
    if evs[0].action == "blink":  # a real blink lasts 0.1-0.4 s; long closures read as looking down
        short = [e for e in evs if e.end - e.start <= 0.6] or list(evs)
        return min(short, key=lambda e: e.strength)
    return max(evs, key=lambda e: e.strength)


def retime(src: SourceClip, timeline: Timeline, fps: float | None = None, speed: float = 1.0,
           delay_s: float = REACTION_S, after_speech: bool = True,
           rng: np.random.Generator | None = None) -> list[int]:
    """Source frame index of every output frame: rest, and each asked action played
    ``delay_s`` after its prompt's words ended (``after_speech``) or after it was shown."""
    fps = fps or src.fps
    rng = rng or np.random.default_rng(0)
    n_out = int(round(timeline.duration_s * fps))
    rest = src.rest
    cycle = rest + rest[::-1][1:-1] if len(rest) > 2 else rest  # ping-pong, no jumps
    out = [cycle[i % len(cycle)] for i in range(n_out)]
    for p in timeline.prompts:
        evs = src.events.get(p.action, [])
        if not evs:
            continue  # the clip cannot show it: the simulated person does not do it
        e = pick_event(evs)
        seg0 = max(0.0, e.start - PRE_S)
        seg1 = min(len(src.frames) / src.fps - 1e-6, e.end + POST_S)
        begin = p.shown_s + (p.speech_s if after_speech else 0.0) + delay_s
        sp = min(speed, BLINK_SPEED) if p.action == "blink" else speed
        k0 = int(round(begin * fps))
        k = k0
        while k < n_out:
            st = seg0 + (k - k0) / fps * sp
            if st > seg1:
                break
            out[k] = min(len(src.frames) - 1, int(st * src.fps))
            k += 1
    return out


def _ellipse_mask(box: tuple[float, float, float, float], h: int, w: int) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    x1, y1, x2, y2 = box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    ax, ay = (x2 - x1) * 0.6, (y2 - y1) * 0.65
    X0, Y0 = max(0, int(cx - ax)), max(0, int(cy - ay))
    X1, Y1 = min(w, int(cx + ax) + 1), min(h, int(cy + ay) + 1)
    yy, xx = np.mgrid[Y0:Y1, X0:X1]
    d = ((xx - cx) / max(ax, 1)) ** 2 + ((yy - cy) / max(ay, 1)) ** 2
    mask = np.clip((1.2 - d) / 0.4, 0.0, 1.0).astype(np.float32)  # feathered edge
    return mask, (X0, Y0, X1, Y1)


def screen_response(timeline: Timeline | None, t: np.ndarray, lag_s: float, tau_s: float = 0.1) -> np.ndarray:
    """Screen colour minus the base colour, as the camera sees it (lag + first-order exposure)."""
    if timeline is None:
        return np.zeros((t.size, 3))
    dt = 0.01
    grid = np.arange(-1.0, float(t.max()) + 1.0, dt)
    c = timeline.screen_rgb(grid) - np.asarray(timeline.base_rgb)
    a = dt / (tau_s + dt)
    acc = np.zeros(3)
    out = np.empty_like(c)
    for i in range(grid.size):
        acc += a * (c[i] - acc)
        out[i] = acc
    return np.stack([np.interp(t - lag_s, grid, out[:, k]) for k in range(3)], axis=1)


def render(
    frames: Sequence[np.ndarray],
    boxes: Sequence[tuple[float, float, float, float] | None],
    timeline: Timeline | None,
    fps: float,
    gain: float = 0.12,
    lag_s: float = 0.15,
    noise: float = 1.5,
    whole_frame: bool = False,
    rng: np.random.Generator | None = None,
) -> list[np.ndarray]:
    """Blend the screen light onto each frame's face region (or the whole frame, for a
    glossy screen held before the camera). ``boxes``: face box per frame (None: no face)."""
    rng = rng or np.random.default_rng(0)
    t = np.arange(len(frames)) / fps
    resp = screen_response(timeline, t, lag_s)
    out = []
    for img, box, r in zip(frames, boxes, resp):
        f = img.astype(np.float32)
        factor = (1.0 + gain * r).astype(np.float32)
        if whole_frame:
            f *= factor
        elif box is not None and gain:
            mask, (X0, Y0, X1, Y1) = _ellipse_mask(box, f.shape[0], f.shape[1])
            f[Y0:Y1, X0:X1] *= 1.0 + mask[..., None] * (factor - 1.0)
        if noise:
            f += rng.normal(0.0, noise, f.shape).astype(np.float32)
        out.append(np.clip(f, 0, 255).astype(np.uint8))
    return out


def simulate(
    src: SourceClip,
    timeline: Timeline,
    dst: str | Path,
    speed: float = 1.0,
    delay_s: float = REACTION_S,
    gain: float = 0.12,
    lag_s: float = 0.15,
    seed: int = 0,
    light: Timeline | None | str = "same",
) -> Path:
    """Write a bona fide recording of ``src`` answering ``timeline``. ``light`` is the
    sequence that actually lit the face: the same timeline (default), another one (a
    recording made for another attempt), or None (no screen light at all)."""
    rng = np.random.default_rng(seed)
    idx = retime(src, timeline, speed=speed, delay_s=delay_s, rng=rng)
    frames = [src.frames[i] for i in idx]
    boxes = [src.measures[i].box if src.measures[i].face else None for i in idx]
    lit = timeline if light == "same" else light
    out = render(frames, boxes, lit, src.fps, gain=gain, lag_s=lag_s, rng=rng)  # type: ignore[arg-type]
    return write_clip(out, dst, fps=src.fps)


def photo_clip(
    rgb: np.ndarray,
    timeline: Timeline | None,
    dst: str | Path,
    box: tuple[float, float, float, float] | None,
    fps: float = 30.0,
    seconds: float | None = None,
    gain: float = 0.12,
    wobble_px: float = 4.0,
    whole_frame: bool = False,
    seed: int = 0,
    size: tuple[int, int] = (480, 640),
) -> Path:
    """A still photo held before the camera (small hand movement, tilts), lit by the screen
    like a print (``gain``), like a glossy screen (``whole_frame`` with a small gain) or
    not at all (``gain=0``: injected still)."""
    rng = np.random.default_rng(seed)
    seconds = seconds or (timeline.duration_s if timeline else 8.0)
    h, w = size[1], size[0]
    # place the photo in a frame-filling canvas
    ih, iw = rgb.shape[:2]
    s = min(w / iw, h / ih) * 0.9
    img = cv2.resize(rgb, (int(iw * s), int(ih * s)), interpolation=cv2.INTER_AREA)
    canvas = np.full((h, w, 3), 90, np.uint8)
    oy, ox = (h - img.shape[0]) // 2, (w - img.shape[1]) // 2
    canvas[oy : oy + img.shape[0], ox : ox + img.shape[1]] = img
    cbox = None
    if box is not None:
        cbox = (box[0] * s + ox, box[1] * s + oy, box[2] * s + ox, box[3] * s + oy)
    n = int(round(seconds * fps))
    frames: list[np.ndarray] = []
    boxes: list[tuple[float, float, float, float] | None] = []
    ph = rng.uniform(0, 2 * np.pi, 3)
    for k in range(n):
        tt = k / fps
        dx = wobble_px * np.sin(2 * np.pi * 0.3 * tt + ph[0])
        dy = wobble_px * np.sin(2 * np.pi * 0.23 * tt + ph[1])
        ang = 3.0 * np.sin(2 * np.pi * 0.17 * tt + ph[2])
        m = np.asarray(cv2.getRotationMatrix2D((w / 2, h / 2), ang, 1.0), np.float64)
        m[:, 2] += (dx, dy)
        frames.append(cv2.warpAffine(canvas, m, (w, h), borderMode=cv2.BORDER_REPLICATE))
        if cbox is not None:
            pts = np.array([[cbox[0], cbox[1], 1], [cbox[2], cbox[3], 1]]) @ m.T
            boxes.append((float(pts[0, 0]), float(pts[0, 1]), float(pts[1, 0]), float(pts[1, 1])))
        else:
            boxes.append(None)
    out = render(frames, boxes, timeline, fps, gain=gain, whole_frame=whole_frame, rng=rng)
    return write_clip(out, dst, fps=fps)
