"""Challenges: the random, ordered actions a person must perform on camera.

A fresh random order for every attempt is what makes an old recording useless:
a replayed video shows the actions of some earlier challenge, in its order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Sequence
from typing import Protocol

ACTIONS: tuple[str, ...] = ("blink", "turn_left", "turn_right", "open_mouth", "nod")
TTL = dt.timedelta(minutes=3)


@dataclasses.dataclass(frozen=True)
class ChallengeSpec:
    actions: tuple[str, ...]
    nonce: str
    expires_at: dt.datetime


class RandomSource(Protocol):
    """What :func:`new_challenge` needs from ``random.Random`` (the caller picks the source)."""

    def randint(self, a: int, b: int) -> int: ...
    def sample(self, population: Sequence[str], k: int) -> list[str]: ...


class ChallengeState(str, enum.Enum):
    open = "open"
    expired = "expired"
    used = "used"


def new_challenge(now: dt.datetime, rng: RandomSource, nonce: str, min_actions: int = 2,
                  max_actions: int = 3, ttl: dt.timedelta = TTL) -> ChallengeSpec:
    """2–3 distinct actions in random order, with the caller's nonce and an expiry.

    The caller supplies the randomness (``random.SystemRandom()`` in production,
    a seeded ``random.Random`` in tests), which keeps this module pure.
    """
    count = rng.randint(min_actions, max_actions)
    return ChallengeSpec(actions=tuple(rng.sample(ACTIONS, count)), nonce=nonce, expires_at=now + ttl)


def challenge_state(expires_at: dt.datetime, used_at: dt.datetime | None, now: dt.datetime) -> ChallengeState:
    if used_at is not None:
        return ChallengeState.used
    if now >= expires_at:
        return ChallengeState.expired
    return ChallengeState.open
