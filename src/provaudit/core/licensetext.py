"""Licence evidence inside a document's text: SPDX tags, licence texts and standard notices.

Contract
--------
``LicenseTextDetector().detect(text)`` returns a :class:`Detection` (``spdx``, ``category``,
``by``) or ``None`` when the text carries no licence evidence. It never raises on any text,
is deterministic (same text, same answer, in any process), and reads only data installed
with the package (nothing is downloaded). ``by`` is one of :data:`DETECTED_BY`:

* ``spdx-tag``: an ``SPDX-License-Identifier:`` line in the first :data:`TAG_PREFIX_CHARS`
  characters whose expression :func:`provaudit.core.licenses.normalize_license` resolves
  (several tags with different licences are joined with ``AND``). A tag wins over a text
  match: it is the author's explicit statement.
* ``text-match``: the document is, or begins with, the text of a licence of ScanCode's
  LicenseDB (which holds the text of every SPDX licence and exception).
* ``notice``: the document's beginning holds a standard licence notice ("This program is
  free software; you can redistribute it ... either version 2 of the License, or (at your
  option) any later version"; "Licensed under the Apache License, Version 2.0 ...") from
  ScanCode's notice rules or a licence's ``standard_notice``.

How text is matched
-------------------
Texts are cut into word 5-grams hashed with the MinHash machinery's shingle hash
(:func:`provaudit.core.minhash.shingle_hashes`, the 32-bit shingle hash of the MinHash
signatures: lower case, punctuation ignored; a 32-bit collision adds at most a stray hit). Each
reference (a licence text or a notice) is indexed by the distinct 5-grams of its first
:data:`WINDOW` words; a document is looked up with the distinct 5-grams of its first
:data:`WINDOW` words (from at most :data:`PREFIX_CHARS` characters). For each reference,
``hits`` is the number of shared 5-grams and ``coverage = hits / size`` the share of the
reference's window found in the document. A reference is a candidate when ``coverage >=``
:data:`MIN_COVERAGE` and ``hits >=`` :data:`MIN_HITS`; the candidate with the largest
``hits * coverage**2`` wins. A licence text shorter than that (FSFUL, 19 words) is a
candidate only when the document is that text: ``coverage`` and the share of the
document's 5-grams it explains both at least :data:`MIN_WHOLE`, with :data:`MIN_HITS_WHOLE`
5-grams at least. The best (a longer text fully present beats a shorter one it contains:
MIT beats MIT-0 on the MIT text, and MIT-0 wins on its own text), ties going to the
reference sorted first by (identifier, source file). Licence texts of different licences
whose windows are the same (Artistic-1.0 and Artistic-1.0-cl8 differ in a clause near the
end) are told apart by the same score over their whole texts, only when one of them wins. References whose licence is a generic
or unknown ScanCode entry (``unknown``, ``other-permissive``, ...) are not indexed.

Cost: a document is looked up only when its first :data:`GATE_CHARS` characters, lower
cased, contain a licence word (``licen``, ``copyright``, ``warrant``, ``permission``,
``public domain``, ``redistribut``, ... and the Chinese and Japanese words for licence and
copyright) or, for a document shorter than :data:`SHORT_CHARS`, a short licence's word
(``distribut``, ``freely``, ...); hits are counted by a numba kernel over the sorted index,
a query hash found by a short scan of its bucket (hashes bucketed by their top 20 bits).

Data: ``licensedcode-data`` (ScanCode's LicenseDB licence texts and rules, CC-BY-4.0),
read once per process when the detector is first used.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
from pathlib import Path
from typing import NamedTuple

import numba
import numpy as np

from provaudit.core.licenses import (
    CATEGORY_BY_SPDX,
    normalize_license,
    normalize_scancode_expression,
)
from provaudit.core.minhash import shingle_hashes

__all__ = ["DETECTED_BY", "Detection", "LicenseTextDetector", "find_spdx_tags"]

DETECTED_BY = ("spdx-tag", "text-match", "notice")
TAG_PREFIX_CHARS = 65_536  # SPDX tags are file headers; a concatenation keeps them near the top
PREFIX_CHARS = 4_000  # characters read for text matching (the first WINDOW words fit in it)
WINDOW = 300  # words of a document and of each reference that are compared
TWIN_CHARS = 200_000  # characters compared when licence texts share their window (rare)
GATE_CHARS = 4_000  # a licence text or notice names itself in its first characters
NGRAM = 5
MIN_COVERAGE = 0.8
MIN_HITS = 20  # 5-grams: about 24 words, so a stray sentence is no licence
MIN_HITS_WHOLE = 8  # a shorter licence counts only when the document is that text and no more
MIN_WHOLE = 0.95
MIN_NOTICE_WORDS = 20
MIN_RELEVANCE = 90

_TAG_MARKERS = ("License-Identifier", "license-identifier", "LICENSE-IDENTIFIER", "License-identifier")
# Every tag marker holds one of these: a text without both is searched twice, not four times.
_TAG_HINTS = ("icense-", "ICENSE-")
# A licence text or notice has one of these (lower case) in its first GATE_CHARS
# characters; a document without any is not looked up (most documents of a corpus: a few
# substring searches instead of hashing).
_TEXT_MARKERS = ("licen", "lizenz", "copyright", "warrant", "permission", "public domain", "redistribut",
                 "free software", "without restriction", "droit",
                 "ライセンス", "許諾", "著作権", "许可", "版权", "授权")
# A short document may be a short licence that names none of those ("Crystal Stacker is
# freeware ... distribution", "you can do what you want with it ... responsibility").
SHORT_CHARS = 1_500
_SHORT_MARKERS = ("distribut", "freely", "responsib", "freeware")
_TAG = re.compile(r"SPDX-License-Identifier:[ \t]*([^\r\n]*)", re.IGNORECASE)

def _gate_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ASCII markers of _TEXT_MARKERS as the tables of :func:`_holds_marker`.

    (fold: ASCII byte -> its lower case; slots: 1 where a marker's first 4 bytes hash;
    firsts: those 4 bytes as an integer, one per marker; chars: the markers' bytes end to
    end; bounds: where each marker starts in chars, and the end.)
    """
    markers = [m.encode("ascii") for m in _TEXT_MARKERS if m.isascii()]
    if min(map(len, markers)) < 4:
        raise RuntimeError("_holds_marker needs gate markers of at least 4 characters")
    fold = np.frombuffer(bytes(range(128)).lower(), np.uint8).copy()
    firsts = np.array([int.from_bytes(m[:4], "big") for m in markers], np.int64)
    slots = np.zeros(1 << 16, np.uint8)
    slots[_marker_slot(firsts)] = 1
    chars = np.frombuffer(b"".join(markers), np.uint8).copy()
    bounds = np.cumsum([0] + [len(m) for m in markers]).astype(np.int64)
    return fold, slots, firsts, chars, bounds


