"""Exercise 07 (gateway-pipeline) grades what learners write: wrong answers fail and say why, right ones pass.

Each answer is graded by nbgrader as in a class (tests/answer_variants.py). Part D's key
check is graded by behaviour (a spy on ``hmac.compare_digest``), never by reading the source:
``==`` with a comment naming compare_digest fails, a helper of the learner's own that calls it
passes.
"""

from __future__ import annotations

from answer_variants import Answer, corpus_tests

ASSIGNMENT, NOTEBOOK = "07-api-gateways", "gateway-pipeline.ipynb"

GCRA = '''class TokenBucket:
    """A token bucket written as GCRA: one theoretical arrival time instead of a token count."""

    def __init__(self, capacity: float, refill_per_s: float) -> None:
        if not capacity >= 1 or not refill_per_s > 0:
            raise ValueError(f"need capacity >= 1 and refill_per_s > 0, got {capacity!r} and {refill_per_s!r}")
        self.interval = 1 / refill_per_s
        self.tolerance = (capacity - 1) * self.interval
        self.tat = None  # when the bucket would be full again if nothing more arrived, minus one interval

    def allow(self, now: float) -> bool:
        """Whether a request at time now is admitted (it takes a token if so)."""
        tat = now if self.tat is None else max(self.tat, now)
        if tat - now <= self.tolerance:
            self.tat = tat + self.interval
            return True
        return False

    def retry_after(self, now: float) -> float:
        """Seconds until the bucket holds one whole token again."""
        if self.tat is None:
            return 0.0
        return max(0.0, self.tat - self.tolerance - now)
'''

WRAPPED_BUCKET = '''class TokenBucket:
    """The course's bucket, wrapped."""

    def __init__(self, capacity: float, refill_per_s: float) -> None:
        self._inner = helpers.gateway.TokenBucket(capacity, refill_per_s)

    def allow(self, now: float) -> bool:
        return self._inner.allow(now)

    def retry_after(self, now: float) -> float:
        return self._inner.retry_after(now)
'''

BISECT_LOG = '''import bisect


class SlidingWindowLog:
    """A sliding-window log kept in a sorted list, old times cut off with bisect."""

    def __init__(self, limit: int, window_s: float) -> None:
        if type(limit) is not int or limit < 1 or not window_s > 0:
            raise ValueError(f"need an int limit >= 1 and window_s > 0, got {limit!r} and {window_s!r}")
        self.limit, self.window_s, self.times = limit, window_s, []

    def _forget(self, now: float) -> None:
        del self.times[: bisect.bisect_right(self.times, now - self.window_s)]

    def allow(self, now: float) -> bool:
        """Whether a request at time now is admitted (its time is logged if so)."""
        self._forget(now)
        if len(self.times) >= self.limit:
            return False
        self.times.append(now)
        return True

    def retry_after(self, now: float) -> float:
        """Seconds until a request would be admitted."""
        self._forget(now)
        return 0.0 if len(self.times) < self.limit else self.times[-self.limit] + self.window_s - now
'''

WRAPPED_LOG = '''class SlidingWindowLog:
    """The course's log, wrapped."""

    def __init__(self, limit: int, window_s: float) -> None:
        self._inner = helpers.gateway.SlidingWindowLog(limit, window_s)

    def allow(self, now: float) -> bool:
        return self._inner.allow(now)

    def retry_after(self, now: float) -> float:
        return self._inner.retry_after(now)
'''

LOG_REMEMBERS_REFUSED = (
    "        if len(self.log) < self.limit:\n            self.log.append(now)\n"
    "            return True\n        return False",
    "        admitted = len(self.log) < self.limit\n        self.log.append(now)  # Xu's variant: refused ones too\n"
    "        return admitted",
)

BITS = '''def allowed(address: str, cidrs: list[str]) -> bool:
    """Whether address lies in any of the networks listed in CIDR notation, by comparing leading bits."""
    ip = ipaddress.ip_address(address)
    found = False
    for cidr in cidrs:
        network = ipaddress.ip_network(cidr)  # strict by default: host bits set raise ValueError
        if network.version != ip.version:
            continue
        shift = network.max_prefixlen - network.prefixlen
        if int(ip) >> shift == int(network.network_address) >> shift:
            found = True
    return found
'''

SWALLOWS_ERRORS = '''def allowed(address: str, cidrs: list[str]) -> bool:
    """Whether address lies in any of the networks listed in CIDR notation."""
    try:
        ip = ipaddress.ip_address(address)
        return any(ip in ipaddress.ip_network(cidr) for cidr in cidrs)
    except ValueError:
        return False  # a bad entry allows nobody
'''

