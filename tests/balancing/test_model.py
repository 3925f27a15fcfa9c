"""Tests for helpers.balancing.model: policies, balls into bins, the supermarket model and the queueing simulation.

Every simulation is seeded, so every number here is reproducible.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.balancing.model import (
    POLICY_NAMES,
    SIMULATED_POLICIES,
    HashChoice,
    LeastConnections,
    PowerOfTwoChoices,
    RandomChoice,
    RoundRobin,
    SmoothWeightedRoundRobin,
    Trace,
    abku_max_load,
    compare_policies,
    dispatch,
    gonnet_max_load,
    make_policy,
    make_trace,
    max_load,
    server_speeds,
    simulate,
    smooth_weighted_sequence,
    supermarket_tail,
    supermarket_time,
)

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None)


# --- policies -------------------------------------------------------------------------------


def test_round_robin_takes_backends_in_turn_whatever_their_load() -> None:
    policy = RoundRobin(3)
    assert [policy.pick([9, 0, 0]) for _ in range(7)] == [0, 1, 2, 0, 1, 2, 0]


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ([5, 1, 1], [0, 0, 1, 0, 2, 0, 0]),  # nginx's example: a a b a c a a
        ([1, 1, 1], [0, 1, 2]),
        ([2, 1], [0, 1, 0]),
        ([1, 3], [1, 0, 1, 1]),
        ([4], [0, 0, 0, 0]),
    ],
)
def test_smooth_weighted_round_robin_matches_the_nginx_sequence(weights: list[int], expected: list[int]) -> None:
    policy = SmoothWeightedRoundRobin(weights)
    assert [policy.pick([0] * len(weights)) for _ in range(len(expected))] == expected


@PROPERTY_SETTINGS
@given(st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=8), st.integers(0, 50))
def test_smooth_weighted_round_robin_gives_each_backend_its_weight_in_every_window(
    weights: list[int], offset: int
) -> None:
    total = sum(weights)
    sequence = smooth_weighted_sequence(weights, offset + total)
    window = sequence[offset : offset + total]
    assert np.bincount(window, minlength=len(weights)).tolist() == weights


@PROPERTY_SETTINGS
@given(st.lists(st.integers(min_value=1, max_value=10), min_size=2, max_size=6))
def test_smooth_weighted_sequence_repeats_the_policy_cycle(weights: list[int]) -> None:
    policy = SmoothWeightedRoundRobin(weights)
    picks = [policy.pick([0] * len(weights)) for _ in range(2 * sum(weights))]
    assert smooth_weighted_sequence(weights, len(picks)).tolist() == picks


def test_least_connections_takes_the_least_busy_and_ties_in_turn() -> None:
    policy = LeastConnections(4)
    assert policy.pick([3, 1, 2, 1]) == 1
    assert policy.pick([3, 1, 2, 1]) == 3  # the tie continues after the last choice
    assert [policy.pick([0, 0, 0, 0]) for _ in range(4)] == [0, 1, 2, 3]


@PROPERTY_SETTINGS
@given(st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=10))
def test_least_connections_always_picks_a_minimum(in_flight: list[int]) -> None:
    policy = LeastConnections(len(in_flight))
    for _ in range(3):
        assert in_flight[policy.pick(in_flight)] == min(in_flight)


@PROPERTY_SETTINGS
@given(st.lists(st.integers(min_value=0, max_value=20), min_size=2, max_size=10), st.integers(0, 2**32 - 1))
def test_power_of_two_never_picks_a_unique_maximum(in_flight: list[int], seed: int) -> None:
    policy = PowerOfTwoChoices(len(in_flight), np.random.default_rng(seed))
    picks = [policy.pick(in_flight) for _ in range(20)]
    if in_flight.count(max(in_flight)) == 1:
        assert in_flight.index(max(in_flight)) not in picks


def test_power_of_two_picks_an_idle_backend_as_often_as_it_is_sampled() -> None:
    policy = PowerOfTwoChoices(4, np.random.default_rng(3))
    share = np.mean([policy.pick([0, 5, 5, 5]) == 0 for _ in range(20_000)])
    assert abs(share - 0.5) < 0.02  # backend 0 is one of the two sampled with probability 1/2


def test_random_choice_is_uniform_and_seeded() -> None:
    picks = [RandomChoice(5, np.random.default_rng(8)).pick([0] * 5) for _ in range(3)]
    assert picks == [picks[0]] * 3
    policy = RandomChoice(5, np.random.default_rng(8))
    counts = np.bincount([policy.pick([0] * 5) for _ in range(10_000)], minlength=5)
    assert counts.min() > 1800


def test_hash_choice_is_sticky_and_spreads_clients() -> None:
    policy = HashChoice(4)
    homes = [policy.pick([0] * 4, key=f"client-{i}") for i in range(4000)]
    assert homes == [policy.pick([7] * 4, key=f"client-{i}") for i in range(4000)]  # load is ignored
    assert np.bincount(homes, minlength=4).min() > 900


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_make_policy_builds_every_named_policy(name: str) -> None:
    policy = make_policy(name, 3, np.random.default_rng(0), weights=[1, 2, 3])
    assert policy.name == name
    assert 0 <= policy.pick([0, 0, 0], key="k") < 3


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: RoundRobin(0), "backends must be an int >= 1, got 0"),
        (lambda: SmoothWeightedRoundRobin([]), "weights must be a non-empty list"),
        (lambda: SmoothWeightedRoundRobin([2, 0]), r"weights\[1\] must be an int >= 1, got 0"),
        (lambda: make_policy("fastest", 3), "policy must be one of"),
        (lambda: make_policy("weighted-round-robin", 3, weights=[1, 2]), "one weight per backend"),
        (lambda: RoundRobin(2).pick([0, 0, 0]), "one count per backend"),
        (lambda: HashChoice(2).pick([0, 0]), "needs a client key"),
        (lambda: PowerOfTwoChoices(3, np.random.default_rng(0), choices=0), "choices must be an int >= 1"),
    ],
)
def test_policies_reject_bad_input(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


# --- balls into bins ------------------------------------------------------------------------


def test_two_choices_shrink_the_fullest_bin() -> None:
    rng = np.random.default_rng(42)
    fullest = [max_load(100_000, 100_000, d, rng) for d in (1, 2, 3)]
    assert fullest[0] >= 2 * fullest[1]
    assert fullest[1] >= fullest[2]
    assert abs(fullest[0] - gonnet_max_load(100_000)) <= 1.5


@PROPERTY_SETTINGS
@given(st.integers(1, 300), st.integers(1, 50), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_max_load_is_between_the_average_and_all_balls(balls: int, bins: int, choices: int, seed: int) -> None:
    fullest = max_load(balls, bins, choices, np.random.default_rng(seed))
    assert math.ceil(balls / bins) <= fullest <= balls


@pytest.mark.parametrize(
    ("bins", "choices", "expected"),
    [(100_000, 1, 4.72), (100_000, 2, 3.53), (100_000, 3, 2.23), (1_000_000, 2, 3.79)],
)
def test_abku_leading_terms(bins: int, choices: int, expected: float) -> None:
    assert abku_max_load(bins, choices) == pytest.approx(expected, abs=0.01)


def test_gonnet_inverts_the_gamma_function() -> None:
    assert math.gamma(gonnet_max_load(100_000) + 1.5) == pytest.approx(100_000, rel=1e-9)


# --- the supermarket model ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("load", "choices", "expected"),
    [(0.9, 1, 10.0), (0.9, 2, 2.61), (0.9, 3, 2.03), (0.99, 1, 100.0), (0.99, 2, 5.43), (0.99, 3, 3.86)],
)
def test_supermarket_time_matches_the_fact_sheet_table(load: float, choices: int, expected: float) -> None:
    assert round(supermarket_time(load, choices), 2) == expected


@PROPERTY_SETTINGS
@given(st.floats(0.0, 0.995), st.integers(1, 4))
def test_supermarket_time_falls_with_more_choices_and_equals_the_tail_sum(load: float, choices: int) -> None:
    assert supermarket_time(load, choices + 1) <= supermarket_time(load, choices) + 1e-12
    tail_sum = sum(supermarket_tail(load, choices, i) for i in range(1, 3000 if choices == 1 else 40))
    assert supermarket_time(load, choices) == pytest.approx(tail_sum / load if load else 1.0, rel=1e-3)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: supermarket_time(1.0, 2), "load must be a number from 0 up to"),
        (lambda: supermarket_time(0.5, 0), "choices must be an int >= 1"),
        (lambda: supermarket_tail(-0.1, 2, 1), "load must be"),
        (lambda: max_load(10, 0, 1, np.random.default_rng(0)), "bins must be an int >= 1"),
        (lambda: gonnet_max_load(2), "bins must be an int >= 3"),
    ],
)
def test_models_reject_bad_input(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


# --- the queueing simulation ----------------------------------------------------------------


@PROPERTY_SETTINGS
@given(st.integers(1, 30), st.floats(1.0, 20.0))
def test_server_speeds_have_mean_one_and_the_requested_spread(servers: int, spread: float) -> None:
    speeds = server_speeds(servers, spread)
    assert speeds.mean() == pytest.approx(1.0)
    assert np.all(np.diff(speeds) >= 0)
    if servers > 1:
        assert speeds[-1] / speeds[0] == pytest.approx(spread)


def _fifo_by_hand(trace: Trace, speeds: list[float], servers: list[int]) -> list[float]:
    free_at = [0.0] * len(speeds)
    departures = []
    for t, size, i in zip(trace.arrivals.tolist(), trace.sizes.tolist(), servers, strict=True):
        free_at[i] = max(t, free_at[i]) + size / speeds[i]
        departures.append(free_at[i])
    return departures


@PROPERTY_SETTINGS
@given(st.integers(0, 2**32 - 1), st.sampled_from(SIMULATED_POLICIES), st.integers(1, 5))
def test_dispatch_departures_are_fifo_per_server(seed: int, policy: str, servers: int) -> None:
    trace = make_trace(300, servers, 0.8, np.random.default_rng(seed))
    speeds = server_speeds(servers, 3.0).tolist()
    assignment, departures = dispatch(trace, speeds, policy, np.random.default_rng(seed))
    np.testing.assert_allclose(departures, _fifo_by_hand(trace, speeds, assignment.tolist()))
    assert np.all(departures - trace.arrivals >= trace.sizes / np.asarray(speeds)[assignment] - 1e-9)


def test_least_connections_dispatch_sends_each_job_to_a_shortest_queue() -> None:
    trace = make_trace(2000, 4, 0.9, np.random.default_rng(2))
    assignment, departures = dispatch(trace, [1.0] * 4, "least-connections", np.random.default_rng(0))
    for k in range(0, 2000, 37):
        t = trace.arrivals[k]
        earlier = np.arange(k)
        queue = [int(np.sum((assignment[earlier] == i) & (departures[earlier] > t))) for i in range(4)]
        assert queue[assignment[k]] == min(queue)


def test_random_and_power_of_two_match_the_supermarket_model_at_load_0_9() -> None:
    random = simulate("random", 0.9, 100, 1.0, 200_000, np.random.default_rng(1))
    p2c = simulate("power-of-two", 0.9, 100, 1.0, 200_000, np.random.default_rng(1))
    assert random.mean == pytest.approx(supermarket_time(0.9, 1), rel=0.1)
    assert p2c.mean == pytest.approx(supermarket_time(0.9, 2), rel=0.05)


def test_round_robin_overloads_slow_servers_and_weights_fix_it() -> None:
    results = compare_policies(0.9, 10, 4.0, 20_000, seed=42)
    assert results["round-robin"].busy.max() >= 1.0
    assert results["weighted-round-robin"].busy.max() < 1.0
    assert np.allclose(results["round-robin"].job_shares, 0.1, atol=0.001)
    assert results["least-connections"].job_shares[-1] > results["least-connections"].job_shares[0]
    assert results["power-of-two"].percentile(99) < results["round-robin"].percentile(99) / 5


def test_stale_information_makes_least_connections_herd_but_not_power_of_two() -> None:
    fresh = compare_policies(0.9, 10, 1.0, 20_000, seed=3, policies=("least-connections", "power-of-two"))
    stale = compare_policies(
        0.9, 10, 1.0, 20_000, seed=3, refresh_interval=20.0, policies=("least-connections", "power-of-two", "random")
    )
    assert fresh["least-connections"].mean < fresh["power-of-two"].mean
    assert stale["least-connections"].mean > 3 * stale["random"].mean > 3 * stale["power-of-two"].mean


def test_compare_policies_is_reproducible() -> None:
    first = compare_policies(0.8, 4, 2.0, 2000, seed=9)
    second = compare_policies(0.8, 4, 2.0, 2000, seed=9)
    for name in SIMULATED_POLICIES:
        np.testing.assert_array_equal(first[name].response_times, second[name].response_times)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: server_speeds(3, 0.5), "spread must be a number from 1 to 100"),
        (lambda: make_trace(10, 2, 0.0, np.random.default_rng(0)), "load must be above 0"),
        (lambda: dispatch(Trace(np.zeros(1), np.ones(1)), [], "random", np.random.default_rng(0)), "speeds"),
        (lambda: dispatch(Trace(np.zeros(1), np.ones(1)), [1.0], "hash", np.random.default_rng(0)), "policy"),
        (
            lambda: dispatch(Trace(np.zeros(1), np.ones(1)), [1.0], "random", np.random.default_rng(0), -1.0),
            "refresh_interval must be a number >= 0",
        ),
        (lambda: compare_policies(0.5, 2, 1.0, 10, 0, policies=("hash",)), "policies must be among"),
        (lambda: simulate("random", 0.5, 2, 1.0, 100, np.random.default_rng(0)).percentile(101), "q must be"),
    ],
)
def test_simulation_rejects_bad_input(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
