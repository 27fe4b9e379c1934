"""The node's model in a child process: the node stays responsive, and a lost process is replaced."""

from __future__ import annotations

import os
import signal
import threading
import time

import psutil
from fastapi.testclient import TestClient

from loadtest.image_kinds import render
from ocr_service.service import OcrService


def _metric(text: str, name: str) -> float:
    line = next(ln for ln in text.splitlines() if ln.startswith(name + " "))
    return float(line.split()[1])


def test_the_model_runs_in_a_child_process_counted_in_the_nodes_metrics(
    ocr_client: TestClient, service: OcrService
) -> None:
    pid = service.engine.pid
    assert pid is not None and pid != os.getpid()
    assert psutil.Process(pid).ppid() == os.getpid()
    metrics = ocr_client.get("/metrics").text
    assert _metric(metrics, "ocr_model_process_resident_memory_bytes") > 100 * 2**20  # the models
    assert _metric(metrics, "ocr_model_process_cpu_seconds_total") > 0


def test_the_node_answers_while_its_model_reads_a_dense_page(
    ocr_client: TestClient, service: OcrService
) -> None:
    """Paddle Inference holds the GIL for a whole model call: with the model in the node's own
    process, /health waited up to a quarter of a second at a time while a dense page was read."""
    page = render("page")
    answer: list[int] = []
    reader = threading.Thread(
        target=lambda: answer.append(
            ocr_client.post("/ocr", files={"image": ("p.jpg", page, "image/jpeg")}).status_code
        )
    )
    reader.start()
    deadline = time.monotonic() + 60
    while not service.engine_busy:
        assert time.monotonic() < deadline and reader.is_alive()
        time.sleep(0.01)
    waits = []
    while service.engine_busy:
        started = time.perf_counter()
        assert ocr_client.get("/health").status_code == 200
        waits.append(time.perf_counter() - started)
        time.sleep(0.02)
    reader.join()
    assert answer == [200]
    print(f"/health answered {len(waits)} times during the read, the slowest in {max(waits) * 1000:.0f} ms")
    # here: ~500 answers, the slowest ~25 ms; with the model in the node's process: 15, 242 ms
    assert len(waits) >= 100
    # At most 1 % slow: a fresh-clone run saw one 0.26 s answer among ~500 of 2-14 ms (the suite's
    # other processes share the 2 cores); a blocked node is slow on every answer the model overlaps.
    slow = [w for w in waits if w >= 0.2]
    assert len(slow) <= len(waits) // 100, sorted(waits)[-5:]


def test_a_killed_model_process_is_a_503_then_a_new_one_reads(
    ocr_client: TestClient, service: OcrService
) -> None:
    card = render("card")
    old = service.engine.pid
    assert old is not None
    os.kill(old, signal.SIGKILL)
    psutil.Process(old).wait(timeout=30)
    lost = ocr_client.post("/ocr", files={"image": ("c.png", card, "image/png")})
    assert lost.status_code == 503, lost.text
    assert lost.json()["error"]["code"] == "engine_restarting" and "Retry-After" in lost.headers
    again = ocr_client.post("/ocr", files={"image": ("c.png", card, "image/png")})
    assert again.status_code == 200, again.text
    assert again.json()["text"].strip()
    assert service.engine.pid not in (None, old)
