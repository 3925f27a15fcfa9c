"""A live origin and a live edge cache on 127.0.0.1, in pull or push mode (lesson 06).

``Origin`` is an HTTP server that serves the objects you publish, each with its own
``Cache-Control`` header. ``Edge`` is a caching proxy in front of it:

* in **pull** mode it answers from its cache while an entry is fresh, and on a miss
  fetches the object from the origin and keeps it for the shared-cache lifetime the
  origin's ``Cache-Control`` allows (``s-maxage``, else ``max-age``; nothing for
  ``no-store``, ``private`` or ``no-cache``);
* in **push** mode it never contacts the origin: it serves what was pushed to it with
  ``push()``, until the expiry you chose, and answers 404 for anything else.

Both count what a CDN bill counts: hits, misses, and bytes sent by the origin (fetches
in pull mode, uploads in push mode). Time comes from a clock you can pass in
(``ManualClock``), so a lesson can let an hour pass without waiting for it.

Both are ``helpers.serving`` HTTP servers on a port the operating system picks, started
and stopped by ``with`` blocks; stopping joins every thread and closes every socket. Use
``helpers.rest.live.request`` as the client: it only ever connects to 127.0.0.1.

Sections:
    * Cache-Control: ``shared_cache_ttl_s``
    * time: ``ManualClock``
    * the origin: ``Origin``
    * the edge: ``EdgeStats``, ``Edge``
"""

from __future__ import annotations

import http.client
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from helpers import checks
from helpers.cdn.model import LruTtlCache
from helpers.serving import HOST, BackgroundServer, JoiningHTTPServer, QuietHandler

__all__ = ["Edge", "EdgeStats", "ManualClock", "Origin", "shared_cache_ttl_s"]

_PATH = re.compile(r"/[A-Za-z0-9._~/-]*")
_DIRECTIVE = re.compile(r"^\s*([A-Za-z-]+)\s*(?:=\s*\"?(\d+)\"?)?\s*$")


# --- Cache-Control --------------------------------------------------------------------------


def shared_cache_ttl_s(cache_control: str | None) -> float:
    """Seconds a shared cache (a CDN edge) may serve a response without asking the origin.

    Taught in lesson 06, sections 2 and 7. Follows RFC 9111 for the directives a CDN edge meets most: ``no-store`` and
    ``private`` forbid a shared cache to store the response, ``no-cache`` makes it
    revalidate every time (this edge does not revalidate, so: not stored), ``s-maxage``
    wins over ``max-age`` for shared caches. Without any of them, 0: this edge uses no
    heuristic freshness.

    Examples:
        >>> shared_cache_ttl_s("public, max-age=60")
        60.0
        >>> shared_cache_ttl_s("max-age=60, s-maxage=3600")
        3600.0
        >>> shared_cache_ttl_s("private, max-age=600"), shared_cache_ttl_s("no-store"), shared_cache_ttl_s(None)
        (0.0, 0.0, 0.0)
    """
    if cache_control is None:
        return 0.0
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
    if {"no-store", "private", "no-cache"} & set(directives):
        return 0.0
    for name in ("s-maxage", "max-age"):
        seconds = directives.get(name)
        if seconds is not None:
            return float(seconds)
    return 0.0


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


_Reply = tuple[int, bytes, str | None, dict[str, str]]
"""A response to send: status, body, Content-Type (None: no such header) and the other headers."""


class _Live(BackgroundServer):
    """What the origin and the edge share: a GET-only HTTP server answering with ``_answer``."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def _answer(self, path: str) -> _Reply:
        raise NotImplementedError  # pragma: no cover

    def _handler_class(self) -> type[QuietHandler]:
        live = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                status, body, content_type, headers = live._answer(self.path.split("?")[0])
                self.send_body(status, body, content_type, headers)

        return Handler

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT`` (valid once started)."""
        return f"http://{HOST}:{self.port}"

    def url(self, path: str) -> str:
        """The full URL of ``path`` on this server, e.g. ``http://127.0.0.1:PORT/app.js``."""
        return self.origin + _check_path(path)

    def _make_server(self) -> JoiningHTTPServer:
        # The port of the previous start, 0 at the first: a restart keeps the same address.
        return JoiningHTTPServer((HOST, self._port), self._handler_class())


def _check_path(path: str) -> str:
    if not isinstance(path, str) or not _PATH.fullmatch(path):
        raise ValueError(f"path must start with '/' and use letters, digits and ._~/- only, got {path!r}")
    return path


def _check_body(body: bytes) -> bytes:
    if not isinstance(body, (bytes, bytearray)):
        raise ValueError(f"body must be bytes, got {type(body).__name__}")
    return bytes(body)


# --- the origin -----------------------------------------------------------------------------


