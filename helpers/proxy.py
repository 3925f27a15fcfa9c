"""A live L7 load balancer: a reverse proxy on 127.0.0.1 in front of local HTTP backends (lesson 05).

``Backend`` is a small HTTP server that takes ``delay_ms`` of work per request and works
on ``workers`` requests at a time, so a slow or busy backend builds a queue as a real one
does. ``LoadBalancer`` is a reverse proxy: clients know only its address; it reads each
HTTP request, picks a backend with a policy from ``helpers.balancing`` (switchable while
it runs), forwards the request, and passes the answer back with an ``X-Backend`` header.
It counts requests and upstream times per backend. A backend that refuses connections is
marked down and skipped (a passive health check). ``Cluster`` starts backends and a
balancer together inside one ``with`` block; ``send_requests`` is a concurrent client.

Everything listens on, or connects to, 127.0.0.1 only, on ports the operating system
picks; every thread started here is joined and every socket closed when a ``with`` block
ends.

Sections:
    * backends: ``Backend``
    * the balancer: ``LoadBalancer``, ``BackendStats``, ``Cluster``
    * the client: ``Reply``, ``send_requests``
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any

import numpy as np

from helpers.balancing import POLICY_NAMES, Policy, make_policy
from helpers.serving import BackgroundServer, JoiningHTTPServer

__all__ = ["HOST", "Backend", "BackendStats", "Cluster", "LoadBalancer", "Reply", "send_requests"]

HOST = "127.0.0.1"
"""The only address anything here listens on or connects to."""


class _Server(JoiningHTTPServer):
    request_queue_size = 128  # a burst of connections must not overflow the accept queue


class _Running(BackgroundServer):
    """An HTTP server in a thread on 127.0.0.1: the part ``Backend`` and ``LoadBalancer`` share."""

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError  # pragma: no cover

    def _make_server(self) -> _Server:
        # The port of the previous start, 0 at the first: a restart keeps the same address.
        return _Server((HOST, self._port), self._handler_class())

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/``."""
        return f"http://{HOST}:{self.port}/"


class _QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # one stderr line per request would drown the notebook


# --- backends -------------------------------------------------------------------------------


class Backend(_Running):
    """An HTTP server on 127.0.0.1 that spends ``delay_ms`` on each request, ``workers`` at a time.

    Requests beyond ``workers`` wait their turn, so a backend that gets more than it can
    serve builds a queue. Every answer is JSON naming the backend.

    Attributes:
        name: the backend's name, returned in every answer.
        delay_ms: work per request, in milliseconds.
        workers: requests served at the same time.
        served: requests answered so far.

    Examples:
        >>> with Backend("b1", delay_ms=1) as backend:
        ...     connection = http.client.HTTPConnection(HOST, backend.port, timeout=2)
        ...     connection.request("GET", "/hello")
        ...     json.loads(connection.getresponse().read())
        {'backend': 'b1', 'path': '/hello'}
    """

    def __init__(self, name: str, delay_ms: float, workers: int = 1) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        if isinstance(delay_ms, bool) or not isinstance(delay_ms, (int, float)) or not 0 <= delay_ms <= 10_000:
            raise ValueError(f"delay_ms must be a number from 0 to 10000, got {delay_ms!r}")
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an int >= 1, got {workers!r}")
        super().__init__()
        self.name = name
        self.delay_ms = float(delay_ms)
        self.workers = workers
        self.served = 0
        self._slots = threading.Semaphore(workers)
        self._lock = threading.Lock()
        self._label = f"backend {name}"

    def __repr__(self) -> str:
        state = f"on port {self._port}" if self.running else "stopped"
        return f"<Backend {self.name} {state}, {self.delay_ms:g} ms x {self.workers}, served {self.served}>"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        backend = self

        class Handler(_QuietHandler):
            def do_GET(self) -> None:
                with backend._slots:  # wait for a free worker, then do the "work"
                    time.sleep(backend.delay_ms / 1000.0)
                with backend._lock:
                    backend.served += 1
                payload = json.dumps({"backend": backend.name, "path": self.path}).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler


# --- the balancer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BackendStats:
    """What the balancer saw of one backend.

    Attributes:
        name: the backend's name.
        requests: requests forwarded to it (answered).
        share: its share of all requests answered.
        median_ms: median upstream time (forward to answer), in ms.
        p99_ms: 99th percentile upstream time, in ms.
        up: whether the balancer still sends it traffic.
    """

    name: str
    requests: int
    share: float
    median_ms: float
    p99_ms: float
    up: bool


