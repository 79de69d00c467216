"""The app starts, answers /healthz, and `gunicorn app:app` serves it."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import requests

from tests.conftest import REPO
from tests.servers import free_port, wait_for_port


def test_healthz_reports_each_dependency(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "ok"
    assert set(resp.json["checks"]) == {"database", "redis", "object_store"}
    assert all(c["ok"] for c in resp.json["checks"].values())
    assert resp.headers["X-Request-Id"]


def test_healthz_says_which_dependency_is_down(tmp_path):
    from app import create_app
    from tests.conftest import make_settings

    dead = free_port()
    app = create_app(make_settings(tmp_path, REDIS_URL=f"redis://127.0.0.1:{dead}/0"))
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.json["checks"]["redis"]["ok"] is False
    assert resp.json["checks"]["database"]["ok"] is True


def test_gunicorn_serves_app_module(tmp_path, redis_url):
    port = free_port()
    env = dict(os.environ, LIFECERT_INSTANCE_DIR=str(tmp_path), LIFECERT_REDIS_URL=redis_url)
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db-upgrade"], cwd=REPO, env=env, check=True,
                   capture_output=True)
    proc = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
         "--no-control-socket", "app:app"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=30, proc=proc)
        deadline = time.monotonic() + 60
        while True:
            resp = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
            if resp.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert resp.status_code == 200, resp.text
        assert resp.json()["checks"]["database"]["ok"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_production_start_refuses_bad_config(tmp_path):
    env = dict(os.environ, LIFECERT_MODE="production", LIFECERT_REDIS_URL="not a url")
    proc = subprocess.run([sys.executable, "-c", "import app; app.app"], cwd=REPO, env=env, capture_output=True,
                          text=True)
    assert proc.returncode != 0
    assert "LIFECERT_SECRET_KEY is required" in proc.stderr
    assert "REDIS_URL is not a redis:// URL" in proc.stderr
