"""Remote procedure calls: stubs, marshalling, interface versions, and what a remote call costs (lesson 02).

A remote procedure call hides a message exchange behind a function call (Birrell and
Nelson, ACM TOCS 1984): a **client stub** marshals the arguments into bytes, a transport
carries them, a **server stub** unmarshals them and calls the procedure, and the result
travels back the same way. This module holds what needs no server; the live gRPC and
XML-RPC services and their stubs are in ``helpers.rpc.live``.

Sections:
    * interface definitions: ``compile_proto`` (protoc at run time), ``wire_fields``
      (what a protobuf message looks like on the wire, and why renumbering a field breaks
      old stubs while renaming one does not, in the binary encoding), ``ORDERS_PROTO``
    * what it costs: ``encoded_sizes`` (JSON, protobuf, XML-RPC bytes), ``measure_call_us``,
      ``latency_model_us``, ``chatty_ms`` / ``batched_ms``
    * retrying safely: ``AtMostOnce`` (request ids deduplicated on the server) and
      ``retryable`` (which gRPC status codes a client may retry)
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
import xmlrpc.client
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import Descriptor, ServiceDescriptor
from google.protobuf.message import Message
from grpc_tools import protoc
from numpy.typing import NDArray

from helpers import checks

__all__ = [
    "ENCODINGS",
    "ORDERS_PROTO",
    "STATUS_CODES",
    "AtMostOnce",
    "CompiledProto",
    "batched_ms",
    "chatty_ms",
    "compile_proto",
    "encoded_sizes",
    "latency_model_us",
    "measure_call_us",
    "retryable",
    "sample_order",
    "wire_fields",
]

ORDERS_PROTO = """\
syntax = "proto3";
package shop;

message LineItem {
  string sku = 1;
  int32 quantity = 2;
  int64 price_cents = 3;
}

message Order {
  uint64 id = 1;
  string customer = 2;
  repeated LineItem items = 3;
}

message Total {
  int64 cents = 1;
}

service Orders {
  rpc Price (Order) returns (Total);
}
"""
"""The lesson's interface: an order of line items, and a service that prices it (lesson 02, section 2)."""


# --- interface definitions -------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CompiledProto:
    """What protoc made of one .proto file: message classes, services, and the generated Python (lesson 02, section 2).

    Attributes:
        messages: message classes by full name ("shop.Order") and by short name ("Order").
        services: service descriptors by full name ("shop.Orders").
        generated: the text protoc wrote for Python, by file name ("orders_pb2_grpc.py"), to read.
    """

    messages: Mapping[str, type[Message]]
    services: Mapping[str, ServiceDescriptor]
    generated: Mapping[str, str] = field(repr=False)

    def message(self, name: str) -> type[Message]:
        """The message class called ``name`` (full or short name)."""
        if name not in self.messages:
            raise ValueError(f"no message {name!r}; this proto defines {sorted(self.messages)}")
        return self.messages[name]

    def service(self, name: str) -> ServiceDescriptor:
        """The service called ``name`` (full name, such as "shop.Orders", or short name)."""
        for full_name, service in self.services.items():
            if name in (full_name, service.name):
                return service
        raise ValueError(f"no service {name!r}; this proto defines {sorted(self.services)}")


def _add_messages(found: dict[str, type[Message]], descriptor: Descriptor) -> None:
    found[descriptor.full_name] = message_factory.GetMessageClass(descriptor)
    found.setdefault(descriptor.name, found[descriptor.full_name])
    for nested in descriptor.nested_types:
        _add_messages(found, nested)


