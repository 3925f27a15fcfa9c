"""Tests for helpers.serving: start and stop are idempotent, nothing outlives a with block, errors name the server."""

from __future__ import annotations

import http.client
import os
import socket
import socketserver
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from helpers.serving import BackgroundServer, JoiningHTTPServer, JoiningTCPServer, StartStop, refused_port

HOST = "127.0.0.1"


class _Handler(BaseHTTPRequestHandler):
    """Answers GET /slow after ``server.delay_s``, flagging when it starts and ends."""

    server: _SlowServer

    def do_GET(self) -> None:
        self.server.nodelay.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        self.server.entered.set()
        time.sleep(self.server.delay_s)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        self.server.finished.set()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _SlowServer(JoiningHTTPServer):
    def __init__(self, address: tuple[str, int], delay_s: float) -> None:
        self.delay_s = delay_s
        self.entered = threading.Event()
        self.finished = threading.Event()
        self.nodelay: list[int] = []
        super().__init__(address, _Handler)


class Probe(BackgroundServer):
    """A test server that counts its hooks' calls."""

    _label = "probe"

    def __init__(self, delay_s: float = 0.0) -> None:
        super().__init__()
        self.delay_s = delay_s
        self.built = 0
        self.before_stop_calls = 0
        self.last: _SlowServer | None = None

    def _make_server(self) -> _SlowServer:
        self.built += 1
        self.last = _SlowServer((HOST, self._port), self.delay_s)
        return self.last

    def _thread_name(self) -> str:
        return f"probe-{self._port}"

    def _before_stop(self) -> None:
        self.before_stop_calls += 1


class _LineHandler(socketserver.StreamRequestHandler):
    server: _LineServer

    def handle(self) -> None:
        for line in self.rfile:  # until the client closes
            self.server.owner.received.append(line)


class _LineServer(JoiningTCPServer):
    owner: Lines


class Lines(BackgroundServer):
    """A test TCP server that keeps every line it reads, as lesson 10's log collector does."""

    _label = "lines"

    def __init__(self) -> None:
        super().__init__()
        self.received: list[bytes] = []

    def _make_server(self) -> _LineServer:
        server = _LineServer((HOST, self._port), _LineHandler)
        server.owner = self
        return server

    def _thread_name(self) -> str:
        return f"lines-{self._port}"


def _probe_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("probe-")]


def _refused(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=1.0).close()
    except ConnectionRefusedError:
        return True
    return False


def _get(port: int) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", "/slow")
        return connection.getresponse().status
    finally:
        connection.close()


# --------------------------------------------------------------------------------------------
# Lifecycle
# --------------------------------------------------------------------------------------------


def test_start_returns_the_object_and_serves_in_a_named_daemon_thread() -> None:
    probe = Probe()
    try:
        assert probe.start() is probe
        assert probe.running
        assert _get(probe.port) == 200
        [thread] = _probe_threads()
        assert thread.name == f"probe-{probe.port}"
        assert thread.daemon
    finally:
        probe.stop()


def test_connections_send_without_waiting_for_the_clients_ack() -> None:
    # Headers and body are two writes: with Nagle on, a kept-alive client's delayed ACK costs 40 ms each.
    with Probe() as probe:
        assert _get(probe.port) == 200
    assert probe.last is not None
    assert probe.last.nodelay
    assert all(probe.last.nodelay), probe.last.nodelay


def test_start_and_stop_are_idempotent() -> None:
    probe = Probe()
    probe.stop()  # never started: nothing to do
    assert probe.before_stop_calls == 0
    probe.start()
    port = probe.port
    probe.start()
    assert (probe.built, probe.port, len(_probe_threads())) == (1, port, 1)
    probe.stop()
    probe.stop()
    assert probe.before_stop_calls == 1
    assert not probe.running
    assert _probe_threads() == []


def test_port_before_the_first_start_is_an_error_naming_the_server() -> None:
    with pytest.raises(ValueError, match=r"the probe has no address yet: start it first \(use it in a with block\)"):
        _ = Probe().port


def test_a_stopped_server_keeps_its_port_and_restarts_on_it() -> None:
    with Probe() as probe:
        port = probe.port
    assert probe.port == port
    with probe:
        assert probe.port == port
        assert _get(port) == 200
    assert probe.built == 2


# --------------------------------------------------------------------------------------------
# Nothing outlives the with block
# --------------------------------------------------------------------------------------------


def test_leaving_the_with_block_joins_the_thread_and_closes_the_socket() -> None:
    threads_before = set(threading.enumerate())
    with Probe() as probe:
        port = probe.port
        assert _get(port) == 200
        server = probe.last
    assert server is not None
    assert not probe.running
    assert set(threading.enumerate()) == threads_before
    assert server.socket.fileno() == -1, "server_close() closed the listening socket"
    assert _refused(port)


def test_the_with_block_stops_the_server_when_it_raises() -> None:
    probe = Probe()

    def fail_inside() -> None:
        with probe:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_inside()
    port = probe.port  # kept after the stop
    assert not probe.running
    assert probe.before_stop_calls == 1
    assert _probe_threads() == []
    assert _refused(port)


def test_stop_waits_for_requests_in_flight() -> None:
    statuses: list[int] = []
    with Probe(delay_s=0.2) as probe:
        client = threading.Thread(target=lambda: statuses.append(_get(probe.port)))
        client.start()
        assert probe.last is not None
        assert probe.last.entered.wait(5)
    # stop() returned: the request thread has been joined, so its answer was sent.
    assert probe.last.finished.is_set()
    client.join(5)
    assert statuses == [200]


