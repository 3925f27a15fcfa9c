"""Live RPC on 127.0.0.1: a gRPC server and client stub, and the same over XML-RPC (lesson 02).

Each server starts inside a ``with`` block and stops when it ends (threads joined, sockets
closed), on a port the operating system picks: running the lesson twice never meets
"address already in use". The interfaces they serve (``compile_proto``) and what their
calls cost are in ``helpers.rpc.model``.

Sections:
    * gRPC: ``grpc_service`` (the server stub, with server reflection), ``grpc_channel`` (a
      ``GrpcStub``), ``generated_modules`` (the stub protoc wrote, imported) and
      ``reflected_services`` (what a generic client learns from reflection)
    * XML-RPC: ``xmlrpc_service`` and ``xmlrpc_proxy`` (the standard library's ``ServerProxy``)
"""

from __future__ import annotations

import re
import threading
import time
import types
import xmlrpc.client
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import FileDescriptor
from google.protobuf.message import Message
from grpc_reflection.v1alpha import reflection, reflection_pb2  # type: ignore[import-untyped]
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (  # type: ignore[import-untyped]
    ProtoReflectionDescriptorDatabase,
)

from helpers import checks
from helpers.rpc.model import CompiledProto
from helpers.serving import HOST, BackgroundServer, JoiningHTTPServer, QuietHandler

__all__ = [
    "REFLECTION_SERVICE",
    "GrpcServer",
    "GrpcStub",
    "XmlRpcServer",
    "generated_modules",
    "grpc_channel",
    "grpc_service",
    "reflected_services",
    "xmlrpc_proxy",
    "xmlrpc_service",
]


# --- gRPC -------------------------------------------------------------------------------------

MethodHandler = Callable[..., Message]
"""A handler: request -> response, or (request, context) -> response with ``pass_context=True``."""

REFLECTION_SERVICE = reflection.SERVICE_NAME
"""The full name of gRPC's server reflection service, which every ``grpc_service`` also serves."""


@dataclass(frozen=True)
class GrpcServer:
    """A running gRPC server on 127.0.0.1 (lesson 02, section 3).

    Attributes:
        address: where to connect, "127.0.0.1:PORT".
        port: the port the operating system picked.
        calls: how many calls it has received so far, by method name.
        finished: how many of them its handler has finished, by method name: a call whose
            client gave up (its deadline passed) still finishes here.
        log: one line per call started and finished, with the seconds since the server started.
    """

    address: str
    port: int
    calls: dict[str, int]
    finished: dict[str, int]
    log: list[str]


