"""A live API gateway on 127.0.0.1: TLS termination, API keys, an allowlist, 429s and static files (lesson 07).

Two real servers (``helpers.serving`` HTTP servers), both on 127.0.0.1 on ports the
operating system picks, each started and stopped by a ``with`` block:

- ``Backend``: a small JSON service speaking **plain HTTP**. It knows nothing about keys,
  certificates or limits: it trusts whatever reaches it through the gateway.
- ``Gateway``: the one entry point. It speaks **HTTPS** with a self-signed certificate it
  generates at start-up (``make_certificate``, with ``cryptography``) into a temporary
  folder, and runs every request through a short pipeline:

  1. the client's address must be in the CIDR **allowlist**, else 403 Forbidden;
  2. ``GET /static/<name>`` is **served by the gateway itself** from its static folder;
  3. the ``X-Api-Key`` header must match a known key (``hmac.compare_digest``), else 401;
  4. the client's **rate limiter** must admit the request, else 429 with ``Retry-After``;
  5. the request goes on to the backend over plain HTTP, without the key, with
     ``X-Forwarded-For``, ``X-Forwarded-Proto`` and ``X-Client-Id`` added.

``fetch`` is the matching client: ``http.client`` with an SSL context that trusts only the
gateway's certificate, optionally sending from another loopback address (127.0.0.2, ...)
so an allowlist can be tried on one machine. The limiters and allowlists themselves are in
``helpers.gateway.model``.

Sections:
    * certificates: ``Certificate``, ``make_certificate``, ``client_context``
    * the client: ``GatewayResponse``, ``fetch``
    * the backend: ``Backend``
    * the gateway: ``Gateway``, ``find_client``
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
from urllib.parse import urlsplit

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


@dataclass
class _Decision:
    status: int
    detail: str
    headers: dict[str, str] = field(default_factory=dict)


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

    def check(self, client_ip: str, method: str, path: str, headers: Mapping[str, str]) -> _Decision | str:
        """The gateway's verdict on a request: a refusal or a static file's answer, or the client's name (forward).

        The order matters: the allowlist first (cheapest, and nothing else is revealed to
        outsiders), static files before the key (they are public), the key before the
        limiter (limits are per client).
        """
        if not is_allowed(client_ip, self.allowlist):
            return _Decision(403, f"{client_ip} is not in the allowlist")
        if path.startswith("/static/"):
            return self._static(method, path[len("/static/") :])
        client = find_client(headers.get("x-api-key"), self.api_keys)
        if client is None:
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
        folder = (self._folder / "static").resolve()
        target = (folder / name).resolve()
        # resolve() follows "..": a request for /static/../gateway-key.pem must not escape the folder.
        if target.parent != folder or not target.is_file():
            return _Decision(404, f"no static file {name!r}")
        return _Decision(200, "static", {"X-Served-By": "gateway", "Content-Type": _content_type(name)})

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
                    status, sent, data = gateway._forward(self.command, self.path, headers, raw, verdict, client_ip)
                elif verdict.status == 200:
                    assert gateway._folder is not None
                    status, sent = 200, verdict.headers
                    data = (gateway._folder / "static" / self.path[len("/static/") :]).read_bytes()
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

