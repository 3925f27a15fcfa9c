"""Tests for helpers.gateway.live: certificates, the backend, and the live gateway's pipeline.

Every server runs on 127.0.0.1, port 0, inside a ``with`` block. Clients send from other
loopback addresses (127.0.0.9, ...) to try the allowlist; all traffic stays on loopback.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from helpers.gateway.live import Backend, Gateway, client_context, fetch, find_client, make_certificate
from helpers.gateway.model import SlidingWindowLog

from real_clients import require, run

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


# --- conformance, checked with clients nobody here wrote (curl, openssl s_client) -------------

SECRET_MARK = "PRIVATE KEY"  # what the gateway's key file holds, and no answer may


def curl(gateway: Gateway, path: str, *options: str) -> tuple[int, dict[str, str], str]:
    """Status, headers (lower-case names) and body of ``curl --path-as-is`` to the gateway, trusting its certificate.

    ``--path-as-is`` makes curl send dot segments as written (by default it removes them itself).
    """
    done = run("curl", ["-sS", "-i", "--path-as-is", "--cacert", str(gateway.cafile), "--max-time", "5", *options,
                        f"https://127.0.0.1:{gateway.port}{path}"])  # fmt: skip
    assert done.returncode == 0, f"curl failed ({done.returncode}): {done.stderr}"
    head, _, body = done.stdout.partition("\n\n")  # text mode: each CRLF reads as one newline
    status_line, *fields = head.split("\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (f.partition(":") for f in fields)}
    return int(status_line.split()[1]), headers, body


def openssl_request(gateway: Gateway, request: str) -> subprocess.CompletedProcess[str]:
    """What ``openssl s_client`` prints for one raw HTTP request sent byte for byte, verifying the certificate."""
    arguments = ["s_client", "-connect", f"127.0.0.1:{gateway.port}", "-CAfile", str(gateway.cafile),
                 "-verify_return_error", "-verify_ip", "127.0.0.1", "-ign_eof"]  # fmt: skip
    env = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
    return subprocess.run([require("openssl"), *arguments], input=request, capture_output=True, text=True,
                          timeout=20, env=env, check=False)  # fmt: skip


@pytest.mark.parametrize(
    "path",
    ["/static/sub/../index.html", "/static/./index.html", "/static/sub/%2e%2e/index.html",
     "/static/sub/%2E./index.html", "/api/../static/index.html", "/static/%69ndex.html"],
)  # fmt: skip
def test_rfc3986_5_2_4_and_6_2_2_dot_segments_are_removed_before_routing(backend: Backend, path: str) -> None:
    with Gateway(backend.url, KEYS) as gateway:
        status, headers, body = curl(gateway, path)
    assert (status, headers.get("x-served-by"), body) == (200, "gateway", "<h1>Served by the gateway</h1>\n"), (
        f"RFC 3986 §6.2.2.2 then §5.2.4: {path} normalises to /static/index.html and must be served as it is"
    )
    assert backend.seen == [], "a static file never reaches the backend"


@pytest.mark.parametrize(
    "path",
    ["/static/../gateway-key.pem", "/static/%2e%2e/gateway-key.pem", "/static/.%2E/gateway-key.pem",
     "/static/..%2fgateway-key.pem", "/static/sub/../../gateway-key.pem", "/static/../../../etc/passwd",
     "/static/%2E%2E/%2E%2E/etc/passwd"],
)  # fmt: skip
def test_rfc3986_5_2_4_traversal_out_of_the_static_root_is_404(backend: Backend, path: str) -> None:
    with Gateway(backend.url, KEYS) as gateway:
        status, headers, body = curl(gateway, path, "-H", f"X-Api-Key: {KEYS['alice']}")
    assert status == 404, f"{path} climbs out of /static/ (RFC 3986 §5.2.4): 404, never a file outside it"
    assert headers["content-type"] == "application/problem+json"
    assert SECRET_MARK not in body
    assert backend.seen == [], "a traversal attempt is answered by the gateway, not forwarded"


def test_rfc3986_5_2_4_traversal_sent_raw_through_openssl_s_client_is_404(backend: Backend) -> None:
    with Gateway(backend.url, KEYS) as gateway:
        done = openssl_request(gateway, "GET /static/%2e%2e/gateway-key.pem HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                        "Connection: close\r\n\r\n")  # fmt: skip
    assert "Verify return code: 0 (ok)" in done.stdout, f"openssl must verify the certificate: {done.stdout[-800:]}"
    assert "HTTP/1.0 404 Not Found" in done.stdout, f"RFC 3986 §5.2.4: traversal gets 404; got {done.stdout[-800:]}"
    assert SECRET_MARK not in done.stdout.split("---")[-1]


def test_rfc3986_6_2_2_the_backend_gets_the_normalised_path_and_the_query_as_sent(backend: Backend) -> None:
    with Gateway(backend.url, KEYS) as gateway:
        status, _, body = curl(gateway, "/api/v1/%2E%2E/orders/./7?next=/../x", "-H", f"X-Api-Key: {KEYS['bob']}")
    assert status == 200
    assert json.loads(body) == {"method": "GET", "path": "/api/orders/7", "client": "bob"}, (
        "the gateway forwards the path it routed on (RFC 3986 §6.2.2), or a check on one path lets another through"
    )


def test_owasp_api4_failed_key_checks_are_limited_per_address_before_the_key_check(backend: Backend) -> None:
    clock = ManualClock()
    with Gateway(backend.url, KEYS, clock=clock, failed_key_burst=3, failed_key_refill_per_s=0.1) as gateway:
        guesses = [curl(gateway, "/api/hello", "-H", f"X-Api-Key: k-guess-{i}")[0] for i in range(3)]
        locked, headers, body = curl(gateway, "/api/hello", "-H", f"X-Api-Key: {KEYS['alice']}")
        other = curl(gateway, "/api/hello", "-H", f"X-Api-Key: {KEYS['alice']}", "--interface", "127.0.0.2")[0]
        page = curl(gateway, "/static/index.html")[0]
        clock.now = 10.0
        again = curl(gateway, "/api/hello", "-H", f"X-Api-Key: {KEYS['alice']}")[0]
    assert guesses == [401, 401, 401], "the first failed key checks get 401"
    assert locked == 429, (
        "OWASP API4: after 3 failures the address gets 429 before its key is compared, even a right key"
    )
    assert headers["retry-after"] == "10"
    assert "failed API-key checks from 127.0.0.1" in json.loads(body)["detail"]
    assert other == 200, "the limit is per client address: 127.0.0.2 is not locked out"
    assert page == 200, "static files are public: no key check, no lock"
    assert again == 200, "after Retry-After one failure was earned back"
    assert len(backend.seen) == 2


def test_owasp_api4_the_failed_key_table_stays_bounded_when_addresses_rotate(backend: Backend) -> None:
    clock = ManualClock()
    gateway = Gateway(backend.url, KEYS, clock=clock, failed_key_burst=2, failed_key_refill_per_s=0.1)
    gateway.failure_table_limit = 50
    blocked = "127.0.0.1"
    for _ in range(2):
        gateway.check(blocked, "GET", "/api/hello", {"x-api-key": "k-guess"})
    for i in range(1000):  # an attacker rotating addresses, one guess each
        gateway.check(f"127.1.{i // 250}.{i % 250}", "GET", "/api/hello", {"x-api-key": "k-guess"})
    assert len(gateway._failures) <= 50, "addresses that are not blocked are forgotten past the table's limit"
    refused = gateway.check(blocked, "GET", "/api/hello", {"x-api-key": KEYS["alice"]})
    assert not isinstance(refused, str), "an address blocked now stays blocked, got a forward"
    assert refused.status == 429, f"an address blocked now stays blocked, got {refused}"


def test_rfc6585_4_429_carries_retry_after_in_whole_seconds_rfc9110_10_2_3(backend: Backend) -> None:
    clock = ManualClock()
    with Gateway(backend.url, KEYS, capacity=1, refill_per_s=0.3, clock=clock) as gateway:
        first = curl(gateway, "/api/hello", "-H", f"X-Api-Key: {KEYS['bob']}")[0]
        status, headers, body = curl(gateway, "/api/hello", "-H", f"X-Api-Key: {KEYS['bob']}")
    assert (first, status) == (200, 429)
    assert headers["retry-after"] == "4", "Retry-After is delay-seconds, a whole number (3.33 s rounds up to 4)"
    assert json.loads(body)["status"] == 429


def test_rfc2818_3_1_openssl_verifies_the_ip_address_in_the_certificate(backend: Backend) -> None:
    with Gateway(backend.url, KEYS) as gateway:
        done = openssl_request(gateway, "GET /static/index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                        "Connection: close\r\n\r\n")  # fmt: skip
    assert "Verify return code: 0 (ok)" in done.stdout, (
        f"RFC 2818 §3.1: the certificate's iPAddress subjectAltName must match 127.0.0.1: {done.stdout[-800:]}"
    )
    assert "HTTP/1.0 200 OK" in done.stdout
    assert "Served by the gateway" in done.stdout
