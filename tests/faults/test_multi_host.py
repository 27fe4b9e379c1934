"""More than one host: OCR instances in their own network namespaces, and a three-node Nacos cluster.

The namespace test runs the default Nacos server (Java Nacos; OCR_MESH_NACOS_KIND picks
another) with its HTTP port bound to the host side of the bridge, so the namespaces reach it
there. The cluster test runs three Java Nacos nodes on loopback (cluster.conf, Derby
replicated by JRaft), or three r-nacos raft nodes with OCR_MESH_NACOS_KIND=rnacos where r-nacos
is built. The OCR instances are the small upstream servers (tests/e2e/upstream.py): the model
is beside the point.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mesh.names import GATEWAY, OCR_SERVICE, USER_SERVICE
from mesh_tools.launcher.launcher import REPO_ROOT, Launcher, Proc
from mesh_tools.launcher.procs import LaunchError, spawn, stop_pid, wait_http
from mesh_tools.nacos_server.backends import RNacos
from mesh_tools.nacos_server.server import NacosServer, default_kind, start_cluster
from tests.faults.conftest import OPEN_LIMITS
from tests.faults.support import (
    UPSTREAM,
    Load,
    gateway_addresses,
    gateway_ports,
    login,
    nacos_hosts,
    report,
    start,
    wait_for,
    wait_ready,
)
from tests.support import free_base_port

GATEWAY_ENV = OPEN_LIMITS | {"OCR_MESH_OCR_ATTEMPT_TIMEOUT": "3", "OCR_MESH_OCR_STRATEGY": "round_robin"}


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=10)


def _needs_rnacos() -> None:
    if not RNacos().binary.exists():
        pytest.skip(
            f"r-nacos is not built ({RNacos().binary}); `OCR_MESH_NACOS_KIND=rnacos ocr-mesh nacos start`"
        )


@dataclass
class Hosts:
    """Two namespaces ("hosts") on a bridge of our own: host side .1, namespaces .11 and .12."""

    tag: str
    subnet: str
    namespaces: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # host-side veth of each namespace

    @property
    def bridge(self) -> str:
        return f"ofbr{self.tag}"

    @property
    def host_ip(self) -> str:
        return f"{self.subnet}.1"

    def ns_ip(self, i: int) -> str:
        return f"{self.subnet}.{11 + i}"


@pytest.fixture
def hosts() -> Iterator[Hosts]:
    if shutil.which("ip") is None:
        pytest.skip("iproute2 (`ip`) is not installed")
    tag = f"{os.getpid() % 10000}"
    probe = _ip("netns", "add", f"ofprobe{tag}", check=False)
    if probe.returncode != 0:
        pytest.skip(f"`ip netns add` is not permitted here: {probe.stderr.strip()}")
    _ip("netns", "del", f"ofprobe{tag}", check=False)
    used = _ip("-4", "addr").stdout
    third = next(n for n in range(77, 250) if f"10.{n}.0." not in used)
    h = Hosts(tag, f"10.{third}.0")
    try:
        _ip("link", "add", h.bridge, "type", "bridge")
        _ip("addr", "add", f"{h.host_ip}/24", "dev", h.bridge)
        _ip("link", "set", h.bridge, "up")
        for i in range(2):
            ns, outside = f"ofns{tag}{i}", f"ofv{tag}{i}"
            _ip("netns", "add", ns)
            h.namespaces.append(ns)
            _ip("link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", ns)
            h.links.append(outside)
            _ip("link", "set", outside, "master", h.bridge)
            _ip("link", "set", outside, "up")
            _ip("-n", ns, "addr", "add", f"{h.ns_ip(i)}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
            _ip("-n", ns, "link", "set", "lo", "up")
        yield h
    finally:
        for ns in h.namespaces:
            out = _ip("netns", "pids", ns, check=False).stdout.split()
            for pid in out:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            _ip("netns", "del", ns, check=False)
        for link in h.links:
            _ip("link", "del", link, check=False)
        _ip("link", "del", h.bridge, check=False)


def _spawn_in_ns(launcher: Launcher, ns: str, address: str, env: dict[str, str], p: int) -> Proc:
    """An upstream server inside a namespace, bound to (and registered with) its address there."""
    log = launcher.run_dir / "logs" / f"{ns}-{p}.log"
    full = launcher._env(OCR_SERVICE, p) | env | {"OCR_MESH_HOST": address}
    popen = spawn(
        ["ip", "netns", "exec", ns, sys.executable, "-m", UPSTREAM],
        log=log,
        pid_file=launcher.run_dir / f"{ns}-{p}.pid",
        env=full,
        cwd=REPO_ROOT,
    )
    return Proc(OCR_SERVICE, p, popen.pid, str(log))


def test_gateway_balances_across_hosts_and_survives_a_cut_link(hosts: Hosts, tmp_path: Path) -> None:
    """Two namespaces with their own addresses each run an upstream registered in Nacos (bound to
    the host side of the bridge) with its namespace address; the gateway on the host balances across
    both; one namespace's link is cut under load at concurrency 8: no client request fails (the
    gateway's 3 s attempt timeout and 0.25 s connect timeout move the traffic) and all of it moves."""
    kind = default_kind()
    if kind == "rnacos":
        _needs_rnacos()
    launcher = Launcher(tmp_path)
    port = free_base_port(15848, (-1000, 0, 1000, 1001, 2000), hosts.host_ip)
    launcher.nacos = NacosServer(tmp_path, hosts.host_ip, port, kind)
    launcher.nacos.start(timeout=120)
    ns_procs: list[Proc] = []
    try:
        ns_procs = [
            _spawn_in_ns(launcher, ns, hosts.ns_ip(i), {"OCR_MESH_UPSTREAM_DELAY": "0.02"}, 39500 + i)
            for i, ns in enumerate(hosts.namespaces)
        ]
        for i, p in enumerate(ns_procs):
            wait_http(f"http://{hosts.ns_ip(i)}:{p.port}/health", 60, p.pid, Path(p.log))
        users = start(launcher, USER_SERVICE)
        gw = start(launcher, GATEWAY, env=GATEWAY_ENV)
        wait_ready(launcher, [users, gw], timeout=60)
        registered = wait_for(
            lambda: (
                {(h["ip"], h["port"]) for h in nacos_hosts(launcher, OCR_SERVICE)}
                == {(hosts.ns_ip(i), p.port) for i, p in enumerate(ns_procs)}
            ),
            30,
            "both namespace instances registered in Nacos with their own addresses",
        )
        gateway = f"http://127.0.0.1:{gw.port}"
        token = login(gateway, "netns_user")
        a, b = (f"{hosts.ns_ip(i)}:{p.port}" for i, p in enumerate(ns_procs))
        wait_for(lambda: gateway_addresses(gateway, token) == {a, b}, 15, "the gateway seeing both hosts")
        with Load(gateway, token, b"\x89PNG fake", concurrency=8, max_seconds=60) as load:
            wait_for(lambda: {a, b} <= set(load.served_after(0)), 15, "traffic on both hosts")
            time.sleep(2.0)
            before = load.served_after(0)
            _ip("link", "set", hosts.links[0], "down")
            cut = load.elapsed()
            time.sleep(12.0)
        after = load.served_after(cut + 6)
        report(
            "netns",
            f"{load.summary()}; registered in {registered:.1f} s; before the cut {dict(before)}; "
            f"from 6 s after the cut {dict(after)}",
        )
        assert before[a] > 10 and before[b] > 10
        assert not load.failures(), load.summary()
        assert set(after) == {b} and after[b] > 10
    finally:
        for p in ns_procs:
            stop_pid(p.pid, timeout=10)
        launcher.down()
        launcher.nacos.stop()


