"""API gateways' concepts: four rate limiters, replayed traces, the b + r·t bound, CIDR allowlists (lesson 07).

A **limiter** decides, request by request, whether a client may go on. The four classic
ones (Xu, *System Design Interview* vol. 1, 2020, ch. 4) are here as small classes with the
same two methods, so a gateway can use any of them:

- ``allow(now)`` admits the request at time ``now`` (seconds) or refuses it;
- ``retry_after(now)`` is how long a refused client should wait before its next request
  can be admitted, if nothing else arrives meanwhile (what a 429's ``Retry-After`` says).

Every limiter counts only the requests it admits. Times must not go backwards. The live
gateway that uses them (TLS, API keys, 429s) is in ``helpers.gateway.live``.

Sections:
    * limiters: ``TokenBucket``, ``FixedWindow``, ``SlidingWindowLog``, ``SlidingWindowCounter``,
      ``sliding_counter_estimate``, ``retry_after_header``
    * traces: ``bursty_trace``, ``boundary_burst_trace``, ``replay``, ``admit_fixed_window``,
      ``ALGORITHMS``, ``make_limiter``
    * guarantees: ``max_in_any_span``, ``token_bucket_bound``, ``disagreement``
    * allowlists: ``parse_allowlist``, ``is_allowed``
"""

from __future__ import annotations

import ipaddress
import math
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from helpers import checks

__all__ = [
    "ALGORITHMS",
    "FixedWindow",
    "Limiter",
    "Network",
    "SlidingWindowCounter",
    "SlidingWindowLog",
    "TokenBucket",
    "admit_fixed_window",
    "boundary_burst_trace",
    "bursty_trace",
    "disagreement",
    "is_allowed",
    "make_limiter",
    "max_in_any_span",
    "parse_allowlist",
    "replay",
    "retry_after_header",
    "sliding_counter_estimate",
    "token_bucket_bound",
]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
"""An IPv4 or IPv6 network of an allowlist (lesson 07, section 4)."""


class Limiter(Protocol):
    """What a gateway needs from a rate limiter (lesson 07, section 5)."""

    def allow(self, now: float) -> bool: ...
    def retry_after(self, now: float) -> float: ...


class _Clocked:
    """Refuses times that go backwards: a limiter fed out-of-order times gives nonsense."""

    _last = -math.inf

    def _tick(self, now: float) -> float:
        # is_number, not checks.number: this runs once per request a trace replays.
        if not checks.is_number(now) or math.isnan(now):
            raise ValueError(f"now must be a time in seconds, got {now!r}")
        if now < self._last:
            raise ValueError(f"now must not go backwards: got {now!r} after {self._last!r}")
        self._last = float(now)
        return float(now)


# --- limiters -------------------------------------------------------------------------------


class TokenBucket(_Clocked):
    """Token bucket: up to ``capacity`` tokens refilled at ``refill_per_s``; a request takes one (lesson 07, section 6).

    The bucket starts full. In any interval of length t it admits at most
    capacity + refill_per_s * t requests (Cruz 1991's (sigma, rho) curve): bursts of up to
    ``capacity`` pass at once, and the long-run rate is ``refill_per_s``.

    Examples:
        >>> bucket = TokenBucket(capacity=2, refill_per_s=1.0)
        >>> [bucket.allow(0.0) for _ in range(3)]
        [True, True, False]
        >>> bucket.retry_after(0.0), bucket.allow(1.0)
        (1.0, True)
    """

    def __init__(self, capacity: float, refill_per_s: float) -> None:
        self.capacity = checks.positive("capacity", capacity)
        if self.capacity < 1:
            raise ValueError(f"capacity must be >= 1 (a request takes one token), got {capacity!r}")
        self.refill_per_s = checks.positive("refill_per_s", refill_per_s)
        self.tokens = self.capacity
        self._updated: float | None = None

    def _refill(self, now: float) -> None:
        now = self._tick(now)
        if self._updated is not None:
            self.tokens = min(self.capacity, self.tokens + (now - self._updated) * self.refill_per_s)
        self._updated = now

    def allow(self, now: float) -> bool:
        """Whether a request at ``now`` is admitted (it takes a token if so)."""
        self._refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def retry_after(self, now: float) -> float:
        """Seconds until the bucket holds a whole token again (0 if it does now)."""
        self._refill(now)
        return max(0.0, (1.0 - self.tokens) / self.refill_per_s)


