"""Characters that greedy CTC decoding gets wrong, put right from the recogniser's own evidence.

* Lookalike digits in words. PP-OCR recognisers read a receipt font's O as 0 and its l or I
  as 1 (`INV0ICE`, `N0:`, `Te1.`). In a run of Latin letters and such digits, the digits become
  letters when every one of them qualifies: one with at least MIN_LETTERS letters of the run on
  both sides needs nothing more, any other one needs the model's own second choice for it to be
  the letter, with at least LOOKALIKE probability. Codes keep their digits: a run with other
  digits (`T0280`), more digits than letters (`A1010`), or a number's sign (`0%`, `$1`).
* Dropped points. Greedy decoding keeps a column's likeliest class; a decimal point the model
  saw in the columns between two digits, but never as the best class, is lost (`8817` for
  88.17). It goes back when its odds there reach POINT and beat the space's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LOOKALIKES = {"0": "Oo", "1": "Il"}  # digit -> the letters it is mistaken for (upper, lower)
LOOKALIKE = 0.05  # the model's probability for the letter that turns an edge digit into it
MIN_LETTERS = 3  # letters in the run a digit between letters needs to become one unaided
POINT = 0.25  # odds of a dropped decimal point between two digits that put it back
DROPPABLE = ".,"  # characters put back between digits
NUMBER_AFTER = "%"  # a run followed by one of these is a number (0%)
NUMBER_BEFORE = "$€£¥#"  # ...and one preceded by one of these

Reading = tuple[str, float]  # a character and the model's probability for it
NONE: Reading = ("", 0.0)


@dataclass(frozen=True)
class Alphabet:
    """A recogniser's classes (index -> character), and which of them are droppable points."""

    chars: tuple[str, ...]
    points: tuple[int, ...]

    @classmethod
    def of(cls, chars: Sequence[str]) -> Alphabet:
        """The alphabet of a CTC decoder's character list."""
        return cls(tuple(chars), tuple(i for i, c in enumerate(chars) if c in DROPPABLE))


def second_choices(
    probs: np.ndarray, starts: Sequence[int], ends: Sequence[int], alphabet: Alphabet, blank: int = 0
) -> tuple[Reading, ...]:
    """For each lookalike digit, its likeliest other reading over its own columns and that
    reading's probability (NONE for every other character)."""
    out: list[Reading] = []
    for start, end in zip(starts, ends, strict=True):
        best = int(probs[start].argmax())
        if alphabet.chars[best] not in LOOKALIKES:
            out.append(NONE)
            continue
        cols = probs[start : end + 1].max(axis=0)
        cols[[blank, best]] = 0.0
        other = int(cols.argmax())
        out.append((alphabet.chars[other], float(cols[other])))
    return tuple(out)


def dropped(
    probs: np.ndarray, starts: Sequence[int], ends: Sequence[int], alphabet: Alphabet
) -> tuple[Reading, ...]:
    """Between character i and i+1, the likeliest point in the blank columns that separate
    them, with its odds of being there (columns taken as independent)."""
    out: list[Reading] = []
    for end, start in zip(ends[:-1], starts[1:], strict=True):
        if start - end < 2 or not alphabet.points:
            out.append(NONE)
            continue
        odds = 1.0 - np.prod(1.0 - probs[end + 1 : start][:, list(alphabet.points)], axis=0)
        best = int(odds.argmax())
        out.append((alphabet.chars[alphabet.points[best]], float(odds[best])))
    return tuple(out)


def dropped_points(text: str, found: Sequence[Reading], spaces: Sequence[float]) -> set[int]:
    """Indices i of digits followed by a digit where a dropped point goes between them: its
    odds reach POINT and beat the space's (`spaces`)."""
    return {
        i
        for i, (char, odds) in enumerate(found[: len(text) - 1])
        if char in DROPPABLE and odds >= max(POINT, spaces[i]) and text[i].isdigit() and text[i + 1].isdigit()
    }


def _letter(digit: str, second: Reading, near: str, sure: bool) -> str | None:
    """The letter a lookalike digit stands for (the model's second choice, else the case of the
    nearest letters), or None when the evidence does not say so."""
    upper, lower = LOOKALIKES[digit][0], LOOKALIKES[digit][1]
    char, odds = second
    named = char in (upper, lower)
    if not (sure or (named and odds >= LOOKALIKE)):
        return None
    if named:
        return char
    return lower if near.islower() else upper


def _fix_run(run: str, seconds: Sequence[Reading]) -> str:
    """A run of ASCII letters and digits with its lookalike digits as letters, or as it is."""
    letters = [i for i, c in enumerate(run) if c.isalpha()]
    digits = [i for i, c in enumerate(run) if c.isdigit()]
    if not letters or not digits or len(digits) > len(letters):
        return run
    if any(run[i] not in LOOKALIKES for i in digits):
        return run
    out = list(run)
    for i in digits:
        left = [k for k in letters if k < i]
        right = [k for k in letters if k > i]
        sure = bool(left and right) and len(letters) >= MIN_LETTERS
        near = "".join(run[k] for k in left[-1:] + right[:1])
        letter = _letter(run[i], seconds[i], near, sure)
        if letter is None:
            return run
        out[i] = letter
    return "".join(out)


def _is_run_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


def fix_lookalikes(word: str, seconds: Sequence[Reading]) -> str:
    """The word with lookalike digits in its letter runs read as letters (see the module
    docstring); `seconds` holds each character's second choice."""
    out: list[str] = []
    i = 0
    while i < len(word):
        if not _is_run_char(word[i]):
            out.append(word[i])
            i += 1
            continue
        j = i
        while j < len(word) and _is_run_char(word[j]):
            j += 1
        run = word[i:j]
        number = (j < len(word) and word[j] in NUMBER_AFTER) or (i > 0 and word[i - 1] in NUMBER_BEFORE)
        out.append(run if number else _fix_run(run, seconds[i:j]))
        i = j
    return "".join(out)
