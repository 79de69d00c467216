"""Deliverable 7 of issue 13: drills with real processes, counting what was lost or duplicated.

One production-shaped stack for the module (tests/e2e/drills/stack.py): PostgreSQL, Redis
without AOF, SeaweedFS S3, the fake WeChat, and under supervisord gunicorn, two rq
workers, the dedicated scheduler and rq cron. Certifications go through the HTTP API
with real face videos and the real models. Each drill counts, per person: attempts,
face certifications recorded and template messages the fake WeChat received — 0 lost,
0 duplicated — and prints the time to recover. Recovery happens through the real cron
path (rq cron → recover-attempts → the workers), never a direct function call; the
drills shorten only its period and age threshold (stack.RECOVERY_*).
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import requests
from rq import Worker

from tests.e2e.drills import stack as drill_stack
from tests.phone_stack import VIDEO, enrolled_template  # noqa: F401 - fixture

pytestmark = pytest.mark.slow
RECOVERED: dict[str, float] = {}


@pytest.fixture(scope="module")
def stack(tmp_path_factory, shared_dir, enrolled_template):
    s = drill_stack.build(tmp_path_factory.mktemp("drills"), shared_dir, enrolled_template, VIDEO)
    yield s
    drill_stack.tear_down(s)
    if RECOVERED:
        print("\nrecovery times: " + ", ".join(f"{k} {v:.1f} s" for k, v in RECOVERED.items()))


def exactly_once(stack, people, attempt_ids, messages_timeout: float = 30) -> None:
    """Every person: their attempt passed, one face certification, one template message."""
    statuses = stack.attempt_statuses(attempt_ids)
    assert sorted(statuses.values()) == ["passed"] * len(people), statuses
    certs = stack.face_certifications([p[0] for p in people])
    assert [certs[p[0]] for p in people] == [1] * len(people), certs
    openids = [p[2] for p in people]
    got = stack.wait_messages(openids, messages_timeout)
    assert [got[o] for o in openids] == [1] * len(people), (got, stack.notification_states(openids))


def _worker_running(stack, attempt_ids) -> Worker | None:
    for w in Worker.all(connection=stack.services.redis):
        job_id = w.get_current_job_id()
        if job_id and job_id.removeprefix("verify-") in attempt_ids:
            return w
    return None


def test_warm_up_every_worker_has_its_models_loaded(stack):
    """Not a drill: two certifications so both workers have loaded the models (first job ~10 s)."""
    people = stack.add_people(2)
    ids = [stack.certify(p) for p in people]
    stack.wait_finished(ids, timeout=180)
    exactly_once(stack, people, ids)


def test_video_worker_killed_mid_job(stack):
    people = stack.add_people(3)
    ids = [stack.certify(p) for p in people]
    deadline = time.monotonic() + 60
    while (worker := _worker_running(stack, ids)) is None:
        assert time.monotonic() < deadline, "no worker took a job"
        time.sleep(0.02)
    before = stack.supervisor.status()
    os.kill(worker.pid, signal.SIGKILL)
    killed = time.monotonic()
    stack.wait_finished(ids, timeout=120)
    RECOVERED["video worker kill -9"] = time.monotonic() - killed
    assert any(st[1] == worker.pid for st in before.values())  # it was one of supervisord's workers
    stack.supervisor.wait_running()  # and supervisord restarted it
    exactly_once(stack, people, ids)


def test_redis_restarted_without_aof_with_verifications_queued(stack):
    stack.supervisor.ctl("stop", "worker:*")
    people = stack.add_people(3)
    ids = [stack.certify(p) for p in people]
    assert stack.services.redis.llen("rq:queue:videos") == 3
    stack.restart_redis()
    restarted = time.monotonic()
    assert stack.services.redis.llen("rq:queue:videos") == 0  # the queue is gone
    stack.supervisor.ctl("start", "worker:*")
    stack.wait_finished(ids, timeout=120)
    RECOVERED["Redis restart without AOF"] = time.monotonic() - restarted
    exactly_once(stack, people, ids)


def test_postgres_restarted_mid_run(stack):
    people = stack.add_people(4)
    ids = [stack.certify(p) for p in people]
    deadline = time.monotonic() + 60
    while _worker_running(stack, ids) is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    stack.restart_postgres(down_s=2)
    restarted = time.monotonic()
    stack.wait_finished(ids, timeout=180)
    RECOVERED["PostgreSQL restart"] = time.monotonic() - restarted
    exactly_once(stack, people, ids, messages_timeout=60)


def test_s3_stopped_during_uploads_and_downloads(stack):
    queued_people = stack.add_people(2)
    stack.supervisor.ctl("stop", "worker:*")  # their videos are downloaded while S3 is down
    ids = [stack.certify(p) for p in queued_people]
    stack.stop_s3()
    stopped = time.monotonic()
    stack.supervisor.ctl("start", "worker:*")
    late_people = stack.add_people(2)
    for p in late_people:  # uploads while S3 is down: a clear "try again", no attempt row
        refused = stack.upload(p)
        assert refused.status_code == 503, refused.text
        assert refused.json()["message"], refused.text
    assert len(stack.attempt_statuses(ids)) == 2
    time.sleep(3)
    stack.start_s3()
    ids += [stack.certify(p) for p in late_people]  # the phone tries again
    stack.wait_finished(ids, timeout=180)
    RECOVERED["S3 outage"] = time.monotonic() - stopped
    exactly_once(stack, queued_people + late_people, ids, messages_timeout=60)


def test_gunicorn_master_killed_while_phones_upload(stack):
    people = stack.add_people(4)
    ids: list[str] = []
    errors: list[str] = []

    def phone(p):
        challenge, video = None, stack.new_video()
        for _ in range(60):  # a phone retries a failed upload: the same recording to the same address
            try:
                challenge = challenge or stack.challenge(p, timeout=10)
                up = stack.put_video(p, challenge, video, timeout=10)
                if up.status_code == 201:
                    if up.json()["attempt_id"] not in ids:  # a retried upload answers the same attempt
                        ids.append(up.json()["attempt_id"])
                    assert stack.submit(p, up.json()["attempt_id"]).status_code == 202
                    return
            except requests.RequestException as exc:
                errors.append(type(exc).__name__)
            time.sleep(0.5)

    master = stack.supervisor.status()["web"][1]
    threads = [threading.Thread(target=phone, args=(p,)) for p in people]
    for t in threads:
        t.start()
    time.sleep(0.2)
    os.kill(master, signal.SIGKILL)
    killed = time.monotonic()
    for t in threads:
        t.join(timeout=120)
    assert len(ids) == len(people), errors
    stack.wait_finished(ids, timeout=120)
    RECOVERED["gunicorn master kill -9"] = time.monotonic() - killed
    exactly_once(stack, people, ids)