class FixedWindow(_Clocked):
    """Fixed window counter: at most ``limit`` requests per window [k·W, (k+1)·W) (lesson 07, section 6).

    Cheap (one counter), but up to 2·limit requests can pass in a span of length W that
    straddles a boundary: ``limit`` at the end of one window, ``limit`` at the start of the next.

    Examples:
        >>> window = FixedWindow(limit=2, window_s=60.0)
        >>> [window.allow(t) for t in (59.0, 59.5, 59.9, 60.0, 60.1)]
        [True, True, False, True, True]
        >>> round(window.retry_after(60.2), 1)
        59.8
    """

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = checks.count("limit", limit)
        self.window_s = checks.positive("window_s", window_s)
        self._window = -1
        self._count = 0

    def _roll(self, now: float) -> None:
        window = math.floor(self._tick(now) / self.window_s)
        if window != self._window:
            self._window, self._count = window, 0

    def allow(self, now: float) -> bool:
        """Whether a request at ``now`` is admitted (it is counted if so)."""
        self._roll(now)
        if self._count < self.limit:
            self._count += 1
            return True
        return False

    def retry_after(self, now: float) -> float:
        """Seconds until the next window starts (0 if a request would be admitted now)."""
        self._roll(now)
        if self._count < self.limit:
            return 0.0
        return (self._window + 1) * self.window_s - now


class SlidingWindowLog(_Clocked):
    """Sliding window log: keeps the time of every admitted request of the last ``window_s`` (lesson 07, section 6).

    Exact: in every window (t - W, t] at most ``limit`` requests are admitted. The price is
    memory: up to ``limit`` timestamps per client.

    Examples:
        >>> log = SlidingWindowLog(limit=2, window_s=60.0)
        >>> [log.allow(t) for t in (59.0, 59.5, 59.9, 60.0, 119.0)]
        [True, True, False, False, True]
        >>> log.retry_after(119.0)
        0.5
    """

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = checks.count("limit", limit)
        self.window_s = checks.positive("window_s", window_s)
        self.log: deque[float] = deque()

    def _expire(self, now: float) -> None:
        now = self._tick(now)
        while self.log and self.log[0] <= now - self.window_s:
            self.log.popleft()

    def allow(self, now: float) -> bool:
        """Whether a request at ``now`` is admitted (its time is logged if so)."""
        self._expire(now)
        if len(self.log) < self.limit:
            self.log.append(float(now))
            return True
        return False

    def retry_after(self, now: float) -> float:
        """Seconds until the oldest logged request leaves the window (0 if there is room now)."""
        self._expire(now)
        if len(self.log) < self.limit:
            return 0.0
        return self.log[len(self.log) - self.limit] + self.window_s - now


def sliding_counter_estimate(previous: float, current: float, elapsed_fraction: float) -> float:
    """Requests the sliding window counter believes the last window holds: previous·(1 - f) + current.

    Taught in lesson 07, section 7.

    It assumes the previous window's requests were spread evenly, so the share (1 - f) of
    them still lies inside the sliding window when a fraction f of the current one has passed.

    Examples:
        >>> sliding_counter_estimate(previous=5, current=3, elapsed_fraction=0.3)  # Xu's example
        6.5
    """
    elapsed_fraction = checks.fraction("elapsed_fraction", elapsed_fraction)
    previous = checks.positive("previous", previous, allow_zero=True)
    current = checks.positive("current", current, allow_zero=True)
    return previous * (1.0 - elapsed_fraction) + current


