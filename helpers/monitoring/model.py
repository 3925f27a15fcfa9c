"""Monitoring: counters and their resets, histograms and quantiles, labels, trace context (lesson 10).

The PromQL functions here (``increase``, ``rate``, ``histogram_quantile``) follow the
semantics of **Prometheus 2.42** (Debian 12's ``prometheus``), where a range selector
``x[5m]`` evaluated at ``t`` holds the samples with ``t - 5m <= T <= t`` (both ends
closed; Prometheus 3.0 made the left end open). The course's tests check them against
``promtool test rules`` from that release.

Everything is pure: no clock, no sockets, no global state. Randomness is a seed passed in.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from helpers import checks

__all__ = [
    "BUCKET_LAYOUTS",
    "DEFAULT_BUCKETS",
    "QuantileComparison",
    "TraceParent",
    "bucket_bounds",
    "compare_quantiles",
    "cumulative_counts",
    "graphite_line",
    "histogram_quantile",
    "increase",
    "instance_latencies",
    "naive_increase",
    "parse_graphite_line",
    "rate",
    "series_count",
]

DEFAULT_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, math.inf,
)  # fmt: skip
"""``prometheus_client``'s default histogram buckets in seconds (0.26.0), ``+Inf`` last."""

BUCKET_LAYOUTS = ("client default", "linear", "log-spaced")
"""The bucket layouts :func:`bucket_bounds` builds (lesson 10, section 5)."""


# ---------------------------------------------------------------- counters (section 4)


def _series(times_s: Sequence[float], values: Sequence[float]) -> tuple[list[float], list[float]]:
    if len(times_s) != len(values):
        raise ValueError(f"times_s and values must have the same length, got {len(times_s)} and {len(values)}")
    times = [checks.number(f"times_s[{i}]", t) for i, t in enumerate(times_s)]
    vals = [checks.number(f"values[{i}]", v) for i, v in enumerate(values)]
    if any(b <= a for a, b in itertools.pairwise(times)):
        raise ValueError(f"times_s must be strictly increasing, got {list(times_s)!r}")
    return times, vals


def naive_increase(values: Sequence[float]) -> float:
    """Last value minus first: what graphing a raw counter suggests (lesson 10, section 4).

    Wrong across a restart, where the counter drops back to 0.

    Examples:
        >>> naive_increase([0, 100, 200, 300, 0, 100, 200])
        200.0
    """
    if len(values) < 2:
        raise ValueError(f"values must hold at least 2 samples, got {list(values)!r}")
    return float(checks.number("values[-1]", values[-1]) - checks.number("values[0]", values[0]))


def increase(times_s: Sequence[float], values: Sequence[float], t_eval_s: float, range_s: float) -> float | None:
    """PromQL ``increase(counter[range_s])`` evaluated at ``t_eval_s`` (lesson 10, section 4).

    Prometheus 2.42's ``extrapolatedRate``: take the samples in ``[t - range, t]``; add the
    value before every drop (a reset: the process restarted and counts from 0 again); then
    extrapolate from the first and last samples to the window's edges when they lie within
    1.1 average sample intervals of them (else by half an interval), never below the
    counter's zero. ``None`` when the window holds fewer than two samples (Prometheus
    returns no value).

    Args:
        times_s: scrape times in seconds, strictly increasing.
        values: the counter's value at each scrape.
        t_eval_s: the evaluation time.
        range_s: the range selector's length, > 0.

    Examples:
        >>> t = [0, 15, 30, 45, 60, 75, 90]
        >>> increase(t, [0, 100, 200, 300, 0, 100, 200], 90, 90)
        500.0
        >>> round(increase(t, [0, 100, 200, 300, 400, 500, 600], 90, 50), 2)
        333.33
        >>> increase(t, [0, 100, 200, 300, 400, 500, 600], 90, 10) is None
        True
    """
    return _extrapolated(times_s, values, t_eval_s, range_s, per_second=False)


def _extrapolated(
    times_s: Sequence[float], values: Sequence[float], t_eval_s: float, range_s: float, *, per_second: bool
) -> float | None:
    # Prometheus 2.42 promql/functions.go extrapolatedRate, operation for operation (promtool compares bits)
    times, vals = _series(times_s, values)
    t_end = checks.number("t_eval_s", t_eval_s)
    length = checks.positive("range_s", range_s)
    t_start = t_end - length
    window = [(t, v) for t, v in zip(times, vals, strict=True) if t_start <= t <= t_end]
    if len(window) < 2:
        return None
    first_t, first_v = window[0]
    last_t, last_v = window[-1]
    result = last_v - first_v
    previous = 0.0
    for _, v in window:
        if v < previous:
            result += previous
        previous = v
    to_start = first_t - t_start
    to_end = t_end - last_t
    sampled = last_t - first_t
    average = sampled / (len(window) - 1)
    if result > 0 and first_v >= 0:
        to_zero = sampled * (first_v / result)
        to_start = min(to_start, to_zero)
    threshold = average * 1.1
    interval = sampled
    interval += to_start if to_start < threshold else average / 2
    interval += to_end if to_end < threshold else average / 2
    factor = interval / sampled
    if per_second:
        factor /= length
    return result * factor


