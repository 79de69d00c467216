"""Deliverable 8 of issue 13: two worker hosts, one dies, the other finishes everything.

Three "hosts", each its own network namespace (tests/e2e/drills/netns.py): the data host
holds PostgreSQL, Redis, S3 (SeaweedFS), the fake WeChat, gunicorn and rq cron on a
bridge at 10.77.0.1; worker hosts 1 and 2 reach it over veth links and run
``deploy/supervisord.conf`` with ``LIFECERT_WEB=false LIFECERT_CRON=false`` (one rq
worker and a scheduler each), exactly as README's N-host layout. Certifications go
through the HTTP API; host 1 is killed (every process SIGKILLed at once) while it holds
a job, and host 2 must finish every attempt: one certification and one message each.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import time

import pytest
from rq import Worker

from bootstrap import build_services
from certification.cycle import HARBIN
from storage.db import upgrade
from storage.models import Agency
from tests import servers
from tests.conftest import make_settings
from tests.e2e.drills import harness, netns
from tests.e2e.drills import stack as drill_stack
from tests.e2e.drills.test_drills import exactly_once
from tests.phone_stack import VIDEO, enrolled_template  # noqa: F401 - fixture

pytestmark = pytest.mark.slow


def _needs_root_and_ip() -> None:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        raise RuntimeError("the two-host drill creates network namespaces: run it as root with iproute2 installed")


def _drill(tmp, shared_dir, template, hosts: netns.Hosts) -> dict:
    from fakewechat.server import FakeWeChat, config_from_settings

    data_ip = netns.DATA_IP
    started: list = []
    try:
        postgres = servers.start_postgres(listen="*")
        started.append(postgres.extra["stop"])
        redis = servers.start_redis(tmp / "redis", bind="0.0.0.0")
        started.append(redis.stop)
        s3 = servers.start_seaweedfs(tmp / "s3", ip=data_ip, bind="0.0.0.0")
        started.append(s3.stop)
        app_port = servers.free_port()
        base = make_settings(tmp)
        config = dataclasses.replace(config_from_settings(base.wechat, callback_url=f"http://127.0.0.1:{app_port}/wechat"),
                                     host="0.0.0.0")
        fake = FakeWeChat(config).start()
        started.append(fake.stop)
        db_url = servers.create_pg_database(postgres, "lifecert").replace("127.0.0.1", data_ip)
        env = {"DATABASE_URL": db_url, "REDIS_URL": f"redis://{data_ip}:{redis.port}/0", "OBJECT_STORE": "s3",
               "S3_ENDPOINT": f"{data_ip}:{s3.port}", "S3_ACCESS_KEY": s3.extra["access_key"],
               "S3_SECRET_KEY": s3.extra["secret_key"], "S3_BUCKET": "lifecert",
               "WECHAT_API_BASE_URL": f"http://{data_ip}:{fake.port}", "VISION_MODELS_DIR": str(shared_dir / "models"),
               "INSTANCE_DIR": str(tmp / "instance"), "PUBLIC_BASE_URL": f"http://127.0.0.1:{app_port}",
               "RECOVERY_INTERVAL_S": str(drill_stack.RECOVERY_INTERVAL_S),
               "RECOVERY_AFTER_S": str(drill_stack.RECOVERY_AFTER_S)}
        settings = make_settings(tmp, **env)
        upgrade(settings.database_url)
        services = build_services(settings)
        started.append(services.db.engine.dispose)
        services.objects.ensure_bucket()
        with services.db.session() as s:
            agency = Agency(code="harbin", name="哈尔滨市社保中心", cycle_policy=HARBIN.to_dict())
            s.add(agency)
            s.flush()
            agency_id = agency.id
        penv = harness.product_env({f"LIFECERT_{k}": v for k, v in env.items()})
        web = harness.start_gunicorn(penv, app_port, workers=2, log=tmp / "web.log")
        started.append(lambda: harness.stop_group(web))
        cron = subprocess.Popen([str(harness.BIN / "rq"), "cron", "--url", penv["LIFECERT_REDIS_URL"], "jobs/cron.py"],
                                cwd=harness.REPO, env=penv, stdout=open(tmp / "cron.log", "ab"),
                                stderr=subprocess.STDOUT, start_new_session=True)
        started.append(lambda: harness.stop_group(cron))
        sups = {}
        for host in hosts.hosts:
            sup = harness.start_supervisor(tmp / host, penv, workers=1, web=False, cron=False,
                                           prefix=netns.netns_exec(host))
            started.append(sup.stop)
            sups[host] = sup
        for sup in sups.values():
            sup.wait_running(["worker:worker-0", "scheduler"])
        h1, h2 = hosts.hosts
        stack = drill_stack.Stack(tmp, postgres, redis, s3, fake, sups[h2], services, f"http://127.0.0.1:{app_port}",
                                  (shared_dir / VIDEO).read_bytes(), template, agency_id)

        warm = stack.add_people(2)  # both hosts load their models
        warm_ids = [stack.certify(p) for p in warm]
        stack.wait_finished(warm_ids, timeout=240)

        people = stack.add_people(6)
        ids = [stack.certify(p) for p in people]
        h1_pids = set(hosts.pids(h1))
        deadline = time.monotonic() + 120
        while True:
            busy = [w for w in Worker.all(connection=services.redis)
                    if w.pid in h1_pids and (w.get_current_job_id() or "").removeprefix("verify-") in ids]
            if busy:
                break
            assert time.monotonic() < deadline, "host 1 never took a job"
            time.sleep(0.02)
        killed_at = time.monotonic()
        assert hosts.kill_host(h1) > 0
        while [p for p in hosts.pids(h1) if harness.alive(p)]:  # SIGKILL takes effect within moments
            assert time.monotonic() - killed_at < 10, "processes of host 1 survived SIGKILL"
            hosts.kill_host(h1)
            time.sleep(0.1)
        stack.wait_finished(ids, timeout=240)
        recovered = time.monotonic() - killed_at
        exactly_once(stack, warm + people, warm_ids + ids, messages_timeout=60)
        return {"recovered_s": recovered, "certified": len(ids)}
    finally:
        for stop in reversed(started):
            try:
                stop()
            except Exception:  # noqa: BLE001 - keep tearing the rest down
                pass


def test_second_host_finishes_everything_when_the_first_dies(tmp_path, shared_dir, enrolled_template):
    _needs_root_and_ip()
    hosts = netns.Hosts(2).create()
    try:
        result = netns.run_in_netns(hosts.data, _drill, tmp_path, shared_dir, enrolled_template, hosts)
    finally:
        hosts.delete()
    print(f"\ntwo hosts: host 1 killed mid-job; host 2 finished {result['certified']} attempts "
          f"{result['recovered_s']:.1f} s later")
