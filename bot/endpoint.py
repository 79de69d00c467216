"""``/wechat``: where WeChat pushes messages and events (plaintext, compatible or safe mode).

Order of checks, each failing closed before anything is processed:
size (413) → signature over token/timestamp/nonce (403) → timestamp window (403)
→ in safe mode, msg_signature over the ciphertext (403) and decryption (400)
→ XML without DTDs or entities (400) → required fields (400).

Then the retry de-duplication (wechat/dedupe.py), and the reply, computed under
a time budget: WeChat waits 5 seconds, so a reply not ready after
``reply_budget_s`` is answered ``success`` now and sent later as a
customer-service message.
"""

from __future__ import annotations

import base64
import concurrent.futures
import functools
import logging
import os
import threading

from flask import Blueprint, Response, current_app, request
from wechatpy import parse_message
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.events import EVENT_TYPES
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.messages import MESSAGE_TYPES, UnknownMessage
from wechatpy.replies import TextReply

from bot import accounts, dedupe, replies
from flows.outbox import enqueue_text
from wechat import signing
from wording import zh

log = logging.getLogger("lifecert.wechat.endpoint")
bp = Blueprint("wechat", __name__)

REQUIRED = ("ToUserName", "FromUserName", "CreateTime", "MsgType")
# Elements WeChat itself nests (menu scan / photo / location events, copyright checks); no other may hold a tree.
NESTED_OK = {"ScanCodeInfo", "SendPicsInfo", "SendLocationInfo", "CopyrightCheckResult", "ArticleUrlResult"}
SUCCESS = "success"  # WeChat's "no reply, and don't retry"
BUSY_REPLY = zh.BUSY_REPLY

