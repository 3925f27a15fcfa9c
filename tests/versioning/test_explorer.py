"""The rollout explorer of lesson 09: what its status line says after each change.

What every explorer must do (render, move every control, redraw fast and right, reject bad
settings) is checked for all of them in tests/kit/test_explorers.py.
"""

from __future__ import annotations

import pytest

from helpers.versioning.explorer import RolloutExplorer, explore_rollout
from helpers.versioning.model import contract_failure_rate, failure_rate


@pytest.fixture
def explorer() -> RolloutExplorer:
    return RolloutExplorer()


def test_defaults_show_half_the_requests_failing(explorer: RolloutExplorer) -> None:
    assert explorer.image.value[:4] == b"\x89PNG"
    status = explorer.status.value
    assert status.startswith("<b>50%</b> of requests fail with 50% of providers and 0% of consumers upgraded")
    assert "expand\u2013migrate\u2013contract would fail 0%" in status
    assert "price_cents" in status
    assert "anything else ignored" in status


@pytest.mark.parametrize("change", ["add field", "rename field", "change type", "remove unused field"])
@pytest.mark.parametrize("reader", ["strict", "tolerant"])
def test_status_numbers_come_from_the_model(explorer: RolloutExplorer, change: str, reader: str) -> None:
    explorer.controls["providers"].value = 0.3
    explorer.controls["consumers"].value = 0.6
    explorer.controls["change"].value = change
    explorer.controls["reader"].value = reader
    expected = failure_rate(0.3, 0.6, change, "big bang", reader)
    assert explorer.status.value.startswith(f"<b>{expected:.0%}</b> of requests fail")


def test_expand_migrate_contract_warns_against_contracting_early(explorer: RolloutExplorer) -> None:
    explorer.controls["strategy"].value = "expand-migrate-contract"
    explorer.controls["consumers"].value = 0.3
    early = contract_failure_rate(0.3, "rename field")
    assert f"Contracting now (removing the old form) would fail {early:.0%}: migrate every consumer first." in (
        explorer.status.value
    )
    explorer.controls["consumers"].value = 1.0
    assert "would fail 0%." in explorer.status.value


def test_strict_readers_show_their_rule(explorer: RolloutExplorer) -> None:
    explorer.controls["reader"].value = "strict"
    assert "nothing else allowed" in explorer.status.value


def test_the_lessons_one_liner_builds_the_default() -> None:
    assert explore_rollout().controls["change"].value == "rename field"
