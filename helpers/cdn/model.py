"""Content delivery networks: TTL hit ratios, Zipf popularity, push against pull, LRU edges (lesson 06).

The models here are the ones lesson 06 tests the seed notes against:

* a **TTL cache** (pull mode): an object fetched on a miss stays for T seconds, then the
  next request misses again. With Poisson requests at rate λ per object per edge, the
  renewal argument gives the hit ratio λT/(1+λT), the origin fetch rate λ/(1+λT) and
  the share of time the object is stored, λT/(1+λT) again (Jung, Berger and
  Balakrishnan, INFOCOM 2003);
* **push**: every object sits on every edge and is uploaded again at each update;
* an **LRU** edge of C objects, with Che's approximation (Che, Tung and Wang, IEEE JSAC
  2002): object i is stored with probability 1 - exp(-λᵢ t_C), where t_C solves
  Σᵢ (1 - exp(-λᵢ t_C)) = C.

Traces are seeded (pass a ``numpy.random.Generator``) and replayed with NumPy: a TTL
trace is replayed in rounds (about one per TTL of the trace's duration), not one Python
step per request.

Sections:
    * distance: ``fibre_rtt_ms``
    * popularity and traces: ``zipf_popularity``, ``zipf_trace``, ``poisson_trace``
    * the TTL model: ``ttl_hit_ratio``, ``ttl_fetch_rate``, ``simulate_ttl``
    * push against pull: ``CdnCosts``, ``push_pull_costs``, ``crossover_rate``
    * LRU edges: ``LruTtlCache``, ``simulate_lru``, ``che_characteristic_time``, ``che_hit_ratio``
    * invalidation: ``invalidation_cost_usd``
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from helpers import checks

__all__ = [
    "FIBRE_REFRACTIVE_INDEX",
    "FREE_INVALIDATION_PATHS_PER_MONTH",
    "INVALIDATION_PATH_PRICE_USD",
    "LIGHT_SPEED_KM_PER_S",
    "CdnCosts",
    "LruTtlCache",
    "che_characteristic_time",
    "che_hit_ratio",
    "crossover_rate",
    "fibre_rtt_ms",
    "invalidation_cost_usd",
    "poisson_trace",
    "push_pull_costs",
    "simulate_lru",
    "simulate_ttl",
    "ttl_fetch_rate",
    "ttl_hit_ratio",
    "zipf_popularity",
    "zipf_trace",
]

LIGHT_SPEED_KM_PER_S = 299_792.458
"""Speed of light in a vacuum (lesson 06, section 1)."""

FIBRE_REFRACTIVE_INDEX = 1.47
"""Refractive index of optical fibre: light in fibre travels at c / 1.47 (lesson 06, section 1)."""


def _rates(name: str, values: ArrayLike) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if np.isnan(array).any() or (array < 0).any() or np.isinf(array).any():
        raise ValueError(f"{name} must hold finite numbers >= 0, got {values!r}")
    return array


# --- distance -------------------------------------------------------------------------------


def fibre_rtt_ms(distance_km: ArrayLike) -> NDArray[np.float64]:
    """Lower bound on the round-trip time over fibre, in ms: there and back at c / 1.47 (lesson 06, section 1).

    Real paths are longer and add routing and queueing, so measured RTTs are higher.

    Examples:
        >>> round(float(fibre_rtt_ms(8_770)), 1)  # San Francisco - Amsterdam, great circle
        86.0
        >>> fibre_rtt_ms([0, 100]).round(2).tolist()
        [0.0, 0.98]
    """
    distance = _rates("distance_km", distance_km)
    rtt: NDArray[np.float64] = 2 * distance * FIBRE_REFRACTIVE_INDEX / LIGHT_SPEED_KM_PER_S * 1000
    return rtt


# --- popularity and traces ------------------------------------------------------------------


def zipf_popularity(objects: int, exponent: float = 1.0) -> NDArray[np.float64]:
    """Share of requests for each object when popularity follows Zipf's law: p(rank k) ∝ k^-exponent.

    Taught in lesson 06, section 5. Object 0 is the most popular; the shares sum to 1. Exponent 0 is uniform.

    Examples:
        >>> zipf_popularity(3, 1.0).round(3).tolist()
        [0.545, 0.273, 0.182]
        >>> zipf_popularity(4, 0.0).tolist()
        [0.25, 0.25, 0.25, 0.25]
    """
    count = checks.count("objects", objects)
    alpha = checks.positive("exponent", exponent, allow_zero=True)
    weights = np.arange(1, count + 1, dtype=np.float64) ** -alpha
    shares: NDArray[np.float64] = weights / weights.sum()
    return shares


def zipf_trace(objects: int, exponent: float, requests: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Object ids (0 = most popular) of ``requests`` independent requests with Zipf popularity (lesson 06, section 6).

    Examples:
        >>> trace = zipf_trace(100, 1.0, 10_000, np.random.default_rng(0))
        >>> trace.shape, int(trace.min()) >= 0, int(trace.max()) < 100
        ((10000,), True, True)
        >>> bool(np.mean(trace == 0) > np.mean(trace == 1) > np.mean(trace == 50))
        True
    """
    shares = zipf_popularity(objects, exponent)
    count = checks.count("requests", requests, minimum=0)
    cumulative = np.cumsum(shares)
    cumulative[-1] = 1.0  # rounding must not leave a gap above the last object
    ids: NDArray[np.int64] = np.searchsorted(cumulative, rng.random(count), side="right").astype(np.int64)
    return ids


