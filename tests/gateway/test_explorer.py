"""The rate-limit explorer of lesson 07: its decisions and status numbers against the limiters.

What every explorer must do (render, move every control, redraw fast and right, reject bad
settings) is checked for all of them in tests/kit/test_explorers.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers.gateway.explorer import RateLimitExplorer
from helpers.gateway.model import (
    ALGORITHMS,
    SlidingWindowLog,
    TokenBucket,
    disagreement,
    make_limiter,
    max_in_any_span,
    replay,
    token_bucket_bound,
)


@pytest.fixture
def explorer() -> RateLimitExplorer:
    return RateLimitExplorer()


def test_the_status_states_the_default_numbers(explorer: RateLimitExplorer) -> None:
    status = explorer.status.value
    assert status.startswith(f"{explorer.trace.size} requests. ")
    assert "Token bucket (b = 10, r = 1/s) admitted <b>" in status
    assert "the bound b + r&middot;t holds for every span" in status
    assert "With N = 10 per W = 10 s: fixed window" in status
    assert list(explorer.decisions) == list(ALGORITHMS)


def test_the_controls_read_as_sizes_rates_and_seconds() -> None:
    labels = {control.name: control.labels for control in RateLimitExplorer.CONTROLS}
    assert list(labels) == ["capacity", "refill_per_s", "limit", "window_s"]  # the first control is the main one
    assert labels["capacity"] == ["1", "2", "5", "10", "15", "20", "30", "50"]
    assert labels["refill_per_s"][:3] == ["0.2/s", "0.5/s", "1/s"]
    assert labels["window_s"][-1] == "30 s"


@pytest.mark.parametrize(("capacity", "refill"), [(1, 0.2), (10, 1.0), (50, 10.0)])
def test_the_bucket_decisions_match_the_limiter(explorer: RateLimitExplorer, capacity: int, refill: float) -> None:
    explorer.controls["capacity"].value = capacity
    explorer.controls["refill_per_s"].value = refill
    trace = explorer.trace
    expected = replay(trace, TokenBucket(capacity, refill))
    np.testing.assert_array_equal(explorer.decisions["token bucket"], expected)
    spans = np.linspace(0.0, 30.0, 121)
    assert (max_in_any_span(trace[expected], spans) <= token_bucket_bound(capacity, refill, spans) + 1e-9).all()
    assert f"admitted <b>{int(expected.sum())}</b>" in explorer.status.value


@pytest.mark.parametrize(("limit", "window_s"), [(5, 1.0), (20, 5.0), (100, 30.0)])
def test_the_window_decisions_match_the_limiters(explorer: RateLimitExplorer, limit: int, window_s: float) -> None:
    explorer.controls["limit"].value = limit
    explorer.controls["window_s"].value = window_s
    for name in ALGORITHMS[1:]:
        expected = replay(explorer.trace, make_limiter(name, limit=limit, window_s=window_s))
        np.testing.assert_array_equal(explorer.decisions[name], expected, err_msg=name)
    log = replay(explorer.trace, SlidingWindowLog(limit, window_s))
    off = disagreement(explorer.decisions["sliding counter"], log)
    assert f"decided differently from the log on {off:.1%} of requests" in explorer.status.value


def test_the_fixed_window_lets_two_n_through_at_its_edge(explorer: RateLimitExplorer) -> None:
    explorer.controls["limit"].value = 10
    explorer.controls["window_s"].value = 10.0
    status = explorer.status.value
    assert "(busiest 10 s: <b>20</b>, up to 2N = 20)" in status
    assert "(busiest: <b>10</b>, never above N)" in status


def test_the_trace_is_read_only(explorer: RateLimitExplorer) -> None:
    with pytest.raises(ValueError, match="read-only"):
        explorer.trace[0] = 1.0
