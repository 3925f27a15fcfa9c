"""Live services on 127.0.0.1 to test at each layer: an order service, its collaborators, stubs (lesson 11).

- ``PaymentService`` and ``StockService``: the order service's real collaborators.
- ``OrderService``: takes an order, reserves stock, then charges the payment through a
  ``PaymentClient``; with both collaborators live, a request crosses three services.
- ``PaymentClient``: the order service's client for the payment service, and the client a
  service test checks: it maps 503 to ``PaymentUnavailable``, 402 to ``PaymentDeclined`` and
  a silent server to ``PaymentTimeout`` after its ``timeout_s``.
- ``StubServer``: a programmable stand-in for any HTTP collaborator (in the manner of
  WireMock): canned replies per method and path, an optional delay, and a record of what it
  was asked. It answers at once and deterministically, including failures that are hard to
  provoke in the real service (a 503, a hang).
- ``FaultInjector``: a seeded share of requests a service fails with 503, standing in for the
  network faults that make end-to-end tests flaky.

Every server binds 127.0.0.1 on a free port, is served by ``JoiningHTTPServer`` (backlog 128)
and stops at the end of its ``with`` block, leaving no thread behind. Clients use
``http.client`` directly, so no proxy variable can send a request off the machine.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from helpers import checks
from helpers.serving import HOST, BackgroundServer, JoiningHTTPServer, QuietHandler, loopback_target, problem
from helpers.testing.model import order_problem

__all__ = [
    "FaultInjector",
    "OrderService",
    "PaymentClient",
    "PaymentDeclined",
    "PaymentError",
    "PaymentService",
    "PaymentTimeout",
    "PaymentUnavailable",
    "Reply",
    "StockService",
    "StubReply",
    "StubServer",
    "post_json",
]

Json = dict[str, Any]


# --- the wire -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: its status and its JSON body (``{}`` when it had none)."""

    status: int
    body: Json


def post_json(url: str, body: Mapping[str, Any], timeout_s: float = 2.0) -> Reply:
    """The reply to POSTing ``body`` as JSON to ``url`` on 127.0.0.1 (lesson 11, section 1).

    Any status is returned (a 503 is an answer). ``timeout_s`` bounds the connect and each
    read; a silent server raises ``TimeoutError``, a closed port ``ConnectionRefusedError``.

    Examples:
        >>> with StockService({"book": 1}) as stock:
        ...     post_json(stock.url + "/reservations", {"sku": "book", "quantity": 2}).status
        409
    """
    port, path = loopback_target(url)
    wait = checks.positive("timeout_s", timeout_s)
    payload = json.dumps(dict(body)).encode("utf-8")
    connection = http.client.HTTPConnection(HOST, port, timeout=wait)
    try:
        connection.request("POST", path, body=payload, headers={"Content-Type": "application/json"})
        answer = connection.getresponse()
        data = answer.read()
    finally:
        connection.close()
    try:
        parsed = json.loads(data) if data else {}
    except ValueError:
        parsed = {"text": data.decode("utf-8", "replace")}
    return Reply(answer.status, parsed if isinstance(parsed, dict) else {"value": parsed})


# --- faults ---------------------------------------------------------------------------------


class FaultInjector:
    """Fails a seeded share ``rate`` of calls: the n-th call fails or not the same way on every run.

    Thread-safe: concurrent requests take the next draw in turn (lesson 11, section 1).

    Examples:
        >>> first, again = FaultInjector(0.5, seed=1), FaultInjector(0.5, seed=1)
        >>> [first.should_fail() for _ in range(6)] == [again.should_fail() for _ in range(6)]
        True
        >>> FaultInjector(0.0).should_fail(), FaultInjector(1.0).should_fail()
        (False, True)
    """

    def __init__(self, rate: float, seed: int = 0) -> None:
        self.rate = checks.fraction("rate", rate)
        self._rng = np.random.default_rng(checks.count("seed", seed, minimum=0))
        self._lock = threading.Lock()
        self.calls = 0
        self.failures = 0

    def __repr__(self) -> str:
        return f"FaultInjector(rate={self.rate:g}, calls={self.calls}, failures={self.failures})"

    def should_fail(self) -> bool:
        """Whether this call fails (one seeded draw)."""
        with self._lock:
            failed = bool(self._rng.random() < self.rate)
            self.calls += 1
            self.failures += failed
            return failed


# --- services -------------------------------------------------------------------------------


