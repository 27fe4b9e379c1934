"""How each real Nacos server is installed and started: r-nacos and the Java Nacos 3.1 server."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from string import Template
from typing import Protocol

from mesh.nacos_http import READINESS_V3
from mesh_tools.launcher.procs import LaunchError

RNACOS_VERSION = "0.8.8"
JAVA_NACOS_VERSION = "3.1.0"
NACOS_DIR = Path(__file__).resolve().parents[2] / "nacos"


def tools_dir() -> Path:
    """Where built tools are cached across clones (a fresh clone reuses them)."""
    return Path(os.environ.get("OCR_MESH_TOOLS_DIR", Path.home() / ".cache" / "ocr-mesh" / "tools"))


class ServerSpec(Protocol):
    """What a backend reads of the server it starts (server.NacosServer has it all)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def console_port(self) -> int: ...
    @property
    def home(self) -> Path: ...
    @property
    def members(self) -> tuple[str, ...]: ...
    def credentials(self) -> dict[str, str]: ...


class Backend(Protocol):
    name: str
    version: str
    readiness_path: str

    def install(self) -> None: ...

    def command(self, server: ServerSpec) -> tuple[list[str], dict[str, str]]: ...

    def ports(self, server: ServerSpec) -> list[int]: ...


def _run(args: list[str], what: str) -> None:
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n  ".join((result.stdout + result.stderr).splitlines()[-12:])
        raise LaunchError(f"{what} failed (download or build error):\n  {tail}")


class RNacos:
    """r-nacos from crates.io: one small binary, v1 HTTP + 2.x gRPC, built once with cargo."""

    name = "rnacos"
    version = RNACOS_VERSION
    readiness_path = "/health"  # open even with auth on (the console readiness URL needs a token)

    @property
    def binary(self) -> Path:
        return tools_dir() / f"rnacos-{RNACOS_VERSION}" / "bin" / "rnacos"

    def install(self) -> None:
        if self.binary.exists():
            return
        cargo = shutil.which("cargo")
        if cargo is None:
            raise LaunchError("r-nacos is not built and cargo is missing: install Rust (rustup) first")
        print(f"building r-nacos {RNACOS_VERSION} with cargo (once; several minutes)", flush=True)
        root = str(self.binary.parent.parent)
        _run([cargo, "install", "rnacos", "--locked", "--version", RNACOS_VERSION, "--root", root], "cargo")

    def ports(self, server: ServerSpec) -> list[int]:
        return [server.port, server.port + 1000, server.console_port]

    def command(self, server: ServerSpec) -> tuple[list[str], dict[str, str]]:
        if server.members:
            raise LaunchError("r-nacos cluster nodes are started by tests/faults/test_multi_host.py")
        creds = server.credentials()
        (server.home / "data").mkdir(parents=True, exist_ok=True)
        (server.home / "rnacos.env").touch()
        env = {
            **os.environ,
            "RNACOS_ENV_FILE": str(server.home / "rnacos.env"),
            "RNACOS_HTTP_PORT": str(server.port),
            "RNACOS_GRPC_PORT": str(server.port + 1000),
            "RNACOS_HTTP_CONSOLE_PORT": str(server.console_port),
            "RNACOS_SDK_HOST": server.host,
            "RNACOS_CONSOLE_HOST": server.host,
            "RNACOS_DATA_DIR": str(server.home / "data"),
            "RNACOS_ENABLE_OPEN_API_AUTH": "true",
            "RNACOS_ENABLE_NO_AUTH_CONSOLE": "false",
            "RNACOS_INIT_ADMIN_USERNAME": creds["username"],
            "RNACOS_INIT_ADMIN_PASSWORD": creds["password"],
            "RNACOS_HTTP_WORKERS": "2",
            "RUST_LOG": "warn",
        }
        return [str(self.binary)], env


class JavaNacos:
    """The Java Nacos 3.1 server modules from Maven Central, started by our small launcher."""

    name = "java"
    version = JAVA_NACOS_VERSION
    readiness_path = READINESS_V3

    @property
    def lib(self) -> Path:
        return tools_dir() / f"nacos-java-{JAVA_NACOS_VERSION}" / "lib"

    @property
    def jar(self) -> Path:
        return self.lib / "ocr-mesh-nacos-launcher.jar"

    @staticmethod
    def sources_hash() -> str:
        """The launcher's pom and Java sources: a jar built from other sources is rebuilt."""
        java = NACOS_DIR / "java"
        digest = hashlib.sha256()
        for path in [java / "pom.xml", *sorted((java / "src").rglob("*.java"))]:
            digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    def install(self) -> None:
        stamp, sources = self.lib / "launcher.sources", self.sources_hash()
        if self.jar.exists() and stamp.exists() and stamp.read_text() == sources:
            return
        mvn, java = shutil.which("mvn"), shutil.which("java")
        if java is None or mvn is None:
            raise LaunchError("the Java Nacos server needs Java 17+ and Maven: install openjdk-17 and maven")
        print(f"building the Nacos {JAVA_NACOS_VERSION} launcher with Maven (first time: ~2 min)", flush=True)
        pom = NACOS_DIR / "java" / "pom.xml"
        data = f"-Dnacos.data.dir={self.lib.parent}"
        _run([mvn, "-q", "-B", "-f", str(pom), data, "package"], "mvn package")
        if not self.jar.exists():
            raise LaunchError(f"mvn finished but {self.jar} is missing")
        stamp.write_text(sources)

    def ports(self, server: ServerSpec) -> list[int]:
        p = server.port
        return [p, p + 1000, p + 1001, p - 1000, server.console_port]

    def command(self, server: ServerSpec) -> tuple[list[str], dict[str, str]]:
        creds = server.credentials()
        conf = server.home / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        template = Template((NACOS_DIR / "java" / "application.properties.in").read_text())
        (conf / "application.properties").write_text(
            template.substitute(
                main_port=server.port,
                console_port=server.console_port,
                host=server.host,
                home=server.home,
                identity_key=creds["identity_key"],
                identity_value=creds["identity_value"],
                token_secret=creds["token_secret"],
            )
        )
        os.chmod(conf / "application.properties", 0o600)
        # A cluster: every node lists all members (itself included) in conf/cluster.conf and keeps
        # its data in Derby replicated by JRaft (embeddedStorage); raft listens on port - 1000.
        (conf / "cluster.conf").unlink(missing_ok=True)
        mode = ["-Dnacos.standalone=true"]
        if server.members:
            (conf / "cluster.conf").write_text("".join(f"{m}\n" for m in server.members))
            mode = ["-Dnacos.standalone=false", "-DembeddedStorage=true"]
        args = [
            "java",
            "-Xms128m",
            "-Xmx256m",
            "-XX:MaxMetaspaceSize=192m",
            "-XX:ReservedCodeCacheSize=64m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Xss512k",
            *mode,
            "-Dnacos.deployment.type=merged",
            f"-Dnacos.home={server.home}",
            f"-Dnacos.server.main.port={server.port}",
            f"-Dnacos.console.port={server.console_port}",
            "-jar",
            str(self.jar),
            f"--spring.config.additional-location=file:{conf}/",
            "--logging.config=classpath:META-INF/logback/nacos.xml",
        ]
        return args, dict(os.environ)


BACKENDS: dict[str, Backend] = {"java": JavaNacos(), "rnacos": RNacos()}
