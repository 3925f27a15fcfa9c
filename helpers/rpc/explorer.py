"""The RPC explorer of lesson 02: what a remote call costs in bytes, in time, and when a task makes many."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import NDArray

from helpers import checks
from helpers.explorer import Control, Explorer
from helpers.panels import Panel
from helpers.rpc.model import ENCODINGS, batched_ms, chatty_ms, encoded_sizes, latency_model_us
from helpers.rpc.plots import (
    draw_call_latency,
    draw_chatty_vs_batched,
    draw_wire_sizes,
    frame_call_latency,
    frame_chatty_vs_batched,
    frame_wire_sizes,
)
from helpers.text import ms_text, us_text

__all__ = ["RpcExplorer", "explore_rpc"]

ITEM_CHOICES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
"""Line items per order that the RPC explorer offers (the message's size)."""

RTT_CHOICES_MS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 150)
"""Network round trips, in ms, that the RPC explorer offers: 0.5 ms is a data centre, 150 ms a continent."""

CALL_COUNT_CHOICES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
"""Numbers of calls a task makes that the RPC explorer offers."""

LOCAL_CALL_US = 0.12
"""Default calibration: a plain Python function call, in µs (a measurement in TOOLCHAIN.md)."""

LOOPBACK_CALL_US = 600.0
"""Default calibration: a gRPC call over loopback, in µs (median of a measurement in TOOLCHAIN.md)."""

LATENCY_SAMPLES = 10_000
"""Modelled calls per latency curve."""

SIMULATION_SEED = 42
"""Seed of every latency model: the same setting always gives the same picture."""

CALL_KINDS = ("local call", "remote, loopback", "remote, network")
"""The call-time chart's curves, in order."""


@lru_cache(maxsize=4)
def _wire_size_table() -> dict[str, list[int]]:
    table = [encoded_sizes(items) for items in ITEM_CHOICES]
    return {name: [row[name] for row in table] for name in ENCODINGS}


@lru_cache(maxsize=64)
def _latency_samples(median_us: float, rtt_ms: float) -> tuple[NDArray[np.float64], float]:
    """Modelled call times in ascending order (sorted once, for every redraw), and their median."""
    # One seed for every setting: the curves move smoothly as the round trip changes.
    samples = latency_model_us(median_us, np.random.default_rng(SIMULATION_SEED), LATENCY_SAMPLES, rtt_ms=rtt_ms)
    median = float(np.median(samples))
    samples.sort()
    samples.flags.writeable = False
    return samples, median


