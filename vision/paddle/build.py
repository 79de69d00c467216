"""Build lifecert's PaddleHub module folders from the pinned ONNX weights.

    python -m vision.paddle.build --models-dir ../shared/models --out ~/.cache/lifecert/paddle-modules

Why the project builds them: PaddleHub's official face modules fetch their weights from
PaddleHub's own server at install time, which these machines cannot reach and which has no
sha256 pin we control. The same networks are published as open ONNX files (UltraFace is the
network of ``ultra_light_fast_generic_face_detector_1mb_320``), so each module is made from
the pinned ONNX file with x2paddle, in a fixed way, and checked:

1. the source ONNX must have the sha256 pinned in ``vision.registry.REGISTRY``;
2. ``x2paddle -f onnx`` converts it; its ``inference_model/`` (model.json + model.pdiparams,
   Paddle 3 PIR format) goes into ``<out>/<module>/model/`` next to a generated ``module.py``;
3. the module is loaded with ``hub.Module.init_with_directory`` (no network) and its raw
   outputs are compared with onnxruntime on fixed inputs (seeded noise and real test-style
   images); the build fails if the max abs difference exceeds ``MAX_ABS_DIFF``;
4. ``lifecert_build.json`` records the source sha256, the sha256 of every produced file,
   the tool versions and the measured difference. ``vision.paddle.backend`` refuses a
   module folder whose files do not match that record or whose source sha256 is not the
   pinned one.

x2paddle output is byte-identical across rebuilds (``--check-deterministic``), so the
expected sha256 of the converted files is pinned too (``EXPECTED_OUTPUT``, for the pinned
tool versions); the record says whether a build reproduced it.

Needs the paddle environment (``scripts/bootstrap.sh --paddle``): paddlepaddle, paddlehub,
x2paddle, onnx, onnxruntime.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vision.registry import REGISTRY, sha256_file
from vision.paddle.backend import BUILD_FORMAT

TEMPLATES = Path(__file__).resolve().parent / "templates"
BUILD_RECORD = "lifecert_build.json"
MAX_ABS_DIFF = 1e-4

#: module folder name -> (registry stage, file index, template, crop scale or None, input shape)
MODULES: dict[str, tuple[str, int, str, float | None, tuple[int, ...]]] = {
    "ultraface_rfb320_lifecert": ("detector", 0, "ultraface_module.py", None, (1, 3, 240, 320)),
    "minifasnet_v2_lifecert": ("antispoof", 0, "minifasnet_module.py", 2.7, (1, 3, 80, 80)),
    "minifasnet_v1se_lifecert": ("antispoof", 1, "minifasnet_module.py", 4.0, (1, 3, 80, 80)),
}


#: sha256 of the converted files, as produced by the tool versions in EXPECTED_TOOLS (byte-identical
#: across rebuilds: ``--check-deterministic``). A build with those tools that produces other bytes
#: is recorded as ``reproduced: false`` (tests/paddle fails on it); with other tool versions the
#: pin is the source sha256 plus the numeric check only.
EXPECTED_TOOLS = {"paddlepaddle": "3.3.1", "paddlehub": "2.4.0", "x2paddle": "1.6.0"}
EXPECTED_OUTPUT: dict[str, dict[str, str]] = {
    "ultraface_rfb320_lifecert": {
        "model/model.json": "c3cc88ee7d6a660e294bc356d908d1fc2615f01205fa80c08037cba4f3cdc635",
        "model/model.pdiparams": "be0d2917576212aeb74b18eecf6e9988221e445a68a6788f8e7f45d583ab395d",
    },
    "minifasnet_v2_lifecert": {
        "model/model.json": "638d7af6fa28f4aedbf61ed7a943b9e2b5b763a5292eeb4b7832f50ed31e0f7d",
        "model/model.pdiparams": "d36148be726dfaf603891c51aaf5b036035084378abd8c3024ebf12f15040896",
    },
    "minifasnet_v1se_lifecert": {
        "model/model.json": "1c7cd0564b6fae30a9161482fff476e9c16ec1aed1b855ad6698721759416100",
        "model/model.pdiparams": "4e642e6a1c6333ea1fee1c8de99dd6b0285bd903189a50a584342553cb160b30",
    },
}


def source_of(module: str):
    stage, idx, *_ = MODULES[module]
    return REGISTRY[stage].files[idx]


def _x2paddle(src: Path, workdir: Path) -> Path:
    exe = Path(sys.executable).with_name("x2paddle")
    cmd = [str(exe), "-f", "onnx", "-m", str(src), "-s", str(workdir), "-df", "True"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    inf = workdir / "inference_model"
    if proc.returncode != 0 or not (inf / "model.json").is_file():
        raise RuntimeError(f"x2paddle failed for {src.name} (rc={proc.returncode}): {proc.stdout[-1500:]}{proc.stderr[-1500:]}")
    return inf


def _test_inputs(shape: tuple[int, ...], module: str) -> list:
    import numpy as np

    rng = np.random.default_rng(20260505)
    if module.startswith("ultraface"):
        # the detector sees (x-127)/128 of 0-255 pixels
        return [((rng.integers(0, 256, shape).astype(np.float32) - 127.0) / 128.0) for _ in range(3)]
    return [rng.integers(0, 256, shape).astype(np.float32) for _ in range(3)]


def verify_numerically(module_dir: Path, src: Path, shape: tuple[int, ...], name: str) -> float:
    """Max abs difference between the module's raw outputs and onnxruntime on fixed inputs."""
    import numpy as np
    import onnxruntime as ort

    from vision.paddle.backend import load_hub_module

    mod = load_hub_module(module_dir)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3  # UltraFace's "initializer appears in graph inputs" notes
    sess = ort.InferenceSession(str(src), sess_options=opts, providers=["CPUExecutionProvider"])
    iname = sess.get_inputs()[0].name
    worst = 0.0
    for x in _test_inputs(shape, name):
        ref = sess.run(None, {iname: x})
        got = mod.raw(x)
        got = list(got) if isinstance(got, tuple) else [got]
        for r, g in zip(ref, got):
            if r.shape != g.shape:
                raise RuntimeError(f"{name}: output shape {g.shape} != onnx {r.shape}")
            worst = max(worst, float(np.abs(r - g).max()))
    return worst


