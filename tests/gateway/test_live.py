"""Tests for helpers.gateway.live: certificates, the backend, and the live gateway's pipeline.

Every server runs on 127.0.0.1, port 0, inside a ``with`` block. Clients send from other
loopback addresses (127.0.0.9, ...) to try the allowlist; all traffic stays on loopback.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from helpers.gateway.live import Backend, Gateway, client_context, fetch, find_client, make_certificate
from helpers.gateway.model import SlidingWindowLog

KEYS = {"alice": "k-alice-0001", "bob": "k-bob-0002"}


class ManualClock:
    """A clock the test moves by hand, so rate limits do not depend on the machine's speed."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def backend() -> Iterator[Backend]:
    with Backend() as running:
        yield running


def test_certificate_names_the_address_and_is_self_signed(tmp_path: Path) -> None:
    made = make_certificate(tmp_path)
    certificate = x509.load_pem_x509_certificate(made.cert_path.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert certificate.issuer == certificate.subject
    assert made.key_path.stat().st_mode & 0o077 == 0, "the private key is readable by its owner only"
    assert len(made.fingerprint_sha256) == 64


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"host": "localhost"}, "host must be an IP address"),
        ({"valid_days": 0}, "valid_days must be an int >= 1, got 0"),
    ],
)
def test_make_certificate_rejects_bad_input(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_certificate(tmp_path, **kwargs)  # type: ignore[arg-type]


def test_make_certificate_needs_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="folder must be an existing directory"):
        make_certificate(tmp_path / "missing")


@pytest.mark.parametrize(
    ("presented", "expected"),
    [("k-alice-0001", "alice"), ("k-bob-0002", "bob"), ("k-bob-0003", None), ("", None), (None, None),
     ("k-alice-00011", None)],
)  # fmt: skip
def test_find_client_matches_whole_keys_only(presented: str | None, expected: str | None) -> None:
    assert find_client(presented, KEYS) == expected


def test_backend_answers_plain_http_and_records_headers(backend: Backend) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", backend.port, timeout=2)
    connection.request("GET", "/api/hello", headers={"X-Client-Id": "carol"})
    answer = connection.getresponse()
    assert answer.status == 200
    assert b"hello, carol" in answer.read()
    connection.close()
    assert backend.seen[-1]["x-client-id"] == "carol"


def test_gateway_terminates_tls_and_forwards_plain_http_without_the_key(backend: Backend) -> None:
    with Gateway(backend.url, KEYS) as gateway:
        response = fetch(gateway.url + "api/hello", gateway.cafile, api_key=KEYS["alice"])
    assert response.status == 200
    assert response.tls_version in ("TLSv1.2", "TLSv1.3")
    assert response.json() == {
        "message": "hello, alice", "client": "alice", "forwarded_for": "127.0.0.1", "forwarded_proto": "https",
        "api_key_seen": False,
    }  # fmt: skip
    assert "x-api-key" not in backend.seen[-1]


def test_a_client_that_does_not_trust_the_certificate_is_refused(backend: Backend, tmp_path: Path) -> None:
    other = make_certificate(tmp_path)  # a different self-signed certificate
    with Gateway(backend.url, KEYS) as gateway, pytest.raises(ssl.SSLCertVerificationError):
        fetch(gateway.url + "api/hello", other.cert_path, api_key=KEYS["alice"])


def test_plain_http_on_the_https_port_gets_no_answer(backend: Backend) -> None:
    with Gateway(backend.url, KEYS) as gateway:
        connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=2)
        connection.request("GET", "/api/hello")
        with pytest.raises((ConnectionError, http.client.HTTPException)):
            connection.getresponse()
        connection.close()
        assert fetch(gateway.url + "static/index.html", gateway.cafile).status == 200  # still serving


@pytest.mark.parametrize(
    ("api_key", "source", "path", "status"),
    [
        (KEYS["bob"], "127.0.0.1", "/api/hello", 200),
        (None, "127.0.0.1", "/api/hello", 401),
        ("k-guess", "127.0.0.1", "/api/hello", 401),
        (KEYS["bob"], "127.0.0.9", "/api/hello", 403),
        (None, "127.0.0.9", "/static/index.html", 403),
        (None, "127.0.0.2", "/static/index.html", 200),
        (None, "127.0.0.1", "/static/missing.css", 404),
        (None, "127.0.0.1", "/static/../gateway-key.pem", 404),
        (KEYS["bob"], "127.0.0.3", "/nowhere", 404),
    ],
)
def test_pipeline_answers_each_request_with_the_right_status(
    backend: Backend, api_key: str | None, source: str, path: str, status: int
) -> None:
    with Gateway(backend.url, KEYS, allowlist=["127.0.0.0/30"]) as gateway:
        assert fetch(gateway.url + path[1:], gateway.cafile, api_key=api_key, source=source).status == status
        assert gateway.statuses == {status: 1}


