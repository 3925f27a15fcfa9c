"""Live services on 127.0.0.1: a synchronous HTTP chain and an event broker built on ZeroMQ (lesson 01).

Everything here listens on 127.0.0.1 only, on a port the operating system picks (port 0),
starts inside a ``with`` block and stops cleanly when the block ends: threads joined,
sockets closed, ZeroMQ contexts terminated. Running a lesson twice never meets
"address already in use".

Sections:
    * synchronous: ``post_json``, ``HttpService``, ``sync_chain``
    * asynchronous: ``pubsub_delivery`` and ``slow_joiner`` (bare ZeroMQ PUB/SUB),
      ``EventBroker``, ``Publisher``, ``Consumer``, ``IdempotentConsumer``
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import zmq

from helpers import checks
from helpers.serving import HOST, BackgroundServer, JoiningHTTPServer, QuietHandler, StartStop, loopback_target

__all__ = [
    "CallError",
    "Consumer",
    "Delivery",
    "EventBroker",
    "HttpService",
    "IdempotentConsumer",
    "Publisher",
    "SlowJoin",
    "SyncChain",
    "post_json",
    "pubsub_delivery",
    "slow_joiner",
    "sync_chain",
]

Json = dict[str, Any]
Handler = Callable[[Json], Json]


class CallError(Exception):
    """A call that got no useful answer: refused, timed out, or answered with an error (lesson 01, section 2).

    Attributes:
        target: what was called (a URL, or "broker").
        reason: what went wrong, in words.
    """

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"{target}: {reason}")
        self.target = target
        self.reason = reason


def _check_timeout(timeout_s: float) -> float:
    return checks.number("timeout_s", timeout_s, 0, 60, low_open=True)


# --- synchronous: HTTP on loopback ------------------------------------------------------------


def post_json(url: str, payload: Mapping[str, Any], timeout_s: float = 1.0) -> Json:
    """The JSON answer of an HTTP POST of ``payload`` to ``url`` on 127.0.0.1 (lesson 01, section 1).

    Raises:
        CallError: the connection was refused, no answer came within ``timeout_s``,
            or the service answered with an error status.
        ValueError: ``url`` is not an http://127.0.0.1:PORT/ address.

    Examples:
        >>> with HttpService("echo", lambda body: {"got": body["n"]}) as echo:
        ...     post_json(echo.url, {"n": 7})
        {'got': 7}
    """
    port, target = loopback_target(url)
    body = json.dumps(dict(payload)).encode("utf-8")
    # http.client, not urllib: urllib would honour an http_proxy variable and leave the machine.
    connection = http.client.HTTPConnection(HOST, port, timeout=_check_timeout(timeout_s))
    try:
        connection.request("POST", target, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        answer = response.read()
    except TimeoutError:
        raise CallError(url, f"no answer within {timeout_s:g} s (timed out)") from None
    except ConnectionRefusedError:
        raise CallError(url, "connection refused (nothing is listening)") from None
    except OSError as error:
        raise CallError(url, f"{type(error).__name__}: {error}") from None
    finally:
        connection.close()
    try:
        decoded: Json = json.loads(answer)
    except ValueError:
        raise CallError(url, f"HTTP {response.status} with a body that is not JSON") from None
    if response.status != 200:
        raise CallError(url, f"HTTP {response.status}: {decoded.get('error', '')}")
    return decoded


class HttpService(BackgroundServer):
    """One service: an HTTP server on 127.0.0.1 that answers each POST with ``handle(body)`` (lesson 01, sections 1-2).

    ``handle`` takes the request's JSON body and returns the JSON answer. If it raises
    ``CallError`` (a call it made failed), the service answers 503; any other exception
    gives 500. Each request runs in its own thread. ``stop()`` and ``start()`` take the
    service down and bring it back on the same port, so callers' URLs stay valid.

    Attributes:
        name: the service's name, used in error messages.
        delay_s: seconds each request waits before it is handled (to play a slow service).
        handled: how many requests it has answered.

    Examples:
        >>> with HttpService("hello", lambda body: {"hello": body["name"]}) as service:
        ...     service.url.startswith("http://127.0.0.1:"), post_json(service.url, {"name": "Ada"})
        (True, {'hello': 'Ada'})
    """

    def __init__(self, name: str, handle: Handler, delay_s: float = 0.0) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        if not callable(handle):
            raise ValueError(f"handle must be a function of the request body, got {handle!r}")
        super().__init__()
        self.name = name
        self.delay_s = delay_s
        self.handled = 0
        self._handle = handle
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        """The port it listens on (chosen by the OS at the first start; 0 before)."""
        return self._port

    @property
    def url(self) -> str:
        """Its address, http://127.0.0.1:PORT/ (valid once started)."""
        if not self._port:
            raise ValueError(f"service {self.name!r} has no address yet: start it first")
        return f"http://{HOST}:{self._port}/"

    def _request_handler(self) -> type[QuietHandler]:
        service = self

        class RequestHandler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
                status, answer = service._answer(self.read_body())
                self.send_body(status, json.dumps(answer).encode("utf-8"), "application/json")

        return RequestHandler

    def _answer(self, raw: bytes) -> tuple[int, Json]:
        if self.delay_s > 0 and self._stopping.wait(self.delay_s):
            return 503, {"error": f"{self.name} is shutting down"}
        try:
            request = json.loads(raw or b"{}")
            answer = self._handle(request)
        except CallError as failure:
            return 503, {"error": f"{self.name} could not reach {failure}"}
        except Exception as error:
            return 500, {"error": f"{self.name} failed: {type(error).__name__}: {error}"}
        with self._lock:
            self.handled += 1
        return 200, answer

    # start, stop, running and the with block come from BackgroundServer: stop() and start()
    # bring the service back on the same port.

    def _make_server(self) -> JoiningHTTPServer:
        self._stopping.clear()
        # A caller that timed out and hung up before a slow answer leaves no traceback:
        # JoiningHTTPServer treats that as the expected end of a timeout.
        return JoiningHTTPServer((HOST, self._port), self._request_handler())

    def _thread_name(self) -> str:
        return f"http-{self.name}"

    def _before_stop(self) -> None:
        self._stopping.set()  # wakes requests that are playing slow

    def __repr__(self) -> str:
        state = f"listening on {self.url}" if self.running else "stopped"
        return f"<HttpService {self.name!r} {state}, {self.handled} handled>"


