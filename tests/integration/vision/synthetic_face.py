"""Synthetic Face Mesh landmark sequences for the pure-logic liveness tests.

A handful of the 468 mesh points (the ones vision.landmarks reads) are placed on a
simple 3D head, opened/closed/rotated, projected like Face Mesh reports them (x, y in
pixels, z depth in the same scale) and jittered. Everything else stays at the head's
centre. ``flat=True`` squashes the head into a plane: a printed photo.
"""

from __future__ import annotations

import numpy as np

# x right, y down, z away from the camera (mm-like). The face looks at the camera (-z).
RIGID = {
    10: (0, -90, 20), 151: (0, -70, 10), 168: (0, -35, -5),
    33: (-45, -30, 15), 133: (-15, -30, 8), 362: (15, -30, 8), 263: (45, -30, 15),
    234: (-70, -20, 60), 454: (70, -20, 60), 127: (-68, -45, 55), 356: (68, -45, 55),
    93: (-65, 10, 55), 323: (65, 10, 55),
}
NOSE_TIP = (0, 5, -35)
CHIN = (0, 80, 10)


def face_points(eye_open_r: float = 1.0, eye_open_l: float = 1.0, mouth: float = 0.0, eye_height: float = 6.0) -> np.ndarray:
    """(468, 3) head-centred points. eye_open 1 = EAR 2*eye_height/30; mouth = lip gap / 2."""
    p = np.zeros((468, 3))
    for i, xyz in RIGID.items():
        p[i] = xyz
    p[1] = NOSE_TIP
    p[152] = CHIN
    for (_outer, t1, t2, _inner, b2, b1), sign, openness in (
        ((33, 160, 158, 133, 153, 144), -1, eye_open_r),
        ((263, 387, 385, 362, 380, 373), +1, eye_open_l),
    ):
        h = eye_height * openness
        xo, xi = sign * 45, sign * 15
        x1, x2 = xo + (xi - xo) / 3, xo + 2 * (xi - xo) / 3
        p[t1] = (x1, -30 - h, 10)
        p[t2] = (x2, -30 - h, 10)
        p[b1] = (x1, -30 + h, 10)
        p[b2] = (x2, -30 + h, 10)
    p[78], p[308] = (-25, 40, 5), (25, 40, 5)
    for top, bottom, x in ((13, 14, 0), (82, 87, -10), (312, 317, 10)):
        p[top] = (x, 40 - mouth, 0)
        p[bottom] = (x, 40 + mouth, 0)
    return p


def project(points: np.ndarray, yaw: float = 0.0, pitch: float = 0.0, flat: bool = False,
            rng: np.random.Generator | None = None, jitter: float = 0.3, scale: float = 2.0,
            centre: tuple[float, float] = (320.0, 240.0)) -> np.ndarray:
    """Rotate (yaw > 0: face towards image right = the person's left; pitch > 0: face
    down) and project; returns landmarks as Face Mesh reports them (pixels)."""
    p = points.astype(float).copy()
    if flat:
        p[:, 2] = 0.0  # a photo: every point in one plane
    y, x = np.radians(yaw), np.radians(pitch)
    ry = np.array([[np.cos(y), 0, -np.sin(y)], [0, 1, 0], [np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(x), -np.sin(x)], [0, np.sin(x), np.cos(x)]])
    q = p @ (ry @ rx).T * scale
    q[:, 0] += centre[0]
    q[:, 1] += centre[1]
    if rng is not None and jitter:
        q += rng.normal(0, jitter, q.shape)
    return q


def sequence(duration: float, fps: float, yaw=lambda t: 0.0, pitch=lambda t: 0.0, eye_r=lambda t: 1.0,
             eye_l=lambda t: 1.0, mouth=lambda t: 0.0, flat: bool = False, seed: int = 0, eye_height: float = 6.0):
    """[(t, landmarks)] sampled at ``fps`` with the given per-time profiles."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(int(duration * fps)):
        t = k / fps
        pts = face_points(eye_r(t), eye_l(t), mouth(t), eye_height)
        out.append((t, project(pts, yaw(t), pitch(t), flat, rng)))
    return out


def ramp(t0: float, t1: float, t2: float, t3: float, peak: float):
    """0 before t0, rises to ``peak`` at t1, holds to t2, back to 0 at t3 (slow, elderly-like)."""
    def f(t: float) -> float:
        if t <= t0 or t >= t3:
            return 0.0
        if t < t1:
            return peak * (t - t0) / (t1 - t0)
        if t <= t2:
            return peak
        return peak * (t3 - t) / (t3 - t2)
    return f


def closed_between(a: float, b: float, level: float = 0.1, base: float = 1.0):
    return lambda t: level if a <= t <= b else base
