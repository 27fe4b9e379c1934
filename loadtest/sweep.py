"""The sweep: cells of OCR instances × user-service instances × load level, each on a rescaled mesh."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import psutil

from loadtest.compose import Mesh, make_mesh
from loadtest.image_kinds import load_images
from loadtest.mesh import GATEWAY_ENV
from loadtest.physical import FairLimit
from loadtest.progress import Progress
from loadtest.prometheus_series import cell_series, wait_scraped, wall_clock
from loadtest.results import ResultsDir, machine
from loadtest.runner import CellRun, Credentials, Load, ensure_users, login, run_cell
from loadtest.sampler import Sampler
from loadtest.stats import cell_figures, started_in
from mesh.names import OCR_SERVICE, USER_SERVICE


@dataclass
class SweepConfig:
    ocr: list[int]
    users: list[int]
    levels: list[float]  # closed: concurrency; open: arrival rate
    load: Load
    out: Path
    images: list[Path] = field(default_factory=list)
    kind: str = "card"  # without images: the rendered card, A4 scan or phone photo (image_kinds)
    data_dir: Path | None = None
    nacos_kind: str = "java"
    nacos_port: int | None = None
    physical_seconds: float = 20.0  # 0 skips the physical limit
    compare_locust: tuple[int, int, int] | None = None  # (ocr, users, concurrency)
    accounts: int = 4
    gateway_url: str | None = None  # a running gateway: measured as it is (or the compose one's URL)
    compose: Path | None = None  # a compose project's folder: rescaled with `docker compose --scale`
    monitor: bool = False  # start Prometheus beside the local mesh and keep its series per cell
    prometheus: str | None = None  # or read them from this Prometheus (e.g. the compose one)


@dataclass(frozen=True)
class Cell:
    ocr: int
    users: int
    level: float
    mode: str

    @property
    def name(self) -> str:
        load = f"c{int(self.level)}" if self.mode == "closed" else f"r{self.level:g}"
        return f"o{self.ocr}-u{self.users}-{load}"


def plan(cfg: SweepConfig) -> list[Cell]:
    """Every cell, ordered so that consecutive cells rescale as little as possible."""
    cells = []
    for i, ocr in enumerate(cfg.ocr):
        users = cfg.users if i % 2 == 0 else cfg.users[::-1]
        cells += [Cell(ocr, u, level, cfg.load.mode) for u in users for level in cfg.levels]
    return cells


class Stopper:
    """Ctrl-C and SIGTERM end the current cell early; the sweep then stops and cleans up."""

    def __init__(self) -> None:
        self.stopped = False
        self.event: asyncio.Event | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.stopped and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop waiting at once
        self.stopped = True
        if self.loop is not None and self.event is not None:
            self.loop.call_soon_threadsafe(self.event.set)

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        old = {s: signal.signal(s, self) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, handler in old.items():
                signal.signal(s, handler)


class Sweep:
    def __init__(self, cfg: SweepConfig, argv: list[str]) -> None:
        self.cfg = cfg
        self.results = ResultsDir(cfg.out)
        self.progress = Progress()
        self.stopper = Stopper()
        self.images = load_images(cfg.images, cfg.kind)
        self.limit: FairLimit | None = None
        self.accounts = [
            Credentials(f"loadtest_{i}", f"loadtest-secret-{i}-long") for i in range(cfg.accounts)
        ]
        self.results.data["machine"] = machine(cfg.nacos_kind, argv)
        self.results.data["config"] = {
            **{k: v for k, v in dataclasses.asdict(cfg).items() if k not in ("load", "out", "data_dir")},
            "load": dataclasses.asdict(cfg.load),
            "images": [name for name, _ in self.images],
            "image_bytes": [len(b) for _, b in self.images],
            "gateway_env": GATEWAY_ENV if cfg.gateway_url is None and cfg.compose is None else "as deployed",
            "cells_planned": [c.name for c in plan(cfg)],
        }

    def run(self) -> int:
        with self.stopper.installed():
            self.results.save()
            if self.cfg.physical_seconds > 0:
                cores, secs = psutil.cpu_count() or 1, self.cfg.physical_seconds
                self.progress.say(f"physical limit: raw PaddleOCR in {cores} process(es), {secs:g} s windows")
                self.limit = FairLimit(self.images[0][1], secs, cores)
            try:
                return self.run_mesh()
            finally:
                if self.limit is not None:
                    self.limit.close()

    def run_mesh(self) -> int:
        if self.stopper.stopped:
            return 130
        cfg = self.cfg
        data_dir = cfg.data_dir or Path(tempfile.mkdtemp(prefix="ocr-mesh-loadtest-"))
        self.progress.say(f"mesh data and logs in {data_dir}")
        mesh = make_mesh(
            data_dir, cfg.nacos_kind, cfg.nacos_port, cfg.gateway_url, cfg.compose, monitor=cfg.monitor
        )
        try:
            return self.cells(mesh)
        finally:
            self.progress.say("stopping the mesh ...")
            for line in mesh.close():
                self.progress.say("  " + line)

    def physical(self, when: str, mesh: Mesh) -> None:
        """The raw library's limit, measured between cells (loadtest.physical.FairLimit)."""
        if self.limit is None or self.stopper.stopped:
            return
        for result in self.limit.measure(when, list(mesh.pids())):
            busy = "" if result.quiet else " (the machine was busy: not counted as a limit)"
            self.progress.say(
                f"physical limit {when}, {result.processes} process(es): "
                f"{result.images_per_second:.2f} images/s, other CPU {result.other_cpu_percent:.0f}%{busy}"
            )
            self.results.data["physical"].append(result.to_dict())
        self.results.save()

    def cells(self, mesh: Mesh) -> int:
        cells = plan(self.cfg)
        mesh.start(cells[0].ocr, cells[0].users)
        asyncio.run(ensure_users(mesh.url, self.accounts))
        for i, cell in enumerate(cells, 1):
            if i == 1 or cell.ocr != cells[i - 2].ocr:
                self.physical(f"before {cell.name}", mesh)  # raw, cells, raw, cells, ..., raw
            if self.stopper.stopped:
                break
            mesh.token = asyncio.run(_token(mesh.url, self.accounts[0]))
            for line in mesh.scale(cell.ocr, cell.users):
                self.progress.say("  " + line)
            prometheus = self.cfg.prometheus or mesh.prometheus
            if prometheus:
                with httpx.Client(timeout=10, trust_env=False) as client:
                    if not wait_scraped(prometheus, cell.ocr, client):
                        self.progress.say("  Prometheus has not scraped every OCR node twice yet")
            self.progress.cell(f"cell {i}/{len(cells)} {cell.name}")
            run, sampler = self.run_one(mesh, cell)
            if run.interrupted:
                self.progress.say(f"stopped during {cell.name}; it is not saved")
                break
            self.save(cell, mesh, run, sampler)
            if self.cfg.compare_locust == (cell.ocr, cell.users, int(cell.level)) and cell.mode == "closed":
                from loadtest.compare import compare_with_locust

                self.progress.say(f"running Locust on {cell.name} for comparison ...")
                self.results.data["locust"] = compare_with_locust(
                    mesh.url,
                    self.accounts,
                    self.images[0],
                    cell.name,
                    self.cfg.load,
                    int(cell.level),
                    self.results.data["cells"][-1],
                    self.cfg.out,
                )
                self.results.save()
        self.physical("after the last cell", mesh)
        done = len(self.results.data["cells"])
        self.progress.say(f"{done}/{len(cells)} cells saved in {self.cfg.out}")
        return 0 if done == len(cells) else 130

    def run_one(self, mesh: Mesh, cell: Cell) -> tuple[CellRun, Sampler]:
        load = self.cfg.load
        if cell.mode == "open":
            load = dataclasses.replace(load, rate=cell.level)
        else:
            load = dataclasses.replace(load, concurrency=int(cell.level))
        total = load.warmup + load.duration if load.duration is not None else None

        def show(elapsed: float, done: int, rps: float) -> None:
            self.progress.show(elapsed, total, done, rps)

        async def go() -> CellRun:
            self.stopper.event = asyncio.Event()
            self.stopper.loop = asyncio.get_running_loop()
            if self.stopper.stopped:
                self.stopper.event.set()
            users = self.accounts[: max(1, min(len(self.accounts), load.concurrency))]
            return await run_cell(mesh.url, users, self.images, load, self.stopper.event, show)

        with Sampler(mesh.pids() | {os.getpid(): "loadgen"}) as sampler:
            run = asyncio.run(go())
        self.stopper.event = self.stopper.loop = None
        return run, sampler

    def save(self, cell: Cell, mesh: Mesh, run: CellRun, sampler: Sampler) -> None:
        measured = started_in(run.requests, run.window_start, run.window_end)
        ocr = cell_figures([r for r in run.requests if r.kind == "ocr"], run.window_start, run.window_end)
        login = cell_figures([r for r in run.requests if r.kind == "login"], run.window_start, run.window_end)
        record: dict[str, Any] = {
            "cell": cell.name,
            "mode": cell.mode,
            "scenario": self.cfg.load.scenario,
            "ocr": cell.ocr,
            "users": cell.users,
            "concurrency": int(cell.level) if cell.mode == "closed" else self.cfg.load.concurrency,
            "rate": cell.level if cell.mode == "open" else None,
            "warmup": run.window_start,
            **dataclasses.asdict(ocr),
            "login_requests": login.requests,
            "login_failures": login.failures,
            "login_p50": login.p50,
            "login_p95": login.p95,
            "sent_total": len(run.requests),
            "drained_after_window": sum(1 for r in run.requests if r.end >= run.window_end),
            "instances": {s: [p.port for p in mesh.running(s)] for s in (OCR_SERVICE, USER_SERVICE)},
            "resources": sampler.summary(run.t0 + run.window_start, run.t0 + run.window_end),
        }
        prometheus = self.cfg.prometheus or mesh.prometheus
        if prometheus:
            start, end = wall_clock(run.t0 + run.window_start), wall_clock(run.t0 + run.window_end)
            try:
                with httpx.Client(timeout=10, trust_env=False) as client:
                    record["prometheus"] = cell_series(prometheus, start, end, client)
            except httpx.HTTPError as exc:
                self.progress.say(f"  Prometheus series not kept: {exc}")
        window = set(map(id, measured))
        self.results.add_cell(record, ((r, id(r) in window) for r in run.requests))
        self.progress.say(
            f"{cell.name}: {ocr.throughput:.2f} img/s, p50 {ocr.p50:.2f} s, p95 {ocr.p95:.2f} s, "
            f"failures {ocr.failures}/{ocr.requests}"
        )


async def _token(url: str, creds: Credentials) -> str:
    async with httpx.AsyncClient(base_url=url, trust_env=False, timeout=60) as client:
        return await login(client, creds)


def main_sweep(cfg: SweepConfig) -> int:
    """Run the sweep; finished cells are on disk whatever happens."""
    started = time.monotonic()
    code = Sweep(cfg, ["ocr-mesh", *sys.argv[1:]]).run()
    print(f"sweep took {(time.monotonic() - started) / 60:.1f} min", file=sys.stderr)
    return code
