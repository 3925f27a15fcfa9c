"""Tests for helpers.hashing: jump vectors, ring semantics, movement, balance, properties, bad inputs.

Hashing is stable, so every "statistical" check below runs on fixed keys and is deterministic:
the bounds were chosen against the measured values with a margin, and each one still fails
for a broken scheme (everything on one node, a fresh random placement on every call, ...).
"""

from __future__ import annotations

import bisect
import json
import math
import os
import re
import string
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.hashing.model import (
    HASH_SPACE,
    HashRing,
    Placement,
    coefficient_of_variation,
    expected_remapped_fraction,
    hash_keys,
    jump_hash,
    jump_hash_array,
    jump_placement,
    load_per_node,
    max_over_mean,
    mod_n_placement,
    remapped_fraction,
    rendezvous_placement,
    stable_hash,
)

INT_KEYS = range(200_000)
"""Keys for the statistical checks (integer keys hash with SplitMix64, vectorised)."""

TEN_NODES = [f"node-{i}" for i in range(10)]
TWENTY_NODES = [f"node-{i}" for i in range(20)]

PROPERTY_SETTINGS = settings(max_examples=50, deadline=None)


def names_of(placement: Placement) -> list[str]:
    return [str(name) for name in placement.names()]


# --------------------------------------------------------------------------------------------
# Jump consistent hash: the public vectors of FACTS.md section 7 (Guava, dgryski/go-jump)
# --------------------------------------------------------------------------------------------

_KEYS_0_TO_19_N100 = [0, 55, 62, 8, 45, 59, 86, 97, 82, 59, 73, 37, 17, 56, 86, 21, 90, 37, 38, 83]
_KEY_1_N_1_TO_19 = [0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 17, 17]

JUMP_VECTORS: list[tuple[int, int, int]] = [
    *((key, 100, bucket) for key, bucket in enumerate(_KEYS_0_TO_19_N100)),
    (10863919174838991, 11, 6),
    (2016238256797177309, 11, 3),
    (1673758223894951030, 11, 5),
    (2, 100001, 80343),
    (2201, 100001, 22152),
    (2202, 100001, 15018),
    *((1, buckets, bucket) for buckets, bucket in enumerate(_KEY_1_N_1_TO_19, start=1)),
]
JUMP_IDS = [f"key={key}-n={buckets}" for key, buckets, _ in JUMP_VECTORS]


def test_jump_vector_table_is_complete() -> None:
    # 20 keys with n=100, three with n=11, three with n=100001, key 1 with n=1..19.
    assert len(JUMP_VECTORS) == 20 + 3 + 3 + 19


@pytest.mark.parametrize(("key", "buckets", "expected"), JUMP_VECTORS, ids=JUMP_IDS)
def test_jump_hash_public_vectors(key: int, buckets: int, expected: int) -> None:
    assert jump_hash(key, buckets) == expected


@pytest.mark.parametrize(("key", "buckets", "expected"), JUMP_VECTORS, ids=JUMP_IDS)
def test_jump_hash_array_public_vectors(key: int, buckets: int, expected: int) -> None:
    assert jump_hash_array(np.array([key], dtype=np.uint64), buckets).tolist() == [expected]


def test_jump_hash_array_whole_vector_rows() -> None:
    assert jump_hash_array(range(20), 100).tolist() == _KEYS_0_TO_19_N100
    assert jump_hash_array(np.arange(20, dtype=np.int64), 100).tolist() == _KEYS_0_TO_19_N100
    assert [int(jump_hash_array([1], n)[0]) for n in range(1, 20)] == _KEY_1_N_1_TO_19


def test_jump_hash_accepts_numpy_integers() -> None:
    assert jump_hash(np.uint64(2201), 100001) == 22152
    assert jump_hash(np.int64(3), np.int64(100)) == 8


_BIG_UINT64_KEYS = [2**63, 2**63 + 1, 2**63 + 12345, 2**64 - 2, 2**64 - 1, 16490336266968443936]


@pytest.mark.parametrize("buckets", [1, 2, 11, 100, 100001], ids=lambda n: f"n={n}")
def test_jump_hash_array_matches_scalar_for_keys_at_or_above_2_63(buckets: int) -> None:
    keys = np.array(_BIG_UINT64_KEYS, dtype=np.uint64)
    expected = [jump_hash(key, buckets) for key in _BIG_UINT64_KEYS]
    assert jump_hash_array(keys, buckets).tolist() == expected


@pytest.mark.parametrize(
    ("negative", "unsigned"),
    [(-1, 2**64 - 1), (-2, 2**64 - 2), (-12345, 2**64 - 12345), (-(2**63), 2**63)],
    ids=["-1", "-2", "-12345", "-2**63"],
)
@pytest.mark.parametrize("buckets", [11, 1000, 100001], ids=lambda n: f"n={n}")
def test_negative_keys_are_twos_complement_like_java_long(negative: int, unsigned: int, buckets: int) -> None:
    expected = jump_hash(unsigned, buckets)
    assert jump_hash(negative, buckets) == expected
    assert jump_hash_array([negative], buckets).tolist() == [expected]
    assert jump_hash_array(np.array([negative], dtype=np.int64), buckets).tolist() == [expected]


def test_negative_keys_are_not_simply_folded_to_their_absolute_value() -> None:
    # Guards against abs(key) or key % 2**63: -1 must behave as 2**64 - 1.
    assert [jump_hash(-k, 1000) for k in (1, 2, 12345)] != [jump_hash(k, 1000) for k in (1, 2, 12345)]


@given(
    keys=st.lists(st.integers(min_value=0, max_value=2**64 - 1), min_size=1, max_size=30),
    buckets=st.integers(min_value=1, max_value=1_000_000),
)
@PROPERTY_SETTINGS
def test_jump_hash_array_equals_scalar_on_uint64(keys: list[int], buckets: int) -> None:
    array = jump_hash_array(np.array(keys, dtype=np.uint64), buckets)
    assert array.tolist() == [jump_hash(key, buckets) for key in keys]
    assert all(0 <= bucket < buckets for bucket in array.tolist())


