"""Challenges: the random, ordered actions a person must perform on camera.

A fresh random order for every attempt is what makes an old recording useless:
a replayed video shows the actions of some earlier challenge, in its order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import random
import secrets

ACTIONS: tuple[str, ...] = ("blink", "turn_left", "turn_right", "open_mouth", "nod")
TTL = dt.timedelta(minutes=3)


@dataclasses.dataclass(frozen=True)
class ChallengeSpec:
    actions: tuple[str, ...]
    nonce: str
    expires_at: dt.datetime


class ChallengeState(str, enum.Enum):
    open = "open"
    expired = "expired"
    used = "used"


def new_challenge(now: dt.datetime, rng: random.Random | None = None, min_actions: int = 2,
                  max_actions: int = 3, ttl: dt.timedelta = TTL) -> ChallengeSpec:
    """2–3 distinct actions in random order, a nonce, and an expiry.

    ``rng`` defaults to the operating system's randomness; tests pass a seeded one.
    """
    rng = rng or random.SystemRandom()
    count = rng.randint(min_actions, max_actions)
    return ChallengeSpec(actions=tuple(rng.sample(ACTIONS, count)), nonce=secrets.token_hex(16),
                         expires_at=now + ttl)


def challenge_state(expires_at: dt.datetime, used_at: dt.datetime | None, now: dt.datetime) -> ChallengeState:
    if used_at is not None:
        return ChallengeState.used
    if now >= expires_at:
        return ChallengeState.expired
    return ChallengeState.open
