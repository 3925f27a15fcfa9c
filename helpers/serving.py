"""Live servers on 127.0.0.1, each served by a thread and started and stopped by a ``with`` block.

The course's live components (an order API, HTTP services, an authoritative DNS server,
backends, a load balancer, an edge cache, a gateway, an XML-RPC server) share one
lifecycle, written once here:

- ``BackgroundServer``: the base class. A subclass says how to build its
  ``socketserver`` server (``_make_server``) and what to call its thread; the base starts
  it in a daemon thread and stops it cleanly: ``shutdown()``, ``server_close()`` (which
  closes the socket), then the thread is joined.
- ``JoiningHTTPServer`` and ``JoiningTCPServer``: threading servers whose request threads are
  joined by ``server_close()``, so no request outlives its server, with a listen backlog of
  128 (``socketserver``'s default of 5 turns a burst of 20 clients into 1 s SYN retries) and
  no traceback when a client hangs up mid-request. ``server_close()`` first ends every read
  still waiting, so a connection that never sends a whole request cannot hold up a stop.
- ``QuietHandler``: the HTTP handler every live server builds on: no log line per request,
  the request body read once, JSON and RFC 9457 problem responses written in one place.
- ``StartStop``: ``start()``/``stop()`` as a ``with`` block, for servers and groups of them.
- ``loopback_target``: the port and request target of an http://127.0.0.1:PORT/ address, the
  one check every client makes before it connects.
- ``refused_port``: a port where connections are refused and that no new server can get
  while the ``with`` block runs: an instance that has died, for as long as a test calls it.
- ``die_with_parent``: for a server that is a separate program (Prometheus), the
  ``preexec_fn`` that makes the kernel kill it when the Python process that started it dies
  (SIGKILL, or the signal you pass, e.g. SIGINT for PostgreSQL).

A daemon thread, because a server left running (by a widget, or a cell that never reached
the end of its ``with`` block) must never keep a kernel from exiting.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import signal
import socket
import socketserver
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from helpers import checks

__all__ = [
    "HOST",
    "BackgroundServer",
    "JoiningHTTPServer",
    "JoiningTCPServer",
    "QuietHandler",
    "StartStop",
    "die_with_parent",
    "loopback_target",
    "problem",
    "refused_port",
]

HOST = "127.0.0.1"
"""Where every live component listens: loopback only, never a public interface."""

POLL_INTERVAL_S = 0.05
"""How often a serving thread checks for a shutdown request: the longest ``stop()`` waits for it."""


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(signal_number: int = signal.SIGKILL) -> None:
    """Ask Linux to send this process SIGKILL when its parent dies: a ``preexec_fn`` for ``subprocess.Popen``.

    A server the course starts as a separate program (lesson 10's Prometheus) must not
    outlive a kernel that crashes or is restarted before its ``with`` block ends. Linux ties
    the signal to the *thread* that started the child, so start such children from the
    kernel's main thread. Elsewhere than Linux it does nothing (the ``with`` block still
    stops the child).

    Args:
        signal_number: the signal to send instead of SIGKILL, for a server that cleans up
            on a gentler one (PostgreSQL's fast shutdown is SIGINT): pass
            ``functools.partial(die_with_parent, signal.SIGINT)`` as the ``preexec_fn``.

    Examples:
        >>> import functools, signal, subprocess, sys
        >>> subprocess.run([sys.executable, "-c", "print('ok')"], preexec_fn=die_with_parent,
        ...                capture_output=True, text=True).stdout
        'ok\\n'
        >>> subprocess.run([sys.executable, "-c", "print('ok')"], capture_output=True, text=True,
        ...                preexec_fn=functools.partial(die_with_parent, signal.SIGINT)).stdout
        'ok\\n'
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, int(signal_number), 0, 0, 0)


