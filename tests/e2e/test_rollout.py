"""`ocr-mesh rollout ocr-service` on the session mesh under steady load at concurrency 8: both
real OCR nodes are replaced one at a time and not one client request fails. The mesh keeps two
OCR nodes (new processes), so the tests after this one run on the rolled-out nodes."""

from __future__ import annotations

import pytest

from mesh.names import OCR_SERVICE
from mesh_tools.launcher.procs import alive
from mesh_tools.launcher.rollout import rollout
from tests.e2e.browser import unique_username
from tests.e2e.conftest import PASSWORD, RunningMesh
from tests.faults.support import Load, login, small_image

pytestmark = pytest.mark.e2e


def test_a_rollout_of_two_ocr_nodes_under_load_fails_no_request(mesh: RunningMesh) -> None:
    token = login(mesh.gateway, unique_username("roll"), PASSWORD)
    before = [p for p in mesh.launcher.procs() if p.service == OCR_SERVICE]
    said: list[str] = []
    # think 0.4 s: ~16 requests/s from one user at most, under the gateway's per-user limit (20/s)
    with Load(mesh.gateway, token, small_image(), concurrency=8, think=0.4, max_seconds=240) as load:
        replaced = rollout(mesh.launcher, OCR_SERVICE, say=said.append)
        served_before_end = len(load.outcomes)
    print("[rollout]", *said, load.summary(), sep="\n  ")
    assert [old for old, _ in replaced] == before
    assert not load.failures(), load.summary()
    assert served_before_end > 50, load.summary()
    assert not any(alive(p.pid) for p in before)
    now = sorted(p.port for p in mesh.launcher.procs() if p.service == OCR_SERVICE)
    assert now == sorted(new.port for _, new in replaced)  # (a port the first old one freed may be reused)
    assert all(alive(new.pid) for _, new in replaced)
    assert sorted(int(h["port"]) for h in mesh.nacos_instances(OCR_SERVICE)) == now  # type: ignore[call-overload]
    served = {o.served_by for o in load.outcomes}
    assert {f"127.0.0.1:{port}" for port in now} <= served  # the new nodes took traffic
