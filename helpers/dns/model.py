"""DNS and managed DNS routing: typed records, routing policies, TTL caches and staleness (lesson 04).

DNS maps a name to typed **resource records**, not just to an address. A managed DNS
service answers a query with a **routing policy**: weighted, latency-based, geolocation,
failover, multivalue and others. Resolvers cache each answer for its TTL, so a change is
not pushed anywhere: it is seen as caches expire.

The ``*_choice`` functions choose among the healthy endpoints they are given and return
None when none is; a service built on them fails open, as Route 53 does ("if no record is
healthy, all records are healthy"), by choosing again among all of them
(``helpers.dns.live.AuthoritativeServer.choose``).

Everything random here takes a ``numpy.random.Generator`` (seeded by the caller), and the
simulations are vectorised over resolvers and time steps.

Sections:
    * records and zones: ``RECORD_TYPES``, ``Record``, ``srv_fields``, ``validate_zone``
    * routing policies: ``ROUTING_POLICIES``, ``Endpoint``, ``weighted_shares``, ``weighted_choice``,
      ``latency_choice``, ``geolocation_choice``, ``failover_choice``, ``multivalue_choice``
    * caching: ``TtlCache``, ``authoritative_query_rate``
    * change and staleness: ``stale_fraction``, ``time_until_seen``, ``simulate_staleness``
    * realised split: ``zipf_populations``, ``simulate_split``, ``effective_resolvers``
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from helpers import checks

__all__ = [
    "MAX_TTL",
    "MAX_WEIGHT",
    "MULTIVALUE_LIMIT",
    "RECORD_TYPES",
    "ROUTING_POLICIES",
    "CachedAnswer",
    "Endpoint",
    "Record",
    "TtlCache",
    "authoritative_query_rate",
    "effective_resolvers",
    "failover_choice",
    "geolocation_choice",
    "latency_choice",
    "multivalue_choice",
    "simulate_split",
    "simulate_staleness",
    "srv_fields",
    "stale_fraction",
    "time_until_seen",
    "validate_zone",
    "weighted_choice",
    "weighted_shares",
    "zipf_populations",
]

# --- records and zones ----------------------------------------------------------------------

RECORD_TYPES: dict[str, str] = {
    "A": "IPv4 address (RFC 1035)",
    "AAAA": "IPv6 address (RFC 3596)",
    "CNAME": "alias to another name; nothing else may live at that name, so never at the apex (RFC 1034 §3.6.2)",
    "NS": "name server of a (delegated) zone (RFC 1035)",
    "SOA": "zone metadata, including the TTL of negative answers (RFC 1035, RFC 2308)",
    "MX": "mail exchanger, with a preference (RFC 1035)",
    "TXT": "free text, e.g. domain-ownership proofs (RFC 1035)",
    "PTR": "reverse lookup, address to name (RFC 1035)",
    "SRV": "service location: priority, weight, port and target host of each instance (RFC 2782)",
    "CAA": "certificate authorities allowed to issue for the name (RFC 8659)",
    "HTTPS": "service binding for HTTPS (RFC 9460)",
}
"""Common record types and what each holds, with the RFC that defines it (lesson 04, section 1)."""

MAX_TTL = 2**31 - 1
"""Largest TTL in seconds: RFC 2181 §8 makes the TTL unsigned, 0 to 2**31 - 1 (lesson 04, section 4)."""


def _name(value: object, what: str = "name") -> str:
    if not isinstance(value, str) or not value.strip(".").strip():
        raise ValueError(f"{what} must be a non-empty domain name, got {value!r}")
    return value.strip().rstrip(".").lower()


def _ttl(value: object) -> int:
    return checks.integer("ttl", value, 0, MAX_TTL)


SRV_FIELD_MAX = 65_535
"""Priority, weight and port of an SRV record are 16-bit unsigned integers (RFC 2782)."""


def _label_ok(label: str) -> bool:
    return 0 < len(label) <= 63 and all(c.isalnum() or c in "-_" for c in label)


def srv_fields(value: str) -> tuple[int, int, int, str]:
    """Priority, weight, port and target of an SRV record's value ``"10 60 8081 a.shop.test"`` (lesson 04, section 1).

    RFC 2782: a client tries the lowest **priority** first; among equal priorities it shares
    traffic by **weight**; the instance listens on **port** of host **target**. A target of
    ``"."`` means the service is decidedly not available at this name. The target comes back
    lower-case, without the final dot.

    Examples:
        >>> srv_fields("10 60 8081 A.shop.test.")
        (10, 60, 8081, 'a.shop.test')
        >>> srv_fields("10 60 a.shop.test")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: an SRV value is 'priority weight port target', ...; got '10 60 a.shop.test'
        >>> srv_fields("10 60 70000 a.shop.test")
        Traceback (most recent call last):
        ...
        ValueError: port must be an int from 0 to 65535, got '70000'
    """
    parts = value.split() if isinstance(value, str) else []
    if len(parts) != 4:
        raise ValueError(
            f"an SRV value is 'priority weight port target', such as '10 60 8081 a.shop.test'; got {value!r}"
        )
    numbers = []
    for field, text in zip(("priority", "weight", "port"), parts[:3], strict=True):
        if not text.isascii() or not text.isdigit() or int(text) > SRV_FIELD_MAX:
            raise ValueError(f"{field} must be an int from 0 to {SRV_FIELD_MAX}, got {text!r}")
        numbers.append(int(text))
    target = parts[3].lower()
    if target != ".":
        target = target.removesuffix(".")
        if not all(_label_ok(label) for label in target.split(".")):
            raise ValueError(f"target must be a domain name or '.', got {parts[3]!r}")
    return numbers[0], numbers[1], numbers[2], target


def _srv_owner(name: str) -> None:
    labels = name.split(".")
    if len(labels) < 3 or not (labels[0].startswith("_") and labels[1].startswith("_")) or len(labels[1]) < 2:
        raise ValueError(
            f"an SRV record lives at _service._proto.domain (RFC 2782), got {name!r}; e.g. _orders._tcp.shop.test"
        )


@dataclass(frozen=True)
class Record:
    """One resource record: a name, a type, a value and the TTL it may be cached for (lesson 04, section 1).

    Names are stored lower-case without the final dot (DNS names compare case-insensitively).
    An SRV record must live at ``_service._proto.domain`` and its value is checked and stored
    as ``"priority weight port target"`` (``srv_fields``; RFC 2782).

    Examples:
        >>> Record("WWW.shop.test.", "A", "192.0.2.10", ttl=60)
        Record(name='www.shop.test', type='A', value='192.0.2.10', ttl=60)
        >>> Record("_orders._tcp.shop.test", "SRV", "10 60 8081 a.shop.test.", ttl=5).value
        '10 60 8081 a.shop.test'
        >>> Record("shop.test", "SPF", "v=spf1 -all", 60)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: type must be one of ['A', 'AAAA', ...], got 'SPF'
    """

    name: str
    type: str
    value: str
    ttl: int = 300

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _name(self.name))
        if self.type not in RECORD_TYPES:
            raise ValueError(f"type must be one of {sorted(RECORD_TYPES)}, got {self.type!r}")
        if not isinstance(self.value, str) or not self.value:
            raise ValueError(f"value must be a non-empty string, got {self.value!r}")
        if self.type == "SRV":
            _srv_owner(self.name)
            priority, weight, port, target = srv_fields(self.value)
            object.__setattr__(self, "value", f"{priority} {weight} {port} {target}")
        object.__setattr__(self, "ttl", _ttl(self.ttl))


def validate_zone(origin: str, records: Sequence[Record]) -> None:
    """Nothing, if the records form a valid zone; otherwise a ValueError that says what is wrong (lesson 04, section 2).

    Checks the rule the system-design primer's example breaks: a CNAME must be the only
    record at its name (RFC 1034 §3.6.2, RFC 2181 §10.1). The apex (the zone's own name)
    always holds SOA and NS records, so a CNAME there is never allowed; every record must
    also lie inside the zone, and an SRV record's target must not be a CNAME (RFC 2782).

    Examples:
        >>> validate_zone("shop.test", [Record("www.shop.test", "CNAME", "shop.cdn.test")])
        >>> validate_zone("shop.test", [Record("shop.test", "CNAME", "www.shop.test")])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: CNAME at the zone apex shop.test: the apex always holds SOA and NS records, ...
    """
    zone = _name(origin, "origin")
    types_at: dict[str, set[str]] = {}
    for record in records:
        if not isinstance(record, Record):
            raise ValueError(f"records must be Record objects, got {record!r}")
        if record.name != zone and not record.name.endswith("." + zone):
            raise ValueError(f"{record.name} is not inside the zone {zone}")
        types_at.setdefault(record.name, set()).add(record.type)
    if "CNAME" in types_at.get(zone, set()):
        raise ValueError(
            f"CNAME at the zone apex {zone}: the apex always holds SOA and NS records, and a CNAME must be "
            "alone at its name (RFC 1034 §3.6.2); use A/AAAA records or your provider's ALIAS/flattening there"
        )
    for name, types in sorted(types_at.items()):
        if "CNAME" in types and len(types) > 1:
            others = sorted(types - {"CNAME"})
            raise ValueError(f"{name} has a CNAME and {others} records: a CNAME must be alone at its name")
    for record in records:
        target = srv_fields(record.value)[3] if record.type == "SRV" else ""
        if "CNAME" in types_at.get(target, set()):
            raise ValueError(
                f"SRV target {target} is a CNAME: RFC 2782 says an SRV target must not be an alias; "
                "point the SRV record at the name that holds the A/AAAA records"
            )


# --- routing policies -----------------------------------------------------------------------

ROUTING_POLICIES: dict[str, str] = {
    "simple": "one record set, no routing decision",
    "failover": "active-passive: the primary while it is healthy, else the secondary",
    "geolocation": "by the location of the user",
    "geoproximity": "by the location of the resources, with an optional bias",
    "latency": "the region with the lowest measured latency for the user",
    "IP-based": "by the client's address block (CIDR)",
    "multivalue answer": "up to 8 healthy records, chosen at random",
    "weighted": "each record gets weight / sum of weights of the queries",
}
"""Amazon Route 53's eight routing policies (the seed notes and the primer list three; lesson 04, section 6)."""

MAX_WEIGHT = 255
"""Largest weight Route 53 accepts for a weighted record (weights run from 0 to 255; lesson 04, section 6)."""

MULTIVALUE_LIMIT = 8
"""Most healthy records a multivalue answer returns (lesson 04, section 7)."""


@dataclass(frozen=True)
class Endpoint:
    """One answer a routing policy may give: a name, an address, a weight, a location, health (lesson 04, section 6).

    Examples:
        >>> Endpoint("eu-west", "192.0.2.20", weight=3, location="europe")
        Endpoint(name='eu-west', address='192.0.2.20', weight=3, location='europe', healthy=True)
        >>> Endpoint("x", "192.0.2.1", weight=256)
        Traceback (most recent call last):
        ...
        ValueError: weight must be an int from 0 to 255, got 256
    """

    name: str
    address: str
    weight: int = 1
    location: str = "default"
    healthy: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.address, str) or not self.address:
            raise ValueError(f"address must be a non-empty string, got {self.address!r}")
        checks.integer("weight", self.weight, 0, MAX_WEIGHT)
        if not isinstance(self.location, str) or not self.location:
            raise ValueError(f"location must be a non-empty string, got {self.location!r}")


