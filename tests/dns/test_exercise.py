"""Exercise 04 (routing-policies) grades what learners write: wrong answers fail and say why, right ones pass.

Each answer is graded by nbgrader as in a class (tests/answer_variants.py).
"""

from __future__ import annotations

from answer_variants import Answer, corpus_tests

ASSIGNMENT, NOTEBOOK = "04-dns", "routing-policies.ipynb"

INTEGER_WEIGHTS = '''def _check(weights: dict[str, int]) -> None:
    if not weights:
        raise ValueError("no weights")
    for name, weight in weights.items():
        if type(weight) is not int or weight < 0 or weight > 255:
            raise ValueError(f"bad weight for {name}: {weight!r}")


def shares(weights: dict[str, int]) -> dict[str, float]:
    """Each name's share, from integer arithmetic on the weights."""
    _check(weights)
    counted = weights if any(weights.values()) else dict.fromkeys(weights, 1)
    total = sum(counted.values())
    return {name: weight / total for name, weight in counted.items()}


def weighted_pick(weights: dict[str, int], u: float) -> str:
    """Walk the cumulative integer weights until they pass u x total."""
    _check(weights)
    if type(u) not in (int, float) or not 0 <= u < 1:
        raise ValueError(f"u must be in [0, 1), got {u!r}")
    counted = weights if any(weights.values()) else dict.fromkeys(weights, 1)
    threshold, cumulative, last = u * sum(counted.values()), 0, None
    for name, weight in counted.items():
        cumulative += weight
        if weight:
            last = name
            if cumulative > threshold:
                return name
    return last
'''

WRAPPED_WEIGHTS = '''import helpers.dns as course


def shares(weights: dict[str, int]) -> dict[str, float]:
    """The course's shares, in a dict."""
    if not weights or any(type(w) is not int for w in weights.values()):
        raise ValueError("bad weights")
    return dict(zip(weights, course.weighted_shares(list(weights.values())).tolist(), strict=True))


def weighted_pick(weights: dict[str, int], u: float) -> str:
    """The course's weighted choice, by name."""
    pool = [course.Endpoint(name, "192.0.2.1", weight) for name, weight in weights.items()]
    return course.weighted_choice(pool, u).name
'''

MIN_WITH_KEY = '''def geolocation_pick(records: dict[str, str], user_location: str) -> str | None:
    """The address for the user's location, else the default, else None."""
    for wanted in (user_location, "default"):
        if wanted in records:
            return records[wanted]
    return None


def latency_pick(latency_ms: dict[str, float], healthy: set[str]) -> str | None:
    """min over the healthy, measured regions, ties to the first."""
    if any(latency < 0 for latency in latency_ms.values()):
        raise ValueError(f"negative latency in {latency_ms}")
    order = list(latency_ms)
    candidates = [region for region in order if region in healthy]
    if not candidates:
        return None
    return min(candidates, key=lambda region: (latency_ms[region], order.index(region)))
'''

WRAPPED_LOCATION = '''import helpers.dns as course


def geolocation_pick(records: dict[str, str], user_location: str) -> str | None:
    """The course's geolocation choice."""
    pool = [course.Endpoint(where, address, location=where) for where, address in records.items()]
    if not pool:
        return None
    chosen = course.geolocation_choice(pool, user_location)
    return None if chosen is None else chosen.address


def latency_pick(latency_ms: dict[str, float], healthy: set[str]) -> str | None:
    """The course's latency choice."""
    pool = [course.Endpoint(region, "192.0.2.1", location=region, healthy=region in healthy) for region in latency_ms]
    if not pool:
        return None
    chosen = course.latency_choice(pool, latency_ms)
    return None if chosen is None else chosen.name
'''

