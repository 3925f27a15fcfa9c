"""Tests for helpers.clients.model: SRV order, backoff bounds, contention, retry rules, breaker, budgets."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.clients.model import (
    STRATEGIES,
    CircuitBreaker,
    CircuitOpenError,
    RetryBudget,
    SrvTarget,
    amplification,
    backoff_delays,
    capped_exponential,
    decorrelated_jitter,
    equal_jitter,
    full_jitter,
    instance_records,
    layered_calls,
    parse_retry_after,
    retry_delay,
    should_retry,
    simulate_contention,
    simulate_outage,
    srv_name,
    srv_order,
    wasted_calls,
)

NOW = datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)


# --- SRV ----------------------------------------------------------------------------------


def test_an_instance_is_an_srv_record_and_its_hosts_a_record_for_lesson_04s_server() -> None:
    srv, host = instance_records("Orders", 8081, "a", priority=20, weight=0, ttl=5, zone="shop.test.")
    assert (srv.name, srv.type, srv.value, srv.ttl) == ("_orders._tcp.shop.test", "SRV", "20 0 8081 a.shop.test", 5)
    assert (host.name, host.type, host.value, host.ttl) == ("a.shop.test", "A", "127.0.0.1", 5)
    assert srv_name("pay-v2", "eu.shop.test") == "_pay-v2._tcp.eu.shop.test"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: srv_name("_orders"), "service must be a name of letters, digits and '-'"),
        (lambda: srv_name("a-service-name-too-long"), "got 'a-service-name-too-long'"),
        (lambda: srv_name(""), "got ''"),
        (lambda: instance_records("orders", 70000, "a"), "port must be an int from 0 to 65535, got 70000"),
        (lambda: instance_records("orders", 8081, "a", weight=-1), "weight must be an int from 0 to 65535, got -1"),
        (lambda: instance_records("orders", 8081, "a.shop.test"), "host must be one label such as 'a'"),
        (lambda: instance_records("orders", 8081, "a", ttl=-5), "ttl must be an int from 0"),
    ],
)
def test_discovery_records_reject_bad_input_naming_it(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call()  # type: ignore[operator]


def test_srv_order_puts_lower_priority_first_always() -> None:
    records = [SrvTarget(20, 100, 3, "c"), SrvTarget(10, 1, 1, "a"), SrvTarget(10, 1, 2, "b")]
    rng = random.Random(0)
    for _ in range(200):
        order = srv_order(records, rng)
        assert order[-1].target == "c"
        assert sorted(r.target for r in order) == ["a", "b", "c"]


def test_srv_order_first_pick_follows_weights() -> None:
    records = [SrvTarget(10, 1, 1, "light"), SrvTarget(10, 3, 2, "heavy")]
    rng = random.Random(7)
    first = Counter(srv_order(records, rng)[0].target for _ in range(4000))
    assert 0.70 < first["heavy"] / 4000 < 0.80


def test_srv_order_zero_weight_goes_last_but_is_never_lost() -> None:
    records = [SrvTarget(10, 0, 1, "zero"), SrvTarget(10, 10, 2, "ten"), SrvTarget(10, 0, 3, "nil")]
    rng = random.Random(3)
    orders = [srv_order(records, rng) for _ in range(300)]
    assert all(o[0].target == "ten" and len(o) == 3 for o in orders)
    assert {o[1].target for o in orders} | {o[2].target for o in orders} == {"zero", "nil"}


@pytest.mark.parametrize("bad", [dict(priority=-1), dict(weight=70000), dict(port=-2), dict(target="")])
def test_srv_target_rejects_bad_fields(bad: dict[str, object]) -> None:
    fields: dict[str, object] = dict(priority=1, weight=1, port=1, target="a")
    fields.update(bad)
    with pytest.raises(ValueError, match=next(iter(bad))):
        SrvTarget(**fields)  # type: ignore[arg-type]


# --- backoff ------------------------------------------------------------------------------


def test_capped_exponential_doubles_then_caps() -> None:
    assert [capped_exponential(n, 0.1, 1.0) for n in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    assert capped_exponential(5000, 1, 30) == 30


@settings(max_examples=60, deadline=None)
@given(attempt=st.integers(0, 40), base=st.floats(0.001, 10), seed=st.integers(0, 2**32))
def test_jitter_bounds(attempt: int, base: float, seed: int) -> None:
    cap = base * 50
    t = capped_exponential(attempt, base, cap)
    rng = random.Random(seed)
    assert 0 <= full_jitter(attempt, base, cap, rng) <= t
    assert t / 2 <= equal_jitter(attempt, base, cap, rng) <= t
    assert base <= decorrelated_jitter(base * 2, base, cap, rng) <= min(cap, base * 6)


def test_full_jitter_mean_is_half_the_ceiling() -> None:
    rng = random.Random(11)
    draws = [full_jitter(10, 1, 64, rng) for _ in range(20000)]
    assert abs(sum(draws) / len(draws) - 32) < 0.03 * 32


def test_jitter_uses_the_injected_rng() -> None:
    assert full_jitter(5, 1, 100, random.Random(1)) == full_jitter(5, 1, 100, random.Random(1))
    assert full_jitter(5, 1, 100, random.Random(1)) != full_jitter(5, 1, 100, random.Random(2))


def test_backoff_delays_per_strategy() -> None:
    assert backoff_delays("none", 5, 1, 8, random.Random(0)) == [1, 2, 4, 8, 8]
    for strategy in STRATEGIES:
        delays = backoff_delays(strategy, 12, 1, 8, random.Random(0))
        assert len(delays) == 12
        assert all(0 <= d <= 8 for d in delays)


@pytest.mark.parametrize(
    ("call", "word"),
    [
        (lambda: capped_exponential(-1, 1, 2), "attempt"),
        (lambda: capped_exponential(1, 0, 2), "base"),
        (lambda: capped_exponential(1, 3, 2), "cap"),
        (lambda: full_jitter(1, 1, 2, 7), "rng"),  # type: ignore[arg-type]
        (lambda: backoff_delays("lots", 2, 1, 2, random.Random(0)), "strategy"),  # type: ignore[arg-type]
        (lambda: decorrelated_jitter(0.5, 1, 2, random.Random(0)), "previous"),
    ],
)
def test_backoff_rejects_bad_input(call: object, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        call()  # type: ignore[operator]


# --- contention ---------------------------------------------------------------------------


def test_no_jitter_is_one_winner_per_round() -> None:
    for n in (1, 2, 10, 100):
        assert simulate_contention("none", n).calls == n * (n + 1) // 2


def test_brookers_result_over_seeds() -> None:
    for seed in range(3):
        runs = {s: simulate_contention(s, 100, seed=seed) for s in STRATEGIES}
        for jittered in ("equal", "full", "decorrelated"):
            assert runs["none"].calls > 5 * runs[jittered].calls
            assert runs["none"].completion_time > 10 * runs[jittered].completion_time
        assert runs["equal"].calls > runs["full"].calls


def test_contention_is_seeded() -> None:
    assert simulate_contention("full", 50, seed=4) == simulate_contention("full", 50, seed=4)


# --- what to retry ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "status", "attempt", "expected"),
    [
        ("GET", 503, 1, True),
        ("get", 429, 2, True),
        ("PUT", None, 1, True),
        ("DELETE", 504, 1, True),
        ("GET", 400, 1, False),
        ("GET", 404, 1, False),
        ("GET", 500, 1, False),
        ("POST", 503, 1, False),
        ("PATCH", None, 1, False),
        ("GET", 503, 3, False),
    ],
)
def test_should_retry(method: str, status: int | None, attempt: int, expected: bool) -> None:
    assert should_retry(method, status, attempt, 3) is expected


def test_should_retry_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="status"):
        should_retry("GET", 700, 1, 3)
    with pytest.raises(ValueError, match="attempt"):
        should_retry("GET", 503, 0, 3)
    with pytest.raises(ValueError, match="method"):
        should_retry("", 503, 1, 3)


def test_retry_after_both_forms() -> None:
    assert parse_retry_after("0", NOW) == 0.0
    assert parse_retry_after(" 7 ", NOW) == 7.0
    assert parse_retry_after(format_datetime(NOW + timedelta(seconds=90), usegmt=True), NOW) == 90.0
    assert parse_retry_after(format_datetime(NOW - timedelta(seconds=90), usegmt=True), NOW) == 0.0
    for bad in (None, "", "1.5", "-3", "+3", "soon", "Mon, 99 Foo 2026"):
        assert parse_retry_after(bad, NOW) is None, bad
    with pytest.raises(ValueError, match="now"):
        parse_retry_after("1", datetime(2026, 1, 1))


def test_retry_delay_prefers_the_server_then_falls_back() -> None:
    assert retry_delay({"Retry-After": "3"}, 1, random.Random(0), now=NOW) == 3.0
    date = format_datetime(NOW + timedelta(seconds=4), usegmt=True)
    assert retry_delay({"retry-after": date}, 1, random.Random(0), now=NOW) == 4.0
    fallback = retry_delay({"Retry-After": "later"}, 2, random.Random(0), base=1, cap=100, now=NOW)
    assert fallback == full_jitter(2, 1, 100, random.Random(0))


# --- circuit breaker ----------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def fail() -> None:
    raise ConnectionError("down")


def test_breaker_opens_after_fail_max_and_fails_fast() -> None:
    clock = Clock()
    breaker = CircuitBreaker(3, 10, clock)
    calls = []

    def counted() -> None:
        calls.append(clock.now)
        fail()

    for _ in range(3):
        with pytest.raises(ConnectionError):
            breaker.call(counted)
    assert breaker.state == "open"
    for _ in range(5):
        with pytest.raises(CircuitOpenError):
            breaker.call(counted)
    assert len(calls) == 3


def test_half_open_admits_one_trial_and_failure_restarts_the_timer() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 10, clock)
    breaker.record_failure()
    clock.now = 9.9
    assert not breaker.allow()
    clock.now = 10
    assert breaker.allow()
    assert breaker.state == "half-open"
    assert not breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    clock.now = 19
    assert not breaker.allow()
    clock.now = 20
    assert breaker.call(lambda: 42) == 42
    assert breaker.state == "closed"
    assert [s for _, s in breaker.transitions] == ["open", "half-open", "open", "half-open", "closed"]


def test_success_resets_the_count_and_slow_success_is_success() -> None:
    clock = Clock()
    breaker = CircuitBreaker(2, 1, clock)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"

    def slow() -> str:
        clock.now += 60
        return "ok"

    assert breaker.call(slow) == "ok"
    assert breaker.failures == 0


def test_breaker_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="fail_max"):
        CircuitBreaker(0, 1, Clock())
    with pytest.raises(ValueError, match="reset_timeout"):
        CircuitBreaker(1, 0, Clock())
    with pytest.raises(ValueError, match="clock"):
        CircuitBreaker(1, 1, 5)  # type: ignore[arg-type]


def test_wasted_calls_with_and_without_a_breaker() -> None:
    assert wasted_calls(30, 50) == 1500
    with_breaker = wasted_calls(30, 50, fail_max=3, reset_timeout=5)
    assert with_breaker <= 3 + 30 / 5 + 1
    assert with_breaker == 8


# --- amplification and budgets ------------------------------------------------------------


@pytest.mark.parametrize(("k", "layers"), [(0, 1), (1, 4), (2, 2), (3, 3)])
def test_measured_amplification_equals_the_formula(k: int, layers: int) -> None:
    assert layered_calls(k, layers) == amplification(k, layers) == (k + 1) ** layers


def test_budget_bounds_each_layer() -> None:
    assert layered_calls(3, 3, 2000, budget_ratio=0.1) <= 1.1**3 * 2000 + 1e-6
    assert layered_calls(3, 3, 2000) == 64 * 2000


def test_budget_tokens() -> None:
    budget = RetryBudget(0.1)
    for _ in range(10):
        budget.record_request()
    assert budget.try_spend()
    assert not budget.try_spend()
    with pytest.raises(ValueError, match="ratio"):
        RetryBudget(2)


# --- the explorer's outage simulation -----------------------------------------------------------


def test_outage_without_helpers_wastes_every_call_until_the_dependency_is_back() -> None:
    run = simulate_outage("full", 50, outage_s=2.0, horizon_s=5.0)
    assert run.gave_up == 0
    assert run.calls == int(run.offered.sum())
    assert run.calls - run.wasted == int(run.completed[-1])
    assert int(run.offered[:20].sum()) == run.wasted  # every call in the first 2 s failed
    assert int(run.completed[19]) == 0


def test_outage_breaker_and_budget_cut_the_waste() -> None:
    plain = simulate_outage("full", 100, outage_s=2.0, horizon_s=5.0)
    breaker = simulate_outage("full", 100, outage_s=2.0, horizon_s=5.0, breaker=True, fail_max=5, reset_timeout_s=0.5)
    budget = simulate_outage("full", 100, outage_s=2.0, horizon_s=5.0, budget=True)
    assert breaker.wasted <= 5 + 2.0 / 0.5 + 1
    assert set(np.unique(breaker.breaker)) <= {0, 1, 2}
    assert breaker.breaker[5] == 1
    assert breaker.breaker[-1] == 0
    assert budget.gave_up > 0
    assert budget.wasted < plain.wasted / 3


def test_outage_is_seeded_and_checks_its_arguments() -> None:
    a = simulate_outage("decorrelated", 30, seed=3)
    b = simulate_outage("decorrelated", 30, seed=3)
    assert a.calls == b.calls
    assert np.array_equal(a.offered, b.offered)
    with pytest.raises(ValueError, match="clients"):
        simulate_outage("full", 0)


def test_the_answers_to_lesson_12s_practice_questions() -> None:
    from datetime import UTC, datetime

    from helpers.clients import amplification, capped_exponential, parse_retry_after, should_retry

    assert capped_exponential(6, 0.1, 5.0) == 5.0
    assert amplification(2, 4) == 81
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", datetime(2026, 1, 1, tzinfo=UTC)) == 30.0
    assert not should_retry("POST", 503, 1, 3)
    assert should_retry("GET", 503, 1, 3)
