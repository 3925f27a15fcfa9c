"""Figures of lesson 11: how long a canary must run, and one simulated canary analysed look by look.

Each figure the explorer redraws comes as ``frame_*`` (titles, limits, axes: drawn once) and
``draw_*`` (the data); ``plot_*`` is the two together, for a lesson cell.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import NDArray

from helpers import checks
from helpers.figures import STYLE_CYCLE, new_axes
from helpers.testing.model import CanaryRun, canary_sample_size, time_to_decision_s, wilson_interval

__all__ = [
    "BAD_LIMITS",
    "SHARES",
    "draw_bad_requests",
    "draw_decision_time",
    "draw_run",
    "frame_bad_requests",
    "frame_decision_time",
    "frame_run",
    "plot_bad_requests",
    "plot_decision_time",
    "plot_run",
    "run_bands",
]

SHARES: NDArray[np.float64] = np.geomspace(0.005, 0.5, 41)
"""Canary shares the time-to-decision curve is drawn at: 0.5% to 50%, evenly on a log scale."""

RATE_LIMIT = 8.0
"""Top of the run panel's y axis, in multiples of the baseline error rate."""


def frame_decision_time(ax: Axes) -> None:
    """The fixed parts of the time-to-decision panel (lesson 11, section 5)."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(SHARES[0], SHARES[-1])
    ax.set_ylim(0.01, 1e5)
    ax.set_xticks([0.005, 0.01, 0.05, 0.1, 0.5], ["0.5%", "1%", "5%", "10%", "50%"])
    ax.set_yticks([0.01, 1, 60, 1440, 43_200], ["0.6 s", "1 min", "1 h", "1 day", "30 days"])
    ax.minorticks_off()
    ax.set_xlabel("canary share of traffic")
    ax.set_title("time until both arms have n requests", fontsize=10)
    ax.grid(True, alpha=0.3)


def decision_minutes(
    n_per_arm: int, requests_per_s: float, shares: NDArray[np.float64] = SHARES
) -> NDArray[np.float64]:
    """Minutes to collect ``n_per_arm`` requests in the smaller arm, at each canary share."""
    n = checks.count("n_per_arm", n_per_arm)
    rate = checks.positive("requests_per_s", requests_per_s)
    return np.asarray(n / (np.minimum(shares, 1.0 - shares) * rate) / 60.0, dtype=np.float64)


def draw_decision_time(ax: Axes, n_per_arm: int, requests_per_s: float, share: float) -> None:
    """The curve of minutes to decision against canary share, and the current share marked."""
    minutes = decision_minutes(n_per_arm, requests_per_s)
    ax.add_line(STYLE_CYCLE[0].line(SHARES, np.clip(minutes, 0.01, 1e5)))
    here = time_to_decision_s(n_per_arm, share, requests_per_s) / 60.0
    ax.plot([share], [min(max(here, 0.01), 1e5)], "o", color=STYLE_CYCLE[1].color, markersize=8, zorder=3)


def plot_decision_time(
    p_control: float, p_canary: float, requests_per_s: float, share: float, alpha: float = 0.05, ax: Axes | None = None
) -> Axes:
    """Minutes to a decision against canary share, for one pair of error rates (lesson 11, section 5).

    Examples:
        >>> ax = plot_decision_time(0.001, 0.002, 1_000, 0.05)
        >>> len(ax.lines)
        2
    """
    ax = new_axes(ax, (5.0, 3.5))
    frame_decision_time(ax)
    draw_decision_time(ax, canary_sample_size(p_control, p_canary, alpha), requests_per_s, share)
    return ax


def frame_run(ax: Axes) -> None:
    """The fixed parts of the one-run panel: share of the planned requests against error rate ÷ baseline."""
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(-0.25, RATE_LIMIT + 0.25)  # a margin: data clipped to [0, RATE_LIMIT] never touches a spine
    ax.set_xlabel("share of the planned requests per arm")
    ax.set_ylabel("error rate ÷ baseline")
    # No legend or reference line in the frame: the data would be drawn over them (see helpers.panels).
    ax.set_title("one run, with 95% intervals", fontsize=10)


def run_bands(run: CanaryRun) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Wilson 95% bands of each look: arrays (2 arms, 3 rows: rate, low, high, looks) for control and canary."""
    bands = np.empty((2, 3, run.requests.size))
    for arm, errors in enumerate((run.control_errors, run.canary_errors)):
        for look, (k, n) in enumerate(zip(errors, run.requests, strict=True)):
            low, high = wilson_interval(int(k), int(n))
            bands[arm, :, look] = (k / n, low, high)
    return bands[0], bands[1]