TWO_DICTS = '''class TtlCache:
    """A resolver's cache: values and expiry times in two dicts."""

    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0
        self.values: dict[str, object] = {}
        self.expiry: dict[str, float] = {}

    @staticmethod
    def _key(name: str) -> str:
        return name.casefold().removesuffix(".")

    def put(self, name: str, value: object, ttl: int, now: float) -> None:
        """Store value until now + ttl; ttl 0 stores nothing and drops the old entry."""
        if ttl < 0:
            raise ValueError("negative ttl")
        key = self._key(name)
        self.values.pop(key, None)
        self.expiry.pop(key, None)
        if ttl > 0:
            self.values[key], self.expiry[key] = value, now + ttl

    def get(self, name: str, now: float) -> tuple[bool, object]:
        """(True, value) while fresh, else (False, None)."""
        key = self._key(name)
        if now < self.expiry.get(key, float("-inf")):
            self.hits += 1
            return True, self.values[key]
        self.misses += 1
        return False, None
'''

WRAPPED_CACHE = '''import helpers.dns as course


class TtlCache(course.TtlCache):
    """The course's cache, with the exercise's get."""

    def get(self, name: str, now: float) -> tuple[bool, object]:  # type: ignore[override]
        entry = super().get(name, now)
        return (False, None) if entry is None else (True, entry.value)
'''

CLAMPED = '''def stale_share(t: float, ttl: float) -> float:
    """Share still on the old record: the part of one TTL not yet elapsed, clamped to [0, 1]."""
    if ttl <= 0 or t < 0:
        raise ValueError(f"need ttl > 0 and t >= 0, got t={t}, ttl={ttl}")
    return min(1.0, max(0.0, (ttl - t) / ttl))


def time_until_seen(fraction: float, ttl: float) -> float:
    """Seconds until fraction of resolvers have the new record."""
    if ttl <= 0 or not 0 <= fraction <= 1:
        raise ValueError(f"need ttl > 0 and 0 <= fraction <= 1, got {fraction}, {ttl}")
    return fraction * float(ttl)
'''

WRAPPED_STALENESS = '''import helpers.dns as course


def stale_share(t: float, ttl: float) -> float:
    """The course's staleness."""
    return float(course.stale_fraction(t, ttl))


def time_until_seen(fraction: float, ttl: float) -> float:
    """The course's time until seen."""
    return course.time_until_seen(fraction, ttl)
'''

