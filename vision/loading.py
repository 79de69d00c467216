"""Loading the pinned models once per worker process: ``load_models`` -> ``VisionModels``.

A missing or altered file is recorded (not raised): the pipeline then answers "review"
with "model_unavailable" and never passes anyone on a partial model set. Which runtime
runs a stage comes from ``VisionConfig``; paddle itself is imported only inside
``vision.paddle.backend``'s loaders, when a runtime says "paddle".
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from vision.antispoof import MiniFASNet
from vision.config import VisionConfig
from vision.detect import FaceDetector, UltraFaceDetector
from vision.embedding import DlibEmbedder
from vision.landmarks import FaceMeshTracker
from vision.paddle.backend import (
    PaddleHubDetector,
    check_module_dir,
    minifasnet_runners,
    module_fingerprint,
    sface_runner,
)
from vision.registry import REGISTRY, STAGES, ModelStatus, verify_files
from vision.sface import SFaceEmbedder

log = logging.getLogger("lifecert.vision")


class VisionModels:
    """Loaded models for one worker process. Stages that failed to load are None and
    listed in ``status`` with the reason; ``analyze_video`` then answers "review"."""

    def __init__(self, config: VisionConfig) -> None:
        self.config = config
        self.status: dict[str, ModelStatus] = {}
        self.detector: FaceDetector | None = None
        self.antispoof: MiniFASNet | None = None
        self.embedder: DlibEmbedder | None = None
        self.sface: SFaceEmbedder | None = None
        self.landmarks_ok = False
        self._lock = threading.Lock()

    @property
    def unavailable(self) -> list[str]:
        return [s for s in STAGES if not self.status.get(s) or not self.status[s].ok]

    def versions(self) -> dict[str, str]:
        """{model name: version and sha256 prefix} for the verdict record."""
        out = {}
        for stage in STAGES:
            st = self.status.get(stage)
            if st is None:
                continue
            out[st.name] = f"{st.version} sha256:{st.sha256_prefix}" if st.ok else f"UNAVAILABLE ({st.error})"
        return out

    def require_detector(self) -> FaceDetector:
        """The face detector; callers check ``unavailable`` first (a missing model is a review)."""
        if self.detector is None:
            raise RuntimeError("the face detector is unavailable")
        return self.detector

    def mark_broken(self, stage: str, error: str) -> None:
        """A model failed at run time: record it so later calls answer "review" at once."""
        with self._lock:
            st = self.status.get(stage)
            if st is not None:
                st.ok = False
                st.error = error
            if stage == "detector":
                self.detector = None
            elif stage == "antispoof":
                self.antispoof = None
            elif stage == "embedding":
                self.embedder = None
            elif stage == "sface":
                self.sface = None
            elif stage == "landmarks":
                self.landmarks_ok = False

    def new_landmarker(self, static: bool = False):
        """A fresh Face Mesh graph (one per video; see FaceMeshTracker)."""
        return FaceMeshTracker(static=static)


RUNTIMES = ("onnx", "paddle")
SFACE_RUNTIMES = ("opencv", "paddle")


def runtime_for(stage: str, config: VisionConfig) -> str:
    """Which runtime runs ``stage``: the detector, anti-spoof and SFace stages have a choice."""
    if stage == "detector":
        return config.detector_runtime
    if stage == "antispoof":
        return config.antispoof_runtime
    if stage == "sface":
        return config.sface_runtime
    return "native"


def _paddle_module_names(stage: str, config: VisionConfig) -> list[str]:
    if stage == "detector":
        return [config.paddle_detector_module]
    if stage == "sface":
        return [config.paddle_sface_module]
    return list(config.paddle_antispoof_modules)


def verify_paddle_modules(stage: str, config: VisionConfig) -> ModelStatus:
    """Check the PaddleHub module folders of ``stage`` (runtime "paddle").

    Folders built by ``vision.paddle.build`` must match their build record and the pinned
    source ONNX sha256 (the same bytes the onnx runtime would run). An official PaddleHub
    detector module (no build record) is accepted for the detector only with
    ``paddle_allow_unpinned_detector``, and recorded as UNPINNED.
    Paddle itself is not imported here."""
    spec = REGISTRY[stage]
    names = _paddle_module_names(stage, config)
    status = ModelStatus(stage, spec.name, f"{spec.version} on paddle ({'+'.join(names)})", ok=False)
    if config.paddle_modules_dir is None:
        status.error = "paddle_modules_dir not configured"
        return status
    root = Path(config.paddle_modules_dir)
    if len(names) != len(spec.files):
        status.error = f"{stage} needs {len(spec.files)} paddle modules, got {len(names)}"
        return status
    prints = []
    for i, name in enumerate(names):
        d = root / name
        unpinned_ok = stage == "detector" and config.paddle_allow_unpinned_detector
        pinned = None if unpinned_ok and not (d / "lifecert_build.json").is_file() else spec.files[i].sha256
        err = check_module_dir(d, pinned)
        if err:
            status.error = err
            return status
        if pinned is None:
            status.version += " UNPINNED"
        prints.append(module_fingerprint(d))
        status.paths.append(str(d))
    status.ok = True
    status.sha256_prefix = "+".join(prints)
    return status


def _load_paddle_stage(stage: str, models: VisionModels, st: ModelStatus) -> None:
    threads = models.config.paddle_cpu_threads
    if stage == "detector":
        models.detector = PaddleHubDetector(Path(st.paths[0]), threads)
    elif stage == "sface":
        models.sface = SFaceEmbedder.from_runner(sface_runner(Path(st.paths[0]), threads))
    else:
        models.antispoof = MiniFASNet.from_runners(minifasnet_runners([Path(p) for p in st.paths], threads))


def _load_native_stage(stage: str, models: VisionModels, st: ModelStatus) -> None:
    if stage == "detector":
        models.detector = UltraFaceDetector(st.paths[0])
    elif stage == "antispoof":
        models.antispoof = MiniFASNet(list(zip([2.7, 4.0], st.paths)))
    elif stage == "embedding":
        models.embedder = DlibEmbedder(st.paths[0], st.paths[1])
    elif stage == "sface":
        models.sface = SFaceEmbedder(st.paths[0])
    elif stage == "landmarks":
        tracker = models.new_landmarker()
        tracker.close()
        models.landmarks_ok = True


def load_models(config: VisionConfig | None = None) -> VisionModels:
    """Check and load every model once per worker. Never raises for a missing or broken
    model: the failure is logged and recorded in ``models.status``."""
    config = config or VisionConfig()
    models = VisionModels(config)
    t0 = time.perf_counter()
    if config.opencv_threads is not None:
        import cv2

        cv2.setNumThreads(int(config.opencv_threads))
    for stage in STAGES:
        runtime = runtime_for(stage, config)
        allowed = SFACE_RUNTIMES if stage == "sface" else RUNTIMES
        if stage in ("detector", "antispoof", "sface") and runtime not in allowed:
            spec = REGISTRY[stage]
            st = ModelStatus(stage, spec.name, spec.version, ok=False, error=f"unknown runtime {runtime!r}")
        elif runtime == "paddle":
            st = verify_paddle_modules(stage, config)
        else:
            st = verify_files(stage, config)
        models.status[stage] = st
        if not st.ok:
            log.error("vision model %s unavailable: %s", stage, st.error)
            continue
        try:
            if runtime == "paddle":
                # paddle is imported here and only here; ImportError = model unavailable
                _load_paddle_stage(stage, models, st)
            else:
                _load_native_stage(stage, models, st)
        except Exception as exc:  # noqa: BLE001 - a model that does not load is unavailable
            st.ok = False
            st.error = f"load failed: {exc.__class__.__name__}: {exc}"[:300]
            log.error("vision model %s failed to load: %s", stage, st.error)
    log.info("vision models loaded in %.2f s; unavailable: %s", time.perf_counter() - t0, models.unavailable or "none")
    return models
