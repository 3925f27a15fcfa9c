"""A live hypermedia order API on 127.0.0.1 and a small client for it (lesson 03).

Everything here listens on or connects to 127.0.0.1 only. ``OrderApi`` is a real HTTP
server (``helpers.serving``'s ``JoiningHTTPServer`` on a port the operating system picks)
that starts and stops inside a ``with`` block. Its representations carry **links**: each
names a relation (``rel``), an address and the method to use, and only the transitions
the order's state allows are offered, so a client can complete a workflow knowing nothing
but the entry point. What a response, a link and a retry are is in ``helpers.rest.model``.

Sections:
    * the client: ``request``, ``follow``
    * the live API: ``DEFAULT_ROUTES``, ``OrderApi``
    * retries over the wire: ``place_orders``
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import threading
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from helpers import checks
from helpers.rest.model import STRATEGIES, Link, LostResponseError, Response, RestError, link, method_properties, retry
from helpers.serving import HOST, BackgroundServer, JoiningHTTPServer, QuietHandler, problem

__all__ = ["DEFAULT_ROUTES", "OrderApi", "follow", "place_orders", "request"]

Json = dict[str, Any]


# --- the client -----------------------------------------------------------------------------


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
    """The response to one HTTP request to ``url`` on 127.0.0.1, with an optional JSON body (lesson 03, section 2).

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


def follow(target: Link, body: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None) -> Response:
    """The response to following ``target``: its method on its address (lesson 03, section 3).

    Examples:
        >>> with OrderApi() as api:
        ...     follow(link(request("GET", api.url).json(), "orders")).status
        200
    """
    if target.templated:
        raise ValueError(f"link {target.rel!r} is a template ({target.href}): fill it in first")
    return request(target.method, target.href, body=body, headers=headers)


# --- the live API ---------------------------------------------------------------------------

DEFAULT_ROUTES: dict[str, str] = {"orders": "orders", "pay": "payment", "ship": "shipment", "cancel": "cancellation"}
"""Path segments of the API's routes: the collection and the three state transitions (lesson 03, section 3)."""

_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)*")
_TRANSITIONS = {"pay": ("placed", "paid"), "ship": ("paid", "shipped"), "cancel": (None, "cancelled")}
_CANCELLABLE = ("placed", "paid")


def _etag(representation: Json) -> str:
    digest = hashlib.sha256(json.dumps(representation, sort_keys=True).encode("utf-8")).hexdigest()
    return f'"{digest[:16]}"'


@dataclass
class _Reply:
    status: int
    body: Json | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _refusal(status: int, detail: str, headers: Mapping[str, str] | None = None) -> _Reply:
    """A reply with a problem details body (RFC 9457) titled by the status's reason phrase."""
    return _Reply(status, problem(status, HTTPStatus(status).phrase, detail), dict(headers or {}))


