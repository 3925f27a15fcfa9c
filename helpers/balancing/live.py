"""A live L7 load balancer: a reverse proxy on 127.0.0.1 in front of local HTTP backends (lesson 05).

``Backend`` is a small HTTP server that takes ``delay_ms`` of work per request and works
on ``workers`` requests at a time, so a slow or busy backend builds a queue as a real one
does. ``LoadBalancer`` is a reverse proxy that speaks HTTP/1.1 (keep-alive) to clients:
they know only its address; it reads each request (any of ``FORWARDED_METHODS``, with its
body), picks a backend with a policy from ``helpers.balancing`` (switchable while it runs),
forwards the request and passes the answer back with an ``X-Backend`` header. Hop-by-hop
headers (RFC 9110 §7.6.1) stay on their hop; ``X-Forwarded-For`` and ``Forwarded``
(RFC 7239) gain the client's address as the proxy saw it, and ``Via`` the proxy
(RFC 9110 §7.6.3).

It learns that a backend is down only from the network, as nginx and Envoy do (a
**passive health check**): a refused connection, a timeout or a 5xx answer counts as a
failure; ``max_fails`` failures in a row take the backend out of rotation for
``fail_timeout_s`` seconds, then it is tried again (nginx ``max_fails``/``fail_timeout``,
Envoy outlier ejection). A request whose backend refused the connection is sent to
another; the requests a dead backend would have had are spread over the others, not handed
to its neighbour. ``Cluster`` starts backends and a balancer together inside one ``with``
block; ``send_requests`` is a concurrent client.

Everything listens on, or connects to, 127.0.0.1 only, on ports the operating system
picks; every thread started here is joined and every socket closed when a ``with`` block
ends.

Sections:
    * backends: ``Backend``, ``Received``
    * the balancer: ``LoadBalancer``, ``BackendStats``, ``Cluster``, ``end_to_end_headers``
    * the client: ``Reply``, ``send_requests``
"""

from __future__ import annotations

import contextlib
import http.client
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import Message

import numpy as np

from helpers import checks
from helpers.balancing.model import POLICY_NAMES, Policy, make_policy
from helpers.serving import HOST, BackgroundServer, JoiningHTTPServer, QuietHandler, StartStop, problem

__all__ = [
    "FORWARDED_METHODS",
    "HOP_BY_HOP",
    "Backend",
    "BackendStats",
    "Cluster",
    "LoadBalancer",
    "Received",
    "Reply",
    "end_to_end_headers",
    "send_requests",
]

FORWARDED_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
"""The methods the balancer forwards (others get 501 Not Implemented, RFC 9110 §15.6.2)."""

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade"})
"""Headers that belong to one connection, never forwarded, with those ``Connection`` lists (RFC 9110 §7.6.1)."""

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})  # RFC 9110 §9.2.2: safe to send twice
_NOT_PASSED_BACK = frozenset({"content-length", "date", "server"})  # the proxy writes its own (as nginx does)
_REWRITTEN = frozenset({"content-length", "expect", "x-forwarded-for", "forwarded", "via"})
_EXCLUDED = 10**9  # the in-flight count a policy sees for a backend it must not pick


def end_to_end_headers(headers: Message) -> list[tuple[str, str]]:
    """The header fields of ``headers`` a proxy forwards: all but the hop-by-hop ones (RFC 9110 §7.6.1).

    Hop-by-hop are ``HOP_BY_HOP`` and every field the ``Connection`` header names.

    Examples:
        >>> message = Message()
        >>> for name, value in [("Connection", "close, X-Trace"), ("X-Trace", "1"), ("Keep-Alive", "timeout=5"),
        ...                     ("Accept", "*/*"), ("TE", "trailers")]:
        ...     message[name] = value
        >>> end_to_end_headers(message)
        [('Accept', '*/*')]
    """
    listed = {token.strip().lower() for value in headers.get_all("Connection", []) for token in value.split(",")}
    return [(name, value) for name, value in headers.items() if name.lower() not in HOP_BY_HOP | listed]


def _appended(headers: Message, name: str, value: str) -> str:
    """The field ``name`` with ``value`` appended to any values it already has (a list field, RFC 9110 §5.3)."""
    return ", ".join([*(v.strip() for v in headers.get_all(name, []) if v.strip()), value])


