"""Does the face reflect this attempt's screen-light sequence? Pure numpy.

Why: a phone screen 30-40 cm from a face lights it measurably (the idea behind iProov's
Flashmark and Tencent's reflection liveness). The screen shows a random colour sequence
made for this attempt only; the colour of the face region must follow it with the
camera's lag (0-0.4 s) and a positive gain. A recording made for another attempt (or
none) follows another sequence.

Method: per sampled frame, the mean log colour of the inner face box (forehead, cheeks,
nose: little hair or background). Slow drifts (exposure, the head moving in and out of
room light) are removed by projecting out a low-frequency cosine basis (periods >= 6 s)
from both the observed and the expected signals. The score is the correlation over the
three channels together, at the best lag. Its significance is read against a null
distribution: the same correlation with ``null_sequences`` time-shifted copies of the
sequence (same colours and rhythm, unrelated timing), which tells how much a face that
moves but ignores the light correlates by chance, and with as many other sequences
planned the way the server plans them for a recording of this length (what a recording
made for another attempt was lit by). Why both: in a short recording the shifted copies
share the sequence's own colours and vary less than another attempt's sequence does; a
9 s replay of KatieHill lit by an earlier plan reached z 4.3 against shifted copies alone
(bench/binding_bench.py, 2026-12-04). Three outcomes:

* ``match``         correlation and z-score above their thresholds, gain positive;
* ``mismatch``      no such response although a face with the smallest plausible gain
                    would have shown it clearly (the clip is quiet enough): not a pass;
* ``inconclusive``  the clip cannot tell (sun or a lamp saturating the face, too dark,
                    face not tracked, too much motion): the user is asked to retry in
                    soft indoor light; never a silent pass.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass
from typing import Any, Sequence

import cv2
import numpy as np

from vision.timeline import Flash, Timeline, plan_light


@dataclass(frozen=True)
class LightConfig:
    #: Camera delay searched between the screen change and the face response.
    lag_min_s: float = 0.0
    lag_max_s: float = 0.45
    lag_step_s: float = 0.05
    #: Exposure integration / screen response time constant used for the expected signal.
    response_tau_s: float = 0.08
    #: Nuisance drifts slower than this period are removed.
    min_period_s: float = 6.0
    #: How many time-shifted copies of the sequence (and as many other attempts' sequences)
    #: form the null distribution, and the smallest shift (seconds).
    null_sequences: int = 60
    null_min_shift_s: float = 2.0
    #: Match: correlation >= this, z-score against the null >= ``min_z``, gain > 0.
    min_corr: float = 0.2
    min_z: float = 4.0
    #: Smallest reflected-light gain expected from a live face (log units per unit of
    #: screen colour; the simulator uses 0.06-0.2).
    min_gain: float = 0.03
    #: Mismatch (instead of inconclusive) when that smallest gain would have given this z.
    mismatch_pred_z: float = 8.0
    #: Fewer face samples than this (or than this fraction of the frames): inconclusive.
    min_samples: int = 20
    min_face_fraction: float = 0.6
    #: Median fraction of saturated face pixels above this: inconclusive (too bright).
    max_saturated_fraction: float = 0.2
    #: Median face luma (0-255) below this: inconclusive (too dark to see reflections).
    min_luma: float = 35.0


@dataclass
class FaceTrace:
    """Per sampled frame: time, mean RGB of the inner face box (NaN without a face),
    fraction of saturated pixels, mean luma."""

    t: np.ndarray
    rgb: np.ndarray
    saturated: np.ndarray
    luma: np.ndarray


@dataclass
class LightResult:
    status: str  # "match" | "mismatch" | "inconclusive"
    detail: str
    corr: float
    z: float
    null_p: float
    lag_s: float
    gain: float
    predicted_min_z: float
    samples: int

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) and np.isfinite(v) else (None if isinstance(v, float) else v))
                for k, v in asdict(self).items()}


def inner_box(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """Forehead-to-mouth, cheek-to-cheek part of a face box (little hair or background)."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    return int(x1 + 0.2 * w), int(y1 + 0.15 * h), int(x2 - 0.2 * w), int(y2 - 0.25 * h)


