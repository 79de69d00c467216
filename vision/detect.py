"""Face detection with UltraFace RFB-320 (ONNX, onnxruntime).

Why UltraFace: 1.3 MB, MIT, ~5 ms per frame on one core, and it found every face in
the survey (../shared/reference/models.md §3.1). The face mesh has its own tracker, so
this detector runs only on a handful of frames: to count faces (someone helping the
retiree is fine; a second face in the frame is not), to give MiniFASNet its box and to
give the dlib aligner a box.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

INPUT_W, INPUT_H = 320, 240


@dataclass(frozen=True)
class FaceBox:
    """A face box in pixel coordinates of the image it was found in."""

    x1: float
    y1: float
    x2: float
    y2: float
    score: float

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)

    def scaled(self, factor: float) -> "FaceBox":
        return FaceBox(self.x1 * factor, self.y1 * factor, self.x2 * factor, self.y2 * factor, self.score)


def make_session(path: str):
    """One-thread onnxruntime session without spinning.

    Why one thread: certification workers run in parallel processes; intra-op threads
    that spin-wait only burn CPU seconds on a 2-core box without making a 5 ms model faster.
    """
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    return ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])


def _nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> list[int]:
    order = np.argsort(-scores)
    keep: list[int] = []
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        xx1 = np.maximum(boxes[i, 0], boxes[rest, 0])
        yy1 = np.maximum(boxes[i, 1], boxes[rest, 1])
        xx2 = np.minimum(boxes[i, 2], boxes[rest, 2])
        yy2 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        ovr = inter / (areas[i] + areas[rest] - inter + 1e-9)
        order = rest[ovr <= iou]
    return keep


class FaceDetector(Protocol):
    """What the pipeline needs of a detector (UltraFace on onnxruntime, or its PaddleHub module)."""

    def detect(self, rgb: np.ndarray, threshold: float = 0.7, iou: float = 0.3) -> list[FaceBox]: ...


class UltraFaceDetector:
    """UltraFace wrapper: RGB uint8 image in, list of ``FaceBox`` (best first) out."""

    def __init__(self, model_path: str) -> None:
        self._session = make_session(model_path)
        self._input = self._session.get_inputs()[0].name

    def detect(self, rgb: np.ndarray, threshold: float = 0.7, iou: float = 0.3) -> list[FaceBox]:
        """Detect faces. The image is padded to 4:3 (not squashed) so portrait frames keep
        their face shape; boxes come back in the caller's pixel coordinates."""
        h, w = rgb.shape[:2]
        # pad to 4:3 on the right/bottom so portrait video is not distorted
        target_w = max(w, int(np.ceil(h * 4 / 3)))
        target_h = max(h, int(np.ceil(target_w * 3 / 4)))
        if (target_w, target_h) != (w, h):
            canvas = np.zeros((target_h, target_w, 3), np.uint8)
            canvas[:h, :w] = rgb
        else:
            canvas = rgb
        small = cv2.resize(canvas, (INPUT_W, INPUT_H), interpolation=cv2.INTER_AREA)
        blob = ((small.astype(np.float32) - 127.0) / 128.0).transpose(2, 0, 1)[None]
        scores, boxes = self._session.run(None, {self._input: blob})
        scores = scores[0, :, 1]
        boxes = boxes[0]
        mask = scores > threshold
        if not mask.any():
            return []
        scores = scores[mask]
        boxes = boxes[mask] * np.array([target_w, target_h, target_w, target_h], np.float32)
        keep = _nms(boxes, scores, iou)
        out = []
        for i in keep:
            x1, y1, x2, y2 = boxes[i]
            out.append(
                FaceBox(float(max(0, x1)), float(max(0, y1)), float(min(w, x2)), float(min(h, y2)), float(scores[i]))
            )
        out.sort(key=lambda b: -b.area)
        return out
