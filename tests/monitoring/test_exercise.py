"""Exercise 10 (metrics-and-logs) grades what learners really write: wrong answers fail, right ones pass.

Each answer is graded by nbgrader as in a class (tests/answer_variants.py).
"""

from __future__ import annotations

from answer_variants import Answer, corpus_tests

ASSIGNMENT, NOTEBOOK = "10-monitoring", "metrics-and-logs.ipynb"

FIRST_DIGIT_CLASS = '''ROUTES = ("/orders", "/cart", "/search")


class ShopMetrics:
    """Counter and histogram, labels bounded by a lookup."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter("shop_requests", "Requests", labelnames=("route", "status"), registry=registry)
        self.duration = Histogram(
            "shop_request_duration_seconds", "Latency", labelnames=("route",), registry=registry
        )

    def observe(self, route: str, status: int, seconds: float) -> None:
        """Record one request."""
        if status < 100 or status > 599 or seconds < 0:
            raise ValueError(f"bad status {status} or seconds {seconds}")
        route = {r: r for r in ROUTES}.get(route, "other")
        self.requests.labels(route, str(status)[0] + "xx").inc()
        self.duration.labels(route).observe(seconds)
'''

INCREASE_BY_PAIRS = '''def increase(times_s: list[float], values: list[float], t_eval_s: float, range_s: float):
    """increase() summed pair by pair, a drop counting the new value as the growth."""
    kept = [(t, v) for t, v in zip(times_s, values, strict=True) if t_eval_s - range_s <= t <= t_eval_s]
    if len(kept) < 2:
        return None
    growth = 0.0
    for (_, a), (_, b) in zip(kept, kept[1:], strict=False):
        growth += b - a if b >= a else b
    t0, v0 = kept[0]
    t1 = kept[-1][0]
    span = t1 - t0
    step = span / (len(kept) - 1)
    before = t0 - (t_eval_s - range_s)
    after = t_eval_s - t1
    if growth > 0 and v0 >= 0:
        before = min(before, span * (v0 / growth))
    total = span + (before if before < step * 1.1 else step / 2) + (after if after < step * 1.1 else step / 2)
    return growth * (total / span)
'''

QUANTILE_BY_BISECT = '''import bisect


def histogram_quantile(q: float, bounds: list[float], counts: list[float]) -> float:
    """The q-quantile from cumulative counts, the bucket found with bisect."""
    if q < 0 or q > 1:
        raise ValueError(f"q={q} is outside [0, 1]")
    if sorted(set(bounds)) != list(bounds):
        raise ValueError("bounds must be strictly increasing")
    rank = q * counts[-1]
    b = bisect.bisect_left(counts, rank)
    if b >= len(bounds) - 1:
        return bounds[-2]
    lower_bound, lower_count = (0.0, 0.0) if b == 0 else (bounds[b - 1], counts[b - 1])
    fraction = (rank - lower_count) / (counts[b] - lower_count)
    return lower_bound + fraction * (bounds[b] - lower_bound)
'''

TRACEPARENT_BY_REGEX = '''import re

HEADER = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")


def parse_traceparent(header: str) -> tuple[str, str, str]:
    """(trace_id, parent_id, flags), checked with one regular expression."""
    match = HEADER.fullmatch(header)
    if not match or match[1] != "00" or int(match[2], 16) == 0 or int(match[3], 16) == 0:
        raise ValueError(f"invalid traceparent {header!r}")
    return match[2], match[3], match[4]


def child_traceparent(header: str, rng: random.Random) -> str:
    """Same trace and flags, a fresh non-zero parent id."""
    trace_id, _, flags = parse_traceparent(header)
    while (span := rng.getrandbits(64)) == 0:
        pass
    return "-".join(["00", trace_id, format(span, "016x"), flags])
'''

SEARCH_BY_COUNTS = '''def trace_of(index: LogIndex, trace_id: str) -> list[dict]:
    """Every record of one trace, sorted by service, then event."""
    found = index.search(f'trace_id:"{trace_id}"', limit=max(1, index.count(f'trace_id:"{trace_id}"')))
    found.sort(key=lambda r: r.get("event", ""))
    found.sort(key=lambda r: r.get("service", ""))
    return found


def errors_by_service(index: LogIndex) -> list[tuple[str, int]]:
    """(service, errors) counted with one query per service."""
    services = sorted({name for name, _ in index.terms("service", size=100)})
    counts = [(s, index.count(f"level:error AND service:{s}")) for s in services]
    counts = [(s, n) for s, n in counts if n]
    return sorted(counts, key=lambda item: -item[1])
'''

