"""User-service login throughput: 1 and then 2 real instances on one data folder (one database).

Each instance is `python -m user_service` (Nacos off, its own port). Logins go round-robin across
the running instances from an httpx async client at a few concurrency levels. Every login is one
Argon2id verification, so the figure is bounded by hash time × CPU cores.

    PYTHONPATH=. python benchmarks/login_throughput.py [--seconds 5] [--concurrency 1 4 16]
                                                      [--database-url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mesh_tools.launcher.procs import next_free_port  # noqa: E402
from user_service.security import PASSWORDS  # noqa: E402

PASSWORD = "bench-password-42"


def hash_profile() -> str:
    """The Argon2 parameters in force and how long one hash and one verification take here."""
    hashed = PASSWORDS.hash(PASSWORD)
    params = hashed.split("$")[3]
    hash_ms, verify_ms = [], []
    for _ in range(7):
        started = time.perf_counter()
        PASSWORDS.hash(PASSWORD)
        hash_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        PASSWORDS.verify(PASSWORD, hashed)
        verify_ms.append((time.perf_counter() - started) * 1000)
    return (
        f"argon2id {params} (m KiB, t passes, p lanes; OWASP's first profile m=19456,t=2,p=1): "
        f"hash {statistics.median(hash_ms):.1f} ms, verify {statistics.median(verify_ms):.1f} ms "
        f"(median of 7, one thread)"
    )


def start_instance(data_dir: Path, port: int, database_url: str | None) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OCR_MESH_NACOS_ENABLED": "false",
        "OCR_MESH_PORT": str(port),
        "OCR_MESH_DATA_DIR": str(data_dir),
        "OCR_MESH_LOG_LEVEL": "WARNING",
    }
    if database_url:
        env["OCR_MESH_DATABASE_URL"] = database_url
    return subprocess.Popen([sys.executable, "-m", "user_service"], env=env, cwd=ROOT)


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the instance at {url} exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the instance at {url} was not ready in {timeout:.0f} s")


async def register_users(url: str, count: int) -> list[str]:
    names = [f"bench{i:03d}" for i in range(count)]
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        for name in names:
            r = await client.post("/auth/register", json={"username": name, "password": PASSWORD})
            if r.status_code not in (201, 409):
                raise RuntimeError(f"register {name}: {r.status_code} {r.text}")
    return names


async def measure(urls: list[str], names: list[str], concurrency: int, seconds: float) -> dict[str, float]:
    """Logins for `seconds` from `concurrency` workers, round-robin across `urls`."""
    targets = itertools.cycle(urls)
    users = itertools.cycle(names)
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(
        max_connections=concurrency * len(urls), max_keepalive_connections=concurrency * len(urls)
    )
    async with httpx.AsyncClient(timeout=60.0, limits=limits) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                r = await client.post(
                    f"{next(targets)}/auth/login", json={"username": next(users), "password": PASSWORD}
                )
                if r.status_code == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    ordered = sorted(latencies) or [0.0]
    return {
        "logins": len(latencies),
        "errors": errors,
        "seconds": elapsed,
        "rate": len(latencies) / elapsed,
        "p50": ordered[len(ordered) // 2] * 1000,
        "p95": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="measuring time per row")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temp data folder")
    args = parser.parse_args()

    print(hash_profile())
    backend = "PostgreSQL" if args.database_url else "SQLite (WAL), one file shared by the instances"
    print(f"machine: {os.cpu_count()} CPU cores; {args.seconds:.0f} s per row; database: {backend}")
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="ocr-mesh-bench-") as tmp:
        data_dir = Path(tmp)
        try:
            urls: list[str] = []
            rows = []
            for _ in range(2):
                port = next_free_port("127.0.0.1", 18001 + len(urls))
                procs.append(start_instance(data_dir, port, args.database_url))
                urls.append(f"http://127.0.0.1:{port}")
                wait_ready(urls[-1], procs[-1])
                names = asyncio.run(register_users(urls[0], args.users))
                asyncio.run(measure(urls, names, 2, 1.0))  # warm-up: connections, first hashes
                for concurrency in args.concurrency:
                    rows.append(
                        (len(urls), concurrency, asyncio.run(measure(urls, names, concurrency, args.seconds)))
                    )
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)

    print()
    print("| instances | concurrency | logins | errors | logins/s | p50 ms | p95 ms |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for instances, concurrency, r in rows:
        print(
            f"| {instances} | {concurrency} | {r['logins']:.0f} | {r['errors']:.0f} | {r['rate']:.1f} "
            f"| {r['p50']:.0f} | {r['p95']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
