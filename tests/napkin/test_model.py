"""Unit 14's exact arithmetic: nines per period, composition, the tables, Colin Scott's model, fibre."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.napkin import (
    OPERATIONS,
    PERIODS_S,
    TABLES,
    availability,
    downtime_s,
    duration_text,
    fibre_rtt_s,
    great_circle_km,
    nines,
    parallel,
    ratio,
    scott_model,
    serial,
    table_seconds,
    transfer_time_s,
)

# FACTS.md §13, "Availability (downtime allowed)": every cell, as the lesson writes it.
FACTS_TABLE = {
    "99%": ("14 m 24 s", "1 h 40 m 48 s", "7 h 18 m 17 s", "3.65 d"),
    "99.9%": ("1 m 26.4 s", "10 m 4.8 s", "43 m 49.7 s", "8 h 45 m 57 s"),
    "99.99%": ("8.64 s", "1 m 0.5 s", "4 m 23 s", "52 m 35.7 s"),
    "99.999%": ("0.864 s", "6.05 s", "26.3 s", "5 m 15.6 s"),
}


@pytest.mark.parametrize("level", FACTS_TABLE)
def test_every_cell_of_the_facts_downtime_table(level: str) -> None:
    texts = tuple(duration_text(downtime_s(level, period)) for period in ("day", "week", "month", "year"))
    assert texts == FACTS_TABLE[level]


def test_erratum_30_and_the_primers_week_exactly() -> None:
    assert downtime_s("99.99%", "day") == Fraction("8.64")
    assert downtime_s("99.9%", "day") == Fraction("86.4")
    assert downtime_s("99.99%", "week") == Fraction("60.48")  # the primer's "1 m 5 s" is wrong
    assert PERIODS_S["year"] == 31_556_952
    assert downtime_s("99.9%", "year") == Fraction("31556.952")  # 8 h 45 m 56.952 s
    assert (1 - Fraction(999, 1000)) * 365 * 86_400 == 31_536  # 8 h 45 m 36 s with a 365-day year


def test_availability_reads_fractions_percentages_and_floats_exactly() -> None:
    assert availability("99.95%") == availability(0.9995) == Fraction(1999, 2000)
    assert availability(1) == 1
    assert nines(2) == Fraction(99, 100)
    assert nines(5.5) == Fraction(199_999, 200_000)


@pytest.mark.parametrize("bad", ["1.5", -0.1, float("nan"), "ninety", True, None, "101%"])
def test_a_bad_availability_is_named(bad: object) -> None:
    with pytest.raises(ValueError, match="availability must be from 0 to 1"):
        availability(bad)


def test_composition() -> None:
    assert serial("99.9%", "99.9%") == Fraction("0.998001")
    assert parallel("99.9%", "99.9%") == Fraction("0.999999")
    assert serial("99.99%", "99.99%", "99%") < Fraction(99, 100)  # one 99% dependency caps the chain
    assert serial("99.9%") == parallel("99.9%") == Fraction(999, 1000)
    with pytest.raises(ValueError, match="at least one"):
        serial()
    with pytest.raises(ValueError, match="at least one"):
        parallel()


@given(st.lists(st.fractions(min_value=0, max_value=1), min_size=1, max_size=6))
def test_serial_is_at_most_the_weakest_and_parallel_at_least_the_strongest(parts: list[Fraction]) -> None:
    assert serial(*parts) <= min(parts)
    assert parallel(*parts) >= max(parts)


def test_errata_31_and_32_ratios_come_from_the_primers_table() -> None:
    primer = "primer (30 ms/MB disk)"
    assert ratio(primer, "read 1 MB sequentially from disk", "read 1 MB sequentially from SSD") == pytest.approx(30)
    assert ratio(primer, "read 1 MB sequentially from disk", "read 1 MB sequentially from memory") == pytest.approx(120)
    # Dean's own table has disk at 20 ms/MB: 20x SSD, 80x memory
    dean = ratio("Dean 2009", "read 1 MB sequentially from disk", "read 1 MB sequentially from SSD")
    assert dean == pytest.approx(20)


def test_every_row_names_a_known_operation_and_a_source() -> None:
    for table in TABLES.values():
        for operation, row in table.items():
            assert operation in OPERATIONS
            assert row.operation == operation
            assert row.source
            assert 0 < row.seconds < 1


def test_transfer_time_uses_the_table_it_is_given() -> None:
    assert transfer_time_s(10**9, "memory", TABLES["Dean 2009"]) == pytest.approx(0.25)
    assert transfer_time_s(10**9, "disk", TABLES["Dean 2009"]) == pytest.approx(20)
    assert transfer_time_s(10**9, "memory", TABLES["napkin-math 2026"]) == pytest.approx(10**9 / (20 * 2**30))
    with pytest.raises(ValueError, match="medium must be one of"):
        transfer_time_s(1, "tape", TABLES["Dean 2009"])
    with pytest.raises(ValueError, match="table has no row"):
        transfer_time_s(1, "SSD", TABLES["Norvig 2001"])
    with pytest.raises(ValueError, match="operation must be one of"):
        table_seconds("Norvig 2001", "SSD random read")


def test_scott_model_reproduces_its_2020_page() -> None:
    model = scott_model(2020)
    ns = {operation: seconds * 1e9 for operation, seconds in model.items()}
    assert round(ns["L1 cache reference"], 1) == 1.0
    assert round(ns["branch mispredict"], 1) == 3.3
    assert round(ns["L2 cache reference"], 1) == 4.3
    assert round(ns["mutex lock/unlock"], 1) == 16.7
    assert round(ns["send 2 KB over the network"], 1) == 44.2
    assert round(ns["read 1 MB sequentially from memory"] / 1000, 1) == 3.0
    assert ns["SSD random read"] == 16_000
    assert round(ns["read 1 MB sequentially from SSD"] / 1000) == 49
    assert ns["disk seek"] == pytest.approx(2.5e6)
    assert round(ns["read 1 MB sequentially from disk"] / 1000) == 825


def test_scott_model_extrapolates_past_any_real_disk() -> None:
    disk_2026 = 1e6 / scott_model(2026)["read 1 MB sequentially from disk"]  # bytes per second
    assert disk_2026 == pytest.approx(2.79e9, rel=0.01)
    napkin_hdd = 1e6 / table_seconds("napkin-math 2026", "read 1 MB sequentially from disk")
    assert disk_2026 > 10 * napkin_hdd
    assert scott_model(1990)["L1 cache reference"] > scott_model(2005)["L1 cache reference"]
    assert scott_model(2006)["L1 cache reference"] == scott_model(2030)["L1 cache reference"]  # 3 GHz wall
    with pytest.raises(ValueError, match="year must be an int from 1990 to 2030"):
        scott_model(1989)


def test_fibre_floor_from_san_francisco_to_amsterdam() -> None:
    km = great_circle_km((37.7749, -122.4194), (52.3676, 4.9041))
    assert round(km) == 8773
    assert round(fibre_rtt_s(km) * 1000) == 86
    assert fibre_rtt_s(km) < table_seconds("Dean 2009", "round trip California-Netherlands")
    with pytest.raises(ValueError, match="a must be a"):
        great_circle_km((91.0, 0.0), (0.0, 0.0))
    with pytest.raises(ValueError, match="distance_km"):
        fibre_rtt_s(0)


def test_duration_text_and_nines_refuse_bad_input() -> None:
    with pytest.raises(ValueError, match="seconds must be a number"):
        duration_text(-1)
    with pytest.raises(ValueError, match="count must be a whole or half number"):
        nines(3.3)
    with pytest.raises(ValueError, match="period must be one of"):
        downtime_s("99%", "fortnight")


def test_the_answers_to_lesson_14s_practice_questions() -> None:
    whole = serial("99.99%", parallel("99.9%", "99.9%"), "99.95%")
    assert round(float(whole) * 100, 2) == 99.94
    assert round(float(downtime_s(whole, "month")) / 60) == 26
    assert 3 * table_seconds("Dean 2009", "round trip California-Netherlands") > 0.200
    assert round(transfer_time_s(10**9, "SSD", TABLES["napkin-math 2026"]), 2) == 0.12
    assert 10**9 * 8 / 10e9 == 0.8  # 1 GB over 10 Gbps


def test_duration_text_below_a_second() -> None:
    assert [duration_text(x) for x in (0, 1.27e-7, 5.9e-5, 0.0605)] == ["0 s", "127 ns", "59 µs", "60.5 ms"]
