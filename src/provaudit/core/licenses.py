"""Normalise declared license strings to SPDX identifiers and a license category.

Contract
--------
``normalize_license(raw)`` never raises and never guesses. It returns a :class:`License`
with the raw text unchanged, an SPDX identifier or expression, and one of
:data:`CATEGORIES`. A spelling it does not recognise (``"see website"``, ``""``,
``None``) gives ``spdx=None`` and category ``"unknown"``; ``spdx`` is ``None`` exactly when
the category is ``"unknown"``.

What it recognises
------------------
* SPDX identifiers in any case, including the deprecated ``GPL-2.0`` / ``GPL-2.0+``
  forms; an unqualified GNU version ("GPLv3") becomes ``-only``, which is what SPDX
  defines the deprecated bare identifier to mean.
* Common spellings and long names ("Apache License, Version 2.0", "CC BY-SA 4.0",
  "Creative Commons Attribution-ShareAlike 4.0 International", "GPLv2+", "MIT License"),
  PyPI trove classifiers ("License :: OSI Approved :: MIT License") and the
  "Long Name (ABBR)" form, accepted only when both halves agree.
* Deed URLs of known license stewards (creativecommons.org, apache.org, gnu.org,
  opensource.org, spdx.org, mozilla.org, eclipse.org, opendatacommons.org, ...).
* SPDX expressions with ``AND``, ``OR``, ``WITH`` and parentheses (operators in upper or
  lower case), and ``A/B`` (Cargo's old spelling of ``A OR B``) when every part is known.
  An expression's category is the most permissive part's for ``OR`` and the most
  restrictive part's for ``AND``; it is ``unknown`` if any part is unknown. ``WITH`` keeps
  the base license's category (conservative: an exception only ever relaxes it).

Choices where SPDX has no identifier
------------------------------------
* Public domain: ``LicenseRef-public-domain``, category ``public-domain``.
* Proprietary, "All rights reserved", "commercial license", "版权所有":
  ``LicenseRef-proprietary``, category ``proprietary``.
* A family named without a version ("BSD", "EPL", "GPL", "CC BY-NC-SA") whose members
  all share one category: ``LicenseRef-<family>`` (``LicenseRef-BSD``,
  ``LicenseRef-CC-BY-NC-SA``) with that category. Picking a version would be a guess; the
  category is not.

Restrictiveness, least to most: public-domain < permissive < weak-copyleft < copyleft <
no-derivatives < non-commercial < proprietary. CC BY-NC-ND is ``non-commercial``: for a
model provider a ban on commercial use is the stronger bar.

Why a hand-written table and not the ``license-expression`` package: that package parses
and validates SPDX expressions against ScanCode's license index (several MB) but does
not map free-form spellings ("Apache 2", "CC BY-SA 4.0", deed URLs, trove classifiers) nor
give categories, which are what a provenance audit needs; it would add a dependency to
every Beam worker for the easy half of the job. The table below is small, reviewable,
and works offline.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

__all__ = ["CATEGORIES", "License", "normalize_license"]

CATEGORIES = (
    "permissive",
    "weak-copyleft",
    "copyleft",
    "non-commercial",
    "no-derivatives",
    "public-domain",
    "proprietary",
    "unknown",
)

# Least to most restrictive; "unknown" is deliberately absent (it poisons expressions).
_RANK = {
    "public-domain": 0,
    "permissive": 1,
    "weak-copyleft": 2,
    "copyleft": 3,
    "no-derivatives": 4,
    "non-commercial": 5,
    "proprietary": 6,
}

PUBLIC_DOMAIN = "LicenseRef-public-domain"
PROPRIETARY = "LicenseRef-proprietary"


class License(NamedTuple):
    """A declared license: the raw text, its SPDX identifier or expression, and category."""

    raw: str | None
    spdx: str | None
    category: str


def _cc_ids() -> dict[str, str]:
    """Return the Creative Commons SPDX identifiers with their categories."""
    versions = ("1.0", "2.0", "2.5", "3.0", "4.0")
    kinds = {
        "BY": "permissive",
        "BY-SA": "copyleft",
        "BY-ND": "no-derivatives",
        "BY-NC": "non-commercial",
        "BY-NC-SA": "non-commercial",
        "BY-NC-ND": "non-commercial",
    }
    table = {f"CC-{kind}-{v}": cat for kind, cat in kinds.items() for v in versions}
    table.update({f"LicenseRef-CC-{kind}": cat for kind, cat in kinds.items()})
    return table


def _gnu_ids() -> dict[str, str]:
    """Return the GNU family SPDX identifiers (-only and -or-later) with their categories."""
    families = {
        "GPL": (("1.0", "2.0", "3.0"), "copyleft"),
        "AGPL": (("1.0", "3.0"), "copyleft"),
        "LGPL": (("2.0", "2.1", "3.0"), "weak-copyleft"),
        "GFDL": (("1.1", "1.2", "1.3"), "copyleft"),
    }
    table: dict[str, str] = {}
    for family, (versions, category) in families.items():
        for v in versions:
            table[f"{family}-{v}-only"] = category
            table[f"{family}-{v}-or-later"] = category
        table[f"LicenseRef-{family}"] = category
    return table


# SPDX identifier -> category. Every key is also accepted as an input spelling.
CATEGORY_BY_SPDX: dict[str, str] = {
    # public domain (and dedications that waive all rights)
    "CC0-1.0": "public-domain",
    "Unlicense": "public-domain",
    "PDDL-1.0": "public-domain",
    "CC-PDDC": "public-domain",
    PUBLIC_DOMAIN: "public-domain",
    # permissive
    "MIT": "permissive",
    "MIT-0": "permissive",
    "X11": "permissive",
    "0BSD": "permissive",
    "BSD-1-Clause": "permissive",
    "BSD-2-Clause": "permissive",
    "BSD-3-Clause": "permissive",
    "BSD-3-Clause-Clear": "permissive",
    "BSD-4-Clause": "permissive",
    "LicenseRef-BSD": "permissive",
    "Apache-1.0": "permissive",
    "Apache-1.1": "permissive",
    "Apache-2.0": "permissive",
    "LicenseRef-Apache": "permissive",
    "ISC": "permissive",
    "PSF-2.0": "permissive",
    "Python-2.0": "permissive",
    "Zlib": "permissive",
    "BSL-1.0": "permissive",
    "NCSA": "permissive",
    "PostgreSQL": "permissive",
    "UPL-1.0": "permissive",
    "WTFPL": "permissive",
    "AFL-3.0": "permissive",
    "ODC-By-1.0": "permissive",
    "CDLA-Permissive-1.0": "permissive",
    "CDLA-Permissive-2.0": "permissive",
    # weak copyleft (file- or library-level)
    "MPL-1.1": "weak-copyleft",
    "MPL-2.0": "weak-copyleft",
    "LicenseRef-MPL": "weak-copyleft",
    "EPL-1.0": "weak-copyleft",
    "EPL-2.0": "weak-copyleft",
    "LicenseRef-EPL": "weak-copyleft",
    "CDDL-1.0": "weak-copyleft",
    "CDDL-1.1": "weak-copyleft",
    # copyleft
    "EUPL-1.1": "copyleft",
    "EUPL-1.2": "copyleft",
    "OSL-3.0": "copyleft",
    "ODbL-1.0": "copyleft",
    "CDLA-Sharing-1.0": "copyleft",
    # proprietary
    PROPRIETARY: "proprietary",
    **_gnu_ids(),
    **_cc_ids(),
}

# SPDX license exceptions accepted after WITH.
EXCEPTIONS = (
    "Classpath-exception-2.0",
    "LLVM-exception",
    "GCC-exception-2.0",
    "GCC-exception-3.1",
    "Autoconf-exception-3.0",
    "Bison-exception-2.2",
    "Font-exception-2.0",
    "Linux-syscall-note",
    "OpenJDK-assembly-exception-1.0",
    "Qt-LGPL-exception-1.1",
)

# Spellings that are not SPDX identifiers, written naturally; they are keyed through the
# same normalisation as the input, so "Apache License, Version 2.0" covers its variants.
ALIASES: dict[str, tuple[str, ...]] = {
    "MIT": ("MIT License", "Expat", "Expat License", "MIT/Expat", "MIT-style"),
    "Apache-2.0": ("ASL 2.0", "AL 2.0", "Apache Software License 2.0"),
    "LicenseRef-Apache": ("Apache", "Apache Software License", "ASL", "Apache Software"),
    "BSD-3-Clause": (
        'BSD 3-Clause "New" or "Revised" License',
        "New BSD",
        "Modified BSD",
        "Revised BSD",
        "3-Clause BSD",
        "BSD-3",
        "BSD 3-Clause New",
    ),
    "BSD-2-Clause": (
        'BSD 2-Clause "Simplified" License',
        "Simplified BSD",
        "FreeBSD",
        "2-Clause BSD",
        "BSD-2",
    ),
    "BSD-4-Clause": ('BSD 4-Clause "Original" or "Old" License', "Original BSD", "4-Clause BSD"),
    "0BSD": ("BSD Zero Clause", "Zero-Clause BSD"),
    "LicenseRef-BSD": ("BSD", "BSD-style", "BSD License"),
    "ISC": ("ISCL", "ISC License (ISCL)"),
    "PSF-2.0": ("PSF", "PSFL", "Python Software Foundation License", "PSF License Agreement"),
    "Unlicense": ("The Unlicense",),
    "CC0-1.0": (
        "CC0",
        "CC Zero",
        "Creative Commons Zero",
        "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication",
        "CC0 Public Domain Dedication",
    ),
    PUBLIC_DOMAIN: (
        "Public Domain",
        "Public-Domain",
        "Public Domain Mark",
        "CC PDM 1.0",
        "Public Domain Dedication",
        "Public Domain Mark 1.0",
        "公有领域",
        "公共领域",
    ),
    PROPRIETARY: (
        "Proprietary",
        "Proprietary License",
        "All rights reserved",
        "Commercial",
        "Commercial license",
        "Other/Proprietary License",
        "Closed source",
        "版权所有",  # "all rights reserved"
        "版权所有，侵权必究",
        "保留所有权利",
        "保留一切权利",
    ),
    "LicenseRef-GPL": ("GPL", "GNU GPL", "GNU General Public License (GPL)"),
    "LicenseRef-LGPL": ("LGPL", "GNU Library or Lesser General Public License"),
    "LicenseRef-AGPL": ("AGPL",),
    "LicenseRef-GFDL": ("GFDL", "FDL", "GNU Free Documentation License"),
    "LicenseRef-MPL": ("MPL", "Mozilla Public License"),
    "LicenseRef-EPL": ("EPL", "Eclipse Public License"),
    "ODbL-1.0": ("ODbL", "Open Database License"),
    "PDDL-1.0": ("PDDL",),
    "ODC-By-1.0": ("ODC-By", "ODC Attribution License"),
    "Zlib": ("zlib/libpng",),
    "BSL-1.0": ("Boost",),
    "WTFPL": ("Do What The F*ck You Want To Public License",),
    "LicenseRef-CC-BY": ("CC BY", "CC-BY", "Creative Commons Attribution"),
    "LicenseRef-CC-BY-SA": ("CC BY-SA", "Creative Commons Attribution-ShareAlike"),
    "LicenseRef-CC-BY-ND": ("CC BY-ND", "Creative Commons Attribution-NoDerivs"),
    "LicenseRef-CC-BY-NC": ("CC BY-NC", "Creative Commons Attribution-NonCommercial"),
    "LicenseRef-CC-BY-NC-SA": ("CC BY-NC-SA",),
    "LicenseRef-CC-BY-NC-ND": ("CC BY-NC-ND", "CC BY-ND-NC"),
}

# ---------------------------------------------------------------------------------------
# Normalisation: text -> a key of lower-case ASCII words, the same for every spelling.

_PLUS = re.compile(r"\+")
_OR_LATER = re.compile(r"\bor\s+(?:any\s+)?(?:later|newer|greater|above)\b", re.IGNORECASE)
_V_BEFORE_DIGIT = re.compile(r"(?:(?<=[a-z])|\b)v\.?(?=\d)")  # "gplv3", "v 2" -> drop the v
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
_NON_WORD = re.compile(r"[\W_]+")  # keeps letters of every script: "版权所有" is a word

# Phrases replaced on the space-joined words (order matters: longer phrases first).
_PHRASES = (
    ("gnu", ""),
    ("creative commons", "cc"),
    ("attribution", "by"),
    ("share alike", "sa"),
    ("sharealike", "sa"),
    ("non commercial", "nc"),
    ("noncommercial", "nc"),
    ("no derivatives", "nd"),
    ("noderivatives", "nd"),
    ("no derivs", "nd"),
    ("noderivs", "nd"),
    ("zero", "0"),
    ("affero general public", "agpl"),
    ("lesser general public", "lgpl"),
    ("library general public", "lgpl"),
    ("general public", "gpl"),
    ("affero gpl", "agpl"),
    ("lesser gpl", "lgpl"),
    ("library gpl", "lgpl"),
    ("free documentation", "gfdl"),
    ("fdl", "gfdl"),
    ("mozilla public", "mpl"),
    ("eclipse public", "epl"),
    ("european union public", "eupl"),
    ("common development and distribution", "cddl"),
    ("boost software", "bsl"),
    ("python software foundation", "psf"),
    ("open data commons", "odc"),
    ("odc open database", "odbl"),
    ("open database", "odbl"),
    ("or any later", "or later"),
)
_PHRASE_RES = tuple((re.compile(rf"(?<!\S){re.escape(a)}(?!\S)"), b) for a, b in _PHRASES)

# Words that carry no identity.
_FILLER = frozenset(
    ("the", "a", "license", "licence", "licenses", "licences", "licensed", "licensing")
    + ("under", "version", "ver", "only", "agreement", "deed", "legalcode")
    + ("international", "unported", "generic", "universal")
)


def _key(text: str) -> str:
    """Reduce a license spelling to its lookup key."""
    s = unicodedata.normalize("NFKC", text).lower()
    s = _OR_LATER.sub(" or later ", s)
    s = _PLUS.sub(" or later ", s)
    s = _V_BEFORE_DIGIT.sub("", s)
    s = _LETTER_DIGIT.sub(" ", s)
    words = _NON_WORD.sub(" ", s).split()
    # Versions: "2.0" and "2" are the same; drop a "0" that follows a number.
    kept: list[str] = []
    for w in words:
        if w == "0" and kept and kept[-1].isdigit():
            continue
        kept.append(w)
    s = " ".join(kept)
    for pattern, replacement in _PHRASE_RES:
        s = pattern.sub(replacement, s)
    words = [w for w in s.split() if w not in _FILLER]
    if words[:1] == ["by"]:  # CC deed titles: "Attribution-ShareAlike 4.0 International"
        words.insert(0, "cc")
    return " ".join(words)


def _build_table(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Key every spelling, refusing two spellings that collide on different targets."""
    table: dict[str, str] = {}
    for spelling, target in pairs:
        key = _key(spelling)
        if not key:
            raise ValueError(f"license spelling {spelling!r} normalises to nothing")
        if table.get(key, target) != target:
            raise ValueError(f"{spelling!r} collides with {table[key]!r} on key {key!r}")
        table[key] = target
    return table


