"""Live versioning on 127.0.0.1: a catalogue provider, its consumer, Pact, a mixed fleet, versioned gRPC (lesson 09).

* ``CatalogueProvider``: an HTTP service for products. It serves ``/products/7`` in the
  shape it is deployed with (``helpers.versioning.SHAPES``), and version 1 or 2 when a
  request asks for one in the URI (``/v2/products/7``), a header (``Api-Version: 2``) or
  the media type (``Accept: application/vnd.shop.v2+json``). For Pact it answers provider
  state changes at ``POST /_pact/state``: started with no products, it holds product 7
  once the verifier asks for the state "product 7 exists".
* ``CatalogueClient``: the checkout team's client, a tolerant reader of ``id`` and
  ``price_cents``; ``get`` is a plain HTTP client for any of these servers.
* Pact: ``load_pact`` imports pact-python (lazily, with its telemetry off), ``write_pact``
  runs a consumer test and returns the pact it wrote, ``verify_pact`` replays a pact
  against a provider with Pact's own verifier, its native output kept out of the notebook.
* A mixed fleet: ``ProviderFleet`` makes backends of the lesson-05 kind (the class is
  passed in: this unit never imports another unit's servers) that serve a shape each and
  can be redeployed one by one; ``send_round`` and ``replay`` drive consumers through a
  balancer and count what fails.
* gRPC: ``serve_versions`` serves several versions of a service (``shop.orders.v1`` and
  ``shop.orders.v2``) from one server.

Everything listens on, or connects to, 127.0.0.1 only, on ports the operating system picks,
and every server stops at the end of its ``with`` block (threads joined, sockets closed).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any, Self

import grpc
from google.protobuf.message import Message

from helpers import checks
from helpers.rpc.model import CompiledProto
from helpers.serving import HOST, BackgroundServer, JoiningHTTPServer, QuietHandler, StartStop, loopback_target, problem
from helpers.versioning.model import (
    FLEET_READERS,
    FLEET_SHAPES,
    KETTLE,
    SHAPES,
    VERSIONS,
    Product,
    Step,
    check_plan,
    document,
    negotiate_version,
    read,
    reader,
)

__all__ = [
    "STATE_PATH",
    "CatalogueClient",
    "CatalogueProvider",
    "GrpcVersions",
    "ProductPrice",
    "ProviderFleet",
    "Response",
    "Round",
    "Verification",
    "get",
    "load_pact",
    "replay",
    "send_round",
    "serve_versions",
    "verify_pact",
    "write_pact",
]

STATE_PATH = "/_pact/state"
"""Where a provider takes Pact's provider-state changes (a test-only endpoint)."""

_STATE = re.compile(r"^product (?P<id>[0-9]+) (?P<verb>exists|does not exist)$")


# --- the catalogue ----------------------------------------------------------------------------


class _Catalogue:
    """Products by id, shared by a server's request threads."""

    def __init__(self, products: Sequence[Product]) -> None:
        if isinstance(products, Product) or not all(isinstance(p, Product) for p in products):
            raise ValueError(f"products must be a list of Product, got {products!r}")
        self._lock = threading.Lock()
        self._products = {p.id: p for p in products}

    def get(self, product_id: int) -> Product | None:
        with self._lock:
            return self._products.get(product_id)

    def change_state(self, state: str) -> bool:
        """Applies a provider state ("product 7 exists", "product 99 does not exist"); False if unknown."""
        found = _STATE.match(state)
        if found is None:
            return False
        product_id = int(found["id"])
        with self._lock:
            if found["verb"] == "exists":
                default = KETTLE if product_id == KETTLE.id else Product(product_id, f"product {product_id}", 100)
                self._products.setdefault(product_id, default)
            else:
                self._products.pop(product_id, None)
        return True


