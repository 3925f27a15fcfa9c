"""Numbers as a reader wants them: times, sizes, rates and shares in plot labels and status lines.

Two styles: ``*_label`` for axis ticks and legends (as short as exact: ``"10 ms"``,
``"1 s"``, ``"2.5 kB"``), ``*_text`` for sentences under a figure (rounded to what matters:
``"12 ms"``, ``"1.25 s"``, ``"never"``).

Examples:
    >>> ms_label(250), ms_label(2500), us_label(0.5), byte_label(2500)
    ('250 ms', '2.5 s', '500 ns', '2.5 kB')
    >>> ms_text(3.14159), ms_text(42.4), ms_text(1234.5), ms_text(float("inf"))
    ('3.1 ms', '42 ms', '1.23 s', 'never')
    >>> percent_label(0.999), duration_text(7_200), rate_text(0.5)
    ('99.9%', '2 h', '1,800/h')
"""

from __future__ import annotations

__all__ = [
    "DAY_S",
    "MINUS",
    "byte_label",
    "duration_text",
    "ms_label",
    "ms_text",
    "percent_label",
    "rate_text",
    "us_label",
    "us_text",
]

MINUS = "\u2212"
"""The typographic minus sign (U+2212), for labels: it reads better than a hyphen."""

DAY_S = 86_400
"""Seconds in a day."""


def ms_label(ms: float) -> str:
    """A time in ms as a tick label: ``"20 ms"``, ``"1.5 s"``."""
    return f"{ms / 1000:g} s" if ms >= 1000 else f"{ms:g} ms"


def us_label(us: float) -> str:
    """A time in µs as a tick label: ``"500 ns"``, ``"20 µs"``, ``"3 ms"``."""
    if us >= 1000:
        return ms_label(us / 1000)
    return f"{us * 1000:g} ns" if us < 1 else f"{us:g} µs"


def byte_label(size: float) -> str:
    """A size in bytes as a tick label: ``"10 B"``, ``"2.5 kB"``, ``"1 MB"`` (powers of 1,000)."""
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size:g} B"


def percent_label(share: float) -> str:
    """A share as a percentage with no needless digits: ``"99.9%"``, ``"1%"``."""
    return f"{share * 100:g}%"


def ms_text(ms: float) -> str:
    """A time in ms for a sentence: two significant-ish digits, ``"never"`` for infinity."""
    if ms == float("inf"):
        return "never"
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def us_text(us: float) -> str:
    """A time in µs for a sentence: ``"120 ns"``, ``"45 µs"``, then as ``ms_text``."""
    if us >= 1000:
        return ms_text(us / 1000)
    return f"{us * 1000:.0f} ns" if us < 1 else f"{us:.0f} µs"


def duration_text(seconds: float) -> str:
    """A duration in the largest whole unit: ``"30 s"``, ``"5 min"``, ``"2 h"``, ``"7 days"``."""
    for unit, size in (("day", DAY_S), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            value = seconds / size
            return f"{value:g} {unit}" + ("s" if unit == "day" and value != 1 else "")
    return f"{seconds:g} s"


def rate_text(per_s: float) -> str:
    """An event rate in the unit that keeps it readable: per second, per hour or per day."""
    for per, scale in (("s", 1), ("h", 3_600), ("day", DAY_S)):
        value = per_s * scale
        if value >= 1 or per == "day":
            return (f"{value:,.3g}" if value < 1_000 else f"{value:,.0f}") + f"/{per}"
    raise AssertionError("unreachable")  # pragma: no cover
