"""MediaPipe Face Mesh landmarks and the per-frame measurements liveness needs.

Why Face Mesh: 468 points at ~3 ms a frame in tracking mode, Apache-2.0, and the
models ship inside the mediapipe==0.10.21 wheel, so it runs offline. The measurements
(eye and mouth aspect ratios, yaw and pitch from a head-pose fit, nose position
inside the face outline) are computed here from plain arrays, so the pure detectors
in vision.liveness can be tested on synthetic landmark sequences without any model.

Conventions (pixel coordinates of an upright, *unmirrored* frame, x right, y down):
* yaw > 0: the face points towards the right side of the image, i.e. the person
  turned their head to **their own left** (the camera sees the person face to face).
* pitch > 0: the face points down (chin towards chest), as in the first half of a nod.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Face Mesh indices (468-point topology). "R"/"L" are the person's right/left.
EYE_R = (33, 160, 158, 133, 153, 144)  # outer, top1, top2, inner, bottom2, bottom1 (image left)
EYE_L = (362, 385, 387, 263, 373, 380)  # inner, top1, top2, outer, bottom2, bottom1 (image right)
MOUTH_PAIRS = ((13, 14), (82, 87), (312, 317))  # inner lip top/bottom
MOUTH_CORNERS = (78, 308)
NOSE_TIP = 1
OUTLINE_R, OUTLINE_L = 234, 454  # cheek outline at eye height (image left / right)
MOUTH_OUTER_CORNERS = (61, 291)  # outer lip corners (image left / right)
CHIN = 152
#: Points that move with the skull, not with expressions (forehead, eye corners, cheek and
#: jaw-angle outline, nose bridge). Mouth corners and chin are left out on purpose: a
#: laugh or an open mouth must not read as a head turn or a nod.
RIGID_POINTS = (10, 151, 33, 263, 133, 362, 234, 454, 127, 356, 93, 323, 168)


def _dist(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.hypot(*(a - b)))


def eye_aspect_ratio(pts: np.ndarray, idx: tuple[int, ...]) -> float:
    """Soukupová & Čech EAR: eyelid opening over eye width; ~0.25-0.3 open, <0.15 shut."""
    p1, p2, p3, p4, p5, p6 = (pts[i, :2] for i in idx)
    width = _dist(p1, p4)
    if width <= 1e-6:
        return float("nan")
    return (_dist(p2, p6) + _dist(p3, p5)) / (2.0 * width)


def mouth_aspect_ratio(pts: np.ndarray) -> float:
    """Inner-lip opening over mouth width; ~0-0.1 closed, >0.4 wide open."""
    width = _dist(pts[MOUTH_CORNERS[0], :2], pts[MOUTH_CORNERS[1], :2])
    if width <= 1e-6:
        return float("nan")
    return float(np.mean([_dist(pts[a, :2], pts[b, :2]) for a, b in MOUTH_PAIRS]) / width)


def head_pose(pts: np.ndarray) -> tuple[float, float]:
    """(yaw, pitch) in degrees of the head, from a plane fitted to the rigid 3D landmarks.

    Face Mesh returns x, y and a depth z (same scale as x, smaller = closer). The normal of
    the least-squares plane through the rigid points is the direction the face points.
    A 6-point solvePnP with a generic head was tried first: it jumped by 30-50 degrees on
    laughing frames (the mouth corners move) and broke down beyond ~30 degrees of yaw.
    yaw = atan2(n_x, -n_z) (> 0: turned to the person's left in unmirrored video);
    pitch = asin(n_y) (> 0: face points down). The plane of these points is tilted back
    by 40-60 degrees on a frontal face, so pitch is only meaningful relative to the clip's
    own baseline, which is how liveness uses it."""
    if pts.ndim != 2 or pts.shape[1] < 3:
        return float("nan"), float("nan")
    q = pts[list(RIGID_POINTS), :3].astype(np.float64)
    if not np.all(np.isfinite(q)):
        return float("nan"), float("nan")
    c = q - q.mean(axis=0)
    try:
        _u, _s, vt = np.linalg.svd(c, full_matrices=False)
    except np.linalg.LinAlgError:
        return float("nan"), float("nan")
    n = vt[2]
    if n[2] > 0:
        n = -n
    n = n / (np.linalg.norm(n) + 1e-12)
    yaw = float(np.degrees(np.arctan2(n[0], -n[2])))
    pitch = float(np.degrees(np.arcsin(np.clip(n[1], -1.0, 1.0))))
    return yaw, pitch


def five_points(pts: np.ndarray) -> np.ndarray:
    """SFace's 5 alignment points from the mesh, in image order: image-left eye centre,
    image-right eye centre, nose tip, image-left and image-right outer mouth corner (5, 2).
    Eye centres are the mean of the six eye-contour points (the mesh has no pupil without
    ``refine_landmarks``)."""
    p = np.asarray(pts, np.float64)[:, :2]
    return np.array([
        p[list(EYE_R)].mean(axis=0),
        p[list(EYE_L)].mean(axis=0),
        p[NOSE_TIP],
        p[MOUTH_OUTER_CORNERS[0]],
        p[MOUTH_OUTER_CORNERS[1]],
    ])


def nose_position(pts: np.ndarray) -> float:
    """Nose tip between the two cheek outline points: 0.5 frontal, towards 0/1 when turned.

    Why: this is the parallax cue. On a real head the nose (in front) moves across the
    outline (behind) during a turn; on a flat photo turned before the camera all points
    lie in one plane and the ratio stays where it was."""
    left, right = pts[OUTLINE_R, 0], pts[OUTLINE_L, 0]
    span = right - left
    if abs(span) <= 1e-6:
        return float("nan")
    return float((pts[NOSE_TIP, 0] - left) / span)


@dataclass
class FrameMeasure:
    """What liveness needs from one analysed frame (NaN where no face was found)."""

    t: float
    face: bool
    ear_r: float = float("nan")
    ear_l: float = float("nan")
    mar: float = float("nan")
    yaw: float = float("nan")
    pitch: float = float("nan")
    nose_pos: float = float("nan")
    box: tuple[float, float, float, float] | None = None  # landmark extent, analysis pixels
    five: np.ndarray | None = None  # SFace's 5 alignment points (analysis pixels, as decoded)


def measure(pts: np.ndarray, frame_w: int, frame_h: int, t: float, mirrored: bool = False) -> FrameMeasure:
    """Every liveness measurement from one set of pixel landmarks (N, 2|3)."""
    five = five_points(pts)  # alignment works on the pixels as decoded, mirrored or not
    if mirrored:
        # Undo a mirrored recording: flip x (the plane normal, hence yaw, flips with it) and
        # swap the outline points' roles, so that yaw > 0 and nose_pos > 0.5 keep meaning
        # "turned to the person's own left".
        pts = pts.copy()
        pts[:, 0] = frame_w - pts[:, 0]
        pts = _swap_lr(pts)
        ear_r, ear_l = eye_aspect_ratio(pts, EYE_L), eye_aspect_ratio(pts, EYE_R)
    else:
        ear_r, ear_l = eye_aspect_ratio(pts, EYE_R), eye_aspect_ratio(pts, EYE_L)
    yaw, pitch = head_pose(pts)
    nose = nose_position(pts)
    x1, y1 = float(pts[:, 0].min()), float(pts[:, 1].min())
    x2, y2 = float(pts[:, 0].max()), float(pts[:, 1].max())
    return FrameMeasure(t, True, ear_r, ear_l, mouth_aspect_ratio(pts), yaw, pitch, nose, (x1, y1, x2, y2), five)


_LR_PAIRS = ((OUTLINE_R, OUTLINE_L),)


def _swap_lr(pts: np.ndarray) -> np.ndarray:
    """Swap the left/right landmark roles used by the pose fit (for mirrored input)."""
    out = pts.copy()
    for a, b in _LR_PAIRS:
        out[[a, b]] = out[[b, a]]
    return out


class FaceMeshTracker:
    """One MediaPipe Face Mesh graph in tracking mode, for the frames of ONE video.

    Why one per video: the graph keeps the previous face's region between calls, so
    sharing it across videos (or threads) would leak one clip's face into the next."""

    def __init__(self, static: bool = False) -> None:
        import mediapipe as mp

        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=static,
            max_num_faces=1,
            refine_landmarks=False,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )

    def landmarks(self, rgb: np.ndarray) -> np.ndarray | None:
        """(468, 3) landmarks in pixels (z scaled like x), or None when no face."""
        h, w = rgb.shape[:2]
        res = self._mesh.process(np.ascontiguousarray(rgb))
        if not res.multi_face_landmarks:
            return None
        lm = res.multi_face_landmarks[0].landmark
        arr = np.array([(p.x, p.y, p.z) for p in lm], dtype=np.float64)
        arr[:, 0] *= w
        arr[:, 1] *= h
        arr[:, 2] *= w
        return arr

    def close(self) -> None:
        self._mesh.close()

    def __enter__(self) -> "FaceMeshTracker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
