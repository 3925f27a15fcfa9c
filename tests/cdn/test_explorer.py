"""The CDN explorer of lesson 06: what its status line and curves say at each setting.

What every explorer must do (render, move every control, redraw fast and right, reject bad
settings) is checked for all of them in tests/kit/test_explorers.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers.cdn import crossover_rate, push_pull_costs
from helpers.cdn.explorer import CdnExplorer


@pytest.fixture
def explorer() -> CdnExplorer:
    return CdnExplorer()


def lines(explorer: CdnExplorer, gid: str) -> list[object]:
    return [line for ax in explorer.panels.axes for line in ax.lines if line.get_gid() == gid]


def test_the_status_states_the_default_numbers(explorer: CdnExplorer) -> None:
    costs = push_pull_costs([10.0], 10_000, 3_600.0, 1 / 86_400, edges=10)
    status = explorer.status.value
    assert status.startswith("10 requests/s over 10,000 objects and 10 edges, TTL 1 h")
    assert f"pull answers <b>{costs.pull_hit_ratio[0]:.1%}</b>" in status
    assert f"the edges hold {costs.push_storage:,.0f} objects" in status
    assert "Egress crossover at <b>2.39 requests/s</b>: you are above it" in status


def test_the_ttl_slider_reads_as_durations(explorer: CdnExplorer) -> None:
    labels = [label for label, _ in explorer.controls["ttl_s"].options]
    assert labels == ["1 min", "5 min", "15 min", "1 h", "6 h", "1 day"]


def test_the_curves_match_the_model(explorer: CdnExplorer) -> None:
    explorer.controls["ttl_s"].value = 900
    explorer.controls["objects"].value = 1_000
    costs = explorer.costs
    exact = push_pull_costs(costs.request_rate_per_s, 1_000, 900.0, 1 / 86_400, edges=10)
    np.testing.assert_allclose(costs.pull_hit_ratio, exact.pull_hit_ratio, rtol=1e-4)
    np.testing.assert_allclose(costs.pull_egress_per_s, exact.pull_egress_per_s, rtol=1e-4)
    assert costs.crossover_rate_per_s == pytest.approx(crossover_rate(1_000, 900.0, 1 / 86_400, 10))
    hit_ratio, egress, storage = lines(explorer, "pull")
    np.testing.assert_allclose(hit_ratio.get_ydata(), exact.pull_hit_ratio, rtol=1e-4)  # type: ignore[attr-defined]
    np.testing.assert_allclose(egress.get_ydata(), exact.pull_egress_per_s, rtol=1e-4)  # type: ignore[attr-defined]
    np.testing.assert_allclose(storage.get_ydata(), exact.pull_storage, rtol=1e-4)  # type: ignore[attr-defined]


def test_the_status_says_when_there_is_no_crossover(explorer: CdnExplorer) -> None:
    explorer.controls["updates_per_day"].value = 24  # u·T = 1 with a one-hour TTL
    assert "No crossover" in explorer.status.value
    assert not lines(explorer, "crossover")


def test_low_traffic_is_below_the_crossover(explorer: CdnExplorer) -> None:
    explorer.controls["request_rate"].value = 0.01
    assert "you are below it" in explorer.status.value
    assert all(dots.get_xdata()[0] == 0.01 for dots in lines(explorer, "current"))  # type: ignore[attr-defined]
