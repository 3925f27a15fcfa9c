"""A live SRV registry, backends that fail in every way, and ``ServiceClient``, the lesson's client library (lesson 12).

Everything listens on 127.0.0.1, on a port the operating system picks, inside a ``with`` block:

- ``SrvRegistry``: a DNS server (dnslib's wire format, a ``socketserver`` UDP server) that
  answers SRV queries (RFC 2782) for ``_service._tcp.<zone>`` with the instances registered
  now, each with its priority, weight, port and target, and the target's A record as glue.
  Lesson 04's ``AuthoritativeServer`` has no SRV records, so service discovery has its own
  small server here; read it with dnspython (``resolve_srv``) or ``dig -p PORT @127.0.0.1``.
- ``Backend``: an HTTP instance of a service whose behaviour changes while it runs: ``ok``,
  ``hang`` (answers after ``hang_s``, or when stopped), ``fail`` (500), ``busy`` (503) and
  ``throttle`` (429), the last two with ``Retry-After``; it counts every request and keeps
  each ``X-Request-ID`` it saw.
- ``ServiceClient``: discovery through SRV with a TTL cache on an injected clock, RFC 2782's
  priority and weighted order, a timeout on every call, retries with tenacity
  (``wait_random_exponential``, Full Jitter) on what is safe to retry, a pybreaker circuit
  breaker per instance, and one structlog JSON line per call carrying a correlation id.

Sections:
    * 1, discovery: ``SrvRegistry``, ``resolve_srv``, ``Backend``, ``ServiceClient``, ``CallResult``
    * 2, timeouts and 5, retries: ``Backend`` modes, ``ServiceClient.call``
    * 6, breakers: ``ServiceClient.breakers``
"""

from __future__ import annotations

import json
import random
import socketserver
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, ClassVar

import dns.message
import dns.query
import dns.rdatatype
import httpx
import pybreaker
import structlog
import tenacity
from dnslib import QTYPE, RCODE, RR, SRV, A, DNSRecord

from helpers import checks
from helpers.clients.model import RETRYABLE_STATUSES, SrvTarget, should_retry, srv_order
from helpers.serving import HOST, BackgroundServer, JoiningHTTPServer, QuietHandler

__all__ = [
    "MODES",
    "ZONE",
    "Backend",
    "CallResult",
    "LogSink",
    "ServiceClient",
    "ServiceUnavailableError",
    "SrvRegistry",
    "http_date",
    "resolve_srv",
]

ZONE = "shop.test"
"""The zone the registry answers for (``.test`` is reserved for testing, RFC 2606)."""

MODES = ("ok", "hang", "fail", "busy", "throttle")
"""How a ``Backend`` answers: 200, late, 500, 503 + Retry-After, 429 + Retry-After."""


# --- 1. the registry ------------------------------------------------------------------------


class _UdpHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        reply = self.server.registry.answer(data)  # type: ignore[attr-defined]
        if reply:
            sock.sendto(reply, self.client_address)


class _UdpServer(socketserver.ThreadingUDPServer):
    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], registry: SrvRegistry) -> None:
        self.registry = registry
        super().__init__(address, _UdpHandler)


