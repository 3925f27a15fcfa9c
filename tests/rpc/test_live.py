"""Tests for helpers.rpc.live: live gRPC and XML-RPC servers and their client stubs, all on 127.0.0.1.

Every test that starts a server checks that it is gone afterwards: no thread and no
listening socket survives the ``with`` block.
"""

from __future__ import annotations

import http.client
import struct
import threading
import time
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import psutil
import pytest
from google.protobuf import descriptor_pool, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from helpers.rpc.live import (
    REFLECTION_SERVICE,
    generated_modules,
    grpc_channel,
    grpc_service,
    reflected_services,
    xmlrpc_proxy,
    xmlrpc_service,
)
from helpers.rpc.model import (
    ORDERS_PROTO,
    AtMostOnce,
    CompiledProto,
    compile_proto,
    measure_call_us,
    retryable,
    sample_order,
    wire_fields,
)

from real_clients import run

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


# --- what clients nobody here wrote see: reflection, the generated stub, curl over HTTP/2 -----------


def test_grpc_server_reflection_lists_and_describes_services_for_grpcio_reflection_client(
    orders: CompiledProto,
) -> None:
    """gRPC Server Reflection Protocol (grpc/proposal A15): a client without the .proto lists and calls the service."""
    with grpc_service(orders, "shop.Orders", {"Price": price_handler(orders)}) as server:
        channel = grpc.insecure_channel(server.address, options=[("grpc.enable_http_proxy", 0)])
        try:
            database = ProtoReflectionDescriptorDatabase(channel)
            assert sorted(database.get_services()) == sorted(["shop.Orders", REFLECTION_SERVICE])
            pool = descriptor_pool.DescriptorPool(database)
            price = pool.FindServiceByName("shop.Orders").FindMethodByName("Price")
            assert (price.input_type.full_name, price.output_type.full_name) == ("shop.Order", "shop.Total")
            reflection = pool.FindServiceByName(REFLECTION_SERVICE)  # reflection describes itself too
            assert [method.name for method in reflection.methods] == ["ServerReflectionInfo"]
            # a call built only from what reflection said, as grpcurl does
            order_class = message_factory.GetMessageClass(price.input_type)
            total_class = message_factory.GetMessageClass(price.output_type)
            call = channel.unary_unary("/shop.Orders/Price", request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=total_class.FromString)  # fmt: skip
            order = order_class(id=1, items=[{"sku": "a", "quantity": 3, "price_cents": 100}])
            assert call(order, timeout=2).cents == 300
        finally:
            channel.close()
        assert reflected_services(server.address) == {
            "shop.Orders": ["Price"],
            REFLECTION_SERVICE: ["ServerReflectionInfo"],
        }


def test_generated_client_stub_from_protoc_calls_the_server_and_loads_twice(orders: CompiledProto) -> None:
    orders_pb2, orders_pb2_grpc = generated_modules(orders)
    again_pb2, _ = generated_modules(compile_proto(ORDERS_PROTO, "orders.proto"))  # a second Run All
    assert again_pb2.Order is not orders_pb2.Order
    with (
        grpc_service(orders, "shop.Orders", {"Price": price_handler(orders)}) as server,
        grpc.insecure_channel(server.address, options=[("grpc.enable_http_proxy", 0)]) as channel,
    ):
        stub = orders_pb2_grpc.OrdersStub(channel)
        item = orders_pb2.LineItem(sku="x", quantity=2, price_cents=1999)
        assert stub.Price(orders_pb2.Order(id=1, items=[item, item]), timeout=2).cents == 7996
        assert server.calls == {"Price": 1}


def grpc_frame(message: bytes) -> bytes:
    """A gRPC Length-Prefixed-Message: compressed flag 0, 4-byte big-endian length, the message."""
    return b"\x00" + struct.pack(">I", len(message)) + message


