"""Image-quality measures of a face region (light and sharpness), shared by video and enrollment.

Why on the face and at a fixed size: a bright window behind a retiree makes the frame
look well lit while the face is dark, and the Laplacian variance depends on resolution,
so the face is resized to a fixed width before measuring.
"""

from __future__ import annotations

import cv2
import numpy as np

MEASURE_WIDTH = 128


def face_crop(rgb: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray | None:
    h, w = rgb.shape[:2]
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    x1, y1, x2, y2 = max(0, x1), max(0, y1), min(w, x2), min(h, y2)
    if x2 - x1 < 8 or y2 - y1 < 8:
        return None
    return rgb[y1:y2, x1:x2]


def luma_and_sharpness(rgb: np.ndarray, box: tuple[float, float, float, float]) -> tuple[float, float]:
    """(mean luma 0-255, variance of the Laplacian at 128 px width) of the face in ``box``."""
    crop = face_crop(rgb, box)
    if crop is None:
        return float("nan"), float("nan")
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    hh = max(8, int(round(gray.shape[0] * MEASURE_WIDTH / gray.shape[1])))
    small = cv2.resize(gray, (MEASURE_WIDTH, hh), interpolation=cv2.INTER_AREA)
    return float(gray.mean()), float(cv2.Laplacian(small, cv2.CV_64F).var())
