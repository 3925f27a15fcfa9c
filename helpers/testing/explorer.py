"""The canary explorer of lesson 11: how long a canary must run, and what one run decides."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib.axes import Axes

from helpers.explorer import Control, Explorer
from helpers.panels import Panel
from helpers.testing.model import (
    CanaryRun,
    canary_plan,
    canary_sample_size,
    simulate_canary_run,
    time_to_decision_s,
)
from helpers.testing.plots import (
    draw_bad_requests,
    draw_decision_time,
    draw_run,
    frame_bad_requests,
    frame_decision_time,
    frame_run,
)

__all__ = ["CanaryExplorer", "explore_canary"]

SEED = 11
"""The seed of the simulated run: the same settings always show the same run."""

ANALYSES = ("fixed horizon", "peeking")
"""Decide once, after the planned requests; or stop at the first look where the canary looks worse."""

LOOKS = 20
"""Analyses per run: one after every 5% of the planned requests."""


@lru_cache(maxsize=256)
def _run(baseline: float, canary: float, n_per_arm: int, alpha: float, peeking: bool) -> CanaryRun:
    return simulate_canary_run(baseline, canary, n_per_arm, np.random.default_rng(SEED), alpha, LOOKS, peeking)


def duration_text(seconds: float) -> str:
    """A duration with one decimal in its largest unit: "45 s", "7.8 min", "1.3 h", "2.1 days"."""
    for unit, size in (("days", 86_400.0), ("h", 3_600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


class CanaryExplorer(Explorer):
    """Explorer for lesson 11: canary share, error rates, traffic, alpha, fixed horizon or peeking.

    Left: minutes until both arms hold the n per arm a two-sided z-test needs (power 0.8),
    against the canary's share of traffic, the current share marked. Middle: one seeded run of
    that canary, both arms' error rates (÷ baseline) with 95% intervals after each 5% of the
    requests, and a dashed line where the analysis stopped (red: rolled back, green:
    promoted). Third: the failed requests each arm served up to that decision (the
    canary's count is the harm its users met before anyone could act). The status line
    gives n, the time to decision and the failed requests the canary served meanwhile.

    Examples:
        >>> explorer = CanaryExplorer()
        >>> explorer.image.value[:4] == b"\\x89PNG"
        True
        >>> "23,508" in explorer.status.value
        True
    """

    CONTROLS = (
        Control("share", "canary share", (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5), 0.05, format="{:.1%}".format),
        Control("baseline", "baseline errors", (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05), 0.001,
                format="{:.2%}".format),
        Control("ratio", "canary errors ÷ baseline", (1.25, 1.5, 2.0, 3.0, 5.0), 2.0, format="x{:g}".format),
        Control("requests_per_s", "requests/s", (100, 300, 1_000, 3_000, 10_000), 1_000, format="{:,}".format),
        Control("alpha", "alpha", (0.01, 0.05, 0.1), 0.05),
        Control("analysis", "analysis", ANALYSES, "fixed horizon", kind="toggle"),
    )  # fmt: skip
    ROWS = (("share", "baseline", "ratio"), ("requests_per_s", "alpha", "analysis"))
    FIGSIZE = (11.0, 4.0)
    PANELS = (
        Panel((0.08, 0.14, 0.245, 0.76)),
        Panel((0.405, 0.14, 0.245, 0.76)),
        Panel((0.735, 0.14, 0.245, 0.76)),
    )
    CAPTION = (
        "<b>Left:</b> time until both arms hold the requests a two-sided z-test needs (power 0.8), against the "
        "canary's share; the dot is the current share. <b>Middle:</b> one seeded run: control (blue) and canary "
        "(orange) error rates ÷ baseline with 95% Wilson intervals after every 5% of the requests; the dashed line "
        "is where the analysis stopped (red: roll back, green: promote). Peeking stops at the first look where the "
        "canary looks worse. <b>Right:</b> failed requests each arm served, up to the decision (the dot): the "
        "canary's count is what its users met before anyone could act; faint lines are requests never served."
    )

    def frame(self, left: Axes, right: Axes, harm: Axes) -> None:
        frame_decision_time(left)
        frame_run(right)
        frame_bad_requests(harm)

    def draw(
        self, left: Axes, right: Axes, harm: Axes, *, share: float, baseline: float, ratio: float, requests_per_s: int,
        alpha: float, analysis: str,
    ) -> str:  # fmt: skip
        canary = baseline * ratio
        n = canary_sample_size(baseline, canary, alpha)
        draw_decision_time(left, n, requests_per_s, share)
        run = _run(baseline, canary, n, alpha, analysis == "peeking")
        draw_run(right, run, baseline)
        draw_bad_requests(harm, run)
        plan = canary_plan(baseline, canary, share, requests_per_s, alpha)
        stopped = int(run.requests[run.decided_at])
        waited = time_to_decision_s(stopped, share, requests_per_s)
        verdict = "roll back" if run.rolled_back else "promote"
        return (
            f"n = <b>{n:,}</b> requests per arm to tell {baseline:.2%} from {canary:.2%} (alpha {alpha:g}, power 0.8): "
            f"<b>{duration_text(plan.time_s)}</b> at a {share:.1%} canary of {requests_per_s:,} req/s, "
            f"serving {plan.bad_requests:,.0f} failed requests ({plan.extra_bad_requests:,.0f} more than the old "
            f"build would). This run: <b>{verdict}</b> after {stopped:,} per arm ({duration_text(waited)}), the canary "
            f"having served <b>{int(run.canary_errors[run.decided_at]):,}</b> failed requests."
        )


def explore_canary() -> CanaryExplorer:
    """The canary explorer of lesson 11, section 6 (one line in the lesson: ``explore_canary()``)."""
    return CanaryExplorer()