class LoadBalancer(_Running):
    """An L7 reverse proxy on 127.0.0.1 that spreads requests over ``backends`` with a switchable policy.

    The client's key for the "hash" policy is its ``X-Client`` header (else its address).
    Setting ``policy`` replaces the policy at once, for the next request.

    Attributes:
        backends: the backends behind the balancer, in order.
        weights: each backend's weight for "weighted-round-robin".

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
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        self._in_flight = [0] * len(backends)
        self._up = [True] * len(backends)
        self._times_ms: list[list[float]] = [[] for _ in backends]
        self._policy: Policy = make_policy("round-robin", len(backends))
        self.policy = policy
        self._label = "load balancer"

    @property
    def policy(self) -> str:
        """The name of the policy in use, one of ``helpers.balancing.POLICY_NAMES``."""
        return self._policy.name

    @policy.setter
    def policy(self, name: str) -> None:
        if name not in POLICY_NAMES:
            raise ValueError(f"policy must be one of {list(POLICY_NAMES)}, got {name!r}")
        with self._lock:
            self._policy = make_policy(name, len(self.backends), self._rng, self.weights)

    def reset_stats(self) -> None:
        """Forget the counts and times so far (backends marked down stay down)."""
        with self._lock:
            self._times_ms = [[] for _ in self.backends]

    def stats(self) -> dict[str, BackendStats]:
        """Requests, share and upstream times of each backend, by name."""
        with self._lock:
            times = [list(recorded) for recorded in self._times_ms]
            up = list(self._up)
        total = sum(len(recorded) for recorded in times)
        result = {}
        for backend, recorded, alive in zip(self.backends, times, up, strict=True):
            median = float(np.median(recorded)) if recorded else float("nan")
            p99 = float(np.percentile(recorded, 99)) if recorded else float("nan")
            result[backend.name] = BackendStats(
                backend.name, len(recorded), len(recorded) / total if total else 0.0, median, p99, alive
            )
        return result

    def __repr__(self) -> str:
        state = f"on port {self._port}" if self.running else "stopped"
        return f"<LoadBalancer {state}, policy {self.policy}, {len(self.backends)} backends>"

    def _choose(self, key: str) -> int | None:
        with self._lock:
            if not any(self._up):
                return None
            chosen = self._policy.pick(list(self._in_flight), key)
            while not self._up[chosen]:  # skip backends marked down, in order
                chosen = (chosen + 1) % len(self.backends)
            self._in_flight[chosen] += 1
            return chosen

    def _mark_down(self, index: int) -> None:
        with self._lock:
            self._up[index] = False  # passive health check: stop sending it traffic
            self._in_flight[index] -= 1

    def _forward(self, path: str, key: str) -> tuple[int, bytes, str]:
        while True:
            chosen = self._choose(key)
            if chosen is None:
                body = json.dumps({"title": "Bad Gateway", "detail": "every backend is down"}).encode("utf-8")
                return 502, body, ""
            backend = self.backends[chosen]
            if not backend.running:
                self._mark_down(chosen)
                continue
            started = time.perf_counter()
            connection = http.client.HTTPConnection(HOST, backend.port, timeout=10)
            try:
                connection.request("GET", path, headers={"X-Forwarded-For": key})
                answer = connection.getresponse()
                body = answer.read()
            except OSError:
                self._mark_down(chosen)
                continue
            finally:
                connection.close()
            with self._lock:
                self._in_flight[chosen] -= 1
                self._times_ms[chosen].append((time.perf_counter() - started) * 1000.0)
            return answer.status, body, backend.name

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        balancer = self

        class Handler(_QuietHandler):
            def do_GET(self) -> None:
                # Layer 7: the balancer has read the whole HTTP request, so it may route on
                # its headers (here X-Client for stickiness) or its path.
                key = self.headers.get("X-Client") or self.client_address[0]
                status, body, name = balancer._forward(self.path, key)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if name:
                    self.send_header("X-Backend", name)
                self.end_headers()
                self.wfile.write(body)

        return Handler


class Cluster:
    """Backends of the given speeds behind one ``LoadBalancer``, started and stopped together.

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
    ) -> None:
        if isinstance(delays_ms, (str, bytes)) or not isinstance(delays_ms, Sequence) or not delays_ms:
            raise ValueError(f"delays_ms must be a non-empty list of numbers, got {delays_ms!r}")
        self.backends = [Backend(f"b{i}", delay, workers) for i, delay in enumerate(delays_ms)]
        self.balancer = LoadBalancer(self.backends, policy, weights, seed)

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

    def __enter__(self) -> Cluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


# --- the client -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One answer as the client saw it.

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


def send_requests(
    url: str, count: int, concurrency: int = 4, clients: Sequence[str] | None = None
) -> list[Reply]:
    """Replies to ``count`` GET requests to ``url`` on 127.0.0.1, ``concurrency`` at a time, in order sent.

    Request i carries the header ``X-Client: clients[i % len(clients)]`` (default: all
    "client-0"). Uses ``http.client``, not urllib, so no proxy variable can send a request
    off the machine; the worker threads are joined before this returns.

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
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be an int >= 0, got {count!r}")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= 64:
        raise ValueError(f"concurrency must be an int from 1 to 64, got {concurrency!r}")
    names = ["client-0"] if clients is None else list(clients)
    if not names or not all(isinstance(name, str) and name for name in names):
        raise ValueError(f"clients must be a non-empty list of non-empty strings, got {clients!r}")
    port, path = int(port_text), "/" + rest
    if concurrency == 1:
        return [_get(port, path, names[i % len(names)]) for i in range(count)]
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="client") as pool:
        return list(pool.map(lambda i: _get(port, path, names[i % len(names)]), range(count)))
