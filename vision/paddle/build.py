"""Build lifecert's PaddleHub module folders from the pinned ONNX weights.

    python -m vision.paddle.build --models-dir ../shared/models --out ~/.cache/lifecert/paddle-modules

Why the project builds them: PaddleHub's official face modules fetch their weights from
PaddleHub's own server at install time, which these machines cannot reach and which has no
sha256 pin we control. The same networks are published as open ONNX files (UltraFace is the
network of ``ultra_light_fast_generic_face_detector_1mb_320``), so each module is made from
the pinned ONNX file with x2paddle, in a fixed way, and checked:

1. the source ONNX must have the sha256 pinned in ``vision.registry.REGISTRY``; SFace's
   block-quantised file is first written out as plain float32 (``dequantize_onnx``), which
   x2paddle can read;
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

from vision.paddle.backend import BUILD_FORMAT, check_module_dir, load_hub_module
from vision.registry import REGISTRY, sha256_file

TEMPLATES = Path(__file__).resolve().parent / "templates"
BUILD_RECORD = "lifecert_build.json"
MAX_ABS_DIFF = 1e-4

#: module folder name -> (registry stage, file index, template, crop scale or None, input shape)
MODULES: dict[str, tuple[str, int, str, float | None, tuple[int, ...]]] = {
    "ultraface_rfb320_lifecert": ("detector", 0, "ultraface_module.py", None, (1, 3, 240, 320)),
    "minifasnet_v2_lifecert": ("antispoof", 0, "minifasnet_module.py", 2.7, (1, 3, 80, 80)),
    "minifasnet_v1se_lifecert": ("antispoof", 1, "minifasnet_module.py", 4.0, (1, 3, 80, 80)),
    "sface_lifecert": ("sface", 0, "sface_module.py", None, (1, 3, 112, 112)),
}


#: sha256 of the converted files, as produced by the tool versions in EXPECTED_TOOLS (byte-identical
#: across rebuilds: ``--check-deterministic``). A build with those tools that produces other bytes
#: is recorded as ``reproduced: false`` (tests/integration/paddle fails on it); with other tool versions the
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
    "sface_lifecert": {  # from the dequantised float32 copy (dequantize_onnx), itself a pure function of the pin
        "model/model.json": "97a9596150897b05be114243830eabdacc3db9e0e8f1d68c5841f2e7e0ccf491",
        "model/model.pdiparams": "80ae661db8c7f01d06e2cde3ed0994a9790779a312c7d74b96c0503361771d74",
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


def dequantize_onnx(src: Path, dst: Path) -> None:
    """Write a float32 copy of a block-quantised ONNX file that x2paddle can read.

    SFace's int8bq file stores each weight as int8 + per-block scales behind an opset-21
    ``DequantizeLinear`` (block_size 64), which x2paddle does not know, and declares 29
    unused graph inputs. Every DequantizeLinear / Reshape whose inputs are constants is
    evaluated here with numpy (``(q - zero_point) * scale``, scales repeated per block: the
    float values OpenCV's DNN computes with), the unused inputs are dropped, opset 13."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    m = onnx.load(str(src))
    g = m.graph
    const = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    keep = []
    for n in g.node:
        if n.op_type == "Constant":
            const[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
            continue
        if n.op_type == "DequantizeLinear" and all(i in const for i in n.input if i):
            attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
            x = const[n.input[0]].astype(np.float32)
            scale = const[n.input[1]].astype(np.float32)
            zp = const[n.input[2]].astype(np.float32) if len(n.input) > 2 and n.input[2] else np.zeros_like(scale)
            axis = attrs.get("axis", 1) % max(1, x.ndim)
            block = attrs.get("block_size", 0)
            if block and scale.ndim == x.ndim:
                idx = range(x.shape[axis])
                scale = np.repeat(scale, block, axis=axis).take(idx, axis=axis)
                zp = np.repeat(zp, block, axis=axis).take(idx, axis=axis)
            elif scale.ndim == 1 and scale.size > 1:
                shape = [1] * x.ndim
                shape[axis] = -1
                scale, zp = scale.reshape(shape), zp.reshape(shape)
            const[n.output[0]] = (x - zp) * scale
            continue
        if n.op_type == "Reshape" and all(i in const for i in n.input):
            const[n.output[0]] = const[n.input[0]].reshape(const[n.input[1]])
            continue
        keep.append(n)
    used = {i for n in keep for i in n.input} | {o.name for o in g.output}
    inits = [numpy_helper.from_array(v if v.dtype == np.int64 else np.asarray(v, np.float32), name=k)
             for k, v in const.items() if k in used]
    inputs = [i for i in g.input if i.name not in const and i.name in used]
    out = helper.make_model(helper.make_graph(keep, g.name, inputs, list(g.output), inits),
                            opset_imports=[helper.make_opsetid("", 13)], producer_name="lifecert-dequantize")
    out.ir_version = 7
    onnx.checker.check_model(out)
    onnx.save(out, str(dst))


def verify_sface(module_dir: Path, src: Path) -> float:
    """Max abs difference between the module's feature and OpenCV's FaceRecognizerSF (the
    runtime the product uses on the pinned file) on seeded noise crops."""
    import cv2
    import numpy as np

    mod = load_hub_module(module_dir)
    rec = cv2.FaceRecognizerSF.create(str(src), "")
    rng = np.random.default_rng(20260505)
    worst = 0.0
    for _ in range(4):
        rgb = rng.integers(0, 256, (112, 112, 3)).astype(np.uint8)
        ref = rec.feature(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)).reshape(-1)
        got = np.asarray(mod.embed(images=[rgb])[0])
        if got.shape != ref.shape:
            raise RuntimeError(f"sface: output shape {got.shape} != {ref.shape}")
        worst = max(worst, float(np.abs(ref - got).max()))
    return worst


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
            conv_src = src
            if stage == "sface":  # block-quantised: x2paddle needs plain float weights
                conv_src = Path(tmp) / "fp32" / src.name
                conv_src.parent.mkdir()
                dequantize_onnx(src, conv_src)
            inf = _x2paddle(conv_src, Path(tmp) / "x2paddle")
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
        diff = verify_sface(final, src) if stage == "sface" else verify_numerically(final, src, shape, name)
        if diff > MAX_ABS_DIFF:
            raise RuntimeError(f"{name}: paddle vs onnxruntime max abs diff {diff:.2e} > {MAX_ABS_DIFF}")
        import paddle
        import paddlehub
        import x2paddle

        tools = {"paddlepaddle": paddle.__version__, "paddlehub": paddlehub.__version__, "x2paddle": x2paddle.__version__}
        files = {p: sha256_file(final / p) for p in ("module.py", "model/model.json", "model/model.pdiparams")}
        reproduced = None
        if tools == EXPECTED_TOOLS and name in EXPECTED_OUTPUT:
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
    parser.add_argument("--models-dir", type=Path, required=True, help="folder with ultraface/, minifasnet/ and sface/ ONNX files")
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
