"""Tests for helpers.rpc.model: run-time proto compilation, the wire decoder, interface versions, the cost models."""

from __future__ import annotations

import json
import threading
import time
import xmlrpc.client

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.rpc.model import (
    ORDERS_PROTO,
    AtMostOnce,
    CompiledProto,
    batched_ms,
    chatty_ms,
    compile_proto,
    encoded_sizes,
    latency_model_us,
    measure_call_us,
    retryable,
    sample_order,
    wire_fields,
)

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)

V1 = """syntax = "proto3"; package crm;
message CustomerId { uint64 id = 1; }
message Customer { uint64 id = 1; string name = 2; int64 balance_cents = 3; }
service Customers { rpc Get (CustomerId) returns (Customer); }
"""


@pytest.fixture(scope="module")
def orders() -> CompiledProto:
    return compile_proto(ORDERS_PROTO, "orders.proto")


# --- compile_proto --------------------------------------------------------------------------


def test_compile_proto_loads_messages_services_and_keeps_the_generated_text(orders: CompiledProto) -> None:
    assert {"shop.Order", "Order", "shop.LineItem", "LineItem", "Total"} <= set(orders.messages)
    assert orders.message("Order") is orders.message("shop.Order")
    assert orders.service("Orders").full_name == "shop.Orders"
    assert [method.name for method in orders.service("shop.Orders").methods] == ["Price"]
    assert "class OrdersStub" in orders.generated["orders_pb2_grpc.py"]
    assert "orders_pb2.py" in orders.generated


def test_two_versions_of_one_message_live_side_by_side_and_recompiling_works() -> None:
    first = compile_proto(V1, "crm.proto")
    second = compile_proto(
        V1.replace("int64 balance_cents = 3;", "int64 balance_cents = 3; string email = 4;"), "crm.proto"
    )
    again = compile_proto(V1, "crm.proto")
    assert "email" not in first.message("Customer").DESCRIPTOR.fields_by_name
    assert "email" in second.message("Customer").DESCRIPTOR.fields_by_name
    data = again.message("Customer")(id=3, name="x").SerializeToString()
    assert first.message("Customer").FromString(data).name == "x"


