"""The engine does not keep what the recogniser's widest batch needed (real model)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mesh_tools.launcher.allocator import engine_env

ROOT = Path(__file__).resolve().parents[3]

# In a fresh process, as a node's model process runs it (same allocator): RSS after warm-up,
# after reading the load study's A4 page (44 lines, recognition batches ~1,400 px wide), the text.
READ_ONE_IMAGE = """
import asyncio, json, sys
import psutil
from loadtest.image_kinds import render
from ocr_service.config import OcrSettings
from ocr_service.engines.paddle import PaddleEngine
from ocr_service.imaging import decode_image

def rss_mb():
    return psutil.Process().memory_info().rss / 2**20

settings = OcrSettings(nacos_enabled=False, **json.loads(sys.argv[1]))
page = decode_image(render("page"), settings.max_pixels, settings.max_side).bgr
engine = PaddleEngine(settings)
asyncio.run(engine.start())
warm = rss_mb()
read = engine.submit(lambda: engine._infer(page)).result()
print(json.dumps({"warm": warm, "after": rss_mb(), "text": [ln.text for ln in read]}))
"""


def _read_once(**settings: bool) -> dict[str, object]:
    run = subprocess.run(
        [sys.executable, "-c", READ_ONE_IMAGE, json.dumps(settings)],
        cwd=ROOT,
        env=engine_env() | {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out: dict[str, object] = json.loads(run.stdout.strip().splitlines()[-1])
    return out


def _grown(run: dict[str, object]) -> float:
    return float(run["after"]) - float(run["warm"])  # type: ignore[arg-type]


def test_the_recognisers_batch_memory_is_not_kept_and_the_text_is_the_same() -> None:
    old, default = _read_once(new_executor=False), _read_once()
    print(
        f"RSS grown by one A4 page: old executor {_grown(old):.0f} MB, new (default) {_grown(default):.0f} MB"
    )
    assert default["text"] == old["text"] and len(old["text"]) > 30  # type: ignore[arg-type]
    assert _grown(old) > 1000, "the old executor should have kept the batch (the test lost its point)"
    assert _grown(default) < _grown(old) / 3
