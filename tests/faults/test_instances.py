"""Instances failing under steady load: killed, stopped gracefully, restarted, hung."""

from __future__ import annotations

import contextlib
import os
import signal
import time

import psutil

from mesh.names import GATEWAY, OCR_SERVICE, USER_SERVICE
from mesh_tools.launcher.procs import alive
from tests.faults.conftest import OPEN_LIMITS, FaultMesh
from tests.faults.support import (
    UPSTREAM,
    Load,
    gateway_instances,
    gateway_ports,
    login,
    metric_sum,
    nacos_ports,
    report,
    small_image,
    start,
    wait_for,
    wait_ready,
)


def test_sigkill_and_sigterm_ocr_nodes_under_load_then_restart(fault_mesh: FaultMesh) -> None:
    """Real PaddleOCR nodes (3, small images), load at concurrency 8: one node SIGKILLed, another
    SIGTERMed. No client request fails; Nacos (open API) and the gateway (/api/instances) drop
    both; both are restarted on their ports and take traffic again."""
    m = fault_mesh
    killed, stopped, survivor = m.ocr
    with Load(m.gateway, m.token, small_image(), concurrency=8, max_seconds=85) as load:
        try:
            wait_for(lambda: len(load.served_after(0)) == 3, 20, "all three nodes serving")
        except AssertionError as exc:
            seen = gateway_instances(m.gateway, m.token)
            raise AssertionError(f"{exc}; {load.summary()}; the gateway's view: {seen}") from None
        os.kill(killed.pid, signal.SIGKILL)
        time.sleep(1.0)
        os.kill(stopped.pid, signal.SIGTERM)
        wait_for(lambda: not alive(stopped.pid), 40, "the SIGTERMed node exiting")
        gone = {killed.port, stopped.port}
        took_nacos = wait_for(
            lambda: not gone & nacos_ports(m.launcher, OCR_SERVICE),
            30,
            "Nacos dropping the killed and stopped nodes",
        )
        took_gw = wait_for(
            lambda: not gone & gateway_ports(m.gateway, m.token),
            30,
            "the gateway dropping the killed and stopped nodes",
        )
        cut = load.elapsed()
        time.sleep(2.0)
        assert set(load.served_after(cut + 0.5)) <= {f"127.0.0.1:{survivor.port}"}
        for proc in (killed, stopped):
            m.launcher.stop_service(proc)
        restarted = [m.launcher.start_service(OCR_SERVICE, p.port) for p in (killed, stopped)]
        m.ocr[:2] = restarted
        wait_ready(m.launcher, restarted, timeout=60)
        back = load.elapsed()
        wait_for(
            lambda: {f"127.0.0.1:{p.port}" for p in restarted} <= set(load.served_after(back)),
            20,
            "both restarted nodes taking traffic",
        )
    report(
        "kill-term-restart",
        f"{load.summary()}; Nacos dropped them in {took_nacos:.1f} s, the gateway in {took_gw:.1f} s",
    )
    assert len(load.outcomes) > 30
    assert not load.failures(), load.summary()
    assert nacos_ports(m.launcher, OCR_SERVICE) == m.ocr_ports()


def _model_process(node_pid: int) -> psutil.Process | None:
    """The node's model process (ocr_service/engines/process.py): its spawned child."""
    for child in psutil.Process(node_pid).children():
        with contextlib.suppress(psutil.Error):
            if "spawn_main" in " ".join(child.cmdline()):
                return child
    return None


