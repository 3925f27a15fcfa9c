"""The model of lesson 06: the TTL model against simulation, Zipf traces, push vs pull costs, LRU and Che.

Every simulation is seeded; the models are checked against exact values and against traces.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.cdn import (
    LruTtlCache,
    che_characteristic_time,
    che_hit_ratio,
    crossover_rate,
    fibre_rtt_ms,
    invalidation_cost_usd,
    poisson_trace,
    push_pull_costs,
    simulate_lru,
    simulate_ttl,
    ttl_fetch_rate,
    ttl_hit_ratio,
    zipf_popularity,
    zipf_trace,
)

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None)


# --- distance and popularity ----------------------------------------------------------------


@pytest.mark.parametrize(("distance_km", "rtt_ms"), [(0, 0.0), (8_770, 86.0), (1_000, 9.81), (100, 0.98)])
def test_fibre_rtt_is_there_and_back_at_c_over_1_47(distance_km: float, rtt_ms: float) -> None:
    assert float(fibre_rtt_ms(distance_km)) == pytest.approx(rtt_ms, abs=0.01)


@pytest.mark.parametrize(
    ("objects", "exponent", "first_shares"),
    [(1, 1.0, [1.0]), (2, 1.0, [2 / 3, 1 / 3]), (3, 0.0, [1 / 3] * 3), (4, 2.0, [1 / 1.423611])],
)
def test_zipf_popularity_table(objects: int, exponent: float, first_shares: list[float]) -> None:
    shares = zipf_popularity(objects, exponent)
    assert shares.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(shares[: len(first_shares)], first_shares, rtol=1e-6)


@given(st.integers(1, 5_000), st.floats(0.0, 3.0))
@PROPERTY_SETTINGS
def test_zipf_shares_sum_to_one_and_never_increase_with_rank(objects: int, exponent: float) -> None:
    shares = zipf_popularity(objects, exponent)
    assert shares.sum() == pytest.approx(1.0)
    assert np.all(np.diff(shares) <= 1e-15)


def test_zipf_trace_is_seeded_and_follows_the_shares() -> None:
    first = zipf_trace(50, 1.0, 200_000, np.random.default_rng(3))
    again = zipf_trace(50, 1.0, 200_000, np.random.default_rng(3))
    np.testing.assert_array_equal(first, again)
    measured = np.bincount(first, minlength=50) / first.size
    np.testing.assert_allclose(measured, zipf_popularity(50, 1.0), atol=0.005)


def test_poisson_trace_counts_match_the_rates() -> None:
    times, ids = poisson_trace([5.0, 0.5, 0.0], 2_000.0, np.random.default_rng(7))
    assert np.all(np.diff(times) >= 0)
    assert times.min() >= 0
    assert times.max() <= 2_000
    counts = np.bincount(ids, minlength=3)
    assert counts[0] == pytest.approx(10_000, rel=0.05)
    assert counts[1] == pytest.approx(1_000, rel=0.15)
    assert counts[2] == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: zipf_popularity(0), "objects must be an int >= 1, got 0"),
        (lambda: zipf_popularity(10, -1.0), "exponent must be a finite number >= 0, got -1.0"),
        (lambda: zipf_trace(10, 1.0, -1, np.random.default_rng(0)), "requests must be an int >= 0"),
        (lambda: poisson_trace([1.0, -2.0], 10.0, np.random.default_rng(0)), "rates_per_s must hold finite numbers"),
        (lambda: poisson_trace([1.0], 0.0, np.random.default_rng(0)), "duration_s must be a finite number > 0"),
        (lambda: fibre_rtt_ms(-5), "distance_km must hold finite numbers >= 0"),
    ],
)
def test_bad_popularity_and_trace_arguments_raise(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


# --- the TTL model --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "ttl", "hit", "fetch"),
    [(0.0, 60.0, 0.0, 0.0), (1.0, 9.0, 0.9, 0.1), (0.01, 60.0, 0.375, 0.00625), (10.0, 0.0, 0.0, 10.0)],
)
def test_ttl_model_table(rate: float, ttl: float, hit: float, fetch: float) -> None:
    assert float(ttl_hit_ratio(rate, ttl)) == pytest.approx(hit)
    assert float(ttl_fetch_rate(rate, ttl)) == pytest.approx(fetch)


@given(st.floats(1e-6, 1e6), st.floats(1e-3, 1e6))
@PROPERTY_SETTINGS
def test_every_request_is_a_hit_or_a_fetch_and_fetches_stay_below_one_per_ttl(rate: float, ttl: float) -> None:
    hit, fetch = float(ttl_hit_ratio(rate, ttl)), float(ttl_fetch_rate(rate, ttl))
    assert hit * rate + fetch == pytest.approx(rate, rel=1e-9)
    assert 0 <= hit < 1
    assert fetch <= 1 / ttl * (1 + 1e-12)


@pytest.mark.parametrize("load", [0.1, 1.0, 10.0])
def test_simulated_ttl_hit_ratio_matches_the_model(load: float) -> None:
    ttl = 60.0
    rates = np.full(200, load / ttl)
    times, ids = poisson_trace(rates, 200 * ttl, np.random.default_rng(11))
    hits = simulate_ttl(times, ids, ttl)
    assert hits.mean() == pytest.approx(load / (1 + load), abs=0.015)


def _ttl_by_hand(times: list[float], ids: list[int], ttl: float) -> list[bool]:
    expires: dict[int, float] = {}
    hits = []
    for time, key in zip(times, ids, strict=True):
        hit = key in expires and time < expires[key]
        if not hit:
            expires[key] = time + ttl
        hits.append(hit)
    return hits


@given(
    st.lists(st.tuples(st.floats(0, 100, allow_nan=False), st.integers(0, 4)), max_size=60),
    st.floats(0.0, 30.0),
)
@PROPERTY_SETTINGS
def test_vectorised_ttl_replay_agrees_with_a_plain_loop(requests: list[tuple[float, int]], ttl: float) -> None:
    requests = sorted(requests)
    times, ids = [t for t, _ in requests], [k for _, k in requests]
    assert simulate_ttl(times, ids, ttl).tolist() == _ttl_by_hand(times, ids, ttl)


def test_simulate_ttl_rejects_mismatched_arrays() -> None:
    with pytest.raises(ValueError, match="equal length"):
        simulate_ttl([0.0, 1.0], [1], 5.0)
    with pytest.raises(ValueError, match="ttl_s must be a finite number >= 0"):
        simulate_ttl([0.0], [1], -1.0)


# --- push against pull ----------------------------------------------------------------------


def test_push_pull_costs_match_the_formulas_object_by_object() -> None:
    objects, ttl, update, edges = 200, 600.0, 1 / 3_600, 4
    rates = np.array([0.1, 10.0, 1_000.0])
    costs = push_pull_costs(rates, objects, ttl, update, edges=edges, exponent=0.9)
    shares = zipf_popularity(objects, 0.9)
    for at, total in enumerate(rates):
        per_edge = total * shares / edges
        hit = ttl_hit_ratio(per_edge, ttl)
        assert costs.pull_hit_ratio[at] == pytest.approx(np.sum(shares * hit), rel=1e-4)
        assert costs.pull_egress_per_s[at] == pytest.approx(edges * np.sum(ttl_fetch_rate(per_edge, ttl)), rel=1e-4)
        assert costs.pull_storage[at] == pytest.approx(edges * np.sum(hit), rel=1e-4)
    assert costs.push_egress_per_s == pytest.approx(update * objects * edges)
    assert costs.push_storage == objects * edges
    assert costs.push_hit_ratio == 1.0


def test_pull_costs_of_a_large_catalogue_stay_exact_enough() -> None:
    rates = np.logspace(-1, 4, 6)
    costs = push_pull_costs(rates, 50_000, 3_600.0, 0.0, edges=10)
    shares = zipf_popularity(50_000, 1.0)
    exact = np.array([np.sum(shares * ttl_hit_ratio(rate * shares / 10, 3_600.0)) for rate in rates])
    np.testing.assert_allclose(costs.pull_hit_ratio, exact, rtol=1e-4)


@given(st.floats(0.01, 1e5), st.sampled_from([60.0, 3_600.0, 86_400.0]), st.sampled_from([100, 5_000]))
@PROPERTY_SETTINGS
def test_pull_never_beats_push_on_storage_and_never_fetches_more_than_once_per_ttl(
    rate: float, ttl: float, objects: int
) -> None:
    costs = push_pull_costs([rate], objects, ttl, 1 / 86_400, edges=10)
    assert costs.pull_storage[0] <= costs.push_storage
    assert costs.pull_egress_per_s[0] <= objects * 10 / ttl * (1 + 1e-9)
    assert costs.pull_egress_per_s[0] <= rate * (1 + 1e-9)


def test_pull_costs_grow_with_traffic() -> None:
    costs = push_pull_costs(np.logspace(-2, 5, 30), 1_000, 3_600.0, 1 / 86_400)
    for values in (costs.pull_hit_ratio, costs.pull_egress_per_s, costs.pull_storage):
        assert np.all(np.diff(values) > 0)


@pytest.mark.parametrize(
    ("objects", "ttl", "per_day"), [(100, 3_600.0, 1.0), (10_000, 900.0, 24.0), (100_000, 60.0, 1.0)]
)
def test_at_the_crossover_pull_egress_equals_push_egress(objects: int, ttl: float, per_day: float) -> None:
    update = per_day / 86_400
    rate = crossover_rate(objects, ttl, update, edges=10)
    assert rate is not None
    costs = push_pull_costs([rate / 2, rate, rate * 2], objects, ttl, update, edges=10)
    assert costs.pull_egress_per_s[1] == pytest.approx(costs.push_egress_per_s, rel=1e-6)
    assert costs.pull_egress_per_s[0] < costs.push_egress_per_s < costs.pull_egress_per_s[2]
    assert costs.crossover_rate_per_s == pytest.approx(rate)


@pytest.mark.parametrize(("ttl", "per_day"), [(86_400.0, 1.0), (3_600.0, 24.0), (3_600.0, 1_440.0)])
def test_no_crossover_when_updates_come_at_least_once_per_ttl(ttl: float, per_day: float) -> None:
    assert crossover_rate(1_000, ttl, per_day / 86_400) is None
    costs = push_pull_costs(np.logspace(-2, 6, 20), 1_000, ttl, per_day / 86_400)
    assert np.all(costs.pull_egress_per_s < costs.push_egress_per_s)


def test_no_updates_means_a_crossover_at_zero_traffic() -> None:
    assert crossover_rate(100, 60.0, 0.0) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"objects": 0}, "objects must be an int >= 1, got 0"),
        ({"ttl_s": 0.0}, "ttl_s must be a finite number > 0, got 0.0"),
        ({"update_rate_per_s": -1.0}, "update_rate_per_s must be a finite number >= 0"),
        ({"edges": 0}, "edges must be an int >= 1, got 0"),
        ({"exponent": math.nan}, "exponent must be a finite number >= 0"),
    ],
)
def test_push_pull_costs_rejects_bad_sites(kwargs: dict[str, float], message: str) -> None:
    site: dict[str, float] = {"objects": 10, "ttl_s": 60.0, "update_rate_per_s": 0.001, "edges": 2, "exponent": 1.0}
    site.update(kwargs)
    with pytest.raises(ValueError, match=message):
        push_pull_costs([1.0], **site)  # type: ignore[arg-type]


# --- LRU edges ------------------------------------------------------------------------------


def test_lru_ttl_cache_evicts_the_least_recently_used_and_drops_expired_entries() -> None:
    cache = LruTtlCache[str, int](capacity=2)
    cache.put("a", 1, ttl_s=10, now=0)
    cache.put("b", 2, ttl_s=10, now=0)
    assert cache.get("a", now=1) == 1
    cache.put("c", 3, ttl_s=10, now=2)
    assert cache.keys() == ["a", "c"]
    assert cache.evictions == 1
    assert cache.get("b", now=3) is None
    assert cache.get("a", now=10) is None  # expired exactly at 10: age >= max-age is stale
    assert "a" not in cache
    assert len(cache) == 1
    assert (cache.hits, cache.misses) == (1, 2)
    assert cache.hit_ratio == pytest.approx(1 / 3)


def test_lru_ttl_cache_replaces_without_evicting_and_ignores_zero_ttl() -> None:
    cache = LruTtlCache[str, int](capacity=1)
    cache.put("a", 1, ttl_s=5, now=0)
    cache.put("a", 2, ttl_s=5, now=1)
    cache.put("b", 9, ttl_s=0, now=1)
    assert cache.get("a", now=5.5) == 2
    assert cache.evictions == 0
    assert "b" not in cache
    assert cache.discard("a")
    assert not cache.discard("a")
    with pytest.raises(ValueError, match="capacity must be an int >= 1, got 0"):
        LruTtlCache(capacity=0)
    with pytest.raises(ValueError, match="ttl_s must be a number >= 0"):
        cache.put("a", 1, ttl_s=-1, now=0)


@given(st.lists(st.integers(0, 9), max_size=80), st.integers(1, 6))
@PROPERTY_SETTINGS
def test_lru_never_holds_more_than_its_capacity_and_counts_every_lookup(keys: list[int], capacity: int) -> None:
    cache = LruTtlCache[int, int](capacity=capacity)
    for step, key in enumerate(keys):
        if cache.get(key, now=step) is None:
            cache.put(key, key, ttl_s=math.inf, now=step)
        assert len(cache) <= capacity
    assert cache.hits + cache.misses == len(keys)


@pytest.mark.parametrize(("trace", "capacity", "hit_ratio"), [([1, 2, 1, 3, 1, 2], 2, 1 / 3), ([1, 1, 1], 1, 2 / 3)])
def test_simulate_lru_table(trace: list[int], capacity: int, hit_ratio: float) -> None:
    assert simulate_lru(trace, capacity) == pytest.approx(hit_ratio)


@pytest.mark.parametrize("capacity", [10, 100, 500])
def test_che_approximation_matches_a_simulated_lru_under_zipf(capacity: int) -> None:
    trace = zipf_trace(2_000, 0.9, 100_000, np.random.default_rng(5))
    simulated = simulate_lru(trace, capacity)
    assert che_hit_ratio(zipf_popularity(2_000, 0.9), capacity) == pytest.approx(simulated, abs=0.02)


def test_che_characteristic_time_solves_its_equation() -> None:
    shares = zipf_popularity(1_000, 1.0)
    t_c = che_characteristic_time(shares, 100)
    assert np.sum(1 - np.exp(-shares * t_c)) == pytest.approx(100, rel=1e-9)
    assert che_hit_ratio(shares[:5], 10) == 1.0  # everything fits
    with pytest.raises(ValueError, match="capacity must be below the number of requested objects"):
        che_characteristic_time([1.0, 1.0], 2)


# --- invalidation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paths", "dollars"),
    [(0, 0.0), (1_000, 0.0), (1_001, 0.005), (1_200, 1.0), (3_000, 10.0), (101_000, 500.0)],
)
def test_invalidation_cost_follows_cloudfront_pricing(paths: int, dollars: float) -> None:
    """CloudFront: the first 1,000 paths a month free, then $0.005 per path (exact to the cent)."""
    assert invalidation_cost_usd(paths) == dollars


def test_invalidation_cost_rejects_a_negative_count() -> None:
    with pytest.raises(ValueError, match="paths_per_month"):
        invalidation_cost_usd(-1)
