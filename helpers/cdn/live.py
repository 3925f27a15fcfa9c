"""A live origin and a live edge cache on 127.0.0.1, in pull or push mode (lesson 06).

``Origin`` is an HTTP server that serves the objects you publish, each with its own
``Cache-Control`` header (and, if you like, one body per value of a request header, with
``Vary``). ``Edge`` is a caching proxy in front of it:

* in **pull** mode it answers from its cache while an entry is fresh, and on a miss
  fetches the object from the origin and keeps it for the lifetime its ``CachePolicy``
  gives: by default what RFC 9111 lets a shared cache keep (``s-maxage``, else
  ``max-age``; nothing for ``no-store``, ``private`` or ``no-cache``), or, like a
  CloudFront cache policy, that lifetime clamped to a minimum and a maximum TTL, with a
  default TTL for responses that name none;
* its **cache key** is the path and the query string (or the query parameters the policy
  selects), and, for a response with ``Vary``, the request header values it names
  (RFC 9111 §4.1);
* concurrent misses for one key make **one** origin fetch (request collapsing); misses
  for other keys and hits never wait for it. ``Edge(collapse=False)`` turns that off, to
  show the thundering herd it prevents;
* ``invalidate()`` (or an HTTP ``PURGE`` request) drops cached copies, by path or by a
  path ending in ``*``, as a CDN's invalidation does;
* in **push** mode it never contacts the origin: it serves what was pushed to it with
  ``push()``, until the expiry you chose, and answers 404 for anything else.

Both count what a CDN bill counts: hits, misses, origin fetches, bytes sent by the
origin (fetches in pull mode, uploads in push mode) and invalidation paths. Time comes
from a clock you can pass in (``ManualClock``), so a lesson can let an hour pass without
waiting for it.

Both are ``helpers.serving`` HTTP servers on a port the operating system picks, started
and stopped by ``with`` blocks; stopping joins every thread and closes every socket. Any
HTTP client works against them (curl, httpx, ``helpers.rest.live.request``).

Sections:
    * Cache-Control and cache policies: ``shared_cache_ttl_s``, ``CachePolicy``, ``CLOUDFRONT_DEFAULT_POLICY``
    * time: ``ManualClock``
    * the origin: ``Origin``
    * the edge: ``EdgeStats``, ``Edge``
    * many users at once: ``send_together``
"""

from __future__ import annotations

import http.client
import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from helpers import checks
from helpers.cdn.model import LruTtlCache
from helpers.rest.model import Response
from helpers.serving import HOST, BackgroundServer, JoiningHTTPServer, QuietHandler

__all__ = [
    "CLOUDFRONT_DEFAULT_POLICY",
    "CachePolicy",
    "Edge",
    "EdgeStats",
    "ManualClock",
    "Origin",
    "send_together",
    "shared_cache_ttl_s",
]

_PATH = re.compile(r"/[A-Za-z0-9._~/-]*")
_QUERY = re.compile(r"[A-Za-z0-9._~=&%+_-]*")
_DIRECTIVE = re.compile(r"^\s*([A-Za-z-]+)\s*(?:=\s*\"?(\d+)\"?)?\s*$")
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host"}
_NOT_STORED = ("no-store", "private", "no-cache")


# --- Cache-Control and cache policies ---------------------------------------------------------


def _directives(cache_control: str | None) -> dict[str, int | None]:
    """The Cache-Control directives by lower-case name, with their delta-seconds (None: no value)."""
    if cache_control is None:
        return {}
    if not isinstance(cache_control, str):
        raise ValueError(f"cache_control must be a header value (a str) or None, got {cache_control!r}")
    directives: dict[str, int | None] = {}
    for part in cache_control.split(","):
        if not part.strip():
            continue
        match = _DIRECTIVE.match(part)
        if match is None:
            continue  # unknown or malformed directives are ignored, as RFC 9111 asks
        name, value = match.group(1).lower(), match.group(2)
        directives.setdefault(name, None if value is None else int(value))
    return directives


def _lifetime_s(directives: Mapping[str, int | None]) -> float | None:
    """s-maxage, else max-age, in seconds; None when the response states neither (RFC 9111 §4.2.1)."""
    for name in ("s-maxage", "max-age"):
        seconds = directives.get(name)
        if seconds is not None:
            return float(seconds)
    return None


