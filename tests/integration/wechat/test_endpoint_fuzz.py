"""A fuzzer of validly signed /wechat bodies: whatever passes the signature is answered 200 or 400, never 500.

Deterministic (seeded) mixes of what the issue's fuzzing found: null / list / dict ids (nested
elements), non-object JSON and other non-XML, deep nesting, integers far beyond 64 bits, NUL
bytes, nested or duplicated XML elements, UTF-16 bodies, and every event and message type with
odd field values.
"""

from __future__ import annotations

import collections
import random
import time

from wechat.signing import sign

FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event", "EventKey",
          "MsgID", "Status", "Ticket", "Latitude", "Longitude", "Precision", "PicUrl", "MediaId", "Location_X",
          "Location_Y", "Scale", "Label", "Url", "Title", "Description", "Format", "Recognition", "ThumbMediaId")
TYPES = ("text", "image", "voice", "video", "shortvideo", "location", "link", "event", "device_text", "unknown", "")
EVENTS = ("subscribe", "unsubscribe", "SCAN", "CLICK", "VIEW", "LOCATION", "TEMPLATESENDJOBFINISH",
          "view_miniprogram", "scancode_push", "pic_weixin", "location_select", "MASSSENDJOBFINISH", "weird")
HUGE = ("9" * 40, "-" + "9" * 30, "18446744073709551616", "9223372036854775808", "1e400", "NaN", "0x10", "")


def _value(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.25:
        return rng.choice(HUGE)
    if pick < 0.35:
        return "<a><b>" * rng.randint(1, 60) + "x" + "</b></a>" * rng.randint(1, 60)
    if pick < 0.45:
        return "<item>1</item><item>2</item>"
    if pick < 0.5:
        return "a\x00b"
    if pick < 0.6:
        return rng.choice(("qrscene_", "qrscene_" + "x" * 300, "bind:", "family:abc", "scanbarcode|x", "null",
                           "[]", "{}", "帮助", "认证", "绑定", " "))
    return "".join(rng.choice("abc123中文<>&;\"' ") for _ in range(rng.randint(0, 30)))


def _element(name: str, value: str) -> str:
    if value.startswith("<") or "\x00" in value:
        return f"<{name}>{value}</{name}>"
    return f"<{name}><![CDATA[{value}]]></{name}>"


def fuzzed_body(rng: random.Random) -> bytes:
    shape = rng.random()
    if shape < 0.08:
        return rng.choice((b"", b"null", b"[]", b"{}", b"123", b'{"ToUserName": null}', b"[1, 2, {}]",
                           b"\x00" * 10, "中文".encode(), b"<xml/>", b"<xml></xml>", b"<xml>" * 5000))
    fields = {"ToUserName": "gh_fake", "FromUserName": rng.choice(("oUser1", "oUser2", _value(rng))),
              "CreateTime": str(int(time.time())) if rng.random() < 0.6 else _value(rng),
              "MsgType": rng.choice(TYPES)}
    if fields["MsgType"] == "event" or rng.random() < 0.1:
        fields["Event"] = rng.choice(EVENTS)
    for name in rng.sample(FIELDS, rng.randint(0, 6)):
        fields[name] = _value(rng)
    parts = [_element(k, v) for k, v in fields.items()]
    if rng.random() < 0.2:  # duplicated elements
        parts.append(_element(rng.choice(list(fields)), _value(rng)))
    if rng.random() < 0.1:
        parts.insert(0, "<nested><xml><MsgType>text</MsgType></xml></nested>")
    xml = "<xml>" + "".join(parts) + "</xml>"
    encoding = rng.random()
    if encoding < 0.08:
        return ('<?xml version="1.0" encoding="UTF-16"?>' + xml).encode("utf-16")
    if encoding < 0.12:
        return xml.encode("utf-16-le")
    if encoding < 0.15:
        return ('<?xml version="1.0" encoding="GBK"?>' + xml).encode("utf-8", "replace")
    return xml.encode("utf-8")


def test_validly_signed_garbage_is_answered_without_a_server_error(client, monkeypatch):
    rng = random.Random(13)
    statuses: collections.Counter = collections.Counter()
    failures = []
    n = 1500
    for i in range(n):
        body = fuzzed_body(rng)
        ts, nonce = str(int(time.time())), str(i)
        query = {"signature": sign("dev-token", ts, nonce), "timestamp": ts, "nonce": nonce}
        resp = client.post("/wechat", query_string=query, data=body, content_type="text/xml")
        statuses[resp.status_code] += 1
        if resp.status_code >= 500:
            failures.append(body[:200])
    print(f"\n/wechat fuzz: {n} signed bodies → {dict(statuses)}")
    assert failures == [], f"{len(failures)} of {n} answered 5xx, e.g. {failures[:3]}"
    assert statuses[400] > 100 and statuses[200] > 100  # both kinds were really exercised
