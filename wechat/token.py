"""The access token, shared by every process through Redis.

WeChat allows one live ``cgi-bin/token`` per account: each fetch invalidates the
previous one after a grace period, and there are 2,000 fetches a day. With N
gunicorn workers and rq workers each holding its own token they knock each other
out (reference §1.4). So:

* the token lives in Redis, with its expiry, for all processes;
* it is fetched with ``cgi-bin/stable_token`` (normal mode), which returns the
  same token to every caller while it is valid and never invalidates another's;
* only the holder of a short Redis lock fetches; the others wait for its result;
* a token WeChat rejected (40001/40014/42001: someone force-refreshed) is dropped
  only if it is still the stored one, so a late failure cannot discard a token
  another process has just fetched.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable

import redis

log = logging.getLogger("lifecert.wechat.token")

REFRESH_MARGIN_S = 300  # refresh this long before WeChat's expiry (it rotates 5 minutes early itself)
LOCK_TTL_S = 15
WAIT_S = 15.0

# Compare-and-delete: drop the stored token only if it is the one that failed.
_DROP_IF_SAME = """
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v)['token'] == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _key(appid: str) -> str:
    return f"wechat:token:{appid}"


Fetch = Callable[[], tuple[str, int]]  # -> (token, expires_in seconds)


def get_access_token(r: redis.Redis, appid: str, fetch: Fetch) -> str:
    """The current token for ``appid``, fetching it (once, across all processes) when needed."""
    cached = _read(r, appid)
    if cached:
        return cached
    deadline = time.monotonic() + WAIT_S
    lock_key, me = _key(appid) + ":lock", uuid.uuid4().hex
    while True:
        if r.set(lock_key, me, nx=True, ex=LOCK_TTL_S):
            try:
                cached = _read(r, appid)  # someone may have finished just before we got the lock
                if cached:
                    return cached
                token, expires_in = fetch()
                r.set(_key(appid), json.dumps({"token": token, "expires_at": time.time() + expires_in}),
                      ex=max(1, int(expires_in)))
                log.info("wechat access token fetched", extra={"expires_in": expires_in})
                return token
            finally:
                r.eval(_UNLOCK, 1, lock_key, me)
        time.sleep(0.05)
        cached = _read(r, appid)
        if cached:
            return cached
        if time.monotonic() > deadline:
            raise TimeoutError("timed out waiting for another process to fetch the WeChat access token")


def drop_token(r: redis.Redis, appid: str, stale: str) -> None:
    """Forget ``stale`` (WeChat rejected it) unless another process already replaced it."""
    r.eval(_DROP_IF_SAME, 1, _key(appid), stale)


def _read(r: redis.Redis, appid: str) -> str | None:
    raw = r.get(_key(appid))
    if not raw:
        return None
    entry = json.loads(raw)
    if entry["expires_at"] - time.time() <= REFRESH_MARGIN_S:
        return None
    return entry["token"]