class _HttpServer(BackgroundServer):
    """An HTTP server in a thread on 127.0.0.1: the part ``Backend`` and ``LoadBalancer`` share."""

    def _handler_class(self) -> type[QuietHandler]:
        raise NotImplementedError  # pragma: no cover

    def _make_server(self) -> JoiningHTTPServer:
        # The port of the previous start, 0 at the first: a restart keeps the same address.
        return JoiningHTTPServer((HOST, self._port), self._handler_class())

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/``."""
        return f"http://{HOST}:{self.port}/"


# --- backends -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """A request as a backend received it (lesson 05, section 4).

    Attributes:
        method: the request method.
        path: the request target.
        headers: every header field, in order, as (name, value).
        body: the request's content.
    """

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The value of the first field called ``name`` (any case), else None."""
        return next((value for field, value in self.headers if field.lower() == name.lower()), None)


class Backend(_HttpServer):
    """An HTTP backend on 127.0.0.1: ``delay_ms`` of work per request, ``workers`` at a time (lesson 05, section 2).

    Requests beyond ``workers`` wait their turn, so a backend that gets more than it can
    serve builds a queue. It answers every method of ``FORWARDED_METHODS`` with JSON naming
    the backend, the method and the path (and the body, if one came), with ``status``
    (200; set 503 to make a sick backend that still accepts connections). A backend with a
    bug fails ``error_rate`` of its requests with 500, drawn from ``random.Random(seed)`` in
    the order the requests arrive (lesson 11's canary).

    Attributes:
        name: the backend's name, returned in every answer.
        delay_ms: work per request, in milliseconds.
        workers: requests served at the same time.
        status: the status of every answer its bug does not fail.
        error_rate: the share of requests its bug fails with 500.
        served: requests answered so far.
        errors: of those, the ones its bug failed.
        received: the last 100 requests, oldest first.

    Examples:
        >>> import json
        >>> with Backend("b1", delay_ms=1) as backend:
        ...     connection = http.client.HTTPConnection(HOST, backend.port, timeout=2)
        ...     connection.request("GET", "/hello")
        ...     json.loads(connection.getresponse().read())
        {'backend': 'b1', 'method': 'GET', 'path': '/hello'}
        >>> with Backend("buggy", delay_ms=0, error_rate=0.5, seed=1) as buggy:
        ...     statuses = [reply.status for reply in send_requests(buggy.url, 10, concurrency=1)]
        >>> statuses.count(500) == buggy.errors, sorted(set(statuses))
        (True, [200, 500])
    """

    def __init__(self, name: str, delay_ms: float, workers: int = 1, *, error_rate: float = 0.0,
                 seed: int = 0) -> None:  # fmt: skip
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        super().__init__()
        self.name = name
        self.delay_ms = checks.number("delay_ms", delay_ms, 0.0, 10_000.0)
        self.workers = checks.count("workers", workers)
        self.status = 200
        self.error_rate = checks.fraction("error_rate", error_rate)
        self._bug = random.Random(checks.count("seed", seed, minimum=0))
        self.served = 0
        self.errors = 0
        self.received: deque[Received] = deque(maxlen=100)
        self._slots = threading.Semaphore(self.workers)
        self._lock = threading.Lock()
        self._label = f"backend {name}"

    def __repr__(self) -> str:
        state = f"on port {self._port}" if self.running else "stopped"
        return f"<Backend {self.name} {state}, {self.delay_ms:g} ms x {self.workers}, served {self.served}>"

    def _answer(self, handler: QuietHandler) -> None:
        body = handler.read_body()
        with self._lock:
            self.received.append(Received(handler.command, handler.path, tuple(handler.headers.items()), body))
        with self._slots:  # wait for a free worker, then do the "work"
            time.sleep(self.delay_ms / 1000.0)
        with self._lock:
            self.served += 1
            failed = self.error_rate > 0 and self._bug.random() < self.error_rate
            self.errors += failed
        answer = {"backend": self.name, "method": handler.command, "path": handler.path}
        if body:
            answer["body"] = body.decode("utf-8", "replace")
        handler.send_json(500 if failed else self.status, answer)

    def _handler_class(self) -> type[QuietHandler]:
        backend = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 (the names http.server calls)
                backend._answer(self)

            do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET  # noqa: N815

        return Handler