def shared_cache_ttl_s(cache_control: str | None) -> float:
    """Seconds a shared cache (a CDN edge) may serve a response without asking the origin.

    Taught in lesson 06, sections 2 and 9. Follows RFC 9111 for the directives a CDN edge
    meets most: ``no-store`` (§5.2.2.5) and ``private`` (§5.2.2.7) forbid a shared cache
    to store the response, ``no-cache`` (§5.2.2.4) makes it revalidate every time (this
    edge does not revalidate, so: not stored), ``s-maxage`` (§5.2.2.10) wins over
    ``max-age`` (§5.2.2.1) for shared caches. Without any of them, 0: this function uses
    no heuristic freshness. A ``CachePolicy`` can override the answer, as CDNs let you.

    Examples:
        >>> shared_cache_ttl_s("public, max-age=60")
        60.0
        >>> shared_cache_ttl_s("max-age=60, s-maxage=3600")
        3600.0
        >>> shared_cache_ttl_s("private, max-age=600"), shared_cache_ttl_s("no-store"), shared_cache_ttl_s(None)
        (0.0, 0.0, 0.0)
    """
    directives = _directives(cache_control)
    if set(_NOT_STORED) & set(directives):
        return 0.0
    lifetime = _lifetime_s(directives)
    return 0.0 if lifetime is None else lifetime


@dataclass(frozen=True)
class CachePolicy:
    """What an edge caches and for how long: a CDN cache policy (lesson 06, section 9).

    The TTL rules are CloudFront's ("Managing how long content stays in the cache"):

    * a response with ``s-maxage`` or ``max-age`` is kept that long, but never less than
      ``min_ttl_s`` nor more than ``max_ttl_s``;
    * a response with neither is kept ``default_ttl_s``;
    * ``no-store``, ``no-cache`` and ``private`` are obeyed while ``min_ttl_s`` is 0; a
      minimum TTL above 0 caches even those, for ``min_ttl_s``.

    The default policy (all 0, no maximum) is plain RFC 9111: ``shared_cache_ttl_s``.
    ``query_strings`` says what of the query string goes into the cache key: ``"all"``
    (as received), ``"none"``, or a tuple of parameter names (those, sorted by name).

    Examples:
        >>> cloudfront = CachePolicy(min_ttl_s=0, default_ttl_s=86_400, max_ttl_s=31_536_000)
        >>> cloudfront.ttl_s(None), cloudfront.ttl_s("max-age=60"), cloudfront.ttl_s("no-store")
        (86400.0, 60.0, 0.0)
        >>> CachePolicy(min_ttl_s=30, default_ttl_s=60).ttl_s("no-store")
        30.0
        >>> CachePolicy(max_ttl_s=300).ttl_s("max-age=86400")
        300.0
        >>> CachePolicy(query_strings=("v",)).cache_key("/app.js?utm=mail&v=2")
        '/app.js?v=2'
    """

    min_ttl_s: float = 0.0
    default_ttl_s: float = 0.0
    max_ttl_s: float = math.inf
    query_strings: Literal["all", "none"] | tuple[str, ...] = "all"

    def __post_init__(self) -> None:
        low = checks.positive("min_ttl_s", self.min_ttl_s, allow_zero=True)
        default = checks.positive("default_ttl_s", self.default_ttl_s, allow_zero=True)
        high = checks.positive("max_ttl_s", self.max_ttl_s, allow_zero=True, allow_inf=True)
        if not low <= default <= high:
            raise ValueError(
                f"need min_ttl_s <= default_ttl_s <= max_ttl_s, got {self.min_ttl_s}, {self.default_ttl_s}, "
                f"{self.max_ttl_s}"
            )
        names = self.query_strings
        if not (names in ("all", "none") or (isinstance(names, tuple) and all(isinstance(n, str) for n in names))):
            raise ValueError(f"query_strings must be 'all', 'none' or a tuple of parameter names, got {names!r}")

    def ttl_s(self, cache_control: str | None) -> float:
        """Seconds the edge keeps a response with this ``Cache-Control`` (None: no such header)."""
        directives = _directives(cache_control)
        if set(_NOT_STORED) & set(directives):
            return float(self.min_ttl_s)
        lifetime = _lifetime_s(directives)
        if lifetime is None:
            return float(self.default_ttl_s)
        return float(min(max(lifetime, self.min_ttl_s), self.max_ttl_s))

    def cache_key(self, target: str) -> str:
        """The part of a request target (path and query) that names a cached copy."""
        parts = urlsplit(target)
        if self.query_strings == "all":
            query = parts.query
        elif self.query_strings == "none":
            query = ""
        else:
            chosen = set(self.query_strings)
            pairs = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name in chosen]
            query = urlencode(sorted(pairs))
        return parts.path + (f"?{query}" if query else "")


