"""The phone side of the fake: WeChat pushing a user's messages and events to our /wechat.

Like WeChat it signs the query (``signature`` over token/timestamp/nonce), in
safe mode encrypts the body and adds ``encrypt_type=aes&msg_signature=…``, waits
``push_timeout_s`` (5 s) for the answer and re-sends the *identical* push up to
``push_tries`` times when the answer is late or broken. It checks an encrypted
reply's signature and that From/To are swapped, as WeChat does.
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import urlencode

import requests
from defusedxml import ElementTree as SafeET
from wechatpy.crypto import WeChatCrypto

from fakewechat.state import FakeState
from wechat.signing import sign

BROKEN = "该公众号暂时无法提供服务，请稍后再试"


def _cdata(value: str) -> str:
    return "<![CDATA[" + str(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def build_xml(fields: dict) -> str:
    """WeChat's push format: strings in CDATA, numbers bare."""
    parts = []
    for key, value in fields.items():
        parts.append(f"<{key}>{value}</{key}>" if isinstance(value, int) else f"<{key}>{_cdata(value)}</{key}>")
    return "<xml>" + "".join(parts) + "</xml>"


def message(state: FakeState, openid: str, msg_type: str, **extra) -> dict:
    with state.lock:
        state.next_push_msgid += 1
        msgid = state.next_push_msgid
    fields = {"ToUserName": state.config.original_id, "FromUserName": openid, "CreateTime": int(time.time()),
              "MsgType": msg_type}
    fields.update(extra)
    fields["MsgId"] = msgid
    return fields


def event(state: FakeState, openid: str, event_name: str, **extra) -> dict:
    fields = {"ToUserName": state.config.original_id, "FromUserName": openid, "CreateTime": int(time.time()),
              "MsgType": "event", "Event": event_name}
    fields.update(extra)
    return fields


def signed_request(state: FakeState, xml: str, timestamp: str | None = None, nonce: str | None = None) -> tuple[str, bytes]:
    """(URL with the signed query, body) for one push, encrypted when the fake is in safe mode."""
    cfg = state.config
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**9))
    query = {"signature": sign(cfg.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
             "openid": _openid_of(xml)}
    body = xml
    if cfg.encoding_aes_key:
        crypto = WeChatCrypto(cfg.token, cfg.encoding_aes_key, cfg.app_id)
        enc = SafeET.fromstring(crypto.encrypt_message(xml, nonce, timestamp)).findtext("Encrypt")
        body = build_xml({"ToUserName": cfg.original_id, "Encrypt": enc})
        query.update(encrypt_type="aes", msg_signature=sign(cfg.token, timestamp, nonce, enc))
    return cfg.callback_url + "?" + urlencode(query), body.encode()


def _openid_of(xml: str) -> str:
    try:
        return SafeET.fromstring(xml).findtext("FromUserName") or ""
    except Exception:  # noqa: BLE001
        return ""


def read_reply(state: FakeState, text: str, nonce: str, sent: dict) -> dict | None:
    """The reply's fields, or None if WeChat would call it broken. '' / 'success' → {} (no reply)."""
    cfg = state.config
    if text.strip() in ("", "success"):
        return {}
    try:
        root = SafeET.fromstring(text.encode(), forbid_dtd=True)
        if cfg.encoding_aes_key:
            enc, sig = root.findtext("Encrypt"), root.findtext("MsgSignature")
            ts, rnonce = root.findtext("TimeStamp"), root.findtext("Nonce")
            if not enc or sig != sign(cfg.token, ts or "", rnonce or "", enc):
                return None
            crypto = WeChatCrypto(cfg.token, cfg.encoding_aes_key, cfg.app_id)
            plain = crypto.decrypt_message(text, sig, ts, rnonce)
            root = SafeET.fromstring(plain.encode(), forbid_dtd=True)
        fields = {child.tag: child.text or "" for child in root}
    except Exception:  # noqa: BLE001 - a reply WeChat cannot read
        return None
    if fields.get("ToUserName") != sent["FromUserName"] or fields.get("FromUserName") != sent["ToUserName"]:
        return None
    return fields


def deliver(state: FakeState, fields: dict, *, repeat: int = 1) -> dict:
    """Push ``fields`` as WeChat would, with retries; ``repeat`` > 1 sends the identical push again
    that many times regardless (a test of retry de-duplication). Records the reply in the chat."""
    xml = build_xml(fields)
    url, body = signed_request(state, xml)
    nonce = url.split("nonce=", 1)[1].split("&", 1)[0]
    openid = fields["FromUserName"]
    with state.lock:
        state.counts["pushes"] += 1
    outcome: dict[str, Any] = {"tries": 0, "reply": None, "status": "broken", "replies": []}
    sent_total = 0
    while True:
        reply = None
        try:
            with state.lock:
                state.counts["push_attempts"] += 1
            outcome["tries"] += 1
            resp = requests.post(url, data=body, headers={"Content-Type": "text/xml"},
                                 timeout=state.config.push_timeout_s)
            if resp.status_code == 200:
                reply = read_reply(state, resp.text, nonce, fields)
            outcome["http_status"] = resp.status_code
        except requests.RequestException as exc:
            outcome["http_status"] = type(exc).__name__
        sent_total += 1
        outcome["replies"].append(reply)
        if reply is not None:
            outcome["status"] = "ok"
            outcome["reply"] = reply
            if sent_total >= repeat:
                break
        elif outcome["tries"] >= max(state.config.push_tries, repeat):
            break
    if outcome["status"] == "ok" and outcome["reply"]:
        r = outcome["reply"]
        if r.get("MsgType") == "text":
            state.say(openid, "bot", "text", text=r.get("Content", ""))
        else:
            state.say(openid, "bot", r.get("MsgType", "other"), text=f"[{r.get('MsgType')} 消息]")
    elif outcome["status"] != "ok":
        state.say(openid, "system", "notice", text=BROKEN)
    return outcome
