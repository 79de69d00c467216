import datetime as dt
import random
import secrets
from collections import Counter

import pytest

from certification.challenge import ACTIONS, ChallengeState, challenge_state, new_challenge

NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.timezone.utc)


def test_two_or_three_distinct_known_actions_with_expiry():
    for seed in range(200):
        spec = new_challenge(NOW, random.Random(seed), secrets.token_hex(16))
        assert 2 <= len(spec.actions) <= 3
        assert len(set(spec.actions)) == len(spec.actions)
        assert set(spec.actions) <= set(ACTIONS)
        assert spec.expires_at == NOW + dt.timedelta(minutes=3)
        assert len(spec.nonce) == 32


def test_orders_vary_so_a_replayed_video_meets_a_different_challenge():
    rng = random.SystemRandom()
    orders = Counter(new_challenge(NOW, rng, "n").actions for _ in range(400))
    assert len(orders) > 30
    assert max(orders.values()) < 40


@pytest.mark.parametrize("used_at, now, expected", [
    (None, NOW + dt.timedelta(minutes=2, seconds=59), ChallengeState.open),
    (None, NOW + dt.timedelta(minutes=3), ChallengeState.expired),
    (NOW + dt.timedelta(minutes=1), NOW + dt.timedelta(minutes=2), ChallengeState.used),
])
def test_state(used_at, now, expected):
    assert challenge_state(NOW + dt.timedelta(minutes=3), used_at, now) is expected