CLOUDFRONT_DEFAULT_POLICY = CachePolicy(min_ttl_s=0, default_ttl_s=86_400, max_ttl_s=31_536_000, query_strings="all")
"""CloudFront's default TTLs (minimum 0, default 24 h, maximum 365 days), here with every query string in the key."""


# --- time -----------------------------------------------------------------------------------


class ManualClock:
    """A clock that moves only when told to: pass it to an ``Edge`` to let time pass instantly (lesson 06, section 2).

    Examples:
        >>> clock = ManualClock()
        >>> clock.advance(3_600); clock()
        3600.0
    """

    def __init__(self, start_s: float = 0.0) -> None:
        self._now = float(start_s)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (>= 0)."""
        step = checks.number("seconds", seconds, 0.0)
        with self._lock:
            self._now += step


# --- servers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reply:
    """A response to send: status, body, Content-Type (None: no such header) and the other headers."""

    status: int
    body: bytes
    content_type: str | None
    headers: dict[str, str] = field(default_factory=dict)


class _Live(BackgroundServer):
    """What the origin and the edge share: an HTTP server answering GET and HEAD with ``_answer``."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def _answer(self, target: str, headers: Message) -> _Reply:
        raise NotImplementedError  # pragma: no cover

    def _purge(self, target: str) -> _Reply:
        return _Reply(405, b"method not allowed", "text/plain", {"Allow": "GET, HEAD"})

    def _handler_class(self) -> type[QuietHandler]:
        live = self

        class Handler(QuietHandler):
            def _reply(self, reply: _Reply) -> None:
                self.send_body(reply.status, reply.body, reply.content_type, reply.headers)

            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                self._reply(live._answer(self.path, self.headers))

            def do_HEAD(self) -> None:  # noqa: N802 (RFC 9110 §9.1: every server supports GET and HEAD)
                self._reply(live._answer(self.path, self.headers))

            def do_PURGE(self) -> None:  # noqa: N802
                self.read_body()
                self._reply(live._purge(self.path))

        return Handler

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT`` (valid once started)."""
        return f"http://{HOST}:{self.port}"

    def url(self, target: str) -> str:
        """The full URL of ``target`` (a path, optionally with ``?query``), e.g. ``http://127.0.0.1:PORT/app.js``."""
        return self.origin + _check_target(target)

    def _make_server(self) -> JoiningHTTPServer:
        # The port of the previous start, 0 at the first: a restart keeps the same address.
        return JoiningHTTPServer((HOST, self._port), self._handler_class())


def _check_path(path: str) -> str:
    if not isinstance(path, str) or not _PATH.fullmatch(path):
        raise ValueError(f"path must start with '/' and use letters, digits and ._~/- only, got {path!r}")
    return path


def _check_target(target: str) -> str:
    path, mark, query = target.partition("?") if isinstance(target, str) else (target, "", "")
    _check_path(path)
    if mark and not _QUERY.fullmatch(query):
        raise ValueError(f"the query of {target!r} may use letters, digits and ._~=&%+_- only")
    return str(target)


def _check_body(body: bytes) -> bytes:
    if not isinstance(body, (bytes, bytearray)):
        raise ValueError(f"body must be bytes, got {type(body).__name__}")
    return bytes(body)


# --- the origin -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Object:
    bodies: dict[str, bytes]  # by the value of the request header ``vary`` names ("" without it)
    cache_control: str
    vary: str | None


