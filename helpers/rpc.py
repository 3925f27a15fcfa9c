"""Remote procedure calls: stubs, marshalling, live gRPC and XML-RPC services, and what remote costs (lesson 02).

A remote procedure call hides a message exchange behind a function call (Birrell and
Nelson, ACM TOCS 1984): a **client stub** marshals the arguments into bytes, a transport
carries them, a **server stub** unmarshals them and calls the procedure, and the result
travels back the same way. This module gives the lesson real ones to look at and time:

Sections:
    * interface definitions: ``compile_proto`` (protoc at run time), ``wire_fields``
      (what a protobuf message looks like on the wire), ``ORDERS_PROTO``
    * live services on 127.0.0.1: ``grpc_service`` / ``grpc_channel`` and
      ``xmlrpc_service`` / ``xmlrpc_proxy``, each a ``with`` block that stops cleanly
    * what it costs: ``encoded_sizes`` (JSON, protobuf, XML-RPC bytes), ``measure_call_us``,
      ``latency_model_us``, ``chatty_ms`` / ``batched_ms``

Everything listens on 127.0.0.1 only, on a port the operating system picks (port 0).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
import time
import xmlrpc.client
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

import grpc
import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import Descriptor, ServiceDescriptor
from google.protobuf.message import Message
from grpc_tools import protoc
from numpy.typing import NDArray

from helpers.serving import BackgroundServer

__all__ = [
    "ORDERS_PROTO",
    "CompiledProto",
    "GrpcServer",
    "GrpcStub",
    "XmlRpcServer",
    "batched_ms",
    "chatty_ms",
    "compile_proto",
    "encoded_sizes",
    "grpc_channel",
    "grpc_service",
    "latency_model_us",
    "measure_call_us",
    "sample_order",
    "wire_fields",
    "xmlrpc_proxy",
    "xmlrpc_service",
]

HOST = "127.0.0.1"
"""The only address anything here listens on or connects to."""

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
"""The lesson's interface: an order of line items, and a service that prices it."""


