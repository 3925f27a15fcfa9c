"""A live hypermedia order API on 127.0.0.1 and a small client for it (lesson 03).

Everything here listens on or connects to 127.0.0.1 only. ``OrderApi`` is a real HTTP
server (``helpers.serving``'s ``JoiningHTTPServer`` on a port the operating system picks)
that starts and stops inside a ``with`` block and speaks HTTP/1.1 with persistent
connections. Its representations (media type ``MEDIA_TYPE``) carry **links**: each names a
relation type (``rel``: a registered name such as ``self`` or ``edit``, or one of the API's
own, a URI under ``REL``), an address and the method to use, and only the transitions the
order's state allows are offered, so a client can complete a workflow knowing nothing but
the entry point. Conditional requests follow RFC 9110 §13. What a response, a link and a
retry are is in ``helpers.rest.model``.

Sections:
    * the client: ``request``, ``follow``
    * the live API: ``DEFAULT_ROUTES``, ``DEFAULT_METHODS``, ``MEDIA_TYPE``, ``PROFILE``,
      ``KEEP_ALIVE_S``, ``OrderApi``
    * retries over the wire: ``place_orders``
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import socket
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
from helpers.rest.model import (
    REL,
    STRATEGIES,
    Link,
    LostResponseError,
    Response,
    RestError,
    link,
    method_properties,
    retry,
)
from helpers.serving import HOST, BackgroundServer, JoiningHTTPServer, QuietHandler, loopback_target, problem

__all__ = [
    "DEFAULT_METHODS",
    "DEFAULT_ROUTES",
    "KEEP_ALIVE_S",
    "MEDIA_TYPE",
    "PROFILE",
    "OrderApi",
    "follow",
    "place_orders",
    "request",
]

Json = dict[str, Any]


# --- the client -----------------------------------------------------------------------------


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
    port, path = loopback_target(url)
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
        ...     follow(link(request("GET", api.url).json(), REL + "orders")).status
        200
    """
    if target.templated:
        raise ValueError(f"link {target.rel!r} is a template ({target.href}): fill it in first")
    return request(target.method, target.href, body=body, headers=headers)


# --- the live API ---------------------------------------------------------------------------

DEFAULT_ROUTES: dict[str, str] = {"orders": "orders", "pay": "payment", "ship": "shipment", "cancel": "cancellation"}
"""Path segments of the API's routes: the collection and the three state transitions (lesson 03, section 3)."""

DEFAULT_METHODS: dict[str, str] = {"pay": "POST", "ship": "POST", "cancel": "POST"}
"""The method of each state transition (lesson 03, section 3): a server may change it, and its links say so."""

MEDIA_TYPE = "application/vnd.hands-on.orders+json"
"""The media type of the API's representations: JSON whose ``links`` list holds typed links (lesson 03, section 2).

``application/json`` defines no links, so a client could not know that ``links`` holds
controls; a **vendor media type** says so, and its profile (``PROFILE``) says what each field
and relation means. HAL (``application/hal+json``) is the best-known public alternative.
"""

PROFILE = "https://orders.example/profile"
"""The profile (RFC 6906) of ``MEDIA_TYPE``, sent as ``Link: <PROFILE>; rel="profile"`` (lesson 03, section 2)."""

KEEP_ALIVE_S = 5.0
"""How long the API keeps an idle HTTP/1.1 connection open for the next request (lesson 03, section 8)."""

_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)*")
_TRANSITIONS = {"pay": ("placed", "paid"), "ship": ("paid", "shipped"), "cancel": (None, "cancelled")}
_CANCELLABLE = ("placed", "paid")
_TRANSITION_METHODS = ("POST", "PUT")
_ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')  # RFC 9110 §8.8.3: opaque-tag, W/ if weak
_JSON_BODIES = ("application/json", MEDIA_TYPE)


def _etag(representation: Json) -> str:
    digest = hashlib.sha256(json.dumps(representation, sort_keys=True).encode("utf-8")).hexdigest()
    return f'"{digest[:16]}"'