class Origin(_Live):
    """A live origin server on 127.0.0.1 serving the objects you publish, with their Cache-Control.

    Taught in lesson 06, section 2. The query string does not change what it serves: an
    object is found by its path. ``latency_s`` delays every answer, like a distant origin
    (section 8 uses it to make concurrent misses overlap).

    Attributes:
        requests: GET and HEAD requests it has answered (any status).
        bytes_sent: body bytes it has sent: its egress.

    Examples:
        >>> from helpers.rest.live import request
        >>> with Origin({"/logo.png": b"PNG..."}, cache_control="max-age=60") as origin:
        ...     answer = request("GET", origin.url("/logo.png"))
        ...     answer.status, answer.body, answer.headers["cache-control"], origin.bytes_sent
        (200, b'PNG...', 'max-age=60', 6)
    """

    _label = "origin"

    def __init__(
        self, objects: Mapping[str, bytes] | None = None, cache_control: str = "max-age=60", latency_s: float = 0.0
    ) -> None:
        super().__init__()
        self._objects: dict[str, _Object] = {}
        self.latency_s = checks.positive("latency_s", latency_s, allow_zero=True)
        self.requests = 0
        self.bytes_sent = 0
        for path, body in (objects or {}).items():
            self.publish(path, body, cache_control)

    def publish(self, path: str, body: bytes, cache_control: str = "max-age=60") -> None:
        """Publish (or replace) the object at ``path`` with its ``Cache-Control`` header value."""
        self._publish(path, {"": _check_body(body)}, cache_control, None)

    def publish_variants(
        self, path: str, header: str, bodies: Mapping[str, bytes], cache_control: str = "max-age=60"
    ) -> None:
        """Publish one body per value of request header ``header`` ("" for requests without it), with ``Vary``.

        A request whose value is not among ``bodies`` gets 406 Not Acceptable.
        """
        if not isinstance(header, str) or not re.fullmatch(r"[A-Za-z0-9-]+", header):
            raise ValueError(f"header must be a header name such as 'Accept-Language', got {header!r}")
        if not isinstance(bodies, Mapping) or not bodies:
            raise ValueError(f"bodies must map header values to bytes, got {bodies!r}")
        self._publish(path, {str(value): _check_body(body) for value, body in bodies.items()}, cache_control, header)

    def _publish(self, path: str, bodies: dict[str, bytes], cache_control: str, vary: str | None) -> None:
        if not isinstance(cache_control, str):
            raise ValueError(f"cache_control must be a header value such as 'max-age=60', got {cache_control!r}")
        with self._lock:
            self._objects[_check_path(path)] = _Object(bodies, cache_control, vary)

    @property
    def paths(self) -> list[str]:
        """The published paths."""
        with self._lock:
            return sorted(self._objects)

    def _answer(self, target: str, headers: Message) -> _Reply:
        if self.latency_s:
            time.sleep(self.latency_s)
        with self._lock:
            self.requests += 1
            found = self._objects.get(urlsplit(target).path)
            if found is None:
                return _Reply(404, b"not found", "text/plain", {"Cache-Control": "no-store"})
            extra = {"Cache-Control": found.cache_control}
            value = ""
            if found.vary is not None:
                extra["Vary"] = found.vary
                value = headers.get(found.vary, "")
            body = found.bodies.get(value)
            if body is None:
                return _Reply(406, b"not acceptable", "text/plain", extra)
            self.bytes_sent += len(body)
        return _Reply(200, body, "application/octet-stream", extra)

    def __repr__(self) -> str:
        state = f"listening on {self.origin}" if self.running else "stopped"
        return f"<Origin {state}, {len(self._objects)} objects, {self.requests} requests, {self.bytes_sent:,} B sent>"


