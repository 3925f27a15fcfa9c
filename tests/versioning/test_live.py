"""Live tests for helpers.versioning.live: each protocol clause lesson 09 relies on, with real clients.

curl and httpx call the catalogue provider; Pact's own Rust mock server and verifier check
the contracts; lesson 05's Backend and LoadBalancer (passed in as objects) carry the mixed
fleet; grpcio's channel calls both versions of the orders service.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from helpers.balancing.live import Backend, LoadBalancer
from helpers.rpc.model import compile_proto
from helpers.versioning.live import (
    CatalogueClient,
    CatalogueProvider,
    ProductPrice,
    ProviderFleet,
    get,
    load_pact,
    replay,
    send_round,
    serve_versions,
    verify_pact,
    write_pact,
)
from helpers.versioning.model import (
    KETTLE,
    MEDIA_TYPE,
    big_bang_plan,
    document,
    expand_contract_plan,
    simulate_plan,
)
from helpers.versioning.protos import ORDERS_V1, ORDERS_V1_EVOLVED, ORDERS_V2

from real_clients import run

pact = pytest.importorskip("pact", reason="pact-python (its wheel needs glibc >= 2.28)")


@pytest.fixture(scope="module")
def provider() -> Iterator[CatalogueProvider]:
    with CatalogueProvider("v1") as running:
        yield running


# --- versions on the wire (section 6), with curl and httpx --------------------------------------


def _curl_json(url: str, *headers: str) -> tuple[dict[str, Any], str]:
    arguments = ["-sS", "-D", "-", "--noproxy", "*"]
    for header in headers:
        arguments += ["-H", header]
    done = run("curl", [*arguments, url])
    assert done.returncode == 0, done.stderr
    head, _, body = done.stdout.partition("\n\n")  # text mode turned CRLF into LF
    return json.loads(body), head.lower()


def test_uri_header_and_media_type_are_alternatives_for_the_same_version(provider: CatalogueProvider) -> None:
    by_uri, head_uri = _curl_json(provider.url + "/v2/products/7")
    by_header, _ = _curl_json(provider.url + "/products/7", "Api-Version: 2")
    by_media, head_media = _curl_json(provider.url + "/products/7", "Accept: " + MEDIA_TYPE.format(2))
    assert by_uri == by_header == by_media == document(KETTLE, "v2")
    assert "vary: accept, api-version" in head_uri
    assert f"content-type: {MEDIA_TYPE.format(2)}" in head_media
    unversioned, _ = _curl_json(provider.url + "/products/7")
    assert unversioned == document(KETTLE, "v1")


def test_unknown_and_conflicting_versions_get_problem_details(provider: CatalogueProvider) -> None:
    with httpx.Client(base_url=provider.url, trust_env=False) as client:
        assert client.get("/v3/products/7").status_code == 404
        assert client.get("/products/7", headers={"Api-Version": "3"}).status_code == 400
        not_acceptable = client.get("/products/7", headers={"Accept": MEDIA_TYPE.format(3)})
        assert not_acceptable.status_code == 406
        assert not_acceptable.headers["content-type"] == "application/problem+json"
        conflict = client.get("/v1/products/7", headers={"Api-Version": "2"})
        assert conflict.status_code == 400
        assert "conflicting versions" in conflict.json()["detail"]
        assert client.get("/products/99").status_code == 404


def test_head_answers_like_get_without_content(provider: CatalogueProvider) -> None:
    done = run("curl", ["-sS", "-I", "--noproxy", "*", provider.url + "/v2/products/7"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("HTTP/1.0 200") or done.stdout.startswith("HTTP/1.1 200")
    assert "api-version: 2" in done.stdout.lower()
    assert get(provider.url + "/products/7", method="HEAD").body == b""


def test_provider_states_add_and_remove_products() -> None:
    with CatalogueProvider(products=()) as empty, httpx.Client(base_url=empty.url, trust_env=False) as client:
        assert client.get("/products/7").status_code == 404
        assert client.post("/_pact/state", json={"state": "product 7 exists", "action": "setup"}).status_code == 200
        assert client.get("/products/7").json() == document(KETTLE, "v1")
        assert client.post("/_pact/state", json={"state": "product 7 does not exist"}).status_code == 200
        assert client.get("/products/7").status_code == 404
        assert client.post("/_pact/state", json={"state": "the moon exists"}).status_code == 400
        assert client.post("/products/7", json={}).status_code == 405


def test_the_client_is_a_tolerant_reader() -> None:
    for shape in ("v1", "colour", "gift_wrap", "no_name", "v1+v2"):
        with CatalogueProvider(shape) as running:
            assert CatalogueClient(running.url).product(7) == ProductPrice(7, 2599), shape
    with CatalogueProvider("v2") as renamed, pytest.raises(ValueError, match="missing price_cents"):
        CatalogueClient(renamed.url).product(7)
    with CatalogueProvider(products=()) as empty:
        assert CatalogueClient(empty.url).product(7) is None


def test_clients_refuse_any_host_but_loopback() -> None:
    with pytest.raises(ValueError, match=r"nothing here leaves 127\.0\.0\.1"):
        get("http://example.com/products/7")
    with pytest.raises(ValueError, match=r"nothing here leaves 127\.0\.0\.1"):
        CatalogueClient("http://localhost:80")


# --- Pact (section 4): the Rust mock and verifier ----------------------------------------------


def checkout_consumer_test(folder: Path) -> None:
    """The checkout team's consumer test: what it needs of product 7, checked against Pact's mock."""
    contract = pact.Pact("checkout", "catalogue").with_specification("V4")
    (
        contract.upon_receiving("a request for product 7")
        .given("product 7 exists")
        .with_request("GET", "/products/7")
        .will_respond_with(200)
        .with_body({"id": pact.match.int(7), "price_cents": pact.match.int(2599)}, content_type="application/json")
    )
    with contract.serve(addr="127.0.0.1") as mock:
        assert str(mock.url).startswith("http://127.0.0.1:")
        assert CatalogueClient(str(mock.url)).product(7) == ProductPrice(7, 2599)
    contract.write_file(folder, overwrite=True)


@pytest.fixture(scope="module")
def checkout_pact() -> dict[str, Any]:
    return write_pact(checkout_consumer_test)


def test_the_consumer_test_writes_a_pact(checkout_pact: dict[str, Any]) -> None:
    assert checkout_pact["consumer"]["name"] == "checkout"
    assert checkout_pact["provider"]["name"] == "catalogue"
    (interaction,) = checkout_pact["interactions"]
    assert interaction["request"]["path"] == "/products/7"
    assert interaction["providerStates"] == [{"name": "product 7 exists"}]


def test_the_verifier_passes_v1_and_an_added_field(checkout_pact: dict[str, Any]) -> None:
    for shape in ("v1", "colour"):
        with CatalogueProvider(shape, products=()) as running:
            found = verify_pact(checkout_pact, running)
            assert found.passed, (shape, found.mismatches)
            assert found.mismatches == ()


def test_the_verifier_fails_a_rename_and_names_the_field(checkout_pact: dict[str, Any]) -> None:
    with CatalogueProvider("v2", products=()) as renamed:
        found = verify_pact(checkout_pact, renamed)
    assert not found.passed
    assert any("price_cents" in line for line in found.mismatches), found.mismatches
    assert "price_cents" in found.output


def test_a_missing_state_fails_verification(checkout_pact: dict[str, Any]) -> None:
    """Without the state handler creating product 7 the provider answers 404: states matter."""
    stateless = json.loads(json.dumps(checkout_pact))
    stateless["interactions"][0]["providerStates"] = [{"name": "product 7 does not exist"}]
    with CatalogueProvider("v1") as running:
        found = verify_pact(stateless, running)
    assert not found.passed
    assert any("404" in line or "status" in line.lower() for line in found.mismatches), found.mismatches


STRACED = """
import json, sys
from helpers.versioning.live import CatalogueClient, CatalogueProvider, verify_pact, write_pact
import pact

