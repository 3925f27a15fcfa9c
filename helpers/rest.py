"""REST over HTTP: a live hypermedia order API, a small client, and retries under lost responses (lesson 03).

Everything here listens on or connects to 127.0.0.1 only. ``OrderApi`` is a real HTTP
server (the standard library's ``ThreadingHTTPServer`` on a port the operating system
picks) that starts and stops inside a ``with`` block. Its representations carry
**links**: each names a relation (``rel``), an address and the method to use, and only the
transitions the order's state allows are offered, so a client can complete a workflow
knowing nothing but the entry point.

Sections:
    * method semantics: ``MethodProperties``, ``METHOD_PROPERTIES``, ``method_properties``
    * the client: ``Response``, ``Link``, ``request``, ``links``, ``link``, ``follow``, ``retry``
    * the live API: ``OrderApi``, ``place_orders``
    * retries under lost responses: ``simulate_retries``, ``expected_duplicates``
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import threading
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import ArrayLike, NDArray

from helpers.serving import BackgroundServer, JoiningHTTPServer

__all__ = [
    "DEFAULT_ROUTES",
    "METHOD_PROPERTIES",
    "STRATEGIES",
    "Link",
    "LostResponseError",
    "MethodProperties",
    "OrderApi",
    "Response",
    "RestError",
    "RetryOutcome",
    "expected_duplicates",
    "follow",
    "link",
    "links",
    "method_properties",
    "place_orders",
    "request",
    "retry",
    "simulate_retries",
]

HOST = "127.0.0.1"
"""The only address anything here listens on or connects to."""

Json = dict[str, Any]


# --- method semantics -----------------------------------------------------------------------


@dataclass(frozen=True)
class MethodProperties:
    """What HTTP promises about a method (RFC 9110 section 9.2).

    Attributes:
        safe: the client asks for no change of state (the server may still log).
        idempotent: N identical requests have the same intended effect as one.
        cacheable: a response may be stored and reused by default.
    """

    safe: bool
    idempotent: bool
    cacheable: bool


METHOD_PROPERTIES: dict[str, MethodProperties] = {
    "GET": MethodProperties(safe=True, idempotent=True, cacheable=True),
    "HEAD": MethodProperties(safe=True, idempotent=True, cacheable=True),
    "OPTIONS": MethodProperties(safe=True, idempotent=True, cacheable=False),
    "TRACE": MethodProperties(safe=True, idempotent=True, cacheable=False),
    "PUT": MethodProperties(safe=False, idempotent=True, cacheable=False),
    "DELETE": MethodProperties(safe=False, idempotent=True, cacheable=False),
    # POST responses are cacheable only with explicit freshness information, which caches
    # rarely implement, so by default: no.
    "POST": MethodProperties(safe=False, idempotent=False, cacheable=False),
    "PATCH": MethodProperties(safe=False, idempotent=False, cacheable=False),  # RFC 5789
    "CONNECT": MethodProperties(safe=False, idempotent=False, cacheable=False),
}
"""Safe, idempotent and cacheable (by default) for each method (RFC 9110 section 9.2; PATCH: RFC 5789)."""


def method_properties(method: str) -> MethodProperties:
    """The safe / idempotent / cacheable properties of an HTTP method (any case).

    Examples:
        >>> method_properties("put")
        MethodProperties(safe=False, idempotent=True, cacheable=False)
        >>> method_properties("GET").safe
        True
    """
    if not isinstance(method, str) or method.upper() not in METHOD_PROPERTIES:
        raise ValueError(f"method must be one of {sorted(METHOD_PROPERTIES)}, got {method!r}")
    return METHOD_PROPERTIES[method.upper()]


# --- the client -----------------------------------------------------------------------------


class RestError(Exception):
    """A request that got no HTTP answer at all: refused, timed out or cut off."""


class LostResponseError(RestError):
    """The server closed the connection without answering: the request may or may not have been done."""


@dataclass(frozen=True)
class Response:
    """An HTTP response as the client saw it.

    Attributes:
        status: the status code, e.g. 200, 201, 304.
        reason: the reason phrase, e.g. "Not Modified".
        headers: the header fields, names in lower case.
        body: the body's bytes (empty for 204 and 304).
    """

    status: int
    reason: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Json:
        """The body decoded as a JSON object (an empty dict for an empty body)."""
        if not self.body:
            return {}
        decoded = json.loads(self.body)
        if not isinstance(decoded, dict):
            raise ValueError(f"the body is JSON but not an object: {decoded!r}")
        return decoded

    @property
    def header_bytes(self) -> int:
        """Size of the status line and header fields as HTTP/1.x text, blank line included."""
        lines = [f"HTTP/1.1 {self.status} {self.reason}"] + [f"{k}: {v}" for k, v in self.headers.items()]
        return sum(len(line) + 2 for line in lines) + 2


def _split_url(url: str) -> tuple[int, str]:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme != "http" or parts.hostname != HOST or parts.port is None:
        raise ValueError(f"url must be http://{HOST}:PORT/..., got {url!r}")
    path = parts.path or "/"
    return parts.port, path + (f"?{parts.query}" if parts.query else "")


def request(
    method: str,
    url: str,
    body: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout_s: float = 2.0,
) -> Response:
    """The response to one HTTP request to ``url`` on 127.0.0.1, with an optional JSON body.

    Any status is returned (a 404 is an answer, not an error). Uses ``http.client``, not
    urllib, so a proxy variable can never send the request off the machine.

    Raises:
        LostResponseError: the server closed the connection without answering.
        RestError: the connection was refused or timed out.
        ValueError: ``url`` is not an http://127.0.0.1:PORT/ address, or ``method`` is unknown.

    Examples:
        >>> with OrderApi() as api:
        ...     request("GET", api.url).status, request("GET", api.origin + "/nowhere").status
        (200, 404)
    """
    method_properties(method)
    port, path = _split_url(url)
    payload = None if body is None else json.dumps(dict(body)).encode("utf-8")
    sent_headers = dict(headers or {})
    if payload is not None:
        sent_headers.setdefault("Content-Type", "application/json")
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout_s)
    try:
        connection.request(method.upper(), path, body=payload, headers=sent_headers)
        answer = connection.getresponse()
        data = answer.read()
    except (http.client.RemoteDisconnected, ConnectionResetError):
        raise LostResponseError(f"{method.upper()} {url}: the connection closed without a response") from None
    except TimeoutError:
        raise RestError(f"{method.upper()} {url}: no answer within {timeout_s:g} s") from None
    except OSError as error:
        raise RestError(f"{method.upper()} {url}: {type(error).__name__}: {error}") from None
    finally:
        connection.close()
    return Response(answer.status, answer.reason, {k.lower(): v for k, v in answer.getheaders()}, data)


@dataclass(frozen=True)
class Link:
    """A hypermedia control: the relation's name, where it points and the method to use."""

    rel: str
    href: str
    method: str = "GET"
    templated: bool = False