def build_one(name: str, models_dir: Path, out: Path) -> dict:
    stage, idx, template, scale, shape = MODULES[name]
    f = source_of(name)
    src = models_dir / f.relpath
    if not src.is_file():
        raise FileNotFoundError(src)
    got = sha256_file(src)
    if got != f.sha256:
        raise RuntimeError(f"{src}: sha256 {got} is not the pinned {f.sha256}")
    t0 = time.perf_counter()
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=out))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            inf = _x2paddle(src, Path(tmp))
            (staging / "model").mkdir()
            for fn in ("model.json", "model.pdiparams"):
                shutil.copy2(inf / fn, staging / "model" / fn)
        text = (TEMPLATES / template).read_text()
        text = text.replace("@NAME@", name).replace("@SCALE@", repr(scale))
        (staging / "module.py").write_text(text)
        # the module must be importable as <basename>.module: verify under its final name
        final = out / name
        if final.exists():
            shutil.rmtree(final)
        staging.rename(final)
        staging = final
        final.chmod(0o755)  # mkdtemp made it 0700
        diff = verify_numerically(final, src, shape, name)
        if diff > MAX_ABS_DIFF:
            raise RuntimeError(f"{name}: paddle vs onnxruntime max abs diff {diff:.2e} > {MAX_ABS_DIFF}")
        import paddle
        import paddlehub
        import x2paddle

        tools = {"paddlepaddle": paddle.__version__, "paddlehub": paddlehub.__version__, "x2paddle": x2paddle.__version__}
        files = {p: sha256_file(final / p) for p in ("module.py", "model/model.json", "model/model.pdiparams")}
        reproduced = None
        if tools == EXPECTED_TOOLS:
            reproduced = all(files[k] == v for k, v in EXPECTED_OUTPUT[name].items())
        record = {
            "format": BUILD_FORMAT,
            "module": name,
            "stage": stage,
            "source": f.relpath,
            "source_sha256": f.sha256,
            "files": files,
            "tools": tools,
            "reproduced": reproduced,
            "max_abs_diff_vs_onnxruntime": diff,
            "build_seconds": round(time.perf_counter() - t0, 2),
        }
        (final / BUILD_RECORD).write_text(json.dumps(record, indent=2) + "\n")
        return record
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def is_built(out: Path, name: str) -> bool:
    from vision.paddle.backend import check_module_dir

    return check_module_dir(out / name, expect_source_sha256=source_of(name).sha256) is None


def build(models_dir: Path, out: Path, force: bool = False, only: list[str] | None = None) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    done = []
    for name in only or list(MODULES):
        if not force and is_built(out, name):
            done.append(json.loads((out / name / BUILD_RECORD).read_text()) | {"reused": True})
            continue
        done.append(build_one(name, models_dir, out))
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vision.paddle.build", description=__doc__.split("\n")[0])
    parser.add_argument("--models-dir", type=Path, required=True, help="folder with ultraface/ and minifasnet/ ONNX files")
    parser.add_argument("--out", type=Path, required=True, help="where the module folders go (outside the repository)")
    parser.add_argument("--force", action="store_true", help="rebuild even if a valid build is there")
    parser.add_argument("--check-deterministic", action="store_true",
                        help="build twice into temporary folders and report whether the files are byte-identical")
    args = parser.parse_args(argv)
    if args.check_deterministic:
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            ra, rb = build(args.models_dir, Path(a), True), build(args.models_dir, Path(b), True)
            for x, y in zip(ra, rb):
                same = x["files"] == y["files"]
                print(f"{x['module']:28s} {'byte-identical' if same else 'DIFFERENT'} {x['files']['model/model.pdiparams'][:12]}")
        return 0
    for rec in build(args.models_dir, args.out.expanduser(), args.force):
        print(f"{rec['module']:28s} {'reused' if rec.get('reused') else 'built '} source {rec['source_sha256'][:12]} "
              f"params {rec['files']['model/model.pdiparams'][:12]} max|diff| {rec['max_abs_diff_vs_onnxruntime']:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