class SlidingWindowCounter(_Clocked):
    """Sliding window counter: two counters and a weighted estimate of the last window (lesson 07, section 7).

    Admits a request if ``sliding_counter_estimate(previous, current, f) + 1 <= limit``.
    Memory is two numbers per client, like the fixed window, and the boundary burst is
    mostly gone, but the estimate can be wrong when traffic is uneven within a window.

    Examples:
        >>> counter = SlidingWindowCounter(limit=2, window_s=60.0)
        >>> [counter.allow(t) for t in (59.0, 59.5, 59.9, 60.0, 90.0)]
        [True, True, False, False, True]
    """

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = checks.count("limit", limit)
        self.window_s = checks.positive("window_s", window_s)
        self._window = -1
        self.previous = 0
        self.current = 0

    def _roll(self, now: float) -> float:
        now = self._tick(now)
        window = math.floor(now / self.window_s)
        if window != self._window:
            self.previous = self.current if window == self._window + 1 else 0
            self.current, self._window = 0, window
        return now / self.window_s - window

    def estimate(self, now: float) -> float:
        """The estimated number of requests admitted in the window ending at ``now``."""
        fraction = self._roll(now)  # first: rolling into a new window changes both counters
        # sliding_counter_estimate's formula, without its checks: this runs once per request.
        return self.previous * (1.0 - fraction) + self.current

    def allow(self, now: float) -> bool:
        """Whether a request at ``now`` is admitted (it is counted if so)."""
        if self.estimate(now) + 1.0 <= self.limit:
            self.current += 1
            return True
        return False

    def retry_after(self, now: float) -> float:
        """Seconds until the estimate leaves room for one request, if nothing else is admitted."""
        fraction = self._roll(now)
        room = self.limit - 1.0
        if self.current <= room:
            if self.previous * (1.0 - fraction) + self.current <= room:
                return 0.0
            # previous·(1 - g) + current <= room, for g later in this window
            return (1.0 - (room - self.current) / self.previous - fraction) * self.window_s
        # Not in this window: in the next one, current becomes previous.
        return (1.0 - fraction + 1.0 - room / self.current) * self.window_s


def retry_after_header(seconds: float) -> str:
    """The ``Retry-After`` value for a wait: whole seconds, rounded up, at least 1 (lesson 07, section 5).

    RFC 9110 §10.2.3 allows only whole seconds (or a date).

    Examples:
        >>> retry_after_header(0.2), retry_after_header(3.0), retry_after_header(3.01)
        ('1', '3', '4')
    """
    seconds = checks.number("seconds", seconds)
    return str(max(1, math.ceil(seconds - 1e-9)))


# --- traces ---------------------------------------------------------------------------------

ALGORITHMS = ("token bucket", "fixed window", "sliding log", "sliding counter")
"""The four limiters, in the order lessons and plots show them (lesson 07, section 7)."""


def make_limiter(
    algorithm: str, capacity: float = 10, refill_per_s: float = 1.0, limit: int = 10, window_s: float = 10.0
) -> Limiter:
    """A fresh limiter by name (lesson 07, section 7).

    The token bucket uses ``capacity`` and ``refill_per_s``, the others ``limit`` and ``window_s``.

    Examples:
        >>> type(make_limiter("sliding log", limit=5, window_s=1.0)).__name__
        'SlidingWindowLog'
    """
    checks.choice("algorithm", algorithm, ALGORITHMS)
    if algorithm == "token bucket":
        return TokenBucket(capacity, refill_per_s)
    if algorithm == "fixed window":
        return FixedWindow(limit, window_s)
    if algorithm == "sliding log":
        return SlidingWindowLog(limit, window_s)
    return SlidingWindowCounter(limit, window_s)


def _times(times: ArrayLike) -> NDArray[np.float64]:
    array = np.asarray(times, dtype=np.float64)
    if array.ndim != 1 or np.isnan(array).any() or (array < 0).any():
        raise ValueError(f"times must be a 1-d array of arrival times >= 0 in seconds, got {times!r}")
    if array.size > 1 and (np.diff(array) < 0).any():
        raise ValueError("times must be sorted ascending (arrival order)")
    return array