@dataclass
class SyncChain:
    """Services that call each other synchronously, in order: the first calls the second, ... (lesson 01, section 1).

    Each service appends its name to the request's ``"steps"`` and, unless it is the last,
    POSTs the request on to the next service and waits for its answer.

    Attributes:
        services: the services by name, in calling order.
        timeout_s: how long each service waits for the next one.
    """

    services: dict[str, HttpService]
    timeout_s: float

    def call(self, payload: Mapping[str, Any]) -> Json:
        """The chain's answer to ``payload``, as its caller sees it (raises ``CallError``)."""
        first = next(iter(self.services.values()))
        # The caller waits longer than any inner call, so the failure it sees names the broken link.
        return post_json(first.url, payload, timeout_s=self.timeout_s * (len(self.services) + 1))


@contextmanager
def sync_chain(
    names: Sequence[str] = ("orders", "payments", "shipping"), timeout_s: float = 1.0
) -> Iterator[SyncChain]:
    """A running chain of HTTP services on 127.0.0.1, stopped when the ``with`` block ends (lesson 01, sections 1-2).

    Examples:
        >>> with sync_chain(["a", "b", "c"]) as chain:
        ...     chain.call({"order": 1})
        {'order': 1, 'steps': ['a', 'b', 'c']}
    """
    if isinstance(names, str) or len(names) < 1 or len(set(names)) != len(names):
        raise ValueError(f"names must be a list of distinct service names, got {names!r}")
    timeout_s = _check_timeout(timeout_s)
    services: dict[str, HttpService] = {}

    def step(index: int) -> Handler:
        def handle(request: Json) -> Json:
            request = {**request, "steps": [*request.get("steps", []), names[index]]}
            if index + 1 == len(names):
                return request
            return post_json(services[names[index + 1]].url, request, timeout_s=timeout_s)

        return handle

    for index, name in enumerate(names):
        services[name] = HttpService(name, step(index))
    try:
        for service in reversed(services.values()):
            service.start()
        yield SyncChain(services, timeout_s)
    finally:
        for service in services.values():
            service.stop()