def _entity_tags(field_name: str, value: str) -> list[tuple[bool, str]] | None:
    """(weak, opaque-tag) for each entity tag of an If-Match or If-None-Match value; None for ``*``.

    The value is ``*`` or a comma-separated list of entity tags (RFC 9110 §13.1.1, §13.1.2);
    anything else raises ValueError with a message for a 400.
    """
    text = value.strip(" \t")
    if text == "*":
        return None
    tags, position = [], 0
    while position < len(text):
        if text[position] in ", \t":  # list separators, and the empty elements a list may hold
            position += 1
            continue
        match = _ENTITY_TAG.match(text, position)
        after = text[match.end() :].lstrip(" \t") if match else ""
        if match is None or (after and not after.startswith(",")):
            raise ValueError(
                f'{field_name} must be * or a list of entity tags in double quotes, like "a1b2" or W/"a1b2", '
                f"got {value!r}"
            )
        tags.append((match.group(1) is not None, match.group(2)))
        position = len(text) - len(after)
    if not tags:
        raise ValueError(f"{field_name} must be * or a list of entity tags, got an empty value")
    return tags


def _matches(tags: list[tuple[bool, str]] | None, current: str | None, *, strong: bool) -> bool:
    """Whether a condition's tags (None for ``*``) match the current representation's tag (RFC 9110 §8.8.3.2).

    ``*`` matches any current representation; no current representation matches nothing.
    Strong comparison needs both tags strong and equal; weak comparison, equal opaque tags.
    """
    if current is None:
        return False
    if tags is None:
        return True
    current_weak, current_opaque = current.startswith("W/"), current.removeprefix("W/").strip('"')
    return any(opaque == current_opaque and not (strong and (weak or current_weak)) for weak, opaque in tags)


def _fingerprint(raw: bytes) -> str:
    """A digest of a request body: equal for the same JSON however it is spaced or ordered."""
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode("utf-8")
    except ValueError:
        canonical = raw
    return hashlib.sha256(canonical).hexdigest()


@dataclass
class _Reply:
    status: int
    body: Json | None = None
    headers: dict[str, str] = field(default_factory=dict)


_PHRASES = {status.value: status.phrase for status in HTTPStatus} | {422: "Unprocessable Content"}
"""Reason phrases as RFC 9110 names them (Python before 3.13 still says "Unprocessable Entity" for 422)."""


def _refusal(status: int, detail: str, headers: Mapping[str, str] | None = None) -> _Reply:
    """A reply with a problem details body (RFC 9457) titled by the status's reason phrase."""
    return _Reply(status, problem(status, _PHRASES[status], detail), dict(headers or {}))


def _control(rel: str, href: str, method: str = "GET", templated: bool = False) -> Json:
    """One link of a representation: relation type, target, method (and ``templated`` for a URI template)."""
    return {"rel": rel, "href": href, "method": method, **({"templated": True} if templated else {})}


