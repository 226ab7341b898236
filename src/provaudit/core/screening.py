"""Content screening: keyword libraries by TC260 risk code and classifiers (pure core, no Beam).

Contract.

- :func:`fold` turns a text into the form terms are matched in, the way evaders write
  around a plain match: invisible format characters (zero-width space/joiners, BOM, soft
  hyphen, bidi controls: Unicode category Cf) removed everywhere; Unicode NFKC (full-width
  Latin letters, digits and punctuation become their ASCII forms, compatibility ideographs
  their unified forms); case-folded; Traditional Han characters mapped to Simplified with
  OpenCC's character table (``TSCharacters.txt`` from opencc-python-reimplemented; the
  first candidate, chains resolved); and every run of separators (whitespace, punctuation,
  symbols, control and format characters) between two Han characters removed, so
  ``法 轮``, ``法.轮`` and ``法\\u200b轮`` all fold to ``法轮``. Folding is idempotent and
  terms are folded the same way. An ASCII text folds to its lower case (fast path).
- :func:`load_library` reads one library file: UTF-8, one term per line, ``#`` comment
  lines, an optional ``<TAB>risk code`` per term (else the library's ``risk``). A
  :class:`~provaudit.core.errors.ConfigError` names the file and line for invalid UTF-8, an
  unknown risk code, or a term without a code in a library without ``risk``. A line empty
  after folding is skipped and counted; a (term, risk) pair listed twice counts once.
- :class:`Screener` is built from plain data (folded terms with their risk codes and
  libraries, library identities, classifier specs) and pickles before :meth:`Screener.setup`,
  which builds ONE Aho-Corasick automaton (pyahocorasick) for all libraries and loads each
  classifier's factory by import path. :meth:`Screener.fields` gives the five ``screen_*``
  ledger fields of a text. Every occurrence of every term counts, overlapping ones too: a
  term inside a longer term counts as well as the longer one (``AB`` and ``ABC`` in
  ``ABC`` make two hits), so a library's counts never depend on which other terms it
  holds. A term whose first (last) character is an ASCII letter or digit matches only where
  the text's neighbouring character is not one (whole words for Latin terms; Han terms
  match anywhere). Hits count by risk code: a term listed under two risks counts for both.
- A classifier's factory is called once per worker with its ``options`` and returns a
  callable(text) -> {risk code: score}; a score must be a number in 0..1 for a risk the
  classifier declares, else :class:`ScreeningError` names the classifier and callable.
- :func:`library_coverage` is the ``coverage`` block of ``screening/libraries.json``
  against TC260-003 8.1 (:data:`provaudit.core.risks.MIN_TERMS`).
- :meth:`Screener.review` gives masked reviewer contexts: a window of the folded text
  around the first hit of each risk, every occurrence of a library term in it (whole word
  or not) replaced by ``[risk code]`` (``[A.3-2/A.3-3]`` for a term under two risks) and
  personal information masked (:func:`provaudit.core.pii.mask_text`). No other output ever
  holds a matched term.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, NamedTuple

from provaudit.core.errors import ConfigError, ProvauditError
from provaudit.core.risks import MIN_TERMS, RISK_CODES, risk_class

_RISKS = frozenset(RISK_CODES)


class ScreeningError(ProvauditError):
    """A classifier could not be loaded or returned an invalid score."""


# --------------------------------------------------------------------------- folding

_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F))
_HAN = "".join(f"{chr(a)}-{chr(b)}" for a, b in _HAN_RANGES) + "\u3007"
_tables: tuple[Callable[[str], str], re.Pattern[str], Callable[[str], str]] | None = None


def _ranges(codes: Iterable[int]) -> str:
    """A regex character class body for sorted code points (escaped ranges)."""
    out: list[str] = []
    start = prev = -2
    for c in codes:
        if c != prev + 1:
            if start >= 0:
                out.append(_span(start, prev))
            start = c
        prev = c
    if start >= 0:
        out.append(_span(start, prev))
    return "".join(out)


def _span(a: int, b: int) -> str:
    return re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"


def _load_tables() -> tuple[Callable[[str], str], re.Pattern[str], Callable[[str], str]]:
    """Once per process: the Traditional -> Simplified mapping (a function), the pattern of
    separator runs between Han characters, and the pattern of format characters (Unicode
    category Cf: zero-width space and joiners, BOM, soft hyphen, bidi controls, ...)."""
    global _tables
    if _tables is None:
        import opencc  # opencc-python-reimplemented: OpenCC's dictionaries as text files

        path = os.path.join(os.path.dirname(opencc.__file__), "dictionary", "TSCharacters.txt")
        if not os.path.isfile(path):
            raise ScreeningError(f"{path}: OpenCC character table missing; install "
                                 "opencc-python-reimplemented (another package named opencc may shadow it)")
        ts: dict[str, str] = {}
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                key, _, values = line.rstrip("\n").partition("\t")
                first = values.split(" ")[0] if values else ""
                if len(key) == 1 and len(first) == 1 and key != first:
                    ts[key] = unicodedata.normalize("NFKC", first)
        table: dict[str, str] = {}
        for key, value in ts.items():
            seen = {key}
            while value in ts and value not in seen:  # resolve chains to their end
                seen.add(value)
                value = ts[value]
            if value != key:
                table[key] = value
        # str.translate costs a dict lookup per character: only texts holding a Traditional
        # character pay it (the set of a text's characters is one fast pass)
        traditional = frozenset(table)
        by_ord = {ord(k): v for k, v in table.items()}

        def simplify(text: str) -> str:
            return text if traditional.isdisjoint(text) else text.translate(by_ord)

        seps, formats = [], []
        for c in range(sys.maxunicode + 1):
            cat = unicodedata.category(chr(c))
            if cat[0] in "ZPS" or cat in ("Cc", "Cf"):
                seps.append(c)
                if cat == "Cf":
                    formats.append(c)
        pattern = re.compile(f"(?<=[{_HAN}])[{_ranges(seps)}]+(?=[{_HAN}])")
        format_set = frozenset(map(chr, formats))
        format_sub = re.compile(f"[{_ranges(formats)}]").sub

        def strip_formats(text: str) -> str:  # a set test is faster than the regex's class
            return text if format_set.isdisjoint(text) else format_sub("", text)

        _tables = (simplify, pattern, strip_formats)
    return _tables


def fold(text: str) -> str:
    """Return the folded form terms are matched in (see the module contract); idempotent."""
    if text.isascii():
        return text.lower()
    simplify, between_han, strip_formats = _load_tables()
    # format characters go first (a zero-width space between a letter and its combining mark
    # would otherwise leave a sequence the next fold composes), then NFKC, case, NFKC again
    # (case folding can undo normal form), then for a text with Han characters Traditional ->
    # Simplified and separators between Han. Each step is one C-level pass, skipped when a
    # quick check says it would change nothing (most text is already NFKC).
    out = strip_formats(text)
    if not unicodedata.is_normalized("NFKC", out):
        out = unicodedata.normalize("NFKC", out)
    out = out.casefold()
    if not unicodedata.is_normalized("NFKC", out):
        out = unicodedata.normalize("NFKC", out)
    if _HAN_CHAR.search(out) is None:
        return out
    return between_han.sub("", simplify(out))


_HAN_CHAR = re.compile(f"[{_HAN}]")


# --------------------------------------------------------------------------- libraries


class LoadedLibrary(NamedTuple):
    """One keyword library as read on the driver: identity, counts and folded terms."""

    name: str
    file: str  # display name: relative to the config folder, else the file's own name
    sha256: str
    updated: str  # YYYY-MM-DD
    terms: tuple[tuple[str, str], ...]  # (folded term, risk code), distinct, in file order
    skipped_lines: int
    duplicate_lines: int

    @property
    def terms_by_risk(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _term, risk in self.terms:
            counts[risk] = counts.get(risk, 0) + 1
        return {k: counts[k] for k in RISK_CODES if k in counts}

    @property
    def identity(self) -> str:
        """``name@sha12@YYYY-MM-DD`` as the ledger's ``screened_by`` names it."""
        return f"{self.name}@{self.sha256[:12]}@{self.updated}"

    def describe(self) -> dict[str, Any]:
        """The library's entry in ``screening/libraries.json``."""
        return {"name": self.name, "file": self.file, "sha256": self.sha256, "updated": self.updated,
                "terms": len(self.terms), "terms_by_risk": self.terms_by_risk,
                "skipped_lines": self.skipped_lines, "duplicate_lines": self.duplicate_lines}