def curl_grpc(address: str, method: str, message: bytes, folder: Path, *headers: str) -> tuple[str, bytes]:
    """curl's HTTP/2 call of a gRPC method: (response headers and trailers, response body)."""
    request, body = folder / "request.bin", folder / "response.bin"
    request.write_bytes(grpc_frame(message))
    extra = [argument for header in headers for argument in ("-H", header)]
    done = run("curl", ["-sS", "--http2-prior-knowledge", "-D", "-", "-o", str(body), "-X", "POST",
                        "-H", "content-type: application/grpc", "-H", "te: trailers", *extra,
                        "--data-binary", f"@{request}", f"http://{address}/{method}"])  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.lower(), body.read_bytes()


def test_grpc_protocol_over_http2_answers_curl_with_a_framed_message_and_grpc_status_trailer(
    orders: CompiledProto, tmp_path: Path
) -> None:
    """gRPC over HTTP/2 (grpc/doc/PROTOCOL-HTTP2.md): application/grpc, a length-prefixed message, grpc-status 0."""
    with grpc_service(orders, "shop.Orders", {"Price": price_handler(orders)}) as server:
        request = sample_order(orders, items=2).SerializeToString()
        head, body = curl_grpc(server.address, "shop.Orders/Price", request, tmp_path)
    assert head.startswith("http/2 200"), head
    assert "content-type: application/grpc" in head
    assert "grpc-status: 0" in head, f"the status travels in a trailer: {head}"
    assert body[0] == 0, "the compressed flag is 0"
    assert struct.unpack(">I", body[1:5])[0] == len(body) - 5, "one framed message: a 4-byte length, then the message"
    assert orders.message("Total").FromString(body[5:]).cents == 7996


def test_grpc_protocol_grpc_timeout_header_from_curl_ends_the_call_with_deadline_exceeded(
    orders: CompiledProto, tmp_path: Path
) -> None:
    """PROTOCOL-HTTP2.md: a grpc-timeout request header is the call's deadline; past it the status is 4."""

    def slow(order):  # type: ignore[no-untyped-def]
        time.sleep(0.5)
        return price_handler(orders)(order)

    with grpc_service(orders, "shop.Orders", {"Price": slow}) as server:
        started = time.perf_counter()
        head, body = curl_grpc(server.address, "shop.Orders/Price", b"", tmp_path, "grpc-timeout: 100m")
        waited = time.perf_counter() - started
    assert "grpc-status: 4" in head, f"DEADLINE_EXCEEDED is status 4: {head}"
    assert body == b"", "no message after the deadline"
    assert waited < 0.45, f"the answer came after {waited:.2f} s, not at the 100 ms deadline"


# --- retrying safely: deadlines, request ids, status codes ----------------------------------------


def test_grpc_deadline_propagates_through_context_time_remaining_to_the_downstream_call(
    orders: CompiledProto,
) -> None:
    """gRPC deadlines: the server reads context.time_remaining() and passes it on as the downstream call's timeout."""
    seen: dict[str, float] = {}

    def downstream(order, context):  # type: ignore[no-untyped-def]
        seen["downstream"] = context.time_remaining()
        return price_handler(orders)(order)

    with grpc_service(orders, "shop.Orders", {"Price": downstream}, pass_context=True) as inner:

        def frontend(order, context):  # type: ignore[no-untyped-def]
            seen["frontend"] = context.time_remaining()
            time.sleep(0.1)  # work before the downstream call uses up part of the budget
            with grpc_channel(orders, "shop.Orders", inner.address, timeout_s=context.time_remaining()) as next_hop:
                return next_hop.Price(order)

        with (
            grpc_service(orders, "shop.Orders", {"Price": frontend}, pass_context=True) as outer,
            grpc_channel(orders, "shop.Orders", outer.address, timeout_s=1.0) as stub,
        ):
            assert stub.Price(sample_order(orders, items=1)).cents == 3998
    assert 0.8 < seen["frontend"] <= 1.05, f"about the client's 1 s (grpc-timeout travels rounded): {seen}"
    assert 0.6 < seen["downstream"] <= seen["frontend"] - 0.08, f"the downstream call inherits what is left: {seen}"