def links(representation: Mapping[str, Any]) -> dict[str, Link]:
    """The links of a representation, by relation name.

    Examples:
        >>> sorted(links({"links": [{"rel": "self", "href": "/o/1", "method": "GET"}]}))
        ['self']
    """
    if not isinstance(representation, Mapping):
        raise ValueError(f"representation must be a JSON object (a dict), got {representation!r}")
    found = {}
    for item in representation.get("links", []):
        found[item["rel"]] = Link(item["rel"], item["href"], item.get("method", "GET"), item.get("templated", False))
    return found


def link(representation: Mapping[str, Any], rel: str) -> Link:
    """The link named ``rel`` in a representation.

    Raises:
        ValueError: the representation offers no such link; the message lists those it offers.

    Examples:
        >>> link({"links": [{"rel": "pay", "href": "/o/1/payment", "method": "POST"}]}, "pay").method
        'POST'
    """
    offered = links(representation)
    if rel not in offered:
        raise ValueError(f"no link with rel {rel!r} here; the representation offers {sorted(offered)}")
    return offered[rel]


def follow(
    target: Link, body: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None
) -> Response:
    """The response to following ``target``: its method on its address.

    Examples:
        >>> with OrderApi() as api:
        ...     follow(link(request("GET", api.url).json(), "orders")).status
        200
    """
    if target.templated:
        raise ValueError(f"link {target.rel!r} is a template ({target.href}): fill it in first")
    return request(target.method, target.href, body=body, headers=headers)