def compile_proto(source: str, filename: str = "service.proto") -> CompiledProto:
    """Message classes and services of a .proto text, compiled by protoc now (lesson 02, sections 2 and 5).

    Compiling takes about 2-30 ms.

    protoc (bundled with grpcio-tools) compiles ``source`` in a temporary folder, which is
    deleted afterwards: nothing is written to the course's folders. The generated Python
    text is kept in ``generated`` for reading. The messages are loaded into a descriptor
    pool of their own rather than protobuf's default pool, which accepts one definition
    per name: so version 1 and version 2 of the same message can live side by side in one
    kernel, and running a notebook twice compiles again without a clash.

    Raises:
        ValueError: protoc rejected the source (its error message is included).

    Examples:
        >>> proto = compile_proto('syntax = "proto3"; package demo; message Point { int32 x = 1; int32 y = 2; }')
        >>> point = proto.message("Point")(x=3, y=4)
        >>> point.SerializeToString()
        b'\\x08\\x03\\x10\\x04'
        >>> proto.message("demo.Point").FromString(b"\\x08\\x03").x
        3
    """
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"source must be the text of a .proto file, got {source!r}")
    if not isinstance(filename, str) or not filename.endswith(".proto") or "/" in filename:
        raise ValueError(f"filename must be a plain name ending in .proto, got {filename!r}")
    import grpc_tools  # the folder of protobuf's well-known types (google/protobuf/*.proto)

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    with tempfile.TemporaryDirectory(prefix="proto-") as folder:
        path = Path(folder) / filename
        path.write_text(source, encoding="utf-8")
        descriptors = Path(folder) / "descriptors.bin"
        errors = Path(folder) / "errors.txt"
        # protoc prints errors on the process's stderr; capture them through a file so the
        # learner sees them in the ValueError instead of in a terminal.
        saved = os.dup(2)
        try:
            with errors.open("w") as sink:
                os.dup2(sink.fileno(), 2)
                status = protoc.main(
                    [
                        "protoc",
                        f"-I{folder}",
                        f"-I{well_known}",
                        f"--python_out={folder}",
                        f"--grpc_python_out={folder}",
                        "--include_imports",
                        f"--descriptor_set_out={descriptors}",
                        str(path),
                    ]
                )
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        if status != 0:
            message = errors.read_text().replace(str(folder) + "/", "").strip()
            raise ValueError(f"protoc could not compile {filename}: {message}")
        generated = {p.name: p.read_text(encoding="utf-8") for p in sorted(Path(folder).glob("*.py"))}
        file_set = descriptor_pb2.FileDescriptorSet.FromString(descriptors.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for file_proto in file_set.file:
        pool.Add(file_proto)
    own = pool.FindFileByName(filename)
    messages: dict[str, type[Message]] = {}
    for descriptor in own.message_types_by_name.values():
        _add_messages(messages, descriptor)
    services = {service.full_name: service for service in own.services_by_name.values()}
    return CompiledProto(messages=messages, services=services, generated=generated)


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data):
            raise ValueError(f"data ends inside a varint at byte {at}")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            return value, at
        shift += 7
        if shift > 63:
            raise ValueError(f"varint longer than 10 bytes at byte {at}")


def wire_fields(data: bytes) -> list[tuple[int, str, int | bytes]]:
    """The fields of a protobuf message as they travel: (number, wire type, value) (lesson 02, sections 2, 5).

    Only numbers and wire types travel, never field names: that is why renaming a field
    is safe in the binary encoding (names do travel in ProtoJSON and the text format) and
    renumbering one is not. Varints are returned as unsigned
    integers and length-delimited values as bytes (a nested message is not decoded).

    Examples:
        >>> wire_fields(b"\\x08\\x07\\x12\\x03Ada")
        [(1, 'varint', 7), (2, 'length-delimited', b'Ada')]
    """
    if not isinstance(data, (bytes, bytearray)):
        raise ValueError(f"data must be bytes, got {type(data).__name__}")
    data = bytes(data)
    fields: list[tuple[int, str, int | bytes]] = []
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise ValueError(f"field number 0 at byte {at}: not a protobuf message")
        if wire_type == 0:
            value, at = _varint(data, at)
            fields.append((number, "varint", value))
        elif wire_type in (1, 5):
            size = 8 if wire_type == 1 else 4
            if at + size > len(data):
                raise ValueError(f"data ends inside a {size * 8}-bit field at byte {at}")
            fields.append((number, f"fixed{size * 8}", int.from_bytes(data[at : at + size], "little")))
            at += size
        elif wire_type == 2:
            length, at = _varint(data, at)
            if at + length > len(data):
                raise ValueError(f"field {number} claims {length} bytes but only {len(data) - at} remain")
            fields.append((number, "length-delimited", data[at : at + length]))
            at += length
        else:
            raise ValueError(f"wire type {wire_type} of field {number} is not used by proto3")
    return fields


# --- what it costs -------------------------------------------------------------------------------