class Origin(_Live):
    """A live origin server on 127.0.0.1 serving the objects you publish, with their Cache-Control.

    Taught in lesson 06, section 2.

    Attributes:
        requests: GET requests it has answered (any status).
        bytes_sent: body bytes it has sent: its egress.

    Examples:
        >>> from helpers.rest.live import request
        >>> with Origin({"/logo.png": b"PNG..."}, cache_control="max-age=60") as origin:
        ...     answer = request("GET", origin.url("/logo.png"))
        ...     answer.status, answer.body, answer.headers["cache-control"], origin.bytes_sent
        (200, b'PNG...', 'max-age=60', 6)
    """

    _label = "origin"

    def __init__(self, objects: Mapping[str, bytes] | None = None, cache_control: str = "max-age=60") -> None:
        super().__init__()
        self._objects: dict[str, tuple[bytes, str]] = {}
        self.requests = 0
        self.bytes_sent = 0
        for path, body in (objects or {}).items():
            self.publish(path, body, cache_control)

    def publish(self, path: str, body: bytes, cache_control: str = "max-age=60") -> None:
        """Publish (or replace) the object at ``path`` with its ``Cache-Control`` header value."""
        if not isinstance(cache_control, str):
            raise ValueError(f"cache_control must be a header value such as 'max-age=60', got {cache_control!r}")
        with self._lock:
            self._objects[_check_path(path)] = (_check_body(body), cache_control)

    @property
    def paths(self) -> list[str]:
        """The published paths."""
        with self._lock:
            return sorted(self._objects)

    def _answer(self, path: str) -> _Reply:
        with self._lock:
            self.requests += 1
            found = self._objects.get(path)
            if found is None:
                return 404, b"not found", "text/plain", {"Cache-Control": "no-store"}
            body, cache_control = found
            self.bytes_sent += len(body)
        return 200, body, "application/octet-stream", {"Cache-Control": cache_control}

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
        stored_objects: objects the edge holds now (fresh or not yet evicted).
        stored_bytes: their size in bytes.
    """

    hits: int
    misses: int
    origin_bytes: int
    stored_objects: int
    stored_bytes: int

    @property
    def hit_ratio(self) -> float:
        """hits / (hits + misses), 0 before any request."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


@dataclass(frozen=True)
class _Copy:
    body: bytes
    cache_control: str
    stored_at: float


class Edge(_Live):
    """A live CDN edge on 127.0.0.1: a caching proxy in pull mode, a pushed-content store in push mode.

    Taught in lesson 06, sections 2 (pull) and 3 (push). Pull mode needs the ``origin`` it
    fetches from. Responses carry ``X-Cache: HIT`` or ``MISS`` and, for hits, ``Age``
    (seconds since the copy was fetched or pushed). ``capacity`` bounds the objects held
    (least recently used evicted first).

    Attributes:
        mode: "pull" or "push".
        clock: the time source (seconds); ``time.monotonic`` unless you pass a ``ManualClock``.

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
    ) -> None:
        super().__init__()
        checks.choice("mode", mode, ("pull", "push"))
        if mode == "pull" and not isinstance(origin, Origin):
            raise ValueError(f"a pull edge needs the Origin it fetches from, got {origin!r}")
        if not callable(clock):
            raise ValueError(f"clock must be a function returning seconds, got {clock!r}")
        self.mode = mode
        self.clock = clock
        self._origin = origin
        self._cache = LruTtlCache[str, _Copy](capacity)
        self._origin_bytes = 0

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
            self._cache.put(_check_path(path), _Copy(data, cache_control, now), expires_in_s, now)
            self._origin_bytes += len(data)

    def purge(self, path: str) -> bool:
        """Drop the edge's copy of ``path`` (pull or push); whether it held one."""
        with self._lock:
            return self._cache.discard(_check_path(path))

    @property
    def stats(self) -> EdgeStats:
        """Hits, misses, origin bytes and what the edge stores, as of now."""
        with self._lock:
            copies = self._cache.values()
            return EdgeStats(
                self._cache.hits, self._cache.misses, self._origin_bytes, len(copies), sum(len(c.body) for c in copies)
            )

    def _fetch(self, path: str) -> tuple[int, bytes, str]:
        assert self._origin is not None  # checked in __init__ for pull mode
        connection = http.client.HTTPConnection(HOST, self._origin._port, timeout=5)
        try:
            connection.request("GET", path)
            answer = connection.getresponse()
            return answer.status, answer.read(), answer.getheader("Cache-Control") or ""
        finally:
            connection.close()

    def _answer(self, path: str) -> _Reply:
        # One lock around lookup and fetch: concurrent misses for one object wait for the
        # first fetch instead of all going to the origin (request collapsing).
        with self._lock:
            now = self.clock()
            copy = self._cache.get(path, now)
            if copy is not None:
                age = str(max(0, int(now - copy.stored_at)))
                return 200, copy.body, None, {"Cache-Control": copy.cache_control, "X-Cache": "HIT", "Age": age}
            if self.mode == "push":
                return 404, b"not pushed to this edge", None, {"X-Cache": "MISS", "Cache-Control": "no-store"}
            status, body, cache_control = self._fetch(path)
            self._origin_bytes += len(body)
            ttl = shared_cache_ttl_s(cache_control)
            if status == 200 and ttl > 0:
                self._cache.put(path, _Copy(body, cache_control, now), ttl, now)
            return status, body, None, {"Cache-Control": cache_control, "X-Cache": "MISS"}

    def __repr__(self) -> str:
        state = f"listening on {self.origin}" if self.running else "stopped"
        return f"<Edge ({self.mode}) {state}, {self.stats}>"