@contextmanager
def grpc_service(
    proto: CompiledProto,
    service: str,
    handlers: Mapping[str, MethodHandler],
    max_workers: int = 4,
    pass_context: bool = False,
) -> Iterator[GrpcServer]:
    """A gRPC server for ``service`` on 127.0.0.1, stopped (threads joined) when the block ends (lesson 02, section 3).

    ``handlers`` maps each method name to a function from the request message to the
    response message. This is the **server stub**: gRPC unmarshals each request with the
    method's input type, calls the handler, and marshals its answer with the output type,
    just as the code protoc generates (``*_pb2_grpc.py``) would. A handler that raises
    gives the caller an ``UNKNOWN`` status; one that raises ``ValueError`` gives
    ``INVALID_ARGUMENT``. With ``pass_context=True`` each handler also gets the call's
    ``grpc.ServicerContext``: ``context.time_remaining()`` is what is left of the caller's
    deadline, to pass on to the calls the handler makes (lesson 02, section 6).

    The server also serves gRPC **server reflection** (``grpcio-reflection``), so a generic
    client (``grpcurl``, Postman, ``reflected_services``) can list its services and fetch
    their descriptors without the .proto file.

    Examples:
        >>> from helpers.rpc.model import ORDERS_PROTO, compile_proto, sample_order
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
    finished = dict.fromkeys(methods, 0)
    log: list[str] = []
    lock = threading.Lock()
    started = time.perf_counter()

    def note(line: str) -> None:
        with lock:
            log.append(f"{time.perf_counter() - started:6.3f} s  {line}")

    def wrap(name: str, handle: MethodHandler) -> Callable[[Message, grpc.ServicerContext], Message]:
        def behaviour(request: Message, context: grpc.ServicerContext) -> Message:
            with lock:
                calls[name] += 1
            note(f"{name} started")
            try:
                response = handle(request, context) if pass_context else handle(request)
            except ValueError as error:
                note(f"{name} refused: {error}")
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
                raise  # abort raises; this line only satisfies the type checker
            with lock:
                finished[name] += 1
            note(f"{name} finished" + ("" if context.is_active() else " (the caller had already given up)"))
            return response

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
    # Reflection answers from one pool holding the service's files and its own, so a client
    # can describe every service it lists, reflection included.
    described = descriptor_pool.DescriptorPool()
    added: set[str] = set()
    _file_and_dependencies(descriptor.file, described, added)
    _file_and_dependencies(reflection_pb2.DESCRIPTOR, described, added)
    reflection.enable_server_reflection((descriptor.full_name, REFLECTION_SERVICE), server, pool=described)
    try:
        port = server.add_insecure_port(f"{HOST}:0")
        server.start()
        yield GrpcServer(address=f"{HOST}:{port}", port=port, calls=calls, finished=finished, log=log)
    finally:
        server.stop(grace=0.5).wait()
        executor.shutdown(wait=True)


class GrpcStub:
    """A **client stub** for one gRPC service: ``stub.Price(order)`` is a remote call (lesson 02, section 3).

    The call marshals the request, sends it, waits, and unmarshals the answer.

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
    """A client stub for ``service`` at ``address`` (127.0.0.1:PORT) in a ``with`` block (lesson 02, sections 3-5).

    The channel is closed when the block ends, and never uses an HTTP proxy (gRPC would
    otherwise honour ``http_proxy``). See ``grpc_service`` for an example.
    """
    if not isinstance(address, str) or not address.startswith(f"{HOST}:"):
        raise ValueError(f"address must be {HOST}:PORT (GrpcServer.address), got {address!r}")
    deadline_s = checks.number("timeout_s", timeout_s, 0, 60, low_open=True)
    channel = grpc.insecure_channel(address, options=[("grpc.enable_http_proxy", 0)])
    try:
        yield GrpcStub(proto, service, channel, deadline_s)
    finally:
        channel.close()


def _file_and_dependencies(file: FileDescriptor, pool: descriptor_pool.DescriptorPool, done: set[str]) -> None:
    for dependency in file.dependencies:
        _file_and_dependencies(dependency, pool, done)
    if file.name not in done:
        done.add(file.name)
        proto = descriptor_pb2.FileDescriptorProto()
        file.CopyToProto(proto)
        pool.Add(proto)


def generated_modules(proto: CompiledProto) -> tuple[types.ModuleType, types.ModuleType]:
    """The Python modules protoc generated for ``proto``, imported: ``(x_pb2, x_pb2_grpc)`` (lesson 02, section 3).

    ``x_pb2_grpc`` holds the generated **client stub** class (``OrdersStub(channel)``) and
    the server's base class, exactly as protoc wrote them; ``x_pb2`` the message classes.
    They are imported from the text in ``proto.generated`` (nothing is written to disk) into
    a descriptor pool of their own instead of protobuf's default one, so two versions of
    one .proto, or a second Run All, never clash.

    Examples:
        >>> from helpers.rpc.model import ORDERS_PROTO, compile_proto
        >>> orders_pb2, orders_pb2_grpc = generated_modules(compile_proto(ORDERS_PROTO, "orders.proto"))
        >>> orders_pb2.Total(cents=5).cents, orders_pb2_grpc.OrdersStub.__name__
        (5, 'OrdersStub')
    """
    messages = [name for name in proto.generated if name.endswith("_pb2.py")]
    if len(messages) != 1:
        raise ValueError(f"expected one *_pb2.py among the generated files, got {sorted(proto.generated)}")
    base = messages[0].removesuffix(".py")
    if not proto.messages:
        raise ValueError("the proto defines no messages: there is nothing to import")
    file = next(iter(proto.messages.values())).DESCRIPTOR.file
    pool = descriptor_pool.DescriptorPool()
    done: set[str] = set()
    for dependency in file.dependencies:  # imported .proto files (well-known types) go in first
        _file_and_dependencies(dependency, pool, done)
    pb2 = types.ModuleType(base)
    pb2.__dict__["_own_pool"] = pool
    source = proto.generated[f"{base}.py"].replace("_descriptor_pool.Default()", "_own_pool")
    exec(compile(source, f"{base}.py", "exec"), pb2.__dict__)
    grpc_module = types.ModuleType(f"{base}_grpc")
    grpc_source = proto.generated.get(f"{base}_grpc.py", "")
    # the stub imports its messages as a module ("import orders_pb2 as orders__pb2"): give it ours
    grpc_source = re.sub(rf"^import {base} as (\w+)$", r"\1 = __messages__", grpc_source, flags=re.MULTILINE)
    grpc_module.__dict__["__messages__"] = pb2
    exec(compile(grpc_source, f"{base}_grpc.py", "exec"), grpc_module.__dict__)
    return pb2, grpc_module


