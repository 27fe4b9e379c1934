"""Word error rate and the row-aware page score of `ocr-mesh eval`."""

from __future__ import annotations

import pytest

from mesh_tools.evaluate.report import summarize, table
from mesh_tools.evaluate.runner import EvalItem, score
from mesh_tools.evaluate.words import row_score, word_errors
from ocr_service.layout import OcrLine


def test_wer_counts_glued_words_and_ignores_case_and_line_breaks() -> None:
    assert word_errors("14Mar2018 18:40", "14 MAR 2018 18:40").distance == 3  # 1 wrong + 2 missing
    assert word_errors("hello\nworld", "Hello World").rate == 0.0
    assert word_errors("", "a b").rate == 1.0
    assert word_errors("x", "").rate == 1.0


def test_wer_leaves_out_unlabelled_decoration_runs() -> None:
    assert word_errors("*** THANK YOU *** >>>", "THANK YOU").rate == 0.0
    assert word_errors("B . CAVES", "B . CAVES").rate == 0.0  # single marks are words


def test_row_score_charges_a_price_read_on_its_own_line() -> None:
    truth = "NASI LEMAK 9.80\nSUBTOTAL 28.70"
    assert row_score("NASI LEMAK 9.80\nSUBTOTAL 28.70", truth) == 0.0
    assert row_score("SUBTOTAL 28.70\nNASI LEMAK 9.80", truth) == 0.0  # order of rows is free
    split = row_score("NASI LEMAK\n9.80\nSUBTOTAL\n28.70", truth)
    assert split == pytest.approx((4 + 5) / (13 + 13))
    assert row_score("", truth) == 1.0


def test_score_and_table_carry_wer_and_row_score() -> None:
    page = EvalItem(image="p.png", kind="page", lang="en", text="TOTAL 1.50\nTHANK YOU", case_sensitive=False)
    lines = [OcrLine("Total", 0.9, [(0, 0), (1, 0), (1, 1), (0, 1)])]
    result = score(page, lines, 0.1, text="Total 1.50\nThank you")
    assert result.wer == 0.0 and result.row_cer == 0.0 and result.words == 4
    ch = EvalItem(image="c.png", kind="line", lang="ch", text="中文", case_sensitive=True)
    other = score(ch, [], 0.1, text="中文")
    assert other.wer is None and other.row_cer is None
    summary = summarize([result, other])
    assert summary["wer"] == 0.0 and summary["latin_items"] == 1 and summary["cjk_cer"] == 0.0
    assert "WER" in table({"service": [result, other]})
