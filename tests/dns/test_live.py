"""The live DNS of lesson 04: the authoritative server on 127.0.0.1 and the dnspython client.

Every server runs on 127.0.0.1, port 0, inside a ``with`` block, and must leave no thread behind.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.resolver
import pytest

from helpers.dns import Endpoint, Record
from helpers.dns.live import (
    CLIENT_SUBNETS,
    DKIM_KEY,
    NEGATIVE_TTL,
    ROUTED_NAME,
    AuthoritativeServer,
    CachingResolver,
    query,
)

from real_clients import run


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


# --- conformance, checked with clients nobody here wrote: dig (bind9-dnsutils) and dnspython ------------------


def dig(port: int, *arguments: str) -> str:
    """What ``dig`` prints for a question to the server on 127.0.0.1:``port``."""
    done = run("dig", ["@127.0.0.1", "-p", str(port), "+time=2", "+tries=1", *arguments])
    assert done.returncode == 0, f"dig {' '.join(arguments)} failed: {done.stdout}{done.stderr}"
    return done.stdout


def flags_of(output: str) -> set[str]:
    """The header flags dig printed (``;; flags: qr aa rd; QUERY: ...``)."""
    line = next(line for line in output.splitlines() if line.startswith(";; flags:"))
    return set(line.split(";")[2].removeprefix(" flags:").split())


def ask(port: int, message: dns.message.Message, tcp: bool = False) -> dns.message.Message:
    """dnspython's answer to ``message`` from 127.0.0.1:``port``."""
    send = dns.query.tcp if tcp else dns.query.udp
    return send(message, "127.0.0.1", port=port, timeout=2)


def ecs_of(response: dns.message.Message) -> dns.edns.ECSOption | None:
    return next((option for option in response.options if isinstance(option, dns.edns.ECSOption)), None)


def test_rfc6891_7_a_query_with_opt_gets_opt_back_and_one_without_gets_none(server: AuthoritativeServer) -> None:
    with_opt = dig(server.port, "shop.test")
    assert "; EDNS: version: 0" in with_opt, f"RFC 6891 §7: an OPT in the query needs one in the reply:\n{with_opt}"
    without = ask(server.port, dns.message.make_query("shop.test", "A", use_edns=None))
    assert without.edns == -1, "RFC 6891 §7: no OPT in the query, none in the reply"
    assert ask(server.port, dns.message.make_query("shop.test", "A", use_edns=0)).edns == 0


def test_rfc6891_6_1_3_an_unknown_edns_version_gets_badvers(server: AuthoritativeServer) -> None:
    response = ask(server.port, dns.message.make_query("shop.test", "A", use_edns=1))
    assert response.rcode() == dns.rcode.BADVERS, f"RFC 6891 §6.1.3: got {dns.rcode.to_text(response.rcode())}"
    assert (response.edns, response.answer) == (0, [])


@pytest.mark.parametrize(
    ("policy", "subnet", "address"),
    [("geolocation", "203.0.113.0/24", "192.0.2.10"), ("geolocation", "198.51.100.0/24", "192.0.2.20"),
     ("weighted", "203.0.113.0/24", None)],
)  # fmt: skip
def test_rfc7871_7_2_1_the_routed_name_echoes_the_subnet_with_scope_24(
    server: AuthoritativeServer, policy: str, subnet: str, address: str | None
) -> None:
    server.policy = policy
    output = dig(server.port, f"+subnet={subnet}", ROUTED_NAME)
    assert f"; CLIENT-SUBNET: {subnet}/24" in output, f"RFC 7871 §7.2.1: echo the option with scope 24:\n{output}"
    if address is not None:
        assert f"IN\tA\t{address}" in output


@pytest.mark.parametrize(("name", "rtype"), [("shop.test", "MX"), ("shop.test", "A"), ("nope.shop.test", "A")])
def test_rfc7871_7_2_1_names_answered_alike_for_everyone_get_scope_0(
    server: AuthoritativeServer, name: str, rtype: str
) -> None:
    output = dig(server.port, "+subnet=203.0.113.0/24", name, rtype)
    assert "; CLIENT-SUBNET: 203.0.113.0/24/0" in output, f"RFC 7871 §7.2.1: scope 0 = valid for all:\n{output}"