@contextmanager
def refused_port(port: int = 0) -> Iterator[int]:
    """Holds ``port`` on 127.0.0.1 (0: any free one) with a socket that is bound but never listens.

    While the block runs, a connection to the port is refused, as when the process behind it
    has died, and no server started meanwhile (by this process or another) is given the port.
    A server that has merely stopped leaves its port free: a client still calling it (a stale
    DNS answer, a retry) may reach whichever program the system hands that port to next, and
    wait on it. Pass a stopped server's ``port`` to keep calls to it refused. A port its last
    connections still hold in TIME_WAIT is bound with ``SO_REUSEADDR``: then a server that
    names the port explicitly (with the same option) could still take it, but none is
    given it by ``bind(port 0)``. Yields the port.

    Examples:
        >>> with refused_port() as port:
        ...     socket.create_connection((HOST, port), timeout=1)
        Traceback (most recent call last):
        ...
        ConnectionRefusedError: [Errno 111] Connection refused
    """
    wanted = checks.integer("port", port, 0, 65_535)
    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        try:
            held.bind((HOST, wanted))  # without SO_REUSEADDR: no other socket can bind the port at all
        except OSError:
            held.close()  # the port's last connections are in TIME_WAIT: bind over them
            held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                held.bind((HOST, wanted))
            except OSError as error:
                raise OSError(error.errno, f"cannot hold port {wanted} on {HOST}: {error.strerror}") from None
        yield int(held.getsockname()[1])
    finally:
        held.close()


