"""Model registry: which weight files the pipeline uses, where they come from, their sha256.

Why a registry: the weights decide whether a pensioner is paid. Every file is pinned by
sha256, checked once per worker at load time, and its version is written into each
verdict, so a decision can be traced to exact model bytes. A missing or altered file is
recorded (not raised): the pipeline then answers "review" with "model_unavailable" and
never passes anyone on a partial model set.

Production fetches the files from their upstream (``python -m vision.models fetch DIR``)
and the same sha256 values are checked; the MiniFASNet ONNX files are a one-time export
of the upstream PyTorch weights (see ``MINIFASNET_EXPORT``), so production takes them
from the project's own artifact mirror (``--mirror URL``) and checks the pinned sha256.

Command line::

    python -m vision.models check --models-dir ../shared/models
    python -m vision.models check --models-dir ../shared/models --detector-runtime paddle \
        --antispoof-runtime paddle --paddle-modules-dir ~/.cache/lifecert/paddle-modules   # paddle venv
    python -m vision.models fetch /srv/lifecert/models [--mirror https://artifacts.example/lifecert/models]
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from vision.config import VisionConfig

log = logging.getLogger("lifecert.vision")


@dataclass(frozen=True)
class ModelFile:
    """One pinned weight file."""

    relpath: str  # path under its root (models_dir, the dlib folder or the mediapipe package)
    sha256: str
    upstream: str  # where production gets it ("" = shipped inside a pinned wheel)
    upstream_sha256: str = ""  # sha256 of the upstream artefact when it differs (compressed / pre-export)


@dataclass(frozen=True)
class ModelSpec:
    """A logical model (one pipeline stage) made of one or more files."""

    name: str
    version: str
    root: str  # "models_dir" | "dlib" | "mediapipe"
    files: tuple[ModelFile, ...]
    license: str
    note: str = ""


_UF = "https://raw.githubusercontent.com/Linzaer/Ultra-Light-Fast-Generic-Face-Detector-1MB/dffdddda9794a50607cba8f318507a28c1c27cab/models/onnx/"
_SF = "https://raw.githubusercontent.com/minivision-ai/Silent-Face-Anti-Spoofing/b6d5f04ad78778917853b25c778acef6d5626d15/resources/anti_spoof_models/"

#: How the MiniFASNet ONNX files were made from the upstream .pth (torch is not a runtime dependency).
MINIFASNET_EXPORT = (
    "Load the upstream state dict into the upstream MiniFASNetV2 / MiniFASNetV1SE classes "
    "(src/model_lib/MiniFASNet.py @ b6d5f04), torch.onnx.export with a 1x3x80x80 input, opset 13; "
    "max |diff| vs PyTorch 1e-6. Publish the result on the artifact mirror; the sha256 below pins it."
)

REGISTRY: dict[str, ModelSpec] = {
    "detector": ModelSpec(
        name="ultraface-rfb-320",
        version="Linzaer/Ultra-Light-Fast-Generic-Face-Detector-1MB@dffdddd",
        root="models_dir",
        files=(
            ModelFile(
                "ultraface/version-RFB-320.onnx",
                "34cd7e60aeff28744c657de7a3dc64e872d506741de66987f3426f2b79f88017",
                _UF + "version-RFB-320.onnx",
            ),
        ),
        license="MIT",
    ),
    "antispoof": ModelSpec(
        name="minifasnet-v2+v1se",
        version="minivision-ai/Silent-Face-Anti-Spoofing@b6d5f04 (ONNX opset 13)",
        root="models_dir",
        files=(
            ModelFile(
                "minifasnet/2.7_80x80_MiniFASNetV2.onnx",
                "80220fb410ff8b3ddc2be085e276ad4367655e903f7664796845b2d03e0b14d1",
                _SF + "2.7_80x80_MiniFASNetV2.pth",
                "a5eb02e1843f19b5386b953cc4c9f011c3f985d0ee2bb9819eea9a142099bec0",
            ),
            ModelFile(
                "minifasnet/4_0_0_80x80_MiniFASNetV1SE.onnx",
                "ea863d82ce0da6539b3335a88a82196047264cb478f1dc29e7a033562b7c71cb",
                _SF + "4_0_0_80x80_MiniFASNetV1SE.pth",
                "84ee1d37d96894d5e82de5a57df044ef80a58be2b218b5ed7cdfd875ec2f5990",
            ),
        ),
        license="Apache-2.0",
        note=MINIFASNET_EXPORT,
    ),
    "embedding": ModelSpec(
        name="dlib-resnet-v1+5pt",
        version="face_recognition_models==0.3.0 / dlib-bin==20.0.1.post1",
        root="dlib",
        files=(
            ModelFile(
                "shape_predictor_5_face_landmarks.dat",
                "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
                "https://github.com/davisking/dlib-models/raw/master/shape_predictor_5_face_landmarks.dat.bz2",
            ),
            ModelFile(
                "dlib_face_recognition_resnet_model_v1.dat",
                "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
                "https://github.com/davisking/dlib-models/raw/master/dlib_face_recognition_resnet_model_v1.dat.bz2",
            ),
        ),
        license="public domain (dlib-models README)",
        note="Also inside the face_recognition_models==0.3.0 sdist on PyPI (the default location).",
    ),
    "landmarks": ModelSpec(
        name="mediapipe-face-mesh",
        version="mediapipe==0.10.21 (legacy solutions.face_mesh, 468 points)",
        root="mediapipe",
        files=(
            ModelFile(
                "modules/face_landmark/face_landmark.tflite",
                "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
                "",
            ),
            ModelFile(
                "modules/face_detection/face_detection_short_range.tflite",
                "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
                "",
            ),
        ),
        license="Apache-2.0",
        note="Shipped inside the mediapipe==0.10.21 wheel; newer wheels no longer carry it.",
    ),
}

STAGES: tuple[str, ...] = tuple(REGISTRY)


@dataclass
class ModelStatus:
    stage: str
    name: str
    version: str
    ok: bool
    sha256_prefix: str = ""
    error: str = ""
    paths: list[str] = field(default_factory=list)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _root_for(spec: ModelSpec, config: VisionConfig) -> Path | None:
    if spec.root == "models_dir":
        return Path(config.models_dir) if config.models_dir is not None else None
    if spec.root == "dlib":
        if config.dlib_models_dir is not None:
            return Path(config.dlib_models_dir)
        try:
            import face_recognition_models

            return Path(face_recognition_models.__file__).parent / "models"
        except Exception:  # noqa: BLE001 - a missing package is a missing model
            return None
    if spec.root == "mediapipe":
        try:
            import importlib.util

            found = importlib.util.find_spec("mediapipe")
            return Path(found.origin).parent if found and found.origin else None
        except Exception:  # noqa: BLE001
            return None
    raise ValueError(spec.root)


def verify_files(stage: str, config: VisionConfig) -> ModelStatus:
    """Check that every file of ``stage`` exists and has its pinned sha256."""
    spec = REGISTRY[stage]
    status = ModelStatus(stage, spec.name, spec.version, ok=False)
    root = _root_for(spec, config)
    if root is None:
        status.error = "models folder not configured" if spec.root == "models_dir" else f"{spec.root} not installed"
        return status
    digests = []
    for f in spec.files:
        p = root / f.relpath
        if not p.is_file():
            status.error = f"missing file {f.relpath}"
            return status
        digest = sha256_file(p)
        if digest != f.sha256:
            status.error = f"sha256 mismatch for {f.relpath}"
            return status
        digests.append(digest)
        status.paths.append(str(p))
    status.ok = True
    status.sha256_prefix = "+".join(d[:12] for d in digests)
    return status


class VisionModels:
    """Loaded models for one worker process. Stages that failed to load are None and
    listed in ``status`` with the reason; ``analyze_video`` then answers "review"."""

    def __init__(self, config: VisionConfig) -> None:
        self.config = config
        self.status: dict[str, ModelStatus] = {}
        self.detector = None
        self.antispoof = None
        self.embedder = None
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
            elif stage == "landmarks":
                self.landmarks_ok = False

    def new_landmarker(self, static: bool = False):
        """A fresh Face Mesh graph (one per video; see FaceMeshTracker)."""
        from vision.landmarks import FaceMeshTracker

        return FaceMeshTracker(static=static)


RUNTIMES = ("onnx", "paddle")


def runtime_for(stage: str, config: VisionConfig) -> str:
    """Which runtime runs ``stage``: only the detector and anti-spoof stages have a choice."""
    if stage == "detector":
        return config.detector_runtime
    if stage == "antispoof":
        return config.antispoof_runtime
    return "native"


def _paddle_module_names(stage: str, config: VisionConfig) -> list[str]:
    return [config.paddle_detector_module] if stage == "detector" else list(config.paddle_antispoof_modules)


def verify_paddle_modules(stage: str, config: VisionConfig) -> ModelStatus:
    """Check the PaddleHub module folders of ``stage`` (runtime "paddle").

    Folders built by ``vision.paddle.build`` must match their build record and the pinned
    source ONNX sha256 (the same bytes the onnx runtime would run). An official PaddleHub
    detector module (no build record) is accepted for the detector only with
    ``paddle_allow_unpinned_detector``, and recorded as UNPINNED.
    Paddle itself is not imported here."""
    from vision.paddle.backend import check_module_dir, module_fingerprint

    spec = REGISTRY[stage]
    names = _paddle_module_names(stage, config)
    status = ModelStatus(stage, spec.name, f"{spec.version} on paddle ({'+'.join(names)})", ok=False)
    if config.paddle_modules_dir is None:
        status.error = "paddle_modules_dir not configured"
        return status
    root = Path(config.paddle_modules_dir)
    if stage == "antispoof" and len(names) != len(spec.files):
        status.error = f"antispoof needs {len(spec.files)} paddle modules, got {len(names)}"
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


def _load_paddle_stage(stage: str, models: "VisionModels", st: ModelStatus) -> None:
    from vision.paddle.backend import PaddleHubDetector, minifasnet_runners

    if stage == "detector":
        models.detector = PaddleHubDetector(Path(st.paths[0]), models.config.paddle_cpu_threads)
    else:
        from vision.antispoof import MiniFASNet

        models.antispoof = MiniFASNet.from_runners(minifasnet_runners([Path(p) for p in st.paths], models.config.paddle_cpu_threads))


def load_models(config: VisionConfig | None = None) -> VisionModels:
    """Check and load every model once per worker. Never raises for a missing or broken
    model: the failure is logged and recorded in ``models.status``."""
    config = config or VisionConfig()
    models = VisionModels(config)
    t0 = time.perf_counter()
    for stage in STAGES:
        runtime = runtime_for(stage, config)
        if stage in ("detector", "antispoof") and runtime not in RUNTIMES:
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
            elif stage == "detector":
                from vision.detect import UltraFaceDetector

                models.detector = UltraFaceDetector(st.paths[0])
            elif stage == "antispoof":
                from vision.antispoof import MiniFASNet

                scales = [2.7, 4.0]
                models.antispoof = MiniFASNet(list(zip(scales, st.paths)))
            elif stage == "embedding":
                from vision.embedding import DlibEmbedder

                models.embedder = DlibEmbedder(st.paths[0], st.paths[1])
            elif stage == "landmarks":
                tracker = models.new_landmarker()
                tracker.close()
                models.landmarks_ok = True
        except Exception as exc:  # noqa: BLE001 - a model that does not load is unavailable
            st.ok = False
            st.error = f"load failed: {exc.__class__.__name__}: {exc}"[:300]
            log.error("vision model %s failed to load: %s", stage, st.error)
    log.info("vision models loaded in %.2f s; unavailable: %s", time.perf_counter() - t0, models.unavailable or "none")
    return models


def fetch(dest: Path, mirror: str | None = None, timeout: float = 60.0) -> list[str]:
    """Download the models_dir files into ``dest`` and check their sha256.

    UltraFace comes from its upstream repository. MiniFASNet ONNX files are an export, so
    they come from ``mirror`` (same relative paths); without a mirror the upstream .pth is
    downloaded and checked so an operator can run the export. dlib and mediapipe files come
    with their pinned wheels (pip checks those hashes via requirements.lock)."""
    done = []
    for stage in ("detector", "antispoof"):
        for f in REGISTRY[stage].files:
            target = dest / f.relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_file() and sha256_file(target) == f.sha256:
                done.append(f"{f.relpath}: already present")
                continue
            exported = bool(f.upstream_sha256)
            if exported and not mirror:
                src, want, out = f.upstream, f.upstream_sha256, target.with_suffix(".pth")
            else:
                src = (mirror.rstrip("/") + "/" + f.relpath) if mirror else f.upstream
                want, out = f.sha256, target
            with urllib.request.urlopen(src, timeout=timeout) as resp:  # noqa: S310 - pinned https URLs
                data = resp.read()
            got = hashlib.sha256(data).hexdigest()
            if got != want:
                raise RuntimeError(f"sha256 mismatch for {src}: got {got}, want {want}")
            tmp = out.with_suffix(out.suffix + ".part")
            tmp.write_bytes(data)
            tmp.replace(out)
            done.append(f"{out.relative_to(dest)}: fetched from {src}" + (" (export to ONNX needed)" if out != target else ""))
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vision.models", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="verify sha256 of every model file and try loading them")
    c.add_argument("--models-dir", type=Path, required=True)
    c.add_argument("--detector-runtime", choices=RUNTIMES, default="onnx")
    c.add_argument("--antispoof-runtime", choices=RUNTIMES, default="onnx")
    c.add_argument("--paddle-modules-dir", type=Path, default=None, help="from python -m vision.paddle.build --out")
    f = sub.add_parser("fetch", help="download the models_dir files from upstream / mirror and check sha256")
    f.add_argument("dest", type=Path)
    f.add_argument("--mirror", default=None, help="base URL of the project's artifact mirror")
    args = parser.parse_args(argv)
    if args.cmd == "check":
        models = load_models(VisionConfig(models_dir=args.models_dir, detector_runtime=args.detector_runtime,
                                          antispoof_runtime=args.antispoof_runtime,
                                          paddle_modules_dir=args.paddle_modules_dir))
        for stage in STAGES:
            st = models.status[stage]
            print(f"{stage:10s} {'ok' if st.ok else 'UNAVAILABLE':12s} {st.name:22s} {st.sha256_prefix if st.ok else st.error}")
        return 0 if not models.unavailable else 1
    for line in fetch(args.dest, args.mirror):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