def area_thumb(region: np.ndarray, side: int) -> np.ndarray:
    """side x side area-averaged thumbnail. OpenCV's INTER_AREA is slow for arbitrary
    ratios (0.5 ms on a 300 px face); bilinear to 4x the size, then an exact 4x4 area
    average, costs 0.02 ms and keeps the averaging that makes the thumbnail stable."""
    mid = cv2.resize(region, (4 * side, 4 * side), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(mid, (side, side), interpolation=cv2.INTER_AREA)


def face_trace(frames: Sequence, measures: Sequence) -> FaceTrace:
    """Colour of the face region on each sampled frame (``frames``: SampledFrame with
    ``.t`` and ``.rgb``; ``measures``: FrameMeasure with ``.face`` and ``.box``)."""
    n = len(frames)
    t = np.array([f.t for f in frames], dtype=np.float64)
    rgb = np.full((n, 3), np.nan)
    sat = np.full(n, np.nan)
    luma = np.full(n, np.nan)
    for i, (f, m) in enumerate(zip(frames, measures)):
        if not m.face or not m.box:
            continue
        x1, y1, x2, y2 = inner_box(m.box)
        img = f.rgb
        x1, y1 = max(0, x1), max(0, y1)
        x2, y2 = min(img.shape[1], x2), min(img.shape[0], y2)
        if x2 - x1 < 4 or y2 - y1 < 4:
            continue
        # area-averaged 8x8 thumbnail: its mean is the region's mean (at a tenth of the
        # cost of averaging the pixels in numpy); a blown-out cell stays >= 245
        small = area_thumb(img[y1:y2, x1:x2], 8).reshape(-1, 3)
        mean = small.mean(axis=0)
        rgb[i] = mean
        sat[i] = float((small.max(axis=1) >= 245).mean())
        luma[i] = float(mean @ np.array([0.299, 0.587, 0.114]))
    return FaceTrace(t, rgb, sat, luma)


_DT = 0.02
_T0 = -2.0


def _screen_grid(flash_sets: Sequence[Sequence[Flash]], base: Sequence[float], t_end: float, tau: float) -> np.ndarray:
    """Screen colour on a fixed 20 ms grid from ``_T0`` to ``t_end`` after a causal
    first-order (exposure) response, for several sequences at once: (sets, grid, 3)."""
    g = int(np.ceil((t_end - _T0) / _DT)) + 1
    scr = np.tile(np.asarray(base, dtype=np.float64), (len(flash_sets), g, 1))
    for k, flashes in enumerate(flash_sets):
        for f in flashes:
            scr[k, int(np.ceil((f.start_s - _T0) / _DT)):int(np.ceil((f.end_s - _T0) / _DT))] = f.rgb
    if tau > 0:  # causal exponential kernel as a convolution, via FFT over all sets
        kern = np.exp(-np.arange(int(5 * tau / _DT) + 1) * _DT / tau)
        kern /= kern.sum()
        scr = scr - np.asarray(base)
        nfft = 1 << int(np.ceil(np.log2(g + kern.size)))
        out = np.fft.irfft(np.fft.rfft(scr, nfft, axis=1) * np.fft.rfft(kern, nfft)[None, :, None], nfft, axis=1)
        scr = out[:, :g] + np.asarray(base)
    return scr


def _sample(grid: np.ndarray, t: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """Grid values at ``t - lag`` (linear interpolation): (sets, lags, n, 3)."""
    pos = ((t[None, :] - lags[:, None]).ravel() - _T0) / _DT
    pos = np.clip(pos, 0, grid.shape[1] - 1.000001)
    i0 = pos.astype(int)
    w = (pos - i0)[None, :, None]
    vals = grid[:, i0] * (1 - w) + grid[:, i0 + 1] * w
    return vals.reshape(grid.shape[0], lags.size, t.size, 3)


def _nuisance(t: np.ndarray, duration: float, min_period: float) -> np.ndarray:
    """Orthonormal basis of the drifts to remove: constant + slow cosines."""
    span = max(duration, float(t.max() - t.min()) + 1e-3)
    kmax = int(2 * span / min_period)
    cols = [np.ones_like(t)] + [np.cos(np.pi * k * (t - t.min()) / span) for k in range(1, kmax + 1)]
    q, _ = np.linalg.qr(np.stack(cols, axis=1))
    return q


def _residual(p: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Apply the residual projector ``p`` (n, n) to x (..., n, 3) along the sample axis."""
    return p @ x


def _corr(o: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Correlation over all channels of residual o (n, 3) with each x (..., n, 3)."""
    num = (x * o).sum(axis=(-2, -1))
    den = np.sqrt((o * o).sum() * (x * x).sum(axis=(-2, -1))) + 1e-12
    return num / den


def _whitener(o: np.ndarray) -> np.ndarray:
    """3x3 matrix that makes the residual's channels uncorrelated with unit variance.
    Why: head movement and exposure move all three channels together (brightness), the
    coloured flashes move them apart; whitening lets the quiet directions count more."""
    cov = (o.T @ o) / max(1, o.shape[0] - 1) + 1e-10 * np.eye(3)
    w, v = np.linalg.eigh(cov)
    return v @ np.diag(1.0 / np.sqrt(np.maximum(w, 1e-10))) @ v.T


def _scores(o: np.ndarray, q: np.ndarray, wh: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Correlation of the whitened residual ``o`` (n, 3) with each expected signal
    x (..., n, 3) after removing the nuisance basis ``q`` from it and whitening it.
    <o, P x> = <o, x> because o is already residual; |P x|^2 = |x|^2 - |q^T x|^2."""
    xw = x @ wh
    num = np.einsum("...nc,nc->...", xw, o)
    qx = np.einsum("nb,...nc->...bc", q, xw)
    den2 = (xw * xw).sum(axis=(-2, -1)) - (qx * qx).sum(axis=(-2, -1))
    return num / (np.sqrt(np.maximum(den2, 1e-18) * (o * o).sum()) + 1e-12)


def other_attempts(timeline: Timeline, n: int) -> list[tuple[Flash, ...]]:
    """``n`` light sequences planned as the server plans one for a recording as long as
    ``timeline``'s. Seeded by the timeline's own flashes, so one recording always gets the
    same verdict."""
    seed = zlib.crc32(repr([(round(f.start_s, 3), f.rgb) for f in timeline.flashes]).encode())
    rng = np.random.default_rng(seed)
    return [plan_light(rng, timeline.duration_s) for _ in range(n)]


def check_light(trace: FaceTrace, timeline: Timeline, cfg: LightConfig | None = None) -> LightResult:
    """Compare the face colour with ``timeline``'s light sequence (see module docstring)."""
    cfg = cfg or LightConfig()
    ok = np.isfinite(trace.rgb).all(axis=1)
    n_ok = int(ok.sum())
    nan = float("nan")

    def result(status: str, detail: str, **kw: float) -> LightResult:
        base: dict[str, Any] = dict(corr=nan, z=nan, null_p=nan, lag_s=nan, gain=nan, predicted_min_z=nan, samples=n_ok)
        base.update(kw)
        return LightResult(status, detail, **base)

    if not timeline.flashes:
        return result("inconclusive", "no_light_sequence")
    if n_ok < cfg.min_samples or n_ok < cfg.min_face_fraction * len(ok):
        return result("inconclusive", "face_not_tracked")
    if float(np.nanmedian(trace.saturated[ok])) > cfg.max_saturated_fraction:
        return result("inconclusive", "too_bright")
    if float(np.nanmedian(trace.luma[ok])) < cfg.min_luma:
        return result("inconclusive", "too_dark")

    t = trace.t[ok]
    obs = np.log(trace.rgb[ok] + 1.0)
    q = _nuisance(t, timeline.duration_s, cfg.min_period_s)
    proj = np.eye(t.size) - q @ q.T
    o_raw = proj @ obs
    wh = _whitener(o_raw)
    o = o_raw @ wh
    lags = np.arange(cfg.lag_min_s, cfg.lag_max_s + 1e-9, cfg.lag_step_s)

    t_end = float(t.max()) + 0.1
    # this attempt's sequence first, then other attempts' (for the null): one grid, one FFT
    grids = _screen_grid([timeline.flashes, *other_attempts(timeline, cfg.null_sequences)], timeline.base_rgb,
                         t_end, cfg.response_tau_s)
    own = _sample(grids[:1], t, lags)[0]
    r_lags = _scores(o, q, wh, own)
    li = int(np.argmax(r_lags))
    r = float(r_lags[li])
    x_raw = proj @ own[li]
    # gain in log units per unit of screen colour, estimated with the channels weighted by
    # how quiet they are (generalised least squares: the whitened space the correlation
    # lives in), so its sign is the correlation's. Why not the plain least-squares gain:
    # head motion and auto-exposure swing all three channels together, and on a hand-held
    # clip (jo_real_1) they turned it negative at correlation 0.53-0.57 and z 4.6-5.2
    xw = x_raw @ wh
    gain = float((o * xw).sum() / ((xw ** 2).sum() + 1e-12))

    # null distribution: the same sequence shifted in time (circularly, by 2 s or more):
    # same colours, durations and rhythm, unrelated timing. A face that ignores the light
    # (or follows another attempt's light) correlates with it as with these.
    grid = grids[0]
    lo = max(0, int((float(t.min()) - cfg.lag_max_s - _T0) / _DT))
    seg = grid[lo:]
    min_shift = int(cfg.null_min_shift_s / _DT)
    shifts = np.linspace(min_shift, max(min_shift, seg.shape[0] - min_shift), cfg.null_sequences).astype(int)
    rolled = np.stack([np.concatenate([grid[:lo], np.roll(seg, k, axis=0)]) for k in shifts])
    null_shifted = _scores(o, q, wh, _sample(rolled, t, lags)).max(axis=1)
    null_other = _scores(o, q, wh, _sample(grids[1:], t, lags)).max(axis=1)
    null = np.concatenate([null_shifted, null_other])
    mu, sd = float(null.mean()), float(null.std()) + 1e-9
    z = (r - mu) / sd
    p = float((null >= r).mean())

    # what the smallest plausible live response would have looked like in this clip
    # (in the whitened space the score lives in; o is taken as noise, the case that matters)
    sx = float(np.sqrt(((x_raw @ wh) ** 2).sum()))
    so = float(np.sqrt((o * o).sum()))
    r_pred = cfg.min_gain * sx / np.sqrt((cfg.min_gain * sx) ** 2 + so * so)
    z_pred = float((r_pred - mu) / sd)
    kw = dict(corr=r, z=float(z), null_p=p, lag_s=float(lags[li]), gain=gain, predicted_min_z=z_pred)
    if r >= cfg.min_corr and z >= cfg.min_z and gain > 0:
        return result("match", "", **kw)
    if z_pred >= cfg.mismatch_pred_z:
        return result("mismatch", "no_response", **kw)
    return result("inconclusive", "weak_signal", **kw)
