"""WeChat re-sends a push it got no answer to within 5 s, up to three times, identically.

The first copy claims a Redis key (MsgId for messages; FromUserName + CreateTime
+ Event for events, which have no MsgId) and is processed; the reply it produced
is stored under the same key, so a retry gets that reply again and nothing is
processed twice. A retry that arrives while the first copy is still working gets
``success`` (the first copy will answer through customer service if it is slow).
"""

from __future__ import annotations

import redis

TTL_S = 300  # WeChat's retries come within ~15 s; 5 minutes is ample
ACTIVE_TTL_S = 600  # record "last interaction" in the database at most once per 10 minutes per user


def message_key(fields: dict[str, str]) -> str:
    if fields.get("MsgId"):
        return f"wechat:seen:m:{fields['MsgId']}"
    return f"wechat:seen:e:{fields.get('FromUserName', '')}:{fields.get('CreateTime', '')}:{fields.get('Event', '')}"


def claim(r: redis.Redis, key: str, openid: str) -> tuple[bool, bytes | None, bool]:
    """(first time?, the stored reply if a retry, is this user's interaction due to be recorded?) in one round trip."""
    pipe = r.pipeline(transaction=False)
    pipe.set(key, b"", nx=True, ex=TTL_S)
    pipe.get(key)
    pipe.set(f"wechat:active:{openid}", b"1", nx=True, ex=ACTIVE_TTL_S)
    first, stored, due = pipe.execute()
    return bool(first), (stored or None), bool(due)


def remember_reply(r: redis.Redis, key: str, reply_xml: str) -> None:
    r.set(key, reply_xml.encode(), ex=TTL_S, xx=True)
