"""A throwaway PostgreSQL server for the tests: initdb + pg_ctl in a temp dir, on 127.0.0.1 only.

PostgreSQL refuses to run as root, so under root the cluster belongs to the `postgres` user
(Debian's package makes it) and its commands run through `runuser`.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

SUPERUSER = "mesh"


class PostgresMissing(RuntimeError):
    """The server binaries are not installed."""


def find_bin_dir() -> Path:
    """Where initdb and pg_ctl are: OCR_MESH_PG_BIN, Debian's newest /usr/lib/postgresql/N/bin, or PATH."""
    if env := os.environ.get("OCR_MESH_PG_BIN"):
        return Path(env)
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if debian:
        return debian[-1].parent
    if found := shutil.which("initdb"):
        return Path(found).resolve().parent
    raise PostgresMissing(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: the user-service tests need a real "
        "PostgreSQL. Install Debian's `postgresql` package (apt-get install postgresql), or point "
        "OCR_MESH_PG_BIN at a folder holding initdb and pg_ctl."
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    def __init__(self) -> None:
        self.bin = find_bin_dir()
        self.owner = "postgres" if os.geteuid() == 0 else None
        self.root = Path(tempfile.mkdtemp(prefix="ocr-mesh-pg-"))
        self.password = secrets.token_urlsafe(18)
        self.port = 0
        if self.owner is not None:
            try:
                entry = pwd.getpwnam(self.owner)
            except KeyError as exc:
                raise PostgresMissing(
                    "running as root, but no `postgres` user exists to own the cluster"
                ) from exc
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.owner is not None:
            cmd = ["runuser", "-u", self.owner, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}{tail}")

    def start(self) -> PostgresCluster:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password)
        if self.owner is not None:
            shutil.chown(pwfile, self.owner)
        self._run(
            "initdb", "-D", str(self.root / "data"), "-U", SUPERUSER, "-E", "UTF8", "--no-sync",
            "--auth=scram-sha-256", f"--pwfile={pwfile}",
        )  # fmt: skip
        pwfile.unlink()
        for _ in range(3):  # the port could be taken between choosing and binding
            self.port = _free_port()
            options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -F -c max_connections=300"
            try:
                self._run("pg_ctl", "-D", str(self.root / "data"), "-l", str(self.root / "server.log"),
                          "-w", "-t", "60", "-o", options, "start")  # fmt: skip
                return self
            except RuntimeError:
                continue
        raise RuntimeError(f"PostgreSQL did not start; see {self.root / 'server.log'}")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database, and its SQLAlchemy URL."""
        name = f"t_{secrets.token_hex(6)}"
        dsn = f"host=127.0.0.1 port={self.port} user={SUPERUSER} password={self.password} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # a name we made: hex only
        return self.url(name)

    def stop(self) -> None:
        try:
            if self.port:
                self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