def poisson_trace(
    rates_per_s: ArrayLike, duration_s: float, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Request times (ascending) and object ids when object i is requested as a Poisson process at rate i.

    Taught in lesson 06, section 4.

    Examples:
        >>> times, ids = poisson_trace([10.0, 1.0], 100.0, np.random.default_rng(1))
        >>> bool(np.all(np.diff(times) >= 0)), 900 < int(np.sum(ids == 0)) < 1100, 60 < int(np.sum(ids == 1)) < 140
        (True, True, True)
    """
    rates = np.atleast_1d(_rates("rates_per_s", rates_per_s))
    if rates.ndim != 1:
        raise ValueError(f"rates_per_s must be one rate per object (1-D), got shape {rates.shape}")
    duration = checks.positive("duration_s", duration_s)
    counts = rng.poisson(rates * duration)
    ids = np.repeat(np.arange(rates.size, dtype=np.int64), counts)
    times = rng.random(ids.size) * duration  # given their count, Poisson arrivals are uniform
    order = np.argsort(times, kind="stable")
    return times[order], ids[order]


# --- the TTL model --------------------------------------------------------------------------


def ttl_hit_ratio(rate_per_s: ArrayLike, ttl_s: float) -> NDArray[np.float64]:
    """Hit ratio λT/(1+λT) of a TTL cache under Poisson requests at rate λ (per object, per edge).

    Taught in lesson 06, section 4. Each miss starts a cycle: the object stays for T seconds, serving on average λT
    hits, then the next request (on average 1/λ later) misses. So a cycle holds one
    miss and λT hits. The same fraction is the share of time the object is stored.

    Examples:
        >>> ttl_hit_ratio(1.0, 9.0).item()
        0.9
        >>> ttl_hit_ratio([0.0, 0.01, 100.0], 60.0).round(3).tolist()
        [0.0, 0.375, 1.0]
    """
    rates = _rates("rate_per_s", rate_per_s)
    ttl = checks.positive("ttl_s", ttl_s, allow_zero=True)
    product = rates * ttl
    ratio: NDArray[np.float64] = product / (1.0 + product)
    return ratio


def ttl_fetch_rate(rate_per_s: ArrayLike, ttl_s: float) -> NDArray[np.float64]:
    """Origin fetches per second λ/(1+λT) of a TTL cache: one per cycle of T + 1/λ seconds (lesson 06, section 4).

    It grows with λ but never exceeds 1/T: at most one fetch per TTL, however busy.

    Examples:
        >>> ttl_fetch_rate(1.0, 9.0).item()
        0.1
        >>> bool(ttl_fetch_rate(1e9, 60.0) < 1 / 60)
        True
    """
    rates = _rates("rate_per_s", rate_per_s)
    ttl = checks.positive("ttl_s", ttl_s, allow_zero=True)
    fetches: NDArray[np.float64] = rates / (1.0 + rates * ttl)
    return fetches


def simulate_ttl(times_s: ArrayLike, ids: ArrayLike, ttl_s: float) -> NDArray[np.bool_]:
    """Whether each request of a trace hits a TTL cache that keeps an object ``ttl_s`` seconds after a miss.

    Taught in lesson 06, section 4. Hits do not extend the entry (as with ``Cache-Control: max-age`` counted from the
    fetch), and the cache never runs out of room. Vectorised over objects: each round
    finds every object's next miss at once (the first request at least T after the last
    miss), so a trace needs about duration / T rounds, not one step per request.

    Examples:
        >>> simulate_ttl([0.0, 1.0, 2.0, 3.5, 4.0], [7, 7, 7, 7, 8], ttl_s=3.0).tolist()
        [False, True, True, False, False]
    """
    times = np.asarray(times_s, dtype=np.float64)
    keys = np.asarray(ids)
    if times.ndim != 1 or keys.shape != times.shape:
        raise ValueError(f"times_s and ids must be 1-D and of equal length, got {times.shape} and {keys.shape}")
    if np.isnan(times).any() or np.isinf(times).any():
        raise ValueError("times_s must hold finite numbers")
    ttl = checks.positive("ttl_s", ttl_s, allow_zero=True)
    hits = np.ones(times.size, dtype=bool)
    if times.size == 0:
        return hits
    # Sort by object, then time. NumPy orders complex numbers by real part, then imaginary
    # part, so "object + 1j * time" searches every object's own times at once, exactly.
    order = np.lexsort((times, keys))
    sorted_keys, sorted_times = keys[order], times[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], sorted_keys.size]
    block = np.repeat(np.arange(starts.size, dtype=np.float64), ends - starts)
    line = block + 1j * sorted_times
    sorted_hits = np.ones(times.size, dtype=bool)
    current, last = starts, ends
    while current.size:
        sorted_hits[current] = False
        following = np.searchsorted(line, line[current] + 1j * ttl, side="left")
        # A request exactly T after the miss finds the entry expired (age >= max-age is stale).
        following = np.maximum(following, current + 1)
        alive = following < last
        current, last = following[alive], last[alive]
    hits[order] = sorted_hits
    return hits


# --- push against pull ----------------------------------------------------------------------


@dataclass(frozen=True)
class CdnCosts:
    """What pull and push cost at each total request rate, for one catalogue on E edges (lesson 06, section 5).

    Traffic is split evenly over the edges, and over objects by Zipf popularity. Pull
    keeps an object T seconds after a miss; push stores every object on every edge and
    uploads it to every edge at each update (rate u per object). Egress counts objects
    sent by the origin per second (multiply by the object size for bytes); storage
    counts objects held, summed over edges (for pull, the expected number).

    Attributes:
        request_rate_per_s: total user requests per second, all edges together.
        pull_hit_ratio: share of requests an edge answers from its cache.
        pull_egress_per_s: origin fetches per second, all edges.
        pull_storage: expected objects stored, all edges.
        push_egress_per_s: uploads per second, u·O·E (the same at every rate).
        push_storage: objects stored, O·E.
        crossover_rate_per_s: total request rate where pull's egress equals push's, or
            None when pull stays below push at any rate (u·T >= 1).
    """

    request_rate_per_s: NDArray[np.float64]
    pull_hit_ratio: NDArray[np.float64]
    pull_egress_per_s: NDArray[np.float64]
    pull_storage: NDArray[np.float64]
    push_egress_per_s: float
    push_storage: float
    crossover_rate_per_s: float | None

    push_hit_ratio: float = 1.0
    """Every request finds its object pushed (ignoring the moments between an update and its upload)."""


def _check_site(objects: int, ttl_s: float, update_rate_per_s: float, edges: int, exponent: float) -> None:
    checks.count("objects", objects)
    checks.positive("ttl_s", ttl_s)
    checks.positive("update_rate_per_s", update_rate_per_s, allow_zero=True)
    checks.count("edges", edges)
    checks.positive("exponent", exponent, allow_zero=True)


_GROUP_WIDTH = 0.01
"""Objects whose shares differ by less than this ratio (1%) are summed as one group."""


def _grouped(shares: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Representative share and size of groups of objects whose shares lie within 1% of each other.

    Sums of smooth functions of x·pᵢ over a Zipf catalogue are then sums over groups:
    the head (where neighbours differ by more than 1%) stays exact, object by object,
    and the long tail of near-equal shares collapses, so 100,000 objects cost like
    about 1,200. The relative error is of order 1e-5.
    """
    level = np.floor(np.log(shares.max() / shares) / math.log1p(_GROUP_WIDTH)).astype(np.int64)
    _, group = np.unique(level, return_inverse=True)
    sizes = np.bincount(group).astype(np.float64)
    means = np.bincount(group, weights=shares) / sizes
    return means, sizes


def _pull_sums(
    shares: NDArray[np.float64], loads: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Σ pᵢ hᵢ and Σ hᵢ, with hᵢ = x pᵢ / (1 + x pᵢ), for each load x = λ_total-per-edge · T."""
    means, sizes = _grouped(shares)
    product = loads[:, None] * means[None, :]
    ratio = product / (1.0 + product)
    return ratio @ (means * sizes), ratio @ sizes


def crossover_rate(
    objects: int, ttl_s: float, update_rate_per_s: float, edges: int = 10, exponent: float = 1.0
) -> float | None:
    """Total request rate at which pull's origin egress equals push's, or None if it never does (lesson 06, section 5).

    Per edge, pull fetches Σᵢ λᵢ/(1+λᵢT) = S/T, where S = Σᵢ λᵢT/(1+λᵢT) is the expected
    number of objects stored; push uploads u·O. So they cross where S = u·T·O, which is
    reachable only if u·T < 1 (S stays below O). Solved by bisection on a log scale.

    Examples:
        >>> rate = crossover_rate(1_000, 3_600.0, 1 / 86_400, edges=10)
        >>> costs = push_pull_costs([rate], 1_000, 3_600.0, 1 / 86_400, edges=10)
        >>> round(float(costs.pull_egress_per_s[0] / costs.push_egress_per_s), 6)
        1.0
        >>> crossover_rate(1_000, 3_600.0, 1 / 60) is None  # updated every minute, TTL an hour
        True
    """
    _check_site(objects, ttl_s, update_rate_per_s, edges, exponent)
    target = update_rate_per_s * ttl_s * objects  # objects stored per edge where the egresses meet
    if target >= objects:
        return None
    if target == 0:
        return 0.0
    shares, sizes = _grouped(zipf_popularity(objects, exponent))
    # Bracket the root: S(x) <= x, and S(x) >= O·x·p_min/(1 + x·p_min). Then Newton steps on
    # ln S against ln x (smooth and concave), falling back to bisection inside the bracket.
    low = math.log(target / 2)
    high = math.log(2 * target / ((objects - target) * float(shares.min())))
    y = (low + high) / 2
    for _ in range(100):
        x = math.exp(y)
        product = x * shares
        value = float(np.sum(sizes * product / (1.0 + product)))
        if value < target:
            low = y
        else:
            high = y
        slope = float(np.sum(sizes * product / (1.0 + product) ** 2)) / value  # d ln S / d ln x
        step = y - (math.log(value) - math.log(target)) / slope
        y = step if low < step < high else (low + high) / 2
        if high - low < 1e-13 or abs(value / target - 1) < 1e-13:
            break
    load = math.exp(y)
    return float(load * edges / ttl_s)


def push_pull_costs(
    request_rate_per_s: ArrayLike,
    objects: int,
    ttl_s: float,
    update_rate_per_s: float,
    edges: int = 10,
    exponent: float = 1.0,
) -> CdnCosts:
    """Hit ratio, origin egress and edge storage of pull and push at each total request rate (lesson 06, section 5).

    Object i gets λᵢ = Λ pᵢ / E requests per second at each edge (pᵢ: Zipf share). Pull:
    hit ratio Σ pᵢ λᵢT/(1+λᵢT), egress E Σ λᵢ/(1+λᵢT), storage E Σ λᵢT/(1+λᵢT). Push:
    egress u·O·E, storage O·E, hit ratio 1.

    Examples:
        >>> costs = push_pull_costs([0.01, 1_000.0], objects=100, ttl_s=3_600.0, update_rate_per_s=1 / 86_400)
        >>> costs.pull_hit_ratio.round(2).tolist(), costs.push_storage
        ([0.15, 1.0], 1000.0)
        >>> bool(costs.pull_egress_per_s[0] < costs.push_egress_per_s < costs.pull_egress_per_s[1])
        True
    """
    _check_site(objects, ttl_s, update_rate_per_s, edges, exponent)
    rates = np.atleast_1d(_rates("request_rate_per_s", request_rate_per_s))
    if rates.ndim != 1:
        raise ValueError(f"request_rate_per_s must be a rate or a 1-D array of rates, got shape {rates.shape}")
    shares = zipf_popularity(objects, exponent)
    loads = rates / edges * ttl_s  # x = λ_edge · T: requests per edge within one TTL
    hit, stored = _pull_sums(shares, loads)
    return CdnCosts(
        request_rate_per_s=rates,
        pull_hit_ratio=hit,
        pull_egress_per_s=stored * edges / ttl_s,
        pull_storage=stored * edges,
        push_egress_per_s=float(update_rate_per_s * objects * edges),
        push_storage=float(objects * edges),
        crossover_rate_per_s=crossover_rate(objects, ttl_s, update_rate_per_s, edges, exponent),
    )


# --- LRU edges ------------------------------------------------------------------------------

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruTtlCache(Generic[K, V]):
    """An edge cache of at most ``capacity`` entries: each expires ``ttl_s`` after it was stored,
    and when the cache is full the least recently used entry is evicted.

    Taught in lesson 06, section 6 (the live edge of sections 2 and 3 keeps its copies in
    one). Time is passed in (``now``, in seconds), so tests and simulations need no clock.

    Attributes:
        capacity: the most entries it holds (None: unlimited).
        hits, misses: lookups that found a fresh entry, and those that did not.
        evictions: entries removed to make room (expired entries do not count).

    Examples:
        >>> cache = LruTtlCache[str, bytes](capacity=2)
        >>> cache.put("a", b"A", ttl_s=10, now=0); cache.put("b", b"B", ttl_s=10, now=0)
        >>> cache.get("a", now=1)    # a is now the most recently used
        b'A'
        >>> cache.put("c", b"C", ttl_s=10, now=2)  # full: evicts b, the least recently used
        >>> cache.get("b", now=3), cache.get("a", now=11), (cache.hits, cache.misses, cache.evictions)
        (None, None, (1, 2, 1))
    """

    def __init__(self, capacity: int | None = None) -> None:
        self.capacity = None if capacity is None else checks.count("capacity", capacity)
        self._entries: OrderedDict[K, tuple[V, float]] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.evictions = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get(self, key: K, now: float) -> V | None:
        """The stored value if it is still fresh at ``now`` (counted as a hit), else None (a miss)."""
        entry = self._entries.get(key)
        if entry is not None and now < entry[1]:
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]
        if entry is not None:
            del self._entries[key]  # expired: drop it
        self.misses += 1
        return None

    def put(self, key: K, value: V, ttl_s: float, now: float) -> None:
        """Store ``value`` until ``now + ttl_s``, evicting the least recently used entry if full."""
        ttl = checks.positive("ttl_s", ttl_s, allow_zero=True, allow_inf=True)
        if ttl == 0:
            return  # nothing fresh to keep
        if key in self._entries:
            del self._entries[key]
        elif self.capacity is not None and len(self._entries) >= self.capacity:
            self._entries.popitem(last=False)
            self.evictions += 1
        self._entries[key] = (value, now + ttl)

    def keys(self) -> list[K]:
        """Stored keys, least recently used first."""
        return list(self._entries)

    def values(self) -> list[V]:
        """Stored values, least recently used first (expired ones too, until looked up or evicted)."""
        return [value for value, _ in self._entries.values()]

    def discard(self, key: K) -> bool:
        """Remove ``key``'s entry; whether there was one."""
        return self._entries.pop(key, None) is not None

    @property
    def hit_ratio(self) -> float:
        """hits / (hits + misses), 0 before any lookup."""
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0


def simulate_lru(ids: ArrayLike, capacity: int) -> float:
    """Hit ratio of an LRU cache of ``capacity`` objects replaying a trace of ids, no expiry (lesson 06, section 6).

    Examples:
        >>> simulate_lru([1, 2, 1, 3, 1, 2], capacity=2)
        0.3333333333333333
    """
    cache = LruTtlCache[int, bool](capacity=checks.count("capacity", capacity))
    for key in np.asarray(ids).tolist():
        if cache.get(key, now=0.0) is None:
            cache.put(key, True, ttl_s=math.inf, now=0.0)
    return cache.hit_ratio


def che_characteristic_time(rates: ArrayLike, capacity: int) -> float:
    """Che's characteristic time t_C of an LRU cache, the root of Σᵢ (1 - exp(-λᵢ t_C)) = C (lesson 06, section 6).

    An object stays in the cache if it is requested again within t_C; ``rates`` may be
    rates per second or popularity shares (then t_C is counted in requests).

    Examples:
        >>> round(che_characteristic_time([1.0, 1.0], 1), 4)  # 2(1 - e^-t) = 1
        0.6931
    """
    values = np.atleast_1d(_rates("rates", rates))
    size = checks.count("capacity", capacity)
    if size >= np.count_nonzero(values):
        raise ValueError(f"capacity must be below the number of requested objects ({np.count_nonzero(values)}), "
                         f"got {capacity}: everything fits, so there is no characteristic time")
    low, high = 0.0, 1.0
    while np.sum(-np.expm1(-values * high)) < size:
        high *= 2
    for _ in range(80):
        middle = (low + high) / 2
        if np.sum(-np.expm1(-values * middle)) < size:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def che_hit_ratio(rates: ArrayLike, capacity: int) -> float:
    """Overall hit ratio of an LRU cache by Che's approximation: Σᵢ λᵢ (1 - exp(-λᵢ t_C)) / Σᵢ λᵢ.

    Taught in lesson 06, section 6.

    Examples:
        >>> round(che_hit_ratio(zipf_popularity(1_000, 1.0), 100), 3)
        0.577
    """
    values = np.atleast_1d(_rates("rates", rates))
    if np.count_nonzero(values) <= checks.count("capacity", capacity):
        return 1.0
    t_c = che_characteristic_time(values, capacity)
    return float(np.sum(values * -np.expm1(-values * t_c)) / np.sum(values))


# --- invalidation ---------------------------------------------------------------------------

FREE_INVALIDATION_PATHS_PER_MONTH = 1_000
"""Invalidation paths CloudFront does not charge for, per account and month (lesson 06, section 9)."""

INVALIDATION_PATH_PRICE_USD = 0.005
"""CloudFront's price per invalidation path beyond the free ones (lesson 06, section 9)."""


def invalidation_cost_usd(paths_per_month: int) -> float:
    """CloudFront's monthly bill for ``paths_per_month`` invalidation paths, in US dollars.

    Taught in lesson 06, section 9. The first 1,000 paths a month are free, each further
    one costs $0.005; a wildcard path (``/images/*``) counts as one path, however many
    files it names. Computed in tenths of a cent, so the result is exact to the cent.

    Examples:
        >>> invalidation_cost_usd(1_000), invalidation_cost_usd(3_000), invalidation_cost_usd(1_001)
        (0.0, 10.0, 0.005)
    """
    paths = checks.count("paths_per_month", paths_per_month, minimum=0)
    billed = max(0, paths - FREE_INVALIDATION_PATHS_PER_MONTH)
    return billed * 5 / 1_000  # $0.005 = 5 tenths of a cent
