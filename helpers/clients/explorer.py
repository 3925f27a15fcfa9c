"""The backoff explorer of lesson 12: clients retrying through an outage, with or without jitter, breaker and budget."""

from __future__ import annotations

from functools import lru_cache

from matplotlib.axes import Axes

from helpers.clients.model import STRATEGIES, Outage, Strategy, simulate_outage
from helpers.clients.plots import (
    draw_breaker,
    draw_completed,
    draw_load,
    frame_breaker,
    frame_completed,
    frame_load,
)
from helpers.explorer import Control, Explorer
from helpers.panels import Panel

__all__ = ["BackoffExplorer", "explore_backoff"]

HORIZON_S = 7.0
"""How long the explorer watches: the longest outage it offers (4 s) and 3 s more."""


@lru_cache(maxsize=256)
def _run(
    strategy: Strategy, clients: int, base_ms: int, cap_ms: int, outage_s: float, breaker: bool, budget: bool
) -> Outage:
    return simulate_outage(strategy, clients, base_s=base_ms / 1000, cap_s=cap_ms / 1000, outage_s=outage_s,
                           horizon_s=HORIZON_S, breaker=breaker, budget=budget, seed=12)  # fmt: skip


class BackoffExplorer(Explorer):
    """Explorer for lesson 12: clients that each send a request a second through an outage of a dependency.

    Controls: how many clients, the backoff's base and cap, how long the dependency is down,
    the jitter strategy, a shared circuit breaker (fail_max 5, reset timeout 0.5 s) and a
    shared 10% retry budget. Panels: calls reaching the dependency per 100 ms (the outage
    shaded), requests completed so far, and the breaker's state strip. The status line gives
    the calls made, how many were wasted on the dead dependency and how many requests gave up.

    Examples:
        >>> explorer = BackoffExplorer()
        >>> "wasted" in explorer.status.value
        True
    """

    CONTROLS = (
        Control("clients", "clients", (20, 50, 100, 200), 100),
        Control("base_ms", "base", (1, 10, 100), 10, format=lambda ms: f"{ms} ms"),
        Control("cap_ms", "cap", (250, 1000, 4000), 1000, format=lambda ms: f"{ms / 1000:g} s"),
        Control("outage_s", "outage", (1.0, 2.0, 4.0), 2.0, format=lambda s: f"{s:g} s"),
        Control("strategy", "jitter", STRATEGIES, "full", kind="toggle"),
        Control("breaker", "circuit breaker", ("off", "on"), "off", kind="toggle"),
        Control("budget", "retry budget", ("off", "on"), "off", kind="toggle"),
    )
    ROWS = (("clients", "outage_s"), ("base_ms", "cap_ms"), ("strategy",), ("breaker", "budget"))
    FIGSIZE = (11.0, 4.0)
    PANELS = (
        Panel((0.06, 0.42, 0.40, 0.48)),
        Panel((0.56, 0.42, 0.40, 0.48)),
        Panel((0.06, 0.14, 0.90, 0.07)),
    )
    CAPTION = (
        "<b>Left:</b> calls that reach the dependency per 100 ms, as a multiple of the normal load (one request a "
        "second per client; dotted: 1x); it is down in the shaded part. <b>Right:</b> requests that succeeded so "
        "far, per client. <b>Strip:</b> the shared circuit "
        "breaker's state (grey: no breaker). Everything is simulated on a seeded generator."
    )

    def frame(self, load_ax: Axes, done_ax: Axes, strip_ax: Axes) -> None:
        frame_load(load_ax, HORIZON_S)
        frame_completed(done_ax, HORIZON_S)
        frame_breaker(strip_ax, HORIZON_S)

    def draw(
        self,
        load_ax: Axes,
        done_ax: Axes,
        strip_ax: Axes,
        *,
        clients: int,
        base_ms: int,
        cap_ms: int,
        outage_s: float,
        strategy: Strategy,
        breaker: str,
        budget: str,
    ) -> str:
        run = _run(strategy, clients, base_ms, cap_ms, outage_s, breaker == "on", budget == "on")
        draw_load(run, outage_s, clients, load_ax, strategy)
        draw_completed(run, clients, done_ax)
        draw_breaker(run, strip_ax, enabled=breaker == "on")
        peak = int(run.offered.max()) * 10
        return (
            f"<b>{run.calls:,}</b> calls reached the dependency, <b>{run.wasted:,}</b> wasted while it was down; "
            f"peak {peak:,} calls/s against {clients:,} requests/s offered; "
            f"{int(run.completed[-1]):,} requests done, {run.gave_up:,} gave up."
        )


def explore_backoff() -> BackoffExplorer:
    """Backoff explorer for lesson 12 at its default settings: a notebook cell's one line (lesson 12, "Explore").

    Examples:
        >>> explore_backoff().controls["strategy"].value
        'full'
    """
    return BackoffExplorer()
