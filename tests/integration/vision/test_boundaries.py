"""vision/ stays a library: no Flask, no storage, no settings, no environment variables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_importing_vision_pulls_in_no_web_storage_or_settings_module():
    code = (
        "import sys, vision, vision.evaluate, vision.models, vision.pipeline, vision.binding, vision.timeline,"
        " vision.lightcheck, vision.fingerprint, vision.simulator, vision.attacks;"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('flask','storage','settings','wechat','certification','app')];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_vision_sources_do_not_read_the_environment():
    for src in (REPO / "vision").glob("*.py"):
        text = src.read_text()
        assert "os.environ" not in text and "getenv" not in text, src.name