def retry(send: Callable[[], Response], attempts: int = 5) -> Response:
    """The first response ``send()`` gets, trying up to ``attempts`` times while responses are lost.

    Raises:
        LostResponseError: every attempt lost its response.

    Examples:
        >>> with OrderApi(lose_fraction=0.5, seed=1) as api:
        ...     retry(lambda: request("GET", api.url), attempts=20).status
        200
    """
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise ValueError(f"attempts must be an int >= 1, got {attempts!r}")
    for attempt in range(attempts):
        try:
            return send()
        except LostResponseError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# --- the live API ---------------------------------------------------------------------------

DEFAULT_ROUTES: dict[str, str] = {"orders": "orders", "pay": "payment", "ship": "shipment", "cancel": "cancellation"}
"""Path segments of the API's routes: the collection and the three state transitions."""

_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)*")
_TRANSITIONS = {"pay": ("placed", "paid"), "ship": ("paid", "shipped"), "cancel": (None, "cancelled")}
_CANCELLABLE = ("placed", "paid")


def _problem(status: int, title: str, detail: str) -> tuple[int, Json]:
    # Problem Details (RFC 9457): a machine-readable error body.
    return status, {"type": "about:blank", "title": title, "status": status, "detail": detail}


def _etag(representation: Json) -> str:
    digest = hashlib.sha256(json.dumps(representation, sort_keys=True).encode("utf-8")).hexdigest()
    return f'"{digest[:16]}"'


@dataclass
class _Reply:
    status: int
    body: Json | None = None
    headers: dict[str, str] = field(default_factory=dict)


