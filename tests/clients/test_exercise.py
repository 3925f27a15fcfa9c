"""Exercise 12 (resilient-client) grades what learners write: wrong answers fail and say why, other right ones pass.

Each answer is graded by nbgrader as in a class (tests/answer_variants.py). Part D's answers run
against the live DNS server and HTTP backends the tests start. Part F is a written answer: a
person grades it, so it has no answers here. Part B's fallback is the learner's own Part A, so an
answer that changes ``full_jitter``'s draws fails Part B's hidden tests too (named below).
"""

from __future__ import annotations

from answer_variants import Answer, corpus_tests

ASSIGNMENT, NOTEBOOK = "12-client-libraries", "resilient-client.ipynb"

FULL_RETURN = "return rng.uniform(0, min(ceiling, cap))"
"""The reference's last line of full_jitter."""

FROM_RANDOM = '''def full_jitter(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Scale one rng.random() by the capped exponential, with the exponent clamped so it cannot overflow."""
    if attempt < 0 or base <= 0 or cap < base:
        raise ValueError(f"bad backoff: attempt={attempt}, base={base}, cap={cap}")
    doublings = min(attempt, math.ceil(math.log2(cap / base)) + 1)
    return rng.random() * min(cap, base * 2**doublings)


def decorrelated_jitter(previous: float, base: float, cap: float, rng: random.Random) -> float:
    """base plus a random share of the span up to 3 * previous."""
    if base <= 0 or cap < base or previous < base:
        raise ValueError(f"bad backoff: previous={previous}, base={base}, cap={cap}")
    return min(cap, base + (3 * previous - base) * rng.random())
'''

REGEX_RULES = '''import re

SAFE = frozenset("GET HEAD OPTIONS TRACE PUT DELETE".split())


def should_retry(method: str, status: int | None, attempt: int, max_attempts: int) -> bool:
    """Early returns, one condition each."""
    if attempt >= max_attempts:
        return False
    if method.upper() not in SAFE:
        return False
    return status in (None, 429, 502, 503, 504)


def retry_delay(headers: dict, attempt: int, rng: random.Random, now: datetime) -> float:
    """Lower-case the names once; a regular expression for delay-seconds."""
    lowered = {name.lower(): value for name, value in headers.items()}
    value = lowered.get("retry-after", "").strip()
    if re.fullmatch(r"[0-9]+", value):
        return float(int(value))
    try:
        moment = parsedate_to_datetime(value)
        return max(0.0, (moment - now).total_seconds())
    except (TypeError, ValueError):
        return full_jitter(attempt, 0.1, 10.0, rng)
'''

FLAGS_BREAKER = '''class CircuitBreaker:
    """A trial flag and the time it opened (None while closed)."""

    def __init__(self, fail_max: int, reset_timeout: float, clock: Callable[[], float]) -> None:
        if type(fail_max) is not int or fail_max <= 0 or reset_timeout <= 0:
            raise ValueError(f"need an integer fail_max >= 1 and reset_timeout > 0, got {fail_max}, {reset_timeout}")
        self.fail_max = fail_max
        self.reset_timeout = reset_timeout
        self.clock = clock
        self.failures = 0
        self.opened_at = None
        self.trial_out = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.trial_out else "open"

    def call(self, function: Callable[[], object]) -> object:
        if self.opened_at is not None:
            if self.trial_out or self.clock() < self.opened_at + self.reset_timeout:
                raise CircuitOpenError("failing fast")
            self.trial_out = True
        try:
            value = function()
        except Exception:
            self.failures += 1
            if self.trial_out or self.failures >= self.fail_max:
                self.opened_at = self.clock()
            self.trial_out = False
            raise
        self.failures, self.opened_at, self.trial_out = 0, None, False
        return value
'''

RESOLVER_CLIENT = '''import dns.resolver


class ServiceClient:
    """dnspython's Resolver pointed at the registry, and RFC 2782's running-sum selection."""

    def __init__(
        self,
        name: str,
        dns_port: int,
        rng: random.Random,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 1.0,
    ) -> None:
        self.name, self.rng, self.clock = name, rng, clock
        self.resolver = dns.resolver.Resolver(configure=False)
        self.resolver.nameservers = [HOST]
        self.resolver.port = dns_port
        self.session = httpx.Client(timeout=timeout, trust_env=False)
        self.cache = None

    def instances(self) -> list[SrvTarget]:
        now = self.clock()
        if self.cache is not None and now < self.cache[0]:
            return self.cache[1]
        answer = self.resolver.resolve(self.name, "SRV", lifetime=2.0)
        records = [SrvTarget(r.priority, r.weight, r.port, str(r.target).rstrip(".")) for r in answer]
        self.cache = (now + answer.rrset.ttl, records)
        return records

    def ordered(self) -> list[SrvTarget]:
        result = []
        for priority in sorted({r.priority for r in self.instances()}):
            left = [r for r in self.instances() if r.priority == priority]
            while left:
                draw = self.rng.randint(0, sum(r.weight for r in left))
                running = 0
                for r in sorted(left, key=lambda r: r.weight):
                    running += r.weight
                    if running >= draw:
                        result.append(r)
                        left.remove(r)
                        break
        return result

    def call(self, path: str) -> dict:
        for record in self.ordered():
            try:
                reply = self.session.get(f"http://{HOST}:{record.port}{path}")
                reply.raise_for_status()
                return reply.json()
            except (httpx.TransportError, httpx.HTTPStatusError):
                pass
        raise ServiceUnavailableError(f"every instance of {self.name} failed")
'''