def _catalogue_handler(shape_of: Callable[[], str], catalogue: _Catalogue, served: Counter[tuple[str, int]],
                       lock: threading.Lock) -> type[QuietHandler]:  # fmt: skip
    """The request handler of every catalogue server: versioned GET and HEAD, and provider states."""

    class Handler(QuietHandler):
        # A client that connects and sends nothing must not hold a thread (and stop()) forever.
        timeout = 10.0

        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            choice = negotiate_version(self.path, dict(self.headers.items()))
            vary = {"Vary": "Accept, Api-Version"}
            if choice.status != 200:
                self.send_json(choice.status, problem(choice.status, http.client.responses[choice.status],
                                                      choice.detail), vary)  # fmt: skip
                return
            product = catalogue.get(choice.product_id)
            if product is None:
                self.send_json(404, problem(404, "Not Found", f"no product {choice.product_id}"), vary)
                return
            shape = shape_of() if choice.how == "default" else VERSIONS[choice.version]
            with lock:
                served[choice.how, choice.version] += 1
            body = json.dumps(document(product, shape)).encode("utf-8")
            headers = {**vary, "Api-Version": str(choice.version)} if choice.how != "default" else vary
            self.send_body(200, body, choice.content_type, headers)

        def do_HEAD(self) -> None:  # noqa: N802 (RFC 9110 §9.3.2: HEAD answers as GET would, with no content)
            self.do_GET()

        def do_POST(self) -> None:  # noqa: N802
            if self.path != STATE_PATH:
                self.send_json(405, problem(405, "Method Not Allowed", f"POST is only for {STATE_PATH}"),
                               {"Allow": "GET, HEAD"})  # fmt: skip
                return
            try:
                change = json.loads(self.read_body() or b"{}")
                state, action = str(change.get("state", "")), str(change.get("action", "setup"))
            except (ValueError, AttributeError):
                self.send_json(400, problem(400, "Bad Request", "a state change is a JSON object"))
                return
            if action == "setup" and not catalogue.change_state(state):
                self.send_json(400, problem(400, "Bad Request", f"unknown provider state {state!r}: this provider "
                                            "knows 'product N exists' and 'product N does not exist'"))  # fmt: skip
                return
            self.send_json(200, {"state": state, "action": action})

    return Handler


class CatalogueProvider(BackgroundServer):
    """The catalogue service on 127.0.0.1, serving products in one shape (lesson 09, sections 3, 4 and 6).

    A request that names no version gets ``shape``; one that names version 1 or 2 (in the
    URI, the ``Api-Version`` header or the ``Accept`` media type) gets that version, with
    ``Vary: Accept, Api-Version`` so a cache keeps the versions apart (RFC 9110 §12.5.5).

    Attributes:
        shape: the shape of unversioned answers (a name in ``SHAPES``); may be changed while it runs.
        served: answers given so far, by (how the version was chosen, version).

    Examples:
        >>> with CatalogueProvider("v2") as provider:
        ...     get(provider.url + "/products/7").json()
        {'id': 7, 'name': 'kettle', 'price': 2599}
        >>> with CatalogueProvider(products=()) as provider:
        ...     get(provider.url + "/products/7").status
        404
    """

    _label = "catalogue provider"

    def __init__(self, shape: str = "v1", products: Sequence[Product] = (KETTLE,)) -> None:
        super().__init__()
        self.shape = checks.choice("shape", shape, tuple(SHAPES))
        self._catalogue = _Catalogue(products)
        self.served: Counter[tuple[str, int]] = Counter()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = f"on port {self._port}" if self.running else "stopped"
        return f"<CatalogueProvider {self.shape} {state}>"

    def _make_server(self) -> JoiningHTTPServer:
        handler = _catalogue_handler(lambda: self.shape, self._catalogue, self.served, self._lock)
        return JoiningHTTPServer((HOST, self._port), handler)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, no trailing slash."""
        return f"http://{HOST}:{self.port}"

    @property
    def state_url(self) -> str:
        """Where Pact's verifier posts provider-state changes."""
        return self.url + STATE_PATH


