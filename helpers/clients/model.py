"""Client libraries: pick an instance, back off, retry only what is safe, break the circuit (lesson 12).

The concept, with no server in it. Every random choice takes an injected ``random.Random`` (or a
seed) and every clock is injected, so each number the lesson asserts is reproducible.

Sections:
    * 1, discovery: ``ZONE``, ``srv_name``, ``instance_records`` (an instance's SRV and A records, for lesson
      04's DNS server), ``SrvTarget``, ``srv_order`` (RFC 2782's priority and weighted selection)
    * 3, backoff: ``STRATEGIES``, ``capped_exponential``, ``full_jitter``, ``equal_jitter``,
      ``decorrelated_jitter``, ``backoff_delays``
    * 4, contention: ``Contention``, ``simulate_contention`` (Brooker 2015, seeded)
    * 5, what to retry: ``IDEMPOTENT_METHODS``, ``RETRYABLE_STATUSES``, ``should_retry``,
      ``parse_retry_after``, ``retry_delay``
    * 6, circuit breaker: ``CircuitBreaker``, ``CircuitOpenError``, ``BREAKER_STATES``, ``wasted_calls``
    * 7, amplification and budgets: ``amplification``, ``RetryBudget``, ``layered_calls``
    * explore: ``Outage``, ``simulate_outage``
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from helpers import checks
from helpers.dns.model import Record

__all__ = [
    "BREAKER_STATES",
    "IDEMPOTENT_METHODS",
    "RETRYABLE_STATUSES",
    "STRATEGIES",
    "ZONE",
    "CircuitBreaker",
    "CircuitOpenError",
    "Contention",
    "Outage",
    "RetryBudget",
    "SrvTarget",
    "amplification",
    "backoff_delays",
    "capped_exponential",
    "decorrelated_jitter",
    "equal_jitter",
    "full_jitter",
    "instance_records",
    "layered_calls",
    "parse_retry_after",
    "retry_delay",
    "should_retry",
    "simulate_contention",
    "simulate_outage",
    "srv_name",
    "srv_order",
    "wasted_calls",
]

T = TypeVar("T")

Strategy = Literal["none", "equal", "full", "decorrelated"]
STRATEGIES: tuple[Strategy, ...] = ("none", "equal", "full", "decorrelated")
"""Brooker's four backoff strategies (2015): no jitter, Equal, Full and Decorrelated Jitter."""

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
"""Methods RFC 9110 §9.2.2 calls idempotent: repeating one has the effect of sending it once."""

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
"""Statuses that say "try again later": 429 (RFC 6585 §4), 502, 503 and 504 (RFC 9110 §15.6)."""

BREAKER_STATES = ("closed", "open", "half-open")
"""A circuit breaker's states (Nygard, *Release It!*): count failures, fail fast, try once."""


# --- 1. discovery ---------------------------------------------------------------------------

ZONE = "shop.test"
"""The zone the services live in: lesson 04's DNS server's (``.test`` is reserved for testing, RFC 2606)."""


def srv_name(service: str, zone: str = ZONE) -> str:
    """The name a service's SRV records live at: ``_service._tcp.zone`` (RFC 2782; section 1).

    Examples:
        >>> srv_name("orders")
        '_orders._tcp.shop.test'
        >>> srv_name("_orders")
        Traceback (most recent call last):
        ...
        ValueError: service must be a name of letters, digits and '-' such as 'orders', got '_orders'
    """
    ok = isinstance(service, str) and 0 < len(service) <= 15 and service[0].isalpha()  # RFC 6335 §5.1
    if not ok or not all(c.isascii() and (c.isalnum() or c == "-") for c in service):
        raise ValueError(f"service must be a name of letters, digits and '-' such as 'orders', got {service!r}")
    return f"_{service.lower()}._tcp.{zone.rstrip('.').lower()}"


def instance_records(
    service: str,
    port: int,
    host: str,
    *,
    priority: int = 10,
    weight: int = 10,
    ttl: int = 30,
    address: str = "127.0.0.1",
    zone: str = ZONE,
) -> tuple[Record, Record]:
    """The two DNS records that publish one instance: its SRV record and its host's A record (section 1).

    Add both to lesson 04's ``AuthoritativeServer`` to register the instance; remove the SRV
    record to deregister it. ``host`` is one label (``"a"``), made ``a.shop.test``.

    Examples:
        >>> srv, a = instance_records("orders", 8081, "a", priority=10, weight=60, ttl=5)
        >>> srv
        Record(name='_orders._tcp.shop.test', type='SRV', value='10 60 8081 a.shop.test', ttl=5)
        >>> a
        Record(name='a.shop.test', type='A', value='127.0.0.1', ttl=5)
    """
    if not isinstance(host, str) or not host or "." in host:
        raise ValueError(f"host must be one label such as 'a', got {host!r}")
    target = SrvTarget(priority, weight, port, f"{host}.{zone}")
    value = f"{target.priority} {target.weight} {target.port} {target.target}"
    return Record(srv_name(service, zone), "SRV", value, ttl), Record(target.target, "A", address, ttl)


