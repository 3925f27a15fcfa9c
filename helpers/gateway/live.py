"""A live API gateway on 127.0.0.1: TLS termination, API keys, an allowlist, 429s and static files (lesson 07).

Two real servers (``helpers.serving`` HTTP servers), both on 127.0.0.1 on ports the
operating system picks, each started and stopped by a ``with`` block:

- ``Backend``: a small JSON service speaking **plain HTTP**. It knows nothing about keys,
  certificates or limits: it trusts whatever reaches it through the gateway.
- ``Gateway``: the one entry point. It speaks **HTTPS** with a self-signed certificate it
  generates at start-up (``make_certificate``, with ``cryptography``) into a temporary
  folder, and runs every request through a short pipeline:

  1. the client's address must be in the CIDR **allowlist**, else 403 Forbidden;
  2. the path is **normalised** (``normalise_path``: percent-encoded unreserved characters
     decoded, dot segments removed, RFC 3986 §6.2.2 and §5.2.4), and everything after
     routes on the result: ``GET /static/<name>`` is **served by the gateway itself** from
     its static files, and a path that climbs out of ``/static/`` gets 404;
  3. an address that failed the key check too often recently gets 429 with ``Retry-After``
     **before** its key is looked at (OWASP API Security Top 10, API4: brute force);
  4. the ``X-Api-Key`` header must match a known key (``hmac.compare_digest``), else 401;
  5. the client's **rate limiter** must admit the request, else 429 with ``Retry-After``;
  6. the request goes on to the backend over plain HTTP, on the normalised path, without
     the key, with ``X-Forwarded-For``, ``X-Forwarded-Proto`` and ``X-Client-Id`` added.

``fetch`` is the matching client: ``http.client`` with an SSL context that trusts only the
gateway's certificate, optionally sending from another loopback address (127.0.0.2, ...)
so an allowlist can be tried on one machine. The limiters and allowlists themselves are in
``helpers.gateway.model``.

Sections:
    * certificates: ``Certificate``, ``make_certificate``, ``client_context``
    * the client: ``GatewayResponse``, ``fetch``
    * the backend: ``Backend``
    * the gateway: ``Gateway``, ``find_client``, ``normalise_path``, ``remove_dot_segments``
"""

from __future__ import annotations

import datetime
import hmac
import http.client
import ipaddress
import json
import mimetypes
import shutil
import ssl
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Self
from urllib.parse import unquote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from helpers import checks
from helpers.gateway.model import Limiter, Network, TokenBucket, is_allowed, parse_allowlist, retry_after_header
from helpers.rest.model import Response
from helpers.serving import HOST, BackgroundServer, JoiningHTTPServer, QuietHandler, problem

__all__ = [
    "Backend",
    "Certificate",
    "Gateway",
    "GatewayResponse",
    "client_context",
    "fetch",
    "find_client",
    "make_certificate",
    "normalise_path",
    "remove_dot_segments",
]

# Hop-by-hop fields (RFC 9110 §7.6.1) belong to one connection, never forwarded; Host is
# rewritten and the API key stays at the gateway.
_NOT_FORWARDED = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
     "x-api-key", "x-forwarded-for", "x-forwarded-proto", "x-client-id", "content-length"}
)


# --- certificates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    """A certificate and its private key, as PEM files (lesson 07, section 2).

    Attributes:
        cert_path: the certificate (public: clients trust it).
        key_path: the private key (secret: only the gateway reads it).
        fingerprint_sha256: the certificate's SHA-256 fingerprint, hex.
    """

    cert_path: Path
    key_path: Path
    fingerprint_sha256: str


def make_certificate(folder: Path, host: str = HOST, valid_days: int = 1) -> Certificate:
    """A fresh self-signed certificate for ``host`` (an IP address), written into ``folder`` (lesson 07, section 2).

    The key is an elliptic-curve key (P-256): generating it takes milliseconds, where an
    RSA key takes tens. The certificate names the address as a subjectAltName, which is
    what a TLS client checks the server's address against.

    Examples:
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     certificate = make_certificate(Path(folder))
        ...     certificate.cert_path.read_text().startswith("-----BEGIN CERTIFICATE-----")
        True
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"folder must be an existing directory, got {str(folder)!r}")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"host must be an IP address such as {HOST!r}, got {host!r}") from None
    valid_days = checks.count("valid_days", valid_days)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)  # self-signed: issuer and subject are the same
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=valid_days))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(address)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "gateway-cert.pem", folder / "gateway-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    return Certificate(cert_path, key_path, certificate.fingerprint(hashes.SHA256()).hex())