def test_compile_proto_leaves_no_files_in_the_working_folder(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    compile_proto(V1, "crm.proto")
    assert list(tmp_path.iterdir()) == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("source", "filename", "message"),
    [
        ('syntax = "proto3"; message A { int32 x = 1 }', "a.proto", r"protoc could not compile a.proto: .*Expected"),
        ("", "a.proto", "source must be the text of a .proto file"),
        (V1, "crm.txt", "filename must be a plain name ending in .proto, got 'crm.txt'"),
        (V1, "../crm.proto", "plain name"),
    ],
)
def test_compile_proto_rejects_bad_sources_with_protoc_s_message(source: str, filename: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compile_proto(source, filename)


def test_unknown_names_are_refused_naming_what_exists(orders: CompiledProto) -> None:
    with pytest.raises(ValueError, match=r"no message 'Invoice'; this proto defines .*'Order'"):
        orders.message("Invoice")
    with pytest.raises(ValueError, match=r"no service 'Billing'"):
        orders.service("Billing")


# --- the wire -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", []),
        (b"\x08\x96\x01", [(1, "varint", 150)]),  # protobuf.dev's encoding example
        (b"\x12\x07testing", [(2, "length-delimited", b"testing")]),
        (b"\x0d\x01\x00\x00\x00", [(1, "fixed32", 1)]),
        (b"\x09" + bytes(8), [(1, "fixed64", 0)]),
        (b"\x08\x01\x08\x02", [(1, "varint", 1), (1, "varint", 2)]),
    ],
)
def test_wire_fields_table(data: bytes, expected: list[tuple[int, str, object]]) -> None:
    assert wire_fields(data) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x08", "ends inside a varint"),
        (b"\x12\x05ab", "claims 5 bytes but only 2 remain"),
        (b"\x00\x01", "field number 0"),
        (b"\x0b", "wire type 3"),
        ("text", "data must be bytes, got str"),
    ],
)
def test_wire_fields_rejects_broken_data(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        wire_fields(data)


@given(
    order_id=st.integers(0, 2**64 - 1),
    customer=st.text(max_size=30),
    items=st.lists(
        st.tuples(st.text(max_size=8), st.integers(-(2**31), 2**31 - 1), st.integers(-(2**63), 2**63 - 1)), max_size=5
    ),
)
@PROPERTY_SETTINGS
def test_field_numbers_not_names_travel(order_id: int, customer: str, items: list[tuple[str, int, int]]) -> None:
    proto = _orders()
    renamed = _renamed()
    order = proto.message("Order")(
        id=order_id,
        customer=customer,
        items=[{"sku": sku, "quantity": q, "price_cents": p} for sku, q, p in items],
    )
    data = order.SerializeToString()
    assert {number for number, _, _ in wire_fields(data)} <= {1, 2, 3}
    other = renamed.message("Order").FromString(data)
    assert (other.order_id, other.client) == (order_id, customer)
    assert [(i.code, i.count, i.cents) for i in other.lines] == items


_CACHE: dict[str, CompiledProto] = {}


def _orders() -> CompiledProto:
    return _CACHE.setdefault("orders", compile_proto(ORDERS_PROTO, "orders.proto"))


def _renamed() -> CompiledProto:
    source = (
        ORDERS_PROTO.replace("string sku", "string code")
        .replace("int32 quantity", "int32 count")
        .replace("int64 price_cents", "int64 cents")
        .replace("uint64 id", "uint64 order_id")
        .replace("string customer", "string client")
        .replace("items = 3", "lines = 3")
    )
    return _CACHE.setdefault("renamed", compile_proto(source, "orders.proto"))


def test_renumbered_field_reads_as_default_and_unknown_fields_survive() -> None:
    old = compile_proto(V1, "crm.proto")
    renumbered = compile_proto(V1.replace("string name = 2;", "string name = 5;"), "crm.proto")
    data = renumbered.message("Customer")(id=7, name="Ada").SerializeToString()
    seen = old.message("Customer").FromString(data)
    assert (seen.id, seen.name) == (7, "")
    assert seen.SerializeToString() == data  # the unknown field 5 is kept and written back


# --- costs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("items", [0, 1, 10, 100])
def test_encoded_sizes_match_the_real_encoders(orders: CompiledProto, items: int) -> None:
    order = sample_order(items=items)
    sizes = encoded_sizes(items)
    assert sizes["JSON"] == len(json.dumps(order, separators=(",", ":")))
    assert sizes["protobuf"] == len(sample_order(orders, items).SerializeToString())
    assert sizes["XML-RPC"] == len(xmlrpc.client.dumps((order,), methodname="price").encode())
    assert sizes["protobuf"] < sizes["JSON"] < sizes["XML-RPC"]


@given(items=st.integers(0, 300))
@PROPERTY_SETTINGS
def test_every_encoding_grows_with_the_message(items: int) -> None:
    smaller, larger = encoded_sizes(items), encoded_sizes(items + 1)
    assert all(larger[name] > smaller[name] for name in smaller)


def test_sample_order_totals_and_rejects_bad_counts(orders: CompiledProto) -> None:
    assert len(sample_order(items=5)["items"]) == 5
    assert len(sample_order(orders, items=5).items) == 5
    with pytest.raises(ValueError, match="items must be an int from 0 to 100000, got -1"):
        sample_order(items=-1)


@pytest.mark.parametrize(
    ("calls", "rtt_ms", "work_ms", "chatty", "batched"),
    [(1, 10.0, 0.0, 10.0, 10.0), (100, 0.5, 0.0, 50.0, 0.5), (200, 1.0, 0.0, 200.0, 1.0), (10, 5.0, 1.0, 60.0, 15.0)],
)
def test_chatty_and_batched_table(calls: int, rtt_ms: float, work_ms: float, chatty: float, batched: float) -> None:
    assert chatty_ms(calls, rtt_ms, work_ms) == pytest.approx(chatty)
    assert batched_ms(calls, rtt_ms, work_ms) == pytest.approx(batched)


@given(calls=st.integers(1, 10_000), rtt=st.floats(0, 1000), work=st.floats(0, 10))
@PROPERTY_SETTINGS
def test_batching_never_loses_and_saves_n_minus_one_round_trips(calls: int, rtt: float, work: float) -> None:
    assert batched_ms(calls, rtt, work) <= chatty_ms(calls, rtt, work) + 1e-9
    assert chatty_ms(calls, rtt, work) - batched_ms(calls, rtt, work) == pytest.approx((calls - 1) * rtt, abs=1e-6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 1.0), "calls must be an int >= 1, got 0"),
        ((True, 1.0), "got True"),
        ((3, -1.0), "rtt_ms must be"),
        ((3, 1.0, float("inf")), "work_ms must be"),
    ],
)
def test_cost_models_reject_bad_input(args: tuple[float, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        chatty_ms(*args)  # type: ignore[arg-type]


def test_latency_model_is_calibrated_seeded_and_shifted_by_the_round_trip() -> None:
    first = latency_model_us(500.0, np.random.default_rng(3), samples=20_000)
    again = latency_model_us(500.0, np.random.default_rng(3), samples=20_000)
    np.testing.assert_array_equal(first, again)
    assert np.median(first) == pytest.approx(500.0, rel=0.02)
    far = latency_model_us(500.0, np.random.default_rng(3), samples=20_000, rtt_ms=150.0)
    assert np.median(far) == pytest.approx(150_500.0, rel=0.03)
    assert (far > 0).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"median_us": 0.0}, "median_us must be a finite number > 0, got 0.0"),
        ({"rtt_ms": -1.0}, "rtt_ms must be a finite number >= 0, got -1.0"),
        ({"rng": 42}, "rng must be a numpy.random.Generator"),
        ({"samples": 0}, "samples must be an int >= 1, got 0"),
    ],
)
def test_latency_model_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"median_us": 1.0, "rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(ValueError, match=message):
        latency_model_us(**arguments)  # type: ignore[arg-type]


