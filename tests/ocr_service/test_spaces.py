"""Word spaces and receipt rows through POST /ocr with the real models (Paddle and RapidOCR)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from mesh_tools.evaluate.runner import client_reader, load_items, run, wait_ready
from ocr_service.config import OcrSettings
from ocr_service.main import create_app
from tests.ocr_service.conftest import EVAL_DIR, png_bytes
from tests.ocr_service.test_ocr_api import post
from tests.support import cjk_font, render_lines

SENTENCES = [
    "The quick brown fox jumps over the lazy dog",
    "Net weight 12.50 kg in 3 boxes",
    "14 Mar 2018 18:40",
    "OCR Mesh 微服务网关",
]
ENGINES = ["ocr_client", "rapid_client"]


@pytest.fixture(scope="module")
def rapid_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = OcrSettings(
        data_dir=tmp_path_factory.mktemp("rapid"), nacos_enabled=False, require_token=False, engine="rapidocr"
    )
    with TestClient(create_app(settings)) as client:
        wait_ready(client)
        yield client


def receipt() -> bytes:
    """Two receipt rows, each an item at the left edge and its price far to the right."""
    font = cjk_font(30)
    image = Image.new("RGB", (760, 170), "white")
    draw = ImageDraw.Draw(image)
    for y, (item, price) in zip((30, 100), [("Nasi Lemak", "9.80"), ("Subtotal", "28.70")], strict=True):
        draw.text((30, y), item, fill="black", font=font)
        draw.text((620, y), price, fill="black", font=font)
    return png_bytes(image)


@pytest.mark.parametrize("engine", ENGINES)
def test_rendered_sentences_numbers_dates_and_mixed_lines_keep_their_spaces(
    request: pytest.FixtureRequest, engine: str
) -> None:
    client: TestClient = request.getfixturevalue(engine)
    body = post(client, render_lines(SENTENCES))
    assert str(body["text"]).split("\n") == SENTENCES, body["text"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_receipt_row_comes_out_as_one_text_line(request: pytest.FixtureRequest, engine: str) -> None:
    client: TestClient = request.getfixturevalue(engine)
    body = post(client, receipt())
    assert body["text"] == "Nasi Lemak 9.80\nSubtotal 28.70", body["text"]
    assert len(body["lines"]) == 4  # type: ignore[arg-type]  # the boxes stay as detected


def test_words_come_with_boxes_only_when_asked(ocr_client: TestClient) -> None:
    data = render_lines(["Hello Mesh 2024"])
    plain = post(ocr_client, data)
    assert all("words" not in ln for ln in plain["lines"])  # type: ignore[attr-defined]
    response = ocr_client.post("/ocr?words=true", files={"image": ("a.png", data, "image/png")})
    assert response.status_code == 200, response.text
    (line,) = response.json()["lines"]
    assert [w["text"] for w in line["words"]] == ["Hello", "Mesh", "2024"]
    xs = [p[0] for p in line["box"]]
    lefts = [min(p[0] for p in w["box"]) for w in line["words"]]
    assert min(xs) - 1 <= lefts[0] < lefts[1] < lefts[2] < max(xs)
    bad = ocr_client.post("/ocr?words=maybe", files={"image": ("a.png", data, "image/png")})
    assert bad.status_code == 422 and bad.json()["error"]["code"]


def test_words_boxes_of_an_upside_down_line_stay_in_the_image(ocr_client: TestClient) -> None:
    image = Image.open(io.BytesIO(render_lines(["Invoice 2024-118", "Total 42.50 EUR", "Thank you"])))
    turned = image.transpose(Image.Transpose.ROTATE_180)
    response = ocr_client.post("/ocr?words=1", files={"image": ("t.png", png_bytes(turned), "image/png")})
    assert response.status_code == 200, response.text
    lines = response.json()["lines"]
    assert [ln["text"] for ln in lines] == ["Invoice 2024-118", "Total 42.50 EUR", "Thank you"]
    for ln in lines:
        for word in ln["words"]:
            assert all(0 <= x <= turned.width and 0 <= y <= turned.height for x, y in word["box"])


@pytest.mark.parametrize("engine", ENGINES)
def test_real_receipt_and_page_are_read_with_their_spaces(
    request: pytest.FixtureRequest, engine: str
) -> None:
    if not (EVAL_DIR / "labels.jsonl").exists():
        pytest.skip(f"{EVAL_DIR} not present")
    client: TestClient = request.getfixturevalue(engine)
    names = ("en_page_sroie_036.jpg", "en_page_tesseract_phototest.png")
    items = [i for i in load_items(EVAL_DIR) if i.image in names]
    receipt_036, phototest = run(items, EVAL_DIR, client_reader(client))
    assert "14 Mar 2018 18:40" in receipt_036.text.split("\n"), receipt_036.text
    assert receipt_036.wer is not None and receipt_036.wer <= 0.25, receipt_036.text
    assert phototest.wer is not None and phototest.wer <= 0.05, phototest.text
