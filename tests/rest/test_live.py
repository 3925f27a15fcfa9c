"""Tests for helpers.rest.live: the live order API on 127.0.0.1 and the client that talks to it.

Every server runs on 127.0.0.1, port 0, inside a ``with`` block. The API's protocol claims
are checked with clients nobody here wrote (curl through tests/real_clients.py, httpx,
http.client), one test per RFC clause, named after it.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from helpers.rest.live import KEEP_ALIVE_S, MEDIA_TYPE, PROFILE, OrderApi, follow, place_orders, request
from helpers.rest.model import REL, Link, LostResponseError, RestError, link, links, relations, retry

from real_clients import run

BOOK = {"item": "book", "quantity": 1}
REGISTERED = {"self", "edit", "collection", "item", "profile"}
"""The IANA-registered relation types the API uses (RFC 8288 §2.1.1; RFC 4287, 5023, 6573, 6906)."""


@pytest.fixture
def api() -> Iterator[OrderApi]:
    with OrderApi() as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=5.0) as session:  # trust_env=False: never a proxy
        yield session


def _create(api: OrderApi, body: dict[str, object] | None = None) -> dict[str, object]:
    entry = request("GET", api.url).json()
    response = follow(link(entry, REL + "create"), body or BOOK)
    assert response.status == 201
    return response.json()


def _order_url(api: OrderApi) -> tuple[str, str]:
    """A new order's URL and its current ETag."""
    url = link(_create(api), "self").href
    return url, request("GET", url).headers["etag"]


def _curl(*arguments: str) -> tuple[int, dict[str, str], str]:
    """Status, header fields (lower-case names) and body of one curl request (--include)."""
    done = run("curl", ["--silent", "--show-error", "--include", "--max-time", "5", *arguments])
    assert done.returncode == 0, done.stderr
    head, _, body = done.stdout.replace("\r\n", "\n").partition("\n\n")
    status_line, *fields = head.splitlines()
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in fields)}
    return int(status_line.split()[1]), headers, body


# --- the live API ---------------------------------------------------------------------------


def test_entry_point_links_to_the_collection_and_is_labelled_cacheable(api: OrderApi) -> None:
    response = request("GET", api.url)
    assert response.status == 200
    assert response.headers["cache-control"] == "max-age=60"
    assert relations(response.json()) == ["create", "create-at", "orders", "self"]
    assert link(response.json(), REL + "create-at").templated


def test_post_creates_with_201_location_and_etag_and_is_labelled_not_storable(api: OrderApi) -> None:
    response = follow(link(request("GET", api.url).json(), REL + "create"), BOOK)
    order = response.json()
    assert response.status == 201
    assert response.headers["location"] == link(order, "self").href
    assert response.headers["etag"].startswith('"')
    assert response.headers["cache-control"] == "no-store"
    assert "content-location" not in response.headers  # so no cache may reuse it (RFC 9110 §9.3.3)
    assert order["status"] == "placed"
    assert api.orders_created == 1


@pytest.mark.parametrize(
    ("steps", "final", "offered"),
    [
        ([], "placed", ["cancel", "collection", "edit", "pay", "self"]),
        (["pay"], "paid", ["cancel", "collection", "self", "ship"]),
        (["pay", "ship"], "shipped", ["collection", "self"]),
        (["cancel"], "cancelled", ["collection", "delete", "self"]),
        (["pay", "cancel"], "cancelled", ["collection", "delete", "self"]),
    ],
)
def test_links_offer_only_the_transitions_the_state_allows(
    api: OrderApi, steps: list[str], final: str, offered: list[str]
) -> None:
    order = _create(api)
    for rel in steps:
        order = follow(link(order, REL + rel)).json()
    assert order["status"] == final
    assert relations(order) == offered


def test_the_collection_lists_each_order_with_its_own_self_link(api: OrderApi) -> None:
    order = _create(api)
    collection = follow(link(order, "collection"))
    assert collection.status == 200
    assert [(entry["id"], link(entry, "self").href) for entry in collection.json()["orders"]] == [
        (order["id"], link(order, "self").href)
    ]
    assert relations(collection.json()) == ["create", "self"]