def test_rfc7871_7_2_1_ipv6_subnets_are_echoed_with_scope_0(server: AuthoritativeServer) -> None:
    server.policy = "geolocation"
    output = dig(server.port, "+subnet=2001:db8:1234::/48", ROUTED_NAME)
    assert "; CLIENT-SUBNET: 2001:db8:1234::/48/0" in output, f"RFC 7871 §7.2.1, IPv6 (FAMILY 2):\n{output}"
    assert "IN\tA\t192.0.2.10" in output, "no IPv6 block is routed: every IPv6 user gets the default answer"


def test_rfc7871_7_2_1_a_source_shorter_than_24_gets_scope_24_meaning_not_specific_enough(
    server: AuthoritativeServer,
) -> None:
    server.policy = "geolocation"
    response = ask(server.port, dns.message.make_query(ROUTED_NAME, "A", use_edns=0,
                                                       options=[dns.edns.ECSOption("198.51.0.0", 16)]))  # fmt: skip
    echoed = ecs_of(response)
    assert (echoed and (echoed.address, echoed.srclen, echoed.scopelen)) == ("198.51.0.0", 16, 24), (
        "RFC 7871 §7.2.1: SOURCE and ADDRESS as asked; a SCOPE longer than SOURCE says the /16 was not specific "
        "enough (a resolver then caches it for the /16 only, §7.3.1)"
    )
    assert [rrset[0].address for rrset in response.answer] == ["192.0.2.10"], "a /16 is no known /24: the default"


def test_rfc7871_7_1_2_a_source_of_0_reveals_nothing_and_gets_scope_0(server: AuthoritativeServer) -> None:
    response = ask(server.port, dns.message.make_query(ROUTED_NAME, "A", use_edns=0,
                                                       options=[dns.edns.ECSOption("0.0.0.0", 0)]))  # fmt: skip
    echoed = ecs_of(response)
    assert (echoed and (echoed.srclen, echoed.scopelen)) == (0, 0), "RFC 7871 §7.1.2: SOURCE 0, SCOPE 0"


def test_rfc7871_6_a_query_with_a_nonzero_scope_is_formerr(server: AuthoritativeServer) -> None:
    response = ask(server.port, dns.message.make_query(ROUTED_NAME, "A", use_edns=0,
                                                       options=[dns.edns.ECSOption("203.0.113.0", 24, 8)]))  # fmt: skip
    assert response.rcode() == dns.rcode.FORMERR, "RFC 7871 §6: SCOPE PREFIX-LENGTH MUST be 0 in queries"


def test_rfc7871_7_2_1_no_subnet_in_the_query_none_in_the_reply(server: AuthoritativeServer) -> None:
    response = ask(server.port, dns.message.make_query(ROUTED_NAME, "A", use_edns=0))
    assert (response.edns, ecs_of(response)) == (0, None), "RFC 7871 §7.2.1: no option asked, none echoed"


def test_rfc4035_3_1_6_and_rfc6840_5_8_ad_and_cd_are_never_set_by_an_unsigned_zone(
    server: AuthoritativeServer,
) -> None:
    output = dig(server.port, "+adflag", "+cdflag", "shop.test")  # dig 9.18 sets AD in queries by default
    assert flags_of(output) == {"qr", "aa", "rd"}, f"RFC 4035 §3.1.6: no AD (nor CD) in replies:\n{output}"
    message = dns.message.make_query("shop.test", "A")
    message.flags |= dns.flags.AD | dns.flags.CD
    assert not ask(server.port, message).flags & (dns.flags.AD | dns.flags.CD)


def test_rfc1035_4_1_1_refused_is_not_an_authoritative_answer(server: AuthoritativeServer) -> None:
    output = dig(server.port, "example.com")
    assert ("status: REFUSED" in output, "aa" in flags_of(output)) == (True, False), f"REFUSED without AA:\n{output}"


