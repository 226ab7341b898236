"""Tiny classifiers for tests/test_screening*.py (loaded by import path like a real one)."""

from __future__ import annotations

from collections.abc import Callable

CALLS = {"factory": 0}


def word_score(word: str = "alarm", risk: str = "A.4-1") -> Callable[[str], dict[str, float]]:
    """Score ``risk`` 0.9 when ``word`` is in the text, else 0.1; counts factory calls."""
    CALLS["factory"] += 1
    return lambda text: {risk: 0.9 if word in text else 0.1}


def out_of_range() -> Callable[[str], dict[str, float]]:
    return lambda text: {"A.4-1": 1.5}


def undeclared() -> Callable[[str], dict[str, float]]:
    return lambda text: {"A.1-1": 0.2}


NOT_CALLABLE = 42