@given(
    keys=st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), min_size=1, max_size=30),
    buckets=st.integers(min_value=1, max_value=1_000_000),
)
@PROPERTY_SETTINGS
def test_jump_hash_array_equals_scalar_on_int64(keys: list[int], buckets: int) -> None:
    assert jump_hash_array(keys, buckets).tolist() == [jump_hash(key, buckets) for key in keys]


@given(key=st.integers(min_value=-(2**63), max_value=2**64 - 1), buckets=st.integers(1, 10_000))
@PROPERTY_SETTINGS
def test_jump_hash_is_monotone_in_buckets(key: int, buckets: int) -> None:
    # Going from n to n+1 buckets, a key either stays or moves to the new bucket n.
    assert jump_hash(key, buckets + 1) in (jump_hash(key, buckets), buckets)


# --------------------------------------------------------------------------------------------
# expected_remapped_fraction
# --------------------------------------------------------------------------------------------

EXPECTED_FRACTIONS = [
    # mod-N: a key stays iff h mod n == h mod m: min(n, m) of every lcm(n, m) hashes.
    (10, 11, "mod_n", 10 / 11),
    (10, 9, "mod_n", 1 - 9 / 90),
    (10, 12, "mod_n", 1 - 10 / 60),
    (6, 4, "mod_n", 1 - 4 / 12),
    (4, 2, "mod_n", 1 - 2 / 4),
    (1, 2, "mod_n", 1 - 1 / 2),
    (5, 5, "mod_n", 0.0),
    # consistent: only the added or removed nodes' share moves.
    (10, 11, "consistent", 1 / 11),
    (11, 10, "consistent", 1 / 11),
    (10, 12, "consistent", 2 / 12),
    (1, 4, "consistent", 3 / 4),
    (5, 5, "consistent", 0.0),
]


@pytest.mark.parametrize(
    ("before", "after", "scheme", "expected"),
    EXPECTED_FRACTIONS,
    ids=[f"{scheme}-{n}to{m}" for n, m, scheme, _ in EXPECTED_FRACTIONS],
)
def test_expected_remapped_fraction_table(before: int, after: int, scheme: str, expected: float) -> None:
    assert expected_remapped_fraction(before, after, scheme) == pytest.approx(expected, abs=1e-12)  # type: ignore[arg-type]


@pytest.mark.parametrize("before", range(1, 13))
def test_expected_mod_n_fraction_matches_brute_force_count(before: int) -> None:
    for after in range(1, 13):
        period = math.lcm(before, after)
        moved = sum(h % before != h % after for h in range(period)) / period
        assert expected_remapped_fraction(before, after, "mod_n") == pytest.approx(moved, abs=1e-12)


# --------------------------------------------------------------------------------------------
# max_over_mean, coefficient_of_variation, load_per_node
# --------------------------------------------------------------------------------------------

MAX_OVER_MEAN_TABLE = [
    pytest.param({"a": 30, "b": 10}, 1.5, id="mapping-30-10"),
    pytest.param([10, 10, 10], 1.0, id="list-balanced"),
    pytest.param([0, 0, 4], 3.0, id="list-with-zeros"),
    pytest.param([1, 2, 3, 4], 4 / 2.5, id="list-1234"),
    pytest.param({"only": 5}, 1.0, id="mapping-single"),
    pytest.param((x for x in [2, 6]), 1.5, id="generator"),
    pytest.param([0.5, 1.5], 1.5, id="floats"),
]


@pytest.mark.parametrize(("loads", "expected"), MAX_OVER_MEAN_TABLE)
def test_max_over_mean_table(loads: object, expected: float) -> None:
    assert max_over_mean(loads) == pytest.approx(expected, abs=1e-12)  # type: ignore[arg-type]


CV_TABLE = [
    pytest.param([10, 30], 0.5, id="list-10-30"),
    pytest.param({"a": 10, "b": 10}, 0.0, id="mapping-balanced"),
    pytest.param({"x": 1, "y": 3}, 0.5, id="mapping-1-3"),
    pytest.param([2, 4, 4, 4, 5, 5, 7, 9], 2 / 5, id="population-std-2-mean-5"),
    pytest.param([0, 0, 4], math.sqrt(2), id="list-with-zeros"),
    pytest.param([7], 0.0, id="single"),
]


@pytest.mark.parametrize(("loads", "expected"), CV_TABLE)
def test_coefficient_of_variation_table(loads: object, expected: float) -> None:
    assert coefficient_of_variation(loads) == pytest.approx(expected, abs=1e-12)  # type: ignore[arg-type]


LOAD_TABLE = [
    pytest.param(("a", "b", "c"), [0, 0, 2], {"a": 2, "b": 0, "c": 1}, id="middle-empty"),
    pytest.param(("a", "b", "c", "d"), [2, 2, 0], {"a": 1, "b": 0, "c": 2, "d": 0}, id="two-empty"),
    pytest.param(("x", "y"), [], {"x": 0, "y": 0}, id="no-keys"),
    pytest.param(("solo",), [0, 0, 0], {"solo": 3}, id="one-node"),
    pytest.param(("z", "a"), [1, 1, 0], {"z": 1, "a": 2}, id="node-order-kept"),
]


@pytest.mark.parametrize(("nodes", "index", "expected"), LOAD_TABLE)
def test_load_per_node_table(nodes: tuple[str, ...], index: list[int], expected: dict[str, int]) -> None:
    loads = load_per_node(Placement(nodes, np.array(index, dtype=np.intp)))
    assert loads == expected
    assert list(loads) == list(nodes)  # every node, in node order
    assert all(type(count) is int for count in loads.values())


