"""Interprocess communication: availability and latency of a synchronous call chain versus events (lesson 01).

A request that calls services **synchronously** waits on every one of them: it succeeds
only if all are up, so its availability is the product of theirs, and it is as slow as
its slowest call, so a wide fan-out almost always meets a slow call. A request that
**publishes an event** to a broker waits only on the broker; the same work is still done,
later, by consumers that pick the event up when they can.

The simulation here is a model with stated assumptions (see ``simulate``), vectorised with
NumPy and driven by a random generator passed in, so a run is reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from helpers import checks

__all__ = [
    "CallGraph",
    "Simulation",
    "chain_availability",
    "fraction_within",
    "parallel_availability",
    "percentile_ms",
    "simulate",
    "tail_probability",
]

LATENCY_SIGMA = 0.3
"""Spread (sigma of the logarithm) of an ordinary call's latency around its mean."""


def _availabilities(availabilities: Iterable[float]) -> list[float]:
    if isinstance(availabilities, str):
        raise ValueError(f"availabilities must be a list of numbers from 0 to 1, got {availabilities!r}")
    values = [checks.fraction(f"availabilities[{i}]", a) for i, a in enumerate(availabilities)]
    if not values:
        raise ValueError("availabilities must hold at least one number, got an empty list")
    return values


def chain_availability(availabilities: Iterable[float]) -> float:
    """Availability of parts in series (a synchronous chain): the product of theirs (lesson 01, section 3).

    A synchronous request succeeds only if every service it waits on is up.

    Examples:
        >>> round(chain_availability([0.999, 0.999]), 6)
        0.998001
        >>> chain_availability([1.0, 0.5, 0.5])
        0.25
    """
    return math.prod(_availabilities(availabilities))


def parallel_availability(availabilities: Iterable[float]) -> float:
    """Availability of redundant parts in parallel: 1 minus the chance that all are down (lesson 01, section 3).

    Examples:
        >>> round(parallel_availability([0.999, 0.999]), 6)
        0.999999
        >>> parallel_availability([0.5, 0.5])
        0.75
    """
    return 1.0 - math.prod(1.0 - a for a in _availabilities(availabilities))


def tail_probability(slow_probability: float, calls: int) -> float:
    """Chance that a request waiting on ``calls`` independent calls meets at least one slow one (lesson 01, section 3).

    That is 1 - (1 - p)**N (Dean and Barroso, "The Tail at Scale", CACM 2013).

    Examples:
        >>> round(tail_probability(0.01, 100), 3)
        0.634
        >>> round(tail_probability(0.01, 1), 6)
        0.01
    """
    p = checks.fraction("slow_probability", slow_probability)
    n = checks.count("calls", calls)
    return 1.0 - (1.0 - p) ** n


@dataclass(frozen=True)
class CallGraph:
    """What one request needs: a chain of ``hops`` services, then ``fan_out`` backends (lesson 01, section 3).

    Every call (each hop and each backend) takes about ``hop_latency_ms``; with probability
    ``slow_probability`` it is slow and takes ``slow_factor`` times as long. Every service
    (and the broker) is up with probability ``availability``.

    Examples:
        >>> graph = CallGraph(hops=3, fan_out=10)
        >>> graph.calls, round(graph.sync_availability, 4)
        (13, 0.9871)
    """

    hops: int = 3
    hop_latency_ms: float = 10.0
    availability: float = 0.999
    fan_out: int = 10
    slow_probability: float = 0.01
    slow_factor: float = 10.0
    redelivery_ms: float = 1000.0

    def __post_init__(self) -> None:
        checks.count("hops", self.hops)
        checks.count("fan_out", self.fan_out, minimum=0)
        checks.positive("hop_latency_ms", self.hop_latency_ms)
        checks.fraction("availability", self.availability)
        checks.fraction("slow_probability", self.slow_probability)
        if checks.positive("slow_factor", self.slow_factor) < 1.0:
            raise ValueError(f"slow_factor must be >= 1 (a slow call is not faster), got {self.slow_factor!r}")
        checks.positive("redelivery_ms", self.redelivery_ms)

    @property
    def calls(self) -> int:
        """Calls a synchronous request waits on: the hops plus the backends."""
        return self.hops + self.fan_out

    @property
    def sync_availability(self) -> float:
        """Expected share of synchronous requests answered: availability ** calls."""
        return chain_availability([self.availability] * self.calls)

    @property
    def sync_slow_probability(self) -> float:
        """Expected share of synchronous requests that wait on at least one slow call."""
        return tail_probability(self.slow_probability, self.calls)


