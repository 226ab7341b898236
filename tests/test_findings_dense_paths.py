"""The findings loop's table and gate short-cuts give exactly what the paths they replace give.

Issue 13, item 4. Each short-cut is held to the straightforward path on generated text:

* language._extract_dense (direct 1-, 2- and 3-gram tables, branch-free appends) and
  language._extract_ascii (the same walk over the symbols of ASCII text) against
  tests/langdetect_oracle.py's _extract_ngrams (every n-gram probed in the hash table), which
  tests/test_language.py holds to langdetect's own Detector._extract_ngrams;
* every entry of the direct tables against a binary search of the profile keys;
* whole ledger rows of a few hundred varied documents against an Annotator whose
  language tables take the hash path.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provaudit.core import language, pii
from provaudit.core.findings import Annotator, SourceFacts
from provaudit.core.records import Document

# ASCII letters, capitals (words in capitals are skipped), digits and punctuation (they
# normalise to spaces), Latin-1 and Vietnamese letters and marks, Arabic, Cyrillic, CJK,
# kana, Hangul, an astral letter: every branch of the tables' short-cut.
_ALPHABET = ("abcdefghijklmnopqrstuvwxyz ABCDEFXYZ  .,;-_@:/0123456789\n\téèüßÀÉ×«ăâơư\u0301\u0323"
             "\u2019\u201cабвгДЖ مرحبا中文国かなカナ한국\u3000\U00020000\U0001d400")
_TEXTS = st.text(alphabet=_ALPHABET, max_size=400) | st.builds(
    lambda a, b, n: (a + " " + b) * n,
    st.text(alphabet="abcdeXYZ Éé.", max_size=40), st.text(alphabet=_ALPHABET, max_size=40),
    st.integers(1, 60))
_SUPPRESS = [HealthCheck.function_scoped_fixture]


@pytest.fixture(scope="module")
def tables() -> language._Tables:
    detector = language.LanguageDetector()
    detector.setup()
    assert detector._tables is not None
    return detector._tables


def _dense_rows(t: language._Tables, cps: np.ndarray) -> np.ndarray:
    d = t.dense
    return language._extract_dense(cps, t.normal, t.upper, t.slot_keys, t.slot_rows, d.code, d.uni, d.bi, d.tri)


@settings(max_examples=400, deadline=None, suppress_health_check=_SUPPRESS)
@given(text=_TEXTS)
def test_dense_ngrams_are_the_hashed_ngrams(tables: language._Tables, text: str) -> None:
    cps = language._code_points(text)
    from langdetect_oracle import _extract_ngrams

    hashed = _extract_ngrams(cps, tables.normal, tables.upper, tables.slot_keys, tables.slot_rows)
    assert _dense_rows(tables, cps).tolist() == hashed.tolist()


_ASCII_TEXTS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFXYZ  .,;-_@:/0123456789\n\t'\"~", max_size=400) | st.builds(
    lambda a, b, n: (a + " " + b) * n, st.text(alphabet="abcXYZ .-", max_size=40),
    st.text(alphabet="AbcdEF 12.\n", max_size=40), st.integers(1, 60))


@settings(max_examples=400, deadline=None, suppress_health_check=_SUPPRESS)
@given(text=_ASCII_TEXTS)
def test_ascii_ngrams_are_the_hashed_ngrams(tables: language._Tables, text: str) -> None:
    cps = language._code_points(text)
    assert cps.dtype == np.uint8
    from langdetect_oracle import _extract_ngrams

    hashed = _extract_ngrams(cps, tables.normal, tables.upper, tables.slot_keys, tables.slot_rows)
    assert language._profile_rows(cps, tables).tolist() == hashed.tolist()
    assert _dense_rows(tables, cps.astype(np.uint32)).tolist() == hashed.tolist()


def test_dense_tables_are_the_profile_lookups(tables: language._Tables) -> None:
    """Every table entry is the row of its n-gram's key (binary search of the keys), or -1."""
    order = np.argsort(tables.keys)
    keys = tables.keys[order]

    def rows_of(packed: np.ndarray) -> np.ndarray:
        i = np.minimum(np.searchsorted(keys, packed), keys.size - 1)
        return np.where(keys[i] == packed, order[i], -1)

    d = tables.dense
    symbols = np.array([ord(c) for c in language._DENSE_CHARS], dtype=np.uint64)
    assert [int(d.code[ord(c)]) for c in language._DENSE_CHARS] == list(range(len(symbols)))
    assert int((d.code >= 0).sum()) == len(symbols)
    assert d.uni.tolist() == rows_of(np.arange(0x10000, dtype=np.uint64)).tolist()
    side = 1 << language._DENSE_BITS
    a, b = np.meshgrid(symbols, symbols, indexing="ij")
    bi = rows_of((a << np.uint64(21)) | b)
    assert d.bi.reshape(side, side)[: len(symbols), : len(symbols)].tolist() == bi.tolist()
    a, b, c = np.meshgrid(symbols, symbols, symbols, indexing="ij")
    tri = rows_of((a << np.uint64(42)) | (b << np.uint64(21)) | c)
    assert d.tri.reshape(side, side, side)[: len(symbols), : len(symbols), : len(symbols)].tolist() == tri.tolist()
    assert 0 < int((tri >= 0).sum()) < tri.size  # the tables hold hits and misses
    # the ASCII kernel's tables: each character's symbol once normalised, each symbol's 1-gram
    assert d.ascii_symbol.tolist() == [int(d.code[int(tables.normal[c])]) for c in range(128)]
    assert d.symbol_uni[: len(symbols)].tolist() == rows_of(symbols).tolist()
    assert (d.symbol_uni[len(symbols):] == -1).all()


