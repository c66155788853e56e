from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantpilot.graph.retry import Deadline, PlannedWait, RetryPolicy, full_jitter_backoff, parse_retry_after


@pytest.mark.parametrize(
    ("value", "expected"),
    [("10", 10.0), ("0", 0.0), ("2.128", 2.128), (" 3 ", 3.0), ("0.5", 0.5)],
)
def test_parse_retry_after_reads_delta_seconds_including_fractions(value, expected):
    assert parse_retry_after(value) == pytest.approx(expected)


@pytest.mark.parametrize("value", [None, "", "   ", "soon", "-1", "nan", "inf", "1e400"])
def test_parse_retry_after_returns_none_for_missing_or_unreadable(value):
    assert parse_retry_after(value) is None


def test_parse_retry_after_reads_http_date_relative_to_now():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=42), usegmt=True)
    assert parse_retry_after(header, now=now) == pytest.approx(42.0)


def test_parse_retry_after_http_date_in_the_past_means_no_wait():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 0.0


@given(
    attempt=st.integers(min_value=1, max_value=500),
    base=st.floats(min_value=0, max_value=10, allow_nan=False),
    cap=st.floats(min_value=0, max_value=600, allow_nan=False),
    r=st.floats(min_value=0, max_value=1, allow_nan=False),
)
def test_full_jitter_backoff_stays_between_zero_and_capped_exponential(attempt, base, cap, r):
    delay = full_jitter_backoff(attempt, base=base, cap=cap, random=lambda: r)
    assert 0.0 <= delay <= min(cap, base * 2 ** min(attempt - 1, 64)) + 1e-9


@given(attempt=st.integers(min_value=1, max_value=30))
def test_full_jitter_backoff_with_max_random_is_the_capped_exponential(attempt):
    assert full_jitter_backoff(attempt, base=0.5, cap=30.0, random=lambda: 1.0) == min(30.0, 0.5 * 2 ** (attempt - 1))


def test_full_jitter_backoff_uses_the_injected_random():
    assert full_jitter_backoff(3, base=1.0, cap=100.0, random=lambda: 0.25) == 1.0


def test_full_jitter_backoff_rejects_attempt_zero():
    with pytest.raises(ValueError):
        full_jitter_backoff(0, base=1.0, cap=1.0)


@given(ra=st.floats(min_value=0, max_value=10_000, allow_nan=False))
def test_policy_takes_retry_after_as_sent_the_backoff_cap_does_not_apply(ra):
    policy = RetryPolicy(cap=30.0)
    assert policy.delay(1, ra, random=lambda: 0.0) == ra


def test_policy_without_retry_after_uses_jitter():
    policy = RetryPolicy(base=1.0, cap=30.0)
    assert policy.delay(2, None, random=lambda: 0.5) == 1.0


def test_retry_policy_is_frozen_and_validated():
    policy = RetryPolicy()
    with pytest.raises(AttributeError):
        policy.max_attempts = 9  # type: ignore[misc]
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(cap=-1)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@given(max_attempts=st.integers(min_value=1, max_value=20))
def test_budget_allows_exactly_max_attempts(max_attempts):
    budget = RetryPolicy(max_attempts=max_attempts, base=0.0, cap=0.0).start(clock=FakeClock())
    attempts = 0
    while True:
        budget.begin_attempt()
        attempts += 1
        if budget.next_delay() is None:
            break
    assert attempts == max_attempts


def test_budget_caps_a_retry_after_to_the_time_left_and_says_so():
    clock = FakeClock()
    budget = RetryPolicy(max_attempts=10, cap=30.0, max_total_seconds=25.0).start(clock=clock)
    budget.begin_attempt()
    assert budget.plan(20.0) == PlannedWait(20.0, 20.0, capped=False)
    clock.now = 20.0
    budget.begin_attempt()
    assert budget.plan(10.0) == PlannedWait(5.0, 10.0, capped=True)
    clock.now = 25.0
    budget.begin_attempt()
    assert budget.plan(10.0) is None


def test_budget_gives_up_when_a_backoff_would_exceed_total_time():
    clock = FakeClock()
    budget = RetryPolicy(max_attempts=10, base=8.0, cap=30.0, max_total_seconds=10.0).start(
        clock=clock, random=lambda: 1.0
    )
    budget.begin_attempt()
    assert budget.next_delay() == 8.0
    clock.now = 8.0
    budget.begin_attempt()
    assert budget.next_delay() is None  # 16 s of backoff does not fit in the 2 s left


def test_a_deadline_replaces_the_per_call_total_and_is_shared():
    clock = FakeClock()
    deadline = Deadline(100.0, clock=clock)
    policy = RetryPolicy(max_attempts=10, cap=5.0, max_total_seconds=10.0)
    first = policy.start(clock=clock, deadline=deadline)
    first.begin_attempt()
    assert first.plan(60.0) == PlannedWait(60.0, 60.0)  # more than max_total_seconds: the run allows it
    clock.now = 60.0
    second = policy.start(clock=clock, deadline=deadline)
    second.begin_attempt()
    assert second.plan(60.0) == PlannedWait(40.0, 60.0, capped=True)
    clock.now = 100.0
    assert deadline.remaining() == 0.0
    assert second.plan(1.0) is None


def test_a_deadline_counts_the_waits_shortened_to_it():
    clock = FakeClock()
    deadline = Deadline(100.0, clock=clock)
    policy = RetryPolicy(max_attempts=10)
    budget = policy.start(clock=clock, deadline=deadline)
    budget.begin_attempt()
    assert budget.plan(30.0) == PlannedWait(30.0, 30.0)  # fits: not counted
    assert deadline.capped_waits == 0
    assert budget.plan(3600.0) == PlannedWait(100.0, 3600.0, capped=True)
    assert deadline.capped_waits == 1
    unbounded = policy.start(clock=clock)  # a call without a run deadline counts nowhere
    unbounded.begin_attempt()
    assert unbounded.plan(3600.0) == PlannedWait(120.0, 3600.0, capped=True)
    assert deadline.capped_waits == 1


@pytest.mark.parametrize("seconds", [-1.0, float("nan")])
def test_deadline_rejects_negative_or_nan(seconds):
    with pytest.raises(ValueError):
        Deadline(seconds)


@given(
    waits=st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=1, max_size=30),
    total=st.floats(min_value=0, max_value=200, allow_nan=False),
)
def test_budget_never_plans_beyond_total_time(waits, total):
    clock = FakeClock()
    budget = RetryPolicy(max_attempts=50, cap=100.0, max_total_seconds=total).start(clock=clock)
    for ra in waits:
        budget.begin_attempt()
        delay = budget.next_delay(ra)
        if delay is None:
            break
        clock.now += delay
        assert clock.now <= total + 1e-9
