"""Tests for helpers.testing.live: the order service, its collaborators, stubs and injected faults.

Every server runs on 127.0.0.1, port 0, inside a ``with`` block, and must leave no thread
behind. Where the lesson relies on HTTP behaviour, a client nobody here wrote checks it:
curl (Debian's) and httpx (the client most Python services use), never through a proxy.
"""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from helpers.serving import HOST
from helpers.testing.live import (
    FaultInjector,
    OrderService,
    PaymentClient,
    PaymentDeclined,
    PaymentError,
    PaymentService,
    PaymentTimeout,
    PaymentUnavailable,
    StockService,
    StubReply,
    StubServer,
    post_json,
)

from real_clients import run

ORDER = {"sku": "book", "quantity": 1, "amount_cents": 1_250}


def _threads() -> set[str]:
    return {thread.name for thread in threading.enumerate()}


def _client() -> httpx.Client:
    return httpx.Client(trust_env=False, timeout=5.0)  # trust_env=False: no proxy, nothing leaves 127.0.0.1


# --- the real services, through real clients --------------------------------------------------


def test_end_to_end_an_order_crosses_three_services_with_httpx() -> None:
    with (
        StockService({"book": 2}) as stock,
        PaymentService() as payments,
        OrderService(stock.url, payments.url) as orders,
        _client() as client,
    ):
        first = client.post(orders.url + "/orders", json=ORDER)
        second = client.post(orders.url + "/orders", json={**ORDER, "quantity": 2})
    assert first.status_code == 201
    assert first.json() == {"order_id": "order-1", "status": "confirmed", "payment_id": "pay-1"}
    assert second.status_code == 409  # one book left, two asked for
    assert second.headers["content-type"] == "application/problem+json"
    assert stock.stock == {"book": 1}
    assert payments.charged == {"pay-1": 1_250}


def test_a_declined_payment_is_a_402_and_a_body_not_an_object_a_400_with_curl() -> None:
    curl_post = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json", "--data"]
    with (
        StockService({"book": 5}) as stock,
        PaymentService(limit_cents=1_000) as payments,
        OrderService(stock.url, payments.url) as orders,
    ):
        declined = run("curl", [*curl_post, json.dumps(ORDER), orders.url + "/orders"])
        bad = run("curl", ["-s", "-w", "\n%{http_code}", "--data", "[1]", orders.url + "/orders"])
    assert declined.stdout == "402"
    assert bad.stdout.rsplit("\n", 1)[1] == "400"
    assert payments.charged == {}


@pytest.mark.parametrize(
    ("body", "status"),
    [({"sku": "book"}, 422), ({**ORDER, "quantity": 0}, 422), ({**ORDER, "amount_cents": True}, 422)],
)
def test_the_order_service_refuses_incomplete_orders(body: dict[str, object], status: int) -> None:
    with (
        StockService({"book": 1}) as stock,
        PaymentService() as payments,
        OrderService(stock.url, payments.url) as orders,
    ):
        assert post_json(orders.url + "/orders", body).status == status


def test_unknown_routes_are_404() -> None:
    with PaymentService() as payments, StockService({}) as stock:
        assert post_json(payments.url + "/nowhere", {}).status == 404
        assert post_json(stock.url + "/nowhere", {}).status == 404
        assert post_json(payments.url + "/payments", {"order_id": "", "amount_cents": 5}).status == 422


# --- stubs and the payment client (a service test) ---------------------------------------------


def test_stub_answers_curl_with_its_canned_reply_and_records_the_request() -> None:
    with StubServer({("POST", "/payments"): StubReply(201, {"payment_id": "pay-stub"})}) as stub:
        done = run(
            "curl",
            ["-s", "-H", "Content-Type: application/json", "--data", '{"order_id": "o-9"}', stub.url + "/payments"],
        )
        missing = run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", stub.url + "/other"])
    assert json.loads(done.stdout) == {"payment_id": "pay-stub"}
    assert missing.stdout == "404"
    assert stub.requests == [("POST", "/payments", {"order_id": "o-9"}), ("GET", "/other", None)]


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (StubReply(503), PaymentUnavailable),
        (StubReply(500), PaymentUnavailable),
        (StubReply(402), PaymentDeclined),
        (StubReply(200, {"ok": True}), PaymentError),
        (StubReply(404), PaymentError),
    ],
)
def test_payment_client_maps_each_status_to_its_error(reply: StubReply, error: type[PaymentError]) -> None:
    with StubServer({("POST", "/payments"): reply}) as stub, pytest.raises(error) as raised:
        PaymentClient(stub.url).charge("o-1", 100)
    assert type(raised.value) is error


def test_payment_client_times_out_and_the_stub_still_stops_at_once() -> None:
    before = _threads()
    with StubServer({("POST", "/payments"): StubReply(201, {"payment_id": "late"}, delay_s=30)}) as stub:
        started = time.perf_counter()
        with pytest.raises(PaymentTimeout):
            PaymentClient(stub.url, timeout_s=0.2).charge("o-1", 100)
        waited = time.perf_counter() - started
        stopping = time.perf_counter()
    stopped_in = time.perf_counter() - stopping
    assert 0.15 < waited < 1.0  # the client's timeout, not the stub's 30 s
    assert stopped_in < 1.0  # the delayed reply woke when the stub stopped
    assert _threads() == before
    assert not stub.running