def reflected_services(address: str, timeout_s: float = 2.0) -> dict[str, list[str]]:
    """What server reflection tells a generic client: each service and its methods (lesson 02, section 3).

    Uses grpcio-reflection's own client (``ProtoReflectionDescriptorDatabase``): it knows
    nothing of the server's .proto and asks the server for the descriptors.

    Examples:
        >>> from helpers.rpc.model import ORDERS_PROTO, compile_proto
        >>> proto = compile_proto(ORDERS_PROTO, "orders.proto")
        >>> with grpc_service(proto, "shop.Orders", {"Price": print}) as server:
        ...     reflected_services(server.address)["shop.Orders"]
        ['Price']
    """
    if not isinstance(address, str) or not address.startswith(f"{HOST}:"):
        raise ValueError(f"address must be {HOST}:PORT (GrpcServer.address), got {address!r}")
    checks.number("timeout_s", timeout_s, 0, 60, low_open=True)
    with grpc.insecure_channel(address, options=[("grpc.enable_http_proxy", 0)]) as channel:
        grpc.channel_ready_future(channel).result(timeout=timeout_s)
        database = ProtoReflectionDescriptorDatabase(channel)
        pool = descriptor_pool.DescriptorPool(database)
        return {
            name: [method.name for method in pool.FindServiceByName(name).methods]
            for name in sorted(database.get_services())
        }


# --- XML-RPC ----------------------------------------------------------------------------------


class _XmlRpcHandler(SimpleXMLRPCRequestHandler, QuietHandler):
    """The standard library's XML-RPC request handler, logging nothing (``QuietHandler``)."""


class _XmlRpcHttpServer(SimpleXMLRPCServer):
    """The standard library's XML-RPC server, one call at a time, with the course's listen backlog.

    Not a threading server (``JoiningHTTPServer``): a thread per call would add more to
    every call's time than the call itself costs on loopback, and the lesson measures
    that time.
    """

    request_queue_size = JoiningHTTPServer.request_queue_size

    def __init__(self, address: tuple[str, int], functions: Mapping[str, Callable[..., Any]]) -> None:
        super().__init__(address, requestHandler=_XmlRpcHandler, logRequests=False, allow_none=True)
        for name, function in functions.items():
            self.register_function(function, name)


@dataclass(frozen=True)
class XmlRpcServer:
    """A running XML-RPC server on 127.0.0.1 (lesson 02, section 3).

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

    def _make_server(self) -> _XmlRpcHttpServer:
        return _XmlRpcHttpServer((HOST, 0), self._functions)

    def _thread_name(self) -> str:
        return "xmlrpc-server"


@contextmanager
def xmlrpc_service(functions: Mapping[str, Callable[..., Any]]) -> Iterator[XmlRpcServer]:
    """An XML-RPC server on 127.0.0.1 offering ``functions``, stopped when the block ends (lesson 02, sections 3-4).

    It is the standard library's XML-RPC server, answering one call at a time.
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
    """A client stub (``xmlrpc.client.ServerProxy``) for the XML-RPC server at ``url`` (lesson 02, sections 3-4).

    Any attribute of the proxy is a remote function: ``remote.add(2, 3)`` marshals the
    call as XML, POSTs it and unmarshals the answer. The proxy is closed when the block
    ends. See ``xmlrpc_service``.
    """
    if not isinstance(url, str) or not url.startswith(f"http://{HOST}:"):
        raise ValueError(f"url must be http://{HOST}:PORT/ (XmlRpcServer.url), got {url!r}")
    proxy = xmlrpc.client.ServerProxy(url, allow_none=True)
    try:
        yield proxy
    finally:
        proxy("close")()
