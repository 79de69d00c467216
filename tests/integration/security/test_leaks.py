"""Issue 11: no leaks on the way out (logs, errors, exports, messages, replies, headers, redirects)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from certification.names import plain_name
from flows.payments import to_csv, to_xlsx
from logconfig import redact
from storage.db import make_engine

REPO = Path(__file__).resolve().parents[3]


def test_redaction_covers_15_digit_ids_and_plus86_phones_but_not_hex_ids():
    out = redact("old id 110105491231002 phone +8613812345678 or 0086 13912345678")
    assert "110105491231002" not in out and "1101*******1002" in out
    assert "13812345678" not in out and "+86138****5678" in out
    assert "13912345678" not in out
    hex_id = "a3f2110105194912310021b2c4" + "13812345678" + "ff"
    assert redact(f"attempt {hex_id}") == f"attempt {hex_id}"


def test_sql_errors_carry_no_parameters(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (name TEXT UNIQUE)"))
        conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": "张桂兰"})
    with pytest.raises(Exception) as exc:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": "张桂兰"})
    assert "张桂兰" not in str(exc.value)


def test_payment_export_cells_never_run_as_formulas():
    rows = [["暂停发放", '=HYPERLINK("http://evil","点我")', "+1", "-2", "@SUM(A1)", "", "2026-11-01", 0, "", ""]]
    got = list(csv.reader(io.StringIO(to_csv(rows).decode("utf-8-sig"))))[1]
    assert all(c[:1] not in "=+-@" for c in got if c)
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(to_xlsx(rows))).active
    assert all(str(c.value)[:1] not in "=+-@" for c in ws[2] if c.value not in (None, ""))


def test_markup_is_stripped_from_names_in_replies():
    shown = plain_name('<a href="http://x">张三</a>\x07')
    assert not set(shown) & set("<>&\"'\x07") and "张三" in shown


def test_no_template_has_inline_script():
    for path in list((REPO / "web" / "templates").rglob("*.html")) + list((REPO / "console" / "templates").rglob("*.html")):
        for tag in re.findall(r"<script[^>]*>", path.read_text(encoding="utf-8")):
            assert "src=" in tag, f"inline script in {path.relative_to(REPO)}"
        assert not re.search(r"\son[a-z]+=", path.read_text(encoding="utf-8")), f"inline handler in {path}"


@pytest.mark.parametrize("path", ["/h5/certify", "/api/people", "/console/login", "/healthz", "/wechat"])
def test_security_headers_on_every_response(client, path):
    resp = client.get(path)
    csp = resp.headers.get("Content-Security-Policy", "")
    script = next((d for d in csp.split(";") if d.strip().startswith("script-src")), "")
    assert script and "unsafe-inline" not in script
    assert "frame-ancestors 'none'" in csp
    assert resp.headers.get("X-Content-Type-Options") == "nosniff"
    if path.startswith(("/h5/", "/api/", "/console/")):
        assert resp.headers.get("Cache-Control") == "no-store"


def test_request_id_is_validated(client):
    resp = client.get("/healthz", headers={"X-Request-Id": "x" * 500 + "<script>"})
    rid = resp.headers["X-Request-Id"]
    assert len(rid) <= 32 and re.fullmatch(r"[A-Za-z0-9._-]+", rid)
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"


def test_consent_next_is_not_an_open_redirect(app, client):
    services = app.extensions["lifecert"]
    from storage.models import WeChatUser

    with services.db.session() as s:
        user = WeChatUser(oa_openid="o1")
        s.add(user)
        s.flush()
        uid = user.id
    with client.session_transaction() as sess:
        sess["wx_user_id"], sess["wx_ver"] = uid, 0
    for evil in ("https://evil.example/", "//evil.example/", "/h5//evil.example", "/\\evil.example"):
        resp = client.post("/h5/consent", data={"next": evil})
        assert resp.headers["Location"].endswith("/h5/certify"), evil
    assert client.post("/h5/consent", data={"next": "/h5/record/3"}).headers["Location"].endswith("/h5/record/3")


@pytest.mark.parametrize("url,ok", [("http://localhost:8000/phish", False), ("http://127.0.0.1/x", False),
                                    ("https://evil.example/q/abc", False), ("http://weixin.qq.com/q/abc_DEF-1", True)])
def test_qr_png_renders_only_wechat_qr_links(client, url, ok):
    assert client.get("/h5/qr.png", query_string={"u": url}).status_code == (200 if ok else 400)


def test_console_import_body_limit_applies_only_after_login(client):
    resp = client.post("/console/imports/roster", data=b"x" * (30 * 1024 * 1024),
                       headers={"Content-Type": "application/octet-stream"})
    assert resp.status_code == 413