def _marker_slot(first4):  # type: ignore[no-untyped-def]
    """Slot of 4 bytes (an integer < 2**32) in the 2**16 slots: Fibonacci hashing."""
    return ((first4 * 0x9E3779B1) & 0xFFFFFFFF) >> 16


@numba.njit(cache=True, nogil=True)
def _holds_marker(buf, fold, slots, firsts, chars, bounds):  # type: ignore[no-untyped-def]
    """Whether ``buf`` (ASCII bytes), lower-cased, holds one of the markers of _gate_tables.

    ``any(m in head.lower() for m in _TEXT_MARKERS)`` for an ASCII head in one pass: the
    last 4 bytes seen are looked up in ``slots`` and, on a hit, compared with each marker's
    first 4 and the rest of that marker with the bytes that follow. Ten ``str.__contains__``
    scans of the head cost about three times as much (most documents hold no marker and
    are scanned to the end); a pyahocorasick automaton more still.
    """
    n = buf.size
    x = 0
    for i in range(n):
        x = ((x << 8) | np.int64(fold[buf[i]])) & 0xFFFFFFFF
        if i < 3 or slots[((x * 0x9E3779B1) & 0xFFFFFFFF) >> 16] == 0:
            continue
        start = i - 3
        for k in range(firsts.size):
            if firsts[k] != x:
                continue
            a = bounds[k]
            length = bounds[k + 1] - a
            if start + length > n:
                continue
            j = 4
            while j < length and fold[buf[start + j]] == chars[a + j]:
                j += 1
            if j == length:
                return True
    return False


