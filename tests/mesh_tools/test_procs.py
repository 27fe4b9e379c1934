"""A port asked for by number: waited for while a killed process lets it go, refused if it stays held."""

from __future__ import annotations

import socket
import threading
import time

from mesh_tools.launcher.procs import port_free, wait_port_free


def _listen() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_a_port_let_go_meanwhile_is_waited_for() -> None:
    sock = _listen()
    port = sock.getsockname()[1]
    assert not port_free("127.0.0.1", port)
    threading.Timer(0.3, sock.close).start()
    started = time.monotonic()
    assert wait_port_free("127.0.0.1", port, timeout=5)
    assert 0.2 < time.monotonic() - started < 5


def test_a_port_still_held_is_refused_at_the_timeout() -> None:
    with _listen() as sock:
        started = time.monotonic()
        assert not wait_port_free("127.0.0.1", sock.getsockname()[1], timeout=0.3)
        assert time.monotonic() - started >= 0.3