def replay(times: ArrayLike, limiter: Limiter) -> NDArray[np.bool_]:
    """Which requests of a trace a limiter admits, in arrival order; the limiter's state changes (lesson 07, section 6).

    Each decision depends on the earlier ones, so this is a loop over plain floats: about a
    microsecond per request. ``admit_fixed_window`` is the vectorised shortcut for one limiter.

    Examples:
        >>> replay([0.0, 0.1, 0.2, 1.5], TokenBucket(2, 1.0)).tolist()
        [True, True, False, True]
    """
    arrivals = _times(times)
    allow = limiter.allow
    return np.fromiter((allow(t) for t in arrivals.tolist()), dtype=np.bool_, count=arrivals.size)


def admit_fixed_window(times: ArrayLike, limit: int, window_s: float) -> NDArray[np.bool_]:
    """Fixed-window decisions for a whole trace at once, without a Python loop (lesson 07, section 7).

    A request passes if fewer than ``limit`` requests came before it in its window: the
    same answers as ``replay(times, FixedWindow(limit, window_s))``, without a Python loop.

    Examples:
        >>> admit_fixed_window([0.0, 0.5, 0.9, 1.0, 1.1], limit=2, window_s=1.0).tolist()
        [True, True, False, True, True]
    """
    arrivals = _times(times)
    limit, window_s = checks.count("limit", limit), checks.positive("window_s", window_s)
    windows = np.floor(arrivals / window_s)
    first_of_window = np.searchsorted(windows, windows, side="left")
    rank = np.arange(arrivals.size) - first_of_window
    admitted: NDArray[np.bool_] = rank < limit
    return admitted


def bursty_trace(
    rng: np.random.Generator,
    duration_s: float = 60.0,
    base_rate_per_s: float = 1.0,
    bursts: int = 4,
    burst_size: int = 20,
    burst_spread_s: float = 0.5,
) -> NDArray[np.float64]:
    """Sorted arrival times: Poisson background and ``bursts`` bursts of ``burst_size`` requests (lesson 07, section 6).

    Each burst starts at a uniformly random time and spreads its requests uniformly over
    ``burst_spread_s`` seconds. Pass a seeded generator for a reproducible trace.

    Examples:
        >>> trace = bursty_trace(np.random.default_rng(0), duration_s=10, bursts=1, burst_size=5)
        >>> bool((np.diff(trace) >= 0).all()), bool(trace.max() < 10)
        (True, True)
    """
    duration_s = checks.positive("duration_s", duration_s)
    base_rate_per_s = checks.positive("base_rate_per_s", base_rate_per_s, allow_zero=True)
    bursts = checks.count("bursts", bursts, minimum=0)
    burst_size = checks.count("burst_size", burst_size)
    burst_spread_s = checks.positive("burst_spread_s", burst_spread_s)
    if burst_spread_s >= duration_s:
        raise ValueError(f"burst_spread_s must be shorter than duration_s ({duration_s}), got {burst_spread_s!r}")
    background = rng.uniform(0.0, duration_s, rng.poisson(base_rate_per_s * duration_s))
    starts = rng.uniform(0.0, duration_s - burst_spread_s, bursts)
    in_bursts = (starts[:, None] + rng.uniform(0.0, burst_spread_s, (bursts, burst_size))).ravel()
    return np.sort(np.concatenate([background, in_bursts]))


def boundary_burst_trace(limit: int, window_s: float, gap_s: float = 0.1) -> NDArray[np.float64]:
    """``limit`` requests at W - gap and ``limit`` at W: the worst case for a fixed window of W (lesson 07, section 7).

    Examples:
        >>> boundary_burst_trace(2, 60.0).tolist()
        [59.9, 59.9, 60.0, 60.0]
    """
    limit, window_s = checks.count("limit", limit), checks.positive("window_s", window_s)
    gap_s = checks.positive("gap_s", gap_s)
    if gap_s >= window_s:
        raise ValueError(f"gap_s must be shorter than window_s ({window_s}), got {gap_s!r}")
    return np.concatenate([np.full(limit, window_s - gap_s), np.full(limit, window_s)])


# --- guarantees -----------------------------------------------------------------------------


