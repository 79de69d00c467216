"""The fake's SMS gateway: Alibaba Cloud's ``SendSms`` (dysmsapi 2017-05-25) at ``POST /sms/``.

It checks what the real one checks — the access key, the RPC signature, a fresh timestamp, a nonce
used once, an approved template with its parameters, a mobile number — and answers in its JSON
(``{"Code": "OK", "BizId": …}`` or an error ``Code``). What it sent is what the phones got:
``GET /_fake/sms`` (``?phone=`` to filter). ``POST /_fake/sms/inject {"codes": [...]}`` makes the next
calls answer those error codes (``isp.SYSTEM_ERROR``, ``isv.BUSINESS_LIMIT_CONTROL``, …).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import string

from flask import Flask, Response, jsonify, request

from fakewechat.state import FakeState
from sms.client import API_VERSION, signature

MOBILE = re.compile(r"1[3-9]\d{9}")


def _answer(code: str, message: str, status: int = 200, **extra: str) -> Response:
    resp = jsonify(Code=code, Message=message, RequestId=secrets.token_hex(16).upper(), **extra)
    resp.status_code = status
    return resp


def register_sms(app: Flask, state: FakeState) -> None:
    cfg = state.config

    @app.post("/sms/")
    def send_sms():
        form = request.form.to_dict()
        given = form.pop("Signature", "")
        if form.get("Action") != "SendSms" or form.get("Version") != API_VERSION:
            return _answer("InvalidAction.NotFound", "Specified api is not found", 404)
        if form.get("AccessKeyId") != cfg.sms_access_key_id:
            return _answer("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        if not secrets.compare_digest(given, signature(form, cfg.sms_access_key_secret)):
            return _answer("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.", 400)
        try:
            sent = dt.datetime.strptime(form.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        except ValueError:
            return _answer("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.", 400)
        if abs((dt.datetime.now(dt.timezone.utc) - sent).total_seconds()) > 900:
            return _answer("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400)
        with state.lock:
            nonce = form.get("SignatureNonce", "")
            if not nonce or nonce in state.sms_nonces:
                return _answer("SignatureNonceUsed", "Specified signature nonce was used already.", 400)
            state.sms_nonces.add(nonce)
            if state.sms_inject:
                return _answer(state.sms_inject.pop(0), "injected by the fake")
        phone = form.get("PhoneNumbers", "")
        if not MOBILE.fullmatch(phone):
            return _answer("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        text = cfg.sms_templates.get(form.get("TemplateCode", ""))
        if text is None:
            return _answer("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        try:
            params = json.loads(form.get("TemplateParam") or "{}")
            body = string.Template(text).substitute({k: str(v) for k, v in params.items()})
        except (ValueError, KeyError, AttributeError):
            return _answer("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
        biz_id = f"{secrets.randbelow(10**15):015d}^0"
        with state.lock:
            state.sms.append({"phone": phone, "text": f"【{form.get('SignName', '')}】{body}",
                              "template_code": form["TemplateCode"], "params": params,
                              "out_id": form.get("OutId", ""), "biz_id": biz_id})
        return _answer("OK", "OK", BizId=biz_id)

    @app.get("/_fake/sms")
    def sms_sent():
        phone = request.args.get("phone")
        with state.lock:
            return jsonify(items=[m for m in state.sms if not phone or m["phone"] == phone])

    @app.post("/_fake/sms/inject")
    def sms_inject():
        codes = (request.get_json(force=True, silent=True) or {}).get("codes") or []
        with state.lock:
            state.sms_inject = [str(c) for c in codes]
        return jsonify(errcode=0, errmsg="ok")
