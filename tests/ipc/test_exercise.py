"""Exercise 01 (event-bus) grades what learners really write: wrong answers fail and say why, other right ones pass.

Each answer is graded by nbgrader as in a class (tests/answer_variants.py). The answer cells
are ``availability`` (Part A), ``bus`` (Part B: the bus and the idempotent consumer) and
``flow`` (Part C). A mistake in Part B also breaks Part C, which builds on it: those
cascades are listed with the answer.
"""

from __future__ import annotations

from answer_variants import Answer, corpus_tests

ASSIGNMENT, NOTEBOOK = "01-interprocess-communication", "event-bus.ipynb"

BY_HAND = '''def chain_availability(availabilities: list[float]) -> float:
    """Availability of services called one after the other, multiplied by hand."""
    if len(availabilities) == 0 or any(a < 0 or a > 1 for a in availabilities):
        raise ValueError(f"need availabilities in [0, 1], got {availabilities}")
    up = 1.0
    for a in availabilities:
        up *= a
    return up


def tail_probability(p: float, n: int) -> float:
    """Chance that at least one of n calls is slow: one minus the chance that none is."""
    if p < 0 or p > 1 or n < 1:
        raise ValueError(f"need 0 <= p <= 1 and n >= 1, got p={p}, n={n}")
    return 1 - math.prod([1 - p] * n)
'''

WRAPS_THE_COURSE = '''def chain_availability(availabilities: list[float]) -> float:
    """The course's own function, wrapped."""
    return helpers.ipc.chain_availability(availabilities)


def tail_probability(p: float, n: int) -> float:
    """The course's own function, wrapped."""
    return helpers.ipc.tail_probability(p, n)
'''

DEFAULTDICT_BUS = '''from collections import defaultdict


class EventBus:
    """Delivers each published event to the handlers subscribed to its topic."""

    def __init__(self) -> None:
        self._subscribers: defaultdict[str, list] = defaultdict(list)

    def subscribe(self, topic: str, handler: Callable[[Event], object]) -> None:
        """Call handler for every event published to topic from now on."""
        if not (isinstance(topic, str) and topic and callable(handler)):
            raise ValueError(f"need a topic name and a function, got {topic!r} and {handler!r}")
        self._subscribers[topic].append(handler)

    def publish(self, topic: str, event: Event) -> int:
        """Deliver event to topic's handlers, in subscription order; return how many were called."""
        called = 0
        for handler in list(self._subscribers.get(topic, ())):
            handler(event)
            called += 1
        return called


class IdempotentConsumer:
    """A handler that passes each event id to the wrapped handler once."""

    def __init__(self, handler: Callable[[Event], object]) -> None:
        self.handler = handler
        self.handled_ids: dict[object, bool] = {}

    def __call__(self, event: Event) -> bool:
        """Handle event unless its id was handled before; True if handled now."""
        try:
            event_id = event["id"]
        except KeyError:
            raise ValueError("an event needs an id") from None
        if self.handled_ids.get(event_id):
            return False
        self.handler(event)
        self.handled_ids[event_id] = True
        return True
'''

OWN_SETS_BY_HAND = '''def wire_order_flow(bus: EventBus) -> dict[str, list[str]]:
    """Four services, each with its own set of handled ids, written without IdempotentConsumer."""
    record: dict[str, list[str]] = {"payments": [], "reservations": [], "shipments": [], "emails": []}

    def service(topic, name, next_topic=None, prefix=""):
        seen = set()  # this service's own

        def handle(event):
            if event["id"] in seen:
                return
            record[name].append(event["order"])
            if next_topic:
                bus.publish(next_topic, {"id": prefix + event["id"], "order": event["order"]})
            seen.add(event["id"])

        bus.subscribe(topic, handle)

    service("order_placed", "payments", "payment_taken", "paid-")
    service("order_placed", "reservations")
    service("payment_taken", "shipments", "order_shipped", "shipped-")
    service("order_shipped", "emails")
    return record
'''

