"""Numbers as a reader wants them, in tick labels and in status lines."""

from __future__ import annotations

import pytest

from helpers import text


@pytest.mark.parametrize(
    ("formatted", "expected"),
    [
        (text.ms_label(0.5), "0.5 ms"),
        (text.ms_label(1500), "1.5 s"),
        (text.us_label(0.25), "250 ns"),
        (text.us_label(20), "20 µs"),
        (text.us_label(3000), "3 ms"),
        (text.byte_label(999), "999 B"),
        (text.byte_label(1_000_000), "1 MB"),
        (text.percent_label(0.9999), "99.99%"),
        (text.ms_text(9.94), "9.9 ms"),
        (text.ms_text(10.4), "10 ms"),
        (text.ms_text(1000), "1.00 s"),
        (text.ms_text(float("inf")), "never"),
        (text.us_text(0.12), "120 ns"),
        (text.us_text(45.2), "45 µs"),
        (text.us_text(2500), "2.5 ms"),
        (text.duration_text(45), "45 s"),
        (text.duration_text(300), "5 min"),
        (text.duration_text(86_400), "1 day"),
        (text.duration_text(7 * 86_400), "7 days"),
        (text.rate_text(2500), "2,500/s"),
        (text.rate_text(12.5), "12.5/s"),
        (text.rate_text(1 / 60), "60/h"),
        (text.rate_text(1 / 86_400), "1/day"),
        (text.rate_text(0.0), "0/day"),
    ],
)
def test_formats(formatted: str, expected: str) -> None:
    assert formatted == expected
