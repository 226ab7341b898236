"""The findings' fast paths give exactly what the paths they short-cut give.

Each fast path (issue 13, item 4) is held here to the code it replaces on generated text:
e-mail runs found from each '@' (language._strip_mail) against langdetect's MAIL_RE over the
whole text; the ASCII code points against the UTF-32 ones; the ASCII script short-cut against detect_script; the bucketed
licence index against a binary search of the whole index.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langdetect.detector import Detector

from provaudit.core import language, licensetext
from provaudit.core.language import LanguageIdentifier, detect_script

# ASCII letters and capitals (langdetect skips words in capitals), separators, e-mail and
# URL characters, Latin-1 and Vietnamese letters, combining marks, CJK, an astral letter.
_ALPHABET = ("abcxyzABCXYZ    .,;-_@:/0123456789\n\té¨üßÀÉ×«ăâ\u0301\u0323ơư"
             "\u2019\u201c中文かなカナ한국\U00020000")
_TEXTS = st.text(alphabet=_ALPHABET, max_size=300) | st.builds(
    lambda a, b: a + " ann.lee@mail.example.org " + b + " http://x.org/a@b " + b,
    st.text(alphabet=_ALPHABET, max_size=80), st.text(alphabet=_ALPHABET, max_size=80))
_SUPPRESS = [HealthCheck.function_scoped_fixture]


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet="ab.-_@1 Z,é", max_size=120))
def test_strip_mail_is_mail_re(text: str) -> None:
    assert language._strip_mail(text) == Detector.MAIL_RE.sub(" ", text)


@settings(max_examples=300, deadline=None)
@given(text=_TEXTS)
def test_strip_mail_is_mail_re_on_mixed_text(text: str) -> None:
    assert language._strip_mail(text) == Detector.MAIL_RE.sub(" ", text)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=_ALPHABET, max_size=200))
def test_code_points_are_the_utf32_code_points(text: str) -> None:
    cps = language._code_points(text)
    assert cps.dtype == (np.uint8 if text.isascii() else np.uint32)
    # the same text as _code_points makes, widened by the UTF-32 codec
    cleaned = Detector.URL_RE.sub(" ", text)
    cleaned = Detector.MAIL_RE.sub(" ", cleaned)
    if not cleaned.isascii() and language._VI_MARK.search(cleaned) is not None:
        cleaned = language.NGram.normalize_vi(cleaned)
    expected = np.frombuffer(cleaned[:10000].encode("utf-32-le", "surrogatepass"), dtype="<u4")
    assert cps.tolist() == expected.tolist()


@settings(max_examples=200, deadline=None, suppress_health_check=_SUPPRESS)
@given(text=st.text(alphabet="abcXYZ 0123456789.,;-_@:/\n\t", max_size=120)
       | st.builds(lambda a, b: a * 2100 + b, st.sampled_from([" ", "1", "."]), st.text("aZ", max_size=5)))
def test_ascii_script_short_cut_is_detect_script(identifier: LanguageIdentifier, text: str) -> None:
    assert identifier.identify(text)[1] == detect_script(text)


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    ident = LanguageIdentifier()
    ident.setup()
    return ident


def test_bucketed_licence_index_counts_as_a_binary_search() -> None:
    index = licensetext._index()
    rng = np.random.default_rng(13)
    present = rng.choice(index.hashes, 400, replace=False)
    queries = [np.unique(present[:300]), np.unique(np.concatenate([present[100:], rng.integers(0, 2**32, 200,
                                                                                          dtype=np.uint32)])),
               np.unique(index.hashes[:50]), np.unique(index.hashes[-50:])]
    for query in queries:
        counts = np.zeros(len(index.refs), np.int32)
        licensetext._best(index.hashes, index.starts, index.owners, index.sizes, query, counts)
        lo = np.searchsorted(index.hashes, query, "left")
        hi = np.searchsorted(index.hashes, query, "right")
        expected = np.zeros(len(index.refs), np.int64)
        for a, b in zip(lo, hi):
            np.add.at(expected, index.owners[a:b], 1)
        assert counts.tolist() == expected.tolist()
        assert counts.sum() > 0


def test_tag_hints_are_in_every_tag_marker() -> None:
    """find_spdx_tags skips a text without a hint: sound only if every marker holds one."""
    assert all(any(hint in marker for hint in licensetext._TAG_HINTS) for marker in licensetext._TAG_MARKERS)
    assert licensetext.find_spdx_tags("x\n// SPDX-License-Identifier: MIT\n") is not None
    assert licensetext.find_spdx_tags("x\n// spdx-license-identifier: MIT\n") is not None
    assert licensetext.find_spdx_tags("licence-free text, License: MIT") is None