class SrvRegistry(BackgroundServer):
    """A DNS server on 127.0.0.1 that answers SRV queries with the instances registered now (section 1).

    ``register("orders", port)`` publishes ``_orders._tcp.shop.test`` -> ``port`` with a
    priority and weight; ``deregister`` takes it away. Answers carry ``ttl`` (seconds), so a
    client may cache them that long; the registry counts the queries it answered.

    Examples:
        >>> with SrvRegistry(ttl=5) as registry:
        ...     registry.register("orders", 8081, priority=10, weight=60)
        ...     records, ttl = resolve_srv(registry.port, "orders")
        >>> [(r.priority, r.weight, r.port) for r in records], ttl
        ([(10, 60, 8081)], 5)
    """

    _label = "SRV registry"

    def __init__(self, ttl: int = 30, zone: str = ZONE) -> None:
        super().__init__()
        self.ttl = checks.integer("ttl", ttl, 0, 86400)
        self.zone = zone.rstrip(".").lower()
        self._lock = threading.Lock()
        self._services: dict[str, list[SrvTarget]] = {}
        self.queries = 0

    def _make_server(self) -> socketserver.TCPServer:
        return _UdpServer((HOST, self._port), self)

    def _thread_name(self) -> str:
        return f"SRV registry on {HOST}:{self._port}/udp"

    def name_of(self, service: str) -> str:
        """The SRV owner name of ``service``: ``_orders._tcp.shop.test``."""
        return f"_{service}._tcp.{self.zone}"

    def register(self, service: str, port: int, *, priority: int = 10, weight: int = 10, target: str = "") -> None:
        """Publish one instance of ``service`` (replacing one already on ``port``)."""
        if not isinstance(service, str) or not service.isidentifier():
            raise ValueError(f"service must be a simple name such as 'orders', got {service!r}")
        host = target or f"{service}-{port}.{self.zone}"
        record = SrvTarget(priority, weight, port, host)
        with self._lock:
            kept = [r for r in self._services.get(service, []) if r.port != port]
            self._services[service] = [*kept, record]

    def deregister(self, service: str, port: int) -> None:
        """Take the instance of ``service`` on ``port`` out of the answers."""
        with self._lock:
            records = self._services.get(service, [])
            if all(r.port != port for r in records):
                raise ValueError(f"{service!r} has no instance on port {port!r}; it has {[r.port for r in records]}")
            self._services[service] = [r for r in records if r.port != port]

    def instances(self, service: str) -> list[SrvTarget]:
        """The instances registered now."""
        with self._lock:
            return list(self._services.get(service, []))

    def answer(self, data: bytes) -> bytes:
        """The reply to one query: SRV answers with A glue, NXDOMAIN for names it does not hold."""
        try:
            request = DNSRecord.parse(data)
        except Exception:
            return b""
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        with self._lock:
            self.queries += 1
            by_name = {self.name_of(s): list(rs) for s, rs in self._services.items()}
            targets = {r.target: r for rs in self._services.values() for r in rs}
        if name in by_name:
            if request.q.qtype in (QTYPE.SRV, QTYPE.ANY):
                for record in by_name[name]:
                    srv = SRV(record.priority, record.weight, record.port, record.target + ".")
                    reply.add_answer(RR(name + ".", QTYPE.SRV, ttl=self.ttl, rdata=srv))
                    reply.add_ar(RR(record.target + ".", QTYPE.A, ttl=self.ttl, rdata=A(HOST)))
        elif name in targets:
            if request.q.qtype in (QTYPE.A, QTYPE.ANY):
                reply.add_answer(RR(name + ".", QTYPE.A, ttl=self.ttl, rdata=A(HOST)))
        else:
            reply.header.rcode = RCODE.NXDOMAIN
        packed: bytes = reply.pack()
        return packed


def resolve_srv(port: int, service: str, zone: str = ZONE, *, timeout: float = 2.0) -> tuple[list[SrvTarget], int]:
    """Ask the registry on 127.0.0.1:``port`` for ``service``'s SRV records, with dnspython (section 1).

    Returns the records and their TTL; an unknown service has none (NXDOMAIN), TTL 0.
    """
    checks.integer("port", port, 1, 65535)
    query = dns.message.make_query(f"_{service}._tcp.{zone}", dns.rdatatype.SRV)
    response = dns.query.udp(query, HOST, port=port, timeout=timeout)
    records: list[SrvTarget] = []
    ttl = 0
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.SRV:
            ttl = int(rrset.ttl)
            records.extend(
                SrvTarget(int(r.priority), int(r.weight), int(r.port), str(r.target).rstrip(".")) for r in rrset
            )
    return records, ttl


# --- backends -------------------------------------------------------------------------------


class _BackendHandler(QuietHandler):
    server: _BackendServer

    def _serve(self) -> None:
        self.read_body()
        backend = self.server.backend
        mode = backend.record(self.command, self.path, self.headers.get("X-Request-ID"))
        if mode == "hang":
            backend.wake.wait(backend.hang_s)
            mode = "ok"
        if mode == "ok":
            self.send_json(200, {"instance": backend.name, "port": backend.port, "path": self.path})
        elif mode == "fail":
            self.send_json(500, {"title": "Internal Server Error", "status": 500})
        else:
            status = 503 if mode == "busy" else 429
            self.send_json(status, {"title": "try later", "status": status}, {"Retry-After": backend.retry_after})

    do_GET = do_PUT = do_DELETE = do_POST = do_HEAD = _serve  # noqa: N815  (http.server's names)


class _BackendServer(JoiningHTTPServer):
    backend: Backend


