"""Tests for helpers.rpc.live: live gRPC and XML-RPC servers and their client stubs, all on 127.0.0.1.

Every test that starts a server checks that it is gone afterwards: no thread and no
listening socket survives the ``with`` block.
"""

from __future__ import annotations

import http.client
import threading
import time
import xmlrpc.client
from collections.abc import Iterator

import grpc
import numpy as np
import psutil
import pytest

from helpers.rpc.live import grpc_channel, grpc_service, xmlrpc_proxy, xmlrpc_service
from helpers.rpc.model import ORDERS_PROTO, CompiledProto, compile_proto, measure_call_us, sample_order, wire_fields

V1 = """syntax = "proto3"; package crm;
message CustomerId { uint64 id = 1; }
message Customer { uint64 id = 1; string name = 2; int64 balance_cents = 3; }
service Customers { rpc Get (CustomerId) returns (Customer); }
"""


def listening_ports() -> set[tuple[str, int]]:
    return {
        (connection.laddr.ip, connection.laddr.port)
        for connection in psutil.Process().net_connections(kind="inet")
        if connection.status == psutil.CONN_LISTEN
    }


def own_threads() -> set[threading.Thread]:
    # gRPC keeps a few process-wide threads of its own (polling, timers) once it has been used.
    return {thread for thread in threading.enumerate() if thread.name.startswith(("grpc-server", "xmlrpc-server"))}


@pytest.fixture(autouse=True)
def leaves_nothing_behind() -> Iterator[None]:
    ports = listening_ports()
    yield
    deadline = time.monotonic() + 2.0
    while (own_threads() or listening_ports() - ports) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert own_threads() == set(), "a server thread outlived its with block"
    assert listening_ports() - ports == set(), "a socket is still listening"


@pytest.fixture(scope="module")
def orders() -> CompiledProto:
    return compile_proto(ORDERS_PROTO, "orders.proto")


def price_handler(proto: CompiledProto):  # type: ignore[no-untyped-def]
    def price(order):  # type: ignore[no-untyped-def]
        return proto.message("Total")(cents=sum(item.quantity * item.price_cents for item in order.items))

    return price


# --- live services --------------------------------------------------------------------------


def test_grpc_service_answers_on_loopback_only_and_counts_calls(orders: CompiledProto) -> None:
    with grpc_service(orders, "shop.Orders", {"Price": price_handler(orders)}) as server:
        assert server.address == f"127.0.0.1:{server.port}"
        # gRPC may listen on an IPv6 socket bound to the IPv4-mapped loopback address.
        bound = {ip.removeprefix("::ffff:") for ip, port in listening_ports() if port == server.port}
        assert bound == {"127.0.0.1"}
        with grpc_channel(orders, "shop.Orders", server.address) as stub:
            assert stub.Price(sample_order(orders, items=3)).cents == 3 * 3998
            assert stub.Price(sample_order(orders, items=0)).cents == 0
        assert server.calls == {"Price": 2}


def test_grpc_call_to_a_stopped_server_is_unavailable_and_a_slow_one_times_out(orders: CompiledProto) -> None:
    with grpc_service(orders, "shop.Orders", {"Price": price_handler(orders)}) as server:
        address = server.address
    with grpc_channel(orders, "shop.Orders", address, timeout_s=1.0) as stub, pytest.raises(grpc.RpcError) as failure:
        stub.Price(sample_order(orders, items=1))
    assert failure.value.code() == grpc.StatusCode.UNAVAILABLE  # type: ignore[attr-defined]

    def slow(order):  # type: ignore[no-untyped-def]
        time.sleep(0.3)
        return price_handler(orders)(order)

    with (
        grpc_service(orders, "shop.Orders", {"Price": slow}) as server,
        grpc_channel(orders, "shop.Orders", server.address, timeout_s=0.05) as stub,
    ):
        with pytest.raises(grpc.RpcError) as failure:
            stub.Price(sample_order(orders, items=1))
        assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED  # type: ignore[attr-defined]


def test_grpc_handler_value_error_is_invalid_argument(orders: CompiledProto) -> None:
    def refuse(order):  # type: ignore[no-untyped-def]
        raise ValueError("an order needs items")

    with (
        grpc_service(orders, "shop.Orders", {"Price": refuse}) as server,
        grpc_channel(orders, "shop.Orders", server.address) as stub,
    ):
        with pytest.raises(grpc.RpcError) as failure:
            stub.Price(sample_order(orders, items=0))
        assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
        assert "needs items" in failure.value.details()  # type: ignore[attr-defined]


