"""Attack generators against the bound challenge (issue 15), for tests and the benchmark.

Each takes a genuine recording (a file, or the simulator's source clip and the timeline
it answered) and makes what a fraudster would upload against a *fresh* timeline:

* ``append_bytes``   the same file with bytes appended (defeats a file hash);
* ``reencode``       decoded and encoded again, rescaled (defeats a file hash and the
                     container's metadata);
* ``trim``           the first seconds cut off;
* ``splice``         the old recording cut at its prompts and re-assembled so that its
                     actions fall into the fresh timeline's windows, in the fresh order;
* ``screen_replay``  the old recording shown on a screen before the camera: the fresh
                     light sequence reaches the screen's glass, weakly and uniformly;
* photo attacks      ``vision.simulator.photo_clip`` (print: lit like a face; screen:
                     weak uniform reflection; injected still: no light, no motion).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from vision.clipmaker import read_frames, write_clip
from vision.simulator import SourceClip, render, retime
from vision.timeline import Timeline


def append_bytes(src: str | Path, dst: str | Path, n: int = 8, seed: int = 0) -> Path:
    data = Path(src).read_bytes() + np.random.default_rng(seed).bytes(n)
    Path(dst).write_bytes(data)
    return Path(dst)


def reencode(src: str | Path, dst: str | Path, scale: float = 0.75, crf: int = 30) -> Path:
    import cv2

    frames, fps = read_frames(src)
    h, w = frames[0].shape[:2]
    tw, th = int(w * scale) // 2 * 2, int(h * scale) // 2 * 2
    small = [cv2.resize(f, (tw, th), interpolation=cv2.INTER_AREA) for f in frames]
    return write_clip(small, dst, fps=fps, options={"crf": str(crf)})


def trim(src: str | Path, dst: str | Path, start_s: float = 0.5, end_s: float = 0.0) -> Path:
    frames, fps = read_frames(src)
    a = int(round(start_s * fps))
    b = len(frames) - int(round(end_s * fps))
    return write_clip(frames[a:b], dst, fps=fps)


def splice_indices(old: Timeline, new: Timeline, fps: float, n_old: int) -> list[int]:
    """Old-recording frame index for every frame of the spliced clip: the old lead-in as
    filler, and for each new prompt the old window that asked the same action, moved to
    the new prompt's time (the attacker's best cut)."""
    n_out = int(round(new.duration_s * fps))
    lead = max(1, int(old.prompts[0].shown_s * fps))
    filler = list(range(lead)) + list(range(lead - 2, 0, -1))
    out = [filler[i % len(filler)] for i in range(n_out)]
    used: set[int] = set()
    for p in new.prompts:
        cands = [j for j, q in enumerate(old.prompts) if q.action == p.action and j not in used] or \
                [j for j, q in enumerate(old.prompts) if q.action == p.action]
        if not cands:
            continue
        j = cands[0]
        used.add(j)
        q = old.prompts[j]
        a, b = int(q.shown_s * fps), min(n_old, int(q.window_end_s * fps))
        k0 = int(p.shown_s * fps)
        for k in range(b - a):
            if k0 + k < n_out:
                out[k0 + k] = a + k
    return out


def splice(old_file: str | Path, old: Timeline, new: Timeline, dst: str | Path) -> Path:
    frames, fps = read_frames(old_file)
    idx = splice_indices(old, new, fps, len(frames))
    return write_clip([frames[min(i, len(frames) - 1)] for i in idx], dst, fps=fps)


def screen_replay(old_file: str | Path, new: Timeline, dst: str | Path, gain: float = 0.03, seed: int = 0) -> Path:
    """The old recording filmed off a screen while the fresh sequence plays on the phone."""
    frames, fps = read_frames(old_file)
    lit = render(frames, [None] * len(frames), new, fps, gain=gain, whole_frame=True,
                 rng=np.random.default_rng(seed))
    return write_clip(lit, dst, fps=fps)


def old_recording(src: SourceClip, old: Timeline, dst: str | Path, seed: int = 0, gain: float = 0.12) -> Path:
    """A genuine recording made for ``old`` (what the fraudster kept)."""
    rng = np.random.default_rng(seed)
    idx = retime(src, old, rng=rng)
    frames = [src.frames[i] for i in idx]
    boxes = [src.measures[i].box if src.measures[i].face else None for i in idx]
    return write_clip(render(frames, boxes, old, src.fps, gain=gain, rng=rng), dst, fps=src.fps)


def remove(*paths: str | os.PathLike) -> None:
    for p in paths:
        try:
            os.unlink(p)
        except OSError:
            pass
