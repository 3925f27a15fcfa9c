"""The DNS routing explorer of lesson 04: what its status line and panels say at each setting.

What every explorer must do (render, move every control, redraw fast and right, reject bad
settings) is checked for all of them in tests/kit/test_explorers.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers.dns import simulate_split, simulate_staleness, zipf_populations
from helpers.dns.explorer import DnsExplorer


@pytest.fixture
def explorer() -> DnsExplorer:
    return DnsExplorer()


def line(explorer: DnsExplorer, panel: int, gid: str) -> np.ndarray:
    (found,) = [line for line in explorer.panels.axes[panel].lines if line.get_gid() == gid]
    return np.asarray(found.get_ydata())


def test_the_status_states_the_default_numbers(explorer: DnsExplorer) -> None:
    status = explorer.status.value
    assert status.startswith("<b>weighted</b>: eu-west expected <b>50%</b>")
    assert "90% see it after 54 s" in status
    assert "about 1.7 queries/s" in status


def test_the_realised_split_and_staleness_are_the_seeded_simulation(explorer: DnsExplorer) -> None:
    explorer.controls["eu_weight"].value = 255
    explorer.controls["resolvers"].value = 10_000
    rng = np.random.default_rng(42)
    populations = zipf_populations(10_000, rng)
    split = simulate_split([[1 / 256, 255 / 256]], populations, 60, np.linspace(0, 600, 121), rng)[:, 1]
    stale = simulate_staleness(np.linspace(0, 1.5, 91) * 60, 60, populations, rng)
    np.testing.assert_allclose(line(explorer, 0, "realised"), split)
    np.testing.assert_allclose(line(explorer, 1, "stale"), stale)
    assert "expected <b>100%</b>" in explorer.status.value  # 255/256 rounds to 100%
    low, high = f"{split.min():.0%}", f"{split.max():.0%}"
    assert f"from {low} to {high} over ten minutes" in explorer.status.value


def test_geolocation_ignores_the_weights_but_shows_them(explorer: DnsExplorer) -> None:
    explorer.controls["policy"].value = "geolocation"
    status, image = explorer.status.value, explorer.image.value
    explorer.controls["eu_weight"].value = 200
    assert explorer.status.value == status
    assert "expected <b>30%</b>" in status
    assert explorer.image.value != image, "the title shows the weights the policy ignores"
    assert explorer.panels.axes[0].get_title() == "geolocation, users in Europe: 30% (weights 200 : 1)"


def test_the_title_names_the_policy_and_every_input(explorer: DnsExplorer) -> None:
    assert explorer.panels.axes[0].get_title() == "weighted, eu-west : us-east = 1 : 1 (users in Europe: 30%)"
    explorer.controls["europe_share"].value = 0.7
    assert explorer.panels.axes[0].get_title().endswith("(users in Europe: 70%)")


def test_the_expected_line_follows_the_policy(explorer: DnsExplorer) -> None:
    explorer.controls["us_weight"].value = 5
    np.testing.assert_allclose(line(explorer, 0, "expected"), [1 / 6, 1 / 6])
    explorer.controls["policy"].value = "geolocation"
    np.testing.assert_allclose(line(explorer, 0, "expected"), [0.3, 0.3])
