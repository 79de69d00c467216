"""Action detectors on landmark time series, and the challenge-order check. Pure numpy.

Why time series and relative thresholds: elderly users move slowly, wear glasses, have
narrow or drooping eyelids, and phones record at 10-30 fps. So every detector compares
the signal with the clip's own baseline (open-eye EAR, closed-mouth MAR, frontal yaw and
pitch) instead of absolute numbers, tolerates long actions, and works on whatever frame
times it gets (samples need not be evenly spaced).

Action names (``ACTIONS``):
* ``blink``      both eyes close and open again (a one-eyed wink does not count);
* ``turn_left``  the person turns their head to **their own left**. In an unmirrored
                 selfie video (what phone cameras store and what the decoder returns) the
                 nose then moves towards the right edge of the image: yaw > 0.
* ``turn_right`` the person turns to their own right (yaw < 0);
* ``open_mouth`` the mouth opens wide (more than talking does);
* ``nod``        the head goes down (chin towards chest) and comes back up.

Replay defence: the bot draws a random order of actions for each certification; a
recording of an earlier session shows the actions in another order and fails here with
``actions_out_of_order`` (or ``action_missing``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from vision.config import VisionConfig

ACTIONS: tuple[str, ...] = ("blink", "turn_left", "turn_right", "open_mouth", "nod")


@dataclass(frozen=True)
class ActionEvent:
    """One detected action: when it started, peaked and ended (seconds), and how strong
    it was (EAR ratio for blink, degrees for turns/nod, MAR for the mouth)."""

    action: str
    start: float
    peak: float
    end: float
    strength: float

    def to_dict(self) -> dict:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


@dataclass
class Series:
    """Per-frame measurements of one clip; NaN where the face was not found."""

    t: np.ndarray
    ear_r: np.ndarray
    ear_l: np.ndarray
    mar: np.ndarray
    yaw: np.ndarray
    pitch: np.ndarray
    nose_pos: np.ndarray

    @classmethod
    def from_measures(cls, measures: list) -> "Series":
        """Build from ``vision.landmarks.FrameMeasure`` objects."""
        def col(name: str) -> np.ndarray:
            return np.array([getattr(m, name) for m in measures], dtype=np.float64)

        return cls(col("t"), col("ear_r"), col("ear_l"), col("mar"), col("yaw"), col("pitch"), col("nose_pos"))

    @property
    def valid(self) -> np.ndarray:
        return np.isfinite(self.yaw) & np.isfinite(self.ear_r) & np.isfinite(self.ear_l)


def _median3(x: np.ndarray) -> np.ndarray:
    """Median of each valid sample and its valid neighbours: removes one-frame mesh glitches."""
    out = x.copy()
    idx = np.flatnonzero(np.isfinite(x))
    vals = x[idx]
    for k in range(len(idx)):
        lo, hi = max(0, k - 1), min(len(idx), k + 2)
        out[idx[k]] = np.median(vals[lo:hi])
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (start, end) index pairs of True runs."""
    runs = []
    start = None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        elif not m and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, len(mask) - 1))
    return runs


def _frame_dt(t: np.ndarray) -> float:
    d = np.diff(t[np.isfinite(t)])
    return float(np.median(d)) if d.size else 0.1


def _baseline_angle(
    t: np.ndarray, x: np.ndarray, half_window: float = 6.0, prior: float | None = None, prior_width: float = 15.0
) -> float:
    """Resting (frontal / level) head angle of the clip: the median of the densest
    +-``half_window`` degree cluster of samples.

    Why not the plain median: a user who holds a requested turn for half the clip would
    move the median into the turn. People rest in one pose between actions, so the pose
    with most samples around it is the rest pose; an off-axis camera shifts it, which is
    what relative thresholds want. For yaw the plane fit reads ~0 on a frontal face, so
    with ``prior`` the cluster is searched among samples within ``prior_width`` of it
    first (a turn held for most of the clip then cannot become the baseline)."""
    xs = x[np.isfinite(x)]
    if xs.size == 0:
        return 0.0
    if prior is not None:
        near = xs[np.abs(xs - prior) <= prior_width]
        if near.size >= max(3, 0.1 * xs.size):
            xs = near
    srt = np.sort(xs)
    hi = np.searchsorted(srt, srt + 2 * half_window, side="right")
    counts = hi - np.arange(srt.size)
    i = int(np.argmax(counts))
    return float(np.median(srt[i : hi[i]]))