def test_rfc1035_4_1_1_an_opcode_other_than_query_is_notimp(server: AuthoritativeServer) -> None:
    message = dns.message.make_query("shop.test", "A")
    message.set_opcode(dns.opcode.STATUS)
    assert ask(server.port, message).rcode() == dns.rcode.NOTIMP


def test_rfc7766_5_the_server_answers_over_tcp_as_well(server: AuthoritativeServer) -> None:
    output = dig(server.port, "+tcp", ROUTED_NAME)
    assert all(part in output for part in ("(TCP)", "status: NOERROR", "IN\tA\t192.0.2.")), output
    any_output = dig(server.port, "ANY", "shop.test")  # dig sends ANY over TCP
    assert "(TCP)" in any_output, any_output
    for rtype in ("SOA", "NS", "A", "MX", "TXT"):
        assert f"IN\t{rtype}\t" in any_output, f"ANY lists every record at shop.test; no {rtype}:\n{any_output}"


def test_rfc7766_6_2_1_several_queries_share_one_connection_and_may_be_pipelined(
    server: AuthoritativeServer,
) -> None:
    output = dig(server.port, "+tcp", "+keepopen", "shop.test", "MX", "shop.test", "TXT", ROUTED_NAME)
    assert output.count("status: NOERROR") == 3, output
    questions = [dns.message.make_query(name, "A") for name in ("shop.test", "mail.shop.test", "nope.shop.test")]
    with socket.create_connection(("127.0.0.1", server.port), timeout=2) as connection:
        connection.sendall(b"".join(struct.pack("!H", len(q.to_wire())) + q.to_wire() for q in questions))
        replies = [dns.query.receive_tcp(connection, expiration=time.time() + 2)[0] for _ in questions]
    assert [reply.id for reply in replies] == [q.id for q in questions], "RFC 7766 §6.2.1: answer every query sent"
    assert [dns.rcode.to_text(reply.rcode()) for reply in replies] == ["NOERROR", "NOERROR", "NXDOMAIN"]


def test_rfc7766_5_an_answer_too_big_for_udp_is_truncated_and_dig_retries_over_tcp(
    server: AuthoritativeServer,
) -> None:
    cut = dig(server.port, "+bufsize=512", "+ignore", "mail._domainkey.shop.test", "TXT")
    assert ("tc" in flags_of(cut), "ANSWER: 0" in cut) == (True, True), f"RFC 1035 §4.2.1: over 512 B, TC:\n{cut}"
    retried = dig(server.port, "+bufsize=512", "mail._domainkey.shop.test", "TXT")
    assert ("Truncated, retrying in TCP mode" in retried, "ANSWER: 1" in retried) == (True, True), retried
    answer = query(server.port, "mail._domainkey.shop.test", "TXT")
    assert (answer.tcp, answer.records[0].value) == (True, DKIM_KEY), "query() falls back to TCP after TC"


def test_rfc7766_6_2_3_stopping_closes_idle_tcp_connections_and_leaves_no_thread() -> None:
    before = set(threading.enumerate())
    with AuthoritativeServer() as running, socket.create_connection(("127.0.0.1", running.port), timeout=2) as idle:
        message = dns.message.make_query("shop.test", "A")
        dns.query.send_tcp(idle, message)
        assert dns.query.receive_tcp(idle, expiration=time.time() + 2)[0].rcode() == dns.rcode.NOERROR
        started = time.monotonic()
        running.stop()
        assert time.monotonic() - started < 1.0, "stop() must not wait for an idle client's next query"
        assert idle.recv(1) == b"", "the server closed the idle connection"
    assert set(threading.enumerate()) == before