def sample_order(proto: CompiledProto | None = None, items: int = 3) -> Any:
    """An order with ``items`` line items: a dict, or an ``Order`` message of ``proto`` (lesson 02, sections 1-3).

    ``proto`` is ``ORDERS_PROTO`` compiled.

    Line item i has sku "sku-0000i", quantity 2 and price 1999 cents, so the total is
    ``items * 3998`` cents.

    Examples:
        >>> sample_order(items=1)
        {'id': 1001, 'customer': 'Ada Lovelace', 'items': [{'sku': 'sku-00000', 'quantity': 2, 'price_cents': 1999}]}
    """
    checks.integer("items", items, 0, 100_000)
    order = {
        "id": 1001,
        "customer": "Ada Lovelace",
        "items": [{"sku": f"sku-{i:05d}", "quantity": 2, "price_cents": 1999} for i in range(items)],
    }
    if proto is None:
        return order
    return proto.message("Order")(**order)


@lru_cache(maxsize=1)
def _orders_proto() -> CompiledProto:
    return compile_proto(ORDERS_PROTO, "orders.proto")


ENCODINGS = ("JSON", "protobuf", "XML-RPC")
"""The encodings ``encoded_sizes`` measures, in the order it returns them (lesson 02, section 3)."""


@lru_cache(maxsize=256)
def encoded_sizes(items: int) -> dict[str, int]:
    """Bytes of the same order of ``items`` line items in JSON, protobuf and XML-RPC (lesson 02, section 3).

    XML-RPC's size is the call's XML body.

    Measured with the real encoders (``json.dumps`` without spaces, protobuf's
    ``SerializeToString``, ``xmlrpc.client.dumps``); cached, so a slider can ask often.

    Examples:
        >>> sizes = encoded_sizes(10)
        >>> sizes["protobuf"] < sizes["JSON"] < sizes["XML-RPC"]
        True
    """
    order = sample_order(items=items)
    return {
        "JSON": len(json.dumps(order, separators=(",", ":")).encode("utf-8")),
        "protobuf": len(sample_order(_orders_proto(), items).SerializeToString()),
        "XML-RPC": len(xmlrpc.client.dumps((order,), methodname="price").encode("utf-8")),
    }


def measure_call_us(call: Callable[[], object], samples: int = 200, batch: int = 1) -> NDArray[np.float64]:
    """Measured time of one call of ``call`` in µs: ``samples`` values, each a batch's mean (lesson 02, section 4).

    A plain function call takes well under a microsecond, less than the clock's own
    overhead, so time ``batch`` calls together and divide; a remote call is long enough
    to time one by one (``batch=1``).

    Examples:
        >>> times = measure_call_us(lambda: None, samples=20, batch=100)
        >>> times.shape, bool((times > 0).all() and np.median(times) < 100)
        ((20,), True)
    """
    checks.count("samples", samples)
    checks.count("batch", batch)
    if not callable(call):
        raise ValueError(f"call must be a function of no arguments, got {call!r}")
    times = np.empty(samples, dtype=np.float64)
    clock = time.perf_counter
    for i in range(samples):
        started = clock()
        for _ in range(batch):
            call()
        times[i] = (clock() - started) / batch * 1e6
    return times


def latency_model_us(
    median_us: float, rng: np.random.Generator, samples: int = 10_000, rtt_ms: float = 0.0, sigma: float = 0.35
) -> NDArray[np.float64]:
    """Modelled call latencies in µs: lognormal around a measured median, plus a round trip (lesson 02, "Explore").

    The round trip ``rtt_ms`` varies too (lognormal, same ``sigma``), so a remote call's
    spread grows with the distance. Calibrate ``median_us`` with ``measure_call_us``.

    Examples:
        >>> times = latency_model_us(500.0, np.random.default_rng(1), samples=20_000)
        >>> 480 < float(np.median(times)) < 520
        True
        >>> 10_400 < float(np.median(latency_model_us(500.0, np.random.default_rng(1), rtt_ms=10.0))) < 10_600
        True
    """
    checks.positive("median_us", median_us)
    checks.positive("rtt_ms", rtt_ms, allow_zero=True)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {rng!r}")
    checks.count("samples", samples)
    checks.number("sigma", sigma, 0, 3)
    spread = rng.standard_normal((2, samples)) * sigma
    times: NDArray[np.float64] = median_us * np.exp(spread[0]) + rtt_ms * 1000.0 * np.exp(spread[1])
    return times


def _check_costs(calls: object, rtt_ms: object, work_ms: object) -> tuple[int, float, float]:
    return (
        checks.count("calls", calls),
        checks.positive("rtt_ms", rtt_ms, allow_zero=True),
        checks.positive("work_ms", work_ms, allow_zero=True),
    )