# --- interface definitions -------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CompiledProto:
    """What protoc made of one .proto file: message classes, services, and the generated Python.

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
    """Message classes and services of a .proto text, compiled by protoc now (about 2-30 ms).

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
    """The fields of a serialised protobuf message as they travel: (field number, wire type, raw value).

    Only numbers and wire types travel, never field names: that is why renaming a field
    is safe on the wire and renumbering one is not. Varints are returned as unsigned
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


# --- live services: gRPC ------------------------------------------------------------------------

MethodHandler = Callable[[Message], Message]


@dataclass(frozen=True)
class GrpcServer:
    """A running gRPC server on 127.0.0.1.

    Attributes:
        address: where to connect, "127.0.0.1:PORT".
        port: the port the operating system picked.
        calls: how many calls it has answered so far, by method name.
    """

    address: str
    port: int
    calls: dict[str, int]


@contextmanager
def grpc_service(
    proto: CompiledProto, service: str, handlers: Mapping[str, MethodHandler], max_workers: int = 4
) -> Iterator[GrpcServer]:
    """A gRPC server for ``service`` on 127.0.0.1, stopped (and its threads joined) when the block ends.

    ``handlers`` maps each method name to a function from the request message to the
    response message. This is the **server stub**: gRPC unmarshals each request with the
    method's input type, calls the handler, and marshals its answer with the output type,
    just as the code protoc generates (``*_pb2_grpc.py``) would. A handler that raises
    gives the caller an ``UNKNOWN`` status; one that raises ``ValueError`` gives
    ``INVALID_ARGUMENT``.

    Examples:
        >>> proto = compile_proto(ORDERS_PROTO)
        >>> def price(order):
        ...     return proto.message("Total")(cents=sum(i.quantity * i.price_cents for i in order.items))
        >>> with grpc_service(proto, "shop.Orders", {"Price": price}) as server, grpc_channel(
        ...         proto, "shop.Orders", server.address) as orders:
        ...     orders.Price(sample_order(proto, items=2)).cents
        7996
    """
    descriptor = proto.service(service)
    methods = {method.name: method for method in descriptor.methods}
    unknown = sorted(set(handlers) - set(methods))
    if unknown:
        raise ValueError(f"{descriptor.full_name} has no methods {unknown}; it has {sorted(methods)}")
    missing = sorted(set(methods) - set(handlers))
    if missing:
        raise ValueError(f"give a handler for every method of {descriptor.full_name}; missing {missing}")
    calls = dict.fromkeys(methods, 0)
    lock = threading.Lock()

    def wrap(name: str, handle: MethodHandler) -> Callable[[Message, grpc.ServicerContext], Message]:
        def behaviour(request: Message, context: grpc.ServicerContext) -> Message:
            with lock:
                calls[name] += 1
            try:
                return handle(request)
            except ValueError as error:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
                raise  # abort raises; this line only satisfies the type checker

        return behaviour

    rpc_handlers = {
        name: grpc.unary_unary_rpc_method_handler(
            wrap(name, handlers[name]),
            request_deserializer=proto.message(method.input_type.full_name).FromString,
            response_serializer=lambda message: message.SerializeToString(),
        )
        for name, method in methods.items()
    }
    executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="grpc-server")
    server = grpc.server(executor, options=[("grpc.so_reuseport", 0)])
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(descriptor.full_name, rpc_handlers),))
    try:
        port = server.add_insecure_port(f"{HOST}:0")
        server.start()
        yield GrpcServer(address=f"{HOST}:{port}", port=port, calls=calls)
    finally:
        server.stop(grace=0.5).wait()
        executor.shutdown(wait=True)


class GrpcStub:
    """A **client stub** for one gRPC service: ``stub.Price(order)`` marshals, sends, waits and unmarshals.

    Each method name of the service is an attribute; calling it sends the request message
    and returns the response message, or raises ``grpc.RpcError`` (with ``.code()``) when
    the call fails: server down (``UNAVAILABLE``), too slow (``DEADLINE_EXCEEDED``), ...
    Build one with ``grpc_channel``.

    Attributes:
        timeout_s: the deadline of every call, in seconds.
    """

    def __init__(self, proto: CompiledProto, service: str, channel: grpc.Channel, timeout_s: float) -> None:
        descriptor = proto.service(service)
        self.timeout_s = timeout_s
        self._methods: dict[str, Callable[..., Message]] = {
            method.name: channel.unary_unary(
                f"/{descriptor.full_name}/{method.name}",
                request_serializer=lambda message: message.SerializeToString(),
                response_deserializer=proto.message(method.output_type.full_name).FromString,
            )
            for method in descriptor.methods
        }

    def __getattr__(self, name: str) -> Callable[[Message], Message]:
        methods = self.__dict__.get("_methods", {})
        if name not in methods:
            raise AttributeError(f"the service has no method {name!r}; it has {sorted(methods)}")
        call = methods[name]

        def remote(request: Message) -> Message:
            return call(request, timeout=self.timeout_s)

        return remote


@contextmanager
def grpc_channel(proto: CompiledProto, service: str, address: str, timeout_s: float = 2.0) -> Iterator[GrpcStub]:
    """A client stub for ``service`` at ``address`` (127.0.0.1:PORT), its channel closed when the block ends.

    The channel never uses an HTTP proxy (gRPC would otherwise honour ``http_proxy``).
    See ``grpc_service`` for an example.
    """
    if not isinstance(address, str) or not address.startswith(f"{HOST}:"):
        raise ValueError(f"address must be {HOST}:PORT (GrpcServer.address), got {address!r}")
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or not 0 < timeout_s <= 60:
        raise ValueError(f"timeout_s must be a number of seconds in (0, 60], got {timeout_s!r}")
    channel = grpc.insecure_channel(address, options=[("grpc.enable_http_proxy", 0)])
    try:
        yield GrpcStub(proto, service, channel, float(timeout_s))
    finally:
        channel.close()


# --- live services: XML-RPC -----------------------------------------------------------------------


class _QuietHandler(SimpleXMLRPCRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # one stderr line per call would drown the notebook


@dataclass(frozen=True)
class XmlRpcServer:
    """A running XML-RPC server on 127.0.0.1.

    Attributes:
        url: where to send calls, "http://127.0.0.1:PORT/".
        port: the port the operating system picked.
    """

    url: str
    port: int


class _XmlRpcRunner(BackgroundServer):
    """Serves ``functions`` with the standard library's XML-RPC server (one request at a time)."""

    _label = "XML-RPC server"

    def __init__(self, functions: Mapping[str, Callable[..., Any]]) -> None:
        super().__init__()
        self._functions = dict(functions)

    def _make_server(self) -> SimpleXMLRPCServer:
        server = SimpleXMLRPCServer((HOST, 0), requestHandler=_QuietHandler, logRequests=False, allow_none=True)
        for name, function in self._functions.items():
            server.register_function(function, name)
        return server

    def _thread_name(self) -> str:
        return "xmlrpc-server"


@contextmanager
def xmlrpc_service(functions: Mapping[str, Callable[..., Any]]) -> Iterator[XmlRpcServer]:
    """An XML-RPC server (Python's standard library) on 127.0.0.1 offering ``functions``, stopped when the block ends.

    The arguments and results travel as XML in the body of an HTTP POST: XML-RPC is the
    small ancestor of SOAP. A function that raises reaches the caller as
    ``xmlrpc.client.Fault``.

    Examples:
        >>> with xmlrpc_service({"add": lambda a, b: a + b}) as server, xmlrpc_proxy(server.url) as remote:
        ...     remote.add(2, 3)
        5
    """
    if not functions:
        raise ValueError("functions must name at least one function to offer, got an empty mapping")
    for name, function in functions.items():
        if not callable(function):
            raise ValueError(f"functions[{name!r}] must be callable, got {function!r}")
    with _XmlRpcRunner(functions) as running:
        yield XmlRpcServer(url=f"http://{HOST}:{running.port}/", port=running.port)