def max_in_any_span(times: ArrayLike, spans_s: ArrayLike) -> NDArray[np.int64]:
    """For each span t: the most events in any closed interval [s, s + t], vectorised (lesson 07, section 6).

    The busiest interval can always be slid right until it starts at an event, so it is
    enough to count from each event.

    Examples:
        >>> max_in_any_span([0.0, 0.5, 1.0, 5.0], [0.0, 1.0, 10.0]).tolist()
        [1, 3, 4]
    """
    arrivals = _times(times)
    spans = np.atleast_1d(np.asarray(spans_s, dtype=np.float64))
    if spans.ndim != 1 or np.isnan(spans).any() or (spans < 0).any():
        raise ValueError(f"spans_s must be spans >= 0 in seconds, got {spans_s!r}")
    if arrivals.size == 0:
        return np.zeros(spans.shape, dtype=np.int64)
    ends = np.searchsorted(arrivals, arrivals[None, :] + spans[:, None] + 1e-9, side="right")
    counts: NDArray[np.int64] = (ends - np.arange(arrivals.size)[None, :]).max(axis=1).astype(np.int64)
    return counts


def token_bucket_bound(capacity: float, refill_per_s: float, spans_s: ArrayLike) -> NDArray[np.float64]:
    """The most a token bucket can admit in a span of length t: b + r·t (lesson 07, section 6).

    Examples:
        >>> token_bucket_bound(20, 5.0, [0.0, 1.0, 10.0]).tolist()
        [20.0, 25.0, 70.0]
    """
    capacity, refill_per_s = checks.positive("capacity", capacity), checks.positive("refill_per_s", refill_per_s)
    spans = np.asarray(spans_s, dtype=np.float64)
    if np.isnan(spans).any() or (spans < 0).any():
        raise ValueError(f"spans_s must be spans >= 0 in seconds, got {spans_s!r}")
    bound: NDArray[np.float64] = capacity + refill_per_s * spans
    return bound


def disagreement(decisions: ArrayLike, reference: ArrayLike) -> float:
    """Share of requests two limiters decided differently: one admitted, the other refused (lesson 07, section 7).

    Examples:
        >>> disagreement([True, True, False, False], [True, False, False, False])
        0.25
    """
    ours, theirs = np.asarray(decisions, dtype=np.bool_), np.asarray(reference, dtype=np.bool_)
    if ours.shape != theirs.shape or ours.ndim != 1:
        raise ValueError(f"decisions must be two 1-d arrays of one length, got {ours.shape} and {theirs.shape}")
    if ours.size == 0:
        return 0.0
    return float((ours != theirs).mean())


# --- allowlists -----------------------------------------------------------------------------


def parse_allowlist(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """The networks of an allowlist in CIDR notation, such as "10.0.0.0/8" or "2001:db8::/32" (lesson 07, section 4).

    An entry with host bits set ("10.0.0.1/8") is refused: it usually hides a typo.

    Examples:
        >>> [str(net) for net in parse_allowlist(["127.0.0.0/30", "::1/128"])]
        ['127.0.0.0/30', '::1/128']
        >>> parse_allowlist(["127.0.0.0/30"])[0].num_addresses
        4
    """
    if isinstance(cidrs, str):
        raise ValueError(f"cidrs must be a list of CIDR strings, not one string: got {cidrs!r}")
    networks: list[Network] = []
    for entry in cidrs:
        try:
            networks.append(ipaddress.ip_network(entry, strict=True))
        except (ValueError, TypeError) as error:
            raise ValueError(f"allowlist entry {entry!r} is not a network in CIDR notation: {error}") from None
    return tuple(networks)


def is_allowed(address: str, allowlist: Sequence[Network]) -> bool:
    """Whether an IP address lies in any network of the allowlist; an empty list allows nobody (lesson 07, section 4).

    Examples:
        >>> nets = parse_allowlist(["127.0.0.0/30"])
        >>> is_allowed("127.0.0.3", nets), is_allowed("127.0.0.4", nets)
        (True, False)
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"address must be an IPv4 or IPv6 address, got {address!r}") from None
    return any(ip in network for network in allowlist)