def weighted_shares(weights: ArrayLike) -> NDArray[np.float64]:
    """Share of the queries each weight gets: weight / sum of weights, equal if all are 0 (lesson 04, section 6).

    Examples:
        >>> weighted_shares([1, 3]).tolist()
        [0.25, 0.75]
        >>> round(float(weighted_shares([1, 255])[0]), 6) == round(1 / 256, 6)
        True
        >>> weighted_shares([0, 0]).tolist()
        [0.5, 0.5]
    """
    values = np.asarray(weights, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"weights must be a non-empty list of numbers, got {weights!r}")
    if not np.all(np.isfinite(values)) or np.any(values < 0) or np.any(values > MAX_WEIGHT):
        raise ValueError(f"weights must be numbers from 0 to {MAX_WEIGHT}, got {values.tolist()}")
    total = values.sum()
    if total == 0:
        return np.full(values.size, 1.0 / values.size)
    shares: NDArray[np.float64] = values / total
    return shares


def _endpoints(endpoints: Sequence[Endpoint]) -> list[Endpoint]:
    if isinstance(endpoints, (str, bytes)) or not isinstance(endpoints, Sequence) or not endpoints:
        raise ValueError(f"endpoints must be a non-empty list of Endpoint, got {endpoints!r}")
    for endpoint in endpoints:
        if not isinstance(endpoint, Endpoint):
            raise ValueError(f"endpoints must hold Endpoint objects, got {endpoint!r}")
    return list(endpoints)