def rate(times_s: Sequence[float], values: Sequence[float], t_eval_s: float, range_s: float) -> float | None:
    """PromQL ``rate(counter[range_s])`` at ``t_eval_s``: :func:`increase` per second (lesson 10, section 4).

    Examples:
        >>> round(rate([0, 15, 30, 45, 60], [0, 100, 200, 300, 400], 60, 60), 3)
        6.667
    """
    return _extrapolated(times_s, values, t_eval_s, range_s, per_second=True)


# -------------------------------------------------------------- histograms (section 5)


def bucket_bounds(layout: str, *, low_s: float = 0.005, high_s: float = 10.0, buckets: int = 41) -> tuple[float, ...]:
    """Upper bounds of a histogram's buckets in seconds, ``+Inf`` last (lesson 10, section 5).

    ``"client default"`` is :data:`DEFAULT_BUCKETS`; ``"linear"`` spaces ``buckets`` bounds
    evenly from ``high_s / buckets`` to ``high_s``; ``"log-spaced"`` spaces them by a constant
    factor from ``low_s`` to ``high_s``.

    Examples:
        >>> bucket_bounds("linear", high_s=1.0, buckets=4)
        (0.25, 0.5, 0.75, 1.0, inf)
        >>> len(bucket_bounds("log-spaced"))
        42
    """
    checks.choice("layout", layout, BUCKET_LAYOUTS)
    low = checks.positive("low_s", low_s)
    high = checks.number("high_s", high_s, low, low_open=True)
    n = checks.count("buckets", buckets, minimum=2)
    if layout == "client default":
        return DEFAULT_BUCKETS
    if layout == "linear":
        finite = [high * (i + 1) / n for i in range(n)]
    else:
        finite = [float(x) for x in np.geomspace(low, high, n)]
    return (*finite, math.inf)


def cumulative_counts(samples: Sequence[float] | NDArray[np.floating], bounds: Sequence[float]) -> list[int]:
    """How many samples are ``<= le`` for each bucket bound ``le``: a histogram's ``_bucket`` series.

    Examples:
        >>> cumulative_counts([0.02, 0.3, 0.3, 4.0], (0.1, 0.5, math.inf))
        [1, 3, 4]
    """
    ordered = _bounds(bounds)
    data = np.sort(np.asarray(samples, dtype=float))
    return [int(x) for x in np.searchsorted(data, np.asarray(ordered), side="right")]


def _bounds(bounds: Sequence[float]) -> list[float]:
    values = [checks.number(f"bounds[{i}]", b, finite=False) for i, b in enumerate(bounds)]
    if not values or values[-1] != math.inf:
        raise ValueError(f"bounds must end with math.inf (the +Inf bucket), got {list(bounds)!r}")
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise ValueError(f"bounds must be strictly increasing, got {list(bounds)!r}")
    return values


def histogram_quantile(q: float, bounds: Sequence[float], counts: Sequence[float]) -> float:
    """PromQL ``histogram_quantile(q, ...)`` on one histogram (lesson 10, section 5).

    ``bounds`` are the buckets' upper bounds (``le``), ``+Inf`` last; ``counts`` the
    cumulative counts. Find the bucket where the rank ``q * total`` falls and interpolate
    linearly inside it (the first bucket starts at 0). A rank in the ``+Inf`` bucket gives
    the highest finite bound. NaN when there are no observations. Prometheus returns
    -Inf/+Inf for ``q`` outside [0, 1]; here that is a ValueError.

    To aggregate instances, add their counts bucket by bucket first.

    Examples:
        >>> histogram_quantile(0.99, (0.1, 0.5, math.inf), (90, 99, 100))
        0.5
        >>> histogram_quantile(0.5, (0.1, 0.5, math.inf), (40, 80, 100))
        0.2
        >>> histogram_quantile(0.995, (0.1, 0.5, math.inf), (90, 99, 100))
        0.5
    """
    quantile = checks.number("q", q, 0, 1)
    les = _bounds(bounds)
    if len(counts) != len(les):
        raise ValueError(f"counts must have one entry per bound ({len(les)}), got {len(counts)}")
    cum = [checks.number(f"counts[{i}]", c, 0) for i, c in enumerate(counts)]
    for i in range(1, len(cum)):  # Prometheus's ensureMonotonic
        cum[i] = max(cum[i], cum[i - 1])
    if len(les) < 2:
        return math.nan
    total = cum[-1]
    if total == 0:
        return math.nan
    rank = quantile * total
    b = next((i for i in range(len(cum) - 1) if cum[i] >= rank), len(cum) - 1)
    if b == len(les) - 1:
        return les[-2]
    if b == 0 and les[0] <= 0:
        return les[0]
    start, end, count = 0.0, les[b], cum[b]
    if b > 0:
        start = les[b - 1]
        count -= cum[b - 1]
        rank -= cum[b - 1]
    return start + (end - start) * (rank / count)


