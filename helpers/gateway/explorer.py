"""The rate-limit explorer of lesson 07: four limiters on one bursty trace, and the token bucket's b + r·t bound."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import NDArray

from helpers.explorer import Control, Explorer
from helpers.gateway.model import (
    ALGORITHMS,
    FixedWindow,
    Limiter,
    SlidingWindowCounter,
    SlidingWindowLog,
    TokenBucket,
    bursty_trace,
    disagreement,
    max_in_any_span,
    replay,
    token_bucket_bound,
)
from helpers.gateway.plots import draw_admissions, draw_arrival_curve, frame_admissions, frame_arrival_curve
from helpers.panels import Panel

__all__ = ["RateLimitExplorer", "explore_rate_limits"]

BUCKET_CAPACITY_CHOICES = (1, 2, 5, 10, 15, 20, 30, 50)
"""Token bucket sizes (b) the rate-limit explorer offers."""

REFILL_RATE_CHOICES = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
"""Token bucket refill rates (r, tokens per second) the rate-limit explorer offers."""

WINDOW_LIMIT_CHOICES = (5, 10, 20, 30, 50, 100)
"""Requests per window (N) the window limiters of the rate-limit explorer offer."""

WINDOW_CHOICES_S = (1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0)
"""Window lengths (W, seconds) the rate-limit explorer offers."""

TRACE_SECONDS = 60.0
"""Length of the explorer's bursty trace."""

SIMULATION_SEED = 42
"""Seed of the explorer's trace: the same picture every time."""

SPANS_S = np.linspace(0.0, 30.0, 121)
"""The span lengths t at which the arrival curves are drawn."""


@lru_cache(maxsize=1)
def _trace() -> NDArray[np.float64]:
    rng = np.random.default_rng(SIMULATION_SEED)
    background = bursty_trace(rng, duration_s=TRACE_SECONDS, base_rate_per_s=1.0, bursts=3, burst_size=20)
    # A burst on each side of t = 30 s: an edge of every fixed window the explorer offers.
    straddling = np.concatenate([np.linspace(29.6, 29.95, 15), np.linspace(30.0, 30.35, 15)])
    trace = np.sort(np.concatenate([background, straddling]))
    trace.flags.writeable = False  # cached and shared: nobody may edit it
    return trace


# A move changes either the token bucket's settings or the windows' ones, never both: each
# limiter's decisions (and its busiest spans) are cached by its own settings, so a move
# replays only the limiters it changes.
@lru_cache(maxsize=64)
def _bucket(capacity: int, refill_per_s: float) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
    return _decided(replay(_trace(), TokenBucket(capacity, refill_per_s)))


@lru_cache(maxsize=64)
def _windows(limit: int, window_s: float) -> dict[str, tuple[NDArray[np.bool_], NDArray[np.int64]]]:
    limiters: dict[str, Limiter] = {
        "fixed window": FixedWindow(limit, window_s),
        "sliding log": SlidingWindowLog(limit, window_s),
        "sliding counter": SlidingWindowCounter(limit, window_s),
    }
    return {name: _decided(replay(_trace(), limiter)) for name, limiter in limiters.items()}


def _decided(admitted: NDArray[np.bool_]) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
    """A limiter's decisions and the most requests it admitted in any span of ``SPANS_S``, read-only."""
    busiest = max_in_any_span(_trace()[admitted], SPANS_S)
    admitted.flags.writeable = busiest.flags.writeable = False
    return admitted, busiest