def _stops_within(server: StartStop, seconds: float) -> bool:
    """Whether ``server.stop()`` returns within ``seconds`` (it goes on in a thread if not)."""
    stopper = threading.Thread(target=server.stop, name="stopper")
    stopper.start()
    stopper.join(seconds)
    return not stopper.is_alive()


# A client that is not ours, on a port the system handed out again: it connects, maybe sends a
# few bytes with no end of line (a ZeroMQ greeting), and waits for an answer that never comes.
STRAYS = {"silent": b"", "binary greeting": b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f"}


@pytest.mark.parametrize("sent", list(STRAYS.values()), ids=list(STRAYS))
def test_a_stray_connection_that_never_sends_a_request_does_not_hold_up_stop(sent: bytes) -> None:
    probe = Probe().start()
    with socket.create_connection((HOST, probe.port), timeout=5) as stray:
        stray.sendall(sent)
        time.sleep(0.1)  # its request thread is now waiting for a request line
        assert _stops_within(probe, 2.0), "stop() waited on a connection that never sent a request"
    assert not _probe_threads()


@pytest.mark.parametrize("sent", list(STRAYS.values()), ids=list(STRAYS))
def test_a_line_server_stops_too_with_a_stray_connection_open(sent: bytes) -> None:
    with Lines() as lines:
        with socket.create_connection((HOST, lines.port), timeout=5) as shipper:
            shipper.sendall(b"one\ntwo\n")
        with socket.create_connection((HOST, lines.port), timeout=5) as stray:
            stray.sendall(sent)
            time.sleep(0.1)
            assert _stops_within(lines, 2.0), "stop() waited on a connection that never ended its line"
    assert lines.received[:2] == [b"one\n", b"two\n"]
    assert not [t for t in threading.enumerate() if t.name.startswith("lines-")]


def test_a_server_that_cannot_be_built_leaves_nothing_running() -> None:
    class Broken(BackgroundServer):
        def _make_server(self) -> JoiningHTTPServer:
            raise OSError("no port for you")

    broken = Broken()
    with pytest.raises(OSError, match="no port for you"), broken:
        pass
    assert not broken.running
    with pytest.raises(ValueError, match="the server has no address yet"):
        _ = broken.port


_ORPHAN = r"""
import functools, signal, subprocess, sys, time
from helpers.serving import die_with_parent
grandchild = r'''
import pathlib, signal, sys, time
mark = pathlib.Path(sys.argv[1])
signal.signal(signal.SIGINT, lambda *_: (mark.write_text("SIGINT"), sys.exit(0)))
print("ready", flush=True)
time.sleep(30)
'''
how = die_with_parent if sys.argv[2] == "default" else functools.partial(die_with_parent, signal.SIGINT)
child = subprocess.Popen([sys.executable, "-c", grandchild, sys.argv[1]], preexec_fn=how, stdout=subprocess.PIPE)
child.stdout.readline()
print(child.pid, flush=True)
time.sleep(30)
"""


def _gone(pid: int, within_s: float = 5.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().split()
        except OSError:
            return True
        if stat[2] == "Z":
            return True
        time.sleep(0.02)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
@pytest.mark.parametrize(("how", "mark"), [("default", ""), ("sigint", "SIGINT")])
def test_die_with_parent_sends_sigkill_or_the_signal_given(tmp_path: Path, how: str, mark: str) -> None:
    marker = tmp_path / "mark"
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen([sys.executable, "-c", _ORPHAN, str(marker), how], stdout=subprocess.PIPE, text=True,
                              cwd=root, env={**os.environ, "PYTHONPATH": str(root)})  # fmt: skip
    assert parent.stdout is not None
    pid = int(parent.stdout.readline())
    parent.kill()  # as a crashed kernel: no cleanup runs in the parent
    parent.wait()
    parent.stdout.close()
    assert _gone(pid), f"the child {pid} outlived its parent"
    # SIGKILL cannot be caught, so the child writes nothing; SIGINT runs its handler first.
    assert (marker.read_text() if marker.exists() else "") == mark


def _held(port: int) -> bool:
    """Whether some socket holds ``port``: a plain bind to it (no SO_REUSEADDR) is refused."""
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


def test_a_refused_port_refuses_connections_and_no_new_server_gets_it_while_held() -> None:
    with refused_port() as port:
        assert _refused(port)
        with socket.socket() as server:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as every course server does
            with pytest.raises(OSError, match="in use"):
                server.bind((HOST, port))
        assert _held(port)
    assert not _held(port)  # released at the end of the block


def test_a_stopped_server_s_port_can_be_held_though_its_last_connections_are_in_time_wait() -> None:
    with Probe() as probe:
        assert [_get(probe.port) for _ in range(3)] == [200] * 3  # the server usually closes first: TIME_WAIT
    with refused_port(probe.port) as held:
        assert held == probe.port
        assert _refused(held)


@pytest.mark.parametrize("port", [-1, 65_536, 1.5, "80", True])
def test_refused_port_names_a_bad_port(port: object) -> None:
    with pytest.raises(ValueError, match="port"), refused_port(port):  # type: ignore[arg-type]
        pass


def test_refused_port_says_when_the_port_is_taken() -> None:
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen()
        taken = listener.getsockname()[1]
        with pytest.raises(OSError, match=f"port {taken}"), refused_port(taken):
            pass