def instance_latencies(
    instances: int,
    *,
    skew: float = 1.0,
    slow_ms: float = 500.0,
    fast_ms: float = 50.0,
    requests: int = 20_000,
    seed: int = 10,
) -> list[NDArray[np.float64]]:
    """Seeded latencies in seconds of ``instances`` replicas behind one service (lesson 10, section 5).

    Traffic shares follow a Zipf law with exponent ``skew`` (0: equal shares); the last,
    quietest instance is the slow one, with median ``slow_ms``; the others have median
    ``fast_ms``. Latencies are log-normal (sigma 0.5), so each instance has a tail.

    Examples:
        >>> parts = instance_latencies(5, requests=1000, seed=1)
        >>> [len(p) for p in parts]
        [438, 219, 146, 109, 88]
    """
    n = checks.count("instances", instances)
    exponent = checks.number("skew", skew, 0, 4)
    slow = checks.positive("slow_ms", slow_ms)
    fast = checks.positive("fast_ms", fast_ms)
    total = checks.count("requests", requests, minimum=n)
    rng = np.random.default_rng(checks.integer("seed", seed, 0))
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    exact = total * weights / weights.sum()
    shares = np.floor(exact).astype(int)
    shares[np.argsort(shares - exact)[: total - int(shares.sum())]] += 1  # largest remainders: exactly `requests`
    shares = np.maximum(shares, 1)
    medians = [fast] * (n - 1) + [slow] if n > 1 else [slow]
    return [rng.lognormal(math.log(m / 1000), 0.5, size=int(k)) for m, k in zip(medians, shares, strict=True)]


@dataclass(frozen=True)
class QuantileComparison:
    """Three answers to "what is the service's q-quantile?" (lesson 10, section 5).

    Attributes:
        q: the quantile asked for.
        pooled: the true quantile of all requests together.
        mean_of_quantiles: the average of each instance's own quantile (the mistake).
        estimate: ``histogram_quantile`` on the buckets summed across instances.
        bucket: the (lower, upper) bounds of the bucket the estimate fell in.
    """

    q: float
    pooled: float
    mean_of_quantiles: float
    estimate: float
    bucket: tuple[float, float]


def compare_quantiles(
    latencies: Sequence[Sequence[float] | NDArray[np.floating]], q: float, bounds: Sequence[float]
) -> QuantileComparison:
    """Pooled quantile, mean of per-instance quantiles, and the merged-histogram estimate.

    The pooled quantile uses NumPy's default (linear) interpolation.

    Examples:
        >>> c = compare_quantiles([[0.01] * 99 + [0.02], [1.0] * 5], 0.99, (0.05, 2.0, math.inf))
        >>> round(c.pooled, 3), round(c.mean_of_quantiles, 3), c.bucket
        (1.0, 0.505, (0.05, 2.0))
    """
    quantile = checks.number("q", q, 0, 1)
    les = _bounds(bounds)
    parts = [np.asarray(p, dtype=float) for p in latencies]
    if not parts or any(p.size == 0 for p in parts):
        raise ValueError("latencies must hold at least one non-empty instance")
    pooled = float(np.quantile(np.concatenate(parts), quantile))
    mean = float(np.mean([np.quantile(p, quantile) for p in parts]))
    merged = np.sum([cumulative_counts(p, les) for p in parts], axis=0)
    estimate = histogram_quantile(quantile, les, [int(c) for c in merged])
    index = next((i for i, le in enumerate(les) if estimate <= le), len(les) - 1)
    low = les[index - 1] if index > 0 else 0.0
    return QuantileComparison(quantile, pooled, mean, estimate, (low, les[index]))


# ------------------------------------------------------------- labels (section 6)


def series_count(labels: Mapping[str, int | Sequence[str]]) -> int:
    """Time series one metric makes: the product of its labels' value counts (lesson 10, section 6).

    Each label maps to its number of distinct values, or to the values themselves.

    Examples:
        >>> series_count({"route": 5, "status": 3, "user": 1000})
        15000
        >>> series_count({})
        1
    """
    total = 1
    for name, values in labels.items():
        n = values if isinstance(values, int) else len(set(values))
        total *= checks.count(f"labels[{name!r}]", n)
    return total


