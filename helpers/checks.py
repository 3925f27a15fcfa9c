"""Argument checks shared by every unit: each returns the value, or raises ValueError naming it.

A learner reads these messages in a notebook, so each says which argument was wrong, what
it was, and what would be valid ("virtual_nodes must be an int >= 1, got 0"). Booleans are
never numbers here (``True`` is an ``int`` to Python, never a count or a rate to a reader).

Examples:
    >>> count("servers", 3)
    3
    >>> count("servers", 0)
    Traceback (most recent call last):
    ...
    ValueError: servers must be an int >= 1, got 0
    >>> fraction("availability", 1.5)
    Traceback (most recent call last):
    ...
    ValueError: availability must be a number from 0 to 1, got 1.5
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import Any, TypeVar

import numpy as np

__all__ = ["choice", "count", "fraction", "integer", "is_number", "number", "positive"]

T = TypeVar("T")


def is_number(value: object) -> bool:
    """True for an int or float (NumPy's too), never for a bool.

    Examples:
        >>> is_number(2), is_number(2.5), is_number(True), is_number("2")
        (True, True, False, False)
    """
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.integer, np.floating))


def integer(name: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int, if it is one from ``low`` to ``high`` (either bound may be None).

    Examples:
        >>> integer("hops", 4, 1, 10)
        4
        >>> integer("hops", 11, 1, 10)
        Traceback (most recent call last):
        ...
        ValueError: hops must be an int from 1 to 10, got 11
    """
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, np.integer))
        or (low is not None and value < low)
        or (high is not None and value > high)
    ):
        if low is not None and high is not None:
            bound = f" from {low} to {high}"
        elif low is not None:
            bound = f" >= {low}"
        elif high is not None:
            bound = f" <= {high}"
        else:
            bound = ""
        raise ValueError(f"{name} must be an int{bound}, got {value!r}")
    return int(value)


def count(name: str, value: object, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum`` (a number of things: servers, keys, requests).

    Examples:
        >>> count("retries", 0, minimum=0)
        0
    """
    return integer(name, value, low=minimum)


def number(
    name: str,
    value: object,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    finite: bool = True,
) -> float:
    """``value`` as a float within its bounds; ``low_open``/``high_open`` exclude a bound itself.

    NaN is never valid; infinity only with ``finite=False``.

    Examples:
        >>> number("load", 0.5, 0, 1, high_open=True)
        0.5
        >>> number("load", 1.0, 0, 1, high_open=True)
        Traceback (most recent call last):
        ...
        ValueError: load must be a number from 0 up to (not including) 1, got 1.0
        >>> number("rtt_ms", float("inf"), 0)
        Traceback (most recent call last):
        ...
        ValueError: rtt_ms must be a finite number >= 0, got inf
    """
    valid = is_number(value)
    if valid:
        x = float(value)  # type: ignore[arg-type]
        valid = not math.isnan(x) and (not finite or math.isfinite(x))
        if valid and low is not None:
            valid = x > low if low_open else x >= low
        if valid and high is not None:
            valid = x < high if high_open else x <= high
    if not valid:
        kind = "a finite number" if finite and (low is None or high is None) else "a number"
        raise ValueError(f"{name} must be {kind}{_bounds(low, high, low_open, high_open)}, got {value!r}")
    return float(value)  # type: ignore[arg-type]


def _bounds(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    def shown(bound: float) -> str:
        return f"{bound:g}"

    if low is not None and high is not None:
        if low_open and high_open:
            return f" between {shown(low)} and {shown(high)} (both excluded)"
        if high_open:
            return f" from {shown(low)} up to (not including) {shown(high)}"
        if low_open:
            return f" above {shown(low)} and up to {shown(high)}"
        return f" from {shown(low)} to {shown(high)}"
    if low is not None:
        return f" {'>' if low_open else '>='} {shown(low)}"
    if high is not None:
        return f" {'<' if high_open else '<='} {shown(high)}"
    return ""


def positive(name: str, value: object, *, allow_zero: bool = False, allow_inf: bool = False) -> float:
    """``value`` as a float > 0 (or >= 0 with ``allow_zero``); finite unless ``allow_inf``.

    Examples:
        >>> positive("ttl_s", 60)
        60.0
        >>> positive("ttl_s", 0)
        Traceback (most recent call last):
        ...
        ValueError: ttl_s must be a finite number > 0, got 0
    """
    return number(name, value, 0.0, low_open=not allow_zero, finite=not allow_inf)


def fraction(name: str, value: object) -> float:
    """``value`` as a float from 0 to 1 (a probability, a share, an availability)."""
    return number(name, value, 0.0, 1.0)


def choice(name: str, value: T, options: Collection[Any] | Sequence[Any]) -> T:
    """``value`` itself, if it is one of ``options`` (a bool never stands for 1 or 0).

    Examples:
        >>> choice("policy", "random", ("round robin", "random"))
        'random'
        >>> choice("keys", 7, (1_000, 2_000))
        Traceback (most recent call last):
        ...
        ValueError: keys must be one of [1000, 2000], got 7
    """
    found = any(value == option and type(value) is not bool for option in options) or (
        isinstance(value, bool) and any(option is value for option in options)
    )
    if not found:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")
    return value