@pytest.mark.parametrize("policy", ["weighted", "latency", "geolocation", "failover", "multivalue", "simple"])
def test_route53_with_no_healthy_record_every_record_counts_as_healthy(policy: str) -> None:
    with AuthoritativeServer(policy=policy) as running:
        running.set_healthy("us-east", False)
        running.set_healthy("eu-west", False)
        answer = query(running.port, ROUTED_NAME, location="europe")
    assert (answer.rcode, bool(answer.addresses)) == ("NOERROR", True), (
        "Route 53: 'if no record is healthy, all records are healthy' (fail open, not an empty answer)"
    )
    assert set(answer.addresses) <= {"192.0.2.10", "192.0.2.20"}


def test_failover_answers_with_the_primary_then_the_secondary() -> None:
    with AuthoritativeServer(policy="failover") as running:
        first = query(running.port, ROUTED_NAME).addresses
        running.set_healthy("us-east", False)
        second = query(running.port, ROUTED_NAME).addresses
        running.set_healthy("us-east", True)
        third = query(running.port, ROUTED_NAME).addresses
    assert (first, second, third) == (["192.0.2.10"], ["192.0.2.20"], ["192.0.2.10"])


def test_answered_counts_only_a_answers_given_out(server: AuthoritativeServer) -> None:
    server.policy = "simple"
    for rtype in ("AAAA", "MX", "TXT"):
        assert query(server.port, ROUTED_NAME, rtype).records == ()
    assert sum(server.answered.values()) == 0, f"no A answer was given out, but answered = {server.answered}"
    query(server.port, ROUTED_NAME)
    query(server.port, "shop-cdn.shop.test", "A")  # the CNAME's target, an A answer
    query(server.port, "shop-cdn.shop.test", "CNAME")  # the alias only: no A answer
    assert server.answered == Counter({"us-east": 2})


@pytest.fixture
def delegated() -> Iterator[tuple[AuthoritativeServer, AuthoritativeServer]]:
    with AuthoritativeServer(origin="eu.shop.test") as child, \
            AuthoritativeServer(delegations={"eu.shop.test": "192.0.2.54"}) as parent:  # fmt: skip
        yield parent, child


def test_rfc1034_4_3_2_a_delegated_name_gets_a_referral_with_glue_and_no_aa(
    delegated: tuple[AuthoritativeServer, AuthoritativeServer],
) -> None:
    parent, _ = delegated
    output = dig(parent.port, "www.eu.shop.test")
    assert ("aa" in flags_of(output), "ANSWER: 0" in output) == (False, True), f"a referral, not AA:\n{output}"
    assert "eu.shop.test.\t\t3600\tIN\tNS\tns1.eu.shop.test." in output, f"the child's NS in AUTHORITY:\n{output}"
    assert "ns1.eu.shop.test.\t3600\tIN\tA\t192.0.2.54" in output, f"the glue in ADDITIONAL:\n{output}"


def test_the_caching_resolver_follows_one_referral_and_remembers_the_zone_cut(
    delegated: tuple[AuthoritativeServer, AuthoritativeServer],
) -> None:
    parent, child = delegated
    now = [0.0]
    resolver = CachingResolver(parent.port, clock=lambda: now[0], network={"192.0.2.54": child.port})
    answer = resolver.resolve("www.eu.shop.test")
    assert (answer.authoritative, bool(answer.addresses)) == (True, True), "the child answers authoritatively"
    assert (resolver.upstream_queries, len(resolver.trace)) == (2, 2), resolver.trace
    assert resolver.resolve("eu.shop.test", "MX").records[0].value == "10 mail.eu.shop.test."
    assert resolver.upstream_queries == 3, "the zone cut is cached: straight to the child's server"
    stranger = CachingResolver(parent.port)
    with pytest.raises(LookupError, match=r"192\.0\.2\.54"):
        stranger.resolve("www.eu.shop.test")


