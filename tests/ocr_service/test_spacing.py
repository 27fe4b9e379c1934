"""Word spaces from synthetic character positions (no model): the rules of spacing.py."""

from __future__ import annotations

import numpy as np
import pytest

from ocr_service.ctc import Glyphs, glyphs_from_ctc
from ocr_service.ink import blank_columns, widest_blank
from ocr_service.spacing import (
    Ink,
    Word,
    reading_frame,
    recognition,
    spaced_words,
    typical_pitch,
    usual_gap,
    wants_space,
    word_box,
)


def glyphs(text: str, centres: list[float], odds: dict[int, float] | None = None) -> Glyphs:
    """Characters one column wide at the given centres; `odds` = space odds after char i."""
    starts = tuple(int(c) for c in centres)
    gaps = tuple((odds or {}).get(i, 0.0) for i in range(len(text) - 1))
    return Glyphs(starts, starts, gaps, float(max(centres) + 3))


def even(text: str, pitch: float = 3.0, wide_after: tuple[int, ...] = ()) -> list[float]:
    """Centres `pitch` apart, with an extra pitch after each index in wide_after."""
    out, x = [], 2.0
    for i in range(len(text)):
        out.append(x)
        x += pitch * (2 if i in wide_after else 1)
    return out


def test_the_models_space_odds_put_a_space_back() -> None:
    text = "14Mar201818:40"
    read = recognition(text, 0.99, glyphs(text, even(text), {1: 0.44, 4: 0.42, 8: 0.41}))
    assert read.text == "14 Mar 2018 18:40"
    assert [w.text for w in read.words] == ["14", "Mar", "2018", "18:40"]


def test_a_wide_gap_with_some_space_odds_is_a_space() -> None:
    text = "HelloPaddleOCR"
    assert recognition(text, 0.9, glyphs(text, even(text, wide_after=(4,)), {4: 0.15})).text == (
        "Hello PaddleOCR"
    )


def test_a_wide_blank_run_in_the_crop_adds_the_missing_evidence() -> None:
    text = "HelloPaddle"
    found = glyphs(text, even(text, wide_after=(4,)), {4: 0.05})
    pitch = typical_pitch(found, text)
    assert not wants_space(found, text, 4, pitch)
    assert not wants_space(found, text, 4, pitch, Ink(gap=0.2, usual=0.1))  # narrower than a space
    assert wants_space(found, text, 4, pitch, Ink(gap=0.45, usual=0.1, pixel=0.02))
    assert not wants_space(found, text, 2, pitch, Ink(gap=0.45, usual=0.1))  # columns say no gap


def test_an_even_line_without_space_odds_keeps_its_letters_together() -> None:
    text = "PaddleOCR"
    assert recognition(text, 0.9, glyphs(text, even(text), {2: 0.04})).text == "PaddleOCR"


def test_no_space_between_cjk_characters_but_one_before_a_latin_word() -> None:
    text = "微服务网关OCR"
    centres = [2.0, 7.0, 12.0, 17.0, 22.0, 30.0, 33.0, 36.0]  # CJK pitch 5, Latin 3, a gap before O
    read = recognition(text, 0.9, glyphs(text, centres, {0: 0.9, 1: 0.9, 4: 0.3}))
    assert read.text == "微服务网关 OCR"


def test_no_space_before_a_comma_or_after_a_bracket_unless_the_model_is_sure() -> None:
    text = "abcd,(efgh"
    wide = glyphs(text, even(text, wide_after=(3, 4, 5)), {3: 0.2, 4: 0.2, 5: 0.2})
    assert recognition(text, 0.9, wide).text == "abcd, (efgh"
    sure = glyphs(text, even(text), {3: 0.6})
    assert recognition(text, 0.9, sure).text == "abcd ,(efgh"


def test_points_inside_numbers_never_get_a_space() -> None:
    text = "12.50"
    assert recognition(text, 0.9, glyphs(text, even(text), {1: 0.6, 2: 0.6})).text == "12.50"


def test_model_spaces_are_kept_and_words_cover_their_share_of_the_line() -> None:
    text = "ab cd"
    words = spaced_words(text, glyphs(text, [2.0, 5.0, 8.0, 11.0, 14.0]))
    assert [w.text for w in words] == ["ab", "cd"]
    assert 0.0 <= words[0].start < words[0].end <= words[1].start < words[1].end <= 1.0


def test_without_positions_the_text_is_split_on_its_own_spaces() -> None:
    assert spaced_words("a  b", None) == [Word("a", 0.0, 1.0), Word("b", 0.0, 1.0)]
    mismatched = Glyphs((1,), (1,), (), 10.0)
    assert [w.text for w in spaced_words("abc", mismatched)] == ["abc"]
    assert recognition("", 0.0, None).text == ""


