"""/wechat on its own (Flask test client): signatures, official vectors, hostile input, de-duplication."""

from __future__ import annotations

import time

import pytest
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from fakewechat.phone import build_xml
from tests.conftest import make_settings
from wechat.signing import sign

# Vector C (reference §2.1): Tencent's official Python sample, nobody on this team wrote it.
OFFICIAL = dict(token="spamtest", aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", app_id="wx2c2769f8efd9abc2",
                timestamp="1409735669", nonce="1320562132", msg_signature="5d197aaffba7e9b25a30732f161a50dee96bd5fa")
OFFICIAL_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9"
    "FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3y"
    "t+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v"
    "6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=")


@pytest.fixture
def official_app(tmp_path, redis_url, monkeypatch):
    from app import create_app
    from storage.db import upgrade

    settings = make_settings(tmp_path, REDIS_URL=redis_url, WECHAT_TOKEN=OFFICIAL["token"],
                             WECHAT_AES_KEY=OFFICIAL["aes_key"], WECHAT_APP_ID=OFFICIAL["app_id"])
    upgrade(settings.database_url)
    monkeypatch.setattr("wechat.signing.now", lambda: int(OFFICIAL["timestamp"]))  # the sample is from 2014
    app = create_app(settings)
    yield app
    app.extensions["lifecert"].db.engine.dispose()


def test_official_tencent_sample_decrypts_through_our_endpoint(official_app, monkeypatch):
    seen = []
    import bot.replies

    real = bot.replies.respond
    monkeypatch.setattr(bot.replies, "respond", lambda services, msg: seen.append(msg) or real(services, msg))
    t, n = OFFICIAL["timestamp"], OFFICIAL["nonce"]
    query = {"signature": sign(OFFICIAL["token"], t, n), "timestamp": t, "nonce": n, "encrypt_type": "aes",
             "msg_signature": OFFICIAL["msg_signature"]}
    body = f"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[{OFFICIAL_ENCRYPT}]]></Encrypt></xml>"
    resp = official_app.test_client().post("/wechat", query_string=query, data=body)
    assert resp.status_code == 200
    msg = seen[0]
    assert (msg.type, msg.content, msg.source, msg.id) == ("text", "abcdteT", "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
                                                           6054768590064713728)
    # The reply is encrypted for the same account and signed: WeChat's own library opens it.
    crypto = WeChatCrypto(OFFICIAL["token"], OFFICIAL["aes_key"], OFFICIAL["app_id"])
    from defusedxml import ElementTree

    root = ElementTree.fromstring(resp.data)
    plain = crypto.decrypt_message(resp.data, root.findtext("MsgSignature"), root.findtext("TimeStamp"),
                                   root.findtext("Nonce"))
    reply = parse_message(plain)
    assert reply.source == "gh_10f6c3c3ac5a" and reply.target == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"


def test_official_sample_with_wrong_msg_signature_is_refused(official_app, monkeypatch):
    called = []
    monkeypatch.setattr("bot.replies.respond", lambda *a: called.append(a))
    t, n = OFFICIAL["timestamp"], OFFICIAL["nonce"]
    query = {"signature": sign(OFFICIAL["token"], t, n), "timestamp": t, "nonce": n, "encrypt_type": "aes",
             "msg_signature": "0" * 40}
    body = f"<xml><ToUserName>x</ToUserName><Encrypt><![CDATA[{OFFICIAL_ENCRYPT}]]></Encrypt></xml>"
    assert official_app.test_client().post("/wechat", query_string=query, data=body).status_code == 403
    assert called == []


def _signed(token: str = "dev-token", ts: str | None = None, nonce: str = "123") -> dict:
    ts = ts or str(int(time.time()))
    return {"signature": sign(token, ts, nonce), "timestamp": ts, "nonce": nonce}


def _text(content: str = "帮助", msgid: int = 1, openid: str = "oUser1") -> str:
    return build_xml({"ToUserName": "gh_x", "FromUserName": openid, "CreateTime": int(time.time()),
                      "MsgType": "text", "Content": content, "MsgId": msgid})