def test_normalised_ascii_is_a_space_or_a_letter(tables: language._Tables) -> None:
    """The symbols cover what NGram.normalize makes of ASCII (others take the hash path)."""
    made = {chr(int(tables.normal[c])) for c in range(128)}
    assert made <= set(language._DENSE_CHARS)


# --- whole rows -------------------------------------------------------------------------

_PIECES = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this software",
    "Licensed under the Apache License, Version 2.0 (the \"License\"); you may not use this file",
    "Der schnelle braune Fuchs springt über den faulen Hund. Lizenz: frei.",
    "Le renard brun rapide saute par-dessus le chien paresseux, droit d'auteur réservé.",
    "Быстрая коричневая лиса прыгает через ленивую собаку.",
    "敏捷的棕色狐狸跳过了懒狗。本软件版权所有，许可证见文件。",
    "素早い茶色の狐が怠惰な犬を飛び越える。ライセンスはこちら。",
    "빠른 갈색 여우가 게으른 개를 뛰어넘는다.",
    "Tiếng Việt có dấu: người, được, những.",
    "Contact ann.lee@mail.example.org or +44 20 7946 0958, card 4111 1111 1111 1111, host 192.0.2.44.",
    "SPDX-License-Identifier: MIT",
    "README INSTALL NOTES FOR THE PACKAGE",
    "def main(argv):\n    return 0  # see https://example.org/a?b=c",
    "1234 5678 .... ---- ////",
    "",
]


def _documents(n: int) -> list[Document]:
    rng = random.Random(13)
    docs = []
    for i in range(n):
        parts = [rng.choice(_PIECES) for _ in range(rng.choice([1, 2, 5, 20, 200]))]
        text = rng.choice([" ", "\n", ""]).join(parts)
        if i % 7 == 0:
            text = text.upper()
        docs.append(Document(f"doc-{i}", "src", "shard-0", f"line:{i}", text, None, None))
    return docs


def test_rows_equal_the_straightforward_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _documents(300)
    facts = SourceFacts("MIT", "open-license")
    fast = Annotator()
    fast.setup()
    fast_rows = [fast.annotate(d, facts) for d in docs]

    plain = Annotator()
    plain.setup()
    detector = plain._language._langdetect
    t = detector._tables
    assert t is not None
    # Bigrams and trigrams through the hash table (no symbol has a table entry); the
    # unigram table rebuilt from the profile keys.
    uni = np.full(0x10000, -1, dtype=np.int32)
    for row, key in enumerate(t.keys.tolist()):
        if key < 0x10000:
            uni[key] = row
    detector._tables = t._replace(dense=t.dense._replace(code=np.full(128, -1, dtype=np.int64), uni=uni))
    # ASCII text as code points, not bytes: the dense kernel, not the ASCII one
    code_points = language._code_points
    monkeypatch.setattr(language, "_code_points", lambda prefix: code_points(prefix).astype(np.uint32))
    plain_rows = [plain.annotate(d, facts) for d in docs]
    assert fast_rows == plain_rows
    assert len({r.language for r in fast_rows}) >= 5
    assert any(r.license_detected for r in fast_rows) and any(r.pii_email for r in fast_rows)


def test_annotate_many_gives_annotate_rows() -> None:
    """Findings run over documents read together (as the scan does) give each document's own row."""
    docs = _documents(200)
    facts = [SourceFacts("MIT", "open-license"), SourceFacts(None, "licensed", 120),
             SourceFacts("GPL-2.0", "self-collected", 3_000)]
    per_doc = [facts[i % 3] for i in range(len(docs))]
    annotator = Annotator(num_perm=32)
    annotator.setup()
    one_by_one = [annotator.annotate(d, f) for d, f in zip(docs, per_doc)]
    together = [row for i in range(0, len(docs), 64)
                for row in annotator.annotate_many(docs[i:i + 64], per_doc[i:i + 64])]
    assert together == one_by_one
    assert annotator.annotate_many([], []) == []
    assert len({r.analysed_chars for r in together}) > 3  # the windows differ by source


# --- personal information: the number-window prescreen -----------------------------------


def _number_windows_reference(text: str) -> list[tuple[int, int]]:
    """pii._number_windows as it was before its "0" and "+" gates: the three hints alone."""
    zeroed = text.encode("utf-8", "surrogatepass").translate(pii._ZERO_DIGITS)
    if not (pii._DIGITS_HINT.search(zeroed) or pii._IP_HINT.search(zeroed) or b"+0" in zeroed):
        return []
    if len(zeroed) == len(text):
        runs = [m.span() for m in pii._ZEROED_RUN.finditer(zeroed)]
    else:
        runs = [m.span() for m in pii._NUMBER_RUN.finditer(text)]
    return [(max(0, start - 1), min(len(text), stop + 3)) for start, stop in runs]


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet="0123456789 .+-()x\n", max_size=60)
       | st.text(alphabet="ab +.-19é中", max_size=60)
       | st.builds(lambda a, b: a + b, st.sampled_from(["+44 20 7946 0958", "192.0.2.44", "138 1234 5678",
                                                        "no digits here", "+ 0", "a+b"]),
                   st.text(alphabet="ab 0+.", max_size=20)))
def test_number_window_gates_are_the_hints(text: str) -> None:
    assert pii._number_windows(text) == _number_windows_reference(text)
