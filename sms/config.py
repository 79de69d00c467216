"""What the SMS adapter needs to know; filled by ``settings.load_settings`` from LIFECERT_SMS_*."""

from __future__ import annotations

import dataclasses

from wording import zh

#: Template codes by notice kind (flows.people.tell_roster_phone). The texts to register with the
#: gateway are wording.zh.SMS_TEXTS; the gateway fills ``${phone}`` and sends only approved texts.
DEV_TEMPLATE_CODES = {
    "self_claim": "SMS_LC_SELF_CLAIM",
    "self_confirmed": "SMS_LC_SELF_CONFIRMED",
    "record_recovered": "SMS_LC_RECORD_RECOVERED",
    "phone_changed_by_proxy": "SMS_LC_PHONE_CHANGED",
}


@dataclasses.dataclass(frozen=True)
class SmsSettings:
    # The gateway's address, e.g. https://dysmsapi.aliyuncs.com/ ; empty: no gateway, and roster-phone
    # notices wait queued in the outbox (never lost, never sent through WeChat) until one is set.
    url: str = ""
    access_key_id: str = "dev-sms-key"
    access_key_secret: str = "dev-sms-secret"
    sign_name: str = zh.SMS_SIGN_NAME  # the approved 签名, shown as 【…】 before the text
    template_codes: dict = dataclasses.field(default_factory=lambda: dict(DEV_TEMPLATE_CODES))
    timeout_s: float = 10.0
