"""The balancing explorer of lesson 05: response times and server loads under each policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from matplotlib.axes import Axes

from helpers.balancing.model import SIMULATED_POLICIES, QueueResult, compare_policies, supermarket_time
from helpers.balancing.plots import draw_policy_latency, draw_server_load, frame_policy_latency, frame_server_load
from helpers.explorer import Control, Explorer
from helpers.panels import Panel

__all__ = ["BalancerExplorer", "explore_balancing"]

LOAD_CHOICES = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)
"""Offered loads λ (share of the total capacity) that the balancing explorer offers."""

SERVER_CHOICES = (2, 3, 4, 6, 8, 10, 15, 20)
"""Numbers of servers behind the balancer in the balancing explorer."""

SPREAD_CHOICES = (1.0, 1.5, 2.0, 3.0, 4.0, 8.0)
"""Fastest server's speed over the slowest one's (1: all alike)."""

REFRESH_CHOICES = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0)
"""How often the balancer's view of the queues is refreshed, in mean job times (0: always fresh)."""

JOBS = 3_000
"""Jobs simulated per setting in the balancing explorer (the first 10% only warm up)."""

SEED = 42
"""The seed of every setting's jobs: the same arrivals for every policy, and the same picture on a return."""

_REFERENCES = ("T₁(λ), random, n → ∞", "T₂(λ), two choices, n → ∞")


@dataclass(frozen=True)
class _Setting:
    """What the explorer shows at one setting: every policy's result, and what the status reads from it."""

    results: Mapping[str, QueueResult]
    times: Mapping[str, tuple[float, float, float]]  # (p50, p99, mean) response time of each policy
    references: Mapping[str, float]  # T₁(λ) and T₂(λ), by legend label


# Slider moves revisit the same few settings, so each is simulated (and summarised) once.
@lru_cache(maxsize=64)
def _setting(load: float, servers: int, spread: float, refresh: float) -> _Setting:
    results = compare_policies(load, servers, spread, JOBS, seed=SEED, refresh_interval=refresh)
    times = {}
    for name, result in results.items():
        p50, p99 = np.percentile(result.response_times, [50, 99])
        times[name] = (float(p50), float(p99), result.mean)
    references = dict(zip(_REFERENCES, (supermarket_time(load, 1), supermarket_time(load, 2)), strict=True))
    return _Setting(results, times, references)


def _refresh_label(every: float) -> str:
    return "fresh" if every == 0 else f"every {every:g}"


def _times_text(times: tuple[float, float, float]) -> str:
    return f"{times[0]:.2f} / {times[1]:.1f} / {times[2]:.2f}"


class BalancerExplorer(Explorer):
    """Explorer of response times and server loads under each balancing policy (lesson 05, "Explore").

    Four sliders (the load λ, the number of servers, the speed spread fastest over
    slowest, how stale the balancer's view of the queues is) and toggle buttons for the
    policy whose per-server load is shown. The figure shows (a) p50, p99 and mean response
    time of every policy on the same jobs, with the supermarket model's T₁(λ) and T₂(λ),
    and (b) how busy each server was under the chosen policy.

    Examples:
        >>> explorer = BalancerExplorer()
        >>> explorer.image.value[:4] == b"\\x89PNG"
        True
        >>> explorer.controls["policy"].value = "random"
        >>> "<b>random</b>" in explorer.status.value
        True
    """

    CONTROLS = (
        Control("load", "load (λ)", LOAD_CHOICES, 0.9, format="{:g}".format),
        Control("servers", "servers", SERVER_CHOICES, 10),
        Control("spread", "fastest / slowest", SPREAD_CHOICES, 1.0, format="{:g}x".format),
        Control("refresh", "load board refreshed", REFRESH_CHOICES, 0.0, format=_refresh_label),
        Control("policy", "policy (right)", SIMULATED_POLICIES, "power-of-two", kind="toggle"),
    )
    FIGSIZE = (11.0, 4.0)
    # Titles, axes and legends never change: the chosen policy is the shaded slot on the left,
    # not a title (a title costs 4 ms a move, as much as the rest of the redraw).
    PANELS = (Panel((0.07, 0.26, 0.55, 0.65)), Panel((0.71, 0.26, 0.27, 0.65)))
    CAPTION = (
        f"Each setting sends the same seeded stream of {JOBS:,} jobs (Poisson arrivals, exponential work of "
        "mean 1) to FIFO servers whose speeds have mean 1, once per policy; the load &lambda; is the arrival rate "
        "over the total capacity. <i>round-robin</i> and <i>random</i> ignore the servers; "
        "<i>weighted-round-robin</i> (smooth, as in nginx) weighs them by speed; <i>least-connections</i> sends each "
        "job to the server with the fewest jobs; <i>power-of-two</i> samples two servers and takes the one with "
        "fewer. Both read the jobs per server from a board refreshed every <i>refresh</i> time units (0: always "
        "fresh): on an old board least-connections herds, sending every job until the next refresh to the server "
        "that looked least loaded, while power-of-two degrades far more slowly but herds mildly too (Mitzenmacher, "
        "2000). <b>Left:</b> p50 and p99 response time (log scale) and the mean (dot); the lines are the "
        "supermarket model's mean times for n &rarr; &infin; equal servers, T<sub>1</sub>(&lambda;) for one random "
        "choice and T<sub>2</sub>(&lambda;) for two; the shaded slot is the chosen policy. <b>Right:</b> the share "
        "of time each server was busy under the chosen policy; red bars could not keep up, and their queues grew "
        "until the simulation stopped."
    )

    @property
    def results(self) -> Mapping[str, QueueResult]:
        """Every policy's simulated result at the current setting."""
        settings = self.settings
        return _setting(settings["load"], settings["servers"], settings["spread"], settings["refresh"]).results

    def frame(self, latency_ax: Axes, load_ax: Axes) -> None:
        frame_policy_latency(latency_ax, SIMULATED_POLICIES, _REFERENCES)
        frame_server_load(load_ax, "Load per server, shaded policy")

    def draw(
        self, latency_ax: Axes, load_ax: Axes, *, load: float, servers: int, spread: float, refresh: float, policy: str
    ) -> str:
        setting = _setting(load, servers, spread, refresh)
        chosen = setting.results[policy]
        draw_policy_latency(setting.times, setting.references, ax=latency_ax, highlight=policy)
        draw_server_load(chosen.busy, chosen.speeds, ax=load_ax)

        t1, t2 = setting.references.values()
        rows = "; ".join(
            (f"<b>{name}</b>" if name == policy else name) + f" {_times_text(times)}"
            for name, times in setting.times.items()
        )
        overloaded = int(np.sum(chosen.busy >= 1.0))
        return (
            f"&lambda; = {load:g}, {servers} servers, fastest/slowest {spread:g}&times;, board "
            f"{'fresh' if refresh == 0 else f'refreshed every {refresh:g}'}. "
            f"p50 / p99 / mean: {rows}. Supermarket model (n &rarr; &infin;): T<sub>1</sub> = {t1:.2f}, "
            f"T<sub>2</sub> = {t2:.2f}.<br><b>{policy}</b>: servers busy from {chosen.busy.min():.0%} to "
            f"{chosen.busy.max():.0%} of the time"
            + (f"; <b>{overloaded}</b> could not keep up." if overloaded else ".")
        )


def explore_balancing() -> BalancerExplorer:
    """Balancing explorer for lesson 05 at its default settings: a notebook cell's one line (lesson 05, "Explore").

    Examples:
        >>> explore_balancing().controls["load"].value
        0.9
    """
    return BalancerExplorer()
