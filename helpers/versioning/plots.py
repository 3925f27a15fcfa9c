"""Figures of lesson 09: which reader breaks on which change, and how many requests a rollout fails.

``plot_*`` functions draw a whole figure on an optional Axes (lesson cells use them). The
three panels the rollout explorer redraws on every move come in two parts: ``frame_*``
draws what never changes, ``draw_*`` the data (see ``helpers.panels``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import PercentFormatter

from helpers.figures import STYLE_CYCLE, new_axes
from helpers.versioning.model import STRATEGIES, Outcome, big_bang_failure_rate

__all__ = [
    "BROKEN_COLOR",
    "OK_COLOR",
    "draw_matrix",
    "draw_rollout",
    "frame_matrix",
    "frame_rollout",
    "plot_big_bang",
    "plot_plan_replay",
    "plot_reader_outcomes",
]

OK_COLOR = "#cfe8c6"
"""A cell where the reader reads the document."""

BROKEN_COLOR = "#f3c1bb"
"""A cell where it cannot."""

STRATEGY_STYLES = dict(zip(STRATEGIES, STYLE_CYCLE[1::-1], strict=True))
"""Each strategy's line: expand-migrate-contract in the course's first colour, big bang in its second."""


def _cell(ax: Axes, x: float, y: float, ok: bool, lines: Sequence[str], gid: str, fontsize: str = "small") -> None:
    # add_artist, not add_patch: the limits are set by the frame, so nothing needs to update them.
    ax.add_artist(Rectangle((x - 0.5, y - 0.5), 1.0, 1.0, facecolor=OK_COLOR if ok else BROKEN_COLOR,
                            edgecolor="white", linewidth=2.0, gid=gid))  # fmt: skip
    ax.text(x, y, "\n".join(lines), ha="center", va="center", fontsize=fontsize, gid=gid)


def plot_reader_outcomes(outcomes: Mapping[str, Mapping[str, Outcome]], ax: Axes | None = None) -> Axes:
    """Axes with a grid: one row per provider change, one column per reader, each cell ok or why not.

    ``outcomes[change][reader]`` is what that reader made of the changed document (lesson 09, section 3).

    Examples:
        >>> from matplotlib.figure import Figure
        >>> table = {"add field": {"strict": Outcome(False, (("extra_forbidden", "gift_wrap"),)),
        ...                        "tolerant": Outcome(True)}}
        >>> ax = plot_reader_outcomes(table, ax=Figure().add_subplot())
        >>> [text.get_text() for text in ax.texts]
        ['extra_forbidden\\ngift_wrap', 'ok']
    """
    changes = list(outcomes)
    if not changes:
        raise ValueError("outcomes must hold at least one change, got an empty mapping")
    readers = list(outcomes[changes[0]])
    if not readers or any(list(row) != readers for row in outcomes.values()):
        raise ValueError(f"every change must have an outcome for the same readers {readers}")
    ax = new_axes(ax, (1.8 + 1.7 * len(readers), 0.6 + 0.55 * len(changes)))
    for row, change in enumerate(changes):
        for column, name in enumerate(readers):
            outcome = outcomes[change][name]
            words = ["ok"] if outcome.ok else outcome.text.split(" ", 1)
            _cell(ax, column, row, outcome.ok, words, gid="cell")
    ax.set_xlim(-0.5, len(readers) - 0.5)
    ax.set_ylim(len(changes) - 0.5, -0.5)
    ax.set_xticks(range(len(readers)), readers)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(changes)), changes)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax


def _percent_axis(ax: Axes, which: str) -> None:
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))


def plot_big_bang(measured: Mapping[tuple[Fraction, Fraction], Fraction], ax: Axes | None = None) -> Axes:
    """Axes with the measured share of failed requests against p, one colour per c, and c(1-p)+(1-c)p.

    ``measured[p, c]`` is the share that failed with a share p of providers and c of
    consumers on the new version (lesson 09, section 5).

    Examples:
        >>> from matplotlib.figure import Figure
        >>> half = Fraction(1, 2)
        >>> ax = plot_big_bang({(Fraction(0), half): half, (half, half): half}, ax=Figure().add_subplot())
        >>> len(ax.lines)
        2
    """
    if not measured:
        raise ValueError("measured must hold at least one (p, c) point, got an empty mapping")
    ax = new_axes(ax, (5.0, 3.5))
    grid = np.linspace(0.0, 1.0, 101)
    consumer_shares = sorted({c for _, c in measured})
    for index, c in enumerate(consumer_shares):
        style = STYLE_CYCLE[index % len(STYLE_CYCLE)]
        points = sorted((p, share) for (p, cc), share in measured.items() if cc == c)
        ax.plot(grid, [big_bang_failure_rate(float(p), float(c)) for p in grid], color=style.color,
                linestyle="--", linewidth=1.0)  # fmt: skip
        ax.plot([float(p) for p, _ in points], [float(s) for _, s in points], color=style.color, linestyle="none",
                marker="o", label=f"c = {float(c):.0%}")  # fmt: skip
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.03, 1.03)
    _percent_axis(ax, "x")
    _percent_axis(ax, "y")
    ax.set_xlabel("providers on v2 (p)")
    ax.set_ylabel("requests that failed")
    ax.set_title("Big bang: measured (dots), c(1\u2212p) + (1\u2212c)p (dashed)", fontsize="medium")
    ax.legend(fontsize="small", title="consumers on v2", title_fontsize="small")
    return ax


def plot_plan_replay(shares: Mapping[str, Sequence[Fraction]], ax: Axes | None = None) -> Axes:
    """Axes with the share of failed requests after each step of each plan (lesson 09, section 5).

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_plan_replay({"big bang": [Fraction(1, 2), Fraction(0)]}, ax=Figure().add_subplot())
        >>> [line.get_label() for line in ax.lines]
        ['big bang']
    """
    if not shares or any(len(steps) == 0 for steps in shares.values()):
        raise ValueError(f"shares must map each plan to a non-empty list of shares, got {dict(shares)!r}")
    ax = new_axes(ax, (6.0, 3.0))
    for index, (name, steps) in enumerate(shares.items()):
        style = STYLE_CYCLE[index % len(STYLE_CYCLE)]
        x = np.arange(1, len(steps) + 1)
        ax.step(x, [float(s) for s in steps], where="mid", color=style.color, linestyle=style.linestyle,
                linewidth=style.linewidth, marker="o", markersize=4, label=name)  # fmt: skip
    ax.set_ylim(-0.03, 1.03)
    _percent_axis(ax, "y")
    ax.set_xlabel("step of the plan (one deploy each)")
    ax.set_ylabel("requests that failed")
    ax.legend(fontsize="small")
    return ax


# --- the rollout explorer's panels ------------------------------------------------------------------

_VERSIONS = ("old", "new")


def frame_matrix(ax: Axes) -> Axes:
    """The frame of the 2x2 compatibility matrix: consumers down, providers across."""
    ax.set_xlim(-0.5, 1.5)
    ax.set_ylim(1.5, -0.5)
    ax.set_xticks([0, 1], ["old provider", "new provider"], fontsize="small")
    ax.set_yticks([0, 1], ["old\nconsumer", "new\nconsumer"], fontsize="small")
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax


def draw_matrix(
    matrix: Sequence[Sequence[Outcome]], shares: Sequence[Sequence[float]], ax: Axes, title: str = ""
) -> Axes:
    """Each (consumer, provider) cell green or red, with its share of the traffic and why it fails.

    One line per cell ("35% · reads it", "15% · missing price"): the explorer redraws these
    on every move, and matplotlib's cost is per line of text.
    """
    if len(matrix) != 2 or any(len(row) != 2 for row in matrix) or len(shares) != 2:
        raise ValueError("matrix and shares must be 2x2: [consumer old/new][provider old/new]")
    for row in range(2):
        for column in range(2):
            outcome = matrix[row][column]
            kind, field = outcome.errors[0] if outcome.errors else ("", "")
            why = "reads it" if outcome.ok else f"{kind.split('_')[0]} {field}"
            _cell(ax, column, row, outcome.ok, [f"{shares[row][column]:.0%} \u00b7 {why}"], gid="matrix")
    if title:
        ax.set_title(title, fontsize="medium", y=1.12)
    return ax


def frame_rollout(ax: Axes) -> Axes:
    """The frame of the rollout panel: 0-100% on both axes, labels, the strategies' legend."""
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.0)
    _percent_axis(ax, "x")
    _percent_axis(ax, "y")
    ax.tick_params(labelsize="small")
    ax.set_xlabel("providers upgraded (p)", fontsize="small")
    ax.set_ylabel("requests that fail", fontsize="small")
    ax.set_title("Requests that fail as providers upgrade", fontsize="medium")
    handles = [Line2D([], [], color=style.color, linestyle=style.linestyle, linewidth=style.linewidth,
                      label=name.replace("-", "\u2013")) for name, style in STRATEGY_STYLES.items()]  # fmt: skip
    # Below the axes, where no curve can run under it.
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, fontsize="small",
              frameon=False, handlelength=1.5, columnspacing=1.0)  # fmt: skip
    return ax


def draw_rollout(
    curves: Mapping[str, Sequence[float]], p: float, current: str, ax: Axes, grid: Sequence[float] | None = None
) -> Axes:
    """Each strategy's failure share against p (the ``current`` one thicker) and a dot at ``p``."""
    if current not in curves:
        raise ValueError(f"current must be one of {list(curves)}, got {current!r}")
    x = np.linspace(0.0, 1.0, len(next(iter(curves.values())))) if grid is None else np.asarray(grid)
    for name, values in curves.items():
        style = STRATEGY_STYLES[name]
        width = style.linewidth * (1.8 if name == current else 0.8)
        ax.add_line(Line2D(x, values, color=style.color, linestyle=style.linestyle, linewidth=width,
                           alpha=1.0 if name == current else 0.6, gid=name))  # fmt: skip
    at = float(np.interp(p, x, curves[current]))
    ax.add_line(Line2D([p], [at], marker="o", markersize=8, color=STRATEGY_STYLES[current].color,
                       markeredgecolor="black", gid="now"))  # fmt: skip
    return ax