# --------------------------------------------------------------------------------------------
# remapped_fraction on hand-made placements
# --------------------------------------------------------------------------------------------


def _placement(nodes: tuple[str, ...], index: list[int]) -> Placement:
    return Placement(nodes, np.array(index, dtype=np.intp))


REMAP_TABLE = [
    pytest.param(("a", "b"), [0, 1, 1, 0], ("a", "b"), [0, 1, 1, 0], 0.0, id="identical"),
    pytest.param(("a", "b"), [0, 1, 1, 0], ("a", "b"), [1, 1, 1, 0], 0.25, id="one-of-four"),
    pytest.param(("a", "b"), [0, 1, 1, 0], ("b", "a"), [1, 0, 0, 1], 0.0, id="same-names-reordered"),
    pytest.param(("a", "b"), [0, 1, 1, 0], ("b", "a"), [0, 0, 0, 0], 0.5, id="reordered-all-on-b"),
    pytest.param(("a", "b"), [0, 1, 0, 1], ("a", "b", "c"), [0, 1, 2, 2], 0.5, id="node-added"),
    pytest.param(("a", "b", "c"), [0, 1, 2, 2], ("c", "a"), [1, 0, 0, 0], 0.25, id="node-removed"),
    pytest.param(("a", "b"), [0, 1, 0], ("b", "c"), [0, 0, 1], 2 / 3, id="partly-overlapping-names"),
    pytest.param(("a",), [0, 0], ("c",), [0, 0], 1.0, id="disjoint-names"),
    pytest.param(("b", "a"), [1], ("a",), [0], 0.0, id="index-differs-name-same"),
]


@pytest.mark.parametrize(("nodes_a", "index_a", "nodes_b", "index_b", "expected"), REMAP_TABLE)
def test_remapped_fraction_table(
    nodes_a: tuple[str, ...], index_a: list[int], nodes_b: tuple[str, ...], index_b: list[int], expected: float
) -> None:
    before, after = _placement(nodes_a, index_a), _placement(nodes_b, index_b)
    assert remapped_fraction(before, after) == pytest.approx(expected, abs=1e-12)
    assert remapped_fraction(after, before) == pytest.approx(expected, abs=1e-12)  # symmetric


# --------------------------------------------------------------------------------------------
# Ring semantics on a hand-checkable ring
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_ring() -> HashRing:
    return HashRing(["a", "b", "c"], virtual_nodes=2)


def _owner_of(ring: HashRing, key_hash: int) -> str:
    """Reference lookup: the first point at or after the hash, wrapping past the last point."""
    positions = [int(p) for p in ring.positions]
    slot = bisect.bisect_left(positions, key_hash)
    return ring.nodes[int(ring.owners[slot % len(positions)])]


def test_small_ring_points(small_ring: HashRing) -> None:
    positions, owners = small_ring.positions, small_ring.owners
    assert positions.dtype == np.uint64
    assert len(positions) == len(owners) == 3 * 2
    assert np.all(np.diff(positions.astype(object)) > 0)  # sorted clockwise, no collisions
    assert sorted(owners.tolist()) == [0, 0, 1, 1, 2, 2]
    # Each node's points are the hashes of "node#0", "node#1", ...
    for point, owner in zip(positions.tolist(), owners.tolist(), strict=True):
        node = small_ring.nodes[owner]
        assert point in {stable_hash(f"{node}#{i}") for i in range(2)}


def test_positions_and_owners_are_copies(small_ring: HashRing) -> None:
    small_ring.positions[:] = 0
    small_ring.owners[:] = 0
    assert len(set(small_ring.positions.tolist())) == 6
    assert len(set(small_ring.owners.tolist())) == 3