@dataclass
class Cluster:
    nodes: list[NacosServer]
    pids: list[int]

    @property
    def addr(self) -> str:
        return ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """Three Nacos nodes on loopback, auth on, the same admin on each: Java Nacos 3.1 by default
    (cluster.conf + Derby replicated by JRaft), r-nacos raft nodes with OCR_MESH_NACOS_KIND=rnacos."""
    if default_kind() == "rnacos":
        yield from _rnacos_cluster(tmp_path)
        return
    ports: list[int] = []
    base = 4848
    for _ in range(3):
        base = free_base_port(base, (-1000, 0, 1000, 1001, 2000))
        ports.append(base)
        base += 10
    members = tuple(f"127.0.0.1:{p}" for p in ports)
    nodes = [NacosServer(tmp_path, "127.0.0.1", p, "java", members) for p in ports]
    try:
        took = start_cluster(nodes, timeout=150)
        pids = [pid for n in nodes if (pid := n.running_pid()) is not None]
        rss = [int(Path(f"/proc/{p}/status").read_text().split("VmRSS:")[1].split()[0]) >> 10 for p in pids]
        report("nacos-cluster-start", f"3 Java Nacos nodes ready in {took:.1f} s; RSS {rss} MB")
        yield Cluster(nodes, pids)
    finally:
        for node in nodes:
            node.stop()


