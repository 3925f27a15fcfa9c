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
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType

import numpy as np

from helpers import checks
from helpers.balancing.model import POLICY_NAMES, Policy, make_policy
from helpers.serving import HOST, BackgroundServer, JoiningHTTPServer, QuietHandler, problem

__all__ = ["Backend", "BackendStats", "Cluster", "LoadBalancer", "Reply", "send_requests"]


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


class Backend(_HttpServer):
    """An HTTP backend on 127.0.0.1: ``delay_ms`` of work per request, ``workers`` at a time (lesson 05, section 2).

    Requests beyond ``workers`` wait their turn, so a backend that gets more than it can
    serve builds a queue. Every answer is JSON naming the backend.

    Attributes:
        name: the backend's name, returned in every answer.
        delay_ms: work per request, in milliseconds.
        workers: requests served at the same time.
        served: requests answered so far.

    Examples:
        >>> import json
        >>> with Backend("b1", delay_ms=1) as backend:
        ...     connection = http.client.HTTPConnection(HOST, backend.port, timeout=2)
        ...     connection.request("GET", "/hello")
        ...     json.loads(connection.getresponse().read())
        {'backend': 'b1', 'path': '/hello'}
    """

    def __init__(self, name: str, delay_ms: float, workers: int = 1) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        super().__init__()
        self.name = name
        self.delay_ms = checks.number("delay_ms", delay_ms, 0.0, 10_000.0)
        self.workers = checks.count("workers", workers)
        self.served = 0
        self._slots = threading.Semaphore(self.workers)
        self._lock = threading.Lock()
        self._label = f"backend {name}"

    def __repr__(self) -> str:
        state = f"on port {self._port}" if self.running else "stopped"
        return f"<Backend {self.name} {state}, {self.delay_ms:g} ms x {self.workers}, served {self.served}>"

    def _handler_class(self) -> type[QuietHandler]:
        backend = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                with backend._slots:  # wait for a free worker, then do the "work"
                    time.sleep(backend.delay_ms / 1000.0)
                with backend._lock:
                    backend.served += 1
                self.send_json(200, {"backend": backend.name, "path": self.path})

        return Handler


# --- the balancer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BackendStats:
    """What the balancer saw of one backend (lesson 05, section 2).

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


@dataclass(frozen=True)
class _Answer:
    """A backend's answer, as the balancer passes it back."""

    status: int
    body: bytes
    content_type: str | None
    backend: str


class LoadBalancer(_HttpServer):
    """An L7 reverse proxy on 127.0.0.1 that spreads requests over ``backends`` by a switchable policy.

    The client's key for the "hash" policy is its ``X-Client`` header (else its address).
    Setting ``policy`` replaces the policy at once, for the next request. A backend that
    refuses a connection is marked down and skipped; with none left, clients get 502 Bad
    Gateway (lesson 05, sections 2 to 4 and 8).

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
        checks.choice("policy", name, POLICY_NAMES)
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

    def _forward(self, path: str, key: str) -> _Answer | None:
        """The answer of the backend the policy picks (the next one up if it refuses); None if all are down."""
        while True:
            chosen = self._choose(key)
            if chosen is None:
                return None
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
            return _Answer(answer.status, body, answer.getheader("Content-Type"), backend.name)

    def _handler_class(self) -> type[QuietHandler]:
        balancer = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                # Layer 7: the balancer has read the whole HTTP request, so it may route on
                # its headers (here X-Client for stickiness) or its path.
                key = self.headers.get("X-Client") or self.client_address[0]
                answer = balancer._forward(self.path, key)
                if answer is None:
                    self.send_json(502, problem(502, "Bad Gateway", "every backend is down"))
                    return
                self.send_body(answer.status, answer.body, answer.content_type, {"X-Backend": answer.backend})

        return Handler


class Cluster:
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
