"""Outbox drills with real processes: an rq worker SIGKILLed mid-send, Redis restarted without AOF
with messages queued and retries pending, WeChat answering slower than the client timeout.

Each drill runs the real sender (``rq worker`` subprocess on the messages queue) and the real
sweeper path (``rq cron jobs/cron.py`` subprocess), the app on loopback to receive the fake's
TEMPLATESENDJOBFINISH reports, and counts what the fake WeChat received: exactly one template
per (recipient, cause), however the drill went. The outbox clock is shortened by settings
(LIFECERT_OUTBOX_*), not by monkeypatching, because the processes read it themselves.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from flows import outbox
from storage.models import Notification
from tests import servers
from tests.conftest import REPO
from tests.integration.wechat.conftest import build_stack

TIMING = {"OUTBOX_LEASE_S": "3", "OUTBOX_CONFIRM_S": "8", "OUTBOX_SWEEP_S": "2"}
SETTLED = ("sent", "delivered")
RQ = os.path.join(os.path.dirname(sys.executable), "rq")


def _env(stack, redis_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFECERT_")}
    env.update({f"LIFECERT_{k}": v for k, v in TIMING.items()})
    env.update(LIFECERT_INSTANCE_DIR=str(stack.services.settings.instance_dir), LIFECERT_REDIS_URL=redis_url,
               LIFECERT_WECHAT_API_BASE_URL=stack.fake_url, PYTHONPATH=str(REPO))
    return env


class Processes:
    """The sender and the cron scheduler as real processes, each in its own process group."""

    def __init__(self, stack, redis_url: str, logdir) -> None:
        self.stack, self.redis_url, self.logdir = stack, redis_url, logdir
        self.procs: list[subprocess.Popen] = []

    def _start(self, name: str, cmd: list[str]) -> subprocess.Popen:
        log = open(self.logdir / f"{name}-{len(self.procs)}.log", "wb")
        proc = subprocess.Popen(cmd, cwd=REPO, env=_env(self.stack, self.redis_url), stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def worker(self) -> subprocess.Popen:
        return self._start("worker", [RQ, "worker", "--url", self.redis_url, "-w", "rq.worker.SimpleWorker",
                                      "messages"])

    def cron(self) -> subprocess.Popen:
        return self._start("cron", [RQ, "cron", "jobs/cron.py", "--url", self.redis_url])

    def kill(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop_all(self) -> None:
        for proc in self.procs:
            self.kill(proc)


@pytest.fixture
def drill(tmp_path):
    """A stack on its own restartable Redis, plus the processes of the drill; stopped by PID afterwards."""
    redis = servers.start_redis(tmp_path / "own-redis")
    stack, stops = build_stack(tmp_path, redis.url, **TIMING)
    procs = Processes(stack, redis.url, tmp_path)
    holder = {"redis": redis}
    yield stack, procs, holder
    procs.stop_all()
    for stop in stops:
        stop()
    holder["redis"].stop()


def _fields() -> dict:
    return {"name": "张*兰", "passed": True, "at": dt.datetime(2026, 11, 5, 14, 30)}


def _queue(stack, users: list[str], cause: str) -> list[int]:
    return [outbox.enqueue_template(stack.services, u, "cert_result", _fields(), dedupe_key=f"{cause}:{u}")
            for u in users]


def _rows(stack) -> list[Notification]:
    with stack.services.db.session() as s:
        return list(s.scalars(select(Notification).order_by(Notification.id)))


def _wait_settled(stack, count: int, timeout: float) -> float:
    started = time.monotonic()
    while True:
        rows = _rows(stack)
        if len(rows) == count and all(r.status in SETTLED for r in rows):
            return time.monotonic() - started
        assert time.monotonic() - started < timeout, f"not settled: {[(r.id, r.status, r.tries) for r in rows]}"
        time.sleep(0.2)


def _received(stack) -> collections.Counter:
    return collections.Counter(t["touser"] for t in stack.call("GET", "/_fake/templates")["items"])


def test_worker_killed_mid_send_yields_one_message_each(drill):
    stack, procs, _ = drill
    users = [stack.new_user() for _ in range(4)]
    stack.call("POST", "/_fake/config", template_delay_s=3.0)  # the worker is inside the call when killed
    _queue(stack, users, "drill-kill")
    worker = procs.worker()
    deadline = time.monotonic() + 60
    while not stack.call("GET", "/_fake/templates")["items"]:
        assert time.monotonic() < deadline, "the worker never called WeChat"
        time.sleep(0.05)
    procs.kill(worker)  # SIGKILL mid-send: WeChat has the message, the worker never heard its answer
    killed_at = time.monotonic()
    assert any(r.status in ("sending", "delivered") for r in _rows(stack))
    procs.worker()
    procs.cron()
    _wait_settled(stack, 4, timeout=120)
    print(f"\nworker kill: all 4 settled {time.monotonic() - killed_at:.1f} s after the kill")
    time.sleep(int(TIMING["OUTBOX_CONFIRM_S"]) + 2 * int(TIMING["OUTBOX_SWEEP_S"]))  # no late resend either
    assert _received(stack) == collections.Counter({u: 1 for u in users})


def test_redis_restart_without_aof_loses_jobs_not_messages(drill, monkeypatch):
    stack, procs, holder = drill
    retrying = [stack.new_user() for _ in range(2)]
    waiting = [stack.new_user() for _ in range(3)]
    stack.call("POST", "/_fake/inject", api="template", errcode=-1, times=2)
    _queue(stack, retrying, "drill-redis")
    stack.run_worker()  # both fail once: their retries are scheduled in Redis, 10 s out
    assert [r.status for r in _rows(stack)] == ["queued", "queued"]
    _queue(stack, waiting, "drill-redis")  # and these are waiting in the queue
    assert stack.services.redis.llen("rq:queue:messages") == 3
    redis = holder["redis"]
    redis.stop()  # keeps nothing on disk: every job and retry is gone
    holder["redis"] = redis = servers.start_redis(redis.workdir, port=redis.port)
    restarted_at = time.monotonic()
    assert stack.services.redis.llen("rq:queue:messages") == 0
    procs.worker()
    procs.cron()
    _wait_settled(stack, 5, timeout=120)
    print(f"\nredis restart: all 5 settled {time.monotonic() - restarted_at:.1f} s after the restart")
    assert _received(stack) == collections.Counter({u: 1 for u in retrying + waiting})


def test_wechat_slower_than_the_client_timeout_sends_once(drill):
    stack, procs, _ = drill
    users = [stack.new_user() for _ in range(2)]
    stack.call("POST", "/_fake/config", template_delay_s=11.0)  # the client gives up after 10 s
    _queue(stack, users, "drill-slow")
    procs.worker()
    procs.cron()
    took = _wait_settled(stack, 2, timeout=120)
    rows = _rows(stack)
    assert all(r.status == "delivered" and r.msgid for r in rows)  # settled by WeChat's report, not the answer
    time.sleep(int(TIMING["OUTBOX_CONFIRM_S"]) + 3 * int(TIMING["OUTBOX_SWEEP_S"]) + 11)
    assert _received(stack) == collections.Counter({u: 1 for u in users})
    assert all(r.tries == 1 for r in _rows(stack))
    print(f"\nslow wechat: 2 settled in {took:.1f} s, one message each")
