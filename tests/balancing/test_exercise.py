"""Exercise 05 (balancing-policies) grades what learners really write: wrong answers fail and say why, right ones pass.

Each answer is graded by nbgrader as in a class (tests/answer_variants.py). Wrong answers in
Part B also fail Part C's test_compare, which calls the learner's pickers: that cascade is
named with them.
"""

from __future__ import annotations

from answer_variants import Answer, corpus_tests

ASSIGNMENT, NOTEBOOK = "05-load-balancers", "balancing-policies.ipynb"
OWN_CODE = "graded on your own code"

SCORES_IN_A_DICT = '''class SmoothWRR:
    """Smooth weighted round robin, with the scores in a dict."""

    def __init__(self, weights: dict[str, int]) -> None:
        if not weights or any(type(w) is not int or w < 1 for w in weights.values()):
            raise ValueError(f"weights must be ints >= 1, got {weights!r}")
        self.weights = dict(weights)
        self.scores = dict.fromkeys(weights, 0)

    def next(self) -> str:
        for name in self.scores:
            self.scores[name] += self.weights[name]
        best = max(self.scores, key=self.scores.__getitem__)  # the first of equal scores, in dict order
        self.scores[best] -= sum(self.weights.values())
        return best
'''

NAIVE_WRR = '''class SmoothWRR:
    """Weighted round robin that sends each backend its weight in one run."""

    def __init__(self, weights: dict[str, int]) -> None:
        for name, weight in weights.items():
            if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
                raise ValueError(f"bad weight for {name}")
        if not weights:
            raise ValueError("no backends")
        self.turns = [name for name, weight in weights.items() for _ in range(weight)]
        self.position = 0

    def next(self) -> str:
        name = self.turns[self.position % len(self.turns)]
        self.position += 1
        return name
'''

WRAPPED_WRR = '''class SmoothWRR:
    """A thin wrapper around the course's smooth weighted round robin."""

    def __init__(self, weights: dict[str, int]) -> None:
        if not weights:
            raise ValueError("no backends")
        self.names = list(weights)
        self.policy = helpers.balancing.SmoothWeightedRoundRobin(list(weights.values()))

    def next(self) -> str:
        return self.names[self.policy.pick([0] * len(self.names))]
'''

PICKERS_BY_HAND = '''def least_connections(in_flight: list[int]) -> int:
    """Index of the backend with the fewest requests in flight (lowest index on a tie)."""
    if len(in_flight) == 0:
        raise ValueError("no backends")
    best = 0
    for index in range(1, len(in_flight)):
        if in_flight[index] < in_flight[best]:
            best = index
    return best


def power_of_two(in_flight: list[int], rng: np.random.Generator) -> int:
    """Index of the less busy of two distinct backends sampled at random."""
    if len(in_flight) == 0:
        raise ValueError("no backends")
    if len(in_flight) == 1:
        return 0
    sampled = [int(i) for i in rng.choice(len(in_flight), size=2, replace=False)]
    return min(sampled, key=lambda i: in_flight[i])  # min keeps the first of equal loads
'''

WRAPPED_PICKERS = '''def least_connections(in_flight: list[int]) -> int:
    """The course's least connections, wrapped."""
    return helpers.balancing.LeastConnections(len(in_flight)).pick(in_flight)


def power_of_two(in_flight: list[int], rng: np.random.Generator) -> int:
    """The course's power of two choices, wrapped."""
    return helpers.balancing.PowerOfTwoChoices(len(in_flight), rng).pick(in_flight)
'''

SIMULATION_WITH_BISECT = '''import bisect
import itertools


def serve(arrivals: list[float], sizes: list[float], speeds: list[float], pick) -> tuple[list[int], list[float]]:
    """(server of each job, response time of each job) when pick(queue_lengths) chooses servers."""
    if len(arrivals) != len(sizes) or len(speeds) == 0:
        raise ValueError("arrivals and sizes must match and speeds must not be empty")
    departures = [[] for _ in speeds]  # ascending per server: FIFO
    servers, times = [], []
    for t, size in zip(arrivals, sizes):
        lengths = [len(mine) - bisect.bisect_right(mine, t) for mine in departures]
        i = pick(lengths)
        free_at = departures[i][-1] if departures[i] else 0.0
        departures[i].append(max(t, free_at) + size / speeds[i])
        servers.append(i)
        times.append(departures[i][-1] - t)
    return servers, times


def compare(arrivals: list[float], sizes: list[float], speeds: list[float], seed: int) -> dict[str, dict]:
    """Shares and p99 response time for round robin, least connections and power of two."""
    report = {}
    rng = np.random.default_rng(seed)
    turns = itertools.cycle(range(len(speeds)))
    for name, pick in [("round-robin", lambda lengths: next(turns)), ("least-connections", least_connections),
                       ("power-of-two", lambda lengths: power_of_two(lengths, rng))]:
        servers, times = serve(arrivals, sizes, speeds, pick)
        counts = np.bincount(servers, minlength=len(speeds))
        report[name] = {"shares": (counts / len(servers)).tolist(), "p99": float(np.percentile(times, 99))}
    return report
'''

WRAPPED_COMPARE = '''def compare(arrivals: list[float], sizes: list[float], speeds: list[float],
            seed: int) -> dict[str, dict]:
    """The course's simulation, wrapped."""
    trace = helpers.balancing.Trace(np.array(arrivals), np.array(sizes))
    report = {}
    for name in ("round-robin", "least-connections", "power-of-two"):
        servers, departures = helpers.balancing.dispatch(trace, speeds, name, np.random.default_rng(seed))
        times = departures - trace.arrivals
        report[name] = {"shares": [float(np.mean(servers == i)) for i in range(len(speeds))],
                        "p99": float(np.percentile(times, 99))}
    return report
'''