def weighted_choice(endpoints: Sequence[Endpoint], u: float) -> Endpoint | None:
    """The healthy endpoint a uniform draw ``u`` in [0, 1) picks, each with share weight / sum (lesson 04, section 6).

    Unhealthy endpoints get nothing. A weight-0 endpoint gets traffic only when every
    healthy endpoint has weight 0 (then they share equally). None when none is healthy.

    Examples:
        >>> pool = [Endpoint("blue", "192.0.2.1", 1), Endpoint("green", "192.0.2.2", 3)]
        >>> [weighted_choice(pool, u).name for u in (0.0, 0.24, 0.25, 0.99)]
        ['blue', 'blue', 'green', 'green']
    """
    candidates = [endpoint for endpoint in _endpoints(endpoints) if endpoint.healthy]
    checks.number("u", u, 0.0, 1.0, high_open=True)
    if not candidates:
        return None
    cumulative = np.cumsum(weighted_shares([endpoint.weight for endpoint in candidates]))
    index = int(np.searchsorted(cumulative, u, side="right"))
    return candidates[min(index, len(candidates) - 1)]


def latency_choice(endpoints: Sequence[Endpoint], latency_ms: Mapping[str, float]) -> Endpoint | None:
    """The healthy endpoint whose location has the lowest latency for this user, or None (lesson 04, section 7).

    ``latency_ms`` maps a location (an endpoint's ``location``, e.g. a region) to the
    latency measured from the user's network; locations without a measurement are skipped.

    Examples:
        >>> pool = [Endpoint("us", "192.0.2.1", location="us-east"), Endpoint("eu", "192.0.2.2", location="eu-west")]
        >>> latency_choice(pool, {"us-east": 95.0, "eu-west": 18.0}).name
        'eu'
    """
    candidates = [e for e in _endpoints(endpoints) if e.healthy and e.location in latency_ms]
    for location, value in latency_ms.items():
        checks.number(f"latency_ms[{location!r}]", value, 0.0)
    if not candidates:
        return None
    return min(candidates, key=lambda endpoint: latency_ms[endpoint.location])