def test_a_transition_not_offered_is_a_409_conflict(api: OrderApi) -> None:
    order = _create(api)
    pay = link(order, REL + "pay")
    shipped = follow(link(follow(pay).json(), REL + "ship")).json()
    again = follow(pay)
    assert again.status == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["detail"] == "cannot pay a shipped order"
    assert shipped["status"] == "shipped"


def test_a_server_may_give_a_transition_another_method_and_its_links_say_so() -> None:
    with OrderApi(prefix="/v3", methods={"pay": "PUT"}) as api:
        order = _create(api)
        pay = link(order, REL + "pay")
        assert pay.method == "PUT"
        assert request("POST", pay.href).status == 405
        assert follow(pay).json()["status"] == "paid"
        assert api.history[-3:] == [("POST", "/v3/orders", 201), ("POST", "/v3/orders/o1/payment", 405),
                                    ("PUT", "/v3/orders/o1/payment", 200)]  # fmt: skip


def test_delete_a_cancelled_order_gives_204_then_404(api: OrderApi) -> None:
    order = _create(api)
    self_link = link(order, "self")
    assert request("DELETE", self_link.href).status == 409  # only cancelled orders
    cancelled = follow(link(order, REL + "cancel")).json()
    deleted = follow(link(cancelled, REL + "delete"))
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
def test_rfc9110_15_5_21_well_formed_json_with_bad_fields_is_422(
    api: OrderApi, body: dict[str, object], detail: str
) -> None:
    response = request("POST", link(request("GET", api.url).json(), REL + "create").href, body)
    assert response.status == 422
    assert detail in response.json()["detail"]
    assert api.orders_created == 0


@pytest.mark.parametrize(("raw", "detail"), [(b"{not json", "not valid JSON"), (b"[1, 2]", "a JSON object")])
def test_rfc9110_15_5_1_content_that_is_not_a_json_object_is_400(api: OrderApi, raw: bytes, detail: str) -> None:
    collection = link(request("GET", api.url).json(), REL + "create").href
    response = httpx.post(collection, content=raw, headers={"Content-Type": "application/json"}, trust_env=False)
    assert response.status_code == 400
    assert detail in response.json()["detail"]


def test_unknown_paths_are_404(api: OrderApi) -> None:
    assert request("GET", api.origin + "/nowhere").status == 404
    assert request("GET", api.url + "orders/o99").status == 404
    assert request("POST", api.url + "orders/o99/payment").status == 404


def test_put_creates_once_at_a_client_chosen_id_then_replaces(api: OrderApi) -> None:
    template = link(request("GET", api.url).json(), REL + "create-at")
    target = Link(template.rel, template.href.replace("{id}", "mine-1"), "PUT")
    first, second = follow(target, BOOK), follow(target, BOOK)
    assert (first.status, second.status) == (201, 200)
    assert api.orders_created == 1
    assert api.orders == {"mine-1": "placed"}


def test_idempotency_key_replays_the_first_reply(api: OrderApi) -> None:
    create = link(request("GET", api.url).json(), REL + "create")
    replies = [follow(create, BOOK, headers={"Idempotency-Key": "k1"}) for _ in range(3)]
    other = follow(create, BOOK, headers={"Idempotency-Key": "k2"})
    assert {reply.json()["id"] for reply in replies} == {"o1"}
    assert {reply.status for reply in replies} == {201}
    assert other.json()["id"] == "o2"
    assert api.orders_created == 2


def test_idempotency_key_draft_2_7_reuse_with_another_body_is_422_not_a_replay(
    api: OrderApi, client: httpx.Client
) -> None:
    """draft-ietf-httpapi-idempotency-key-header §2.7: a key reused with a different payload is an error (422)."""
    create = link(request("GET", api.url).json(), REL + "create").href
    first = client.post(create, json=BOOK, headers={"Idempotency-Key": "k1"})
    same = client.post(create, content=b'{ "quantity": 1, "item": "book" }',
                       headers={"Idempotency-Key": "k1", "Content-Type": "application/json"})  # fmt: skip
    other = client.post(create, json={"item": "lamp", "quantity": 3}, headers={"Idempotency-Key": "k1"})
    assert (first.status_code, same.status_code) == (201, 201)
    assert same.json()["id"] == first.json()["id"]  # the same JSON, however spaced or ordered
    assert other.status_code == 422, other.text
    assert "Idempotency-Key 'k1' was used before with another body" in other.json()["detail"]
    assert api.orders_created == 1


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
            order = follow(link(order, REL + rel)).json()
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
        ({"methods": {"create": "PUT"}}, r"methods may name only \['cancel', 'pay', 'ship'\]"),
        ({"methods": {"pay": "GET"}}, r"methods\['pay'\] must be one of \['POST', 'PUT'\], got 'GET'"),
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


