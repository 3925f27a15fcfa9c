"""The IPC explorer of lesson 01: latency and availability of a synchronous chain against events."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import NDArray

from helpers.explorer import Control, Explorer
from helpers.ipc.model import CallGraph, percentile_ms, simulate
from helpers.ipc.plots import draw_fan_out_risk, draw_latency_ccdf, frame_fan_out_risk, frame_latency_ccdf
from helpers.panels import Panel
from helpers.text import ms_text, percent_label

__all__ = ["IpcExplorer", "explore_ipc"]

HOP_LATENCY_CHOICES_MS = (1, 2, 5, 10, 20, 50, 100)
"""Mean latency of one call, in ms, that the IPC explorer offers."""

AVAILABILITY_CHOICES = (0.9, 0.99, 0.995, 0.999, 0.9999)
"""Availability of each service that the IPC explorer offers."""

FAN_OUT_CHOICES = (0, 1, 2, 5, 10, 20, 50, 100)
"""Numbers of backends the last service calls in parallel."""

SLOW_PROBABILITY_CHOICES = (0.0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1)
"""Probability that one call is slow (10 times its usual latency)."""

SIMULATED_REQUESTS = 10_000
"""Requests simulated per setting: enough to see a 0.1% tail."""

SIMULATION_SEED = 42
"""Seed of every simulation: the same setting always gives the same picture."""

SERIES = ("sync (answer)", "async (broker ack)", "async (work done)")
"""The latency tail's curves, in order: the synchronous caller, the asynchronous caller, the work."""


@dataclass(frozen=True, eq=False)
class _Outcome:
    """What the explorer shows for one call graph: each series' latencies in ascending order, and the status."""

    latencies_ms: dict[str, NDArray[np.float64]]
    slow: float
    down: float
    status: str


# Slider moves revisit the same settings, so each one is simulated, sorted and described
# once: a move back costs only the drawing.
@lru_cache(maxsize=64)
def _outcome(graph: CallGraph) -> _Outcome:
    # A fresh generator with one seed per setting: moving a slider and back redraws the
    # same picture, and neighbouring settings share their random draws, so curves move
    # smoothly instead of jittering.
    result = simulate(graph, np.random.default_rng(SIMULATION_SEED), requests=SIMULATED_REQUESTS)
    ordered = {}
    for name, values in zip(SERIES, (result.sync_ms, result.ack_ms, result.done_ms), strict=True):
        ordered[name] = np.sort(values)  # sorted once: the curves and the percentiles below reuse it
        ordered[name].flags.writeable = False
    sync, ack, done = (ordered[name] for name in SERIES)
    slow, down = float(result.slow.mean()), float(result.down.mean())

    def p50_p99(values: NDArray[np.float64]) -> str:
        return f"median {ms_text(percentile_ms(values, 50))}, p99 {ms_text(percentile_ms(values, 99))}"

    status = (
        f"<b>Synchronous</b> ({graph.calls} calls: {graph.hops} in the chain + {graph.fan_out} backends): "
        f"{p50_p99(sync)}; answered <b>{result.sync_availability:.2%}</b> "
        f"(A<sup>N</sup> = {graph.sync_availability:.2%}); {slow:.1%} met a slow call "
        f"(1 &minus; (1 &minus; p)<sup>N</sup> = {graph.sync_slow_probability:.1%}).<br>"
        f"<b>Asynchronous</b>: the caller waits for the broker only: {p50_p99(ack)}; "
        f"accepted <b>{result.async_availability:.2%}</b>. The work itself finishes later: {p50_p99(done)}."
    )
    return _Outcome(ordered, slow, down, status)


def _graph(
    hops: float, hop_latency_ms: float, availability: float, fan_out: float, slow_probability: float
) -> CallGraph:
    return CallGraph(hops=int(hops), hop_latency_ms=float(hop_latency_ms), availability=float(availability),
                     fan_out=int(fan_out), slow_probability=float(slow_probability))  # fmt: skip


class IpcExplorer(Explorer):
    """Explorer for lesson 01: latency and availability of a synchronous chain against events (lesson 01, "Explore").

    Five sliders set a request's call graph (services in the chain, latency per call,
    availability per service, backends in the fan-out, share of slow calls). The figure
    shows (a) the share of requests not finished by each time, for the synchronous
    caller, the asynchronous caller (the broker's ack) and the asynchronous work, and
    (b) the chance of meeting a slow or a down call against the number of calls waited
    on, with the simulated values at the current setting. A status line gives the numbers.

    Examples:
        >>> explorer = IpcExplorer()
        >>> explorer.image.value[:4] == b"\\x89PNG"
        True
        >>> explorer.controls["fan_out"].value = 100
        >>> "103 calls" in explorer.status.value
        True
    """

    CONTROLS = (
        Control("hops", "services in the chain", tuple(range(1, 11)), 3),
        Control("hop_latency_ms", "latency per call", HOP_LATENCY_CHOICES_MS, 10, format="{} ms".format),
        Control("availability", "availability per service", AVAILABILITY_CHOICES, 0.999, format=percent_label),
        Control("fan_out", "backends (fan-out)", FAN_OUT_CHOICES, 10, format=str),
        Control("slow_probability", "slow calls (p)", SLOW_PROBABILITY_CHOICES, 0.01, format=percent_label),
    )
    FIGSIZE = (11.0, 4.0)
    # Fixed axes, titles and legends (below the axes, where no curve goes): only the curves
    # and dots change from one move to the next.
    PANELS = (Panel((0.07, 0.27, 0.40, 0.64)), Panel((0.57, 0.27, 0.40, 0.64)))
    CAPTION = (
        f"Each setting simulates {SIMULATED_REQUESTS:,} requests. A request passes through the chain's services one "
        "after the other, then the last one calls the backends in parallel; every service is up with the chosen "
        "availability and every call is slow (10&times;) with probability p. <b>Left:</b> the share of requests not "
        "finished x ms after they were sent. <i>sync</i>: the caller waits for the whole chain, and a request that "
        "met a down part never finishes, so the curve levels off at the failure rate. <i>async ack</i>: the caller "
        "waits only for the broker to accept its event. <i>async done</i>: the same work, done by consumers; a part "
        "that was down delays it by a 1 s redelivery instead of failing it. <b>Right:</b> the chance that a request "
        "waiting on N calls meets a slow one or a down one, against N; the dots are the simulation at the current N "
        "(hops + backends)."
    )

    @property
    def graph(self) -> CallGraph:
        """The call graph the controls describe."""
        return _graph(**self.settings)

    def frame(self, tail_ax: Axes, risk_ax: Axes) -> None:
        frame_latency_ccdf(tail_ax, SERIES)
        frame_fan_out_risk(risk_ax)

    def draw(self, tail_ax: Axes, risk_ax: Axes, **settings: float) -> str:
        graph = _graph(**settings)
        outcome = _outcome(graph)
        draw_latency_ccdf(outcome.latencies_ms, ax=tail_ax)
        draw_fan_out_risk(graph.slow_probability, graph.availability, graph.calls,
                          measured={"slow": outcome.slow, "down": outcome.down}, ax=risk_ax)  # fmt: skip
        return outcome.status


def explore_ipc() -> IpcExplorer:
    """IPC explorer for lesson 01 at its default settings: a notebook cell's one line (lesson 01, "Explore").

    Examples:
        >>> explore_ipc().controls["hops"].value
        3
    """
    return IpcExplorer()