def test_a_stopped_stub_refuses_and_the_client_says_unavailable() -> None:
    with StubServer() as stub:
        url = stub.url
    with pytest.raises(PaymentUnavailable):
        PaymentClient(url).charge("o-1", 100)


def test_order_service_with_stub_collaborators_maps_payment_503_to_its_own_503() -> None:
    routes = {("POST", "/reservations"): StubReply(201, {"reservation_id": "r"}), ("POST", "/payments"): StubReply(503)}
    with StubServer(routes) as stub, OrderService(stub.url, stub.url) as orders, _client() as client:
        reply = client.post(orders.url + "/orders", json=ORDER)
        stub.reply("POST", "/payments", StubReply(201, {"payment_id": "pay-s"}))
        later = client.post(orders.url + "/orders", json=ORDER)
    assert reply.status_code == 503
    assert "payment" in reply.json()["detail"]
    assert later.json()["payment_id"] == "pay-s"
    assert [path for _, path, _ in stub.requests] == ["/reservations", "/payments"] * 2


def test_order_service_times_out_on_a_silent_collaborator() -> None:
    routes = {("POST", "/reservations"): StubReply(201, {}, delay_s=30)}
    with StubServer(routes) as stub, OrderService(stub.url, stub.url, timeout_s=0.2) as orders:
        started = time.perf_counter()
        reply = post_json(orders.url + "/orders", ORDER)
        waited = time.perf_counter() - started
    assert reply.status == 503
    assert waited < 1.0


def test_stub_can_restart_on_the_same_port_and_refuses_bad_routes() -> None:
    stub = StubServer({("GET", "/health"): StubReply(200, {"up": True})})
    with stub:
        port = stub.port
    with stub:
        assert stub.port == port
        assert stub.running
    with pytest.raises(ValueError, match="path"):
        stub.reply("GET", "health", StubReply())
    with pytest.raises(ValueError, match="method"):
        stub.reply("GE T", "/x", StubReply())
    with pytest.raises(ValueError, match="status"):
        StubReply(700)
    with pytest.raises(TypeError, match="StubReply"):
        stub.reply("GET", "/x", 200)  # type: ignore[arg-type]


# --- injected faults ---------------------------------------------------------------------------


def test_injected_faults_are_seeded_and_counted() -> None:
    def statuses(seed: int) -> tuple[list[int], FaultInjector]:
        faults = FaultInjector(0.2, seed=seed)
        with PaymentService(faults=faults) as payments:
            got = [
                post_json(payments.url + "/payments", {"order_id": f"o-{i}", "amount_cents": 1}).status
                for i in range(100)
            ]
        return got, faults

    first, faults = statuses(3)
    again, _ = statuses(3)
    assert first == again
    assert first.count(503) == faults.failures
    assert 10 <= faults.failures <= 30
    assert faults.calls == 100


def test_every_server_binds_loopback_only() -> None:
    with StubServer() as stub, PaymentService() as payments, StockService({}) as stock:
        for server in (stub, payments, stock):
            assert server._server is not None
            assert server._server.server_address[0] == HOST


@pytest.mark.parametrize("url", ["http://example.com:80/", "https://127.0.0.1:5/", "http://127.0.0.1/"])
def test_clients_refuse_anything_but_local_http(url: str) -> None:
    with pytest.raises(ValueError, match="url"):
        PaymentClient(url)
    with pytest.raises(ValueError, match="url"):
        post_json(url, {})


def test_a_provider_that_renames_payment_id_breaks_the_client_and_the_order_service() -> None:
    with (
        StockService({"book": 1}) as stock,
        PaymentService(id_field="id") as payments,
        OrderService(stock.url, payments.url) as orders,
    ):
        with pytest.raises(PaymentError, match="answered 201"):
            PaymentClient(payments.url).charge("o-1", 100)
        assert post_json(orders.url + "/orders", ORDER).status == 503
    with pytest.raises(ValueError, match="id_field"):
        PaymentService(id_field="")


# --- the contract, with Pact (lesson 09's helpers) ------------------------------------------------


def test_pacts_verifier_passes_the_real_payment_service_and_names_a_renamed_payment_id() -> None:
    from helpers.versioning.live import load_pact, verify_pact, write_pact

    pact = load_pact()
    if pact is None:
        pytest.skip("pact-python is not installed here (its wheel needs glibc >= 2.28)")

    def consumer_test(folder: object) -> None:
        contract = pact.Pact("orders", "payments").with_specification("V4")
        (
            contract.upon_receiving("a charge")
            .with_request("POST", "/payments")
            .with_body({"order_id": "o-1", "amount_cents": 900}, content_type="application/json")
            .will_respond_with(201)
            .with_body({"payment_id": pact.match.str("pay-1")}, content_type="application/json")
        )
        with contract.serve(addr="127.0.0.1") as mock:
            assert PaymentClient(str(mock.url)).charge("o-1", 900) == "pay-1"
        contract.write_file(folder, overwrite=True)

    payment_pact = write_pact(consumer_test)
    with PaymentService() as real, PaymentService(id_field="id") as renamed:
        passed, broken = verify_pact(payment_pact, real), verify_pact(payment_pact, renamed)
    assert passed.passed
    assert passed.mismatches == ()
    assert not broken.passed
    assert any("payment_id" in line for line in broken.mismatches), broken.mismatches
    assert real.charged, "the verifier sent its request to the live provider"
    assert renamed.charged, "the verifier sent its request to the live provider"