ONE_SEEN_SET = '''def wire_order_flow(bus: EventBus) -> dict[str, list[str]]:
    """Four services deduplicated by one set of ids that all of them share."""
    record: dict[str, list[str]] = {"payments": [], "reservations": [], "shipments": [], "emails": []}
    seen = set()

    def once(handle):
        def handler(event):
            if event["id"] in seen:
                return
            handle(event)
            seen.add(event["id"])

        return handler

    def take_payment(event):
        record["payments"].append(event["order"])
        bus.publish("payment_taken", {"id": "paid-" + event["id"], "order": event["order"]})

    def ship(event):
        record["shipments"].append(event["order"])
        bus.publish("order_shipped", {"id": "shipped-" + event["id"], "order": event["order"]})

    bus.subscribe("order_placed", once(take_payment))
    bus.subscribe("order_placed", once(lambda event: record["reservations"].append(event["order"])))
    bus.subscribe("payment_taken", once(ship))
    bus.subscribe("order_shipped", once(lambda event: record["emails"].append(event["order"])))
    return record
'''

BY_ORDER = '''def wire_order_flow(bus: EventBus) -> dict[str, list[str]]:
    """Four services that skip an order they have seen, with no IdempotentConsumer."""
    record: dict[str, list[str]] = {"payments": [], "reservations": [], "shipments": [], "emails": []}

    def take_payment(event):
        if event["order"] in record["payments"]:
            return
        record["payments"].append(event["order"])
        bus.publish("payment_taken", {"id": "paid-" + event["id"], "order": event["order"]})

    def reserve(event):
        if event["order"] not in record["reservations"]:
            record["reservations"].append(event["order"])

    def ship(event):
        if event["order"] in record["shipments"]:
            return
        record["shipments"].append(event["order"])
        bus.publish("order_shipped", {"id": "shipped-" + event["id"], "order": event["order"]})

    def send_email(event):
        if event["order"] not in record["emails"]:
            record["emails"].append(event["order"])

    bus.subscribe("order_placed", take_payment)
    bus.subscribe("order_placed", reserve)
    bus.subscribe("payment_taken", ship)
    bus.subscribe("order_shipped", send_email)
    return record
'''

CALLS_SHIPPING_DIRECTLY = '''def wire_order_flow(bus: EventBus) -> dict[str, list[str]]:
    """Payments hands its event straight to shipping instead of publishing it."""
    record: dict[str, list[str]] = {"payments": [], "reservations": [], "shipments": [], "emails": []}

    def ship(event):
        record["shipments"].append(event["order"])
        bus.publish("order_shipped", {"id": "shipped-" + event["id"], "order": event["order"]})

    shipping = IdempotentConsumer(ship)

    def take_payment(event):
        record["payments"].append(event["order"])
        shipping({"id": "paid-" + event["id"], "order": event["order"]})

    bus.subscribe("order_placed", IdempotentConsumer(take_payment))
    bus.subscribe("order_placed", IdempotentConsumer(lambda event: record["reservations"].append(event["order"])))
    bus.subscribe("payment_taken", shipping)
    bus.subscribe("order_shipped", IdempotentConsumer(lambda event: record["emails"].append(event["order"])))
    return record
'''

SUBSCRIBE_REFERENCE = (
    '    bus.subscribe("order_placed", IdempotentConsumer(take_payment))\n'
    '    bus.subscribe("order_placed", IdempotentConsumer(reserve_stock))\n'
    '    bus.subscribe("payment_taken", IdempotentConsumer(ship))\n'
    '    bus.subscribe("order_shipped", IdempotentConsumer(send_email))\n'
)

