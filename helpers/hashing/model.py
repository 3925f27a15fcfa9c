"""Consistent hashing: mod-N, rings with virtual nodes, rendezvous and jump hash (lesson 08).

Every hash here is stable: the same key lands on the same node in every process and on
every machine. Python's built-in ``hash()`` is salted per process for strings, so it is
never used.

Keys are either strings (hashed with BLAKE2b, one at a time) or integers (hashed with
the SplitMix64 finaliser, vectorised), so a million integer keys place in milliseconds.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, cast

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "HashRing",
    "Placement",
    "coefficient_of_variation",
    "expected_remapped_fraction",
    "hash_keys",
    "jump_hash",
    "jump_hash_array",
    "jump_placement",
    "load_per_node",
    "max_over_mean",
    "mod_n_placement",
    "remapped_fraction",
    "rendezvous_placement",
    "stable_hash",
]

HASH_SPACE = 2**64
"""Size of the hash space: every hash is an integer in [0, 2**64)."""

_MASK64 = HASH_SPACE - 1
_JUMP_MULTIPLIER = 2862933555777941757  # the LCG constant of Lamping & Veach (2014)

Keys = Sequence[str] | Sequence[int] | NDArray[np.integer] | range
"""Keys to place: strings, or integers (a list, a range or a NumPy integer array)."""


def stable_hash(text: str) -> int:
    """64-bit hash of a string, identical in every process (BLAKE2b).

    Examples:
        >>> stable_hash("user:42") == stable_hash("user:42")
        True
        >>> 0 <= stable_hash("node-1") < 2**64
        True
    """
    if not isinstance(text, str):
        raise TypeError(f"stable_hash takes a str, got {text!r} ({type(text).__name__})")
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _mix64(values: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64 finaliser: a well-mixed 64-bit hash of each 64-bit integer."""
    z = values + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hash_keys(keys: Keys) -> NDArray[np.uint64]:
    """64-bit hash of each key: BLAKE2b for strings, SplitMix64 for integers.

    Examples:
        >>> int(hash_keys(["a", "b"])[0]) == stable_hash("a")
        True
        >>> hash_keys(range(3)).shape
        (3,)
    """
    if isinstance(keys, range):
        keys = list(keys) if keys.start < -(2**63) or keys.stop > 2**63 else np.arange(
            keys.start, keys.stop, keys.step, dtype=np.int64
        )
    if isinstance(keys, np.ndarray):
        if keys.dtype.kind in "iu":
            return _mix64(keys.astype(np.uint64))
        if keys.dtype.kind in "UO":
            keys = keys.tolist()
        else:
            raise TypeError(f"keys must be strings or integers, got an array of dtype {keys.dtype}")
    if isinstance(keys, str):
        raise TypeError(f"keys must be a sequence of keys, got the single string {keys!r}; wrap it in a list")
    items = list(keys)
    if not items:
        return np.zeros(0, dtype=np.uint64)
    if all(isinstance(key, str) for key in items):
        return np.fromiter((stable_hash(key) for key in items), dtype=np.uint64, count=len(items))
    if all(isinstance(key, (int, np.integer)) and not isinstance(key, bool) for key in items):
        return _mix64(np.array([int(key) & _MASK64 for key in items], dtype=np.uint64))
    bad = [key for key in items if not isinstance(key, (str, int, np.integer)) or isinstance(key, bool)]
    if not bad:
        raise TypeError("keys must be all strings or all integers, not a mix of both")
    raise TypeError(f"keys must be strings or integers, got {bad[0]!r} ({type(bad[0]).__name__})")


def _check_nodes(nodes: Iterable[str]) -> tuple[str, ...]:
    if isinstance(nodes, str):
        raise TypeError(f"nodes must be a collection of names, got the single string {nodes!r}")
    names = tuple(nodes)
    if not names:
        raise ValueError("nodes must not be empty: give at least one node name")
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"each node name must be a non-empty str, got {name!r}")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"node names must be unique, got duplicates {duplicates}")
    return names