class OrderApi(BackgroundServer):
    """A live order API on 127.0.0.1: orders to pay, then ship, or cancel before shipping (lesson 03, section 2).

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
        """Share of responses the server drops after doing the work, from 0 to 1 (lesson 03, section 5)."""
        return self._lose_fraction

    @lose_fraction.setter
    def lose_fraction(self, value: float) -> None:
        self._lose_fraction = checks.number("lose_fraction", value, 0.0, 1.0, high_open=True)

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
                "links": controls}  # fmt: skip

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
            return _refusal(404, f"no resource at {path}")
        parts = [part for part in path[len(self.prefix) :].split("/") if part]
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return _refusal(400, "the body is not valid JSON")
        if not isinstance(body, dict):
            return _refusal(400, "the body must be a JSON object")
        with self._lock:
            if not parts:
                return self._allow(method, ("GET",)) or _Reply(200, self._entry_view(), {"Cache-Control": "max-age=60"})
            if parts[0] != self.routes["orders"] or len(parts) > 3:
                return _refusal(404, f"no resource at {path}")
            if len(parts) == 1:
                return self._allow(method, ("GET", "POST")) or self._on_collection(method, headers, body)
            order = self._orders.get(parts[1])
            if len(parts) == 2:
                return self._allow(method, ("GET", "PUT", "DELETE")) or self._on_order(
                    method, parts[1], order, headers, body
                )
            transition = {segment: name for name, segment in self.routes.items()}.get(parts[2])
            if transition is None or transition == "orders" or order is None:
                return _refusal(404, f"no resource at {path}")
            return self._allow(method, ("POST",)) or self._on_transition(transition, order, headers)

    @staticmethod
    def _allow(method: str, allowed: tuple[str, ...]) -> _Reply | None:
        if method in allowed:
            return None
        detail = f"{method} is not allowed here; use {', '.join(allowed)}"
        return _refusal(405, detail, {"Allow": ", ".join(allowed)})

    def _on_collection(self, method: str, headers: Mapping[str, str], body: Json) -> _Reply:
        if method == "GET":
            return _Reply(200, self._collection_view(), {"Cache-Control": "no-cache"})
        key = headers.get("idempotency-key")
        if key is not None and key in self._replies:
            return self._replies[key]  # the same request again: replay, do nothing
        fields = self._order_fields(body)
        if isinstance(fields, str):
            return _refusal(400, fields)
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
        return _refusal(412, "the order changed since you read it: GET it again")

    def _on_order(
        self, method: str, order_id: str, order: Json | None, headers: Mapping[str, str], body: Json
    ) -> _Reply:
        if method == "PUT":
            if not _SEGMENT.fullmatch(order_id):
                return _refusal(400, f"bad order id {order_id!r}")
            fields = self._order_fields(body)
            if isinstance(fields, str):
                return _refusal(400, fields)
            if order is None:
                reply = self._order_reply(self._create(order_id, *fields), 201)
                reply.headers["Location"] = self._href(self.routes["orders"], order_id)
                return reply
            stale = self._stale(headers, order)
            if stale is not None:
                return stale
            if order["status"] != "placed":
                return _refusal(409, f"a {order['status']} order cannot be changed")
            order["item"], order["quantity"] = fields
            return self._order_reply(order)
        if order is None:
            return _refusal(404, f"no order {order_id!r}")
        if method == "DELETE":
            if order["status"] != "cancelled":
                return _refusal(409, f"only a cancelled order can be deleted; this one is {order['status']}")
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
            return _refusal(409, f"cannot {transition} a {order['status']} order")
        order["status"] = after
        return self._order_reply(order)

    def _lose(self) -> bool:
        with self._lock:
            lost = bool(self._rng.random() < self._lose_fraction)
            self.responses_lost += lost
            return lost

    def _handler_class(self) -> type[QuietHandler]:
        api = self

        class Handler(QuietHandler):
            def _serve(self) -> None:
                raw = self.read_body()
                headers = {name.lower(): value for name, value in self.headers.items()}
                reply = api._handle(self.command, self.path.split("?")[0], headers, raw)
                if api._lose():
                    self.close_connection = True  # the work is done; the answer never leaves
                    return
                if reply.body is None:
                    self.send_body(reply.status, b"", None, reply.headers)
                else:
                    self.send_json(reply.status, reply.body, reply.headers)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve  # noqa: N815

        return Handler


# --- retries over the wire ------------------------------------------------------------------


def place_orders(api: OrderApi, strategy: str, count: int, attempts: int = 10) -> int:
    """Orders the API created while a client placed ``count`` orders with ``strategy``, retrying lost responses.

    Taught in lesson 03, section 5.

    The client starts from the entry point. "POST" posts to the collection; "PUT" puts to
    an id it chose itself (the entry point's "create-at" template); "POST +
    Idempotency-Key" posts with a fresh key per order, the same key on every retry.
    A request whose every attempt was lost is given up.

    Examples:
        >>> with OrderApi(lose_fraction=0.3, seed=3) as api:
        ...     place_orders(api, "PUT", 10)
        10
    """
    checks.choice("strategy", strategy, STRATEGIES)
    count = checks.count("count", count, minimum=0)
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