def test_key_between_two_points_goes_to_next_point_clockwise(small_ring: HashRing) -> None:
    positions, owners = small_ring.positions.tolist(), small_ring.owners.tolist()
    keys = list(range(5_000))
    hashes = hash_keys(keys).tolist()
    checked = 0
    for i in range(1, len(positions)):
        low, high = positions[i - 1], positions[i]
        inside = [key for key, h in zip(keys, hashes, strict=True) if low < h < high]
        assert inside, f"no key hashes between points {i - 1} and {i}"
        for key in inside[:20]:
            assert small_ring.node_for(key) == small_ring.nodes[owners[i]]
            checked += 1
        # Synthetic hashes just after the previous point and exactly at the next one.
        placed = small_ring.place_hashes(np.array([low + 1, (low + high) // 2, high], dtype=np.uint64))
        assert names_of(placed) == [small_ring.nodes[owners[i]]] * 3
    assert checked > 0


def test_key_past_last_point_wraps_to_first_point(small_ring: HashRing) -> None:
    positions, owners = small_ring.positions.tolist(), small_ring.owners.tolist()
    first_owner = small_ring.nodes[owners[0]]
    keys = list(range(5_000))
    past_last = [key for key, h in zip(keys, hash_keys(keys).tolist(), strict=True) if h > positions[-1]]
    before_first = [key for key, h in zip(keys, hash_keys(keys).tolist(), strict=True) if h < positions[0]]
    assert past_last, "no key hashes past the last point"
    assert before_first, "no key hashes before the first point"
    for key in past_last[:20] + before_first[:20]:
        assert small_ring.node_for(key) == first_owner
    edges = np.array([positions[-1] + 1, HASH_SPACE - 1, 0, positions[0]], dtype=np.uint64)
    assert names_of(small_ring.place_hashes(edges)) == [first_owner] * 4


def test_key_exactly_on_a_point_goes_to_that_points_owner(small_ring: HashRing) -> None:
    positions, owners = small_ring.positions, small_ring.owners
    assert names_of(small_ring.place_hashes(positions)) == [small_ring.nodes[o] for o in owners.tolist()]
    # The string "b#1" hashes exactly onto b's second point, so it is b's key.
    for node in small_ring.nodes:
        for i in range(2):
            assert int(hash_keys([f"{node}#{i}"])[0]) in positions.tolist()
            assert small_ring.node_for(f"{node}#{i}") == node


def test_ring_placement_matches_reference_lookup() -> None:
    ring = HashRing(["n1", "n2", "n3", "n4", "n5"], virtual_nodes=7)
    keys = [f"user:{i}" for i in range(2_000)]
    expected = [_owner_of(ring, h) for h in hash_keys(keys).tolist()]
    assert names_of(ring.place(keys)) == expected
    assert [ring.node_for(key) for key in keys[:50]] == expected[:50]


def test_ring_with_one_point_owns_everything() -> None:
    ring = HashRing(["solo"], virtual_nodes=1)
    assert len(ring.positions) == 1
    assert set(names_of(ring.place(range(1_000)))) == {"solo"}
    assert ring.arc_shares() == {"solo": 1.0}


def test_arc_shares_of_two_points_by_hand() -> None:
    ring = HashRing(["a", "b"], virtual_nodes=1)
    (p0, p1), (o0, o1) = ring.positions.tolist(), ring.owners.tolist()
    # The point at p1 owns (p0, p1]; the point at p0 owns the wrapped arc (p1, 2**64) + [0, p0].
    expected = {ring.nodes[o1]: (p1 - p0) / HASH_SPACE, ring.nodes[o0]: (HASH_SPACE - (p1 - p0)) / HASH_SPACE}
    shares = ring.arc_shares()
    assert shares == pytest.approx(expected, abs=1e-12)


def test_ring_properties() -> None:
    ring = HashRing(("b", "a"), virtual_nodes=3, weights={"a": 2})
    assert ring.nodes == ("b", "a")
    assert ring.virtual_nodes == 3
    assert ring.weights == {"b": 1.0, "a": 2.0}
    assert "virtual_nodes=3" in repr(ring)


def test_add_and_remove_return_new_rings() -> None:
    ring = HashRing(["a", "b"], virtual_nodes=5)
    bigger = ring.add("c", weight=2)
    assert ring.nodes == ("a", "b")
    assert bigger.nodes == ("a", "b", "c")
    assert bigger.weights == {"a": 1.0, "b": 1.0, "c": 2.0}
    assert len(bigger.positions) == 5 + 5 + 10
    smaller = bigger.remove("a")
    assert smaller.nodes == ("b", "c")
    assert smaller.weights == {"b": 1.0, "c": 2.0}  # weights survive add and remove
    assert len(smaller.positions) == 15
    assert bigger.nodes == ("a", "b", "c")


# --------------------------------------------------------------------------------------------
# Weighted rings and weighted rendezvous
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "expected_points"),
    [
        pytest.param({}, {"a": 100, "b": 100, "c": 100}, id="unweighted"),
        pytest.param({"a": 2}, {"a": 200, "b": 100, "c": 100}, id="a-double"),
        pytest.param({"a": 2, "c": 0.5}, {"a": 200, "b": 100, "c": 50}, id="double-and-half"),
        pytest.param({"b": 0.001}, {"a": 100, "b": 1, "c": 100}, id="tiny-weight-keeps-one-point"),
    ],
)
def test_weighted_ring_point_counts(weights: dict[str, float], expected_points: dict[str, int]) -> None:
    ring = HashRing(["a", "b", "c"], virtual_nodes=100, weights=weights)
    assert len(ring.positions) == sum(expected_points.values())
    counts = np.bincount(ring.owners, minlength=3).tolist()
    assert dict(zip(ring.nodes, counts, strict=True)) == expected_points


@pytest.mark.parametrize(
    "weights", [{}, {"a": 2}, {"a": 3, "b": 0.5}], ids=["unweighted", "a-double", "mixed"]
)
def test_arc_shares_sum_to_one_and_match_measured_loads(weights: dict[str, float]) -> None:
    ring = HashRing(["a", "b", "c", "d"], virtual_nodes=100, weights=weights)
    shares = ring.arc_shares()
    assert list(shares) == ["a", "b", "c", "d"]
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-9)
    loads = load_per_node(ring.place(INT_KEYS))
    measured = {node: count / len(INT_KEYS) for node, count in loads.items()}
    for node in ring.nodes:
        assert measured[node] == pytest.approx(shares[node], abs=0.01), node


def test_weight_two_ring_node_gets_about_twice_the_share() -> None:
    ring = HashRing(TEN_NODES, virtual_nodes=100, weights={"node-0": 2})
    shares = ring.arc_shares()
    others = np.mean([shares[node] for node in TEN_NODES[1:]])
    assert shares["node-0"] / others == pytest.approx(2.0, rel=0.15)  # 200 random points: ±1/sqrt(200)


def test_weighted_rendezvous_weight_two_gets_twice_the_share() -> None:
    loads = load_per_node(rendezvous_placement(INT_KEYS, TEN_NODES, weights={"node-0": 2.0}))
    others = np.mean([loads[node] for node in TEN_NODES[1:]])
    assert loads["node-0"] / others == pytest.approx(2.0, rel=0.05)
    assert loads["node-0"] / len(INT_KEYS) == pytest.approx(2 / 11, rel=0.05)
    for node in TEN_NODES[1:]:
        assert loads[node] / len(INT_KEYS) == pytest.approx(1 / 11, rel=0.05)


def test_weighted_rendezvous_with_all_equal_weights_is_unweighted() -> None:
    keys = range(5_000)
    plain = rendezvous_placement(keys, TEN_NODES)
    ones = rendezvous_placement(keys, TEN_NODES, weights=dict.fromkeys(TEN_NODES, 1.0))
    assert names_of(plain) == names_of(ones)


# --------------------------------------------------------------------------------------------
# Movement and balance on fixed data (deterministic)
# --------------------------------------------------------------------------------------------


