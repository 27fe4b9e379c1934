"""Load generators against the gateway: closed-loop clients and an open-loop arrival schedule."""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from loadtest.stats import Request

LOGIN_EVERY = 10  # mixed scenario: one login per this many OCR requests


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


@dataclass(frozen=True)
class Load:
    """How one cell loads the mesh; `duration` or `requests` ends the measured window."""

    mode: str = "closed"  # closed | open
    concurrency: int = 1  # closed: clients; open: most requests in flight at once
    rate: float = 0.0  # open: requests started per second
    warmup: float = 5.0
    duration: float | None = 20.0
    requests: int | None = None
    scenario: str = "ocr"  # ocr | mixed
    timeout: float = 120.0


@dataclass
class CellRun:
    """Every request of one cell, and where its measured window lies (seconds from t0)."""

    requests: list[Request]
    window_start: float
    window_end: float
    t0: float  # time.monotonic() at the cell's start
    interrupted: bool = False


@dataclass
class _State:
    load: Load
    t0: float
    records: list[Request] = field(default_factory=list)
    measured: int = 0
    window_end: float | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def add(self, r: Request) -> None:
        self.records.append(r)
        if r.end >= self.load.warmup and self.window_end is None:
            self.measured += 1
            if self.load.requests is not None and self.measured >= self.load.requests:
                self.window_end = r.end + 1e-9
                self.stop.set()


def _code(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "client_timeout"
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()
    return f"client_{name}"


async def login(client: httpx.AsyncClient, creds: Credentials) -> str:
    """A fresh access token for creds (raises on failure)."""
    r = await client.post("/api/auth/login", json={"username": creds.username, "password": creds.password})
    r.raise_for_status()
    return str(r.json()["access_token"])


async def ensure_users(base_url: str, users: list[Credentials]) -> None:
    """Register the load-test users (409 when they exist already is fine)."""
    async with httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=60) as client:
        for creds in users:
            r = await client.post(
                "/api/auth/register", json={"username": creds.username, "password": creds.password}
            )
            if r.status_code not in (201, 409):
                raise RuntimeError(f"registering {creds.username} failed: {r.status_code} {r.text[:200]}")


class Session:
    """Sends requests as the load-test users and records each one."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        users: list[Credentials],
        tokens: list[str],
        images: list[tuple[str, bytes]],
        state: _State,
    ) -> None:
        self.client = client
        self.users = users
        self.tokens = tokens
        self.files = [(n, b, mimetypes.guess_type(n)[0] or "application/octet-stream") for n, b in images]
        self.state = state

    async def ocr(self, n: int) -> None:
        name, body, mime = self.files[n % len(self.files)]
        # no-store: a deployed gateway's result cache would answer the repeated image itself.
        token = self.tokens[n % len(self.tokens)]
        headers = {"Authorization": f"Bearer {token}", "Cache-Control": "no-store"}
        await self._send(
            "ocr", lambda: self.client.post("/api/ocr", files={"image": (name, body, mime)}, headers=headers)
        )

    async def login(self, n: int) -> None:
        creds = self.users[n % len(self.users)]
        body = {"username": creds.username, "password": creds.password}
        await self._send("login", lambda: self.client.post("/api/auth/login", json=body))

    async def op(self, n: int) -> None:
        """The n-th operation of the scenario: mixed puts a login after every LOGIN_EVERY OCRs."""
        if self.state.load.scenario == "mixed" and n % (LOGIN_EVERY + 1) == LOGIN_EVERY:
            await self.login(n)
        else:
            await self.ocr(n)

    async def _send(self, kind: str, call: Callable[[], Awaitable[httpx.Response]]) -> None:
        start = self.state.now()
        status, code, instance = 0, "", ""
        try:
            r = await call()
            status = r.status_code
            instance = r.headers.get("x-served-by", "")
            if not 200 <= status < 300:
                code = _error_code(r)
        except httpx.HTTPError as exc:
            code = _code(exc)
        self.state.add(Request(kind, start, self.state.now() - start, status, code, instance))

    def skipped(self) -> None:
        """An open-loop arrival not sent because the in-flight bound was reached."""
        self.state.add(Request("ocr", self.state.now(), 0.0, 0, "not_sent_in_flight_bound", ""))


def _error_code(r: httpx.Response) -> str:
    with contextlib.suppress(ValueError, KeyError, TypeError):
        return str(r.json()["error"]["code"])
    return "no_error_shape"


async def _closed(session: Session, worker: int, state: _State, end: float) -> None:
    n = worker * 7919  # spread users and images across workers
    while not state.stop.is_set() and state.now() < end:
        await session.op(n)
        n += 1


async def _open(session: Session, state: _State, end: float) -> None:
    tasks: set[asyncio.Task[None]] = set()
    rate = state.load.rate
    i = 0
    while not state.stop.is_set():
        due = i / rate
        if due >= end:
            break
        await asyncio.sleep(max(0.0, due - state.now()))
        if len(tasks) >= state.load.concurrency:
            session.skipped()
        else:
            task = asyncio.create_task(session.op(i))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        i += 1
    if tasks:
        await asyncio.wait(set(tasks))


async def _ticker(state: _State, show: Callable[[float, int, float], None]) -> None:
    last_n, last_t = 0, state.now()
    while True:
        await asyncio.sleep(0.5)
        n, t = len(state.records), state.now()
        show(t, n, (n - last_n) / max(t - last_t, 1e-6))
        last_n, last_t = n, t


async def run_cell(
    base_url: str,
    users: list[Credentials],
    images: list[tuple[str, bytes]],
    load: Load,
    stop: asyncio.Event | None = None,
    show: Callable[[float, int, float], None] | None = None,
) -> CellRun:
    """Log the users in, then load the gateway; in-flight requests finish after the window."""
    pool = max(1, load.concurrency)
    limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=httpx.Timeout(load.timeout), trust_env=False
    ) as client:
        tokens = [await login(client, u) for u in users]
        state = _State(load, time.monotonic())
        session = Session(client, users, tokens, images, state)
        end = load.warmup + load.duration if load.duration is not None else float("inf")
        watcher = asyncio.create_task(_watch(stop, state)) if stop is not None else None
        ticker = asyncio.create_task(_ticker(state, show)) if show is not None else None
        try:
            if load.mode == "open":
                await _open(session, state, end)
            else:
                await asyncio.gather(*(_closed(session, w, state, end) for w in range(load.concurrency)))
        finally:
            for task in (watcher, ticker):
                if task is not None:
                    task.cancel()
        interrupted = stop is not None and stop.is_set()
        window_end = state.window_end if state.window_end is not None else min(end, state.now())
        return CellRun(state.records, load.warmup, window_end, state.t0, interrupted)


async def _watch(stop: asyncio.Event, state: _State) -> None:
    await stop.wait()
    state.stop.set()