@dataclass(frozen=True)
class SrvTarget:
    """One SRV record's data (RFC 2782): who to call and how to choose among them (section 1).

    Examples:
        >>> SrvTarget(10, 50, 8081, "a.shop.test").port
        8081
    """

    priority: int
    weight: int
    port: int
    target: str

    def __post_init__(self) -> None:
        checks.integer("priority", self.priority, 0, 65535)
        checks.integer("weight", self.weight, 0, 65535)
        checks.integer("port", self.port, 0, 65535)
        if not isinstance(self.target, str) or not self.target:
            raise ValueError(f"target must be a host name, got {self.target!r}")


def srv_order(records: Sequence[SrvTarget], rng: random.Random) -> list[SrvTarget]:
    """The order to try ``records`` in: lowest priority first, weighted-random within one (section 1).

    RFC 2782: within a priority, repeatedly draw a number and take the first record whose
    running sum of weights reaches it. The RFC draws from 0 to the sum *inclusive* with weight-0
    records first, which gives the first record one extra chance in ``sum + 1``; this draws
    from 1 to the sum, so a record's chance to go first is exactly its share of the weights
    and a weight-0 record goes only after every weighted one (or when all weigh 0).

    Examples:
        >>> a, b, c = SrvTarget(10, 1, 1, "a"), SrvTarget(10, 3, 2, "b"), SrvTarget(20, 9, 3, "c")
        >>> [r.target for r in srv_order([c, a, b], random.Random(1))][-1]
        'c'
    """
    if not isinstance(rng, random.Random):
        raise ValueError(f"rng must be a random.Random, got {rng!r}")
    ordered: list[SrvTarget] = []
    for priority in sorted({r.priority for r in records}):
        group = [r for r in records if r.priority == priority]
        while group:
            total = sum(r.weight for r in group)
            draw = rng.randint(1, total) if total else 0
            running = 0
            for index, record in enumerate(group):
                running += record.weight
                if running >= draw:
                    ordered.append(group.pop(index))
                    break
    return ordered


# --- 3. backoff -----------------------------------------------------------------------------


def _attempt(attempt: object) -> int:
    return checks.integer("attempt", attempt, 0)


def _base_cap(base: object, cap: object) -> tuple[float, float]:
    b = checks.positive("base", base)
    c = checks.positive("cap", cap)
    if c < b:
        raise ValueError(f"cap must be >= base ({b:g}), got {cap!r}")
    return b, c


def _rng(rng: object) -> random.Random:
    if not isinstance(rng, random.Random):
        raise ValueError(f"rng must be a random.Random (seed it: random.Random(0)), got {rng!r}")
    return rng


def capped_exponential(attempt: int, base: float, cap: float) -> float:
    """``min(cap, base * 2**attempt)``: exponential backoff with no jitter (section 3).

    Examples:
        >>> [capped_exponential(n, 1, 10) for n in range(5)]
        [1.0, 2.0, 4.0, 8.0, 10.0]
    """
    n = _attempt(attempt)
    b, c = _base_cap(base, cap)
    return c if n >= 1100 else min(c, b * 2.0**n)