def _check_weight(node: str, weight: float) -> float:
    if isinstance(weight, bool) or not isinstance(weight, (int, float)):
        raise TypeError(f"weight of node {node!r} must be a number, got {weight!r}")
    if not math.isfinite(weight) or weight <= 0:
        raise ValueError(f"weight of node {node!r} must be a finite number > 0, got {weight!r}")
    return float(weight)


@dataclass(frozen=True, eq=False)
class Placement:
    """Which node each key went to: the node names and, per key, an index into them.

    Examples:
        >>> placement = Placement(("a", "b"), np.array([0, 1, 1]))
        >>> placement[2], len(placement)
        ('b', 3)
    """

    nodes: tuple[str, ...]
    node_index: NDArray[np.intp]

    def __len__(self) -> int:
        return int(self.node_index.shape[0])

    def __getitem__(self, key_position: int) -> str:
        return self.nodes[int(self.node_index[key_position])]

    def names(self) -> NDArray[np.str_]:
        """Node name of every key, as an array of strings."""
        return np.asarray(self.nodes)[self.node_index]


@lru_cache(maxsize=4096)
def _node_points(node: str, count: int) -> NDArray[np.uint64]:
    """Ring positions of a node's virtual nodes ("node#0", "node#1", ...)."""
    points = np.fromiter((stable_hash(f"{node}#{i}") for i in range(count)), dtype=np.uint64, count=count)
    points.flags.writeable = False
    return points