# --- asynchronous: ZeroMQ on loopback ---------------------------------------------------------


def _linger_socket(context: zmq.Context[zmq.Socket[bytes]], kind: int, timeout_ms: int) -> zmq.Socket[bytes]:
    socket = context.socket(kind)
    socket.setsockopt(zmq.LINGER, 0)  # never keep unsent messages around at close
    socket.setsockopt(zmq.RCVTIMEO, timeout_ms)
    socket.setsockopt(zmq.SNDTIMEO, timeout_ms)
    return socket


def pubsub_delivery(connected: Sequence[bool], timeout_s: float = 2.0) -> list[int]:
    """Events a ZeroMQ subscriber received, when event i is published with it connected or not (lesson 01, section 4).

    A PUB socket binds on 127.0.0.1; events 0, 1, ... are published in turn. Before event
    i the subscriber connects (a new SUB socket) if ``connected[i]`` and disconnects if not.
    Returns the numbers of the events the subscriber received, in order.

    Each time it connects, the subscriber first waits until a probe message arrives: a
    subscription takes a few round trips to reach the PUB socket, and ZeroMQ drops what
    is published before it has (the ZeroMQ Guide's "slow joiner", shown by
    ``slow_joiner``). Without that wait the subscriber would also lose the first event
    after each connect, not only those published while it was away.

    Examples:
        >>> pubsub_delivery([True, False, True])
        [0, 2]
    """
    flags = list(connected)
    if not flags or not all(isinstance(flag, bool) for flag in flags):
        raise ValueError(f"connected must be a non-empty list of True/False, got {connected!r}")
    timeout_ms = int(_check_timeout(timeout_s) * 1000)
    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    received: list[int] = []
    publisher = _linger_socket(context, zmq.PUB, timeout_ms)
    subscriber: zmq.Socket[bytes] | None = None
    try:
        publisher.bind(f"tcp://{HOST}:*")
        endpoint = publisher.getsockopt_string(zmq.LAST_ENDPOINT)
        for number, wanted in enumerate(flags):
            if wanted and subscriber is None:
                subscriber = _linger_socket(context, zmq.SUB, timeout_ms)
                subscriber.connect(endpoint)
                subscriber.setsockopt(zmq.SUBSCRIBE, b"")
                deadline = time.monotonic() + timeout_s
                while not subscriber.poll(10):  # probe until the subscription has arrived
                    if time.monotonic() > deadline:
                        raise CallError(endpoint, f"subscription not set up within {timeout_s:g} s")
                    publisher.send_multipart([b"probe", b""])
                while subscriber.poll(10):  # drop the probes
                    subscriber.recv_multipart()
            elif not wanted and subscriber is not None:
                subscriber.close()
                subscriber = None
            publisher.send_multipart([b"event", str(number).encode()])
            if subscriber is not None:
                while True:
                    kind, body = subscriber.recv_multipart()
                    if kind == b"event":
                        received.append(int(body))
                        break
    finally:
        if subscriber is not None:
            subscriber.close()
        publisher.close()
        context.term()
    return received


@dataclass(frozen=True)
class SlowJoin:
    """What a ZeroMQ subscriber received after joining a publisher that was already sending (lesson 01, section 4).

    Attributes:
        published: how many numbered messages (0, 1, ...) the publisher sent.
        received: the numbers the subscriber received, in order.
    """

    published: int
    received: tuple[int, ...]

    @property
    def lost(self) -> int:
        """How many of the first messages never arrived (the number of the first one that did)."""
        return self.received[0] if self.received else self.published


