"""REST's concepts: method semantics, links, responses, and duplicates created by retries (lesson 03).

The live parts (the order API and the client that talks to it on 127.0.0.1) are in
``helpers.rest.live``; here is what needs no socket:

Sections:
    * method semantics: ``MethodProperties``, ``METHOD_PROPERTIES``, ``method_properties``
    * responses and links: ``Response``, ``RestError``, ``LostResponseError``, ``REL``, ``Link``,
      ``links``, ``link``, ``relations``, ``retry``
    * retries under lost responses: ``STRATEGIES``, ``RetryOutcome``, ``simulate_retries``,
      ``expected_duplicates``
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from helpers import checks

__all__ = [
    "METHOD_PROPERTIES",
    "REL",
    "STRATEGIES",
    "Link",
    "LostResponseError",
    "MethodProperties",
    "Response",
    "RestError",
    "RetryOutcome",
    "expected_duplicates",
    "link",
    "links",
    "method_properties",
    "relations",
    "retry",
    "simulate_retries",
]

Json = dict[str, Any]


# --- method semantics -----------------------------------------------------------------------


@dataclass(frozen=True)
class MethodProperties:
    """What HTTP promises about a method (RFC 9110 section 9.2) (lesson 03, section 4).

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
    # RFC 9110 lists POST as cacheable, but a cache may store a POST response only if it has
    # explicit freshness AND a Content-Location equal to the target URI (§9.3.3), and may
    # reuse it only for a later GET or HEAD. Almost no cache does: "not cacheable by default".
    "POST": MethodProperties(safe=False, idempotent=False, cacheable=False),
    "PATCH": MethodProperties(safe=False, idempotent=False, cacheable=False),  # RFC 5789
    "CONNECT": MethodProperties(safe=False, idempotent=False, cacheable=False),
}
"""Safe, idempotent and cacheable (by default) for each method (lesson 03, section 4): RFC 9110 §9.2, RFC 5789."""


def method_properties(method: str) -> MethodProperties:
    """The safe / idempotent / cacheable properties of an HTTP method, any case (lesson 03, section 4).

    Examples:
        >>> method_properties("put")
        MethodProperties(safe=False, idempotent=True, cacheable=False)
        >>> method_properties("GET").safe
        True
    """
    # Not checks.choice: the method is looked up in any case, and the message shows it as given.
    if not isinstance(method, str) or method.upper() not in METHOD_PROPERTIES:
        raise ValueError(f"method must be one of {sorted(METHOD_PROPERTIES)}, got {method!r}")
    return METHOD_PROPERTIES[method.upper()]


# --- responses and links --------------------------------------------------------------------


class RestError(Exception):
    """A request that got no HTTP answer at all: refused, timed out or cut off (lesson 03, section 5)."""


class LostResponseError(RestError):
    """The connection closed without an answer: the request may or may not have been done (lesson 03, section 5)."""


@dataclass(frozen=True)
class Response:
    """An HTTP response as the client saw it (lesson 03, section 2).

    Attributes:
        status: the status code, e.g. 200, 201, 304.
        reason: the reason phrase, e.g. "Not Modified".
        headers: the header fields, names in lower case.
        body: the body's bytes (empty for 204 and 304).

    Examples:
        >>> response = Response(200, "OK", {"content-type": "application/json"}, b'{"id": "o1"}')
        >>> response.json(), response.header_bytes
        ({'id': 'o1'}, 51)
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
        """Size of the status line and header fields as HTTP/1.x text, blank line included (lesson 03, section 8)."""
        lines = [f"HTTP/1.1 {self.status} {self.reason}"] + [f"{k}: {v}" for k, v in self.headers.items()]
        return sum(len(line) + 2 for line in lines) + 2


REL = "https://orders.example/rels/"
"""Where the order API's own link relations start: its "pay" relation is ``REL + "pay"`` (lesson 03, section 2).

Web Linking (RFC 8288 §2.1) has two kinds of relation type: **registered** ones, short names
in IANA's registry (``self``, ``edit``, ``collection``, ``item``, ``profile``, ...), and
**extension** ones, which must be URIs. Paying an order has no registered name, so the API
names it with a URI it owns. ``.example`` is a top-level domain reserved for examples
(RFC 2606): the URI identifies the relation and is never fetched.
"""


@dataclass(frozen=True)
class Link:
    """A hypermedia control: the relation's type, where it points and the method to use (lesson 03, section 2)."""

    rel: str
    href: str
    method: str = "GET"
    templated: bool = False


