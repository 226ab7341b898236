"""Built-in screening classifiers (pure, deterministic, nothing to download).

Contract: a classifier is a factory named by import path in ``screening.classifiers``
(``callable: "package.module:factory"``); provaudit calls it once per worker with the
classifier's ``options`` as keyword arguments, and the function it returns is called with
each document's analysed text and returns ``{risk code: score}``, scores in 0..1 for risks
the classifier declares (see :mod:`provaudit.core.screening`).

:func:`character_quality` scores TC260-003 risk A.5-2 (content that cannot help a user) from
character statistics of the first ``max_chars`` characters; the score is the largest of:

- ``short``: 1 for fewer than ``min_chars`` / 5 word characters (letters, digits, marks), falling linearly to 0
  at ``min_chars`` (a text too short to say anything);
- ``repeated_lines``: the share of line characters in lines (of 3 or more lines) that
  repeat an earlier line exactly (navigation, footers, copy-paste spam);
- ``symbols``: punctuation and symbols as a share of the non-space characters, 0 up to
  30 %, rising linearly to 1 at 70 % (markup debris, ASCII art, emoji strings);
- ``repetition``: among 3-grams of words (of characters for a text mostly in Han, kana or
  Hangul), the share that repeat an earlier one, 0 up to 20 %, rising to 1 at 70 %
  (keyword stuffing, "buy now buy now"); only for texts of 20 or more grams.

Ordinary prose scores near 0; a score >= the classifier's threshold (default 0.5) flags the
document. The score is a boilerplate/spam-likeness measure, not a judgement of meaning.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_WORD = re.compile(r"\w+")
_NOT_ALNUM = re.compile(r"[\W_]+")
_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def _ramp(value: float, low: float, high: float) -> float:
    """0 at or below ``low``, 1 at or above ``high``, linear between."""
    if value <= low:
        return 0.0
    if value >= high:
        return 1.0
    return (value - low) / (high - low)


def quality_components(text: str, min_chars: int = 50, max_chars: int = 20_000) -> dict[str, float]:
    """The four components of :func:`character_quality`'s score (each 0..1)."""
    text = text[:max_chars]
    stripped = _SPACE.sub("", text)
    letters = _NOT_ALNUM.sub("", stripped)  # letters, digits and marks (regex \w minus "_")
    alnum = len(letters)
    short = 1.0 - _ramp(alnum, min_chars / 5, min_chars)
    symbols = _ramp((len(stripped) - alnum) / len(stripped), 0.3, 0.7) if stripped else 0.0
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    repeated = 0.0
    if len(lines) >= 3:
        seen: set[str] = set()
        dup = total = 0
        for line in lines:
            total += len(line)
            if line in seen:
                dup += len(line)
            seen.add(line)
        repeated = dup / total
    units: Any
    if len(_CJK.findall(text)) * 2 > alnum:
        units = letters
    else:
        units = _WORD.findall(text.lower())
    total = len(units) - 2
    repetition = 0.0
    if total >= 20:
        distinct = len(set(zip(units, units[1:], units[2:])))
        repetition = _ramp(1 - distinct / total, 0.2, 0.7)
    return {"short": short, "repeated_lines": repeated, "symbols": symbols, "repetition": repetition}


def character_quality(min_chars: int = 50, max_chars: int = 20_000) -> Callable[[str], dict[str, float]]:
    """Factory of the A.5-2 boilerplate/spam-likeness classifier (see the module contract)."""
    if min_chars < 5 or max_chars < min_chars:
        raise ValueError(f"character_quality: need 5 <= min_chars <= max_chars (got {min_chars}, {max_chars})")

    def score(text: str) -> dict[str, float]:
        parts = quality_components(text, min_chars, max_chars)
        return {"A.5-2": round(max(parts.values()), 6)}

    return score
