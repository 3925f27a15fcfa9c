"""Figures of lesson 06: push against pull as traffic grows, the TTL model, and LRU against Che's approximation.

``plot_*`` functions draw a whole figure on an optional Axes (lesson cells use them). The
three push-against-pull panels are redrawn by the CDN explorer on every move, so each also
comes in two parts: ``frame_*`` draws what never changes (log axes, labels, title, legend),
``draw_*`` the data (see ``helpers.panels``).
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import NullLocator, PercentFormatter
from numpy.typing import ArrayLike, NDArray

from helpers import checks
from helpers.cdn.model import CdnCosts
from helpers.figures import Style, new_axes

__all__ = [
    "EGRESS_RANGE",
    "STORAGE_RANGE",
    "TRAFFIC_RANGE",
    "draw_edge_storage",
    "draw_hit_ratio_vs_traffic",
    "draw_origin_egress",
    "frame_edge_storage",
    "frame_hit_ratio_vs_traffic",
    "frame_origin_egress",
    "plot_edge_storage",
    "plot_hit_ratio_vs_traffic",
    "plot_lru_hit_ratio",
    "plot_origin_egress",
    "plot_ttl_hit_ratio",
]

TRAFFIC_RANGE = (1e-2, 1e5)
"""x range of the push-vs-pull panels: total requests per second, all edges together."""

EGRESS_RANGE = (1e-3, 1e5)
"""y range of ``plot_origin_egress``: objects per second sent by the origin."""

STORAGE_RANGE = (1e-1, 1e7)
"""y range of ``plot_edge_storage``: objects stored, all edges together."""

_PANEL_SIZE = (4.5, 3.5)
_PULL_STYLE = Style("#3b75af", "-", 2.0)
_PUSH_STYLE = Style("#e07b28", "--", 2.0)
_CROSSOVER_COLOR = "#6a1b9a"


# --- push against pull: three panels against total traffic ----------------------------------


def _frame_traffic_panel(ax: Axes, log_y: bool, ylabel: str, title: str) -> Axes:
    """What the three panels share: log traffic axis, labels, grid, title and the legend below."""
    ax.set_xscale("log")
    ax.set_xlim(*TRAFFIC_RANGE)
    # Minor ticks on log axes are dozens of artists each: without them a first draw is 10x faster.
    ax.xaxis.set_minor_locator(NullLocator())
    if log_y:
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())
    ax.tick_params(labelsize="small")
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("total requests per second", fontsize="small")
    ax.set_ylabel(ylabel, fontsize="small")
    ax.set_title(title, fontsize="medium", y=1.0)
    ax.legend(
        handles=[
            _PULL_STYLE.line([], [], label="pull"),
            _PUSH_STYLE.line([], [], label="push"),
            Line2D([], [], color=_CROSSOVER_COLOR, linestyle="-.", linewidth=1.2, label="egress crossover"),
        ],
        loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=3, fontsize="x-small", frameon=False,
        handlelength=2.0, borderaxespad=0.0,
    )  # fmt: skip
    return ax


def _draw_traffic_panel(
    ax: Axes, costs: CdnCosts, pull: NDArray[np.float64], push: float, current_rate: float | None
) -> Axes:
    """One panel's data: pull's curve, push's line, the crossover and the current traffic."""
    rates = costs.request_rate_per_s
    # add_artist, not plot: the limits are fixed, so updating them would be wasted work.
    ax.add_artist(_PULL_STYLE.line(rates, pull, gid="pull", zorder=3))
    ax.add_artist(_PUSH_STYLE.line(list(TRAFFIC_RANGE), [push, push], gid="push", zorder=2.5))
    if costs.crossover_rate_per_s is not None:
        at = costs.crossover_rate_per_s
        ax.add_artist(Line2D([at, at], [0, 1], transform=ax.get_xaxis_transform(), color=_CROSSOVER_COLOR,
                             linestyle="-.", linewidth=1.2, gid="crossover", zorder=2))  # fmt: skip
    if current_rate is not None:
        rate = checks.positive("current_rate", current_rate)
        value = float(np.interp(np.log(rate), np.log(rates), pull))
        ax.add_artist(Line2D([rate, rate], [0, 1], transform=ax.get_xaxis_transform(), color="0.4",
                             linestyle=":", linewidth=0.8, zorder=1.8, gid="current-rate"))  # fmt: skip
        ax.add_artist(Line2D([rate, rate], [value, push], linestyle="none", marker="o", markersize=6, color="0.2",
                             markeredgecolor="black", markeredgewidth=0.6, zorder=4, gid="current"))  # fmt: skip
    return ax


