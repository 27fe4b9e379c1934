"""A registration flood in its own process, so the client measuring logins meanwhile shares no GIL
with it: `python -m tests.e2e.flood URL` floods until its stdin closes (and 200 were sent at least),
then prints one JSON line per request: [status, error code, milliseconds].

It connects from 127.0.0.2, a peer the gateway does not trust, and names a fresh address in
X-Forwarded-For on every request, as a client trying to dodge a per-address quota would.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import httpx

WORKERS = 4
MINIMUM = 200
PASSWORD = "edge-secret-2026"


def main(url: str) -> None:
    # A real attacker's client runs on its own machine; this one shares our two cores, so it
    # yields them: what the logins then feel is the work the flood makes the mesh do.
    os.nice(19)
    results: list[tuple[int, str, float]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def wait_for_eof() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=wait_for_eof, daemon=True).start()

    def flood(worker: int) -> None:
        transport = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(base_url=url, transport=transport, trust_env=False, timeout=60) as c:
            i = 0
            while not stop.is_set() or len(results) < MINIMUM:
                name = f"junk_{worker}_{i}_{time.monotonic_ns() % 10**9}"
                started = time.perf_counter()
                r = c.post(
                    "/api/auth/register",
                    json={"username": name, "password": PASSWORD},
                    headers={"X-Forwarded-For": f"203.0.113.{i % 250 + 1}"},
                )
                took = (time.perf_counter() - started) * 1000
                code = "" if r.status_code == 201 else str(r.json().get("error", {}).get("code", ""))
                with lock:
                    results.append((r.status_code, code, took))
                i += 1

    workers = [threading.Thread(target=flood, args=(w,)) for w in range(WORKERS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for row in results:
        print(json.dumps(row))


if __name__ == "__main__":
    main(sys.argv[1])