_pool: concurrent.futures.ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def _executor() -> concurrent.futures.ThreadPoolExecutor:
    """One pool per process (gunicorn forks after import, so the pid is checked)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool, _pool_pid = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="wx"), os.getpid()
        return _pool


@functools.lru_cache(maxsize=8)
def _crypto(token: str, aes_key: str, app_id: str) -> WeChatCrypto:
    return WeChatCrypto(token, aes_key, app_id)


def _plain(body: str, status: int) -> Response:
    return Response(body, status=status, mimetype="text/plain")


def _refuse(status: int, why: str) -> Response:
    log.warning("wechat request refused", extra={"status": status, "why": why})
    return _plain({400: "bad request", 403: "forbidden", 413: "too large"}[status], status)


@bp.get("/wechat")
def verify_url() -> Response:
    """WeChat's server-URL check: echo ``echostr`` if the signature is ours."""
    wx = current_app.extensions["lifecert"].settings.wechat
    args = request.args
    try:
        signing.check_signature(wx.token, args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", ""))
        signing.check_timestamp(args.get("timestamp", ""), wx.timestamp_window_s)
    except signing.Forged as exc:
        return _refuse(403, str(exc))
    return _plain(args.get("echostr", ""), 200)


@bp.post("/wechat")
def receive() -> Response:
    services = current_app.extensions["lifecert"]
    wx = services.settings.wechat
    args = request.args
    if (request.content_length or 0) > signing.MAX_BODY_BYTES:
        return _refuse(413, "body too large")
    body = request.stream.read(signing.MAX_BODY_BYTES + 1)
    if len(body) > signing.MAX_BODY_BYTES:
        return _refuse(413, "body too large")
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    try:
        signing.check_signature(wx.token, args.get("signature", ""), timestamp, nonce)
        signing.check_timestamp(timestamp, wx.timestamp_window_s)
    except signing.Forged as exc:
        return _refuse(403, str(exc))
    if not signing.remember_signature(services.redis, args.get("signature", ""), timestamp, nonce, body,
                                      wx.timestamp_window_s):
        return _refuse(403, "signature replayed with another body")

    encrypted = args.get("encrypt_type", "raw") == "aes"
    if wx.encoding_aes_key and not encrypted:
        # Safe mode configured: a plaintext push is a downgrade (only the query string would be signed).
        return _refuse(403, "plaintext push while safe mode is configured")
    try:
        if encrypted:
            if not wx.encoding_aes_key:
                return _refuse(400, "encrypted push but no EncodingAESKey configured")
            outer = signing.parse_flat_xml(body)
            cipher = outer.get("Encrypt") or ""
            try:
                signing.check_signature(wx.token, args.get("msg_signature", ""), timestamp, nonce, cipher)
            except signing.Forged as exc:
                return _refuse(403, "msg_" + str(exc))
            try:
                key = base64.b64decode(wx.encoding_aes_key + "=")
                xml = PrpCrypto(key).decrypt(cipher, wx.app_id)
            except InvalidAppIdException:
                return _refuse(403, "encrypted for another AppID")
            except Exception:  # noqa: BLE001 - bad base64, padding or length: not WeChat's ciphertext
                return _refuse(400, "cannot decrypt")
        elif args.get("encrypt_type", "raw") != "raw":
            return _refuse(400, "unknown encrypt_type")
        else:
            xml = body
        fields = signing.parse_flat_xml(xml)
        if any(not fields.get(k) for k in REQUIRED):
            return _refuse(400, "missing required fields")
        msg = _message(fields, xml)
    except signing.Malformed as exc:
        return _refuse(400, f"malformed XML ({exc})")
    except Exception as exc:  # noqa: BLE001 - wechatpy cannot read this push (UTF-16, odd types): its fault, 400
        return _refuse(400, f"unreadable push ({type(exc).__name__})")

    reply_xml = _reply_for(services, msg, fields)
    if reply_xml is None:
        return _plain(SUCCESS, 200)
    if encrypted:
        reply_xml = _crypto(wx.token, wx.encoding_aes_key, wx.app_id).encrypt_message(reply_xml, nonce, timestamp)
    return Response(reply_xml, status=200, mimetype="application/xml")


def _message(fields: dict[str, str | None], xml) -> object:
    """wechatpy's message object, built from the fields already parsed when the push is flat (it nearly
    always is); pushes with nested elements go through wechatpy's own parser."""
    if None in fields.values() or (fields["MsgType"] or "").startswith("device_"):
        nested = {k for k, v in fields.items() if v is None} - NESTED_OK
        if nested:  # an id or a text that is a tree: not a push WeChat makes
            raise signing.Malformed("nested " + ",".join(sorted(nested))[:80])
        msg = parse_message(xml)
        odd = {k for k, v in getattr(msg, "_data", {}).items() if not isinstance(v, str) and v is not None} - NESTED_OK
        if odd:  # duplicated elements come back as lists
            raise signing.Malformed("duplicated " + ",".join(sorted(odd))[:80])
        return msg
    flat: dict[str, str] = {k: v for k, v in fields.items() if v is not None}
    return _flat_message(flat, xml)


def _flat_message(fields: dict[str, str], xml) -> object:
    kind = fields["MsgType"].lower()
    if kind != "event":
        return MESSAGE_TYPES.get(kind, UnknownMessage)(fields)
    event = fields.get("Event", "").lower()
    key = fields.get("EventKey", "")
    if event == "subscribe" and key.startswith(("scanbarcode|", "scanimage|")):
        return parse_message(xml)
    if event == "subscribe" and key.startswith("qrscene_"):
        event, fields["Event"], fields["EventKey"] = "subscribe_scan", "subscribe_scan", key[len("qrscene_"):]
    return EVENT_TYPES.get(event, UnknownMessage)(fields)


def _render(msg, text: str | None) -> str | None:
    return TextReply(source=msg.target, target=msg.source, content=text).render() if text else None


def _reply_for(services, msg, fields: dict[str, str | None]) -> str | None:
    """The plaintext reply XML for ``msg`` (None: answer ``success``), processed at most once per push."""
    openid = msg.source
    kind = msg.type if msg.type != "event" else msg.event
    interactive = msg.type != "event" or kind in replies.INTERACTIVE_EVENTS
    key = dedupe.message_key(fields)
    budget = services.settings.wechat.reply_budget_s
    fixed = replies.instant(services, msg)
    if fixed is not None and dedupe.recently_recorded(openid):
        return _render(msg, fixed)  # fixed text, nothing to record: a retry simply gets the same text
    first, due = dedupe.claim(services.redis, key, openid if interactive else "")
    if interactive and not due:
        dedupe.note_recorded(openid)  # another copy or process recorded it within the last 10 minutes
    if fixed is not None and not (first and interactive and due):
        return _render(msg, fixed)
    if not first:
        log.info("wechat retry answered from the first copy", extra={"msg_type": kind})
        return dedupe.wait_for_reply(services.redis, key, budget)

    def work() -> str | None:
        if interactive and due and kind not in ("subscribe", "subscribe_scan"):
            accounts.record(services, openid, subscribed=True)
        text = replies.respond(services, msg)
        if interactive:
            dedupe.note_recorded(openid)
        return text

    future = _executor().submit(work)
    try:
        text = future.result(timeout=budget)
    except concurrent.futures.TimeoutError:
        future.add_done_callback(functools.partial(_send_late, services, openid))
        log.warning("wechat reply over budget; it will follow as a customer-service message",
                    extra={"msg_type": kind, "budget_s": budget})
        return None
    except Exception:  # noqa: BLE001 - the user gets a kind word, the log gets the traceback
        log.exception("wechat reply failed", extra={"msg_type": kind})
        text = BUSY_REPLY.format(hotline=services.settings.wechat.hotline)
    if not text:
        dedupe.remember_reply(services.redis, key, None)
        return None
    reply = _render(msg, text)
    dedupe.remember_reply(services.redis, key, reply)
    return reply


def _send_late(services, openid: str, future: concurrent.futures.Future) -> None:
    """A reply that missed WeChat's 5 seconds goes out through the customer-service queue."""
    try:
        text = future.result()
    except Exception:  # noqa: BLE001
        log.exception("late wechat reply failed")
        return
    if text:
        enqueue_text(services, openid, text, kind="late_reply")
