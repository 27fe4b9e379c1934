"""Reading order of recognised lines."""

from __future__ import annotations

from ocr_service.layout import OcrLine, reading_order, scale_box


def line(text: str, x: float, y: float, w: float = 100, h: float = 20) -> OcrLine:
    return OcrLine(text, 0.9, [(x, y), (x + w, y), (x + w, y + h), (x, y + h)])


def test_rows_top_to_bottom_then_left_to_right() -> None:
    lines = [
        line("b2", 300, 104),
        line("a1", 10, 10),
        line("b1", 10, 100),
        line("a2", 300, 14),
        line("c1", 10, 200),
    ]
    assert [ln.text for ln in reading_order(lines)] == ["a1", "a2", "b1", "b2", "c1"]


def test_rows_do_not_chain_down_a_slope() -> None:
    stairs = [line(str(i), 120 * i, 12 * i) for i in range(6)]
    texts = [ln.text for ln in reading_order(stairs)]
    assert texts == ["0", "1", "2", "3", "4", "5"]


def test_scale_box() -> None:
    assert scale_box([(1.0, 2.0), (3.0, 4.0)], 2.5) == [(2.5, 5.0), (7.5, 10.0)]
