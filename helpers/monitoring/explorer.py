"""The percentile explorer of lesson 10: one service's quantile, from several instances, three ways."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import NDArray

from helpers.explorer import Control, Explorer
from helpers.monitoring.model import BUCKET_LAYOUTS, QuantileComparison, bucket_bounds, compare_quantiles
from helpers.monitoring.model import instance_latencies as _instance_latencies
from helpers.monitoring.plots import draw_errors, draw_latencies, frame_errors, frame_latencies, latency_counts
from helpers.panels import Panel

__all__ = ["PercentileExplorer", "explore_percentiles"]

REQUESTS = 10_000
"""Requests simulated across all instances for every setting."""

ERROR_LABELS = ("mean of\ninstances'", "histogram_\nquantile", "bucket\nwidth")


@lru_cache(maxsize=64)
def _latencies(instances: int, skew: float, slow_ms: int) -> tuple[NDArray[np.float64], ...]:
    parts = _instance_latencies(instances, skew=skew, slow_ms=slow_ms, requests=REQUESTS, seed=10)
    for part in parts:
        part.flags.writeable = False  # cached and shared
    return tuple(parts)


@lru_cache(maxsize=64)
def _counts(instances: int, skew: float, slow_ms: int) -> NDArray[np.float64]:
    counts = latency_counts(_latencies(instances, skew, slow_ms))
    counts.flags.writeable = False
    return counts


@lru_cache(maxsize=256)
def _per_instance(instances: int, skew: float, slow_ms: int, q: float) -> tuple[float, ...]:
    return tuple(float(np.quantile(part, q)) for part in _latencies(instances, skew, slow_ms))


@lru_cache(maxsize=256)
def _comparison(instances: int, skew: float, slow_ms: int, q: float, layout: str) -> QuantileComparison:
    return compare_quantiles(_latencies(instances, skew, slow_ms), q, bucket_bounds(layout))


class PercentileExplorer(Explorer):
    """Explorer for lesson 10, section 5: why the mean of per-instance quantiles is wrong.

    Sliders: instances, traffic skew (the Zipf exponent of per-instance traffic; the last,
    slowest instance is the quietest), the slow instance's median latency, the quantile;
    toggles: the histogram's bucket layout. Left: the pooled latencies stacked by instance,
    each instance's quantile (ticks), the true pooled quantile, the mean of the instances'
    quantiles and ``histogram_quantile`` of the merged buckets, its bucket shaded. Right:
    the two estimates' errors and the bucket width that bounds the histogram's.

    Examples:
        >>> explorer = PercentileExplorer()
        >>> explorer.controls["skew"].value = 0.0
        >>> "mean of p99s" in explorer.status.value
        True
    """

    CONTROLS = (
        Control("instances", "instances", tuple(range(1, 11)), 5),
        Control("skew", "traffic skew", (0.0, 0.5, 1.0, 1.5, 2.0, 3.0), 3.0),
        Control("slow_ms", "slow instance median (ms)", (50, 100, 200, 500, 1000, 2000), 500),
        Control("q", "quantile", (0.5, 0.9, 0.95, 0.99, 0.999), 0.99),
        Control("layout", "buckets", BUCKET_LAYOUTS, "client default", kind="toggle"),
    )
    ROWS = (("instances", "skew", "slow_ms"), ("q", "layout"))
    FIGSIZE = (11.0, 4.0)
    PANELS = (Panel((0.02, 0.12, 0.66, 0.80)), Panel((0.74, 0.22, 0.25, 0.70)))
    CAPTION = (
        "<b>Left:</b> every request's latency (log scale), stacked by instance; ticks at the top: each instance's "
        "own quantile. Black: the true quantile of all requests; red dashed: the mean of the instances' quantiles; "
        "blue: <code>histogram_quantile</code> of the buckets summed across instances, its bucket shaded. "
        "<b>Right:</b> how far each answer is from the truth, and the width of the bucket the estimate fell in."
    )

    def frame(self, latency_ax: Axes, error_ax: Axes) -> None:
        frame_latencies(latency_ax)
        latency_ax.set_title("Latency of all requests, by instance", fontsize="medium")
        frame_errors(error_ax, ERROR_LABELS)
        error_ax.set_title("Error against the truth", fontsize="medium")

    def draw(self, latency_ax: Axes, error_ax: Axes, **settings: Any) -> str:
        instances, skew, slow_ms = settings["instances"], settings["skew"], settings["slow_ms"]
        q, layout = settings["q"], settings["layout"]
        parts = _latencies(instances, skew, slow_ms)
        c = _comparison(instances, skew, slow_ms, q, layout)
        key = (instances, skew, slow_ms)
        draw_latencies(parts, c, latency_ax, counts=_counts(*key), per_instance=_per_instance(*key, q))
        width = min(c.bucket[1], 20.0) - c.bucket[0]
        errors = [abs(c.mean_of_quantiles - c.pooled) * 1000, abs(c.estimate - c.pooled) * 1000, width * 1000]
        draw_errors(errors, error_ax)
        name = f"p{q * 100:g}"
        shares = ", ".join(str(len(p)) for p in parts)
        return (
            f"Requests per instance: {shares}. True {name} <b>{c.pooled * 1000:,.0f} ms</b>; "
            f"mean of {name}s {c.mean_of_quantiles * 1000:,.0f} ms "
            f"({'too high' if c.mean_of_quantiles > c.pooled else 'too low'}); "
            f"histogram_quantile {c.estimate * 1000:,.0f} ms, in the bucket "
            f"{c.bucket[0] * 1000:,.0f}-{c.bucket[1] * 1000:,.0f} ms."
        )


def explore_percentiles(**settings: Any) -> PercentileExplorer:
    """Percentile explorer for lesson 10 ("Explore"): a notebook cell's one line.

    Examples:
        >>> explore_percentiles().controls["instances"].value
        5
    """
    return PercentileExplorer(**settings)
