"""The balancing explorer of lesson 05: what its status line and panels say, against the model.

What every explorer must do (render, move every control, redraw fast and right, reject bad
settings) is checked for all of them in tests/kit/test_explorers.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers.balancing.explorer import BalancerExplorer
from helpers.balancing.model import SIMULATED_POLICIES, compare_policies, supermarket_time

from figure_checks import by_gid


@pytest.fixture
def explorer() -> BalancerExplorer:
    return BalancerExplorer()


def plain(status: str) -> str:
    return status.replace("<b>", "").replace("</b>", "")


def test_status_at_the_defaults_names_every_policy_and_the_supermarket_model(explorer: BalancerExplorer) -> None:
    status = explorer.status.value
    assert status.startswith("&lambda; = 0.9, 10 servers, fastest/slowest 1&times;, board fresh.")
    assert all(name in status for name in SIMULATED_POLICIES)
    assert f"T<sub>1</sub> = {supermarket_time(0.9, 1):.2f}" == "T<sub>1</sub> = 10.00"
    assert "T<sub>1</sub> = 10.00, T<sub>2</sub> = 2.61." in status
    assert "<b>power-of-two</b>" in status


def test_status_numbers_and_server_loads_match_the_simulation(explorer: BalancerExplorer) -> None:
    explorer.controls["spread"].value = 4.0
    explorer.controls["policy"].value = "round-robin"
    results = compare_policies(0.9, 10, 4.0, 3_000, seed=42)
    for name, result in results.items():
        expected = f"{result.percentile(50):.2f} / {result.percentile(99):.1f} / {result.mean:.2f}"
        assert f"{name} {expected}" in plain(explorer.status.value)
    assert "could not keep up" in explorer.status.value  # round robin overloads the slow servers
    np.testing.assert_allclose(explorer.results["round-robin"].busy, results["round-robin"].busy)
    _, load_ax = explorer.panels.axes
    (bars,) = by_gid(load_ax, "busy")
    heights = [path.vertices[1, 1] for path in bars.get_paths()]
    np.testing.assert_allclose(heights, np.minimum(results["round-robin"].busy, 1.5))


def test_a_stale_board_is_stated_and_simulated(explorer: BalancerExplorer) -> None:
    explorer.controls["refresh"].value = 20.0
    assert "board refreshed every 20." in explorer.status.value
    stale = compare_policies(0.9, 10, 1.0, 3_000, seed=42, refresh_interval=20.0)
    assert f"least-connections {stale['least-connections'].percentile(50):.2f} /" in plain(explorer.status.value)


@pytest.mark.parametrize("policy", SIMULATED_POLICIES)
def test_the_chosen_policy_is_shaded_on_the_left_and_shown_on_the_right(
    explorer: BalancerExplorer, policy: str
) -> None:
    explorer.controls["policy"].value = policy
    latency_ax, load_ax = explorer.panels.axes
    (band,) = by_gid(latency_ax, "highlight")
    assert band.get_x() + band.get_width() / 2 == pytest.approx(SIMULATED_POLICIES.index(policy))
    (bars,) = by_gid(load_ax, "busy")
    busy = explorer.results[policy].busy
    np.testing.assert_allclose([path.vertices[1, 1] for path in bars.get_paths()], np.minimum(busy, 1.5))
    assert f"<b>{policy}</b>: servers busy from {busy.min():.0%}" in explorer.status.value


def test_controls_read_as_the_lesson_names_them(explorer: BalancerExplorer) -> None:
    labels = {control.name: control.labels for control in BalancerExplorer.CONTROLS}
    assert labels["refresh"][:2] == ["fresh", "every 0.5"]
    assert labels["spread"][-1] == "8x"
    assert list(explorer.controls) == ["load", "servers", "spread", "refresh", "policy"]  # the main one first
    assert [value for _, value in explorer.controls["policy"].options] == list(SIMULATED_POLICIES)