def draw_run(ax: Axes, run: CanaryRun, baseline: float) -> None:
    """Both arms' error rates (÷ ``baseline``) with their bands, and the look where the analysis stopped."""
    base = checks.number("baseline", baseline, 0.0, 1.0, low_open=True, high_open=True)
    x = run.requests / run.requests[-1]
    # the baseline, kept off the spines (a spine redrawn over it would blend differently)
    ax.plot([0.005, 0.995], [1.0, 1.0], color="#999999", linewidth=0.8, linestyle=":", zorder=0.5)
    for style, (rate, low, high) in zip(STYLE_CYCLE, run_bands(run), strict=False):
        ax.fill_between(x, np.minimum(low / base, RATE_LIMIT), np.minimum(high / base, RATE_LIMIT),
                        color=style.color, alpha=0.18, linewidth=0)  # fmt: skip
        ax.add_line(style.line(x, np.minimum(rate / base, RATE_LIMIT)))
    color = "#c0392b" if run.rolled_back else "#2e7d32"
    ax.axvline(x[run.decided_at], color=color, linewidth=1.5, linestyle="--")


def plot_run(run: CanaryRun, baseline: float, ax: Axes | None = None) -> Axes:
    """One simulated canary, look by look (lesson 11, section 6).

    Examples:
        >>> from helpers.testing.model import simulate_canary_run
        >>> run = simulate_canary_run(0.01, 0.02, 2_316, np.random.default_rng(0))
        >>> len(plot_run(run, 0.01).lines)
        4
    """
    ax = new_axes(ax, (5.0, 3.5))
    frame_run(ax)
    draw_run(ax, run, baseline)
    return ax


BAD_LIMITS = (0.5, 3e5)
"""The bad-requests panel's y range (log scale): a count below 1 is drawn at its floor."""


def frame_bad_requests(ax: Axes) -> None:
    """The fixed parts of the bad-requests panel: failed requests served by each arm, up to the decision."""
    ax.set_xlim(0.0, 1.0)
    ax.set_yscale("log")
    ax.set_ylim(*BAD_LIMITS)
    ax.set_yticks([1, 10, 100, 1_000, 10_000, 100_000], ["1", "10", "100", "1k", "10k", "100k"])
    ax.minorticks_off()
    ax.set_xlabel("share of the planned requests per arm")
    ax.set_ylabel("failed requests served")
    ax.set_title("bad requests served until decided", fontsize=10)
    ax.grid(True, alpha=0.3)


def draw_bad_requests(ax: Axes, run: CanaryRun) -> None:
    """Each arm's failed requests so far, solid up to the decision and faint after it, the decision marked.

    The canary's count at the decision is what its users met before anyone could act on
    the data; looks after it are requests the run never served (lesson 11, section 6).
    """
    x = run.requests / run.requests[-1]
    stop = run.decided_at + 1
    low, high = BAD_LIMITS
    for style, errors in zip(STYLE_CYCLE, (run.control_errors, run.canary_errors), strict=False):
        counts = np.clip(errors.astype(np.float64), low * 1.02, high / 1.02)
        ax.add_line(style.line(x[:stop], counts[:stop]))
        if stop < x.size:
            ax.plot(x[stop - 1 :], counts[stop - 1 :], color=style.color, alpha=0.25, linewidth=1.2)
    color = "#c0392b" if run.rolled_back else "#2e7d32"
    served = float(np.clip(run.canary_errors[run.decided_at], low * 1.02, high / 1.02))
    ax.plot([x[run.decided_at]], [served], "o", color=color, markersize=7, zorder=3)


def plot_bad_requests(run: CanaryRun, ax: Axes | None = None) -> Axes:
    """Failed requests each arm served up to the decision of one simulated canary (lesson 11, section 6).

    Examples:
        >>> from helpers.testing.model import simulate_canary_run
        >>> ax = plot_bad_requests(simulate_canary_run(0.01, 0.05, 2_000, np.random.default_rng(1)))
        >>> len(ax.lines)
        3
    """
    ax = new_axes(ax, (5.0, 3.5))
    frame_bad_requests(ax)
    draw_bad_requests(ax, run)
    return ax