class OrderApi(BackgroundServer):
    """A live order API on 127.0.0.1: orders to pay, then ship, or cancel before shipping (lesson 03, section 2).

    Routes (``P`` is ``prefix``, names from ``routes``):

    - ``P/``: the entry point, with links to the collection (GET, HEAD);
    - ``P/orders``: the collection (GET, HEAD; POST creates an order, honouring an
      ``Idempotency-Key`` header);
    - ``P/orders/{id}``: one order (GET, HEAD; PUT creates or replaces it at a client-chosen
      id; DELETE removes a cancelled order);
    - ``P/orders/{id}/payment``, ``.../shipment``, ``.../cancellation``: the state transitions
      (POST, or the method ``methods`` gives them).

    Every route answers OPTIONS with an ``Allow`` header, and a method it does not take with
    405 and the same ``Allow``. Representations are ``MEDIA_TYPE`` (JSON with typed links,
    only for what the order's state allows: registered relations such as ``self``, ``edit``
    and ``collection``, and the API's own as URIs under ``REL``); errors are RFC 9457
    problem details. Every representation has a strong ``ETag``; ``If-Match`` and
    ``If-None-Match`` are evaluated as RFC 9110 §13 says (a transition's conditions against its
    order's representation, the state it changes). A POST reusing an ``Idempotency-Key``
    gets the first reply again, or 422 if its body differs. Responses are HTTP/1.1 and a
    connection stays open for ``KEEP_ALIVE_S`` between requests.

    The server can **lose** a share of responses: it does the work, then closes the
    connection without answering (seeded, so a run is reproducible).

    Attributes:
        prefix: the path every route starts with.
        routes: the path segment of each route.
        methods: the method of each state transition.
        require_if_match: whether changes to an existing order must carry ``If-Match`` (else 428).
        orders_created: how many orders were created, duplicates included.
        responses_lost: how many responses the server dropped on purpose.
        connections_accepted: how many TCP connections clients opened.
        history: ``(method, path, status)`` of every request, in order (for a lost response,
            the status the client never saw).

    Examples:
        >>> with OrderApi(prefix="/shop/v2") as api:
        ...     api.url.endswith("/shop/v2/"), request("GET", api.url).headers["content-type"]
        (True, 'application/vnd.hands-on.orders+json')
    """

    _label = "API"

    def __init__(
        self,
        prefix: str = "/api",
        routes: Mapping[str, str] | None = None,
        lose_fraction: float = 0.0,
        seed: int = 0,
        methods: Mapping[str, str] | None = None,
        require_if_match: bool = False,
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
        given = dict(methods or {})
        if not set(given) <= set(DEFAULT_METHODS):
            raise ValueError(f"methods may name only {sorted(DEFAULT_METHODS)}, got {sorted(given)}")
        for name, method in given.items():
            if method not in _TRANSITION_METHODS:
                raise ValueError(f"methods[{name!r}] must be one of {list(_TRANSITION_METHODS)}, got {method!r}")
        self.prefix = prefix
        self.routes = chosen
        self.methods = {**DEFAULT_METHODS, **given}
        self.require_if_match = bool(require_if_match)
        self.lose_fraction = lose_fraction
        self._rng = np.random.default_rng(seed)
        self.orders_created = 0
        self.responses_lost = 0
        self.connections_accepted = 0
        self.history: list[tuple[str, str, int]] = []
        self._orders: dict[str, Json] = {}
        self._replies: dict[str, tuple[str, _Reply]] = {}  # Idempotency-Key -> (body fingerprint, first reply)
        self._next_id = 1
        self._lock = threading.Lock()
        self._connections: dict[QuietHandler, bool] = {}  # open connections -> waiting for a request?
        self._connections_lock = threading.Lock()
        self._stopping = False

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
        self._stopping = False
        # The port of the previous start, 0 at the first: a restart keeps the same address.
        return JoiningHTTPServer((HOST, self._port), self._handler_class())

    def _thread_name(self) -> str:
        return "order-api"

    def _before_stop(self) -> None:
        # Keep-alive connections wait for a next request that may never come, and stop()
        # joins their threads: end the waiting ones now, and let the busy ones close after
        # their response.
        with self._connections_lock:
            self._stopping = True
            waiting = [handler for handler, idle in self._connections.items() if idle]
        for handler in waiting:
            with suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RD)

    def __repr__(self) -> str:
        state = f"listening on {self.url}" if self.running else "stopped"
        return f"<OrderApi {state}, {len(self._orders)} orders>"

    # -- representations -------------------------------------------------------------------

    def _href(self, *segments: str) -> str:
        return "/".join([f"{self.origin}{self.prefix}", *segments])

    def _order_view(self, order: Json) -> Json:
        collection, order_id, status = self.routes["orders"], order["id"], order["status"]
        here = self._href(collection, order_id)
        controls = [_control("self", here), _control("collection", self._href(collection))]
        if status == "placed":
            controls.append(_control("edit", here, "PUT"))
        for name, (before, _) in _TRANSITIONS.items():
            if status == before or (before is None and status in _CANCELLABLE):
                controls.append(_control(REL + name, self._href(collection, order_id, self.routes[name]),
                                         self.methods[name]))  # fmt: skip
        if status == "cancelled":
            controls.append(_control(REL + "delete", here, "DELETE"))
        return {"id": order_id, "item": order["item"], "quantity": order["quantity"], "status": status,
                "links": controls}  # fmt: skip

    def _entry_view(self) -> Json:
        collection = self._href(self.routes["orders"])
        return {
            "title": "Order API",
            "links": [
                _control("self", self._href("")),
                _control(REL + "orders", collection),
                _control(REL + "create", collection, "POST"),
                _control(REL + "create-at", collection + "/{id}", "PUT", templated=True),
            ],
        }

    def _collection_view(self) -> Json:
        collection = self._href(self.routes["orders"])
        items = [
            {"id": order["id"], "status": order["status"],
             "links": [_control("self", self._href(self.routes["orders"], order["id"]))]}
            for order in self._orders.values()
        ]  # fmt: skip
        return {"orders": items, "links": [_control("self", collection), _control(REL + "create", collection, "POST")]}

    @staticmethod
    def _representation(view: Json, cache_control: str, status: int = 200) -> _Reply:
        headers = {"ETag": _etag(view), "Cache-Control": cache_control, "Link": f'<{PROFILE}>; rel="profile"'}
        return _Reply(status, view, headers)

    def _order_reply(self, order: Json, status: int = 200) -> _Reply:
        return self._representation(self._order_view(order), "no-cache", status)

    # -- handling --------------------------------------------------------------------------

    @staticmethod
    def _order_fields(body: Json) -> tuple[str, int] | str:
        item, quantity = body.get("item"), body.get("quantity")
        if not isinstance(item, str) or not item:
            return f"'item' must be a non-empty string, got {item!r}"
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            return f"'quantity' must be an integer >= 1, got {quantity!r}"
        return item, quantity

    @staticmethod
    def _content(raw: bytes) -> tuple[str, int] | _Reply:
        """The order fields of a request body: 400 if it is no JSON object, 422 if its fields are wrong."""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return _refusal(400, "the body is not valid JSON")
        if not isinstance(body, dict):
            return _refusal(400, "the body must be a JSON object")
        fields = OrderApi._order_fields(body)
        return _refusal(422, fields) if isinstance(fields, str) else fields

    @staticmethod
    def _media_type_refusal(headers: Mapping[str, str], raw: bytes) -> _Reply | None:
        """415 for a body that is not JSON by its Content-Type (RFC 9110 §15.5.16), with Accept naming what is."""
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if not raw or media in _JSON_BODIES or (media.startswith("application/") and media.endswith("+json")):
            return None
        detail = f"send the body as JSON (Content-Type: application/json), not {media or 'without a Content-Type'}"
        return _refusal(415, detail, {"Accept": ", ".join(_JSON_BODIES)})

    def _if_match_required(self, headers: Mapping[str, str]) -> _Reply | None:
        """428 (RFC 6585 §3) for a change to an existing order without If-Match, when the API requires one."""
        if not self.require_if_match or "if-match" in headers:
            return None
        return _refusal(428, "this API changes an order only if you say which version you read: "
                             "GET it, then send If-Match with its ETag")  # fmt: skip

    @staticmethod
    def _preconditions(
        method: str, headers: Mapping[str, str], current: str | None, unchanged: _Reply | None = None
    ) -> _Reply | None:
        """The reply a failed precondition gives (412, or 304 for GET and HEAD), or None to go on (RFC 9110 §13.2.2).

        ``current`` is the entity tag of the current representation (None if there is none);
        ``unchanged`` the 200 a GET would get, whose headers a 304 repeats.
        """
        try:
            if_match = headers.get("if-match")
            tags = None if if_match is None else _entity_tags("If-Match", if_match)
            if if_match is not None and not _matches(tags, current, strong=True):
                if current is None:
                    detail = "nothing is here yet, so If-Match cannot hold: PUT without it to create"
                elif _matches(tags, current, strong=False):
                    detail = ("If-Match compares entity tags strongly: a weak tag (W/...) never matches; "
                              "send the ETag exactly as you received it")  # fmt: skip
                else:
                    detail = "the resource changed since you read it (its ETag differs): GET it again"
                return _refusal(412, detail)
            if_none_match = headers.get("if-none-match")
            if if_none_match is not None and _matches(_entity_tags("If-None-Match", if_none_match), current,
                                                      strong=False):  # fmt: skip
                if method in ("GET", "HEAD"):  # a 304 repeats the 200's validators and cache label (§15.4.5)
                    fields = unchanged.headers if unchanged is not None else {"ETag": str(current)}
                    return _Reply(
                        304, None, {name: fields[name] for name in ("ETag", "Cache-Control") if name in fields}
                    )
                return _refusal(412, "a current representation matches If-None-Match "
                                     "(with *: the resource already exists)")  # fmt: skip
        except ValueError as error:
            return _refusal(400, str(error))
        return None

    def _handle(self, method: str, path: str, headers: Mapping[str, str], raw: bytes) -> _Reply:
        if path == "*":  # OPTIONS * asks about the server as a whole (RFC 9110 §9.3.7)
            return _Reply(204, None, {"Allow": "OPTIONS"}) if method == "OPTIONS" else _refusal(400, "no resource *")
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            return _refusal(404, f"no resource at {path}")
        parts = [part for part in path[len(self.prefix) :].split("/") if part]
        with self._lock:
            if not parts:
                allowed: tuple[str, ...] = ("GET", "HEAD", "OPTIONS")
            elif parts[0] != self.routes["orders"] or len(parts) > 3:
                return _refusal(404, f"no resource at {path}")
            elif len(parts) == 1:
                allowed = ("GET", "HEAD", "POST", "OPTIONS")
            elif len(parts) == 2:
                allowed = ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")
            else:
                transition = {segment: name for name, segment in self.routes.items()}.get(parts[2], "")
                if transition not in _TRANSITIONS or parts[1] not in self._orders:
                    return _refusal(404, f"no resource at {path}")
                allowed = (self.methods[transition], "OPTIONS")
            if method == "OPTIONS":
                return _Reply(204, None, {"Allow": ", ".join(allowed)})
            if method not in allowed:
                detail = f"{method} is not allowed here; use {', '.join(allowed)}"
                return _refusal(405, detail, {"Allow": ", ".join(allowed)})
            if not parts:
                view = self._representation(self._entry_view(), "max-age=60")
                return self._preconditions(method, headers, view.headers["ETag"], view) or view
            if len(parts) == 1:
                return self._on_collection(method, headers, raw)
            if len(parts) == 2:
                return self._on_order(method, parts[1], headers, raw)
            return self._on_transition(transition, self._orders[parts[1]], headers)

    def _on_collection(self, method: str, headers: Mapping[str, str], raw: bytes) -> _Reply:
        listing = self._representation(self._collection_view(), "no-cache")
        if method != "POST":
            return self._preconditions(method, headers, listing.headers["ETag"], listing) or listing
        refused = self._media_type_refusal(headers, raw)
        if refused is not None:
            return refused
        key = headers.get("idempotency-key")
        if key is not None and key in self._replies:
            fingerprint, first = self._replies[key]
            if fingerprint != _fingerprint(raw):
                return _refusal(422, f"Idempotency-Key {key!r} was used before with another body: "
                                     "a new request needs a new key")  # fmt: skip
            return first  # the same request again: replay, do nothing
        failed = self._preconditions(method, headers, listing.headers["ETag"])
        if failed is not None:
            return failed
        fields = self._content(raw)
        if isinstance(fields, _Reply):
            return fields
        order = self._create(f"o{self._next_id}", *fields)
        self._next_id += 1
        reply = self._order_reply(order, 201)
        reply.headers.update({"Location": self._href(self.routes["orders"], order["id"]), "Cache-Control": "no-store"})
        if key is not None:
            self._replies[key] = (_fingerprint(raw), reply)
        return reply

    def _create(self, order_id: str, item: str, quantity: int) -> Json:
        order = {"id": order_id, "item": item, "quantity": quantity, "status": "placed"}
        self._orders[order_id] = order
        self.orders_created += 1
        return order

    def _on_order(self, method: str, order_id: str, headers: Mapping[str, str], raw: bytes) -> _Reply:
        order = self._orders.get(order_id)
        if method == "PUT":
            return self._on_put(order_id, order, headers, raw)
        if order is None:
            return _refusal(404, f"no order {order_id!r}")
        current = _etag(self._order_view(order))
        if method != "DELETE":
            reply = self._order_reply(order)
            return self._preconditions(method, headers, current, reply) or reply
        if order["status"] != "cancelled":
            return _refusal(409, f"only a cancelled order can be deleted; this one is {order['status']}")
        failed = self._if_match_required(headers) or self._preconditions(method, headers, current)
        if failed is not None:
            return failed
        del self._orders[order_id]
        return _Reply(204)

    def _on_put(self, order_id: str, order: Json | None, headers: Mapping[str, str], raw: bytes) -> _Reply:
        """PUT: create the order at this id, or replace a placed one."""
        refused = self._media_type_refusal(headers, raw)
        if refused is not None:
            return refused
        if order is not None and order["status"] != "placed":
            return _refusal(409, f"a {order['status']} order cannot be changed")
        if order is None:
            failed = self._preconditions("PUT", headers, None)
        else:
            current = _etag(self._order_view(order))
            failed = self._if_match_required(headers) or self._preconditions("PUT", headers, current)
        if failed is not None:
            return failed
        fields = self._content(raw)
        if isinstance(fields, _Reply):
            return fields
        if order is None:
            reply = self._order_reply(self._create(order_id, *fields), 201)
            reply.headers["Location"] = self._href(self.routes["orders"], order_id)
            return reply
        order["item"], order["quantity"] = fields
        return self._order_reply(order)

    def _on_transition(self, transition: str, order: Json, headers: Mapping[str, str]) -> _Reply:
        before, after = _TRANSITIONS[transition]
        allowed = order["status"] in _CANCELLABLE if before is None else order["status"] == before
        if not allowed:
            return _refusal(409, f"cannot {transition} a {order['status']} order")
        current = _etag(self._order_view(order))
        failed = self._if_match_required(headers) or self._preconditions(self.methods[transition], headers, current)
        if failed is not None:
            return failed
        order["status"] = after
        return self._order_reply(order)

    def _lose(self) -> bool:
        with self._lock:
            lost = bool(self._rng.random() < self._lose_fraction)
            self.responses_lost += lost
            return lost

    # -- connections -----------------------------------------------------------------------

    def _opened(self, handler: QuietHandler) -> None:
        with self._connections_lock:
            self._connections[handler] = False
            self.connections_accepted += 1

    def _waiting(self, handler: QuietHandler, idle: bool) -> bool:
        """Marks a connection as waiting for a request (or not); False if the server is stopping."""
        with self._connections_lock:
            if handler in self._connections:
                self._connections[handler] = idle
            return not self._stopping

    def _closed(self, handler: QuietHandler) -> None:
        with self._connections_lock:
            self._connections.pop(handler, None)

    def _handler_class(self) -> type[QuietHandler]:
        api = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"  # persistent connections (RFC 9112 §9.3); every response has a length
            timeout = KEEP_ALIVE_S  # an idle connection closes after this long
            # Headers and content leave in two writes: with Nagle's algorithm the second waits for
            # the client's delayed ACK of the first, 40 ms per response on a kept-alive connection.
            disable_nagle_algorithm = True
            responses = {  # noqa: RUF012 (BaseHTTPRequestHandler declares it an instance variable)
                status: (_PHRASES[status], text) for status, (_, text) in QuietHandler.responses.items()
            }
            served = 0

            def setup(self) -> None:
                super().setup()
                api._opened(self)

            def finish(self) -> None:
                api._closed(self)
                super().finish()

            def handle_one_request(self) -> None:
                if not api._waiting(self, True) and self.served:
                    self.close_connection = True  # stopping: no more requests on this connection
                    return
                super().handle_one_request()

            def parse_request(self) -> bool:
                api._waiting(self, False)
                return super().parse_request()

            def _request_content(self) -> bytes | None:
                """The request's content, de-chunked if need be (RFC 9112 §7.1); None after a 400 or 501."""
                coding = self.headers.get("Transfer-Encoding", "").replace(" ", "").lower()
                try:
                    if not coding:
                        return self.read_body()
                    if coding == "chunked":
                        chunks = []
                        while size := int(self.rfile.readline(65537).split(b";")[0].strip(), 16):  # hex; 0 ends
                            chunks.append(self.rfile.read(size))
                            self.rfile.readline()
                        while self.rfile.readline(65537).strip():  # the trailer section, up to its blank line
                            pass
                        return b"".join(chunks)
                except ValueError:
                    self._send(_refusal(400, "the request's Content-Length or chunk sizes are not numbers"))
                    self.close_connection = True
                    return None
                self._send(_refusal(501, f"this server decodes only the chunked transfer coding, not {coding}"))
                self.close_connection = True
                return None

            def _serve(self) -> None:
                raw = self._request_content()
                if raw is None:
                    return
                headers = {name.lower(): ", ".join(self.headers.get_all(name, [])) for name in self.headers}
                target = urlsplit(self.path)  # the absolute form (http://host/path) is valid too (RFC 9112 §3.2.2)
                path = self.path if self.path == "*" else target.path
                reply = api._handle(self.command, path, headers, raw)
                self.served += 1
                with api._lock:
                    api.history.append((self.command, path, reply.status))
                if api._lose():
                    self.close_connection = True  # the work is done; the answer never leaves
                    return
                if api._stopping:
                    reply.headers["Connection"] = "close"
                self._send(reply)

            def _send(self, reply: _Reply) -> None:
                if reply.body is None:
                    self.send_body(reply.status, b"", None, reply.headers)
                    return
                kind = "application/problem+json" if reply.status >= 400 else MEDIA_TYPE
                self.send_body(reply.status, json.dumps(reply.body, indent=1).encode("utf-8"), kind, reply.headers)

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
    create, create_at = link(entry, REL + "create"), link(entry, REL + "create-at")
    order = {"item": "book", "quantity": 1}
    for number in range(count):
        client_id = f"{strategy.split()[0].lower()}-{api.orders_created}-{number}"
        if strategy == "POST":
            send = partial(follow, create, order)
        elif strategy == "PUT":
            send = partial(follow, Link(create_at.rel, create_at.href.replace("{id}", client_id), "PUT"), order)
        else:
            send = partial(follow, create, order, headers={"Idempotency-Key": client_id})
        with suppress(LostResponseError):  # the client gave up; the server may still have done the work
            retry(send, attempts)
    return api.orders_created - before
