"""Template messages: what each kind says, within WeChat's current rules.

Since 2023-05 WeChat shows no ``first``/``remark`` lines, no colours, and each
keyword field is at most 20 characters with no line breaks. So every message is
a few short fields; the reason and the next step each get their own field.

The keyword names (thing1, time2 …) are those of the templates chosen from
WeChat's library in the MP admin; ``settings.wechat.template_ids`` maps our
kinds to their template ids.

Callers pass ``fields`` by meaning (``{"name": "张*明", "passed": True, …}``);
:func:`render` turns them into WeChat's ``data`` and refuses anything too long,
so a mistake is caught when the message is queued, not when WeChat rejects it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from wording import zh
from wording.zh import REASONS

MAX_FIELD_CHARS = 20

# A failed check's reason code (vision / flow keys) is worded by wording/zh.py, the one table
# shared with the pages; callers may instead pass ready words as reason_text / next_step.
GENERIC_FAILURE = zh.GENERIC_FAILURE


def _date(value: dt.date | dt.datetime | str) -> str:
    """Dates and times as given: the caller converts to the agency's zone (flows.clock) first."""
    if isinstance(value, str):
        return value
    return zh.date_text(value, with_time=True)


def _cert_result(f: dict) -> dict[str, str]:
    if f["passed"]:
        reason, step = f.get("reason_text") or zh.CERT_DONE[0], f.get("next_step") or zh.CERT_DONE[1]
    else:
        reason = REASONS.get(f.get("reason", "")) or f.get("reason_text") or GENERIC_FAILURE[0]
        step = f.get("next_step") or GENERIC_FAILURE[1]
    phrase = zh.CERT_PASSED if f["passed"] else (zh.CERT_IN_REVIEW if f.get("review") else zh.CERT_NOT_PASSED)
    return {"thing1": f["name"], "phrase2": phrase,
            "thing3": reason, "thing4": step, "time5": _date(f["at"])}


def _reminder(f: dict) -> dict[str, str]:
    return {"thing1": f["name"], "thing2": zh.REMINDER_WHAT, "time3": _date(f["deadline"]),
            "thing4": zh.REMINDER_STEP}


def _suspension(f: dict) -> dict[str, str]:
    return {"thing1": f["name"], "phrase2": zh.SUSPENSION_STATE, "time3": _date(f["since"]),
            "thing4": zh.SUSPENSION_STEP}


def _resumption(f: dict) -> dict[str, str]:
    return {"thing1": f["name"], "phrase2": zh.RESUMPTION_STATE, "time3": _date(f["from_date"]),
            "thing4": zh.RESUMPTION_STEP}


def _family_bound(f: dict) -> dict[str, str]:
    return {"thing1": f["name"], "thing2": f["family"], "time3": _date(f["at"]),
            "thing4": zh.FAMILY_BOUND_STEP.format(hotline=f.get("hotline", "12333"))}


# kind -> (what it is, required fields, builder)
KINDS: dict[str, tuple[str, tuple[str, ...], Callable[[dict], dict[str, str]]]] = {
    "cert_result": (zh.TEMPLATE_TITLES["cert_result"], ("name", "passed", "at"), _cert_result),
    "reminder": (zh.TEMPLATE_TITLES["reminder"], ("name", "deadline"), _reminder),
    "suspension": (zh.TEMPLATE_TITLES["suspension"], ("name", "since"), _suspension),
    "resumption": (zh.TEMPLATE_TITLES["resumption"], ("name", "from_date"), _resumption),
    "family_bound": (zh.TEMPLATE_TITLES["family_bound"], ("name", "family", "at"), _family_bound),
}


def render(kind: str, fields: dict) -> dict[str, dict[str, str]]:
    """WeChat's ``data`` for a template of ``kind``; raises ValueError for a missing or too-long field."""
    if kind not in KINDS:
        raise ValueError(f"unknown template kind {kind!r}; known: {', '.join(KINDS)}")
    _title, required, build = KINDS[kind]
    missing = [k for k in required if fields.get(k) in (None, "")]
    if missing:
        raise ValueError(f"template {kind!r} needs {', '.join(missing)}")
    data = build(fields)
    for key, value in data.items():
        if len(value) > MAX_FIELD_CHARS or "\n" in value or not value:
            raise ValueError(f"template {kind!r} field {key}={value!r}: 1–{MAX_FIELD_CHARS} characters, one line")
    return {key: {"value": value} for key, value in data.items()}


def title(kind: str) -> str:
    return KINDS[kind][0]