class HashRing:
    """A consistent-hash ring: each node owns many points, each key goes to the next point clockwise.

    A node with weight w gets ``max(1, round(w * virtual_nodes))`` points, so its expected
    share of keys is proportional to w. Rings are immutable: ``add`` and ``remove`` return
    a new ring.

    Examples:
        >>> ring = HashRing(["a", "b", "c"], virtual_nodes=100)
        >>> ring.node_for("user:42") in ring.nodes
        True
        >>> bigger = ring.add("d")
        >>> remapped_fraction(ring.place(range(10_000)), bigger.place(range(10_000))) < 0.35
        True
    """

    def __init__(
        self,
        nodes: Iterable[str],
        virtual_nodes: int = 100,
        weights: Mapping[str, float] | None = None,
    ) -> None:
        self._nodes = _check_nodes(nodes)
        if isinstance(virtual_nodes, bool) or not isinstance(virtual_nodes, (int, np.integer)):
            raise TypeError(f"virtual_nodes must be an int, got {virtual_nodes!r}")
        if virtual_nodes < 1:
            raise ValueError(f"virtual_nodes must be at least 1, got {virtual_nodes!r}")
        self._virtual_nodes = int(virtual_nodes)
        weights = dict(weights or {})
        unknown = sorted(set(weights) - set(self._nodes))
        if unknown:
            raise ValueError(f"weights name unknown nodes {unknown}; the ring's nodes are {list(self._nodes)}")
        self._weights = tuple(_check_weight(node, weights.get(node, 1.0)) for node in self._nodes)
        counts = [max(1, round(w * self._virtual_nodes)) for w in self._weights]
        points = np.concatenate([_node_points(node, c) for node, c in zip(self._nodes, counts, strict=True)])
        owners = np.repeat(np.arange(len(self._nodes), dtype=np.intp), counts)
        order = np.argsort(points, kind="stable")
        self._positions: NDArray[np.uint64] = points[order]
        self._owners: NDArray[np.intp] = owners[order]

    def __repr__(self) -> str:
        return f"HashRing({list(self._nodes)!r}, virtual_nodes={self._virtual_nodes})"

    @property
    def nodes(self) -> tuple[str, ...]:
        """Node names, in the order they were given."""
        return self._nodes

    @property
    def virtual_nodes(self) -> int:
        """Points per node of weight 1."""
        return self._virtual_nodes

    @property
    def weights(self) -> dict[str, float]:
        """Weight of each node (1.0 unless given)."""
        return dict(zip(self._nodes, self._weights, strict=True))

    @property
    def positions(self) -> NDArray[np.uint64]:
        """Every point on the ring, sorted clockwise (a copy)."""
        return self._positions.copy()

    @property
    def owners(self) -> NDArray[np.intp]:
        """Index into ``nodes`` of the node owning each point in ``positions``."""
        return self._owners.copy()

    def add(self, node: str, weight: float = 1.0) -> HashRing:
        """A new ring with one more node."""
        if node in self._nodes:
            raise ValueError(f"node {node!r} is already on the ring")
        weights = dict(zip(self._nodes, self._weights, strict=True))
        weights[node] = weight
        return HashRing([*self._nodes, node], self._virtual_nodes, weights)

    def remove(self, node: str) -> HashRing:
        """A new ring without ``node``."""
        if node not in self._nodes:
            raise ValueError(f"cannot remove {node!r}: it is not on the ring {list(self._nodes)}")
        rest = [name for name in self._nodes if name != node]
        if not rest:
            raise ValueError(f"cannot remove {node!r}: it is the ring's only node")
        weights = {name: w for name, w in zip(self._nodes, self._weights, strict=True) if name != node}
        return HashRing(rest, self._virtual_nodes, weights)

    def place_hashes(self, hashes: NDArray[np.uint64]) -> Placement:
        """Placement of already-hashed keys: each goes to the first point at or after it."""
        slot = np.searchsorted(self._positions, hashes, side="left")
        slot[slot == self._positions.shape[0]] = 0  # past the last point: wrap to the first
        return Placement(self._nodes, self._owners[slot])

    def place(self, keys: Keys) -> Placement:
        """Placement of every key on this ring."""
        return self.place_hashes(hash_keys(keys))

    def node_for(self, key: str | int) -> str:
        """The node that owns one key."""
        return self.place(cast(Keys, [key]))[0]

    def arc_shares(self) -> dict[str, float]:
        """Exact fraction of the hash space each node owns (its expected share of keys)."""
        positions = self._positions
        if positions.shape[0] == 1:
            return {self._nodes[0]: 1.0}
        # Point i owns the arc (previous point, point i]; uint64 subtraction wraps around zero.
        arcs = (positions - np.roll(positions, 1)).astype(np.float64) / HASH_SPACE
        shares = np.bincount(self._owners, weights=arcs, minlength=len(self._nodes))
        return dict(zip(self._nodes, shares.tolist(), strict=True))


def mod_n_placement(keys: Keys, nodes: Sequence[str]) -> Placement:
    """Placement by ``hash(key) mod n``: even, but nearly every key moves when n changes.

    Examples:
        >>> mod_n_placement(["x", "y"], ["a", "b", "c"]).names().shape
        (2,)
    """
    names = _check_nodes(nodes)
    index = (hash_keys(keys) % np.uint64(len(names))).astype(np.intp)
    return Placement(names, index)


_RENDEZVOUS_CHUNK = 1 << 15