def test_rfc7871_7_3_1_a_resolver_honouring_scope_keeps_one_answer_per_subnet(server: AuthoritativeServer) -> None:
    server.policy = "geolocation"
    now = [0.0]
    honest = CachingResolver(server.port, clock=lambda: now[0])
    careless = CachingResolver(server.port, clock=lambda: now[0], honour_scope=False)
    for resolver in (honest, careless):
        assert resolver.resolve(ROUTED_NAME, location="europe").addresses == ["192.0.2.20"]
    assert honest.resolve(ROUTED_NAME, location="north-america").addresses == ["192.0.2.10"]
    assert careless.resolve(ROUTED_NAME, location="north-america").addresses == ["192.0.2.20"], (
        "ignoring scope, the first user's answer (Europe's) is served to everyone behind the resolver"
    )
    assert honest.resolve(ROUTED_NAME, location="europe").addresses == ["192.0.2.20"]
    assert (honest.upstream_queries, careless.upstream_queries) == (2, 1)


# --- SRV records (RFC 2782): the server as a service registry for lesson 12 ------------------------------------

ORDERS = "_orders._tcp.shop.test"


def instances(*fields: tuple[int, int, int, str], ttl: int = 7) -> list[Record]:
    """SRV records for (priority, weight, port, host) and an A record 127.0.0.1 for each host."""
    srv = [Record(ORDERS, "SRV", f"{p} {w} {port} {host}.shop.test", ttl=ttl) for p, w, port, host in fields]
    return srv + [Record(f"{host}.shop.test", "A", "127.0.0.1", ttl=ttl) for *_, host in fields]


@pytest.fixture
def registry() -> Iterator[AuthoritativeServer]:
    with AuthoritativeServer(records=instances((10, 60, 8081, "a"), (20, 0, 8082, "b"))) as running:
        yield running


def test_rfc2782_dig_reads_priority_weight_port_target_with_aa_and_the_ttl(registry: AuthoritativeServer) -> None:
    output = dig(registry.port, "SRV", ORDERS)
    assert "status: NOERROR" in output, output
    assert "aa" in flags_of(output), f"an authoritative answer:\n{output}"
    answers = sorted(tuple(line.split()) for line in output.splitlines() if line.startswith(ORDERS + "."))
    assert answers == [
        (ORDERS + ".", "7", "IN", "SRV", "10", "60", "8081", "a.shop.test."),
        (ORDERS + ".", "7", "IN", "SRV", "20", "0", "8082", "b.shop.test."),
    ], f"the record's TTL and its four fields:\n{output}"


def test_rfc2782_the_targets_addresses_come_in_the_additional_section(registry: AuthoritativeServer) -> None:
    output = dig(registry.port, "SRV", ORDERS)
    additional = output.split(";; ADDITIONAL SECTION:")[1]
    assert "a.shop.test.\t\t7\tIN\tA\t127.0.0.1" in additional, output
    assert "b.shop.test.\t\t7\tIN\tA\t127.0.0.1" in additional, output
    answer = query(registry.port, ORDERS, "SRV")
    glue = [(r.name, r.value) for r in answer.additional]
    assert glue == [("a.shop.test", "127.0.0.1"), ("b.shop.test", "127.0.0.1")]


def test_dnspythons_resolver_reads_the_srv_rrset(registry: AuthoritativeServer) -> None:
    resolver = dns.resolver.Resolver(configure=False)  # never the machine's resolvers: only ours
    resolver.nameservers, resolver.port, resolver.lifetime = ["127.0.0.1"], registry.port, 2.0
    answer = resolver.resolve(ORDERS, "SRV")
    assert sorted((r.priority, r.weight, r.port, r.target.to_text()) for r in answer) == [
        (10, 60, 8081, "a.shop.test."),
        (20, 0, 8082, "b.shop.test."),
    ]
    assert answer.rrset is not None
    assert answer.rrset.ttl == 7
    assert {rrset.name.to_text() for rrset in answer.response.additional} == {"a.shop.test.", "b.shop.test."}


def test_a_deregistered_instance_is_gone_from_the_next_answer_and_from_caches_after_the_ttl(
    registry: AuthoritativeServer,
) -> None:
    now = [0.0]
    resolver = CachingResolver(registry.port, clock=lambda: now[0])
    assert len(resolver.resolve(ORDERS, "SRV").records) == 2
    assert registry.remove(ORDERS, "SRV", "10 60 8081 a.shop.test.") == 1  # spelled as dig prints it
    assert [r.value for r in query(registry.port, ORDERS, "SRV").records] == ["20 0 8082 b.shop.test"]
    now[0] = 6.9
    assert len(resolver.resolve(ORDERS, "SRV").records) == 2, "cached: the TTL (7 s) has not passed"
    now[0] = 7.0
    assert [r.value for r in resolver.resolve(ORDERS, "SRV").records] == ["20 0 8082 b.shop.test"]
    assert resolver.upstream_queries == 2