IPV4_ONLY = '''def allowed(address: str, cidrs: list[str]) -> bool:
    """Whether address lies in any of the networks listed in CIDR notation."""
    ip = ipaddress.IPv4Address(address)
    return any(ip in ipaddress.IPv4Network(cidr) for cidr in cidrs)
'''

WRAPPED_ALLOWLIST = '''def allowed(address: str, cidrs: list[str]) -> bool:
    """The course's allowlist, wrapped."""
    return helpers.gateway.is_allowed(address, helpers.gateway.parse_allowlist(cidrs))
'''

KEY_CHECK = '''    presented = request.get("api_key")
    client = None
    if presented is not None:
        for name, key in api_keys.items():
            if hmac.compare_digest(key.encode(), presented.encode()):
                client = name
'''

DICT_LOOKUP_FIRST = '''    presented = request.get("api_key")
    by_key = {key: name for name, key in api_keys.items()}
    client = by_key.get(presented)
    if client is not None and not hmac.compare_digest(api_keys[client].encode(), presented.encode()):
        client = None
'''

WRAPPED_FIND_CLIENT = '''    client = helpers.gateway.live.find_client(request.get("api_key"), api_keys)
'''

STATIC_CHECK = '''    if request["path"].startswith("/static/"):
        return 200, {"X-Served-By": "gateway"}
'''

HELPER_GATE = '''import math
import secrets


def client_for(presented, api_keys):
    """The client whose key is presented: every key compared in constant time, the first match wins."""
    if presented is None:
        return None
    matches = [name for name, key in api_keys.items() if secrets.compare_digest(key, presented)]
    return matches[0] if matches else None


def gate(request: dict, api_keys: dict, cidrs: list, limiters: dict, now: float) -> tuple[int, dict]:
    """The gateway's answer to a request: (status, headers)."""
    if not allowed(request["ip"], cidrs):
        return 403, {}
    if request["path"].startswith("/static/"):
        return 200, {"X-Served-By": "gateway"}
    client = client_for(request.get("api_key"), api_keys)
    if client is None:
        return 401, {}
    limiter = limiters[client]
    if limiter.allow(now):
        return 200, {"X-Client-Id": client}
    wait = limiter.retry_after(now)
    return 429, {"Retry-After": str(max(1, int(-(-wait // 1))))}
'''

NAMED_IMPORT_GATE = '''from hmac import compare_digest


def gate(request: dict, api_keys: dict, cidrs: list, limiters: dict, now: float) -> tuple[int, dict]:
    """The gateway's answer to a request: (status, headers), with compare_digest imported by name."""
    if not allowed(request["ip"], cidrs):
        return 403, {}
    if request["path"].startswith("/static/"):
        return 200, {"X-Served-By": "gateway"}
    presented = request.get("api_key") or ""
    found = [name for name, key in api_keys.items() if compare_digest(key.encode(), presented.encode())]
    if not presented or not found:
        return 401, {}
    if not limiters[found[0]].allow(now):
        return 429, {"Retry-After": str(max(1, math.ceil(limiters[found[0]].retry_after(now))))}
    return 200, {"X-Client-Id": found[0]}
'''

OWN = "graded on your own code"

