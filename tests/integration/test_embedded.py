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


def _wait_for(url: str, proc, timeout_s: float = 240) -> requests.Response:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            resp = requests.get(url, timeout=15)
            if resp.status_code == 200:
                return resp
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer (exit {proc.poll()})")


def test_demo_seeds_people_runs_the_fake_wechat_and_one_redis_for_every_flask_command(tmp_path, shared_dir):
    """README command 1 with --demo: a newcomer gets three URLs, a demo roster with photos, and one Redis."""
    import sqlite3

    port, fake_port = free_port(), free_port()
    instance = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFECERT_")}
    env.update(LIFECERT_INSTANCE_DIR=str(instance), LIFECERT_VISION_MODELS_DIR=str(shared_dir / "models"))
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, str(REPO / "scripts" / "embedded.py"), "--port", str(port),
                                 "--fake-port", str(fake_port), "--demo", "--shared", str(shared_dir)],
                                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(f"{base}/healthz", proc)
        deadline = time.monotonic() + 120
        while "lifecert demo is up" not in log.read_text(errors="replace"):
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        printed = log.read_text(errors="replace")
        for url in (f"http://127.0.0.1:{fake_port}/_fake/", f"{base}/console/", f"{base}/healthz"):
            assert url in printed, printed[-2000:]
        assert "admin / demo-admin-2026" in printed
        start = requests.get(base + "/", timeout=15)
        assert start.status_code == 200 and "养老金资格认证" in start.text
        assert f"http://127.0.0.1:{fake_port}/_fake/" in start.text and "/console/" in start.text
        assert requests.get(f"http://127.0.0.1:{fake_port}/_fake/", timeout=15).status_code == 200
        # the demo roster, with photos enrolled from the shared faces (stored under instance/, not the repo)
        with sqlite3.connect(instance / "lifecert.sqlite3") as db:
            names = {row[0] for row in db.execute("SELECT name FROM retiree")}
            photos = db.execute("SELECT count(*) FROM enrollment_photo WHERE template IS NOT NULL").fetchone()[0]
            admins = [row[0] for row in db.execute("SELECT username FROM admin_user")]
        assert {"张桂兰", "王建国", "李秀英", "赵德明"} <= names
        assert photos >= 3 and admins == ["admin"]
        # the admin logs in to the console
        session = requests.Session()
        page = session.get(f"{base}/console/login", timeout=15).text
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        login = session.post(f"{base}/console/login", data={"username": "admin", "password": "demo-admin-2026",
                                                            "csrf_token": token}, timeout=15, allow_redirects=False)
        assert login.status_code == 302
        # a flask command in another shell joins the service's Redis instead of starting its own
        published = (instance / "redis.url").read_text().strip()
        probe = subprocess.run([sys.executable, "-c", "from bootstrap import build_services; from settings import "
                                "load_settings; s = build_services(load_settings()); "
                                "k = s.redis.connection_pool.connection_kwargs; s.redis.set('probe', 'x'); "
                                "print(k['host'], k['port'])"],
                               cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert probe.returncode == 0, probe.stderr[-2000:]
        host, probe_port = probe.stdout.split()[-2:]
        assert published.endswith(f"{host}:{probe_port}") or f":{probe_port}" in published, (published, probe.stdout)
        # the menu was pushed to the fake WeChat
        menu = requests.get(f"http://127.0.0.1:{fake_port}/_fake/state", timeout=15).json()["menu"]
        assert "资格认证" in str(menu) and "预约上门认证" in str(menu)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    assert not (instance / "redis.url").exists(), "a stopped service withdraws its Redis URL"