def _alias_pairs() -> Iterable[tuple[str, str]]:
    """Yield (spelling, SPDX id) for every identifier and alias."""
    for spdx in CATEGORY_BY_SPDX:
        yield spdx, spdx
    for spdx, spellings in ALIASES.items():
        if spdx not in CATEGORY_BY_SPDX:
            raise ValueError(f"alias target {spdx!r} has no category")
        for spelling in spellings:
            yield spelling, spdx


_SPDX_BY_KEY = _build_table(_alias_pairs())
_EXCEPTION_BY_KEY = _build_table((e, e) for e in EXCEPTIONS)

# ---------------------------------------------------------------------------------------
# Deed URLs: host -> how to turn path segments into a spelling the alias table knows.

_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//(?:www\.)?([^/?#]+)([^?#]*)|^www\.([^/?#]+)([^?#]*)")
_DEED_TAIL = re.compile(r"^(?:legalcode|deed)(?:\.[a-z-]+)?$")
_FILE_EXT = re.compile(r"(?:\.[a-z]{2}(?:[-_][a-z]{2})?)?\.(?:html?|txt|php|md)$")


def _url_spelling(url: str) -> str | None:
    """Return a license spelling for a known steward's deed URL, else None."""
    m = _URL.match(url.strip().lower())
    if not m:
        return None
    host = (m.group(1) or m.group(3) or "").split(":")[0]
    host = host.removeprefix("www.")
    path = m.group(2) if m.group(1) is not None else m.group(4)
    segs = [s for s in (path or "").split("/") if s]
    if segs and _DEED_TAIL.match(segs[-1]):
        segs.pop()
    if segs:
        segs[-1] = _FILE_EXT.sub("", segs[-1])
    if not segs:
        return "unlicense" if host == "unlicense.org" else None
    if host == "creativecommons.org":
        if segs[0] == "licenses" and len(segs) >= 2:
            return "cc " + " ".join(segs[1:])
        if segs[0] == "publicdomain" and len(segs) >= 2:
            if segs[1] == "zero":
                return "cc0 " + " ".join(segs[2:])
            if segs[1] == "mark":
                return "public domain mark " + " ".join(segs[2:])
        return None
    if host == "apache.org":
        return "apache " + segs[-1] if segs[0] == "licenses" else None
    if host == "mozilla.org" and "mpl" in segs:  # also under a locale: /en-US/MPL/2.0/
        return " ".join(segs[segs.index("mpl") :])
    if host == "opendatacommons.org":
        if segs[0] == "licenses" and len(segs) >= 2:
            name = {"by": "odc-by"}.get(segs[1], segs[1])
            return " ".join([name, *segs[2:]])
        return None
    if host in {"gnu.org", "opensource.org", "spdx.org", "choosealicense.com", "eclipse.org"}:
        if segs[0] in {"licenses", "license", "legal"} and len(segs) >= 2:
            return segs[-1]
        return None
    return None