def test_an_idle_keep_alive_connection_does_not_hold_up_stop() -> None:
    threads_before = threading.active_count()
    with OrderApi() as api:
        connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=5)
        connection.request("GET", "/api/")
        connection.getresponse().read()
        started = time.perf_counter()
    stopped_in_s = time.perf_counter() - started
    connection.close()
    assert stopped_in_s < KEEP_ALIVE_S / 5, f"stop() waited {stopped_in_s:.2f} s for an idle connection"
    assert threading.active_count() == threads_before


def test_many_clients_at_once_each_create_an_order(api: OrderApi) -> None:
    create = link(request("GET", api.url).json(), REL + "create")
    workers = [threading.Thread(target=follow, args=(create, BOOK)) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(api.orders) == 8 == api.orders_created


# --- HTTP semantics, checked with clients nobody here wrote (RFC 9110, 9112, 6585, 8288, 6906) ---


def test_rfc9110_13_1_2_if_none_match_uses_weak_comparison(api: OrderApi) -> None:
    """A weakened copy of the tag (W/, as a compressing proxy makes it) still revalidates: 304."""
    url, tag = _order_url(api)
    status, headers, body = _curl("-H", f"If-None-Match: W/{tag}", url)
    assert (status, headers["etag"], body) == (304, tag, "")


def test_rfc9110_13_1_2_if_none_match_takes_a_list_of_tags(api: OrderApi) -> None:
    url, tag = _order_url(api)
    assert _curl("-H", f'If-None-Match: "0000", {tag}, W/"1111"', url)[0] == 304
    assert _curl("-H", 'If-None-Match: "0000", W/"1111"', url)[0] == 200


def test_rfc9110_13_1_2_if_none_match_star_matches_any_current_representation(api: OrderApi) -> None:
    url, _ = _order_url(api)
    assert _curl("-H", "If-None-Match: *", url)[0] == 304
    assert _curl("-H", "If-None-Match: *", api.url + "orders/o99")[0] == 404  # nothing there: no 304


def test_rfc9110_13_1_2_if_none_match_star_on_put_to_an_existing_order_is_412(api: OrderApi) -> None:
    url, _ = _order_url(api)
    status, headers, body = _curl("-X", "PUT", "-H", "If-None-Match: *", "-H", "Content-Type: application/json",
                                  "--data", '{"item": "pen", "quantity": 9}', url)  # fmt: skip
    assert (status, headers["content-type"]) == (412, "application/problem+json")
    assert "already exists" in json.loads(body)["detail"]
    assert request("GET", url).json()["item"] == "book"


def test_rfc9110_13_1_2_if_none_match_star_lets_put_create_only_where_nothing_is(api: OrderApi) -> None:
    url = api.url + "orders/mine-7"
    arguments = ["-X", "PUT", "-H", "If-None-Match: *", "-H", "Content-Type: application/json", "--data",
                 '{"item": "pen", "quantity": 1}', url]  # fmt: skip
    assert [_curl(*arguments)[0] for _ in range(2)] == [201, 412]
    assert api.orders_created == 1


def test_rfc9110_13_1_1_if_match_uses_strong_comparison(api: OrderApi, client: httpx.Client) -> None:
    url, tag = _order_url(api)
    weak = client.put(url, json={"item": "book", "quantity": 2}, headers={"If-Match": f"W/{tag}"})
    assert weak.status_code == 412
    assert "compares entity tags strongly" in weak.json()["detail"]
    strong = client.put(url, json={"item": "book", "quantity": 2}, headers={"If-Match": tag})
    assert strong.status_code == 200


def test_rfc9110_13_1_1_if_match_takes_a_list_and_star(api: OrderApi, client: httpx.Client) -> None:
    url, tag = _order_url(api)
    listed = client.put(url, json={"item": "book", "quantity": 2}, headers={"If-Match": f'"0000", {tag}'})
    assert listed.status_code == 200
    star = client.put(url, json={"item": "book", "quantity": 3}, headers={"If-Match": "*"})
    assert star.status_code == 200
    stale = client.put(url, json={"item": "book", "quantity": 4}, headers={"If-Match": f'"0000", {tag}'})
    assert stale.status_code == 412
    assert request("GET", url).json()["quantity"] == 3


def test_rfc9110_13_1_1_if_match_is_false_without_a_current_representation(api: OrderApi) -> None:
    """PUT-create with If-Match (``*`` or a tag) is refused: there is nothing for the tag to match."""
    for condition in ("*", '"90d16596584c7078"'):
        status, _, body = _curl("-X", "PUT", "-H", f"If-Match: {condition}", "-H", "Content-Type: application/json",
                                "--data", '{"item": "pen", "quantity": 1}', api.url + "orders/ghost")  # fmt: skip
        assert status == 412, body
        assert "nothing is here yet" in json.loads(body)["detail"]
    assert api.orders_created == 0


def test_rfc9110_13_1_1_preconditions_apply_to_delete(api: OrderApi) -> None:
    cancelled = follow(link(_create(api), REL + "cancel"))
    url, tag = link(cancelled.json(), "self").href, cancelled.headers["etag"]
    assert _curl("-X", "DELETE", "-H", 'If-Match: "0000"', url)[0] == 412
    assert _curl("-X", "DELETE", "-H", "If-None-Match: *", url)[0] == 412
    assert api.orders == {"o1": "cancelled"}
    assert _curl("-X", "DELETE", "-H", f"If-Match: {tag}", url)[0] == 204
    assert api.orders == {}


def test_rfc9110_13_1_1_a_transition_is_conditional_on_its_orders_tag(api: OrderApi) -> None:
    order = _create(api)
    tag = follow(link(order, "self")).headers["etag"]
    follow(link(order, "edit"), {"item": "book", "quantity": 2}, headers={"If-Match": tag})
    assert follow(link(order, REL + "pay"), headers={"If-Match": tag}).status == 412
    assert api.orders == {"o1": "placed"}


def test_rfc9110_13_2_1_failures_found_before_the_conditions_take_precedence(api: OrderApi) -> None:
    """A response that would not be 2xx without the conditions ignores them: 404, 405 and 409 stay."""
    url, _ = _order_url(api)
    stale = {"If-Match": '"0000"'}
    assert request("DELETE", api.url + "orders/o99", headers=stale).status == 404
    assert request("PATCH", url, headers=stale).status == 405
    assert request("DELETE", url, headers=stale).status == 409  # only a cancelled order can be deleted


def test_rfc9110_13_2_2_if_match_is_evaluated_before_if_none_match(api: OrderApi) -> None:
    url, tag = _order_url(api)
    both = {"If-Match": '"0000"', "If-None-Match": tag}
    assert request("GET", url, headers=both).status == 412  # not 304: If-Match failed first


def test_rfc9110_8_8_3_an_entity_tag_without_quotes_is_a_400_that_says_so(api: OrderApi) -> None:
    url, tag = _order_url(api)
    status, _, body = _curl("-H", f"If-None-Match: {tag.strip(chr(34))}", url)
    assert status == 400
    assert "in double quotes" in json.loads(body)["detail"]


def test_rfc9112_3_2_2_the_absolute_form_of_a_target_is_accepted(api: OrderApi) -> None:
    url, _ = _order_url(api)
    connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=5)
    connection.request("GET", url + "?view=full")  # absolute form, as a client sends it to a proxy
    answer = connection.getresponse()
    order = json.loads(answer.read())
    connection.close()
    assert (answer.status, order["id"]) == (200, "o1")