def client_context(cafile: Path | str) -> ssl.SSLContext:
    """An SSL context that trusts exactly the certificate in ``cafile`` and checks the address (lesson 07, section 2).

    Examples:
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     client_context(make_certificate(Path(folder)).cert_path).check_hostname
        True
    """
    context = ssl.create_default_context(cafile=str(cafile))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


# --- the client -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GatewayResponse(Response):
    """An HTTP response received over TLS (lesson 07, section 2).

    Attributes:
        tls_version: the protocol the connection negotiated, e.g. "TLSv1.3".
        cipher: the cipher suite's name.
    """

    tls_version: str = ""
    cipher: str = ""


def _split_https(url: str) -> tuple[int, str]:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme != "https" or parts.hostname != HOST or parts.port is None:
        raise ValueError(f"url must be https://{HOST}:PORT/..., got {url!r}")
    return parts.port, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def fetch(
    url: str,
    cafile: Path | str,
    api_key: str | None = None,
    method: str = "GET",
    body: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    source: str = HOST,
    timeout_s: float = 2.0,
) -> GatewayResponse:
    """The response to one HTTPS request to the gateway at ``url``, trusting only ``cafile`` (lesson 07, section 2).

    ``api_key`` goes in the ``X-Api-Key`` header. ``source`` is the loopback address the
    request is sent from (any of 127.0.0.0/8 on Linux), so an allowlist can be tried out.

    Examples:
        >>> with Backend() as backend, Gateway(backend.url, {"alice": "k-1"}) as gateway:
        ...     fetch(gateway.url + "api/hello", gateway.cafile, api_key="k-1").status
        200
    """
    port, path = _split_https(url)
    try:
        if not ipaddress.ip_address(source).is_loopback:
            raise ValueError
    except ValueError:
        raise ValueError(f"source must be a loopback address such as 127.0.0.2, got {source!r}") from None
    sent = dict(headers or {})
    if api_key is not None:
        sent["X-Api-Key"] = api_key
    payload = None if body is None else json.dumps(dict(body)).encode("utf-8")
    if payload is not None:
        sent.setdefault("Content-Type", "application/json")
    connection = http.client.HTTPSConnection(
        HOST, port, context=client_context(cafile), timeout=timeout_s, source_address=(source, 0)
    )
    try:
        connection.request(method.upper(), path, body=payload, headers=sent)
        tls = connection.sock
        version = tls.version() if isinstance(tls, ssl.SSLSocket) else None
        cipher = tls.cipher() if isinstance(tls, ssl.SSLSocket) else None
        answer = connection.getresponse()
        data = answer.read()
    finally:
        connection.close()
    return GatewayResponse(
        answer.status, answer.reason, {k.lower(): v for k, v in answer.getheaders()}, data,
        tls_version=version or "", cipher=cipher[0] if cipher else "",
    )


# --- servers --------------------------------------------------------------------------------


class _TlsServer(JoiningHTTPServer):
    """A threading HTTP server that does each TLS handshake in the request's own thread.

    Wrapping the listening socket instead would run handshakes in the accept loop, where one
    silent client would stall every other.
    """

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext):
        self.context = context
        self.handshake_failures = 0
        super().__init__(address, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(2.0)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            self.handshake_failures += 1  # e.g. plain HTTP on the HTTPS port, or an untrusting client
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)  # type: ignore[arg-type]
        finally:
            self.shutdown_request(tls)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that breaks off the TLS session mid-request (or hangs up) is its own
        # problem: no traceback in the notebook.
        if isinstance(sys.exc_info()[1], ssl.SSLError):
            return
        super().handle_error(request, client_address)


# --- the backend ----------------------------------------------------------------------------