# ---------------------------------------------------------------------------------------
# Lookup of one license (no operators), then of expressions.

_TROVE = re.compile(r"^\s*license\s*::", re.IGNORECASE)
_ABBREVIATED = re.compile(r"^(.*\S)\s*\(([^()]*)\)\s*$")
_LICENSEREF = "LicenseRef-"


def _family(spdx: str) -> str:
    """Return the family of an identifier: 'CC-BY-SA-4.0' -> 'CC-BY-SA', 'GPL-2.0-only' -> 'GPL'."""
    if spdx.startswith(_LICENSEREF):
        return spdx[len(_LICENSEREF) :]
    return re.sub(r"-\d.*$", "", spdx)


def _agree(a: str | None, b: str | None) -> str | None:
    """Return the identifier two spellings agree on (a family ref yields to a member)."""
    if a is None or b is None:
        return None
    if a == b:
        return a
    for general, specific in ((a, b), (b, a)):
        if general.startswith(_LICENSEREF) and _family(specific) == _family(general):
            return specific
    return None


def _lookup_one(text: str) -> str | None:
    """Return the SPDX identifier of a single license spelling, URL or classifier."""
    text = text.strip()
    if not text:
        return None
    if _TROVE.match(text):
        text = text.rsplit("::", 1)[-1].strip()
    spelling = _url_spelling(text)
    if spelling is not None:
        return _SPDX_BY_KEY.get(_key(spelling))
    found = _SPDX_BY_KEY.get(_key(text))
    if found is not None:
        return found
    m = _ABBREVIATED.match(text)  # "Mozilla Public License 2.0 (MPL 2.0)"
    if m:
        return _agree(_lookup_one(m.group(1)), _lookup_one(m.group(2)))
    return None