def geolocation_choice(endpoints: Sequence[Endpoint], user_location: str) -> Endpoint | None:
    """The healthy endpoint for the user's location, else the "default" one, else None (lesson 04, section 7).

    Geolocation routing answers by where the *user* is. With no record for that location
    and no default record, there is no answer.

    Examples:
        >>> pool = [Endpoint("eu", "192.0.2.2", location="europe"), Endpoint("us", "192.0.2.1", location="default")]
        >>> geolocation_choice(pool, "europe").name, geolocation_choice(pool, "asia").name
        ('eu', 'us')
    """
    if not isinstance(user_location, str) or not user_location:
        raise ValueError(f"user_location must be a non-empty string, got {user_location!r}")
    healthy = [endpoint for endpoint in _endpoints(endpoints) if endpoint.healthy]
    for wanted in (user_location, "default"):
        for endpoint in healthy:
            if endpoint.location == wanted:
                return endpoint
    return None


def failover_choice(endpoints: Sequence[Endpoint]) -> Endpoint | None:
    """The first healthy endpoint in order (primary, then secondary, ...), or None (lesson 04, section 7).

    Examples:
        >>> primary, secondary = Endpoint("primary", "192.0.2.1"), Endpoint("secondary", "192.0.2.2")
        >>> failover_choice([primary, secondary]).name
        'primary'
        >>> failover_choice([Endpoint("primary", "192.0.2.1", healthy=False), secondary]).name
        'secondary'
    """
    return next((endpoint for endpoint in _endpoints(endpoints) if endpoint.healthy), None)