def test_url_verification_echoes_only_when_signed(client):
    assert client.get("/wechat", query_string={**_signed(), "echostr": "e123"}).data == b"e123"
    bad = {**_signed(), "signature": "f" * 40, "echostr": "e123"}
    assert client.get("/wechat", query_string=bad).status_code == 403


@pytest.mark.parametrize("mutate", [
    lambda q: q.update(signature="0" * 40),
    lambda q: q.pop("signature"),
    lambda q: q.update(nonce="other"),
    lambda q: q.update(timestamp=str(int(time.time()) - 3600), signature=sign("dev-token", str(int(time.time()) - 3600), q["nonce"])),
], ids=["wrong", "missing", "tampered-nonce", "stale-timestamp"])
def test_forged_or_replayed_push_is_refused_and_nothing_processed(client, monkeypatch, mutate):
    called = []
    monkeypatch.setattr("bot.replies.respond", lambda *a: called.append(a))
    query = _signed()
    mutate(query)
    assert client.post("/wechat", query_string=query, data=_text()).status_code == 403
    assert called == []


XXE = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       '<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>'
       '<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>5</MsgId></xml>')
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % ("" if i == 1 else i - 1)) * 10}">' for i in range(1, 10))
          + ']><xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>'
          '<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>6</MsgId></xml>')


@pytest.mark.parametrize("body", [XXE, LAUGHS, "<xml><unclosed>", "not xml", "<other/>",
                                  "<xml><MsgType>text</MsgType></xml>"],
                         ids=["xxe", "billion-laughs", "broken", "text", "wrong-root", "missing-fields"])
def test_hostile_or_malformed_xml_is_400(client, monkeypatch, body):
    called = []
    monkeypatch.setattr("bot.replies.respond", lambda *a: called.append(a))
    assert client.post("/wechat", query_string=_signed(), data=body).status_code == 400
    assert called == []


def test_oversized_body_is_413(client):
    big = _text("字" * 40000)
    assert client.post("/wechat", query_string=_signed(), data=big).status_code == 413


def test_plaintext_text_gets_a_chinese_reply_and_a_retry_is_processed_once(client, monkeypatch):
    import bot.replies

    calls = []
    real = bot.replies.respond
    monkeypatch.setattr(bot.replies, "respond", lambda s, m: calls.append(m.id) or real(s, m))
    body = _text("帮助", msgid=424242)
    first = client.post("/wechat", query_string=_signed(), data=body)
    again = client.post("/wechat", query_string=_signed(nonce="456"), data=body)
    assert first.status_code == again.status_code == 200
    assert parse_message(first.data).content == parse_message(again.data).content
    assert "认证" in parse_message(first.data).content
    assert calls == [424242]


def test_events_are_deduplicated_by_sender_and_create_time(client, monkeypatch):
    import bot.replies

    calls = []
    monkeypatch.setattr(bot.replies, "respond", lambda s, m: calls.append(m.event) or "好")
    xml = build_xml({"ToUserName": "gh", "FromUserName": "oE", "CreateTime": 1700000000, "MsgType": "event",
                     "Event": "CLICK", "EventKey": "FAQ"})
    for nonce in ("1", "2", "3"):
        assert client.post("/wechat", query_string=_signed(nonce=nonce), data=xml).status_code == 200
    assert calls == ["click"]


