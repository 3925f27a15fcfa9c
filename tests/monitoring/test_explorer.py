"""The percentile explorer of lesson 10: its numbers are the model's, its status says them."""

from __future__ import annotations

import pytest

from helpers.monitoring.explorer import REQUESTS, PercentileExplorer, explore_percentiles
from helpers.monitoring.model import bucket_bounds, compare_quantiles, instance_latencies


def _status_for(**settings: object) -> str:
    return str(PercentileExplorer(**settings).status.value)


def test_status_gives_the_models_numbers() -> None:
    explorer = explore_percentiles(instances=4, skew=0.0, slow_ms=1000, q=0.9, layout="linear")
    parts = instance_latencies(4, skew=0.0, slow_ms=1000, requests=REQUESTS, seed=10)
    c = compare_quantiles(parts, 0.9, bucket_bounds("linear"))
    status = explorer.status.value
    assert f"True p90 <b>{c.pooled * 1000:,.0f} ms</b>" in status
    assert f"mean of p90s {c.mean_of_quantiles * 1000:,.0f} ms" in status
    assert f"histogram_quantile {c.estimate * 1000:,.0f} ms" in status
    assert ", ".join(str(len(p)) for p in parts) in status


def test_a_quiet_slow_instance_makes_the_mean_too_high_and_equal_traffic_too_low() -> None:
    assert "(too high)" in _status_for(skew=3.0)
    assert "(too low)" in _status_for(skew=0.0)


def test_finer_buckets_bring_the_estimate_closer() -> None:
    parts = instance_latencies(5, skew=0.0, slow_ms=500, requests=REQUESTS, seed=10)
    errors = {
        layout: abs(compare_quantiles(parts, 0.99, bucket_bounds(layout)).estimate - compare_quantiles(
            parts, 0.99, bucket_bounds(layout)).pooled)
        for layout in ("client default", "log-spaced")
    }  # fmt: skip
    assert errors["log-spaced"] < errors["client default"]


def test_settings_outside_the_controls_are_refused() -> None:
    with pytest.raises(ValueError, match="instances"):
        PercentileExplorer(instances=11)
    with pytest.raises(ValueError, match="layout"):
        PercentileExplorer(layout="quadratic")