def test_rfc9110_15_4_5_a_304_repeats_etag_and_cache_control_and_has_no_content(api: OrderApi) -> None:
    url, tag = _order_url(api)
    connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=5)
    connection.request("GET", urlsplit(url).path, headers={"If-None-Match": tag})
    answer = connection.getresponse()
    body = answer.read()
    connection.close()
    assert (answer.status, answer.getheader("ETag"), answer.getheader("Cache-Control"), body) == (
        304, tag, "no-cache", b""
    )  # fmt: skip
    assert answer.getheader("Content-Length") is None


@pytest.mark.parametrize("route", ["", "orders", "orders/o1"])
def test_rfc9110_9_3_2_head_answers_every_get_route_with_gets_fields_and_no_content(api: OrderApi, route: str) -> None:
    _create(api)
    get_status, get_headers, get_body = _curl(api.url + route)
    head_status, head_headers, head_body = _curl("--head", api.url + route)
    assert (get_status, head_status, head_body) == (200, 200, "")
    for name in ("content-type", "content-length", "etag", "cache-control", "link"):
        assert head_headers[name] == get_headers[name], name
    assert int(head_headers["content-length"]) == len(get_body.encode())


@pytest.mark.parametrize(
    ("route", "method", "allowed"),
    [
        ("", "DELETE", "GET, HEAD, OPTIONS"),
        ("orders", "PUT", "GET, HEAD, POST, OPTIONS"),
        ("orders/o1", "PATCH", "GET, HEAD, PUT, DELETE, OPTIONS"),
        ("orders/o1/payment", "GET", "POST, OPTIONS"),
    ],
)
def test_rfc9110_15_5_6_a_405_carries_allow_and_allow_lists_head(
    api: OrderApi, route: str, method: str, allowed: str
) -> None:
    _create(api)
    status, headers, body = _curl("-X", method, api.url + route)
    assert (status, headers["allow"]) == (405, allowed)
    assert json.loads(body)["status"] == 405


