"""Word spaces, receipt rows and characters the CTC decoder got wrong, through POST /ocr with
the real models (Paddle and RapidOCR)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw, ImageFilter, ImageFont

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
MONO_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
MONO_LINES = ["INVOICE NO: 0714", "SUBTOTAL 12.50", "DISCOUNT 1.00", "TOTAL AMOUNT 11.50", "Kuala Lumpur"]
SMALL_PRINT = ["SR = GST @6%", "Invoice # : 0714", "Total : 12.50", "Cash: 20.00", "Tel.: 03-9221345"]


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


def blurred_lines(lines: list[str], font: ImageFont.FreeTypeFont, size: int) -> bytes:
    """The lines in slightly blurred print, one under another."""
    step = int(size * 1.8)
    width = int(max(font.getlength(line) for line in lines)) + 4 * size
    image = Image.new("RGB", (width, step * (len(lines) + 1)), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((2 * size, size // 2 + i * step), line, fill="black", font=font)
    return png_bytes(image.filter(ImageFilter.GaussianBlur(0.5)))


def small_print(size: int) -> bytes:
    """Receipt lines with spaces around = : # in small, slightly blurred print."""
    return blurred_lines(list(SMALL_PRINT), cjk_font(size), size)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("size", [14, 28])
def test_spaces_around_punctuation_in_small_print(
    request: pytest.FixtureRequest, engine: str, size: int
) -> None:
    client: TestClient = request.getfixturevalue(engine)
    body = post(client, small_print(size))
    assert str(body["text"]).split("\n") == SMALL_PRINT, body["text"]


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


def test_real_receipts_keep_the_spaces_around_equals_signs(ocr_client: TestClient) -> None:
    if not (EVAL_DIR / "labels.jsonl").exists():
        pytest.skip(f"{EVAL_DIR} not present")
    expected = {"en_page_sroie_036.jpg": "SR = GST @6%", "en_page_sroie_387.jpg": "Z = 0%"}
    items = [i for i in load_items(EVAL_DIR) if i.image in expected]
    for result in run(items, EVAL_DIR, client_reader(ocr_client)):
        rows = result.text.split("\n")
        assert any(row.startswith(expected[result.image]) for row in rows), result.text


def mono_receipt(size: int) -> bytes:
    """Receipt lines in a monospaced font, whose O PP-OCRv4 reads as 0 (INV0ICE, AM0UNT)."""
    return blurred_lines(list(MONO_LINES), ImageFont.truetype(str(MONO_FONT), size), size)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("size", [14, 24])
def test_letters_read_as_digits_inside_words_become_letters(
    request: pytest.FixtureRequest, engine: str, size: int
) -> None:
    if not MONO_FONT.exists():
        pytest.skip(f"{MONO_FONT} not installed")
    client: TestClient = request.getfixturevalue(engine)
    body = post(client, mono_receipt(size))
    assert str(body["text"]).split("\n") == MONO_LINES, body["text"]


@pytest.mark.parametrize(
    ("engine", "image", "row"),
    [
        ("ocr_client", "en_page_sroie_387.jpg", "INVOICE NO : 17566/102/T0280"),  # read INV0ICE N0
        ("ocr_client", "en_page_sroie_387.jpg", "GST ID. NO : 000181747712"),  # read 1D. N0
        ("rapid_client", "en_page_sroie_064.jpg", "Total RM 88.17"),  # the point was dropped
    ],
)
def test_real_receipts_get_back_letters_and_points_the_decoder_missed(
    request: pytest.FixtureRequest, engine: str, image: str, row: str
) -> None:
    if not (EVAL_DIR / "labels.jsonl").exists():
        pytest.skip(f"{EVAL_DIR} not present")
    client: TestClient = request.getfixturevalue(engine)
    (result,) = run([i for i in load_items(EVAL_DIR) if i.image == image], EVAL_DIR, client_reader(client))
    assert row in result.text.split("\n"), result.text


def test_a_chinese_line_gets_no_space_beside_its_middle_dot(rapid_client: TestClient) -> None:
    if not (EVAL_DIR / "labels.jsonl").exists():
        pytest.skip(f"{EVAL_DIR} not present")
    items = [i for i in load_items(EVAL_DIR) if i.image == "ch_line_mtwi_img15_09.png"]
    (result,) = run(items, EVAL_DIR, client_reader(rapid_client))
    assert result.text == "(台商独资·质量保证)", result.text
