"""Argument checks: each returns the value, or raises ValueError naming it and what is valid."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import checks


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: checks.integer("n", 5, 1, 10), 5),
        (lambda: checks.integer("n", np.int64(3)), 3),
        (lambda: checks.count("n", 0, minimum=0), 0),
        (lambda: checks.number("x", 2), 2.0),
        (lambda: checks.number("x", -math.inf, finite=False), -math.inf),
        (lambda: checks.positive("x", 0, allow_zero=True), 0.0),
        (lambda: checks.positive("x", math.inf, allow_inf=True), math.inf),
        (lambda: checks.fraction("p", 1), 1.0),
        (lambda: checks.choice("k", 2.0, (1, 2)), 2.0),
        (lambda: checks.choice("flag", True, (True, False)), True),
    ],
)
def test_a_valid_value_comes_back(call: object, expected: object) -> None:
    assert call() == expected  # type: ignore[operator]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: checks.integer("n", 11, 1, 10), "n must be an int from 1 to 10, got 11"),
        (lambda: checks.integer("n", 2.0), "n must be an int, got 2.0"),
        (lambda: checks.integer("n", True, 0), "n must be an int >= 0, got True"),
        (lambda: checks.integer("n", 5, high=4), "n must be an int <= 4, got 5"),
        (lambda: checks.count("servers", 0), "servers must be an int >= 1, got 0"),
        (lambda: checks.number("x", "3"), "x must be a finite number, got '3'"),
        (lambda: checks.number("x", math.nan, 0, 1), "x must be a number from 0 to 1, got nan"),
        (lambda: checks.number("x", 0, 0, 1, low_open=True), "x must be a number above 0 and up to 1, got 0"),
        (lambda: checks.number("x", 1, 0, 1, low_open=True, high_open=True),
         r"x must be a number between 0 and 1 \(both excluded\), got 1"),
        (lambda: checks.number("x", 5, high=4, high_open=True), "x must be a finite number < 4, got 5"),
        (lambda: checks.positive("ttl", -1), "ttl must be a finite number > 0, got -1"),
        (lambda: checks.positive("ttl", math.inf), "ttl must be a finite number > 0, got inf"),
        (lambda: checks.positive("ttl", False), "ttl must be a finite number > 0, got False"),
        (lambda: checks.fraction("p", 1.5), "p must be a number from 0 to 1, got 1.5"),
        (lambda: checks.choice("k", 3, (1, 2)), r"k must be one of \[1, 2\], got 3"),
        (lambda: checks.choice("k", True, (0, 1)), r"k must be one of \[0, 1\], got True"),
    ],
)  # fmt: skip
def test_a_bad_value_raises_naming_it(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        call()  # type: ignore[operator]


def test_is_number_takes_numpy_numbers_but_never_a_bool() -> None:
    assert checks.is_number(np.float32(1.5))
    assert checks.is_number(np.int8(1))
    assert not checks.is_number(np.bool_(True))
    assert not checks.is_number(None)
