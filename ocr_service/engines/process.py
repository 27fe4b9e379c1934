"""An engine whose model runs in a child process, so a model call never holds the node's GIL.

Paddle Inference's Python binding keeps the GIL for the whole of `predictor.run()` (it lets go
only on Ascend builds). In the node's process that froze the event loop and the decode and QR
thread for as long as each model call ran (~150 ms for a page's detection, seconds for a dense
page): uploads were not read, /health and /metrics waited, and the node's own work could not
overlap the model's. Here the model lives in a child process; the engine thread sends it an
image and waits on the pipe, which releases the GIL. Calls still go one at a time.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import numpy as np

from mesh.errors import ServiceUnavailable
from ocr_service.config import OcrSettings
from ocr_service.engines.base import OcrEngine
from ocr_service.layout import OcrLine
from ocr_service.memory import release_free_memory

log = logging.getLogger(__name__)
STOP_SECONDS = 10.0


class EngineLost(ServiceUnavailable):
    """The model's process died during a call (killed, out of memory); the next call starts another."""

    def __init__(self, why: str) -> None:
        super().__init__(
            f"the OCR engine's process ended ({why}); it is being restarted, try again shortly",
            code="engine_restarting",
            retry_after=10,
        )


def _serve(conn: Connection, inner: type[OcrEngine], settings: OcrSettings) -> None:
    """The child: load `inner`'s model, then answer ("infer", image) and ("release",) until
    None, or until the parent is gone (end of file on the pipe)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops us
    engine = inner(settings)
    try:
        conn.send(("ready", engine.load_here()))
    except Exception as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    while True:
        try:
            command = conn.recv()
        except EOFError:
            return
        if command is None:
            return
        try:
            result: Any = engine.infer_here(command[1]) if command[0] == "infer" else release_free_memory()
        except Exception as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
        else:
            conn.send(("ok", result))


class ProcessEngine(OcrEngine):
    """`inner` (PaddleEngine, RapidOcrEngine) with its model in a child process."""

    def __init__(self, settings: OcrSettings, inner: type[OcrEngine]) -> None:
        super().__init__(settings)
        self.name = inner.name
        self._inner = inner
        self._conn: Connection | None = None
        self._proc: BaseProcess | None = None

    @property
    def pid(self) -> int | None:
        """The model's process (its CPU and memory are the node's too)."""
        return None if self._proc is None else self._proc.pid

    def _load(self) -> None:
        # spawn: a fork of this process would copy its threads' locks in whatever state they are
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        args = (theirs, self._inner, self.settings)
        proc = context.Process(target=_serve, args=args, name=f"ocr-{self.name}-model", daemon=True)
        proc.start()
        theirs.close()
        self._conn, self._proc = ours, proc
        kind, payload = self._ask(None)
        if kind != "ready":
            self._stop()
            raise RuntimeError(f"the {self.name} engine's process did not load its model: {payload}")
        log.info("%s model loaded in process %s", self.name, proc.pid)

    def _ask(self, command: tuple[str, Any] | None) -> tuple[str, Any]:
        """Send a command (None: only wait for the next message) and read the answer."""
        assert self._conn is not None
        try:
            if command is not None:
                self._conn.send(command)
            answer: tuple[str, Any] = self._conn.recv()
        except (EOFError, OSError) as exc:
            code = None if self._proc is None else self._proc.exitcode
            self._stop()
            raise EngineLost(f"exit code {code}" if code is not None else type(exc).__name__) from None
        return answer

    def _infer(self, image: np.ndarray) -> list[OcrLine]:
        if self._conn is None:  # lost during an earlier call: load again (readiness stays as it was)
            log.warning("starting the %s engine's process again", self.name)
            self._load()
        kind, payload = self._ask(("infer", image))
        # this side's heap held the upload, its decode and the pickled image: ~0.1 GB kept otherwise
        # (docs/performance.md, Memory); the model's side keeps its own, which it reuses
        release_free_memory()
        if kind == "error":
            raise RuntimeError(payload)
        lines: list[OcrLine] = payload
        return lines

    def _release_memory(self) -> None:
        self._ask(("release", None))
        release_free_memory()

    def _stop(self) -> None:
        conn, proc, self._conn, self._proc = self._conn, self._proc, None, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.send(None)
            conn.close()
        if proc is not None:
            proc.join(STOP_SECONDS)
            if proc.is_alive():
                proc.kill()
                proc.join(STOP_SECONDS)

    def _unload(self) -> None:
        self._stop()
