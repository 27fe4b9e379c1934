"""Scoring functions of `ocr-mesh eval`, on tiny hand-made examples."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from mesh_tools.evaluate import cli
from mesh_tools.evaluate.report import summarize
from mesh_tools.evaluate.runner import EvalItem, score
from mesh_tools.evaluate.scoring import LabelLine, cer, edit_distance, normalize, page_score, text_score
from ocr_service.layout import Box, OcrLine


def rect(x: float, y: float, w: float, h: float) -> Box:
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


def pred(text: str, x: float, y: float, w: float = 100, h: float = 20) -> OcrLine:
    return OcrLine(text, 0.9, rect(x, y, w, h))


def test_normalize_nfkc_spaces_dots_and_case() -> None:
    assert normalize("Ｔｏｔａｌ： 4 2 ！") == "Total:42!"
    assert normalize("皖A·B1 12D") == "皖AB112D"
    assert normalize("AbC d", case_sensitive=False) == "abcd"
    assert normalize("AbC") == "AbC"


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("", "", 0), ("abc", "", 3), ("kitten", "sitting", 3), ("北京市", "北京", 1), ("ab", "ba", 2)],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance == edit_distance(b, a)


def test_cer_is_distance_over_truth_length() -> None:
    assert cer("abcd", "abcd") == 0.0
    assert cer("abxd", "abcd") == 0.25
    assert cer("abcdefgh", "abcd") == 1.0
    assert cer("", "") == 0.0 and cer("x", "") == 1.0


def test_page_perfect_in_any_order() -> None:
    labels = [LabelLine("hello", rect(0, 0, 100, 20)), LabelLine("world", rect(0, 50, 100, 20))]
    found = [pred("world", 2, 52), pred("hello", 1, 1)]
    result = page_score(found, labels)
    assert (result.distance, result.length, result.cer, result.recall) == (0, 10, 0.0, 1.0)


def test_page_split_line_is_joined_left_to_right() -> None:
    labels = [LabelLine("HELLO WORLD", rect(0, 0, 200, 20))]
    found = [pred("WORLD", 110, 0, 90), pred("HELLO", 0, 0, 90)]
    assert page_score(found, labels).cer == 0.0


def test_page_merged_box_covers_two_labels() -> None:
    labels = [LabelLine("ab", rect(0, 0, 50, 20)), LabelLine("cd", rect(60, 0, 50, 20))]
    result = page_score([pred("abcd", 0, 0, 110)], labels)
    assert result.cer == 0.0 and result.line_cers == [0.0, 0.0]


def test_page_missed_line_is_a_full_error_and_extra_is_only_counted() -> None:
    labels = [LabelLine("abcd", rect(0, 0, 100, 20)), LabelLine("efgh", rect(0, 100, 100, 20))]
    found = [pred("abxd", 0, 0), pred("noise", 300, 300)]
    result = page_score(found, labels)
    assert result.distance == 1 + 4 and result.length == 8
    assert result.line_cers == [0.25, 1.0]
    assert result.recall == 0.0  # 0.25 > RECALL_CER, 1.0 > RECALL_CER
    assert result.extra == 1


def test_page_predictions_inside_ignore_boxes_are_skipped() -> None:
    labels = [LabelLine("ab", rect(0, 0, 100, 20)), LabelLine("###", rect(0, 100, 100, 20), ignore=True)]
    result = page_score([pred("ab", 0, 0), pred("zz", 10, 100, 50)], labels)
    assert (result.cer, result.length, result.extra) == (0.0, 2, 0)


def test_page_case_folding() -> None:
    labels = [LabelLine("TOTAL", rect(0, 0, 100, 20))]
    assert page_score([pred("Total", 0, 0)], labels, case_sensitive=False).cer == 0.0
    assert page_score([pred("Total", 0, 0)], labels).cer == 0.8


def test_text_score_and_item_scoring() -> None:
    assert text_score("a b\nc", "abc").cer == 0.0
    line = EvalItem(image="l.png", kind="line", lang="en", text="abcd", case_sensitive=True)
    page = EvalItem(
        image="p.png",
        kind="page",
        lang="en",
        text="ab\ncd",
        case_sensitive=True,
        lines=[
            {"text": "ab", "points": rect(0, 0, 100, 20), "ignore": False},
            {"text": "cd", "points": rect(0, 50, 100, 20), "ignore": False},
        ],
    )
    line_result = score(line, [pred("abxd", 0, 0)], 0.1)
    page_result = score(page, [pred("cd", 0, 50), pred("ab", 0, 0)], 0.2)
    assert (line_result.cer, line_result.recall) == (0.25, 0.0)
    assert (page_result.cer, page_result.recall, page_result.text_cer) == (0.0, 1.0, 1.0)
    summary = summarize([line_result, page_result])
    assert summary["line_cer"] == 0.25 and summary["page_cer"] == 0.0 and summary["page_items"] == 1


def test_cli_registers_eval_and_refuses_a_folder_without_labels(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["eval", str(tmp_path), "--json", str(tmp_path / "out.json")])
    assert args.func is cli.main and args.paths == ["service", "direct"]
    assert args.func(args) == 2
