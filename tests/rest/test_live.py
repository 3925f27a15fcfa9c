"""Tests for helpers.rest.live: the live order API on 127.0.0.1 and the client that talks to it.

Every server runs on 127.0.0.1, port 0, inside a ``with`` block.
"""

from __future__ import annotations

import threading

import pytest

from helpers.rest.live import OrderApi, follow, place_orders, request
from helpers.rest.model import Link, LostResponseError, RestError, link, links, retry

BOOK = {"item": "book", "quantity": 1}


# --- the live API ---------------------------------------------------------------------------


def _create(api: OrderApi, body: dict[str, object] | None = None) -> dict[str, object]:
    entry = request("GET", api.url).json()
    response = follow(link(entry, "create"), body or BOOK)
    assert response.status == 201
    return response.json()


def test_entry_point_links_to_the_collection_and_is_labelled_cacheable() -> None:
    with OrderApi() as api:
        response = request("GET", api.url)
        assert response.status == 200
        assert response.headers["cache-control"] == "max-age=60"
        assert sorted(links(response.json())) == ["create", "create-at", "orders"]
        assert link(response.json(), "create-at").templated


def test_post_creates_with_201_location_and_etag_and_is_labelled_not_storable() -> None:
    with OrderApi() as api:
        response = follow(link(request("GET", api.url).json(), "create"), BOOK)
        order = response.json()
        assert response.status == 201
        assert response.headers["location"] == link(order, "self").href
        assert response.headers["etag"].startswith('"')
        assert response.headers["cache-control"] == "no-store"
        assert order["status"] == "placed"
        assert api.orders_created == 1


@pytest.mark.parametrize(
    ("steps", "final", "offered"),
    [
        ([], "placed", ["cancel", "edit", "pay", "self"]),
        (["pay"], "paid", ["cancel", "self", "ship"]),
        (["pay", "ship"], "shipped", ["self"]),
        (["cancel"], "cancelled", ["delete", "self"]),
        (["pay", "cancel"], "cancelled", ["delete", "self"]),
    ],
)
def test_links_offer_only_the_transitions_the_state_allows(steps: list[str], final: str, offered: list[str]) -> None:
    with OrderApi() as api:
        order = _create(api)
        for rel in steps:
            order = follow(link(order, rel)).json()
        assert order["status"] == final
        assert sorted(links(order)) == offered


def test_a_transition_not_offered_is_a_409_conflict() -> None:
    with OrderApi() as api:
        order = _create(api)
        pay = link(order, "pay")
        shipped = follow(link(follow(pay).json(), "ship")).json()
        again = follow(pay)
        assert again.status == 409
        assert again.headers["content-type"] == "application/problem+json"
        assert again.json()["detail"] == "cannot pay a shipped order"
        assert shipped["status"] == "shipped"


def test_delete_a_cancelled_order_gives_204_then_404() -> None:
    with OrderApi() as api:
        order = _create(api)
        self_link = link(order, "self")
        assert request("DELETE", self_link.href).status == 409  # only cancelled orders
        cancelled = follow(link(order, "cancel")).json()
        deleted = follow(link(cancelled, "delete"))
        assert (deleted.status, deleted.body) == (204, b"")
        assert follow(self_link).status == 404


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"item": "", "quantity": 1}, "'item' must be a non-empty string"),
        ({"item": "book", "quantity": 0}, "'quantity' must be an integer >= 1"),
        ({"item": "book"}, "'quantity' must be an integer"),
        ({"item": "book", "quantity": True}, "got True"),
    ],
)
def test_a_bad_body_is_a_400_with_problem_details(body: dict[str, object], detail: str) -> None:
    with OrderApi() as api:
        response = request("POST", link(request("GET", api.url).json(), "create").href, body)
        assert response.status == 400
        assert detail in response.json()["detail"]
        assert api.orders_created == 0


def test_unknown_paths_are_404_and_wrong_methods_405_with_allow() -> None:
    with OrderApi() as api:
        assert request("GET", api.origin + "/nowhere").status == 404
        assert request("GET", api.url + "orders/o99").status == 404
        response = request("DELETE", api.url)
        assert response.status == 405
        assert response.headers["allow"] == "GET"


def test_conditional_get_gives_304_until_the_order_changes() -> None:
    with OrderApi() as api:
        order = _create(api)
        first = follow(link(order, "self"))
        tag = first.headers["etag"]
        assert first.headers["cache-control"] == "no-cache"
        unchanged = follow(link(order, "self"), headers={"If-None-Match": tag})
        assert (unchanged.status, unchanged.body, unchanged.headers["etag"]) == (304, b"", tag)
        follow(link(order, "pay"))
        changed = follow(link(order, "self"), headers={"If-None-Match": tag})
        assert changed.status == 200
        assert changed.headers["etag"] != tag