# ------------------------------------------------------------- push: Graphite (section 2)

_GRAPHITE_PATH = re.compile(r"[A-Za-z0-9_.\-;=]+")


def graphite_line(path: str, value: float, timestamp_s: int) -> str:
    """One Graphite plaintext point, ``<path> <value> <timestamp>\\n`` (lesson 10, section 2).

    Examples:
        >>> graphite_line("shop.orders.requests", 42, 1700000000)
        'shop.orders.requests 42 1700000000\\n'
    """
    if not isinstance(path, str) or not _GRAPHITE_PATH.fullmatch(path):
        raise ValueError(f"path must be a dotted name without spaces, got {path!r}")
    x = checks.number("value", value)
    ts = checks.integer("timestamp_s", timestamp_s, 0)
    shown = str(int(x)) if x.is_integer() else repr(x)
    return f"{path} {shown} {ts}\n"


def parse_graphite_line(line: str) -> tuple[str, float, int]:
    """``(path, value, timestamp)`` from one plaintext line, as Carbon reads it.

    Examples:
        >>> parse_graphite_line("shop.orders.requests 42 1700000000\\n")
        ('shop.orders.requests', 42.0, 1700000000)
    """
    parts = line.strip().split(" ") if isinstance(line, str) else []
    if len(parts) != 3 or not _GRAPHITE_PATH.fullmatch(parts[0]):
        raise ValueError(f"line must be '<path> <value> <timestamp>', got {line!r}")
    try:
        return parts[0], float(parts[1]), int(parts[2])
    except ValueError:
        raise ValueError(f"line must be '<path> <value> <timestamp>', got {line!r}") from None


# ------------------------------------------------------------- trace context (section 7)

_HEX = re.compile(r"[0-9a-f]+")


def _hex_field(name: str, value: str, width: int, header: str) -> str:
    if len(value) != width or not _HEX.fullmatch(value):
        raise ValueError(f"traceparent {name} must be {width} lowercase hex digits, got {value!r} in {header!r}")
    return value


@dataclass(frozen=True)
class TraceParent:
    """A W3C Trace Context ``traceparent`` header (lesson 10, section 7).

    ``00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>``. Flag bit 0x01 is
    *sampled* (Level 1); bit 0x02 is *random trace-id* (Level 2, a Candidate Recommendation
    Draft), which OpenTelemetry Python 1.45 sets, so its headers end in ``-03``.

    Examples:
        >>> h = TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        >>> h.trace_id, h.parent_id, h.sampled
        ('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', True)
        >>> c = h.child(random.Random(1))
        >>> c.trace_id == h.trace_id, c.parent_id != h.parent_id, c.flags
        (True, True, '01')
    """

    trace_id: str
    parent_id: str
    flags: str = "01"
    version: str = "00"

    def __post_init__(self) -> None:
        header = f"{self.version}-{self.trace_id}-{self.parent_id}-{self.flags}"
        _hex_field("version", self.version, 2, header)
        if self.version == "ff":
            raise ValueError(f"traceparent version ff is invalid, got {header!r}")
        _hex_field("trace-id", self.trace_id, 32, header)
        _hex_field("parent-id", self.parent_id, 16, header)
        _hex_field("flags", self.flags, 2, header)
        if set(self.trace_id) == {"0"}:
            raise ValueError(f"traceparent trace-id must not be all zeros, got {header!r}")
        if set(self.parent_id) == {"0"}:
            raise ValueError(f"traceparent parent-id must not be all zeros, got {header!r}")

    @classmethod
    def parse(cls, header: str) -> TraceParent:
        """Parse a header; ValueError for anything W3C says to reject.

        A version other than 00 may carry more fields after the flags; they are ignored.
        """
        if not isinstance(header, str):
            raise ValueError(f"traceparent must be a str, got {header!r}")
        parts = header.strip().split("-")
        if len(parts) < 4 or (parts[0] == "00" and len(parts) != 4):
            raise ValueError(f"traceparent must be version-traceid-parentid-flags, got {header!r}")
        return cls(parts[1], parts[2], parts[3], parts[0])

    @property
    def sampled(self) -> bool:
        """Flag bit 0x01: the caller recorded this trace."""
        return bool(int(self.flags, 16) & 0x01)

    def child(self, rng: random.Random) -> TraceParent:
        """The header to send downstream: same trace id and flags, a new random parent id."""
        while True:
            span = f"{rng.getrandbits(64):016x}"
            if set(span) != {"0"} and span != self.parent_id:
                return TraceParent(self.trace_id, span, self.flags, "00")

    def __str__(self) -> str:
        return f"{self.version}-{self.trace_id}-{self.parent_id}-{self.flags}"