ANSWERS = [
    # Part A: the token bucket
    Answer("A", "the bucket starts empty", {"token_bucket": ("self.tokens = self.capacity", "self.tokens = 0.0")},
           fails={"test_token_bucket_basics": "starts full", "test_token_bucket_bound": "after a long pause"}),
    Answer("A", "no cap at capacity",
           {"token_bucket": ("min(self.capacity, self.tokens + (now - self.last) * self.refill_per_s)",
                             "self.tokens + (now - self.last) * self.refill_per_s")},
           fails={"test_token_bucket_bound": "holds 3 tokens (capacity), not 102"}),
    Answer("A", "retry_after ignores the part of a token already refilled",
           {"token_bucket": ("return max(0.0, (1.0 - self.tokens) / self.refill_per_s)",
                             "return 0.0 if self.tokens >= 1 else 1 / self.refill_per_s")},
           fails={"test_token_bucket_basics": "retry_after(1.0) should be 1.0"}),
    Answer("A", "a capacity below one token is accepted",
           {"token_bucket": ("if capacity < 1 or refill_per_s <= 0:", "if capacity <= 0 or refill_per_s <= 0:")},
           fails={"test_token_bucket_basics": "TokenBucket(0.5, 1.0) must raise ValueError"}),
    Answer("A", "wraps the course's TokenBucket", {"token_bucket": WRAPPED_BUCKET},
           fails={"test_token_bucket_basics": OWN, "test_token_bucket_bound": OWN}),
    Answer("A", "GCRA: a theoretical arrival time instead of tokens", {"token_bucket": GCRA}),
    # Part B: the sliding-window log
    Answer("B", "refused requests are logged too (Xu's variant)", {"sliding_log": LOG_REMEMBERS_REFUSED},
           fails={"test_sliding_log_basics": "refused requests are not remembered",
                  "test_sliding_log_exact": "was refused though fewer than"}),
    Answer("B", "a time leaves the window one tick late",
           {"sliding_log": ("self.log[0] <= now - self.window_s", "self.log[0] < now - self.window_s")},
           fails={"test_sliding_log_basics": "at 119.0 the request of 59.0 has left the window"}),
    Answer("B", "retry_after waits for the newest request instead of the oldest",
           {"sliding_log": ("return self.log[0] + self.window_s - now", "return self.log[-1] + self.window_s - now")},
           fails={"test_sliding_log_basics": "retry_after(119.0) should be 0.5",
                  "test_sliding_log_exact": "must still be refused"}),
    Answer("B", "a limit of 2.5 is accepted",
           {"sliding_log": ("isinstance(limit, bool) or not isinstance(limit, int) or ", "")},
           fails={"test_sliding_log_basics": "SlidingWindowLog(2.5, 1.0) must raise ValueError"}),
    Answer("B", "wraps the course's SlidingWindowLog", {"sliding_log": WRAPPED_LOG},
           fails={"test_sliding_log_basics": OWN, "test_sliding_log_exact": OWN}),
    Answer("B", "a sorted list cut with bisect", {"sliding_log": BISECT_LOG}),
    # Part C: the allowlist
    Answer("C", "host bits accepted (strict=False)",
           {"allowlist": ("ipaddress.ip_network(cidr, strict=True)", "ipaddress.ip_network(cidr, strict=False)")},
           fails={"test_allowlist": "allowed('10.1.1.1', ['10.0.0.1/8']) must raise ValueError"}),
    Answer("C", "all networks instead of any", {"allowlist": ("return any(", "return all(")},
           fails={"test_allowlist": "192.168.1.77 is in 192.168.1.0/24"}),
    Answer("C", "bad entries allow nobody instead of raising", {"allowlist": SWALLOWS_ERRORS},
           fails={"test_allowlist": "must raise ValueError"}),
    Answer("C", "IPv4 only", {"allowlist": IPV4_ONLY},
           fails={"test_allowlist": "should be True, got \"AddressValueError: Expected 4 octets",
                  "test_pipeline_order": "AddressValueError"}),
    Answer("C", "wraps the course's is_allowed", {"allowlist": WRAPPED_ALLOWLIST},
           fails={"test_allowlist": OWN}),
    Answer("C", "compares leading bits by hand", {"allowlist": BITS}),
    # Part D: the pipeline
    Answer("D", "== with a comment naming compare_digest",
           {"pipeline": ("if hmac.compare_digest(key.encode(), presented.encode()):",
                         "if key == presented:  # TODO use hmac.compare_digest")},
           fails={"test_pipeline_statuses": "compare keys with hmac.compare_digest"}),
    Answer("D", "finds the client with a dict lookup, then compare_digest",
           {"pipeline": (KEY_CHECK, DICT_LOOKUP_FIRST)},
           fails={"test_pipeline_statuses": "against every client's key"}),
    Answer("D", "Retry-After rounded to the nearest second",
           {"pipeline": ("str(max(1, math.ceil(limiter.retry_after(now))))",
                         "str(max(1, round(limiter.retry_after(now))))")},
           fails={"test_pipeline_statuses": "rounded up"}),
    Answer("D", "static files need a key", {"pipeline": (STATIC_CHECK, "")},
           fails={"test_pipeline_statuses": "static files are served without a key",
                  "test_pipeline_order": "static files come before the key and the limit"}),
    Answer("D", "one limiter for every client",
           {"pipeline": ("limiter = limiters[client]", "limiter = next(iter(limiters.values()))")},
           fails={"test_pipeline_statuses": "each client has its own limiter",
                  "test_pipeline_order": "only bob's limiter is asked"}),
    Answer("D", "wraps the course's find_client", {"pipeline": (KEY_CHECK, WRAPPED_FIND_CLIENT)},
           fails={"test_pipeline_statuses": OWN, "test_pipeline_order": OWN}),
    Answer("D", "a helper of its own that calls secrets.compare_digest", {"pipeline": HELPER_GATE}),
    Answer("D", "compare_digest imported by name", {"pipeline": NAMED_IMPORT_GATE}),
]


(
    graded,
    test_grading_fails_each_wrong_answer_with_its_reason_and_passes_each_right_one,
    test_every_part_has_three_wrong_answers_and_a_right_one_written_differently,
) = corpus_tests(ASSIGNMENT, NOTEBOOK, ANSWERS, parts="ABCD")