RECURSIVE_LAYERS = '''import functools


def with_retries(call: Callable[[], object], retries: int) -> Callable[[], object]:
    """A while loop that keeps the last error."""
    def wrapper() -> object:
        attempts = 0
        while True:
            attempts += 1
            try:
                return call()
            except Exception:
                if attempts > retries:
                    raise

    return wrapper


def measured_calls(retries: int, layers: int) -> int:
    dependency = Dependency()
    top = functools.reduce(lambda inner, _: with_retries(inner, retries), range(layers), dependency)
    try:
        top()
    except ConnectionError:
        pass
    return dependency.calls


def amplification(retries: int, layers: int) -> int:
    return int(math.prod([retries + 1] * layers))
'''

# fmt: off
ANSWERS = [
    # Part A: backoff with jitter
    Answer("A", "2**attempt computed outright, which overflows on a long outage",
           {"jitter": ("    ceiling = base\n    for _ in range(attempt):\n        if ceiling >= cap:\n"
                       "            break\n        ceiling *= 2\n", "    ceiling = base * 2**attempt\n")},
           fails={"test_jitter": "raised OverflowError"}),
    Answer("A", "no cap on the draw",
           {"jitter": (FULL_RETURN, "return rng.uniform(0, ceiling)")},
           fails={"test_jitter": "must lie in [0, 5]", "test_retry": "full_jitter(attempt, 0.1, 10.0, rng)"}),
    Answer("A", "the global random module instead of rng",
           {"jitter": (FULL_RETURN, "return random.uniform(0, min(ceiling, cap))")},
           fails={"test_jitter": "expected 0.10749139528992098", "test_retry": "full_jitter(attempt, 0.1, 10.0, rng)"}),
    Answer("A", "Equal Jitter instead of Full",
           {"jitter": (FULL_RETURN, "half = min(ceiling, cap) / 2\n    return half + rng.uniform(0, half)")},
           fails={"test_jitter": "one rng.uniform(0, min(cap, base * 2**attempt))",
                  "test_retry": "full_jitter(attempt, 0.1, 10.0, rng)"}),
    Answer("A", "Decorrelated Jitter drawn from 0",
           {"jitter": ("rng.uniform(base, 3 * previous)", "rng.uniform(0, 3 * previous)")},
           fails={"test_jitter": "decorrelated_jitter(0.1, 0.1, 10, Random(1)) gave"}),
    Answer("A", "a negative attempt accepted",
           {"jitter": ('    if attempt < 0:\n        raise ValueError(f"attempt counts from 0, got {attempt}")\n', "")},
           fails={"test_jitter": "full_jitter(-1, 1, 5, rng) must raise ValueError"}),
    Answer("A", "rng.random() scaled, exponent clamped", {"jitter": FROM_RANDOM}),
    # Part B: what to retry, and how long to wait
    Answer("B", "float() takes signs and fractions too",
           {"retry": ("        if given.isdigit() and given.isascii():\n            return float(given)\n",
                      "        try:\n            return float(given)\n        except ValueError:\n            pass\n")},
           fails={"test_retry": "{'Retry-After': '-5'}"}),
    Answer("B", "header names compared as written",
           {"retry": ('if name.lower() == "retry-after"', 'if name == "Retry-After"')},
           fails={"test_retry": "{'retry-after': '7'}"}),
    Answer("B", "POST retried like GET",
           {"retry": ('repeatable = method.upper() in {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}',
                      'repeatable = method.upper() in {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE", "POST"}')},
           fails={"test_retry": "should_retry('POST', 503, 1, 3) gave True, expected False"}),
    Answer("B", "methods compared in upper case only",
           {"retry": ("repeatable = method.upper() in", "repeatable = method in")},
           fails={"test_retry": "should_retry('get', None, 1, 3) gave False"}),
    Answer("B", "429 not retried",
           {"retry": ("(429, 502, 503, 504)", "(502, 503, 504)")},
           fails={"test_retry": "should_retry('GET', 429, 1, 3) gave False"}),
    Answer("B", "one attempt too many",
           {"retry": ("attempt < max_attempts", "attempt <= max_attempts")},
           fails={"test_retry": "attempt must stay below max_attempts"}),
    Answer("B", "a date in the past gives a negative wait",
           {"retry": ("return max((until - now).total_seconds(), 0.0)", "return (until - now).total_seconds()")},
           fails={"test_retry": "0.0 once past"}),
    Answer("B", "early returns and a regular expression", {"retry": REGEX_RULES}),
    # Part C: the circuit breaker
    Answer("C", "opens one failure late",
           {"breaker": ("self.failed_in_a_row >= self.fail_max", "self.failed_in_a_row > self.fail_max")},
           fails={"test_breaker": "expected 'open'"}),
    Answer("C", "half-open lets every call through",
           {"breaker": ('        if self.state == "half-open":\n'
                        '            raise CircuitOpenError("a trial call is already out")\n', "")},
           fails={"test_breaker": "half-open admits exactly one trial"}),
    Answer("C", "a failed trial keeps the old timer",
           {"breaker": ('                self.state, self.opened = "open", self.clock()',
                        '                if self.state == "closed":\n                    self.opened = self.clock()\n'
                        '                self.state = "open"')},
           fails={"test_breaker": "a failed trial restarts the timer"}),
    Answer("C", "a success does not reset the count",
           {"breaker": ('self.state, self.failed_in_a_row = "closed", 0', 'self.state = "closed"')},
           fails={"test_breaker": "a success resets the failure count"}),
    Answer("C", "a slow success counted as a failure",
           {"breaker": ("        try:\n            result = function()\n",
                        "        started = self.clock()\n        try:\n            result = function()\n"
                        "            if self.clock() - started > self.reset_timeout:\n"
                        '                raise TimeoutError("the call was too slow")\n')},
           fails={"test_breaker": "a slow success is a success"}),
    Answer("C", "fail_max not checked",
           {"breaker": ("        if not isinstance(fail_max, int) or fail_max < 1:\n"
                        '            raise ValueError(f"fail_max must be an integer >= 1, got {fail_max!r}")\n', "")},
           fails={"test_breaker": "CircuitBreaker(0, 1, clock) must raise ValueError"}),
    Answer("C", "a trial flag and a state property", {"breaker": FLAGS_BREAKER}),
    # Part D: the SRV client against live servers
    Answer("D", "no fail-over: a refused connection propagates",
           {"client": ("            try:\n                response = self.http.get(f\"http://{HOST}:{record.port}{path}\")\n"
                       "            except httpx.TransportError:\n                continue\n",
                       "            response = self.http.get(f\"http://{HOST}:{record.port}{path}\")\n")},
           fails={"test_client": "when an instance refuses the connection"}),
    Answer("D", "every priority in one weighted pool",
           {"client": ("pool = [record for record in self.known if record.priority == level]",
                       "pool = list(self.known)")},
           fails={"test_client": "lowest priority first"}),
    Answer("D", "weights ignored",
           {"client": ("self.rng.choices(pool, weights=[record.weight for record in pool])[0]",
                       "self.rng.choice(pool)")},
           fails={"test_client": "pick in proportion to weight"}),
    Answer("D", "asks the DNS server on every call",
           {"client": ("self.known, self.fresh_until = found, asked_at + lifetime", "self.known = found")},
           fails={"test_client": "keep the answer for its TTL"}),
    Answer("D", "keeps the first answer forever",
           {"client": ("if asked_at < self.fresh_until:", "if self.known:")},
           fails={"test_client": "ask again once clock() reaches query time + TTL"}),
    Answer("D", "a 500 returned as an answer",
           {"client": ("            if response.status_code < 500:\n                return response.json()\n",
                       "            return response.json()\n")},
           fails={"test_client": "a 5xx fails over to the next instance"}),
    Answer("D", "dnspython's Resolver and RFC 2782's running sum", {"client": RESOLVER_CLIENT}),
    # Part E: amplification
    Answer("E", "retries tries in all, not retries + 1",
           {"layers": ("range(retries, -1, -1)", "range(retries - 1, -1, -1)")},
           fails={"test_layers": "with_retries must try retries + 1 times"}),
    Answer("E", "the last error swallowed",
           {"layers": ("                if tries_left == 0:\n                    raise\n",
                       "                if tries_left == 0:\n                    return None\n")},
           fails={"test_layers": "re-raise"}),
    Answer("E", "k to the power L",
           {"layers": ("return (1 + retries) ** layers", "return retries**layers")},
           fails={"test_layers": "amplification(3, 3) gave 27, expected 64"}),
    Answer("E", "the formula returned instead of the measurement",
           {"layers": ("    bottom = Dependency()\n",
                       "    return (retries + 1) ** layers\n    bottom = Dependency()\n")},
           fails={"test_layers": "build one Dependency and return its calls"}),
    Answer("E", "a while loop and functools.reduce", {"layers": RECURSIVE_LAYERS}),
]
# fmt: on


(
    graded,
    test_grading_fails_each_wrong_answer_with_its_reason_and_passes_each_right_one,
    test_every_part_has_three_wrong_answers_and_a_right_one_written_differently,
) = corpus_tests(ASSIGNMENT, NOTEBOOK, ANSWERS, parts="ABCDE")