class Backend(BackgroundServer):
    """One HTTP instance of a service on 127.0.0.1 whose behaviour you change while it runs (sections 1-6).

    ``mode`` is one of ``MODES``; ``script`` (a list of modes) is used up one request at a
    time before ``mode`` applies again. ``retry_after`` is the header sent with 503 and 429
    (delay-seconds such as ``"0"`` or an HTTP-date). ``calls`` counts requests; ``request_ids``
    keeps each ``X-Request-ID``.

    Examples:
        >>> with Backend("a") as backend:
        ...     status = httpx.get(f"http://127.0.0.1:{backend.port}/x", trust_env=False).status_code
        >>> status, backend.calls
        (200, 1)
    """

    _label = "backend"

    def __init__(self, name: str = "backend", mode: str = "ok", *, hang_s: float = 1.0, retry_after: str = "0") -> None:
        super().__init__()
        self.name = name
        self.mode = checks.choice("mode", mode, MODES)
        self.hang_s = checks.positive("hang_s", hang_s)
        self.retry_after = retry_after
        self.script: list[str] = []
        self.calls = 0
        self.request_ids: list[str] = []
        self.wake = threading.Event()
        self._lock = threading.Lock()

    def _make_server(self) -> socketserver.TCPServer:
        self.wake.clear()
        server = _BackendServer((HOST, self._port), _BackendHandler)
        server.backend = self
        return server

    def _thread_name(self) -> str:
        return f"backend {self.name} on {HOST}:{self._port}"

    def _before_stop(self) -> None:
        self.wake.set()  # a hanging request answers now, so stop() never waits for it

    def record(self, method: str, path: str, request_id: str | None) -> str:
        """Count one request and return the mode it gets."""
        with self._lock:
            self.calls += 1
            if request_id:
                self.request_ids.append(request_id)
            mode = self.script.pop(0) if self.script else self.mode
        return checks.choice("mode", mode, MODES)


# --- the client library ---------------------------------------------------------------------