class OrderApi(BackgroundServer):
    """A live order API on 127.0.0.1: orders that can be paid, then shipped, or cancelled before shipping.

    Routes (``P`` is ``prefix``, names from ``routes``):

    - ``GET P/``: the entry point, with links to the collection;
    - ``GET P/orders``, ``POST P/orders`` (create; honours an ``Idempotency-Key`` header);
    - ``GET``, ``PUT``, ``DELETE P/orders/{id}`` (PUT creates or replaces at a client-chosen id;
      DELETE removes a cancelled order);
    - ``POST P/orders/{id}/payment``, ``.../shipment``, ``.../cancellation``: state transitions.

    Every order representation carries ``links``, only for what its state allows. Order
    responses have an ``ETag``; ``If-None-Match`` gives 304 and ``If-Match`` with a stale
    tag gives 412. The server can **lose** a share of responses: it does the work, then
    closes the connection without answering (seeded, so a run is reproducible).

    Attributes:
        prefix: the path every route starts with.
        routes: the path segment of each route.
        orders_created: how many orders were created, duplicates included.
        responses_lost: how many responses the server dropped on purpose.

    Examples:
        >>> with OrderApi(prefix="/shop/v2") as api:
        ...     api.url.endswith("/shop/v2/"), request("GET", api.url).json()["links"][0]["rel"]
        (True, 'orders')
    """

    _label = "API"

    def __init__(
        self,
        prefix: str = "/api",
        routes: Mapping[str, str] | None = None,
        lose_fraction: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
            raise ValueError(f"prefix must be '' or a path like '/api/v1' without a trailing '/', got {prefix!r}")
        chosen = dict(DEFAULT_ROUTES if routes is None else routes)
        if set(chosen) != set(DEFAULT_ROUTES):
            raise ValueError(f"routes must name exactly {sorted(DEFAULT_ROUTES)}, got {sorted(chosen)}")
        for name, segment in chosen.items():
            if not isinstance(segment, str) or not _SEGMENT.fullmatch(segment):
                raise ValueError(f"routes[{name!r}] must be one path segment like 'orders', got {segment!r}")
        if len(set(chosen.values())) != len(chosen):
            raise ValueError(f"routes must use distinct segments, got {chosen}")
        self.prefix = prefix
        self.routes = chosen
        self.lose_fraction = lose_fraction
        self._rng = np.random.default_rng(seed)
        self.orders_created = 0
        self.responses_lost = 0
        self._orders: dict[str, Json] = {}
        self._replies: dict[str, _Reply] = {}  # Idempotency-Key -> the reply first sent for it
        self._next_id = 1
        self._lock = threading.Lock()

    @property
    def lose_fraction(self) -> float:
        """Share of responses the server drops after doing the work, from 0 to 1."""
        return self._lose_fraction

    @lose_fraction.setter
    def lose_fraction(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
            raise ValueError(f"lose_fraction must be a number from 0 up to (not including) 1, got {value!r}")
        self._lose_fraction = float(value)

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT`` (valid once started)."""
        return f"http://{HOST}:{self.port}"

    @property
    def url(self) -> str:
        """The entry point, the one address a client needs to know."""
        return f"{self.origin}{self.prefix}/"

    @property
    def orders(self) -> dict[str, str]:
        """Each order's status, by id."""
        with self._lock:
            return {order_id: order["status"] for order_id, order in self._orders.items()}

    # -- running (start, stop, running, port and the with block come from BackgroundServer) --

    def _make_server(self) -> JoiningHTTPServer:
        # The port of the previous start, 0 at the first: a restart keeps the same address.
        return JoiningHTTPServer((HOST, self._port), self._handler_class())

    def _thread_name(self) -> str:
        return "order-api"

    def __repr__(self) -> str:
        state = f"listening on {self.url}" if self.running else "stopped"
        return f"<OrderApi {state}, {len(self._orders)} orders>"

    # -- representations -------------------------------------------------------------------

    def _href(self, *segments: str) -> str:
        return "/".join([f"{self.origin}{self.prefix}", *segments])

    def _order_view(self, order: Json) -> Json:
        collection, order_id = self.routes["orders"], order["id"]
        controls = [{"rel": "self", "href": self._href(collection, order_id), "method": "GET"}]
        status = order["status"]
        if status == "placed":
            controls.append({"rel": "edit", "href": self._href(collection, order_id), "method": "PUT"})
            controls.append(
                {"rel": "pay", "href": self._href(collection, order_id, self.routes["pay"]), "method": "POST"}
            )
        if status == "paid":
            controls.append(
                {"rel": "ship", "href": self._href(collection, order_id, self.routes["ship"]), "method": "POST"}
            )
        if status in _CANCELLABLE:
            controls.append(
                {"rel": "cancel", "href": self._href(collection, order_id, self.routes["cancel"]), "method": "POST"}
            )
        if status == "cancelled":
            controls.append({"rel": "delete", "href": self._href(collection, order_id), "method": "DELETE"})
        return {"id": order_id, "item": order["item"], "quantity": order["quantity"], "status": status,
                "links": controls}

    def _entry_view(self) -> Json:
        collection = self._href(self.routes["orders"])
        return {
            "title": "Order API",
            "links": [
                {"rel": "orders", "href": collection, "method": "GET"},
                {"rel": "create", "href": collection, "method": "POST"},
                {"rel": "create-at", "href": collection + "/{id}", "method": "PUT", "templated": True},
            ],
        }

    def _collection_view(self) -> Json:
        items = [
            {"id": order["id"], "status": order["status"], "href": self._href(self.routes["orders"], order["id"])}
            for order in self._orders.values()
        ]
        return {"orders": items, "links": self._entry_view()["links"][:2]}

    def _order_reply(self, order: Json, status: int = 200) -> _Reply:
        view = self._order_view(order)
        return _Reply(status, view, {"ETag": _etag(view), "Cache-Control": "no-cache"})

    # -- handling --------------------------------------------------------------------------

    @staticmethod
    def _order_fields(body: Json) -> tuple[str, int] | str:
        item, quantity = body.get("item"), body.get("quantity")
        if not isinstance(item, str) or not item:
            return f"'item' must be a non-empty string, got {item!r}"
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            return f"'quantity' must be an integer >= 1, got {quantity!r}"
        return item, quantity

    def _create(self, order_id: str, item: str, quantity: int) -> Json:
        order = {"id": order_id, "item": item, "quantity": quantity, "status": "placed"}
        self._orders[order_id] = order
        self.orders_created += 1
        return order

    def _handle(self, method: str, path: str, headers: Mapping[str, str], raw: bytes) -> _Reply:
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            return _Reply(*_problem(404, "Not Found", f"no resource at {path}"))
        parts = [part for part in path[len(self.prefix) :].split("/") if part]
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return _Reply(*_problem(400, "Bad Request", "the body is not valid JSON"))
        if not isinstance(body, dict):
            return _Reply(*_problem(400, "Bad Request", "the body must be a JSON object"))
        with self._lock:
            if not parts:
                return self._allow(method, ("GET",)) or _Reply(200, self._entry_view(), {"Cache-Control": "max-age=60"})
            if parts[0] != self.routes["orders"] or len(parts) > 3:
                return _Reply(*_problem(404, "Not Found", f"no resource at {path}"))
            if len(parts) == 1:
                return self._allow(method, ("GET", "POST")) or self._on_collection(method, headers, body)
            order = self._orders.get(parts[1])
            if len(parts) == 2:
                return self._allow(method, ("GET", "PUT", "DELETE")) or self._on_order(
                    method, parts[1], order, headers, body
                )
            transition = {segment: name for name, segment in self.routes.items()}.get(parts[2])
            if transition is None or transition == "orders" or order is None:
                return _Reply(*_problem(404, "Not Found", f"no resource at {path}"))
            return self._allow(method, ("POST",)) or self._on_transition(transition, order, headers)

    @staticmethod
    def _allow(method: str, allowed: tuple[str, ...]) -> _Reply | None:
        if method in allowed:
            return None
        status, body = _problem(405, "Method Not Allowed", f"{method} is not allowed here; use {', '.join(allowed)}")
        return _Reply(status, body, {"Allow": ", ".join(allowed)})

    def _on_collection(self, method: str, headers: Mapping[str, str], body: Json) -> _Reply:
        if method == "GET":
            return _Reply(200, self._collection_view(), {"Cache-Control": "no-cache"})
        key = headers.get("idempotency-key")
        if key is not None and key in self._replies:
            return self._replies[key]  # the same request again: replay, do nothing
        fields = self._order_fields(body)
        if isinstance(fields, str):
            return _Reply(*_problem(400, "Bad Request", fields))
        order = self._create(f"o{self._next_id}", *fields)
        self._next_id += 1
        reply = self._order_reply(order, 201)
        reply.headers.update({"Location": self._href(self.routes["orders"], order["id"]), "Cache-Control": "no-store"})
        if key is not None:
            self._replies[key] = reply
        return reply

    def _stale(self, headers: Mapping[str, str], order: Json) -> _Reply | None:
        expected = headers.get("if-match")
        if expected is None or expected == "*" or expected == _etag(self._order_view(order)):
            return None
        return _Reply(*_problem(412, "Precondition Failed", "the order changed since you read it: GET it again"))

    def _on_order(
        self, method: str, order_id: str, order: Json | None, headers: Mapping[str, str], body: Json
    ) -> _Reply:
        if method == "PUT":
            if not _SEGMENT.fullmatch(order_id):
                return _Reply(*_problem(400, "Bad Request", f"bad order id {order_id!r}"))
            fields = self._order_fields(body)
            if isinstance(fields, str):
                return _Reply(*_problem(400, "Bad Request", fields))
            if order is None:
                reply = self._order_reply(self._create(order_id, *fields), 201)
                reply.headers["Location"] = self._href(self.routes["orders"], order_id)
                return reply
            stale = self._stale(headers, order)
            if stale is not None:
                return stale
            if order["status"] != "placed":
                return _Reply(*_problem(409, "Conflict", f"a {order['status']} order cannot be changed"))
            order["item"], order["quantity"] = fields
            return self._order_reply(order)
        if order is None:
            return _Reply(*_problem(404, "Not Found", f"no order {order_id!r}"))
        if method == "DELETE":
            if order["status"] != "cancelled":
                detail = f"only a cancelled order can be deleted; this one is {order['status']}"
                return _Reply(*_problem(409, "Conflict", detail))
            del self._orders[order_id]
            return _Reply(204)
        reply = self._order_reply(order)
        if headers.get("if-none-match") == reply.headers["ETag"]:
            return _Reply(304, None, {"ETag": reply.headers["ETag"], "Cache-Control": "no-cache"})
        return reply

    def _on_transition(self, transition: str, order: Json, headers: Mapping[str, str]) -> _Reply:
        stale = self._stale(headers, order)
        if stale is not None:
            return stale
        before, after = _TRANSITIONS[transition]
        allowed = order["status"] in _CANCELLABLE if before is None else order["status"] == before
        if not allowed:
            return _Reply(*_problem(409, "Conflict", f"cannot {transition} a {order['status']} order"))
        order["status"] = after
        return self._order_reply(order)

    def _lose(self) -> bool:
        with self._lock:
            lost = bool(self._rng.random() < self._lose_fraction)
            self.responses_lost += lost
            return lost

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length", 0) or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {name.lower(): value for name, value in self.headers.items()}
                reply = api._handle(self.command, self.path.split("?")[0], headers, raw)
                if api._lose():
                    self.close_connection = True  # the work is done; the answer never leaves
                    return
                payload = b"" if reply.body is None else json.dumps(reply.body, indent=1).encode("utf-8")
                self.send_response(reply.status)
                if reply.body is not None:
                    problem = reply.status >= 400
                    self.send_header("Content-Type", "application/problem+json" if problem else "application/json")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.status not in (204, 304):
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if reply.status not in (204, 304):
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                pass  # one stderr line per request would drown the notebook

        return Handler


STRATEGIES = ("POST", "PUT", "POST + Idempotency-Key")
"""The three ways of creating an order that lesson 03 retries."""


def place_orders(api: OrderApi, strategy: str, count: int, attempts: int = 10) -> int:
    """Orders the API created while a client placed ``count`` orders with ``strategy``, retrying lost responses.

    The client starts from the entry point. "POST" posts to the collection; "PUT" puts to
    an id it chose itself (the entry point's "create-at" template); "POST +
    Idempotency-Key" posts with a fresh key per order, the same key on every retry.
    A request whose every attempt was lost is given up.

    Examples:
        >>> with OrderApi(lose_fraction=0.3, seed=3) as api:
        ...     place_orders(api, "PUT", 10)
        10
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {list(STRATEGIES)}, got {strategy!r}")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be an int >= 0, got {count!r}")
    before = api.orders_created
    entry = retry(lambda: request("GET", api.url), attempts).json()
    create, create_at = link(entry, "create"), link(entry, "create-at")
    order = {"item": "book", "quantity": 1}
    for number in range(count):
        client_id = f"{strategy.split()[0].lower()}-{api.orders_created}-{number}"
        if strategy == "POST":
            send = partial(follow, create, order)
        elif strategy == "PUT":
            send = partial(follow, Link("create-at", create_at.href.replace("{id}", client_id), "PUT"), order)
        else:
            send = partial(follow, create, order, headers={"Idempotency-Key": client_id})
        with suppress(LostResponseError):  # the client gave up; the server may still have done the work
            retry(send, attempts)
    return api.orders_created - before


# --- retries under lost responses -----------------------------------------------------------


@dataclass(frozen=True)
class RetryOutcome:
    """Orders created when ``requests`` creations each retry up to ``retries`` times after a lost response.

    Attributes:
        loss_rates: the loss rates simulated (share of responses lost), ascending.
        requests: orders the client meant to create.
        retries: retries allowed after the first attempt.
        created: for each strategy, orders created at each loss rate.
        gave_up: requests whose every attempt lost its response, at each loss rate.
    """

    loss_rates: NDArray[np.float64]
    requests: int
    retries: int
    created: dict[str, NDArray[np.int64]]
    gave_up: NDArray[np.int64]

    def duplicates(self, strategy: str) -> NDArray[np.int64]:
        """Orders created beyond the ``requests`` intended, at each loss rate."""
        if strategy not in self.created:
            raise ValueError(f"strategy must be one of {list(self.created)}, got {strategy!r}")
        extra: NDArray[np.int64] = self.created[strategy] - self.requests
        return extra


def _loss_rates(loss_rates: ArrayLike) -> NDArray[np.float64]:
    rates = np.atleast_1d(np.asarray(loss_rates, dtype=np.float64))
    if rates.ndim != 1 or rates.size == 0 or np.isnan(rates).any() or (rates < 0).any() or (rates >= 1).any():
        raise ValueError(f"loss_rates must be numbers from 0 up to (not including) 1, got {loss_rates!r}")
    return rates


def simulate_retries(
    loss_rates: ArrayLike, requests: int, retries: int, rng: np.random.Generator
) -> RetryOutcome:
    """Orders created by POST, PUT and POST with an Idempotency-Key, when responses are lost.

    Model: the server always does the work; then it loses the response with probability
    q, independently per attempt. The client retries after a lost response, up to
    ``retries`` times. Every POST attempt creates an order; the PUTs of one request all
    write the same URI, and the keyed POSTs all carry one key, so each request creates
    exactly one order however often it is retried.

    All loss rates share the same random draws (common random numbers), so curves over q
    are smooth and a larger q never loses fewer responses.

    Examples:
        >>> outcome = simulate_retries([0.0, 0.1], requests=1000, retries=1, rng=np.random.default_rng(0))
        >>> outcome.duplicates("POST").tolist(), outcome.duplicates("PUT").tolist()
        ([0, 103], [0, 0])
    """
    rates = _loss_rates(loss_rates)
    if isinstance(requests, bool) or not isinstance(requests, int) or requests < 1:
        raise ValueError(f"requests must be an int >= 1, got {requests!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 20:
        raise ValueError(f"retries must be an int from 0 to 20, got {retries!r}")
    draws = rng.random((requests, retries + 1))
    # Attempt k+1 happens iff attempts 0..k all lost their response, i.e. iff the running
    # maximum of the draws up to k is below q: one sorted column per k answers every q.
    lost_through = np.sort(np.maximum.accumulate(draws, axis=1), axis=0)
    counts = np.stack([np.searchsorted(lost_through[:, k], rates, side="left") for k in range(retries + 1)])
    retried = counts[:retries].sum(axis=0).astype(np.int64)
    constant = np.full(rates.shape, requests, dtype=np.int64)
    created = {"POST": requests + retried, "PUT": constant, "POST + Idempotency-Key": constant.copy()}
    return RetryOutcome(rates, requests, retries, created, counts[retries].astype(np.int64))


def expected_duplicates(loss_rate: float, requests: int, retries: int, strategy: str = "POST") -> float:
    """Expected duplicate orders: N (q + q^2 + ... + q^R) for POST, 0 for PUT and keyed POST.

    With one retry (R = 1) that is q * N: a duplicate for every lost first response.

    Examples:
        >>> expected_duplicates(0.1, 1000, 1)
        100.0
        >>> round(expected_duplicates(0.5, 1000, 3), 1), expected_duplicates(0.5, 1000, 3, "PUT")
        (875.0, 0.0)
    """
    q = float(_loss_rates(loss_rate)[0])
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {list(STRATEGIES)}, got {strategy!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an int >= 0, got {retries!r}")
    if isinstance(requests, bool) or not isinstance(requests, int) or requests < 0:
        raise ValueError(f"requests must be an int >= 0, got {requests!r}")
    if strategy != "POST":
        return 0.0
    return float(requests * sum(q**k for k in range(1, retries + 1)))
