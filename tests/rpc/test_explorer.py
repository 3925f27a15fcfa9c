"""The RPC explorer of lesson 02: what its status line and its dots say, against the model.

What every explorer must do (render, move every control, redraw fast and right, reject bad
settings) is checked for all of them in tests/kit/test_explorers.py.
"""

from __future__ import annotations

import pytest

from helpers.rpc.explorer import RpcExplorer, explore_rpc
from helpers.rpc.model import encoded_sizes


@pytest.fixture
def explorer() -> RpcExplorer:
    return RpcExplorer()


@pytest.mark.parametrize("items", [10, 1000])
def test_the_status_states_the_measured_sizes(explorer: RpcExplorer, items: int) -> None:
    explorer.controls["items"].value = items
    sizes = encoded_sizes(items)
    status = explorer.status.value
    assert f"<b>{items:,} line items</b>: JSON {sizes['JSON']:,} B" in status
    assert f"protobuf <b>{sizes['protobuf']:,} B</b>" in status
    assert f"XML-RPC {sizes['XML-RPC']:,} B" in status
    dots = [line for line in explorer.panels.axes[0].lines if line.get_gid() == "current-size"]
    assert [float(dot.get_ydata()[0]) for dot in dots] == [sizes[name] for name in ("JSON", "protobuf", "XML-RPC")]


def test_chatty_calls_cost_n_round_trips(explorer: RpcExplorer) -> None:
    explorer.controls["rtt_ms"].value = 10
    explorer.controls["calls"].value = 1000
    status = explorer.status.value
    # r = 10 ms of network plus the 0.6 ms loopback call: 1,000 calls take 10.6 s, one batch 10.6 ms.
    assert "N&middot;r = 10.60 s" in status
    assert "r = 11 ms (r = 10.6 ms)" in status
    dots = [line for line in explorer.panels.axes[2].lines if line.get_gid() == "current-rtt"]
    assert [float(dot.get_ydata()[0]) for dot in dots] == pytest.approx([10_600.0, 10.6])


def test_the_explorer_uses_the_calibration_it_is_given() -> None:
    explorer = explore_rpc(local_us=0.05, loopback_us=250.0)
    assert (explorer.local_us, explorer.loopback_us) == (0.05, 250.0)
    assert explorer.settings == {"items": 10, "rtt_ms": 0.5, "calls": 10}
    assert "(r = 0.75 ms)" in explorer.status.value  # the 0.5 ms round trip plus the 250 µs loopback call


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"local_us": 0.0}, "local_us must be a measured time in µs, above 0 and below 1 s, got 0.0"),
        ({"loopback_us": float("nan")}, "loopback_us must be"),
        ({"loopback_us": True}, "got True"),
    ],
)
def test_the_explorer_refuses_a_calibration_that_is_no_time(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RpcExplorer(**kwargs)


def test_the_labels_read_as_counts_and_milliseconds() -> None:
    labels = {control.name: control.labels for control in RpcExplorer.CONTROLS}
    assert labels["items"][0] == "1"
    assert labels["rtt_ms"][-1] == "150 ms"
    assert labels["calls"][-1] == "1,000"
