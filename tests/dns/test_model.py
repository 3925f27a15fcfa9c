"""The model of lesson 04: records and zones, routing policies, the TTL cache and the simulations.

Every simulation is seeded (``np.random.default_rng``); tolerances are a few standard errors.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.dns import (
    MAX_TTL,
    RECORD_TYPES,
    ROUTING_POLICIES,
    Endpoint,
    Record,
    TtlCache,
    authoritative_query_rate,
    effective_resolvers,
    failover_choice,
    geolocation_choice,
    latency_choice,
    multivalue_choice,
    simulate_split,
    simulate_staleness,
    srv_fields,
    stale_fraction,
    time_until_seen,
    validate_zone,
    weighted_choice,
    weighted_shares,
    zipf_populations,
)

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None)
US = Endpoint("us-east", "192.0.2.10", weight=1, location="default")
EU = Endpoint("eu-west", "192.0.2.20", weight=3, location="europe")


# --- records and zones -----------------------------------------------------------------------


def test_facts_route_53_has_eight_policies_and_the_common_record_types() -> None:
    assert len(ROUTING_POLICIES) == 8
    assert {"A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA"} <= set(RECORD_TYPES)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "", "type": "A", "value": "192.0.2.1"}, "name must be a non-empty domain name"),
        ({"name": "a.test", "type": "SPF", "value": "x"}, "type must be one of"),
        ({"name": "a.test", "type": "A", "value": ""}, "value must be a non-empty string"),
        ({"name": "a.test", "type": "A", "value": "192.0.2.1", "ttl": -1}, "ttl must be an int from 0"),
        ({"name": "a.test", "type": "A", "value": "192.0.2.1", "ttl": MAX_TTL + 1}, "to 2147483647, got 2147483648"),
    ],
)
def test_record_rejects_bad_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Record(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([Record("shop.test", "CNAME", "www.shop.test")], "CNAME at the zone apex"),
        ([Record("www.shop.test", "CNAME", "x.test"), Record("www.shop.test", "A", "192.0.2.1")], "alone"),
        ([Record("www.other.test", "A", "192.0.2.1")], "not inside the zone"),
    ],
)
def test_validate_zone_rejects_cname_at_apex_or_with_other_data(records: list[Record], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_zone("shop.test", records)


def test_validate_zone_accepts_a_cname_below_the_apex_and_addresses_at_it() -> None:
    validate_zone("Shop.Test.", [Record("shop.test", "A", "192.0.2.1"), Record("cdn.shop.test", "CNAME", "a.cdn.test")])


# --- SRV records (RFC 2782) --------------------------------------------------------------------


def test_srv_record_holds_priority_weight_port_target_in_canonical_form() -> None:
    record = Record("_Orders._TCP.shop.test.", "SRV", " 10  60 8081 A.Shop.Test. ", ttl=5)
    assert (record.name, record.value, record.ttl) == ("_orders._tcp.shop.test", "10 60 8081 a.shop.test", 5)
    assert srv_fields(record.value) == (10, 60, 8081, "a.shop.test")
    assert srv_fields("0 0 0 .") == (0, 0, 0, ".")  # RFC 2782: target "." means "decidedly not available here"
    assert srv_fields("65535 65535 65535 b.test") == (65535, 65535, 65535, "b.test")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("10 60 8081", "priority weight port target"),
        ("10 60 8081 a.test extra", "priority weight port target"),
        ("ten 60 8081 a.test", "priority must be an int from 0 to 65535, got 'ten'"),
        ("10 65536 8081 a.test", "weight must be an int from 0 to 65535, got '65536'"),
        ("10 60 -1 a.test", "port must be an int from 0 to 65535, got '-1'"),
        ("10 60 80.5 a.test", "port must be an int from 0 to 65535, got '80.5'"),
        ("10 60 8081 a..test", "target must be a domain name or '.', got 'a..test'"),
    ],
)
def test_srv_fields_reject_a_bad_value_and_name_it(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        srv_fields(value)
    with pytest.raises(ValueError, match=r"priority|weight|port|target"):
        Record("_orders._tcp.shop.test", "SRV", value)


@pytest.mark.parametrize("name", ["orders.shop.test", "_orders.shop.test", "_tcp.shop.test", "x._orders._tcp.test"])
def test_an_srv_record_lives_at_service_proto_domain(name: str) -> None:
    with pytest.raises(ValueError, match=f"_service._proto.domain .RFC 2782., got {name!r}"):
        Record(name, "SRV", "10 60 8081 a.shop.test")


def test_validate_zone_rejects_an_srv_target_that_is_an_alias() -> None:
    records = [Record("_orders._tcp.shop.test", "SRV", "10 1 8081 a.shop.test"),
               Record("a.shop.test", "CNAME", "b.shop.test")]  # fmt: skip
    with pytest.raises(ValueError, match=r"SRV target a\.shop\.test is a CNAME"):
        validate_zone("shop.test", records)
    validate_zone("shop.test", [records[0], Record("a.shop.test", "A", "127.0.0.1")])


@given(
    st.integers(0, 65535),
    st.integers(0, 65535),
    st.integers(0, 65535),
    st.from_regex(r"[a-z]{1,8}\.test", fullmatch=True),
)
@PROPERTY_SETTINGS
def test_srv_values_round_trip(priority: int, weight: int, port: int, target: str) -> None:
    value = Record("_x._udp.test", "SRV", f"{priority} {weight} {port} {target}.").value
    assert srv_fields(value) == (priority, weight, port, target)


# --- routing policies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "shares"),
    [([1, 3], [0.25, 0.75]), ([1, 255], [1 / 256, 255 / 256]), ([0, 5], [0.0, 1.0]), ([0, 0, 0], [1 / 3] * 3)],
)
def test_weighted_shares_are_weight_over_sum(weights: list[int], shares: list[float]) -> None:
    np.testing.assert_allclose(weighted_shares(weights), shares)


@pytest.mark.parametrize("weights", [[], [-1], [256], [[1, 2]], [np.nan]])
def test_weighted_shares_rejects_bad_weights(weights: list[float]) -> None:
    with pytest.raises(ValueError, match="weights must"):
        weighted_shares(weights)


@given(st.lists(st.integers(0, 255), min_size=1, max_size=8))
@PROPERTY_SETTINGS
def test_weighted_shares_sum_to_one_and_follow_the_weights(weights: list[int]) -> None:
    shares = weighted_shares(weights)
    assert shares.sum() == pytest.approx(1.0)
    if sum(weights):
        np.testing.assert_allclose(shares * sum(weights), weights, atol=1e-9)


def test_weighted_choice_matches_the_shares_over_a_grid_of_draws() -> None:
    draws = np.linspace(0, 1, 10_000, endpoint=False)
    names = [weighted_choice([US, EU], float(u)).name for u in draws]  # type: ignore[union-attr]
    assert names.count("eu-west") == 7_500


def test_weighted_choice_skips_unhealthy_and_zero_weight_endpoints() -> None:
    zero = Endpoint("zero", "192.0.2.30", weight=0)
    assert {weighted_choice([zero, EU], u).name for u in (0.0, 0.5, 0.99)} == {"eu-west"}  # type: ignore[union-attr]
    failed = Endpoint("eu-west", "192.0.2.20", weight=3, healthy=False)
    assert weighted_choice([zero, failed], 0.5) == zero  # all healthy ones have weight 0: they share
    assert weighted_choice([failed], 0.5) is None
    with pytest.raises(ValueError, match=r"u must be a number from 0 up to \(not including\) 1, got 1.0"):
        weighted_choice([US], 1.0)


@pytest.mark.parametrize(
    ("latency", "expected"),
    [({"default": 12.0, "europe": 80.0}, "us-east"), ({"default": 85.0, "europe": 15.0}, "eu-west"),
     ({"europe": 300.0}, "eu-west"), ({}, None)],
)
def test_latency_choice_picks_the_lowest_measured_latency(latency: dict[str, float], expected: str | None) -> None:
    chosen = latency_choice([US, EU], latency)
    assert (chosen.name if chosen else None) == expected


@pytest.mark.parametrize(
    ("endpoints", "location", "expected"),
    [([US, EU], "europe", "eu-west"), ([US, EU], "asia", "us-east"), ([EU], "asia", None),
     ([US, Endpoint("eu-west", "192.0.2.20", location="europe", healthy=False)], "europe", "us-east")],
)
def test_geolocation_choice_uses_the_users_location_then_the_default(
    endpoints: list[Endpoint], location: str, expected: str | None
) -> None:
    chosen = geolocation_choice(endpoints, location)
    assert (chosen.name if chosen else None) == expected


def test_failover_and_multivalue() -> None:
    down = Endpoint("us-east", "192.0.2.10", healthy=False)
    assert failover_choice([US, EU]) == US
    assert failover_choice([down, EU]) == EU
    assert failover_choice([down]) is None
    pool = [Endpoint(f"web-{i}", f"192.0.2.{i}", healthy=i != 3) for i in range(1, 13)]
    chosen = multivalue_choice(pool, np.random.default_rng(7))
    assert len(chosen) == 8
    assert len({e.name for e in chosen}) == 8
    assert all(e.healthy for e in chosen)
    with pytest.raises(ValueError, match="limit must be an int from 1 to 8"):
        multivalue_choice(pool, np.random.default_rng(7), limit=9)


@pytest.mark.parametrize("bad", [[], "abc", [object()]])
def test_policies_reject_a_bad_endpoint_list(bad: object) -> None:
    with pytest.raises(ValueError, match="endpoints must"):
        failover_choice(bad)  # type: ignore[arg-type]


# --- caching --------------------------------------------------------------------------------


def test_ttl_cache_expires_at_exactly_the_ttl_and_caches_negative_answers() -> None:
    cache = TtlCache()
    cache.put("www.shop.test", "192.0.2.10", ttl=60, now=100.0)
    assert cache.get("WWW.shop.test.", now=159.999).value == "192.0.2.10"  # type: ignore[union-attr]
    assert cache.get("www.shop.test", now=160.0) is None
    cache.put("nope.shop.test", None, ttl=30, now=0.0)
    hit = cache.get("nope.shop.test", now=29.0)
    assert hit is not None
    assert hit.value is None
    cache.put("zero.shop.test", "x", ttl=0, now=0.0)
    assert cache.get("zero.shop.test", now=0.0) is None
    assert (cache.hits, cache.misses) == (2, 2)


@given(st.integers(1, 10_000), st.floats(0, 20_000))
@PROPERTY_SETTINGS
def test_ttl_cache_is_fresh_exactly_before_now_plus_ttl(ttl: int, elapsed: float) -> None:
    cache = TtlCache()
    cache.put("a.test", 1, ttl=ttl, now=0.0)
    assert (cache.get("a.test", now=elapsed) is not None) == (elapsed < ttl)


def test_authoritative_query_rate_is_resolvers_over_ttl() -> None:
    assert authoritative_query_rate(600, 60) == 10.0
    with pytest.raises(ValueError, match="ttl_s must be a finite number > 0, got 0"):
        authoritative_query_rate(10, 0)


# --- staleness and the realised split ---------------------------------------------------------


@pytest.mark.parametrize(("t", "ttl", "expected"), [(0, 60, 1.0), (15, 60, 0.75), (60, 60, 0.0), (120, 60, 0.0)])
def test_stale_fraction_is_one_minus_t_over_ttl(t: float, ttl: float, expected: float) -> None:
    assert float(stale_fraction(t, ttl)) == pytest.approx(expected)


@pytest.mark.parametrize(("fraction", "ttl", "seconds"), [(0.5, 60, 30.0), (0.9, 300, 270.0), (0.0, 5, 0.0)])
def test_time_until_seen_is_fraction_times_ttl(fraction: float, ttl: float, seconds: float) -> None:
    assert time_until_seen(fraction, ttl) == pytest.approx(seconds)


@pytest.mark.parametrize(("call", "message"), [(lambda: time_until_seen(1.5, 60), "fraction"),
                                               (lambda: stale_fraction([-1], 60), "t_s"),
                                               (lambda: stale_fraction([1], 0), "ttl_s")])
def test_staleness_formulas_reject_bad_input(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_simulated_staleness_follows_the_line_with_many_equal_resolvers() -> None:
    times = np.linspace(0, 90, 31)
    simulated = simulate_staleness(times, 60, np.full(20_000, 1 / 20_000), np.random.default_rng(1))
    np.testing.assert_allclose(simulated, stale_fraction(times, 60), atol=0.015)
    assert simulated[-1] == 0.0
    assert np.all(np.diff(simulated) <= 0)


def test_zipf_populations_and_effective_resolvers() -> None:
    shares = zipf_populations(1_000, np.random.default_rng(3))
    assert shares.sum() == pytest.approx(1.0)
    assert shares.size == 1_000
    assert 1 < effective_resolvers(shares) < 1_000 / 10  # Zipf: far fewer than 1,000 effective resolvers
    assert effective_resolvers(np.full(50, 0.02)) == pytest.approx(50)
    with pytest.raises(ValueError, match="populations"):
        effective_resolvers([0.5, 0.4])


def brute_force_split(probabilities: list[float], populations: np.ndarray, ttl: float, times: np.ndarray,
                      seed: int) -> np.ndarray:
    """The same model with an explicit (resolvers x times) table: each resolver's answer at each time."""
    rng = np.random.default_rng(seed)
    phase = rng.random(populations.size) * ttl
    epochs = int(np.floor(times.max() / ttl)) + 2
    draws = rng.random((populations.size, epochs))
    answers = np.searchsorted(np.cumsum(probabilities), draws, side="right")
    at = np.take_along_axis(answers, np.floor((times[None, :] + phase[:, None]) / ttl).astype(int), axis=1)
    return np.stack([populations @ (at == j) for j in range(len(probabilities))], axis=1)