@contextmanager
def xmlrpc_proxy(url: str) -> Iterator[Any]:
    """A client stub (``xmlrpc.client.ServerProxy``) for the XML-RPC server at ``url``, closed when the block ends.

    Any attribute of the proxy is a remote function: ``remote.add(2, 3)`` marshals the
    call as XML, POSTs it and unmarshals the answer. See ``xmlrpc_service``.
    """
    if not isinstance(url, str) or not url.startswith(f"http://{HOST}:"):
        raise ValueError(f"url must be http://{HOST}:PORT/ (XmlRpcServer.url), got {url!r}")
    proxy = xmlrpc.client.ServerProxy(url, allow_none=True)
    try:
        yield proxy
    finally:
        proxy("close")()


# --- what it costs -------------------------------------------------------------------------------


def sample_order(proto: CompiledProto | None = None, items: int = 3) -> Any:
    """An order with ``items`` line items: a dict, or an ``Order`` message of ``proto`` (ORDERS_PROTO).

    Line item i has sku "sku-0000i", quantity 2 and price 1999 cents, so the total is
    ``items * 3998`` cents.

    Examples:
        >>> sample_order(items=1)
        {'id': 1001, 'customer': 'Ada Lovelace', 'items': [{'sku': 'sku-00000', 'quantity': 2, 'price_cents': 1999}]}
    """
    if isinstance(items, bool) or not isinstance(items, int) or not 0 <= items <= 100_000:
        raise ValueError(f"items must be an int from 0 to 100000, got {items!r}")
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
"""The encodings ``encoded_sizes`` measures, in the order it returns them."""


@lru_cache(maxsize=256)
def encoded_sizes(items: int) -> dict[str, int]:
    """Bytes of the same order of ``items`` line items in JSON, protobuf and XML-RPC (the call's XML body).

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
    """Measured time of one call of ``call``, in microseconds: ``samples`` values, each the mean of a batch.

    A plain function call takes well under a microsecond, less than the clock's own
    overhead, so time ``batch`` calls together and divide; a remote call is long enough
    to time one by one (``batch=1``).

    Examples:
        >>> times = measure_call_us(lambda: None, samples=20, batch=100)
        >>> times.shape, bool((times > 0).all() and np.median(times) < 100)
        ((20,), True)
    """
    for name, value in (("samples", samples), ("batch", batch)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
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
    """Modelled call latencies in µs: lognormal around a measured ``median_us``, plus a network round trip.

    The round trip ``rtt_ms`` varies too (lognormal, same ``sigma``), so a remote call's
    spread grows with the distance. Calibrate ``median_us`` with ``measure_call_us``.

    Examples:
        >>> times = latency_model_us(500.0, np.random.default_rng(1), samples=20_000)
        >>> 480 < float(np.median(times)) < 520
        True
        >>> 10_400 < float(np.median(latency_model_us(500.0, np.random.default_rng(1), rtt_ms=10.0))) < 10_600
        True
    """
    if isinstance(median_us, bool) or not isinstance(median_us, (int, float)) or not median_us > 0:
        raise ValueError(f"median_us must be a number > 0, got {median_us!r}")
    if isinstance(rtt_ms, bool) or not isinstance(rtt_ms, (int, float)) or not 0 <= rtt_ms < math.inf:
        raise ValueError(f"rtt_ms must be a finite number >= 0, got {rtt_ms!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {rng!r}")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples must be an int >= 1, got {samples!r}")
    if not 0 <= sigma <= 3:
        raise ValueError(f"sigma must be from 0 to 3, got {sigma!r}")
    spread = rng.standard_normal((2, samples)) * sigma
    times: NDArray[np.float64] = median_us * np.exp(spread[0]) + rtt_ms * 1000.0 * np.exp(spread[1])
    return times


def _check_costs(calls: object, rtt_ms: object, work_ms: object) -> tuple[int, float, float]:
    if isinstance(calls, bool) or not isinstance(calls, (int, np.integer)) or calls < 1:
        raise ValueError(f"calls must be an int >= 1, got {calls!r}")
    for name, value in (("rtt_ms", rtt_ms), ("work_ms", work_ms)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return int(calls), float(rtt_ms), float(work_ms)  # type: ignore[arg-type]


def chatty_ms(calls: int, rtt_ms: float, work_ms: float = 0.0) -> float:
    """Time for ``calls`` remote calls made one after the other: each pays a round trip, N·(r + w).

    Examples:
        >>> chatty_ms(100, 10.0, 0.1)
        1010.0
    """
    n, r, w = _check_costs(calls, rtt_ms, work_ms)
    return n * (r + w)


def batched_ms(calls: int, rtt_ms: float, work_ms: float = 0.0) -> float:
    """Time for the same work as one batched call: one round trip, r + N·w.

    Examples:
        >>> batched_ms(100, 10.0, 0.1)
        20.0
    """
    n, r, w = _check_costs(calls, rtt_ms, work_ms)
    return r + n * w
