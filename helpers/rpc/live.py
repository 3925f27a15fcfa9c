"""Live RPC on 127.0.0.1: a gRPC server and client stub, and the same over XML-RPC (lesson 02).

Each server starts inside a ``with`` block and stops when it ends (threads joined, sockets
closed), on a port the operating system picks: running the lesson twice never meets
"address already in use". The interfaces they serve (``compile_proto``) and what their
calls cost are in ``helpers.rpc.model``.

Sections:
    * gRPC: ``grpc_service`` (the server stub) and ``grpc_channel`` (a ``GrpcStub``)
    * XML-RPC: ``xmlrpc_service`` and ``xmlrpc_proxy`` (the standard library's ``ServerProxy``)
"""

from __future__ import annotations

import threading
import xmlrpc.client
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

import grpc
from google.protobuf.message import Message

from helpers import checks
from helpers.rpc.model import CompiledProto
from helpers.serving import HOST, BackgroundServer, JoiningHTTPServer, QuietHandler

__all__ = ["GrpcServer", "GrpcStub", "XmlRpcServer", "grpc_channel", "grpc_service", "xmlrpc_proxy", "xmlrpc_service"]


# --- gRPC -------------------------------------------------------------------------------------

MethodHandler = Callable[[Message], Message]


@dataclass(frozen=True)
class GrpcServer:
    """A running gRPC server on 127.0.0.1 (lesson 02, section 3).

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
    """A gRPC server for ``service`` on 127.0.0.1, stopped (threads joined) when the block ends (lesson 02, section 3).

    ``handlers`` maps each method name to a function from the request message to the
    response message. This is the **server stub**: gRPC unmarshals each request with the
    method's input type, calls the handler, and marshals its answer with the output type,
    just as the code protoc generates (``*_pb2_grpc.py``) would. A handler that raises
    gives the caller an ``UNKNOWN`` status; one that raises ``ValueError`` gives
    ``INVALID_ARGUMENT``.

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
