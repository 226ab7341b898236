"""The findings loop's third round of short-cuts gives exactly what the code it replaced gave.

Issue 13, item 4. Each short-cut is held to the straightforward path on generated text:

* language._detect_block normalises with a vectorisable division and stops on "any
  probability above 0.99999" instead of "the maximum above it": its averaged probabilities
  are held, float for float, to langdetect's own ``Detector._detect_block``;
* licensetext._holds_marker (one pass over an ASCII head) against
  ``any(marker in head.lower() for marker in _TEXT_MARKERS)``, and match_text's answers
  against the gate it replaced;
* the reader checks an ASCII field for lone surrogates without a scan (an ASCII str holds
  none): a field quarantines exactly when it holds one;
* Annotator.setup loads the Public Suffix List (it was loaded by the first URL with a host).
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langdetect.detector_factory import DetectorFactory

from provaudit.core import domains, language, licensetext
from provaudit.core.findings import Annotator
from provaudit.core.language import LanguageDetector
from provaudit.core.readers import ReaderSpec, read_shard
from provaudit.core.records import Document, Quarantined

_SUPPRESS = [HealthCheck.function_scoped_fixture]

# --- language: the trials' normalisation and stopping test -------------------------------

# Letters of several scripts, capitals, digits and punctuation, an e-mail address and a URL:
# texts langdetect answers with one language, with several, or with none.
_ALPHABET = "abcdefghijklmnopqrstuvwxyz ABCXYZ .,;-@:/0123456789\néèüßàăâơ\u0301абвгд مرحبا中文かな한국"
_TEXTS = st.text(alphabet=_ALPHABET, min_size=1, max_size=300) | st.builds(
    lambda a, b, n: (a + " " + b) * n,
    st.text(alphabet="abcdefghij klmnop éè", max_size=40), st.text(alphabet=_ALPHABET, max_size=40),
    st.integers(1, 40))
_PARAGRAPHS = [
    "The quick brown fox jumps over the lazy dog near the river bank, and then it rests.",
    "Der schnelle braune Fuchs springt über den faulen Hund und ruht sich danach aus.",
    "Le renard brun rapide saute par-dessus le chien paresseux, puis il se repose.",
    "El rápido zorro marrón salta sobre el perro perezoso y luego descansa un rato.",
    "Быстрая коричневая лиса прыгает через ленивую собаку и потом отдыхает.",
    "Tiếng Việt có dấu: người, được, những, và một con cáo nâu nhanh nhẹn.",
    "ok ok ok ok",
]


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    d = LanguageDetector()
    d.setup()
    return d


@pytest.fixture(scope="module")
def factory() -> DetectorFactory:
    """langdetect's factory with its profiles in sorted order (as provaudit loads them), seed 0."""
    from langdetect.detector_factory import PROFILES_DIRECTORY
    from langdetect.utils.lang_profile import LangProfile

    names = sorted(n for n in os.listdir(PROFILES_DIRECTORY) if not n.startswith("."))
    f = DetectorFactory()
    for index, name in enumerate(names):
        with open(os.path.join(PROFILES_DIRECTORY, name), encoding="utf-8") as fh:
            f.add_profile(LangProfile(**json.load(fh)), index, len(names))
    f.set_seed(0)
    return f


def _kernel_langprob(detector: LanguageDetector, text: str) -> list[float] | None:
    t = detector._tables
    assert t is not None and detector._words is not None
    langprob, status = language._detect_block(
        language._profile_rows(language._code_points(text), t), t.probs, detector._words, language._COMPENSATED)
    assert status != language._STREAM_EXHAUSTED
    return None if status == language._NO_FEATURES else langprob.tolist()


def _langdetect_langprob(factory: DetectorFactory, text: str) -> list[float] | None:
    d = factory.create()
    d.append(text)
    if not d._extract_ngrams():
        return None  # langdetect raises "No features in text."
    d._detect_block()
    return list(d.langprob)


@settings(max_examples=150, deadline=None, suppress_health_check=_SUPPRESS)
@given(text=_TEXTS)
def test_trials_give_langdetects_probabilities(detector: LanguageDetector, factory: DetectorFactory,
                                               text: str) -> None:
    assert _kernel_langprob(detector, text) == _langdetect_langprob(factory, text)


@pytest.mark.parametrize("text", _PARAGRAPHS)
def test_trials_give_langdetects_probabilities_on_prose(detector: LanguageDetector, factory: DetectorFactory,
                                                        text: str) -> None:
    ours = _kernel_langprob(detector, text)
    assert ours is not None and ours == _langdetect_langprob(factory, text)
    assert detector.detect(text).confidence == max(ours)


# --- licence evidence: the gate kernel ----------------------------------------------------