# --- the balancer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BackendStats:
    """What the balancer saw of one backend (lesson 05, sections 2 and 4).

    Attributes:
        name: the backend's name.
        requests: requests forwarded to it (answered).
        share: its share of all requests answered.
        median_ms: median upstream time (forward to answer), in ms.
        p99_ms: 99th percentile upstream time, in ms.
        up: whether the balancer sends it traffic now (False while it sits out a ``fail_timeout_s``).
        failures: refused connections, timeouts and 5xx answers seen from it.
    """

    name: str
    requests: int
    share: float
    median_ms: float
    p99_ms: float
    up: bool
    failures: int = 0


@dataclass(frozen=True)
class _Answer:
    """A backend's answer, as the balancer passes it back."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    backend: str


class _BackendError(Exception):
    """A backend failed a request: ``sent`` says whether the request had left the proxy."""

    def __init__(self, sent: bool, timed_out: bool) -> None:
        super().__init__()
        self.sent, self.timed_out = sent, timed_out


class LoadBalancer(_HttpServer):
    """An L7 reverse proxy on 127.0.0.1 that spreads requests over ``backends`` by a switchable policy.

    The client's key for the "hash" policy is its ``X-Client`` header (else its address).
    Setting ``policy`` replaces the policy at once, for the next request. A refused
    connection, a timeout (``timeout_s``) or a 5xx answer is a failure; after ``max_fails``
    in a row the backend sits out ``fail_timeout_s`` seconds, then gets traffic again. A
    request the backend never received (refused connection), or an idempotent one that
    failed, goes to another backend; with none left, clients get 502 Bad Gateway (504
    Gateway Timeout after a timeout). Lesson 05, sections 2 to 4 and 8.

    Attributes:
        backends: the backends behind the balancer, in order.
        weights: each backend's weight for "weighted-round-robin".
        timeout_s: how long to wait for a backend to connect or answer.
        max_fails: failures in a row that take a backend out.
        fail_timeout_s: how long a backend stays out.

    Examples:
        >>> with Backend("a", 1) as a, Backend("b", 1) as b, LoadBalancer([a, b]) as lb:
        ...     [reply.backend for reply in send_requests(lb.url, 4, concurrency=1)]
        ['a', 'b', 'a', 'b']
    """

    def __init__(
        self,
        backends: Sequence[Backend],
        policy: str = "round-robin",
        weights: Sequence[int] | None = None,
        seed: int = 0,
        *,
        timeout_s: float = 10.0,
        max_fails: int = 1,
        fail_timeout_s: float = 10.0,
    ) -> None:
        if not backends or not all(isinstance(backend, Backend) for backend in backends):
            raise ValueError(f"backends must be a non-empty list of Backend, got {backends!r}")
        names = [backend.name for backend in backends]
        if len(set(names)) != len(names):
            raise ValueError(f"backend names must be distinct, got {names}")
        super().__init__()
        self.backends = tuple(backends)
        self.weights = tuple([1] * len(backends) if weights is None else weights)
        if len(self.weights) != len(backends):
            raise ValueError(f"weights must hold one weight per backend ({len(backends)}), got {list(self.weights)}")
        self.timeout_s = checks.number("timeout_s", timeout_s, 0.001, 600.0)
        self.max_fails = checks.count("max_fails", max_fails)
        self.fail_timeout_s = checks.number("fail_timeout_s", fail_timeout_s, 0.0, 3600.0)
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        self._in_flight = [0] * len(backends)
        self._fails_in_a_row = [0] * len(backends)
        self._failures = [0] * len(backends)
        self._out_until = [0.0] * len(backends)  # time.monotonic() before which a backend gets no traffic
        self._times_ms: list[list[float]] = [[] for _ in backends]
        self._connections: set[socket.socket] = set()
        self._closing = False
        self._policy: Policy = make_policy("round-robin", len(backends))
        self.policy = policy
        self._label = "load balancer"

    @property
    def policy(self) -> str:
        """The name of the policy in use, one of ``helpers.balancing.POLICY_NAMES``."""
        return self._policy.name

    @policy.setter
    def policy(self, name: str) -> None:
        checks.choice("policy", name, POLICY_NAMES)
        with self._lock:
            self._policy = make_policy(name, len(self.backends), self._rng, self.weights)

    def reset_stats(self) -> None:
        """Forget the counts and times so far (backends taken out stay out until their time is up)."""
        with self._lock:
            self._times_ms = [[] for _ in self.backends]
            self._failures = [0] * len(self.backends)

    def stats(self) -> dict[str, BackendStats]:
        """Requests, share, upstream times and health of each backend, by name."""
        now = time.monotonic()
        with self._lock:
            times = [list(recorded) for recorded in self._times_ms]
            up = [now >= until for until in self._out_until]
            failures = list(self._failures)
        total = sum(len(recorded) for recorded in times)
        result = {}
        for backend, recorded, alive, failed in zip(self.backends, times, up, failures, strict=True):
            median = float(np.median(recorded)) if recorded else float("nan")
            p99 = float(np.percentile(recorded, 99)) if recorded else float("nan")
            share = len(recorded) / total if total else 0.0
            result[backend.name] = BackendStats(backend.name, len(recorded), share, median, p99, alive, failed)
        return result

    def __repr__(self) -> str:
        state = f"on port {self._port}" if self.running else "stopped"
        return f"<LoadBalancer {state}, policy {self.policy}, {len(self.backends)} backends>"

    # Choosing a backend ------------------------------------------------------------------

    def _choose(self, key: str, tried: set[int]) -> int | None:
        """The backend for the next attempt, or None when every backend is out or tried.

        The policy sees excluded backends as hopelessly busy, and is asked again while it
        still names one (the hash policy with a salted key), so a dead backend's requests
        are spread over the others the way the policy spreads requests, not handed to a
        neighbour.
        """
        now = time.monotonic()
        with self._lock:
            allowed = [i not in tried and now >= self._out_until[i] for i in range(len(self.backends))]
            if not any(allowed):
                return None
            seen = [count if ok else _EXCLUDED for count, ok in zip(self._in_flight, allowed, strict=True)]
            for attempt in range(8 * len(self.backends)):
                chosen = self._policy.pick(seen, key if attempt == 0 else f"{key}\x00{attempt}")
                if allowed[chosen]:
                    break
            else:  # pragma: no cover (a policy that keeps naming excluded backends)
                candidates = [i for i, ok in enumerate(allowed) if ok]
                chosen = candidates[int(self._rng.integers(len(candidates)))]
            self._in_flight[chosen] += 1
            return chosen

    def _record(self, index: int, ok: bool, started: float | None = None) -> None:
        with self._lock:
            self._in_flight[index] -= 1
            if started is not None:
                self._times_ms[index].append((time.perf_counter() - started) * 1000.0)
            if ok:
                self._fails_in_a_row[index] = 0
                return
            self._failures[index] += 1
            self._fails_in_a_row[index] += 1
            if self._fails_in_a_row[index] >= self.max_fails:  # out, until fail_timeout_s has passed
                self._fails_in_a_row[index] = 0
                self._out_until[index] = time.monotonic() + self.fail_timeout_s

    # Forwarding --------------------------------------------------------------------------

    def _exchange(self, backend: Backend, method: str, path: str, headers: list[tuple[str, str]],
                  body: bytes | None) -> tuple[http.client.HTTPResponse, bytes]:  # fmt: skip
        connection = http.client.HTTPConnection(HOST, backend.port, timeout=self.timeout_s)
        try:
            try:
                connection.connect()
            except OSError as error:  # refused, or no answer to the SYN: the request never left
                raise _BackendError(sent=False, timed_out=isinstance(error, TimeoutError)) from error
            try:
                connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    connection.putheader(name, value)
                if body is not None:
                    connection.putheader("Content-Length", str(len(body)))
                connection.endheaders(body)
                answer = connection.getresponse()
                return answer, answer.read()
            except (OSError, http.client.HTTPException) as error:
                raise _BackendError(sent=True, timed_out=isinstance(error, TimeoutError)) from error
        finally:
            connection.close()

    def _forward(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes | None,
                 key: str) -> _Answer | int:  # fmt: skip
        """The answer of the backend the policy picks, retried elsewhere when safe; else 502 or 504."""
        tried: set[int] = set()
        timed_out = False
        while True:
            chosen = self._choose(key, tried)
            if chosen is None:
                return 504 if timed_out else 502
            tried.add(chosen)
            backend = self.backends[chosen]
            started = time.perf_counter()
            try:
                answer, content = self._exchange(backend, method, path, headers, body)
            except _BackendError as failure:
                self._record(chosen, ok=False)
                timed_out = failure.timed_out
                if failure.sent and method not in _IDEMPOTENT:  # it may have done the work: never twice
                    return 504 if timed_out else 502
                continue
            self._record(chosen, ok=answer.status < 500, started=started)
            passed = [(n, v) for n, v in end_to_end_headers(answer.msg) if n.lower() not in _NOT_PASSED_BACK]
            if method == "HEAD" and answer.getheader("Content-Length") is not None:
                passed.append(("Content-Length", answer.getheader("Content-Length", "")))
            return _Answer(answer.status, answer.reason, passed, content, backend.name)

    def _before_stop(self) -> None:
        # Idle keep-alive connections wait for a next request: end their wait, so that
        # server_close() can join their threads at once.
        with self._lock:
            self._closing = True
            connections = list(self._connections)
        for connection in connections:
            _shut_reading(connection)

    def _handler_class(self) -> type[QuietHandler]:
        balancer = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: every answer carries Content-Length
            timeout = 5.0  # an idle keep-alive connection is closed after this long

            def setup(self) -> None:
                super().setup()
                with balancer._lock:
                    balancer._connections.add(self.connection)
                    closing = balancer._closing
                if closing:
                    _shut_reading(self.connection)

            def finish(self) -> None:
                with balancer._lock:
                    balancer._connections.discard(self.connection)
                super().finish()

            def do_GET(self) -> None:  # noqa: N802 (the names http.server calls)
                self._proxy()

            do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET  # noqa: N815

            def _proxy(self) -> None:
                body = _read_content(self)
                if body is None:
                    self.close_connection = True
                    self.send_json(400, problem(400, "Bad Request", "unreadable Content-Length or chunked body"))
                    return
                framed = "Content-Length" in self.headers or "Transfer-Encoding" in self.headers
                client = self.client_address[0]
                forwarded_for = f'"[{client}]"' if ":" in client else client
                headers = [(n, v) for n, v in end_to_end_headers(self.headers) if n.lower() not in _REWRITTEN]
                if "Host" not in self.headers:  # HTTP/1.0 clients may send none
                    headers.append(("Host", f"{HOST}:{balancer.port}"))
                headers += [
                    ("X-Forwarded-For", _appended(self.headers, "X-Forwarded-For", client)),
                    ("Forwarded", _appended(self.headers, "Forwarded", f"for={forwarded_for};proto=http")),
                    ("Via", _appended(self.headers, "Via", f"{self.request_version.removeprefix('HTTP/')} balancer")),
                ]
                # Layer 7: the balancer has read the whole request, so it may route on its
                # headers (here X-Client for stickiness) or its path.
                key = self.headers.get("X-Client") or client
                answer = balancer._forward(self.command, self.path, headers, body if framed else None, key)
                if isinstance(answer, int):
                    title = "Bad Gateway" if answer == 502 else "Gateway Timeout"
                    detail = "no backend answered" if answer == 502 else "the backend did not answer in time"
                    self.send_json(answer, problem(answer, title, detail))
                    return
                self.send_response(answer.status, answer.reason)
                for name, value in [*answer.headers, ("X-Backend", answer.backend)]:
                    self.send_header(name, value)
                bodiless = self.command == "HEAD" or answer.status in (204, 304) or answer.status < 200
                if not bodiless:
                    self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if not bodiless:
                    self.wfile.write(answer.body)

        return Handler


def _shut_reading(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        connection.shutdown(socket.SHUT_RD)


def _read_content(handler: QuietHandler) -> bytes | None:
    """The request's content: by Content-Length, or chunked (RFC 9112 §7.1); None if it cannot be read."""
    codings = handler.headers.get("Transfer-Encoding")
    try:
        if codings is None:
            return handler.read_body()
        if codings.split(",")[-1].strip().lower() != "chunked":
            return None  # RFC 9112 §6.3: the length cannot be known
        chunks: list[bytes] = []
        while True:
            size = int(handler.rfile.readline(1024).split(b";")[0].strip(), 16)
            if size == 0:
                while handler.rfile.readline(8192).strip():  # trailer fields, then the empty line
                    pass
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline(8)
    except ValueError:
        return None


