"""Rows from synthetic line boxes (no model): receipts join a row, two-column pages do not."""

from __future__ import annotations

from ocr_service.layout import OcrLine, group_rows
from ocr_service.rows import arrange, find_gutter, page_text


def line(text: str, x: float, y: float, width: float, height: float = 20.0) -> OcrLine:
    box = [(x, y), (x + width, y), (x + width, y + height), (x, y + height)]
    return OcrLine(text, 0.9, box)


def test_a_receipt_item_and_its_price_share_one_text_line() -> None:
    lines = [
        line("9.80", 400, 62, 40),
        line("NASI LEMAK", 20, 60, 120),
        line("SUBTOTAL", 20, 100, 100),
        line("28.70", 395, 101, 45),
        line("THANK YOU", 150, 150, 110),
    ]
    assert page_text(arrange(lines)) == "NASI LEMAK 9.80\nSUBTOTAL 28.70\nTHANK YOU"


def test_a_two_column_page_is_read_column_by_column() -> None:
    title = line("A Title Across The Page", 20, 0, 700)
    left = [line(f"left column line {i}", 20, 40 + 30 * i, 320) for i in range(4)]
    right = [line(f"right column line {i}", 380, 41 + 30 * i, 330) for i in range(4)]
    rows = arrange([title, *right, *left])
    assert page_text(rows).split("\n") == [title.text] + [ln.text for ln in left] + [ln.text for ln in right]


def test_label_and_value_columns_of_a_form_are_not_a_two_column_page() -> None:
    lines = []
    for i, (label, value) in enumerate(
        [("NAME :", "JOHN SMITH"), ("GST ID NO :", "000181747712"), ("TEL :", "03-61")]
    ):
        lines += [line(label, 20, 30 * i, 12 * len(label)), line(value, 200, 30 * i, 12 * len(value))]
    assert find_gutter(group_rows(lines)) is None
    assert page_text(arrange(lines)) == "NAME : JOHN SMITH\nGST ID NO : 000181747712\nTEL : 03-61"


def test_lines_without_rows_stay_one_per_text_line() -> None:
    assert page_text([line("a", 0, 0, 10), line("b", 20, 0, 10)]) == "a\nb"
    assert page_text([]) == ""


def test_a_sign_with_a_small_and_a_large_word_on_one_row_keeps_them_apart() -> None:
    small, large = line("孙记", 20, 30, 60, 30), line("锡纸花蛤土豆粉", 120, 10, 500, 70)
    assert page_text(arrange([small, large])) == "孙记\n锡纸花蛤土豆粉"
    lone_digit = [line("$2.70", 20, 0, 60, 23), line("1", 200, 6, 8, 11), line("$2.70", 400, 0, 60, 23)]
    assert page_text(arrange(lone_digit)) == "$2.70 1 $2.70"
