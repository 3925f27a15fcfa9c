"""Tests for helpers.scaling.model: tiers and the bottleneck, replicas vs writes, lag, shards, availability."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.scaling.model import (
    TIERS,
    Budgets,
    Deployment,
    bottleneck,
    burst_backlog,
    hot_key_share,
    max_throughput,
    parallel_availability,
    serial_availability,
    shard_loads,
    shard_of,
    shards_of,
    stale_read_probability,
    synchronous_commit_ms,
    throughput_vs_replicas,
    tier_load,
    utilisation,
)


def test_one_box_saturates_at_the_database() -> None:
    use = utilisation(1000, 0.9, 0.0, Deployment())
    assert use == {"web": 0.5, "cache": 0.0, "primary": 1.0, "replicas": 0.0}
    assert bottleneck(1000, 0.9, 0.0, Deployment()) == "primary"


def test_moving_reads_to_replicas_buys_one_over_the_write_share_not_the_replica_count() -> None:
    before = max_throughput(0.9, 0.0, Deployment())
    three = Deployment(replicas=3, web_servers=100)
    # the primary alone would now take 10x (writes are 10% of the traffic) ...
    assert utilisation(10 * before, 0.9, 0.0, three)["primary"] == pytest.approx(1.0)
    # ... but three replicas saturate first, at 9,000 reads/s
    assert max_throughput(0.9, 0.0, three) / before == pytest.approx(10 / 3)
    assert bottleneck(before * 4, 0.9, 0.0, three) == "replicas"
    nine = Deployment(replicas=9, web_servers=100)
    assert max_throughput(0.9, 0.0, nine) / before == pytest.approx(10.0)
    assert max_throughput(0.9, 0.0, Deployment(replicas=20, web_servers=100)) / before == pytest.approx(10.0)


def test_replicas_never_raise_write_capacity_but_shards_do() -> None:
    reads, writes = throughput_vs_replicas(range(0, 9))
    assert (np.diff(reads) >= 0).all()
    assert reads[-1] == 8 * reads[1]
    assert len(set(writes.tolist())) == 1
    _, sharded = throughput_vs_replicas(range(0, 9), shards=4)
    assert (sharded == 4 * writes).all()


def test_a_cache_takes_hits_off_the_database() -> None:
    load = tier_load(1000, 0.9, 0.8, Deployment(cache=True))
    assert load["cache"] == 900
    assert load["primary"] == pytest.approx(100 + 180)
    # without a cache tier the hit rate means nothing
    assert tier_load(1000, 0.9, 0.8, Deployment()) == tier_load(1000, 0.9, 0.0, Deployment())


def test_the_web_tier_saturates_when_it_is_the_smallest() -> None:
    deployment = Deployment(web_servers=1, replicas=4, cache=True)
    assert bottleneck(3000, 0.95, 0.9, deployment) == "web"
    assert bottleneck(10_000, 0.8, 0.9, Deployment(web_servers=8, replicas=4, cache=True)) == "primary"


def test_a_hit_rate_of_one_leaves_replicas_idle() -> None:
    use = utilisation(1000, 0.9, 1.0, Deployment(replicas=2, cache=True))
    assert use["replicas"] == 0.0
    assert max_throughput(1.0, 1.0, Deployment(cache=True, web_servers=100)) == pytest.approx(50_000)


def test_zero_load_has_infinite_headroom() -> None:
    assert max_throughput(0.5, 0.0, Deployment(), Budgets()) < math.inf
    assert bottleneck(0, 0.5, 0.0, Deployment()) == TIERS[0]


@settings(max_examples=60, deadline=None)
@given(
    rps=st.floats(1, 1e6),
    read_share=st.floats(0, 1),
    hit_rate=st.floats(0, 1),
    replicas=st.integers(0, 8),
    shards=st.integers(1, 8),
    web=st.integers(1, 10),
)
def test_utilisation_is_linear_in_load_and_max_throughput_saturates_exactly(
    rps: float, read_share: float, hit_rate: float, replicas: int, shards: int, web: int
) -> None:
    deployment = Deployment(web_servers=web, replicas=replicas, shards=shards, cache=True)
    top = max_throughput(read_share, hit_rate, deployment)
    assert max(utilisation(top, read_share, hit_rate, deployment).values()) == pytest.approx(1.0)
    one = utilisation(rps, read_share, hit_rate, deployment)
    two = utilisation(2 * rps, read_share, hit_rate, deployment)
    for tier in TIERS:
        assert two[tier] == pytest.approx(2 * one[tier])
    more = Deployment(web_servers=web, replicas=replicas + 1, shards=shards, cache=True)
    assert max_throughput(read_share, hit_rate, more) >= top * (1 - 1e-9)


def test_stale_read_probability() -> None:
    assert stale_read_probability(299, 300, "fixed") == 1.0
    assert stale_read_probability(300, 300, "fixed") == 0.0
    assert stale_read_probability(0, 300) == 1.0
    assert stale_read_probability(600, 300) == pytest.approx(math.exp(-2))
    delays = [0, 10, 100, 1000]
    probabilities = [stale_read_probability(d, 50) for d in delays]
    assert probabilities == sorted(probabilities, reverse=True)


def test_synchronous_commit_pays_a_round_trip() -> None:
    assert synchronous_commit_ms(0.25, 86) == pytest.approx(86.25)


def test_jump_hash_shards_balance_and_move_little() -> None:
    loads = shard_loads(range(100_000), 4)
    assert loads.sum() == 100_000
    assert abs(loads / 25_000 - 1).max() < 0.1
    moved = sum(shard_of(k, 4) != shard_of(k, 5) for k in range(5_000)) / 5_000
    assert shards_of(range(5_000), 4).tolist() == [shard_of(k, 4) for k in range(5_000)]
    assert 0.15 < moved < 0.25  # about 1/5, not the 4/5 of mod-N
    assert all(0 <= shard_of(k, 3) < 3 for k in range(100))


def test_a_celebrity_key_defeats_sharding() -> None:
    writes = [1] * 10_000
    even = hot_key_share(writes, 8)
    assert even < 0.14
    writes[7] = 10_000  # one user writes as much as everybody else together
    assert hot_key_share(writes, 8) >= 0.5 > even


def test_queue_burst_and_availability() -> None:
    assert burst_backlog(50, 300, 10, 100) == (2000.0, 40.0)
    assert burst_backlog(50, 80, 10, 100) == (0.0, 0.0)
    assert serial_availability([0.999, 0.999]) == pytest.approx(0.998001)
    assert parallel_availability([0.999, 0.999]) == pytest.approx(0.999999)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: Budgets(db_read_rps=-1), "db_read_rps"),
        (lambda: Deployment(replicas=-1), "replicas must be an int >= 0, got -1"),
        (lambda: Deployment(web_servers=True), "web_servers"),
        (lambda: Deployment(cache=1), "cache must be True or False"),  # type: ignore[arg-type]
        (lambda: tier_load(-1, 0.5, 0, Deployment()), "rps"),
        (lambda: utilisation(10, 1.5, 0, Deployment()), "read_share must be a number from 0 to 1, got 1.5"),
        (lambda: bottleneck(10, 0.5, float("nan"), Deployment()), "hit_rate"),
        (lambda: throughput_vs_replicas([-1]), "replicas"),
        (lambda: stale_read_probability(1, 1, "normal"), "distribution"),
        (lambda: stale_read_probability(-1, 1), "delay_ms"),
        (lambda: shard_of(-3, 4), "key"),
        (lambda: shard_loads([1, 2], 0), "shards"),
        (lambda: shards_of([-1], 2), "keys must be a list of ints >= 0"),
        (lambda: hot_key_share([], 2), "writes_per_user"),
        (lambda: burst_backlog(100, 300, 1, 100), "base_rps must be below service_rps"),
        (lambda: serial_availability([]), "availabilities"),
        (lambda: parallel_availability([1.2]), "availability"),
    ],
)
def test_bad_input_raises_value_error_naming_the_value(call: object, words: str) -> None:
    with pytest.raises(ValueError, match=words.replace("(", r"\(")):
        call()  # type: ignore[operator]