def multivalue_choice(
    endpoints: Sequence[Endpoint], rng: np.random.Generator, limit: int = MULTIVALUE_LIMIT
) -> list[Endpoint]:
    """Up to ``limit`` (at most 8) healthy endpoints, chosen at random and in random order (lesson 04, section 7).

    Examples:
        >>> pool = [Endpoint(f"web-{i}", f"192.0.2.{i}") for i in range(1, 11)]
        >>> len(multivalue_choice(pool, np.random.default_rng(1)))
        8
    """
    checks.integer("limit", limit, 1, MULTIVALUE_LIMIT)
    healthy = [endpoint for endpoint in _endpoints(endpoints) if endpoint.healthy]
    order = rng.permutation(len(healthy))[:limit]
    return [healthy[int(i)] for i in order]


# --- caching ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedAnswer:
    """A cached answer (None for a cached NXDOMAIN) and when it expires (lesson 04, section 4)."""

    value: Any
    expires_at: float


class TtlCache:
    """A resolver's cache: each answer is kept for its TTL, negative answers (NXDOMAIN) too (lesson 04, section 4).

    Times are seconds on any clock the caller chooses (``now`` is passed in), so the
    cache can be driven by a simulation as well as by ``time.monotonic()``. An entry is
    fresh while ``now < stored time + ttl``; a TTL of 0 means "do not cache".

    Attributes:
        hits: lookups answered from the cache.
        misses: lookups that found nothing fresh.

    Examples:
        >>> cache = TtlCache()
        >>> cache.put("www.shop.test", "192.0.2.10", ttl=60, now=0.0)
        >>> cache.get("www.shop.test", now=59.9)
        CachedAnswer(value='192.0.2.10', expires_at=60.0)
        >>> cache.get("www.shop.test", now=60.0) is None
        True
        >>> cache.put("nope.shop.test", None, ttl=30, now=0.0)   # negative caching
        >>> cache.get("nope.shop.test", now=10.0).value is None
        True
    """

    def __init__(self) -> None:
        self._entries: dict[str, CachedAnswer] = {}
        self.hits = 0
        self.misses = 0

    def put(self, name: str, value: Any, ttl: int, now: float) -> None:
        """Store ``value`` (None for NXDOMAIN) for ``name`` until ``now + ttl``."""
        key, seconds = _name(name), _ttl(ttl)
        if seconds == 0:
            self._entries.pop(key, None)
            return
        self._entries[key] = CachedAnswer(value, float(now) + seconds)

    def get(self, name: str, now: float) -> CachedAnswer | None:
        """The fresh cached answer for ``name`` at time ``now``, or None (a miss)."""
        key = _name(name)
        entry = self._entries.get(key)
        if entry is not None and float(now) < entry.expires_at:
            self.hits += 1
            return entry
        if entry is not None:
            del self._entries[key]  # expired: a later put stores a fresh answer
        self.misses += 1
        return None

    def __len__(self) -> int:
        return len(self._entries)


def authoritative_query_rate(resolvers: int, ttl_s: float) -> float:
    """Queries per second that reach the authoritative server: R busy resolvers / TTL (lesson 04, section 4).

    A resolver with steady traffic asks again only when its cached answer expires.

    Examples:
        >>> authoritative_query_rate(10_000, 60)
        166.66666666666666
    """
    return checks.count("resolvers", resolvers, minimum=0) / checks.positive("ttl_s", ttl_s)