_GATE = _gate_tables()
_TAG_TAIL = re.compile(r"\s*(?:\*/|-->|\*\)|#\}|%\}|\"\"\"|'''|[\"';,])*\s*$")


class Detection(NamedTuple):
    """Licence evidence found in a text."""

    spdx: str
    category: str
    by: str  # one of DETECTED_BY


def find_spdx_tags(text: str) -> Detection | None:
    """Return the licence of the ``SPDX-License-Identifier`` lines near the top, or None."""
    head = text[:TAG_PREFIX_CHARS]
    if not any(hint in head for hint in _TAG_HINTS) or not any(marker in head for marker in _TAG_MARKERS):
        return None
    found: list[str] = []
    for m in _TAG.finditer(head):
        expression = _TAG_TAIL.sub("", m.group(1)).strip()
        lic = normalize_license(expression) if expression else None
        if lic is not None and lic.spdx is not None and lic.spdx not in found:
            found.append(lic.spdx)
    if not found:
        return None
    if len(found) == 1:
        lic = normalize_license(found[0])
    else:
        lic = normalize_license(" AND ".join(f"({f})" for f in found))
    if lic.spdx is None:  # the tags resolved one by one, so the conjunction resolves too
        return None
    return Detection(lic.spdx, lic.category, "spdx-tag")


# ---------------------------------------------------------------------------------------
# The reference index.

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?", re.DOTALL)


def _data_dir() -> Path:
    """Return licensedcode-data's data folder (errors name the package)."""
    try:
        dist = importlib.metadata.distribution("licensedcode-data")
    except importlib.metadata.PackageNotFoundError:
        raise RuntimeError("licence text detection needs the package licensedcode-data "
                           "(pip install licensedcode-data)") from None
    path = Path(str(dist.locate_file("licensedcode/data")))
    if not (path / "licenses").is_dir():
        raise RuntimeError(f"{path}/licenses: licensedcode-data is installed without its licence texts")
    return path


def _read(path: Path, needs: str = "") -> tuple[dict, str]:
    """Return (front matter, body) of a ScanCode .LICENSE or .RULE file.

    With ``needs``, a file whose front matter lacks that text is skipped unparsed ({}, "").
    """
    import yaml

    raw = path.read_text("utf-8", errors="replace")
    m = _FRONT.match(raw)
    if needs and (not m or needs not in m.group(1)):
        return {}, ""
    if not m:
        return {}, raw
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        meta = yaml.load(m.group(1), Loader=loader) or {}
    except yaml.YAMLError as exc:
        raise RuntimeError(f"{path}: front matter is not YAML: {exc}") from None
    return (meta if isinstance(meta, dict) else {}), raw[m.end():]


def _yes(value: object) -> bool:
    return value is True or str(value).lower() in ("yes", "true")


def _window_hashes(text: str) -> np.ndarray:
    """Return the distinct 5-gram hashes of the first WINDOW words of ``text`` (sorted)."""
    hashes = shingle_hashes(text[:PREFIX_CHARS], False, NGRAM)
    return np.unique(hashes[: max(WINDOW - NGRAM + 1, 1)])


_BUCKET_SHIFT = 12  # hashes are bucketed by their top 20 bits (about one index entry a bucket)


