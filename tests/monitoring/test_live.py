"""Live pieces of lesson 10 against real clients: curl scrapes, promtool lints, raw sockets push, curl traces."""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from helpers.monitoring.live import (
    LogCollector,
    LogIndex,
    LogSink,
    PrometheusServer,
    ShopService,
    ToyCarbon,
    TracedService,
    get,
    scrape,
    send_graphite,
    ship_logs,
)
from helpers.monitoring.model import TraceParent, graphite_line

from paths import ROOT
from real_clients import require, run

HEADER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _curl(url: str, *extra: str) -> tuple[dict[str, str], str]:
    done = run("curl", ["-sS", "--noproxy", "*", "-D", "-", *extra, url])
    assert done.returncode == 0, done.stderr
    head, _, body = done.stdout.partition("\n\n")  # text mode turned CRLF into LF
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head.splitlines()[1:])}
    return headers, body


def _closed(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_curl_scrapes_the_text_exposition() -> None:
    with ShopService(error_rate=0.0, seed=1) as shop:
        for _ in range(3):
            assert get(shop.port, "/orders").status == 200
        headers, body = _curl(f"http://127.0.0.1:{shop.port}/metrics")
    assert headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "# TYPE shop_requests_total counter" in body
    assert 'shop_requests_total{route="/orders",status="200"} 3.0' in body
    assert 'shop_request_duration_seconds_bucket{le="+Inf",route="/orders"} 3.0' in body
    assert 'shop_request_duration_seconds_count{route="/orders"} 3.0' in body
    assert "# TYPE shop_in_flight_requests gauge" in body
    assert _closed(shop.port)


def test_a_scraper_asking_for_openmetrics_gets_it() -> None:
    with ShopService(error_rate=0.0, seed=1) as shop:
        get(shop.port, "/cart")
        accept = "application/openmetrics-text; version=1.0.0"
        headers, body = _curl(f"http://127.0.0.1:{shop.port}/metrics", "-H", f"Accept: {accept}")
    assert headers["content-type"].startswith("application/openmetrics-text; version=1.0.0")
    assert body.endswith("# EOF\n")
    assert 'shop_requests_total{route="/cart",status="200"} 1.0' in body


def test_promtool_accepts_the_exposition() -> None:
    with ShopService(seed=2) as shop:
        for route in ("/orders", "/cart", "/nope"):
            get(shop.port, route)
        text = shop.exposition(created=True)
    done = subprocess.run([require("promtool"), "check", "metrics"], input=text, capture_output=True, text=True,
                          timeout=20, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_counters_match_what_concurrent_clients_saw() -> None:
    with ShopService(error_rate=0.2, seed=3) as shop, ThreadPoolExecutor(8) as pool:
        routes = [random.Random(5).choice(["/orders", "/cart", "/search"]) for _ in range(120)]
        statuses = list(pool.map(lambda r: (r, get(shop.port, r).status), routes))
        samples = scrape(shop.port)
    for route in ("/orders", "/cart", "/search"):
        for status in (200, 500):
            seen = sum(1 for r, s in statuses if (r, s) == (route, status))
            assert samples.get(f'shop_requests_total{{route="{route}",status="{status}"}}', 0.0) == seen
    errors = sum(1 for _, s in statuses if s == 500)
    assert 5 < errors < 50  # seeded 20%
    total = sum(v for k, v in samples.items() if k.startswith("shop_request_duration_seconds_count"))
    assert total == 120
    assert samples["shop_in_flight_requests"] == 0


def test_unknown_paths_share_one_bounded_label() -> None:
    with ShopService(seed=4) as shop:
        for i in range(50):
            assert get(shop.port, f"/users/{i}").status == 404
        samples = scrape(shop.port)
    assert samples['shop_requests_total{route="other",status="404"}'] == 50
    assert not any("/users/" in k for k in samples)


def test_scrape_leaves_out_created_series_unless_asked() -> None:
    with ShopService(seed=4) as shop:
        get(shop.port, "/cart")
        assert not any("_created" in k for k in scrape(shop.port))
        assert any("_created" in k for k in scrape(shop.port, created=True))


def test_carbon_reads_pushed_plaintext_lines_and_drops_bad_ones() -> None:
    with ToyCarbon() as carbon:
        send_graphite(carbon.port, [graphite_line("shop.orders.requests", 42, 1_700_000_000), "not a line\n"])
        with socket.create_connection(("127.0.0.1", carbon.port)) as raw:  # a client that is not ours
            raw.sendall(b"shop.orders.latency_ms.p99;region=eu 12.5 1700000001\n")
        points = carbon.wait_for(2)
    assert sorted(points) == [("shop.orders.latency_ms.p99;region=eu", 12.5, 1_700_000_001),
                              ("shop.orders.requests", 42.0, 1_700_000_000)]  # fmt: skip
    assert _closed(carbon.port)


def test_curl_s_traceparent_is_continued_through_three_services() -> None:
    sink = LogSink()
    with (
        TracedService("payments", sink) as payments,
        TracedService("orders", sink, [payments.port]) as orders,
        TracedService("gateway", sink, [orders.port]) as gateway,
    ):
        _headers, body = _curl(f"http://127.0.0.1:{gateway.port}/checkout", "-H", f"traceparent: {HEADER}")
        spans = [*gateway.spans, *orders.spans, *payments.spans]
        o_spans, p_spans = orders.spans, payments.spans
    records = sink.records()
    assert json.loads(body)["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert {r["trace_id"] for r in records} == {"4bf92f3577b34da6a3ce929d0e0e4736"}
    assert {r["service"] for r in records} == {"gateway", "orders", "payments"}
    received = {r["service"]: r["traceparent"] for r in records if r["event"] == "request.received"}
    assert received["gateway"] == HEADER
    assert len(spans) == 3
    gw = next(s for s in spans if s.name == "GET /checkout")
    od, pm = (next(s for s in sp if s.name == "GET /work") for sp in (o_spans, p_spans))
    assert gw.parent is not None
    assert f"{gw.parent.span_id:016x}" == "00f067aa0ba902b7"
    child_of_gateway = TraceParent.parse(received["orders"])
    assert child_of_gateway.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert child_of_gateway.parent_id == f"{gw.context.span_id:016x}"
    assert child_of_gateway.flags == "01"  # the caller's flags are kept
    assert od.parent is not None
    assert od.parent.span_id == gw.context.span_id  # orders' span is the gateway's child
    assert pm.parent is not None
    assert pm.parent.span_id == od.context.span_id  # payments' span is orders' child
    assert {s.context.trace_id for s in spans} == {gw.context.trace_id}


def test_a_request_without_traceparent_starts_a_trace_with_random_flag() -> None:
    sink = LogSink()
    with TracedService("payments", sink) as payments, TracedService("orders", sink, [payments.port]) as orders:
        assert get(orders.port, "/checkout").status == 200
    received = [r["traceparent"] for r in sink.records() if r["event"] == "request.received"]
    assert received[0] is None
    assert TraceParent.parse(received[1]).flags == "03"  # OTel 1.45: sampled + random trace-id (Level 2)
    assert len({r["trace_id"] for r in sink.records()}) == 1


def test_a_broken_downstream_fails_the_journey_and_logs_an_error() -> None:
    sink = LogSink()
    with TracedService("payments", sink, broken=True) as payments, TracedService("orders", sink, [payments.port]) as o:
        assert get(o.port, "/checkout").status == 502
    levels = {(r["service"], r["level"]) for r in sink.records() if r["event"] == "request.failed"}
    assert levels == {("payments", "error"), ("orders", "error")}


def test_concurrent_requests_keep_their_own_trace_ids() -> None:
    sink = LogSink()
    with (
        TracedService("payments", sink) as payments,
        TracedService("orders", sink, [payments.port]) as orders,
        ThreadPoolExecutor(6) as pool,
    ):
        replies = list(pool.map(lambda _: json.loads(get(orders.port, "/checkout").body), range(24)))
    traces = {r["trace_id"] for r in replies}
    assert len(traces) == 24
    for trace_id in traces:
        lines = [r for r in sink.records() if r["trace_id"] == trace_id]
        assert {r["service"] for r in lines} == {"orders", "payments"}
        assert len(lines) == 5  # orders: received, called, done; payments: received, done


def test_nothing_is_left_running() -> None:
    before = set(threading.enumerate())
    sink = LogSink()
    with ShopService() as shop, ToyCarbon() as carbon, TracedService("a", sink) as a, LogCollector() as logs:
        ship_logs(logs.port, ['{"level": "info"}'])
        logs.wait_for_connections(1)
        get(shop.port, "/orders")
        get(a.port, "/x")
        send_graphite(carbon.port, ["a 1 1\n"])
        carbon.wait_for(1)
        ports = (shop.port, carbon.port, a.port, logs.port)
    assert set(threading.enumerate()) <= before
    assert all(_closed(p) for p in ports)


def _seeded_log(lines: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    records: list[dict[str, object]] = []
    for i in range(lines):
        level = rng.choices(["debug", "info", "warning", "error"], [10, 70, 10, 10])[0]
        records.append({
            "service": rng.choice(["gateway", "orders", "payments"]),
            "level": level,
            "trace_id": f"req-{i // 3:06d}",
            "event": rng.choice(["request done", "payment timeout", "cart updated", "db timeout"]),
            "latency_ms": rng.randint(1, 400),
            "user": f"u{rng.randint(1, 999)}",  # the filter drops fields it does not know
        })  # fmt: skip
    return records


def test_the_collector_keeps_the_last_lines_it_dropped_so_a_count_can_be_explained() -> None:
    noise = ['{"level": "debug", "event": "noise"}', "not json", "[1, 2]"]
    with LogCollector() as collector:
        ship_logs(collector.port, ['{"level": "info", "event": "kept"}', *noise])
        collector.wait_for_connections(1)
    assert collector.dropped_lines == noise
    assert LogCollector.KEEP_DROPPED == 20
    with LogCollector() as collector:
        ship_logs(collector.port, [f'{{"level": "debug", "n": {n}}}' for n in range(50)])
        collector.wait_for_connections(1)
    assert collector.dropped == 50
    assert collector.dropped_lines == [f'{{"level": "debug", "n": {n}}}' for n in range(30, 50)]


def test_the_collector_pipeline_indexes_and_searches_exactly() -> None:
    records = _seeded_log(6000, seed=10)
    with LogCollector() as collector:
        for start in range(0, 6000, 2000):  # three shippers
            ship_logs(collector.port, [json.dumps(r) for r in records[start : start + 2000]] + ["not json"])
        collector.wait_for_connections(3)
    kept = [r for r in records if r["level"] != "debug"]
    index = collector.index
    assert (collector.received, collector.dropped, len(index)) == (6003, 6003 - len(kept), len(kept))
    timeouts = sum(1 for r in kept if r["level"] == "error" and "timeout" in str(r["event"]))
    assert index.count("level:error AND event:timeout") == timeouts
    assert index.count("latency_ms:[200 TO 100000]") == sum(1 for r in kept if int(str(r["latency_ms"])) >= 200)
    trace = index.search('trace_id:"req-000123"')
    assert sorted(r["trace_id"] for r in trace) == ["req-000123"] * sum(
        1 for r in kept if r["trace_id"] == "req-000123"
    )
    assert all("user" not in r for r in trace)
    errors = {}
    for r in kept:
        if r["level"] == "error":
            errors[r["service"]] = errors.get(r["service"], 0) + 1
    assert dict(index.terms("service", "level:error")) == errors
    assert [c for _, c in index.terms("service", "level:error")] == sorted(errors.values(), reverse=True)


def test_structlog_lines_from_traced_services_feed_the_collector() -> None:
    sink = LogSink()
    with (
        TracedService("payments", sink, broken=True) as payments,
        TracedService("orders", sink, [payments.port]) as orders,
        LogCollector() as collector,
    ):
        for _ in range(4):
            get(orders.port, "/checkout")
        ship_logs(collector.port, sink.lines)
        collector.wait_for_connections(1)
    index = collector.index
    assert len(index) == len(sink.lines) == 4 * 5
    assert index.terms("service", "level:error") == [("orders", 4), ("payments", 4)]
    one = sink.records()[0]["trace_id"]
    assert {r["service"] for r in index.search(f'trace_id:"{one}"')} == {"orders", "payments"}


def test_bad_queries_and_fields_raise() -> None:
    index = LogIndex([{"service": "a", "level": "info"}])
    with pytest.raises(ValueError, match="query"):
        index.count("level:(")
    with pytest.raises(ValueError, match="keyword field"):
        index.terms("event")


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="error_rate"):
        ShopService(error_rate=2)
    with pytest.raises(ValueError, match="name"):
        TracedService("", LogSink())


# --- the real Prometheus server (optional in the lesson; installed by .ci/run) ----------------------


def _listening_addresses(pid: int) -> set[str]:
    return {
        f"{connection.laddr.ip}:{connection.laddr.port}"
        for connection in psutil.Process(pid).net_connections(kind="inet")
        if connection.status == psutil.CONN_LISTEN
    }


def test_prometheus_scrapes_the_shop_on_loopback_and_answers_promql_as_the_course_computes() -> None:
    require("prometheus")
    with ShopService(error_rate=0.25, seed=5) as shop, PrometheusServer([shop.port], interval_s=0.5) as prometheus:
        for path in ["/orders"] * 30 + ["/cart"] * 10:
            get(shop.port, path)
        ours = scrape(shop.port)
        assert prometheus.wait_for("sum(shop_requests_total)", 40.0) == 40.0
        ((labels, up),) = prometheus.query("up")
        ((_, failed),) = prometheus.query('sum(shop_requests_total{status="500"})')
        process = prometheus._process
        assert process is not None
        addresses = _listening_addresses(process.pid)
        folder = prometheus._folder
        assert '"remote_write"' not in prometheus.config()
    assert (labels["instance"], labels["job"], up) == (f"127.0.0.1:{shop.port}", "shop", 1.0)
    assert failed == sum(v for k, v in ours.items() if k.startswith("shop_requests_total") and 'status="500"' in k)
    assert addresses == {f"127.0.0.1:{prometheus.port}"}, f"Prometheus must listen on loopback only: {addresses}"
    assert process.poll() is not None, "stop() ends the server"
    assert folder is not None
    assert not folder.exists(), "stop() removes its configuration and database"


def test_prometheus_dies_with_the_process_that_started_it() -> None:
    require("prometheus")
    script = (
        "import os, sys; from helpers.monitoring.live import PrometheusServer\n"
        "server = PrometheusServer([9]).start(); print(server._process.pid, server._folder, flush=True)\n"
        "os._exit(0)  # a crashed kernel: no with block, no stop()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True,
                          cwd=ROOT)  # fmt: skip
    pid, folder = done.stdout.split()
    for _ in range(100):
        if not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]:
            break
        time.sleep(0.05)
    else:
        os.kill(int(pid), 9)
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail("Prometheus outlived the Python process that started it")
    shutil.rmtree(folder, ignore_errors=True)  # a crash leaves the folder (in the system's temporary folder)


def test_prometheus_server_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="targets must be a non-empty list"):
        PrometheusServer([])
    with pytest.raises(ValueError, match="target port must be an int"):
        PrometheusServer([70_000])
    with pytest.raises(ValueError, match="interval_s must be a number"):
        PrometheusServer([9], interval_s=0)
    with pytest.raises(ValueError, match="no Prometheus program 'no-such-prometheus'"):
        PrometheusServer([9], binary="no-such-prometheus")
    with pytest.raises(ValueError, match="start it first"):
        _ = PrometheusServer([9], binary="true").url


def test_a_line_cut_short_by_stop_is_not_counted_but_a_client_s_last_line_is() -> None:
    with LogCollector() as collector:
        ship_logs(collector.port, ['{"level": "info", "event": "kept"}'])
        with socket.create_connection(("127.0.0.1", collector.port), timeout=5) as stray:
            stray.sendall(b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f")  # a greeting with no end of line
            collector.wait_for_connections(1)
            time.sleep(0.1)
            stopper = threading.Thread(target=collector.stop)
            stopper.start()
            stopper.join(5)
            assert not stopper.is_alive(), "stop() waited on a connection that never ended its line"
    assert (collector.received, collector.dropped, len(collector.index)) == (1, 0, 1)
    with LogCollector() as collector, socket.create_connection(("127.0.0.1", collector.port), timeout=5) as client:
        client.sendall(b'{"level": "debug"}')  # the client ends without a newline, then closes
        client.close()
        collector.wait_for_connections(1)
    assert collector.dropped_lines == ['{"level": "debug"}']
