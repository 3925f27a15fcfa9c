"""Tests for helpers.monitoring.model: PromQL increase/rate and histogram_quantile (checked against
promtool 2.42), quantile aggregation, label cardinality, Graphite lines and W3C traceparent.

promtool trap (2.42): its unit-test loader only loads samples up to the last tick of
``evaluation_interval`` (default 1m) at or before the eval time, so ``c`` at 90 s read the
sample of 60 s. Every fixture here sets ``evaluation_interval: 1s``.
"""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from helpers.monitoring.model import (
    DEFAULT_BUCKETS,
    TraceParent,
    bucket_bounds,
    compare_quantiles,
    cumulative_counts,
    graphite_line,
    histogram_quantile,
    increase,
    instance_latencies,
    naive_increase,
    parse_graphite_line,
    rate,
    series_count,
)

from real_clients import run

STEP = [0, 15, 30, 45, 60, 75, 90]
RESET = [0, 100, 200, 300, 0, 100, 200]


# ------------------------------------------------------------------ increase / rate


def test_a_reset_is_added_back_where_last_minus_first_is_not() -> None:
    assert naive_increase(RESET) == 200
    assert increase(STEP, RESET, 90, 90) == 500


def test_a_window_covering_every_sample_is_not_extrapolated() -> None:
    assert increase(STEP, [0, 10, 20, 30, 40, 50, 60], 90, 90) == 60


def test_extrapolation_to_the_window_edges() -> None:
    # samples 45..90 in [40, 90]: 300 over 45 s, extended by 5 s to the start
    assert increase(STEP, [0, 100, 200, 300, 400, 500, 600], 90, 50) == pytest.approx(300 * 50 / 45)


def test_extrapolation_stops_at_the_counters_zero() -> None:
    # first sample 10 at t=30, slope 10 per 15 s: zero is 15 s earlier, the window starts 30 s earlier
    assert increase([30, 45, 60], [10, 20, 30], 60, 60) == pytest.approx(30)


def test_far_edges_extend_by_half_an_interval() -> None:
    # window [0, 100], samples at 30..60: 30 s to the start and 40 s to the end exceed 1.1 x 15 s
    assert increase([30, 45, 60], [100, 110, 120], 100, 100) == pytest.approx(20 * 45 / 30)


def test_fewer_than_two_samples_give_no_value() -> None:
    assert increase(STEP, RESET, 90, 10) is None
    assert rate(STEP, RESET, 200, 60) is None


def test_rate_is_increase_per_second_of_range() -> None:
    assert rate(STEP, RESET, 90, 90) == pytest.approx(500 / 90)


@pytest.mark.parametrize(
    ("times", "values", "t", "r", "words"),
    [
        ([0, 15], [0], 15, 30, "same length"),
        ([0, 0], [0, 1], 15, 30, "strictly increasing"),
        ([0, 15], [0, 1], 15, 0, "range_s"),
        ([0, 15], [0, float("nan")], 15, 30, "values[1]"),
    ],
)
def test_bad_series_raise_naming_the_value(
    times: list[float], values: list[float], t: float, r: float, words: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        increase(times, values, t, r)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=2, max_size=20))
def test_without_resets_and_a_full_window_increase_is_last_minus_first(steps: list[int]) -> None:
    values = list(np.cumsum(steps).astype(float))
    times = [15.0 * i for i in range(len(values))]
    assert increase(times, values, times[-1], times[-1]) == pytest.approx(values[-1] - values[0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=2, max_size=20), st.integers(1, 19))
def test_a_visible_restart_loses_nothing(steps: list[int], cut: int) -> None:
    values = list(np.cumsum(steps).astype(float))
    times = [15.0 * i for i in range(len(values))]
    cut = min(cut, len(values) - 1)
    restarted = values[:cut] + [v - values[cut - 1] for v in values[cut:]]  # counts from 0 after sample cut-1
    assume(restarted[cut] < restarted[cut - 1])  # a restart that shows as a drop (a small one hides)
    before = increase(times, values, times[-1], times[-1])
    assert increase(times, restarted, times[-1], times[-1]) == pytest.approx(before)


# ------------------------------------------------------------------ histogram_quantile


def test_the_90_99_100_example_gives_half_a_second() -> None:
    assert histogram_quantile(0.99, (0.1, 0.5, math.inf), (90, 99, 100)) == 0.5


def test_interpolation_inside_a_bucket() -> None:
    assert histogram_quantile(0.5, (0.1, 0.5, math.inf), (40, 80, 100)) == pytest.approx(0.2)
    assert histogram_quantile(0.2, (0.1, 0.5, math.inf), (40, 80, 100)) == pytest.approx(0.05)


