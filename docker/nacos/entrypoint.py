"""Start the Java Nacos server in a container: write conf/application.properties, exec java.

The template is nacos/java/application.properties.in (the same file `ocr-mesh nacos` fills);
secrets come from the environment the official image reads (NACOS_AUTH_TOKEN,
NACOS_AUTH_IDENTITY_KEY, NACOS_AUTH_IDENTITY_VALUE). HTTP binds every interface; Nacos
advertises the container's own address.
"""

from __future__ import annotations

import os
import re
import socket
import sys
from pathlib import Path
from string import Template


def need(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        sys.exit(f"nacos: set {name} (see .env.example)")
    return value


def main() -> None:
    home = Path(os.environ.get("NACOS_HOME", "/home/nacos"))
    port, console = os.environ.get("NACOS_PORT", "8848"), os.environ.get("NACOS_CONSOLE_PORT", "8088")
    conf = home / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    text = Template(Path("/opt/nacos/application.properties.in").read_text()).substitute(
        main_port=port,
        console_port=console,
        host=socket.gethostbyname(socket.gethostname()),
        home=home,
        identity_key=need("NACOS_AUTH_IDENTITY_KEY"),
        identity_value=need("NACOS_AUTH_IDENTITY_VALUE"),
        token_secret=need("NACOS_AUTH_TOKEN"),
    )
    text = re.sub(r"(?m)^server\.address=.*$", "server.address=0.0.0.0", text)
    props = conf / "application.properties"
    props.write_text(text)
    props.chmod(0o600)
    args = [
        "java",
        f"-Xms{os.environ.get('JVM_XMS', '128m')}",
        f"-Xmx{os.environ.get('JVM_XMX', '256m')}",
        "-XX:MaxMetaspaceSize=192m",
        "-XX:ReservedCodeCacheSize=64m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-Xss512k",
        "-Dnacos.standalone=true",
        "-Dnacos.deployment.type=merged",
        f"-Dnacos.home={home}",
        f"-Dnacos.server.main.port={port}",
        f"-Dnacos.console.port={console}",
        "-jar",
        "/opt/nacos/lib/ocr-mesh-nacos-launcher.jar",
        f"--spring.config.additional-location=file:{conf}/",
        "--logging.config=classpath:META-INF/logback/nacos.xml",
    ]
    os.execvp("java", args)


if __name__ == "__main__":
    main()
