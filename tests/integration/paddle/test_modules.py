"""The PaddleHub module folders themselves: pinned, loadable offline, official call shape."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2

from vision.models import REGISTRY
from vision.paddle.build import EXPECTED_TOOLS, MODULES, source_of


def test_build_records_pin_the_source_onnx(paddle_modules_dir):
    for name in MODULES:
        rec = json.loads((paddle_modules_dir / name / "lifecert_build.json").read_text())
        assert rec["source_sha256"] == source_of(name).sha256
        assert rec["max_abs_diff_vs_onnxruntime"] <= 1e-4
        assert set(rec["files"]) == {"module.py", "model/model.json", "model/model.pdiparams"}
        # with the pinned tools the conversion must give the pinned bytes (x2paddle is deterministic)
        assert rec["tools"] == EXPECTED_TOOLS and rec["reproduced"] is True, rec
    assert source_of("ultraface_rfb320_lifecert").relpath == REGISTRY["detector"].files[0].relpath


def test_detector_module_has_the_official_call_shape(paddle_modules_dir, testdata):
    from vision.paddle.backend import load_hub_module

    mod = load_hub_module(paddle_modules_dir / "ultraface_rfb320_lifecert")
    path = testdata / "faces" / "obama" / "obama.jpg"
    res = mod.face_detection(images=[cv2.imread(str(path))])
    assert len(res) == 1 and len(res[0]["data"]) == 1
    face = res[0]["data"][0]
    assert set(face) == {"left", "top", "right", "bottom", "confidence"}
    assert face["confidence"] > 0.99 and face["right"] > face["left"] and face["bottom"] > face["top"]
    by_path = mod.face_detection(paths=[str(path)])
    assert by_path[0]["data"] == res[0]["data"] and by_path[0]["path"] == str(path)


def test_loading_a_module_makes_no_network_call(paddle_modules_dir):
    code = f"""
import sys
events = []
NET = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto", "socket.sendmsg"}
# (a local bind to ::1 port 0 at import is an IPv6-support probe, not network traffic)
sys.addaudithook(lambda ev, args: events.append((ev, args)) if ev in NET else None)
from vision.paddle.backend import load_hub_module
m = load_hub_module({str(paddle_modules_dir / "ultraface_rfb320_lifecert")!r})
import time; time.sleep(1.5)  # a CacheUpdater thread would have resolved by now
assert not events, events
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a_detector_module_without_build_record_is_accepted_unpinned(paddle_modules_dir, tmp_path, vision_config,
                                                                      vision_models, testdata):
    """An agency's installed official module (no lifecert build record) can be configured for
    the detector with paddle_allow_unpinned_detector; it is recorded as UNPINNED. Simulated with a copy of ours under the official name."""
    import shutil

    from vision import load_models

    official = tmp_path / "ultra_light_fast_generic_face_detector_1mb_320"
    shutil.copytree(paddle_modules_dir / "ultraface_rfb320_lifecert", official)
    (official / "lifecert_build.json").unlink()
    cfg = vision_config.with_overrides(detector_runtime="paddle", paddle_modules_dir=tmp_path,
                                       paddle_detector_module=official.name)
    assert "detector" in load_models(cfg).unavailable  # not without the explicit opt-in
    cfg = cfg.with_overrides(paddle_allow_unpinned_detector=True)
    models = load_models(cfg)
    assert models.unavailable == [], models.versions()
    assert "UNPINNED" in models.versions()["ultraface-rfb-320"]
    rgb = cv2.imread(str(testdata / "faces" / "biden" / "biden.jpg"))[:, :, ::-1].copy()
    assert [round(b.x1) for b in models.detector.detect(rgb)] == [round(b.x1) for b in vision_models.detector.detect(rgb)]


def test_importing_paddlehub_leaves_the_root_logger_alone():
    code = """
import logging
logging.getLogger().setLevel(logging.WARNING)
before = list(logging.getLogger().handlers)
from vision.paddle.backend import _import_paddlehub
_import_paddlehub()
root = logging.getLogger()
assert root.handlers == before and root.level == logging.WARNING, (root.handlers, root.level)
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