class _JsonService(BackgroundServer):
    """An HTTP service on 127.0.0.1 answering JSON POSTs through ``_handle``, with optional faults."""

    _label = "service"

    _fault_status = 503  # an injected network fault

    def __init__(self, faults: FaultInjector | None = None) -> None:
        super().__init__()
        if faults is not None and not isinstance(faults, FaultInjector):
            raise TypeError(f"faults must be a FaultInjector or None, got {faults!r}")
        self.faults = faults
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """Its base address, http://127.0.0.1:PORT."""
        return f"http://{HOST}:{self.port}"

    def _thread_name(self) -> str:
        return f"{self._label} on {HOST}:{self.port}"

    def _handle(self, method: str, path: str, body: Json) -> Reply:
        raise NotImplementedError  # pragma: no cover

    def _make_server(self) -> JoiningHTTPServer:
        service = self

        class Handler(QuietHandler):
            def _serve(self) -> None:
                raw = self.read_body()
                if service.faults is not None and service.faults.should_fail():
                    status = service._fault_status
                    self.send_json(status, problem(status, http.client.responses[status], "injected fault"))
                    return
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    body = None
                if not isinstance(body, dict):
                    self.send_json(400, problem(400, "Bad Request", "the body must be a JSON object"))
                    return
                reply = service._handle(self.command, self.path.split("?")[0], body)
                self.send_json(reply.status, reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815

        return JoiningHTTPServer((HOST, self._port), Handler)


def _whole(body: Json, name: str, minimum: int) -> int | None:
    value = body.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= minimum else None


class PaymentService(_JsonService):
    """The real payment service: POST /payments {"order_id", "amount_cents"} charges a card (lesson 11, section 1).

    201 with a ``payment_id`` when charged (named ``id_field``: a provider that renames it
    breaks its consumers, lesson 11, section 3); 402 when the amount is above ``limit_cents``
    (declined); 422 for a missing order id or an amount that is not a whole number of cents > 0.

    Examples:
        >>> with PaymentService() as payments:
        ...     reply = post_json(payments.url + "/payments", {"order_id": "o-1", "amount_cents": 1250})
        >>> reply.status, reply.body["payment_id"]
        (201, 'pay-1')
    """

    _label = "payment service"

    def __init__(
        self, limit_cents: int = 100_000, faults: FaultInjector | None = None, id_field: str = "payment_id"
    ) -> None:
        super().__init__(faults)
        self.limit_cents = checks.count("limit_cents", limit_cents)
        if not isinstance(id_field, str) or not id_field:
            raise ValueError(f"id_field must be a non-empty str, got {id_field!r}")
        self.id_field = id_field
        self._ids = itertools.count(1)
        self.charged: dict[str, int] = {}

    def _handle(self, method: str, path: str, body: Json) -> Reply:
        if path != "/payments":
            return Reply(404, problem(404, "Not Found", f"no resource at {path}"))
        if method != "POST":
            return Reply(405, problem(405, "Method Not Allowed", "POST /payments"))
        order_id, amount = body.get("order_id"), _whole(body, "amount_cents", 1)
        if not isinstance(order_id, str) or not order_id or amount is None:
            return Reply(422, problem(422, "Unprocessable Content", "order_id and amount_cents >= 1 are required"))
        if amount > self.limit_cents:
            return Reply(402, problem(402, "Payment Required", f"declined: {amount} cents is over the limit"))
        with self._lock:
            payment_id = f"pay-{next(self._ids)}"
            self.charged[payment_id] = amount
        return Reply(201, {self.id_field: payment_id, "order_id": order_id, "amount_cents": amount})


class StockService(_JsonService):
    """The real stock service: POST /reservations {"sku", "quantity"} reserves items (lesson 11, section 1).

    201 with a ``reservation_id`` when enough are in stock (they are taken); 409 when not;
    422 for an unknown body.

    Examples:
        >>> with StockService({"book": 3}) as stock:
        ...     post_json(stock.url + "/reservations", {"sku": "book", "quantity": 2}).status, stock.stock
        (201, {'book': 1})
    """

    _label = "stock service"

    def __init__(self, stock: Mapping[str, int], faults: FaultInjector | None = None) -> None:
        super().__init__(faults)
        self.stock = {str(sku): checks.count(f"stock[{sku!r}]", n, minimum=0) for sku, n in dict(stock).items()}
        self._ids = itertools.count(1)

    def _handle(self, method: str, path: str, body: Json) -> Reply:
        if path != "/reservations" or method != "POST":
            return Reply(404, problem(404, "Not Found", f"no {method} {path}"))
        sku, quantity = body.get("sku"), _whole(body, "quantity", 1)
        if not isinstance(sku, str) or quantity is None:
            return Reply(422, problem(422, "Unprocessable Content", "sku and quantity >= 1 are required"))
        with self._lock:
            if self.stock.get(sku, 0) < quantity:
                return Reply(409, problem(409, "Conflict", f"only {self.stock.get(sku, 0)} of {sku} in stock"))
            self.stock[sku] -= quantity
            return Reply(201, {"reservation_id": f"res-{next(self._ids)}", "sku": sku, "quantity": quantity})


# --- the payment client ---------------------------------------------------------------------


class PaymentError(Exception):
    """The payment did not go through."""


class PaymentDeclined(PaymentError):  # noqa: N818  (the names the issue and exercise use)
    """The payment service refused the charge (402): retrying will not help."""


class PaymentUnavailable(PaymentError):  # noqa: N818
    """The payment service could not answer (503, another 5xx, or no connection): try later."""


class PaymentTimeout(PaymentUnavailable):
    """The payment service did not answer within the client's timeout."""


class PaymentClient:
    """The order service's client for the payment service: what a service test checks (lesson 11, section 2).

    ``charge`` returns the payment id, or raises a ``PaymentError`` that says what went wrong:
    ``PaymentDeclined`` for 402, ``PaymentUnavailable`` for any 5xx or a refused connection,
    ``PaymentTimeout`` (a ``PaymentUnavailable``) when no answer comes within ``timeout_s``,
    and ``PaymentError`` for any other status or a reply without a payment id.

    Examples:
        >>> with PaymentService() as payments:
        ...     PaymentClient(payments.url).charge("o-7", 500)
        'pay-1'
    """

    def __init__(self, url: str, timeout_s: float = 1.0) -> None:
        loopback_target(url)
        self.url = url.rstrip("/")
        self.timeout_s = checks.positive("timeout_s", timeout_s)

    def __repr__(self) -> str:
        return f"PaymentClient({self.url!r}, timeout_s={self.timeout_s:g})"

    def charge(self, order_id: str, amount_cents: int) -> str:
        """The id of a new payment of ``amount_cents`` for ``order_id``."""
        if not isinstance(order_id, str) or not order_id:
            raise ValueError(f"order_id must be a non-empty str, got {order_id!r}")
        amount = checks.count("amount_cents", amount_cents)
        try:
            reply = post_json(self.url + "/payments", {"order_id": order_id, "amount_cents": amount}, self.timeout_s)
        except TimeoutError:
            raise PaymentTimeout(f"no answer from {self.url} within {self.timeout_s:g} s") from None
        except (OSError, http.client.HTTPException) as error:
            raise PaymentUnavailable(f"{self.url}: {type(error).__name__}: {error}") from None
        if reply.status == 402:
            raise PaymentDeclined(str(reply.body.get("detail", "declined")))
        if reply.status >= 500:
            raise PaymentUnavailable(f"{self.url} answered {reply.status}")
        payment_id = reply.body.get("payment_id")
        if reply.status not in (200, 201) or not isinstance(payment_id, str):
            raise PaymentError(f"{self.url} answered {reply.status} with {reply.body!r}")
        return payment_id


class OrderService(_JsonService):
    """The service under test: POST /orders {"sku", "quantity", "amount_cents"} (lesson 11, section 1).

    Reserves the items at ``stock_url`` (POST /reservations), then charges through a
    ``PaymentClient`` for ``payment_url``. Answers 201 {"order_id", "status": "confirmed",
    "payment_id"}; 409 when out of stock; 402 when declined; 503 when a collaborator is down or
    too slow (``timeout_s``); 422 for a bad body.

    Examples:
        >>> with StockService({"book": 5}) as stock, PaymentService() as payments:
        ...     with OrderService(stock.url, payments.url) as orders:
        ...         reply = post_json(orders.url + "/orders", {"sku": "book", "quantity": 1, "amount_cents": 900})
        >>> reply.status, reply.body["status"]
        (201, 'confirmed')
    """

    _label = "order service"

    def __init__(
        self, stock_url: str, payment_url: str, timeout_s: float = 1.0, faults: FaultInjector | None = None
    ) -> None:
        super().__init__(faults)
        loopback_target(stock_url)
        self.stock_url = stock_url.rstrip("/")
        self.timeout_s = checks.positive("timeout_s", timeout_s)
        self.payments = PaymentClient(payment_url, self.timeout_s)
        self._ids = itertools.count(1)

    def _handle(self, method: str, path: str, body: Json) -> Reply:
        if path != "/orders" or method != "POST":
            return Reply(404, problem(404, "Not Found", f"no {method} {path}"))
        wrong = order_problem(body)
        if wrong is not None:
            return Reply(422, problem(422, "Unprocessable Content", wrong))
        sku, quantity, amount = body["sku"], body["quantity"], body["amount_cents"]
        with self._lock:
            order_id = f"order-{next(self._ids)}"
        try:
            reserved = post_json(self.stock_url + "/reservations", {"sku": sku, "quantity": quantity}, self.timeout_s)
        except (OSError, http.client.HTTPException):
            return Reply(503, problem(503, "Service Unavailable", "the stock service did not answer"))
        if reserved.status == 409:
            return Reply(409, problem(409, "Conflict", f"{sku} is out of stock"))
        if reserved.status != 201:
            return Reply(503, problem(503, "Service Unavailable", f"the stock service answered {reserved.status}"))
        try:
            payment_id = self.payments.charge(order_id, amount)
        except PaymentDeclined as error:
            return Reply(402, problem(402, "Payment Required", str(error)))
        except PaymentError as error:
            return Reply(503, problem(503, "Service Unavailable", f"payment: {error}"))
        return Reply(201, {"order_id": order_id, "status": "confirmed", "payment_id": payment_id})


# --- stubs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StubReply:
    """What a stub answers: a status, a JSON body, and how long it waits first (lesson 11, section 2)."""

    status: int = 200
    body: Json = field(default_factory=dict)
    delay_s: float = 0.0

    def __post_init__(self) -> None:
        checks.integer("status", self.status, 100, 599)
        checks.positive("delay_s", self.delay_s, allow_zero=True)
        if not isinstance(self.body, dict):
            raise ValueError(f"body must be a dict (sent as JSON), got {self.body!r}")


class StubServer(BackgroundServer):
    """A programmable HTTP stub on 127.0.0.1: canned replies per (method, path) (lesson 11, section 2).

    Unknown routes answer 404. ``requests`` records every (method, path, JSON body) received.
    ``reply(method, path, StubReply(...))`` changes an answer while it runs. A delayed reply
    wakes at once when the stub stops, so a test that provoked a timeout still stops its stub
    promptly and leaves no thread behind.

    Examples:
        >>> with StubServer({("POST", "/payments"): StubReply(503)}) as stub:
        ...     post_json(stub.url + "/payments", {"order_id": "o-1"}).status, stub.requests
        (503, [('POST', '/payments', {'order_id': 'o-1'})])
    """

    _label = "stub server"

    def __init__(self, routes: Mapping[tuple[str, str], StubReply] | None = None) -> None:
        super().__init__()
        self._routes: dict[tuple[str, str], StubReply] = {}
        for (method, path), answer in dict(routes or {}).items():
            self.reply(method, path, answer)
        self.requests: list[tuple[str, str, Any]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        """Its base address, http://127.0.0.1:PORT."""
        return f"http://{HOST}:{self.port}"

    def reply(self, method: str, path: str, answer: StubReply) -> None:
        """Answer ``method path`` with ``answer`` from now on."""
        if not isinstance(method, str) or not method.isalpha():
            raise ValueError(f"method must be an HTTP method such as 'POST', got {method!r}")
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"path must start with '/', got {path!r}")
        if not isinstance(answer, StubReply):
            raise TypeError(f"answer must be a StubReply, got {answer!r}")
        self._routes[(method.upper(), path)] = answer

    def _thread_name(self) -> str:
        return f"stub server on {HOST}:{self.port}"

    def _before_stop(self) -> None:
        self._stopping.set()  # wake delayed replies: the caller has given up on them anyway

    def start(self) -> StubServer:
        self._stopping.clear()
        return super().start()

    def _make_server(self) -> JoiningHTTPServer:
        stub = self

        class Handler(QuietHandler):
            def _serve(self) -> None:
                raw = self.read_body()
                try:
                    body: Any = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                path = self.path.split("?")[0]
                with stub._lock:
                    stub.requests.append((self.command, path, body))
                answer = stub._routes.get((self.command, path))
                if answer is None:
                    self.send_json(404, problem(404, "Not Found", f"the stub has no reply for {self.command} {path}"))
                    return
                if answer.delay_s and stub._stopping.wait(answer.delay_s):
                    self.close_connection = True
                    return
                self.send_json(answer.status, answer.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve  # noqa: N815

        return JoiningHTTPServer((HOST, self._port), Handler)
