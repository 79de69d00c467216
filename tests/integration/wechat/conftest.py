"""Fixtures for the WeChat tests: the fake WeChat and the app, each a real HTTP server on loopback."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
import requests
from werkzeug.serving import make_server

from tests.conftest import make_settings

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@dataclass
class Stack:
    """The app and the fake, wired to each other."""

    app: object
    services: object
    fake: object  # fakewechat.server.FakeWeChat
    app_url: str

    @property
    def fake_url(self) -> str:
        return self.fake.url

    def call(self, method: str, path: str, **body):
        resp = requests.request(method, self.fake.url + path, json=body if method == "POST" else None, timeout=30)
        return resp.json()

    def new_user(self, subscribe: bool = True) -> str:
        openid = self.call("POST", "/_fake/users")["openid"]
        if subscribe:
            self.call("POST", f"/_fake/users/{openid}/subscribe")
        return openid

    def last_bot_text(self, openid: str) -> str:
        items = self.call("GET", f"/_fake/users/{openid}/chat")["items"]
        bot = [i for i in items if i["who"] == "bot"]
        return bot[-1].get("text", "") if bot else ""

    def run_worker(self) -> None:
        from rq import Queue, SimpleWorker

        from jobs.context import use_services

        use_services(self.services)
        q = Queue("messages", connection=self.services.redis)
        SimpleWorker([q], connection=self.services.redis).work(burst=True)


def _serve(app, port: int = 0) -> tuple[str, object]:
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def build_stack(tmp_path, redis_url, sms: bool = False, **env) -> tuple[Stack, list]:
    """The app on a real loopback server (its public_base_url is its own address) and the fake."""
    from tests.servers import free_port

    app_port = free_port()
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{app_port}")
    from app import create_app
    from fakewechat.server import FakeWeChat, config_from_settings
    from storage.db import upgrade

    base = make_settings(tmp_path, REDIS_URL=redis_url, **env)
    fake = FakeWeChat(config_from_settings(base.wechat, callback_url="http://127.0.0.1:9/wechat",
                                           sms=base.sms)).start()
    if sms:  # the fake plays the SMS gateway too, and the app is pointed at it
        env["SMS_URL"] = f"{fake.url}/sms/"
    settings = make_settings(tmp_path, REDIS_URL=redis_url, WECHAT_API_BASE_URL=fake.url, **env)
    upgrade(settings.database_url)
    app = create_app(settings)
    app_url, server = _serve(app, app_port)
    fake.state.config.callback_url = app_url + "/wechat"
    fake.state.config.push_timeout_s = 5.0
    stack = Stack(app=app, services=app.extensions["lifecert"], fake=fake, app_url=app_url)
    return stack, [server.shutdown, fake.stop, stack.services.db.engine.dispose]


@pytest.fixture
def stack(tmp_path, redis_url, monkeypatch):
    import flows.outbox

    monkeypatch.setattr(flows.outbox, "BACKOFF_S", (0, 0, 0, 0))
    s, stops = build_stack(tmp_path, redis_url)
    yield s
    for stop in stops:
        stop()


@pytest.fixture
def sms_stack(tmp_path, redis_url, monkeypatch):
    """The stack with the SMS gateway configured (the fake's /sms/)."""
    import flows.outbox

    monkeypatch.setattr(flows.outbox, "BACKOFF_S", (0, 0, 0, 0))
    s, stops = build_stack(tmp_path, redis_url, sms=True)
    yield s
    for stop in stops:
        stop()


@pytest.fixture
def safe_stack(tmp_path, redis_url):
    s, stops = build_stack(tmp_path, redis_url, WECHAT_AES_KEY=AES_KEY)
    yield s
    for stop in stops:
        stop()


@pytest.fixture(autouse=True)
def _forget_recent_users():
    """The endpoint's per-process memory of recently recorded users must not leak between tests."""
    from bot import dedupe

    dedupe._recent.clear()
    yield
    dedupe._recent.clear()