def chatty_ms(calls: int, rtt_ms: float, work_ms: float = 0.0) -> float:
    """Time for ``calls`` remote calls made one after the other, each paying a round trip (lesson 02, section 4).

    That is N·(r + w).

    Examples:
        >>> chatty_ms(100, 10.0, 0.1)
        1010.0
    """
    n, r, w = _check_costs(calls, rtt_ms, work_ms)
    return n * (r + w)


def batched_ms(calls: int, rtt_ms: float, work_ms: float = 0.0) -> float:
    """Time for the same work as one batched call: one round trip, r + N·w (lesson 02, section 4).

    Examples:
        >>> batched_ms(100, 10.0, 0.1)
        20.0
    """
    n, r, w = _check_costs(calls, rtt_ms, work_ms)
    return r + n * w


# --- retrying safely -------------------------------------------------------------------------------

T = TypeVar("T")

STATUS_CODES = (
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
    "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
)  # fmt: skip
"""gRPC's status code names, as ``grpc.StatusCode.X.name`` spells them (lesson 02, section 6)."""


def retryable(code: str, idempotent: bool) -> bool:
    """Whether a client may retry a call that failed with status ``code`` (lesson 02, section 6).

    ``UNAVAILABLE`` (the server was not reached, or went away) is retryable; a
    ``DEADLINE_EXCEEDED`` call may have run on the server, so only an **idempotent** call (or
    one the server deduplicates, ``AtMostOnce``) may be retried; every other code is an
    answer, not an accident (``INVALID_ARGUMENT`` fails again identically), so never. This is
    the conservative rule of gRPC's retry guide: a service config may add codes it knows
    are safe for its own methods.

    Examples:
        >>> retryable("UNAVAILABLE", idempotent=False), retryable("DEADLINE_EXCEEDED", idempotent=False)
        (True, False)
        >>> retryable("DEADLINE_EXCEEDED", idempotent=True), retryable("INVALID_ARGUMENT", idempotent=True)
        (True, False)
    """
    if code not in STATUS_CODES:
        raise ValueError(f"code must be a gRPC status code name such as 'UNAVAILABLE', got {code!r}")
    if not isinstance(idempotent, bool):
        raise ValueError(f"idempotent must be True or False, got {idempotent!r}")
    return code == "UNAVAILABLE" or (code == "DEADLINE_EXCEEDED" and idempotent)


@dataclass
class _Outcome:
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class AtMostOnce:
    """A server's table of request ids: each id's work runs at most once (lesson 02, section 6).

    Birrell and Nelson's RPC (1984) gave every call an identifier so that the server could
    recognise a retransmitted call and answer it from the result it kept instead of running
    the procedure again: **at-most-once** semantics. ``run(request_id, work)`` does that: the
    first call with an id runs ``work``; a repeat gets the first outcome (its result, or its
    exception raised again), waiting for it if the first is still running.

    Attributes:
        executed: how many times some ``work`` actually ran.
        replayed: how many calls were answered from the table.

    Examples:
        >>> charges = []
        >>> table = AtMostOnce()
        >>> [table.run("req-1", lambda: charges.append(5) or len(charges)) for _ in range(3)]
        [1, 1, 1]
        >>> charges, table.executed, table.replayed
        ([5], 1, 2)
    """

    def __init__(self) -> None:
        self._outcomes: dict[str, _Outcome] = {}
        self._lock = threading.Lock()
        self.executed = 0
        self.replayed = 0

    def run(self, request_id: str, work: Callable[[], T]) -> T:
        """``work()``'s result, run only if ``request_id`` was never seen; else the first outcome."""
        if not isinstance(request_id, str) or not request_id:
            raise ValueError(f"request_id must be a non-empty string chosen by the client, got {request_id!r}")
        with self._lock:
            outcome = self._outcomes.get(request_id)
            first = outcome is None
            if outcome is None:
                outcome = self._outcomes[request_id] = _Outcome()
                self.executed += 1
            else:
                self.replayed += 1
        if first:
            try:
                outcome.result = work()
            except Exception as error:
                outcome.error = error
            finally:
                outcome.done.set()
        else:
            outcome.done.wait()
        if outcome.error is not None:
            raise outcome.error
        result: T = outcome.result
        return result

    def __len__(self) -> int:
        return len(self._outcomes)