def detect_blinks(s: Series, cfg: VisionConfig) -> list[ActionEvent]:
    """Both eyes' aspect ratio falls below a fraction of the clip's open-eye level, then
    rises again, within ``blink_max_s``. Frames where the head points far away or down are
    ignored: looking down lowers the eyelids without a blink."""
    valid = s.valid
    if valid.sum() < 3:
        return []
    mean_ear = (s.ear_r + s.ear_l) / 2.0
    base = float(np.nanpercentile(mean_ear[valid], 80))
    base_r = float(np.nanpercentile(s.ear_r[valid], 80))
    base_l = float(np.nanpercentile(s.ear_l[valid], 80))
    if base <= 0:
        return []
    yaw0 = _baseline_angle(s.t, s.yaw, prior=0.0)
    pitch0 = _baseline_angle(s.t, s.pitch)
    posed = (np.abs(s.yaw - yaw0) < cfg.blink_max_yaw_deg) & ((s.pitch - pitch0) < cfg.nod_min_deg)
    closed = (
        valid
        & posed
        & (mean_ear < cfg.blink_closed_ratio * base)
        & (s.ear_r < cfg.blink_each_eye_ratio * base_r)
        & (s.ear_l < cfg.blink_each_eye_ratio * base_l)
    )
    open_ = valid & (mean_ear >= 0.85 * base)
    dt = _frame_dt(s.t)
    events = []
    for a, b in _runs(closed):
        # the eyes must be seen open before and after (a blink, not a clip starting shut)
        before = np.flatnonzero(open_[:a])
        after = np.flatnonzero(open_[b + 1 :])
        if not before.size or not after.size:
            continue
        if s.t[b] - s.t[a] + dt > cfg.blink_max_s:
            continue
        seg = mean_ear[a : b + 1]
        k = a + int(np.nanargmin(seg))
        events.append(ActionEvent("blink", float(s.t[a]), float(s.t[k]), float(s.t[b]), float(seg.min() / base)))
    return events


def _angle_events(
    t: np.ndarray, x: np.ndarray, base: float, threshold: float, min_s: float, action: str, sign: float
) -> list[ActionEvent]:
    rel = sign * (x - base)
    above = np.isfinite(rel) & (rel >= threshold)
    dt = _frame_dt(t)
    out = []
    for a, b in _runs(above):
        if t[b] - t[a] + dt < min_s:
            continue
        seg = rel[a : b + 1]
        k = a + int(np.nanargmax(seg))
        out.append(ActionEvent(action, float(t[a]), float(t[k]), float(t[b]), float(seg.max())))
    return out


def detect_turns(s: Series, cfg: VisionConfig) -> dict[str, list[ActionEvent]]:
    """Yaw leaves the frontal baseline by ``turn_min_deg`` or more. Positive yaw is the
    person's own left (see module docstring). No speed limit: slow turns count."""
    yaw = _median3(s.yaw)
    base = _baseline_angle(s.t, yaw, prior=0.0)
    return {
        "turn_left": _angle_events(s.t, yaw, base, cfg.turn_min_deg, cfg.action_min_s, "turn_left", +1.0),
        "turn_right": _angle_events(s.t, yaw, base, cfg.turn_min_deg, cfg.action_min_s, "turn_right", -1.0),
    }