class Cluster(StartStop):
    """Backends of the given speeds behind one ``LoadBalancer``, started and stopped together.

    The lesson's live cluster (lesson 05, sections 2 to 4 and 8).

    Backend i is named ``"b{i}"`` and takes ``delays_ms[i]`` per request, ``workers`` at a
    time. Clients use ``url``, the balancer's address; the backends' own ports stay private.

    Examples:
        >>> with Cluster([1, 1, 1], policy="least-connections") as cluster:
        ...     replies = send_requests(cluster.url, 30, concurrency=3)
        ...     sorted(cluster.balancer.stats()), len(replies)
        (['b0', 'b1', 'b2'], 30)
    """

    def __init__(
        self,
        delays_ms: Sequence[float],
        policy: str = "round-robin",
        workers: int = 1,
        weights: Sequence[int] | None = None,
        seed: int = 0,
        *,
        timeout_s: float = 10.0,
        max_fails: int = 1,
        fail_timeout_s: float = 10.0,
    ) -> None:
        if isinstance(delays_ms, (str, bytes)) or not isinstance(delays_ms, Sequence) or not delays_ms:
            raise ValueError(f"delays_ms must be a non-empty list of numbers, got {delays_ms!r}")
        self.backends = [Backend(f"b{i}", delay, workers) for i, delay in enumerate(delays_ms)]
        self.balancer = LoadBalancer(self.backends, policy, weights, seed, timeout_s=timeout_s, max_fails=max_fails,
                                     fail_timeout_s=fail_timeout_s)  # fmt: skip

    @property
    def url(self) -> str:
        """The balancer's address: the one address clients know."""
        return self.balancer.url

    def start(self) -> Cluster:
        """Start the backends, then the balancer; returns the cluster."""
        for backend in self.backends:
            backend.start()
        self.balancer.start()
        return self

    def stop(self) -> None:
        """Stop the balancer, then the backends (each joins its threads and closes its socket)."""
        self.balancer.stop()
        for backend in self.backends:
            backend.stop()