def test_ring_add_one_node_moves_about_one_in_eleven() -> None:
    ring = HashRing(TEN_NODES, virtual_nodes=100)
    bigger = ring.add("node-10")
    before, after = ring.place(INT_KEYS), bigger.place(INT_KEYS)
    moved = remapped_fraction(before, after)
    assert moved == pytest.approx(expected_remapped_fraction(10, 11, "consistent"), abs=0.03)
    assert moved == pytest.approx(1 / 11, abs=0.03)
    # Every moved key went to the new node, and the new node holds exactly the moved keys.
    changed = before.names() != after.names()
    assert np.all(after.names()[changed] == "node-10")
    assert load_per_node(after)["node-10"] == int(changed.sum())


def test_mod_n_add_one_node_moves_about_ten_in_eleven() -> None:
    moved = remapped_fraction(
        mod_n_placement(INT_KEYS, TEN_NODES), mod_n_placement(INT_KEYS, [*TEN_NODES, "node-10"])
    )
    assert moved == pytest.approx(expected_remapped_fraction(10, 11, "mod_n"), abs=0.01)
    assert moved == pytest.approx(10 / 11, abs=0.01)


def test_jump_add_one_node_moves_about_one_in_eleven() -> None:
    moved = remapped_fraction(
        jump_placement(INT_KEYS, TEN_NODES), jump_placement(INT_KEYS, [*TEN_NODES, "node-10"])
    )
    assert moved == pytest.approx(1 / 11, abs=0.01)


def test_rendezvous_add_one_node_moves_about_one_in_eleven() -> None:
    moved = remapped_fraction(
        rendezvous_placement(INT_KEYS, TEN_NODES), rendezvous_placement(INT_KEYS, [*TEN_NODES, "node-10"])
    )
    assert moved == pytest.approx(1 / 11, abs=0.01)


def test_ring_balance_improves_with_virtual_nodes() -> None:
    cv_many = coefficient_of_variation(load_per_node(HashRing(TWENTY_NODES, 1000).place(INT_KEYS)))
    cv_few = coefficient_of_variation(load_per_node(HashRing(TWENTY_NODES, 10).place(INT_KEYS)))
    # Measured 0.036 and 0.237; CV ~ 1/sqrt(v) predicts 0.032 and 0.32.
    assert cv_many < 0.06
    assert cv_few > 0.15
    # Every node gets keys and nobody gets all of them.
    many = load_per_node(HashRing(TWENTY_NODES, 1000).place(INT_KEYS))
    assert max_over_mean(many) < 1.15
    assert min(many.values()) > 0


@pytest.mark.parametrize(
    "place",
    [mod_n_placement, jump_placement, rendezvous_placement],
    ids=["mod_n", "jump", "rendezvous"],
)
def test_other_schemes_are_even(place: object) -> None:
    loads = load_per_node(place(INT_KEYS, TWENTY_NODES))  # type: ignore[operator]
    # Measured CV 0.008-0.011; binomial noise alone is sqrt(19 / 200_000) ~ 0.0097.
    assert coefficient_of_variation(loads) < 0.02
    assert max_over_mean(loads) < 1.05


def test_string_and_integer_keys_both_spread() -> None:
    keys = [f"user:{i}" for i in range(20_000)]
    for placement in (
        mod_n_placement(keys, TEN_NODES),
        jump_placement(keys, TEN_NODES),
        rendezvous_placement(keys, TEN_NODES),
        HashRing(TEN_NODES, 200).place(keys),
    ):
        assert max_over_mean(load_per_node(placement)) < 1.3


# --------------------------------------------------------------------------------------------
# hash_keys and stable_hash
# --------------------------------------------------------------------------------------------


def test_stable_hash_known_values() -> None:
    # Pinned: the hash is part of the course's contract (same node on every machine, every year).
    assert stable_hash("user:42") == 15647646390214308482
    assert stable_hash("node-1") == 10328925849262549801
    assert stable_hash("") != stable_hash(" ")


def test_hash_keys_forms_agree() -> None:
    as_list = hash_keys([0, 1, 2, -1])
    assert hash_keys(np.array([0, 1, 2, -1], dtype=np.int64)).tolist() == as_list.tolist()
    assert hash_keys(range(-1, 3)).tolist() == [as_list[3], *as_list[:3].tolist()]
    assert hash_keys(np.array([0, 1, 2], dtype=np.uint8)).tolist() == as_list[:3].tolist()
    assert hash_keys([2**64 - 1]).tolist() == [as_list[3]]  # -1 is 2**64 - 1, as a 64-bit word
    assert hash_keys(np.array(["a", "b"])).tolist() == [stable_hash("a"), stable_hash("b")]
    assert hash_keys(("a", "b")).tolist() == [stable_hash("a"), stable_hash("b")]
    assert hash_keys([]).shape == (0,)
    assert hash_keys([]).dtype == np.uint64


def test_hash_keys_spread_consecutive_integers() -> None:
    hashes = hash_keys(range(10_000)).astype(np.float64) / HASH_SPACE
    assert len(set(hash_keys(range(10_000)).tolist())) == 10_000
    counts = np.histogram(hashes, bins=10, range=(0, 1))[0]
    assert counts.min() > 900
    assert counts.max() < 1100


# --------------------------------------------------------------------------------------------
# Hypothesis properties
# --------------------------------------------------------------------------------------------

node_name = st.text(
    alphabet=st.characters(categories=("L", "N", "P", "S")), min_size=1, max_size=8
)
"""Printable, non-empty node names (letters, digits, punctuation, symbols)."""

PROPERTY_INT_KEYS = range(3_000)
PROPERTY_STR_KEYS = [f"key-{i}" for i in range(1_000)]
key_sets = st.sampled_from([PROPERTY_INT_KEYS, PROPERTY_STR_KEYS])