def test_v1_client_calls_a_v2_server_and_keeps_the_field_it_does_not_know() -> None:
    old = compile_proto(V1, "crm.proto")
    new = compile_proto(
        V1.replace("int64 balance_cents = 3;", "int64 balance_cents = 3; string email = 4;"), "crm.proto"
    )

    def get(request):  # type: ignore[no-untyped-def]
        return new.message("Customer")(id=request.id, name="Ada", balance_cents=5, email="a@example.org")

    with (
        grpc_service(new, "crm.Customers", {"Get": get}) as server,
        grpc_channel(old, "crm.Customers", server.address) as customers,
    ):
        got = customers.Get(old.message("CustomerId")(id=9))
    assert (got.id, got.name, got.balance_cents) == (9, "Ada", 5)
    assert (4, "length-delimited", b"a@example.org") in wire_fields(got.SerializeToString())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: grpc_service(p, "shop.Orders", {}).__enter__(), r"missing \['Price'\]"),
        (
            lambda p: grpc_service(p, "shop.Orders", {"Price": print, "Refund": print}).__enter__(),
            r"has no methods \['Refund'\]",
        ),
        (lambda p: grpc_channel(p, "shop.Orders", "example.com:443").__enter__(), "address must be 127.0.0.1:PORT"),
        (lambda p: grpc_channel(p, "shop.Orders", "127.0.0.1:1", timeout_s=0).__enter__(), "timeout_s must be"),
    ],
)
def test_grpc_helpers_reject_bad_arguments(orders: CompiledProto, call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(orders)  # type: ignore[operator]


def test_stub_has_only_the_service_s_methods(orders: CompiledProto) -> None:
    with (
        grpc_channel(orders, "shop.Orders", "127.0.0.1:1") as stub,
        pytest.raises(AttributeError, match=r"no method 'Refund'; it has \['Price'\]"),
    ):
        stub.Refund  # noqa: B018


def test_xmlrpc_service_round_trip_faults_and_stops() -> None:
    with xmlrpc_service({"add": lambda a, b: a + b, "fail": lambda: 1 / 0}) as server:
        assert server.url == f"http://127.0.0.1:{server.port}/"
        with xmlrpc_proxy(server.url) as remote:
            assert remote.add(2, 3) == 5
            assert remote.add("a", "b") == "ab"
            with pytest.raises(xmlrpc.client.Fault, match="ZeroDivisionError"):
                remote.fail()
    with xmlrpc_proxy(server.url) as remote, pytest.raises(ConnectionRefusedError):
        remote.add(1, 1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: xmlrpc_service({}).__enter__(), "at least one function"),
        (lambda: xmlrpc_service({"x": 3}).__enter__(), r"functions\['x'\] must be callable, got 3"),
        (lambda: xmlrpc_proxy("http://example.com/").__enter__(), "url must be http://127.0.0.1:PORT/"),
    ],
)
def test_xmlrpc_helpers_reject_bad_arguments(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_remote_call_costs_at_least_a_hundred_local_calls(orders: CompiledProto) -> None:
    local = np.median(measure_call_us(lambda: sum([1, 2, 3]), samples=50, batch=200))
    with (
        grpc_service(orders, "shop.Orders", {"Price": price_handler(orders)}) as server,
        grpc_channel(orders, "shop.Orders", server.address) as stub,
    ):
        request = sample_order(orders, items=3)
        remote = np.median(measure_call_us(lambda: stub.Price(request), samples=30))
    assert remote >= 100 * local


def test_xmlrpc_service_writes_nothing_to_stderr_even_for_a_bad_request(capfd: pytest.CaptureFixture[str]) -> None:
    with xmlrpc_service({"add": lambda a, b: a + b}) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
        connection.request("GET", "/")  # XML-RPC takes POST only: an error the server would otherwise log
        assert connection.getresponse().status == 501
        connection.close()
        with xmlrpc_proxy(server.url) as remote:
            assert remote.add(1, 2) == 3
    assert capfd.readouterr().err == ""
