"""The explorers of lesson 03: the retry explorer's numbers against the model, and the hypermedia browser.

What every explorer must do (render, move every control, redraw fast and right, reject bad
settings) is checked for all of them in tests/kit/test_explorers.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers.rest.explorer import HypermediaBrowser, RetryExplorer, browse_orders
from helpers.rest.live import MEDIA_TYPE, OrderApi, request
from helpers.rest.model import REL, expected_duplicates, link, simulate_retries

# --- RetryExplorer --------------------------------------------------------------------------


@pytest.fixture
def retry_explorer() -> RetryExplorer:
    return RetryExplorer()


def test_retry_explorer_states_the_default_numbers(retry_explorer: RetryExplorer) -> None:
    status = retry_explorer.status.value
    assert status.startswith("q = 10%, R = 1 retry, N = 1,000: POST created <b>1,")
    assert "expected 100.0, q&middot;N = 100.0" in status
    assert "PUT <b>1,000</b>; POST + Idempotency-Key <b>1,000</b>" in status


def test_retry_explorer_controls_read_as_shares_and_counts() -> None:
    labels = {control.name: control.labels for control in RetryExplorer.CONTROLS}
    assert list(labels) == ["loss_rate", "retries", "requests"]  # the first control is the main one
    assert labels["loss_rate"][:5] == ["0%", "1%", "2%", "5%", "10%"]
    assert labels["retries"] == ["1", "2", "3", "4", "5"]
    assert labels["requests"] == ["100", "1,000", "10,000", "100,000"]


def test_retry_explorer_counts_match_the_simulation(retry_explorer: RetryExplorer) -> None:
    retry_explorer.controls["requests"].value = 10_000
    retry_explorer.controls["retries"].value = 2
    retry_explorer.controls["loss_rate"].value = 0.2
    outcome = simulate_retries(np.round(np.linspace(0.0, 0.5, 51), 2), 10_000, 2, np.random.default_rng(42))
    posted = int(outcome.created["POST"][20])
    assert f"POST created <b>{posted:,}</b>" in retry_explorer.status.value
    assert f"{int(outcome.gave_up[20]):,} requests lost every response" in retry_explorer.status.value
    assert abs(posted - 10_000 - expected_duplicates(0.2, 10_000, 2)) < 150
    bars_ax = retry_explorer.panels.axes[1]
    assert [round(float(bar.get_height()), 4) for bar in bars_ax.patches] == [posted / 10_000, 1.0, 1.0]  # type: ignore[attr-defined]


def test_no_loss_means_no_duplicates(retry_explorer: RetryExplorer) -> None:
    retry_explorer.controls["loss_rate"].value = 0.0
    assert "POST created <b>1,000</b> orders (0 duplicates" in retry_explorer.status.value
    assert "0 requests lost every response" in retry_explorer.status.value


# --- HypermediaBrowser ----------------------------------------------------------------------


def test_hypermedia_browser_offers_only_the_links_of_each_state() -> None:
    browser = HypermediaBrowser()
    try:
        assert browser.labels == ["create", "orders", "self"]  # the template create-at gets no button
        assert browser.buttons[REL + "create"].description == "create (POST)"
        seen = []
        for rel in ("create", "pay", "cancel", "delete"):
            browser.buttons[REL + rel].click()
            seen.append(browser.labels)
        assert seen == [
            ["cancel", "collection", "edit", "pay", "self"],
            ["cancel", "collection", "self", "ship"],
            ["collection", "delete", "self"],
            [],
        ]
        assert [entry.rsplit("-> ", 1)[1] for entry in browser.history] == [
            "200 OK", "201 Created", "200 OK", "200 OK", "204 No Content",
        ]  # fmt: skip
        assert "204 No Content" in browser.view.value
        assert "(no body)" in browser.view.value
        browser.home.click()
        assert browser.labels == ["create", "orders", "self"]
        assert f"content-type: {MEDIA_TYPE}" in browser.view.value
    finally:
        browser.close()
    assert not browser.api.running


def test_hypermedia_browser_edit_sends_if_match_and_shows_the_new_representation() -> None:
    with OrderApi(prefix="/v9") as api:
        browser = HypermediaBrowser(api)
        browser.follow(REL + "create")
        browser.follow("edit")
        assert browser.representation["quantity"] == 2
        assert "&quot;quantity&quot;: 2" in browser.view.value
        api_order = browser.representation["id"]
        request("PUT", link(browser.representation, "self").href, {"item": "lamp", "quantity": 9})
        stale = browser.follow(REL + "pay")  # the browser still shows quantity 2: its If-Match is stale
        assert stale.status == 412
        assert api.orders == {api_order: "placed"}
        browser.close()
        assert api.running  # a browser never stops an API it was given
    with pytest.raises(ValueError, match="api must be running"):
        HypermediaBrowser(api)


def test_hypermedia_browser_follows_each_links_own_method() -> None:
    with OrderApi(methods={"pay": "PUT", "ship": "PUT"}) as api:
        browser = HypermediaBrowser(api)
        for rel in ("create", "pay", "ship"):
            browser.follow(REL + rel)
        assert browser.representation["status"] == "shipped"
        assert [entry.split()[0] for entry in browser.history] == ["GET", "POST", "PUT", "PUT"]
        browser.close()


def test_browse_orders_closes_the_previous_browser_and_its_server() -> None:
    first = browse_orders()
    second = browse_orders()
    try:
        assert not first.api.running
        assert second.api.running
    finally:
        second.close()
    assert not second.api.running
