"""Four gunicorn workers share one access token: they fetch it once, and once more after a rotation."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from fakewechat.server import start_fake
from fakewechat.state import FakeConfig
from tests.conftest import REPO
from tests.servers import free_port, wait_for_port


@pytest.mark.slow
def test_four_gunicorn_workers_fetch_the_token_once(tmp_path, redis_url):
    fake = start_fake(FakeConfig(token_grace_s=0))
    fake.state.menu = {"button": [{"type": "click", "name": "x", "key": "k"}]}
    port = free_port()
    env = dict(os.environ, LIFECERT_INSTANCE_DIR=str(tmp_path), LIFECERT_REDIS_URL=redis_url,
               LIFECERT_WECHAT_API_BASE_URL=fake.url, LIFECERT_LOG_LEVEL="WARNING")
    proc = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-w", "4", "-b", f"127.0.0.1:{port}",
         "--no-control-socket", "tests.integration.wechat.token_wsgi:app"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, timeout=30, proc=proc)
        url = f"http://127.0.0.1:{port}/_test/menu"

        def burst() -> list[int]:
            with ThreadPoolExecutor(16) as pool:
                return list(pool.map(lambda _: requests.get(url, timeout=20).status_code, range(48)))

        time.sleep(1.0)  # let all four workers boot, so the burst really is spread over them
        assert burst() == [200] * 48
        counts = fake.state.counts
        assert (counts["stable_token"], counts["token"]) == (1, 0)

        fake.state.rotate_all()  # another party force-refreshed; the old token is dead at once (grace 0)
        assert burst() == [200] * 48
        assert counts["stable_token"] == 2, counts  # one refetch for all four workers
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        fake.stop()
