"""Issue 11: sessions and tokens can be ended; production refuses the published development secrets.

Attacks reproduced: a copied console cookie kept working after logout and after a password
change; mini-program tokens lived 7 days and survived unfollowing, unbinding and logout.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import re

import pytest

import web.login
from bot import accounts
from flows import people
from settings import ConfigError, load_settings
from storage.models import Binding, BindingKind, Retiree, WeChatUser

PASSWORD = "correct horse 12"


@pytest.fixture
def mp_login(client, monkeypatch):
    monkeypatch.setattr(web.login, "code_to_session", lambda _s, code: {"openid": "mini-" + code})

    def login(code: str = "a") -> tuple[str, dict]:
        body = client.post("/api/mp/login", json={"code": code}).get_json()
        return body["token"], body

    return login


def _people(client, token):
    return client.get("/api/people", headers={"Authorization": f"Bearer {token}"}).status_code


def test_token_lifetime_is_short(mp_login):
    _token, body = mp_login()
    assert body["expires_in"] <= 24 * 3600


def test_logout_ends_the_token(client, mp_login):
    token, _ = mp_login()
    assert _people(client, token) == 200
    client.post("/api/logout", headers={"Authorization": f"Bearer {token}"})
    assert _people(client, token) == 401


def test_unfollow_ends_the_token(app, client, mp_login):
    token, _ = mp_login("b")
    services = app.extensions["lifecert"]
    with services.db.session() as s:
        s.query(WeChatUser).filter_by(mini_openid="mini-b").one().oa_openid = "o_b"
    accounts.record(services, "o_b", subscribed=False)
    assert _people(client, token) == 401


def test_unbinding_ends_the_proxys_token(app, client, mp_login):
    token, _ = mp_login("c")
    services = app.extensions["lifecert"]
    from certification.cycle import HARBIN
    from storage.models import Agency

    with services.db.session() as s:
        agency = Agency(code="x", name="x", cycle_policy=HARBIN.to_dict())
        s.add(agency)
        s.flush()
        r = Retiree(agency_id=agency.id, name="张三", id_number_enc=b"x", id_number_index="i", id_number_masked="m",
                    birth_date=dt.date(1950, 1, 1))
        s.add(r)
        s.flush()
        proxy = s.query(WeChatUser).filter_by(mini_openid="mini-c").one()
        own = WeChatUser(oa_openid="o_self")
        s.add(own)
        s.flush()
        s.add(Binding(wechat_user_id=own.id, retiree_id=r.id, kind=BindingKind.self_, created_via="test"))
        b = Binding(wechat_user_id=proxy.id, retiree_id=r.id, kind=BindingKind.family, created_via="test")
        s.add(b)
        s.flush()
        bid, own_id = b.id, own.id
    assert _people(client, token) == 200
    with services.db.session() as s:
        people.revoke_binding(s, bid, s.get(WeChatUser, own_id))
    assert _people(client, token) == 401


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _console_login(client, username="admin1"):
    token = CSRF.search(client.get("/console/login").get_data(as_text=True)).group(1)
    return client.post("/console/login", data={"username": username, "password": PASSWORD, "csrf_token": token})


@pytest.fixture
def admin(app):
    from werkzeug.security import generate_password_hash

    from storage.models import AdminRole, AdminUser, Agency

    with app.extensions["lifecert"].db.session() as s:
        agency = Agency(code="h", name="h", cycle_policy={})
        s.add(agency)
        s.flush()
        s.add(AdminUser(username="admin1", password_hash=generate_password_hash(PASSWORD), role=AdminRole.admin,
                        agency_id=agency.id))
    return app


def _copy_cookie(src, dst):
    cookie = src.get_cookie("session")
    dst.set_cookie("session", cookie.value)


def test_console_logout_ends_a_copied_session(admin):
    app = admin
    browser, thief = app.test_client(), app.test_client()
    assert _console_login(browser).status_code == 302
    _copy_cookie(browser, thief)
    assert thief.get("/console/people").status_code == 200
    with browser.session_transaction() as sess:
        token = sess["csrf"]
    browser.post("/console/logout", data={"csrf_token": token})
    assert thief.get("/console/people").status_code == 302  # back to the login page


def test_password_change_ends_sessions(admin):
    app = admin
    browser = app.test_client()
    assert _console_login(browser).status_code == 302
    result = app.test_cli_runner().invoke(args=["create-admin", "admin1", "--role", "admin", "--agency", "h", "--password",
                                                "another horse 34"])
    assert result.exit_code == 0, result.output
    assert browser.get("/console/people").status_code == 302


def _prod_env(**over):
    env = {
        "LIFECERT_MODE": "production", "LIFECERT_SECRET_KEY": "x" * 40,
        "LIFECERT_DATABASE_URL": "postgresql://u@db/lifecert", "LIFECERT_REDIS_URL": "redis://redis:6379/0",
        "LIFECERT_S3_ENDPOINT": "minio:9000", "LIFECERT_S3_ACCESS_KEY": "a", "LIFECERT_S3_SECRET_KEY": "b",
        "LIFECERT_DATA_KEY": base64.b64encode(os.urandom(32)).decode(),
        "LIFECERT_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
        "LIFECERT_WECHAT_APP_ID": "wx1", "LIFECERT_WECHAT_APP_SECRET": "s", "LIFECERT_WECHAT_TOKEN": "t",
    }
    env.update(over)
    return env


@pytest.mark.parametrize("name,value", [
    ("SECRET_KEY", "dev-secret-key-not-for-production"),
    ("DATA_KEY", base64.b64encode(b"lifecert-dev-data-key-32-bytes!!").decode()),
    ("INDEX_KEY", base64.b64encode(b"lifecert-dev-index-key-32-bytes!").decode()),
    ("WECHAT_APP_SECRET", "dev-app-secret"),
    ("WECHAT_TOKEN", "dev-token"),
])
def test_production_refuses_published_development_secrets(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings(_prod_env(**{f"LIFECERT_{name}": value}))
