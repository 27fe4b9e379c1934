"""One updating status line for long runs: current cell, elapsed, requests done, live RPS."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Rewrites one line on a terminal; elsewhere prints a plain line every `every` seconds."""

    def __init__(self, stream: TextIO | None = None, every: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every = every
        self.label = ""
        self._last = 0.0
        self._started = time.monotonic()
        self._width = 0

    def cell(self, label: str) -> None:
        self.label = label

    def show(self, elapsed: float, total: float | None, done: int, rps: float) -> None:
        whole = time.monotonic() - self._started
        span = f"{elapsed:5.1f}/{total:.0f}s" if total else f"{elapsed:5.1f}s"
        line = f"[{whole / 60:5.1f} min] {self.label}  {span}  done={done}  rps={rps:5.2f}"
        if self.tty:
            pad = max(0, self._width - len(line))
            self.stream.write("\r" + line + " " * pad)
            self._width = len(line)
            self.stream.flush()
        elif time.monotonic() - self._last >= self.every:
            self._last = time.monotonic()
            print(line, file=self.stream, flush=True)

    def say(self, message: str) -> None:
        """A message on its own line (the status line is redrawn on the next show)."""
        if self.tty and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0
        print(message, file=self.stream, flush=True)
