"""Schemathesis against the running gateway's own OpenAPI schema: no route answers 5xx.

The schema is fetched from GET /openapi.json of the fault mesh's gateway (real Nacos, real nodes,
real user service). Every operation it lists is called with generated data (positive and
negative modes, a bounded number of examples each), with a valid bearer token. The gateway's
routes read their bodies themselves (the multipart upload included), so the schema describes
paths, methods and headers: that is what is fuzzed; the bad-upload corpus covers the bodies.
"""

from __future__ import annotations

import json

import hypothesis
import schemathesis
from hypothesis import HealthCheck, given
from schemathesis import APIOperation, GenerationMode

from tests.faults.conftest import FaultMesh
from tests.faults.support import report

EXAMPLES = 25


def _fuzz(op: APIOperation, mode: GenerationMode, gateway: str, token: str, counts: dict[int, int]) -> None:
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=gateway, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        counts[response.status_code] = counts.get(response.status_code, 0) + 1
        assert response.status_code < 500, (case.method, case.path, response.status_code, response.text)
        if response.status_code >= 400 and case.path.startswith("/api"):
            body = json.loads(response.text)
            assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body

    try:
        run()
    except hypothesis.errors.Unsatisfiable:  # e.g. no negative data for an operation without parameters
        counts[-1] = counts.get(-1, 0) + 1


def test_no_route_answers_5xx(fault_mesh: FaultMesh) -> None:
    m = fault_mesh
    schema = schemathesis.openapi.from_url(f"{m.gateway}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5, [op.label for op in operations]
    seen: dict[str, dict[int, int]] = {}
    for op in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(op, mode, m.gateway, m.token, seen.setdefault(op.label, {}))
    assert sum(n for c in seen.values() for status, n in c.items() if status > 0) >= len(operations)
    report("schemathesis", "; ".join(f"{label}: {dict(sorted(c.items()))}" for label, c in seen.items()))