def rendezvous_placement(
    keys: Keys, nodes: Sequence[str], weights: Mapping[str, float] | None = None
) -> Placement:
    """Placement by rendezvous (highest random weight) hashing: each key picks its top-scoring node.

    Unweighted, the score is a hash of (key, node). Weighted, it is ``-w / ln(u)`` with u the
    hash mapped to (0, 1) (Schindelhauer & Schomaker 2005), so shares are proportional to w.

    Examples:
        >>> before = rendezvous_placement(range(1000), ["a", "b", "c"])
        >>> after = rendezvous_placement(range(1000), ["a", "b"])
        >>> bool(np.all(before.names()[before.names() != "c"] == after.names()[before.names() != "c"]))
        True
    """
    names = _check_nodes(nodes)
    weights = dict(weights or {})
    unknown = sorted(set(weights) - set(names))
    if unknown:
        raise ValueError(f"weights name unknown nodes {unknown}; the nodes are {list(names)}")
    weight_array = np.array([_check_weight(node, weights.get(node, 1.0)) for node in names])
    node_hashes = np.array([stable_hash(node) for node in names], dtype=np.uint64)
    key_hashes = hash_keys(keys)
    index = np.empty(key_hashes.shape[0], dtype=np.intp)
    weighted = bool(np.any(weight_array != 1.0))
    for start in range(0, key_hashes.shape[0], _RENDEZVOUS_CHUNK):
        chunk = key_hashes[start : start + _RENDEZVOUS_CHUNK]
        scores = _mix64(chunk[:, None] ^ node_hashes[None, :])
        if weighted:
            unit = ((scores >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0**53
            index[start : start + chunk.shape[0]] = np.argmax(-weight_array / np.log(unit), axis=1)
        else:
            index[start : start + chunk.shape[0]] = np.argmax(scores, axis=1)
    return Placement(names, index)


def _check_buckets(buckets: int) -> int:
    if isinstance(buckets, bool) or not isinstance(buckets, (int, np.integer)):
        raise TypeError(f"buckets must be an int, got {buckets!r}")
    if buckets < 1:
        raise ValueError(f"buckets must be at least 1, got {buckets!r}")
    return int(buckets)


def jump_hash(key: int, buckets: int) -> int:
    """Bucket in [0, buckets) for a 64-bit key, by jump consistent hash (Lamping & Veach 2014).

    Negative keys are taken as their 64-bit two's complement, as in Java's ``long``.

    Examples:
        >>> [jump_hash(key, 100) for key in range(5)]
        [0, 55, 62, 8, 45]
    """
    if isinstance(key, bool) or not isinstance(key, (int, np.integer)):
        raise TypeError(f"key must be an int, got {key!r}")
    buckets = _check_buckets(buckets)
    key = int(key) & _MASK64
    bucket, jump = -1, 0
    while jump < buckets:
        bucket = jump
        key = (key * _JUMP_MULTIPLIER + 1) & _MASK64
        jump = int((bucket + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return bucket


def jump_hash_array(keys: NDArray[np.integer] | Sequence[int], buckets: int) -> NDArray[np.intp]:
    """Jump consistent hash of many 64-bit keys at once (same result as ``jump_hash``).

    Examples:
        >>> jump_hash_array([0, 1, 2, 3, 4], 100).tolist()
        [0, 55, 62, 8, 45]
    """
    buckets = _check_buckets(buckets)
    raw = np.asarray(keys)
    if raw.size == 0:
        return np.zeros(raw.shape, dtype=np.intp)
    if raw.dtype.kind not in "iu":
        raise TypeError(f"keys must be integers, got dtype {raw.dtype}")
    state = raw.astype(np.uint64)  # negative int64 wraps to two's complement, as in jump_hash
    bucket = np.full(state.shape, -1, dtype=np.int64)
    jump = np.zeros(state.shape, dtype=np.int64)
    active = np.arange(state.shape[0])
    while active.size:
        bucket[active] = jump[active]
        state[active] = state[active] * np.uint64(_JUMP_MULTIPLIER) + np.uint64(1)
        ratio = float(1 << 31) / ((state[active] >> np.uint64(33)).astype(np.float64) + 1.0)
        jump[active] = ((bucket[active] + 1).astype(np.float64) * ratio).astype(np.int64)
        active = active[jump[active] < buckets]
    return bucket.astype(np.intp)


def jump_placement(keys: Keys, nodes: Sequence[str]) -> Placement:
    """Placement by jump consistent hash: node i is bucket i, so only the last node can leave.

    Examples:
        >>> jump_placement(["x", "y", "z"], ["a", "b"]).nodes
        ('a', 'b')
    """
    names = _check_nodes(nodes)
    return Placement(names, jump_hash_array(hash_keys(keys), len(names)))


def remapped_fraction(before: Placement, after: Placement) -> float:
    """Fraction of keys whose node differs between two placements of the same keys.

    Examples:
        >>> same = Placement(("a", "b"), np.array([0, 1]))
        >>> remapped_fraction(same, same)
        0.0
        >>> remapped_fraction(same, Placement(("b", "a"), np.array([0, 0])))
        0.5
    """
    if len(before) != len(after):
        raise ValueError(f"placements must cover the same keys, got {len(before)} and {len(after)} keys")
    if len(before) == 0:
        raise ValueError("placements hold no keys, so no fraction can move")
    union = {name: i for i, name in enumerate(dict.fromkeys([*before.nodes, *after.nodes]))}
    before_ids = np.array([union[name] for name in before.nodes])[before.node_index]
    after_ids = np.array([union[name] for name in after.nodes])[after.node_index]
    return float(np.mean(before_ids != after_ids))


def load_per_node(placement: Placement) -> dict[str, int]:
    """Number of keys on each node, in node order, nodes with no keys included.

    Examples:
        >>> load_per_node(Placement(("a", "b", "c"), np.array([0, 0, 2])))
        {'a': 2, 'b': 0, 'c': 1}
    """
    counts = np.bincount(placement.node_index, minlength=len(placement.nodes))
    return dict(zip(placement.nodes, counts.tolist(), strict=True))


def _load_array(loads: Mapping[str, float] | Iterable[float]) -> NDArray[np.float64]:
    values = list(loads.values()) if isinstance(loads, Mapping) else list(loads)
    if not values:
        raise ValueError("loads must not be empty")
    array = np.asarray(values, dtype=np.float64)
    if np.any(array < 0) or not np.all(np.isfinite(array)):
        raise ValueError(f"loads must be finite and >= 0, got {values!r}")
    if array.sum() == 0:
        raise ValueError("loads are all zero, so the mean is zero and the ratio is undefined")
    return array


def max_over_mean(loads: Mapping[str, float] | Iterable[float]) -> float:
    """Most-loaded node's load divided by the mean load (1.0 is perfect balance).

    Examples:
        >>> max_over_mean({"a": 30, "b": 10})
        1.5
    """
    array = _load_array(loads)
    return float(array.max() / array.mean())


def coefficient_of_variation(loads: Mapping[str, float] | Iterable[float]) -> float:
    """Standard deviation of the loads over their mean (population std; 0.0 is perfect balance).

    Examples:
        >>> coefficient_of_variation([10, 30])
        0.5
    """
    array = _load_array(loads)
    return float(array.std() / array.mean())


def expected_remapped_fraction(
    nodes_before: int, nodes_after: int, scheme: Literal["mod_n", "consistent"]
) -> float:
    """Expected fraction of keys that move when the node count changes.

    ``"mod_n"``: a key stays only if ``h mod n == h mod m``, which holds for
    min(n, m) of every lcm(n, m) hash values; from n to n+1 that moves n/(n+1).
    ``"consistent"``: only the keys of the added or removed nodes move,
    |m - n| / max(n, m); from n to n+1 that is 1/(n+1).

    Examples:
        >>> round(expected_remapped_fraction(10, 11, "mod_n"), 4)
        0.9091
        >>> round(expected_remapped_fraction(10, 11, "consistent"), 4)
        0.0909
    """
    for name, count in (("nodes_before", nodes_before), ("nodes_after", nodes_after)):
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
            raise ValueError(f"{name} must be an int >= 1, got {count!r}")
    n, m = int(nodes_before), int(nodes_after)
    if scheme == "mod_n":
        return 1.0 - min(n, m) / math.lcm(n, m)
    if scheme == "consistent":
        return abs(m - n) / max(n, m)
    raise ValueError(f"scheme must be 'mod_n' or 'consistent', got {scheme!r}")