def _bucket_starts(hashes: np.ndarray) -> np.ndarray:
    """Where each bucket of the sorted ``hashes`` begins (one more entry: the end)."""
    edges = np.arange((1 << (32 - _BUCKET_SHIFT)) + 1, dtype=np.uint64) << np.uint64(_BUCKET_SHIFT)
    return np.searchsorted(hashes.astype(np.uint64), edges, side="left").astype(np.int64)


@numba.njit(cache=True, nogil=True)
def _best(hashes, starts, owners, sizes, query, counts):  # type: ignore[no-untyped-def]
    """Return the winning reference for the distinct query hashes, or -1 (see the contract).

    ``starts`` is :func:`_bucket_starts` of ``hashes``: a query hash is found by a short scan
    of its bucket instead of a binary search of the whole index. ``counts`` is a zeroed
    int32 array, one slot per reference (left dirty on return).
    """
    for q in query:
        b = np.int64(q) >> _BUCKET_SHIFT
        i = starts[b]
        end = starts[b + 1]
        while i < end and hashes[i] < q:
            i += 1
        while i < end and hashes[i] == q:
            counts[owners[i]] += 1
            i += 1
    best, best_score = -1, -1.0
    nq = len(query)
    for r in range(len(counts)):
        hits = counts[r]
        if hits < MIN_HITS_WHOLE:
            continue
        coverage = hits / sizes[r]
        if (hits >= MIN_HITS and coverage >= MIN_COVERAGE) or (
                coverage >= MIN_WHOLE and hits >= MIN_WHOLE * nq):
            score = hits * coverage * coverage
            if score > best_score:  # strictly greater: the first maximum wins
                best, best_score = r, score
    return best


class _Reference(NamedTuple):
    spdx: str
    kind: str  # "text-match" or "notice"
    source: str  # file name, for the tie-break and for reports


def _references(data: Path) -> list[tuple[_Reference, str]]:
    """Return every licence text and notice to index, with its text, in a fixed order."""
    refs: list[tuple[_Reference, str]] = []
    for path in sorted((data / "licenses").glob("*.LICENSE")):
        meta, body = _read(path)
        if _yes(meta.get("is_deprecated")) or _yes(meta.get("is_generic")) or _yes(meta.get("is_unknown")):
            continue
        lic = normalize_scancode_expression(str(meta.get("key", path.stem)))
        if lic.spdx is None or lic.category == "unknown":
            continue
        if body.strip():
            refs.append((_Reference(lic.spdx, "text-match", path.name), body))
        notice = meta.get("standard_notice")
        if isinstance(notice, str) and len(notice.split()) >= MIN_NOTICE_WORDS:
            refs.append((_Reference(lic.spdx, "notice", path.name + "#standard_notice"), notice))
    for path in sorted((data / "rules").glob("*.RULE")):
        meta, body = _read(path, needs="is_license_notice")
        if not _yes(meta.get("is_license_notice")) or _yes(meta.get("is_false_positive")):
            continue
        if _yes(meta.get("is_deprecated")) or int(meta.get("relevance", 100) or 0) < MIN_RELEVANCE:
            continue
        if len(body.split()) < MIN_NOTICE_WORDS or "{{" in body:  # {{...}}: a required phrase
            continue
        lic = normalize_scancode_expression(str(meta.get("license_expression", "")))
        if lic.spdx is None or lic.category == "unknown":
            continue
        refs.append((_Reference(lic.spdx, "notice", path.name), body))
    refs.sort(key=lambda r: (r[0].spdx, r[0].source))
    return refs


class _Index(NamedTuple):
    hashes: np.ndarray  # uint32, sorted
    starts: np.ndarray  # int64: _bucket_starts(hashes)
    owners: np.ndarray  # int16, reference number of each hash
    sizes: np.ndarray  # distinct 5-grams of each reference's window
    refs: tuple[_Reference, ...]
    # Licence texts of different licences with the same window (Artistic-1.0 and
    # Artistic-1.0-cl8 differ only after their first WINDOW words): reference number ->
    # (the numbers of its twins, including itself; each one's distinct 5-grams of its whole text).
    twins: dict[int, tuple[tuple[int, ...], tuple[np.ndarray, ...]]]


