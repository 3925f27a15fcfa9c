"""The canary explorer's own claims: its status numbers are the model's (the kit tests the contract)."""

from __future__ import annotations

import numpy as np

from helpers.testing.explorer import CanaryExplorer, duration_text, explore_canary
from helpers.testing.model import canary_plan, canary_sample_size, simulate_canary_run


def test_status_at_the_defaults_gives_the_lesson_numbers() -> None:
    explorer = explore_canary()
    status = explorer.status.value
    plan = canary_plan(0.001, 0.002, 0.05, 1_000)
    assert "23,508" in status
    assert duration_text(plan.time_s) in status
    assert "7.8 min" in status
    assert f"{plan.bad_requests:,.0f} failed requests" in status


def test_peeking_stops_no_later_than_the_fixed_horizon() -> None:
    explorer = CanaryExplorer(baseline=0.01, ratio=5.0)
    fixed = explorer.status.value
    explorer.controls["analysis"].value = "peeking"
    peeking = explorer.status.value
    n = canary_sample_size(0.01, 0.05)
    run = simulate_canary_run(0.01, 0.05, n, np.random.default_rng(11), peeking=True)
    assert "roll back" in fixed
    assert f"after {int(run.requests[run.decided_at]):,} per arm" in peeking
    assert f"having served <b>{int(run.canary_errors[run.decided_at]):,}</b> failed requests" in peeking
    assert run.decided_at < 19


def test_duration_text() -> None:
    assert [duration_text(s) for s in (45, 470, 5_400, 200_000)] == ["45 s", "7.8 min", "1.5 h", "2.3 days"]
