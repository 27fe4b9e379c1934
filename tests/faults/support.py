"""Helpers of the fault tests: bounded steady load, the error-shape check, Nacos look-ups, waits."""

from __future__ import annotations

import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from mesh.nacos_http import NacosApi, read_hosts
from mesh.names import NACOS_GROUP, OCR_SERVICE, SERVICES
from mesh_tools.launcher.launcher import Launcher, Proc
from mesh_tools.launcher.procs import LaunchError, alive, wait_http
from tests.support import free_base_port, render_lines

UPSTREAM = "tests.e2e.upstream"
_LEAKS = re.compile(r"Traceback|File \"|/work/|/usr/|site-packages|\.py\b|sqlalchemy|SELECT ", re.I)


def small_image() -> bytes:
    """A small real text image: cheap for the real model, still real OCR work."""
    return render_lines(["Fault 42"], size=24)


def wait_for(check: Callable[[], bool], timeout: float, what: str, every: float = 0.2) -> float:
    """Poll check() until true; fail naming what never happened. Returns the seconds it took."""
    started = time.monotonic()
    deadline = started + timeout
    while True:
        try:
            if check():
                return time.monotonic() - started
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(every)


def assert_error_shape(r: httpx.Response, status: int | tuple[int, ...], code: str | None = None) -> str:
    """Exactly {"error": {"code", "message"}}, the expected status, and no internals in the text."""
    statuses = (status,) if isinstance(status, int) else status
    assert r.status_code in statuses, (r.status_code, r.text[:300])
    body = r.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert isinstance(body["error"]["code"], str) and re.fullmatch(r"[a-z][a-z0-9_]*", body["error"]["code"])
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    assert_no_leak(r)
    return str(body["error"]["code"])


def assert_no_leak(r: httpx.Response) -> None:
    text = r.text
    assert not _LEAKS.search(text), f"internals leaked in a {r.status_code} answer: {text[:300]}"


_tokens: dict[str, tuple[str, float]] = {}


def nacos_hosts(
    launcher: Launcher, service: str, group: str = NACOS_GROUP, url: str | None = None
) -> list[dict]:
    """The instances Nacos itself lists (open API, with an admin token).

    Tokens are cached for 30 s: r-nacos allows 100 open-API logins a minute.
    """
    base = url or launcher.nacos.url
    cached = _tokens.get(base)
    if cached is None or cached[1] < time.monotonic():
        cached = _tokens[base] = (launcher.nacos.login(), time.monotonic() + 30)
    with httpx.Client(timeout=5, trust_env=False) as client:
        return read_hosts(client.send(NacosApi(base).instance_list(service, cached[0], group)))


def nacos_ports(
    launcher: Launcher, service: str, group: str = NACOS_GROUP, url: str | None = None
) -> set[int]:
    return {int(h["port"]) for h in nacos_hosts(launcher, service, group, url) if h.get("healthy", True)}


def gateway_instances(gateway: str, token: str, service: str = OCR_SERVICE) -> list[dict]:
    r = httpx.get(
        f"{gateway}/api/instances", headers={"Authorization": f"Bearer {token}"}, timeout=10, trust_env=False
    )
    r.raise_for_status()
    result: list[dict] = r.json()["services"][service]
    return result


def gateway_ports(gateway: str, token: str, service: str = OCR_SERVICE) -> set[int]:
    return {int(i["port"]) for i in gateway_instances(gateway, token, service)}


def gateway_addresses(gateway: str, token: str, service: str = OCR_SERVICE) -> set[str]:
    return {f"{i['host']}:{i['port']}" for i in gateway_instances(gateway, token, service)}


def metric_sum(gateway: str, name: str, **labels: str) -> float:
    text = httpx.get(f"{gateway}/metrics", trust_env=False, timeout=10).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


_next = [21100]


def port() -> int:
    """A free port from a range of our own (the shared machine runs other meshes on 8001…, 8101…)."""
    found = free_base_port(_next[0])
    _next[0] = found + 1
    return found


def start(
    launcher: Launcher, service: str, *, module: str | None = None, env: dict[str, str] | None = None
) -> Proc:
    return launcher.start_service(service, port(), module=module, extra_env=env)


def start_and_wait(
    launcher: Launcher,
    service: str,
    port: int | None = None,
    *,
    module: str | None = None,
    env: dict[str, str] | None = None,
    group: str = NACOS_GROUP,
    timeout: float = 180,
) -> Proc:
    """Start one process and wait until it answers /health and Nacos lists it in its group."""
    proc = launcher.start_service(service, port, module=module, extra_env=env)
    wait_ready(launcher, [proc], group=group, timeout=timeout)
    return proc