_ASCII_MARKERS = [m for m in licensetext._TEXT_MARKERS if m.isascii()]
# Markers in several cases, cut short, glued to letters; words that share their first letters.
_GATE_PIECES = st.sampled_from(
    [*_ASCII_MARKERS, *(m.upper() for m in _ASCII_MARKERS), *(m.title() for m in _ASCII_MARKERS),
     *(m[:-1] for m in _ASCII_MARKERS), "lice", "licen", "LICENCE", "copy", "copyrigh", "warran",
     "with", "without", "public", "free", "droi", "redistribu", "permissio", "Lizenz", " ", "\n", "x"])
_GATE_TEXTS = st.lists(_GATE_PIECES | st.text(alphabet="abcdeilnrsty ,.-", max_size=8), max_size=30).map("".join)


def _reference_named(head: str) -> bool:
    low = head.lower()
    return any(marker in low for marker in licensetext._TEXT_MARKERS)


def _holds(head: str) -> bool:
    return bool(licensetext._holds_marker(np.frombuffer(head.encode("ascii"), np.uint8), *licensetext._GATE))


@settings(max_examples=600, deadline=None)
@given(head=_GATE_TEXTS)
def test_gate_kernel_is_the_substring_search(head: str) -> None:
    assert _holds(head) == _reference_named(head)


@pytest.mark.parametrize("head", ["", "lic", "licen", "xlicen", "LICENSE", "Licence: MIT", "the public domain",
                                  "publicdomain", "free  software", "Free Software", "copyrigh", "copyright",
                                  "without restriction", "withou restriction", "droit d'auteur", "lizenz"])
def test_gate_kernel_on_edges(head: str) -> None:
    assert _holds(head) == _reference_named(head)


def test_gate_tables_hold_every_ascii_marker() -> None:
    fold, slots, firsts, chars, bounds = licensetext._GATE
    words = [chars[a:b].tobytes().decode("ascii") for a, b in itertools.pairwise(bounds)]
    assert words == _ASCII_MARKERS
    assert all(slots[licensetext._marker_slot(int(f))] for f in firsts)
    assert fold[ord("A")] == ord("a") and fold[ord("z")] == ord("z") and fold[ord("@")] == ord("@")


def _match_text_reference(detector: licensetext.LicenseTextDetector, text: str) -> object:
    """match_text with the gate it had before the kernel: lower() and a substring search per marker."""
    head = text[: licensetext.GATE_CHARS]
    low = head.lower()
    if not _reference_named(head) and not (
            len(head) < licensetext.SHORT_CHARS and any(m in low for m in licensetext._SHORT_MARKERS)):
        return None
    return detector.match_text(text)


_LICENCE_PIECES = st.sampled_from([
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this software",
    " and associated documentation files (the \"Software\"), to deal in the Software without restriction,",
    " including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense,",
    "Licensed under the Apache License, Version 2.0 (the \"License\");",
    "This program is free software; you can redistribute it and/or modify it",
    "Crystal Stacker is freeware. Distribution is allowed.", "版权所有", "Lizenz: frei", "plain words here. ",
])


@settings(max_examples=200, deadline=None)
@given(text=st.lists(_LICENCE_PIECES | st.text(alphabet="abc XYZ.\né", max_size=30), max_size=12).map("".join))
def test_match_text_answers_as_before(text: str) -> None:
    detector = licensetext.LicenseTextDetector()
    assert detector.match_text(text) == _match_text_reference(detector, text)


# --- reader: the ASCII short-cut of the lone-surrogate check ------------------------------

_FIELDS = st.text(alphabet="ab 1é中\ud800\udfff", max_size=12) | st.text(alphabet="ab1 .", max_size=12)


@settings(max_examples=200, deadline=None)
@given(text=_FIELDS, doc_id=_FIELDS, url=_FIELDS, license_raw=_FIELDS)
def test_a_field_quarantines_exactly_when_it_holds_a_surrogate(text: str, doc_id: str, url: str,
                                                                license_raw: str) -> None:
    record = {"id": doc_id, "text": text, "url": url, "license": license_raw}
    spec = ReaderSpec(source="s", format="jsonl", id_field="id", url_field="url", license_field="license")
    line = json.dumps(record)  # "\ud800" escapes: any str travels (a pair decodes as one character)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "shard.jsonl"
        path.write_text(line + "\n", encoding="ascii")
        items = list(read_shard(str(path), path.name, spec))
    held = any(0xD800 <= ord(c) <= 0xDFFF for v in json.loads(line).values() for c in v)
    assert len(items) == 1 and isinstance(items[0], Quarantined if held else Document)


# --- setup ----------------------------------------------------------------------------------


def test_setup_loads_the_public_suffix_list() -> None:
    domains.public_suffix_list.cache_clear()
    Annotator().setup()
    assert domains.public_suffix_list.cache_info().currsize == 1