def slow_joiner(after_first: int = 5, pause_ms: int = 1, timeout_s: float = 2.0) -> SlowJoin:
    """What a subscriber gets when it connects and the publisher sends at once, with no wait (lesson 01, section 4).

    A PUB socket binds on 127.0.0.1; a SUB socket connects to it and subscribes to
    everything; straight away the publisher sends 0, 1, 2, ..., one every ``pause_ms``
    milliseconds, until ``after_first`` more messages have followed the first one that
    arrived. ``connect`` returns before the connection exists, and the subscription still
    has to travel to the PUB socket, which sends each message only to the subscriptions it
    already holds: the first messages are dropped, silently (the ZeroMQ Guide's "slow
    joiner"). Everything after the first arrival arrives. How many are lost depends on
    timing: nearly always at least one, but a publisher thread that is descheduled
    between subscribing and sending can lose none.

    Raises:
        CallError: nothing arrived within ``timeout_s``.

    Examples:
        >>> join = slow_joiner()
        >>> join.received == tuple(range(join.lost, join.published))
        True
    """
    checks.count("after_first", after_first, minimum=0)
    checks.count("pause_ms", pause_ms)
    timeout_ms = int(_check_timeout(timeout_s) * 1000)
    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    publisher = _linger_socket(context, zmq.PUB, timeout_ms)
    subscriber = _linger_socket(context, zmq.SUB, timeout_ms)
    received: list[int] = []
    published = 0
    try:
        publisher.bind(f"tcp://{HOST}:*")
        endpoint = publisher.getsockopt_string(zmq.LAST_ENDPOINT)
        subscriber.connect(endpoint)
        subscriber.setsockopt(zmq.SUBSCRIBE, b"")
        deadline = time.monotonic() + timeout_s
        while not received:
            if time.monotonic() > deadline:
                raise CallError(endpoint, f"no message arrived within {timeout_s:g} s")
            publisher.send(str(published).encode())
            published += 1
            if subscriber.poll(pause_ms):
                received.append(int(subscriber.recv()))
        for _ in range(after_first):
            publisher.send(str(published).encode())
            published += 1
        while received[-1] < published - 1:  # what is on its way arrives (recv times out after timeout_s)
            received.append(int(subscriber.recv()))
    finally:
        subscriber.close()
        publisher.close()
        context.term()
    return SlowJoin(published, tuple(received))


class EventBroker(StartStop):
    """An event broker on 127.0.0.1 built on ZeroMQ: a log per topic, a position per group (lesson 01, section 4).

    Bare ZeroMQ PUB/SUB delivers an event only to subscribers connected at that moment
    (see ``pubsub_delivery``). This broker keeps every event in an in-memory log per topic
    and remembers, for each consumer group, the offset of the next event it has not yet
    committed, so a consumer that was away catches up when it comes back, and an event
    handled but not committed is delivered again (at-least-once delivery).

    Clients talk to it with ``Publisher`` and ``Consumer`` over a ZeroMQ ROUTER socket.
    The log lives in memory: it survives consumers stopping, not the broker stopping.

    Attributes:
        endpoint: the broker's address, tcp://127.0.0.1:PORT (once started).

    Examples:
        >>> with EventBroker() as broker, Publisher(broker.endpoint) as publisher:
        ...     publisher.publish("orders", {"id": "o1"})
        0
    """

    def __init__(self) -> None:
        self.endpoint = ""
        self._log: dict[str, list[Json]] = {}
        self._committed: dict[tuple[str, str], int] = {}
        self._context: zmq.Context[zmq.Socket[bytes]] | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def running(self) -> bool:
        """Whether the broker is serving."""
        return self._thread is not None

    def start(self) -> EventBroker:
        """Bind to a free port of 127.0.0.1 and serve in a thread; returns the broker."""
        if self._thread is not None:
            return self
        self._stopping.clear()
        self._ready.clear()
        self._context = zmq.Context()
        self._thread = threading.Thread(target=self._serve, args=(self._context,), name="event-broker")
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self.stop()
            raise RuntimeError(f"the broker could not start: {self._error}")
        return self

    def stop(self) -> None:
        """Stop serving: join the thread, close the socket, terminate the ZeroMQ context."""
        if self._thread is None or self._context is None:
            return
        self._stopping.set()
        self._thread.join()
        self._context.term()
        self._thread = self._context = None

    def _serve(self, context: zmq.Context[zmq.Socket[bytes]]) -> None:
        socket = _linger_socket(context, zmq.ROUTER, 1000)
        try:
            socket.bind(f"tcp://{HOST}:*")
            self.endpoint = socket.getsockopt_string(zmq.LAST_ENDPOINT)
        except zmq.ZMQError as error:
            self._error = error
            socket.close()
            self._ready.set()
            return
        self._ready.set()
        try:
            while not self._stopping.is_set():
                if not socket.poll(20):
                    continue
                envelope, body = _split_envelope(socket.recv_multipart())
                try:
                    if len(body) != 1:
                        raise ValueError(f"a request is one frame of JSON, got {len(body)} frames")
                    answer = self._apply(json.loads(body[0]))
                except (ValueError, KeyError, TypeError) as error:
                    answer = {"error": f"{type(error).__name__}: {error}"}
                socket.send_multipart([*envelope, json.dumps(answer).encode("utf-8")])
        finally:
            socket.close()

    def _apply(self, request: object) -> Json:
        """The answer to one request; only the broker's thread calls this."""
        if not isinstance(request, dict):
            raise ValueError(f"a request is a JSON object, got {request!r}")
        operation, topic = request["op"], str(request["topic"])
        log = self._log.setdefault(topic, [])
        if operation == "publish":
            log.append(dict(request["event"]))
            return {"offset": len(log) - 1}
        position = (str(request["group"]), topic)
        committed = self._committed.get(position, 0)
        if operation == "fetch":
            limit = int(request["max"])
            return {"events": [[offset, log[offset]] for offset in range(committed, min(len(log), committed + limit))]}
        if operation == "commit":
            offset = int(request["offset"])
            if not committed <= offset <= len(log):
                raise ValueError(f"commit offset must be from {committed} to {len(log)}, got {offset}")
            self._committed[position] = offset
            return {"committed": offset}
        if operation == "lag":
            return {"lag": len(log) - committed}
        raise ValueError(f"op must be publish, fetch, commit or lag, got {operation!r}")


    def __repr__(self) -> str:
        state = f"serving on {self.endpoint}" if self.running else "stopped"
        return f"<EventBroker {state}, topics {sorted(self._log)}>"