# --- the edge -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EdgeStats:
    """What an edge has done so far (lesson 06, sections 2 and 3).

    Attributes:
        hits: requests answered from the edge's copy.
        misses: requests it could not answer from a fresh copy (pull: fetched from the origin).
        origin_bytes: bytes that travelled from the origin to the edge (pull: fetched
            bodies; push: uploaded bodies).
        stored_objects: copies the edge holds now (fresh or not yet evicted).
        stored_bytes: their size in bytes.
        origin_fetches: requests the edge sent to the origin (fewer than misses when
            concurrent misses were collapsed into one fetch).
        invalidation_paths: paths named in invalidations so far (what CloudFront bills).
    """

    hits: int
    misses: int
    origin_bytes: int
    stored_objects: int
    stored_bytes: int
    origin_fetches: int = 0
    invalidation_paths: int = 0

    @property
    def hit_ratio(self) -> float:
        """hits / (hits + misses), 0 before any request."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


@dataclass(frozen=True)
class _Copy:
    body: bytes
    content_type: str | None
    cache_control: str
    vary: str | None
    stored_at: float


_Key = tuple[str, tuple[str, ...]]
"""A cached copy's key: the policy's key of the request target, then the values of the headers Vary names."""


class _Flight:
    """One origin fetch in progress, which concurrent misses for the same key wait for."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.stored = False


