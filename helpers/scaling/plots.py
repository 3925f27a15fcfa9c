"""Figures for lesson 13: utilisation per tier, throughput vs replicas, stale reads vs delay.

``plot_*`` draw a whole figure for a lesson cell; ``frame_*`` draw a panel's fixed parts once
and ``draw_*`` its data, for the explorer (``helpers.panels``).
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from helpers.figures import new_axes
from helpers.scaling.model import TIERS, throughput_vs_replicas

__all__ = [
    "DELAYS_MS",
    "MAX_REPLICAS",
    "draw_stale",
    "draw_throughput",
    "draw_utilisation",
    "frame_stale",
    "frame_throughput",
    "frame_utilisation",
    "plot_throughput",
    "plot_utilisation",
]

MAX_REPLICAS = 8
"""The replica axis of the throughput panel runs from 0 to this."""

DELAYS_MS = np.linspace(0.0, 2_000.0, 201)
"""Read-after-write delays on the stale-read panel, in milliseconds."""

_UTILISATION_LIMIT = 2.0
_OK, _FULL = "#4c78a8", "#d62728"


def frame_utilisation(ax: Axes) -> None:
    """The fixed parts of the utilisation panel: one row per tier, 0 to 200%, a line at 100% (section 1)."""
    ax.set_xlim(-0.03, _UTILISATION_LIMIT)  # bars start just off the spine: no pixel shared with it
    ax.set_ylim(-0.6, len(TIERS) - 0.4)
    ax.set_yticks(range(len(TIERS)), list(TIERS))
    ax.invert_yaxis()
    ax.set_xticks([0, 0.5, 1.0, 1.5, 2.0], ["0%", "50%", "100%", "150%", "≥200%"])
    ax.axvline(
        1.0, color="black", linewidth=1, linestyle="--", zorder=0.5
    )  # under the bars, as the data is drawn on top
    ax.set_xlabel("utilisation of the busiest node")
    ax.set_title(
        "Utilisation per tier (outlined: saturates first)", fontsize="medium", y=1.0
    )  # fixed, so the explorer draws it once; an explicit y skips a costly title placement


def draw_utilisation(ax: Axes, utilisation: dict[str, float], bottleneck: str) -> None:
    """Bars of utilisation per tier, red from 100% on, the bottleneck's bar outlined in black (section 1)."""
    if bottleneck not in TIERS:
        raise ValueError(f"bottleneck must be one of {TIERS}, got {bottleneck!r}")
    values = [utilisation[tier] for tier in TIERS]
    shown = [min(v, _UTILISATION_LIMIT) for v in values]
    colors = [_FULL if v >= 1.0 else _OK for v in values]
    edges = ["black" if tier == bottleneck else "none" for tier in TIERS]
    ax.barh(range(len(TIERS)), shown, color=colors, height=0.6, edgecolor=edges, linewidth=1.5)
    for row, value in enumerate(values):
        ax.text(min(value, _UTILISATION_LIMIT * 0.8) + 0.03, row, f"{value:.0%}", va="center", fontsize="small")


def frame_throughput(ax: Axes) -> None:
    """The fixed parts of the throughput panel: replicas 0-8, requests/s on a log scale (section 3)."""
    ax.set_xlim(-0.3, MAX_REPLICAS + 0.3)
    ax.set_yscale("log")
    ax.set_ylim(300, 200_000)
    ax.set_xlabel("read replicas per shard")
    ax.set_ylabel("most the database takes (/s)")
    ax.set_title(
        "Reads rise with replicas, writes do not", fontsize="medium", y=1.0
    )  # an explicit y skips a costly title placement


def draw_throughput(ax: Axes, replicas: int, shards: int, reads_rps: float, writes_rps: float) -> None:
    """Database read and write capacity vs replicas, the current deployment marked, the offered load dashed."""
    counts = range(MAX_REPLICAS + 1)
    reads, writes = throughput_vs_replicas(counts, shards=shards)
    ax.plot(counts, reads, color=_OK, marker="o", markersize=3)
    ax.plot(counts, writes, color=_FULL, marker="o", markersize=3)
    ax.plot([replicas, replicas], [reads[replicas], writes[replicas]], "ks", markersize=6)
    ax.axhline(max(reads_rps, 1.0), color=_OK, linestyle=":", linewidth=1)
    ax.axhline(max(writes_rps, 1.0), color=_FULL, linestyle=":", linewidth=1)


def frame_stale(ax: Axes) -> None:
    """The fixed parts of the stale-read panel: delay 0-2 s, probability 0-1 (section 4)."""
    ax.set_xlim(0, DELAYS_MS[-1])
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("user reads this long after writing (ms)")
    ax.set_ylabel("P(read is stale)")
    ax.set_title(
        "Stale read-your-write on an async replica", fontsize="medium", y=1.0
    )  # an explicit y skips a costly title placement


def draw_stale(ax: Axes, lag_ms: float) -> None:
    """P(stale) vs delay for an exponential lag of mean ``lag_ms``, and for a fixed lag of ``lag_ms`` (section 4)."""
    exponential = np.exp(-DELAYS_MS / lag_ms) if lag_ms > 0 else np.zeros_like(DELAYS_MS)  # stale_read_probability
    fixed_x = [0.0, lag_ms, lag_ms, DELAYS_MS[-1]]
    fixed = [1.0, 1.0, 0.0, 0.0]
    ax.plot(DELAYS_MS, exponential, color=_OK)
    ax.plot(fixed_x, fixed, color="gray", linestyle="--")


def plot_utilisation(utilisation: dict[str, float], bottleneck: str, ax: Axes | None = None) -> Axes:
    """Utilisation per tier as one figure (lesson 13, section 1)."""
    ax = new_axes(ax, (6.0, 2.6))
    frame_utilisation(ax)
    draw_utilisation(ax, utilisation, bottleneck)
    ax.set_title(f"Utilisation per tier: {bottleneck} saturates first", fontsize="medium")
    return ax


def plot_throughput(shards: int = 1, ax: Axes | None = None) -> Axes:
    """Database read and write capacity vs replicas as one figure (lesson 13, section 3)."""
    ax = new_axes(ax, (6.0, 3.0))
    frame_throughput(ax)
    counts = range(MAX_REPLICAS + 1)
    reads, writes = throughput_vs_replicas(counts, shards=shards)
    ax.plot(counts, reads, color=_OK, marker="o", markersize=3)
    ax.plot(counts, writes, color=_FULL, marker="o", markersize=3)
    return ax
