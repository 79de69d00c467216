"""Faults a real deployment meets: a worker killed mid-job, Redis restarted with jobs queued.

Both run real processes: an ``rq worker`` subprocess on the real models, and a
redis-server that is stopped and started again on the same port.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from bootstrap import build_services
from flows import certify
from storage.db import upgrade
from storage.models import Attempt, AttemptStatus, Certification, Challenge, EnrollmentPhoto
from tests import servers
from tests.conftest import REPO, make_settings
from tests.phone_stack import SHOWN_ACTIONS, VIDEO, enrolled_template  # noqa: F401 - fixture


def worker_env(settings, redis_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFECERT_")}
    env.update(LIFECERT_INSTANCE_DIR=str(settings.instance_dir), LIFECERT_REDIS_URL=redis_url,
               LIFECERT_VISION_MODELS_DIR=str(settings.vision_models_dir), PYTHONPATH=str(REPO))
    return env


def start_worker(settings, redis_url: str, burst: bool = False) -> subprocess.Popen:
    rq = os.path.join(os.path.dirname(sys.executable), "rq")
    cmd = [rq, "worker", "--url", redis_url, "-w", "rq.worker.SimpleWorker", "videos"] + (["--burst"] if burst else [])
    return subprocess.Popen(cmd, cwd=REPO, env=worker_env(settings, redis_url), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def status_of(services, attempt_id: str) -> AttemptStatus:
    with services.db.session() as s:
        return s.get(Attempt, attempt_id).status


def submitted_attempt(world, template: bytes, shared_dir) -> str:
    services = world.services
    with services.db.session() as s:
        s.add(EnrollmentPhoto(retiree_id=world.retiree_id, object_key="photos/x.jpg", template=template,
                              source="test"))
    challenge = certify.start_challenge(services, world.self_user_id, world.retiree_id)
    with services.db.session() as s:
        s.get(Challenge, challenge.id).actions = SHOWN_ACTIONS
        # the order-only path: this test is about faults, bound challenges have their own tests
        s.get(Challenge, challenge.id).timeline = None
    video = (shared_dir / VIDEO).read_bytes()
    attempt = certify.receive_upload(services, challenge.id, world.self_user_id, io.BytesIO(video), "video/mp4",
                                     len(video))
    certify.submit(services, attempt.id, world.self_user_id)
    return attempt.id


def one_certification(services, attempt_id: str) -> None:
    with services.db.session() as s:
        assert s.scalars(select(Certification.attempt_id).where(Certification.attempt_id.is_not(None))).all() == [
            attempt_id]


@pytest.fixture
def world_settings(tmp_path, redis_url, shared_dir):
    return make_settings(tmp_path, REDIS_URL=redis_url, VISION_MODELS_DIR=str(shared_dir / "models"))


@pytest.fixture
def settings(world_settings):  # the flows' `world` fixture builds its services from this
    return world_settings


def test_worker_killed_mid_job_runs_again_and_records_once(world, enrolled_template, shared_dir):
    services = world.services
    attempt_id = submitted_attempt(world, enrolled_template, shared_dir)
    worker = start_worker(services.settings, services.settings.redis_url)
    try:
        deadline = time.monotonic() + 60
        while status_of(services, attempt_id) != AttemptStatus.running:
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.02)
        os.killpg(worker.pid, signal.SIGKILL)  # mid-job: the models are loading or running
        worker.wait()
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert status_of(services, attempt_id) == AttemptStatus.running

    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=11)
    assert certify.recover_stuck_attempts(services, now=later) == [attempt_id]
    rerun = start_worker(services.settings, services.settings.redis_url, burst=True)
    assert rerun.wait(timeout=120) == 0
    assert status_of(services, attempt_id) == AttemptStatus.passed
    one_certification(services, attempt_id)


def test_redis_restart_loses_the_queue_and_recovery_brings_the_job_back(tmp_path, world, enrolled_template,
                                                                        shared_dir):
    redis = servers.start_redis(tmp_path / "own-redis")
    settings = make_settings(tmp_path, REDIS_URL=redis.url, VISION_MODELS_DIR=str(shared_dir / "models"),
                             INSTANCE_DIR=str(world.services.settings.instance_dir))
    upgrade(settings.database_url)
    services = build_services(settings)
    world.services = services
    try:
        attempt_id = submitted_attempt(world, enrolled_template, shared_dir)
        assert services.redis.llen("rq:queue:videos") == 1
        redis.stop()  # a restart of a Redis that keeps nothing on disk
        redis = servers.start_redis(tmp_path / "own-redis", port=redis.port)
        assert services.redis.llen("rq:queue:videos") == 0
        later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=6)
        assert certify.recover_stuck_attempts(services, now=later) == [attempt_id]
        worker = start_worker(settings, redis.url, burst=True)
        assert worker.wait(timeout=120) == 0
        assert status_of(services, attempt_id) == AttemptStatus.passed
        one_certification(services, attempt_id)
    finally:
        redis.stop()