def test_grpc_server_finishes_the_work_after_the_client_s_deadline_passed(orders: CompiledProto) -> None:
    """A deadline ends the client's wait, not the server's work: the handler finishes and is counted."""

    def slow(order):  # type: ignore[no-untyped-def]
        time.sleep(0.5)
        return price_handler(orders)(order)

    with (
        grpc_service(orders, "shop.Orders", {"Price": slow}) as server,
        grpc_channel(orders, "shop.Orders", server.address, timeout_s=0.2) as stub,
    ):
        with pytest.raises(grpc.RpcError) as failure:
            stub.Price(sample_order(orders, items=1))
        assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED  # type: ignore[attr-defined]
        assert server.finished == {"Price": 0}, "the client gave up while the server was still working"
        deadline = time.monotonic() + 2
        while server.finished["Price"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.finished == {"Price": 1}, "the server must finish the work the client gave up on"
        assert server.log[-1].endswith("Price finished (the caller had already given up)"), server.log


def test_at_most_once_retry_with_the_same_request_id_runs_the_work_once(orders: CompiledProto) -> None:
    """Birrell & Nelson 1984, call identifiers: a retry after DEADLINE_EXCEEDED is answered, not run again."""
    table, charged = AtMostOnce(), []

    def charge(order):  # type: ignore[no-untyped-def]
        def work():  # type: ignore[no-untyped-def]
            time.sleep(0.5)
            charged.append(order.id)
            return price_handler(orders)(order)

        return table.run(order.customer, work)  # the customer field carries the request id here

    request = orders.message("Order")(id=7, customer="req-7f3a", items=[{"sku": "a", "quantity": 1,
                                                                          "price_cents": 250}])  # fmt: skip
    with grpc_service(orders, "shop.Orders", {"Price": charge}) as server:
        with (
            grpc_channel(orders, "shop.Orders", server.address, timeout_s=0.2) as impatient,
            pytest.raises(grpc.RpcError) as failure,
        ):
            impatient.Price(request)
        code = failure.value.code().name  # type: ignore[attr-defined]
        assert code == "DEADLINE_EXCEEDED"
        assert retryable(code, idempotent=True)
        with grpc_channel(orders, "shop.Orders", server.address, timeout_s=2.0) as patient:
            assert patient.Price(request).cents == 250  # waits for the first run's result
            assert patient.Price(request).cents == 250
    assert charged == [7], f"the work ran {len(charged)} times for one request id"
    assert (table.executed, table.replayed, server.calls["Price"]) == (1, 2, 3)


@pytest.mark.parametrize(
    ("code", "idempotent", "expected"),
    [
        ("UNAVAILABLE", False, True),
        ("UNAVAILABLE", True, True),
        ("DEADLINE_EXCEEDED", False, False),
        ("DEADLINE_EXCEEDED", True, True),
        ("INVALID_ARGUMENT", True, False),
        ("INVALID_ARGUMENT", False, False),
        ("NOT_FOUND", True, False),
    ],
)
def test_retryable_status_codes_follow_grpc_retry_guidance(code: str, idempotent: bool, expected: bool) -> None:
    assert retryable(code, idempotent) is expected
    assert code in {status.name for status in grpc.StatusCode}


def test_invalid_argument_from_the_server_is_not_retryable(orders: CompiledProto) -> None:
    def refuse(order):  # type: ignore[no-untyped-def]
        raise ValueError("quantity must be positive")

    with (
        grpc_service(orders, "shop.Orders", {"Price": refuse}) as server,
        grpc_channel(orders, "shop.Orders", server.address) as stub,
        pytest.raises(grpc.RpcError) as failure,
    ):
        stub.Price(sample_order(orders, items=1))
    assert not retryable(failure.value.code().name, idempotent=True)  # type: ignore[attr-defined]