def test_ctc_decode_gives_each_character_its_run_and_the_space_odds_between() -> None:
    # classes: 0 blank, 1 "a", 2 "b", 3 space; columns: a a _ _ b _ a
    best = [1, 1, 0, 0, 2, 0, 1]
    probs = np.full((len(best), 4), 0.01)
    for col, cls in enumerate(best):
        probs[col, cls] = 0.9
    probs[2, 3] = 0.3  # the space class is second best between a and b
    found = glyphs_from_ctc(probs, space_index=3, columns=7.0)
    assert found.starts == (0, 4, 6) and found.ends == (1, 4, 6)
    # at least one of the columns from a's last to b is a space: 1 - 0.99 * 0.7 * 0.99 * 0.99
    assert found.space_odds[0] == pytest.approx(1 - 0.7 * 0.99**3)
    assert found.space_odds[1] == pytest.approx(1 - 0.99**3)
    assert found.centre(0) == 1.0


def test_word_boxes_follow_the_reading_direction_of_the_crop() -> None:
    quad = [(10.0, 20.0), (110.0, 20.0), (110.0, 40.0), (10.0, 40.0)]
    word = Word("w", 0.5, 1.0)
    assert word_box(reading_frame(quad, False, False), word) == [
        (60.0, 20.0),
        (110.0, 20.0),
        (110.0, 40.0),
        (60.0, 40.0),
    ]
    flipped = word_box(reading_frame(quad, False, True), word)  # read upside down: right half is first
    assert sorted(x for x, _ in flipped) == [10.0, 10.0, 60.0, 60.0]
    tall = [(0.0, 0.0), (20.0, 0.0), (20.0, 100.0), (0.0, 100.0)]  # turned: reads top to bottom
    turned = word_box(reading_frame(tall, True, False), Word("w", 0.0, 0.5))
    assert sorted(y for _, y in turned) == [0.0, 0.0, 50.0, 50.0]


def test_blank_columns_find_the_gap_between_two_blocks_of_ink() -> None:
    crop = np.full((20, 60, 3), 255, dtype=np.uint8)
    crop[4:16, 5:20] = 0
    crop[4:16, 32:50] = 0
    blank, height = blank_columns(crop)
    assert height == 12
    assert widest_blank(blank, 10, 40) == 12
    inverted = 255 - crop  # light text on a dark background
    assert widest_blank(blank_columns(inverted)[0], 10, 40) == 12


def test_the_blank_sides_of_narrow_letters_count_half() -> None:
    for text, expected in (("abcdefgh", True), ("abclifgh", False)):
        found = glyphs(text, even(text), {3: 0.1})
        pitch = typical_pitch(found, text)
        assert wants_space(found, text, 3, pitch, Ink(gap=0.5, usual=0.1)) is expected, text


def test_the_usual_blank_run_comes_from_pairs_the_model_puts_inside_a_word() -> None:
    # "Z = 0%" read as "Z=0%": two of its three blank runs are spaces, the model's odds say which
    text = "Z=0%"
    assert usual_gap([0.73, 0.67, 0.07], text, (0.26, 0.18, 0.0)) == 0.07
    assert usual_gap([0.73, 0.67], "Z=0", (0.26, 0.18)) == pytest.approx(0.7)  # no sure pair: all
    found = glyphs(text, even(text), {0: 0.26, 1: 0.18})
    pitch = typical_pitch(found, text)
    assert wants_space(found, text, 1, pitch, Ink(gap=0.67, usual=0.07, pixel=0.03))
    assert not wants_space(found, text, 1, pitch, Ink(gap=0.67, usual=0.67, pixel=0.03))


def test_a_clearly_wide_blank_run_alone_makes_a_space_around_punctuation() -> None:
    text = "SR=GST"  # small print: no space odds, the CTC columns evenly spaced
    found = glyphs(text, even(text))
    pitch = typical_pitch(found, text)
    assert wants_space(found, text, 1, pitch, Ink(gap=0.5, usual=0.15, pixel=0.05))
    assert wants_space(found, text, 2, pitch, Ink(gap=0.5, usual=0.15, pixel=0.05))
    assert not wants_space(found, text, 1, pitch, Ink(gap=0.35, usual=0.15, pixel=0.05))  # a wide letter gap


def test_a_colon_gets_a_space_before_it_but_not_after_a_point() -> None:
    wide = Ink(gap=0.6, usual=0.15, pixel=0.05)
    for text, i, expected in (("No:5", 1, True), ("Tel.:5", 3, False), ("a,:b", 1, False)):
        found = glyphs(text, even(text))
        assert wants_space(found, text, i, typical_pitch(found, text), wide) is expected, text


def test_a_line_without_latin_neighbours_measures_blank_runs_against_all_pairs() -> None:
    text = "台商独资·质量"  # the middle dot is no CJK character, but no Latin pair either
    gaps = [0.21, 0.08, 0.12, 0.33, 0.2, 0.08]
    assert usual_gap(gaps, text, (0.0,) * 6) == pytest.approx(0.16)
    found = glyphs(text, even(text, pitch=5.0))
    pitch = typical_pitch(found, text)
    assert not wants_space(found, text, 3, pitch, Ink(gap=0.33, usual=0.16, pixel=0.04))