class Edge(_Live):
    """A live CDN edge on 127.0.0.1: a caching proxy in pull mode, a pushed-content store in push mode.

    Taught in lesson 06, sections 2 (pull), 3 (push), 8 (request collapsing) and 9 (policies, invalidation).
    Pull mode needs the ``origin`` it fetches from. Responses carry ``X-Cache: HIT`` or
    ``MISS`` and, for hits, ``Age`` (seconds since the copy was fetched or pushed).
    ``capacity`` bounds the copies held (least recently used evicted first); ``policy``
    sets the cache key and the TTLs; ``collapse`` sends one origin fetch for concurrent
    misses on one key.

    Attributes:
        mode: "pull" or "push".
        clock: the time source (seconds); ``time.monotonic`` unless you pass a ``ManualClock``.
        policy: the ``CachePolicy``.
        collapse: whether concurrent misses for one key share one origin fetch.

    Examples:
        >>> from helpers.rest.live import request
        >>> clock = ManualClock()
        >>> with Origin({"/a": b"A"}, cache_control="max-age=60") as origin, Edge(origin, clock=clock) as edge:
        ...     first, second = request("GET", edge.url("/a")), request("GET", edge.url("/a"))
        ...     clock.advance(60)
        ...     third = request("GET", edge.url("/a"))
        >>> [r.headers["x-cache"] for r in (first, second, third)], origin.requests
        (['MISS', 'HIT', 'MISS'], 2)
    """

    _label = "edge"

    def __init__(
        self,
        origin: Origin | None = None,
        mode: Literal["pull", "push"] = "pull",
        capacity: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        policy: CachePolicy | None = None,
        collapse: bool = True,
    ) -> None:
        super().__init__()
        checks.choice("mode", mode, ("pull", "push"))
        if mode == "pull" and not isinstance(origin, Origin):
            raise ValueError(f"a pull edge needs the Origin it fetches from, got {origin!r}")
        if not callable(clock):
            raise ValueError(f"clock must be a function returning seconds, got {clock!r}")
        if policy is not None and not isinstance(policy, CachePolicy):
            raise ValueError(f"policy must be a CachePolicy, got {policy!r}")
        if not isinstance(collapse, bool):
            raise ValueError(f"collapse must be True or False, got {collapse!r}")
        self.mode = mode
        self.clock = clock
        self.policy = policy or CachePolicy()
        self.collapse = collapse
        self._origin = origin
        self._cache = LruTtlCache[_Key, _Copy](capacity)
        self._vary: dict[str, tuple[str, ...]] = {}  # key -> lower-case header names of its last Vary
        self._flights: dict[_Key, _Flight] = {}
        self._hits = self._misses = self._fetches = self._origin_bytes = self._invalidation_paths = 0

    def push(self, path: str, body: bytes, expires_in_s: float = math.inf, cache_control: str = "max-age=60") -> None:
        """Upload ``body`` to this push edge at ``path``, kept until ``expires_in_s`` from now (default: forever).

        The upload's bytes count as origin-to-edge traffic, as on a push CDN's bill.
        """
        if self.mode != "push":
            raise ValueError("push() is for a push edge (Edge(mode='push')); a pull edge fetches on a miss")
        checks.positive("expires_in_s", expires_in_s, allow_inf=True)
        data = _check_body(body)
        with self._lock:
            now = self.clock()
            key = (self.policy.cache_key(_check_path(path)), ())
            self._cache.put(key, _Copy(data, None, cache_control, None, now), expires_in_s, now)
            self._origin_bytes += len(data)

    def invalidate(self, paths: Iterable[str]) -> int:
        """Drop every cached copy the ``paths`` name; the number of copies dropped.

        A path names its copies for every query string and every ``Vary`` variant; a path
        ending in ``*`` names every copy whose path and query start with what comes before
        it (``/images/*``). Each path counts once in ``stats.invalidation_paths``, wildcards
        included, as on CloudFront's bill.
        """
        patterns = [paths] if isinstance(paths, str) else list(paths)
        for pattern in patterns:
            if not isinstance(pattern, str) or not _check_path(pattern.removesuffix("*")):
                raise ValueError(f"each path must start with '/', got {pattern!r}")
        with self._lock:
            self._invalidation_paths += len(patterns)
            stored = self._cache.keys()
            doomed = {key for key in stored for pattern in patterns if _names(pattern, key[0])}
            for key in doomed:
                self._cache.discard(key)
            return len(doomed)

    def purge(self, path: str) -> bool:
        """Drop the edge's copies of ``path`` (pull or push); whether it held one."""
        return self.invalidate([path]) > 0

    @property
    def stats(self) -> EdgeStats:
        """Hits, misses, origin fetches and bytes, what the edge stores, and invalidation paths, as of now."""
        with self._lock:
            copies = self._cache.values()
            return EdgeStats(
                self._hits, self._misses, self._origin_bytes, len(copies), sum(len(c.body) for c in copies),
                self._fetches, self._invalidation_paths,
            )  # fmt: skip

    def _purge(self, target: str) -> _Reply:
        try:
            dropped = self.invalidate([urlsplit(target).path])
        except ValueError as error:
            return _Reply(400, str(error).encode(), "text/plain")
        return _Reply(200, json.dumps({"invalidated": dropped}).encode(), "application/json")

    def _key(self, primary: str, headers: Message) -> _Key:
        return primary, tuple(headers.get(name, "") for name in self._vary.get(primary, ()))

    def _answer(self, target: str, headers: Message) -> _Reply:
        primary = self.policy.cache_key(target)
        while True:
            with self._lock:
                now = self.clock()
                key = self._key(primary, headers)
                copy = self._cache.get(key, now)
                if copy is not None:
                    self._hits += 1
                    return _hit(copy, now)
                if self.mode == "push":
                    self._misses += 1
                    return _Reply(404, b"not pushed to this edge", "text/plain",
                                  {"X-Cache": "MISS", "Cache-Control": "no-store"})  # fmt: skip
                flight = self._flights.get(key) if self.collapse else None
                leads = flight is None
                if leads:
                    self._misses += 1
                    flight = _Flight()
                    if self.collapse:
                        self._flights[key] = flight
            if leads:  # fetch outside the lock
                assert flight is not None
                return self._fetch_and_store(primary, key, target, headers, flight)
            # Another request is fetching this key: wait for it, not for the lock, so hits and
            # misses on other keys go on meanwhile. If it stored a copy, look again (a hit).
            assert flight is not None
            flight.done.wait()
            if not flight.stored:  # not cacheable: fetch for this request alone
                with self._lock:
                    self._misses += 1
                return self._fetch_and_store(primary, key, target, headers, None)

    def _fetch_and_store(
        self, primary: str, key: _Key, target: str, headers: Message, flight: _Flight | None
    ) -> _Reply:
        try:
            reply = self._fetch(target, headers)
            with self._lock:
                self._fetches += 1
                self._origin_bytes += len(reply.body)
                cache_control = reply.headers.get("Cache-Control")
                vary = reply.headers.get("Vary")
                names = tuple(sorted({n.strip().lower() for n in (vary or "").split(",") if n.strip()}))
                ttl = self.policy.ttl_s(cache_control)
                if reply.status == 200 and ttl > 0 and "*" not in names:  # Vary: * never matches (RFC 9111 §4.1)
                    self._vary[primary] = names
                    stored_key = self._key(primary, headers)
                    now = self.clock()
                    self._cache.put(stored_key, _Copy(reply.body, reply.content_type, cache_control or "", vary, now),
                                    ttl, now)  # fmt: skip
                    if flight is not None:
                        flight.stored = True  # waiters look again, under the key Vary now gives
        finally:
            if flight is not None:
                with self._lock:
                    self._flights.pop(key, None)
                flight.done.set()
        return _Reply(reply.status, reply.body, reply.content_type, {**reply.headers, "X-Cache": "MISS"})

    def _fetch(self, target: str, headers: Message) -> _Reply:
        assert self._origin is not None  # checked in __init__ for pull mode
        forwarded = {name: value for name, value in headers.items() if name.lower() not in _HOP_BY_HOP}
        connection = http.client.HTTPConnection(HOST, self._origin._port, timeout=10)
        try:
            connection.request("GET", target, headers=forwarded)
            answer = connection.getresponse()
            body = answer.read()
        except (OSError, http.client.HTTPException) as error:
            why = f"the origin did not answer: {error}".encode()
            return _Reply(502, why, "text/plain", {"Cache-Control": "no-store"})
        finally:
            connection.close()
        kept = {name: value for name in ("Cache-Control", "Vary") if (value := answer.getheader(name)) is not None}
        return _Reply(answer.status, body, answer.getheader("Content-Type"), kept)

    def __repr__(self) -> str:
        state = f"listening on {self.origin}" if self.running else "stopped"
        return f"<Edge ({self.mode}) {state}, {self.stats}>"


