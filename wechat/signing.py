"""Is this request really from WeChat, recent, and safe to parse?

Every check here runs before anything is processed: a request that fails one
is answered 403/400 by the endpoint and leaves no trace but a log line.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

MAX_BODY_BYTES = 64 * 1024  # WeChat's pushes are a few hundred bytes; anything near this is not WeChat


class Forged(Exception):
    """Bad or missing signature, or a timestamp outside the window."""


class Malformed(Exception):
    """Not well-formed XML, hostile XML (DTD, entities), or missing required fields."""


def now() -> float:
    """The clock (a function so tests of old official vectors can freeze it)."""
    return time.time()


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 of the sorted parts joined (token, timestamp, nonce[, Encrypt])."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def check_signature(token: str, signature: str, timestamp: str, nonce: str, *extra: str) -> None:
    if not (signature and timestamp and nonce):
        raise Forged("missing signature, timestamp or nonce")
    if not hmac.compare_digest(sign(token, timestamp, nonce, *extra), signature.lower()):
        raise Forged("signature mismatch")


def check_timestamp(timestamp: str, window_s: int) -> None:
    """Refuse replays of a captured request: WeChat's timestamp must be near our clock."""
    try:
        ts = int(timestamp)
    except ValueError:
        raise Forged("timestamp is not a number") from None
    if window_s and abs(now() - ts) > window_s:
        raise Forged("timestamp outside the window")


def parse_flat_xml(body: bytes | str) -> dict[str, str | None]:
    """Top-level child elements of ``<xml>`` as a dict (None for one with children of its own);
    refuses DTDs and entities (XXE, billion laughs)."""
    try:
        root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, SafeET.ParseError, ValueError) as exc:
        raise Malformed(f"{type(exc).__name__}") from None
    if root.tag != "xml":
        raise Malformed("root element is not <xml>")
    return {child.tag: (None if len(child) else (child.text or "")) for child in root}


def remember_signature(redis, signature: str, timestamp: str, nonce: str, body: bytes, window_s: int) -> bool:
    """Remember a signed (timestamp, nonce, signature) for the window; False when it is a replay.

    The query-string signature does not cover the body, so a captured one would sign any body
    while its timestamp is fresh. The first body seen under it is kept (by hash): WeChat's own
    retry sends the same body again and passes (the msgid de-duplication answers it); any other
    body under the same signature is a replay and refused.
    """
    key = f"wechat:sig:{timestamp}:{nonce}:{signature.lower()}"
    digest = hashlib.sha256(body).hexdigest()
    if redis.set(key, digest, nx=True, ex=max(2 * window_s, 60)):
        return True
    seen = redis.get(key)
    seen = seen.decode() if isinstance(seen, bytes) else seen
    return seen == digest
