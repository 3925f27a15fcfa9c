"""The backoff explorer of lesson 12: what its status line says, checked against the model.

What every explorer must do (render, move every control, redraw fast and right, reject bad
settings) is checked for all of them in tests/kit/test_explorers.py.
"""

from __future__ import annotations

import re

import pytest

from helpers.clients.explorer import HORIZON_S, BackoffExplorer, explore_backoff
from helpers.clients.model import simulate_outage


@pytest.fixture
def explorer() -> BackoffExplorer:
    return BackoffExplorer()


def numbers(status: str) -> list[int]:
    return [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", re.sub(r"<[^>]+>", "", status))]


def test_status_numbers_come_from_the_model(explorer: BackoffExplorer) -> None:
    run = simulate_outage("full", 100, base_s=0.01, cap_s=1.0, outage_s=2.0, horizon_s=HORIZON_S, seed=12)
    calls, wasted, peak, offered, done, gave_up = numbers(explorer.status.value)
    assert (calls, wasted, done, gave_up) == (run.calls, run.wasted, int(run.completed[-1]), run.gave_up)
    assert peak == int(run.offered.max()) * 10
    assert offered == 100


def test_a_breaker_cuts_the_wasted_calls(explorer: BackoffExplorer) -> None:
    without = numbers(explorer.status.value)[1]
    explorer.controls["breaker"].value = "on"
    with_breaker = numbers(explorer.status.value)[1]
    assert with_breaker < without / 10


def test_a_budget_makes_requests_give_up_instead_of_retrying(explorer: BackoffExplorer) -> None:
    explorer.controls["budget"].value = "on"
    calls, wasted, _, _, _, gave_up = numbers(explorer.status.value)
    assert gave_up > 0
    assert wasted <= 0.1 * calls + 200  # retries stay near 10% of requests (+ the first tries in the outage)


@pytest.mark.parametrize("strategy", ["none", "equal", "decorrelated"])
def test_each_strategy_is_its_own_run(explorer: BackoffExplorer, strategy: str) -> None:
    explorer.controls["strategy"].value = strategy
    run = simulate_outage(strategy, 100, base_s=0.01, cap_s=1.0, outage_s=2.0, horizon_s=HORIZON_S, seed=12)
    assert numbers(explorer.status.value)[:2] == [run.calls, run.wasted]


def test_the_lessons_one_liner_builds_the_default() -> None:
    assert explore_backoff().controls["strategy"].value == "full"