# --- the client -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One answer as the client saw it (lesson 05, section 2).

    Attributes:
        status: the HTTP status (0: no answer at all, e.g. connection refused).
        backend: the ``X-Backend`` header ("" when absent).
        latency_ms: time from sending the request to reading the whole answer.
    """

    status: int
    backend: str
    latency_ms: float


def _get(port: int, path: str, client: str) -> Reply:
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path, headers={"X-Client": client})
        answer = connection.getresponse()
        answer.read()
        status, backend = answer.status, answer.getheader("X-Backend", "")
    except OSError:
        status, backend = 0, ""
    finally:
        connection.close()
    return Reply(status, backend, (time.perf_counter() - started) * 1000.0)


def send_requests(url: str, count: int, concurrency: int = 4, clients: Sequence[str] | None = None) -> list[Reply]:
    """Replies to ``count`` GET requests to ``url`` on 127.0.0.1, ``concurrency`` at a time, in order sent.

    Request i carries the header ``X-Client: clients[i % len(clients)]`` (default: all
    "client-0"). Uses ``http.client``, not urllib, so no proxy variable can send a request
    off the machine; the worker threads are joined before this returns (lesson 05,
    sections 2 to 4 and 8).

    Examples:
        >>> with Backend("solo", 0) as backend:
        ...     [reply.status for reply in send_requests(backend.url, 3)]
        [200, 200, 200]
    """
    prefix = f"http://{HOST}:"
    if not isinstance(url, str) or not url.startswith(prefix):
        raise ValueError(f"url must be {prefix}PORT/..., got {url!r}")
    port_text, _, rest = url[len(prefix) :].partition("/")
    if not port_text.isdigit():
        raise ValueError(f"url must be {prefix}PORT/..., got {url!r}")
    count = checks.count("count", count, minimum=0)
    concurrency = checks.integer("concurrency", concurrency, 1, 64)
    names = ["client-0"] if clients is None else list(clients)
    if not names or not all(isinstance(name, str) and name for name in names):
        raise ValueError(f"clients must be a non-empty list of non-empty strings, got {clients!r}")
    port, path = int(port_text), "/" + rest
    if concurrency == 1:
        return [_get(port, path, names[i % len(names)]) for i in range(count)]
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="client") as pool:
        return list(pool.map(lambda i: _get(port, path, names[i % len(names)]), range(count)))