def full_jitter(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Full Jitter: a uniform draw from 0 to ``min(cap, base * 2**attempt)`` (section 3).

    Examples:
        >>> 0 <= full_jitter(3, 1, 100, random.Random(0)) <= 8
        True
    """
    return _rng(rng).uniform(0.0, capped_exponential(attempt, base, cap))


def equal_jitter(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Equal Jitter: half of the capped exponential, plus a uniform draw up to the other half (section 3).

    Examples:
        >>> 4 <= equal_jitter(3, 1, 100, random.Random(0)) <= 8
        True
    """
    t = capped_exponential(attempt, base, cap)
    return t / 2 + _rng(rng).uniform(0.0, t / 2)


def decorrelated_jitter(previous: float, base: float, cap: float, rng: random.Random) -> float:
    """Decorrelated Jitter: ``min(cap, uniform(base, previous * 3))``; start with ``previous = base`` (section 3).

    Examples:
        >>> 1 <= decorrelated_jitter(1, 1, 100, random.Random(0)) <= 3
        True
    """
    b, c = _base_cap(base, cap)
    p = checks.number("previous", previous, b)
    return min(c, _rng(rng).uniform(b, p * 3))


def _next_delay(strategy: Strategy, attempt: int, previous: float, b: float, c: float, rng: random.Random) -> float:
    """The sleep before retry ``attempt`` (from 0) under ``strategy``; ``previous`` is the last sleep (decorrelated)."""
    if strategy == "none":
        return capped_exponential(attempt, b, c)
    if strategy == "full":
        return full_jitter(attempt, b, c, rng)
    if strategy == "equal":
        return equal_jitter(attempt, b, c, rng)
    return decorrelated_jitter(previous, b, c, rng)


def backoff_delays(strategy: Strategy, attempts: int, base: float, cap: float, rng: random.Random) -> list[float]:
    """The sleeps before retries 1 to ``attempts`` of one client under ``strategy`` (section 3).

    Attempt ``n`` (counting from 0) sleeps ``capped_exponential(n, ...)`` or its jittered form;
    decorrelated jitter chains each sleep from the previous one, starting at ``base``.

    Examples:
        >>> backoff_delays("none", 4, 1, 5, random.Random(0))
        [1.0, 2.0, 4.0, 5.0]
    """
    checks.choice("strategy", strategy, STRATEGIES)
    n = checks.count("attempts", attempts, minimum=0)
    b, c = _base_cap(base, cap)
    r = _rng(rng)
    delays: list[float] = []
    previous = b
    for attempt in range(n):
        delay = previous = _next_delay(strategy, attempt, previous, b, c, r)
        delays.append(delay)
    return delays


# --- 4. contention --------------------------------------------------------------------------


@dataclass(frozen=True)
class Contention:
    """What a contention run cost: every call made, and when the last client finished (section 4)."""

    strategy: Strategy
    clients: int
    calls: int
    completion_time: float


def simulate_contention(
    strategy: Strategy,
    clients: int = 100,
    *,
    base: float = 1.0,
    cap: float = 1000.0,
    window: float = 1.0,
    seed: int = 0,
) -> Contention:
    """Brooker's experiment: ``clients`` each make one optimistic write at time 0 (section 4).

    The earliest pending call wins; every other call that lands within ``window`` of it
    conflicts, fails, and retries after its strategy's backoff. With no jitter the losers stay
    in lock step, so exactly one client wins per round: ``n(n+1)/2`` calls in all.

    Examples:
        >>> simulate_contention("none", 10).calls
        55
        >>> simulate_contention("full", 10, seed=1).calls < 55
        True
    """
    checks.choice("strategy", strategy, STRATEGIES)
    n = checks.count("clients", clients)
    b, c = _base_cap(base, cap)
    w = checks.positive("window", window)
    rng = random.Random(checks.integer("seed", seed))
    pending: list[tuple[float, int]] = [(0.0, client) for client in range(n)]
    attempts = [0] * n
    previous = [b] * n
    calls = 0
    finished = 0.0
    while pending:
        pending.sort()
        start, winner = pending[0]
        clash = [item for item in pending if item[0] < start + w]
        pending = pending[len(clash) :]
        calls += len(clash)
        finished = start
        for at, client in clash[1:]:
            delay = previous[client] = _next_delay(strategy, attempts[client], previous[client], b, c, rng)
            attempts[client] += 1
            pending.append((at + delay, client))
        del winner
    return Contention(strategy, n, calls, finished)


# --- 5. what to retry -----------------------------------------------------------------------


def should_retry(method: str, status: int | None, attempt: int, max_attempts: int) -> bool:
    """Whether call ``attempt`` (1 = the first) may be followed by another (section 5).

    Only idempotent methods are retried, only after no response (``status=None``: refused,
    reset, timed out) or a status in ``RETRYABLE_STATUSES``, and only while
    ``attempt < max_attempts``.

    Examples:
        >>> should_retry("GET", 503, 1, 3), should_retry("GET", 400, 1, 3), should_retry("POST", 503, 1, 3)
        (True, False, False)
        >>> should_retry("GET", 429, 3, 3)
        False
    """
    if not isinstance(method, str) or not method:
        raise ValueError(f"method must be an HTTP method such as 'GET', got {method!r}")
    if status is not None:
        checks.integer("status", status, 100, 599)
    n = checks.integer("attempt", attempt, 1)
    limit = checks.integer("max_attempts", max_attempts, 1)
    if n >= limit or method.upper() not in IDEMPOTENT_METHODS:
        return False
    return status is None or status in RETRYABLE_STATUSES


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, or None when it is missing or malformed (section 5).

    RFC 9110 §10.2.3 allows two forms: delay-seconds (``1*DIGIT``, so no sign, no
    fraction) and an HTTP-date; a date in the past means "now" (0 seconds).

    Examples:
        >>> now = datetime(2026, 1, 1, tzinfo=UTC)
        >>> parse_retry_after("120", now), parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now)
        (120.0, 30.0)
        >>> parse_retry_after("-5", now) is None, parse_retry_after("soon", now) is None
        (True, True)
    """
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise ValueError(f"now must be a timezone-aware datetime, got {now!r}")
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def retry_delay(
    headers: Mapping[str, str],
    attempt: int,
    rng: random.Random,
    *,
    base: float = 0.1,
    cap: float = 10.0,
    now: datetime | None = None,
) -> float:
    """The wait before the next call: the server's ``Retry-After`` if valid, else Full Jitter (section 5).

    Header names are case-insensitive (RFC 9110 §5.1).

    Examples:
        >>> retry_delay({"retry-after": "2"}, 1, random.Random(0))
        2.0
        >>> 0 <= retry_delay({}, 1, random.Random(0)) <= 0.2
        True
    """
    when = now if now is not None else datetime.now(UTC)
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    seconds = parse_retry_after(value, when)
    if seconds is not None:
        return seconds
    return full_jitter(attempt, base, cap, rng)


# --- 6. circuit breaker ---------------------------------------------------------------------


class CircuitOpenError(RuntimeError):
    """Raised instead of calling while the breaker is open (section 6)."""


@dataclass
class CircuitBreaker:
    """A circuit breaker on an injected clock: closed, open, half-open (section 6).

    Closed counts consecutive failures; at ``fail_max`` it opens and fails fast. After
    ``reset_timeout`` seconds one trial call goes through (half-open): success closes it,
    failure reopens it and restarts the timer. A call that succeeds slowly is a success: a
    breaker only sees failures that come back, which is why it needs timeouts.

    Examples:
        >>> t = [0.0]
        >>> breaker = CircuitBreaker(2, 5.0, clock=lambda: t[0])
        >>> breaker.record_failure(); breaker.record_failure(); breaker.state
        'open'
        >>> breaker.allow()
        False
        >>> t[0] = 5.0; breaker.allow(), breaker.state, breaker.allow()
        (True, 'half-open', False)
        >>> breaker.record_success(); breaker.state
        'closed'
    """

    fail_max: int
    reset_timeout: float
    clock: Callable[[], float]
    state: str = field(default="closed", init=False)
    failures: int = field(default=0, init=False)
    opened_at: float = field(default=0.0, init=False)
    transitions: list[tuple[float, str]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        checks.count("fail_max", self.fail_max)
        checks.positive("reset_timeout", self.reset_timeout)
        if not callable(self.clock):
            raise ValueError(f"clock must be a function returning seconds, got {self.clock!r}")
        self._trial_out = False

    def _move(self, state: str) -> None:
        self.state = state
        self.transitions.append((self.clock(), state))

    def allow(self) -> bool:
        """Whether a call may go out now (a half-open breaker admits exactly one trial)."""
        if self.state == "open" and self.clock() - self.opened_at >= self.reset_timeout:
            self._move("half-open")
            self._trial_out = False
        if self.state == "closed":
            return True
        if self.state == "half-open" and not self._trial_out:
            self._trial_out = True
            return True
        return False

    def record_success(self) -> None:
        """A call came back well: reset the failure count (and close after a trial)."""
        self.failures = 0
        if self.state != "closed":
            self._move("closed")

    def record_failure(self) -> None:
        """A call failed: count it, and open at ``fail_max`` or after a failed trial."""
        self.failures += 1
        if self.state == "half-open" or (self.state == "closed" and self.failures >= self.fail_max):
            self.opened_at = self.clock()
            self._move("open")

    def call(self, function: Callable[[], T]) -> T:
        """Run ``function`` through the breaker; raise CircuitOpenError while it is open."""
        if not self.allow():
            raise CircuitOpenError(f"circuit open since t={self.opened_at:g}; not calling")
        try:
            result = function()
        except Exception:
            self.record_failure()
            raise
        self.record_success()
        return result


def wasted_calls(outage_s: float, rate: float, *, fail_max: int | None = None, reset_timeout: float = 5.0) -> int:
    """Calls sent to a dependency that is down for ``outage_s`` at ``rate`` calls a second (section 6).

    Without a breaker (``fail_max=None``) every call is wasted; with one, ``fail_max`` calls
    open it, then one trial per ``reset_timeout`` until the outage ends.

    Examples:
        >>> wasted_calls(30, 50)
        1500
        >>> wasted_calls(30, 50, fail_max=3, reset_timeout=5)  # 3 to open, one trial at 5, 10, 15, 20, 25 s
        8
    """
    outage = checks.positive("outage_s", outage_s, allow_zero=True)
    r = checks.positive("rate", rate)
    total = round(outage * r)
    if fail_max is None:
        return total
    now = [0.0]
    breaker = CircuitBreaker(checks.count("fail_max", fail_max), reset_timeout, clock=lambda: now[0])
    wasted = 0
    for index in range(total):
        now[0] = index / r
        if breaker.allow():
            wasted += 1
            breaker.record_failure()
    return wasted


# --- 7. amplification and budgets -----------------------------------------------------------


def amplification(retries: int, layers: int) -> int:
    """Calls reaching the bottom of ``layers`` layers that each retry ``retries`` times: ``(k+1)**L`` (section 7).

    Examples:
        >>> amplification(3, 3)
        64
    """
    k = checks.count("retries", retries, minimum=0)
    n_layers = checks.count("layers", layers)
    result: int = (k + 1) ** n_layers
    return result


@dataclass
class RetryBudget:
    """A token bucket for retries: each request earns ``ratio`` tokens, each retry spends one (section 7).

    Over ``n`` requests at most ``ratio * n + initial`` retries go out (SRE book, ch. 22:
    "retries at most 10% of requests"), however many layers retry.

    Examples:
        >>> budget = RetryBudget(0.5)
        >>> budget.record_request(); budget.record_request(); budget.try_spend(), budget.try_spend()
        (True, False)
    """

    ratio: float = 0.1
    initial: float = 0.0
    maximum: float = 10.0
    tokens: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        checks.number("ratio", self.ratio, 0.0, 1.0)
        checks.positive("initial", self.initial, allow_zero=True)
        checks.positive("maximum", self.maximum)
        self.tokens = min(self.initial, self.maximum)

    def record_request(self) -> None:
        """A first attempt went out: earn ``ratio`` tokens (up to ``maximum``)."""
        self.tokens = min(self.maximum, self.tokens + self.ratio)

    def try_spend(self) -> bool:
        """Spend one token for a retry if there is one; False means "do not retry"."""
        if self.tokens >= 1.0 - 1e-9:
            self.tokens -= 1.0
            return True
        return False


def layered_calls(retries: int, layers: int, requests: int = 1, *, budget_ratio: float | None = None) -> int:
    """Calls that reach the bottom when ``requests`` enter ``layers`` layers over a dead dependency (section 7).

    Each layer tries once and retries up to ``retries`` times; with ``budget_ratio`` each
    layer has its own ``RetryBudget`` and retries only while it has tokens.

    Examples:
        >>> layered_calls(3, 3)
        64
        >>> layered_calls(3, 3, 1000, budget_ratio=0.1) <= 1.1**3 * 1000
        True
    """
    k = checks.count("retries", retries, minimum=0)
    n_layers = checks.count("layers", layers)
    n = checks.count("requests", requests)
    budgets = [RetryBudget(budget_ratio) if budget_ratio is not None else None for _ in range(n_layers)]
    bottom = [0]

    def call(layer: int) -> bool:
        if layer == n_layers:
            bottom[0] += 1
            return False
        budget = budgets[layer]
        if budget is not None:
            budget.record_request()
        for attempt in range(k + 1):
            if attempt > 0 and budget is not None and not budget.try_spend():
                return False
            if call(layer + 1):
                return True
        return False

    for _ in range(n):
        call(0)
    return bottom[0]


# --- explore: an outage seen from the dependency ------------------------------------------------


@dataclass(frozen=True)
class Outage:
    """What ``simulate_outage`` saw, per time bucket and in total (lesson 12, "Explore").

    ``offered`` counts calls that reached the dependency in each bucket, ``completed`` the
    clients done by the end of each bucket, ``breaker`` the breaker's state at the end of
    each bucket (0 closed, 1 open, 2 half-open; all 0 without a breaker).
    """

    bucket_s: float
    offered: NDArray[np.int64]
    completed: NDArray[np.int64]
    breaker: NDArray[np.int8]
    calls: int
    wasted: int
    gave_up: int


def simulate_outage(
    strategy: Strategy,
    clients: int = 100,
    *,
    base_s: float = 0.01,
    cap_s: float = 1.0,
    outage_s: float = 2.0,
    horizon_s: float = 5.0,
    period_s: float = 1.0,
    breaker: bool = False,
    fail_max: int = 5,
    reset_timeout_s: float = 0.5,
    budget: bool = False,
    budget_ratio: float = 0.1,
    bucket_s: float = 0.1,
    seed: int = 0,
) -> Outage:
    """``clients`` callers, each sending a request every ``period_s``, to a dependency down until ``outage_s``.

    Each client's first request goes at a random moment in its first period. A call before
    ``outage_s`` fails and the request is retried after the strategy's backoff until it
    succeeds. With ``breaker`` one shared circuit breaker fails calls fast while open (they
    never reach the dependency, and the request backs off as after a failure); with
    ``budget`` a shared ``RetryBudget`` (each new request earns ``budget_ratio``), and a
    request without a token for its retry gives up. Taught in lesson 12, "Explore".

    Examples:
        >>> run = simulate_outage("full", 50, outage_s=1.0, horizon_s=3.0)
        >>> int(run.completed[-1]) >= 100, run.wasted > 50
        (True, True)
    """
    checks.choice("strategy", strategy, STRATEGIES)
    n = checks.count("clients", clients)
    b, c = _base_cap(base_s, cap_s)
    outage = checks.positive("outage_s", outage_s, allow_zero=True)
    horizon = checks.positive("horizon_s", horizon_s)
    period = checks.positive("period_s", period_s)
    width = checks.positive("bucket_s", bucket_s)
    rng = random.Random(checks.integer("seed", seed))
    uniform = rng.uniform
    buckets = max(1, math.ceil(horizon / width - 1e-9))
    offered = np.zeros(buckets, dtype=np.int64)
    done = np.zeros(buckets, dtype=np.int64)
    clock = [0.0]
    shared = CircuitBreaker(fail_max, reset_timeout_s, clock=lambda: clock[0]) if breaker else None
    tokens = RetryBudget(budget_ratio, maximum=max(1.0, n * budget_ratio)) if budget else None
    events: list[tuple[float, int, int, float]] = [(rng.uniform(0, period), client, 0, b) for client in range(n)]
    heapq.heapify(events)
    calls = wasted = gave_up = 0
    code = {"closed": 0, "open": 1, "half-open": 2}
    marks: list[tuple[float, int]] = []
    while events:
        at, client, attempt, previous = heapq.heappop(events)
        if at >= horizon:
            break
        clock[0] = at
        if attempt == 0:
            heapq.heappush(events, (at + period, client, 0, b))  # this client's next request
            if tokens is not None:
                tokens.record_request()
        elif tokens is not None and not tokens.try_spend():
            gave_up += 1
            continue
        reached = shared is None or shared.allow()
        ok = reached and at >= outage
        if reached:
            calls += 1
            offered[int(at / width)] += 1
            wasted += not ok
            if shared is not None:
                shared.record_success() if ok else shared.record_failure()
        if shared is not None:
            marks.append((at, code[shared.state]))
        if ok:
            done[int(at / width)] += 1
            continue
        # the strategies' formulas inlined (checked once above): this loop is the explorer's hot path
        if strategy == "decorrelated":
            delay = previous = min(c, uniform(b, previous * 3))
        else:
            t = c if attempt >= 64 else min(c, b * 2.0**attempt)
            if strategy == "none":
                delay = t
            elif strategy == "full":
                delay = uniform(0.0, t)
            else:
                delay = t / 2 + uniform(0.0, t / 2)
        heapq.heappush(events, (at + delay, client, attempt + 1, previous))
    states = np.zeros(buckets, dtype=np.int8)
    if marks:
        times = np.array([t for t, _ in marks])
        codes = np.array([state for _, state in marks], dtype=np.int8)
        index = np.searchsorted(times, (np.arange(buckets) + 1) * width, side="right") - 1
        states = np.where(index >= 0, codes[np.clip(index, 0, None)], 0).astype(np.int8)
    return Outage(width, offered, np.cumsum(done), states, calls, wasted, gave_up)