ANSWERS = [
    # Part A: instrument
    Answer(
        "A",
        "raw status code as a label",
        {"shop_metrics": ('status=f"{status // 100}xx"', "status=str(status)")},
        fails={"test_shop_metrics": '"2xx"'},
    ),
    Answer(
        "A",
        "raw path as the route label",
        {"shop_metrics": ('label = route if route in ROUTES else "other"', "label = route")},
        fails={"test_shop_metrics": 'route="other"'},
    ),
    Answer(
        "A",
        "no check on the status or the time",
        {
            "shop_metrics": (
                "        if not 100 <= status <= 599:\n"
                '            raise ValueError(f"status must be from 100 to 599, got {status}")\n'
                "        if seconds < 0:\n"
                '            raise ValueError(f"seconds must be >= 0, got {seconds}")\n',
                "",
            )
        },
        fails={"test_shop_metrics": "must raise ValueError"},
    ),
    Answer(
        "A",
        "metrics in the global registry",
        {"shop_metrics": (', ["route", "status"], registry=registry)', ', ["route", "status"])')},
        fails={"test_shop_metrics": "shop_requests_total"},
    ),
    Answer("A", "labels by position, class from the first digit", {"shop_metrics": FIRST_DIGIT_CLASS}),
    # Part B: increase()
    Answer(
        "B",
        "last minus first, restarts ignored",
        {"increase": ("            result += previous\n", "            pass\n")},
        fails={"test_increase": "expected 500"},
    ),
    Answer(
        "B",
        "no extrapolation to the window's edges",
        {"increase": ("    return result * (extended / sampled)", "    return result")},
        fails={"test_increase": "should be"},
    ),
    Answer(
        "B",
        "extrapolates below the counter's zero",
        {
            "increase": (
                "    if result > 0 and first >= 0:\n        to_start = min(to_start, sampled * first / result)\n",
                "",
            )
        },
        fails={"test_increase": "should be"},
    ),
    Answer(
        "B",
        "a left-open window (Prometheus 3 semantics)",
        {"increase": ("if start <= t <= t_eval_s", "if start < t <= t_eval_s")},
        fails={"test_increase": "expected 500"},
    ),
    Answer("B", "pair by pair", {"increase": INCREASE_BY_PAIRS}),
    # Part C: histogram_quantile
    Answer(
        "C",
        "the bucket's upper bound, no interpolation",
        {
            "histogram_quantile": (
                "    return low + (bounds[b] - low) * (rank - below) / (counts[b] - below)",
                "    return bounds[b]",
            )
        },
        fails={"test_histogram_quantile": "expected 0.2"},
    ),
    Answer(
        "C",
        "a rank in the +Inf bucket gives inf",
        {"histogram_quantile": ("        return bounds[-2]", "        return bounds[-1]")},
        fails={"test_histogram_quantile": "should be"},
    ),
    Answer(
        "C",
        "q is not checked",
        {
            "histogram_quantile": (
                '    if not 0 <= q <= 1:\n        raise ValueError(f"q must be from 0 to 1, got {q}")\n',
                "",
            )
        },
        fails={"test_histogram_quantile": "must raise ValueError"},
    ),
    Answer("C", "bisect", {"histogram_quantile": QUANTILE_BY_BISECT}),
    # Part D: traceparent
    Answer(
        "D",
        "uppercase hex accepted",
        {"traceparent": ('"0123456789abcdef"', '"0123456789abcdefABCDEF"')},
        fails={"test_traceparent": "must raise ValueError"},
    ),
    Answer(
        "D",
        "the child always says sampled",
        {"traceparent": ('return f"00-{trace_id}-{span}-{flags}"', 'return f"00-{trace_id}-{span}-01"')},
        fails={"test_traceparent": "keep the trace id and flags"},
    ),
    Answer(
        "D",
        "the caller's header passed on unchanged",
        {"traceparent": ('return f"00-{trace_id}-{span}-{flags}"', "return header")},
        fails={"test_traceparent": "expected 00-"},
    ),
    Answer("D", "one regular expression", {"traceparent": TRACEPARENT_BY_REGEX}),
    # Part E: search
    Answer(
        "E",
        "errors ordered by name, backwards",
        {"search": ("key=lambda item: (-item[1], item[0])", "key=lambda item: item[0], reverse=True")},
        fails={"test_search": "expected [('orders', 1), ('payments', 1)]"},
    ),
    Answer(
        "E",
        "the trace in index order",
        {
            "search": (
                '    return sorted(hits, key=lambda r: (r.get("service", ""), r.get("event", "")))',
                "    return hits",
            )
        },
        fails={"test_search": "req-1 has one line in orders"},
    ),
    Answer(
        "E",
        "every level counted",
        {"search": ('index.terms("service", "level:error", size=1000)', 'index.terms("service", "*", size=1000)')},
        fails={"test_search": "expected [('orders', 1), ('payments', 1)]"},
    ),
    Answer("E", "one count per service, stable sorts", {"search": SEARCH_BY_COUNTS}),
]


(
    graded,
    test_grading_fails_each_wrong_answer_with_its_reason_and_passes_each_right_one,
    test_every_part_has_three_wrong_answers_and_a_right_one_written_differently,
) = corpus_tests(ASSIGNMENT, NOTEBOOK, ANSWERS, parts="ABCDE")
