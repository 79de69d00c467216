"""Content fingerprint of a selfie video, to catch an earlier upload sent again.

Why content and not bytes: appending 8 bytes defeats a file hash; so do re-encoding,
trimming and rescaling. What survives them is what the frames show. Per sampled frame
(10 a second) the fingerprint keeps a 16x16 grey thumbnail of the face square (the face
box widened 1.6x, so rescaling, re-framing and cropping the borders do not change it)
and the frame's time.

Comparison: a genuine new recording of the same person in the same chair looks like the
old one when the person sits still, so still frames prove nothing. What an old recording
carries and a new one cannot is the same *movement at the same pace*: each thumbnail
minus the clip's mean thumbnail (the face's appearance cancels, the movement, the light
flashes and the noise remain), compared over windows of ``window_s`` along every time
offset. A window matches when the energy-weighted correlation of the two residual runs
is at least ``match_corr``; the share of the new clip's face time covered by matching
windows is the replay score. Trimming changes only the offset, re-encoding and
rescaling barely change a 16x16 thumbnail, appended bytes are not frames.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from vision.lightcheck import area_thumb

SIDE = 16
_MAGIC = b"LCFP1"


@dataclass(frozen=True)
class FingerprintConfig:
    #: Length of the compared runs (seconds): long enough to hold a movement.
    window_s: float = 1.5
    #: Energy-weighted correlation of two runs at or above this: the same footage.
    match_corr: float = 0.9
    #: Runs whose residual energy is below this (per pixel, grey levels^2) are too still to tell.
    min_energy: float = 4.0
    #: Replay when matching runs cover at least this share of the new clip's face time...
    replay_fraction: float = 0.25
    #: ...or at least this many seconds of it.
    replay_seconds: float = 3.0


@dataclass(frozen=True)
class Fingerprint:
    t: np.ndarray  # (n,) seconds
    thumbs: np.ndarray  # (n, SIDE*SIDE) uint8; rows of frames without a face are zero
    face: np.ndarray  # (n,) bool

    def to_bytes(self) -> bytes:
        """Compact storable form (~26 bytes a frame: 260 B a second of video)."""
        n = int(self.t.size)
        head = _MAGIC + struct.pack("<I", n)
        times = np.round(self.t * 1000).astype("<u4").tobytes()
        return head + times + np.packbits(self.face).tobytes() + self.thumbs.astype(np.uint8).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> "Fingerprint":
        if not data.startswith(_MAGIC):
            raise ValueError("not a lifecert video fingerprint")
        (n,) = struct.unpack_from("<I", data, len(_MAGIC))
        off = len(_MAGIC) + 4
        t = np.frombuffer(data, "<u4", n, off).astype(np.float64) / 1000.0
        off += 4 * n
        nb = (n + 7) // 8
        face = np.unpackbits(np.frombuffer(data, np.uint8, nb, off))[:n].astype(bool)
        off += nb
        thumbs = np.frombuffer(data, np.uint8, n * SIDE * SIDE, off).reshape(n, SIDE * SIDE)
        return cls(t, thumbs.copy(), face)


def face_square(box: tuple[float, float, float, float], w: int, h: int, widen: float = 1.6) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    half = max(x2 - x1, y2 - y1) * widen / 2
    return (max(0, int(cx - half)), max(0, int(cy - half)), min(w, int(cx + half)), min(h, int(cy + half)))


def fingerprint(frames: Sequence, measures: Sequence) -> Fingerprint:
    """Fingerprint of the sampled frames (``.t``, ``.rgb``) with their face measures (``.face``, ``.box``)."""
    n = len(frames)
    t = np.array([f.t for f in frames], dtype=np.float64)
    thumbs = np.zeros((n, SIDE * SIDE), np.uint8)
    face = np.zeros(n, bool)
    for i, (f, m) in enumerate(zip(frames, measures)):
        if not m.face or not m.box:
            continue
        h, w = f.rgb.shape[:2]
        x1, y1, x2, y2 = face_square(m.box, w, h)
        if x2 - x1 < 8 or y2 - y1 < 8:
            continue
        small = area_thumb(f.rgb[y1:y2, x1:x2], SIDE)
        thumbs[i] = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).ravel()
        face[i] = True
    return Fingerprint(t, thumbs, face)


@dataclass
class ReplayMatch:
    fraction: float  # share of the new clip's face time covered by matching runs
    seconds: float
    best_corr: float
    offset_s: float  # new time - earlier time of the best run

    @property
    def as_dict(self) -> dict:
        return {"fraction": round(self.fraction, 4), "seconds": round(self.seconds, 3),
                "best_corr": round(self.best_corr, 4), "offset_s": round(self.offset_s, 3)}


def _resample(fp: Fingerprint, step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Face rows on a regular time grid (nearest sampled frame), residual from the mean."""
    idx = np.flatnonzero(fp.face)
    if idx.size == 0:
        return np.zeros(0), np.zeros((0, SIDE * SIDE)), np.zeros(0, bool)
    grid = np.arange(fp.t[idx[0]], fp.t[idx[-1]] + 1e-9, step)
    pos = np.searchsorted(fp.t, grid).clip(0, fp.t.size - 1)
    prev = (pos - 1).clip(0)
    pos = np.where(np.abs(fp.t[prev] - grid) < np.abs(fp.t[pos] - grid), prev, pos)
    ok = fp.face[pos] & (np.abs(fp.t[pos] - grid) <= step)
    x = fp.thumbs[pos].astype(np.float32)
    mean = x[ok].mean(axis=0) if ok.any() else np.zeros(SIDE * SIDE, np.float32)
    x = np.where(ok[:, None], x - mean, 0.0)
    return grid, x, ok


