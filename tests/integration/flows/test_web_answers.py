"""Every input answered: 413 and outages in the shape of the other errors, two uploads racing for one challenge."""

from __future__ import annotations

import io
import shutil
import threading

from sqlalchemy import select

from flows import certify
from storage.models import Attempt
from tests import servers
from tests.integration.flows.test_certify import tiny_mp4  # noqa: F401 - fixture
from tests.recording import ran_timeline


def _login(client, user_id: int) -> None:
    with client.session_transaction() as sess:
        sess["wx_user_id"] = user_id
        sess["wx_ver"] = 0  # a fresh user's session version (web/login.py: sessions can be ended)


class _GatedStream(io.RawIOBase):
    """A request body that waits at ``gate`` before its first byte: both uploads are past every check."""

    def __init__(self, data: bytes, gate: threading.Barrier) -> None:
        self.data, self.gate, self.pos, self.waited = data, gate, 0, False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, pos: int, whence: int = 0) -> int:
        self.pos = pos if whence == 0 else (self.pos + pos if whence == 1 else len(self.data) + pos)
        return self.pos

    def readinto(self, buf) -> int:
        if not self.waited:
            self.waited = True
            self.gate.wait(timeout=10)
        chunk = self.data[self.pos:self.pos + len(buf)]
        buf[:len(chunk)] = chunk
        self.pos += len(chunk)
        return len(chunk)


def test_two_simultaneous_uploads_to_one_challenge_are_one_201_and_one_409(app, world, tiny_mp4):  # noqa: F811
    challenge = certify.start_challenge(world.services, world.self_user_id, world.retiree_id)
    ran_timeline(world.services, challenge.id)
    gate = threading.Barrier(2)
    answers = []

    def upload() -> None:
        client = app.test_client()
        _login(client, world.self_user_id)
        resp = client.put(f"/api/uploads/{challenge.id}", input_stream=_GatedStream(tiny_mp4, gate),
                          content_type="video/mp4", content_length=len(tiny_mp4))
        answers.append((resp.status_code, resp.get_json()))

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(code for code, _ in answers) == [201, 409]
    refused = next(body for code, body in answers if code == 409)
    assert refused["error"] == "challenge_used" and refused["message"]
    with world.services.db.session() as s:
        (attempt,) = s.scalars(select(Attempt).where(Attempt.challenge_id == challenge.id))
    store = world.services.objects.root
    videos = [p for p in store.rglob("*") if p.is_file() and "videos" in p.parts]
    assert [p.name for p in videos] == [attempt.video_key.rsplit("/", 1)[1]]  # no orphan object


def test_a_too_large_upload_is_413_in_the_api_error_shape_and_a_chinese_page_for_h5(client, world):
    _login(client, world.self_user_id)
    resp = client.put("/api/uploads/abc", data=b"\0" * (26 * 1024 * 1024), content_type="video/mp4")
    assert resp.status_code == 413
    body = resp.get_json()
    assert body["error"] == "video_too_large" and "视频" in body["message"]
    page = client.post("/h5/link", data={"name": "张" * (26 * 1024 * 1024 // 3 + 10)})
    assert page.status_code == 413 and page.mimetype == "text/html"
    assert "太大" in page.get_data(as_text=True)


def test_database_down_is_503_with_a_chinese_message(app, client, world):
    _login(client, world.self_user_id)
    assert client.get("/api/people").status_code == 200
    services = app.extensions["lifecert"]
    path = services.db.engine.url.database
    shutil.move(path, path + ".away")  # the database file is gone: every new connection fails
    try:
        import os

        os.mkdir(path)
        services.db.engine.dispose()
        resp = client.get("/api/people")
        assert resp.status_code == 503 and resp.headers["Retry-After"]
        assert resp.get_json()["error"] == "service_unavailable" and "没有丢失" in resp.get_json()["message"]
        page = client.get("/h5/records")
        assert page.status_code == 503 and "请过几分钟再试" in page.get_data(as_text=True)
    finally:
        os.rmdir(path)
        shutil.move(path + ".away", path)


def test_redis_down_is_503_with_a_chinese_message(tmp_path, world, monkeypatch):
    from app import create_app
    from tests.conftest import make_settings

    nowhere = f"redis://127.0.0.1:{servers.free_port()}/0"  # nothing listens there
    settings = make_settings(tmp_path, REDIS_URL=nowhere, INSTANCE_DIR=str(world.services.settings.instance_dir))
    app = create_app(settings)
    client = app.test_client()
    _login(client, world.self_user_id)
    resp = client.post("/api/link", json={"name": "张桂兰", "id_number": world.zhang_id_number})
    assert resp.status_code == 503 and resp.get_json()["error"] == "service_unavailable"
    page = client.post("/h5/link", data={"name": "张桂兰", "id_number": world.zhang_id_number})
    assert page.status_code == 503 and "请过几分钟再试" in page.get_data(as_text=True)
