"""The live pieces of lesson 12: discovery through lesson 04's DNS server, backends (read with curl), ServiceClient.

The instances are published as SRV records in unit 04's ``AuthoritativeServer`` (composed here,
as in the lesson: ``helpers.clients`` never imports it). Every server runs on 127.0.0.1, port 0,
inside a ``with`` block, and must leave no thread behind. Timings are asserted only with wide
margins; counts and states are exact.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pybreaker
import pytest
import tenacity

from helpers.clients.live import (
    Backend,
    ServiceClient,
    ServiceUnavailableError,
    http_date,
    resolve_srv,
)
from helpers.clients.model import instance_records, should_retry, srv_name
from helpers.dns.live import NEGATIVE_TTL, AuthoritativeServer

from real_clients import run


@pytest.fixture(autouse=True)
def leaves_no_thread() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2
    while set(threading.enumerate()) - before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert set(threading.enumerate()) - before == set()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def publish(dns: AuthoritativeServer, backend: Backend, host: str, priority: int = 10, weight: int = 10,
            ttl: int = 30) -> str:  # fmt: skip
    """Register ``backend`` as an instance of "orders" in ``dns``; the SRV value, to deregister it with."""
    srv, address = instance_records("orders", backend.port, host, priority=priority, weight=weight, ttl=ttl)
    dns.add(srv, address)
    return srv.value


def deregister(dns: AuthoritativeServer, value: str) -> None:
    assert dns.remove(srv_name("orders"), "SRV", value) == 1


# --- discovery through lesson 04's DNS server (RFC 2782) ---------------------------------------------


def test_resolve_srv_reads_priority_weight_port_target_and_the_ttl() -> None:
    with AuthoritativeServer() as dns:
        dns.add(*instance_records("orders", 8081, "a", priority=10, weight=60, ttl=7))
        dns.add(*instance_records("orders", 8082, "b", priority=20, weight=0, ttl=7))
        records, ttl = resolve_srv(dns.port, "orders")
        done = run("dig", ["@127.0.0.1", "-p", str(dns.port), "+time=2", "+tries=1", "+short", "SRV",
                           srv_name("orders")])  # fmt: skip
    assert sorted((r.priority, r.weight, r.port, r.target) for r in records) == [
        (10, 60, 8081, "a.shop.test"),
        (20, 0, 8082, "b.shop.test"),
    ]
    assert ttl == 7
    assert sorted(done.stdout.split("\n")) == ["", "10 60 8081 a.shop.test.", "20 0 8082 b.shop.test."]


def test_an_unknown_service_has_no_records_cached_for_the_negative_ttl() -> None:
    with AuthoritativeServer() as dns:
        assert resolve_srv(dns.port, "payments") == ([], NEGATIVE_TTL)  # NXDOMAIN, SOA minimum (RFC 2308)
        with pytest.raises(LookupError, match="REFUSED"):
            resolve_srv(dns.port, "orders", zone="example.com")  # not the server's zone


# --- backends, read by curl ------------------------------------------------------------------------


def test_curl_sees_503_and_429_with_retry_after_in_both_forms() -> None:
    date = http_date(30)
    with Backend("a", mode="busy", retry_after="2") as backend:
        busy = run("curl", ["-s", "-i", "--max-time", "5", f"http://127.0.0.1:{backend.port}/x"])
        backend.mode, backend.retry_after = "throttle", date
        throttled = run("curl", ["-s", "-i", "--max-time", "5", f"http://127.0.0.1:{backend.port}/x"])
    assert busy.stdout.startswith("HTTP/1.0 503")
    assert "Retry-After: 2\n" in busy.stdout
    assert throttled.stdout.startswith("HTTP/1.0 429")
    assert f"Retry-After: {date}\n" in throttled.stdout
    assert backend.calls == 2


def test_curl_timeout_against_a_hanging_backend_and_stop_wakes_it() -> None:
    with Backend("slow", mode="hang", hang_s=5) as backend:
        started = time.perf_counter()
        done = run("curl", ["-s", "--max-time", "0.3", f"http://127.0.0.1:{backend.port}/x"])
        took = time.perf_counter() - started
    assert done.returncode == 28  # curl: operation timed out
    assert took < 3


def test_script_then_mode_and_request_ids() -> None:
    with Backend("a") as backend:
        backend.script = ["fail", "busy"]
        codes = [
            run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"X-Request-ID: r{i}",
                         f"http://127.0.0.1:{backend.port}/"]).stdout
            for i in range(3)
        ]  # fmt: skip
    assert codes == ["500", "503", "200"]
    assert backend.request_ids == ["r0", "r1", "r2"]


# --- ServiceClient ---------------------------------------------------------------------------------


def test_client_fails_over_from_a_stopped_instance_in_priority_order() -> None:
    with AuthoritativeServer() as dns, Backend("primary") as primary, Backend("spare") as spare:
        publish(dns, primary, "primary", priority=10)
        publish(dns, spare, "spare", priority=20)
        primary_port = primary.port
        with ServiceClient("orders", dns.port) as client:
            first = client.call("/orders/1")
            primary.stop()
            second = client.call("/orders/2")
    assert first.port == primary_port
    assert second.port == spare.port
    assert second.attempts == 2  # the refused primary, then the spare
    assert spare.calls == 1


def test_client_never_calls_a_lower_priority_while_a_higher_one_answers() -> None:
    with AuthoritativeServer() as dns, Backend("a") as a, Backend("spare") as spare:
        publish(dns, a, "a", priority=10, weight=1)
        publish(dns, spare, "spare", priority=20, weight=255)
        with ServiceClient("orders", dns.port, rng=random.Random(2)) as client:
            ports = {client.call("/").port for _ in range(50)}
    assert ports == {a.port}
    assert spare.calls == 0


def test_client_follows_weights_within_a_priority() -> None:
    with AuthoritativeServer() as dns, Backend("a") as a, Backend("b") as b:
        publish(dns, a, "a", weight=1)
        publish(dns, b, "b", weight=3)
        with ServiceClient("orders", dns.port, rng=random.Random(5)) as client:
            ports = Counter(client.call("/").port for _ in range(200))
    assert 0.65 < ports[b.port] / 200 < 0.85


def test_client_caches_for_the_ttl_then_sees_a_deregistration() -> None:
    clock = FakeClock()
    with AuthoritativeServer() as dns, Backend("a") as a, Backend("b") as b:
        leaving = publish(dns, a, "a", ttl=30)
        publish(dns, b, "b", ttl=30)
        with ServiceClient("orders", dns.port, clock=clock) as client:
            client.call("/")
            deregister(dns, leaving)
            clock.now = 29.9
            still = {r.port for r in client.instances()}
            calls = Counter(client.call("/").port for _ in range(20))
            clock.now = 30
            after = {r.port for r in client.instances()}
            later = Counter(client.call("/").port for _ in range(20))
    assert still == {a.port, b.port}
    assert calls[a.port] > 0, "until the TTL runs out, the deregistered instance still gets calls"
    assert after == {b.port}
    assert later == Counter({b.port: 20})
    assert client.resolutions == 2
    assert dns.queries == 2


def test_client_re_resolves_only_when_the_ttl_runs_out_and_sees_a_new_instance() -> None:
    clock = FakeClock()
    with AuthoritativeServer() as dns, Backend("a") as a, Backend("b") as b:
        publish(dns, a, "a", ttl=5)
        with ServiceClient("orders", dns.port, clock=clock) as client:
            for now in (0.0, 1.0, 4.99):
                clock.now = now
                client.call("/")
            publish(dns, b, "b", ttl=5)
            clock.now = 4.999
            before = {r.port for r in client.instances()}
            clock.now = 5.0
            after = {r.port for r in client.instances()}
    assert (before, after) == ({a.port}, {a.port, b.port})
    assert client.resolutions == dns.queries == 2


def test_one_json_log_line_per_call_with_the_correlation_id_the_server_saw() -> None:
    with AuthoritativeServer() as dns, Backend("a") as a:
        publish(dns, a, "a")
        with ServiceClient("orders", dns.port) as client:
            results = [client.call(f"/orders/{i}") for i in range(3)]
    records = [json.loads(line) for line in client.log.lines]
    assert len(records) == 3
    assert [r["correlation_id"] for r in records] == [r.correlation_id for r in results] == a.request_ids
    assert {r["status"] for r in records} == {200}
    assert len(set(a.request_ids)) == 3


def test_a_service_with_no_instance_fails_after_its_retries() -> None:
    with AuthoritativeServer() as dns, ServiceClient("orders", dns.port, attempts=2) as client:
        with pytest.raises(ServiceUnavailableError, match="no instance of 'orders'"):
            client.call("/")
        assert client.resolutions == 1, "the negative answer is cached for its TTL too"


def test_client_timeout_turns_a_hang_into_a_failover() -> None:
    with AuthoritativeServer() as dns, Backend("slow", mode="hang", hang_s=3) as slow, Backend("fast") as fast:
        publish(dns, slow, "slow", priority=10)
        publish(dns, fast, "fast", priority=20)
        with ServiceClient("orders", dns.port, timeout=0.1) as client:
            started = time.perf_counter()
            result = client.call("/")
            took = time.perf_counter() - started
    assert result.port == fast.port
    assert 0.1 <= took < 1.5


def test_retries_503_until_it_clears_but_never_retries_a_post() -> None:
    with AuthoritativeServer() as dns, Backend("a") as a:
        publish(dns, a, "a")
        a.script = ["busy", "busy"]
        with ServiceClient("orders", dns.port, attempts=3, fail_max=10) as client:
            result = client.call("/")
            assert a.calls == 3
            a.script = ["busy"]
            with pytest.raises(ServiceUnavailableError, match="503"):
                client.call("/orders", method="POST")
    assert result.status == 200
    assert a.calls == 4
    assert client.log.records[-1]["level"] == "error"


def test_pybreaker_server_sees_exactly_fail_max_calls_then_one_trial_closes_it() -> None:
    with Backend("flaky", mode="fail") as backend:
        breaker = pybreaker.CircuitBreaker(fail_max=3, reset_timeout=0.2)
        url = f"http://127.0.0.1:{backend.port}/"
        import httpx

        def get() -> int:
            response = httpx.get(url, trust_env=False, timeout=1)
            response.raise_for_status()
            return response.status_code

        outcomes = []
        for _ in range(8):
            try:
                outcomes.append(breaker.call(get))
            except pybreaker.CircuitBreakerError:
                outcomes.append("open")
            except httpx.HTTPStatusError as error:
                outcomes.append(error.response.status_code)
        assert outcomes == [500, 500] + ["open"] * 6  # the third call trips it and raises the breaker's error
        assert backend.calls == 3
        backend.mode = "ok"
        time.sleep(0.25)
        assert breaker.call(get) == 200
        assert breaker.current_state == "closed"
        assert backend.calls == 4


def test_a_breaker_without_a_timeout_never_opens_on_a_hang() -> None:
    with Backend("stuck", mode="hang", hang_s=0.3) as backend:
        breaker = pybreaker.CircuitBreaker(fail_max=1, reset_timeout=60)
        import httpx

        status = breaker.call(lambda: httpx.get(f"http://127.0.0.1:{backend.port}/", trust_env=False, timeout=None))
        assert status.status_code == 200
        assert breaker.current_state == "closed"
        with pytest.raises(pybreaker.CircuitBreakerError):  # the tripping call raises the breaker's error
            breaker.call(lambda: httpx.get(f"http://127.0.0.1:{backend.port}/", trust_env=False, timeout=0.05))
        assert breaker.current_state == "open"


def test_tenacity_honours_retry_after_in_both_forms() -> None:
    with Backend("a") as backend:
        backend.script = ["throttle", "busy"]
        import httpx

        url = f"http://127.0.0.1:{backend.port}/"

        def get() -> httpx.Response:
            response = httpx.get(url, trust_env=False, timeout=1)
            if response.status_code in (429, 503):
                backend.retry_after = http_date(-5)  # the next 503 says: a date already past
                raise RuntimeError(response.headers["Retry-After"])
            return response

        for attempt in tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RuntimeError),
            wait=tenacity.wait_exponential(max=0.05),
            stop=tenacity.stop_after_attempt(4),
        ):
            with attempt:
                result = get()
    assert result.status_code == 200
    assert backend.calls == 3
    assert should_retry("GET", 429, 1, 4)
