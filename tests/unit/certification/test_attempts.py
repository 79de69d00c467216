import pytest

from certification.attempts import AttemptPolicy, AttemptRefusal, consecutive_failures, may_start, needs_review


@pytest.mark.parametrize("today, running, review, expected", [
    (0, 0, False, None),
    (4, 0, False, None),
    (5, 0, False, AttemptRefusal.too_many_today),
    (1, 1, False, AttemptRefusal.already_running),
    (1, 0, True, AttemptRefusal.under_review),
])
def test_may_start(today, running, review, expected):
    assert may_start(today, running, review, AttemptPolicy(max_per_day=5)) == expected


@pytest.mark.parametrize("verdicts, count, review", [
    ([], 0, False),
    (["fail", "fail"], 2, False),
    (["fail", "fail", "fail"], 3, True),
    (["fail", "pass", "fail", "fail"], 1, False),
    (["fail", "fail", "review", "fail"], 2, False),
])
def test_failures_in_a_row_send_the_case_to_review(verdicts, count, review):
    assert consecutive_failures(verdicts) == count
    assert needs_review(verdicts, AttemptPolicy(failures_before_review=3)) is review