@functools.lru_cache(maxsize=1)
def _index() -> _Index:
    pairs = _references(_data_dir())
    if len(pairs) >= 2**15:
        raise RuntimeError(f"{len(pairs)} licence references do not fit the int16 index")
    refs, hash_parts, owner_parts, sizes = [], [], [], []
    for number, (ref, text) in enumerate(pairs):
        h = _window_hashes(text)
        refs.append(ref)
        hash_parts.append(h)
        owner_parts.append(np.full(len(h), number, np.int16))
        sizes.append(len(h))
    hashes = np.concatenate(hash_parts)
    owners = np.concatenate(owner_parts)
    order = np.argsort(hashes, kind="stable")
    by_window: dict[bytes, list[int]] = {}
    for number, (ref, _) in enumerate(pairs):
        if ref.kind == "text-match":
            by_window.setdefault(hash_parts[number].tobytes(), []).append(number)
    twins: dict[int, tuple[tuple[int, ...], tuple[np.ndarray, ...]]] = {}
    for group in by_window.values():
        if len({refs[n].spdx for n in group}) > 1:
            full = tuple(np.unique(shingle_hashes(pairs[n][1], False, NGRAM)) for n in group)
            for n in group:
                twins[n] = (tuple(group), full)
    hashes = hashes[order]
    return _Index(hashes, _bucket_starts(hashes), owners[order], np.asarray(sizes, np.float64), tuple(refs),
                  twins)


def _break_twin_tie(index: _Index, number: int, text: str) -> int:
    """Among licence texts with the same window, the one the whole document matches best."""
    group, full = index.twins[number]
    doc = np.unique(shingle_hashes(text[:TWIN_CHARS], False, NGRAM))
    best, best_score = number, -1.0
    for n, ref in zip(group, full):
        hits = int(np.isin(ref, doc, assume_unique=True).sum())
        coverage = hits / max(len(ref), 1)
        score = hits * coverage * coverage
        if score > best_score:
            best, best_score = n, score
    return best


class LicenseTextDetector:
    """Find licence evidence in a text; the reference index loads once per process."""

    def setup(self) -> None:
        """Load the reference index and compile the counting kernel now (else on first use)."""
        index = _index()
        _best(index.hashes, index.starts, index.owners, index.sizes, index.hashes[:1],
              np.zeros(len(index.refs), np.int32))
        _holds_marker(np.frombuffer(b"License", np.uint8), *_GATE)

    @staticmethod
    def references() -> int:
        """Return how many licence texts and notices are indexed."""
        return len(_index().refs)

    def detect(self, text: str) -> Detection | None:
        """Return the licence evidence of ``text``: an SPDX tag first, else a text or notice match."""
        tagged = find_spdx_tags(text)
        if tagged is not None:
            return tagged
        return self.match_text(text)

    def match_text(self, text: str) -> Detection | None:
        """Return the licence text or notice the beginning of ``text`` holds, or None."""
        head = text[:GATE_CHARS]
        if head.isascii():  # most documents: one pass of a kernel over the bytes, no lower()
            named = _holds_marker(np.frombuffer(head.encode("ascii"), np.uint8), *_GATE)
        else:
            low = head.lower()
            named = any(marker in low for marker in _TEXT_MARKERS)
        if not named and len(head) < SHORT_CHARS:
            low = head.lower()
            named = any(marker in low for marker in _SHORT_MARKERS)
        if not named:
            return None
        index = _index()
        query = _window_hashes(text)
        if len(query) < MIN_HITS_WHOLE:
            return None
        number = _best(index.hashes, index.starts, index.owners, index.sizes, query,
                       np.zeros(len(index.refs), np.int32))
        if number < 0:
            return None
        if number in index.twins:
            number = _break_twin_tie(index, number, text)
        best = index.refs[number]
        return Detection(best.spdx, CATEGORY_BY_SPDX.get(best.spdx) or normalize_license(best.spdx).category,
                         best.kind)