ANSWERS = [
    # Part A: weighted routing
    Answer("A", "all-zero weights divide by zero",
           {"weighted": ("    if total == 0:\n        return {name: 1 / len(weights) for name in weights}\n", "")},
           fails={"test_shares": "division by zero", "test_weighted_pick": "division by zero"}),
    Answer("A", "u equal to a running total picks the earlier name",
           {"weighted": ("if part > 0 and running > u:", "if part > 0 and running >= u:")},
           fails={"test_weighted_pick": "u from 0.25 on should pick eu-west"}),
    Answer("A", "a bool is taken as a weight",
           {"weighted": ("if isinstance(weight, bool) or not isinstance(weight, int)",
                         "if not isinstance(weight, int)")},
           fails={"test_shares": "a bool is not a weight"}),
    Answer("A", "u is never checked",
           {"weighted": ('    if isinstance(u, bool) or not isinstance(u, (int, float)) or not 0 <= u < 1:\n'
                         '        raise ValueError(f"u must be a number in [0, 1), got {u!r}")\n', "")},
           fails={"test_weighted_pick": "must raise ValueError: u is a number in [0, 1)"}),
    Answer("A", "wraps the course's weighted_shares and weighted_choice", {"weighted": WRAPPED_WEIGHTS},
           fails={"test_shares": "graded on your own code", "test_weighted_pick": "graded on your own code"}),
    Answer("A", "integer cumulative weights", {"weighted": INTEGER_WEIGHTS}),
    # Part B: geolocation and latency routing
    Answer("B", "negative latencies checked only among healthy regions",
           {"location": ("        if latency < 0:\n            raise", "        if region in healthy and latency < 0:\n"
                         "            raise")},
           fails={"test_latency": "also for a region that is not healthy"}),
    Answer("B", "health ignored: the fastest region wins",
           {"location": ("if region in healthy and (best is None", "if (best is None")},
           fails={"test_latency": "a failed region must not be picked"}),
    Answer("B", "a tie goes to the last region",
           {"location": ("latency < latency_ms[best]", "latency <= latency_ms[best]")},
           fails={"test_latency": "a tie goes to the region that comes first"}),
    Answer("B", "the default is tried before the user's location",
           {"location": ("    if user_location in records:\n        return records[user_location]\n"
                         '    return records.get("default")',
                         '    return records.get("default", records.get(user_location))')},
           fails={"test_geolocation": "a user in Europe gets Europe's record"}),
    Answer("B", "the fastest region, then None if it has failed",
           {"location": ("        if region in healthy and (best is None or latency < latency_ms[best]):\n"
                         "            best = region\n    return best",
                         "        if best is None or latency < latency_ms[best]:\n            best = region\n"
                         "    return best if best in healthy else None")},
           fails={"test_latency": "a failed region must not be picked"}),
    Answer("B", "wraps the course's geolocation_choice and latency_choice", {"location": WRAPPED_LOCATION},
           fails={"test_geolocation": "graded on your own code", "test_latency": "graded on your own code"}),
    Answer("B", "min with a key over the healthy regions", {"location": MIN_WITH_KEY}),
    # Part C: the TTL cache
    Answer("C", "fresh until and including now + ttl",
           {"cache": ("if entry is not None and now < entry[1]:", "if entry is not None and now <= entry[1]:")},
           fails={"test_cache_ttl": "expired at exactly now + ttl", "test_cache_negative": "expires after its"}),
    Answer("C", "names kept as written",
           {"cache": ('        key = name.lower().rstrip(".")\n', "        key = name\n")},
           fails={"test_cache_ttl": "case-insensitive"}),
    Answer("C", "a cached None is taken for a miss",
           {"cache": ("if entry is not None and now < entry[1]:",
                      "if entry is not None and entry[0] is not None and now < entry[1]:")},
           fails={"test_cache_negative": "a cached NXDOMAIN is returned as (True, None)"}),
    Answer("C", "ttl 0 keeps the older entry",
           {"cache": ("            self.entries.pop(key, None)\n            return", "            return")},
           fails={"test_cache_ttl": "ttl 0: do not cache, and forget the old entry"}),
    Answer("C", "subclasses the course's TtlCache", {"cache": WRAPPED_CACHE},
           fails={"test_cache_ttl": "graded on your own code", "test_cache_negative": "graded on your own code"}),
    Answer("C", "two dicts and casefold", {"cache": TWO_DICTS}),
    # Part D: when a change is seen
    Answer("D", "no floor at 0",
           {"staleness": ("return max(0.0, 1.0 - t / ttl)", "return 1.0 - t / ttl")},
           fails={"test_staleness": "never a negative share"}),
    Answer("D", "time until seen counts the stale share",
           {"staleness": ("return float(fraction * ttl)", "return float((1 - fraction) * ttl)")},
           fails={"test_staleness": "90% after 0.9 x TTL"}),
    Answer("D", "a negative t is accepted",
           {"staleness": ('    if t < 0:\n        raise ValueError(f"t must be >= 0 seconds, got {t!r}")\n', "")},
           fails={"test_staleness": "t must be >= 0, so it must raise ValueError"}),
    Answer("D", "wraps the course's stale_fraction and time_until_seen", {"staleness": WRAPPED_STALENESS},
           fails={"test_staleness": "graded on your own code"}),
    Answer("D", "(ttl - t) / ttl, clamped", {"staleness": CLAMPED}),
]


(
    graded,
    test_grading_fails_each_wrong_answer_with_its_reason_and_passes_each_right_one,
    test_every_part_has_three_wrong_answers_and_a_right_one_written_differently,
) = corpus_tests(ASSIGNMENT, NOTEBOOK, ANSWERS, parts="ABCD")
