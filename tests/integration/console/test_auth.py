"""Console login: hashed passwords, lock-out, CSRF on every POST, expiring sessions, roles and scope."""

from __future__ import annotations

import time

from sqlalchemy import select

from storage.models import AuditLog
from tests.integration.console.conftest import csrf_of, login, post


def actions(world) -> list[str]:
    with world.services.db.session() as s:
        return list(s.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_login_wrong_password_then_right(client, world):
    assert client.get("/console/").status_code == 302
    bad = login(client, "admin1", "wrong password!")
    assert bad.status_code == 401 and "用户名或密码不对" in bad.get_data(as_text=True)
    ok = login(client, "admin1")
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/console/")
    page = client.get("/console/")
    assert page.status_code == 200 and "本周期" in page.get_data(as_text=True)
    assert actions(world)[:2] == ["console.login_failed", "console.login"]


def test_five_failures_lock_the_name(client, world):
    for _ in range(5):
        login(client, "admin1", "nope nope nope")
    locked = login(client, "admin1")
    assert locked.status_code == 401 and "15 分钟" in locked.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(as_admin, world):
    assert as_admin.post("/console/cycle/run").status_code == 400
    assert as_admin.post("/console/login", data={"username": "admin1", "password": "x"}).status_code == 400
    assert post(as_admin, "/console/logout").status_code == 302
    assert as_admin.get("/console/").status_code == 302  # logged out


def test_idle_session_expires(as_admin):
    with as_admin.session_transaction() as sess:
        sess["seen_at"] = int(time.time()) - 31 * 60
    response = as_admin.get("/console/")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    assert "登录已超时" in as_admin.get("/console/login").get_data(as_text=True)


def test_roles_limit_what_each_user_does(client, world):
    login(client, "staff1")
    assert client.get("/console/imports").status_code == 403
    assert client.get("/console/review").status_code == 403
    assert client.get("/console/campaigns").status_code == 403
    assert client.get("/console/people").status_code == 200
    client.get("/console/login")
    post(client, "/console/logout")
    login(client, "reviewer1")
    assert client.get("/console/review").status_code == 200
    assert client.get("/console/cycle").status_code == 403


def test_pages_are_not_cached_and_refuse_framing(as_admin):
    response = as_admin.get("/console/people")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_csrf_token_is_per_session(client, world):
    first = csrf_of(client)
    client2 = client.application.test_client()
    assert csrf_of(client2) != first