def test_a_forged_x_forwarded_for_does_not_get_past_the_allowlist(backend: Backend) -> None:
    with Gateway(backend.url, KEYS, allowlist=["127.0.0.0/30"]) as gateway:
        forged = {"X-Forwarded-For": "127.0.0.1"}
        assert fetch(gateway.url + "api/hello", gateway.cafile, KEYS["bob"], source="127.0.0.9",
                     headers=forged).status == 403  # fmt: skip
        answer = fetch(gateway.url + "api/hello", gateway.cafile, KEYS["bob"], source="127.0.0.2", headers=forged)
    assert answer.json()["forwarded_for"] == "127.0.0.2"


def test_static_files_are_served_by_the_gateway_with_their_type(backend: Backend) -> None:
    static: dict[str, str | bytes] = {"app.js": "console.log(1)", "logo.png": b"\x89PNG"}
    with Gateway(backend.url, KEYS, static=static) as gateway:
        script = fetch(gateway.url + "static/app.js", gateway.cafile)
        logo = fetch(gateway.url + "static/logo.png", gateway.cafile)
        post = fetch(gateway.url + "static/app.js", gateway.cafile, method="POST")
    assert (script.status, script.headers["content-type"], script.body) == (200, "text/javascript", b"console.log(1)")
    assert (logo.headers["content-type"], logo.headers["x-served-by"]) == ("image/png", "gateway")
    assert logo.body == b"\x89PNG"
    assert post.status == 405
    assert backend.seen == [], "static files never reach the backend"


def test_rate_limit_answers_429_with_retry_after_per_client(backend: Backend) -> None:
    clock = ManualClock()
    with Gateway(backend.url, KEYS, capacity=3, refill_per_s=0.25, clock=clock) as gateway:
        url = gateway.url + "api/hello"
        statuses = [fetch(url, gateway.cafile, KEYS["alice"]).status for _ in range(5)]
        refused = fetch(url, gateway.cafile, KEYS["alice"])
        other = fetch(url, gateway.cafile, KEYS["bob"]).status
        clock.now = 3.9
        early = fetch(url, gateway.cafile, KEYS["alice"]).status
        clock.now = 4.0
        on_time = fetch(url, gateway.cafile, KEYS["alice"]).status
    assert statuses == [200, 200, 200, 429, 429]
    assert (refused.status, refused.headers["retry-after"]) == (429, "4")
    assert refused.headers["content-type"] == "application/problem+json"
    assert "alice" in refused.json()["detail"]
    assert (other, early, on_time) == (200, 429, 200)
    assert len(backend.seen) == 5, "refused requests never reach the backend"


def test_gateway_takes_any_limiter(backend: Backend) -> None:
    clock = ManualClock()
    with Gateway(backend.url, KEYS, limiter=lambda: SlidingWindowLog(2, 60.0), clock=clock) as gateway:
        statuses = [fetch(gateway.url + "api/hello", gateway.cafile, KEYS["bob"]).status for _ in range(3)]
        clock.now = 10.0
        retry = fetch(gateway.url + "api/hello", gateway.cafile, KEYS["bob"]).headers["retry-after"]
    assert statuses == [200, 200, 429]
    assert retry == "50"


def test_gateway_stops_cleanly_and_can_run_again(backend: Backend) -> None:
    before = threading.active_count()
    for _ in range(2):
        gateway = Gateway(backend.url, KEYS)
        with gateway:
            folder = gateway.cafile.parent
            assert fetch(gateway.url + "api/hello", gateway.cafile, KEYS["alice"]).status == 200
        assert not gateway.running
        assert not folder.exists(), "stopping removes the certificate and the key"
    assert threading.active_count() == before


def test_a_stopped_gateway_has_no_address(backend: Backend) -> None:
    gateway = Gateway(backend.url, KEYS)
    with pytest.raises(ValueError, match="start it first"):
        _ = gateway.url
    with pytest.raises(ValueError, match="start it first"):
        _ = gateway.cafile


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backend_url": "http://example.com:80/"}, "backend_url must be http://127.0.0.1:PORT/"),
        ({"api_keys": {}}, "api_keys must map client names to keys"),
        ({"api_keys": {"eve": "x"}}, r"api_keys\['eve'\] must be a printable ASCII string"),
        ({"allowlist": ["10.0.0.1/8"]}, "'10.0.0.1/8' is not a network"),
        ({"capacity": 0}, "capacity must be a finite number > 0, got 0"),
        ({"static": {"../secret": "x"}}, "static file names must be plain names"),
    ],
)
def test_gateway_rejects_bad_settings(backend: Backend, kwargs: dict[str, object], message: str) -> None:
    settings: dict[str, object] = {"backend_url": backend.url, "api_keys": KEYS, **kwargs}
    with pytest.raises(ValueError, match=message):
        Gateway(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "source", "message"),
    [
        ("http://127.0.0.1:1/", "127.0.0.1", "url must be https://127.0.0.1:PORT/"),
        ("https://example.com:443/", "127.0.0.1", "url must be https://127.0.0.1:PORT/"),
        ("https://127.0.0.1:1/", "10.0.0.1", "source must be a loopback address"),
    ],
)
def test_fetch_talks_to_loopback_only(tmp_path: Path, url: str, source: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fetch(url, tmp_path / "none.pem", source=source)


def test_client_context_checks_the_address(tmp_path: Path) -> None:
    context = client_context(make_certificate(tmp_path).cert_path)
    assert context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED
