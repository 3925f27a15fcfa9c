"""Live monitoring on 127.0.0.1: a shop that exposes Prometheus metrics, a toy Carbon, traced services.

- ``ShopService``: an HTTP service instrumented with **prometheus_client** in its own
  ``CollectorRegistry`` (never the global one, so a second Run All works): a counter of
  requests by route and status, a latency histogram, an in-flight gauge; ``GET /metrics``
  serves the text exposition format that Prometheus scrapes (pull). ``scrape`` is the
  scraper's side.
- ``ToyCarbon``: a TCP server that reads Graphite plaintext lines (push); ``send_graphite``
  pushes them.
- ``TracedService``: services that call each other over HTTP and propagate W3C
  ``traceparent`` with **opentelemetry-sdk** (each its own ``TracerProvider``), writing JSON
  logs with **structlog** into a shared ``LogSink``, every line carrying the trace id.
- ``LogCollector``: input (JSON lines on TCP) → filter → output into a ``LogIndex``, a
  **tantivy** index queried like Elasticsearch (Lucene syntax, terms aggregations).
- ``PrometheusServer``: the real Prometheus server (the ``prometheus`` program, where it is
  installed) scraping targets on 127.0.0.1, asked PromQL through its HTTP API. Optional:
  nothing else in lesson 10 depends on it.

Each starts and stops in a ``with`` block and leaves no thread, port or file behind.
"""

from __future__ import annotations

import collections
import json
import math
import random
import shutil
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import structlog
import tantivy
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import choose_encoder
from prometheus_client.parser import text_string_to_metric_families

from helpers import checks
from helpers.monitoring.model import DEFAULT_BUCKETS, parse_graphite_line
from helpers.serving import (
    HOST,
    BackgroundServer,
    JoiningHTTPServer,
    JoiningTCPServer,
    QuietHandler,
    StartStop,
    die_with_parent,
)

__all__ = [
    "LOG_FIELDS",
    "HttpResult",
    "LogCollector",
    "LogIndex",
    "LogSink",
    "PrometheusServer",
    "ShopService",
    "ToyCarbon",
    "TracedService",
    "get",
    "scrape",
    "send_graphite",
    "ship_logs",
]

ROUTES = ("/orders", "/cart", "/search")
"""The shop's routes: a bounded label, unlike a user id (lesson 10, section 3)."""


@dataclass(frozen=True)
class HttpResult:
    """One HTTP response as a client saw it: status, headers (lower-case names), body, seconds taken."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


def get(port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 5.0) -> HttpResult:
    """``GET http://127.0.0.1:port/path`` with urllib; an error status is returned, not raised.

    Examples:
        >>> with ShopService(seed=1) as shop:
        ...     get(shop.port, "/orders").status
        200
    """
    request = urllib.request.Request(f"http://{HOST}:{checks.count('port', port)}{path}", headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    started = time.perf_counter()
    try:
        with opener.open(request, timeout=timeout) as response:
            body, status, got = response.read(), response.status, response.headers
    except urllib.error.HTTPError as error:
        body, status, got = error.read(), error.code, error.headers
    return HttpResult(status, {k.lower(): v for k, v in got.items()}, body, time.perf_counter() - started)


# ---------------------------------------------------------------- metrics, pulled (sections 2-3)


class _ShopHandler(QuietHandler):
    server: _ShopHTTPServer

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        shop = self.server.shop
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            encoder, content_type = choose_encoder(self.headers.get("Accept", ""))  # as prometheus_client serves
            self.send_body(200, encoder(shop.registry), content_type)
            return
        route = path if path in ROUTES else "other"  # never a raw path: that label would be unbounded
        shop.in_flight.inc()
        started = time.perf_counter()
        status, work_s = (404, 0.0) if route == "other" else shop._next_request()
        time.sleep(work_s)  # the request's work: real time the histogram measures
        body = {"route": route} if status == 200 else {"title": "failed" if status == 500 else "not found"}
        # recorded before the response goes out, so a scrape after the reply always counts it
        shop.duration.labels(route=route).observe(time.perf_counter() - started)
        shop.requests.labels(route=route, status=str(status)).inc()
        shop.in_flight.dec()
        self.send_json(status, body)


class _ShopHTTPServer(JoiningHTTPServer):
    shop: ShopService


class ShopService(BackgroundServer):
    """A shop instrumented with prometheus_client, scraped at ``/metrics`` (lesson 10, sections 2-3).

    ``error_rate`` of the requests to a route fail with 500, drawn from ``random.Random(seed)``;
    each request works (sleeps) a log-normal time with median ``median_ms``.
    Metrics (its own registry): ``shop_requests_total{route,status}``,
    ``shop_request_duration_seconds{route}`` (the client's default buckets) and
    ``shop_in_flight_requests``.

    Examples:
        >>> with ShopService(error_rate=0.0, seed=1) as shop:
        ...     _ = [get(shop.port, "/orders") for _ in range(3)]
        ...     scrape(shop.port)['shop_requests_total{route="/orders",status="200"}']
        3.0
    """

    _label = "shop service"

    def __init__(self, *, error_rate: float = 0.05, median_ms: float = 2.0, seed: int = 10) -> None:
        super().__init__()
        self.error_rate = checks.fraction("error_rate", error_rate)
        self.median_ms = checks.positive("median_ms", median_ms)
        self._rng = random.Random(checks.integer("seed", seed, 0))
        self._lock = threading.Lock()
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "shop_requests", "Requests served, by route and status", ["route", "status"], registry=self.registry
        )
        self.duration = Histogram(
            "shop_request_duration_seconds",
            "Time to serve a request",
            ["route"],
            buckets=DEFAULT_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge("shop_in_flight_requests", "Requests being served now", registry=self.registry)
        for route in ROUTES:  # every series exists from the start: a missing one is not a zero to PromQL
            self.duration.labels(route=route)
            for status in ("200", "500"):
                self.requests.labels(route=route, status=status)

    def _next_request(self) -> tuple[int, float]:
        with self._lock:
            status = 500 if self._rng.random() < self.error_rate else 200
            return status, self._rng.lognormvariate(math.log(self.median_ms / 1000), 0.5)

    def _make_server(self) -> _ShopHTTPServer:
        server = _ShopHTTPServer((HOST, self._port), _ShopHandler)
        server.shop = self
        return server

    def exposition(self, *, created: bool = False) -> str:
        """The text exposition ``/metrics`` serves now; without the ``_created`` lines unless ``created``."""
        text = generate_latest(self.registry).decode("utf-8")
        if created:
            return text
        return "".join(line for line in text.splitlines(keepends=True) if "_created" not in line)


def scrape(port: int, path: str = "/metrics", *, created: bool = False) -> dict[str, float]:
    """Pull ``/metrics`` over HTTP and parse it: ``{'name{label="v",...}': value}`` (lesson 10, section 2).

    ``_created`` samples (prometheus_client's creation timestamps) are left out unless ``created``.
    """
    result = get(port, path)
    if result.status != 200:
        raise ValueError(f"scraping 127.0.0.1:{port}{path} gave HTTP {result.status}")
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(result.body.decode("utf-8")):
        for sample in family.samples:
            if sample.name.endswith("_created") and not created:
                continue
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items(), key=_label_order))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = float(sample.value)
    return samples


def _label_order(item: tuple[str, str]) -> tuple[int, str]:
    return (1 if item[0] == "le" else 0, item[0])  # `le` last, as Prometheus prints it


# ---------------------------------------------------------------- Graphite, pushed (section 2)


class _CarbonHandler(socketserver.StreamRequestHandler):
    server: _CarbonServer

    def handle(self) -> None:
        for raw in self.rfile:
            try:
                point = parse_graphite_line(raw.decode("utf-8"))
            except ValueError:
                continue  # Carbon drops malformed lines
            with self.server.carbon._lock:
                self.server.carbon._points.append(point)


class _CarbonServer(JoiningTCPServer):
    carbon: ToyCarbon


class ToyCarbon(BackgroundServer):
    """A toy Graphite Carbon: reads ``<path> <value> <timestamp>\\n`` lines on TCP (lesson 10, section 2).

    Real Carbon listens on TCP 2003 for plaintext; this one on a free port of 127.0.0.1.

    Examples:
        >>> with ToyCarbon() as carbon:
        ...     send_graphite(carbon.port, ["shop.orders.requests 42 1700000000\\n"])
        ...     carbon.wait_for(1)
        [('shop.orders.requests', 42.0, 1700000000)]
    """

    _label = "toy Carbon"

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._points: list[tuple[str, float, int]] = []

    def _make_server(self) -> _CarbonServer:
        server = _CarbonServer((HOST, self._port), _CarbonHandler)
        server.carbon = self
        return server

    @property
    def points(self) -> list[tuple[str, float, int]]:
        """Every point received so far, in arrival order."""
        with self._lock:
            return list(self._points)

    def wait_for(self, count: int, timeout_s: float = 2.0) -> list[tuple[str, float, int]]:
        """The points, once at least ``count`` have arrived (a push arrives when the sender's bytes do)."""
        deadline = time.monotonic() + timeout_s
        while len(self.points) < count and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.points


def send_graphite(port: int, lines: Iterable[str], timeout: float = 2.0) -> None:
    """Push plaintext lines to Carbon on 127.0.0.1:``port`` over one TCP connection."""
    payload = "".join(lines).encode("utf-8")
    with socket.create_connection((HOST, checks.count("port", port)), timeout=timeout) as conn:
        conn.sendall(payload)


# ---------------------------------------------------------------- correlation ids (section 7)


class LogSink:
    """Where every service's JSON log lines land, in order (a stand-in for stdout + a shipper).

    structlog calls ``info``/``warning``/``error`` with the rendered JSON line.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lines: list[str] = []

    def msg(self, message: str) -> None:
        """Append one rendered line."""
        with self._lock:
            self._lines.append(message)

    info = debug = warning = error = msg

    @property
    def lines(self) -> list[str]:
        """The raw JSON lines."""
        with self._lock:
            return list(self._lines)

    def records(self) -> list[dict[str, Any]]:
        """The lines parsed."""
        return [json.loads(line) for line in self.lines]


_PROPAGATOR = TraceContextTextMapPropagator()


class _TracedHandler(QuietHandler):
    server: _TracedHTTPServer

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        service = self.server.service
        carrier = {k.lower(): v for k, v in self.headers.items()}  # urllib sends "Traceparent"
        parent = _PROPAGATOR.extract(carrier)
        structlog.contextvars.clear_contextvars()  # each request starts clean
        with service.tracer.start_as_current_span(
            f"GET {self.path}", context=parent, kind=trace.SpanKind.SERVER
        ) as span:
            ids = span.get_span_context()
            structlog.contextvars.bind_contextvars(
                trace_id=f"{ids.trace_id:032x}", span_id=f"{ids.span_id:016x}", service=service.name
            )
            log = service.log
            log.info("request.received", path=self.path, traceparent=carrier.get("traceparent"))
            status = 200
            for port in service.downstream:
                outgoing: dict[str, str] = {}
                _PROPAGATOR.inject(outgoing)  # the current span becomes the callee's parent
                answer = get(port, "/work", headers=outgoing)
                log.info("downstream.called", port=port, status=answer.status)
                if answer.status >= 500:
                    status = 502
            if service.broken:
                status = 500
            if status == 200:
                log.info("request.done", status=status)
            else:
                log.error("request.failed", status=status)
            structlog.contextvars.clear_contextvars()
        self.send_json(status, {"service": service.name, "trace_id": f"{ids.trace_id:032x}"})


class _TracedHTTPServer(JoiningHTTPServer):
    service: TracedService


class TracedService(BackgroundServer):
    """A service that traces with OpenTelemetry and logs JSON with structlog (lesson 10, section 7).

    On each request it continues the caller's trace from ``traceparent`` (or starts one),
    calls each port in ``downstream`` with its own span as the parent, and logs JSON lines
    carrying ``trace_id`` and ``span_id`` into ``sink``. Its spans go to ``exporter``.
    ``broken`` makes it answer 500 (a failure only a user journey notices).

    Examples:
        >>> sink = LogSink()
        >>> with TracedService("payments", sink) as payments, TracedService("orders", sink, [payments.port]) as orders:
        ...     reply = get(orders.port, "/checkout")
        >>> len({r["trace_id"] for r in sink.records()})
        1
    """

    _label = "traced service"

    def __init__(self, name: str, sink: LogSink, downstream: Sequence[int] = (), *, broken: bool = False) -> None:
        super().__init__()
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty str, got {name!r}")
        self.name = name
        self.downstream = [checks.count("downstream port", p) for p in downstream]
        self.broken = broken
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()  # its own, never the write-once global one
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.tracer = self.provider.get_tracer(f"shop.{name}")
        self.log = structlog.wrap_logger(
            sink,
            processors=[
                structlog.contextvars.merge_contextvars,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.JSONRenderer(sort_keys=True),
            ],
        )

    def _make_server(self) -> _TracedHTTPServer:
        server = _TracedHTTPServer((HOST, self._port), _TracedHandler)
        server.service = self
        return server

    def _thread_name(self) -> str:
        return f"{self.name} on {HOST}:{self._port}"

    @property
    def spans(self) -> tuple[ReadableSpan, ...]:
        """The spans this service finished so far."""
        return tuple(self.exporter.get_finished_spans())


# ---------------------------------------------------------------- central logs (section 8)

LOG_FIELDS: dict[str, str] = {
    "timestamp": "keyword",
    "service": "keyword",
    "level": "keyword",
    "trace_id": "keyword",
    "span_id": "keyword",
    "event": "text",
    "path": "keyword",
    "status": "integer",
    "latency_ms": "integer",
}
"""The fields the collector keeps and how the index treats them: ``keyword`` (exact, aggregatable),
``text`` (split into words), ``integer`` (ranges)."""


def _log_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name, kind in LOG_FIELDS.items():
        if kind == "keyword":  # raw tokenizer: one term; fast: terms aggregations need it
            builder.add_text_field(name, stored=True, tokenizer_name="raw", fast=True)
        elif kind == "text":
            builder.add_text_field(name, stored=True)
        else:
            builder.add_integer_field(name, stored=True, indexed=True, fast=True)
    return builder.build()


class LogIndex:
    """A search index over JSON log records, built on **tantivy** (the Elasticsearch stand-in, section 8).

    Queries use Lucene syntax (``level:error AND event:timeout``, ``latency_ms:[200 TO 5000]``,
    ``trace_id:"4bf9..."``); ``terms`` is an Elasticsearch terms aggregation, the numbers
    behind a Kibana bar chart. Records are searchable once ``add`` returns.

    Examples:
        >>> index = LogIndex([{"service": "orders", "level": "error", "event": "payment timeout"},
        ...                   {"service": "orders", "level": "info", "event": "request done"}])
        >>> index.count("level:error AND event:timeout"), index.terms("service")
        (1, [('orders', 2)])
    """

    def __init__(self, records: Iterable[dict[str, Any]] = ()) -> None:
        self._index = tantivy.Index(_log_schema())
        self._lock = threading.Lock()
        self.add(records)

    def add(self, records: Iterable[dict[str, Any]]) -> int:
        """Index records (unknown fields ignored); returns how many. One writer at a time, committed."""
        batch = [_document(r) for r in records]
        with self._lock:
            writer = self._index.writer(heap_size=15_000_000, num_threads=1)
            for document in batch:
                writer.add_document(document)
            writer.commit()
            writer.wait_merging_threads()  # no merge thread outlives the call
            self._index.reload()
        return len(batch)

    def _query(self, query: str) -> tantivy.Query:
        if query.strip() in ("", "*"):
            return tantivy.Query.all_query()
        try:
            return self._index.parse_query(query, ["event"])
        except ValueError as error:
            raise ValueError(f"query {query!r} is not valid Lucene syntax here: {error}") from None

    def count(self, query: str = "*") -> int:
        """How many records match."""
        hits = self._index.searcher().search(self._query(query), 1, count=True)
        return int(hits.count)  # type: ignore[attr-defined]  # tantivy 0.27 has it; its stub does not

    def search(self, query: str = "*", limit: int = 100) -> list[dict[str, Any]]:
        """Up to ``limit`` matching records, as dicts (in index order for equal scores)."""
        searcher = self._index.searcher()
        hits = searcher.search(self._query(query), checks.count("limit", limit)).hits
        return [_record(searcher.doc(address)) for _, address in hits]

    def terms(self, field: str, query: str = "*", size: int = 10) -> list[tuple[str, int]]:
        """Terms aggregation: the ``size`` commonest values of ``field`` among matches, with counts."""
        if LOG_FIELDS.get(field) != "keyword":
            keywords = [k for k, v in LOG_FIELDS.items() if v == "keyword"]
            raise ValueError(f"field must be a keyword field {keywords}, got {field!r}")
        aggregation = {"terms": {"terms": {"field": field, "size": checks.count("size", size)}}}
        result = self._index.searcher().aggregate(self._query(query), aggregation)
        return [(b["key"], int(b["doc_count"])) for b in result["terms"]["buckets"]]

    def __len__(self) -> int:
        return int(self._index.searcher().num_docs)


def _document(record: dict[str, Any]) -> tantivy.Document:
    fields: dict[str, Any] = {}
    for name, kind in LOG_FIELDS.items():
        value = record.get(name)
        if value is None:
            continue
        fields[name] = int(value) if kind == "integer" else str(value)
    return tantivy.Document(**fields)


def _record(document: tantivy.Document) -> dict[str, Any]:
    return {name: values[0] for name, values in document.to_dict().items() if values}


class _CollectorHandler(socketserver.StreamRequestHandler):
    server: _CollectorServer

    def handle(self) -> None:
        collector = self.server.collector
        batch: list[dict[str, Any]] = []
        for raw in self.rfile:  # input: JSON lines over TCP
            if not raw.endswith(b"\n") and self.server.closing:
                break  # a line cut short by stop(), not one the client ended: not counted
            record = collector._filter(raw)
            if record is not None:
                batch.append(record)
        collector.index.add(batch)  # output: the search index
        with collector._lock:
            collector.connections += 1


class _CollectorServer(JoiningTCPServer):
    collector: LogCollector


class LogCollector(BackgroundServer):
    """A log collector in the Logstash mould, input → filter → output (lesson 10, section 8).

    Input: JSON lines over TCP on 127.0.0.1. Filter: drop lines that are not JSON objects,
    drop ``min_level`` and below (``debug`` by default), keep only :data:`LOG_FIELDS`.
    Output: a :class:`LogIndex`. ``received``/``dropped`` count lines; ``dropped_lines`` keeps
    the last :attr:`KEEP_DROPPED` lines the filter dropped, so a count can be explained.

    Examples:
        >>> with LogCollector() as collector:
        ...     ship_logs(collector.port, ['{"service": "a", "level": "debug"}', '{"service": "a", "level": "info"}'])
        ...     collector.wait_for_connections(1)
        >>> len(collector.index), collector.dropped
        (1, 1)
    """

    _label = "log collector"
    LEVELS = ("debug", "info", "warning", "error", "critical")
    KEEP_DROPPED = 20

    def __init__(self, index: LogIndex | None = None, *, drop_levels: Sequence[str] = ("debug",)) -> None:
        super().__init__()
        self.index = index if index is not None else LogIndex()
        self.drop_levels = {checks.choice("drop_levels", level, self.LEVELS) for level in drop_levels}
        self._lock = threading.Lock()
        self.received = self.dropped = self.connections = 0
        self._dropped_lines: collections.deque[str] = collections.deque(maxlen=self.KEEP_DROPPED)

    def _filter(self, raw: bytes) -> dict[str, Any] | None:
        with self._lock:
            self.received += 1
        try:
            record = json.loads(raw)
        except ValueError:
            record = None
        if not isinstance(record, dict) or record.get("level") in self.drop_levels:
            with self._lock:
                self.dropped += 1
                self._dropped_lines.append(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
            return None
        return {k: v for k, v in record.items() if k in LOG_FIELDS}

    @property
    def dropped_lines(self) -> list[str]:
        """The last :attr:`KEEP_DROPPED` lines the filter dropped, oldest first (without the newline)."""
        with self._lock:
            return list(self._dropped_lines)

    def _make_server(self) -> _CollectorServer:
        server = _CollectorServer((HOST, self._port), _CollectorHandler)
        server.collector = self
        return server

    def wait_for_connections(self, count: int, timeout_s: float = 5.0) -> None:
        """Wait until ``count`` shipping connections have been indexed (a shipper's bytes arrive later)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if self.connections >= count:
                    return
            time.sleep(0.005)
        raise TimeoutError(f"the log collector saw {self.connections} connections, not {count}, in {timeout_s} s")


def ship_logs(port: int, lines: Iterable[str], timeout: float = 5.0) -> None:
    """Ship log lines (one JSON object each) to a collector on 127.0.0.1:``port`` over one connection."""
    payload = "".join(line if line.endswith("\n") else line + "\n" for line in lines).encode("utf-8")
    with socket.create_connection((HOST, checks.count("port", port)), timeout=timeout) as conn:
        conn.sendall(payload)


# --- a real Prometheus server (optional) ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    return port


class PrometheusServer(StartStop):
    """The real Prometheus server scraping ``targets`` (ports on 127.0.0.1) every ``interval_s`` (lesson 10, section 3).

    It runs the ``prometheus`` program (Debian and Ubuntu package ``prometheus``; ``binary``
    names another) as a child process: listening on 127.0.0.1 only, with its configuration
    and its time-series database in a temporary folder that ``stop`` removes, and killed by
    the kernel if the Python process that started it dies first (``die_with_parent``). Its
    configuration scrapes the targets and nothing else: no remote write, no alerting, no
    address outside 127.0.0.1. ``PrometheusServer.find()`` says whether it is installed.

    Examples:
        >>> if PrometheusServer.find():
        ...     with ShopService(error_rate=0.0) as shop, PrometheusServer([shop.port]) as prometheus:
        ...         _ = [get(shop.port, "/orders") for _ in range(3)]
        ...         prometheus.wait_for('sum(shop_requests_total{route="/orders"})', 3.0)
        3.0
    """

    def __init__(self, targets: Sequence[int], interval_s: float = 1.0, binary: str | None = None) -> None:
        if not isinstance(targets, Sequence) or not targets:
            raise ValueError(f"targets must be a non-empty list of ports on 127.0.0.1, got {targets!r}")
        self.targets = [checks.integer("target port", port, 1, 65_535) for port in targets]
        self.interval_s = checks.number("interval_s", interval_s, 0.1, 60.0)
        found = self.find() if binary is None else shutil.which(binary)
        if found is None:
            raise ValueError(f"no Prometheus program {binary or 'prometheus'!r} here: install the prometheus package")
        self.binary = found
        self.port = 0
        self._folder: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        state = f"on port {self.port}" if self._process is not None else "stopped"
        return f"<PrometheusServer {state}, scraping {self.targets} every {self.interval_s:g} s>"

    @staticmethod
    def find() -> str | None:
        """The path of the ``prometheus`` program, or None where it is not installed."""
        return shutil.which("prometheus")

    @property
    def url(self) -> str:
        """Its address, http://127.0.0.1:PORT/."""
        if self._process is None:
            raise ValueError("the Prometheus server has no address yet: start it first (use it in a with block)")
        return f"http://{HOST}:{self.port}/"

    def config(self) -> str:
        """The configuration it runs with (YAML; JSON is YAML): one job, ``shop``, with the targets."""
        every = f"{round(self.interval_s * 1000)}ms"
        job = {"job_name": "shop", "static_configs": [{"targets": [f"{HOST}:{port}" for port in self.targets]}]}
        return json.dumps({"global": {"scrape_interval": every, "evaluation_interval": every},
                           "scrape_configs": [job]}, indent=2)  # fmt: skip

    def start(self) -> Self:
        """Write its configuration, start it, and wait (up to 20 s) until it answers ready."""
        self._folder = Path(tempfile.mkdtemp(prefix="prometheus-"))
        (self._folder / "prometheus.yml").write_text(self.config(), encoding="utf-8")
        self.port = _free_port()
        command = [
            self.binary,
            f"--config.file={self._folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={self._folder / 'data'}",
            f"--web.listen-address={HOST}:{self.port}",
            "--log.level=warn",
        ]
        with open(self._folder / "prometheus.log", "wb") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                             cwd=self._folder, preexec_fn=die_with_parent)  # fmt: skip
        deadline = time.monotonic() + 20.0
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"Prometheus exited at start: {self.log()[-500:]}")
            try:
                if get(self.port, "/-/ready", timeout=1.0).status == 200:
                    return self
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.05)
        raise RuntimeError("Prometheus did not answer ready within 20 s")

    def log(self) -> str:
        """What the server has printed (warnings and errors only)."""
        if self._folder is None or not (self._folder / "prometheus.log").exists():
            return ""
        return (self._folder / "prometheus.log").read_text(encoding="utf-8", errors="replace")

    def query(self, expression: str) -> list[tuple[dict[str, str], float]]:
        """An instant PromQL query through the HTTP API (``/api/v1/query``): (labels, value) per series."""
        if not isinstance(expression, str) or not expression.strip():
            raise ValueError(f"expression must be a PromQL expression, got {expression!r}")
        _ = self.url  # refuses before start
        reply = json.loads(get(self.port, "/api/v1/query?" + urllib.parse.urlencode({"query": expression})).body)
        if reply.get("status") != "success":
            raise ValueError(f"Prometheus refused {expression!r}: {reply.get('error')}")
        data = reply["data"]
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        return [(dict(item["metric"]), float(item["value"][1])) for item in data["result"]]

    def wait_for(self, expression: str, value: float, timeout_s: float = 15.0) -> float:
        """Query until ``expression`` gives one series equal to ``value`` (a scrape has happened); its value."""
        deadline = time.monotonic() + checks.positive("timeout_s", timeout_s)
        seen: list[tuple[dict[str, str], float]] = []
        while time.monotonic() < deadline:
            seen = self.query(expression)
            if len(seen) == 1 and seen[0][1] == value:
                return seen[0][1]
            time.sleep(self.interval_s / 4)
        raise TimeoutError(f"{expression} stayed {seen} for {timeout_s:g} s (waiting for {value:g})")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s) and remove its folder."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
