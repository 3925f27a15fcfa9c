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
    * the server: ``AuthoritativeServer``
    * the client: ``Answer``, ``query``, ``CachingResolver``
"""

from __future__ import annotations

import ipaddress
import socketserver
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Self

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import numpy as np
from dnslib import AAAA, CNAME, MX, NS, QTYPE, RCODE, RR, SOA, TXT, A
from dnslib.server import DNSHandler

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
    validate_zone,
    weighted_choice,
)
from helpers.serving import HOST, BackgroundServer

__all__ = [
    "CLIENT_SUBNETS",
    "LATENCY_MS",
    "ORIGIN",
    "POLICIES",
    "ROUTED_NAME",
    "Answer",
    "AuthoritativeServer",
    "CachingResolver",
    "default_endpoints",
    "query",
]

ORIGIN = "shop.test"
"""The zone the server is authoritative for (``.test`` is reserved for testing, RFC 2606; lesson 04, section 1)."""

ROUTED_NAME = f"www.{ORIGIN}"
"""The name answered by the routing policy (lesson 04, section 6)."""

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
    ]


def _location_of(subnet: str | None) -> str | None:
    if subnet is None:
        return None
    address = ipaddress.ip_network(subnet, strict=False)
    for location, block in CLIENT_SUBNETS.items():
        if address.subnet_of(ipaddress.ip_network(block)):  # type: ignore[arg-type]
            return location
    return None


def _client_subnet(request: Any) -> str | None:
    """The EDNS Client Subnet of a dnslib request, as "address/prefix", or None."""
    for rr in request.ar:
        if rr.rtype != QTYPE.OPT:
            continue
        for option in rr.rdata:
            data = bytes(option.data)
            if option.code == 8 and len(data) >= 4 and int.from_bytes(data[:2], "big") == 1:
                prefix = data[2]
                raw = (data[4:] + bytes(4))[:4]
                return f"{ipaddress.IPv4Address(raw)}/{prefix}"
    return None


class _QuietLogger:
    """dnslib's logger interface, saying nothing (a lesson's output must stay clean)."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args: None