def _only_moves_to(before: Placement, after: Placement, new_node: str) -> None:
    """Every key whose node changed is now on new_node, and new_node holds only such keys."""
    old, new = before.names(), after.names()
    changed = old != new
    assert np.all(new[changed] == new_node)
    assert np.array_equal(changed, new == new_node)


def _only_moves_from(before: Placement, after: Placement, gone: str) -> None:
    """Keys that were not on the removed node stay put; keys that were on it all move."""
    old, new = before.names(), after.names()
    stayed_elsewhere = old != gone
    assert np.array_equal(old[stayed_elsewhere], new[stayed_elsewhere])
    assert not np.any(new == gone)


@given(
    names=st.lists(node_name, min_size=2, max_size=13, unique=True),
    virtual_nodes=st.integers(1, 50),
    keys=key_sets,
)
@PROPERTY_SETTINGS
def test_ring_add_moves_keys_only_to_the_new_node(names: list[str], virtual_nodes: int, keys: object) -> None:
    *nodes, new_node = names
    ring = HashRing(nodes, virtual_nodes=virtual_nodes)
    _only_moves_to(ring.place(keys), ring.add(new_node).place(keys), new_node)  # type: ignore[arg-type]


@given(
    names=st.lists(node_name, min_size=2, max_size=12, unique=True),
    virtual_nodes=st.integers(1, 50),
    weight_choices=st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=12, max_size=12),
    data=st.data(),
    keys=key_sets,
)
@PROPERTY_SETTINGS
def test_ring_remove_moves_only_that_nodes_keys(
    names: list[str], virtual_nodes: int, weight_choices: list[float], data: st.DataObject, keys: object
) -> None:
    weights = dict(zip(names, weight_choices[: len(names)], strict=True))
    gone = data.draw(st.sampled_from(names), label="removed")
    ring = HashRing(names, virtual_nodes=virtual_nodes, weights=weights)
    _only_moves_from(ring.place(keys), ring.remove(gone).place(keys), gone)  # type: ignore[arg-type]


@given(
    names=st.lists(node_name, min_size=2, max_size=13, unique=True),
    weight_choices=st.none() | st.lists(st.floats(0.25, 4.0), min_size=13, max_size=13),
    keys=key_sets,
)
@PROPERTY_SETTINGS
def test_rendezvous_add_moves_keys_only_to_the_new_node(
    names: list[str], weight_choices: list[float] | None, keys: object
) -> None:
    weights = dict(zip(names, weight_choices[: len(names)], strict=True)) if weight_choices else {}
    *nodes, new_node = names
    old_weights = {node: w for node, w in weights.items() if node != new_node}
    before = rendezvous_placement(keys, nodes, weights=old_weights)  # type: ignore[arg-type]
    after = rendezvous_placement(keys, names, weights=weights)  # type: ignore[arg-type]
    _only_moves_to(before, after, new_node)


@given(
    names=st.lists(node_name, min_size=2, max_size=12, unique=True),
    weight_choices=st.none() | st.lists(st.floats(0.25, 4.0), min_size=12, max_size=12),
    data=st.data(),
    keys=key_sets,
)
@PROPERTY_SETTINGS
def test_rendezvous_remove_moves_only_that_nodes_keys(
    names: list[str], weight_choices: list[float] | None, data: st.DataObject, keys: object
) -> None:
    weights = dict(zip(names, weight_choices[: len(names)], strict=True)) if weight_choices else {}
    gone = data.draw(st.sampled_from(names), label="removed")
    rest = [node for node in names if node != gone]
    rest_weights = {node: w for node, w in weights.items() if node != gone}
    before = rendezvous_placement(keys, names, weights=weights)  # type: ignore[arg-type]
    after = rendezvous_placement(keys, rest, weights=rest_weights)  # type: ignore[arg-type]
    _only_moves_from(before, after, gone)


@given(names=st.lists(node_name, min_size=2, max_size=13, unique=True), keys=key_sets)
@PROPERTY_SETTINGS
def test_jump_add_at_the_end_moves_keys_only_to_it(names: list[str], keys: object) -> None:
    before = jump_placement(keys, names[:-1])  # type: ignore[arg-type]
    after = jump_placement(keys, names)  # type: ignore[arg-type]
    _only_moves_to(before, after, names[-1])
    _only_moves_from(after, before, names[-1])  # and removing the last node undoes it


def _ring_place(keys: object, nodes: list[str]) -> Placement:
    return HashRing(nodes, virtual_nodes=20).place(keys)  # type: ignore[arg-type]


SCHEMES = {
    "mod_n": mod_n_placement,
    "ring": _ring_place,
    "rendezvous": rendezvous_placement,
    "jump": jump_placement,
}
scheme_names = st.sampled_from(sorted(SCHEMES))
any_keys = st.lists(st.integers(-(2**63), 2**64 - 1), max_size=200) | st.lists(
    st.text(string.printable, max_size=12), max_size=200
)


@given(scheme=scheme_names, names=st.lists(node_name, min_size=1, max_size=12, unique=True), keys=any_keys)
@PROPERTY_SETTINGS
def test_loads_sum_to_the_number_of_keys(scheme: str, names: list[str], keys: list[object]) -> None:
    placement = SCHEMES[scheme](keys, names)  # type: ignore[operator]
    loads = load_per_node(placement)
    assert len(placement) == len(keys)
    assert list(loads) == names
    assert sum(loads.values()) == len(keys)
    assert all(count >= 0 for count in loads.values())


@given(scheme=scheme_names, names=st.lists(node_name, min_size=1, max_size=12, unique=True), keys=any_keys)
@PROPERTY_SETTINGS
def test_placements_are_deterministic(scheme: str, names: list[str], keys: list[object]) -> None:
    place = SCHEMES[scheme]
    first = names_of(place(keys, names))  # type: ignore[operator]
    second = names_of(place(list(keys), list(names)))  # type: ignore[operator]
    assert first == second
    assert set(first) <= set(names)