def test_a_rank_in_the_inf_bucket_gives_the_highest_finite_bound() -> None:
    assert histogram_quantile(0.999, (0.1, 0.5, math.inf), (90, 99, 100)) == 0.5


def test_no_observations_give_nan() -> None:
    assert math.isnan(histogram_quantile(0.5, (0.1, math.inf), (0, 0)))


@pytest.mark.parametrize(
    ("q", "bounds", "counts", "words"),
    [
        (1.5, (0.1, math.inf), (1, 2), "q must be"),
        (-0.1, (0.1, math.inf), (1, 2), "q must be"),
        (0.5, (0.5, 0.1, math.inf), (1, 2, 3), "strictly increasing"),
        (0.5, (0.1, 0.5), (1, 2), "math.inf"),
        (0.5, (0.1, math.inf), (1, 2, 3), "one entry per bound"),
    ],
)
def test_bad_histograms_raise(q: float, bounds: tuple[float, ...], counts: tuple[int, ...], words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        histogram_quantile(q, bounds, counts)


def test_cumulative_counts_are_less_or_equal_counts() -> None:
    assert cumulative_counts([0.1, 0.1, 0.2, 7.0], (0.1, 0.5, math.inf)) == [2, 3, 4]


def test_bucket_layouts() -> None:
    assert bucket_bounds("client default") == DEFAULT_BUCKETS
    linear = bucket_bounds("linear", high_s=2.0, buckets=4)
    assert linear == (0.5, 1.0, 1.5, 2.0, math.inf)
    log = bucket_bounds("log-spaced")
    assert len(log) == 42
    assert log[0] == pytest.approx(0.005)
    assert log[-2] == pytest.approx(10.0)
    ratios = np.diff(np.log(log[:-1]))
    assert np.allclose(ratios, ratios[0])
    with pytest.raises(ValueError, match="layout"):
        bucket_bounds("quadratic")


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31), st.floats(0.01, 0.999))
def test_the_merged_estimate_lies_in_the_bucket_of_the_pooled_rank(seed: int, q: float) -> None:
    parts = instance_latencies(4, requests=2000, seed=seed)
    bounds = bucket_bounds("log-spaced")
    c = compare_quantiles(parts, q, bounds)
    low, high = c.bucket
    assert low <= c.estimate <= high
    pooled = np.sort(np.concatenate(parts))
    rank_value = pooled[math.ceil(q * pooled.size) - 1]  # the observation of rank q*n
    assert low <= rank_value <= high or c.estimate == bounds[-2]


def test_the_mean_of_p99s_errs_in_both_directions() -> None:
    bounds = DEFAULT_BUCKETS
    quiet_slow = compare_quantiles(instance_latencies(5, skew=3.0, slow_ms=500, seed=10), 0.99, bounds)
    assert quiet_slow.mean_of_quantiles > 2 * quiet_slow.pooled  # the quiet slow instance drags the mean up
    even = compare_quantiles(instance_latencies(5, skew=0.0, slow_ms=500, seed=10), 0.99, bounds)
    assert even.mean_of_quantiles < 0.5 * even.pooled  # four fast p99s drag it down
    for c in (quiet_slow, even):
        assert c.bucket[0] <= c.estimate <= c.bucket[1]
        assert c.bucket[0] <= c.pooled <= c.bucket[1] or abs(c.estimate - c.pooled) <= c.bucket[1] - c.bucket[0]


