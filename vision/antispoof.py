"""Presentation-attack detection with Silent-Face MiniFASNet (two ONNX models, averaged).

Why two models: the upstream project averages MiniFASNetV2 (context ×2.7) and
MiniFASNetV1SE (context ×4.0); the wider crop sees the phone/screen border, the
narrow one the moiré and texture of the face. Class index 1 is "live".
The crop geometry below follows the upstream ``CropImage`` exactly, because the
models were trained on it.
"""

from __future__ import annotations

import cv2
import numpy as np

from vision.detect import FaceBox, make_session

#: (scale, file name) as published upstream.
MINIFASNET_FILES: tuple[tuple[float, str], ...] = (
    (2.7, "2.7_80x80_MiniFASNetV2.onnx"),
    (4.0, "4_0_0_80x80_MiniFASNetV1SE.onnx"),
)


def crop_for_scale(bgr: np.ndarray, box: FaceBox, scale: float, size: int = 80) -> np.ndarray:
    """Upstream crop: scale the box around its centre (clamped to fit the image), shift it
    back inside the image, crop and resize to size x size."""
    src_h, src_w = bgr.shape[:2]
    x, y, bw, bh = box.x1, box.y1, max(1.0, box.width), max(1.0, box.height)
    scale = min((src_h - 1) / bh, min((src_w - 1) / bw, scale))
    nw, nh = bw * scale, bh * scale
    cx, cy = x + bw / 2, y + bh / 2
    x1, y1, x2, y2 = cx - nw / 2, cy - nh / 2, cx + nw / 2, cy + nh / 2
    if x1 < 0:
        x2 -= x1
        x1 = 0
    if y1 < 0:
        y2 -= y1
        y1 = 0
    if x2 > src_w - 1:
        x1 -= x2 - src_w + 1
        x2 = src_w - 1
    if y2 > src_h - 1:
        y1 -= y2 - src_h + 1
        y2 = src_h - 1
    x1, y1, x2, y2 = int(x1), int(y1), int(x2), int(y2)
    crop = bgr[y1 : y2 + 1, x1 : x2 + 1]
    return cv2.resize(crop, (size, size))


class MiniFASNet:
    """Both MiniFASNet models; ``live_score`` returns P(live) in [0, 1].

    Each model is a runner ``crop (80x80 BGR uint8) -> softmax probabilities``; the
    onnxruntime runners are built from the ONNX paths here, the Paddle ones by
    ``vision.paddle.backend.minifasnet_runners`` (``from_runners``). The crop geometry
    and the averaging stay here, whichever runtime runs the networks."""

    def __init__(self, model_paths: list[tuple[float, str]]) -> None:
        self._runners = [(scale, _onnx_runner(path)) for scale, path in model_paths]

    @classmethod
    def from_runners(cls, runners) -> "MiniFASNet":
        obj = cls.__new__(cls)
        obj._runners = list(runners)
        return obj

    def live_score(self, rgb: np.ndarray, box: FaceBox) -> float:
        """Average of the models' softmax "live" probability for one face."""
        bgr = rgb[:, :, ::-1]
        probs = [run(crop_for_scale(bgr, box, scale)) for scale, run in self._runners]
        return float(np.mean(probs, axis=0)[1])


def _onnx_runner(path: str):
    sess = make_session(path)
    name = sess.get_inputs()[0].name

    def run(crop: np.ndarray) -> np.ndarray:
        blob = crop.astype(np.float32).transpose(2, 0, 1)[None]
        logits = sess.run(None, {name: blob})[0][0].astype(np.float64)
        e = np.exp(logits - logits.max())
        return e / e.sum()

    return run
