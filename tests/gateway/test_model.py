"""Tests for helpers.gateway.model: the four limiters, trace replay, the b + r·t bound and CIDR allowlists.

Every trace is seeded; properties are checked with hypothesis on arbitrary sorted traces.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.gateway.model import (
    ALGORITHMS,
    FixedWindow,
    SlidingWindowCounter,
    SlidingWindowLog,
    TokenBucket,
    admit_fixed_window,
    boundary_burst_trace,
    bursty_trace,
    disagreement,
    is_allowed,
    make_limiter,
    max_in_any_span,
    parse_allowlist,
    replay,
    retry_after_header,
    sliding_counter_estimate,
    token_bucket_bound,
)

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)

traces = st.lists(st.floats(0.0, 100.0, allow_nan=False), min_size=0, max_size=80).map(sorted)


# --- limiters, request by request -----------------------------------------------------------


@pytest.mark.parametrize(
    ("limiter", "times", "expected"),
    [
        (TokenBucket(2, 1.0), [0.0, 0.0, 0.0, 1.0, 1.0], [True, True, False, True, False]),
        (TokenBucket(1, 0.5), [0.0, 1.0, 2.0, 3.0, 4.0], [True, False, True, False, True]),
        (TokenBucket(3, 100.0), [0.0] * 4 + [0.01], [True, True, True, False, True]),
        (FixedWindow(2, 60.0), [59.0, 59.5, 59.9, 60.0, 60.1, 60.2], [True, True, False, True, True, False]),
        (FixedWindow(1, 1.0), [0.0, 0.999, 1.0, 2.5], [True, False, True, True]),
        (SlidingWindowLog(2, 60.0), [59.0, 59.5, 59.9, 60.0, 119.0, 119.5], [True, True, False, False, True, True]),
        (SlidingWindowLog(1, 1.0), [0.0, 0.999, 1.0], [True, False, True]),
        (SlidingWindowCounter(2, 60.0), [59.0, 59.5, 59.9, 60.0, 90.0], [True, True, False, False, True]),
        (SlidingWindowCounter(10, 1.0), [5.0] * 12, [True] * 10 + [False] * 2),
    ],
)
def test_limiters_decide_as_specified(limiter: TokenBucket, times: list[float], expected: list[bool]) -> None:
    assert [limiter.allow(t) for t in times] == expected


def test_xu_sliding_counter_example_is_six_and_a_half() -> None:
    # Xu, vol. 1 ch. 4: 5 requests in the previous minute, 3 in the current, 30% into it.
    assert sliding_counter_estimate(5, 3, 0.3) == pytest.approx(6.5)
    counter = SlidingWindowCounter(limit=7, window_s=60.0)
    counter.allow(60.0)  # in the window [60, 120)
    counter.previous, counter.current = 5, 3
    assert counter.estimate(78.0) == pytest.approx(6.5)
    assert not counter.allow(78.0)  # 6.5 + 1 > 7: this counter never rounds the estimate down
    assert counter.allow(87.0)  # 5 * 0.55 + 3 + 1 = 6.75 <= 7


@pytest.mark.parametrize(
    ("limiter", "fill", "now", "wait"),
    [
        (TokenBucket(2, 0.5), [0.0, 0.0], 0.0, 2.0),
        (TokenBucket(2, 0.5), [0.0, 0.0], 1.0, 1.0),
        (FixedWindow(2, 10.0), [1.0, 2.0], 3.0, 7.0),
        (SlidingWindowLog(2, 10.0), [1.0, 2.0], 3.0, 8.0),
        (SlidingWindowCounter(1, 10.0), [1.0], 3.0, 17.0),
        (TokenBucket(2, 0.5), [], 0.0, 0.0),
    ],
)
def test_retry_after_is_the_wait_until_the_next_admission(
    limiter: TokenBucket, fill: list[float], now: float, wait: float
) -> None:
    for t in fill:
        assert limiter.allow(t)
    assert limiter.retry_after(now) == pytest.approx(wait)


@given(trace=traces, algorithm=st.sampled_from(ALGORITHMS), limit=st.integers(1, 6),
       window=st.sampled_from([0.5, 1.0, 7.0]))  # fmt: skip
@PROPERTY_SETTINGS
def test_retry_after_says_exactly_when_a_refused_client_gets_in(
    trace: list[float], algorithm: str, limit: int, window: float
) -> None:
    limiter = make_limiter(algorithm, capacity=limit, refill_per_s=limit / window, limit=limit, window_s=window)
    now = trace[-1] if trace else 0.0
    for t in trace:
        limiter.allow(t)
    wait = limiter.retry_after(now)
    assert wait >= 0.0
    if wait > 1e-6:
        assert not limiter.allow(now + wait * (1 - 1e-6) - 1e-9) or wait < 1e-5, "let in before Retry-After"
    assert limiter.allow(now + wait + 1e-6), f"{algorithm}: still refused after waiting {wait} s"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: TokenBucket(0, 1.0), "capacity must be a finite number > 0, got 0"),
        (lambda: TokenBucket(0.5, 1.0), "capacity must be >= 1"),
        (lambda: TokenBucket(5, -1), "refill_per_s must be a finite number > 0, got -1"),
        (lambda: FixedWindow(0, 1.0), "limit must be an int >= 1, got 0"),
        (lambda: SlidingWindowLog(5, math.inf), "window_s must be a finite number > 0, got inf"),
        (lambda: SlidingWindowCounter(2.5, 1.0), "limit must be an int >= 1, got 2.5"),  # type: ignore[arg-type]
        (lambda: make_limiter("leaky"), "algorithm must be one of .*got 'leaky'"),
        (lambda: sliding_counter_estimate(1, 1, 1.5), "elapsed_fraction must be a number from 0 to 1, got 1.5"),
        (lambda: retry_after_header(math.nan), "seconds must be a finite number"),
    ],
)
def test_bad_settings_raise_value_errors_naming_the_value(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_time_must_not_go_backwards(algorithm: str) -> None:
    limiter = make_limiter(algorithm)
    limiter.allow(5.0)
    with pytest.raises(ValueError, match=r"must not go backwards: got 4\.0 after 5\.0"):
        limiter.allow(4.0)


@pytest.mark.parametrize(("seconds", "header"), [(0.0, "1"), (0.2, "1"), (1.0, "1"), (1.5, "2"), (59.8, "60")])
def test_retry_after_header_is_whole_seconds_rounded_up(seconds: float, header: str) -> None:
    assert retry_after_header(seconds) == header


# --- traces and guarantees ------------------------------------------------------------------


def test_boundary_burst_passes_two_n_through_a_fixed_window_and_n_through_the_log() -> None:
    # The boundary burst: N = 100 per minute, 100 requests at 0:59.9 and 100 at 1:00.0.
    trace = boundary_burst_trace(100, 60.0)
    assert admit_fixed_window(trace, 100, 60.0).sum() == 200
    assert replay(trace, SlidingWindowLog(100, 60.0)).sum() == 100
    assert replay(trace, SlidingWindowCounter(100, 60.0)).sum() == 100


@given(trace=traces, limit=st.integers(1, 8), window=st.sampled_from([0.5, 1.0, 3.0, 10.0]))
@PROPERTY_SETTINGS
def test_vectorised_fixed_window_equals_the_request_by_request_limiter(
    trace: list[float], limit: int, window: float
) -> None:
    np.testing.assert_array_equal(admit_fixed_window(trace, limit, window), replay(trace, FixedWindow(limit, window)))


@given(trace=traces, capacity=st.integers(1, 10), refill=st.sampled_from([0.1, 0.5, 1.0, 5.0]))
@PROPERTY_SETTINGS
def test_token_bucket_never_admits_more_than_b_plus_r_t(trace: list[float], capacity: int, refill: float) -> None:
    admitted = np.asarray(trace)[replay(trace, TokenBucket(capacity, refill))]
    spans = np.linspace(0.0, 20.0, 41)
    assert (max_in_any_span(admitted, spans) <= token_bucket_bound(capacity, refill, spans) + 1e-6).all()


@given(trace=traces, limit=st.integers(1, 8), window=st.sampled_from([0.5, 1.0, 3.0, 10.0]))
@PROPERTY_SETTINGS
def test_sliding_log_is_exact_and_fixed_window_at_most_doubles(trace: list[float], limit: int, window: float) -> None:
    log = np.asarray(trace)[replay(trace, SlidingWindowLog(limit, window))]
    fixed = np.asarray(trace)[admit_fixed_window(trace, limit, window)]
    assert max_in_any_span(log, [window * (1 - 1e-9) - 1e-9])[0] <= limit
    assert max_in_any_span(fixed, [window * (1 - 1e-9) - 1e-9])[0] <= 2 * limit


@given(trace=traces, limit=st.integers(1, 8))
@PROPERTY_SETTINGS
def test_every_limiter_admits_a_trace_it_never_needs_to_refuse(trace: list[float], limit: int) -> None:
    few = trace[:limit]
    for algorithm in ALGORITHMS:
        limiter = make_limiter(algorithm, capacity=limit, refill_per_s=1.0, limit=limit, window_s=1.0)
        assert replay(few, limiter).all(), algorithm


def test_bursty_trace_is_seeded_sorted_and_the_right_size() -> None:
    first = bursty_trace(np.random.default_rng(3), duration_s=60.0, base_rate_per_s=1.0, bursts=4, burst_size=20)
    again = bursty_trace(np.random.default_rng(3), duration_s=60.0, base_rate_per_s=1.0, bursts=4, burst_size=20)
    np.testing.assert_array_equal(first, again)
    assert (np.diff(first) >= 0).all()
    assert first.min() >= 0
    assert first.max() < 60.0
    assert 80 + 30 < first.size < 80 + 95  # 80 in bursts, Poisson(60) in the background
    assert max_in_any_span(first, [0.5])[0] >= 20  # a burst of 20 in 0.5 s


@pytest.mark.parametrize(
    ("times", "spans", "expected"),
    [
        ([], [1.0], [0]),
        ([0.0, 0.5, 1.0, 5.0], [0.0, 1.0, 10.0], [1, 3, 4]),
        ([1.0, 1.0, 1.0], [0.0], [3]),
        ([0.0, 2.0, 4.0], [1.999, 2.0], [1, 2]),
    ],
)
def test_max_in_any_span_counts_the_busiest_closed_interval(
    times: list[float], spans: list[float], expected: list[int]
) -> None:
    assert max_in_any_span(times, spans).tolist() == expected


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: max_in_any_span([2.0, 1.0], [1.0]), "sorted ascending"),
        (lambda: max_in_any_span([1.0], [-1.0]), "spans_s must be spans >= 0"),
        (lambda: replay([-1.0], TokenBucket(1, 1.0)), "arrival times >= 0"),
        (lambda: disagreement([True], [True, False]), "two 1-d arrays of one length"),
        (lambda: boundary_burst_trace(5, 1.0, gap_s=2.0), "gap_s must be shorter than window_s"),
        (lambda: bursty_trace(np.random.default_rng(0), bursts=-1), "bursts must be an int >= 0, got -1"),
    ],
)
def test_trace_helpers_reject_bad_input(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_disagreement_is_the_share_of_differing_decisions() -> None:
    assert disagreement([], []) == 0.0
    assert disagreement([True, False, True, False], [True, True, False, False]) == 0.5


# --- allowlists -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowlist", "address", "allowed"),
    [
        (["127.0.0.0/30"], "127.0.0.0", True),
        (["127.0.0.0/30"], "127.0.0.3", True),
        (["127.0.0.0/30"], "127.0.0.4", False),
        (["10.0.0.0/8", "192.168.1.0/24"], "192.168.1.77", True),
        (["10.0.0.0/8", "192.168.1.0/24"], "192.168.2.1", False),
        (["2001:db8::/32"], "2001:db8::1", True),
        (["2001:db8::/32"], "127.0.0.1", False),
        ([], "127.0.0.1", False),
        (["0.0.0.0/0"], "203.0.113.9", True),
    ],
)
def test_is_allowed_checks_every_network(allowlist: list[str], address: str, allowed: bool) -> None:
    assert is_allowed(address, parse_allowlist(allowlist)) is allowed


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (["10.0.0.1/8"], "'10.0.0.1/8' is not a network in CIDR notation.*host bits set"),
        (["10.0.0.0/33"], "'10.0.0.0/33' is not a network"),
        (["localhost"], "'localhost' is not a network"),
        ("10.0.0.0/8", "a list of CIDR strings, not one string"),
    ],
)
def test_parse_allowlist_rejects_typos(entries: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_allowlist(entries)


def test_is_allowed_rejects_a_non_address() -> None:
    with pytest.raises(ValueError, match=r"address must be an IPv4 or IPv6 address, got 'example\.com'"):
        is_allowed("example.com", parse_allowlist(["0.0.0.0/0"]))


@given(prefix=st.integers(8, 32), host=st.integers(0, 2**32 - 1))
@PROPERTY_SETTINGS
def test_a_network_contains_exactly_its_prefix(prefix: int, host: int) -> None:
    network = parse_allowlist([f"10.0.0.0/{prefix}"]) if prefix >= 8 else ()
    address = f"{(host >> 24) & 255}.{(host >> 16) & 255}.{(host >> 8) & 255}.{host & 255}"
    inside = (host >> (32 - prefix)) == (0x0A000000 >> (32 - prefix))
    assert is_allowed(address, network) is inside