class Backend(BackgroundServer):
    """A plain-HTTP JSON service on 127.0.0.1: the business behind the gateway (lesson 07, section 2).

    ``GET /api/hello`` says hello to the client the gateway named in ``X-Client-Id`` and
    reports what it was told about the original request; any other ``/api/...`` path
    echoes its method and path; everything else is 404. It checks no key and no limit:
    that is the gateway's job.

    Attributes:
        seen: the header fields (lower-case names) of every request that reached it.

    Examples:
        >>> with Backend() as backend:
        ...     backend.url.startswith("http://127.0.0.1:")
        True
    """

    _label = "backend"

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[dict[str, str]] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/`` (valid once started)."""
        return f"http://{HOST}:{self.port}/"

    def _make_server(self) -> JoiningHTTPServer:
        backend = self

        class Handler(QuietHandler):
            def _serve(self) -> None:
                self.read_body()  # read, so the connection stays in step; the backend ignores it
                headers = {name.lower(): value for name, value in self.headers.items()}
                with backend._lock:
                    backend.seen.append(headers)
                path = self.path.split("?")[0]
                if path == "/api/hello":
                    body = {
                        "message": f"hello, {headers.get('x-client-id', 'stranger')}",
                        "client": headers.get("x-client-id"),
                        "forwarded_for": headers.get("x-forwarded-for"),
                        "forwarded_proto": headers.get("x-forwarded-proto"),
                        "api_key_seen": "x-api-key" in headers,
                    }
                    self.send_json(200, body)
                elif path.startswith("/api/"):
                    self.send_json(200, {"method": self.command, "path": path, "client": headers.get("x-client-id")})
                else:
                    self.send_json(404, problem(404, "Not Found", f"no resource at {path}"))

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve  # noqa: N815

        return JoiningHTTPServer((HOST, self._port), Handler)


# --- the gateway ----------------------------------------------------------------------------


def find_client(presented: str | None, api_keys: Mapping[str, str]) -> str | None:
    """The client whose key is ``presented``, compared in constant time; None if no key matches (lesson 07, section 3).

    ``hmac.compare_digest`` takes as long for a key wrong in its first character as for one
    wrong in its last, and every known key is compared (no early exit), so the time a
    refusal takes tells an attacker nothing about how close a guess was.

    Examples:
        >>> keys = {"alice": "k-alice-123", "bob": "k-bob-456"}
        >>> find_client("k-bob-456", keys), find_client("k-bob-457", keys), find_client(None, keys)
        ('bob', None, None)
    """
    if presented is None:
        return None
    found = None
    given = presented.encode("utf-8")
    for name, key in api_keys.items():
        if hmac.compare_digest(key.encode("utf-8"), given):
            found = name
    return found


def remove_dot_segments(path: str) -> str:
    """``path`` without its "." and ".." segments, as RFC 3986 §5.2.4 resolves them (lesson 07, section 2).

    A ".." removes the segment before it and never climbs above the root, so the result of an
    absolute path is an absolute path.

    Examples:
        >>> remove_dot_segments("/static/sub/../index.html")
        '/static/index.html'
        >>> remove_dot_segments("/a/b/c/./../../g"), remove_dot_segments("mid/content=5/../6")
        ('/a/g', 'mid/6')
        >>> remove_dot_segments("/static/../../../etc/passwd"), remove_dot_segments("/static/sub/..")
        ('/etc/passwd', '/static/')
    """
    if not isinstance(path, str):
        raise TypeError(f"path must be a string, got {path!r}")
    # The RFC's algorithm, step by step: move segments from the input buffer to the output.
    given, output = path, ""
    while given:
        if given.startswith("../"):
            given = given[3:]  # A
        elif given.startswith("./"):
            given = given[2:]  # A
        elif given.startswith("/./"):
            given = given[2:]  # B
        elif given == "/.":
            given = "/"  # B
        elif given.startswith("/../"):
            given, output = given[3:], output[: max(output.rfind("/"), 0)]  # C
        elif given == "/..":
            given, output = "/", output[: max(output.rfind("/"), 0)]  # C
        elif given in (".", ".."):
            given = ""  # D
        else:
            end = given.find("/", 1)  # E: the first segment, with its leading "/"
            end = len(given) if end < 0 else end
            output, given = output + given[:end], given[end:]
    return output


_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _decode_unreserved(path: str) -> str:
    """``path`` with percent-encoded unreserved characters decoded (RFC 3986 §6.2.2.2); "%2F" stays encoded."""
    parts = path.split("%")
    decoded = [parts[0]]
    for part in parts[1:]:
        code = part[:2]
        character = chr(int(code, 16)) if len(code) == 2 and all(c in "0123456789abcdefABCDEF" for c in code) else ""
        if character and character in _UNRESERVED:
            decoded.append(character + part[2:])
        else:
            decoded.append("%" + (code.upper() if character else code) + part[2:])
    return "".join(decoded)


def normalise_path(target: str) -> str:
    """The path a request names, normalised as RFC 3986 §6.2.2 says, with its query kept (lesson 07, section 2).

    Percent-encoded unreserved characters are decoded first ("%2e" is "."), then dot
    segments are removed (§5.2.4). An encoded slash ("%2F") stays encoded: it is part of a
    segment's name, not a separator. The query string is left as it was.

    Examples:
        >>> normalise_path("/static/sub/../index.html")
        '/static/index.html'
        >>> normalise_path("/static/%2e%2E/gateway-key.pem?x=/../y")
        '/gateway-key.pem?x=/../y'
        >>> normalise_path("/static/..%2fkey.pem")
        '/static/..%2Fkey.pem'
    """
    if not isinstance(target, str) or not target.startswith("/"):
        raise ValueError(f"target must be a path starting with '/' (origin form, RFC 9112 §3.2.1), got {target!r}")
    path, mark, query = target.partition("?")
    return remove_dot_segments(_decode_unreserved(path)) + mark + query


@dataclass
class _Decision:
    status: int
    detail: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class Gateway(BackgroundServer):
    """An HTTPS gateway on 127.0.0.1 before a backend: allowlist, static files, keys, limits (lesson 07, section 2).

    Sections 3 to 5 of lesson 07 try its API keys, its allowlist and its 429s in turn.

    Args:
        backend_url: the backend's ``http://127.0.0.1:PORT/``.
        api_keys: each client's name and its API key.
        allowlist: the networks clients may connect from, in CIDR notation.
        capacity: the size of each client's token bucket.
        refill_per_s: the refill rate of each client's token bucket, tokens per second.
        static: files the gateway serves itself at ``/static/<name>``: name -> text or bytes.
        limiter: makes a fresh limiter per client (instead of the token bucket), e.g.
            ``lambda: SlidingWindowLog(10, 60.0)``.
        clock: the time source the limiters read, seconds (``time.monotonic``).
        failed_key_burst: how many failed key checks an address may make in a row before it
            gets 429 without its key being looked at (OWASP API4).
        failed_key_refill_per_s: how fast an address earns failed attempts back, per second
            (a token bucket per address that only failures take tokens from).

    Attributes:
        statuses: how many responses of each status code the gateway sent.
        certificate: the certificate generated at start (None before).

    Examples:
        >>> with Backend() as backend, Gateway(backend.url, {"alice": "k-1"}, capacity=1) as gateway:
        ...     [fetch(gateway.url + "api/hello", gateway.cafile, api_key="k-1").status for _ in range(2)]
        [200, 429]
    """

    _label = "gateway"

    def __init__(
        self,
        backend_url: str,
        api_keys: Mapping[str, str],
        allowlist: Sequence[str] = ("127.0.0.0/8",),
        capacity: float = 10,
        refill_per_s: float = 1.0,
        static: Mapping[str, str | bytes] | None = None,
        limiter: Callable[[], Limiter] | None = None,
        clock: Callable[[], float] = time.monotonic,
        failed_key_burst: float = 10,
        failed_key_refill_per_s: float = 0.1,
    ) -> None:
        super().__init__()
        parts = urlsplit(backend_url) if isinstance(backend_url, str) else None
        if parts is None or parts.scheme != "http" or parts.hostname != HOST or parts.port is None:
            raise ValueError(f"backend_url must be http://{HOST}:PORT/, got {backend_url!r}")
        self._backend_port = parts.port
        if not isinstance(api_keys, Mapping) or not api_keys:
            raise ValueError(f"api_keys must map client names to keys, got {api_keys!r}")
        for name, key in api_keys.items():
            if not isinstance(key, str) or len(key) < 3 or not key.isascii() or not key.isprintable():
                raise ValueError(f"api_keys[{name!r}] must be a printable ASCII string of 3+ characters, got {key!r}")
        self.api_keys = dict(api_keys)
        self.allowlist: tuple[Network, ...] = parse_allowlist(allowlist)
        TokenBucket(capacity, refill_per_s)  # checks both numbers now, not at the first request
        self._make_limiter = limiter or (lambda: TokenBucket(capacity, refill_per_s))
        TokenBucket(failed_key_burst, failed_key_refill_per_s)  # checks both numbers now
        self._failure_budget = (float(failed_key_burst), float(failed_key_refill_per_s))
        self._failures: dict[str, TokenBucket] = {}
        self.failure_table_limit = 4096  # addresses remembered before unblocked ones are forgotten
        self.static = {"index.html": "<h1>Served by the gateway</h1>\n"} if static is None else dict(static)
        for name in self.static:
            if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
                raise ValueError(f"static file names must be plain names like 'logo.svg', got {name!r}")
        self.clock = clock
        self.statuses: Counter[int] = Counter()
        self.certificate: Certificate | None = None
        self._limiters: dict[str, Limiter] = {}
        self._lock = threading.Lock()
        self._folder: Path | None = None

    @property
    def url(self) -> str:
        """``https://127.0.0.1:PORT/``, the one address clients need (valid once started)."""
        return f"https://{HOST}:{self.port}/"

    @property
    def cafile(self) -> Path:
        """The certificate a client must trust to talk to this gateway (valid once started)."""
        if self.certificate is None:
            raise ValueError("the gateway has no certificate yet: start it first (use it in a with block)")
        return self.certificate.cert_path

    def start(self) -> Self:
        """Generate a certificate into a temporary folder, then start serving HTTPS; returns the gateway."""
        if self.running:
            return self
        self._folder = Path(tempfile.mkdtemp(prefix="gateway-"))
        try:
            self.certificate = make_certificate(self._folder)
            (self._folder / "static").mkdir()
            for name, content in self.static.items():
                data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
                (self._folder / "static" / name).write_bytes(data)
            super().start()
        except BaseException:
            self._remove_folder()
            raise
        return self

    def stop(self) -> None:
        """Stop serving (see ``BackgroundServer.stop``), then delete the certificate and its private key."""
        super().stop()
        self._remove_folder()

    def _remove_folder(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)  # the private key goes with it
            self._folder = None

    def __repr__(self) -> str:
        state = f"listening on {self.url}" if self.running else "stopped"
        return f"<Gateway {state}, {len(self.api_keys)} clients>"

    def _make_server(self) -> _TlsServer:
        assert self.certificate is not None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.certificate.cert_path, self.certificate.key_path)
        return _TlsServer((HOST, self._port), self._handler_class(), context)

    # -- the pipeline ----------------------------------------------------------------------

    def _forget_unblocked_addresses(self, now: float) -> None:
        """Keeps the failed-key table bounded when many addresses fail (called with the lock held).

        Past ``failure_table_limit`` addresses, those not blocked now are dropped, so an attacker
        who rotates addresses grows the table only by the addresses blocked at once.
        """
        if len(self._failures) >= self.failure_table_limit:
            for address in [a for a, bucket in self._failures.items() if bucket.retry_after(now) == 0]:
                del self._failures[address]

    def check(self, client_ip: str, method: str, path: str, headers: Mapping[str, str]) -> _Decision | str:
        """The gateway's verdict on a request: a refusal or a static file's answer, or the client's name (forward).

        ``path`` is the request target as sent. The order matters: the allowlist first
        (cheapest, and nothing else is revealed to outsiders); then the path is normalised
        and routed (static files are public); then an address with too many recent failed key
        checks is refused before its key is compared, so guessing keys is slow and its
        timing says nothing; then the key, and only then the limiter (limits are per client).
        """
        if not is_allowed(client_ip, self.allowlist):
            return _Decision(403, f"{client_ip} is not in the allowlist")
        try:
            normalised = normalise_path(path)
        except ValueError:
            return _Decision(400, f"the request target must be a path starting with '/', got {path!r}")
        route = normalised.split("?")[0]
        if route.startswith("/static/"):
            return self._static(method, route[len("/static/") :])
        if _decode_unreserved(path.split("?")[0]).startswith("/static/"):
            return _Decision(404, f"{path.split('?')[0]!r} climbs out of /static/: no static file there")
        with self._lock:
            failures = self._failures.get(client_ip)  # an address enters the table at its first failure
            wait = failures.retry_after(self.clock()) if failures is not None else 0.0
        if wait > 0:
            detail = f"too many failed API-key checks from {client_ip}: retry in {wait:.1f} s"
            return _Decision(429, detail, {"Retry-After": retry_after_header(wait)})
        client = find_client(headers.get("x-api-key"), self.api_keys)
        if client is None:
            with self._lock:
                now = self.clock()
                failures = self._failures.get(client_ip)
                if failures is None:
                    self._forget_unblocked_addresses(now)
                    failures = self._failures[client_ip] = TokenBucket(*self._failure_budget)
                failures.allow(now)  # only a failure takes a token from the address's budget
            detail = "missing X-Api-Key header" if "x-api-key" not in headers else "unknown API key"
            return _Decision(401, detail, {"WWW-Authenticate": 'ApiKey header="X-Api-Key"'})
        with self._lock:
            limiter = self._limiters.setdefault(client, self._make_limiter())
            now = self.clock()
            if not limiter.allow(now):
                wait = limiter.retry_after(now)
                detail = f"rate limit for {client} reached: retry in {wait:.1f} s"
                return _Decision(429, detail, {"Retry-After": retry_after_header(wait)})
        return client

    def _static(self, method: str, name: str) -> _Decision:
        if method not in ("GET", "HEAD"):
            return _Decision(405, f"{method} is not allowed on static files", {"Allow": "GET, HEAD"})
        assert self._folder is not None
        file_name = unquote(name)  # "%2F" is a slash inside the name: no static file has one
        # Only the files the gateway was given are served, looked up by name: a name that is
        # not one of them (a dot segment left over, an encoded slash) cannot reach the disk.
        if file_name not in self.static:
            return _Decision(404, f"no static file {file_name!r}")
        folder = (self._folder / "static").resolve()
        target = (folder / file_name).resolve()
        if target.parent != folder or not target.is_file():  # pragma: no cover (the names were checked at start)
            return _Decision(404, f"no static file {file_name!r}")
        headers = {"X-Served-By": "gateway", "Content-Type": _content_type(file_name)}
        return _Decision(200, "static", headers, target.read_bytes())

    def _forward(self, method: str, path: str, headers: Mapping[str, str], raw: bytes, client: str,
                 client_ip: str) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
        sent = {name: value for name, value in headers.items() if name not in _NOT_FORWARDED}
        # The gateway writes these from what it saw itself; anything a client sent under these
        # names is dropped above, or a client could claim to come from an allowed address.
        sent.update({"X-Forwarded-For": client_ip, "X-Forwarded-Proto": "https", "X-Client-Id": client})
        connection = http.client.HTTPConnection(HOST, self._backend_port, timeout=2.0)
        try:
            connection.request(method, path, body=raw or None, headers=sent)
            answer = connection.getresponse()
            data = answer.read()
        except OSError as error:
            body = json.dumps(problem(502, "Bad Gateway", f"the backend did not answer: {error}")).encode()
            return 502, {"Content-Type": "application/problem+json"}, body
        finally:
            connection.close()
        kept = {"Content-Type": answer.getheader("Content-Type", "application/octet-stream")}
        return answer.status, kept, data

    def _handler_class(self) -> type[QuietHandler]:
        gateway = self

        class Handler(QuietHandler):
            def _serve(self) -> None:
                raw = self.read_body()
                headers = {name.lower(): value for name, value in self.headers.items()}
                client_ip = str(self.client_address[0])
                verdict = gateway.check(client_ip, self.command, self.path, headers)
                if isinstance(verdict, str):
                    # The backend gets the path the gateway routed on, never the raw one: a
                    # gateway that checks one path and forwards another can be talked past.
                    target = normalise_path(self.path)
                    status, sent, data = gateway._forward(self.command, target, headers, raw, verdict, client_ip)
                elif verdict.status == 200:
                    status, sent, data = 200, verdict.headers, verdict.body
                else:
                    status, sent = verdict.status, verdict.headers
                    data = json.dumps(problem(status, HTTPStatus(status).phrase, verdict.detail), indent=1).encode()
                    sent = {**sent, "Content-Type": "application/problem+json"}
                with gateway._lock:
                    gateway.statuses[status] += 1
                self.send_body(status, data, None, sent)  # Content-Type is among the headers sent on

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve  # noqa: N815

        return Handler


def _content_type(name: str) -> str:
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"

