"""A live authoritative DNS server with routing policies, and a client pointed at it (lesson 04).

``AuthoritativeServer`` answers for one zone (``shop.test`` by default) on 127.0.0.1, on a
UDP port the operating system picks, inside a ``with`` block. It is built on dnslib's
request handler; one thread serves, and ``stop()`` (or leaving the ``with`` block) shuts
it down, closes its socket and joins the thread. The routed name (``www.shop.test``) is
answered with the routing policy of the moment: weighted, latency, geolocation,
failover, multivalue or simple. Weights, health and the policy can change while it runs.

The client side uses dnspython, always with an explicit address (``dns.query.udp`` to
127.0.0.1): never ``dns.resolver``, whose defaults are the machine's real resolvers. A
client says where its user is with the EDNS Client Subnet option (RFC 7871), as public
resolvers do for geolocation and latency routing.

Sections:
    * the zone: ``ORIGIN``, ``ROUTED_NAME``, ``CLIENT_SUBNETS``, ``LATENCY_MS``, ``default_endpoints``
    * the server: ``SERVED_TYPES``, ``AuthoritativeServer`` (with SRV records for lesson 12)
    * the client: ``Answer``, ``query``, ``CachingResolver``
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import socket
import socketserver
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Self

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import numpy as np
from dnslib import (
    AAAA,
    CNAME,
    EDNS0,
    MX,
    NS,
    OPCODE,
    QTYPE,
    RCODE,
    RR,
    SOA,
    SRV,
    TXT,
    A,
    DNSError,
    DNSHeader,
    DNSRecord,
    EDNSOption,
)

from helpers import checks
from helpers.dns.model import (
    MAX_TTL,
    Endpoint,
    Record,
    TtlCache,
    failover_choice,
    geolocation_choice,
    latency_choice,
    multivalue_choice,
    srv_fields,
    validate_zone,
    weighted_choice,
)
from helpers.serving import HOST, BackgroundServer, JoiningTCPServer

__all__ = [
    "CLIENT_SUBNETS",
    "LATENCY_MS",
    "ORIGIN",
    "POLICIES",
    "ROUTED_NAME",
    "SERVED_TYPES",
    "Answer",
    "AuthoritativeServer",
    "CachingResolver",
    "ClientSubnet",
    "default_endpoints",
    "query",
]

ORIGIN = "shop.test"
"""The zone the server is authoritative for (``.test`` is reserved for testing, RFC 2606; lesson 04, section 1)."""

ROUTED_NAME = f"www.{ORIGIN}"
"""The name answered by the routing policy (lesson 04, section 6)."""

SERVED_TYPES = ("A", "AAAA", "CNAME", "NS", "SOA", "MX", "TXT", "SRV")
"""Record types the server can hold and answer (lesson 04, section 1; SRV for lesson 12's service discovery)."""

POLICIES = ("simple", "weighted", "latency", "geolocation", "failover", "multivalue")
"""Routing policies the server can use for the routed name (lesson 04, sections 6 and 7)."""

CLIENT_SUBNETS: dict[str, str] = {
    "europe": "198.51.100.0/24",
    "north-america": "203.0.113.0/24",
    "asia": "100.64.0.0/24",
}
"""The user locations of this toy internet and the address block of each, sent as EDNS Client Subnet (lesson 04,
section 7)."""

LATENCY_MS: dict[str, dict[str, float]] = {
    "europe": {"eu-west": 15.0, "us-east": 85.0},
    "north-america": {"eu-west": 80.0, "us-east": 12.0},
    "asia": {"eu-west": 120.0, "us-east": 190.0},
}
"""Made-up latencies from each user location to each region of this toy internet, in ms (lesson 04, section 7)."""

NEGATIVE_TTL = 30
"""TTL of negative answers (NXDOMAIN, no data): the SOA's minimum field (RFC 2308; lesson 04, section 4)."""


DKIM_KEY = "v=DKIM1; k=rsa; p=" + base64.b64encode(hashlib.shake_256(b"shop.test").digest(550)).decode()
"""A mail-signing key record the size of a 4096-bit RSA key (made-up bytes): its answer is too big for plain UDP
(lesson 04, section 3)."""


def default_endpoints() -> list[Endpoint]:
    """The two regions serving ``www.shop.test``: us-east (the default location) and eu-west (lesson 04, section 7).

    Examples:
        >>> [(e.name, e.address, e.weight, e.location) for e in default_endpoints()]
        [('us-east', '192.0.2.10', 1, 'default'), ('eu-west', '192.0.2.20', 1, 'europe')]
    """
    return [
        Endpoint("us-east", "192.0.2.10", weight=1, location="default"),
        Endpoint("eu-west", "192.0.2.20", weight=1, location="europe"),
    ]


def _static_records(origin: str, ttl: int) -> list[Record]:
    return [
        Record(origin, "SOA", f"ns1.{origin} hostmaster.{origin}", ttl=3600),
        Record(origin, "NS", f"ns1.{origin}", ttl=3600),
        Record(origin, "A", "192.0.2.1", ttl=ttl),  # the apex gets an address, never a CNAME
        Record(origin, "MX", f"10 mail.{origin}", ttl=3600),
        Record(origin, "TXT", "v=spf1 mx -all", ttl=3600),
        Record(f"ns1.{origin}", "A", "192.0.2.53", ttl=3600),
        Record(f"mail.{origin}", "A", "192.0.2.25", ttl=3600),
        Record(f"ipv6.{origin}", "AAAA", "2001:db8::10", ttl=ttl),
        Record(f"shop-cdn.{origin}", "CNAME", f"www.{origin}", ttl=ttl),
        Record(f"mail._domainkey.{origin}", "TXT", DKIM_KEY, ttl=3600),
    ]


ECS_OPTION = 8
"""EDNS option code of Client Subnet (RFC 7871 §6)."""

ROUTING_PREFIX = 24
"""The server routes IPv4 users by /24 block, so a tailored answer has SCOPE PREFIX-LENGTH 24 (RFC 7871 §7.2.1)."""

UDP_PAYLOAD = 1232
"""Largest UDP reply the server sends to an EDNS client (the 2020 DNS flag day value); 512 without EDNS (RFC 1035)."""

TCP_IDLE_S = 5.0
"""How long an idle TCP connection stays open for more queries (RFC 7766 §6.2.3: servers close idle ones)."""

BADVERS = 16
"""Extended RCODE for an EDNS version the server does not speak (RFC 6891 §6.1.3)."""


@dataclass(frozen=True)
class ClientSubnet:
    """An EDNS Client Subnet option as a query carried it (RFC 7871 §6), and what a reply echoes.

    Attributes:
        family: 1 for IPv4, 2 for IPv6.
        source_prefix: how many leading bits of ``address`` the resolver revealed.
        address: the address bytes as sent (the source prefix, in whole bytes).
    """

    family: int
    source_prefix: int
    address: bytes

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        """The client's network: ``address``/``source_prefix``."""
        width = 4 if self.family == 1 else 16
        raw = (self.address + bytes(width))[:width]
        return ipaddress.ip_network((raw, self.source_prefix), strict=False)

    def echo(self, scope_prefix: int) -> EDNSOption:
        """The option for the reply: FAMILY, SOURCE PREFIX-LENGTH and ADDRESS as asked, with our SCOPE (§7.2.1)."""
        return EDNSOption(ECS_OPTION, struct.pack("!HBB", self.family, self.source_prefix, scope_prefix) + self.address)


def _parse_client_subnet(data: bytes) -> ClientSubnet:
    """The Client Subnet option in ``data``; ValueError when RFC 7871 §6 says FORMERR."""
    if len(data) < 4:
        raise ValueError("client subnet option shorter than 4 bytes")
    family, source, scope = struct.unpack("!HBB", data[:4])
    address = data[4:]
    width = {1: 32, 2: 128}.get(family)
    if width is None or source > width or scope != 0 or len(address) != (source + 7) // 8:
        raise ValueError(f"bad client subnet: family {family}, source /{source}, scope /{scope}, {len(address)} bytes")
    if source % 8 and address and address[-1] & (0xFF >> (source % 8)):
        raise ValueError("client subnet address has bits set beyond its source prefix")
    return ClientSubnet(family, source, bytes(address))


def _location_of(subnet: ClientSubnet | None) -> str | None:
    if subnet is None or subnet.family != 1:
        return None  # no IPv6 block is mapped to a location: every IPv6 user gets the default answer
    network = subnet.network
    for location, block in CLIENT_SUBNETS.items():
        if network.subnet_of(ipaddress.ip_network(block)):  # type: ignore[arg-type]
            return location
    return None


def _scope_for(subnet: ClientSubnet, routed: bool) -> int:
    """SCOPE PREFIX-LENGTH of a reply (RFC 7871 §7.2.1).

    Only the routed name's answer depends on where the user is, and it depends on the
    user's IPv4 /24: so 24 there, even when the query revealed fewer bits (a scope longer
    than the source says "not specific enough"; a resolver then caches the answer only for
    the source prefix, §7.3.1). Every other answer, and every IPv6 answer (no IPv6 block is
    routed), is the same for everyone: scope 0. A client that revealed nothing (source 0)
    gets scope 0 too.
    """
    if not routed or subnet.family != 1 or subnet.source_prefix == 0:
        return 0
    return ROUTING_PREFIX


class _UdpHandler(socketserver.BaseRequestHandler):
    """One datagram in, one reply out (truncated, TC set, if it does not fit)."""

    def handle(self) -> None:
        data, sock = self.request
        reply = self.server.dns.answer_wire(data, tcp=False)  # type: ignore[attr-defined]
        if reply:
            sock.sendto(reply, self.client_address)


def _read_exactly(connection: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        try:
            chunk = connection.recv(left)
        except OSError:  # idle timeout, or the server closed the connection to stop
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class _TcpHandler(socketserver.BaseRequestHandler):
    """Length-prefixed queries over one connection, answered in order until the client closes (RFC 7766 §6.2.1)."""

    def handle(self) -> None:
        connection: socket.socket = self.request
        connection.settimeout(TCP_IDLE_S)
        server = self.server
        try:
            while True:
                prefix = _read_exactly(connection, 2)
                if prefix is None:
                    return
                data = _read_exactly(connection, struct.unpack("!H", prefix)[0])
                if data is None:
                    return
                reply = server.dns.answer_wire(data, tcp=True)  # type: ignore[attr-defined]
                if not reply:
                    return
                connection.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            return


class _TcpServer(JoiningTCPServer):
    """DNS over TCP: one thread per connection, all joined by ``server_close()``."""

    def __init__(self, address: tuple[str, int], dns: AuthoritativeServer) -> None:
        self.dns = dns
        super().__init__(address, _TcpHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client went away mid-answer
        super().handle_error(request, client_address)


class AuthoritativeServer(BackgroundServer):
    """An authoritative DNS server for one zone on 127.0.0.1, answering ``www`` with a routing policy.

    Taught in lesson 04, sections 1 and 3 (records, authority, referrals), 6 and 7 (routing).
    Use it in a ``with`` block (or call ``start()`` and ``stop()``). It answers over UDP and
    TCP (RFC 7766), several queries per TCP connection; echoes EDNS (RFC 6891) and the
    Client Subnet option with its scope (RFC 7871); never sets AD or CD (the zone is
    unsigned). Change its behaviour while it runs: ``policy``, ``set_weight``,
    ``set_healthy``, ``ttl``, and the zone's records with ``add`` and ``remove``.

    SRV records (RFC 2782) make it a service registry (lesson 12): an instance is
    published with ``add`` and deregistered with ``remove``; an SRV answer carries the
    targets' A and AAAA records in the additional section, as real servers do, and every
    record is answered with its own TTL.

    Attributes:
        origin: the zone's name.
        records: the zone's records (the routed name's come from ``endpoints``): the built-in ones,
            then ``records``; change them with ``add`` and ``remove``.
        endpoints: the answers the policy chooses from.
        delegations: child zones handed to other servers, each with its name server's address
            (the glue): ``{"eu.shop.test": "192.0.2.54"}`` answers names under eu.shop.test
            with a referral to ns1.eu.shop.test at 192.0.2.54.
        queries: queries answered so far.
        answered: how often each endpoint was given out in an A answer.

    Examples:
        >>> with AuthoritativeServer(policy="failover") as server:
        ...     first = query(server.port, ROUTED_NAME).addresses
        ...     server.set_healthy("us-east", False)
        ...     second = query(server.port, ROUTED_NAME).addresses
        >>> first, second, server.running
        (['192.0.2.10'], ['192.0.2.20'], False)
        >>> orders = Record("_orders._tcp.shop.test", "SRV", "10 60 8081 a.shop.test", ttl=5)
        >>> with AuthoritativeServer(records=[orders, Record("a.shop.test", "A", "127.0.0.1")]) as server:
        ...     answer = query(server.port, "_orders._tcp.shop.test", "SRV")
        >>> [(r.value, r.ttl) for r in answer.records], [r.value for r in answer.additional]
        ([('10 60 8081 a.shop.test', 5)], ['127.0.0.1'])
    """

    def __init__(
        self,
        endpoints: Sequence[Endpoint] | None = None,
        policy: str = "weighted",
        ttl: int = 60,
        origin: str = ORIGIN,
        seed: int = 0,
        delegations: Mapping[str, str] | None = None,
        records: Sequence[Record] = (),
    ) -> None:
        super().__init__()
        self.origin = origin.rstrip(".").lower()
        self.routed_name = f"www.{self.origin}"
        self.delegations = {self._delegated(child): address for child, address in (delegations or {}).items()}
        self._tcp: _TcpServer | None = None
        self._tcp_thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.endpoints = list(default_endpoints() if endpoints is None else endpoints)
        if not self.endpoints or len({e.name for e in self.endpoints}) != len(self.endpoints):
            raise ValueError(f"endpoints must be a non-empty list with distinct names, got {self.endpoints!r}")
        self.policy = policy
        self.ttl = ttl
        self.records = _static_records(self.origin, self.ttl)
        validate_zone(self.origin, self.records)
        if records:
            self.add(*records)
        self._rng = np.random.default_rng(seed)
        self.queries = 0
        self.answered: Counter[str] = Counter()

    def _delegated(self, child: str) -> str:
        name = child.rstrip(".").lower()
        if not name.endswith("." + self.origin):
            raise ValueError(f"a delegated zone must be under {self.origin}, got {child!r}")
        if name == self.routed_name or name.count(".") != self.origin.count(".") + 1:
            raise ValueError(
                f"delegate a new name one label under {self.origin} (such as eu.{self.origin}), got {child!r}"
            )
        return name

    # --- settings that may change while the server runs ---

    @property
    def policy(self) -> str:
        """The routing policy for the routed name, one of ``POLICIES``."""
        return self._policy

    @policy.setter
    def policy(self, value: str) -> None:
        self._policy = checks.choice("policy", value, POLICIES)

    @property
    def ttl(self) -> int:
        """TTL in seconds of the routed name's answers."""
        return self._ttl

    @ttl.setter
    def ttl(self, value: int) -> None:
        self._ttl = checks.integer("ttl", value, 0, MAX_TTL)

    def _replace(self, name: str, **changes: Any) -> None:
        with self._lock:
            names = [endpoint.name for endpoint in self.endpoints]
            if name not in names:
                raise ValueError(f"no endpoint {name!r}; the endpoints are {names}")
            self.endpoints = [replace(e, **changes) if e.name == name else e for e in self.endpoints]

    def set_weight(self, name: str, weight: int) -> None:
        """Give endpoint ``name`` a new weight (0 to 255)."""
        self._replace(name, weight=weight)

    def set_healthy(self, name: str, healthy: bool) -> None:
        """Mark endpoint ``name`` healthy or failed (a failed one is given out only when all have failed)."""
        self._replace(name, healthy=bool(healthy))

    def add(self, *records: Record) -> None:
        """Add ``records`` to the zone, now (one with the same name, type and value is replaced).

        All records of one name and type form an RRset, which has one TTL (RFC 2181 §5.2): an
        added record's TTL becomes its whole RRset's, as a dynamic update does in BIND.

        Raises ValueError, and changes nothing, if a record is outside the zone, at the routed
        name or under a delegated zone, of a type the server does not serve (``SERVED_TYPES``),
        or would make the zone invalid (``validate_zone``).
        """
        for record in records:
            if not isinstance(record, Record):
                raise ValueError(f"records must be Record objects, got {record!r}")
            if record.type not in SERVED_TYPES:
                raise ValueError(f"the server serves {list(SERVED_TYPES)} records, got {record.type!r} ({record})")
            if record.name == self.routed_name:
                raise ValueError(f"{record.name} is answered from the endpoints and the policy: use set_weight")
            if self._child_zone(record.name) is not None:
                raise ValueError(f"{record.name} is in a delegated zone: its own server holds its records")
        with self._lock:
            key = {(r.name, r.type, r.value) for r in records}
            ttl_of = {(r.name, r.type): r.ttl for r in records}
            kept = [replace(r, ttl=ttl_of.get((r.name, r.type), r.ttl)) for r in self.records
                    if (r.name, r.type, r.value) not in key]  # fmt: skip
            updated = [*kept, *records]
            validate_zone(self.origin, updated)
            self.records = updated  # a new list: a reply being built keeps the one it read

    def remove(self, name: str, rtype: str, value: str | None = None) -> int:
        """Remove the zone's ``rtype`` records at ``name`` (only the one holding ``value`` if given); how many.

        An SRV value is compared in its canonical form (``"10 60 8081 a.shop.test"``), so a
        deregistration may spell it as it was added. Raises ValueError if nothing matches, or
        for the SOA and NS records at the apex, which a zone cannot lose.
        """
        if rtype not in SERVED_TYPES:
            raise ValueError(f"the server serves {list(SERVED_TYPES)} records, got {rtype!r}")
        owner = Record(name, "TXT", "-").name  # the name, checked and in its stored form
        if owner == self.origin and rtype in ("SOA", "NS"):
            raise ValueError(f"the zone's apex {owner} always keeps its {rtype} record")
        wanted = Record(name, rtype, value).value if value is not None else None
        with self._lock:
            gone = [r for r in self.records if r.name == owner and r.type == rtype and wanted in (None, r.value)]
            if not gone:
                held = [f"{r.type} {r.value}" for r in self.records if r.name == owner]
                raise ValueError(f"no {rtype} record {wanted or ''} at {owner} to remove; it holds {held}")
            self.records = [r for r in self.records if r not in gone]
        return len(gone)

    # --- answering ---

    def choose(self, location: str | None) -> list[Endpoint]:
        """The endpoints the current policy gives a user at ``location`` (None: unknown).

        When no endpoint is healthy, all of them count as healthy, as in Route 53 ("if no
        record is healthy, all records are healthy"): a broken health check, or one that
        cannot reach any region, must not take the whole name off the internet.
        """
        with self._lock:
            endpoints, policy = list(self.endpoints), self._policy
            if not any(endpoint.healthy for endpoint in endpoints):
                endpoints = [replace(endpoint, healthy=True) for endpoint in endpoints]
            u = float(self._rng.random())
            if policy == "multivalue":
                return multivalue_choice(endpoints, self._rng)
        if policy == "simple":
            return endpoints[:1]
        if policy == "weighted":
            chosen = weighted_choice(endpoints, u)
        elif policy == "latency":
            chosen = latency_choice(endpoints, _latency_by_location(location))
        elif policy == "geolocation":
            chosen = geolocation_choice(endpoints, location or "unknown")
        else:
            chosen = failover_choice(endpoints)
        return [] if chosen is None else [chosen]

    def _rr(self, record: Record) -> Any:
        qtype = getattr(QTYPE, record.type)
        value = record.value
        rdata: Any
        if record.type == "A":
            rdata = A(value)
        elif record.type == "AAAA":
            rdata = AAAA(value)
        elif record.type == "CNAME":
            rdata = CNAME(value)
        elif record.type == "NS":
            rdata = NS(value)
        elif record.type == "MX":
            preference, exchange = value.split()
            rdata = MX(exchange, int(preference))
        elif record.type == "SRV":
            priority, weight, port, target = srv_fields(value)
            rdata = SRV(priority, weight, port, target if target == "." else target + ".")
        elif record.type == "TXT":  # one TXT string holds at most 255 bytes (RFC 1035 §3.3.14)
            rdata = TXT([value[start : start + 255] for start in range(0, len(value), 255)])
        else:  # SOA: the minimum field is the TTL of negative answers (RFC 2308)
            mname, rname = value.split()
            rdata = SOA(mname, rname, (1, 3600, 600, 86400, NEGATIVE_TTL))
        return RR(record.name + ".", qtype, ttl=record.ttl, rdata=rdata)

    def _records_at(self, name: str, location: str | None, wanted: str) -> list[Record]:
        """The records at ``name``; the routed name's A records only when A (or ANY) is asked for."""
        if name == self.routed_name:
            if wanted not in ("A", "ANY"):
                return []  # the name exists, with no other type: nobody is routed, nothing is counted
            chosen = self.choose(location)
            with self._lock:
                self.answered.update(endpoint.name for endpoint in chosen)
            return [Record(name, "A", endpoint.address, ttl=self._ttl) for endpoint in chosen]
        return [record for record in self.records if record.name == name]

    def _exists(self, name: str) -> bool:
        """Whether ``name`` holds records or lies above a name that does (an empty non-terminal, RFC 8020)."""
        return any(record.name == name or record.name.endswith("." + name) for record in self.records)

    def _child_zone(self, name: str) -> str | None:
        """The delegated child zone ``name`` is at or under, if any."""
        for child in self.delegations:
            if name == child or name.endswith("." + child):
                return child
        return None

    def resolve(self, request: Any, handler: Any = None) -> Any:
        """The reply to a parsed dnslib request."""
        # A reply made by request.reply() would copy the query's AD and CD bits (dig sets AD):
        # an unsigned zone never sets AD (RFC 4035 §3.1.6, RFC 6840 §5.8), and CD means nothing here.
        reply = DNSRecord(DNSHeader(id=request.header.id, qr=1, opcode=request.header.opcode, aa=1,
                                    rd=request.header.rd, ra=0), q=request.q)  # fmt: skip
        with self._lock:
            self.queries += 1
        opts = [rr for rr in request.ar if rr.rtype == QTYPE.OPT]
        subnet: ClientSubnet | None = None
        if opts:
            # RFC 6891 §7: a query with an OPT record gets one back
            version = (opts[0].ttl >> 16) & 0xFF
            if len(opts) > 1 or version > 0:
                reply.header.aa = 0
                reply.add_ar(EDNS0(udp_len=UDP_PAYLOAD, ext_rcode=BADVERS >> 4 if version > 0 else 0))
                reply.header.rcode = RCODE.FORMERR if len(opts) > 1 else BADVERS & 0xF
                return reply
            for option in opts[0].rdata:
                if option.code == ECS_OPTION:
                    try:
                        subnet = _parse_client_subnet(bytes(option.data))
                    except ValueError:  # RFC 7871 §7.1.2 ... §7.2.1: a malformed option is FORMERR
                        reply.header.aa = 0
                        reply.header.rcode = RCODE.FORMERR
                        reply.add_ar(EDNS0(udp_len=UDP_PAYLOAD))
                        return reply
        self._answer(request, reply, subnet)
        if opts:
            routed = str(request.q.qname).rstrip(".").lower() == self.routed_name
            echo = [] if subnet is None else [subnet.echo(_scope_for(subnet, routed))]
            reply.add_ar(EDNS0(udp_len=UDP_PAYLOAD, opts=echo))
        return reply

    def _answer(self, request: Any, reply: Any, subnet: ClientSubnet | None) -> None:
        name = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE.get(request.q.qtype, str(request.q.qtype))
        inside = name == self.origin or name.endswith("." + self.origin)
        if request.header.opcode != OPCODE.QUERY:
            reply.header.aa = 0
            reply.header.rcode = RCODE.NOTIMP
            return
        if not inside or request.q.qclass not in (1, 255):
            # not our zone (or not class IN): an authoritative server does not recurse, and
            # REFUSED is no authoritative answer, so AA stays clear
            reply.header.aa = 0
            reply.header.rcode = RCODE.REFUSED
            return
        child = self._child_zone(name)
        if child is not None and not (name == child and qtype == "DS"):
            # a referral (RFC 1034 §4.3.2): we are not authoritative for the child zone, so AA is
            # clear, the answer is empty, the child's NS go in AUTHORITY and their addresses
            # (glue) in ADDITIONAL
            reply.header.aa = 0
            nameserver = f"ns1.{child}"
            reply.add_auth(self._rr(Record(child, "NS", nameserver, ttl=3600)))
            reply.add_ar(self._rr(Record(nameserver, "A", self.delegations[child], ttl=3600)))
            return
        location = _location_of(subnet)
        here = self._records_at(name, location, qtype)
        exists = bool(here) or name in (self.routed_name, child) or self._exists(name)
        for record in here:
            if qtype == "ANY" or record.type == qtype or (record.type == "CNAME" and qtype != "CNAME"):
                reply.add_answer(self._rr(record))
                if record.type == "CNAME" and qtype not in ("CNAME", "ANY"):
                    for target in self._records_at(record.value, location, qtype):
                        if target.type == qtype:
                            reply.add_answer(self._rr(target))
        if qtype == "SRV":
            # additional section processing (RFC 2782): the targets' addresses, saving the client a lookup
            hosts = dict.fromkeys(srv_fields(r.value)[3] for r in here if r.type == "SRV")
            records = self.records
            for host in hosts:
                for address in (r for r in records if r.name == host and r.type in ("A", "AAAA")):
                    reply.add_ar(self._rr(address))
        if not reply.rr:
            # NXDOMAIN (no such name) or NODATA (name exists, not this type): the SOA tells
            # resolvers how long to cache the negative answer.
            if not exists:
                reply.header.rcode = RCODE.NXDOMAIN
            soa = next(record for record in self.records if record.type == "SOA")
            reply.add_auth(self._rr(replace(soa, ttl=NEGATIVE_TTL)))

    def answer_wire(self, data: bytes, tcp: bool) -> bytes:
        """The reply to the query in ``data``, as bytes; over UDP cut to the client's size with TC set (RFC 7766 §5)."""
        try:
            request = DNSRecord.parse(data)
        except (DNSError, IndexError, ValueError):
            if len(data) < 12:
                return b""  # not even a header: nothing to answer
            header = DNSHeader(id=struct.unpack("!H", data[:2])[0], qr=1, rcode=RCODE.FORMERR)
            return DNSRecord(header).pack()  # type: ignore[no-any-return]
        if request.header.qr or len(request.questions) != 1:
            if request.header.qr:
                return b""  # a response: never answer one
            reply = DNSRecord(DNSHeader(id=request.header.id, qr=1, rcode=RCODE.FORMERR))
            return reply.pack()  # type: ignore[no-any-return]
        reply = self.resolve(request)
        wire: bytes = reply.pack()
        if tcp:
            return wire
        opts = [rr for rr in request.ar if rr.rtype == QTYPE.OPT]
        limit = min(max(512, opts[0].rclass), UDP_PAYLOAD) if opts else 512
        if len(wire) <= limit:
            return wire
        if reply.rr and any(rr.rtype != QTYPE.OPT for rr in reply.ar):
            # RFC 2181 §9: drop the additional section (SRV targets' addresses) first; TC only if the
            # answer itself does not fit. A referral's glue (no answer records) is never dropped.
            slim = DNSRecord(reply.header, q=reply.q, rr=reply.rr, auth=reply.auth,
                             ar=[rr for rr in reply.ar if rr.rtype == QTYPE.OPT])  # fmt: skip
            slim_wire: bytes = slim.pack()
            if len(slim_wire) <= limit:
                return slim_wire
        # too big for UDP: the question, no records, TC set; the client asks again over TCP
        short = DNSRecord(DNSHeader(id=reply.header.id, qr=1, opcode=reply.header.opcode, aa=reply.header.aa,
                                    tc=1, rd=reply.header.rd, ra=0, rcode=reply.header.rcode), q=reply.q)  # fmt: skip
        for rr in reply.ar:
            if rr.rtype == QTYPE.OPT:
                short.add_ar(rr)
        return short.pack()  # type: ignore[no-any-return]

    # --- lifecycle ---

    # stop, running and the with block come from BackgroundServer, which serves UDP; the TCP
    # listener on the same port number is started and stopped alongside it. Unlike the HTTP
    # servers, a second start is an error and the port is only known while it serves.

    def start(self) -> Self:
        """Start serving on 127.0.0.1, over UDP and TCP, on one free port number."""
        if self.running:
            raise RuntimeError("the server is already running")
        for _ in range(20):
            super().start()
            try:
                tcp = _TcpServer((HOST, self._port), self)
            except OSError:  # that port number is taken for TCP: try another one
                super().stop()
                self._port = 0
                continue
            self._tcp = tcp
            self._tcp_thread = threading.Thread(target=tcp.serve_forever, kwargs={"poll_interval": 0.05},
                                                name=f"dns-tcp-{self._port}", daemon=True)  # fmt: skip
            self._tcp_thread.start()
            return self
        raise RuntimeError("found no port number free for both UDP and TCP on 127.0.0.1")  # pragma: no cover

    def stop(self) -> None:
        """Stop both listeners, close every connection and join every thread (does nothing if stopped)."""
        tcp, thread = self._tcp, self._tcp_thread
        if tcp is not None and thread is not None:
            tcp.shutdown()
            tcp.server_close()  # wakes every connection waiting for its next query, then joins
            thread.join()
            self._tcp = self._tcp_thread = None
        super().stop()

    def _make_server(self) -> socketserver.UDPServer:
        server = socketserver.UDPServer((HOST, self._port), _UdpHandler)  # one thread: answers take microseconds
        server.dns = self  # type: ignore[attr-defined]
        return server

    def _thread_name(self) -> str:
        return f"dns-{self._port}"

    @property
    def port(self) -> int:
        """The port it listens on, UDP and TCP (127.0.0.1)."""
        if not self.running:
            raise RuntimeError("the server is not running: use it in a with block or call start()")
        return self._port

    def __repr__(self) -> str:
        where = f"{HOST}:{self.port}" if self.running else "stopped"
        return f"AuthoritativeServer({self.origin}, policy={self._policy!r}, {where})"


def _latency_by_location(location: str | None) -> dict[str, float]:
    """Latency from a user location to each endpoint *location* name used by the default endpoints."""
    table = LATENCY_MS.get(location or "", LATENCY_MS["north-america"])
    return {"default": table["us-east"], "europe": table["eu-west"]}


# --- the client -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A DNS response, reduced to what a lesson reads (lesson 04, sections 1, 3 and 4).

    Attributes:
        rcode: "NOERROR", "NXDOMAIN", "REFUSED", ...
        records: the answer section.
        authority: the authority section (an SOA with negative answers, NS records in a referral).
        authoritative: whether the AA flag was set.
        additional: the additional section without the OPT record (glue in a referral).
        scope: the SCOPE PREFIX-LENGTH of the echoed Client Subnet option, or None if none came back.
        tcp: whether the answer came over TCP (asked for, or after a truncated UDP reply).
    """

    rcode: str
    records: tuple[Record, ...]
    authority: tuple[Record, ...]
    authoritative: bool
    additional: tuple[Record, ...] = ()
    scope: int | None = None
    tcp: bool = False

    @property
    def addresses(self) -> list[str]:
        """The A and AAAA values of the answer."""
        return [record.value for record in self.records if record.type in ("A", "AAAA")]

    @property
    def negative_ttl(self) -> int:
        """How long a resolver may cache this negative answer: min(SOA TTL, SOA minimum), or 0."""
        for record in self.authority:
            if record.type == "SOA":
                return min(record.ttl, int(record.value.split()[-1]))
        return 0

    @property
    def referral(self) -> tuple[str, str, int] | None:
        """(child zone, its name server's address from the glue, NS TTL) if this is a referral, else None.

        A referral is not authoritative, has no answer, and names the child zone's servers
        in AUTHORITY (RFC 1034 §4.3.2).
        """
        if self.authoritative or self.records or self.rcode != "NOERROR":
            return None
        for ns in self.authority:
            if ns.type == "NS":
                glue = next((r for r in self.additional if r.type == "A" and r.name == _bare(ns.value)), None)
                if glue is not None:
                    return ns.name, glue.value, ns.ttl
        return None


def _bare(name: str) -> str:
    return name.rstrip(".").lower()


def _record(rrset: Any, item: Any) -> Record:
    kind = dns.rdatatype.to_text(rrset.rdtype)
    if kind == "SOA":
        value = f"{item.mname} {item.rname} {item.minimum}"
    elif kind == "TXT":
        value = b"".join(item.strings).decode()
    else:
        value = item.to_text()
    return Record(rrset.name.to_text(), kind, value, rrset.ttl)


def query(
    port: int,
    name: str,
    rtype: str = "A",
    location: str | None = None,
    timeout: float = 2.0,
    tcp: bool = False,
) -> Answer:
    """The answer of the DNS server on 127.0.0.1:``port`` for ``name``'s ``rtype`` records (lesson 04, section 1).

    The question goes out with dnspython, over UDP, to 127.0.0.1 only; over TCP with
    ``tcp=True``, or when the UDP reply comes back truncated (TC set).

    ``location`` (a key of ``CLIENT_SUBNETS``) is sent as an EDNS Client Subnet, so a
    geolocation or latency policy knows where the user is.

    Examples:
        >>> with AuthoritativeServer() as server:
        ...     answer = query(server.port, "shop.test", "MX")
        >>> answer.rcode, [record.value for record in answer.records], answer.authoritative
        ('NOERROR', ['10 mail.shop.test.'], True)
    """
    checks.integer("port", port, 1, 65_535)
    if location is not None and location not in CLIENT_SUBNETS:
        raise ValueError(f"location must be one of {sorted(CLIENT_SUBNETS)} or None, got {location!r}")
    options: list[dns.edns.Option] = []
    if location is not None:
        network = ipaddress.ip_network(CLIENT_SUBNETS[location])
        options.append(dns.edns.ECSOption(str(network.network_address), network.prefixlen))
    message = dns.message.make_query(name, rtype, use_edns=0 if options else None, options=options or None)
    if not tcp:
        response = dns.query.udp(message, HOST, port=port, timeout=timeout)
        tcp = bool(response.flags & dns.flags.TC)  # truncated: ask again over TCP, as resolvers do (RFC 7766 §5)
    if tcp:
        response = dns.query.tcp(message, HOST, port=port, timeout=timeout)
    records = tuple(_record(rrset, item) for rrset in response.answer for item in rrset)
    authority = tuple(_record(rrset, item) for rrset in response.authority for item in rrset)
    additional = tuple(_record(rrset, item) for rrset in response.additional for item in rrset)
    scope = next((option.scopelen for option in response.options if isinstance(option, dns.edns.ECSOption)), None)
    return Answer(dns.rcode.to_text(response.rcode()), records, authority, bool(response.flags & dns.flags.AA),
                  additional, scope, tcp)  # fmt: skip


MAX_REFERRALS = 4
"""Most referrals a ``CachingResolver`` follows for one lookup (a loop of delegations must end)."""


class CachingResolver:
    """A recursive resolver's cache in front of authoritative servers: it asks only on a miss (lesson 04, sections 3-4).

    Answers (and negative answers) are kept for their TTL in a ``TtlCache``, keyed by
    (name, type, class) as real resolvers do. Time comes from ``clock`` (seconds), so a
    lesson can fast-forward it.

    A referral (an NS record for a child zone, with its address as glue) is followed: the
    resolver asks the child zone's server, and remembers the delegation for the NS TTL, so
    the next lookup under that zone goes there directly. Every server here is on
    127.0.0.1, so ``network`` says which port answers for each name-server address the
    glue may give (it plays the internet's routing).

    With ``honour_scope`` (the default) an answer that came back with a Client Subnet scope
    above 0 is reused only for users in the same /scope network (RFC 7871 §7.3.1); without
    it, the first user's answer is reused for everyone, which is what a reply without a
    scope would make a real resolver do.

    Attributes:
        cache: the TtlCache.
        upstream_queries: queries sent to authoritative servers.
        trace: for the last lookup that missed the cache, one line per server asked.

    Examples:
        >>> now = [0.0]
        >>> with AuthoritativeServer() as server:
        ...     resolver = CachingResolver(server.port, clock=lambda: now[0])
        ...     first = resolver.resolve("shop.test")
        ...     now[0] = 59.0
        ...     second = resolver.resolve("shop.test")
        >>> first == second, resolver.upstream_queries
        (True, 1)
    """

    def __init__(
        self,
        port: int,
        clock: Callable[[], float] = time.monotonic,
        location: str | None = None,
        network: Mapping[str, int] | None = None,
        honour_scope: bool = True,
    ) -> None:
        self.port = port
        self.clock = clock
        self.location = location
        self.network = dict(network or {})
        self.honour_scope = honour_scope
        self.cache = TtlCache()
        self.zone_cuts = TtlCache()
        self.upstream_queries = 0
        self.trace: list[str] = []

    def _key(self, name: str, rtype: str, scope_network: str) -> str:
        # TtlCache keys are names: the type, class and client network go in as extra labels
        return f"{_bare(name)}.{rtype.lower()}.in{scope_network}"

    def _scope_network(self, location: str | None, scope: int) -> str:
        if not scope or location is None:
            return ""
        network = ipaddress.ip_network(CLIENT_SUBNETS[location]).supernet(new_prefix=scope)
        return ".net-" + str(network).replace(".", "-").replace("/", "-")

    def _server_for(self, name: str, now: float) -> tuple[str, int]:
        labels = _bare(name).split(".")
        for start in range(len(labels) - 1):
            zone = ".".join(labels[start:])
            cut = self.zone_cuts.get(zone, now)
            if cut is not None:
                return zone, int(cut.value)
        return "", self.port

    def resolve(self, name: str, rtype: str = "A", location: str | None = None) -> Answer:
        """The answer for ``name``: from the cache while fresh, else from the servers (then cached).

        ``location`` is the user asking (default: the resolver's own ``location``).
        """
        where = self.location if location is None else location
        now = self.clock()
        for scope in (ROUTING_PREFIX, 0) if self.honour_scope else (0,):
            cached = self.cache.get(self._key(name, rtype, self._scope_network(where, scope)), now)
            if cached is not None:
                answer: Answer = cached.value
                return answer
        zone, port = self._server_for(name, now)
        self.trace = []
        for _ in range(MAX_REFERRALS + 1):
            answer = query(port, name, rtype, location=where)
            self.upstream_queries += 1
            asked = f"the {zone} server" if zone else "the first server"
            referral = answer.referral
            if referral is None:
                self.trace.append(f"{asked} (127.0.0.1:{port}): {answer.rcode}, {len(answer.records)} records, "
                                  f"authoritative={answer.authoritative}")  # fmt: skip
                break
            zone, address, ttl = referral
            if address not in self.network:
                raise LookupError(f"{name}: referred to {zone} at {address}, which the network {self.network} lacks")
            port = self.network[address]
            self.zone_cuts.put(zone, port, ttl, now)
            self.trace.append(f"{asked}: referral to {zone}, name server at {address} (127.0.0.1:{port})")
        else:
            raise LookupError(f"{name}: more than {MAX_REFERRALS} referrals")
        ttl = min((record.ttl for record in answer.records), default=answer.negative_ttl)
        scope = answer.scope or 0 if self.honour_scope else 0
        self.cache.put(self._key(name, rtype, self._scope_network(where, scope)), answer, ttl, now)
        return answer