@pytest.mark.parametrize(
    ("route", "allowed"),
    [("", "GET, HEAD, OPTIONS"), ("orders", "GET, HEAD, POST, OPTIONS"), ("orders/o1/payment", "POST, OPTIONS")],
)
def test_rfc9110_9_3_7_options_lists_the_allowed_methods(api: OrderApi, route: str, allowed: str) -> None:
    _create(api)
    status, headers, body = _curl("-X", "OPTIONS", api.url + route)
    assert (status, headers["allow"], body) == (204, allowed, "")


def test_rfc9112_9_3_connections_persist_and_curl_reuses_one(api: OrderApi) -> None:
    """HTTP/1.1 connections persist unless a side says close: curl sends three requests over one."""
    done = run("curl", ["--silent", "--verbose", "--http1.1", "--max-time", "5", "--output", "/dev/null",
                        "--output", "/dev/null", "--output", "/dev/null",
                        api.url, api.url + "orders", api.url])  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert re.findall(r"^< (HTTP/\S+) (\d+)", done.stderr, re.MULTILINE) == [("HTTP/1.1", "200")] * 3
    assert done.stderr.count("Re-using existing connection") == 2
    assert api.connections_accepted == 1


def test_rfc9112_6_every_response_has_a_length_so_one_connection_carries_them_all(api: OrderApi) -> None:
    """http.client reads a 201, 200, 304, 405, HEAD's 200, 412 and 204 one after another on one connection."""
    connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=5)
    statuses = []

    def send(method: str, path: str, body: dict[str, object] | None = None, **headers: str) -> http.client.HTTPResponse:
        fields = {name.replace("_", "-"): value for name, value in headers.items()}
        if body is not None:
            fields["Content-Type"] = "application/json"
        connection.request(method, path, None if body is None else json.dumps(body), fields)
        answer = connection.getresponse()
        answer.read()
        statuses.append(answer.status)
        return answer

    created = send("POST", "/api/orders", BOOK)
    tag = str(created.getheader("ETag"))
    send("GET", "/api/orders/o1")
    send("GET", "/api/orders/o1", If_None_Match=tag)
    send("PATCH", "/api/orders/o1")
    send("HEAD", "/api/orders/o1")
    send("POST", "/api/orders/o1/cancellation", If_Match='"0000"')
    cancelled = send("POST", "/api/orders/o1/cancellation")
    send("DELETE", "/api/orders/o1", If_Match=str(cancelled.getheader("ETag")))
    connection.close()
    assert statuses == [201, 200, 304, 405, 200, 412, 200, 204]
    assert api.connections_accepted == 1