def test_a_registration_while_running_is_answered_at_once_and_its_ttl_becomes_the_rrsets(
    registry: AuthoritativeServer,
) -> None:
    registry.add(*instances((10, 40, 8083, "c"), ttl=3))
    registry.add(*instances((10, 40, 8083, "c"), ttl=3))  # the same record again replaces it: no duplicate
    output = dig(registry.port, "SRV", ORDERS)
    answers = sorted(tuple(line.split()[1::3]) for line in output.splitlines() if line.startswith(ORDERS + "."))
    assert answers == [("3", "10", "a.shop.test."), ("3", "10", "c.shop.test."), ("3", "20", "b.shop.test.")], (
        f"three instances, one TTL for the RRset (RFC 2181 §5.2):\n{output}"
    )
    assert [r.ttl for r in query(registry.port, "a.shop.test").records] == [7], "another RRset keeps its TTL"


def test_the_last_instance_leaving_makes_nxdomain_with_the_soa_and_an_empty_non_terminal_is_nodata(
    registry: AuthoritativeServer,
) -> None:
    assert query(registry.port, "_tcp.shop.test", "SRV").rcode == "NOERROR"  # RFC 8020: names exist below it
    assert registry.remove(ORDERS, "SRV") == 2
    gone = query(registry.port, ORDERS, "SRV")
    assert (gone.rcode, gone.records, gone.negative_ttl) == ("NXDOMAIN", (), NEGATIVE_TTL)


def test_rfc2181_9_glue_that_does_not_fit_is_dropped_without_setting_tc() -> None:
    fields = [(10, 1, 9000 + i, f"instance-{i:02}") for i in range(10)]  # 10 answers fit in 512 bytes, not with glue
    with AuthoritativeServer(records=instances(*fields)) as running:
        output = dig(running.port, "+noedns", "+ignore", "SRV", ORDERS)  # a 512-byte client
        full = dig(running.port, "SRV", ORDERS)  # EDNS: 1232 bytes, room for the addresses
    assert "tc" not in flags_of(output), f"the answers fit, so TC stays clear:\n{output}"
    assert "ANSWER: 10, AUTHORITY: 0, ADDITIONAL: 0" in output, f"all answers, no addresses:\n{output}"
    assert "ANSWER: 10, AUTHORITY: 0, ADDITIONAL: 11" in full, f"10 addresses and the OPT record:\n{full}"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.add(Record("shop.test", "PTR", "x.shop.test")), "serves"),
        (lambda s: s.add(Record(ROUTED_NAME, "A", "192.0.2.9")), "set_weight"),
        (lambda s: s.add(Record("x.other.test", "A", "192.0.2.9")), "not inside the zone"),
        (lambda s: s.add(Record("a.shop.test", "CNAME", "www.shop.test")), "a CNAME must be alone"),
        (lambda s: s.add(Record("_orders._tcp.shop.test", "SRV", "1 1 80 shop-cdn.shop.test")), "must not be an alias"),
        (lambda s: s.remove(ORDERS, "SRV", "10 60 9999 a.shop.test"), "no SRV record 10 60 9999 a.shop.test"),
        (lambda s: s.remove("shop.test", "SOA"), "always keeps its SOA"),
        (lambda s: s.remove("shop.test", "PTR"), "serves"),
    ],
)
def test_bad_record_changes_raise_value_error_and_change_nothing(
    registry: AuthoritativeServer, call: object, message: str
) -> None:
    before = list(registry.records)
    with pytest.raises(ValueError, match=message):
        call(registry)  # type: ignore[operator]
    assert registry.records == before
