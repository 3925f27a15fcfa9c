"""The numbers explorer's own claims: its status is the model's arithmetic (the kit tests the contract)."""

from __future__ import annotations

from helpers.napkin.explorer import NumbersExplorer, explore_numbers, percent
from helpers.napkin.live import Measurement
from helpers.napkin.model import downtime_s, duration_text, nines, parallel, serial


def test_status_at_the_defaults_is_erratum_30s_numbers() -> None:
    status = NumbersExplorer().status.value
    assert "<b>99.9%</b>" in status
    assert "1 m 26.4 s a day" in status
    assert "8 h 45 m 57 s a year" in status


def test_series_and_replicas_compose_exactly() -> None:
    explorer = NumbersExplorer(nines=4, in_series=3, replicas=2)
    whole = serial(*[parallel(nines(4), nines(4))] * 3)
    assert f"<b>{percent(float(whole))}</b>" in explorer.status.value
    assert f"{duration_text(float(downtime_s(whole, 'day')))} a day" in explorer.status.value


def test_measured_numbers_join_the_ladder() -> None:
    plain = NumbersExplorer()
    measured = explore_numbers({"system call": Measurement("system call", 2e-7, "test")})
    assert len(measured.panels.axes[0].lines) == len(plain.panels.axes[0].lines) + 1
    assert measured.image.value != plain.image.value


def test_percent_keeps_the_digits_it_needs() -> None:
    assert [percent(x) for x in (0.999, 0.9995, 0.99999999)] == ["99.9%", "99.95%", "99.999999%"]
