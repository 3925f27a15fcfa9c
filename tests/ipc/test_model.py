"""Tests for helpers.ipc.model: availability composition, the tail formula, and the sync/async simulation.

Every simulation runs with a seeded generator, so the statistical checks are deterministic;
their tolerances are several standard errors wide, and each one still fails for a broken
model (availability not multiplied, the tail formula with N and p swapped, ...).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.ipc.model import (
    CallGraph,
    chain_availability,
    fraction_within,
    parallel_availability,
    percentile_ms,
    simulate,
    tail_probability,
)

PROPERTY_SETTINGS = settings(max_examples=50, deadline=None)
fractions = st.floats(0.0, 1.0, allow_nan=False)


# --- availability ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "series", "parallel"),
    [
        ([0.999, 0.999], 0.998001, 0.999999),  # FACTS.md section 12: 99.8% and 99.9999%
        ([0.99], 0.99, 0.99),
        ([1.0, 0.5], 0.5, 1.0),
        ([0.5, 0.5, 0.5], 0.125, 0.875),
        ([0.0, 0.9], 0.0, 0.9),
    ],
)
def test_availability_in_series_and_in_parallel(parts: list[float], series: float, parallel: float) -> None:
    assert chain_availability(parts) == pytest.approx(series)
    assert parallel_availability(parts) == pytest.approx(parallel)


@given(parts=st.lists(fractions, min_size=1, max_size=20))
@PROPERTY_SETTINGS
def test_chain_availability_is_the_product_and_never_above_the_weakest_part(parts: list[float]) -> None:
    assert chain_availability(parts) == pytest.approx(math.prod(parts))
    assert chain_availability(parts) <= min(parts) + 1e-12
    assert parallel_availability(parts) >= max(parts) - 1e-12


@given(parts=st.lists(fractions, min_size=1, max_size=10), extra=fractions)
@PROPERTY_SETTINGS
def test_adding_a_part_to_a_chain_never_raises_its_availability(parts: list[float], extra: float) -> None:
    assert chain_availability([*parts, extra]) <= chain_availability(parts) + 1e-12


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([], "empty"),
        ([1.5], r"availabilities\[0\] must be a number from 0 to 1, got 1.5"),
        ([0.9, -0.1], r"availabilities\[1\] .* got -0.1"),
        ([True], "got True"),
        ("0.9", "got '0.9'"),
    ],
)
def test_availability_rejects_bad_parts_naming_them(parts: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        chain_availability(parts)  # type: ignore[arg-type]


# --- tail probability -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "n", "expected"),
    [
        (0.01, 100, 0.634),  # Dean and Barroso 2013: 63%
        (0.01, 1, 0.01),
        (0.0, 50, 0.0),
        (1.0, 3, 1.0),
        (0.5, 2, 0.75),
    ],
)
def test_tail_probability_table(p: float, n: int, expected: float) -> None:
    assert tail_probability(p, n) == pytest.approx(expected, abs=5e-4)


@given(p=fractions, n=st.integers(1, 500))
@PROPERTY_SETTINGS
def test_tail_probability_grows_with_fan_out(p: float, n: int) -> None:
    assert tail_probability(p, n) <= tail_probability(p, n + 1) + 1e-12
    assert p - 1e-12 <= tail_probability(p, n) <= 1.0


@pytest.mark.parametrize(("p", "n"), [(0.005, 20), (0.01, 100), (0.05, 10), (0.1, 3)])
def test_tail_formula_matches_a_simulation(p: float, n: int) -> None:
    rng = np.random.default_rng(7)
    slow = rng.random((40_000, n)) < p
    measured = slow.any(axis=1).mean()
    assert measured == pytest.approx(tail_probability(p, n), abs=0.01)


@pytest.mark.parametrize(
    ("p", "n", "message"),
    [(1.1, 3, "slow_probability .* got 1.1"), (0.1, 0, "calls must be an int >= 1, got 0"), (0.1, 2.0, "got 2.0")],
)
def test_tail_probability_rejects_bad_input(p: float, n: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tail_probability(p, n)


# --- call graph and simulation --------------------------------------------------------------


def test_call_graph_counts_calls_and_predicts_both_rates() -> None:
    graph = CallGraph(hops=3, fan_out=10, availability=0.999, slow_probability=0.01)
    assert graph.calls == 13
    assert graph.sync_availability == pytest.approx(0.999**13)
    assert graph.sync_slow_probability == pytest.approx(1 - 0.99**13)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hops": 0}, "hops must be an int >= 1, got 0"),
        ({"fan_out": -1}, "fan_out must be an int >= 0, got -1"),
        ({"hop_latency_ms": 0}, "hop_latency_ms must be a finite number > 0, got 0"),
        ({"availability": 1.01}, "availability must be a number from 0 to 1, got 1.01"),
        ({"slow_probability": -0.5}, "got -0.5"),
        ({"slow_factor": 0.5}, "slow_factor must be >= 1"),
        ({"redelivery_ms": float("inf")}, "redelivery_ms .* got inf"),
    ],
)
def test_call_graph_rejects_bad_settings(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CallGraph(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "graph",
    [
        CallGraph(),
        CallGraph(hops=1, fan_out=0, availability=0.99, slow_probability=0.0),
        CallGraph(hops=10, fan_out=100, availability=0.9999, slow_probability=0.001),
        CallGraph(hops=5, fan_out=20, availability=0.99, slow_probability=0.05, hop_latency_ms=2.0),
    ],
    ids=["defaults", "one-hop", "wide", "flaky"],
)
def test_simulation_matches_the_product_rule_and_the_tail_formula(graph: CallGraph) -> None:
    result = simulate(graph, np.random.default_rng(42), requests=40_000)
    assert result.sync_availability == pytest.approx(graph.sync_availability, abs=0.006)
    assert result.slow.mean() == pytest.approx(graph.sync_slow_probability, abs=0.008)
    assert result.async_availability == pytest.approx(graph.availability, abs=0.003)
    # A request fails synchronously exactly when some part was down.
    np.testing.assert_array_equal(np.isinf(result.sync_ms), result.down)


def test_async_caller_waits_less_but_the_work_takes_at_least_as_long() -> None:
    graph = CallGraph(hops=4, fan_out=20, availability=0.99)
    result = simulate(graph, np.random.default_rng(1), requests=20_000)
    accepted = np.isfinite(result.ack_ms)
    answered = np.isfinite(result.sync_ms)
    assert percentile_ms(result.ack_ms, 50) < percentile_ms(result.sync_ms, 50) / 3
    # The same work, plus the broker hop: never faster than the synchronous answer.
    both = accepted & answered
    assert np.all(result.done_ms[both] > result.sync_ms[both])
    # Down parts delay the work by a redelivery instead of failing it.
    delayed = accepted & result.down
    assert delayed.any()
    assert np.all(result.done_ms[delayed] >= graph.redelivery_ms)
    assert np.isfinite(result.done_ms[accepted]).all()


def test_simulation_is_reproducible_with_the_same_seed_and_differs_with_another() -> None:
    first = simulate(CallGraph(), np.random.default_rng(3), requests=1000)
    again = simulate(CallGraph(), np.random.default_rng(3), requests=1000)
    other = simulate(CallGraph(), np.random.default_rng(4), requests=1000)
    np.testing.assert_array_equal(first.sync_ms, again.sync_ms)
    assert not np.array_equal(first.ack_ms, other.ack_ms)


def test_mean_call_latency_is_the_hop_latency() -> None:
    graph = CallGraph(hops=1, fan_out=0, availability=1.0, slow_probability=0.0, hop_latency_ms=20.0)
    result = simulate(graph, np.random.default_rng(5), requests=50_000)
    assert result.sync_ms.mean() == pytest.approx(20.0, rel=0.01)


@pytest.mark.parametrize(
    ("rng", "requests", "message"),
    [(None, 10, "rng must be a numpy.random.Generator"), (42, 10, "got 42"), ("ok", 0, "requests must be")],
)
def test_simulate_rejects_a_missing_generator_or_no_requests(rng: object, requests: int, message: str) -> None:
    generator = np.random.default_rng(0) if rng == "ok" else rng
    with pytest.raises(ValueError, match=message):
        simulate(CallGraph(), generator, requests=requests)  # type: ignore[arg-type]


# --- percentiles ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([1.0, 2.0, 3.0, 4.0], 100, 4.0),
        ([5.0], 99, 5.0),
        ([1.0, 2.0, np.inf, np.inf], 50, np.inf),
        ([1.0] * 99 + [np.inf], 50, 1.0),
    ],
)
def test_percentile_counts_failures_as_slowest(values: list[float], percent: float, expected: float) -> None:
    assert percentile_ms(np.array(values), percent) == expected


@given(st.lists(st.floats(0.0, 1e6), min_size=1, max_size=200), st.floats(0.0, 100.0))
@PROPERTY_SETTINGS
def test_percentile_agrees_with_numpy_when_nothing_failed(values: list[float], percent: float) -> None:
    assert percentile_ms(np.array(values), percent) == pytest.approx(np.percentile(values, percent))


def test_fraction_within_never_counts_failures() -> None:
    assert fraction_within(np.array([1.0, np.inf, 3.0, 10.0]), 5.0) == 0.5
    assert fraction_within(np.array([np.inf]), 1e9) == 0.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: percentile_ms(np.array([]), 50), "non-empty"),
        (lambda: percentile_ms(np.array([1.0, np.nan]), 50), "without NaN"),
        (lambda: percentile_ms(np.array([1.0]), 101), "percent must be a number from 0 to 100, got 101"),
        (lambda: fraction_within(np.array([1.0]), 0.0), "limit_ms must be a finite number > 0, got 0.0"),
    ],
)
def test_percentile_and_fraction_reject_bad_input(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