def detect_mouth_open(s: Series, cfg: VisionConfig) -> list[ActionEvent]:
    """Inner-lip opening rises above the closed-mouth baseline by ``mouth_open_delta`` and
    above ``mouth_open_min``; ordinary talking stays below."""
    mar = s.mar
    ok = np.isfinite(mar)
    if ok.sum() < 3:
        return []
    base = float(np.nanpercentile(mar[ok], 20))
    thr = max(cfg.mouth_open_min, base + cfg.mouth_open_delta)
    above = ok & (mar >= thr)
    dt = _frame_dt(s.t)
    out = []
    for a, b in _runs(above):
        if s.t[b] - s.t[a] + dt < cfg.action_min_s:
            continue
        seg = mar[a : b + 1]
        k = a + int(np.nanargmax(seg))
        out.append(ActionEvent("open_mouth", float(s.t[a]), float(s.t[k]), float(s.t[b]), float(seg.max())))
    return out


def detect_nods(s: Series, cfg: VisionConfig) -> list[ActionEvent]:
    """Pitch dips by ``nod_min_deg`` below the frontal baseline (face down) while yaw stays
    near frontal, then comes back up by at least ``nod_return_fraction`` of the dip."""
    pitch = _median3(s.pitch)
    yaw = _median3(s.yaw)
    base = _baseline_angle(s.t, pitch)
    yaw0 = _baseline_angle(s.t, yaw, prior=0.0)
    rel = pitch - base
    frontalish = np.abs(yaw - yaw0) < max(cfg.turn_min_deg, 15.0)
    down = np.isfinite(rel) & (rel >= cfg.nod_min_deg) & frontalish
    dt = _frame_dt(s.t)
    out = []
    for a, b in _runs(down):
        if s.t[b] - s.t[a] + dt < cfg.action_min_s:
            continue
        seg = rel[a : b + 1]
        k = a + int(np.nanargmax(seg))
        peak = float(seg.max())
        later = rel[b + 1 :]
        back = np.flatnonzero(np.isfinite(later) & (later <= peak * (1.0 - cfg.nod_return_fraction)))
        if not back.size:
            continue
        end = float(s.t[b + 1 + back[0]])
        out.append(ActionEvent("nod", float(s.t[a]), float(s.t[k]), end, peak))
    return out


def detect_actions(s: Series, cfg: VisionConfig) -> dict[str, list[ActionEvent]]:
    """Every action's events in the clip (challenge-independent; evaluate uses this too)."""
    events = {"blink": detect_blinks(s, cfg), "open_mouth": detect_mouth_open(s, cfg), "nod": detect_nods(s, cfg)}
    events.update(detect_turns(s, cfg))
    return {a: events[a] for a in ACTIONS}


@dataclass
class OrderResult:
    ok: bool
    missing: list[str]
    out_of_order: bool
    matched: list[ActionEvent]


def check_order(challenge: list[str], events: dict[str, list[ActionEvent]]) -> OrderResult:
    """Match the challenge as a subsequence of the detected events, by peak time.

    Greedy earliest matching is optimal for subsequence search: take, for each requested
    action in turn, the earliest event of that kind peaking after the previous match.
    Extra actions in between are allowed (people blink while turning)."""
    missing = [a for a in dict.fromkeys(challenge) if not events.get(a)]
    if missing:
        return OrderResult(False, missing, False, [])
    matched: list[ActionEvent] = []
    last = -np.inf
    for action in challenge:
        cands = [e for e in sorted(events[action], key=lambda e: e.peak) if e.peak > last]
        if not cands:
            return OrderResult(False, [], True, matched)
        matched.append(cands[0])
        last = cands[0].peak
    return OrderResult(True, [], False, matched)


def parallax(s: Series) -> float:
    """Spread (p95 - p5) of the nose position inside the face outline over the clip.

    A real head turned by 20 degrees moves the nose by ~0.15-0.3 of the face width across
    the outline; a flat photo shown and turned before the camera keeps it where the photo
    has it (spread ~0 plus landmark noise)."""
    x = s.nose_pos[np.isfinite(s.nose_pos)]
    if x.size < 3:
        return 0.0
    return float(np.percentile(x, 95) - np.percentile(x, 5))
