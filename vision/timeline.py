"""The challenge as a timeline: prompts with their windows and a screen-light sequence.

Why a timeline and not a list of actions (issue 15): a list of random actions can be
re-rolled until an old recording happens to match it. A timeline binds the recording to
this attempt: the screen shows a random sequence of colours while the camera records, and
the face reflects it; each action must happen inside its own prompt window. An old
recording carries another attempt's light and timing, so it cannot match.

Times are seconds from the recording's first frame. The server plans a timeline
(``plan_timeline``); the page reports when each prompt and flash was actually shown, and
the verification (``vision.binding``) uses the reported times (``Timeline.from_dict``).

Photosensitive safety (WCAG 2.3.1 / Ofcom: no more than 3 flashes a second, moderate
brightness steps): every colour is held at least ``MIN_HOLD_S`` (0.4 s, so at most 2.5
changes a second), flashes are separated by the base colour, and each colour's relative
luminance differs from the base by at most ``MAX_LUMA_STEP``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from vision.liveness import ACTIONS

#: Screen colours (linear-ish RGB in 0..1). Saturated hues separate the three camera
#: channels, which is what makes one sequence distinguishable from another.
PALETTE: tuple[tuple[float, float, float], ...] = (
    (1.0, 0.25, 0.25),  # red
    (0.25, 0.9, 0.25),  # green
    (0.3, 0.35, 1.0),   # blue
    (1.0, 0.9, 0.25),   # yellow
    (0.25, 0.9, 0.9),   # cyan
    (0.9, 0.3, 0.9),    # magenta
    (0.95, 0.95, 0.95), # white
)
#: Colour shown between flashes (a calm grey).
BASE_RGB: tuple[float, float, float] = (0.5, 0.5, 0.5)
MIN_HOLD_S = 0.4
#: Share of the flash span left to chance (``plan_flashes``): the timing must differ per plan.
MIN_RANDOM_SHARE = 0.4
#: Flashes start this long after the first frame and end this long before the last.
FLASH_MARGIN_S = 0.3
MAX_LUMA_STEP = 0.5
#: Default minimum window for one action after its spoken prompt has ended (issue 15: >= 4 s).
DEFAULT_WINDOW_S = 4.0
#: Spoken length of each prompt (seconds) when the caller does not know it: the
#: pre-rendered zh-CN audio of "请向左转头" and the like is 1.2-1.8 s.
DEFAULT_SPEECH_S = 1.8
#: Quiet time before the first prompt, so the first frames show the face at rest.
LEAD_IN_S = 1.5
#: Recording after the last window. Why 1.5 s: the last action has no next prompt whose footage
#: shows the face coming back to rest, and a detector sees a blink or a turn only once it has
#: ended; a slow or late mover peaking at the window's end needs about a second to come back
#: (with 0.5 s, a late blink peaking 0.1 s before the window ended was cut off and not seen).
TAIL_S = 1.5


def relative_luma(rgb: Sequence[float]) -> float:
    """Rec. 709 luma weights of a 0..1 colour."""
    r, g, b = rgb
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@dataclass(frozen=True)
class Prompt:
    """Action ``action`` asked at ``shown_s``; it must be done before ``window_end_s``
    (the next prompt, or the end of recording for the last one). ``speech_s``: how long the
    spoken prompt lasts (people start moving after it)."""

    action: str
    shown_s: float
    window_end_s: float
    speech_s: float = 0.0


@dataclass(frozen=True)
class Flash:
    """Screen colour ``rgb`` (0..1) from ``start_s`` to ``end_s``."""

    start_s: float
    end_s: float
    rgb: tuple[float, float, float]


@dataclass(frozen=True)
class Timeline:
    prompts: tuple[Prompt, ...]
    flashes: tuple[Flash, ...]
    duration_s: float
    base_rgb: tuple[float, float, float] = BASE_RGB
    nonce: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def actions(self) -> list[str]:
        return [p.action for p in self.prompts]

    def screen_rgb(self, t: np.ndarray) -> np.ndarray:
        """Screen colour at each time in ``t``: (len(t), 3)."""
        t = np.asarray(t, dtype=np.float64)
        out = np.tile(np.asarray(self.base_rgb, dtype=np.float64), (t.size, 1))
        for f in self.flashes:
            on = (t >= f.start_s) & (t < f.end_s)
            out[on] = f.rgb
        return out

    def validate(self) -> None:
        """Raise ValueError when the timeline is malformed or not photosensitive-safe."""
        if not self.prompts:
            raise ValueError("a timeline needs at least one prompt")
        unknown = [p.action for p in self.prompts if p.action not in ACTIONS]
        if unknown:
            raise ValueError(f"unknown action(s) {unknown}; allowed: {ACTIONS}")
        last = -1.0
        for p in self.prompts:
            if p.shown_s < last or p.window_end_s <= p.shown_s:
                raise ValueError("prompts must be in time order with positive windows")
            last = p.window_end_s
        check_photosafe(self.flashes, self.base_rgb)

    def to_dict(self) -> dict[str, Any]:
        return {
            "nonce": self.nonce,
            "duration_s": round(self.duration_s, 3),
            "base_rgb": [round(c, 3) for c in self.base_rgb],
            "prompts": [
                {"action": p.action, "shown_s": round(p.shown_s, 3), "window_end_s": round(p.window_end_s, 3),
                 "speech_s": round(p.speech_s, 3)}
                for p in self.prompts
            ],
            "flashes": [
                {"start_s": round(f.start_s, 3), "end_s": round(f.end_s, 3), "rgb": [round(c, 3) for c in f.rgb]}
                for f in self.flashes
            ],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Timeline":
        """Inverse of ``to_dict`` (raises ValueError / KeyError on malformed input)."""
        prompts = tuple(
            Prompt(str(p["action"]), float(p["shown_s"]), float(p["window_end_s"]), float(p.get("speech_s", 0.0)))
            for p in d["prompts"]
        )
        flashes = tuple(
            Flash(float(f["start_s"]), float(f["end_s"]), tuple(float(c) for c in f["rgb"]))  # type: ignore[arg-type]
            for f in d["flashes"]
        )
        base = tuple(float(c) for c in d.get("base_rgb", BASE_RGB))
        tl = cls(prompts, flashes, float(d["duration_s"]), base, str(d.get("nonce", "")))  # type: ignore[arg-type]
        tl.validate()
        return tl

    def shifted(self, dt: float) -> "Timeline":
        """The same timeline with every time moved by ``dt`` (reported vs planned times)."""
        return Timeline(
            tuple(Prompt(p.action, p.shown_s + dt, p.window_end_s + dt, p.speech_s) for p in self.prompts),
            tuple(Flash(f.start_s + dt, f.end_s + dt, f.rgb) for f in self.flashes),
            self.duration_s + dt, self.base_rgb, self.nonce, self.extra,
        )


def check_photosafe(flashes: Sequence[Flash], base_rgb: Sequence[float] = BASE_RGB) -> None:
    """Raise ValueError if the light sequence could harm a photosensitive user."""
    prev_end = None
    base_l = relative_luma(base_rgb)
    for f in sorted(flashes, key=lambda f: f.start_s):
        if f.end_s - f.start_s < MIN_HOLD_S - 1e-6:
            raise ValueError(f"flash at {f.start_s:.2f}s shorter than {MIN_HOLD_S}s")
        if prev_end is not None and f.start_s - prev_end < MIN_HOLD_S - 1e-6:
            raise ValueError(f"flash at {f.start_s:.2f}s follows the previous one by less than {MIN_HOLD_S}s")
        if abs(relative_luma(f.rgb) - base_l) > MAX_LUMA_STEP + 1e-6:
            raise ValueError(f"flash at {f.start_s:.2f}s steps brightness by more than {MAX_LUMA_STEP}")
        prev_end = f.end_s
    # at most 3 flashes in any 1 s: implied by the holds (each flash + gap >= 0.8 s)


def plan_flashes(
    rng: np.random.Generator,
    start_s: float,
    end_s: float,
    n_min: int | None = None,
    n_max: int | None = None,
    on_s: tuple[float, float] = (MIN_HOLD_S, 1.2),
    min_gap_s: float = MIN_HOLD_S,
) -> tuple[Flash, ...]:
    """Random flashes (count, colours, durations and gaps) between ``start_s`` and ``end_s``.
    Consecutive flashes never repeat a colour. The count is random, by default between
    one per 2.2 s and one per 1.5 s of recording (at least 6-10): each flash is one more
    independent test of the face's response, so longer recordings get more. But at least
    ``MIN_RANDOM_SHARE`` of the span stays free for random durations and gaps, fewer flashes
    if need be: packed to their minimum holds, flashes beat at the same rhythm in every plan,
    and an old recording's on/off pattern then fits a fresh plan (a 9 s plan of 8 flashes
    was the same beat every time until 2026-12-04)."""
    span = max(0.0, end_s - start_s)
    if n_min is None:
        n_min = max(6, int(span / 2.2))
    if n_max is None:
        n_max = max(10, int(span / 1.5), n_min)
    n = int(rng.integers(n_min, n_max + 1))
    while n > 1 and n * on_s[0] + (n + 1) * min_gap_s > (1.0 - MIN_RANDOM_SHARE) * span:
        n -= 1
    if n < 1 or span < on_s[0] + 2 * min_gap_s:
        return ()
    hi = min(on_s[1], (span - (n + 1) * min_gap_s) / n)
    durs = rng.uniform(on_s[0], max(on_s[0], hi), size=n)
    free = max(0.0, span - durs.sum() - (n + 1) * min_gap_s)
    gaps = min_gap_s + free * rng.dirichlet(np.ones(n + 1))
    flashes = []
    t = start_s
    prev = -1
    for k in range(n):
        t += gaps[k]
        if prev < 0:
            c = int(rng.integers(len(PALETTE)))
        else:  # any colour but the previous one
            c = int(rng.integers(len(PALETTE) - 1))
            c = c + 1 if c >= prev else c
        prev = c
        flashes.append(Flash(float(t), float(t + durs[k]), PALETTE[c]))
        t += durs[k]
    return tuple(flashes)


def plan_light(rng: np.random.Generator, duration_s: float) -> tuple[Flash, ...]:
    """The light sequence the server plans for a recording ``duration_s`` long (also what
    ``vision.lightcheck`` draws other attempts' sequences with)."""
    return plan_flashes(rng, FLASH_MARGIN_S, duration_s - FLASH_MARGIN_S)


def plan_timeline(
    actions: Sequence[str],
    rng: np.random.Generator,
    window_s: float = DEFAULT_WINDOW_S,
    speech_s: Mapping[str, float] | float = DEFAULT_SPEECH_S,
    lead_in_s: float = LEAD_IN_S,
    tail_s: float = TAIL_S,
    nonce: str = "",
) -> Timeline:
    """The server's plan for one attempt: each prompt waits for its spoken words
    (``speech_s``), then leaves ``window_s`` for the movement; recording ends ``tail_s``
    after the last window; flashes cover the whole recording."""
    if not actions:
        raise ValueError("the challenge must hold at least one action")
    prompts = []
    t = lead_in_s
    for a in actions:
        sp = float(speech_s.get(a, DEFAULT_SPEECH_S) if isinstance(speech_s, Mapping) else speech_s)
        end = t + sp + window_s
        prompts.append(Prompt(a, t, end, sp))
        t = end
    duration = t + tail_s
    tl = Timeline(tuple(prompts), plan_light(rng, duration), duration, BASE_RGB, nonce)
    tl.validate()
    return tl
