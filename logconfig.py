"""Structured logging: one JSON object per line, carrying the request or job id.

Personal data must never reach the logs. Code logs IDs of rows, not ID numbers,
phone numbers or faces; as a safety net the formatter masks anything that looks
like an 18- or 15-digit ID number or an 11-digit mainland mobile number.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
job_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("job_id", default=None)

# Bounded by anything but letters and digits, so a hex id (a uuid, a sha256) is never taken for a number.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{11}[\dXx]|\d{9})(?![0-9A-Za-z])")  # 18 or 15 digits
_PHONE = re.compile(r"(?<![0-9A-Za-z])((?:\+|00)?86[- ]?)?(1[3-9]\d)(\d{4})(\d{4})(?![0-9A-Za-z])")


def redact(text: str) -> str:
    """Mask ID numbers (18 and old 15 digits) and mobile numbers (also as +86…) that slipped into a log line."""
    text = _ID_NUMBER.sub(lambda m: m.group(1)[:4] + "*" * (len(m.group(0)) - 8) + m.group(2)[-4:], text)
    return _PHONE.sub(lambda m: (m.group(1) or "") + m.group(2) + "****" + m.group(4), text)


class JsonFormatter(logging.Formatter):
    # Attributes every LogRecord has; anything else was passed through ``extra=``.
    _standard = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if rid := request_id.get():
            entry["request_id"] = rid
        if jid := job_id.get():
            entry["job_id"] = jid
        for key, value in vars(record).items():
            if key not in self._standard and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


def configure_logging(level: str = "INFO") -> None:
    """Install the JSON formatter on the root logger (idempotent)."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in root.handlers:
        if isinstance(handler.formatter, JsonFormatter):
            return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
