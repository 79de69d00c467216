"""README command 1: the embedded launcher brings everything up and /healthz answers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import requests

from tests.conftest import REPO
from tests.servers import free_port


def test_embedded_service_starts_and_is_healthy(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFECERT_")}
    env["LIFECERT_INSTANCE_DIR"] = str(tmp_path / "instance")
    proc = subprocess.Popen([sys.executable, str(REPO / "scripts" / "embedded.py"), "--port", str(port)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                resp = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=15)
                if resp.status_code == 200:
                    body = resp.json()
                    break
            except (requests.ConnectionError, requests.Timeout):  # still starting, on a busy machine
                pass
            time.sleep(0.3)
        assert body is not None, "the embedded service did not become healthy"
        assert body["status"] == "ok"
        assert (tmp_path / "instance" / "lifecert.sqlite3").exists()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