@dataclass(frozen=True, eq=False)
class Simulation:
    """Per request: how long each party waited, in ms (``inf`` = never), and what went wrong (lesson 01, section 6).

    Attributes:
        sync_ms: the caller's wait for the chain's answer; inf when a part was down.
        ack_ms: the caller's wait for the broker to accept the event; inf when the broker was down.
        done_ms: time until the last consumer finished the work; inf when the event was never accepted.
        slow: the request waited on at least one slow call (synchronously).
        down: at least one of the chain's services or backends was down.
    """

    sync_ms: NDArray[np.float64]
    ack_ms: NDArray[np.float64]
    done_ms: NDArray[np.float64]
    slow: NDArray[np.bool_]
    down: NDArray[np.bool_]

    @property
    def requests(self) -> int:
        """Number of simulated requests."""
        return int(self.sync_ms.shape[0])

    @property
    def sync_availability(self) -> float:
        """Share of synchronous requests answered."""
        return float(np.mean(np.isfinite(self.sync_ms)))

    @property
    def async_availability(self) -> float:
        """Share of events the broker accepted."""
        return float(np.mean(np.isfinite(self.ack_ms)))


def _call_latency_ms(
    rng: np.random.Generator, shape: tuple[int, int], graph: CallGraph
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Latency of each call (lognormal around the mean, some slow) and which calls were slow."""
    # float32 draws are about twice as fast; the explorer redraws up to 1.1 million of them.
    z = rng.standard_normal(shape, dtype=np.float32)
    latency = np.exp(z * np.float32(LATENCY_SIGMA) - np.float32(LATENCY_SIGMA**2 / 2))  # mean 1
    latency *= np.float32(graph.hop_latency_ms)
    slow = rng.random(shape, dtype=np.float32) < np.float32(graph.slow_probability)
    latency[slow] *= np.float32(graph.slow_factor)
    return latency.astype(np.float64), slow


def simulate(graph: CallGraph, rng: np.random.Generator, requests: int = 10_000) -> Simulation:
    """Simulated requests through ``graph``, made synchronously and as events (lesson 01, sections 3 and 6).

    The model:

    * **synchronous**: the caller waits for the hops one after the other, then for all
      backends at once: the sum of the hops' latencies plus the largest backend latency.
      If any service or backend is down the request fails (``inf``).
    * **asynchronous**: the caller waits only for the broker (one call); if the broker is
      down the event is rejected (``inf``). Consumers then do the same work as the chain;
      each part that was down when the event reached it delays the work by
      ``redelivery_ms`` (the broker keeps the event and redelivers it), so the work is
      always done, later.

    Parts are up independently with probability ``availability``; calls are slow
    independently with probability ``slow_probability``.

    Examples:
        >>> result = simulate(CallGraph(), np.random.default_rng(42), requests=1000)
        >>> result.requests, 0.95 < result.sync_availability <= 1.0
        (1000, True)
        >>> bool((result.ack_ms[np.isfinite(result.ack_ms)] < result.done_ms[np.isfinite(result.ack_ms)]).all())
        True
    """
    checks.count("requests", requests)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {rng!r}")
    latency, slow_calls = _call_latency_ms(rng, (requests, graph.calls + 1), graph)
    hops, backends, broker = latency[:, : graph.hops], latency[:, graph.hops : graph.calls], latency[:, -1]
    work = hops.sum(axis=1)
    if graph.fan_out:
        work += backends.max(axis=1)
    slow: NDArray[np.bool_] = np.asarray(slow_calls[:, : graph.calls].any(axis=1))

    down_parts = rng.binomial(graph.calls, 1.0 - graph.availability, size=requests)
    broker_down = rng.random(requests) >= graph.availability
    down = down_parts > 0
    sync_ms = np.where(down, np.inf, work)
    ack_ms = np.where(broker_down, np.inf, broker)
    done_ms = np.where(broker_down, np.inf, broker + work + down_parts * graph.redelivery_ms)
    return Simulation(sync_ms=sync_ms, ack_ms=ack_ms, done_ms=done_ms, slow=slow, down=down)


def percentile_ms(latencies_ms: NDArray[np.float64], percent: float) -> float:
    """The ``percent``-th percentile of latencies, counting failures (``inf``) as slowest (lesson 01, section 6).

    Returns ``inf`` when more than (100 - percent)% of requests never finished. Latencies
    already in ascending order are not sorted again.

    Examples:
        >>> percentile_ms(np.array([1.0, 2.0, 3.0, np.inf]), 50)
        2.5
        >>> percentile_ms(np.array([1.0, np.inf]), 99)
        inf
    """
    values = np.asarray(latencies_ms, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or np.isnan(values).any():
        raise ValueError(f"latencies_ms must be a non-empty 1-D array without NaN, got shape {values.shape}")
    share = checks.number("percent", percent, 0, 100) / 100.0
    ordered = values if bool((values[1:] >= values[:-1]).all()) else np.sort(values)
    position = share * (ordered.size - 1)
    below, above = math.floor(position), math.ceil(position)
    if math.isinf(ordered[above]):
        return math.inf
    return float(ordered[below] + (ordered[above] - ordered[below]) * (position - below))


def fraction_within(latencies_ms: NDArray[np.float64], limit_ms: float) -> float:
    """Share of requests that finished within ``limit_ms`` (failures never do) (lesson 01, section 6).

    Examples:
        >>> fraction_within(np.array([5.0, 20.0, np.inf, 8.0]), 10.0)
        0.5
    """
    values = np.asarray(latencies_ms, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"latencies_ms must be a non-empty 1-D array, got shape {values.shape}")
    return float(np.mean(values <= checks.positive("limit_ms", limit_ms)))