def frame_hit_ratio_vs_traffic(ax: Axes) -> Axes:
    """The hit-ratio panel's frame: log traffic, 0 to 105%, title and legend (lesson 06, section 5)."""
    _frame_traffic_panel(ax, False, "hit ratio", "Requests answered at the edge")
    ax.set_ylim(0.0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    return ax


def draw_hit_ratio_vs_traffic(costs: CdnCosts, current_rate: float | None = None, ax: Axes | None = None) -> Axes:
    """The hit-ratio panel's data on a framed Axes (see ``plot_hit_ratio_vs_traffic``; lesson 06, section 5)."""
    return _draw_traffic_panel(new_axes(ax, _PANEL_SIZE), costs, costs.pull_hit_ratio, costs.push_hit_ratio,
                               current_rate)  # fmt: skip


def plot_hit_ratio_vs_traffic(costs: CdnCosts, current_rate: float | None = None, ax: Axes | None = None) -> Axes:
    """Axes with the edges' hit ratio against total traffic: pull's curve, push's line at 1 (lesson 06, section 5).

    A dash-dotted line marks the egress crossover (if any), a dotted line and dots the
    ``current_rate``. Axes, title and legend are the same for every input. Curves have gid
    "pull" and "push".

    Examples:
        >>> from matplotlib.figure import Figure
        >>> from helpers.cdn.model import push_pull_costs
        >>> costs = push_pull_costs([0.01, 1e5], 100, 3_600.0, 1 / 86_400)
        >>> ax = plot_hit_ratio_vs_traffic(costs, ax=Figure().add_subplot())
        >>> [line.get_gid() for line in ax.lines], ax.get_ylim() == (0.0, 1.05)
        (['pull', 'push', 'crossover'], True)
    """
    return draw_hit_ratio_vs_traffic(costs, current_rate, frame_hit_ratio_vs_traffic(new_axes(ax, _PANEL_SIZE)))


def frame_origin_egress(ax: Axes) -> Axes:
    """The origin-egress panel's frame: log traffic and objects per second, title, legend (lesson 06, section 5)."""
    _frame_traffic_panel(ax, True, "origin egress (objects/s)", "Origin to edges")
    ax.set_ylim(*EGRESS_RANGE)
    return ax


def draw_origin_egress(costs: CdnCosts, current_rate: float | None = None, ax: Axes | None = None) -> Axes:
    """The origin-egress panel's data on a framed Axes (see ``plot_origin_egress``; lesson 06, section 5)."""
    return _draw_traffic_panel(new_axes(ax, _PANEL_SIZE), costs, costs.pull_egress_per_s, costs.push_egress_per_s,
                               current_rate)  # fmt: skip


def plot_origin_egress(costs: CdnCosts, current_rate: float | None = None, ax: Axes | None = None) -> Axes:
    """Axes with the objects the origin sends per second against traffic, pull against push (lesson 06, section 5).

    Pull fetches on misses (E Σ λᵢ/(1+λᵢT), at most one per object per edge per TTL);
    push uploads every object to every edge at each update (u·O·E). Log axes with fixed
    ranges (``TRAFFIC_RANGE``, ``EGRESS_RANGE``); the crossover is dash-dotted.

    Examples:
        >>> from matplotlib.figure import Figure
        >>> from helpers.cdn.model import push_pull_costs
        >>> ax = plot_origin_egress(push_pull_costs([0.01, 1e5], 100, 3_600.0, 1 / 86_400), ax=Figure().add_subplot())
        >>> ax.get_yscale(), ax.get_ylim() == EGRESS_RANGE
        ('log', True)
    """
    return draw_origin_egress(costs, current_rate, frame_origin_egress(new_axes(ax, _PANEL_SIZE)))


def frame_edge_storage(ax: Axes) -> Axes:
    """The edge-storage panel's frame: log traffic and objects stored, title and legend (lesson 06, section 5)."""
    _frame_traffic_panel(ax, True, "objects stored on all edges", "Edge storage")
    ax.set_ylim(*STORAGE_RANGE)
    return ax


def draw_edge_storage(costs: CdnCosts, current_rate: float | None = None, ax: Axes | None = None) -> Axes:
    """The edge-storage panel's data on a framed Axes (see ``plot_edge_storage``; lesson 06, section 5)."""
    return _draw_traffic_panel(new_axes(ax, _PANEL_SIZE), costs, costs.pull_storage, costs.push_storage,
                               current_rate)  # fmt: skip


def plot_edge_storage(costs: CdnCosts, current_rate: float | None = None, ax: Axes | None = None) -> Axes:
    """Axes with the objects stored on all edges against traffic, pull (expected) against push (lesson 06, section 5).

    Push stores every object on every edge (O·E); pull stores what was requested within
    the TTL. Log axes with fixed ranges (``TRAFFIC_RANGE``, ``STORAGE_RANGE``).

    Examples:
        >>> from matplotlib.figure import Figure
        >>> from helpers.cdn.model import push_pull_costs
        >>> ax = plot_edge_storage(push_pull_costs([0.01, 1e5], 100, 3_600.0, 1 / 86_400), ax=Figure().add_subplot())
        >>> [float(y) for y in ax.lines[1].get_ydata()]
        [1000.0, 1000.0]
    """
    return draw_edge_storage(costs, current_rate, frame_edge_storage(new_axes(ax, _PANEL_SIZE)))


# --- the TTL model and LRU edges -------------------------------------------------------------


def plot_ttl_hit_ratio(loads: ArrayLike, simulated: ArrayLike | None = None, ax: Axes | None = None) -> Axes:
    """Axes with the TTL model's hit ratio λT/(1+λT) against λT, and simulated hit ratios as dots.

    Taught in lesson 06, section 4.

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_ttl_hit_ratio([0.1, 1.0, 10.0], [0.1, 0.5, 0.9], ax=Figure().add_subplot())
        >>> [line.get_gid() for line in ax.lines]
        ['model', 'simulated']
    """
    x = np.asarray(loads, dtype=np.float64)
    if x.ndim != 1 or x.size == 0 or (x <= 0).any() or np.isnan(x).any():
        raise ValueError(f"loads must be a 1-D array of numbers > 0 (λT), got {loads!r}")
    ax = new_axes(ax, (5.0, 3.5))
    grid = np.logspace(np.log10(x.min()) - 0.2, np.log10(x.max()) + 0.2, 200)
    ax.add_artist(Line2D(grid, grid / (1 + grid), color="#3b75af", linewidth=2.0, gid="model",
                         label="model λT/(1+λT)"))  # fmt: skip
    if simulated is not None:
        y = np.asarray(simulated, dtype=np.float64)
        if y.shape != x.shape:
            raise ValueError(f"simulated has shape {y.shape}, loads {x.shape}: give one hit ratio per load")
        ax.add_artist(Line2D(x, y, linestyle="none", marker="o", markersize=6, color="#e07b28", gid="simulated",
                             markeredgecolor="black", markeredgewidth=0.6, label="simulated"))  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlim(grid[0], grid[-1])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_ylim(0.0, 1.0)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("λT: requests per object per edge within one TTL", fontsize="small")
    ax.set_ylabel("hit ratio", fontsize="small")
    ax.set_title("A TTL cache under Poisson requests", fontsize="medium")
    ax.legend(fontsize="small", loc="upper left")
    return ax


def plot_lru_hit_ratio(
    capacities: ArrayLike, simulated: ArrayLike, approximated: ArrayLike, objects: int, ax: Axes | None = None
) -> Axes:
    """Axes with an LRU cache's hit ratio against its size (share of the catalogue): simulated and Che's.

    Taught in lesson 06, section 6.

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_lru_hit_ratio([10, 100], [0.3, 0.6], [0.31, 0.6], 1_000, ax=Figure().add_subplot())
        >>> [line.get_gid() for line in ax.lines]
        ['che', 'simulated']
    """
    sizes = np.asarray(capacities, dtype=np.float64)
    catalogue = checks.count("objects", objects)
    sim, che = np.asarray(simulated, dtype=np.float64), np.asarray(approximated, dtype=np.float64)
    if sizes.ndim != 1 or sim.shape != sizes.shape or che.shape != sizes.shape:
        raise ValueError(f"capacities, simulated and approximated must be 1-D of one length, got "
                         f"{sizes.shape}, {sim.shape}, {che.shape}")  # fmt: skip
    ax = new_axes(ax, (5.0, 3.5))
    share = sizes / catalogue
    ax.add_artist(Line2D(share, che, color="#3b75af", linewidth=2.0, gid="che", label="Che's approximation"))
    ax.add_artist(Line2D(share, sim, linestyle="none", marker="o", markersize=6, color="#e07b28", gid="simulated",
                         markeredgecolor="black", markeredgewidth=0.6, label="simulated LRU"))  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlim(share.min() / 1.5, min(1.0, share.max() * 1.5))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_ylim(0.0, 1.0)
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=1))
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("cache size (share of the catalogue)", fontsize="small")
    ax.set_ylabel("hit ratio", fontsize="small")
    ax.set_title("An LRU edge under Zipf popularity", fontsize="medium")
    ax.legend(fontsize="small", loc="upper left")
    return ax