# --- change and staleness ---------------------------------------------------------------------


def stale_fraction(t_s: ArrayLike, ttl_s: float) -> NDArray[np.float64]:
    """Expected share of resolvers still serving the old record t seconds after a change: max(0, 1 - t/TTL).

    Taught in lesson 04, section 5. It assumes cache ages uniform on [0, TTL) at the moment of the change.

    Examples:
        >>> stale_fraction([0, 30, 60, 90], 60).tolist()
        [1.0, 0.5, 0.0, 0.0]
    """
    ttl = checks.positive("ttl_s", ttl_s)
    t = np.asarray(t_s, dtype=np.float64)
    if np.any(t < 0) or not np.all(np.isfinite(t)):
        raise ValueError(f"t_s must be times >= 0, got {t_s!r}")
    fraction: NDArray[np.float64] = np.clip(1.0 - t / ttl, 0.0, 1.0)
    return fraction


def time_until_seen(fraction: float, ttl_s: float) -> float:
    """Seconds after a change until ``fraction`` of resolvers have the new record: f x TTL (lesson 04, section 5).

    Examples:
        >>> time_until_seen(0.9, 300)
        270.0
        >>> time_until_seen(1.0, 300)
        300.0
    """
    return checks.fraction("fraction", fraction) * checks.positive("ttl_s", ttl_s)


def zipf_populations(resolvers: int, rng: np.random.Generator, exponent: float = 1.0) -> NDArray[np.float64]:
    """Share of all users behind each of ``resolvers`` resolvers: Zipf sizes, shuffled, sum 1 (lesson 04, section 8).

    A few big resolvers (an ISP's, a public one) front most users; many small ones front few.

    Examples:
        >>> shares = zipf_populations(4, np.random.default_rng(0))
        >>> round(float(shares.sum()), 12), round(float(shares.max()), 2)
        (1.0, 0.48)
    """
    count = checks.count("resolvers", resolvers)
    alpha = checks.number("exponent", exponent, 0.0)
    sizes = np.arange(1, count + 1, dtype=np.float64) ** -alpha
    shares: NDArray[np.float64] = rng.permutation(sizes / sizes.sum())
    return shares


