"""Run an eval folder through the service path and through a plain PaddleOCR call."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mesh_tools.evaluate.scoring import PageScore, label_lines, page_score, text_score
from mesh_tools.evaluate.words import row_score, word_errors
from ocr_service.config import OcrSettings
from ocr_service.engines.paddle import build_paddle_ocr
from ocr_service.layout import OcrLine, to_box

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


@dataclass(frozen=True)
class Page:
    """What a path read from one image: its lines and its text (rows joined as it joins them)."""

    lines: list[OcrLine]
    text: str


Reader = Callable[[Path], Page]


@dataclass(frozen=True)
class EvalItem:
    """One labels.jsonl row."""

    image: str
    kind: str
    lang: str
    text: str
    case_sensitive: bool
    lines: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ItemResult:
    """How one path read one image."""

    image: str
    kind: str
    cer: float
    recall: float
    text_cer: float
    extra: int
    seconds: float
    text: str
    lang: str = ""
    wer: float | None = None  # Latin items only
    words: int = 0  # words in the label (Latin items)
    word_errors: int = 0
    row_cer: float | None = None  # pages only


def load_items(folder: Path) -> list[EvalItem]:
    """The folder's labels.jsonl, in file order."""
    items = []
    with (folder / "labels.jsonl").open(encoding="utf-8") as fh:
        for raw in fh:
            if raw.strip():
                row = json.loads(raw)
                items.append(
                    EvalItem(
                        image=row["image"],
                        kind=row["kind"],
                        lang=row.get("lang", ""),
                        text=row["text"],
                        case_sensitive=row.get("case_sensitive", True) is not False,
                        lines=row.get("lines") or [],
                    )
                )
    return items


def score(item: EvalItem, lines: list[OcrLine], seconds: float, text: str | None = None) -> ItemResult:
    """Line items: plain CER; pages: the order-free score when boxes exist, whole text otherwise.

    `text` is the path's own text (lines joined by newlines when not given); word error rate
    (Latin items) and the row score (pages) are taken on it.
    """
    text = "\n".join(ln.text for ln in lines) if text is None else text
    whole = text_score(text, item.text, item.case_sensitive)
    main: PageScore = whole
    if item.kind == "page" and item.lines:
        main = page_score(lines, label_lines(item.lines), item.case_sensitive)
    words = word_errors(text, item.text) if item.lang == "en" else None
    return ItemResult(
        item.image,
        item.kind,
        main.cer,
        main.recall,
        whole.cer,
        main.extra,
        seconds,
        text,
        lang=item.lang,
        wer=words.rate if words else None,
        words=words.length if words else 0,
        word_errors=words.distance if words else 0,
        row_cer=row_score(text, item.text, item.case_sensitive) if item.kind == "page" else None,
    )


def run(items: list[EvalItem], folder: Path, reader: Reader) -> list[ItemResult]:
    """Read every item with `reader` and score it."""
    results = []
    for item in items:
        started = time.perf_counter()
        page = reader(folder / item.image)
        results.append(score(item, page.lines, time.perf_counter() - started, page.text))
    return results


def client_reader(client: TestClient) -> Reader:
    """A reader that POSTs each image to /ocr of a running app."""

    def read(path: Path) -> Page:
        files = {"image": (path.name, path.read_bytes(), "application/octet-stream")}
        response = client.post("/ocr", files=files)
        if response.status_code != 200:
            raise RuntimeError(f"{path.name}: HTTP {response.status_code} {response.text}")
        body = response.json()
        lines = [OcrLine(ln["text"], float(ln["score"]), to_box(ln["box"])) for ln in body["lines"]]
        return Page(lines, body["text"])

    return read


def wait_ready(client: TestClient, timeout: float = 300.0) -> None:
    """Poll /health until the engine is loaded and warmed."""
    deadline = time.monotonic() + timeout
    while (health := client.get("/health")).status_code != 200:
        if time.monotonic() > deadline or health.json().get("status") == "failed":
            raise RuntimeError(f"the OCR service did not become ready: {health.json()}")
        time.sleep(0.2)


@contextmanager
def service_reader(settings: OcrSettings | None = None) -> Iterator[Reader]:
    """POST each image to the real OCR app in-process (TestClient): the HTTP endpoint's code path."""
    from fastapi.testclient import TestClient

    from ocr_service.main import create_app

    with tempfile.TemporaryDirectory(prefix="ocr-eval-") as tmp:
        settings = settings or OcrSettings(data_dir=Path(tmp), nacos_enabled=False, require_token=False)
        with TestClient(create_app(settings)) as client:
            wait_ready(client)
            yield client_reader(client)


def plain(lines: list[OcrLine]) -> Page:
    """A library's answer as it comes: its lines in its order, one text line each."""
    return Page(lines, "\n".join(ln.text for ln in lines))


@contextmanager
def direct_reader(settings: OcrSettings | None = None) -> Iterator[Reader]:
    """The engine's plain library call on `cv2.imread(path)` with the service's models, no
    preprocessing: `PaddleOCR(...).ocr(img)` or `RapidOCR(...)(img)`."""
    import cv2

    settings = settings or OcrSettings(nacos_enabled=False)
    if settings.engine == "rapidocr":
        from ocr_service.engines.rapid import build_rapid_ocr

        rapid = build_rapid_ocr(settings)

        def read_rapid(path: Path) -> Page:
            out = rapid(cv2.imread(str(path)))
            if out.boxes is None or out.txts is None:
                return plain([])
            return plain(
                [
                    OcrLine(str(t), float(s), to_box(pts))
                    for pts, t, s in zip(out.boxes, out.txts, out.scores, strict=True)
                ]
            )

        yield read_rapid
        return

    ocr = build_paddle_ocr(settings)

    def read(path: Path) -> Page:
        result = ocr.ocr(cv2.imread(str(path)), cls=True)
        found = result[0] if result else None
        return plain([OcrLine(str(t), float(s), to_box(pts)) for pts, (t, s) in (found or [])])

    yield read
