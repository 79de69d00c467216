"""A production-shaped stack for the drills, every part a real process except the fake WeChat.

PostgreSQL, Redis (no AOF) and S3 (SeaweedFS) of their own, so a drill may stop and
restart them on the same ports; the fake WeChat on a loopback HTTP server in this
process; and supervisord (deploy/supervisord.conf) running gunicorn, two rq workers,
the dedicated scheduler and rq cron. Certifications go through the HTTP API of the
real gunicorn with real face videos and the real models, exactly as a phone sends them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import secrets
import subprocess
import time
from collections import Counter
from pathlib import Path

import requests
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select, update

from bootstrap import build_services
from certification.cycle import HARBIN
from flows.people import CONSENT_VERSION
from storage.db import upgrade
from storage.models import (
    Agency,
    Attempt,
    Binding,
    BindingKind,
    Certification,
    Challenge,
    Consent,
    EnrollmentPhoto,
    Notification,
    Retiree,
    WeChatUser,
)
from storage.personal_data import FieldCipher
from tests import servers
from tests.conftest import make_settings
from tests.e2e.drills import harness
from tests.idnumbers import make_id

SHOWN_ACTIONS = ["turn_left", "open_mouth"]
RECOVERY_INTERVAL_S = 2  # the cron's recover-attempts period in the drills (production: 60)
RECOVERY_AFTER_S = 8  # a queued attempt with no job this old is queued again; a running one at 2x


def unique_video(video: bytes) -> bytes:
    """The recording plus a trailing ISO-BMFF ``free`` box: decodes the same, new bytes (no replay refusal)."""
    pad = secrets.token_bytes(16)
    return video + (8 + len(pad)).to_bytes(4, "big") + b"free" + pad


@dataclasses.dataclass
class Stack:
    tmp: Path
    postgres: servers.Server
    redis: servers.Server
    s3: servers.Server
    fake: object
    supervisor: harness.Supervisor
    services: object
    app_url: str
    video: bytes
    template: bytes
    agency_id: int = 0
    people: list = dataclasses.field(default_factory=list)  # (retiree_id, user_id, openid, token)
    make_video: object = None  # () -> bytes; default: the whole recording made unique

    # --- the world ---------------------------------------------------------------------------------
    def add_people(self, n: int) -> list[tuple[int, int, str, str]]:
        cipher = FieldCipher(self.services.settings.data_key, self.services.settings.index_key)
        signer = URLSafeTimedSerializer(self.services.settings.secret_key, salt="lifecert-mini-program")
        added = []
        with self.services.db.session() as s:
            for _ in range(n):
                k = len(self.people) + len(added)
                number = make_id("230102", f"19{40 + k % 20:02d}0{1 + k % 9}1{k % 9}", f"{k % 1000:03d}")
                r = Retiree(agency_id=self.agency_id, name=f"测试{k}", id_number_enc=cipher.encrypt(number, b"id_number"),
                            id_number_index=cipher.blind_index(number, b"id_number"),
                            id_number_masked=number[:4] + "*" * 10 + number[-4:], birth_date=dt.date(1950, 1, 1))
                s.add(r)
                s.flush()
                s.add(EnrollmentPhoto(retiree_id=r.id, object_key=f"photos/{r.id}.jpg", template=self.template,
                                      template_model="dlib_resnet_v1", source="test"))
                s.add(Certification(retiree_id=r.id, method="on_site", certified_on=dt.date(2025, 5, 20)))
                openid = f"o_drill_{secrets.token_hex(6)}"
                with self.fake.state.lock:
                    self.fake.state.member(openid).subscribed = True
                u = WeChatUser(oa_openid=openid, subscribed=True)
                s.add(u)
                s.flush()
                s.add(Consent(wechat_user_id=u.id, text_version=CONSENT_VERSION))
                s.add(Binding(wechat_user_id=u.id, retiree_id=r.id, kind=BindingKind.self_, created_via="test"))
                added.append((r.id, u.id, openid, signer.dumps([u.id, u.session_version or 0])))  # web/login.py's token
        self.people += added
        return added

    # --- a phone -------------------------------------------------------------------------------------
    def challenge(self, person, timeout: float = 30) -> dict:
        """A challenge for ``person``, set to what the drills' clip shows.

        The clip shows one order of actions and was not recorded against a light sequence, so the
        challenge keeps the order-only check (its timeline is cleared, as in tests/integration/flows): the drills
        are about processes dying, not about liveness (tests/integration/flows/test_bound_challenge.py is).
        """
        retiree_id, _, _, token = person
        ch = requests.post(f"{self.app_url}/api/challenges", json={"retiree_id": retiree_id},
                           headers={"Authorization": f"Bearer {token}"}, timeout=timeout)
        assert ch.status_code == 201, ch.text
        body = ch.json()
        with self.services.db.session() as s:
            s.execute(update(Challenge).where(Challenge.id == body["challenge_id"])
                      .values(actions=SHOWN_ACTIONS, timeline=None))
        return body

    def put_video(self, person, challenge: dict, video: bytes, timeout: float = 30) -> requests.Response:
        return requests.put(self.app_url + challenge["upload_url"], data=video,
                            headers={"Authorization": f"Bearer {person[3]}", "Content-Type": "video/mp4"},
                            timeout=timeout)

    def new_video(self) -> bytes:
        return self.make_video() if self.make_video else unique_video(self.video)

    def upload(self, person, timeout: float = 30) -> requests.Response:
        return self.put_video(person, self.challenge(person, timeout), self.new_video(), timeout)

    def submit(self, person, attempt_id: str) -> requests.Response:
        return requests.post(f"{self.app_url}/api/attempts/{attempt_id}/submit",
                             headers={"Authorization": f"Bearer {person[3]}"}, timeout=30)

    def certify(self, person) -> str:
        up = self.upload(person)
        assert up.status_code == 201, up.text
        sub = self.submit(person, up.json()["attempt_id"])
        assert sub.status_code == 202, sub.text
        return up.json()["attempt_id"]

    # --- counting --------------------------------------------------------------------------------------
    def attempt_statuses(self, ids) -> dict[str, str]:
        with self.services.db.session() as s:
            return {a.id: a.status.value for a in s.scalars(select(Attempt).where(Attempt.id.in_(list(ids))))}

    def wait_finished(self, ids, timeout: float) -> float:
        start = time.monotonic()
        while True:
            st = self.attempt_statuses(ids)
            if len(st) == len(ids) and all(v not in ("queued", "running") for v in st.values()):
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise AssertionError(f"attempts not finished after {timeout} s: {st}\n" + self.supervisor.logs())
            time.sleep(0.25)

    def face_certifications(self, retiree_ids) -> Counter:
        with self.services.db.session() as s:
            rows = s.execute(select(Certification.retiree_id, func.count()).where(
                Certification.retiree_id.in_(list(retiree_ids)), Certification.method == "face")
                .group_by(Certification.retiree_id)).all()
        return Counter({r: c for r, c in rows})

    def templates_received(self, openids) -> Counter:
        with self.fake.state.lock:
            return Counter(t["touser"] for t in self.fake.state.templates if t["touser"] in set(openids))

    def wait_messages(self, openids, timeout: float) -> Counter:
        deadline = time.monotonic() + timeout
        while True:
            got = self.templates_received(openids)
            if all(got[o] >= 1 for o in openids) or time.monotonic() > deadline:
                time.sleep(1.0)  # a duplicate would show up right behind
                return self.templates_received(openids)
            time.sleep(0.25)

    def notification_states(self, openids) -> Counter:
        with self.services.db.session() as s:
            return Counter(s.scalars(select(Notification.status).where(Notification.openid.in_(list(openids)))))

    # --- faults ------------------------------------------------------------------------------------------
    def restart_redis(self) -> None:
        self.redis.stop()
        self.redis = servers.start_redis(self.redis.workdir, port=self.redis.port)

    def restart_postgres(self, down_s: float = 2.0) -> None:
        self._restart_pg(self.postgres, down_s)

    @classmethod
    def _restart_pg(cls, postgres, down_s: float = 0.0) -> None:
        pgbin = servers._pg_bin()
        data = postgres.workdir / "data"
        cls._pg([str(pgbin / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        time.sleep(down_s)
        opts = (f"-p {postgres.port} -k {postgres.workdir} -c listen_addresses=127.0.0.1")
        cls._pg([str(pgbin / "pg_ctl"), "-D", str(data), "-l", str(postgres.workdir / "server.log"), "-w",
                  "-o", opts, "start"])

    @staticmethod
    def _pg(cmd: list[str]) -> None:
        if os.geteuid() == 0:
            cmd = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{c}'" for c in cmd)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop_s3(self) -> None:
        self.s3.stop()

    def start_s3(self) -> None:
        log = open(self.s3.workdir / "weed.log", "ab")
        self.s3.proc = subprocess.Popen(self.s3.proc.args, stdout=log, stderr=subprocess.STDOUT, cwd=self.s3.workdir)
        servers.wait_for_port(self.s3.port, timeout=30, proc=self.s3.proc)


def build(tmp: Path, shared_dir: Path, template: bytes, video_path: str, workers: int = 2) -> Stack:
    from fakewechat.server import FakeWeChat, config_from_settings

    postgres = servers.start_postgres()
    # restarted at once without the test cluster's fsync=off / synchronous_commit=off: the PostgreSQL
    # drill needs durable settings (an immediate stop must not lose acknowledged commits)
    Stack._restart_pg(postgres)
    redis = servers.start_redis(tmp / "redis")
    s3 = servers.start_seaweedfs(tmp / "s3")
    app_port = servers.free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    base = make_settings(tmp)
    fake = FakeWeChat(config_from_settings(base.wechat, callback_url=app_url + "/wechat")).start()
    db_url = servers.create_pg_database(postgres, "lifecert")
    env = {"DATABASE_URL": db_url, "REDIS_URL": redis.url, "OBJECT_STORE": "s3", "S3_ENDPOINT": s3.url,
           "S3_ACCESS_KEY": s3.extra["access_key"], "S3_SECRET_KEY": s3.extra["secret_key"], "S3_BUCKET": "lifecert",
           "WECHAT_API_BASE_URL": fake.url, "VISION_MODELS_DIR": str(shared_dir / "models"),
           "INSTANCE_DIR": str(tmp / "instance"), "PUBLIC_BASE_URL": app_url,
           "RECOVERY_INTERVAL_S": str(RECOVERY_INTERVAL_S), "RECOVERY_AFTER_S": str(RECOVERY_AFTER_S)}
    settings = make_settings(tmp, **env)
    upgrade(settings.database_url)
    services = build_services(settings)
    services.objects.ensure_bucket()
    with services.db.session() as s:
        agency = Agency(code="harbin", name="哈尔滨市社保中心", cycle_policy=HARBIN.to_dict())
        s.add(agency)
        s.flush()
        agency_id = agency.id
    sup = harness.start_supervisor(tmp / "run", harness.product_env({f"LIFECERT_{k}": v for k, v in env.items()}),
                                   app_port, workers=workers)
    stack = Stack(tmp, postgres, redis, s3, fake, sup, services, app_url, (shared_dir / video_path).read_bytes(),
                  template, agency_id)
    sup.wait_running(["web", "scheduler", "cron"] + [f"worker:worker-{i}" for i in range(workers)])
    servers.wait_for_port(app_port, timeout=60)
    return stack


def tear_down(stack: Stack) -> None:
    stack.supervisor.stop()
    stack.fake.stop()
    stack.services.db.engine.dispose()
    stack.s3.stop()
    stack.redis.stop()
    stack.postgres.extra["stop"]()
