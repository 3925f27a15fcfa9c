"""The IPC explorer of lesson 01: what its status line and its dots say, against the model.

What every explorer must do (render, move every control, redraw fast and right, reject bad
settings) is checked for all of them in tests/kit/test_explorers.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers.ipc.explorer import IpcExplorer
from helpers.ipc.model import CallGraph, percentile_ms, simulate
from helpers.text import ms_text


@pytest.fixture
def explorer() -> IpcExplorer:
    return IpcExplorer()


def test_the_status_states_the_simulated_numbers_of_the_default_graph(explorer: IpcExplorer) -> None:
    graph = CallGraph()
    assert explorer.graph == graph
    result = simulate(graph, np.random.default_rng(42), requests=10_000)
    status = explorer.status.value
    assert "13 calls: 3 in the chain + 10 backends" in status
    assert f"answered <b>{result.sync_availability:.2%}</b> (A<sup>N</sup> = {graph.sync_availability:.2%})" in status
    assert f"{result.slow.mean():.1%} met a slow call" in status
    assert f"accepted <b>{result.async_availability:.2%}</b>" in status
    for latencies in (result.sync_ms, result.ack_ms, result.done_ms):
        assert f"median {ms_text(percentile_ms(latencies, 50))}, p99 {ms_text(percentile_ms(latencies, 99))}" in status


def test_the_sync_chain_fails_where_async_still_accepts(explorer: IpcExplorer) -> None:
    explorer.controls["availability"].value = 0.9
    explorer.controls["hops"].value = 10
    explorer.controls["fan_out"].value = 100
    status = explorer.status.value
    assert "answered <b>0.00%</b>" in status
    accepted = float(status.split("accepted <b>")[1].split("%")[0])
    assert 88.0 < accepted < 92.0


def test_the_simulated_dots_sit_at_the_current_call_count(explorer: IpcExplorer) -> None:
    explorer.controls["fan_out"].value = 50
    risk_ax = explorer.panels.axes[1]
    (dot,) = [line for line in risk_ax.lines if line.get_gid() == "measured-slow"]
    assert dot.get_xdata()[0] == 53
    assert "53 calls: 3 in the chain + 50 backends" in explorer.status.value


def test_the_labels_read_as_percentages_and_milliseconds() -> None:
    labels = {control.name: control.labels for control in IpcExplorer.CONTROLS}
    assert labels["availability"] == ["90%", "99%", "99.5%", "99.9%", "99.99%"]
    assert labels["slow_probability"][:4] == ["0%", "0.1%", "0.5%", "1%"]
    assert labels["hop_latency_ms"][0] == "1 ms"