ANSWERS = [
    # Part A: smooth weighted round robin
    Answer("A", "naive weighted round robin: each backend's turns in one run", {"smooth_wrr": NAIVE_WRR},
           fails={"test_smooth_wrr_sequence": "expected 'aabacaa' twice"}),
    Answer("A", "ties go to the last backend",
           {"smooth_wrr": ("chosen = max(range(len(self.names)), key=lambda index: self.current[index])",
                           "chosen = max(reversed(range(len(self.names))), key=lambda index: self.current[index])")},
           fails={"test_smooth_wrr_sequence": "the first in `weights` on a tie"}),
    Answer("A", "the winner pays back its own weight, not the total",
           {"smooth_wrr": ("self.current[chosen] -= self.total", "self.current[chosen] -= self.weights[chosen]")},
           fails={"test_smooth_wrr_sequence": "subtract the total of all weights"}),
    Answer("A", "True accepted as a weight",
           {"smooth_wrr": ("if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:",
                           "if not isinstance(weight, int) or weight < 1:")},
           fails={"test_smooth_wrr_errors": "a bool is not a weight"}),
    Answer("A", "wraps the course's SmoothWeightedRoundRobin", {"smooth_wrr": WRAPPED_WRR},
           fails={"test_smooth_wrr_sequence": OWN_CODE, "test_smooth_wrr_errors": "must raise ValueError"}),
    Answer("A", "scores in a dict, max over the dict", {"smooth_wrr": SCORES_IN_A_DICT}),
    # Part B: least connections and the power of two choices
    Answer("B", "least_connections returns the smallest count, not its index",
           {"pickers": ("return list(in_flight).index(min(in_flight))", "return min(in_flight)")},
           fails={"test_least_connections": "not its count", "test_compare": "least-connections"}),
    Answer("B", "least_connections breaks ties towards the last backend",
           {"pickers": ("return list(in_flight).index(min(in_flight))",
                        "return max(i for i, load in enumerate(in_flight) if load == min(in_flight))")},
           fails={"test_least_connections": "the first with 1 in flight", "test_compare": "least-connections"}),
    Answer("B", "power_of_two samples with replacement",
           {"pickers": ("rng.choice(len(in_flight), size=2, replace=False)", "rng.integers(len(in_flight), size=2)")},
           fails={"test_power_of_two": "sample two different backends", "test_compare": "power-of-two"}),
    Answer("B", "power_of_two keeps the busier of the two",
           {"pickers": ("return second if in_flight[second] < in_flight[first] else first",
                        "return second if in_flight[second] > in_flight[first] else first")},
           fails={"test_power_of_two": "should win about 50%", "test_compare": "should give the fastest server"}),
    Answer("B", "power_of_two returns a NumPy integer",
           {"pickers": ("first, second = (int(i) for i in rng.choice(", "first, second = (i for i in rng.choice(")},
           fails={"test_power_of_two": "return a plain int index"}),
    Answer("B", "wraps the course's LeastConnections and PowerOfTwoChoices", {"pickers": WRAPPED_PICKERS},
           fails={"test_least_connections": OWN_CODE, "test_power_of_two": OWN_CODE, "test_compare": OWN_CODE}),
    Answer("B", "a loop for least connections, min over the sample", {"pickers": PICKERS_BY_HAND}),
    # Part C: serve a trace and compare tails
    # No job departs exactly at an arrival in compare's traces, so only test_serve can see this one.
    Answer("C", "a job departing exactly at t still counts",
           {"simulation": ("sum(1 for d in mine if d > t)", "sum(1 for d in mine if d >= t)")},
           fails={"test_serve": "a job that departs exactly at t has left"}),
    Answer("C", "no queueing: every job starts when it arrives",
           {"simulation": ("start = max(t, departures[i][-1]) if departures[i] else t", "start = t")},
           fails={"test_serve": "a job waits for the previous job on its server",
                  "test_compare": "should give the fastest server the most jobs"}),
    Answer("C", "response time is the departure time",
           {"simulation": ("times.append(done - t)", "times.append(done)")},
           fails={"test_serve": "response time is departure - arrival",
                  "test_compare": "the p99 is of the response times serve returns, departure - arrival"}),
    Answer("C", "a new generator for every pick",
           {"simulation": ('"power-of-two": lambda lengths: power_of_two(lengths, rng),',
                           '"power-of-two": lambda lengths: power_of_two(lengths, np.random.default_rng(seed)),')},
           fails={"test_compare": "one generator made once per compare call"}),
    Answer("C", "shares as counts, not fractions",
           {"simulation": ("shares = [servers.count(i) / len(servers) for i in range(len(speeds))]",
                           "shares = [servers.count(i) for i in range(len(speeds))]")},
           fails={"test_compare": "must sum to 1"}),
    Answer("C", "compare wraps the course's dispatch",
           {"simulation": ("def compare(arrivals: list[float], sizes: list[float], speeds: list[float], seed: int)"
                           ' -> dict[str, dict]:\n    """Shares and p99 response time for round robin, least '
                           'connections and power of two."""\n',
                           WRAPPED_COMPARE + "\n\ndef unused(arrivals, sizes, speeds, seed):\n")},
           fails={"test_compare": OWN_CODE}),
    Answer("C", "bisect on sorted departures, itertools.cycle, np.bincount", {"simulation": SIMULATION_WITH_BISECT}),
]


(
    graded,
    test_grading_fails_each_wrong_answer_with_its_reason_and_passes_each_right_one,
    test_every_part_has_three_wrong_answers_and_a_right_one_written_differently,
) = corpus_tests(ASSIGNMENT, NOTEBOOK, ANSWERS, parts="ABC")
