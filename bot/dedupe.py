"""WeChat re-sends a push it got no answer to within 5 s, up to three times, identically.

The first copy claims a Redis key (MsgId for messages; FromUserName + CreateTime
+ Event + EventKey for events, which have no MsgId) and is processed; the reply it produced
is stored under the same key, so a retry gets that reply again and nothing is
processed twice. A retry that arrives while the first copy is still working waits (within the
reply budget) for the first copy's reply and returns it: the connection that
should have carried it may be the one WeChat gave up on. If the first copy is
slower than that, the retry gets ``success`` and the first copy answers through
customer service.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import redis

TTL_S = 300  # WeChat's retries come within ~15 s; 5 minutes is ample
ACTIVE_TTL_S = 600  # record "last interaction" in the database at most once per 10 minutes per user


def message_key(fields: Mapping[str, str | None]) -> str:
    if fields.get("MsgId"):
        return f"wechat:seen:m:{fields['MsgId']}"
    # Event and EventKey too: two different clicks in one second are two events, a retry is identical.
    return "wechat:seen:e:" + ":".join(fields.get(k) or "" for k in ("FromUserName", "CreateTime", "Event", "EventKey"))


PENDING, NO_REPLY = b"", b"-"


def claim(r: redis.Redis, key: str, openid: str) -> tuple[bool, bool]:
    """(first time?, is this user's interaction due to be recorded?) in one round trip."""
    pipe = r.pipeline(transaction=False)
    pipe.set(key, PENDING, nx=True, ex=TTL_S)
    if openid:
        pipe.set(f"wechat:active:{openid}", b"1", nx=True, ex=ACTIVE_TTL_S)
    first, *due = pipe.execute()
    return bool(first), bool(due and due[0])


def remember_reply(r: redis.Redis, key: str, reply_xml: str | None) -> None:
    r.set(key, reply_xml.encode() if reply_xml else NO_REPLY, ex=TTL_S, xx=True)


def wait_for_reply(r: redis.Redis, key: str, budget_s: float) -> str | None:
    """The first copy's reply XML (None: no reply), waiting up to ``budget_s`` for it to finish."""
    deadline = time.monotonic() + budget_s
    while True:
        stored = r.get(key)
        if stored not in (None, PENDING) or time.monotonic() >= deadline:
            if not stored or stored == NO_REPLY:
                return None
            return stored.decode() if isinstance(stored, bytes) else str(stored)
        time.sleep(0.05)


# Per-process memory of users whose interaction was recorded lately, so that a fixed-text reply
# (no side effects: a retry simply gets the same text again) needs no Redis round trip at all.
_recent: dict[str, float] = {}
_RECENT_MAX = 100_000


def recently_recorded(openid: str) -> bool:
    seen = _recent.get(openid)
    return seen is not None and time.monotonic() - seen < ACTIVE_TTL_S


def note_recorded(openid: str) -> None:
    if len(_recent) >= _RECENT_MAX:
        _recent.clear()
    _recent[openid] = time.monotonic()