def simulate_staleness(
    times_s: ArrayLike, ttl_s: float, populations: ArrayLike, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Share of users still sent to the old record at each time after a change, simulated (lesson 04, section 5).

    Each resolver's cached answer has an age uniform on [0, TTL) when the change is made,
    so it expires, and the resolver fetches the new record, at a uniform time in (0, TTL].
    Users count with their resolver's population share.

    Examples:
        >>> stale = simulate_staleness([0, 30, 60], 60, np.full(1000, 1e-3), np.random.default_rng(0))
        >>> [round(float(s), 1) for s in stale]
        [1.0, 0.5, 0.0]
    """
    ttl = checks.positive("ttl_s", ttl_s)
    t = np.asarray(times_s, dtype=np.float64)
    weights = _populations(populations)
    expires = ttl * (1.0 - rng.random(weights.size))  # in (0, TTL]
    order = np.argsort(expires)
    # still_old[i]: users of the resolvers that expire after the i earliest ones (suffix sums, so the end is 0.0)
    still_old = np.concatenate([np.cumsum(weights[order][::-1])[::-1], [0.0]])
    seen = np.searchsorted(expires[order], t, side="right")
    stale: NDArray[np.float64] = np.clip(still_old[seen], 0.0, 1.0)
    return stale


def _populations(populations: ArrayLike) -> NDArray[np.float64]:
    weights = np.asarray(populations, dtype=np.float64)
    if weights.ndim != 1 or weights.size == 0 or np.any(weights < 0) or not np.isclose(weights.sum(), 1.0):
        raise ValueError("populations must be a non-empty list of shares >= 0 that sum to 1")
    return weights


# --- realised split -------------------------------------------------------------------------


def simulate_split(
    probabilities: ArrayLike,
    populations: ArrayLike,
    ttl_s: float,
    times_s: ArrayLike,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Share of users sent to each endpoint at each time, when every resolver caches one answer per TTL.

    Taught in lesson 04, section 8.

    ``probabilities`` is the chance of each answer: one row for all resolvers (weighted
    routing: the weighted shares), or one row per resolver (geolocation: 1 for the
    resolver's region). Each resolver refreshes its answer every TTL, at its own random
    phase, and all its users get the cached answer. Returns an array of shape
    (times, endpoints) whose rows sum to 1.

    Examples:
        >>> split = simulate_split([0.25, 0.75], np.full(10_000, 1e-4), 60, [0, 600], np.random.default_rng(0))
        >>> split.shape, [round(float(s), 2) for s in split[:, 0]]
        ((2, 2), [0.25, 0.25])
    """
    ttl = checks.positive("ttl_s", ttl_s)
    weights = _populations(populations)
    t = np.asarray(times_s, dtype=np.float64)
    if t.ndim != 1 or t.size == 0 or np.any(t < 0):
        raise ValueError(f"times_s must be a non-empty list of times >= 0, got {times_s!r}")
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim == 1:
        p = p[np.newaxis, :]
    if p.ndim != 2 or p.shape[0] not in (1, weights.size) or np.any(p < 0) or not np.allclose(p.sum(axis=1), 1.0):
        raise ValueError(
            f"probabilities must be one row, or one row per resolver ({weights.size}), of shares >= 0 "
            f"that sum to 1; got shape {p.shape}"
        )
    resolvers, endpoints = weights.size, p.shape[1]
    phase = rng.random(resolvers) * ttl  # resolver r refreshes at times k·TTL - phase[r]
    first = int(np.floor(t.min() / ttl))
    epochs = int(np.floor(t.max() / ttl)) - first + 2
    cumulative = np.cumsum(p, axis=1)
    cumulative[:, -1] = 1.0 + 1e-12  # a draw of 0.9999999 never falls off the end
    draws = rng.random((resolvers, epochs))  # one fresh answer per resolver per TTL
    answers: NDArray[np.intp]
    if p.shape[0] == 1:
        answers = np.searchsorted(cumulative[0], draws, side="right").astype(np.intp)
    else:
        answers = (draws[:, :, np.newaxis] >= cumulative[:, np.newaxis, :]).sum(axis=2).astype(np.intp)
    # Without an (resolvers x times) array: sort resolvers by phase. At time t in epoch k
    # (k·TTL <= t < (k+1)·TTL) the resolvers with phase < (k+1)·TTL - t still hold their
    # epoch-k answer and the others already hold their epoch-(k+1) one; prefix sums over the
    # sorted resolvers give both groups' users per answer at once.
    order = np.argsort(phase)
    sorted_phase, sorted_weights, sorted_answers = phase[order], weights[order], answers[order]
    k = np.floor(t / ttl).astype(np.int64) - first
    boundary = np.searchsorted(sorted_phase, (k + first + 1) * ttl - t, side="left")
    split = np.empty((t.size, endpoints), dtype=np.float64)
    for j in range(endpoints):
        prefix = np.zeros((resolvers + 1, epochs))
        np.cumsum(sorted_weights[:, np.newaxis] * (sorted_answers == j), axis=0, out=prefix[1:])
        split[:, j] = prefix[boundary, k] + prefix[resolvers, k + 1] - prefix[boundary, k + 1]
    return split


def effective_resolvers(populations: ArrayLike) -> float:
    """Effective number of resolvers, 1 / sum of squared population shares (lesson 04, section 8).

    R equal resolvers give R; one giant resolver among many tiny ones gives about 1. The
    realised split's spread shrinks roughly as 1 / sqrt(this number).

    Examples:
        >>> effective_resolvers([0.25, 0.25, 0.25, 0.25]), round(effective_resolvers([0.97, 0.01, 0.01, 0.01]), 2)
        (4.0, 1.06)
    """
    weights = _populations(populations)
    return 1.0 / float(np.sum(weights**2))
