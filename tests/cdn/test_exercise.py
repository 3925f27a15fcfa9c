"""Exercise 06 (edge-cache) grades what learners really write: wrong answers fail and say why, other right ones pass.

Each answer is graded by nbgrader as in a class (tests/answer_variants.py).
"""

from __future__ import annotations

from answer_variants import Answer, corpus_tests

ASSIGNMENT, NOTEBOOK = "06-content-delivery-networks", "edge-cache.ipynb"

SLIDING_EXPIRY = '''class EdgeCache:
    """An LRU cache whose entries live ttl_s after their last use (sliding expiry: wrong for a CDN)."""

    def __init__(self, capacity: int) -> None:
        self.hits = 0
        self.misses = 0
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"capacity must be an int >= 1, got {capacity!r}")
        self.capacity = capacity
        self.entries: OrderedDict = OrderedDict()

    def get(self, key, now: float):
        entry = self.entries.get(key)
        if entry is not None and now < entry[1]:
            value, _, ttl_s = entry
            self.entries[key] = (value, now + ttl_s, ttl_s)  # a hit renews the lifetime
            self.entries.move_to_end(key)
            self.hits += 1
            return value
        if entry is not None:
            del self.entries[key]
        self.misses += 1
        return None

    def put(self, key, value, ttl_s: float, now: float) -> None:
        if ttl_s <= 0:
            return
        if key in self.entries:
            del self.entries[key]
        elif len(self.entries) >= self.capacity:
            self.entries.popitem(last=False)
        self.entries[key] = (value, now + ttl_s, ttl_s)

    def __len__(self) -> int:
        return len(self.entries)
'''

WRAPS_THE_COURSE_CACHE = '''class EdgeCache:
    """A thin wrapper around the course's cache."""

    def __init__(self, capacity: int) -> None:
        if isinstance(capacity, bool):
            raise ValueError("capacity must be an int")
        self._cache = helpers.cdn.LruTtlCache(capacity)

    hits = property(lambda self: self._cache.hits)
    misses = property(lambda self: self._cache.misses)

    def get(self, key, now: float):
        return self._cache.get(key, now)

    def put(self, key, value, ttl_s: float, now: float) -> None:
        self._cache.put(key, value, ttl_s, now)

    def __len__(self) -> int:
        return len(self._cache)
'''

PLAIN_DICT = '''class EdgeCache:
    """At most `capacity` entries in a plain dict (insertion order = recency), each with its stored time and TTL."""

    def __init__(self, capacity: int) -> None:
        self.hits = 0
        self.misses = 0
        if type(capacity) is not int or capacity <= 0:
            raise ValueError(f"capacity must be a positive int, got {capacity!r}")
        self.capacity = capacity
        self.store = {}

    def get(self, key, now: float):
        if key in self.store:
            value, stored_at, ttl_s = self.store.pop(key)
            if now - stored_at < ttl_s:
                self.store[key] = (value, stored_at, ttl_s)  # re-inserted: now the most recent
                self.hits += 1
                return value
        self.misses += 1
        return None

    def put(self, key, value, ttl_s: float, now: float) -> None:
        if not ttl_s > 0:
            return
        if key not in self.store and len(self.store) == self.capacity:
            del self.store[next(iter(self.store))]
        self.store.pop(key, None)
        self.store[key] = (value, now, ttl_s)

    def __len__(self) -> int:
        return len(self.store)
'''

COUNTING_BY_HAND = '''def ttl_hit_ratio(rate_per_s: float, ttl_s: float) -> float:
    """λT/(1+λT), written as one minus the miss ratio."""
    return 1.0 - 1.0 / (1.0 + rate_per_s * ttl_s)


def replay(times, ids, ttl_s: float, capacity: int) -> float:
    """Hit ratio of EdgeCache(capacity) over a trace, hits counted by hand."""
    cache, hits, requests = EdgeCache(capacity), 0, 0
    for index in range(len(times)):
        requests += 1
        found = cache.get(ids[index], times[index])
        if found is not None:
            hits += 1
        else:
            cache.put(ids[index], "copy", ttl_s, times[index])
    return hits / requests if requests else 0.0
'''

SIMULATES_WITH_HELPERS = '''def ttl_hit_ratio(rate_per_s: float, ttl_s: float) -> float:
    """λT/(1+λT)."""
    return float(rate_per_s * ttl_s / (1 + rate_per_s * ttl_s))


def replay(times, ids, ttl_s: float, capacity: int) -> float:
    """The course's TTL simulation instead of my cache."""
    if len(times) == 0:
        return 0.0
    return float(helpers.cdn.simulate_ttl(np.asarray(times), np.asarray(ids), ttl_s).mean())
'''

MISS_RATIO_AND_STORAGE = '''def site_costs(site: dict) -> dict:
    """The five numbers, from the miss ratio and the stored objects per edge."""
    shares = zipf_popularity(site["objects"], site["zipf_exponent"])
    edges, ttl = site["edges"], site["ttl_s"]
    load = site["requests_per_s"] / edges * shares * ttl  # λᵢT: requests per TTL at one edge
    stored_per_edge = float(np.sum(load / (1 + load)))
    return {
        "pull_hit_ratio": 1 - float(np.sum(shares / (1 + load))),
        "pull_egress_per_s": edges * stored_per_edge / ttl,  # Σ λ/(1+λT) = Σ (λT/(1+λT)) / T
        "pull_storage": edges * stored_per_edge,
        "push_egress_per_s": site["objects"] * edges * site["updates_per_day"] / (24 * 3600),
        "push_storage": float(site["objects"] * edges),
    }


def choose(site: dict, target: float = 0.9) -> str:
    """Pull unless its hit ratio falls short of the target."""
    if site_costs(site)["pull_hit_ratio"] < target:
        return "push"
    return "pull"
'''