# Event and message samples from WeChat's documentation, as wechatpy's own tests use them.
DOC_SAMPLES = {
    "subscribe_scan": """<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName>
<CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>
<EventKey><![CDATA[qrscene_123123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket></xml>""",
    "scan": """<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName>
<CreateTime>123456790</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event>
<EventKey><![CDATA[SCENE_VALUE]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket></xml>""",
    "templatesendjobfinish": """<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>
<FromUserName><![CDATA[oia2TjuEGTNoeX76QEjQNrcURxG8]]></FromUserName><CreateTime>1395658920</CreateTime>
<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>200163836</MsgID>
<Status><![CDATA[success]]></Status></xml>""",
    "video": """<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>
<CreateTime>1357290913</CreateTime><MsgType><![CDATA[video]]></MsgType><MediaId><![CDATA[media_id]]></MediaId>
<ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId><MsgId>1234567890123456</MsgId></xml>""",
    "scancode_waitmsg": """<xml><ToUserName><![CDATA[gh_e136c6e50636]]></ToUserName>
<FromUserName><![CDATA[oMgHVjngRipVsoxg6TuX3vz6glDg]]></FromUserName><CreateTime>1408090606</CreateTime>
<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[scancode_waitmsg]]></Event><EventKey><![CDATA[6]]></EventKey>
<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[2]]></ScanResult></ScanCodeInfo></xml>""",
    "unsubscribe": """<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName>
<CreateTime>123456791</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event></xml>""",
}


@pytest.mark.parametrize("name", list(DOC_SAMPLES))
def test_wechat_documentation_samples_parse_and_get_an_answer(client, name):
    resp = client.post("/wechat", query_string=_signed(), data=DOC_SAMPLES[name].encode())
    assert resp.status_code == 200
    if name in ("subscribe_scan", "scan", "video"):
        reply = parse_message(resp.data)
        assert reply.source == "toUser" and reply.content
    else:
        assert resp.data == b"success"


def test_slow_reply_answers_success_in_time_and_follows_as_customer_service(tmp_path, redis_url, monkeypatch):
    from app import create_app
    from storage.db import upgrade
    from storage.models import Notification

    settings = make_settings(tmp_path, REDIS_URL=redis_url, WECHAT_REPLY_BUDGET_S="0.3")
    upgrade(settings.database_url)
    app = create_app(settings)
    done = []

    def slow(services, msg):
        time.sleep(3.0)  # far beyond the 0.3 s budget, so a loaded machine cannot blur the difference
        done.append(1)
        return "查好了"

    monkeypatch.setattr("bot.replies.respond", slow)
    started = time.monotonic()
    resp = app.test_client().post("/wechat", query_string=_signed(), data=_text("查询", msgid=99))
    assert resp.data == b"success" and time.monotonic() - started < 2.5  # did not wait for the reply
    deadline = time.monotonic() + 15
    while not done or time.monotonic() < deadline:
        with app.extensions["lifecert"].db.session() as s:
            rows = s.query(Notification).all()
        if rows:
            break
        time.sleep(0.1)
    assert [(r.channel, r.payload["text"], r.openid) for r in rows] == [("custom", "查好了", "oUser1")]


# --- issue 11: downgrade and replay ------------------------------------------------------------


def test_with_an_aes_key_a_plaintext_push_is_refused(tmp_path, redis_url, monkeypatch):
    from app import create_app
    from storage.db import upgrade

    settings = make_settings(tmp_path, REDIS_URL=redis_url, WECHAT_AES_KEY=OFFICIAL["aes_key"])
    upgrade(settings.database_url)
    app = create_app(settings)
    called = []
    monkeypatch.setattr("bot.replies.respond", lambda *a: called.append(a))
    resp = app.test_client().post("/wechat", query_string=_signed(), data=_text("查询"))
    assert resp.status_code == 403 and called == []
    app.extensions["lifecert"].db.engine.dispose()


def test_a_captured_signature_does_not_sign_another_body(client, monkeypatch):
    import bot.replies

    seen = []
    real = bot.replies.respond
    monkeypatch.setattr(bot.replies, "respond", lambda s, m: seen.append(m.source) or real(s, m))
    query = _signed(nonce="777")
    assert client.post("/wechat", query_string=query, data=_text("帮助", msgid=1, openid="oVictim")).status_code == 200
    forged = client.post("/wechat", query_string=query, data=_text("查询", msgid=2, openid="oVictim"))
    assert forged.status_code == 403
    assert seen == ["oVictim"]
    # WeChat's own retry (same signature, same body) is still answered
    assert client.post("/wechat", query_string=query, data=_text("帮助", msgid=1, openid="oVictim")).status_code == 200