class LogSink:
    """Where the client's JSON log lines land, in order (a stand-in for stdout and a log shipper)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def msg(self, message: str) -> None:
        """Append one rendered line."""
        self.lines.append(message)

    info = warning = error = msg

    @property
    def records(self) -> list[dict[str, Any]]:
        """The lines, parsed."""
        return [json.loads(line) for line in self.lines]


class ServiceUnavailableError(RuntimeError):
    """Every instance failed, or none is registered: the call gave up (after its retries)."""


@dataclass(frozen=True)
class CallResult:
    """What one ``ServiceClient.call`` returned (section 1)."""

    status: int
    body: Any
    port: int
    attempts: int
    correlation_id: str


class _RetryableError(Exception):
    """One attempt failed in a way worth retrying (no instance answered, or a retryable status)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ServiceClient:
    """The lesson's client library: discover, call with a timeout, retry what is safe, break, log (section 1).

    ``call(path)`` resolves ``service`` through the SRV registry on ``registry_port`` (the
    answer is cached for its TTL on ``clock``), orders the instances by priority and weight
    (RFC 2782, on ``rng``), and tries them in that order: an instance that refuses, times
    out or answers a retryable status makes the client fail over to the next one. If every
    instance failed, tenacity retries the whole round (idempotent methods only) after a
    Full Jitter sleep. Each instance has a pybreaker breaker: once open, it is skipped
    without a call. One JSON line per call goes to ``log``.

    Examples:
        >>> with SrvRegistry() as registry, Backend("a") as a:
        ...     registry.register("orders", a.port)
        ...     client = ServiceClient("orders", registry.port)
        ...     result = client.call("/orders/1")
        >>> result.status, result.port == a.port, client.log.records[0]["event"]
        (200, True, 'call')
    """

    retry_wait: ClassVar[tenacity.wait.wait_base] = tenacity.wait_random_exponential(multiplier=0.01, max=0.1)

    def __init__(
        self,
        service: str,
        registry_port: int,
        *,
        zone: str = ZONE,
        timeout: float | None = 1.0,
        attempts: int = 3,
        fail_max: int = 3,
        reset_timeout: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        log: LogSink | None = None,
    ) -> None:
        self.service = service
        self.registry_port = checks.integer("registry_port", registry_port, 1, 65535)
        self.zone = zone
        self.timeout = None if timeout is None else checks.positive("timeout", timeout)
        self.attempts = checks.count("attempts", attempts)
        self.fail_max = checks.count("fail_max", fail_max)
        self.reset_timeout = checks.positive("reset_timeout", reset_timeout)
        self.clock = clock
        self.rng = rng if rng is not None else random.Random(0)
        self.log = log if log is not None else LogSink()
        self._logger = structlog.wrap_logger(
            self.log,
            processors=[
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.JSONRenderer(sort_keys=True),
            ],
        )
        self.breakers: dict[int, pybreaker.CircuitBreaker] = {}
        self.resolutions = 0
        self._cache: tuple[float, list[SrvTarget]] | None = None
        self._http = httpx.Client(timeout=self.timeout, trust_env=False)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def instances(self) -> list[SrvTarget]:
        """The instances of the service: from the cache while its TTL lasts, else from the registry."""
        now = self.clock()
        if self._cache is not None and now < self._cache[0]:
            return list(self._cache[1])
        records, ttl = resolve_srv(self.registry_port, self.service, self.zone)
        self.resolutions += 1
        self._cache = (now + ttl, records)
        return list(records)

    def _breaker(self, port: int) -> pybreaker.CircuitBreaker:
        if port not in self.breakers:
            self.breakers[port] = pybreaker.CircuitBreaker(
                fail_max=self.fail_max, reset_timeout=self.reset_timeout, name=f"{self.service}:{port}"
            )
        return self.breakers[port]

    def _send(self, method: str, port: int, path: str, headers: Mapping[str, str], tried: list[int]) -> httpx.Response:
        tried.append(port)  # only calls that go out are counted
        response = self._http.request(method, f"http://{HOST}:{port}{path}", headers=dict(headers))
        if response.status_code in RETRYABLE_STATUSES or response.status_code >= 500:
            raise _RetryableError(f"{port} answered {response.status_code}", response.status_code)
        return response

    def _round(self, method: str, path: str, headers: Mapping[str, str], tried: list[int]) -> httpx.Response:
        instances = srv_order(self.instances(), self.rng)
        if not instances:
            raise _RetryableError(f"no instance of {self.service!r} is registered")
        last: _RetryableError | None = None
        for instance in instances:
            breaker = self._breaker(instance.port)
            try:
                return breaker.call(self._send, method, instance.port, path, headers, tried)
            except pybreaker.CircuitBreakerError:
                last = _RetryableError(f"breaker open for {instance.port}")
            except _RetryableError as error:
                last = error
            except httpx.TransportError as error:  # refused, reset, timed out
                last = _RetryableError(f"{instance.port}: {type(error).__name__}")
        assert last is not None
        raise last

    def call(self, path: str, method: str = "GET") -> CallResult:
        """Call ``path`` on one instance of the service, failing over and retrying as described above."""
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"path must start with '/', got {path!r}")
        correlation_id = uuid.UUID(int=self.rng.getrandbits(128), version=4).hex
        headers = {"X-Request-ID": correlation_id}
        tried: list[int] = []
        started = time.perf_counter()
        rounds = [0]

        def may_retry(state: tenacity.RetryCallState) -> bool:
            error = state.outcome.exception() if state.outcome is not None else None
            status = getattr(error, "status", None)
            return isinstance(error, _RetryableError) and should_retry(
                method, status, state.attempt_number, self.attempts
            )

        def attempt() -> httpx.Response:
            rounds[0] += 1
            return self._round(method, path, headers, tried)

        retrying = tenacity.Retrying(retry=may_retry, wait=self.retry_wait, stop=tenacity.stop_never, reraise=True)
        fields: dict[str, Any] = {"service": self.service, "method": method, "path": path}
        fields |= {"correlation_id": correlation_id}
        try:
            response = retrying(attempt)
        except _RetryableError as error:
            elapsed = round((time.perf_counter() - started) * 1000, 1)
            self._logger.error("call", **fields, outcome=str(error), tried=tried, rounds=rounds[0], elapsed_ms=elapsed)
            raise ServiceUnavailableError(f"{method} {path} on {self.service!r} failed: {error}") from error
        port = response.url.port or 0
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        self._logger.info(
            "call", **fields, status=response.status_code, port=port, tried=tried, rounds=rounds[0], elapsed_ms=elapsed
        )
        body = response.json() if response.content else None
        return CallResult(response.status_code, body, port, len(tried), correlation_id)


def http_date(seconds_from_now: float) -> str:
    """An HTTP-date ``seconds_from_now`` seconds ahead of now, for a ``Retry-After`` header (section 5).

    Examples:
        >>> http_date(0).endswith(" GMT")
        True
    """
    return format_datetime(datetime.fromtimestamp(time.time() + seconds_from_now, UTC), usegmt=True)
