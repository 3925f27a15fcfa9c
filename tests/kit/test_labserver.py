"""The course's JupyterLab server sends kernel messages without Nagle's delay (helpers/labserver.py).

The speed itself is a row of ``make bench`` (a kernel round trip through the server's
websocket); these tests check that the connection turns the delay off and that the
learner set-up (postBuild) makes the server use it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

from helpers.labserver import NoDelayKernelConnection


class _Handler:
    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def set_nodelay(self, value: bool) -> None:
        self.calls.append(f"set_nodelay({value})")


def test_the_connection_turns_nagle_off_before_it_connects(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(ZMQChannelsWebsocketConnection, "connect", lambda self: calls.append("connect"))
    connection: Any = NoDelayKernelConnection.__new__(NoDelayKernelConnection)
    connection._trait_values["websocket_handler"] = _Handler(calls)  # no server here: a stand-in handler
    connection.connect()
    assert calls == ["set_nodelay(True)", "connect"]


def test_the_learner_set_up_makes_the_server_use_it() -> None:
    config = json.loads((Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.json").read_text())
    assert config["ServerApp"]["kernel_websocket_connection_class"] == "helpers.labserver.NoDelayKernelConnection"