def compare(new: Fingerprint, earlier: Fingerprint, cfg: FingerprintConfig | None = None) -> ReplayMatch:
    """How much of ``new`` is footage of ``earlier`` (any time offset)."""
    cfg = cfg or FingerprintConfig()
    step = 0.1
    ta, a, oka = _resample(new, step)
    tb, b, okb = _resample(earlier, step)
    if a.shape[0] == 0 or b.shape[0] == 0:
        return ReplayMatch(0.0, 0.0, 0.0, 0.0)
    w = max(3, int(round(cfg.window_s / step)))
    n, m = a.shape[0], b.shape[0]
    g = a @ b.T  # (n, m) dot products
    ea = (a * a).sum(axis=1)
    eb = (b * b).sum(axis=1)
    # sums over w consecutive rows along each diagonal: S[i, j] = sum_{d<w} g[i+d, j+d]
    if n < w or m < w:
        return ReplayMatch(0.0, 0.0, 0.0, 0.0)
    # cum[i, j] = g[i-1, j-1] + cum[i-1, j-1]: cumulative sums along the diagonals
    cum = np.zeros((n + 1, m + 1), np.float64)
    for i in range(1, n + 1):
        cum[i, 1:] = g[i - 1] + cum[i - 1, :-1]
    s = cum[w:, w:] - cum[:-w, :-w]  # (n-w+1, m-w+1): run starting at (i, j)
    ca = np.concatenate([[0.0], np.cumsum(ea)])
    cb = np.concatenate([[0.0], np.cumsum(eb)])
    sa = ca[w:] - ca[:-w]
    sb = cb[w:] - cb[:-w]
    corr = s / (np.sqrt(np.outer(sa, sb)) + 1e-9)
    still = (sa[:, None] < cfg.min_energy * w * SIDE * SIDE) | (sb[None, :] < cfg.min_energy * w * SIDE * SIDE)
    corr = np.where(still, 0.0, corr)
    best = float(corr.max()) if corr.size else 0.0
    hit = corr >= cfg.match_corr
    covered = np.zeros(n, bool)
    for i in np.flatnonzero(hit.any(axis=1)):
        covered[i : i + w] = True
    covered &= oka
    face_n = max(1, int(oka.sum()))
    bi, bj = np.unravel_index(int(np.argmax(corr)), corr.shape)
    return ReplayMatch(float(covered.sum() / face_n), float(covered.sum() * step), best, float(ta[bi] - tb[bj]))


def is_replay(match: ReplayMatch, cfg: FingerprintConfig | None = None) -> bool:
    cfg = cfg or FingerprintConfig()
    return match.fraction >= cfg.replay_fraction or match.seconds >= cfg.replay_seconds