def test_if_match_with_a_stale_tag_is_412_and_changes_nothing() -> None:
    with OrderApi() as api:
        order = _create(api)
        tag = follow(link(order, "self")).headers["etag"]
        edited = follow(link(order, "edit"), {"item": "book", "quantity": 2}, headers={"If-Match": tag})
        assert edited.status == 200
        assert edited.json()["quantity"] == 2
        stale = follow(link(order, "edit"), {"item": "book", "quantity": 5}, headers={"If-Match": tag})
        assert stale.status == 412
        assert follow(link(order, "self")).json()["quantity"] == 2
        assert follow(link(order, "pay"), headers={"If-Match": tag}).status == 412


def test_put_creates_once_at_a_client_chosen_id_then_replaces() -> None:
    with OrderApi() as api:
        template = link(request("GET", api.url).json(), "create-at")
        target = Link("create-at", template.href.replace("{id}", "mine-1"), "PUT")
        first, second = follow(target, BOOK), follow(target, BOOK)
        assert (first.status, second.status) == (201, 200)
        assert api.orders_created == 1
        assert api.orders == {"mine-1": "placed"}


def test_idempotency_key_replays_the_first_reply() -> None:
    with OrderApi() as api:
        create = link(request("GET", api.url).json(), "create")
        replies = [follow(create, BOOK, headers={"Idempotency-Key": "k1"}) for _ in range(3)]
        other = follow(create, BOOK, headers={"Idempotency-Key": "k2"})
        assert {reply.json()["id"] for reply in replies} == {"o1"}
        assert other.json()["id"] == "o2"
        assert api.orders_created == 2


@pytest.mark.parametrize(
    ("prefix", "routes"),
    [
        ("", None),
        ("/v2/shop", None),
        ("/x", {"orders": "purchases", "pay": "settle", "ship": "dispatch", "cancel": "void"}),
    ],
)
def test_renamed_routes_break_hard_coded_urls_but_not_link_following(
    prefix: str, routes: dict[str, str] | None
) -> None:
    with OrderApi(prefix=prefix, routes=routes) as api:
        assert request("POST", api.origin + "/api/orders", BOOK).status == 404
        order = _create(api)
        for rel in ("pay", "ship"):
            order = follow(link(order, rel)).json()
        assert order["status"] == "shipped"
        assert link(order, "self").href.startswith(api.origin + prefix + "/")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prefix": "api"}, "prefix must be"),
        ({"prefix": "/api/"}, "prefix must be"),
        ({"routes": {"orders": "o"}}, "routes must name exactly"),
        ({"routes": {"orders": "a", "pay": "a", "ship": "s", "cancel": "c"}}, "distinct"),
        ({"routes": {"orders": "a/b", "pay": "p", "ship": "s", "cancel": "c"}}, r"routes\['orders'\]"),
        ({"lose_fraction": 1.0}, "lose_fraction must be"),
        ({"lose_fraction": -0.1}, "got -0.1"),
    ],
)
def test_order_api_rejects_bad_settings(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OrderApi(**kwargs)  # type: ignore[arg-type]


def test_the_api_stops_cleanly_and_can_run_twice() -> None:
    threads_before = threading.active_count()
    for _ in range(2):
        with OrderApi() as api:
            assert request("GET", api.url).status == 200
            url = api.url
        assert not api.running
        with pytest.raises(RestError):
            request("GET", url, timeout_s=0.5)
    assert threading.active_count() == threads_before


def test_many_clients_at_once_each_create_an_order() -> None:
    with OrderApi() as api:
        create = link(request("GET", api.url).json(), "create")
        workers = [threading.Thread(target=follow, args=(create, BOOK)) for _ in range(8)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert len(api.orders) == 8 == api.orders_created


# --- the client -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://localhost:80/", "https://127.0.0.1:1/", "http://127.0.0.1/", "ftp://x"])
def test_request_refuses_anything_but_local_http(url: str) -> None:
    with pytest.raises(ValueError, match="url must be"):
        request("GET", url)


def test_following_a_template_is_refused() -> None:
    with pytest.raises(ValueError, match="template"):
        follow(Link("create-at", "http://127.0.0.1:1/o/{id}", "PUT", templated=True))


def test_lost_responses_raise_and_retry_gets_through() -> None:
    with OrderApi(lose_fraction=0.9, seed=0) as api:
        with pytest.raises(LostResponseError):
            retry(lambda: request("GET", api.url), attempts=1)
        assert retry(lambda: request("GET", api.url), attempts=200).status == 200
        assert api.responses_lost >= 1


@pytest.mark.parametrize(("strategy", "duplicates_possible"), [("POST", True), ("PUT", False),
                                                                ("POST + Idempotency-Key", False)])
def test_place_orders_under_loss_duplicates_only_with_plain_post(strategy: str, duplicates_possible: bool) -> None:
    with OrderApi(lose_fraction=0.3, seed=5) as api:
        created = place_orders(api, strategy, 40, attempts=2)
        assert api.responses_lost > 0
    if duplicates_possible:
        assert created > 40
    else:
        assert created == 40


def test_place_orders_rejects_unknown_strategies() -> None:
    with OrderApi() as api, pytest.raises(ValueError, match="strategy must be one of"):
        place_orders(api, "PATCH", 1)