def loopback_target(url: object) -> tuple[int, str]:
    """The port and the request target (path and query) of an http://127.0.0.1:PORT/ address.

    Clients check every address with it before they connect, so none can leave the machine.

    Raises:
        ValueError: ``url`` is not an http://127.0.0.1:PORT/ address (the message names it).

    Examples:
        >>> loopback_target("http://127.0.0.1:8080/orders?page=2")
        (8080, '/orders?page=2')
        >>> loopback_target("http://127.0.0.1:8080")
        (8080, '/')
        >>> loopback_target("http://example.com/")
        Traceback (most recent call last):
        ...
        ValueError: url must be http://127.0.0.1:PORT/..., got 'http://example.com/'
    """
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme != "http" or parts.hostname != HOST or parts.port is None:
        raise ValueError(f"url must be http://{HOST}:PORT/..., got {url!r}")
    return parts.port, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class JoiningTCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """A threading TCP server whose request threads ``server_close()`` joins: nothing outlives it.

    Each connection runs in its own thread (not a daemon), and the listen backlog is 128.
    ``server_close()`` first ends every read still waiting, then joins the threads.

    A connection that never sends a whole request (a client that is not ours, on a port the
    system handed out again, sending a greeting with no end of line and waiting for an answer)
    would keep its thread reading forever, and ``server_close()`` joining it. So
    ``server_close()`` shuts down the reading side of every open connection first: a read
    waiting on it returns end-of-file at once, while a request already being answered can still
    write its response. Errors from connections cut that way are expected and not reported.
    """

    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True
    request_queue_size = 128  # listen backlog: a burst of connections must not overflow it

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._connections: set[Any] = set()
        self._connections_lock = threading.Lock()
        self._closing = False
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        # Runs in the serving thread, so every connection is recorded before shutdown() returns.
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(request)

    def server_close(self) -> None:
        self._closing = True
        with self._connections_lock:
            open_connections = list(self._connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(connection, socket.SHUT_RD)  # the plain socket's, even under TLS
        super().server_close()  # closes the listening socket, then joins the request threads

    @property
    def closing(self) -> bool:
        """Whether ``server_close()`` has begun: a read that ends now may have been cut short by it."""
        return self._closing

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A caller that timed out or hung up closed its connection before the answer: the
        # expected end of a timeout, not an error worth a traceback in the notebook. Nor is a
        # connection cut by server_close().
        if self._closing or isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class JoiningHTTPServer(JoiningTCPServer, ThreadingHTTPServer):
    """A threading HTTP server whose request threads ``server_close()`` joins: nothing outlives it.

    Each request runs in its own thread (not a daemon), and ``server_close()`` waits for
    requests in flight to finish; a connection still waiting to send its request is cut. Its
    connections send at once (``TCP_NODELAY``).
    """

    def get_request(self) -> tuple[socket.socket, Any]:
        # The handler writes the headers and the body separately: with Nagle's algorithm on, the
        # body waits for the client's delayed ACK of the headers, 40 ms per response on a kept-alive
        # connection (measured through lesson 05's balancer: 48 ms a request, 1-3 ms with this).
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


def problem(status: int, title: str, detail: str) -> dict[str, Any]:
    """An RFC 9457 problem details object: a machine-readable error body.

    Examples:
        >>> problem(404, "Not Found", "no order 7")["title"]
        'Not Found'
    """
    return {"type": "about:blank", "title": title, "status": status, "detail": detail}


class QuietHandler(BaseHTTPRequestHandler):
    """An HTTP request handler that logs nothing and reads and writes JSON in one place."""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one stderr line per request would drown the notebook

    def read_body(self) -> bytes:
        """The request's body, as long as its Content-Length says (empty without one)."""
        length = int(self.headers.get("Content-Length", 0) or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_body(
        self, status: int, body: bytes, content_type: str | None, headers: Mapping[str, str] | None = None
    ) -> None:
        """Sends a whole response: status, Content-Type (if any), ``headers``, Content-Length, body.

        A 204 or 304 response never has a body (RFC 9110 §15.3.5, §15.4.5), nor does a
        response to HEAD: it gets the headers a GET would have.
        """
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status not in (204, 304) and self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        """Sends ``body`` as JSON: ``application/problem+json`` for a status of 400 and above."""
        payload = json.dumps(body, indent=1).encode("utf-8")
        self.send_body(status, payload, "application/problem+json" if status >= 400 else "application/json", headers)


class StartStop:
    """``start()`` and ``stop()`` as a ``with`` block, for servers and groups of them.

    If ``start`` fails part-way, ``stop`` runs before the error propagates, so nothing
    already started is left running; ``stop`` must therefore accept a half-started object.
    """

    def start(self) -> Self:
        """Start (subclasses implement it); returns the object itself."""
        raise NotImplementedError  # pragma: no cover

    def stop(self) -> None:
        """Stop whatever is running (subclasses implement it)."""
        raise NotImplementedError  # pragma: no cover

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


class BackgroundServer(StartStop):
    """A ``socketserver`` server served by a daemon thread, started and stopped by a ``with`` block.

    Subclasses implement ``_make_server`` (build and bind the server; ``self._port`` is the
    port of the previous start, 0 before the first, so binding ``(host, self._port)``
    brings a restarted server back on the same port) and may override ``_thread_name``
    and ``_before_stop``. ``_label`` names the object in error messages.

    Examples:
        >>> from http.server import BaseHTTPRequestHandler
        >>> class Hello(BackgroundServer):
        ...     _label = "hello server"
        ...     def _make_server(self) -> JoiningHTTPServer:
        ...         return JoiningHTTPServer(("127.0.0.1", self._port), BaseHTTPRequestHandler)
        >>> with Hello() as server:
        ...     server.running, server.port > 0
        (True, True)
        >>> server.running
        False
        >>> Hello().port
        Traceback (most recent call last):
        ...
        ValueError: the hello server has no address yet: start it first (use it in a with block)
    """

    _label = "server"

    def __init__(self) -> None:
        self._server: socketserver.TCPServer | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    def _make_server(self) -> socketserver.TCPServer:
        """A new server, bound and listening on 127.0.0.1 (called by ``start``)."""
        raise NotImplementedError  # pragma: no cover

    def _thread_name(self) -> str:
        """The name of the serving thread (called once the server is bound, so it may use the port)."""
        return self._label

    def _before_stop(self) -> None:
        """Extra steps before a running server shuts down, e.g. waking requests that are waiting."""

    def start(self) -> Self:
        """Start serving in a daemon thread (does nothing if it is running); returns the object itself."""
        if self._server is not None:
            return self
        server = self._make_server()
        self._server = server
        self._port = int(server.server_address[1])
        name = self._thread_name()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL_S}, name=name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop: refuse new connections, finish requests in flight, close the socket, join threads.

        Stopping a server that is not running does nothing.
        """
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._before_stop()
        server.shutdown()
        server.server_close()  # closes the socket (and joins request threads, see JoiningHTTPServer)
        thread.join()
        self._server = self._thread = None

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The port it listens on (valid once started; kept after a stop)."""
        if not self._port:
            raise ValueError(f"the {self._label} has no address yet: start it first (use it in a with block)")
        return self._port
