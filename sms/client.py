"""``SendSms`` of Alibaba Cloud's dysmsapi (version 2017-05-25), signed as its RPC API requires.

Signature version 1.0: the parameters sorted by name, each RFC 3986-encoded, joined and encoded
again into ``POST&%2F&<query>``, signed with HMAC-SHA1 under ``<secret>&``. The answer is JSON
with ``Code`` ``"OK"`` and a ``BizId``, or an error ``Code`` such as ``isv.MOBILE_NUMBER_ILLEGAL``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from urllib.parse import quote

import requests

from sms.config import SmsSettings

API_VERSION = "2017-05-25"
#: errors that sending again cannot fix: the number, the text or the account's approval is wrong
PERMANENT = frozenset({
    "isv.MOBILE_NUMBER_ILLEGAL", "isv.MOBILE_COUNT_OVER_LIMIT", "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.SMS_SIGNATURE_ILLEGAL", "isv.TEMPLATE_MISSING_PARAMETERS", "isv.INVALID_PARAMETERS",
    "isv.PARAM_LENGTH_LIMIT", "isv.BLACK_KEY_CONTROL_LIMIT", "isv.DAY_LIMIT_CONTROL",
})


class SmsError(Exception):
    """The gateway refused the message (``code`` is its error code) or could not be reached (``code`` None)."""

    def __init__(self, code: str | None, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def permanent(self) -> bool:
        return self.code in PERMANENT


def percent_encode(value: str) -> str:
    return quote(value, safe="-_.~")


def signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """The RPC signature (version 1.0) of ``params`` (all but ``Signature``)."""
    query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(query)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class SmsClient:
    def __init__(self, settings: SmsSettings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.http = session or requests.Session()

    def template_code(self, kind: str) -> str | None:
        return self.settings.template_codes.get(kind)

    def send(self, phone: str, template_code: str, params: dict[str, str], out_id: str = "") -> str:
        """Send one templated SMS to ``phone`` (11 digits); returns the gateway's BizId or raises SmsError."""
        s = self.settings
        query = {
            "AccessKeyId": s.access_key_id, "Action": "SendSms", "Format": "JSON", "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1", "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
            "Timestamp": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": API_VERSION,
            "PhoneNumbers": phone, "SignName": s.sign_name, "TemplateCode": template_code,
            "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
        }
        if out_id:
            query["OutId"] = out_id
        query["Signature"] = signature(query, s.access_key_secret)
        try:
            resp = self.http.post(s.url, data=query, timeout=s.timeout_s)
            answer = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise SmsError(None, type(exc).__name__) from exc
        if not isinstance(answer, dict):
            raise SmsError(None, "answer is not a JSON object")
        if answer.get("Code") != "OK":
            raise SmsError(str(answer.get("Code") or resp.status_code), str(answer.get("Message") or "")[:200])
        return str(answer.get("BizId") or "")
