"""Build a labelled near-duplicate benchmark from the sample corpus, and score overlap results on it.

Contract. :func:`build_labelled_corpus` writes, under ``out_dir``, a small corpus whose
every near-duplicate pair is known exactly, and returns its :class:`LabelledTruth`:

- ``base/<language>.jsonl``: real documents of the sample corpus (the *bases*), at least
  ``MIN_SHINGLES`` shingles long and pairwise below Jaccard ``MAX_BASE_JACCARD``; Chinese
  and Japanese (character shingles) and six languages shingled by words.
- ``edited/<language>.jsonl``: for every base one variant per level in ``LEVELS``, made
  by controlled edits (words, or characters for Chinese and Japanese, replaced, inserted
  or deleted at seeded random positions) until the exact Jaccard of the variant's shingle
  set with the base's lands in the level's window (``window``). The 1.0 variant changes
  whitespace only, so its shingle set is the base's.
- ``base/degenerate.jsonl``, ``edited/degenerate.jsonl``: empty and punctuation-only texts
  (no shingle), texts shorter than one shingle, one token repeated thousands of times,
  periodic digit runs. Some share their whole shingle set across the two sources (Jaccard
  1.0: the truth says so); the rest are near-duplicates of nothing.
- ``registry.yaml``: the two sources (``labelled_base``, ``labelled_edited``) in the
  registry format, paths relative to ``out_dir``; ids in the ``id`` field are unique
  across the corpus (``b-...`` bases, ``e-...`` variants, ``*-deg-...`` degenerate).
- ``truth.json``: :meth:`LabelledTruth.to_json`.

The output is a pure function of the sample corpus and the seed (same bytes on every run,
in any process: random draws come from string-seeded ``random.Random`` and every set is
sorted before it is used).

Exact Jaccard. Shingles are those of :func:`provaudit.minhash.shingles` (n = 5) on the
text the ledger signs (:func:`provaudit.findings.normalize_text`), by characters when
:func:`provaudit.language.detect_script` names a script in ``CJK_SCRIPTS`` and by words
otherwise, exactly as the scan chooses. Two documents without any shingle have Jaccard
0 (nothing in common), not 1: their MinHash signatures are equal (every slot empty), so
an overlap stage must skip shingle-less documents or cluster them all together.

The truth is complete: ``pairs`` holds *every* pair of documents in the corpus with
exact Jaccard >= ``TRUTH_FLOOR`` (brute force through an inverted index of shingles), not
only the planted (base, variant) pairs, so pairs between two variants of one base and
between degenerate documents count too.

Why no pair sits in ``BAND`` = (0.75, 0.85). With ``num_perm`` = 128 the MinHash estimate
of a pair at Jaccard J has standard error sqrt(J(1-J)/128), 0.035 at J = 0.8; a pair
within about one standard error of the 0.8 threshold lands on either side of it by
chance, so a label there would score the coin, not the method. Levels stop at 0.7 (window
up to 0.72) below the threshold and start at 0.85 (window from 0.85) above it, and the
generator re-draws a base's variants until no pair among them falls in the band: the
high levels (0.95, 0.9, 0.85) are one nested chain of edits (so their mutual Jaccards stay
near 0.9), the low levels independent walks (so theirs stay well below).

Scoring. :func:`evaluate` takes the pairs an overlap stage reported, as
``(doc_id_a, doc_id_b, estimated_jaccard)``, and returns an :class:`Evaluation`:
precision and recall against the pairs with exact Jaccard >= threshold, the share of
planted pairs found per level, the share of reported pairs whose estimate lies within
three standard errors of the exact value, and the largest cluster the reported pairs
make around a degenerate document.
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import random
import re
import sys
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from provaudit.findings import normalize_text
from provaudit.language import detect_script
from provaudit.minhash import CJK_SCRIPTS, shingles

__all__ = [
    "BAND",
    "LEVELS",
    "MAX_BASE_JACCARD",
    "MIN_SHINGLES",
    "NGRAM",
    "TRUTH_FLOOR",
    "Evaluation",
    "LabelledDocument",
    "LabelledPair",
    "LabelledTruth",
    "LevelResult",
    "build_labelled_corpus",
    "evaluate",
    "main",
    "shingle_set",
    "standard_error",
    "window",
]

NGRAM = 5
#: Target exact Jaccard of each variant with its base (one variant per base and level).
LEVELS: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.85, 0.9, 0.95, 1.0)
#: Half-width of a level's window, before clipping to the band and to 1.
TOLERANCE = 0.02
#: No pair of documents in the corpus has an exact Jaccard strictly inside this interval.
BAND = (0.75, 0.85)
#: ``LabelledTruth.pairs`` lists every pair at or above this exact Jaccard.
TRUTH_FLOOR = 0.25
#: Bases have at least this many distinct shingles, so one shingle moves J by < 0.01.
MIN_SHINGLES = 100
#: Bases are pairwise below this exact Jaccard.
MAX_BASE_JACCARD = 0.3
#: Longer sample documents are not used as bases (keeps the corpus small).
MAX_BASE_BYTES = 4000
DEFAULT_VARIANTS_PER_LEVEL = 48
SEED = 7

BASE_SOURCE = "labelled_base"
EDITED_SOURCE = "labelled_edited"
_FOLDERS = {BASE_SOURCE: "base", EDITED_SOURCE: "edited"}

# Share of bases per language, by weight (the sample corpus has few ja, ru, ar documents).
_LANGUAGE_WEIGHTS = {"zh-cn": 4, "en": 4, "de": 2, "fr": 2, "es": 2, "ja": 1, "ru": 1, "ar": 1}
_HIGH = (0.95, 0.9, 0.85)  # one nested chain of edits, in this order
_MAX_GROUP_ATTEMPTS = 20  # re-draws of a base's variants before giving up
_MAX_MISSES = 12  # random edits that overshoot a window before a one-shingle edit
_MAX_STEPS = 20_000


# --------------------------------------------------------------------------- records


class LabelledDocument(NamedTuple):
    """One document of the labelled corpus, as the truth describes it."""

    doc_id: str
    source: str
    shard: str  # relative to out_dir, as the registry's globs show it
    location: str  # "line:N", as the JSONL reader names it
    kind: str  # "base", "variant" or "degenerate"
    language: str | None  # the sample corpus's planted language (None for degenerate)
    char_ngrams: bool
    shingles: int  # distinct shingles
    base: str | None  # a variant's base
    level: float | None  # a variant's target level
    origin: str | None  # a base's doc_id in the sample corpus


class LabelledPair(NamedTuple):
    """An unordered pair of documents (``a < b``) and its exact Jaccard."""

    a: str
    b: str
    jaccard: float
    level: float | None = None  # set on planted (base, variant) pairs


def _pair_key(x: str, y: str) -> tuple[str, str]:
    return (x, y) if x <= y else (y, x)


@dataclass(frozen=True)
class LabelledTruth:
    """What the labelled corpus holds: its documents and every pair with J >= ``floor``."""

    seed: int
    floor: float
    documents: dict[str, LabelledDocument]
    planted: tuple[LabelledPair, ...]  # every (base, variant) pair, with its level
    pairs: tuple[LabelledPair, ...]  # every pair with exact J >= floor, sorted
    degenerate_groups: tuple[tuple[str, ...], ...]  # degenerate docs sharing a non-empty set

    def jaccard(self, a: str, b: str) -> float | None:
        """Return the exact Jaccard of two documents, or None when it is below ``floor``."""
        return self._exact.get(_pair_key(a, b))

    @cached_property
    def _exact(self) -> dict[tuple[str, str], float]:
        return {(p.a, p.b): p.jaccard for p in self.pairs}

    @property
    def degenerate(self) -> tuple[str, ...]:
        """Return the ids of the degenerate documents, sorted."""
        return tuple(sorted(d for d, doc in self.documents.items() if doc.kind == "degenerate"))

    def positives(self, threshold: float) -> set[tuple[str, str]]:
        """Return the pairs whose exact Jaccard is at least ``threshold``."""
        if threshold < self.floor:
            raise ValueError(f"the truth lists pairs from J = {self.floor}, not {threshold}")
        return {(p.a, p.b) for p in self.pairs if p.jaccard >= threshold}

    def to_json(self) -> dict[str, Any]:
        """Return the truth as plain JSON data (what ``truth.json`` holds)."""
        return {
            "about": "Ground truth of the labelled near-duplicate corpus; written by "
            "python -m provaudit.labelled.",
            "seed": self.seed,
            "ngram": NGRAM,
            "levels": {f"{level:.2f}": list(window(level)) for level in LEVELS},
            "band": list(BAND),
            "floor": self.floor,
            "documents": {d: doc._asdict() for d, doc in sorted(self.documents.items())},
            "planted": [p._asdict() for p in self.planted],
            "pairs": [p._replace(level=None)._asdict() for p in self.pairs],
            "degenerate_groups": [list(g) for g in self.degenerate_groups],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LabelledTruth:
        """Rebuild a truth from :meth:`to_json` data."""
        return cls(
            seed=data["seed"],
            floor=data["floor"],
            documents={d: LabelledDocument(**doc) for d, doc in data["documents"].items()},
            planted=tuple(LabelledPair(**p) for p in data["planted"]),
            pairs=tuple(LabelledPair(**p) for p in data["pairs"]),
            degenerate_groups=tuple(tuple(g) for g in data["degenerate_groups"]),
        )

    @classmethod
    def load(cls, path: str | Path) -> LabelledTruth:
        """Read ``truth.json``."""
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


# --------------------------------------------------------------------------- shingles


def window(level: float) -> tuple[float, float]:
    """Return the closed interval a variant's exact Jaccard must land in for ``level``.

    ``level`` +- ``TOLERANCE``, clipped to [0, 1] and kept outside ``BAND``: 0.7 gives
    [0.68, 0.72], 0.85 gives [0.85, 0.87], 1.0 gives [1.0, 1.0].
    """
    if level >= 1.0:
        return (1.0, 1.0)
    lo, hi = round(level - TOLERANCE, 6), round(min(level + TOLERANCE, 1.0), 6)
    if level >= BAND[1]:
        lo = max(lo, BAND[1])
    elif level <= BAND[0]:
        hi = min(hi, BAND[0])
    else:
        raise ValueError(f"level {level} lies in the ambiguous band {BAND}")
    return (lo, hi)


def _char_mode(normalized: str) -> bool:
    return detect_script(normalized) in CJK_SCRIPTS


def shingle_set(text: str, char_ngrams: bool | None = None) -> frozenset[bytes]:
    """Return the distinct shingles of ``text`` as the scan signs them.

    The text is normalised as the ledger does (NFC, stripped); ``char_ngrams`` defaults
    to what the scan picks (characters for Han, kana and Hangul text).
    """
    normalized = normalize_text(text)
    mode = _char_mode(normalized) if char_ngrams is None else char_ngrams
    return frozenset(shingles(normalized, mode, NGRAM))


def _jaccard(a: frozenset[bytes], b: frozenset[bytes]) -> float:
    if not a or not b:
        return 0.0  # no shingle: nothing in common, by this module's convention
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


# --------------------------------------------------------------------------- sample corpus


class _SampleDoc(NamedTuple):
    doc_id: str
    language: str
    text: str


def _read_sample(sample_dir: Path) -> list[_SampleDoc]:
    """Read every document of the sample corpus with its planted language, sorted by id."""
    import yaml

    from provaudit.readers import ReaderSpec, infer_format, read_shard
    from provaudit.records import Document

    planted = json.loads((sample_dir / "planted.json").read_text(encoding="utf-8"))
    languages = {d: info["language"] for d, info in planted["documents"].items()}
    registry = yaml.safe_load((sample_dir / "registry.yaml").read_text(encoding="utf-8"))
    docs: dict[str, _SampleDoc] = {}
    for src in registry["sources"]:
        for pattern in src["paths"]:
            for path in sorted(glob.glob(str(sample_dir / pattern))):
                fmt = src.get("format") or infer_format(path)
                if fmt is None:
                    continue
                spec = ReaderSpec(
                    source=src["name"],
                    format=fmt,
                    text_field=src.get("text_field", "text"),
                    id_field=src.get("id_field"),
                )
                shard = Path(path).relative_to(sample_dir).as_posix()
                for item in read_shard(path, shard, spec):
                    if isinstance(item, Document) and item.doc_id in languages:
                        docs.setdefault(
                            item.doc_id, _SampleDoc(item.doc_id, languages[item.doc_id], item.text)
                        )
    return [docs[d] for d in sorted(docs)]


def _vocabulary(docs: Sequence[_SampleDoc], char_mode: bool) -> list[str]:
    """Return the sorted replacement units of one language: words, or letters."""
    units: set[str] = set()
    for doc in docs:
        if char_mode:
            units.update(
                c for c in doc.text if ord(c) >= 0x80 and unicodedata.category(c)[0] == "L"
            )
        else:
            units.update(w for w in doc.text.split() if re.search(r"[0-9A-Za-z\x80-\U0010ffff]", w))
    return sorted(units)


class _Base(NamedTuple):
    sample: _SampleDoc
    char_mode: bool
    shingles: frozenset[bytes]


def _choose_bases(sample: Sequence[_SampleDoc], count: int, rng: random.Random) -> list[_Base]:
    """Pick ``count`` long, mutually dissimilar documents, spread over languages by weight.

    Each step takes the language furthest below its weighted share and, from its
    shuffled candidates, the next one below ``MAX_BASE_JACCARD`` with every base so far.
    """
    queues: dict[str, list[_Base]] = {lang: [] for lang in _LANGUAGE_WEIGHTS}
    for doc in sample:
        if doc.language not in queues or len(doc.text.encode("utf-8")) > MAX_BASE_BYTES:
            continue
        mode = _char_mode(normalize_text(doc.text))
        sh = shingle_set(doc.text, mode)
        if len(sh) >= MIN_SHINGLES:
            queues[doc.language].append(_Base(doc, mode, sh))
    for lang in sorted(queues):
        rng.shuffle(queues[lang])
    chosen: list[_Base] = []
    counts = dict.fromkeys(_LANGUAGE_WEIGHTS, 0)
    open_languages = list(_LANGUAGE_WEIGHTS)
    while len(chosen) < count and open_languages:
        lang = min(open_languages, key=lambda g: (counts[g] / _LANGUAGE_WEIGHTS[g], g))
        queue = queues[lang]
        while queue:
            candidate = queue.pop(0)
            if all(_jaccard(candidate.shingles, b.shingles) < MAX_BASE_JACCARD for b in chosen):
                chosen.append(candidate)
                counts[lang] += 1
                break
        else:
            open_languages.remove(lang)
    if len(chosen) < count:
        raise ValueError(
            f"the sample corpus holds only {len(chosen)} usable bases, {count} asked for"
        )
    return chosen


# --------------------------------------------------------------------------- edits


class _Units:
    """A text as editable units: characters, or words each with its trailing whitespace."""

    def __init__(self, text: str, char_mode: bool) -> None:
        self.char_mode = char_mode
        if char_mode:
            self.lead, self.items = "", list(text)
        else:
            lead = re.match(r"\s*", text)
            self.lead = lead.group(0) if lead else ""
            self.items = re.findall(r"\S+\s*", text)

    def copy(self) -> _Units:
        new = _Units.__new__(_Units)
        new.char_mode, new.lead, new.items = self.char_mode, self.lead, list(self.items)
        return new

    def render(self) -> str:
        return self.lead + "".join(self.items)

    def _word(self, unit: str) -> str:
        return unit if self.char_mode else unit + " "

    def random_edit(self, rng: random.Random, vocab: Sequence[str]) -> _Units:
        """Return a copy with one unit replaced (60%), inserted (20%) or deleted (20%)."""
        new = self.copy()
        items = new.items
        i = rng.randrange(len(items))
        r = rng.random()
        unit = vocab[rng.randrange(len(vocab))]
        if r < 0.6:
            trailing = "" if self.char_mode else items[i][len(items[i].rstrip()) :] or " "
            items[i] = unit + trailing
        elif r < 0.8:
            items.insert(i, self._word(unit))
        elif len(items) > 1:
            del items[i]
        return new

    def fine_edit(self, rng: random.Random, vocab: Sequence[str]) -> _Units:
        """Return a copy with one unit added at either end: one new shingle, none lost."""
        new = self.copy()
        unit = vocab[rng.randrange(len(vocab))]
        if rng.random() < 0.5:
            new.items.insert(0, self._word(unit))
        else:
            if not self.char_mode and new.items and not new.items[-1][-1:].isspace():
                new.items[-1] += " "
            new.items.append(unit)
        return new


def _walk(
    base: _Base,
    windows: Sequence[tuple[float, float]],
    rng: random.Random,
    vocab: Sequence[str],
) -> list[tuple[str, float]]:
    """Edit the base step by step; snapshot the text as J enters each (descending) window.

    A random edit that would jump below the window is undone; after ``_MAX_MISSES``
    such misses in a row, a one-shingle edit at an end is used, which moves J by at
    most 1/(|A ∪ B| + 1) < 0.01 and so cannot jump a window 0.02 wide.
    """
    units = _Units(base.sample.text, base.char_mode)
    j = 1.0
    out = []
    steps = 0
    for lo, hi in windows:
        misses = 0
        while j > hi:
            steps += 1
            if steps > _MAX_STEPS:
                raise RuntimeError(f"no variant of {base.sample.doc_id} reached [{lo}, {hi}]")
            if misses < _MAX_MISSES:
                candidate = units.random_edit(rng, vocab)
            else:
                candidate = units.fine_edit(rng, vocab)
            jc = _jaccard(base.shingles, shingle_set(candidate.render(), base.char_mode))
            if jc < lo:
                misses += 1
                continue
            units, j, misses = candidate, jc, 0
        out.append((units.render(), j))
    return out


def _respace(text: str, char_mode: bool, rng: random.Random) -> str:
    """Return ``text`` with whitespace changed only: the same shingle set, other bytes.

    Word mode re-spaces between words; character mode puts ASCII spaces and line breaks
    between characters (character shingles skip ASCII whitespace and punctuation).
    """
    if char_mode:
        out = []
        for i, ch in enumerate(text):
            out.append(ch)
            if 0 < i < len(text) - 1 and rng.random() < 0.08:
                out.append(" " if rng.random() < 0.7 else "\n")
        return "".join(out)
    parts = re.split(r"(\s+)", text.strip())
    for i in range(1, len(parts), 2):
        if rng.random() < 0.15:
            parts[i] = rng.choice(("  ", "\n", " \n ", "\t"))
    return "".join(parts)


class _Variant(NamedTuple):
    level: float
    text: str
    jaccard: float


def _variants(base: _Base, index: int, seed: int, vocab: Sequence[str]) -> list[_Variant]:
    """Return one variant per level of one base, with no pair among them in ``BAND``."""
    for attempt in range(_MAX_GROUP_ATTEMPTS):
        tag = f"{seed}:{base.sample.doc_id}:{index}:{attempt}"
        variants: list[_Variant] = []
        chain = _walk(base, [window(level) for level in _HIGH], random.Random(f"{tag}:high"), vocab)
        variants += [_Variant(level, text, j) for level, (text, j) in zip(_HIGH, chain)]
        for level in LEVELS:
            if level in _HIGH:
                continue
            rng = random.Random(f"{tag}:{level}")
            if level >= 1.0:
                # Other bytes after normalisation, or the pair is an exact duplicate.
                text = _respace(base.sample.text, base.char_mode, rng)
                if normalize_text(text) == normalize_text(base.sample.text):
                    continue
                variants.append(_Variant(level, text, 1.0))
            else:
                ((text, j),) = _walk(base, [window(level)], rng, vocab)
                variants.append(_Variant(level, text, j))
        sets = [base.shingles] + [shingle_set(v.text) for v in variants]
        if any(len(s) == 0 for s in sets[1:]):
            continue
        if any(
            BAND[0] < _jaccard(x, y) < BAND[1] for i, x in enumerate(sets) for y in sets[i + 1 :]
        ):
            continue
        # The truth re-measures with each document's own script; a variant whose script
        # flipped would disagree with its walk, so it is re-drawn.
        if all(
            abs(_jaccard(base.shingles, s) - v.jaccard) < 1e-12 for s, v in zip(sets[1:], variants)
        ):
            return sorted(variants)
    raise RuntimeError(f"could not place the variants of {base.sample.doc_id} outside {BAND}")


# --------------------------------------------------------------------------- degenerate


def _degenerate() -> list[tuple[str, str, str]]:
    """Return (source, id, text) of the degenerate documents."""
    cycle = " ".join(str(i) for i in range(10))
    shifted = " ".join(str((i + 5) % 10) for i in range(10))
    rng = random.Random("degenerate-digits")
    digits = " ".join(f"{rng.randrange(10**6):06d}" for _ in range(400))
    return [
        (BASE_SOURCE, "b-deg-empty", ""),
        (BASE_SOURCE, "b-deg-punct", "!!! ??? ... --- *** /// ,,, ;;; :::"),
        (BASE_SOURCE, "b-deg-short", "hello world"),
        (BASE_SOURCE, "b-deg-short-zh", "你好"),
        (BASE_SOURCE, "b-deg-data-5000", " ".join(["data"] * 5000)),
        (BASE_SOURCE, "b-deg-token-5000", " ".join(["token"] * 5000)),
        (BASE_SOURCE, "b-deg-han-5000", "哈" * 5000),
        (BASE_SOURCE, "b-deg-digits-cycle", " ".join([cycle] * 500)),
        (BASE_SOURCE, "b-deg-digits-random", digits),
        (EDITED_SOURCE, "e-deg-brackets", "(( )) [[ ]] {{ }} <> -- == ++ __ ~~"),
        (EDITED_SOURCE, "e-deg-cjk-punct", "。。。！？、，" * 20),
        (EDITED_SOURCE, "e-deg-short", "Hello,   World!"),
        (EDITED_SOURCE, "e-deg-short-zh", " 你 好 "),
        (EDITED_SOURCE, "e-deg-data-3000", "\n".join(["data"] * 3000)),
        (EDITED_SOURCE, "e-deg-data-1000", " ".join(["Data", "DATA"] * 500)),
        (EDITED_SOURCE, "e-deg-token-2500", " ".join(["token"] * 2500 + ["tokens"])),
        (EDITED_SOURCE, "e-deg-digits-cycle", " ".join([shifted] * 300)),
    ]


# --------------------------------------------------------------------------- truth


def _all_pairs(sets: Sequence[frozenset[bytes]], floor: float) -> list[tuple[int, int, float]]:
    """Return every (i, j, J) with i < j and exact Jaccard >= floor, via an inverted index."""
    postings: dict[bytes, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for sh in s:
            postings[sh].append(i)
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for docs in postings.values():
        for x in range(len(docs)):
            for y in range(x + 1, len(docs)):
                shared[(docs[x], docs[y])] += 1  # postings are in increasing doc order
    out = []
    for (i, j), inter in shared.items():
        jac = inter / (len(sets[i]) + len(sets[j]) - inter)
        if jac >= floor:
            out.append((i, j, jac))
    return out


# --------------------------------------------------------------------------- writing

_REGISTRY_HEADER = """\
# provaudit labelled near-duplicate corpus: bases from the sample corpus and edited
# variants at known exact Jaccard similarities (see truth.json).
# Written by `python -m provaudit.labelled OUT_DIR`; do not edit by hand.
# Paths are globs relative to this file's folder.
"""


def _registry_yaml(languages: Sequence[str], seed: int) -> bytes:
    import yaml

    evidence = f"generated by python -m provaudit.labelled (seed {seed}) from the sample corpus"
    def source(name: str, description: str, folder: str) -> dict[str, Any]:
        return {
            "name": name,
            "description": description,
            "paths": [f"{folder}/*.jsonl"],
            "format": "jsonl",
            "text_field": "text",
            "id_field": "id",
            "license": "Apache-2.0",
            "acquisition": "synthetic",
            "evidence": evidence,
            "collected": "2024-05-01",
            "languages_expected": list(languages),
        }

    sources = [
        source(BASE_SOURCE, "Real documents of the sample corpus, mutually dissimilar, and "
               "degenerate texts.", "base"),
        source(EDITED_SOURCE, "Edited variants of the bases at known exact Jaccard similarities, "
               "and degenerate texts.", "edited"),
    ]
    body = yaml.safe_dump(
        {"sources": sources},
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=None,
    )
    return (_REGISTRY_HEADER + body).encode("utf-8")


def _level_tag(level: float) -> str:
    return f"j{round(level * 100):03d}"


def build_labelled_corpus(
    sample_dir: Path,
    out_dir: Path,
    seed: int = SEED,
    variants_per_level: int = DEFAULT_VARIANTS_PER_LEVEL,
) -> LabelledTruth:
    """Write the labelled corpus, registry.yaml and truth.json under out_dir; return the truth.

    ``variants_per_level`` is the number of bases: each base gets one variant per level.
    """
    sample_dir, out_dir = Path(sample_dir), Path(out_dir)
    if variants_per_level < 1:
        raise ValueError(f"variants_per_level must be at least 1, got {variants_per_level}")
    sample = _read_sample(sample_dir)
    bases = _choose_bases(sample, variants_per_level, random.Random(f"{seed}:bases"))
    vocab: dict[str, list[str]] = {}

    # (source, shard, id, text) plus what the truth says about each document.
    rows: list[tuple[str, str, str, str]] = []
    meta: dict[str, dict[str, Any]] = {}
    planted: list[tuple[str, str, float]] = []
    for index, base in enumerate(bases):
        lang = base.sample.language
        if lang not in vocab:
            vocab[lang] = _vocabulary([d for d in sample if d.language == lang], base.char_mode)
        base_id = f"b-{lang}-{index:03d}"
        rows.append((BASE_SOURCE, f"base/{lang}.jsonl", base_id, base.sample.text))
        meta[base_id] = {"kind": "base", "language": lang, "origin": base.sample.doc_id}
        for v in _variants(base, index, seed, vocab[lang]):
            vid = f"e-{lang}-{index:03d}-{_level_tag(v.level)}"
            rows.append((EDITED_SOURCE, f"edited/{lang}.jsonl", vid, v.text))
            meta[vid] = {"kind": "variant", "language": lang, "base": base_id, "level": v.level}
            planted.append((base_id, vid, v.level))
    for source, doc_id, text in _degenerate():
        rows.append((source, f"{_FOLDERS[source]}/degenerate.jsonl", doc_id, text))
        meta[doc_id] = {"kind": "degenerate"}
    rows.sort(key=lambda r: (r[1], r[2]))

    files: dict[str, list[str]] = defaultdict(list)
    documents: dict[str, LabelledDocument] = {}
    sets: list[frozenset[bytes]] = []
    for source, shard, doc_id, text in rows:
        files[shard].append(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False))
        mode = _char_mode(normalize_text(text))
        sh = shingle_set(text, mode)
        sets.append(sh)
        m = meta[doc_id]
        documents[doc_id] = LabelledDocument(
            doc_id=doc_id,
            source=source,
            shard=shard,
            location=f"line:{len(files[shard])}",
            kind=m["kind"],
            language=m.get("language"),
            char_ngrams=mode,
            shingles=len(sh),
            base=m.get("base"),
            level=m.get("level"),
            origin=m.get("origin"),
        )

    ids = [r[2] for r in rows]
    pairs = sorted(
        LabelledPair(*_pair_key(ids[i], ids[j]), jac) for i, j, jac in _all_pairs(sets, TRUTH_FLOOR)
    )
    exact = {(p.a, p.b): p.jaccard for p in pairs}
    planted_pairs = tuple(
        sorted(
            LabelledPair(*_pair_key(b, v), exact.get(_pair_key(b, v), 0.0), level)
            for b, v, level in planted
        )
    )
    groups: dict[frozenset[bytes], list[str]] = defaultdict(list)
    for doc_id, sh in zip(ids, sets):
        if documents[doc_id].kind == "degenerate" and sh:
            groups[sh].append(doc_id)
    truth = LabelledTruth(
        seed=seed,
        floor=TRUTH_FLOOR,
        documents=documents,
        planted=planted_pairs,
        pairs=tuple(pairs),
        degenerate_groups=tuple(sorted(tuple(sorted(g)) for g in groups.values() if len(g) > 1)),
    )

    out: dict[str, bytes] = {
        shard: ("\n".join(lines) + "\n").encode("utf-8") for shard, lines in files.items()
    }
    languages = sorted({b.sample.language for b in bases})
    out["registry.yaml"] = _registry_yaml(languages, seed)
    out["truth.json"] = (
        json.dumps(truth.to_json(), ensure_ascii=False, sort_keys=True, indent=1) + "\n"
    ).encode("utf-8")
    written = set()
    for relative, data in sorted(out.items()):
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.add(path)
    for folder in _FOLDERS.values():  # a stale shard would be read as part of the corpus
        for stale in sorted((out_dir / folder).glob("*")):
            if stale.is_file() and stale not in written:
                stale.unlink()
    return truth


# --------------------------------------------------------------------------- evaluation


class LevelResult(NamedTuple):
    """How many planted (base, variant) pairs of one level were reported."""

    level: float
    pairs: int
    found: int
    share: float  # found / pairs: recall at levels >= threshold, false alarms below


class Evaluation(NamedTuple):
    """Reported pairs scored against a :class:`LabelledTruth`."""

    threshold: float
    num_perm: int
    reported: int  # distinct reported pairs
    positives: int  # pairs with exact J >= threshold
    tp: int
    fp: int
    fn: int
    precision: float  # tp / (tp + fp); 1.0 when nothing was reported
    recall: float  # tp / (tp + fn); 1.0 when there is no positive
    levels: tuple[LevelResult, ...]
    within_3se: int
    within_3se_share: float  # within_3se / reported; 1.0 when nothing was reported
    largest_degenerate_cluster: int  # largest component of reported pairs holding a degenerate doc
    degenerate_limit: int  # the largest true group of degenerate docs with one shingle set
    false_positives: tuple[tuple[str, str, float, float | None], ...]  # a, b, estimate, exact
    false_negatives: tuple[tuple[str, str, float], ...]  # a, b, exact

    def summary(self) -> str:
        """Return a short human-readable report."""
        lines = [
            (
                f"precision {self.precision:.4f} ({self.tp} of {self.tp + self.fp}), "
                f"recall {self.recall:.4f} ({self.tp} of {self.positives}), "
                f"within 3 SE {self.within_3se_share:.4f} ({self.within_3se} of {self.reported}), "
                f"largest degenerate cluster {self.largest_degenerate_cluster} "
                f"(true {self.degenerate_limit})"
            )
        ]
        lines += [
            f"  J {lv.level:.2f}: {lv.found:4d} of {lv.pairs:4d} found ({lv.share:.3f})"
            for lv in self.levels
        ]
        return "\n".join(lines)


def standard_error(jaccard: float, num_perm: int) -> float:
    """Return the MinHash estimate's standard error at ``jaccard``, floored at 1/num_perm.

    sqrt(J(1-J)/num_perm) is 0 at J = 0 and J = 1, which would demand an exact estimate;
    the floor (one slot's worth) keeps the interval from having zero width.
    """
    return max(math.sqrt(jaccard * (1.0 - jaccard) / num_perm), 1.0 / num_perm)


def _largest_component(edges: Iterable[tuple[str, str]], members: set[str]) -> int:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    sizes: dict[str, int] = defaultdict(int)
    for x in list(parent):
        sizes[find(x)] += 1
    roots = {find(m) for m in members if m in parent}
    return max((sizes[r] for r in roots), default=1 if members else 0)


def evaluate(
    found: Iterable[tuple[str, str, float]],
    truth: LabelledTruth,
    threshold: float = 0.8,
    num_perm: int = 128,
) -> Evaluation:
    """Score the pairs an overlap stage reported against the truth.

    Every reported pair counts as a claimed near duplicate, whatever its estimate; pairs
    are unordered and a repeat (either order) is counted once, with its first estimate.
    Positives are the pairs with exact Jaccard >= ``threshold``. A reported pair absent
    from the truth has exact J < ``truth.floor``; it counts as outside three standard
    errors (it is, for any estimate above floor + 3 SE(floor), about 0.37).
    """
    reported: dict[tuple[str, str], float] = {}
    for a, b, estimate in found:
        if a == b:
            raise ValueError(f"a document paired with itself: {a!r}")
        for doc_id in (a, b):
            if doc_id not in truth.documents:
                raise ValueError(f"unknown document id {doc_id!r}: not in the labelled corpus")
        reported.setdefault(_pair_key(a, b), float(estimate))
    positives = truth.positives(threshold)
    tp = sum(key in positives for key in reported)
    fp = len(reported) - tp
    fn = len(positives) - tp

    within = 0
    false_positives = []
    for key, estimate in sorted(reported.items()):
        exact = truth.jaccard(*key)
        if exact is not None and abs(estimate - exact) <= 3 * standard_error(exact, num_perm):
            within += 1
        if key not in positives:
            false_positives.append((key[0], key[1], estimate, exact))
    false_negatives = [
        (p.a, p.b, p.jaccard)
        for p in truth.pairs
        if (p.a, p.b) in positives and (p.a, p.b) not in reported
    ]

    by_level: dict[float, list[int]] = defaultdict(lambda: [0, 0])
    for p in truth.planted:
        counts = by_level[float(p.level or 0.0)]
        counts[0] += 1
        counts[1] += (p.a, p.b) in reported
    levels = tuple(LevelResult(level, n, k, k / n) for level, (n, k) in sorted(by_level.items()))
    degenerate = set(truth.degenerate)
    return Evaluation(
        threshold=threshold,
        num_perm=num_perm,
        reported=len(reported),
        positives=len(positives),
        tp=tp,
        fp=fp,
        fn=fn,
        precision=tp / len(reported) if reported else 1.0,
        recall=tp / len(positives) if positives else 1.0,
        levels=levels,
        within_3se=within,
        within_3se_share=within / len(reported) if reported else 1.0,
        largest_degenerate_cluster=_largest_component(reported, degenerate),
        degenerate_limit=max((len(g) for g in truth.degenerate_groups), default=1),
        false_positives=tuple(false_positives),
        false_negatives=tuple(false_negatives),
    )


# --------------------------------------------------------------------------- entry point


def _with_sample(sample_dir: Path | None, run: Callable[[Path], LabelledTruth]) -> LabelledTruth:
    if sample_dir is not None:
        return run(sample_dir)
    from provaudit.sample import write_sample_corpus

    with tempfile.TemporaryDirectory(prefix="provaudit-sample-") as tmp:
        write_sample_corpus(Path(tmp))
        return run(Path(tmp))


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: python -m provaudit.labelled OUT_DIR [--sample-dir DIR] [--seed N]."""
    parser = argparse.ArgumentParser(
        prog="python -m provaudit.labelled",
        description="Write the labelled near-duplicate corpus (real sample documents and "
        "edited variants at known exact Jaccard similarities, plus degenerate texts), its "
        "registry.yaml and truth.json.",
    )
    parser.add_argument("out_dir", type=Path, help="folder to write into (created if missing)")
    parser.add_argument(
        "--sample-dir",
        type=Path,
        default=None,
        help="the sample corpus to take bases from (default: write it afresh to a temporary "
        "folder with provaudit.sample)",
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument(
        "--variants-per-level",
        type=int,
        default=DEFAULT_VARIANTS_PER_LEVEL,
        help=f"bases, hence variants at each level (default {DEFAULT_VARIANTS_PER_LEVEL})",
    )
    args = parser.parse_args(argv)
    truth = _with_sample(
        args.sample_dir,
        lambda sample: build_labelled_corpus(
            sample, args.out_dir, args.seed, args.variants_per_level
        ),
    )
    kinds: dict[str, int] = defaultdict(int)
    for doc in truth.documents.values():
        kinds[doc.kind] += 1
    print(
        f"wrote {len(truth.documents)} documents ({kinds['base']} bases, {kinds['variant']} "
        f"variants, {kinds['degenerate']} degenerate) and {len(truth.pairs)} truth pairs "
        f"under {args.out_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