@given(names=st.lists(node_name, min_size=1, max_size=12, unique=True), keys=any_keys)
@PROPERTY_SETTINGS
def test_one_key_at_a_time_matches_batch(names: list[str], keys: list[object]) -> None:
    ring = HashRing(names, virtual_nodes=10)
    batch = names_of(ring.place(keys))  # type: ignore[arg-type]
    assert [ring.node_for(key) for key in keys[:20]] == batch[:20]  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Same answers in every process, whatever PYTHONHASHSEED is
# --------------------------------------------------------------------------------------------

_CHILD_NODES = ["alpha", "beta", "gamma", "delta", "epsilon"]
_CHILD_KEYS = [f"user:{i}" for i in range(60)] + ["", "ключ", "🔑"]

_CHILD_SCRIPT = """
import json, sys
from helpers.hashing.model import HashRing, jump_placement, mod_n_placement, rendezvous_placement, stable_hash
nodes, keys = json.loads(sys.argv[1])
ring = HashRing(nodes, virtual_nodes=50)
print(json.dumps({
    "ring": ring.place(keys).names().tolist(),
    "mod_n": mod_n_placement(keys, nodes).names().tolist(),
    "rendezvous": rendezvous_placement(keys, nodes).names().tolist(),
    "jump": jump_placement(keys, nodes).names().tolist(),
    "user42": stable_hash("user:42"),
    "builtin": hash("user:42"),
}))
"""


def _run_child(seed: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD_SCRIPT, json.dumps([_CHILD_NODES, _CHILD_KEYS])],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        timeout=60,
    )
    output: dict[str, object] = json.loads(result.stdout)
    return output


def test_placement_is_identical_across_processes_and_hash_seeds() -> None:
    first, second = _run_child("1"), _run_child("2")
    # The seeds really differ: Python's own string hash changed between the two processes...
    assert first.pop("builtin") != second.pop("builtin")
    # ...but nothing of ours did.
    assert first == second
    ring = HashRing(_CHILD_NODES, virtual_nodes=50)
    here = {
        "ring": names_of(ring.place(_CHILD_KEYS)),
        "mod_n": names_of(mod_n_placement(_CHILD_KEYS, _CHILD_NODES)),
        "rendezvous": names_of(rendezvous_placement(_CHILD_KEYS, _CHILD_NODES)),
        "jump": names_of(jump_placement(_CHILD_KEYS, _CHILD_NODES)),
        "user42": stable_hash("user:42"),
    }
    assert first == here
    assert len(set(here["ring"])) > 1  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Bad inputs: clear errors that name the bad value
# --------------------------------------------------------------------------------------------

ONE_RING = HashRing(["a"], virtual_nodes=3)
TWO_RING = HashRing(["a", "b"], virtual_nodes=3)
_SAME = Placement(("a", "b"), np.array([0, 1], dtype=np.intp))
_THREE = Placement(("a", "b"), np.array([0, 1, 1], dtype=np.intp))
_EMPTY = Placement(("a", "b"), np.array([], dtype=np.intp))

