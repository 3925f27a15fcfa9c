"""Testing services and releasing safely: flakes, canaries and their statistics, MTTR over MTBF (lesson 11).

Everything here is closed-form or vectorised with NumPy, and every random draw comes from a
``np.random.Generator`` passed in, so a simulation gives the same answer on every run.

- Test layers (section 1): a test that makes more network calls fails more often for reasons
  that have nothing to do with the code under test (``flake_probability``).
- Canary statistics (sections 5 and 6): how many requests each arm needs
  (``canary_sample_size``), how long that takes at a canary's share of the traffic
  (``time_to_decision_s``), the two-proportion z-test (``two_proportion_z``), a
  promote/rollback/wait rule (``canary_verdict``) and how often identical builds raise a false
  alarm with and without peeking (``false_alarm_rate``).
- Availability (section 7): ``availability``, ``downtime_s`` and an alternating-renewal
  simulation of failures and repairs (``simulate_outages``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from helpers import checks

__all__ = [
    "VERDICTS",
    "CanaryPlan",
    "CanaryRun",
    "Outages",
    "TestRuns",
    "availability",
    "canary_plan",
    "canary_sample_size",
    "canary_verdict",
    "downtime_s",
    "false_alarm_rate",
    "flake_probability",
    "order_problem",
    "run_repeatedly",
    "simulate_canary_run",
    "simulate_outages",
    "time_to_decision_s",
    "two_proportion_z",
    "wilson_interval",
]

_NORMAL = NormalDist()

Verdict = Literal["promote", "rollback", "wait"]
VERDICTS: tuple[Verdict, ...] = ("promote", "rollback", "wait")
"""What a canary analysis can say: widen the release, roll it back, or keep collecting."""


# --------------------------------------------------------------------------------------------
# Section 1: test layers and flakiness
# --------------------------------------------------------------------------------------------


def flake_probability(fault_rate: float, network_calls: int) -> float:
    """Chance that a test fails for a network fault alone: 1 - (1 - fault_rate) ** network_calls.

    A unit test makes no network call, a service test a few (to its stubs), an end-to-end test
    many (every hop between the live services): with the same fault rate per call the flake rate
    grows with the calls (lesson 11, section 1).

    Examples:
        >>> flake_probability(0.02, 0)
        0.0
        >>> round(flake_probability(0.02, 1), 4), round(flake_probability(0.02, 6), 4)
        (0.02, 0.1142)
        >>> flake_probability(1.5, 3)
        Traceback (most recent call last):
        ...
        ValueError: fault_rate must be a number from 0 to 1, got 1.5
    """
    rate = checks.fraction("fault_rate", fault_rate)
    calls = checks.count("network_calls", network_calls, minimum=0)
    return 1.0 - (1.0 - rate) ** calls


def order_problem(order: Mapping[str, object]) -> str | None:
    """What is wrong with an order body, or None when it is complete (lesson 11, section 1).

    An order needs a non-empty ``sku`` (str), a ``quantity`` and an ``amount_cents`` that are
    whole numbers >= 1 (a bool is not a number). The order service refuses anything else with
    422; a unit test checks this rule with no server at all.

    Examples:
        >>> order_problem({"sku": "book", "quantity": 1, "amount_cents": 900}) is None
        True
        >>> order_problem({"sku": "book", "quantity": 0, "amount_cents": 900})
        'quantity must be a whole number >= 1, got 0'
    """
    if not isinstance(order, Mapping):
        return f"the order must be a JSON object, got {order!r}"
    sku = order.get("sku")
    if not isinstance(sku, str) or not sku:
        return f"sku must be a non-empty string, got {sku!r}"
    for name in ("quantity", "amount_cents"):
        value = order.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            return f"{name} must be a whole number >= 1, got {value!r}"
    return None


@dataclass(frozen=True)
class TestRuns:
    """How a test fared when run again and again (lesson 11, section 1).

    Attributes:
        runs: times it ran.
        failures: runs that raised (an ``AssertionError`` or any other exception).
        total_s: wall-clock seconds for all runs.
    """

    __test__ = False  # a result, not a test class for pytest to collect

    runs: int
    failures: int
    total_s: float

    @property
    def failure_rate(self) -> float:
        """failures / runs."""
        return self.failures / self.runs

    @property
    def mean_ms(self) -> float:
        """Mean milliseconds per run."""
        return 1000.0 * self.total_s / self.runs


def run_repeatedly(test: Callable[[], object], runs: int) -> TestRuns:
    """Runs ``test`` ``runs`` times and counts the runs that raised (lesson 11, section 1).

    Examples:
        >>> result = run_repeatedly(lambda: None, 5)
        >>> result.runs, result.failures
        (5, 0)
        >>> def broken() -> None:
        ...     assert 1 + 1 == 3
        >>> run_repeatedly(broken, 3).failure_rate
        1.0
    """
    if not callable(test):
        raise TypeError(f"test must be a function to call, got {test!r}")
    count = checks.count("runs", runs)
    failures = 0
    started = time.perf_counter()
    for _ in range(count):
        try:
            test()
        except Exception:  # any exception is a failed run, as in pytest
            failures += 1
    return TestRuns(count, failures, time.perf_counter() - started)


# --------------------------------------------------------------------------------------------
# Sections 5 and 6: canary statistics
# --------------------------------------------------------------------------------------------


def _z(probability: float) -> float:
    return _NORMAL.inv_cdf(probability)


def canary_sample_size(
    p_control: float, p_canary: float, alpha: float = 0.05, power: float = 0.8, *, two_sided: bool = True
) -> int:
    """Requests needed in each arm to tell error rate ``p_control`` from ``p_canary``.

    The two-proportion z-test's sample size (FACTS §10):
    n = (z_{1-alpha/2} + z_{power})² · (p₁(1-p₁) + p₂(1-p₂)) / (p₁ - p₂)², rounded up; with
    ``two_sided=False`` z_{1-alpha} replaces z_{1-alpha/2}. It grows as 1/(p₁ - p₂)²
    (lesson 11, section 5).

    Examples:
        >>> canary_sample_size(0.001, 0.002)
        23508
        >>> canary_sample_size(0.01, 0.02), canary_sample_size(0.05, 0.10)
        (2316, 432)
        >>> canary_sample_size(0.01, 0.01)
        Traceback (most recent call last):
        ...
        ValueError: p_canary must differ from p_control (0.01): equal rates need infinitely many requests
    """
    p1 = checks.number("p_control", p_control, 0.0, 1.0, low_open=True, high_open=True)
    p2 = checks.number("p_canary", p_canary, 0.0, 1.0, low_open=True, high_open=True)
    a = checks.number("alpha", alpha, 0.0, 1.0, low_open=True, high_open=True)
    b = checks.number("power", power, 0.0, 1.0, low_open=True, high_open=True)
    if p1 == p2:
        raise ValueError(
            f"p_canary must differ from p_control ({p_control!r}): equal rates need infinitely many requests"
        )
    z_alpha = _z(1 - a / 2) if two_sided else _z(1 - a)
    n = (z_alpha + _z(b)) ** 2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p1 - p2) ** 2
    return math.ceil(n - 1e-9)  # a hair of tolerance: floating error must not add a request


def time_to_decision_s(n_per_arm: int, canary_share: float, requests_per_s: float) -> float:
    """Seconds until both arms have ``n_per_arm`` requests, when the canary gets ``canary_share``.

    The smaller arm is the bottleneck: the canary below a 50% share, the control above it
    (lesson 11, section 5).

    Examples:
        >>> round(time_to_decision_s(23_507, 0.01, 1_000) / 60, 1)
        39.2
        >>> time_to_decision_s(1_000, 0.5, 100)
        20.0
        >>> time_to_decision_s(1_000, 0.75, 100) == time_to_decision_s(1_000, 0.25, 100)
        True
    """
    n = checks.count("n_per_arm", n_per_arm)
    share = checks.number("canary_share", canary_share, 0.0, 1.0, low_open=True, high_open=True)
    rate = checks.positive("requests_per_s", requests_per_s)
    return n / (min(share, 1.0 - share) * rate)


@dataclass(frozen=True)
class CanaryPlan:
    """How long a canary must run and what it costs (lesson 11, section 5).

    Attributes:
        n_per_arm: requests each arm needs (``canary_sample_size``).
        time_s: seconds until both arms have them (``time_to_decision_s``).
        bad_requests: failed requests the canary serves meanwhile (n_per_arm · p_canary).
        extra_bad_requests: of those, the ones the old build would have served well
            (n_per_arm · (p_canary - p_control), 0 when the canary is no worse).
    """

    n_per_arm: int
    time_s: float
    bad_requests: float
    extra_bad_requests: float


def canary_plan(
    p_control: float,
    p_canary: float,
    canary_share: float,
    requests_per_s: float,
    alpha: float = 0.05,
    power: float = 0.8,
) -> CanaryPlan:
    """The sample size, time to decision and bad requests served for one canary (lesson 11, section 5).

    Examples:
        >>> plan = canary_plan(0.001, 0.002, 0.05, 1_000)
        >>> plan.n_per_arm, round(plan.time_s / 60, 1), round(plan.extra_bad_requests, 1)
        (23508, 7.8, 23.5)
    """
    n = canary_sample_size(p_control, p_canary, alpha, power)
    time_s = time_to_decision_s(n, canary_share, requests_per_s)
    return CanaryPlan(n, time_s, n * p_canary, n * max(p_canary - p_control, 0.0))


def _counts(name: str, value: object) -> int:
    return checks.count(name, value, minimum=0)


def two_proportion_z(control_ok: int, control_err: int, canary_ok: int, canary_err: int) -> float:
    """The pooled two-proportion z statistic: positive when the canary's error rate is higher.

    z = (p̂_canary - p̂_control) / sqrt(p̂ (1 - p̂) (1/n_control + 1/n_canary)) with p̂ the pooled
    error rate; 0 when no request (or every request) failed, since then the arms cannot differ
    (lesson 11, section 6).

    Examples:
        >>> round(two_proportion_z(990, 10, 980, 20), 3)
        1.84
        >>> two_proportion_z(1000, 0, 1000, 0)
        0.0
        >>> two_proportion_z(0, 0, 10, 1)
        Traceback (most recent call last):
        ...
        ValueError: control_ok + control_err must be at least 1 request, got 0
    """
    c_ok, c_err = _counts("control_ok", control_ok), _counts("control_err", control_err)
    k_ok, k_err = _counts("canary_ok", canary_ok), _counts("canary_err", canary_err)
    n_control, n_canary = c_ok + c_err, k_ok + k_err
    if n_control == 0:
        raise ValueError("control_ok + control_err must be at least 1 request, got 0")
    if n_canary == 0:
        raise ValueError("canary_ok + canary_err must be at least 1 request, got 0")
    pooled = (c_err + k_err) / (n_control + n_canary)
    if pooled in (0.0, 1.0):
        return 0.0
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n_control + 1 / n_canary))
    return (k_err / n_canary - c_err / n_control) / spread


def canary_verdict(
    control_ok: int,
    control_err: int,
    canary_ok: int,
    canary_err: int,
    alpha: float = 0.05,
    min_requests: int = 1_000,
) -> Verdict:
    """The verdict of one canary analysis: "rollback", "promote" or "wait" (lesson 11, section 6).

    - "wait" while either arm has fewer than ``min_requests`` requests;
    - "rollback" when the canary's error rate is significantly higher: the one-sided
      two-proportion z-test rejects "the canary is no worse" at level ``alpha``
      (z > z_{1-alpha});
    - "promote" otherwise.

    On identical builds (an A/A test) it rolls back in about a share ``alpha`` of the analyses.

    Examples:
        >>> canary_verdict(9_900, 100, 9_500, 500)
        'rollback'
        >>> canary_verdict(9_900, 100, 9_895, 105)
        'promote'
        >>> canary_verdict(90, 10, 50, 50)
        'wait'
    """
    a = checks.number("alpha", alpha, 0.0, 1.0, low_open=True, high_open=True)
    minimum = checks.count("min_requests", min_requests)
    named = {"control_ok": control_ok, "control_err": control_err, "canary_ok": canary_ok, "canary_err": canary_err}
    counts = [_counts(name, value) for name, value in named.items()]
    if counts[0] + counts[1] < minimum or counts[2] + counts[3] < minimum:
        return "wait"
    z = two_proportion_z(*counts)
    return "rollback" if z > _z(1 - a) else "promote"


def _z_array(
    c_err: NDArray[np.int64], n_control: NDArray[np.int64], k_err: NDArray[np.int64], n_canary: NDArray[np.int64]
) -> NDArray[np.float64]:
    pooled = (c_err + k_err) / (np.asarray(n_control) + np.asarray(n_canary))
    spread = np.sqrt(pooled * (1 - pooled) * (1 / np.asarray(n_control) + 1 / np.asarray(n_canary)))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (k_err / n_canary - c_err / n_control) / spread
    return np.where(spread > 0, z, 0.0)


def false_alarm_rate(
    error_rate: float,
    n_per_arm: int,
    runs: int,
    rng: np.random.Generator,
    alpha: float = 0.05,
    looks: int = 1,
) -> float:
    """Share of simulated A/A canaries (identical builds) a two-sided z-test flags as different.

    Each run sends ``n_per_arm`` requests to each arm, both failing at ``error_rate``. With
    ``looks=1`` the test runs once, at the end (a fixed horizon): it flags about a share
    ``alpha``. With ``looks=k`` it runs after every n_per_arm/k requests and stops at the first
    significant result ("peeking"), which flags far more often (lesson 11, section 6).

    Examples:
        >>> rng = np.random.default_rng(7)
        >>> fixed = false_alarm_rate(0.01, 5_000, 2_000, rng)
        >>> 0.035 < fixed < 0.065
        True
        >>> false_alarm_rate(0.01, 5_000, 2_000, np.random.default_rng(7), looks=50) > 2 * fixed
        True
    """
    p = checks.number("error_rate", error_rate, 0.0, 1.0, low_open=True, high_open=True)
    n = checks.count("n_per_arm", n_per_arm)
    count = checks.count("runs", runs)
    a = checks.number("alpha", alpha, 0.0, 1.0, low_open=True, high_open=True)
    k = checks.integer("looks", looks, 1, n)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {rng!r}")
    edges = np.linspace(0, n, k + 1).round().astype(np.int64)
    sizes = np.diff(edges)  # requests per arm between looks
    control = rng.binomial(sizes, p, size=(count, k)).cumsum(axis=1)
    canary = rng.binomial(sizes, p, size=(count, k)).cumsum(axis=1)
    z = _z_array(control, edges[1:], canary, edges[1:])
    flagged = np.abs(z) > _z(1 - a / 2)
    return float(flagged.any(axis=1).mean())


@dataclass(frozen=True)
class CanaryRun:
    """One simulated canary, analysed at evenly spaced looks (lesson 11, section 6).

    Attributes:
        requests: requests per arm at each look (the last is the planned n per arm).
        control_errors: the control's cumulative errors at each look.
        canary_errors: the canary's cumulative errors at each look.
        decided_at: index of the look where the analysis stopped.
        rolled_back: whether it stopped because the canary was significantly worse.
    """

    requests: NDArray[np.int64]
    control_errors: NDArray[np.int64]
    canary_errors: NDArray[np.int64]
    decided_at: int
    rolled_back: bool


def simulate_canary_run(
    p_control: float,
    p_canary: float,
    n_per_arm: int,
    rng: np.random.Generator,
    alpha: float = 0.05,
    looks: int = 20,
    peeking: bool = False,
) -> CanaryRun:
    """A seeded canary with ``looks`` analyses: fixed horizon (decide at the last) or peeking.

    Each arm gets ``n_per_arm`` requests, failing at ``p_control`` and ``p_canary``. With
    ``peeking`` the analysis stops at the first look where the one-sided z-test says the
    canary is worse (z > z_{1-alpha}); without, it decides once, at the end (lesson 11,
    section 6).

    Examples:
        >>> run = simulate_canary_run(0.01, 0.05, 2_000, np.random.default_rng(1))
        >>> run.rolled_back, run.decided_at, int(run.requests[-1])
        (True, 19, 2000)
        >>> simulate_canary_run(0.01, 0.05, 2_000, np.random.default_rng(1), peeking=True).decided_at < 19
        True
    """
    p1 = checks.number("p_control", p_control, 0.0, 1.0, low_open=True, high_open=True)
    p2 = checks.number("p_canary", p_canary, 0.0, 1.0, low_open=True, high_open=True)
    n = checks.count("n_per_arm", n_per_arm)
    a = checks.number("alpha", alpha, 0.0, 1.0, low_open=True, high_open=True)
    k = checks.integer("looks", looks, 1, n)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {rng!r}")
    edges = np.linspace(0, n, k + 1).round().astype(np.int64)
    sizes = np.diff(edges)
    control = rng.binomial(sizes, p1).cumsum()
    canary = rng.binomial(sizes, p2).cumsum()
    worse = _z_array(control, edges[1:], canary, edges[1:]) > _z(1 - a)
    decided = int(np.argmax(worse)) if peeking and worse.any() else k - 1
    return CanaryRun(edges[1:], control, canary, decided, bool(worse[decided]))


def wilson_interval(errors: int, requests: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for an error rate seen as ``errors`` out of ``requests``.

    Unlike p̂ ± z·sqrt(p̂(1-p̂)/n) it stays inside [0, 1] and is not empty when no request failed
    (lesson 11, section 6).

    Examples:
        >>> low, high = wilson_interval(0, 1_000)
        >>> low, round(high, 5)
        (0.0, 0.00383)
        >>> [round(x, 4) for x in wilson_interval(50, 1_000)]
        [0.0381, 0.0653]
    """
    n = checks.count("requests", requests)
    k = checks.integer("errors", errors, 0, n)
    level = checks.number("confidence", confidence, 0.0, 1.0, low_open=True, high_open=True)
    z = _z(1 - (1 - level) / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if k == 0 else max(0.0, centre - half)  # exact ends: rounding must not leave p̂ outside
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


# --------------------------------------------------------------------------------------------
# Section 7: availability, MTTR over MTBF
# --------------------------------------------------------------------------------------------


def availability(mtbf_h: float, mttr_h: float) -> float:
    """Share of time a service is up: MTBF / (MTBF + MTTR) (SRE book ch. 3; lesson 11, section 7).

    MTBF is the mean up-time between failures, MTTR the mean time to repair, in the same unit.
    The result depends only on MTTR/MTBF: doubling MTBF and halving MTTR give the same answer.

    Examples:
        >>> round(100 * availability(30 * 24, 0.5), 4)
        99.9306
        >>> availability(60 * 24, 0.5) == availability(30 * 24, 0.25)
        True
        >>> availability(0, 1)
        Traceback (most recent call last):
        ...
        ValueError: mtbf_h must be a finite number > 0, got 0
    """
    up = checks.positive("mtbf_h", mtbf_h)
    down = checks.positive("mttr_h", mttr_h, allow_zero=True)
    return 1.0 / (1.0 + down / up)


def downtime_s(availability: float, period_s: float) -> float:
    """Seconds of downtime in ``period_s`` at ``availability`` (lesson 11, section 7).

    Examples:
        >>> round(downtime_s(0.999, 86_400), 6), round(downtime_s(0.9999, 7 * 86_400), 6)
        (86.4, 60.48)
    """
    a = checks.fraction("availability", availability)
    period = checks.positive("period_s", period_s)
    return (1.0 - a) * period


@dataclass(frozen=True)
class Outages:
    """What a simulated stretch of failures and repairs gave (lesson 11, section 7).

    Attributes:
        incidents: failures that began within the horizon.
        downtime_h: hours down within the horizon.
        horizon_h: hours simulated.
    """

    incidents: int
    downtime_h: float
    horizon_h: float

    @property
    def availability(self) -> float:
        """Share of the horizon the service was up."""
        return 1.0 - self.downtime_h / self.horizon_h

    @property
    def mean_outage_h(self) -> float:
        """Mean length of an outage (hours), 0 with no incident."""
        return self.downtime_h / self.incidents if self.incidents else 0.0


def simulate_outages(mtbf_h: float, mttr_h: float, horizon_h: float, rng: np.random.Generator) -> Outages:
    """An alternating-renewal run: up for Exp(MTBF) hours, down for Exp(MTTR) hours, repeated.

    Over a long horizon the share of time up tends to ``availability(mtbf_h, mttr_h)``
    (lesson 11, section 7).

    Examples:
        >>> run = simulate_outages(30 * 24, 0.5, 1_000 * 8_760, np.random.default_rng(1))
        >>> abs(run.availability - availability(30 * 24, 0.5)) < 0.0005
        True
        >>> 11_000 < run.incidents < 13_000
        True
    """
    up_mean = checks.positive("mtbf_h", mtbf_h)
    down_mean = checks.positive("mttr_h", mttr_h)
    horizon = checks.positive("horizon_h", horizon_h)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {rng!r}")
    cycles = int(horizon / (up_mean + down_mean) * 1.2) + 20
    while True:
        ups = rng.exponential(up_mean, cycles)
        downs = rng.exponential(down_mean, cycles)
        ends = np.cumsum(ups + downs)
        if ends[-1] >= horizon:
            break
        cycles *= 2  # rare: draw a longer run rather than extend this one (keeps it one vectorised pass)
    starts_down = ends - downs  # when each outage begins
    began = starts_down < horizon
    downtime = np.clip(np.minimum(ends, horizon) - starts_down, 0.0, None)[began].sum()
    return Outages(int(began.sum()), float(downtime), horizon)