def links(representation: Mapping[str, Any]) -> dict[str, Link]:
    """The links of a representation, by relation type in lower case (lesson 03, section 2).

    Relation types compare case-insensitively (RFC 8288 §2.1.1, §2.1.2), so they are keyed in
    lower case.

    Examples:
        >>> sorted(links({"links": [{"rel": "self", "href": "/o/1", "method": "GET"}]}))
        ['self']
    """
    if not isinstance(representation, Mapping):
        raise ValueError(f"representation must be a JSON object (a dict), got {representation!r}")
    found = {}
    for item in representation.get("links", []):
        rel = str(item["rel"]).lower()
        found[rel] = Link(rel, item["href"], item.get("method", "GET"), item.get("templated", False))
    return found


def link(representation: Mapping[str, Any], rel: str) -> Link:
    """The link whose relation type is ``rel`` (any case) in a representation (lesson 03, section 3).

    Raises:
        ValueError: the representation offers no such link; the message lists those it offers.

    Examples:
        >>> link({"links": [{"rel": REL + "pay", "href": "/o/1/payment", "method": "POST"}]}, REL + "pay").method
        'POST'
    """
    offered = links(representation)
    if not isinstance(rel, str) or rel.lower() not in offered:
        raise ValueError(f"no link with rel {rel!r} here; the representation offers {sorted(offered)}")
    return offered[rel.lower()]


def relations(representation: Mapping[str, Any]) -> list[str]:
    """The relation types a representation's links offer, sorted, the API's own without ``REL`` (lesson 03, section 2).

    Examples:
        >>> relations({"links": [{"rel": "self", "href": "/o/1"}, {"rel": REL + "pay", "href": "/o/1/payment"}]})
        ['pay', 'self']
    """
    return sorted(rel.removeprefix(REL) for rel in links(representation))


def retry(send: Callable[[], Response], attempts: int = 5) -> Response:
    """The first response ``send()`` gets, trying up to ``attempts`` times while they are lost (lesson 03, section 5).

    Raises:
        LostResponseError: every attempt lost its response.

    Examples:
        >>> outcomes = [LostResponseError("lost"), Response(201, "Created", {}, b"")]
        >>> def send() -> Response:
        ...     outcome = outcomes.pop(0)
        ...     if isinstance(outcome, Exception):
        ...         raise outcome
        ...     return outcome
        >>> retry(send, attempts=2).status
        201
    """
    attempts = checks.count("attempts", attempts)
    for attempt in range(attempts):
        try:
            return send()
        except LostResponseError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# --- retries under lost responses -----------------------------------------------------------

STRATEGIES = ("POST", "PUT", "POST + Idempotency-Key")
"""The three ways of creating an order that lesson 03 retries (lesson 03, section 5)."""


@dataclass(frozen=True)
class RetryOutcome:
    """Orders created when ``requests`` creations each retry up to ``retries`` times (lesson 03, section 5).

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
        checks.choice("strategy", strategy, list(self.created))
        extra: NDArray[np.int64] = self.created[strategy] - self.requests
        return extra


def _loss_rates(loss_rates: ArrayLike) -> NDArray[np.float64]:
    rates = np.atleast_1d(np.asarray(loss_rates, dtype=np.float64))
    if rates.ndim != 1 or rates.size == 0 or np.isnan(rates).any() or (rates < 0).any() or (rates >= 1).any():
        raise ValueError(f"loss_rates must be numbers from 0 up to (not including) 1, got {loss_rates!r}")
    return rates


def simulate_retries(loss_rates: ArrayLike, requests: int, retries: int, rng: np.random.Generator) -> RetryOutcome:
    """Orders created by POST, PUT and POST with an Idempotency-Key, when responses are lost (lesson 03, section 5).

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
    requests = checks.count("requests", requests)
    retries = checks.integer("retries", retries, 0, 20)
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
    """Expected duplicate orders: N (q + q^2 + ... + q^R) for POST, 0 for PUT and keyed POST (lesson 03, section 5).

    With one retry (R = 1) that is q * N: a duplicate for every lost first response.

    Examples:
        >>> expected_duplicates(0.1, 1000, 1)
        100.0
        >>> round(expected_duplicates(0.5, 1000, 3), 1), expected_duplicates(0.5, 1000, 3, "PUT")
        (875.0, 0.0)
    """
    q = float(_loss_rates(loss_rate)[0])
    checks.choice("strategy", strategy, STRATEGIES)
    retries = checks.count("retries", retries, minimum=0)
    requests = checks.count("requests", requests, minimum=0)
    if strategy != "POST":
        return 0.0
    return float(requests * sum(q**k for k in range(1, retries + 1)))