WRAPS_PUSH_PULL_COSTS = '''def site_costs(site: dict) -> dict:
    """The course's model, renamed."""
    costs = helpers.cdn.push_pull_costs([site["requests_per_s"]], site["objects"], site["ttl_s"],
                                        site["updates_per_day"] / 86_400, site["edges"], site["zipf_exponent"])
    return {
        "pull_hit_ratio": float(costs.pull_hit_ratio[0]),
        "pull_egress_per_s": float(costs.pull_egress_per_s[0]),
        "pull_storage": float(costs.pull_storage[0]),
        "push_egress_per_s": float(costs.push_egress_per_s),
        "push_storage": float(costs.push_storage),
    }


def choose(site: dict, target: float = 0.9) -> str:
    return "pull" if site_costs(site)["pull_hit_ratio"] >= target else "push"
'''

OWN = "graded on your own code"

ANSWERS = [
    # Part A: the cache
    Answer("A", "put stores ttl-0 entries (and evicts for them)",
           {"edge_cache": ("        if ttl_s <= 0:\n            return\n", "")},
           fails={"test_ttl": "must neither store nor evict"}),
    Answer("A", "a hit extends the entry's lifetime", {"edge_cache": SLIDING_EXPIRY},
           fails={"test_ttl": "does not extend it", "test_replay": "check that your EdgeCache"}),
    Answer("A", "get never marks an entry as recently used (FIFO, not LRU)",
           {"edge_cache": ("            self.entries.move_to_end(key)\n", "")},
           fails={"test_lru": "'b' was the least recently used"}),
    Answer("A", "fresh at exactly ttl_s", {"edge_cache": ("now < entry[1]", "now <= entry[1]")},
           fails={"test_ttl": "has expired at 160 (age >= max-age is stale)"}),
    Answer("A", "an expired entry is left in place", {"edge_cache": ("        if entry is not None:\n"
                                                                     "            del self.entries[key]\n", "")},
           fails={"test_ttl": "must be removed"}),
    Answer("A", "True is accepted as a capacity", {"edge_cache": ("isinstance(capacity, bool) or ", "")},
           fails={"test_lru": "EdgeCache(capacity=True) must raise ValueError: capacity is an int >= 1"}),
    Answer("A", "wraps the course's LruTtlCache", {"edge_cache": WRAPS_THE_COURSE_CACHE},
           fails={"test_lru": OWN, "test_ttl": OWN, "test_replay": OWN}),
    Answer("A", "a plain dict, stored time and TTL kept, re-inserted on a hit", {"edge_cache": PLAIN_DICT}),
    # Part B: the model and the replay
    Answer("B", "ttl_hit_ratio forgets to divide by 1 + λT",
           {"replay": ("return float(product / (1 + product))", "return float(product)")},
           fails={"test_model": "expected 9/(1+9) = 0.9"}),
    Answer("B", "replay puts on every request, refreshing hits",
           {"replay": ("        if cache.get(key, now=time) is None:\n            cache.put(",
                       "        cache.get(key, now=time)\n        cache.put(")},
           fails={"test_replay": "expected 0.4, got 0.6"}),
    Answer("B", "replay divides hits by misses", {"replay": ("cache.hits / len(times)", "cache.hits / cache.misses")},
           fails={"test_replay": "expected 0.4, got 0.666"}),
    Answer("B", "replay uses the course's simulate_ttl", {"replay": SIMULATES_WITH_HELPERS},
           fails={"test_replay": OWN}),
    Answer("B", "ttl_hit_ratio calls the course's",
           {"replay": ("    product = rate_per_s * ttl_s\n    return float(product / (1 + product))",
                       "    return float(helpers.cdn.ttl_hit_ratio(rate_per_s, ttl_s))")},
           fails={"test_model": OWN}),
    Answer("B", "one minus the miss ratio, hits counted by hand", {"replay": COUNTING_BY_HAND}),
    # Part C: push or pull
    Answer("C", "hit ratio as an unweighted mean over objects",
           {"choose": ("float(np.sum(shares * hit))", "float(np.mean(hit))")},
           fails={"test_site_costs": "weight each object's", "test_choose": "if Part C's first test fails"}),
    Answer("C", "traffic not split over the edges",
           {"choose": ('site["requests_per_s"] * shares / site["edges"]', 'site["requests_per_s"] * shares')},
           fails={"test_site_costs": "pull hit ratio: expected about 0.1729", "test_choose": "news: pull hit ratio"}),
    Answer("C", "updates per day used as per second",
           {"choose": ('site["updates_per_day"] / 86_400 *', 'site["updates_per_day"] *')},
           fails={"test_site_costs": "push uploads u x objects x edges per second"}),
    Answer("C", "choose needs more than the target", {"choose": (">= target", "> target")},
           fails={"test_choose": "compare with >="}),
    Answer("C", "site_costs wraps the course's push_pull_costs", {"choose": WRAPS_PUSH_PULL_COSTS},
           fails={"test_site_costs": OWN, "test_choose": OWN}),
    Answer("C", "hit ratio from the miss ratio, egress from storage", {"choose": MISS_RATIO_AND_STORAGE}),
]


(
    graded,
    test_grading_fails_each_wrong_answer_with_its_reason_and_passes_each_right_one,
    test_every_part_has_three_wrong_answers_and_a_right_one_written_differently,
) = corpus_tests(ASSIGNMENT, NOTEBOOK, ANSWERS, parts="ABC")
