"""Backends that fail in every way, and ``ServiceClient``, the lesson's client library (lesson 12).

Everything listens on 127.0.0.1, on a port the operating system picks, inside a ``with`` block.
The instances are found through DNS SRV records (RFC 2782) served by lesson 04's DNS server,
``helpers.dns.live.AuthoritativeServer``: the lesson (or a test) starts it, publishes each
instance with ``helpers.clients.instance_records`` and passes its port to the client. This module
never imports that server; it asks it questions, with dnspython, like any other client.

- ``resolve_srv``: one SRV question with dnspython to 127.0.0.1, the records and their TTL
  (a negative answer's TTL from its SOA, RFC 2308); the same answer ``dig -p PORT @127.0.0.1``
  prints.
- ``Backend``: an HTTP instance of a service whose behaviour changes while it runs: ``ok``,
  ``hang`` (answers after ``hang_s``, or when stopped), ``fail`` (500), ``busy`` (503) and
  ``throttle`` (429), the last two with ``Retry-After``; it counts every request and keeps
  each ``X-Request-ID`` it saw.
- ``ServiceClient``: discovery through SRV with a TTL cache on an injected clock, RFC 2782's
  priority and weighted order, a timeout on every call, retries with tenacity
  (``wait_random_exponential``, Full Jitter) on what is safe to retry, a pybreaker circuit
  breaker per instance, and one structlog JSON line per call carrying a correlation id.

Sections:
    * 1, discovery: ``resolve_srv``, ``Backend``, ``ServiceClient``, ``CallResult``
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
import dns.rcode
import dns.rdatatype
import httpx
import pybreaker
import structlog
import tenacity

from helpers import checks
from helpers.clients.model import RETRYABLE_STATUSES, ZONE, SrvTarget, should_retry, srv_name, srv_order
from helpers.serving import HOST, BackgroundServer, JoiningHTTPServer, QuietHandler

__all__ = [
    "MODES",
    "ZONE",
    "Backend",
    "CallResult",
    "LogSink",
    "ServiceClient",
    "ServiceUnavailableError",
    "http_date",
    "resolve_srv",
]

MODES = ("ok", "hang", "fail", "busy", "throttle")
"""How a ``Backend`` answers: 200, late, 500, 503 + Retry-After, 429 + Retry-After."""


# --- 1. discovery ---------------------------------------------------------------------------


def resolve_srv(port: int, service: str, zone: str = ZONE, *, timeout: float = 2.0) -> tuple[list[SrvTarget], int]:
    """Ask the DNS server on 127.0.0.1:``port`` for ``service``'s SRV records, with dnspython (section 1).

    Returns the records and how long they may be cached: the RRset's TTL, or for a negative
    answer (no such service, NXDOMAIN, or no SRV record there) the SOA's negative TTL,
    min(SOA TTL, SOA minimum) (RFC 2308 §5). Raises LookupError if the server refuses.
    """
    checks.integer("port", port, 1, 65535)
    query = dns.message.make_query(srv_name(service, zone), dns.rdatatype.SRV)
    response = dns.query.udp(query, HOST, port=port, timeout=timeout)
    if response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        raise LookupError(f"{srv_name(service, zone)}: the server at {HOST}:{port} said {response.rcode().name}")
    records: list[SrvTarget] = []
    ttl = 0
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.SRV:
            ttl = int(rrset.ttl)
            records.extend(
                SrvTarget(int(r.priority), int(r.weight), int(r.port), str(r.target).rstrip(".")) for r in rrset
            )
    if not records:
        soa = [(int(rrset.ttl), int(r.minimum)) for rrset in response.authority for r in rrset
               if rrset.rdtype == dns.rdatatype.SOA]  # fmt: skip
        ttl = min(soa[0]) if soa else 0
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

    ``call(path)`` resolves ``service``'s SRV records (``_service._tcp.zone``) through the DNS
    server on 127.0.0.1:``dns_port`` (the answer is cached for its TTL on ``clock``; every
    instance runs on 127.0.0.1, so that is where it calls), orders the instances by priority and weight
    (RFC 2782, on ``rng``), and tries them in that order: an instance that refuses, times
    out or answers a retryable status makes the client fail over to the next one. If every
    instance failed, tenacity retries the whole round (idempotent methods only) after a
    Full Jitter sleep. Each instance has a pybreaker breaker: once open, it is skipped
    without a call. One JSON line per call goes to ``log``.

    The lesson's section 1 runs it against lesson 04's DNS server and live backends.

    Examples:
        >>> with ServiceClient("orders", dns_port=5353, timeout=0.5) as client:
        ...     client.name, client.timeout
        ('_orders._tcp.shop.test', 0.5)
    """

    retry_wait: ClassVar[tenacity.wait.wait_base] = tenacity.wait_random_exponential(multiplier=0.01, max=0.1)

    def __init__(
        self,
        service: str,
        dns_port: int,
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
        self.name = srv_name(service, zone)
        self.service = service
        self.dns_port = checks.integer("dns_port", dns_port, 1, 65535)
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
        """The instances of the service: from the cache while its TTL lasts, else from the DNS server."""
        now = self.clock()
        if self._cache is not None and now < self._cache[0]:
            return list(self._cache[1])
        records, ttl = resolve_srv(self.dns_port, self.service, self.zone)
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
