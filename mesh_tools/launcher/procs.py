"""Start, find and stop background processes by pid file, and wait for ports and URLs."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx


class LaunchError(Exception):
    """Something the launcher could not do, said plainly."""


def port_free(host: str, port: int) -> bool:
    """Free on `host` and on the wildcard address: Java Nacos binds gRPC and JRaft on all
    interfaces, so a port held on any address would make it fail later."""
    for address in dict.fromkeys((host, "0.0.0.0")):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((address, port))
            except OSError:
                return False
    return True


def wait_port_free(host: str, port: int, timeout: float) -> bool:
    """Until the port is free, at most `timeout` s: a process just killed keeps its sockets until
    its last thread has exited, which on a busy machine comes a little after the process is gone."""
    deadline = time.monotonic() + timeout
    while not port_free(host, port):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def next_free_port(host: str, start: int, taken: set[int] | None = None) -> int:
    port = start
    while port < 65535:
        if port not in (taken or set()) and port_free(host, port):
            return port
        port += 1
    raise LaunchError(f"no free port on {host} from {start} up")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if alive(pid) else None


def spawn(
    args: list[str], *, log: Path, pid_file: Path, env: dict[str, str], cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start a detached process that outlives this command, logging to a file."""
    log.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    pid_file.write_text(str(proc.pid))
    return proc


def stop_pid(pid: int, timeout: float = 35.0) -> bool:
    """SIGTERM, wait for a graceful exit, then SIGKILL. True if it stopped gracefully."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        if not alive(pid):
            return True
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return False


def wait_http(
    url: str, timeout: float, proc: subprocess.Popen[bytes] | int | None = None, log: Path | None = None
) -> None:
    """Wait for a 200 from url; fail early, with the log's tail, if the process (or pid) dies.

    Checking the process first matters: another program may answer on the same port.
    """
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if isinstance(proc, int) and not alive(proc):
                raise LaunchError(f"process {proc} exited before it was ready{_tail(log)}")
            if isinstance(proc, subprocess.Popen) and proc.poll() is not None:
                raise LaunchError(
                    f"process exited with code {proc.returncode} before it was ready{_tail(log)}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if client.get(url).status_code == 200:
                    return
            time.sleep(0.2)
    raise LaunchError(f"{url} was not ready within {timeout:.0f} s{_tail(log)}")


def _tail(log: Path | None, lines: int = 15) -> str:
    if log is None or not log.exists():
        return ""
    text = log.read_text(errors="replace").splitlines()[-lines:]
    return f"; last lines of {log}:\n  " + "\n  ".join(text)