@pytest.mark.parametrize(("resolvers", "ttl"), [(1, 60), (7, 30), (200, 300)])
def test_simulate_split_matches_a_brute_force_table(resolvers: int, ttl: float) -> None:
    populations = zipf_populations(resolvers, np.random.default_rng(0))
    times = np.linspace(0, 600, 61)
    fast = simulate_split([0.3, 0.7], populations, ttl, times, np.random.default_rng(11))
    np.testing.assert_allclose(fast, brute_force_split([0.3, 0.7], populations, ttl, times, 11), atol=1e-12)


@given(st.integers(1, 300), st.sampled_from([30, 60, 300]), st.floats(0.0, 1.0), st.integers(0, 2**16))
@PROPERTY_SETTINGS
def test_simulate_split_rows_are_shares(resolvers: int, ttl: int, p: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    split = simulate_split([1 - p, p], zipf_populations(resolvers, rng), ttl, np.linspace(0, 600, 21), rng)
    np.testing.assert_allclose(split.sum(axis=1), 1.0)
    assert np.all(split >= -1e-12)


def test_realised_split_converges_only_with_many_equal_resolvers() -> None:
    times = np.linspace(0, 600, 121)
    many = simulate_split([0.25, 0.75], np.full(10_000, 1e-4), 60, times, np.random.default_rng(2))[:, 0]
    one = simulate_split([0.25, 0.75], np.array([1.0]), 60, times, np.random.default_rng(2))[:, 0]
    assert abs(many.mean() - 0.25) < 0.01
    assert many.std() < 0.01
    assert set(np.round(one, 9)) <= {0.0, 1.0}  # one resolver: all users get the same answer


def test_geolocation_rows_route_each_resolver_by_its_region() -> None:
    populations = np.array([0.5, 0.3, 0.2])
    rows = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    split = simulate_split(rows, populations, 60, [0, 100, 500], np.random.default_rng(0))
    np.testing.assert_allclose(split[:, 1], 0.7)
    with pytest.raises(ValueError, match="one row per resolver"):
        simulate_split(np.ones((2, 2)) / 2, populations, 60, [0], np.random.default_rng(0))