def test_a_killed_model_process_is_replaced_and_no_request_fails(fault_mesh: FaultMesh) -> None:
    """One node's model process SIGKILLed under load at 8 (as the kernel's OOM killer would): the
    call it was on answers 503 `engine_restarting`, which the gateway retries on another node; the
    node starts a new model process and serves again. No client request fails."""
    m = fault_mesh
    node = m.ocr[0]
    address = f"127.0.0.1:{node.port}"
    lost_before = metric_sum(f"http://{address}", "ocr_requests_total", outcome="engine_restarting")
    with Load(m.gateway, m.token, small_image(), concurrency=8, max_seconds=90) as load:
        wait_for(lambda: len(load.served_after(0)) == 3, 20, "all three nodes serving")
        model = _model_process(node.pid)
        assert model is not None, "the node has no model process"
        model.kill()
        model.wait(timeout=10)
        killed = load.elapsed()
        took = wait_for(
            lambda: (p := _model_process(node.pid)) is not None and p.pid != model.pid,
            60,
            "a new model process",
        )
        wait_for(lambda: address in load.served_after(killed + took), 60, "the node serving again")
    lost = metric_sum(f"http://{address}", "ocr_requests_total", outcome="engine_restarting")
    report(
        "model-process-killed",
        f"{load.summary()}; {lost - lost_before:.0f} call(s) answered 503 engine_restarting; "
        f"a new model process after {took:.1f} s",
    )
    assert not load.failures(), load.summary()
    assert lost - lost_before >= 1  # the call the process was on, or the next one


HANG_GROUP = "faults_hang"


def test_hung_instance_times_out_is_retried_and_ejected(fault_mesh: FaultMesh) -> None:
    """Small upstream servers (the model is beside the point), registered as ocr-service in their
    own Nacos group so the real nodes stay out; one is SIGSTOPped (accepts, never answers) under
    load at concurrency 8. Its requests time out after the gateway's 2 s attempt timeout and are
    retried on the others (no client failure), and /api/instances shows it ejected."""
    m = fault_mesh
    group = {"OCR_MESH_NACOS_GROUP": HANG_GROUP}
    up_env = group | {"OCR_MESH_UPSTREAM_DELAY": "0.02"}
    procs = []
    victim = None
    try:
        users = start(m.launcher, USER_SERVICE, env=group)
        ups = [start(m.launcher, OCR_SERVICE, module=UPSTREAM, env=up_env) for _ in range(3)]
        gw = start(
            m.launcher,
            GATEWAY,
            env=group
            | OPEN_LIMITS
            | {
                "OCR_MESH_OCR_ATTEMPT_TIMEOUT": "2",
                "OCR_MESH_OCR_STRATEGY": "round_robin",
                "OCR_MESH_EJECT_SECONDS": "30",
            },
        )
        procs = [users, *ups, gw]
        wait_ready(m.launcher, procs, group=HANG_GROUP, timeout=90)
        gateway = f"http://127.0.0.1:{gw.port}"
        token = login(gateway, "hang_user")
        wait_for(lambda: len(gateway_ports(gateway, token)) == 3, 15, "the hang gateway seeing 3 upstreams")
        victim = ups[2]
        address = f"127.0.0.1:{victim.port}"
        with Load(gateway, token, b"\x89PNG fake", concurrency=8, max_seconds=40) as load:
            time.sleep(1.5)
            os.kill(victim.pid, signal.SIGSTOP)

            def ejected() -> bool:
                return any(
                    i["port"] == victim.port and i["ejected"] for i in gateway_instances(gateway, token)
                )

            took = wait_for(ejected, 20, "the hung instance ejected in /api/instances")
            time.sleep(2.0)
        timeouts = metric_sum(gateway, "gateway_upstream_requests_total", instance=address, outcome="timeout")
        retries = metric_sum(gateway, "gateway_retries_total")
        report(
            "hang",
            f"{load.summary()}; ejected after {took:.1f} s; {timeouts:.0f} attempts timed out "
            f"at the hung instance, {retries:.0f} retries",
        )
        assert not load.failures(), load.summary()
        assert timeouts >= 2 and retries >= timeouts
        assert address not in load.served_after(0) or load.served_after(took + 3)[address] == 0
    finally:
        if victim is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim.pid, signal.SIGCONT)
        for proc in procs:
            m.launcher.stop_service(proc)