def _hit(copy: _Copy, now: float) -> _Reply:
    headers = {"Cache-Control": copy.cache_control, "X-Cache": "HIT", "Age": str(max(0, int(now - copy.stored_at)))}
    if copy.vary is not None:
        headers["Vary"] = copy.vary
    return _Reply(200, copy.body, copy.content_type, headers)


def _names(pattern: str, cache_key: str) -> bool:
    """Whether an invalidation path names a copy stored under ``cache_key`` (path and query)."""
    if pattern.endswith("*"):
        return cache_key.startswith(pattern[:-1])
    return cache_key.partition("?")[0] == pattern


# --- many users at once ---------------------------------------------------------------------


def send_together(urls: Iterable[str], timeout_s: float = 10.0) -> list[tuple[Response, float]]:
    """Each GET response to ``urls``, with its duration in seconds, all sent at the same moment.

    Taught in lesson 06, section 8: one thread per URL, released together by a barrier, so
    the requests reach the edge while the first is still waiting for the origin.

    Examples:
        >>> with Origin({"/a": b"A"}) as origin:
        ...     [(answer.status, answer.body) for answer, _ in send_together([origin.url("/a")] * 3)]
        [(200, b'A'), (200, b'A'), (200, b'A')]
    """
    targets = [_loopback(url) for url in urls]
    if not targets:
        raise ValueError("urls must name at least one URL")
    barrier = threading.Barrier(len(targets))
    results: list[tuple[Response, float] | BaseException | None] = [None] * len(targets)

    def send(index: int) -> None:
        barrier.wait()
        started = time.perf_counter()
        try:
            results[index] = (_get(targets[index], timeout_s), time.perf_counter() - started)
        except Exception as error:  # re-raised in the caller's thread below
            results[index] = error

    threads = [threading.Thread(target=send, args=(index,), name=f"user-{index}") for index in range(len(targets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        assert result is not None
        answers.append(result)
    return answers


def _loopback(url: str) -> str:
    if not isinstance(url, str) or not url.startswith(f"http://{HOST}:"):
        raise ValueError(f"url must be http://{HOST}:PORT/..., got {url!r}")
    return url


def _get(url: str, timeout_s: float) -> Response:
    """One GET over a new connection to 127.0.0.1 (http.client: no proxy can send it elsewhere)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(HOST, parts.port, timeout=timeout_s)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        answer = connection.getresponse()
        body = answer.read()
    finally:
        connection.close()
    return Response(answer.status, answer.reason, {k.lower(): v for k, v in answer.getheaders()}, body)
