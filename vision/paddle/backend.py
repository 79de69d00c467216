"""Paddle runtime for the detector and anti-spoof stages, through PaddleHub module folders.

Imported only when ``VisionConfig.detector_runtime`` or ``antispoof_runtime`` is "paddle"
(``vision.loading.load_models``): the default (onnx) install never imports paddle.

The rest of vision/ does not see which runtime ran: ``PaddleHubDetector.detect`` returns the
same ``FaceBox`` list as ``UltraFaceDetector.detect``, and the anti-spoof modules plug into
``MiniFASNet`` as crop -> softmax runners, so the crop geometry stays in one place.

Modules are loaded with ``hub.Module.init_with_directory`` (never by name, which would go
to PaddleHub's server; ``hub.Module(directory=...)`` would also start a CacheUpdater thread
that resolves paddlepaddle.org.cn).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np

from vision.detect import FaceBox
from vision.registry import sha256_file

BUILD_RECORD = "lifecert_build.json"
#: Version of the module folder layout / module.py interface that this code loads. Bump it when
#: a template's interface changes, so folders built by older code are refused (rebuild them)
#: instead of failing at load. 2: ``__init__(cpu_threads=...)``.
BUILD_FORMAT = 2


def _sha256(path: Path) -> str:
    return sha256_file(path)


def check_module_dir(path: Path, expect_source_sha256: str | None) -> str | None:
    """None when ``path`` is a usable module folder, else the reason it is not.

    A folder built by ``vision.paddle.build`` carries ``lifecert_build.json``: every file
    must match its recorded sha256, and its source must be the pinned ONNX. A folder without
    that record (e.g. PaddleHub's official detector module, installed by an agency) is
    accepted for the detector only when ``expect_source_sha256`` is None."""
    path = Path(path)
    if not (path / "module.py").is_file():
        return f"no PaddleHub module at {path}"
    rec_path = path / BUILD_RECORD
    if not rec_path.is_file():
        return None if expect_source_sha256 is None else f"{path.name}: no {BUILD_RECORD} (not built by vision.paddle.build)"
    try:
        rec = json.loads(rec_path.read_text())
    except ValueError as exc:
        return f"{path.name}: unreadable {BUILD_RECORD}: {exc}"
    if rec.get("format") != BUILD_FORMAT:
        return f"{path.name}: built by an older vision.paddle.build (format {rec.get('format')}, need {BUILD_FORMAT}); rebuild it"
    if expect_source_sha256 is not None and rec.get("source_sha256") != expect_source_sha256:
        return f"{path.name}: built from {str(rec.get('source_sha256'))[:12]}, not the pinned source"
    for rel, digest in rec.get("files", {}).items():
        p = path / rel
        if not p.is_file():
            return f"{path.name}: missing {rel}"
        if _sha256(p) != digest:
            return f"{path.name}: sha256 mismatch for {rel}"
    return None


def module_fingerprint(path: Path) -> str:
    """Short sha256 for the verdict record: the params' recorded digest, or of the files."""
    rec_path = Path(path) / BUILD_RECORD
    if rec_path.is_file():
        rec = json.loads(rec_path.read_text())
        return rec["files"]["model/model.pdiparams"][:12]
    import hashlib

    h = hashlib.sha256()
    for p in sorted(Path(path).rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(p.relative_to(path).as_posix().encode() + b"\0" + _sha256(p).encode())
    return h.hexdigest()[:12]


def _import_paddlehub():
    """Import paddlehub without letting it reconfigure the process's logging: its import
    chain (paddlenlp) adds a stderr handler to the root logger and sets it to INFO, which
    would duplicate or flood the worker's own log lines (logconfig.py owns the root logger)."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import paddlehub
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return paddlehub


def load_hub_module(path: Path, **kwargs):
    """Load a PaddleHub module from a local folder, with no network call. ``kwargs`` go to
    the module's ``__init__`` (ours take ``cpu_threads``; official modules take none)."""
    hub = _import_paddlehub()
    return hub.Module.init_with_directory(directory=str(Path(path).resolve()), **kwargs)


def _own_module(path: Path) -> bool:
    return (Path(path) / BUILD_RECORD).is_file()


class PaddleHubDetector:
    """Any PaddleHub face-detection module (``face_detection(images=[bgr], ...)``) behind
    the ``UltraFaceDetector.detect`` interface."""

    def __init__(self, module_dir: Path, cpu_threads: int = 1) -> None:
        self.module = load_hub_module(module_dir, **({"cpu_threads": cpu_threads} if _own_module(module_dir) else {}))

    def detect(self, rgb: np.ndarray, threshold: float = 0.7, iou: float = 0.3) -> list[FaceBox]:
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        res = self.module.face_detection(images=[bgr], confs_threshold=threshold, iou_threshold=iou)
        out = [FaceBox(float(d["left"]), float(d["top"]), float(d["right"]), float(d["bottom"]), float(d["confidence"]))
               for d in (res[0]["data"] if res else [])]
        out.sort(key=lambda b: -b.area)
        return out


def minifasnet_runners(module_dirs: list[Path], cpu_threads: int = 1) -> list[tuple[float, Callable[[np.ndarray], np.ndarray]]]:
    """(crop scale, crop -> softmax probabilities) for each anti-spoof module."""
    runners: list[tuple[float, Callable[[np.ndarray], np.ndarray]]] = []
    for d in module_dirs:
        mod = load_hub_module(d, cpu_threads=cpu_threads)

        def run(crop: np.ndarray, mod=mod) -> np.ndarray:
            return np.asarray(mod.anti_spoof(images=[crop])[0]["probs"], np.float64)

        runners.append((float(mod.crop_scale), run))
    return runners


def sface_runner(module_dir: Path, cpu_threads: int = 1):
    """aligned 112x112 RGB uint8 -> SFace's 128 raw values, on the PaddleHub module."""
    mod = load_hub_module(module_dir, cpu_threads=cpu_threads)

    def run(crop: np.ndarray) -> np.ndarray:
        return np.asarray(mod.embed(images=[crop])[0], np.float64)

    return run