class AuthoritativeServer(BackgroundServer):
    """An authoritative DNS server for one zone on 127.0.0.1, answering ``www`` with a routing policy.

    Taught in lesson 04, sections 1 and 3 (records, authority), 6 and 7 (routing). Use it in
    a ``with`` block (or call ``start()`` and ``stop()``). Change its behaviour while it
    runs: ``policy``, ``set_weight``, ``set_healthy``, ``ttl``.

    Attributes:
        origin: the zone's name.
        records: the zone's static records (the routed name comes from ``endpoints``).
        endpoints: the answers the policy chooses from.
        queries: queries answered so far.
        answered: how often each endpoint was given out.

    Examples:
        >>> with AuthoritativeServer(policy="failover") as server:
        ...     first = query(server.port, ROUTED_NAME).addresses
        ...     server.set_healthy("us-east", False)
        ...     second = query(server.port, ROUTED_NAME).addresses
        >>> first, second, server.running
        (['192.0.2.10'], ['192.0.2.20'], False)
    """

    def __init__(
        self,
        endpoints: Sequence[Endpoint] | None = None,
        policy: str = "weighted",
        ttl: int = 60,
        origin: str = ORIGIN,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.origin = origin.rstrip(".").lower()
        self.routed_name = f"www.{self.origin}"
        self._lock = threading.Lock()
        self.endpoints = list(default_endpoints() if endpoints is None else endpoints)
        if not self.endpoints or len({e.name for e in self.endpoints}) != len(self.endpoints):
            raise ValueError(f"endpoints must be a non-empty list with distinct names, got {self.endpoints!r}")
        self.policy = policy
        self.ttl = ttl
        self.records = _static_records(self.origin, self.ttl)
        validate_zone(self.origin, self.records)
        self._rng = np.random.default_rng(seed)
        self.queries = 0
        self.answered: Counter[str] = Counter()

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
        """Mark endpoint ``name`` healthy or failed (a failed endpoint is never given out)."""
        self._replace(name, healthy=bool(healthy))

    # --- answering ---

    def choose(self, location: str | None) -> list[Endpoint]:
        """The endpoints the current policy gives a user at ``location`` (None: unknown)."""
        with self._lock:
            endpoints, policy = list(self.endpoints), self._policy
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
        elif record.type == "TXT":
            rdata = TXT(value)
        else:  # SOA: the minimum field is the TTL of negative answers (RFC 2308)
            mname, rname = value.split()
            rdata = SOA(mname, rname, (1, 3600, 600, 86400, NEGATIVE_TTL))
        return RR(record.name + ".", qtype, ttl=record.ttl, rdata=rdata)

    def _records_at(self, name: str, location: str | None) -> list[Record]:
        if name == self.routed_name:
            chosen = self.choose(location)
            with self._lock:
                self.answered.update(endpoint.name for endpoint in chosen)
            return [Record(name, "A", endpoint.address, ttl=self._ttl) for endpoint in chosen]
        return [record for record in self.records if record.name == name]

    def resolve(self, request: Any, handler: Any) -> Any:
        """The reply to a dnslib request (dnslib's resolver interface)."""
        reply = request.reply(ra=0, aa=1)
        name = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        with self._lock:
            self.queries += 1
        location = _location_of(_client_subnet(request))
        inside = name == self.origin or name.endswith("." + self.origin)
        if not inside:
            reply.header.rcode = RCODE.REFUSED  # not our zone: an authoritative server does not recurse
            return reply
        here = self._records_at(name, location)
        exists = bool(here) or name == self.routed_name
        for record in here:
            if record.type == qtype or (record.type == "CNAME" and qtype != "CNAME"):
                reply.add_answer(self._rr(record))
                if record.type == "CNAME" and qtype != "CNAME":
                    for target in self._records_at(record.value, location):
                        if target.type == qtype:
                            reply.add_answer(self._rr(target))
        if not reply.rr:
            # NXDOMAIN (no such name) or NODATA (name exists, not this type): the SOA tells
            # resolvers how long to cache the negative answer.
            if not exists:
                reply.header.rcode = RCODE.NXDOMAIN
            soa = next(record for record in self.records if record.type == "SOA")
            reply.add_auth(self._rr(replace(soa, ttl=NEGATIVE_TTL)))
        return reply

    # --- lifecycle ---

    # stop, running and the with block come from BackgroundServer; unlike the HTTP servers,
    # a second start is an error and the port is only known while it serves.

    def start(self) -> Self:
        """Start serving on 127.0.0.1, on a free UDP port."""
        if self.running:
            raise RuntimeError("the server is already running")
        return super().start()

    def _make_server(self) -> socketserver.UDPServer:
        server = socketserver.UDPServer((HOST, 0), DNSHandler)  # one thread: answers take microseconds
        server.resolver = self  # type: ignore[attr-defined]
        server.logger = _QuietLogger()  # type: ignore[attr-defined]
        return server

    def _thread_name(self) -> str:
        return f"dns-{self._port}"

    @property
    def port(self) -> int:
        """The UDP port it listens on (127.0.0.1)."""
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
    """A DNS response, reduced to what a lesson reads (lesson 04, sections 1 and 4).

    Attributes:
        rcode: "NOERROR", "NXDOMAIN", "REFUSED", ...
        records: the answer section.
        authority: the authority section (an SOA with negative answers).
        authoritative: whether the AA flag was set.
    """

    rcode: str
    records: tuple[Record, ...]
    authority: tuple[Record, ...]
    authoritative: bool

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


def _record(rrset: Any, item: Any) -> Record:
    kind = dns.rdatatype.to_text(rrset.rdtype)
    value = f"{item.mname} {item.rname} {item.minimum}" if kind == "SOA" else item.to_text().strip('"')
    return Record(rrset.name.to_text(), kind, value, rrset.ttl)


def query(port: int, name: str, rtype: str = "A", location: str | None = None, timeout: float = 2.0) -> Answer:
    """The answer of the DNS server on 127.0.0.1:``port`` for ``name``'s ``rtype`` records (lesson 04, section 1).

    The question goes out with dnspython, over UDP, to 127.0.0.1 only.

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
    response = dns.query.udp(message, HOST, port=port, timeout=timeout)
    records = tuple(_record(rrset, item) for rrset in response.answer for item in rrset)
    authority = tuple(_record(rrset, item) for rrset in response.authority for item in rrset)
    return Answer(
        dns.rcode.to_text(response.rcode()), records, authority, bool(response.flags & dns.flags.AA)
    )


class CachingResolver:
    """A recursive resolver's cache in front of one authoritative server: it asks only on a miss (lesson 04, section 4).

    Answers (and negative answers) are kept for their TTL in a ``TtlCache``. Time comes
    from ``clock`` (seconds), so a lesson can fast-forward it.

    Attributes:
        cache: the TtlCache.
        upstream_queries: queries sent to the authoritative server.

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

    def __init__(self, port: int, clock: Callable[[], float] = time.monotonic, location: str | None = None) -> None:
        self.port = port
        self.clock = clock
        self.location = location
        self.cache = TtlCache()
        self.upstream_queries = 0

    def resolve(self, name: str, rtype: str = "A") -> Answer:
        """The answer for ``name``: from the cache while fresh, else from the server (then cached)."""
        key = f"{rtype}:{name}"
        now = self.clock()
        cached = self.cache.get(key, now)
        if cached is not None:
            answer: Answer = cached.value
            return answer
        answer = query(self.port, name, rtype, location=self.location)
        self.upstream_queries += 1
        ttl = min((record.ttl for record in answer.records), default=answer.negative_ttl)
        self.cache.put(key, answer, ttl, now)
        return answer