def test_instance_latencies_are_seeded_and_skewed() -> None:
    a = instance_latencies(3, seed=4)
    b = instance_latencies(3, seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert [len(x) for x in instance_latencies(3, skew=0.0, requests=300)] == [100, 100, 100]
    sizes = [len(x) for x in a]
    assert sizes == sorted(sizes, reverse=True)
    assert np.median(a[-1]) > 5 * np.median(a[0])
    with pytest.raises(ValueError, match="instances"):
        instance_latencies(0)


# ------------------------------------------------------------------ promtool, the oracle


def _promtool(tmp_path: Path, body: str) -> str:
    path = tmp_path / "t.yml"
    path.write_text("evaluation_interval: 1s\ntests:\n" + body)
    done = run("promtool", ["test", "rules", str(path)])
    return done.stdout + done.stderr


def _fixture_series(rng: random.Random) -> tuple[list[float], list[float]]:
    values, value = [], 0.0
    for _ in range(12):
        value = 0.0 if rng.random() < 0.15 else value + rng.randint(0, 40)
        values.append(value)
    return [15.0 * i for i in range(12)], values


def test_increase_and_rate_agree_with_promtool(tmp_path: Path) -> None:
    rng = random.Random(10)
    cases, body = [], ""
    for k in range(8):
        times, values = _fixture_series(rng)
        t_eval = rng.choice([90, 100, 113, 165])
        window = rng.choice([30, 50, 60, 90, 100])
        expected = increase(times, values, t_eval, window)
        if expected is None:
            continue
        cases.append((k, expected))
        body += (
            "  - interval: 15s\n    input_series:\n"
            f"      - series: 'c{{k=\"{k}\"}}'\n        values: '{' '.join(str(int(v)) for v in values)}'\n"
            "    promql_expr_test:\n"
            f"      - expr: increase(c[{window}s])\n        eval_time: {t_eval}s\n"
            f"        exp_samples: [{{labels: '{{k=\"{k}\"}}', value: {expected!r}}}]\n"
            f"      - expr: rate(c[{window}s])\n        eval_time: {t_eval}s\n"
            f"        exp_samples: [{{labels: '{{k=\"{k}\"}}', value: {rate(times, values, t_eval, window)!r}}}]\n"
        )
    assert len(cases) >= 5
    out = _promtool(tmp_path, body)
    assert "SUCCESS" in out, out
    assert "FAILED" not in out, out


def test_histogram_quantile_agrees_with_promtool(tmp_path: Path) -> None:
    bounds = (0.1, 0.25, 0.5, 1.0, math.inf)
    body = ""
    for k, counts in enumerate([(90, 99, 99, 99, 100), (40, 80, 90, 95, 100), (0, 0, 5, 5, 10), (3, 3, 3, 3, 30)]):
        series = "".join(
            f'      - series: \'b_bucket{{k="{k}",le="{"+Inf" if le == math.inf else le}"}}\'\n'
            f"        values: '{c}'\n"
            for le, c in zip(bounds, counts, strict=True)
        )
        tests = "".join(
            f'      - expr: histogram_quantile({q}, b_bucket{{k="{k}"}})\n        eval_time: 0s\n'
            f"        exp_samples: [{{labels: '{{k=\"{k}\"}}', value: {histogram_quantile(q, bounds, counts)!r}}}]\n"
            for q in (0.1, 0.5, 0.9, 0.99)
        )
        body += f"  - interval: 15s\n    input_series:\n{series}    promql_expr_test:\n{tests}"
    out = _promtool(tmp_path, body)
    assert "SUCCESS" in out, out
    assert "FAILED" not in out, out


# ------------------------------------------------------------------ labels, Graphite


def test_series_are_the_product_of_label_values() -> None:
    assert series_count({"route": 5, "status": 3, "user": 1000}) == 15_000
    assert series_count({"route": ["/a", "/b", "/a"], "status": 3}) == 6
    with pytest.raises(ValueError, match="user"):
        series_count({"user": 0})


def test_graphite_lines_round_trip() -> None:
    line = graphite_line("shop.orders.latency_ms.p99;region=eu", 12.5, 1_700_000_000)
    assert line == "shop.orders.latency_ms.p99;region=eu 12.5 1700000000\n"
    assert parse_graphite_line(line) == ("shop.orders.latency_ms.p99;region=eu", 12.5, 1_700_000_000)
    for bad in ("shop orders 1 2", "shop.orders 1", "shop.orders x 2"):
        with pytest.raises(ValueError, match="line must be"):
            parse_graphite_line(bad)
    with pytest.raises(ValueError, match="path"):
        graphite_line("has space", 1, 1)


# ------------------------------------------------------------------ traceparent

VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_a_valid_header_round_trips() -> None:
    assert str(TraceParent.parse(VALID)) == VALID
    assert TraceParent.parse(VALID.replace("-01", "-03")).flags == "03"
    assert not TraceParent.parse(VALID.replace("-01", "-00")).sampled


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", "all zeros"),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "all zeros"),
        ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "lowercase hex"),
        ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "version ff"),
        ("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", "trace-id"),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", "version-traceid"),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "version-traceid"),
    ],
)
def test_invalid_headers_are_rejected(header: str, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        TraceParent.parse(header)


def test_a_future_version_keeps_its_first_four_fields() -> None:
    assert TraceParent.parse("01" + VALID[2:] + "-what-comes-next").trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from(["00", "01", "02", "03"]))
def test_a_child_keeps_trace_and_flags_with_a_new_parent(seed: int, flags: str) -> None:
    parent = TraceParent.parse(VALID[:-2] + flags)
    child = parent.child(random.Random(seed))
    assert (child.trace_id, child.flags) == (parent.trace_id, flags)
    assert child.parent_id != parent.parent_id
    assert set(child.parent_id) != {"0"}
    assert TraceParent.parse(str(child)) == child
