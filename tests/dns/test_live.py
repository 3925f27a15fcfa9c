"""The live DNS of lesson 04: the authoritative server on 127.0.0.1 and the dnspython client.

Every server runs on 127.0.0.1, port 0, inside a ``with`` block, and must leave no thread behind.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from helpers.dns import Endpoint
from helpers.dns.live import (
    CLIENT_SUBNETS,
    NEGATIVE_TTL,
    ROUTED_NAME,
    AuthoritativeServer,
    CachingResolver,
    query,
)


@pytest.fixture
def server() -> AuthoritativeServer:
    with AuthoritativeServer(ttl=60, seed=1) as running:
        yield running  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "rtype", "values"),
    [
        ("shop.test", "A", ["192.0.2.1"]),
        ("shop.test", "MX", ["10 mail.shop.test."]),
        ("shop.test", "NS", ["ns1.shop.test."]),
        ("shop.test", "TXT", ["v=spf1 mx -all"]),
        ("ipv6.shop.test", "AAAA", ["2001:db8::10"]),
        ("shop-cdn.shop.test", "CNAME", ["www.shop.test."]),
    ],
)
def test_server_answers_typed_records_authoritatively(
    server: AuthoritativeServer, name: str, rtype: str, values: list[str]
) -> None:
    answer = query(server.port, name, rtype)
    assert answer.rcode == "NOERROR"
    assert answer.authoritative
    assert [record.value for record in answer.records] == values
    assert all(record.type == rtype for record in answer.records)


def test_a_cname_is_followed_inside_the_zone(server: AuthoritativeServer) -> None:
    answer = query(server.port, "shop-cdn.shop.test", "A")
    assert [record.type for record in answer.records] == ["CNAME", "A"]


@pytest.mark.parametrize(("name", "rtype", "rcode"), [("nope.shop.test", "A", "NXDOMAIN"),
                                                       ("mail.shop.test", "AAAA", "NOERROR")])
def test_negative_answers_carry_the_soa_for_negative_caching(
    server: AuthoritativeServer, name: str, rtype: str, rcode: str
) -> None:
    answer = query(server.port, name, rtype)
    assert (answer.rcode, answer.records, answer.negative_ttl) == (rcode, (), NEGATIVE_TTL)


def test_names_outside_the_zone_are_refused(server: AuthoritativeServer) -> None:
    assert query(server.port, "example.com").rcode == "REFUSED"


def test_weighted_policy_splits_by_weight_and_follows_changes(server: AuthoritativeServer) -> None:
    server.set_weight("eu-west", 3)
    counts = Counter(query(server.port, ROUTED_NAME).addresses[0] for _ in range(400))
    assert 0.68 < counts["192.0.2.20"] / 400 < 0.82
    server.set_weight("eu-west", 0)
    assert {query(server.port, ROUTED_NAME).addresses[0] for _ in range(30)} == {"192.0.2.10"}
    assert server.answered["us-east"] >= 30
    assert server.queries == 430


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("geolocation", {"europe": "192.0.2.20", "north-america": "192.0.2.10", "asia": "192.0.2.10"}),
        ("latency", {"europe": "192.0.2.20", "north-america": "192.0.2.10", "asia": "192.0.2.20"}),
    ],
)
def test_location_policies_read_the_client_subnet(
    server: AuthoritativeServer, policy: str, expected: dict[str, str]
) -> None:
    server.policy = policy
    assert {where: query(server.port, ROUTED_NAME, location=where).addresses[0] for where in CLIENT_SUBNETS} == expected


def test_failing_a_region_moves_its_traffic(server: AuthoritativeServer) -> None:
    server.policy = "geolocation"
    server.set_healthy("eu-west", False)
    assert query(server.port, ROUTED_NAME, location="europe").addresses == ["192.0.2.10"]
    server.set_healthy("us-east", False)
    empty = query(server.port, ROUTED_NAME, location="europe")
    assert empty.rcode == "NOERROR"
    assert empty.addresses == []


def test_multivalue_returns_every_healthy_endpoint_up_to_eight() -> None:
    pool = [Endpoint(f"web-{i}", f"192.0.2.{i}") for i in range(1, 11)]
    with AuthoritativeServer(endpoints=pool, policy="multivalue") as running:
        assert len(set(query(running.port, ROUTED_NAME).addresses)) == 8


def test_caching_resolver_asks_once_per_ttl_and_caches_nxdomain(server: AuthoritativeServer) -> None:
    now = [0.0]
    resolver = CachingResolver(server.port, clock=lambda: now[0])
    for second in range(0, 180, 5):
        now[0] = float(second)
        resolver.resolve(ROUTED_NAME)
    assert resolver.upstream_queries == 3  # at 0, 60 and 120 s
    for second in range(0, 60, 5):
        now[0] = 1000.0 + second
        assert resolver.resolve("nope.shop.test").rcode == "NXDOMAIN"
    assert resolver.upstream_queries == 3 + 2  # negative TTL 30 s: at 1000 and 1030 s


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: AuthoritativeServer(policy="random"), "policy must be one of"),
        (lambda: AuthoritativeServer(ttl=-5), "ttl must be an int"),
        (lambda: AuthoritativeServer(endpoints=[]), "endpoints must be a non-empty list"),
        (lambda: query(0, "shop.test"), "port must be"),
        (lambda: query(53, "shop.test", location="mars"), "location must be one of"),
    ],
)
def test_bad_settings_raise_value_error(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_unknown_endpoint_names_are_reported(server: AuthoritativeServer) -> None:
    with pytest.raises(ValueError, match=r"no endpoint 'mars'; the endpoints are \['us-east', 'eu-west'\]"):
        server.set_weight("mars", 1)


def test_stop_closes_the_socket_and_joins_the_thread_and_a_rerun_works() -> None:
    before = set(threading.enumerate())
    for _ in range(2):
        with AuthoritativeServer() as running:
            port = running.port
            assert query(port, "shop.test").rcode == "NOERROR"
        assert not running.running
        with pytest.raises(RuntimeError, match="not running"):
            _ = running.port
    assert set(threading.enumerate()) == before