class RateLimitExplorer(Explorer):
    """Explorer for lesson 07: four rate limiters on one bursty trace, and the b + r·t bound (lesson 07, "Explore").

    Four sliders: the token bucket's size (b) and refill rate (r), and the window
    limiters' requests per window (N) and window length (W). The figure shows (a) every
    request of the trace, admitted or refused, per limiter, and (b) the most requests each
    limiter admitted in any span of t seconds against b + r·t.

    Attributes:
        decisions: the current decisions, per limiter (one boolean per request of ``trace``).

    Examples:
        >>> explorer = RateLimitExplorer()
        >>> explorer.image.value[:4] == b"\\x89PNG"
        True
        >>> explorer.controls["capacity"].value = 50
        >>> "bound b + r&middot;t holds" in explorer.status.value
        True
    """

    CONTROLS = (
        Control("capacity", "bucket size (b)", BUCKET_CAPACITY_CHOICES, 10, format=str),
        Control("refill_per_s", "refill (r)", REFILL_RATE_CHOICES, 1.0, format="{:g}/s".format),
        Control("limit", "per window (N)", WINDOW_LIMIT_CHOICES, 10, format=str),
        Control("window_s", "window (W)", WINDOW_CHOICES_S, 10.0, format="{:g} s".format),
    )
    ROWS = (("capacity", "refill_per_s"), ("limit", "window_s"))
    FIGSIZE = (11.0, 4.0)
    # Fixed axes, titles, legends and the offered curve, for a fixed trace: only the ticks,
    # crosses, window edges, curves and the bound change from one move to the next.
    PANELS = (Panel((0.12, 0.30, 0.52, 0.60)), Panel((0.72, 0.15, 0.26, 0.75)))
    CAPTION = (
        "One seeded bursty trace (background requests plus bursts, one of them straddling t = 30 s) replayed through "
        "four limiters. The <b>token bucket</b> holds up to b tokens, refilled at r per second; a request takes one. "
        "The <b>fixed window</b> admits N per window [kW, (k+1)W); the <b>sliding log</b> admits N in any W seconds; "
        "the <b>sliding counter</b> estimates the last W seconds as previous&middot;(1 &minus; elapsed/W) + current. "
        "<b>Left:</b> each request, admitted (tick) or refused with a 429 (red cross); dotted lines are the fixed "
        "windows' edges. <b>Right:</b> the most requests admitted in any span of t seconds, for each limiter, against "
        "the token bucket's bound b + r&middot;t (dashed) and the most the trace offered (grey)."
    )

    decisions: dict[str, NDArray[np.bool_]]

    @property
    def trace(self) -> NDArray[np.float64]:
        """The arrival times of the trace every limiter replays, in seconds (read-only)."""
        return _trace()

    def frame(self, timeline_ax: Axes, curve_ax: Axes) -> None:
        frame_admissions(timeline_ax, ALGORITHMS, TRACE_SECONDS)
        frame_arrival_curve(curve_ax, SPANS_S, ALGORITHMS, offered_max=max_in_any_span(_trace(), SPANS_S))

    def draw(
        self, timeline_ax: Axes, curve_ax: Axes, *, capacity: int, refill_per_s: float, limit: int, window_s: float
    ) -> str:
        trace = _trace()
        decided = {"token bucket": _bucket(capacity, refill_per_s), **_windows(limit, window_s)}
        self.decisions = {name: decided[name][0] for name in ALGORITHMS}
        admitted_max = {name: decided[name][1] for name in ALGORITHMS}
        draw_admissions(trace, self.decisions, TRACE_SECONDS, window_s=window_s, ax=timeline_ax)
        draw_arrival_curve(SPANS_S, admitted_max, capacity, refill_per_s, ax=curve_ax)

        bound_holds = bool((admitted_max["token bucket"] <= token_bucket_bound(capacity, refill_per_s, SPANS_S)).all())
        busiest = {  # the most admitted in any W seconds: just under W, so (t - W, t] as the limiters count
            name: int(max_in_any_span(trace[mask], [window_s * (1 - 1e-9)])[0]) for name, mask in self.decisions.items()
        }
        counts = {name: int(mask.sum()) for name, mask in self.decisions.items()}
        off = disagreement(self.decisions["sliding counter"], self.decisions["sliding log"])
        return (
            f"{trace.size} requests. Token bucket (b = {capacity}, r = {refill_per_s:g}/s) admitted "
            f"<b>{counts['token bucket']}</b>; the bound b + r&middot;t "
            + ("holds for every span" if bound_holds else "is <b>broken</b>")
            + f". With N = {limit} per W = {window_s:g} s: fixed window <b>{counts['fixed window']}</b> "
            f"(busiest {window_s:g} s: <b>{busiest['fixed window']}</b>, up to 2N = {2 * limit}), sliding log "
            f"<b>{counts['sliding log']}</b> (busiest: <b>{busiest['sliding log']}</b>, never above N), sliding "
            f"counter <b>{counts['sliding counter']}</b> (busiest: {busiest['sliding counter']}; decided "
            f"differently from the log on {off:.1%} of requests)."
        )


def explore_rate_limits() -> RateLimitExplorer:
    """Rate-limit explorer for lesson 07 at its default settings: a notebook cell's one line (lesson 07, "Explore").

    Examples:
        >>> explore_rate_limits().controls["capacity"].value
        10
    """
    return RateLimitExplorer()
