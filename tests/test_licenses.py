"""Unit tests of provaudit.core.licenses: spellings, URLs, expressions, unknowns, properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provaudit.core import licenses
from provaudit.core.licenses import CATEGORIES, License, normalize_license

KNOWN = [
    # Creative Commons
    ("CC BY-SA 4.0", "CC-BY-SA-4.0", "copyleft"),
    ("cc-by-sa-4.0", "CC-BY-SA-4.0", "copyleft"),
    ("CC-BY-SA-3.0", "CC-BY-SA-3.0", "copyleft"),
    ("CC-BY 4.0", "CC-BY-4.0", "permissive"),
    ("cc by 2.5", "CC-BY-2.5", "permissive"),
    ("CC BY-NC 4.0", "CC-BY-NC-4.0", "non-commercial"),
    ("CC BY-ND 4.0", "CC-BY-ND-4.0", "no-derivatives"),
    ("CC BY-NC-ND 4.0", "CC-BY-NC-ND-4.0", "non-commercial"),
    ("CC BY-NC-SA", "LicenseRef-CC-BY-NC-SA", "non-commercial"),
    ("CC BY-NC-SA 3.0", "CC-BY-NC-SA-3.0", "non-commercial"),
    ("Creative Commons Attribution-ShareAlike 4.0 International", "CC-BY-SA-4.0", "copyleft"),
    ("Creative Commons Attribution 4.0 International", "CC-BY-4.0", "permissive"),
    (
        "Creative Commons Attribution-NonCommercial-NoDerivatives 4.0",
        "CC-BY-NC-ND-4.0",
        "non-commercial",
    ),
    ("Creative Commons Attribution-NoDerivs 3.0 Unported", "CC-BY-ND-3.0", "no-derivatives"),
    ("Attribution-ShareAlike 4.0 International (CC BY-SA 4.0)", "CC-BY-SA-4.0", "copyleft"),
    ("Attribution-NonCommercial 4.0 International", "CC-BY-NC-4.0", "non-commercial"),
    ("CC0", "CC0-1.0", "public-domain"),
    ("CC0 1.0 Universal", "CC0-1.0", "public-domain"),
    ("CC0-1.0", "CC0-1.0", "public-domain"),
    ("CC0 1.0 Universal (CC0 1.0) Public Domain Dedication", "CC0-1.0", "public-domain"),
    # Apache
    ("Apache 2", "Apache-2.0", "permissive"),
    ("Apache License 2.0", "Apache-2.0", "permissive"),
    ("Apache-2.0", "Apache-2.0", "permissive"),
    ("apache-2.0", "Apache-2.0", "permissive"),
    ("Apache License, Version 2.0", "Apache-2.0", "permissive"),
    ("Apache2", "Apache-2.0", "permissive"),
    ("ASL 2.0", "Apache-2.0", "permissive"),
    ("Apache Software License", "LicenseRef-Apache", "permissive"),
    # MIT / BSD / ISC / PSF / others
    ("MIT License", "MIT", "permissive"),
    ("MIT", "MIT", "permissive"),
    ("mit", "MIT", "permissive"),
    ("  MIT  ", "MIT", "permissive"),
    ("The MIT License (MIT)", "MIT", "permissive"),
    ("Expat", "MIT", "permissive"),
    ("BSD-3-Clause", "BSD-3-Clause", "permissive"),
    ('BSD 3-Clause "New" or "Revised" License', "BSD-3-Clause", "permissive"),
    ("New BSD License", "BSD-3-Clause", "permissive"),
    ("Simplified BSD", "BSD-2-Clause", "permissive"),
    ("BSD-2-Clause", "BSD-2-Clause", "permissive"),
    ("BSD", "LicenseRef-BSD", "permissive"),
    ("BSD License", "LicenseRef-BSD", "permissive"),
    ("0BSD", "0BSD", "permissive"),
    ("PSF-2.0", "PSF-2.0", "permissive"),
    ("Python Software Foundation License", "PSF-2.0", "permissive"),
    ("ISC", "ISC", "permissive"),
    ("ISC License (ISCL)", "ISC", "permissive"),
    ("Zlib", "Zlib", "permissive"),
    ("Boost Software License 1.0", "BSL-1.0", "permissive"),
    # GNU family
    ("GPLv2+", "GPL-2.0-or-later", "copyleft"),
    ("GPL-2.0+", "GPL-2.0-or-later", "copyleft"),
    ("GPL-2.0", "GPL-2.0-only", "copyleft"),
    ("GPL-3.0-only", "GPL-3.0-only", "copyleft"),
    ("GPL-3.0-or-later", "GPL-3.0-or-later", "copyleft"),
    ("GNU GPL v3", "GPL-3.0-only", "copyleft"),
    ("GNU General Public License v3 (GPLv3)", "GPL-3.0-only", "copyleft"),
    ("GNU General Public License v2 or later (GPLv2+)", "GPL-2.0-or-later", "copyleft"),
    ("GNU General Public License version 3 or any later version", "GPL-3.0-or-later", "copyleft"),
    ("GPL", "LicenseRef-GPL", "copyleft"),
    ("LGPL-2.1", "LGPL-2.1-only", "weak-copyleft"),
    ("LGPLv3+", "LGPL-3.0-or-later", "weak-copyleft"),
    ("GNU Lesser General Public License v2.1", "LGPL-2.1-only", "weak-copyleft"),
    ("GNU Library or Lesser General Public License (LGPL)", "LicenseRef-LGPL", "weak-copyleft"),
    ("AGPL-3.0", "AGPL-3.0-only", "copyleft"),
    ("GNU Affero General Public License v3 or later (AGPLv3+)", "AGPL-3.0-or-later", "copyleft"),
    # ScanCode's LicenseDB files the GFDL as "Copyleft Limited" (was "copyleft" by hand)
    ("GNU Free Documentation License v1.3", "GFDL-1.3-only", "weak-copyleft"),
    # MPL / EPL
    ("MPL 2.0", "MPL-2.0", "weak-copyleft"),
    ("Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0", "weak-copyleft"),
    ("EPL", "LicenseRef-EPL", "weak-copyleft"),
    ("EPL-2.0", "EPL-2.0", "weak-copyleft"),
    ("Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0", "weak-copyleft"),
    # data licenses
    ("ODbL", "ODbL-1.0", "copyleft"),
    ("Open Data Commons Open Database License v1.0", "ODbL-1.0", "copyleft"),
    ("ODC-By-1.0", "ODC-By-1.0", "permissive"),
    # public domain and proprietary
    ("Unlicense", "Unlicense", "public-domain"),
    ("The Unlicense", "Unlicense", "public-domain"),
    ("Public Domain", "LicenseRef-public-domain", "public-domain"),
    ("public-domain", "LicenseRef-public-domain", "public-domain"),
    ("proprietary", "LicenseRef-proprietary", "proprietary"),
    ("All rights reserved", "LicenseRef-proprietary", "proprietary"),
    ("All Rights Reserved.", "LicenseRef-proprietary", "proprietary"),
    ("commercial license", "LicenseRef-proprietary", "proprietary"),
    ("Other/Proprietary License", "LicenseRef-proprietary", "proprietary"),
    ("版权所有", "LicenseRef-proprietary", "proprietary"),
    ("版权所有，侵权必究", "LicenseRef-proprietary", "proprietary"),
    ("公有领域", "LicenseRef-public-domain", "public-domain"),
    ("Licence Creative Commons Attribution 4.0", "CC-BY-4.0", "permissive"),
    ("CC-BY", "LicenseRef-CC-BY", "permissive"),
    # PyPI trove classifiers
    ("License :: OSI Approved :: MIT License", "MIT", "permissive"),
    ("License :: OSI Approved :: Apache Software License", "LicenseRef-Apache", "permissive"),
    (
        "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)",
        "GPL-3.0-or-later",
        "copyleft",
    ),
    ("License :: Public Domain", "LicenseRef-public-domain", "public-domain"),
    # the long name and the abbreviation agree; a family yields to a versioned member
    ("Apache Software License (Apache-2.0)", "Apache-2.0", "permissive"),
    # full-width and odd punctuation
    ("ＭＩＴ", "MIT", "permissive"),
    ("Apache_2.0", "Apache-2.0", "permissive"),
]

URLS = [
    ("https://creativecommons.org/licenses/by-sa/4.0/", "CC-BY-SA-4.0", "copyleft"),
    ("https://creativecommons.org/licenses/by/4.0/legalcode", "CC-BY-4.0", "permissive"),
    (
        "https://creativecommons.org/licenses/by-nc-nd/4.0/deed.en",
        "CC-BY-NC-ND-4.0",
        "non-commercial",
    ),
    ("http://creativecommons.org/licenses/by-nd/3.0", "CC-BY-ND-3.0", "no-derivatives"),
    ("http://creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0", "public-domain"),
    (
        "https://creativecommons.org/publicdomain/mark/1.0/",
        "LicenseRef-public-domain",
        "public-domain",
    ),
    ("https://www.apache.org/licenses/LICENSE-2.0", "Apache-2.0", "permissive"),
    ("http://www.apache.org/licenses/LICENSE-2.0.txt", "Apache-2.0", "permissive"),
    ("https://opensource.org/licenses/MIT", "MIT", "permissive"),
    ("https://opensource.org/licenses/BSD-3-Clause", "BSD-3-Clause", "permissive"),
    ("http://www.opensource.org/licenses/mit-license.php", "MIT", "permissive"),
    ("https://www.gnu.org/licenses/gpl-3.0.html", "GPL-3.0-only", "copyleft"),
    ("https://www.gnu.org/licenses/gpl-3.0.en.html", "GPL-3.0-only", "copyleft"),
    ("https://www.gnu.org/licenses/old-licenses/gpl-2.0.html", "GPL-2.0-only", "copyleft"),
    ("https://www.gnu.org/licenses/lgpl-3.0.html", "LGPL-3.0-only", "weak-copyleft"),
    ("https://www.gnu.org/licenses/agpl-3.0.html", "AGPL-3.0-only", "copyleft"),
    ("https://www.mozilla.org/en-US/MPL/2.0/", "MPL-2.0", "weak-copyleft"),
    ("https://www.mozilla.org/MPL/2.0/", "MPL-2.0", "weak-copyleft"),
    ("https://spdx.org/licenses/Apache-2.0.html", "Apache-2.0", "permissive"),
    ("https://www.eclipse.org/legal/epl-2.0/", "EPL-2.0", "weak-copyleft"),
    ("https://opendatacommons.org/licenses/odbl/1-0/", "ODbL-1.0", "copyleft"),
    ("https://unlicense.org", "Unlicense", "public-domain"),
    ("www.apache.org/licenses/LICENSE-2.0", "Apache-2.0", "permissive"),
]

EXPRESSIONS = [
    ("MIT OR Apache-2.0", "MIT OR Apache-2.0", "permissive"),
    ("Apache-2.0 AND MIT", "Apache-2.0 AND MIT", "permissive"),
    ("(MIT OR Apache-2.0)", "MIT OR Apache-2.0", "permissive"),
    ("mit or apache 2", "MIT OR Apache-2.0", "permissive"),
    ("MIT OR GPL-3.0-or-later", "MIT OR GPL-3.0-or-later", "permissive"),
    ("MIT AND GPL-3.0-or-later", "MIT AND GPL-3.0-or-later", "copyleft"),
    ("CC-BY-NC-4.0 OR CC-BY-4.0", "CC-BY-NC-4.0 OR CC-BY-4.0", "permissive"),
    ("CC BY-NC-ND 4.0 AND MIT", "CC-BY-NC-ND-4.0 AND MIT", "non-commercial"),
    ("CC-BY-ND-4.0 AND CC-BY-NC-4.0", "CC-BY-ND-4.0 AND CC-BY-NC-4.0", "non-commercial"),
    ("CC0-1.0 OR LicenseRef-proprietary", "CC0-1.0 OR LicenseRef-proprietary", "public-domain"),
    (
        "MIT AND (Apache-2.0 OR GPL-3.0-or-later)",
        "MIT AND (Apache-2.0 OR GPL-3.0-or-later)",
        "permissive",
    ),
    (
        "(GPL-2.0-only OR MIT) AND LGPL-2.1",
        "(GPL-2.0-only OR MIT) AND LGPL-2.1-only",
        "weak-copyleft",
    ),
    ("MIT OR GPL v2 or later", "MIT OR GPL-2.0-or-later", "permissive"),
    ("Apache License 2.0 OR MIT License", "Apache-2.0 OR MIT", "permissive"),
    (
        "GPL-2.0-only WITH Classpath-exception-2.0",
        "GPL-2.0-only WITH Classpath-exception-2.0",
        "copyleft",
    ),
    (
        "Apache-2.0 WITH LLVM-exception OR MIT",
        "Apache-2.0 WITH LLVM-exception OR MIT",
        "permissive",
    ),
    ("MIT/Apache-2.0", "MIT OR Apache-2.0", "permissive"),
    ("CC BY-SA 3.0/GFDL", "CC-BY-SA-3.0 OR LicenseRef-GFDL", "weak-copyleft"),
    ("((MIT))", "MIT", "permissive"),
]

UNKNOWN = [
    "my custom terms",
    "版权",  # "copyright" alone says nothing about the terms
    "许可证",
    "see website",
    "",
    "   ",
    "license",
    "The License",
    "Version 2.0",
    "unlicensed",
    "other",
    "NOASSERTION",
    "custom license v2",
    "MIT OR my custom terms",  # one unknown part poisons an expression
    "MIT AND",
    "(MIT OR Apache-2.0",
    "MIT) OR (Apache-2.0",
    "GPL-2.0-only WITH no-such-exception",
    "MIT WITH",
    "Custom terms (MIT)",  # the long name and abbreviation must both be known and agree
    "MIT License (Apache-2.0)",
    "https://example.com/licenses/MIT",
    "https://creativecommons.org/licenses/by/3.0/de/",  # jurisdiction port: not guessed
    "https://creativecommons.org/",
    "GPL-2.0/3.0",
    "Attribution",  # too generic: not CC BY (and not the ScanCode key, which is lower case)
    "attribution required",
    "unknown",  # ScanCode's "unknown" entry is not read from a bare word
    "unstated",
    "free-unknown",
    (
        "Permission is hereby granted, free of charge, to any person obtaining a copy "
        "of this software and associated documentation files, to deal in the Software "
        "without restriction, including the rights to use, copy, modify, merge, and/or sell"
    ),
]


# Identifiers the hand table did not know: the whole SPDX list and ScanCode's keys.
INDEX = [
    ("Artistic-2.0", "Artistic-2.0", "weak-copyleft"),
    ("Artistic-1.0-Perl", "Artistic-1.0-Perl", "weak-copyleft"),
    ("curl", "curl", "permissive"),
    ("Bitstream-Vera", "Bitstream-Vera", "permissive"),
    ("CC-PDM-1.0", "CC-PDM-1.0", "public-domain"),
    ("gpl-2.0-plus", "GPL-2.0-or-later", "copyleft"),  # ScanCode key -> SPDX equivalent
    ("ecl-1.0", "ECL-1.0", "permissive"),
    ("attribution", "AAL", "permissive"),  # the ScanCode key of the Attribution Assurance License
    ("AAL", "AAL", "permissive"),
    ("LicenseRef-scancode-public-domain", "LicenseRef-scancode-public-domain", "public-domain"),
    ("LicenseRef-scancode-bsd-no-mod", "LicenseRef-scancode-bsd-no-mod", "proprietary"),
    ("LicenseRef-scancode-unknown", "LicenseRef-scancode-unknown", "unknown"),  # terms unstated
    ("CC-BY-NC-SA-2.0-FR", "CC-BY-NC-SA-2.0-FR", "non-commercial"),
    ("CC-BY-ND-3.0-DE", "CC-BY-ND-3.0-DE", "no-derivatives"),
    ("SSPL-1.0", "SSPL-1.0", "proprietary"),  # ScanCode: Source-available
    ("WTFPL", "WTFPL", "public-domain"),  # ScanCode: Public Domain
    ("gpl-2.0-plus OR ecl-1.0", "GPL-2.0-or-later OR ECL-1.0", "permissive"),
    ("GPL-2.0-or-later WITH Linux-syscall-note", "GPL-2.0-or-later WITH Linux-syscall-note", "copyleft"),
    ("GPL-3.0-or-later WITH GCC-exception-3.1", "GPL-3.0-or-later WITH GCC-exception-3.1", "copyleft"),
    ("Apache-2.0 WITH llvm-exception", "Apache-2.0 WITH LLVM-exception", "permissive"),
    ("MIT AND LicenseRef-scancode-unknown", "MIT AND LicenseRef-scancode-unknown", "unknown"),
]


@pytest.mark.parametrize(("raw", "spdx", "category"), KNOWN + URLS + EXPRESSIONS + INDEX)
def test_normalize_known(raw: str, spdx: str | None, category: str) -> None:
    assert normalize_license(raw) == License(raw, spdx, category)


@pytest.mark.parametrize("raw", UNKNOWN)
def test_unknown_keeps_raw_and_never_guesses(raw: str) -> None:
    assert normalize_license(raw) == License(raw, None, "unknown")


def test_none_is_unknown() -> None:
    assert normalize_license(None) == License(None, None, "unknown")


@pytest.mark.parametrize("raw", [3, 2.0, ["MIT"], {"id": "MIT"}])
def test_non_string_is_unknown_and_does_not_raise(raw: object) -> None:
    result = normalize_license(raw)  # type: ignore[arg-type]
    assert result == License(str(raw), None, "unknown")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Apache 2", "apache-2.0"),
        ("GPLv2+", "GPL-2.0-or-later"),
        ("gnu gpl v3", "GPL-3.0"),
        ("CC BY SA 4", "Creative Commons Attribution Share-Alike 4.0"),
        ("MPL-2.0", "mozilla public license, version 2.0"),
    ],
)
def test_spellings_are_case_space_and_punctuation_insensitive(a: str, b: str) -> None:
    assert normalize_license(a).spdx == normalize_license(b).spdx is not None


def test_every_spdx_id_in_table_maps_to_itself() -> None:
    for spdx, category in licenses.CATEGORY_BY_SPDX.items():
        assert normalize_license(spdx) == License(spdx, spdx, category)
        assert normalize_license(spdx.lower()).spdx == spdx


def test_every_category_in_table_is_known_and_every_category_is_used() -> None:
    used = set(licenses.CATEGORY_BY_SPDX.values())
    assert used <= set(CATEGORIES)
    assert used | {"unknown"} == set(CATEGORIES)


def test_every_alias_resolves_to_its_target() -> None:
    for spdx, spellings in licenses.ALIASES.items():
        for spelling in spellings:
            assert normalize_license(spelling).spdx == spdx, spelling


def test_colliding_aliases_are_refused() -> None:
    with pytest.raises(ValueError, match="collides"):
        licenses._build_table([("Apache 2", "Apache-2.0"), ("apache-2.0", "MIT")])


def test_alias_that_normalises_to_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="nothing"):
        licenses._build_table([("The License", "MIT")])


def test_spdx_is_none_exactly_when_unknown() -> None:
    for raw in [r for r, _, _ in KNOWN + URLS + EXPRESSIONS] + UNKNOWN:
        result = normalize_license(raw)
        assert (result.spdx is None) == (result.category == "unknown"), raw


def test_unknown_with_an_identifier_only_for_unstated_terms() -> None:
    # An identifier keeps category "unknown" only when ScanCode says its terms are unstated.
    unstated = {e.spdx for e in licenses.license_index() if e.scancode_category == "Unstated License" and e.own_id}
    for spdx, category in licenses.CATEGORY_BY_SPDX.items():
        assert (category == "unknown") == (spdx in unstated), spdx


@pytest.mark.parametrize(("declared", "detected", "conflict"), [
    ("MIT", "MIT", False),
    ("MIT OR Apache-2.0", "Apache-2.0", False),
    ("Apache-2.0 AND MIT", "MIT", False),
    ("GPL-2.0-or-later", "GPL-2.0-only", False),  # one licence text
    ("LicenseRef-GPL", "GPL-3.0-only", False),
    ("LicenseRef-public-domain", "CC0-1.0", False),
    ("GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only", False),
    ("MIT", "GPL-3.0-only", True),
    ("CC-BY-4.0", "CC-BY-NC-4.0", True),
    ("LicenseRef-proprietary", "MIT", True),
    ("LicenseRef-BSD", "MIT", True),
    (None, "MIT", False),
    ("MIT", None, False),
])
def test_conflicts_are_expression_aware(declared: str | None, detected: str | None, conflict: bool) -> None:
    assert licenses.conflicts(declared, detected) is conflict


# Licences with stated terms (an "unknown" part makes the whole expression unknown).
_license_names = st.sampled_from(sorted(k for k, c in licenses.CATEGORY_BY_SPDX.items() if c != "unknown"))


@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes_and_gives_a_known_category(raw: str) -> None:
    result = normalize_license(raw)
    assert result.raw == raw
    assert result.category in CATEGORIES
    assert (result.spdx is None) == (result.category == "unknown")


@given(st.text(alphabet="qwzjkxy", min_size=4, max_size=30))
def test_unknown_words_keep_raw(raw: str) -> None:
    assert normalize_license(raw) == License(raw, None, "unknown")


@given(st.lists(_license_names, min_size=2, max_size=4), st.sampled_from(["AND", "OR"]))
def test_expression_category_is_extreme_of_parts(parts: list[str], op: str) -> None:
    result = normalize_license(f" {op} ".join(parts))
    ranks = [licenses._RANK[licenses.CATEGORY_BY_SPDX[p]] for p in parts]
    want = min(ranks) if op == "OR" else max(ranks)
    assert licenses._RANK[result.category] == want
    assert result.spdx == f" {op} ".join(parts)


@given(_license_names)
def test_normalised_spdx_is_a_fixed_point(spdx: str) -> None:
    once = normalize_license(spdx)
    assert normalize_license(once.spdx) == License(spdx, spdx, once.category)