# --- clients ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    """One HTTP answer (lesson 09, sections 3 and 6).

    Attributes:
        status: the status code.
        headers: the header fields, names in lower case.
        body: the content.
    """

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def _split(url: str) -> tuple[int, str]:
    """Port and path of a URL on 127.0.0.1; ValueError for any other host."""
    prefix = f"http://{HOST}:"
    text = str(url)
    port, slash, path = text[len(prefix) :].partition("/") if text.startswith(prefix) else ("", "", "")
    if not port.isdigit():
        raise ValueError(f"url must be {prefix}PORT/..., got {url!r}: nothing here leaves 127.0.0.1")
    return int(port), slash + path


def get(url: str, headers: Mapping[str, str] | None = None, method: str = "GET") -> Response:
    """The answer to a GET (or HEAD) of ``url`` on 127.0.0.1, over ``http.client`` (lesson 09, sections 3 and 6).

    ``http.client`` ignores proxy variables, so no request can leave the machine.

    Examples:
        >>> with CatalogueProvider() as provider:
        ...     get(provider.url + "/products/7", {"Api-Version": "2"}).headers["api-version"]
        '2'
    """
    port, path = _split(url)
    checks.choice("method", method, ("GET", "HEAD"))
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request(method, path or "/", headers=dict(headers or {}))
        answer = connection.getresponse()
        body = answer.read()
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, body)
    finally:
        connection.close()


@dataclass(frozen=True)
class ProductPrice:
    """What the checkout team reads of a product: its id and price (lesson 09, section 4).

    Attributes:
        id: the product's number.
        price_cents: its price in cents.
    """

    id: int
    price_cents: int


_CHECKOUT_READER = reader({"id": int, "price_cents": int}, extra="ignore", strict=True)


class CatalogueClient:
    """The checkout team's client of the catalogue: it reads ``id`` and ``price_cents``, nothing else.

    A tolerant reader (lesson 09, sections 3-4): unknown fields are ignored; a missing or
    mistyped field it reads raises ValueError naming it.

    Examples:
        >>> with CatalogueProvider("colour") as provider:
        ...     CatalogueClient(provider.url).product(7)
        ProductPrice(id=7, price_cents=2599)
    """

    def __init__(self, base_url: str) -> None:
        _split(str(base_url))
        self.base_url = str(base_url).rstrip("/")

    def product(self, product_id: int) -> ProductPrice | None:
        """Product ``product_id``'s price, or None when the catalogue has no such product (404)."""
        product_id = checks.integer("product_id", product_id, 0)
        answer = get(f"{self.base_url}/products/{product_id}", {"Accept": "application/json"})
        if answer.status == 404:
            return None
        if answer.status != 200:
            raise RuntimeError(f"the catalogue answered {answer.status} for product {product_id}")
        outcome = read(_CHECKOUT_READER, answer.json())
        if not outcome.ok:
            raise ValueError(f"product {product_id} cannot be read: {outcome.text}")
        values = dict(outcome.values)
        return ProductPrice(values["id"], values["price_cents"])


# --- Pact ---------------------------------------------------------------------------------------


def load_pact() -> ModuleType | None:
    """The ``pact`` module (pact-python), imported now with its telemetry off; None where it cannot load.

    pact-python's wheels hold a native library (glibc 2.28 or later, macOS 12 arm64,
    Windows): where none installs, the rest of lesson 09 still runs. Pact's core sends
    usage telemetry unless ``PACT_DO_NOT_TRACK`` is "true": it is set here (if unset)
    before the import, and a different value is refused, since nothing the course runs may
    leave 127.0.0.1 (lesson 09, section 4).
    """
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
    if os.environ["PACT_DO_NOT_TRACK"].lower() != "true":
        raise RuntimeError(
            f"PACT_DO_NOT_TRACK is {os.environ['PACT_DO_NOT_TRACK']!r}: Pact would send telemetry off this machine; "
            "set it to 'true'"
        )
    try:
        import pact
    except (ImportError, OSError):  # no wheel for this platform, or its native library does not load
        return None
    return pact


def _pact_or_fail() -> ModuleType:
    pact = load_pact()
    if pact is None:
        raise RuntimeError("pact-python is not installed here (its wheels need glibc >= 2.28): `make lab` installs it")
    return pact