class RpcExplorer(Explorer):
    """Explorer for lesson 02: what a remote call costs in bytes, in time, and in round trips (lesson 02, "Explore").

    Three sliders: line items in the order (message size), the network round trip, and
    the number of calls a task makes. The figure shows (a) bytes on the wire for JSON,
    protobuf and XML-RPC against the message size, (b) the spread of call times for a
    local call, a loopback remote call and a remote call across the network, and (c) N
    calls one by one against one batched call, against the round trip.

    ``local_us`` and ``loopback_us`` calibrate the latency model: pass the medians the
    lesson measured (the defaults are an earlier measurement).

    Examples:
        >>> explorer = RpcExplorer()
        >>> explorer.image.value[:4] == b"\\x89PNG"
        True
        >>> explorer.controls["calls"].value = 100
        >>> "100 calls one by one" in explorer.status.value
        True
    """

    CONTROLS = (
        Control("items", "line items", ITEM_CHOICES, 10, format="{:,}".format),
        Control("rtt_ms", "network round trip", RTT_CHOICES_MS, 0.5, format="{:g} ms".format),
        Control("calls", "calls per task (N)", CALL_COUNT_CHOICES, 10, format="{:,}".format),
    )
    FIGSIZE = (11.0, 4.0)
    # All three panels have fixed axes, titles and legends (below the axes).
    PANELS = (
        Panel((0.06, 0.27, 0.26, 0.64)),
        Panel((0.39, 0.27, 0.26, 0.64)),
        Panel((0.72, 0.27, 0.26, 0.64)),
    )
    CAPTION = (
        "<b>Left:</b> bytes of the same order in JSON, protobuf and XML-RPC, measured with the real encoders; "
        "the dots are the current order. <b>Middle:</b> the share of calls finished within x for a local function "
        "call, a remote call over loopback (both calibrated by the measurements you pass in, with a lognormal "
        "spread), and the same remote call across a network with the chosen round trip. <b>Right:</b> the time a "
        "task needs for N calls made one after the other, each paying a round trip r (here the chosen network "
        "round trip plus the loopback call's own cost), against one batched call that pays r once; the dots "
        "are the chosen r."
    )

    def __init__(self, *, local_us: float = LOCAL_CALL_US, loopback_us: float = LOOPBACK_CALL_US,
                 **settings: Any) -> None:  # fmt: skip
        for name, value in (("local_us", local_us), ("loopback_us", loopback_us)):
            if not checks.is_number(value) or not 0 < value < 1e6:  # NaN fails the comparison too
                raise ValueError(f"{name} must be a measured time in µs, above 0 and below 1 s, got {value!r}")
        # Rounded, so that calibrations a hair apart share the cache.
        self.local_us = float(f"{float(local_us):.3g}")
        self.loopback_us = float(f"{float(loopback_us):.3g}")
        super().__init__(**settings)

    def frame(self, size_ax: Axes, latency_ax: Axes, batch_ax: Axes) -> None:
        frame_wire_sizes(size_ax, ENCODINGS)
        frame_call_latency(latency_ax, CALL_KINDS)
        frame_chatty_vs_batched(batch_ax)

    def draw(self, size_ax: Axes, latency_ax: Axes, batch_ax: Axes, *, items: int, rtt_ms: float, calls: int) -> str:
        sizes = _wire_size_table()
        latencies = dict(zip(CALL_KINDS, (
            _latency_samples(self.local_us, 0.0),
            _latency_samples(self.loopback_us, 0.0),
            _latency_samples(self.loopback_us, float(rtt_ms)),
        ), strict=True))  # fmt: skip
        round_trip_ms = rtt_ms + self.loopback_us / 1000
        one_by_one, batched = chatty_ms(calls, round_trip_ms), batched_ms(calls, round_trip_ms)

        draw_wire_sizes(ITEM_CHOICES, sizes, current=items, ax=size_ax)
        draw_call_latency({name: samples for name, (samples, _) in latencies.items()}, ax=latency_ax)
        draw_chatty_vs_batched(calls, rtt_ms=round_trip_ms, ax=batch_ax)

        at = ITEM_CHOICES.index(items)
        size = {name: sizes[name][at] for name in ENCODINGS}
        medians = {name: median for name, (_, median) in latencies.items()}
        return (
            f"<b>{items:,} line items</b>: JSON {size['JSON']:,} B, protobuf <b>{size['protobuf']:,} B</b>, "
            f"XML-RPC {size['XML-RPC']:,} B (XML-RPC is {size['XML-RPC'] / size['protobuf']:.1f}&times; protobuf).<br>"
            f"<b>Median call</b>: local {us_text(medians['local call'])}, remote over loopback "
            f"{us_text(medians['remote, loopback'])} "
            f"({medians['remote, loopback'] / medians['local call']:,.0f}&times;), remote across a "
            f"{rtt_ms:g} ms round trip {us_text(medians['remote, network'])} "
            f"({medians['remote, network'] / medians['local call']:,.0f}&times;).<br>"
            f"<b>{calls:,} calls one by one</b>: N&middot;r = {ms_text(one_by_one)}; "
            f"<b>one batched call</b>: r = {ms_text(batched)} (r = {round_trip_ms:g} ms)."
        )


def explore_rpc(local_us: float = LOCAL_CALL_US, loopback_us: float = LOOPBACK_CALL_US) -> RpcExplorer:
    """RPC explorer for lesson 02, calibrated by measured medians: a notebook cell's one line (lesson 02, "Explore").

    Examples:
        >>> explore_rpc(local_us=0.1, loopback_us=400.0).loopback_us
        400.0
    """
    return RpcExplorer(local_us=local_us, loopback_us=loopback_us)
