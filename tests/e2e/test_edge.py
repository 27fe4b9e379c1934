"""Hardening at the edge, across real processes: headers, HTTPS, registration floods, lockouts.

The real mesh of conftest.py (Java Nacos, user service, PaddleOCR nodes, gateway) plus a second
gateway process serving HTTPS with a throwaway self-signed certificate, found through the same
Nacos. Client addresses: the gateway believes X-Forwarded-For from loopback 127.0.0.1 only (its
trusted proxy), so the tests play a proxy there to speak for other addresses, and connect from
127.0.0.2, an untrusted peer, to show that a made-up X-Forwarded-For is not believed.
"""

from __future__ import annotations

import json
import ssl
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from mesh.names import GATEWAY
from mesh.security_headers import SECURITY_HEADERS
from tests.e2e.browser import chromium, open_app, register
from tests.e2e.conftest import RunningMesh
from tests.e2e.tls import self_signed_certificate
from tests.support import free_base_port, render_lines

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e

LINES = ["Hello PaddleOCR", "TLS 2026"]
PASSWORD = "edge-secret-2026"  # as in tests/e2e/flood.py
QUOTA = 10  # the user service's default registration quota per address and hour


@dataclass
class TlsGateway:
    url: str
    context: ssl.SSLContext

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=self.context, trust_env=False, timeout=60)


@pytest.fixture(scope="module")
def tls_gateway(mesh: RunningMesh, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsGateway]:
    cert, key = self_signed_certificate(tmp_path_factory.mktemp("tls"))
    port = free_base_port(18443)
    env = {"OCR_MESH_TLS_CERTFILE": str(cert), "OCR_MESH_TLS_KEYFILE": str(key)}
    proc = mesh.launcher.start_service(GATEWAY, port, extra_env=env)
    gateway = TlsGateway(f"https://127.0.0.1:{port}", ssl.create_default_context(cafile=str(cert)))
    try:
        _wait_until_it_routes(gateway, Path(proc.log))
        yield gateway
    finally:
        mesh.launcher.stop_service(proc)


def _wait_until_it_routes(gateway: TlsGateway, log: Path, timeout: float = 90.0) -> None:
    """Up over TLS, and it has found the user service in Nacos (a wrong login gets 401, not 503)."""
    deadline = time.monotonic() + timeout
    with gateway.client() as c:
        while time.monotonic() < deadline:
            try:
                r = c.post("/api/auth/login", json={"username": "tls-probe", "password": "not-the-password"})
                if r.status_code in (401, 429):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
    raise AssertionError(
        f"the TLS gateway did not route within {timeout:.0f} s; log:\n{log.read_text()[-3000:]}"
    )


def _secured(r: httpx.Response, hsts: bool) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get_list(name) == [value], (r.request.url, name)
    assert ("strict-transport-security" in r.headers) == hsts, (r.request.url, r.headers)


def test_headers_on_the_plain_gateway_and_hsts_only_from_a_trusted_proxy(mesh: RunningMesh) -> None:
    with httpx.Client(base_url=mesh.gateway, trust_env=False, timeout=30) as c:
        for path in ("/", "/js/main.js", "/css/base.css", "/health", "/metrics"):
            r = c.get(path)
            assert r.status_code == 200, r.request.url
            _secured(r, hsts=False)
        for r in (c.get("/api/instances"), c.get("/nothing-here.css"), c.post("/api/auth/login", json={})):
            assert r.status_code in (401, 404, 422) and set(r.json()) == {"error"}, r.text
            _secured(r, hsts=False)
    # Behind a TLS-terminating proxy: HSTS when a trusted proxy says the client came over HTTPS,
    # and a client that is not the proxy (127.0.0.2) cannot make the gateway say so.
    https = {"X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=mesh.gateway, trust_env=False, timeout=30) as proxy:
        _secured(proxy.get("/", headers=https), hsts=True)
    stranger = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=mesh.gateway, transport=stranger, trust_env=False, timeout=30) as c:
        _secured(c.get("/", headers=https), hsts=False)