@contextmanager
def _native_output_kept() -> Iterator[None]:
    """File descriptors 1 and 2 sent to a scratch file while the block runs.

    Pact's verifier prints its report from native code straight to file descriptor 1, where
    ``contextlib.redirect_stdout`` cannot catch it and a kernel would show it in the cell.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile() as sink:
        saved = [os.dup(1), os.dup(2)]
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


@dataclass(frozen=True)
class Verification:
    """What Pact's verifier found when it replayed a pact against a provider (lesson 09, section 4).

    Attributes:
        passed: whether every interaction matched.
        mismatches: each problem, as "interaction: path -> what differs".
        output: the verifier's report, as it prints it (colours removed).
    """

    passed: bool
    mismatches: tuple[str, ...]
    output: str = field(repr=False)


def _mismatches(results: Mapping[str, Any]) -> tuple[str, ...]:
    found = []
    for error in results.get("errors", []):
        interaction = str(error.get("interaction", "")).split(" - ")[-1]
        detail = error.get("mismatch", {})
        items = detail.get("mismatches") if isinstance(detail, Mapping) else None
        if items:
            for item in items:
                path = f"{item['path']} -> " if item.get("path") else ""
                found.append(f"{interaction}: {path}{item.get('mismatch', item)}")
        else:
            found.append(f"{interaction}: {detail.get('message', detail) if isinstance(detail, Mapping) else detail}")
    return tuple(found)


def verify_pact(contract: Mapping[str, Any] | str | Path, provider: BackgroundServer) -> Verification:
    """Pact's verifier replays ``contract`` against the running ``provider`` (lessons 09, section 4, and 11, section 3).

    ``contract`` is a pact (as ``write_pact`` returns it) or the path of a pact file or of
    a folder of them. ``provider`` is any running server of the course with a ``url`` on
    127.0.0.1 (a ``CatalogueProvider``, lesson 11's payment service). The verifier sends
    each interaction's request to it, after posting the interaction's provider state to
    ``provider.state_url`` where the provider has one, and compares each answer with what
    the pact expects, using the pact's matchers (a type matcher accepts any value of that
    type; extra fields are allowed). It takes a few tens of ms.
    """
    pact = _pact_or_fail()
    url = getattr(provider, "url", None) if isinstance(provider, BackgroundServer) and provider.running else None
    if not isinstance(url, str):
        raise ValueError(f"provider must be a running server with a url (e.g. a CatalogueProvider), got {provider!r}")
    loopback_target(url)
    with tempfile.TemporaryDirectory(prefix="pacts-") as folder:
        if isinstance(contract, Mapping):
            path = Path(folder) / "contract.json"
            path.write_text(json.dumps(contract), encoding="utf-8")
            name = str(contract.get("provider", {}).get("name", "provider"))
        else:
            path = Path(contract)
            if not path.exists():
                raise ValueError(f"no pact at {path}")
            name = "provider"
        verifier = pact.Verifier(name, host=HOST).add_transport(url=url)
        state_url = getattr(provider, "state_url", None)
        if isinstance(state_url, str):
            verifier = verifier.state_handler(state_url, body=True)
        verifier = verifier.add_source(str(path)).set_request_timeout(5_000)  # ms: no answer fails, never hangs
        # A failed verification raises; its results say why.
        with _native_output_kept(), contextlib.suppress(RuntimeError):
            verifier.verify()
        results = verifier.results
    return Verification(bool(results.get("result")), _mismatches(results), verifier.output(strip_ansi=True))


def write_pact(consumer_test: Callable[[Path], object]) -> dict[str, Any]:
    """The pact a consumer test writes: ``consumer_test(folder)`` runs, and the one file it writes is read.

    The folder is a temporary one, deleted afterwards (lesson 09, section 4).
    """
    if not callable(consumer_test):
        raise ValueError(f"consumer_test must be a function of a folder, got {consumer_test!r}")
    with tempfile.TemporaryDirectory(prefix="pacts-") as folder:
        consumer_test(Path(folder))
        written = sorted(Path(folder).glob("*.json"))
        if len(written) != 1:
            raise ValueError(f"the consumer test must write one pact file, it wrote {[p.name for p in written]}")
        result: dict[str, Any] = json.loads(written[0].read_text(encoding="utf-8"))
    return result


# --- a mixed fleet behind a balancer ---------------------------------------------------------------


@lru_cache(maxsize=8)
def _provider_class(base: type) -> type:
    """A subclass of ``base`` (lesson 05's Backend) whose requests are answered by the catalogue."""
    if not isinstance(base, type) or not hasattr(base, "_handler_class"):
        raise ValueError(f"backend_class must be lesson 05's Backend (helpers.balancing.live.Backend), got {base!r}")

    class VersionedBackend(base):  # type: ignore[misc]
        """A lesson-05 backend that answers GET /products/7 in its ``shape``, changed by ``ProviderFleet.deploy``."""

        def __init__(self, name: str, shape: str) -> None:
            super().__init__(name, 0.0, 8)
            self.shape = shape
            self._catalogue = _Catalogue((KETTLE,))
            self._served: Counter[tuple[str, int]] = Counter()
            self._served_lock = threading.Lock()

        def _handler_class(self) -> type[QuietHandler]:
            return _catalogue_handler(lambda: str(self.shape), self._catalogue, self._served, self._served_lock)

        def __repr__(self) -> str:
            return f"<provider {self.name} serving {self.shape}>"

    return VersionedBackend


class ProviderFleet(StartStop):
    """Providers of product 7, each a lesson-05 backend serving one shape, redeployed one at a time.

    ``backend_class`` is ``helpers.balancing.live.Backend``: the lesson composes the fleet
    with lesson 05's balancer, ``LoadBalancer(fleet.backends)`` (lesson 09, section 5).

    Attributes:
        backends: the providers, named "p0", "p1", ...

    Examples:
        >>> from helpers.balancing.live import Backend, LoadBalancer
        >>> with ProviderFleet(Backend, ["v1", "v2"]) as fleet, LoadBalancer(fleet.backends) as balancer:
        ...     send_round(balancer.url, ["v1"], requests_each=2).failures
        1
    """

    def __init__(self, backend_class: type, shapes: Sequence[str]) -> None:
        if isinstance(shapes, str) or not isinstance(shapes, Sequence) or not shapes:
            raise ValueError(
                f"shapes must be a non-empty list, one of {list(FLEET_SHAPES)} per provider, got {shapes!r}"
            )
        for shape in shapes:
            checks.choice("shape", shape, FLEET_SHAPES)
        provider = _provider_class(backend_class)
        self.backends: list[Any] = [provider(f"p{i}", shape) for i, shape in enumerate(shapes)]

    @property
    def shapes(self) -> list[str]:
        """What each provider serves now."""
        return [str(backend.shape) for backend in self.backends]

    def deploy(self, index: int, shape: str) -> None:
        """Provider ``index`` now serves ``shape`` (a rolling deploy of one instance)."""
        index = checks.integer("index", index, 0, len(self.backends) - 1)
        self.backends[index].shape = checks.choice("shape", shape, FLEET_SHAPES)

    def start(self) -> Self:
        """Start every provider; returns the fleet."""
        for backend in self.backends:
            backend.start()
        return self

    def stop(self) -> None:
        """Stop every provider (each joins its threads and closes its socket)."""
        for backend in self.backends:
            backend.stop()



@dataclass(frozen=True)
class Round:
    """What one round of requests through the balancer found (lesson 09, section 5).

    Attributes:
        requests: requests sent.
        failures: requests whose answer the consumer could not read (or that got no answer).
        pairs: (consumer number, the provider that answered, whether the consumer read it), in order.
    """

    requests: int
    failures: int
    pairs: tuple[tuple[int, str, bool], ...]

    @property
    def failure_share(self) -> Fraction:
        """Failures over requests, exactly."""
        return Fraction(self.failures, self.requests) if self.requests else Fraction(0)


_FLEET_READERS = {
    version: reader({"id": int, "price_cents" if version == "v1" else "price": int}, extra="ignore", strict=True)
    for version in FLEET_READERS
}


def send_round(url: str, consumers: Sequence[str], requests_each: int) -> Round:
    """Each consumer in turn sends ``requests_each`` GETs of product 7 to ``url`` and reads each answer.

    ``consumers`` lists each consumer's version ("v1" reads ``price_cents``, "v2" reads
    ``price``). Requests go one at a time, so behind a round-robin balancer a consumer that
    sends as many requests as there are providers reaches each provider once (lesson 09,
    section 5).
    """
    port, _ = _split(url)
    if isinstance(consumers, str) or not consumers:
        raise ValueError(f"consumers must be a non-empty list of versions {list(FLEET_READERS)}, got {consumers!r}")
    for version in consumers:
        checks.choice("consumer version", version, FLEET_READERS)
    requests_each = checks.count("requests_each", requests_each)
    pairs = []
    for number, version in enumerate(consumers):
        for _ in range(requests_each):
            try:
                answer = get(f"http://{HOST}:{port}/products/7")
                ok = answer.status == 200 and read(_FLEET_READERS[version], answer.json()).ok
                backend = answer.headers.get("x-backend", "")
            except (OSError, ValueError):
                ok, backend = False, ""
            pairs.append((number, backend, ok))
    return Round(len(pairs), sum(not ok for _, _, ok in pairs), tuple(pairs))


def replay(plan: Sequence[Sequence[Any]], fleet: ProviderFleet, url: str, consumers: Sequence[str]) -> list[Round]:
    """Apply ``plan`` step by step to the live ``fleet`` and ``consumers``, with a round of requests after each.

    ``url`` is the balancer in front of the fleet; each round sends, from every consumer,
    one request per provider (see ``send_round``). ``consumers`` is not changed: the plan
    works on a copy (lesson 09, section 5).
    """
    readers = list(consumers)
    steps: list[Step] = check_plan(plan, len(fleet.backends), len(readers))
    rounds = []
    for step in steps:
        if step.kind == "provider":
            fleet.deploy(step.number, step.version)
        else:
            readers[step.number] = step.version
        rounds.append(send_round(url, readers, len(fleet.backends)))
    return rounds


# --- gRPC ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrpcVersions:
    """A running gRPC server on 127.0.0.1 that serves several versions of a service (lesson 09, section 7).

    Attributes:
        address: where to connect, "127.0.0.1:PORT".
        calls: calls answered so far, by "/package.Service/Method".
    """

    address: str
    calls: dict[str, int]


@contextmanager
def serve_versions(
    services: Sequence[tuple[CompiledProto, str, Mapping[str, Callable[[Message], Message]]]], max_workers: int = 4
) -> Iterator[GrpcVersions]:
    """One gRPC server on 127.0.0.1 for every (proto, service, handlers), stopped when the block ends.

    Each service is registered under its full name, package included
    (``shop.orders.v1.Orders``, ``shop.orders.v2.Orders``), so old clients keep calling v1
    while new ones call v2 on the same port (lesson 09, section 7).
    """
    if not services or not all(
        isinstance(s, tuple) and len(s) == 3 and isinstance(s[0], CompiledProto) for s in services
    ):
        raise ValueError(f"services must be a list of (proto, service, handlers) triples, got {services!r}")
    generic = []
    calls: dict[str, int] = {}
    lock = threading.Lock()
    for proto, service, handlers in services:
        descriptor = proto.service(service)
        methods = {method.name: method for method in descriptor.methods}
        if set(handlers) != set(methods):
            raise ValueError(f"{descriptor.full_name} needs handlers for {sorted(methods)}, got {sorted(handlers)}")

        def wrap(route: str, handle: Callable[[Message], Message]) -> Callable[[Message, Any], Message]:
            def behaviour(request: Message, context: Any) -> Message:
                with lock:
                    calls[route] += 1
                return handle(request)

            return behaviour

        rpc_handlers = {}
        for name, method in methods.items():
            route = f"/{descriptor.full_name}/{name}"
            calls[route] = 0
            rpc_handlers[name] = grpc.unary_unary_rpc_method_handler(
                wrap(route, handlers[name]),
                request_deserializer=proto.message(method.input_type.full_name).FromString,
                response_serializer=lambda message: message.SerializeToString(),
            )
        generic.append(grpc.method_handlers_generic_handler(descriptor.full_name, rpc_handlers))
    workers = checks.integer("max_workers", max_workers, 1, 32)
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grpc-versions")
    server = grpc.server(executor, options=[("grpc.so_reuseport", 0)])
    server.add_generic_rpc_handlers(tuple(generic))
    try:
        port = server.add_insecure_port(f"{HOST}:0")
        server.start()
        yield GrpcVersions(address=f"{HOST}:{port}", calls=calls)
    finally:
        server.stop(grace=None).wait()
        executor.shutdown(wait=True)
