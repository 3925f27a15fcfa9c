"""Load balancing: policies, balls into bins, and a seeded queueing simulation (lesson 05).

A load balancer picks a backend for every request. The **policies** here are small classes
with one method, ``pick(in_flight, key)``: the index of the backend to use, given how many
requests each backend is serving right now (and, for hashing, a client key). The live
reverse proxy of ``helpers.balancing.live`` uses them as they are.

The **queueing simulation** sends a seeded stream of jobs (Poisson arrivals, exponential
work) to FIFO servers of different speeds, under each policy, and measures response
times. Policies that ignore the servers' state (round robin, weighted round robin,
random) are fully vectorised; those that read queue lengths (least connections, power of
two choices) run one tight loop over precomputed random numbers.

Sections:
    * policies: ``RoundRobin``, ``SmoothWeightedRoundRobin``, ``RandomChoice``,
      ``LeastConnections``, ``PowerOfTwoChoices``, ``HashChoice``, ``make_policy``
    * balls into bins: ``max_load``, ``gonnet_max_load``, ``abku_max_load``
    * the supermarket model: ``supermarket_time``, ``supermarket_tail``
    * the queueing simulation: ``server_speeds``, ``make_trace``, ``dispatch``, ``simulate``,
      ``compare_policies``
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from helpers import checks
from helpers.hashing.model import jump_hash, stable_hash

__all__ = [
    "POLICY_NAMES",
    "SIMULATED_POLICIES",
    "HashChoice",
    "LeastConnections",
    "Policy",
    "PowerOfTwoChoices",
    "QueueResult",
    "RandomChoice",
    "RoundRobin",
    "SmoothWeightedRoundRobin",
    "Trace",
    "abku_max_load",
    "compare_policies",
    "dispatch",
    "gonnet_max_load",
    "make_policy",
    "make_trace",
    "max_load",
    "server_speeds",
    "simulate",
    "smooth_weighted_sequence",
    "supermarket_tail",
    "supermarket_time",
]

POLICY_NAMES = ("round-robin", "weighted-round-robin", "random", "least-connections", "power-of-two", "hash")
"""Every policy a balancer here can use, by name."""

SIMULATED_POLICIES = ("round-robin", "weighted-round-robin", "random", "least-connections", "power-of-two")
"""The policies the queueing simulation compares (hashing is for stickiness, not balance)."""


def _check_in_flight(in_flight: Sequence[int], backends: int) -> None:
    if len(in_flight) != backends:
        raise ValueError(f"in_flight must hold one count per backend ({backends}), got {list(in_flight)!r}")


# --- policies -------------------------------------------------------------------------------


class Policy(Protocol):
    """What a balancer asks of a policy: the backend for the next request (lesson 05, section 2)."""

    name: str

    def pick(self, in_flight: Sequence[int], key: str | None = None) -> int:
        """Index of the backend for the next request."""
        ...


class RoundRobin:
    """Backends in turn: 0, 1, ..., n-1, 0, 1, ... whatever their load (lesson 05, sections 2 and 3).

    Examples:
        >>> policy = RoundRobin(3)
        >>> [policy.pick([0, 0, 0]) for _ in range(5)]
        [0, 1, 2, 0, 1]
    """

    name = "round-robin"

    def __init__(self, backends: int) -> None:
        self.backends = checks.count("backends", backends)
        self._next = 0

    def pick(self, in_flight: Sequence[int], key: str | None = None) -> int:
        """The next backend in turn (``in_flight`` is only checked, never used)."""
        _check_in_flight(in_flight, self.backends)
        chosen = self._next
        self._next = (self._next + 1) % self.backends
        return chosen


class SmoothWeightedRoundRobin:
    """Weighted round robin that spreads each backend's turns out ("smooth" WRR, as in nginx; lesson 05, section 3).

    Every pick adds each backend's weight to its running score, takes the backend with
    the highest score (the first one on a tie), and subtracts the total weight from the
    winner's score. Over any ``sum(weights)`` consecutive picks, backend i is chosen
    exactly ``weights[i]`` times, and never in one long run.

    Examples:
        >>> policy = SmoothWeightedRoundRobin([5, 1, 1])
        >>> "".join("abc"[policy.pick([0, 0, 0])] for _ in range(7))
        'aabacaa'
    """

    name = "weighted-round-robin"

    def __init__(self, weights: Sequence[int]) -> None:
        if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence) or not weights:
            raise ValueError(f"weights must be a non-empty list of ints >= 1, got {weights!r}")
        self.weights = tuple(checks.count(f"weights[{i}]", w) for i, w in enumerate(weights))
        self.backends = len(self.weights)
        self._total = sum(self.weights)
        self._current = [0] * self.backends

    def pick(self, in_flight: Sequence[int], key: str | None = None) -> int:
        """The backend with the highest running score (``in_flight`` is only checked)."""
        _check_in_flight(in_flight, self.backends)
        current = self._current
        for index, weight in enumerate(self.weights):
            current[index] += weight
        chosen = current.index(max(current))
        current[chosen] -= self._total
        return chosen


def smooth_weighted_sequence(weights: Sequence[int], count: int) -> NDArray[np.intp]:
    """The first ``count`` picks of smooth weighted round robin with these weights (lesson 05, section 3).

    The sequence repeats every ``sum(weights)`` picks, so one cycle is computed and tiled.

    Examples:
        >>> smooth_weighted_sequence([5, 1, 1], 9).tolist()
        [0, 0, 1, 0, 2, 0, 0, 0, 0]
        >>> np.bincount(smooth_weighted_sequence([3, 1], 400)).tolist()
        [300, 100]
    """
    policy = SmoothWeightedRoundRobin(weights)
    count = checks.count("count", count, minimum=0)
    idle = [0] * policy.backends
    cycle = np.array([policy.pick(idle) for _ in range(sum(policy.weights))], dtype=np.intp)
    return np.resize(cycle, count)


class RandomChoice:
    """A backend chosen uniformly at random, from a seeded generator (lesson 05, sections 5 and 6: one choice).

    Examples:
        >>> policy = RandomChoice(4, np.random.default_rng(1))
        >>> sorted({policy.pick([0, 0, 0, 0]) for _ in range(100)})
        [0, 1, 2, 3]
    """

    name = "random"

    def __init__(self, backends: int, rng: np.random.Generator) -> None:
        self.backends = checks.count("backends", backends)
        self._rng = rng

    def pick(self, in_flight: Sequence[int], key: str | None = None) -> int:
        """A uniformly random backend (``in_flight`` is only checked)."""
        _check_in_flight(in_flight, self.backends)
        return int(self._rng.integers(self.backends))


class LeastConnections:
    """The backend serving the fewest requests right now; ties are taken in turn (lesson 05, section 3).

    Examples:
        >>> policy = LeastConnections(3)
        >>> [policy.pick([0, 0, 0]) for _ in range(4)]
        [0, 1, 2, 0]
        >>> policy.pick([4, 1, 2])
        1
    """

    name = "least-connections"

    def __init__(self, backends: int) -> None:
        self.backends = checks.count("backends", backends)
        self._start = 0

    def pick(self, in_flight: Sequence[int], key: str | None = None) -> int:
        """The least busy backend, scanning from where the last tie left off."""
        _check_in_flight(in_flight, self.backends)
        order = [(self._start + step) % self.backends for step in range(self.backends)]
        chosen = min(order, key=lambda index: in_flight[index])
        self._start = (chosen + 1) % self.backends
        return chosen


class PowerOfTwoChoices:
    """Sample ``choices`` distinct backends at random and take the least busy of them (P2C; lesson 05, section 3).

    With ``choices=2`` this is the "power of two choices" of Mitzenmacher (2001) and
    Azar, Broder, Karlin and Upfal (1999); ties go to the first one sampled.

    Examples:
        >>> policy = PowerOfTwoChoices(4, np.random.default_rng(0))
        >>> 3 in {policy.pick([0, 0, 0, 9]) for _ in range(200)}
        False
    """

    name = "power-of-two"

    def __init__(self, backends: int, rng: np.random.Generator, choices: int = 2) -> None:
        self.backends = checks.count("backends", backends)
        self.choices = checks.count("choices", choices)
        self._rng = rng

    def pick(self, in_flight: Sequence[int], key: str | None = None) -> int:
        """The least busy of ``choices`` backends sampled without replacement."""
        _check_in_flight(in_flight, self.backends)
        sampled = self._rng.choice(self.backends, size=min(self.choices, self.backends), replace=False)
        return int(min(sampled.tolist(), key=lambda index: in_flight[index]))


class HashChoice:
    """The backend a client key hashes to (jump consistent hash): a sticky client (lesson 05, section 4).

    Stickiness keeps a client's session or cache on one backend; it balances only as well
    as the keys are spread, and ignores load.

    Examples:
        >>> policy = HashChoice(5)
        >>> policy.pick([0] * 5, key="alice") == policy.pick([9] * 5, key="alice")
        True
    """

    name = "hash"

    def __init__(self, backends: int) -> None:
        self.backends = checks.count("backends", backends)

    def pick(self, in_flight: Sequence[int], key: str | None = None) -> int:
        """The backend of ``key`` (the client's address or id); a key is required."""
        _check_in_flight(in_flight, self.backends)
        if not isinstance(key, str):
            raise ValueError(f"the hash policy needs a client key (a string), got {key!r}")
        return jump_hash(stable_hash(key), self.backends)


def make_policy(
    name: str, backends: int, rng: np.random.Generator | None = None, weights: Sequence[int] | None = None
) -> Policy:
    """A fresh policy by name, one of ``POLICY_NAMES`` (lesson 05, section 2).

    ``weights`` (weighted round robin only) default to 1 each; ``rng`` (random and power
    of two) defaults to a generator seeded with 0.

    Examples:
        >>> make_policy("least-connections", 3).pick([2, 0, 1])
        1
        >>> make_policy("weighted-round-robin", 2, weights=[2, 1]).weights
        (2, 1)
    """
    backends = checks.count("backends", backends)
    checks.choice("policy", name, POLICY_NAMES)
    generator = np.random.default_rng(0) if rng is None else rng
    if name == "round-robin":
        return RoundRobin(backends)
    if name == "weighted-round-robin":
        chosen = [1] * backends if weights is None else list(weights)
        if len(chosen) != backends:
            raise ValueError(f"weights must hold one weight per backend ({backends}), got {chosen!r}")
        return SmoothWeightedRoundRobin(chosen)
    if name == "random":
        return RandomChoice(backends, generator)
    if name == "least-connections":
        return LeastConnections(backends)
    if name == "power-of-two":
        return PowerOfTwoChoices(backends, generator)
    return HashChoice(backends)  # the last of POLICY_NAMES


# --- balls into bins ------------------------------------------------------------------------


def max_load(balls: int, bins: int, choices: int, rng: np.random.Generator) -> int:
    """Fullest bin once ``balls`` balls each go to the emptiest of ``choices`` random bins (lesson 05, section 5).

    With ``choices=1`` every ball goes to one random bin (vectorised); with more, balls go
    one at a time into the least full of their sampled bins (ties: the first sampled).

    Examples:
        >>> max_load(1000, 1000, 2, np.random.default_rng(0)) <= 4
        True
        >>> max_load(0, 5, 1, np.random.default_rng(0))
        0
    """
    balls = checks.count("balls", balls, minimum=0)
    bins = checks.count("bins", bins)
    choices = checks.count("choices", choices)
    if balls == 0:
        return 0
    if choices == 1:
        return int(np.bincount(rng.integers(bins, size=balls), minlength=bins).max())
    candidates = rng.integers(bins, size=(balls, choices)).tolist()
    loads = [0] * bins
    for sampled in candidates:
        best = min(sampled, key=loads.__getitem__)
        loads[best] += 1
    return max(loads)


def gonnet_max_load(bins: int) -> float:
    """Gonnet's fullest bin for n balls into n bins, one choice each: Γ⁻¹(n) - 3/2 (lesson 05, section 5).

    Γ⁻¹ is the inverse of the Gamma function, found by bisection on ln Γ.

    Examples:
        >>> round(gonnet_max_load(100_000), 2)
        7.92
    """
    bins = checks.count("bins", bins, minimum=3)
    target = math.log(bins)
    low, high = 2.0, 2.0
    while math.lgamma(high) < target:
        high *= 2
    for _ in range(100):
        middle = (low + high) / 2
        if math.lgamma(middle) < target:
            low = middle
        else:
            high = middle
    return (low + high) / 2 - 1.5


def abku_max_load(bins: int, choices: int) -> float:
    """Leading term of the fullest bin, n balls into n bins (Azar, Broder, Karlin, Upfal 1999; lesson 05, section 5).

    One choice: ln n / ln ln n; d >= 2 choices: ln ln n / ln d (each up to lower-order terms).

    Examples:
        >>> round(abku_max_load(100_000, 1), 2), round(abku_max_load(100_000, 2), 2)
        (4.72, 3.53)
    """
    bins = checks.count("bins", bins, minimum=3)
    choices = checks.count("choices", choices)
    if choices == 1:
        return math.log(bins) / math.log(math.log(bins))
    return math.log(math.log(bins)) / math.log(choices)


# --- the supermarket model ------------------------------------------------------------------


def _check_load(load: float) -> float:
    return checks.number("load", load, 0.0, 1.0, high_open=True)


def supermarket_tail(load: float, choices: int, jobs: int) -> float:
    """Share of queues with ``jobs`` jobs or more in the supermarket model: λ^((dⁱ - 1)/(d - 1)) (lesson 05, section 6).

    For d = 1 (random) this is λⁱ, as for an M/M/1 queue. Mitzenmacher (2001).

    Examples:
        >>> round(supermarket_tail(0.9, 1, 3), 3), round(supermarket_tail(0.9, 2, 3), 3)
        (0.729, 0.478)
    """
    lam = _check_load(load)
    d = checks.count("choices", choices)
    i = checks.count("jobs", jobs, minimum=0)
    exponent = i if d == 1 else (d**i - 1) / (d - 1)
    tail: float = lam**exponent
    return tail


def supermarket_time(load: float, choices: int) -> float:
    """Expected time in system T_d(λ) in the supermarket model (n → ∞ FIFO servers of rate 1; lesson 05, section 6).

    T_d(λ) = Σ_{i≥1} λ^((dⁱ - d)/(d - 1)), which is 1/(1 - λ) for d = 1 (Mitzenmacher 2001,
    via Little's law).

    Examples:
        >>> [round(supermarket_time(0.9, d), 2) for d in (1, 2, 3)]
        [10.0, 2.61, 2.03]
        >>> [round(supermarket_time(0.99, d), 2) for d in (1, 2, 3)]
        [100.0, 5.43, 3.86]
    """
    lam = _check_load(load)
    d = checks.count("choices", choices)
    if d == 1:
        return 1.0 / (1.0 - lam)
    total, i = 0.0, 1
    while True:
        exponent = (d**i - d) / (d - 1)
        term: float = lam**exponent
        total += term
        if term < 1e-15 or exponent > 1e6:
            return total
        i += 1


# --- the queueing simulation ----------------------------------------------------------------


def server_speeds(servers: int, spread: float) -> NDArray[np.float64]:
    """Speeds of ``servers`` servers, from slowest to fastest, geometric, with mean 1 (lesson 05, section 6).

    ``spread`` is the fastest speed over the slowest (1: all equal). The total capacity is
    always ``servers`` units of work per unit of time.

    Examples:
        >>> server_speeds(3, 1.0).tolist()
        [1.0, 1.0, 1.0]
        >>> speeds = server_speeds(2, 3.0)
        >>> round(float(speeds[1] / speeds[0]), 6), round(float(speeds.mean()), 6)
        (3.0, 1.0)
    """
    servers = checks.count("servers", servers)
    ratio = checks.number("spread", spread, 1.0, 100.0)
    speeds = np.geomspace(1.0, ratio, servers)
    normalised: NDArray[np.float64] = speeds / speeds.mean()
    return normalised


@dataclass(frozen=True)
class Trace:
    """A stream of jobs: when each arrives and how much work it brings, in units of mean work (lesson 05, section 6).

    Attributes:
        arrivals: arrival times, ascending.
        sizes: work of each job; a server of speed s takes size / s to serve it.
    """

    arrivals: NDArray[np.float64]
    sizes: NDArray[np.float64]


def make_trace(jobs: int, servers: int, load: float, rng: np.random.Generator) -> Trace:
    """Jobs of the supermarket model: Poisson arrivals at rate load * servers, work of mean 1 (lesson 05, section 6).

    Each job's work is exponential. With servers of mean speed 1 the total capacity is
    ``servers``, so each server is busy a share ``load`` of the time when the work is
    spread in proportion to speed.

    Examples:
        >>> trace = make_trace(100_000, 10, 0.5, np.random.default_rng(0))
        >>> round(float(trace.sizes.mean()), 1), round(len(trace.arrivals) / float(trace.arrivals[-1]), 1)
        (1.0, 5.0)
    """
    jobs = checks.count("jobs", jobs)
    servers = checks.count("servers", servers)
    lam = _check_load(load)
    if lam == 0.0:
        raise ValueError("load must be above 0 for a trace: with no arrivals there is nothing to simulate")
    gaps = rng.exponential(1.0 / (lam * servers), size=jobs)
    return Trace(np.cumsum(gaps), rng.exponential(1.0, size=jobs))


def _fifo_departures(
    arrivals: NDArray[np.float64], service: NDArray[np.float64], assignment: NDArray[np.intp], servers: int
) -> NDArray[np.float64]:
    # A FIFO server's departures obey d_k = max(a_k, d_{k-1}) + s_k. Unrolled, that is
    # d_k = C_k + max_{j<=k} (a_j - C_{j-1}) with C the running sum of service times:
    # one cumulative sum and one running maximum per server, no Python loop over jobs.
    departures = np.empty_like(arrivals)
    for server in range(servers):
        mine = np.flatnonzero(assignment == server)
        if mine.size == 0:
            continue
        work = np.cumsum(service[mine])
        departures[mine] = work + np.maximum.accumulate(arrivals[mine] - (work - service[mine]))
    return departures


def _stateful_assignment(
    trace: Trace,
    speeds: NDArray[np.float64],
    policy: str,
    rng: np.random.Generator,
    refresh_interval: float,
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    # Least connections and power of two read the number of jobs at each server, so the
    # dispatch is sequential. One tight loop: departures wait in a heap, random draws are
    # precomputed, and the balancer reads a "board" of counts refreshed every
    # refresh_interval (0: always fresh, the real counts themselves).
    n = len(speeds)
    jobs = len(trace.arrivals)
    arrivals, sizes, rates = trace.arrivals.tolist(), trace.sizes.tolist(), speeds.tolist()
    first = rng.integers(n, size=jobs)
    second = (first + 1 + rng.integers(max(n - 1, 1), size=jobs)) % n if n > 1 else first
    firsts, seconds = first.tolist(), second.tolist()
    counts = [0] * n
    free_at = [0.0] * n
    heap: list[tuple[float, int]] = []
    assignment = [0] * jobs
    departures = [0.0] * jobs
    stale = refresh_interval > 0.0
    board = list(counts) if stale else counts
    next_refresh = refresh_interval
    least = policy == "least-connections"
    pop, push = heapq.heappop, heapq.heappush
    start_at = 0
    for k in range(jobs):
        t = arrivals[k]
        if stale and t >= next_refresh:
            while t >= next_refresh:
                while heap and heap[0][0] <= next_refresh:
                    counts[pop(heap)[1]] -= 1
                next_refresh += refresh_interval
            board = list(counts)
        while heap and heap[0][0] <= t:
            counts[pop(heap)[1]] -= 1
        if least:
            # The least busy backend, taking ties in turn: the first minimum at or after
            # start_at, else the first one before it (two C-speed list scans).
            fewest = min(board)
            try:
                chosen = board.index(fewest, start_at)
            except ValueError:
                chosen = board.index(fewest)
            start_at = chosen + 1 if chosen + 1 < n else 0
        else:
            a, b = firsts[k], seconds[k]
            chosen = b if board[b] < board[a] else a
        begin = free_at[chosen]
        if begin < t:
            begin = t
        done = begin + sizes[k] / rates[chosen]
        free_at[chosen] = done
        counts[chosen] += 1
        push(heap, (done, chosen))
        assignment[k] = chosen
        departures[k] = done
    return np.asarray(assignment, dtype=np.intp), np.asarray(departures, dtype=np.float64)


def dispatch(
    trace: Trace,
    speeds: ArrayLike,
    policy: str,
    rng: np.random.Generator,
    refresh_interval: float = 0.0,
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Server and departure time of each job of ``trace``, sent to FIFO servers by ``policy`` (lesson 05, sections 6-7).

    ``policy`` is one of ``SIMULATED_POLICIES``. Weighted round robin uses weights
    proportional to the speeds (rounded to tenths of the mean speed). Least connections
    and power of two read the jobs at each server from a board refreshed every
    ``refresh_interval`` time units (0: always up to date).

    Examples:
        >>> trace = Trace(np.array([0.0, 0.1, 0.2]), np.array([1.0, 1.0, 1.0]))
        >>> servers, departures = dispatch(trace, [1.0, 1.0], "round-robin", np.random.default_rng(0))
        >>> servers.tolist(), departures.tolist()
        ([0, 1, 0], [1.0, 1.1, 2.0])
    """
    rates = np.asarray(speeds, dtype=np.float64)
    if rates.ndim != 1 or rates.size == 0 or not np.all(np.isfinite(rates)) or np.any(rates <= 0):
        raise ValueError(f"speeds must be a non-empty list of positive numbers, got {speeds!r}")
    checks.choice("policy", policy, SIMULATED_POLICIES)
    # Infinity is allowed: a board never refreshed after the start.
    refresh = checks.number("refresh_interval", refresh_interval, 0.0, finite=False)
    n, jobs = rates.size, trace.arrivals.size
    if policy in ("least-connections", "power-of-two"):
        return _stateful_assignment(trace, rates, policy, rng, refresh)
    if policy == "round-robin":
        assignment = np.arange(jobs, dtype=np.intp) % n
    elif policy == "random":
        assignment = rng.integers(n, size=jobs).astype(np.intp)
    else:
        weights = np.maximum(1, np.round(rates / rates.mean() * 10)).astype(int).tolist()
        assignment = smooth_weighted_sequence(weights, jobs)
    service = trace.sizes / rates[assignment]
    return assignment, _fifo_departures(trace.arrivals, service, assignment, n)


@dataclass(frozen=True)
class QueueResult:
    """What one policy did with one trace, after the warm-up jobs are dropped (lesson 05, section 6).

    Attributes:
        policy: the policy's name.
        load: the offered load λ (share of total capacity).
        speeds: each server's speed (mean 1).
        response_times: time in system of each measured job (waiting + service).
        servers: the server of each measured job.
        busy: share of the measured period each server spent working (1 or more: overloaded).
    """

    policy: str
    load: float
    speeds: NDArray[np.float64]
    response_times: NDArray[np.float64]
    servers: NDArray[np.intp]
    busy: NDArray[np.float64]

    def percentile(self, q: float) -> float:
        """The q-th percentile of response time (q from 0 to 100)."""
        return float(np.percentile(self.response_times, checks.number("q", q, 0.0, 100.0)))

    @property
    def mean(self) -> float:
        """Mean response time."""
        return float(self.response_times.mean())

    @property
    def job_shares(self) -> NDArray[np.float64]:
        """Share of the measured jobs each server got."""
        counts = np.bincount(self.servers, minlength=self.speeds.size)
        shares: NDArray[np.float64] = counts / max(1, self.servers.size)
        return shares


def simulate(
    policy: str,
    load: float,
    servers: int,
    spread: float,
    jobs: int,
    rng: np.random.Generator,
    refresh_interval: float = 0.0,
    warmup: float = 0.1,
    trace: Trace | None = None,
) -> QueueResult:
    """Response times and server loads when ``policy`` balances a seeded stream of jobs (lesson 05, section 6).

    ``servers`` FIFO servers with speeds ``server_speeds(servers, spread)`` receive
    ``jobs`` jobs (``make_trace``, unless a ``trace`` is given). The first ``warmup`` share
    of jobs only fills the queues and is not measured.

    Examples:
        >>> result = simulate("random", 0.5, 4, 1.0, 20_000, np.random.default_rng(0))
        >>> abs(result.mean - 2.0) < 0.2  # each server is an M/M/1 queue: 1 / (1 - 0.5) = 2
        True
    """
    speeds = server_speeds(servers, spread)
    lam = _check_load(load)
    skipped = checks.number("warmup", warmup, 0.0, 1.0, high_open=True)
    stream = make_trace(jobs, servers, lam, rng) if trace is None else trace
    assignment, departures = dispatch(stream, speeds, policy, rng, refresh_interval)
    skip = int(len(stream.arrivals) * skipped)
    measured = slice(skip, None)
    begin, end = float(stream.arrivals[skip]), float(stream.arrivals[-1])
    # Busy time of each server inside the measured period: each job's service, clipped
    # to [begin, end] (a job served entirely later counts only up to `end`).
    service = stream.sizes / speeds[assignment]
    start = departures - service
    overlap = np.clip(np.minimum(departures, end) - np.maximum(start, begin), 0.0, None)
    busy = np.bincount(assignment, weights=overlap, minlength=speeds.size) / max(end - begin, 1e-12)
    # A server that cannot keep up has work queued past `end`: report its offered load instead.
    offered = np.bincount(assignment[measured], weights=service[measured], minlength=speeds.size) / max(
        end - begin, 1e-12
    )
    busy = np.where(offered > 1.0, offered, busy)
    return QueueResult(
        policy, lam, speeds, (departures - stream.arrivals)[measured], assignment[measured], busy.astype(np.float64)
    )


def compare_policies(
    load: float,
    servers: int,
    spread: float,
    jobs: int,
    seed: int,
    refresh_interval: float = 0.0,
    policies: Sequence[str] = SIMULATED_POLICIES,
) -> Mapping[str, QueueResult]:
    """Each policy's result on the same seeded trace (common random numbers), by name (lesson 05, sections 6 and 7).

    Examples:
        >>> results = compare_policies(0.9, 10, 1.0, 20_000, seed=1)
        >>> results["power-of-two"].mean < results["round-robin"].mean < results["random"].mean
        True
    """
    unknown = [name for name in policies if name not in SIMULATED_POLICIES]
    if unknown or not policies:
        raise ValueError(f"policies must be among {list(SIMULATED_POLICIES)}, got {list(policies)!r}")
    trace = make_trace(jobs, servers, load, np.random.default_rng(seed))
    return {
        name: simulate(
            name, load, servers, spread, jobs, np.random.default_rng([seed, index]), refresh_interval, trace=trace
        )
        for index, name in enumerate(policies)
    }
