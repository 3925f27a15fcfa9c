"""How to scale, as arithmetic: which tier saturates first, what replicas, caches and shards buy (lesson 13).

Every function is pure: it takes the load and the deployment and returns numbers, so the
lesson can *compute* the bottleneck instead of typing it, and the explorer can redraw instantly.

The model is deliberately small. A request is a read (share ``read_share``) or a write. Every
request passes one web server. A read first asks the cache (``hit_rate`` of reads are answered
there); a miss goes to the database. Writes always go to the primary of their shard: replicas
copy every write, so they add read capacity and availability, never write capacity (erratum 29:
"database replication" in the notes scales reads, not writes). Shards split both reads and writes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from helpers import checks
from helpers.hashing import jump_hash_array

__all__ = [
    "TIERS",
    "Budgets",
    "Deployment",
    "bottleneck",
    "burst_backlog",
    "hot_key_share",
    "max_throughput",
    "parallel_availability",
    "serial_availability",
    "shard_loads",
    "shard_of",
    "shards_of",
    "stale_read_probability",
    "synchronous_commit_ms",
    "throughput_vs_replicas",
    "tier_load",
    "utilisation",
]

TIERS = ("web", "cache", "primary", "replicas")
"""The tiers the model knows, in the order a request meets them."""


@dataclass(frozen=True)
class Budgets:
    """Requests per second ONE node of each tier can serve at 100% utilisation (lesson 13, section 1).

    Examples:
        >>> Budgets().db_write_rps
        1000.0
        >>> Budgets(web_rps=0)
        Traceback (most recent call last):
        ...
        ValueError: web_rps must be a finite number > 0, got 0
    """

    web_rps: float = 2_000.0
    cache_rps: float = 50_000.0
    db_read_rps: float = 1_000.0
    db_write_rps: float = 1_000.0

    def __post_init__(self) -> None:
        for name in ("web_rps", "cache_rps", "db_read_rps", "db_write_rps"):
            object.__setattr__(self, name, checks.positive(name, getattr(self, name)))


@dataclass(frozen=True)
class Deployment:
    """How many nodes each tier has (lesson 13, sections 1-7).

    ``replicas`` counts read replicas *per shard*; with 0 the primary serves reads too.
    ``cache`` says whether a cache tier exists (one node); without it the hit rate is ignored.

    Examples:
        >>> Deployment(web_servers=3, replicas=2).replicas
        2
        >>> Deployment(shards=0)
        Traceback (most recent call last):
        ...
        ValueError: shards must be an int >= 1, got 0
    """

    web_servers: int = 1
    replicas: int = 0
    shards: int = 1
    cache: bool = False

    def __post_init__(self) -> None:
        checks.count("web_servers", self.web_servers)
        checks.count("replicas", self.replicas, minimum=0)
        checks.count("shards", self.shards)
        if not isinstance(self.cache, bool):
            raise ValueError(f"cache must be True or False, got {self.cache!r}")


def _load_args(rps: object, read_share: object, hit_rate: object) -> tuple[float, float, float]:
    return (
        checks.positive("rps", rps, allow_zero=True),
        checks.fraction("read_share", read_share),
        checks.fraction("hit_rate", hit_rate),
    )


def tier_load(rps: float, read_share: float, hit_rate: float, deployment: Deployment) -> dict[str, float]:
    """Requests per second arriving at each tier, in total (lesson 13, section 1).

    Examples:
        >>> tier_load(1000, 0.9, 0.5, Deployment(cache=True, replicas=1))
        {'web': 1000.0, 'cache': 900.0, 'primary': 100.0, 'replicas': 450.0}
        >>> tier_load(1000, 0.9, 0.5, Deployment())  # no cache, no replica: the primary does it all
        {'web': 1000.0, 'cache': 0.0, 'primary': 1000.0, 'replicas': 0.0}
    """
    rps, read_share, hit_rate = _load_args(rps, read_share, hit_rate)
    reads, writes = rps * read_share, rps * (1.0 - read_share)
    cache = reads if deployment.cache else 0.0
    misses = reads * (1.0 - hit_rate) if deployment.cache else reads
    if deployment.replicas:
        return {"web": rps, "cache": cache, "primary": writes, "replicas": misses}
    return {"web": rps, "cache": cache, "primary": writes + misses, "replicas": 0.0}


def utilisation(
    rps: float, read_share: float, hit_rate: float, deployment: Deployment, budgets: Budgets | None = None
) -> dict[str, float]:
    """Utilisation of the busiest node of each tier: 1.0 means saturated (lesson 13, section 1).

    Load is spread evenly over the nodes of a tier; the primary of each shard spends its
    time on writes (and on reads when there are no replicas) against its two budgets.

    Examples:
        >>> utilisation(1000, 0.9, 0.0, Deployment())
        {'web': 0.5, 'cache': 0.0, 'primary': 1.0, 'replicas': 0.0}
        >>> utilisation(1000, 0.9, 0.0, Deployment(replicas=3))["primary"]
        0.1
    """
    b = budgets or Budgets()
    load = tier_load(rps, read_share, hit_rate, deployment)
    reads, writes = rps * read_share, rps * (1.0 - read_share)
    misses = reads * (1.0 - hit_rate) if deployment.cache else reads
    shards = deployment.shards
    primary = writes / shards / b.db_write_rps
    if not deployment.replicas:
        primary += misses / shards / b.db_read_rps
    replicas = misses / shards / deployment.replicas / b.db_read_rps if deployment.replicas else 0.0
    return {
        "web": load["web"] / deployment.web_servers / b.web_rps,
        "cache": load["cache"] / b.cache_rps,
        "primary": primary,
        "replicas": replicas,
    }


def bottleneck(
    rps: float, read_share: float, hit_rate: float, deployment: Deployment, budgets: Budgets | None = None
) -> str:
    """The tier that saturates first: the one with the highest utilisation (lesson 13, section 1).

    Ties go to the tier a request meets first (``TIERS`` order).

    Examples:
        >>> bottleneck(1000, 0.9, 0.0, Deployment())
        'primary'
        >>> bottleneck(1000, 0.9, 0.0, Deployment(replicas=3))
        'web'
    """
    use = utilisation(rps, read_share, hit_rate, deployment, budgets)
    return max(TIERS, key=lambda tier: (use[tier], -TIERS.index(tier)))


def max_throughput(read_share: float, hit_rate: float, deployment: Deployment, budgets: Budgets | None = None) -> float:
    """The total requests per second at which the first tier reaches 100% (lesson 13, sections 1 and 3).

    Utilisation grows linearly with load, so it is the load of 1 request/s divided into 1.

    Examples:
        >>> max_throughput(0.9, 0.0, Deployment())
        1000.0
        >>> max_throughput(0.9, 0.0, Deployment(replicas=9, web_servers=10))  # writes are 10%: x10 at most
        10000.0
    """
    per_request = max(utilisation(1.0, read_share, hit_rate, deployment, budgets).values())
    return math.inf if per_request == 0 else 1.0 / per_request


def throughput_vs_replicas(
    replicas: Sequence[int] | range, budgets: Budgets | None = None, shards: int = 1
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Most reads/s and most writes/s the database can take, for each replica count (lesson 13, section 3).

    Reads: the replicas (or the primary alone when there are none) times the read budget.
    Writes: one primary per shard, whatever the replicas.

    Examples:
        >>> reads, writes = throughput_vs_replicas([0, 1, 3])
        >>> reads.tolist(), writes.tolist()
        ([1000.0, 1000.0, 3000.0], [1000.0, 1000.0, 1000.0])
    """
    b = budgets or Budgets()
    shards = checks.count("shards", shards)
    counts = [checks.count("replicas", r, minimum=0) for r in replicas]
    reads = np.array([max(r, 1) * b.db_read_rps * shards for r in counts], dtype=np.float64)
    writes = np.full(len(counts), b.db_write_rps * shards, dtype=np.float64)
    return reads, writes


