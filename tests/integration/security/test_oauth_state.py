"""Issue 11, high: the OAuth ``state`` is random per login and checked (login CSRF).

The attack: an attacker gets a code for *their own* WeChat account and sends the victim
``/h5/certify?code=<attacker's code>&state=h5``. Before the fix the victim's browser was
logged in as the attacker, and whatever the victim then typed (name, ID number) went into
the attacker's account.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

import web.login


@pytest.fixture
def codes(monkeypatch):
    """WeChat's side of the code exchange: code → openid."""
    table = {"attacker-code": "o_attacker", "victim-code": "o_victim"}
    monkeypatch.setattr(web.login, "exchange_code", lambda _settings, code: {"openid": table.pop(code)})
    return table


def _state_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["state"][0]


def test_code_without_our_state_does_not_log_in(client, codes):
    resp = client.get("/h5/certify?code=attacker-code&state=h5")
    assert resp.status_code == 302 and "oauth2/authorize" in resp.headers["Location"]
    with client.session_transaction() as sess:
        assert "wx_user_id" not in sess
    assert "attacker-code" in codes  # never exchanged


def test_code_with_someone_elses_state_does_not_log_in(app, codes):
    attacker, victim = app.test_client(), app.test_client()
    state = _state_of(attacker.get("/h5/certify").headers["Location"])
    resp = victim.get(f"/h5/certify?code=attacker-code&state={state}")
    assert resp.status_code == 302 and "oauth2/authorize" in resp.headers["Location"]
    with victim.session_transaction() as sess:
        assert "wx_user_id" not in sess


def test_state_is_random_per_login_and_round_trips(app, codes):
    one, two = app.test_client(), app.test_client()
    s1, s2 = (_state_of(c.get("/h5/certify").headers["Location"]) for c in (one, two))
    assert s1 != s2 and len(s1) >= 16
    resp = one.get(f"/h5/certify?code=victim-code&state={s1}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/h5/certify")
    assert one.get("/h5/certify").status_code == 200