BAD_INPUTS = [
    # Nodes.
    pytest.param(lambda: HashRing([]), ValueError, "nodes must not be empty", id="ring-empty-nodes"),
    pytest.param(lambda: mod_n_placement([1], []), ValueError, "must not be empty", id="mod-n-empty-nodes"),
    pytest.param(lambda: rendezvous_placement([1], []), ValueError, "must not be empty", id="hrw-empty-nodes"),
    pytest.param(lambda: jump_placement([1], ()), ValueError, "must not be empty", id="jump-empty-nodes"),
    pytest.param(
        lambda: HashRing(["a", "b", "a"]), ValueError, re.escape("duplicates ['a']"), id="ring-duplicate"
    ),
    pytest.param(
        lambda: rendezvous_placement([1], ["x", "y", "y", "x", "z"]),
        ValueError,
        re.escape("duplicates ['x', 'y']"),
        id="hrw-duplicates",
    ),
    pytest.param(lambda: HashRing("abc"), TypeError, "single string 'abc'", id="ring-bare-string-nodes"),
    pytest.param(lambda: HashRing(["a", ""]), TypeError, "got ''", id="ring-empty-name"),
    pytest.param(lambda: HashRing(["a", 7]), TypeError, "got 7", id="ring-int-name"),
    # Virtual nodes.
    pytest.param(lambda: HashRing(["a"], virtual_nodes=0), ValueError, "got 0", id="vnodes-0"),
    pytest.param(lambda: HashRing(["a"], virtual_nodes=-3), ValueError, "got -3", id="vnodes-negative"),
    pytest.param(lambda: HashRing(["a"], virtual_nodes=2.5), TypeError, "got 2.5", id="vnodes-float"),
    pytest.param(lambda: HashRing(["a"], virtual_nodes=True), TypeError, "got True", id="vnodes-bool"),
    # Add and remove.
    pytest.param(lambda: TWO_RING.remove("zz"), ValueError, "cannot remove 'zz'", id="remove-unknown"),
    pytest.param(lambda: ONE_RING.remove("a"), ValueError, "cannot remove 'a'.*only node", id="remove-only"),
    pytest.param(lambda: TWO_RING.add("b"), ValueError, "'b' is already on the ring", id="add-present"),
    pytest.param(lambda: TWO_RING.add("c", weight=0), ValueError, "'c'.*got 0", id="add-weight-0"),
    # Weights.
    pytest.param(lambda: HashRing(["a", "b"], weights={"a": 0}), ValueError, "'a'.*got 0$", id="w-0"),
    pytest.param(lambda: HashRing(["a", "b"], weights={"b": -1}), ValueError, "'b'.*got -1", id="w-neg"),
    pytest.param(
        lambda: HashRing(["a", "b"], weights={"a": float("nan")}), ValueError, "'a'.*got nan", id="w-nan"
    ),
    pytest.param(
        lambda: HashRing(["a", "b"], weights={"a": float("inf")}), ValueError, "'a'.*got inf", id="w-inf"
    ),
    pytest.param(
        lambda: HashRing(["a", "b"], weights={"a": "2"}), TypeError, "'a'.*got '2'", id="w-string"
    ),
    pytest.param(
        lambda: HashRing(["a", "b"], weights={"zz": 2}), ValueError, re.escape("unknown nodes ['zz']"),
        id="w-unknown-node",
    ),
    pytest.param(
        lambda: rendezvous_placement([1], ["a", "b"], weights={"a": 0}), ValueError, "'a'.*got 0$",
        id="hrw-w-0",
    ),
    pytest.param(
        lambda: rendezvous_placement([1], ["a", "b"], weights={"b": -1}), ValueError, "'b'.*got -1",
        id="hrw-w-neg",
    ),
    pytest.param(
        lambda: rendezvous_placement([1], ["a"], weights={"a": float("nan")}), ValueError, "got nan",
        id="hrw-w-nan",
    ),
    pytest.param(
        lambda: rendezvous_placement([1], ["a"], weights={"a": float("inf")}), ValueError, "got inf",
        id="hrw-w-inf",
    ),
    pytest.param(
        lambda: rendezvous_placement([1], ["a"], weights={"q": 1}), ValueError, re.escape("['q']"),
        id="hrw-w-unknown-node",
    ),
    # Jump hash.
    pytest.param(lambda: jump_hash(1, 0), ValueError, "buckets must be at least 1, got 0", id="jump-0"),
    pytest.param(lambda: jump_hash(1, -5), ValueError, "got -5", id="jump-negative"),
    pytest.param(lambda: jump_hash_array([1], 0), ValueError, "got 0", id="jump-array-0"),
    pytest.param(lambda: jump_hash(1.5, 10), TypeError, "got 1.5", id="jump-float-key"),
    pytest.param(lambda: jump_hash(True, 10), TypeError, "got True", id="jump-bool-key"),
    pytest.param(lambda: jump_hash(1, 2.0), TypeError, "got 2.0", id="jump-float-buckets"),
    pytest.param(lambda: jump_hash_array([1.5], 10), TypeError, "float64", id="jump-array-floats"),
    # hash_keys and stable_hash.
    pytest.param(lambda: hash_keys(["a", 1]), TypeError, "mix of both", id="keys-mixed"),
    pytest.param(lambda: hash_keys([1, "a"]), TypeError, "mix of both", id="keys-mixed-int-first"),
    pytest.param(lambda: hash_keys(["a", None]), TypeError, r"got None \(NoneType\)", id="keys-none"),
    pytest.param(lambda: hash_keys([1, 2.5]), TypeError, "got 2.5", id="keys-float"),
    pytest.param(lambda: hash_keys([1.5]), TypeError, r"got 1\.5 \(float\)", id="keys-only-float"),
    pytest.param(lambda: hash_keys([1, True]), TypeError, r"got True \(bool\)", id="keys-bool"),
    pytest.param(lambda: hash_keys("abc"), TypeError, "single string 'abc'", id="keys-bare-string"),
    pytest.param(lambda: hash_keys(np.array([0.5])), TypeError, "float64", id="keys-float-array"),
    pytest.param(lambda: stable_hash(42), TypeError, "got 42", id="stable-hash-int"),
    pytest.param(lambda: HashRing(["a"]).place("abc"), TypeError, "'abc'", id="place-bare-string"),
    # Placements and loads.
    pytest.param(lambda: remapped_fraction(_SAME, _THREE), ValueError, "2 and 3", id="remap-lengths"),
    pytest.param(lambda: remapped_fraction(_EMPTY, _EMPTY), ValueError, "no keys", id="remap-empty"),
    pytest.param(lambda: max_over_mean([]), ValueError, "must not be empty", id="mom-empty"),
    pytest.param(lambda: max_over_mean({}), ValueError, "must not be empty", id="mom-empty-mapping"),
    pytest.param(lambda: max_over_mean([1, -2]), ValueError, re.escape("[1, -2]"), id="mom-negative"),
    pytest.param(lambda: max_over_mean([1, float("nan")]), ValueError, "nan", id="mom-nan"),
    pytest.param(lambda: max_over_mean({"a": 0, "b": 0}), ValueError, "all zero", id="mom-all-zero"),
    pytest.param(lambda: coefficient_of_variation([]), ValueError, "must not be empty", id="cv-empty"),
    pytest.param(lambda: coefficient_of_variation([3, -1]), ValueError, "-1", id="cv-negative"),
    pytest.param(lambda: coefficient_of_variation([0, 0]), ValueError, "all zero", id="cv-all-zero"),
    # expected_remapped_fraction.
    pytest.param(
        lambda: expected_remapped_fraction(10, 11, "ring"), ValueError, "got 'ring'", id="scheme-unknown"
    ),
    pytest.param(
        lambda: expected_remapped_fraction(0, 11, "mod_n"), ValueError, "nodes_before.*got 0", id="before-0"
    ),
    pytest.param(
        lambda: expected_remapped_fraction(3, 0, "consistent"), ValueError, "nodes_after.*got 0", id="after-0"
    ),
    pytest.param(
        lambda: expected_remapped_fraction(-2, 3, "consistent"), ValueError, "got -2", id="before-negative"
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD_INPUTS)
def test_bad_inputs_raise_clear_errors(call: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()  # type: ignore[operator]


def test_failed_add_or_remove_leaves_the_ring_unchanged() -> None:
    ring = HashRing(["a", "b"], virtual_nodes=3)
    positions = ring.positions.tolist()
    with pytest.raises(ValueError, match="'a'"):
        ring.add("a")
    with pytest.raises(ValueError, match="'zz'"):
        ring.remove("zz")
    assert ring.nodes == ("a", "b")
    assert ring.positions.tolist() == positions