_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_OPERATORS = {"AND", "and", "OR", "or", "WITH", "with"}
_MAX_EXPRESSION = 1000  # longer text is prose (a full license text), not an expression


class _Node(NamedTuple):
    """A resolved sub-expression: rendered SPDX text, category, and its top operator."""

    spdx: str
    category: str
    op: str  # "" for a single license, else "AND" / "OR" / "WITH"


class _Unresolved(Exception):
    """Raised inside the parser when the text is not a resolvable expression."""


class _Parser:
    """Recursive-descent parser for SPDX expressions (precedence WITH > AND > OR)."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        """Return the next token without consuming it."""
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse(self) -> _Node:
        """Parse the whole token list."""
        node = self.or_expr()
        if self.peek() is not None:
            raise _Unresolved
        return node

    def or_expr(self) -> _Node:
        """Parse operands joined by OR."""
        parts = [self.and_expr()]
        while (t := self.peek()) is not None and t.upper() == "OR" and t in _OPERATORS:
            self.pos += 1
            parts.append(self.and_expr())
        return _combine("OR", parts)

    def and_expr(self) -> _Node:
        """Parse operands joined by AND."""
        parts = [self.with_expr()]
        while (t := self.peek()) is not None and t.upper() == "AND" and t in _OPERATORS:
            self.pos += 1
            parts.append(self.with_expr())
        return _combine("AND", parts)

    def with_expr(self) -> _Node:
        """Parse a license optionally followed by WITH and an exception."""
        t = self.peek()
        if t == "(":
            self.pos += 1
            node = self.or_expr()
            if self.peek() != ")":
                raise _Unresolved
            self.pos += 1
            return node
        base = self.words()
        spdx = _lookup_one(base)
        if spdx is None:
            raise _Unresolved
        if (t := self.peek()) is not None and t.upper() == "WITH" and t in _OPERATORS:
            self.pos += 1
            exception = _EXCEPTION_BY_KEY.get(_key(self.words()))
            if exception is None:
                raise _Unresolved
            return _Node(f"{spdx} WITH {exception}", CATEGORY_BY_SPDX[spdx], "WITH")
        return _Node(spdx, CATEGORY_BY_SPDX[spdx], "")

    def words(self) -> str:
        """Consume a run of plain words (a license name may have spaces)."""
        start = self.pos
        while (t := self.peek()) is not None and t not in ("(", ")") and t not in _OPERATORS:
            self.pos += 1
        if self.pos == start:
            raise _Unresolved
        return " ".join(self.tokens[start : self.pos])


def _combine(op: str, parts: list[_Node]) -> _Node:
    """Join sub-expressions with an operator: OR takes the least, AND the most restrictive."""
    if len(parts) == 1:
        return parts[0]
    rendered = []
    for p in parts:
        needs_parens = op == "AND" and p.op == "OR"
        rendered.append(f"({p.spdx})" if needs_parens else p.spdx)
    pick = min if op == "OR" else max
    category = pick((p.category for p in parts), key=_RANK.__getitem__)
    return _Node(f" {op} ".join(rendered), category, op)


def _lookup_expression(text: str) -> _Node | None:
    """Resolve an SPDX-style expression, or None if any part is unknown."""
    if len(text) > _MAX_EXPRESSION:
        return None
    protected = _OR_LATER.sub("+", text)  # "GPL v2 or later" is one license, not an OR
    tokens = _TOKEN.findall(protected)
    if not tokens:
        return None
    try:
        node = _Parser(tokens).parse()
    except _Unresolved:
        node = None
    if node is None and "/" in text and "(" not in text:
        parts = [_lookup_one(p) for p in text.split("/")]
        if len(parts) > 1 and all(parts):
            node = _combine("OR", [_Node(p, CATEGORY_BY_SPDX[p], "") for p in parts if p])
    return node


def _normalize(raw: str) -> License:
    """Normalise a non-None license string."""
    spdx = _lookup_one(raw)
    if spdx is not None:
        return License(raw, spdx, CATEGORY_BY_SPDX[spdx])
    node = _lookup_expression(raw)
    if node is not None:
        return License(raw, node.spdx, node.category)
    return License(raw, None, "unknown")


# Corpora repeat a handful of license values millions of times.
_normalize_cached = functools.lru_cache(maxsize=4096)(_normalize)


def normalize_license(raw: str | None) -> License:
    """Map a declared license string to SPDX, or UNKNOWN keeping the raw text."""
    if raw is None:
        return License(None, None, "unknown")
    if not isinstance(raw, str):  # bad data from a registry or a JSON field
        return License(str(raw), None, "unknown")
    if len(raw) > _MAX_EXPRESSION:  # a pasted license text: too big to keep in the cache
        return _normalize(raw)
    return _normalize_cached(raw)