def _split_envelope(frames: list[bytes]) -> tuple[list[bytes], list[bytes]]:
    """A ROUTER message split into its envelope (sent back with the reply) and its body.

    The envelope is the peer's identity and, from a REQ socket (or a DEALER that adds one),
    the empty delimiter frame after it (ZeroMQ Guide, ch. 3, "The Request-Reply
    Envelopes"); a DEALER that sends no delimiter gets its reply without one.
    """
    if b"" in frames[1:]:
        end = frames.index(b"", 1) + 1
        return frames[:end], frames[end:]
    return frames[:1], frames[1:]


class _BrokerClient:
    """A connection to an ``EventBroker``: one ZeroMQ REQ socket in its own context."""

    def __init__(self, endpoint: str, timeout_s: float = 1.0) -> None:
        if not isinstance(endpoint, str) or not endpoint.startswith(f"tcp://{HOST}:"):
            raise ValueError(f"endpoint must be tcp://{HOST}:PORT (EventBroker.endpoint), got {endpoint!r}")
        self.endpoint = endpoint
        self._timeout_ms = int(_check_timeout(timeout_s) * 1000)
        self._context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
        self._socket: zmq.Socket[bytes] | None = self._connect()

    def _connect(self) -> zmq.Socket[bytes]:
        socket = _linger_socket(self._context, zmq.REQ, self._timeout_ms)
        socket.connect(self.endpoint)
        return socket

    def _request(self, request: Json) -> Json:
        if self._socket is None:
            raise ValueError("this client is closed")
        try:
            self._socket.send_json(request)
            answer: Json = self._socket.recv_json()  # type: ignore[assignment]
        except zmq.Again:
            # A REQ socket that missed its reply cannot send again: replace it.
            self._socket.close()
            self._socket = self._connect()
            raise CallError("broker", f"no reply within {self._timeout_ms / 1000:g} s") from None
        if "error" in answer:
            raise ValueError(answer["error"])
        return answer

    def close(self) -> None:
        """Close the socket and terminate the context."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None
            self._context.term()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


class Publisher(_BrokerClient):
    """Publishes events to an ``EventBroker`` (lesson 01, section 4).

    Examples:
        >>> with EventBroker() as broker, Publisher(broker.endpoint) as publisher:
        ...     [publisher.publish("orders", {"id": f"o{i}"}) for i in range(3)]
        [0, 1, 2]
    """

    def publish(self, topic: str, event: Mapping[str, Any]) -> int:
        """Append ``event`` to ``topic``'s log once the broker accepts it; returns its offset."""
        if not isinstance(topic, str) or not topic:
            raise ValueError(f"topic must be a non-empty string, got {topic!r}")
        return int(self._request({"op": "publish", "topic": topic, "event": dict(event)})["offset"])

    def __enter__(self) -> Publisher:
        return self


