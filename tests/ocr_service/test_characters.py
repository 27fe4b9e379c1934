"""Lookalike digits and dropped points from synthetic CTC evidence (no model): characters.py."""

from __future__ import annotations

import numpy as np
import pytest

from ocr_service.characters import Alphabet, dropped_points, fix_lookalikes
from ocr_service.ctc import Glyphs, glyphs_from_ctc
from ocr_service.spacing import recognition

NONE = ("", 0.0)


def seconds(word: str, **alts: tuple[str, float]) -> list[tuple[str, float]]:
    """No second choices except those given by position (`p3=("O", 0.1)`)."""
    return [alts.get(f"p{i}", NONE) for i in range(len(word))]


def test_a_zero_between_letters_of_a_word_is_the_letter_o() -> None:
    assert fix_lookalikes("INV0ICE", seconds("INV0ICE")) == "INVOICE"
    assert fix_lookalikes("Kua1a", seconds("Kua1a")) == "Kuala"
    assert fix_lookalikes("No0dle:", seconds("No0dle:")) == "Noodle:"


def test_a_digit_at_a_words_edge_needs_the_models_second_choice() -> None:
    assert fix_lookalikes("N0:", seconds("N0:", p1=("o", 0.12))) == "No:"
    assert fix_lookalikes("Te1.", seconds("Te1.", p2=("l", 0.18))) == "Tel."
    assert fix_lookalikes("N0:", seconds("N0:", p1=("O", 0.01))) == "N0:"  # too weak
    assert fix_lookalikes("A1-200", seconds("A1-200", p1=("8", 0.3))) == "A1-200"  # not a lookalike


def test_codes_numbers_and_short_runs_keep_their_digits() -> None:
    for word in ("T0280", "H1N1", "K1A", "A1010", "500g", "1x", "OR1803"):
        assert fix_lookalikes(word, seconds(word)) == word, word
    sure = [("O", 0.4)] * 4
    assert fix_lookalikes("GST0%", [NONE] * 3 + sure[:2]) == "GST0%"  # a percentage
    assert fix_lookalikes("$1A", [NONE, ("I", 0.4), NONE]) == "$1A"  # an amount
    assert fix_lookalikes("H1N1", [NONE, ("I", 0.4), NONE, NONE]) == "H1N1"  # all or nothing


def test_ctc_evidence_gives_second_choices_and_characters_decoding_dropped() -> None:
    # classes: 0 blank, 1 "8", 2 "1", 3 ".", 4 "0", 5 "O", 6 space; columns: 8 _ _ 1 0
    alphabet = Alphabet.of(["blank", "8", "1", ".", "0", "O", " "])
    best = [1, 0, 0, 2, 4]
    probs = np.full((len(best), len(alphabet.chars)), 0.01)
    for col, cls in enumerate(best):
        probs[col, cls] = 0.9
    probs[1, 3] = probs[2, 3] = 0.3  # a point, never the best class, between 8 and 1
    probs[4, 5] = 0.08  # O is the second choice for the 0
    found = glyphs_from_ctc(probs, space_index=6, columns=5.0, alphabet=alphabet)
    assert found.second[0] == NONE  # an 8 has no lookalike letter to be
    assert found.second[2] == ("O", pytest.approx(0.08))
    (char, odds), _ = found.dropped
    assert char == "." and odds == pytest.approx(1 - 0.7**2)
    assert found.dropped[1] == NONE  # 1 and 0 touch: nothing between them
    assert glyphs_from_ctc(probs, space_index=6, columns=5.0).second == ()  # no alphabet, no evidence


def test_a_dropped_point_between_digits_comes_back_without_a_space() -> None:
    text = "8817"
    starts = (0, 3, 8, 11)
    found = Glyphs(starts, starts, (0.0, 0.3, 0.0), 14.0, (NONE,) * 4, (NONE, (".", 0.48), NONE))
    assert recognition(text, 0.9, found).text == "88.17"
    weak = Glyphs(starts, starts, (0.0, 0.0, 0.0), 14.0, (NONE,) * 4, (NONE, (".", 0.2), NONE))
    assert recognition(text, 0.9, weak).text == "8817"
    spaced = Glyphs(starts, starts, (0.0, 0.6, 0.0), 14.0, (NONE,) * 4, (NONE, (".", 0.48), NONE))
    assert recognition(text, 0.9, spaced).text == "88 17"  # the model's space is likelier
    assert dropped_points("8a17", [NONE, (".", 0.9), NONE], [0.0] * 3) == set()  # only between digits
