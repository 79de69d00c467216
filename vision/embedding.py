"""1:1 face matching with the dlib ResNet 128-d descriptor, aligned by the 5-point model.

Why dlib: it is the only 128-d embedding with weights that install offline from the
package index (face_recognition_models), public domain, 99.38 % on LFW. The 68-point
model is not used: its training data forbids commercial use; the 5-point aligner is
public domain. Since SFace joined it (vision.sface, vision.match) dlib is one of two
models; templates holding both are in vision.templates.
"""

from __future__ import annotations

import numpy as np

from vision.detect import FaceBox


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance, the metric the dlib model was trained for (same person < 0.6)."""
    return float(np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64)))


def dlib_rect_from_box(box: FaceBox, width: int, height: int):
    """UltraFace boxes include more forehead than dlib's own detector boxes, on which the
    5-point predictor was trained; shrink the top a little and make the box square."""
    import dlib

    cx = (box.x1 + box.x2) / 2
    top = box.y1 + 0.12 * box.height
    side = 0.5 * (box.width + (box.y2 - top))
    cy = (top + box.y2) / 2
    left, t = int(round(cx - side / 2)), int(round(cy - side / 2))
    r, b = int(round(cx + side / 2)), int(round(cy + side / 2))
    return dlib.rectangle(max(0, left), max(0, t), min(width - 1, r), min(height - 1, b))


class DlibEmbedder:
    """5-point alignment + ResNet descriptor."""

    def __init__(self, shape_predictor_path: str, recognition_model_path: str) -> None:
        import dlib

        self._sp = dlib.shape_predictor(shape_predictor_path)
        self._fr = dlib.face_recognition_model_v1(recognition_model_path)

    def embed(self, rgb: np.ndarray, box: FaceBox) -> np.ndarray:
        """128-d descriptor of the face in ``box`` (RGB uint8 image)."""
        img = np.ascontiguousarray(rgb)
        h, w = img.shape[:2]
        shape = self._sp(img, dlib_rect_from_box(box, w, h))
        return np.asarray(self._fr.compute_face_descriptor(img, shape, 0), dtype=np.float64)

    def five_points(self, rgb: np.ndarray, box: FaceBox) -> np.ndarray:
        """The aligner's 5 points (2 per eye corner pair + nose base) as (5, 2)."""
        img = np.ascontiguousarray(rgb)
        h, w = img.shape[:2]
        shape = self._sp(img, dlib_rect_from_box(box, w, h))
        return np.array([[shape.part(i).x, shape.part(i).y] for i in range(5)], dtype=np.float64)