@dataclass(frozen=True)
class Delivery:
    """One event as a consumer receives it, with its offset in the topic's log (lesson 01, section 5)."""

    offset: int
    event: Json = field(hash=False)


class Consumer(_BrokerClient):
    """Reads one topic of an ``EventBroker`` as a member of a consumer group (lesson 01, sections 4-5).

    Every group sees every event of the topic; the broker remembers where each group is.
    ``poll`` returns events from the group's committed position without moving it;
    ``commit`` moves it. A consumer that handles events and stops before committing gets
    them again next time: delivery is at-least-once.

    Examples:
        >>> with EventBroker() as broker, Publisher(broker.endpoint) as publisher:
        ...     _ = publisher.publish("orders", {"id": "o1"})
        ...     with Consumer(broker.endpoint, group="shipping", topic="orders") as consumer:
        ...         consumer.consume(lambda event: None), consumer.lag()
        (1, 0)
    """

    def __init__(self, endpoint: str, group: str, topic: str, timeout_s: float = 1.0) -> None:
        for name, value in (("group", group), ("topic", topic)):
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name} must be a non-empty string, got {value!r}")
        super().__init__(endpoint, timeout_s)
        self.group, self.topic = group, topic

    def poll(self, max_events: int = 100) -> list[Delivery]:
        """Up to ``max_events`` events after the group's committed position (it does not move)."""
        checks.count("max_events", max_events)
        answer = self._request({"op": "fetch", "topic": self.topic, "group": self.group, "max": max_events})
        return [Delivery(int(offset), event) for offset, event in answer["events"]]

    def commit(self, delivery: Delivery) -> None:
        """Record that this delivery, and every one before it, is done."""
        self._request({"op": "commit", "topic": self.topic, "group": self.group, "offset": delivery.offset + 1})

    def lag(self) -> int:
        """Events in the topic that the group has not committed yet."""
        return int(self._request({"op": "lag", "topic": self.topic, "group": self.group})["lag"])

    def consume(self, handle: Callable[[Json], object], max_events: int = 100) -> int:
        """Handle, then commit, each waiting event in order; returns how many were handled."""
        deliveries = self.poll(max_events)
        for delivery in deliveries:
            handle(delivery.event)
            self.commit(delivery)
        return len(deliveries)

    def __enter__(self) -> Consumer:
        return self


class IdempotentConsumer:
    """Wraps an event handler so each event id is handled once, however often it arrives (lesson 01, section 5).

    At-least-once delivery means duplicates; an idempotent consumer remembers the ids it
    has handled (here in memory; a real one stores them with its own data, in the same
    transaction) and skips repeats.

    Attributes:
        seen: the ids handled so far.

    Examples:
        >>> charged = []
        >>> charge = IdempotentConsumer(lambda event: charged.append(event["id"]))
        >>> [charge({"id": "o1"}), charge({"id": "o1"}), charge({"id": "o2"})]
        [True, False, True]
        >>> charged
        ['o1', 'o2']
    """

    def __init__(self, handle: Callable[[Json], object], key: str = "id") -> None:
        if not callable(handle):
            raise ValueError(f"handle must be a function of the event, got {handle!r}")
        self.key = key
        self.seen: set[object] = set()
        self._handle = handle

    def __call__(self, event: Json) -> bool:
        """Handle ``event`` unless its id was handled before; True if it was handled now."""
        if self.key not in event:
            raise ValueError(f"event must carry an {self.key!r} to be deduplicated, got {event!r}")
        event_id = event[self.key]
        if event_id in self.seen:
            return False
        self._handle(event)
        self.seen.add(event_id)  # after handling: if the handler fails, a redelivery retries it
        return True