def stale_read_probability(delay_ms: float, lag_ms: float, distribution: str = "exponential") -> float:
    """Chance that a read ``delay_ms`` after the user's own write misses it on an async replica (section 4).

    ``fixed``: the replica applies every change exactly ``lag_ms`` late (PostgreSQL's
    ``recovery_min_apply_delay``): stale if and only if the read comes first.
    ``exponential``: lag varies, with mean ``lag_ms``: P(lag > delay) = exp(-delay / mean).

    Examples:
        >>> stale_read_probability(100, 300, "fixed"), stale_read_probability(400, 300, "fixed")
        (1.0, 0.0)
        >>> round(stale_read_probability(300, 300), 4)  # a read one mean lag later: e**-1
        0.3679
        >>> stale_read_probability(5, 0)
        0.0
    """
    delay = checks.positive("delay_ms", delay_ms, allow_zero=True)
    lag = checks.positive("lag_ms", lag_ms, allow_zero=True)
    checks.choice("distribution", distribution, ("fixed", "exponential"))
    if lag == 0:
        return 0.0
    if distribution == "fixed":
        return 1.0 if delay < lag else 0.0
    return math.exp(-delay / lag)


def synchronous_commit_ms(local_commit_ms: float, rtt_ms: float) -> float:
    """Time of a commit that waits for a synchronous standby: the local commit plus one round trip (section 5).

    Examples:
        >>> synchronous_commit_ms(0.3, 86)  # a standby in Amsterdam, the primary in San Francisco
        86.3
    """
    local = checks.positive("local_commit_ms", local_commit_ms, allow_zero=True)
    return local + checks.positive("rtt_ms", rtt_ms, allow_zero=True)