def test_rfc9112_9_3_a_kept_alive_connection_answers_without_waiting_for_delayed_acks(api: OrderApi) -> None:
    """Headers and content are two writes: with Nagle's algorithm on, each response would wait ~40 ms."""
    connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=5)
    times_ms = []
    for _ in range(20):
        started = time.perf_counter()
        connection.request("GET", "/api/")
        connection.getresponse().read()
        times_ms.append((time.perf_counter() - started) * 1000)
    connection.close()
    assert sorted(times_ms)[10] < 20, f"median {sorted(times_ms)[10]:.1f} ms per request on one connection"


def test_rfc9112_7_1_chunked_request_content_is_decoded(api: OrderApi) -> None:
    status, headers, _ = _curl("-H", "Transfer-Encoding: chunked", "-H", "Content-Type: application/json",
                               "--data", '{"item": "pen", "quantity": 2}', api.url + "orders")  # fmt: skip
    assert status == 201
    assert request("GET", headers["location"]).json()["quantity"] == 2


def test_rfc9110_15_5_16_a_body_that_is_not_json_is_415_with_accept(api: OrderApi) -> None:
    """curl --data sends application/x-www-form-urlencoded: the API says which types it accepts instead."""
    status, headers, body = _curl("--data", "item=pen&quantity=1", api.url + "orders")
    assert (status, headers["accept"]) == (415, f"application/json, {MEDIA_TYPE}")
    assert "application/x-www-form-urlencoded" in json.loads(body)["detail"]
    assert _curl("-H", f"Content-Type: {MEDIA_TYPE}", "--data", json.dumps(BOOK), api.url + "orders")[0] == 201


def test_rfc6585_3_428_when_the_api_requires_if_match() -> None:
    with OrderApi(require_if_match=True) as api:
        url, tag = _order_url(api)
        blind = request("PUT", url, {"item": "book", "quantity": 5})
        assert blind.status == 428
        assert "If-Match" in blind.json()["detail"]
        assert request("PUT", url, {"item": "book", "quantity": 5}, headers={"If-Match": tag}).status == 200
        assert request("PUT", api.url + "orders/new", BOOK).status == 201  # creating needs no version


def test_rfc8288_2_1_relations_are_registered_names_or_uris(api: OrderApi) -> None:
    order = _create(api)
    seen = set(links(request("GET", api.url).json())) | set(links(order))
    cancelled = follow(link(order, REL + "cancel")).json()
    seen |= set(links(cancelled)) | set(links(follow(link(order, "collection")).json()))
    extension = seen - REGISTERED
    assert seen & REGISTERED == {"self", "edit", "collection"}
    assert extension
    assert all(re.fullmatch(r"https://orders\.example/rels/[a-z-]+", rel) for rel in extension), extension


def test_rfc6906_representations_have_a_vendor_media_type_with_a_profile(api: OrderApi, client: httpx.Client) -> None:
    response = client.get(api.url)
    assert response.headers["content-type"] == MEDIA_TYPE
    assert response.links["profile"]["url"] == PROFILE  # httpx parses the Link header (RFC 8288 §3)
    assert request("GET", api.origin + "/nowhere").headers["content-type"] == "application/problem+json"


# --- the client -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://localhost:80/", "https://127.0.0.1:1/", "http://127.0.0.1/", "ftp://x"])
def test_request_refuses_anything_but_local_http(url: str) -> None:
    with pytest.raises(ValueError, match="url must be"):
        request("GET", url)


def test_following_a_template_is_refused() -> None:
    with pytest.raises(ValueError, match="template"):
        follow(Link(REL + "create-at", "http://127.0.0.1:1/o/{id}", "PUT", templated=True))


def test_lost_responses_raise_and_retry_gets_through() -> None:
    with OrderApi(lose_fraction=0.9, seed=0) as api:
        with pytest.raises(LostResponseError):
            retry(lambda: request("GET", api.url), attempts=1)
        assert retry(lambda: request("GET", api.url), attempts=200).status == 200
        assert api.responses_lost >= 1


@pytest.mark.parametrize(
    ("strategy", "duplicates_possible"), [("POST", True), ("PUT", False), ("POST + Idempotency-Key", False)]
)
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