def consumer(folder):
    contract = pact.Pact("checkout", "catalogue").with_specification("V4")
    (contract.upon_receiving("a request for product 7").given("product 7 exists")
        .with_request("GET", "/products/7").will_respond_with(200)
        .with_body({"id": pact.match.int(7), "price_cents": pact.match.int(2599)}, content_type="application/json"))
    with contract.serve(addr="127.0.0.1") as mock:
        CatalogueClient(str(mock.url)).product(7)
    contract.write_file(folder, overwrite=True)

with CatalogueProvider("v1", products=()) as provider:
    assert verify_pact(write_pact(consumer), provider).passed
"""


def test_telemetry_is_off_and_nothing_leaves_loopback(tmp_path: Path) -> None:
    """Every connect() of a consumer test and a verification, traced by strace, goes to 127.0.0.1.

    Without PACT_DO_NOT_TRACK Pact's core looks up a name (DNS, port 53) and posts usage
    data: the trace would show it. The variable comes from ``helpers.versioning`` alone here.
    """
    env = {k: v for k, v in os.environ.items() if k != "PACT_DO_NOT_TRACK" and "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    trace = tmp_path / "trace"
    command = ["-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace), sys.executable, "-c", STRACED]
    done = subprocess.run(
        [require_strace(), *command], capture_output=True, text=True, timeout=120, env=env, check=False
    )
    if "ptrace" in done.stderr and not trace.exists():
        pytest.skip(f"strace cannot trace here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    calls = [line for line in trace.read_text().splitlines() if "sin_port" in line or "sin6_port" in line]
    assert calls, "strace saw no network call at all: the test is not watching"
    elsewhere = [line for line in calls if "127.0.0.1" not in line]
    assert elsewhere == [], elsewhere


def require_strace() -> str:
    path = shutil.which("strace")
    if path is None:
        pytest.skip("strace is not installed (apt-get install strace): the loopback-only trace is skipped")
    return path


def test_load_pact_refuses_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "false")
    with pytest.raises(RuntimeError, match="telemetry"):
        load_pact()
    monkeypatch.delenv("PACT_DO_NOT_TRACK")
    assert load_pact() is pact
    assert os.environ["PACT_DO_NOT_TRACK"] == "true"


def test_verify_pact_needs_a_running_provider(checkout_pact: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="running server with a url"):
        verify_pact(checkout_pact, CatalogueProvider())
    with CatalogueProvider() as running, pytest.raises(ValueError, match="no pact at"):
        verify_pact("/nonexistent/pact.json", running)


# --- the mixed fleet behind lesson 05's balancer (section 5) -----------------------------------


def test_big_bang_on_a_half_upgraded_fleet_fails_half_the_requests() -> None:
    with ProviderFleet(Backend, ["v1", "v2"]) as fleet, LoadBalancer(fleet.backends) as balancer:
        found = send_round(balancer.url, ["v1"], requests_each=200)
    assert found.requests == 200
    assert found.failure_share == big_bang_failure_share(0.5, 0.0)
    assert {backend for _, backend, _ in found.pairs} == {"p0", "p1"}


def big_bang_failure_share(p: float, c: float) -> float:
    return c * (1 - p) + (1 - c) * p


@pytest.mark.parametrize(("providers", "consumers"), [(2, 2), (3, 1)])
def test_replayed_plans_fail_as_the_model_says(providers: int, consumers: int) -> None:
    with ProviderFleet(Backend, ["v1"] * providers) as fleet, LoadBalancer(fleet.backends) as balancer:
        safe = replay(expand_contract_plan(providers, consumers), fleet, balancer.url, ["v1"] * consumers)
        assert [r.failures for r in safe] == [0] * len(safe)
        assert fleet.shapes == ["v2"] * providers
        for index in range(providers):
            fleet.deploy(index, "v1")
        plan = big_bang_plan(providers, consumers)
        rounds = replay(plan, fleet, balancer.url, ["v1"] * consumers)
    assert [r.failure_share for r in rounds] == simulate_plan(plan, providers, consumers)


def test_fleet_stops_every_server_and_leaves_no_thread() -> None:
    before = threading.active_count()
    with ProviderFleet(Backend, ["v1", "v1+v2"]) as fleet, LoadBalancer(fleet.backends) as balancer:
        assert send_round(balancer.url, ["v1", "v2"], requests_each=2).failures == 1
    assert not any(backend.running for backend in fleet.backends)
    assert threading.active_count() == before
    with pytest.raises(ValueError, match="shapes must be"):
        ProviderFleet(Backend, "v1")
    with pytest.raises(ValueError, match="lesson 05's Backend"):
        ProviderFleet(dict, ["v1"])


# --- gRPC by package (section 7) ----------------------------------------------------------------


def test_v1_and_v2_served_side_by_side_and_old_readers_skip_new_fields() -> None:
    v1, evolved, v2 = compile_proto(ORDERS_V1), compile_proto(ORDERS_V1_EVOLVED), compile_proto(ORDERS_V2)

    def get_v1(request: Any) -> Any:  # the provider has moved on to the evolved v1 schema
        return evolved.message("Order")(id=request.id, total_cents=2599, currency="EUR")

    def get_v2(request: Any) -> Any:
        order = v2.message("Order")(id=request.id)
        order.total.units, order.total.currency = 25, "EUR"
        return order

    services = [(evolved, "Orders", {"GetOrder": get_v1}), (v2, "Orders", {"GetOrder": get_v2})]
    with serve_versions(services) as server, grpc.insecure_channel(server.address) as channel:
        old_client = channel.unary_unary(
            "/shop.orders.v1.Orders/GetOrder",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=v1.message("Order").FromString,
        )
        new_client = channel.unary_unary(
            "/shop.orders.v2.Orders/GetOrder",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=v2.message("Order").FromString,
        )
        old = old_client(v1.message("GetOrderRequest")(id=7), timeout=5)
        new = new_client(v2.message("GetOrderRequest")(id=7), timeout=5)
    assert (old.id, old.total_cents, old.customer) == (7, 2599, "")
    assert (new.total.units, new.total.currency) == (25, "EUR")
    assert server.calls == {"/shop.orders.v1.Orders/GetOrder": 1, "/shop.orders.v2.Orders/GetOrder": 1}


def test_grpc_server_checks_its_handlers() -> None:
    with (
        pytest.raises(ValueError, match="needs handlers for"),
        serve_versions([(compile_proto(ORDERS_V1), "Orders", {"Get": lambda r: r})]),
    ):
        pass


def test_urllib_with_no_proxy_reaches_the_provider(provider: CatalogueProvider) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(provider.url + "/v1/products/7", timeout=5) as answer:
        assert json.load(answer) == document(KETTLE, "v1")
