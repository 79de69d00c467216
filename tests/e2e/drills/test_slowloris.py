"""Deliverable 3 of issue 13: twenty stalled uploads must not delay /wechat or /healthz beyond 1 s.

Real nginx (the repository's nginx.conf, only addresses and paths changed) in front of
real gunicorn with 2 sync workers (deploy/gunicorn.conf.py). Each slow client declares a
1 MiB video, sends 100 KiB and stalls. nginx buffers request bodies, so the stalled
uploads wait in nginx and never reach a worker. The control run turns buffering off
(the configuration issue 13 found) and shows the same drill does take the service down,
so the drill can fail.
"""

from __future__ import annotations

import time

import pytest
import requests
from itsdangerous import URLSafeTimedSerializer

from flows import certify
from storage.db import upgrade
from tests.conftest import REPO
from tests.e2e.drills import harness
from tests.recording import ran_timeline
from tests.servers import free_port
from wechat.signing import sign

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]

STALLED = 20
DECLARED, SENT = 1024 * 1024, 100 * 1024


def _stall_uploads(port: int, path: str, token: str) -> list:
    socks = []
    for _ in range(STALLED):
        s = harness.tls_socket(port)
        s.sendall((f"PUT {path} HTTP/1.1\r\nHost: lifecert.test\r\nAuthorization: Bearer {token}\r\n"
                   f"Content-Type: video/mp4\r\nContent-Length: {DECLARED}\r\n\r\n").encode())
        s.sendall(b"\0\0\0\x18ftypmp42" + b"\0" * (SENT - 12))
        socks.append(s)
    return socks


def _timed(fn) -> tuple[float, int | None]:
    start = time.monotonic()
    try:
        status = fn().status_code
    except requests.RequestException:
        status = None
    return time.monotonic() - start, status


def _wechat_push(base: str, token: str):
    ts, nonce = str(int(time.time())), f"slowloris{time.time_ns()}"  # a nonce is single use
    xml = (f"<xml><ToUserName>gh_test</ToUserName><FromUserName>o_probe</FromUserName><CreateTime>{ts}</CreateTime>"
           f"<MsgType>text</MsgType><Content>你好</Content><MsgId>{time.time_ns()}</MsgId></xml>")
    return requests.post(f"{base}/wechat", params={"signature": sign(token, ts, nonce), "timestamp": ts, "nonce": nonce},
                         data=xml.encode(), headers={"Content-Type": "text/xml"}, verify=False, timeout=3)


def _drill(tmp_path, world, conf_text: str, rounds: int = 5) -> list[tuple[str, float, int | None]]:
    services = world.services
    settings = services.settings
    upgrade(settings.database_url)
    challenge = certify.start_challenge(services, world.self_user_id, world.retiree_id)
    ran_timeline(services, challenge.id)  # else the upload is refused before its body is read
    token = URLSafeTimedSerializer(settings.secret_key, salt="lifecert-mini-program").dumps([world.self_user_id, 0])
    env = harness.product_env({"LIFECERT_INSTANCE_DIR": str(settings.instance_dir),
                               "LIFECERT_REDIS_URL": settings.redis_url})
    port = free_port()
    gunicorn = harness.start_gunicorn(env, port, workers=2, log=tmp_path / "gunicorn.log")
    nginx = harness.start_nginx(tmp_path / "nginx", port, conf_text)
    socks = []
    try:
        base = nginx.url
        assert requests.get(base + "/healthz", verify=False, timeout=5).status_code == 200
        socks = _stall_uploads(nginx.https_port, f"/api/uploads/{challenge.id}", token)
        time.sleep(1.0)  # the stalled bodies have reached whatever they will hold
        timings = []
        for _ in range(rounds):
            timings.append(("healthz", *_timed(lambda: requests.get(base + "/healthz", verify=False, timeout=3))))
            timings.append(("wechat", *_timed(lambda: _wechat_push(base, settings.wechat.token))))
        return timings
    finally:
        for s in socks:
            s.close()
        nginx.stop()
        harness.stop_group(gunicorn)


def test_twenty_stalled_uploads_leave_wechat_and_healthz_answering_within_a_second(tmp_path, world):
    timings = _drill(tmp_path, world, (REPO / "nginx.conf").read_text())
    worst = max(t for _, t, _ in timings)
    print(f"\nslowloris ({STALLED} stalled uploads): worst /healthz or /wechat {worst * 1000:.0f} ms over "
          f"{len(timings)} requests")
    assert all(status == 200 for _, _, status in timings), timings
    assert worst < 1.0, timings


def test_control_without_request_buffering_the_same_drill_takes_the_service_down(tmp_path, world):
    text = (REPO / "nginx.conf").read_text()
    assert "proxy_request_buffering on;" in text
    timings = _drill(tmp_path, world, text.replace("proxy_request_buffering on;", "proxy_request_buffering off;"),
                   rounds=1)
    assert any(status is None or t >= 1.0 for _, t, status in timings), timings
