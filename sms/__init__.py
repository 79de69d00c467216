"""The SMS gateway adapter: Alibaba Cloud SMS (dysmsapi ``SendSms``), the gateway Chinese agencies use.

Only one call is needed, so this is a small signed HTTP client (:mod:`sms.client`) rather than the
vendor SDK and its dozen packages; the fake WeChat serves the same API (``/sms/``) and checks the
signature, so tests exercise the real request. Settings in :mod:`sms.config`.
"""

from sms.client import SmsClient, SmsError
from sms.config import SmsSettings

__all__ = ["SmsClient", "SmsError", "SmsSettings"]
