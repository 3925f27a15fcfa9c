"""Tests for helpers.scaling.plots: each figure draws what its numbers say."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from helpers.scaling.model import TIERS, Deployment, bottleneck, utilisation
from helpers.scaling.plots import DELAYS_MS, draw_stale, frame_stale, plot_throughput, plot_utilisation


def test_utilisation_bars_turn_red_at_capacity_and_name_the_bottleneck() -> None:
    use = utilisation(1_000, 0.9, 0.0, Deployment())
    ax = plot_utilisation(use, bottleneck(1_000, 0.9, 0.0, Deployment()))
    widths = [patch.get_width() for patch in ax.patches]
    assert widths == [use[tier] for tier in TIERS]
    colors = [matplotlib.colors.to_hex(patch.get_facecolor()) for patch in ax.patches]
    assert colors[TIERS.index("primary")] == "#d62728"
    assert colors[TIERS.index("web")] != "#d62728"
    assert "primary saturates first" in ax.get_title()
    edges = [matplotlib.colors.to_hex(patch.get_edgecolor(), keep_alpha=True) for patch in ax.patches]
    outlined = [tier for tier, edge in zip(TIERS, edges, strict=True) if edge == "#000000ff"]
    assert outlined == ["primary"]
    assert [text.get_text() for text in ax.texts] == ["50%", "0%", "100%", "0%"]
    plt.close("all")


def test_throughput_reads_rise_and_writes_stay_flat() -> None:
    ax = plot_throughput(shards=2)
    reads, writes = (line.get_ydata() for line in ax.lines[-2:])
    assert np.all(np.diff(reads) >= 0)
    assert reads[-1] == 8 * 2 * 1_000
    assert len(set(np.asarray(writes).tolist())) == 1
    assert ax.get_yscale() == "log"
    plt.close("all")


def test_stale_curve_is_exp_of_minus_delay_over_lag() -> None:
    _, ax = plt.subplots()
    frame_stale(ax)
    draw_stale(ax, 200)
    curve, step = ax.lines[-2:]
    assert np.allclose(curve.get_ydata(), np.exp(-DELAYS_MS / 200))
    assert list(step.get_xdata()) == [0.0, 200, 200, DELAYS_MS[-1]]
    plt.close("all")
