"""Reading steps of the node: small inputs, line-shaped inputs and page orientation."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from mesh_tools.evaluate.runner import client_reader, load_items, run
from ocr_service.layout import OcrLine
from ocr_service.orientation import Crop, Reading, from_upright, page_turn
from ocr_service.reading import enlarge, is_line_shaped, one_row
from ocr_service.spacing import Recognition
from tests.ocr_service.conftest import EVAL_DIR, png_bytes
from tests.ocr_service.test_ocr_api import post, squash
from tests.support import cjk_font, render_lines

PAGE = ["Invoice 2024-118", "北京市海淀区中关村大街", "Total: 42.50 EUR", "谢谢惠顾 欢迎再来"]
TURNS = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}


def needs_eval_set() -> None:
    if not (EVAL_DIR / "labels.jsonl").exists():
        pytest.skip(f"{EVAL_DIR} not present")


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_turned_page_reads_in_the_original_line_order(ocr_client: TestClient, turn: int) -> None:
    """The page is turned `turn` degrees clockwise (PIL's ROTATE_n is counter-clockwise)."""
    upright = Image.open(io.BytesIO(render_lines(PAGE)))
    turned = upright.transpose(TURNS[turn])
    body = post(ocr_client, png_bytes(turned))
    lines = body["lines"]
    assert isinstance(lines, list)
    assert [squash(ln["text"]) for ln in lines] == [squash(t) for t in PAGE], body["text"]
    for ln in lines:  # boxes stay in the turned image's own pixels
        xs, ys = [p[0] for p in ln["box"]], [p[1] for p in ln["box"]]
        assert 0 <= min(xs) <= max(xs) <= turned.width and 0 <= min(ys) <= max(ys) <= turned.height
        if turn in (90, 270):
            assert max(ys) - min(ys) > max(xs) - min(xs)  # a sideways line is a tall box


def test_tiny_rendered_line_is_read(ocr_client: TestClient) -> None:
    font = cjk_font(13)
    image = Image.new("RGB", (120, 18), "white")
    ImageDraw.Draw(image).text((3, 1), "Genaxis 2024", fill="black", font=font)
    body = post(ocr_client, png_bytes(image))
    assert squash(str(body["text"])) == "genaxis2024"
    (line,) = body["lines"]  # type: ignore[misc]
    assert all(0 <= x <= 120 and 0 <= y <= 18 for x, y in line["box"])


@pytest.mark.parametrize("name", ["en_line_ic15_img01_00.png", "en_line_mmocr_1058892.jpg"])
def test_real_small_lines_detection_misses_are_read(ocr_client: TestClient, name: str) -> None:
    """The plain library finds no text at all in these two crops (94x17 and 114x20 px)."""
    needs_eval_set()
    item = next(i for i in load_items(EVAL_DIR) if i.image == name)
    (result,) = run([item], EVAL_DIR, client_reader(ocr_client))
    assert result.cer <= 0.1, result.text


def test_real_line_items_read_well_through_the_service(ocr_client: TestClient) -> None:
    needs_eval_set()
    items = [i for i in load_items(EVAL_DIR) if i.kind == "line"]
    results = run(items, EVAL_DIR, client_reader(ocr_client))
    assert sum(r.cer for r in results) / len(results) <= 0.05, [(r.image, r.text) for r in results]


def test_enlarge_maps_boxes_back() -> None:
    image = np.zeros((20, 100, 3), dtype=np.uint8)
    big = enlarge(image)
    assert big.factor > 1 and big.pad > 0 and big.image.shape[0] >= 64
    pad = big.pad
    quad = np.array([[pad, pad], [pad + 100, pad], [pad + 100, pad + 20]]) * big.factor
    back = big.to_original(quad, 100, 20)
    assert np.allclose(back, [(0, 0), (100, 0), (100, 20)], atol=1e-3)
    large = np.zeros((700, 900, 3), dtype=np.uint8)
    assert enlarge(large).image is large


class FakeRecognizer:
    """Reads a crop confidently only when its top-left pixel is 1 (the crop is 'the right way up')."""

    def recognize(self, crops: list[np.ndarray]) -> list[Recognition]:
        return [Recognition("x", 0.99 if c[0, 0] == 1 else 0.4) for c in crops]


def crop(turned: bool, upright_as_is: bool) -> Crop:
    image = np.zeros((2, 2), dtype=np.uint8)
    image[(0, 0) if upright_as_is else (1, 1)] = 1
    return Crop(image, turned)


def test_page_turn_votes() -> None:
    rec = FakeRecognizer()
    tall_cw = [crop(True, True), crop(True, True)]
    assert page_turn(tall_cw, [Reading("abcd", 0.9, False), Reading("ef", 0.9, False)], rec) == 90
    tall_ccw = [crop(True, False), crop(True, False)]
    assert page_turn(tall_ccw, [Reading("abcd", 0.9, True), Reading("ef", 0.9, True)], rec) == 270
    upside_down = [crop(False, False), crop(False, False)]
    assert page_turn(upside_down, [Reading("abc", 0.9, True), Reading("abc", 0.9, True)], rec) == 180
    # the classifier flips a crop that reads better as it is: the both-ways check keeps it upright
    assert page_turn([crop(False, True)], [Reading("abc", 0.9, True)], rec) == 0
    assert page_turn([crop(False, True)], [Reading("abc", 0.3, True)], rec) == 0  # unsure reads do not vote
    mostly_wide = [crop(False, True), crop(True, True)]
    assert page_turn(mostly_wide, [Reading("abcdef", 0.9, False), Reading("ab", 0.9, False)], rec) == 0


def test_from_upright() -> None:
    box = [(20.0, 90.0)]  # (10, 20) of a 100 x 50 image turned 90 degrees clockwise, upright
    assert from_upright(box, 90, 100, 50) == [(10.0, 20.0)]
    assert from_upright([(90.0, 30.0)], 180, 100, 50) == [(10.0, 20.0)]
    assert from_upright([(30.0, 10.0)], 270, 100, 50) == [(10.0, 20.0)]
    assert from_upright(box, 0, 100, 50) == box


def test_line_shape_and_rows() -> None:
    assert is_line_shaped(np.zeros((20, 100, 3))) and not is_line_shaped(np.zeros((300, 900, 3)))

    def at(y: float) -> OcrLine:
        return OcrLine("x", 0.9, [(0, y), (10, y), (10, y + 10), (0, y + 10)])

    assert one_row([at(0), at(3)]) and one_row([]) and not one_row([at(0), at(30)])


def test_upright_page_is_not_turned(ocr_client: TestClient) -> None:
    image = cv2.cvtColor(np.asarray(Image.open(io.BytesIO(render_lines(PAGE)))), cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".png", image)
    assert ok
    body = post(ocr_client, encoded.tobytes())
    assert [squash(str(ln["text"])) for ln in body["lines"]] == [squash(t) for t in PAGE]  # type: ignore[attr-defined]