def wait_ready(
    launcher: Launcher,
    procs: list[Proc],
    *,
    group: str = NACOS_GROUP,
    timeout: float = 180,
    nacos_url: str | None = None,
    host: str = "127.0.0.1",
) -> None:
    for proc in procs:
        wait_http(f"http://{host}:{proc.port}/health", timeout, proc.pid, Path(proc.log))
    for proc in procs:
        name = proc.service if proc.service in SERVICES else OCR_SERVICE
        wait_for(
            lambda p=proc, n=name: p.port in nacos_ports(launcher, n, group, nacos_url),
            30,
            f"{proc.service} on :{proc.port} listed in Nacos group {group}",
        )


def login(gateway: str, username: str, password: str = "fault-test-secret-1") -> str:
    """Register (if new) and log in; a gateway that has not yet heard of the user service by
    push answers 503 no_instance, so that is retried for up to 15 s. The login is tried only
    once the account surely exists (register answered 201 or 409), or it would be a 401."""
    creds = {"username": username, "password": password}
    deadline = time.monotonic() + 15
    with httpx.Client(base_url=gateway, trust_env=False, timeout=30) as c:
        while True:
            r = c.post("/api/auth/register", json=creds)
            if r.status_code in (201, 409):
                r = c.post("/api/auth/login", json=creds)
                if r.status_code == 200:
                    return str(r.json()["access_token"])
            if r.status_code != 503 or time.monotonic() > deadline:
                raise LaunchError(f"login of {username} failed: {r.status_code} {r.text[:200]}")
            time.sleep(0.3)


@dataclass
class Outcome:
    at: float  # seconds since the load started
    status: int
    seconds: float
    served_by: str
    code: str = ""


@dataclass
class Load:
    """Closed-loop clients posting one image to /api/ocr until stopped (bounded in time and count).

    A transport error on the client side (the gateway itself failing) counts as status 0.
    """

    gateway: str
    token: str
    image: bytes
    concurrency: int = 8
    think: float = 0.0
    max_seconds: float = 90.0
    max_requests: int = 20_000
    timeout: float = 60.0
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _t0: float = 0.0

    def _worker(self) -> None:
        # no-store: the load measures the path to the nodes; the gateway's result cache would
        # answer every repeat of the one image itself.
        headers = {"Authorization": f"Bearer {self.token}", "Cache-Control": "no-store"}
        with httpx.Client(base_url=self.gateway, headers=headers, trust_env=False, timeout=self.timeout) as c:
            while not self._stop.is_set():
                if time.monotonic() - self._t0 > self.max_seconds or len(self.outcomes) >= self.max_requests:
                    return
                started = time.monotonic()
                try:
                    r = c.post("/api/ocr", files={"image": ("card.png", self.image, "image/png")})
                    code = ""
                    if r.status_code != 200:
                        try:
                            code = str(r.json()["error"]["code"])
                        except (ValueError, KeyError, TypeError):
                            code = "not_error_shape"
                    out = Outcome(
                        started - self._t0,
                        r.status_code,
                        time.monotonic() - started,
                        r.headers.get("X-Served-By", ""),
                        code,
                    )
                except httpx.HTTPError as exc:
                    out = Outcome(started - self._t0, 0, time.monotonic() - started, "", type(exc).__name__)
                self.outcomes.append(out)
                if self.think:
                    self._stop.wait(self.think)

    def __enter__(self) -> Load:
        self._t0 = time.monotonic()
        self._threads = [threading.Thread(target=self._worker, daemon=True) for _ in range(self.concurrency)]
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(self.timeout + 5)

    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    def statuses(self) -> Counter[int]:
        return Counter(o.status for o in self.outcomes)

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != 200]

    def served_after(self, t: float) -> Counter[str]:
        return Counter(o.served_by for o in self.outcomes if o.at >= t and o.status == 200)

    def summary(self) -> str:
        ok = [o.seconds for o in self.outcomes if o.status == 200]
        return (
            f"{len(self.outcomes)} requests in {self.elapsed():.0f} s at concurrency {self.concurrency}: "
            f"{dict(self.statuses())}; served by {dict(Counter(o.served_by for o in self.outcomes))}; "
            f"slowest 200: {max(ok, default=0):.1f} s"
        )


def report(name: str, text: str) -> None:
    """Print a line for -s runs and append it to OCR_MESH_FAULT_REPORT (docs/fault-runs) if set."""
    line = f"[{name}] {text}"
    print(line)
    target = os.environ.get("OCR_MESH_FAULT_REPORT")
    if target:
        with open(target, "a") as fh:
            fh.write(line + "\n")


def all_alive(procs: list[Proc]) -> bool:
    return all(alive(p.pid) for p in procs)