def test_https_end_to_end_with_the_page(tls_gateway: TlsGateway, tmp_path: Path) -> None:
    with tls_gateway.client() as c:
        page = c.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        _secured(page, hsts=True)
        for asset in ("/js/main.js", "/js/api.js", "/css/base.css"):
            r = c.get(asset)
            assert r.status_code == 200, asset
            _secured(r, hsts=True)
        creds = {"username": "tls_user", "password": PASSWORD}
        assert c.post("/api/auth/register", json=creds).status_code in (201, 409)
        login = c.post("/api/auth/login", json=creds)
        assert login.status_code == 200, login.text
        _secured(login, hsts=True)
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        assert c.get("/api/auth/me", headers=bearer).json()["username"] == "tls_user"
        image = render_lines(LINES)
        ocr = c.post("/api/ocr", headers=bearer, files={"image": ("card.png", image, "image/png")})
        assert ocr.status_code == 200, ocr.text
        assert "HelloPaddleOCR" in ocr.json()["text"].replace(" ", "")
    with pytest.raises(httpx.TransportError):  # plain HTTP to the TLS port is no answer at all
        httpx.get(tls_gateway.url.replace("https:", "http:") + "/health", trust_env=False, timeout=10)
    with pytest.raises(httpx.ConnectError):  # and a client that does not trust the certificate stops
        httpx.get(tls_gateway.url + "/health", trust_env=False, timeout=10)

    # The page itself in chromium over HTTPS: register, recognise, read the text.
    card = tmp_path / "card.png"
    card.write_bytes(render_lines(LINES))
    violations: list[str] = []
    with chromium() as browser:
        context = browser.new_context(base_url=tls_gateway.url, ignore_https_errors=True)
        tab = context.new_page()
        tab.on(
            "console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None
        )
        open_app(tab)
        assert tab.evaluate("location.protocol") == "https:" and tab.evaluate("window.isSecureContext")
        register(tab, f"tls_page_{time.monotonic_ns() % 10**8}", PASSWORD)
        tab.set_input_files("#file-input", str(card))
        tab.locator("#start-btn").click()
        expect(tab.locator("#line-list li.line")).to_have_count(len(LINES))
        text = tab.locator("#result-text").input_value().replace(" ", "")
        context.close()
    print(f"\nHTTPS page: text {text!r}; CSP violations in the console: {len(violations)} {violations[:3]}")
    assert "HelloPaddleOCR" in text


def _as(address: str) -> dict[str, str]:
    """Speak for another client: the gateway believes X-Forwarded-For from 127.0.0.1."""
    return {"X-Forwarded-For": address}


def _login_ms(c: httpx.Client, creds: dict[str, str], address: str, times: int) -> list[float]:
    took = []
    for _ in range(times):
        started = time.perf_counter()
        r = c.post("/api/auth/login", json=creds, headers=_as(address))
        took.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200, r.text
    return took


def test_registration_flood_gets_the_quota_then_fast_429s_and_logins_stay_fast(mesh: RunningMesh) -> None:
    owner = {"username": "flood_owner", "password": PASSWORD}
    with httpx.Client(base_url=mesh.gateway, trust_env=False, timeout=60) as c:
        assert c.post("/api/auth/register", json=owner).status_code in (201, 409)
        idle = _login_ms(c, owner, "198.51.100.30", 20)
        flood = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.flood", mesh.gateway],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=REPO_ROOT,
            text=True,
        )
        try:
            time.sleep(0.5)
            busy = _login_ms(c, owner, "198.51.100.31", 20)
        finally:
            out, _ = flood.communicate("", timeout=120)  # EOF on stdin: stop once 200 were sent
    assert flood.returncode == 0
    results = [tuple(json.loads(line)) for line in out.splitlines()]

    by_code = Counter((status, code) for status, code, _ in results)
    refused = [took for status, _, took in results if status == 429]
    idle_ms, busy_ms = statistics.median(idle), statistics.median(busy)
    print(
        f"\nflood: {len(results)} registrations from one address: {dict(by_code)}; "
        f"429 median {statistics.median(refused):.1f} ms, max {max(refused):.0f} ms\n"
        f"logins from another address: idle median {idle_ms:.0f} ms, during the flood {busy_ms:.0f} ms "
        f"({busy_ms / idle_ms:.2f}x)"
    )
    assert len(results) >= 200
    assert by_code[(201, "")] <= QUOTA  # a believed X-Forwarded-For would have let them all through
    assert set(by_code) <= {(201, ""), (429, "registration_rate_limited"), (429, "rate_limited")}
    # The user service's quota answered, not only the gateway's token bucket.
    assert by_code[(429, "registration_rate_limited")] > 0
    # Generous on purpose: six agents share these two cores, so a single run's medians wander; the
    # printed ratio is the figure the issue asks about (within 2x), this bound only catches queueing
    # behind the flood's hashing, which costs seconds.
    assert busy_ms < 4 * idle_ms + 250


def test_an_attacker_failing_50_times_does_not_lock_the_owner_out(mesh: RunningMesh) -> None:
    owner = {"username": "lockout_owner", "password": PASSWORD}
    wrong = {"username": "lockout_owner", "password": "guess-password-0"}
    with httpx.Client(base_url=mesh.gateway, trust_env=False, timeout=60) as c:
        assert c.post("/api/auth/register", json=owner).status_code in (201, 409)
        attacker = [c.post("/api/auth/login", json=wrong, headers=_as("203.0.113.66")) for _ in range(50)]
        statuses = [r.status_code for r in attacker]
        assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 45, statuses
        codes = Counter(r.json()["error"]["code"] for r in attacker[5:])
        print(f"\nattacker's 45 refusals: {dict(codes)}")  # the gateway's own bucket may answer some
        assert set(codes) <= {"too_many_attempts", "rate_limited"} and codes["too_many_attempts"] > 0
        assert c.post("/api/auth/login", json=owner, headers=_as("198.51.100.20")).status_code == 200
        # Let the gateway's bucket for that address refill, so the answer below is the user service's.
        time.sleep(1.0)
        still = c.post("/api/auth/login", json=owner, headers=_as("203.0.113.66"))
        assert still.status_code == 429 and still.json()["error"]["code"] == "too_many_attempts"
        assert int(still.headers["Retry-After"]) > 60