ANSWERS = [
    # Part A: availability and tail
    Answer("A", "averages the availabilities instead of multiplying them",
           {"availability": ("return math.prod(availabilities)", "return sum(availabilities) / len(availabilities)")},
           fails={"test_chain_availability": "multiply the availabilities"}),
    Answer("A", "returns the chance that no call is slow",
           {"availability": ("return 1.0 - (1.0 - p) ** n", "return (1.0 - p) ** n")},
           fails={"test_tail_probability": "take it from 1"}),
    Answer("A", "adds the chances: p times n",
           {"availability": ("return 1.0 - (1.0 - p) ** n", "return min(1.0, p * n)")},
           fails={"test_tail_probability": "should give about 0.634"}),
    Answer("A", "an empty chain is not refused (the product of nothing is 1)",
           {"availability": ("    if not availabilities:\n"
                             '        raise ValueError("availabilities must not be empty")\n', "")},
           fails={"test_chain_availability": "chain_availability([]) must raise ValueError: the list is empty"}),
    Answer("A", "wraps the course's functions", {"availability": WRAPS_THE_COURSE},
           fails={"test_chain_availability": "graded on your own code",
                  "test_tail_probability": "graded on your own code"}),
    Answer("A", "a loop and one minus the product of the misses", {"availability": BY_HAND}),
    # Part B: the bus
    Answer("B", "publish calls the handlers of every topic",
           {"bus": ("handlers = list(self.handlers.get(topic, []))",
                    "handlers = [h for topic_handlers in self.handlers.values() for h in topic_handlers]")},
           fails={"test_event_bus": "and no other", "test_flow_runs": "the flow never ended",
                  "test_flow_duplicates": "the flow never ended"}),
    Answer("B", "subscribe keeps only the last handler of a topic",
           {"bus": ("self.handlers.setdefault(topic, []).append(handler)", "self.handlers[topic] = [handler]")},
           fails={"test_event_bus": "must call its two handlers",
                  "test_flow_runs": "order_placed goes to payments and to stock",
                  "test_flow_duplicates": "order_placed goes to payments and to stock"}),
    Answer("B", "publishing to a topic nobody subscribed to raises KeyError",
           {"bus": ("handlers = list(self.handlers.get(topic, []))", "handlers = list(self.handlers[topic])")},
           fails={"test_event_bus": "it raised KeyError"}),
    Answer("B", "one handlers dict shared by every bus (a class attribute)",
           {"bus": ("    def __init__(self) -> None:\n"
                    "        self.handlers: dict[str, list[Callable[[Event], object]]] = {}",
                    "    handlers: dict[str, list[Callable[[Event], object]]] = {}  # one dict for every bus\n\n"
                    "    def __init__(self) -> None:\n        pass")},
           fails={"test_event_bus": "2 for 'orders'", "test_flow_runs": "each bus keeps its own subscriptions",
                  "test_flow_duplicates": "each bus keeps its own subscriptions"}),
    Answer("B", "subscribe accepts an empty topic and a handler that is not a function",
           {"bus": ('        if not isinstance(topic, str) or not topic:\n'
                    '            raise ValueError(f"topic must be a non-empty string, got {topic!r}")\n'
                    '        if not callable(handler):\n'
                    '            raise ValueError(f"handler must be callable, got {handler!r}")\n', "")},
           fails={"test_event_bus": "subscribe('', <built-in function print>) must raise ValueError"}),
    # Part B: the idempotent consumer
    Answer("B", "the consumer remembers an id before its handler ran",
           {"bus": ("        self.handler(event)\n        self.seen.add(event[\"id\"])",
                    "        self.seen.add(event[\"id\"])\n        self.handler(event)")},
           fails={"test_idempotent_consumer": "remember an id only after the handler returned"}),
    Answer("B", "one set of seen ids shared by every consumer (a class attribute)",
           {"bus": ("    def __init__(self, handler: Callable[[Event], object]) -> None:\n"
                    "        self.handler = handler\n        self.seen: set[object] = set()",
                    "    seen: set[object] = set()  # one set for every consumer\n\n"
                    "    def __init__(self, handler: Callable[[Event], object]) -> None:\n"
                    "        self.handler = handler")},
           fails={"test_idempotent_consumer": "keep the seen ids on the instance (self), not on the class",
                  "test_flow_runs": "each service keeps its own seen ids",
                  "test_flow_duplicates": "each service keeps its own seen ids"}),
    Answer("B", "the consumer returns nothing",
           {"bus": ("        if event[\"id\"] in self.seen:\n            return False\n"
                    "        self.handler(event)\n        self.seen.add(event[\"id\"])\n        return True",
                    "        if event[\"id\"] in self.seen:\n            return\n"
                    "        self.handler(event)\n        self.seen.add(event[\"id\"])")},
           fails={"test_idempotent_consumer": "return True when the handler was called, False for a duplicate"}),
    Answer("B", "an event without an id raises KeyError",
           {"bus": ("        if \"id\" not in event:\n"
                    "            raise ValueError(f\"event has no 'id': {event!r}\")\n", "")},
           fails={"test_idempotent_consumer": "an event without an 'id' must raise ValueError (it raised KeyError"}),
    Answer("B", "a defaultdict bus and a dict of handled ids", {"bus": DEFAULTDICT_BUS}),
    # Part C: the choreographed flow
    Answer("C", "one set of seen ids shared by all services", {"flow": ONE_SEEN_SET},
           fails={"test_flow_runs": "each service keeps its own seen ids",
                  "test_flow_duplicates": "each service keeps its own seen ids"}),
    Answer("C", "deduplicates by order, without an idempotent consumer", {"flow": BY_ORDER},
           fails={"test_flow_duplicates": "never by its 'order'"}),
    Answer("C", "no service deduplicates",
           {"flow": (SUBSCRIBE_REFERENCE,
                     '    bus.subscribe("order_placed", take_payment)\n'
                     '    bus.subscribe("order_placed", reserve_stock)\n'
                     '    bus.subscribe("payment_taken", ship)\n'
                     '    bus.subscribe("order_shipped", send_email)\n')},
           fails={"test_flow_duplicates": "an event delivered three times must be handled once by each service"}),
    Answer("C", "only the first services deduplicate",
           {"flow": (SUBSCRIBE_REFERENCE,
                     '    bus.subscribe("order_placed", IdempotentConsumer(take_payment))\n'
                     '    bus.subscribe("order_placed", IdempotentConsumer(reserve_stock))\n'
                     '    bus.subscribe("payment_taken", ship)\n'
                     '    bus.subscribe("order_shipped", send_email)\n')},
           fails={"test_flow_duplicates": "must be skipped by shipping and email too"}),
    Answer("C", "next ids made from the order, as 'paid-' + order",
           {"flow": ('{"id": "paid-" + event["id"], "order": event["order"]}',
                     '{"id": "paid-" + event["order"], "order": event["order"]}')},
           fails={"test_flow_runs": "'paid-' + the handled event's id",
                  "test_flow_duplicates": "make each next id from the handled event's id"}),
    Answer("C", "payments hands the event straight to shipping", {"flow": CALLS_SHIPPING_DIRECTLY},
           fails={"test_flow_runs": "through bus.publish"}),
    Answer("C", "wraps the course's IdempotentConsumer",
           {"flow": (SUBSCRIBE_REFERENCE, SUBSCRIBE_REFERENCE.replace("IdempotentConsumer(",
                                                                      "helpers.ipc.live.IdempotentConsumer("))},
           fails={"test_flow_runs": "graded on your own code", "test_flow_duplicates": "graded on your own code"}),
    Answer("C", "each service with its own set of ids, written by hand", {"flow": OWN_SETS_BY_HAND}),
]


(
    graded,
    test_grading_fails_each_wrong_answer_with_its_reason_and_passes_each_right_one,
    test_every_part_has_three_wrong_answers_and_a_right_one_written_differently,
) = corpus_tests(ASSIGNMENT, NOTEBOOK, ANSWERS, parts="ABC")