def shard_of(key: int, shards: int) -> int:
    """The shard (0 to ``shards`` - 1) of an integer key, by lesson 08's jump hash (section 7).

    Examples:
        >>> shard_of(42, 1)
        0
        >>> shard_of(42, 4) == shard_of(42, 4)
        True
    """
    checks.integer("key", key, low=0)
    shards = checks.count("shards", shards)
    return int(jump_hash_array([key], shards)[0])


def shards_of(keys: Sequence[int] | range | NDArray[np.integer], shards: int) -> NDArray[np.intp]:
    """The shard of each integer key, by jump hash, for many keys at once (section 4 and 7).

    Examples:
        >>> shards_of([42, 7], 4).tolist() == [shard_of(42, 4), shard_of(7, 4)]
        True
    """
    shards = checks.count("shards", shards)
    array = np.asarray(keys, dtype=np.int64)
    if array.ndim != 1 or (array < 0).any():
        raise ValueError(f"keys must be a list of ints >= 0, got {keys!r}")
    return jump_hash_array(array, shards)


def shard_loads(keys: Sequence[int] | range | NDArray[np.integer], shards: int) -> NDArray[np.int64]:
    """How many of ``keys`` land on each shard by jump hash (section 7).

    Examples:
        >>> loads = shard_loads(range(100_000), 4)
        >>> int(loads.sum()), bool(abs(loads / 25_000 - 1).max() < 0.1)
        (100000, True)
    """
    shards = checks.count("shards", shards)
    placed = jump_hash_array(np.asarray(keys, dtype=np.int64), shards)
    return np.bincount(placed, minlength=shards).astype(np.int64)


def hot_key_share(writes_per_user: Sequence[int] | NDArray[np.integer], shards: int) -> float:
    """Share of all writes that land on the busiest shard, user i being key i (section 7).

    One celebrity with a quarter of the writes puts at least a quarter on one shard,
    however many shards there are: sharding splits keys, not a single key's load.

    Examples:
        >>> hot_key_share([1] * 1000, 4) < 0.3
        True
        >>> hot_key_share([1000] + [1] * 999, 8) >= 1000 / 1999
        True
    """
    shards = checks.count("shards", shards)
    writes = np.asarray(writes_per_user, dtype=np.int64)
    if writes.ndim != 1 or writes.size == 0 or (writes < 0).any() or writes.sum() == 0:
        raise ValueError(f"writes_per_user must be a non-empty list of counts >= 0, not all 0, got {writes_per_user!r}")
    placed = jump_hash_array(np.arange(writes.size, dtype=np.int64), shards)
    per_shard = np.bincount(placed, weights=writes, minlength=shards)
    return float(per_shard.max() / writes.sum())


def burst_backlog(base_rps: float, burst_rps: float, burst_s: float, service_rps: float) -> tuple[float, float]:
    """A queue in front of a worker: the backlog at the end of a burst and the seconds to drain it (section 8).

    Examples:
        >>> burst_backlog(base_rps=50, burst_rps=300, burst_s=10, service_rps=100)
        (2000.0, 40.0)
    """
    base = checks.positive("base_rps", base_rps, allow_zero=True)
    burst = checks.positive("burst_rps", burst_rps, allow_zero=True)
    seconds = checks.positive("burst_s", burst_s, allow_zero=True)
    service = checks.positive("service_rps", service_rps)
    if base >= service:
        raise ValueError(
            f"base_rps must be below service_rps ({service:g}) or the queue never drains, got {base_rps!r}"
        )
    peak = max(burst - service, 0.0) * seconds
    return peak, peak / (service - base)


def serial_availability(availabilities: Sequence[float]) -> float:
    """Availability of components that must all be up: the product (section 8; lesson 14).

    Examples:
        >>> round(serial_availability([0.999, 0.999]), 6)
        0.998001
    """
    values = [checks.fraction("availability", a) for a in availabilities]
    if not values:
        raise ValueError("availabilities must name at least one component, got []")
    return float(np.prod(values))


def parallel_availability(availabilities: Sequence[float]) -> float:
    """Availability of redundant copies, any one of which is enough: 1 - prod(1 - A) (section 8).

    Examples:
        >>> round(parallel_availability([0.999, 0.999]), 6)  # two data centres
        0.999999
    """
    values = [checks.fraction("availability", a) for a in availabilities]
    if not values:
        raise ValueError("availabilities must name at least one component, got []")
    return 1.0 - float(np.prod([1.0 - a for a in values]))
