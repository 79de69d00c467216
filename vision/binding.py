"""Bind a recording to its own attempt: light response, action windows, earlier uploads.

``analyze_video`` calls ``judge_binding`` when the challenge is a ``Timeline`` (issue 15).
Three checks, each pure given the measured evidence:

* ``check_windows``  each asked action happens inside its own prompt window: it starts no
                     earlier than its prompt was shown (motion from before the prompt never
                     counts) and peaks before the next prompt (or the end of recording);
* ``vision.lightcheck.check_light``  the face follows this attempt's light sequence;
* ``vision.fingerprint.compare``     the frames are not footage of an earlier upload.

Reason keys added here (advice in ``ADVICE``; the wording module gives the Chinese):
``action_not_in_window``, ``recording_too_short``, ``light_mismatch``, ``light_inconclusive``,
``replay_suspected``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from vision.fingerprint import Fingerprint, FingerprintConfig, compare, fingerprint, is_replay
from vision.lightcheck import LightConfig, check_light, face_trace
from vision.liveness import ActionEvent
from vision.timeline import Timeline

#: New reason key -> advice keys.
ADVICE: dict[str, tuple[str, ...]] = {
    "action_not_in_window": ("wait_for_prompt", "follow_prompts_in_order"),
    "recording_too_short": ("record_until_done",),
    "light_mismatch": ("keep_face_near_screen", "screen_brightness_up"),
    "light_inconclusive": ("soft_indoor_light", "screen_brightness_up"),
    "replay_suspected": ("go_offline",),
}


@dataclass(frozen=True)
class BindingConfig:
    light: LightConfig = field(default_factory=LightConfig)
    fingerprint: FingerprintConfig = field(default_factory=FingerprintConfig)
    #: An action may start this much before its prompt's reported time (frame sampling and
    #: the page's clock: one analysed frame is 0.1 s).
    start_tolerance_s: float = 0.2
    #: ...and peak this much after its window ends.
    end_tolerance_s: float = 0.2
    #: The recording may end this much before the timeline does (the page stops on its own
    #: clock); more than this and the last window was cut off.
    short_tolerance_s: float = 0.6


@dataclass
class WindowResult:
    ok: bool
    matched: list[ActionEvent | None]
    outside: list[str]  # asked actions seen only outside their window
    missing: list[str]  # asked actions never seen


def check_windows(timeline: Timeline, events: dict[str, list[ActionEvent]],
                  cfg: BindingConfig | None = None) -> WindowResult:
    """Match each prompt with an event of its action inside its own window."""
    cfg = cfg or BindingConfig()
    matched: list[ActionEvent | None] = []
    outside: list[str] = []
    missing: list[str] = []
    for p in timeline.prompts:
        evs = events.get(p.action, [])
        inside = [e for e in evs if e.start >= p.shown_s - cfg.start_tolerance_s
                  and e.peak <= p.window_end_s + cfg.end_tolerance_s]
        if inside:
            matched.append(min(inside, key=lambda e: e.start))
        else:
            matched.append(None)
            (outside if evs else missing).append(p.action)
    return WindowResult(not outside and not missing, matched, outside, missing)


def judge_binding(
    ev: Any,
    timeline: Timeline,
    earlier: Sequence[bytes | Fingerprint],
    reasons: list[str],
    scores: dict[str, Any],
    cfg: BindingConfig | None = None,
) -> Fingerprint | None:
    """Add the binding reasons and scores for ``ev`` (a ``vision.pipeline.Evidence``).
    Returns the clip's fingerprint (to store with the upload), or None without frames."""
    cfg = cfg or BindingConfig()
    video = ev.video
    if video is None or not ev.measures:
        return None
    frames = video.frames

    # action windows (replace "anywhere in order" by "inside its own window")
    if video.duration_s < timeline.prompts[-1].window_end_s - cfg.short_tolerance_s:
        reasons.append("recording_too_short")
    win = check_windows(timeline, ev.events, cfg)
    scores["window_actions"] = [e.to_dict() if e else None for e in win.matched]
    if win.outside and "action_missing" not in reasons and "actions_out_of_order" not in reasons:
        reasons.append("action_not_in_window")
        scores["actions_outside_window"] = win.outside
    elif win.missing and "action_missing" not in reasons:
        reasons.append("action_missing")
        scores["missing_actions"] = win.missing
    elif win.outside:
        scores["actions_outside_window"] = win.outside

    # light response
    light = check_light(face_trace(frames, ev.measures), timeline, cfg.light)
    scores["light"] = light.to_dict()
    if light.status == "mismatch":
        reasons.append("light_mismatch")
    elif light.status == "inconclusive":
        reasons.append("light_inconclusive")

    # earlier uploads of the same person
    fp = fingerprint(frames, ev.measures)
    best, replay = None, False
    for old in earlier:
        old_fp = Fingerprint.from_bytes(bytes(old)) if isinstance(old, (bytes, bytearray, memoryview)) else old
        m = compare(fp, old_fp, cfg.fingerprint)
        replay = replay or is_replay(m, cfg.fingerprint)
        if best is None or m.fraction > best.fraction:
            best = m
    if best is not None:
        scores["replay"] = best.as_dict
    if replay:
        reasons.append("replay_suspected")
    return fp