def _rnacos_cluster(tmp_path: Path) -> Iterator[Cluster]:
    """Three r-nacos raft nodes, each joining the first."""
    _needs_rnacos()
    binary = str(RNacos().binary)
    nodes: list[NacosServer] = []
    pids: list[int] = []
    base = 4848
    try:
        for _ in range(3):
            base = free_base_port(base, (0, 1000, 2000))
            nodes.append(NacosServer(tmp_path, "127.0.0.1", base, "rnacos"))
            base += 10
        creds = nodes[0].credentials()
        for i, node in enumerate(nodes):
            home = tmp_path / f"nacos-node{i + 1}"
            (home / "data").mkdir(parents=True)
            (home / "rnacos.env").touch()
            env = {
                **os.environ,
                "RNACOS_ENV_FILE": str(home / "rnacos.env"),
                "RNACOS_HTTP_PORT": str(node.port),
                "RNACOS_GRPC_PORT": str(node.port + 1000),
                "RNACOS_HTTP_CONSOLE_PORT": str(node.port + 2000),
                "RNACOS_SDK_HOST": "127.0.0.1",
                "RNACOS_CONSOLE_HOST": "127.0.0.1",
                "RNACOS_DATA_DIR": str(home / "data"),
                "RNACOS_ENABLE_OPEN_API_AUTH": "true",
                "RNACOS_INIT_ADMIN_USERNAME": creds["username"],
                "RNACOS_INIT_ADMIN_PASSWORD": creds["password"],
                "RNACOS_HTTP_WORKERS": "2",
                "RNACOS_RAFT_NODE_ID": str(i + 1),
                "RNACOS_RAFT_NODE_ADDR": f"127.0.0.1:{node.port + 1000}",
                "RNACOS_RAFT_AUTO_INIT": "true" if i == 0 else "false",
                "RNACOS_RAFT_JOIN_ADDR": "" if i == 0 else f"127.0.0.1:{nodes[0].port + 1000}",
                "RUST_LOG": "warn",
            }
            proc = spawn([binary], log=home / "server.out", pid_file=home / "server.pid", env=env, cwd=home)
            pids.append(proc.pid)
            wait_http(f"{node.url}/health", 30, proc, home / "server.out")
            time.sleep(1.0)  # let the node join before the next one starts
        for node in nodes:
            node.login(retry_for=60)  # followers see the admin once raft has replicated it
        yield Cluster(nodes, pids)
    finally:
        for pid in pids:
            stop_pid(pid, timeout=10)


def test_nacos_cluster_node_killed_under_load(cluster: Cluster, tmp_path: Path) -> None:
    """Three Nacos nodes; every service gets all three addresses (OCR_MESH_NACOS_ADDR
    "h:p1,h:p2,h:p3"). Under load at concurrency 8 the first node (first in the list; the r-nacos
    raft leader) is SIGKILLed: no client request fails, every instance stays listed on the surviving
    nodes, and an instance started after the kill is discovered and takes traffic."""
    launcher = Launcher(tmp_path)
    launcher.nacos = cluster.nodes[1]  # the surviving nodes are asked
    env = {"OCR_MESH_NACOS_ADDR": cluster.addr}
    try:
        users = start(launcher, USER_SERVICE, env=env)
        ups = [
            start(launcher, OCR_SERVICE, module=UPSTREAM, env=env | {"OCR_MESH_UPSTREAM_DELAY": "0.02"})
            for _ in range(3)
        ]
        gw = start(launcher, GATEWAY, env=env | GATEWAY_ENV)
        for node in cluster.nodes:
            wait_ready(launcher, [users, *ups, gw], timeout=60, nacos_url=node.url)
        gateway = f"http://127.0.0.1:{gw.port}"
        token = login(gateway, "cluster_user")
        wait_for(lambda: len(gateway_ports(gateway, token)) == 3, 15, "the gateway seeing 3 upstreams")
        with Load(gateway, token, b"\x89PNG fake", concurrency=8, max_seconds=85) as load:
            time.sleep(2.0)
            os.kill(cluster.pids[0], signal.SIGKILL)
            killed_at = load.elapsed()
            survivors = cluster.nodes[1:]
            time.sleep(3.0)
            listed = [
                wait_for(
                    lambda n=n: (
                        {p.port for p in ups}
                        <= {h["port"] for h in nacos_hosts(launcher, OCR_SERVICE, url=n.url)}
                    ),
                    30,
                    f"every upstream listed on {n.url}",
                )
                for n in survivors
            ]
            # Known bug (docs/faults.md): a process started while a cluster member is down fails to
            # start when the SDK tries the dead member first (registry.connect's 10 s limit equals
            # the SDK's gRPC timeout, leaving no time to fail over). Counted and reported, retried.
            failed_starts = 0
            for _ in range(4):
                newcomer = start(launcher, OCR_SERVICE, module=UPSTREAM, env=env)
                try:
                    for node in survivors:
                        wait_ready(launcher, [newcomer], timeout=60, nacos_url=node.url)
                    break
                except LaunchError:
                    failed_starts += 1
                    launcher.stop_service(newcomer)
            else:
                raise AssertionError("no instance could start against the surviving cluster nodes")
            joined = load.elapsed()
            took = wait_for(
                lambda: f"127.0.0.1:{newcomer.port}" in load.served_after(joined),
                40,
                "the instance started after the kill taking traffic",
            )
        report(
            "nacos-cluster",
            f"{load.summary()}; node 1 killed at {killed_at:.0f} s; upstreams still "
            f"listed on the survivors after {max(listed):.1f} s; newcomer took traffic {took:.1f} s "
            f"after it was registered; {failed_starts} start(s) failed to connect (known bug)",
        )
        assert not load.failures(), load.summary()
    finally:
        launcher.down()