def test_measure_call_us_counts_batches_and_rejects_bad_arguments() -> None:
    calls: list[None] = []
    times = measure_call_us(lambda: calls.append(None), samples=7, batch=3)
    assert times.shape == (7,)
    assert len(calls) == 21
    with pytest.raises(ValueError, match="batch must be an int >= 1, got 0"):
        measure_call_us(lambda: None, batch=0)
    with pytest.raises(ValueError, match="call must be a function"):
        measure_call_us(42)  # type: ignore[arg-type]


# --- retrying safely -------------------------------------------------------------------------------


def test_at_most_once_runs_each_id_once_even_when_the_repeat_arrives_during_the_first_run() -> None:
    table, runs = AtMostOnce(), []

    def work() -> int:
        runs.append(1)
        time.sleep(0.1)
        return 42

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(table.run("a", work))) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [42] * 5
    assert runs == [1]
    assert (table.executed, table.replayed, len(table)) == (1, 4, 1)
    assert table.run("b", lambda: 7) == 7
    assert table.executed == 2


def test_at_most_once_replays_the_first_error_without_running_again() -> None:
    table, runs = AtMostOnce(), []

    def fail() -> None:
        runs.append(1)
        raise LookupError("card declined")

    for _ in range(3):
        with pytest.raises(LookupError, match="card declined"):
            table.run("req-1", fail)
    assert runs == [1]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: AtMostOnce().run("", lambda: 1), "request_id must be a non-empty string"),
    (lambda: AtMostOnce().run(7, lambda: 1), "request_id must be a non-empty string"),
    (lambda: retryable("unavailable", True), "code must be a gRPC status code name"),
    (lambda: retryable("UNAVAILABLE", 1), "idempotent must be True or False"),
])  # fmt: skip
def test_retry_helpers_reject_bad_arguments(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
