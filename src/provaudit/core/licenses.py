"""Normalise declared license strings to SPDX identifiers and a license category.

Contract
--------
``normalize_license(raw)`` never raises and never guesses. It returns a :class:`License`
with the raw text unchanged, an SPDX identifier or expression, and one of
:data:`CATEGORIES`. A spelling it does not recognise (``"see website"``, ``""``,
``None``) gives ``spdx=None`` and category ``"unknown"``; ``spdx`` is ``None`` only with
category ``"unknown"``, and a known identifier has category ``"unknown"`` only when ScanCode
says its terms are unstated (``LicenseRef-scancode-unknown``).

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

Where the identifiers and categories come from
-----------------------------------------------
Every licence and exception of the SPDX list and every ScanCode LicenseDB key comes from
the index that ``license-expression`` ships (ScanCode LicenseDB, SPDX list 3.27 in
30.4.4), read offline: SPDX identifiers (current and deprecated, any case), ScanCode
keys as ScanCode writes them (lower case: ``gpl-2.0-plus`` -> ``GPL-2.0-or-later``,
``attribution`` -> ``AAL``) and ``LicenseRef-scancode-<key>`` for keys without an SPDX
identifier. A category is ScanCode's category mapped by :data:`SCANCODE_CATEGORY` (Creative
Commons licences by their NC / ND / SA elements); ScanCode's "Unstated License" entries
keep their identifier with category ``unknown`` (the only identifiers that do). The
project's own spellings (:data:`ALIASES`, deed URLs, trove classifiers, "Long Name (ABBR)")
are looked up after an exact SPDX identifier and before deprecated ids and ScanCode keys,
so "GPL" stays the family ``LicenseRef-GPL`` and "proprietary" the project's
``LicenseRef-proprietary``. A bare generic word is never a guess: "Attribution" is unknown.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

__all__ = ["CATEGORIES", "License", "conflicts", "normalize_license", "normalize_scancode_expression"]

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

class License(NamedTuple):
    """A declared license: the raw text, its SPDX identifier or expression, and category."""

    raw: str | None
    spdx: str | None
    category: str


def _cc_ids() -> tuple[str, ...]:
    """Return the Creative Commons SPDX identifiers whose free-form spellings are keyed."""
    versions = ("1.0", "2.0", "2.5", "3.0", "4.0")
    kinds = ("BY", "BY-SA", "BY-ND", "BY-NC", "BY-NC-SA", "BY-NC-ND")
    return tuple(f"CC-{kind}-{v}" for kind in kinds for v in versions)


def _gnu_ids() -> tuple[str, ...]:
    """Return the GNU family SPDX identifiers (-only and -or-later) whose spellings are keyed."""
    families = {
        "GPL": ("1.0", "2.0", "3.0"),
        "AGPL": ("1.0", "3.0"),
        "LGPL": ("2.0", "2.1", "3.0"),
        "GFDL": ("1.1", "1.2", "1.3"),
    }
    return tuple(f"{family}-{v}-{suffix}" for family, versions in families.items()
                 for v in versions for suffix in ("only", "or-later"))


# ScanCode licence category -> provaudit category. Categories of every SPDX identifier and
# ScanCode key come from the licence index through this map, never from a hand list.
# "Free Restricted" (field-of-use bans), "Source-available", "Proprietary Free", "Commercial",
# patent-only grants and contributor agreements grant no open licence to the text:
# conservatively "proprietary". "Unstated License" entries (ScanCode's "unknown",
# "free-unknown", "any-OSI", ...) name no terms: "unknown", with the identifier kept.
SCANCODE_CATEGORY = {
    "Public Domain": "public-domain",
    "Permissive": "permissive",
    "Copyleft Limited": "weak-copyleft",
    "Copyleft": "copyleft",
    "Free Restricted": "proprietary",
    "Source-available": "proprietary",
    "Proprietary Free": "proprietary",
    "Commercial": "proprietary",
    "Patent License": "proprietary",
    "CLA": "proprietary",
    "Unstated License": "unknown",
}

# Creative Commons licences: ScanCode files every NonCommercial and NoDerivatives variant
# under "Source-available", so their category is read from the licence elements the key
# spells (cc-by-nc-sa-2.0-fr): NC -> non-commercial, else ND -> no-derivatives, else
# SA -> copyleft (share-alike binds the whole adaptation), else ScanCode's category.
_CC_ELEMENTS = re.compile(r"^cc-by((?:-(?:nc|nd|sa))*)-\d")


def _category_of(entry: dict) -> str:
    """Return the provaudit category of one licence-index entry (errors name the key)."""
    elements = _CC_ELEMENTS.match(entry["license_key"])
    if elements:
        parts = set(elements.group(1).split("-"))
        if "nc" in parts:
            return "non-commercial"
        if "nd" in parts:
            return "no-derivatives"
        if "sa" in parts:
            return "copyleft"
    try:
        return SCANCODE_CATEGORY[entry["category"]]
    except KeyError:
        raise ValueError(f"license index entry {entry['license_key']!r}: ScanCode category "
                         f"{entry['category']!r} has no provaudit category") from None


class IndexEntry(NamedTuple):
    """One licence of the index: its identifier, ScanCode key, category and kind."""

    spdx: str  # the SPDX identifier, else LicenseRef-scancode-<key>
    key: str  # the ScanCode licence key
    category: str
    is_exception: bool
    scancode_category: str
    own_id: bool  # False: a deprecated key that takes its replacement's identifier


def _scancode_ref(key: str) -> str:
    return f"LicenseRef-scancode-{key}"


@functools.lru_cache(maxsize=1)
def _raw_index() -> tuple[dict, ...]:
    from license_expression import get_license_index

    return tuple(get_license_index())


@functools.lru_cache(maxsize=1)
def license_index() -> tuple[IndexEntry, ...]:
    """Return every licence and exception of the SPDX list and ScanCode's LicenseDB.

    The data is the index ``license-expression`` ships (ScanCode LicenseDB, which carries
    every SPDX licence and exception identifier), read offline. A ScanCode key without an
    SPDX identifier is ``LicenseRef-scancode-<key>``, unless another entry lists that
    reference as one of its own identifiers (a deprecated key and its replacement).
    """
    listed = {alt.lower(): e["spdx_license_key"] for e in _raw_index() if e.get("spdx_license_key")
              for alt in e.get("other_spdx_license_keys") or ()}
    entries = []
    for e in _raw_index():
        ref = _scancode_ref(e["license_key"])
        spdx = e.get("spdx_license_key") or listed.get(ref.lower()) or ref
        entries.append(IndexEntry(spdx, e["license_key"], _category_of(e), bool(e["is_exception"]),
                                  e["category"], spdx in (e.get("spdx_license_key"), ref)))
    return tuple(entries)


def _index_spellings() -> tuple[dict[str, str], dict[str, str], dict[str, str], dict[str, str]]:
    """Return (current SPDX id, other id, ScanCode key, exception) -> identifier tables.

    Filled in order of authority: current identifiers first, then deprecated and
    LicenseRef-scancode-* identifiers, then ScanCode keys; an earlier spelling is never
    overwritten by a later one.
    """
    current: dict[str, str] = {}
    other: dict[str, str] = {}
    keys: dict[str, str] = {}
    exceptions: dict[str, str] = {}
    raw = {e["license_key"]: e for e in _raw_index()}
    index = license_index()
    for entry in index:
        (exceptions if entry.is_exception else current).setdefault(entry.spdx.lower(), entry.spdx)
    for entry in index:
        for alt in [*(raw[entry.key].get("other_spdx_license_keys") or ()), _scancode_ref(entry.key)]:
            (exceptions if entry.is_exception else other).setdefault(alt.lower(), entry.spdx)
    for entry in index:
        if entry.scancode_category != "Unstated License":  # "unknown" is not an identifier
            (exceptions if entry.is_exception else keys).setdefault(entry.key, entry.spdx)
    return current, other, keys, exceptions


# Project identifiers where SPDX has none (see the module docstring): public domain,
# proprietary, and families named without a version. A family takes the category of the
# member named here (from the index), so no category is written by hand.
PUBLIC_DOMAIN = "LicenseRef-public-domain"
PROPRIETARY = "LicenseRef-proprietary"
FAMILY_REPRESENTATIVE = {
    "LicenseRef-BSD": "BSD-3-Clause",
    "LicenseRef-Apache": "Apache-2.0",
    "LicenseRef-GPL": "GPL-3.0-or-later",
    "LicenseRef-LGPL": "LGPL-3.0-or-later",
    "LicenseRef-AGPL": "AGPL-3.0-or-later",
    "LicenseRef-GFDL": "GFDL-1.3-or-later",
    "LicenseRef-MPL": "MPL-2.0",
    "LicenseRef-EPL": "EPL-2.0",
    **{f"LicenseRef-CC-{kind}": f"CC-{kind}-4.0"
       for kind in ("BY", "BY-SA", "BY-ND", "BY-NC", "BY-NC-SA", "BY-NC-ND")},
}

# SPDX identifiers whose free-form spellings ("GNU GPL v3", "CC BY-SA 4.0", "MPL 2") are
# recognised through the same key normalisation as ALIASES; every other identifier of the
# index is recognised as written (any case), and ScanCode keys as ScanCode writes them.
FREE_FORM_IDS = (
    "CC0-1.0", "Unlicense", "PDDL-1.0", "CC-PDDC", "MIT", "MIT-0", "X11", "0BSD",
    "BSD-1-Clause", "BSD-2-Clause", "BSD-3-Clause", "BSD-3-Clause-Clear", "BSD-4-Clause",
    "Apache-1.0", "Apache-1.1", "Apache-2.0", "ISC", "PSF-2.0", "Python-2.0", "Zlib",
    "BSL-1.0", "NCSA", "PostgreSQL", "UPL-1.0", "WTFPL", "AFL-3.0", "ODC-By-1.0",
    "CDLA-Permissive-1.0", "CDLA-Permissive-2.0", "MPL-1.1", "MPL-2.0", "EPL-1.0", "EPL-2.0",
    "CDDL-1.0", "CDDL-1.1", "EUPL-1.1", "EUPL-1.2", "OSL-3.0", "ODbL-1.0", "CDLA-Sharing-1.0",
    *_gnu_ids(), *_cc_ids(),
)


def _build_categories() -> dict[str, str]:
    # An identifier's category is its own entry's; a deprecated key that took the
    # identifier of its replacement does not override it.
    table = {entry.spdx: entry.category for entry in license_index() if entry.own_id}
    for entry in license_index():
        table.setdefault(entry.spdx, entry.category)
    for ref, member in FAMILY_REPRESENTATIVE.items():
        table[ref] = table[member]
    table[PUBLIC_DOMAIN] = "public-domain"
    table[PROPRIETARY] = "proprietary"
    return table


# Identifier -> category, for every licence and exception of the index and the project refs.
CATEGORY_BY_SPDX: dict[str, str] = _build_categories()
_CURRENT_ID, _OTHER_ID, _SCANCODE_KEY, _EXCEPTION_ID = _index_spellings()
_PROJECT_IDS = (PUBLIC_DOMAIN, PROPRIETARY, *FAMILY_REPRESENTATIVE, *FREE_FORM_IDS)


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
    # CC deed titles ("Attribution-ShareAlike 4.0 International") name a version; a bare
    # "Attribution" is too generic a word to be read as CC BY.
    if words[:1] == ["by"] and any(w.isdigit() for w in words):
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
    for spdx in _PROJECT_IDS:
        if spdx not in CATEGORY_BY_SPDX:
            raise ValueError(f"free-form identifier {spdx!r} is not in the licence index")
        yield spdx, spdx
    for spdx, spellings in ALIASES.items():
        if spdx not in CATEGORY_BY_SPDX:
            raise ValueError(f"alias target {spdx!r} has no category")
        for spelling in spellings:
            yield spelling, spdx


_SPDX_BY_KEY = _build_table(_alias_pairs())
_EXCEPTION_BY_KEY = _build_table((e, e) for e in EXCEPTIONS)


def _lookup_exception(text: str) -> str | None:
    """Return the identifier of a licence exception: any SPDX or ScanCode exception id."""
    text = text.strip()
    return (_EXCEPTION_ID.get(text.lower()) or _EXCEPTION_BY_KEY.get(_key(text))
            if text else None)

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
    # An identifier of the SPDX list, as written in any case (SPDX ids are case-insensitive).
    found = _CURRENT_ID.get(text.lower()) or _EXCEPTION_ID.get(text.lower())
    if found is not None:
        return found
    found = _SPDX_BY_KEY.get(_key(text))  # the project's free-form spellings
    if found is not None:
        return found
    # Deprecated SPDX ids, LicenseRef-scancode-* ids, then ScanCode keys as ScanCode writes
    # them (lower case: "attribution" is the key of AAL, "Attribution" is nothing).
    found = _OTHER_ID.get(text.lower()) or _SCANCODE_KEY.get(text)
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
            exception = _lookup_exception(self.words())
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
    categories = [p.category for p in parts]
    if "unknown" in categories:  # a part whose terms are unstated poisons the expression
        category = "unknown"
    else:
        category = pick(categories, key=_RANK.__getitem__)
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


# ---------------------------------------------------------------------------------------
# Declared versus detected.

_EXPR_WORD = re.compile(r"[^\s()]+")
_VERSION_FORM = re.compile(r"(?:-only|-or-later|\+)$")


def _licence_ids(expression: str) -> set[str]:
    """Return the licence identifiers of a normalised expression (exceptions dropped)."""
    ids: set[str] = set()
    after_with = False
    for word in _EXPR_WORD.findall(expression):
        if word in ("AND", "OR"):
            after_with = False
        elif word == "WITH":
            after_with = True
        elif not after_with:
            ids.add(word)
    return ids


def _same_licence(declared: str, detected: str) -> bool:
    """True when two identifiers name the same licence, or a family and its member."""
    if _VERSION_FORM.sub("", declared) == _VERSION_FORM.sub("", detected):
        return True  # GPL-2.0-only and GPL-2.0-or-later share one licence text
    for general, specific in ((declared, detected), (detected, declared)):
        if general in FAMILY_REPRESENTATIVE and _family(specific) == _family(general):
            return True
        if general in (PUBLIC_DOMAIN, PROPRIETARY):
            return CATEGORY_BY_SPDX.get(specific) == CATEGORY_BY_SPDX[general]
    return False


def conflicts(declared: str | None, detected: str | None) -> bool:
    """True when a declared and a detected licence expression share no licence.

    Both are normalised SPDX expressions (``License.spdx``). Nothing to compare (either is
    None) is no conflict. Compatible, hence no conflict: ``MIT OR Apache-2.0`` declared and
    ``MIT`` detected; ``GPL-2.0-or-later`` and ``GPL-2.0-only`` (one licence text); a family
    (``LicenseRef-GPL``) and any of its members; ``LicenseRef-public-domain`` and a licence
    whose category is public-domain.
    """
    if not declared or not detected:
        return False
    wanted = _licence_ids(declared)
    found = _licence_ids(detected)
    return not any(_same_licence(a, b) for a in wanted for b in found)


@functools.lru_cache(maxsize=1)
def _spdx_by_scancode_key() -> dict[str, str]:
    return {entry.key: entry.spdx for entry in license_index()}


def normalize_scancode_expression(expression: str) -> License:
    """Normalise an expression written with ScanCode keys (as ScanCode's rules are).

    Every ScanCode key is read as that key, even where it is also an SPDX id in another
    case (ScanCode's ``x11`` is the ICU licence, SPDX's ``X11`` is not).
    """
    table = _spdx_by_scancode_key()
    words = [table.get(w, w) for w in _TOKEN.findall(expression)]
    return normalize_license(" ".join(words))