def _display(path: str, base: str | None) -> str:
    if base:
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(base))
        if not rel.startswith(".."):
            return rel.replace(os.sep, "/")
    return os.path.basename(path)


def load_library(name: str, path: str, risk: str | None = None, updated: str | None = None,
                 base: str | None = None) -> LoadedLibrary:
    """Read and fold one library file (see the module contract); ``base``: the config folder."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ConfigError(path, "", f"cannot read keyword library {name!r}: {exc.strerror or exc}") from exc
    if risk is not None and risk not in _RISKS:
        raise ConfigError(path, "risk", f"library {name!r}: {risk!r} is not a TC260-003 Appendix A risk code")
    terms: dict[tuple[str, str], None] = {}
    skipped = duplicates = 0
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError as exc:
            raise ConfigError(path, f"line {number}", f"library {name!r}: not UTF-8 ({exc.reason} "
                                                      f"at byte {exc.start})") from exc
        if number == 1:
            line = line.lstrip("\ufeff")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        term, tab, code = line.partition("\t")
        code = code.strip()
        if tab and code:
            if code not in _RISKS:
                raise ConfigError(path, f"line {number}",
                                  f"library {name!r}: {code!r} is not a TC260-003 Appendix A risk code")
        elif risk is None:
            raise ConfigError(path, f"line {number}", f"library {name!r}: term without a risk code, "
                                                      "and the library has no 'risk'")
        else:
            code = risk
        folded = fold(term).strip()
        if not folded:
            skipped += 1
            continue
        if (folded, code) in terms:
            duplicates += 1
            continue
        terms[(folded, code)] = None
    if updated is None:
        updated = datetime.fromtimestamp(os.stat(path).st_mtime, timezone.utc).strftime("%Y-%m-%d")
    return LoadedLibrary(name, _display(path, base), hashlib.sha256(data).hexdigest(), str(updated),
                         tuple(terms), skipped, duplicates)


def library_coverage(libraries: Iterable[LoadedLibrary], classifiers: Iterable[Any] = ()) -> dict[str, Any]:
    """The ``coverage`` block of ``screening/libraries.json`` (TC260-003 8.1): distinct folded
    terms over all libraries, per risk code; the A.1 risks under 200 terms and A.2 risks
    under 100 (absent ones as 0); the risks the classifiers cover and the codes none does."""
    per_risk: dict[str, set[str]] = {}
    everything: set[str] = set()
    for lib in libraries:
        for term, risk in lib.terms:
            per_risk.setdefault(risk, set()).add(term)
            everything.add(term)
    by_risk = {k: len(per_risk[k]) for k in RISK_CODES if k in per_risk}
    short = {k: by_risk.get(k, 0) for k in RISK_CODES
             if risk_class(k) in MIN_TERMS and by_risk.get(k, 0) < MIN_TERMS[risk_class(k)]}
    covered = {r for c in classifiers for r in c.risks}
    return {"terms": len(everything), "terms_by_risk": by_risk, "risks_with_terms": list(by_risk),
            "short": short, "classifier_risks": [k for k in RISK_CODES if k in covered],
            "classifier_missing": [k for k in RISK_CODES if k not in covered]}


def libraries_json(libraries: Iterable[LoadedLibrary], classifiers: Iterable[Any]) -> dict[str, Any]:
    """The whole ``screening/libraries.json`` document."""
    libraries, classifiers = list(libraries), list(classifiers)
    return {"libraries": [lib.describe() for lib in libraries],
            "classifiers": [{"name": c.name, "callable": c.callable, "risks": list(c.risks),
                             "threshold": c.threshold} for c in classifiers],
            "coverage": library_coverage(libraries, classifiers)}


# --------------------------------------------------------------------------- the screener


def _load_factory(name: str, target: str) -> Callable[..., Any]:
    module_name, _, attr = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ScreeningError(f"classifier {name!r}: cannot load {target!r}: {exc}") from exc
    if not callable(obj):
        raise ScreeningError(f"classifier {name!r}: {target!r} is not callable")
    return obj


def _json(value: Any) -> str:
    """Compact JSON text, keys sorted (the ledger's JSON columns)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _as_bytes(text: str) -> str:
    """The UTF-8 bytes of a text as a str of code points < 256: what the automaton matches.

    pyahocorasick looks a node's children up one by one, so a root with thousands of Han
    characters as children made matching about 100x slower than over bytes (at most 256
    children, a few dozen in practice). UTF-8 is self-synchronising: a term's bytes can only
    match at character boundaries of the text, so the counts are the same.
    """
    return text if text.isascii() else text.encode("utf-8").decode("latin-1")


class Screener:
    """Keyword libraries and classifiers over one text; build from plain data, setup() once
    per worker (see the module contract)."""

    def __init__(self, terms: Iterable[tuple[str, Iterable[str], Iterable[str]]],
                 libraries: Iterable[str] = (), classifiers: Iterable[Any] = ()) -> None:
        # terms: (folded term, its risk codes, the libraries listing it); libraries: their
        # identities (name@sha12@date); classifiers: core.config.ClassifierSpec
        self._terms = tuple(sorted((t, tuple(sorted(set(r))), tuple(sorted(set(lib))))
                                   for t, r, lib in terms))
        self._classifier_specs = tuple(classifiers)
        self._screened_by = ";".join([*libraries, *(c.name for c in self._classifier_specs)])
        self._automaton: Any = None
        self._ascii_automaton: Any = None  # the ASCII terms alone, for ASCII texts (None: none)
        self._classifiers: list[tuple[Any, Callable[[str], Mapping[str, float]]]] | None = None

    @classmethod
    def from_libraries(cls, libraries: Iterable[LoadedLibrary], classifiers: Iterable[Any] = ()) -> Screener:
        """A screener over loaded libraries (a term in several libraries or risks is one pattern)."""
        libraries = list(libraries)
        merged: dict[str, tuple[set[str], set[str]]] = {}
        for lib in libraries:
            for term, risk in lib.terms:
                risks, names = merged.setdefault(term, (set(), set()))
                risks.add(risk)
                names.add(lib.name)
        return cls(((t, r, n) for t, (r, n) in merged.items()), [lib.identity for lib in libraries], classifiers)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_automaton"] = None
        state["_ascii_automaton"] = None
        state["_classifiers"] = None
        return state

    @property
    def screened_by(self) -> str:
        return self._screened_by

    def setup(self) -> None:
        """Build the automaton and the classifiers (idempotent: once per worker)."""
        if self._automaton is None and self._terms:
            import ahocorasick

            # one automaton for all libraries; an ASCII text can only hold ASCII terms, and
            # an automaton of those alone walks it about 1.7x faster (fewer root children)
            automaton, ascii_only = ahocorasick.Automaton(), ahocorasick.Automaton()
            for term, risks, libs in self._terms:
                bounded = (_word_char(term[0]), _word_char(term[-1]))
                key = _as_bytes(term)
                automaton.add_word(key, (len(key), risks, libs, bounded))
                if term.isascii():
                    ascii_only.add_word(key, (len(key), risks, libs, bounded))
            automaton.make_automaton()
            if len(ascii_only):
                ascii_only.make_automaton()
                self._ascii_automaton = ascii_only
            self._automaton = automaton
        if self._classifiers is None:
            loaded = []
            for spec in self._classifier_specs:
                factory = _load_factory(spec.name, spec.callable)
                try:
                    fn = factory(**dict(spec.options))
                except Exception as exc:
                    raise ScreeningError(f"classifier {spec.name!r}: {spec.callable}(**options) failed: "
                                         f"{type(exc).__name__}: {exc}") from exc
                if not callable(fn):
                    raise ScreeningError(f"classifier {spec.name!r}: {spec.callable} returned "
                                         f"{type(fn).__name__}, not a callable")
                loaded.append((spec, fn))
            self._classifiers = loaded

    def _matches(self, folded: str, whole_words: bool = True
                 ) -> Iterable[tuple[int, int, tuple[str, ...], tuple[str, ...]]]:
        """(start, end, risks, libraries) of every occurrence of every term, in end order, as
        offsets in the UTF-8 bytes of ``folded`` (``whole_words=False``: Latin terms inside
        longer words too, as masking wants)."""
        if self._automaton is None:
            if not self._terms:
                return
            self.setup()
        data = _as_bytes(folded)
        n = len(data)
        automaton = self._automaton
        if data.isascii():
            automaton = self._ascii_automaton
            if automaton is None:
                return
        for last, (length, risks, libs, (left, right)) in automaton.iter(data):
            start = last - length + 1
            if whole_words and ((left and start > 0 and _word_char(data[start - 1]))
                                or (right and last + 1 < n and _word_char(data[last + 1]))):
                continue
            yield start, last + 1, risks, libs

    def hits(self, text: str) -> dict[str, int]:
        """Keyword hits of a text by risk code (sorted keys)."""
        counts: dict[str, int] = {}
        if self._terms:
            for _s, _e, risks, _l in self._matches(fold(text)):
                for r in risks:
                    counts[r] = counts.get(r, 0) + 1
        return dict(sorted(counts.items()))

    def scores(self, text: str) -> dict[str, dict[str, float]]:
        """Each classifier's scores by risk (rounded to 6 places), checked."""
        if self._classifiers is None:
            self.setup()
        out: dict[str, dict[str, float]] = {}
        for spec, fn in self._classifiers or ():
            raw = fn(text)
            if not isinstance(raw, Mapping):
                raise ScreeningError(f"classifier {spec.name!r} ({spec.callable}) returned "
                                     f"{type(raw).__name__}, not a mapping of risk code to score")
            got: dict[str, float] = {}
            for risk, score in raw.items():
                if risk not in spec.risks:
                    raise ScreeningError(f"classifier {spec.name!r} ({spec.callable}) scored risk "
                                         f"{risk!r}, which it does not declare (risks: {list(spec.risks)})")
                if (isinstance(score, bool) or not isinstance(score, (int, float))
                        or not math.isfinite(score) or not 0.0 <= score <= 1.0):
                    raise ScreeningError(f"classifier {spec.name!r} ({spec.callable}) gave risk {risk} "
                                         f"the score {score!r}, outside 0..1")
                got[risk] = round(float(score), 6)
            out[spec.name] = dict(sorted(got.items()))
        return out

    def fields(self, text: str) -> dict[str, Any]:
        """The five ``screen_*`` ledger fields of a text."""
        hits = self.hits(text)
        scores = self.scores(text) if self._classifier_specs else {}
        thresholds = {c.name: c.threshold for c in self._classifier_specs}
        flagged = bool(hits) or any(s >= thresholds[name] for name, by in scores.items() for s in by.values())
        return {"screen_hits": _json(hits) if hits else "{}",
                "screen_hits_total": sum(hits.values()),
                "classifier_scores": _json(scores) if scores else "{}",
                "screen_flagged": flagged,
                "screened_by": self._screened_by}

    def review(self, text: str, window: int = 60, allow: Any = None) -> list[tuple[str, str, str]]:
        """(risk, library, masked context) for the first hit of each risk in a text: the folded
        text ``window`` characters either side of the hit, widened to whole matches at its
        edges, every matched term in it replaced by ``[risk code]``, personal information masked."""
        if not self._terms:
            return []
        from provaudit.core.pii import mask_text

        folded = fold(text)
        data = _as_bytes(folded)

        def chars(offset: int) -> int:  # UTF-8 byte offset -> character offset (rare: reviews)
            return len(data[:offset].encode("latin-1").decode("utf-8"))

        hits = [(chars(s), chars(e), r, lib) for s, e, r, lib in self._matches(folded)]
        matches = [(chars(s), chars(e), r, lib)  # all masked, hits or not
                   for s, e, r, lib in self._matches(folded, whole_words=False)]
        out: list[tuple[str, str, str]] = []
        seen: set[str] = set()
        for start, end, risks, libs in hits:
            for risk in risks:
                if risk in seen:
                    continue
                seen.add(risk)
                a, b = max(0, start - window), min(len(folded), end + window)
                inside = [m for m in matches if m[1] > a and m[0] < b]
                a = min([a, *(m[0] for m in inside)])
                b = max([b, *(m[1] for m in inside)])
                masked = [False] * (b - a)
                label_at: dict[int, str] = {}
                for s, e, rs, _l in sorted(inside):
                    for i in range(s - a, e - a):
                        if not masked[i]:
                            masked[i] = True
                    label_at.setdefault(s - a, "/".join(rs))  # a term under two risks: both
                parts: list[str] = []
                i = 0
                while i < b - a:
                    if masked[i]:
                        j = i
                        while j < b - a and masked[j]:
                            j += 1
                        parts.append(f"[{label_at.get(i, risk)}]")
                        i = j
                    else:
                        parts.append(folded[a + i])
                        i += 1
                context = mask_text("".join(parts), allow)
                out.append((risk, libs[0], ("…" if a > 0 else "") + context + ("…" if b < len(folded) else "")))
        return sorted(out)


def build_screener(settings: Any, base: str | None = None) -> tuple[Screener | None, list[LoadedLibrary]]:
    """The screener of a run's ``screening:`` settings (None when not configured) and its
    libraries, read once on the driver."""
    libraries = [load_library(k.name, k.path, k.risk, k.updated, base) for k in settings.keywords]
    if not libraries and not settings.classifiers:
        return None, libraries
    return Screener.from_libraries(libraries, settings.classifiers), libraries
