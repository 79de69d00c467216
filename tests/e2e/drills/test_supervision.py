"""Deliverable 4 of issue 13: supervisord restarts every program after a kill -9, with no orphan holding a port.

Real processes: supervisord with deploy/supervisord.conf, gunicorn with
deploy/gunicorn.conf.py, two rq workers, the dedicated scheduler and rq cron, on a
real Redis and a migrated SQLite file.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import time

import pytest
import redis
import requests
from rq import Queue
from rq.job import Job

from storage.db import upgrade
from tests.conftest import make_settings
from tests.e2e.drills import harness
from tests.servers import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def supervised(tmp_path, redis_url):
    settings = make_settings(tmp_path, REDIS_URL=redis_url)
    upgrade(settings.database_url)
    port = free_port()
    env = harness.product_env({"LIFECERT_INSTANCE_DIR": str(settings.instance_dir), "LIFECERT_REDIS_URL": redis_url})
    sup = harness.start_supervisor(tmp_path / "run", env, port, workers=2)
    try:
        sup.wait_running(["web", "worker:worker-0", "worker:worker-1", "scheduler", "cron"])
        yield sup, port, redis_url
    finally:
        sup.stop()


def _hold_worker(port: int) -> socket.socket:
    """A client that sends half a request line and stalls: a sync worker blocks reading it."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    return s


def _healthz(port: int) -> int:
    return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code


def _up(port: int, within: float = 60.0) -> int:
    """/healthz once the freshly started service answers (a loaded box makes the first answer slow)."""
    deadline = time.monotonic() + within
    while True:
        try:
            return _healthz(port)
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_a_killed_gunicorn_master_takes_its_workers_along_and_comes_back_on_its_port(supervised):
    sup, port, _ = supervised
    assert _up(port) == 200
    master = sup.status()["web"][1]
    workers = harness.children_of(master)
    assert len(workers) == 2
    held = [_hold_worker(port) for _ in range(4)]  # both workers busy: neither can notice a new parent
    time.sleep(0.5)
    started = time.monotonic()
    os.kill(master, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while any(harness.alive(w) for w in workers):
        assert time.monotonic() < deadline, "gunicorn workers outlived their master and keep the port"
        time.sleep(0.05)
    st = sup.wait_running(["web"], not_pids={"web": master}, timeout=60)
    while True:
        try:
            if _healthz(port) == 200:
                break
        except requests.ConnectionError:
            pass
        assert time.monotonic() - started < 30, sup.logs()
        time.sleep(0.1)
    recovered = time.monotonic() - started
    print(f"\ngunicorn master kill -9 → /healthz 200 again after {recovered:.1f} s")
    assert st["web"][1] != master and len(harness.children_of(st["web"][1])) == 2
    assert "Connection in use" not in (sup.run_dir / "web.log").read_text()
    for s in held:
        s.close()


@pytest.mark.parametrize("name", ["worker:worker-0", "scheduler", "cron"])
def test_every_other_program_is_restarted_after_kill_9(supervised, name):
    sup, _, _ = supervised
    pid = sup.status()[name][1]
    started = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    st = sup.wait_running([name], not_pids={name: pid}, timeout=30)
    print(f"\n{name} kill -9 → RUNNING again (pid {st[name][1]}) after {time.monotonic() - started:.1f} s")
    assert all(state == "RUNNING" for state, _ in st.values()), st


def test_delayed_jobs_keep_moving_right_after_the_scheduler_is_killed(supervised):
    """The restarted scheduler takes over its dead predecessor's lock at once, not after its 61 s TTL."""
    sup, _, url = supervised
    conn = redis.Redis.from_url(url)
    pid = sup.status()["scheduler"][1]
    deadline = time.monotonic() + 20
    while conn.get("rq:scheduler-lock:videos") is None:  # the first scheduler holds its locks
        assert time.monotonic() < deadline
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    sup.wait_running(["scheduler"], not_pids={"scheduler": pid})
    job = Queue("default", connection=conn).enqueue_in(dt.timedelta(seconds=1), "os.getpid")
    started = time.monotonic()
    while Job.fetch(job.id, connection=conn).get_status() != "finished":
        assert time.monotonic() - started < 20, "a delayed job stalled after the scheduler was killed\n" + sup.logs()
        time.sleep(0.2)
    print(f"\ndelayed job (1 s) ran {time.monotonic() - started:.1f} s after the scheduler's restart")
    holders = {conn.get(f"rq:scheduler-lock:{q}") for q in ("videos", "messages", "default")}
    assert len(holders) == 1 and None not in holders  # one scheduler holds every queue
