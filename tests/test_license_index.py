"""Every identifier of the SPDX licence and exception lists and every ScanCode key normalises.

The lists come from the library the normaliser is built on (``license-expression``: its
SPDX licensing and its ScanCode licensing, both read from ScanCode's LicenseDB index), so a
new release that adds identifiers is tested in full.
"""

from __future__ import annotations

import re

import pytest
from license_expression import get_license_index, get_scancode_licensing, get_spdx_licensing

from provaudit.core import licenses
from provaudit.core.licenses import CATEGORIES, normalize_license

SPDX = get_spdx_licensing().known_symbols
SCANCODE = get_scancode_licensing().known_symbols
INDEX = {e["license_key"]: e for e in get_license_index()}
BY_KEY = {e.key: e for e in licenses.license_index()}


def _spdx_ids() -> list[str]:
    return sorted(k for k in SPDX if not k.startswith("LicenseRef-"))


def test_the_lists_are_complete() -> None:
    ids = _spdx_ids()
    exceptions = [k for k in ids if SPDX[k].is_exception]
    assert len(ids) - len(exceptions) >= 650  # the SPDX licence list (3.27: 700+ licences)
    assert len(exceptions) >= 70  # the SPDX exception list
    assert len(SCANCODE) >= 2500


def test_every_spdx_licence_and_exception_id_normalises_to_itself() -> None:
    wrong = {}
    for spdx in _spdx_ids():
        for spelling in (spdx, spdx.lower(), spdx.upper()):
            got = normalize_license(spelling)
            if got.spdx != spdx or got.category not in CATEGORIES:
                wrong[spelling] = got
    assert not wrong, f"{len(wrong)} ids: {sorted(wrong.items())[:10]}"


def test_deprecated_spdx_ids_normalise_to_their_equivalent() -> None:
    wrong = {}
    for spdx, symbol in SPDX.items():
        for alias in symbol.aliases:
            if alias.startswith("LicenseRef-") or " " in alias:
                continue  # a ScanCode reference or a free-form spelling, tested elsewhere
            if licenses._SPDX_BY_KEY.get(licenses._key(alias)) in licenses.FAMILY_REPRESENTATIVE:
                continue  # "GPL": a family without a version, never a guessed version
            got = normalize_license(alias)
            if got.spdx != spdx:
                wrong[alias] = (spdx, got.spdx)
    assert not wrong, sorted(wrong.items())[:10]
    assert normalize_license("GPL-2.0").spdx == "GPL-2.0-only"
    assert normalize_license("GPL-2.0+").spdx == "GPL-2.0-or-later"


def test_every_licenseref_scancode_id_is_valid() -> None:
    wrong = {}
    for key, entry in BY_KEY.items():
        ref = f"LicenseRef-scancode-{key}"
        got = normalize_license(ref)
        if got.spdx != entry.spdx or got.category != licenses.CATEGORY_BY_SPDX[entry.spdx]:
            wrong[ref] = (entry.spdx, got)
    assert not wrong, sorted(wrong.items())[:10]


# ScanCode keys spelled like another SPDX id in another case (SPDX ids match whatever the
# case: "x11" is the SPDX id X11, though ScanCode's key x11 is the ICU licence), or like a
# project spelling ("proprietary", "public-domain"): the LicenseRef-scancode-* form of these
# keys is the unambiguous one (tested above).
_SPDX_SPELLINGS = {k.lower() for k, s in SPDX.items() for k in (k, *s.aliases)}


def _shadowed(key: str) -> bool:
    got = normalize_license(key)
    project = licenses._SPDX_BY_KEY.get(licenses._key(key))
    return got.spdx is not None and (key in _SPDX_SPELLINGS or got.spdx == project)


def test_every_scancode_key_normalises_to_its_spdx_equivalent() -> None:
    wrong, shadowed, unstated = {}, [], []
    for key, entry in BY_KEY.items():
        got = normalize_license(key)
        if entry.scancode_category == "Unstated License":
            unstated.append(key)  # no terms: a bare "unknown" is never read as an identifier
            assert got.spdx is None or got.spdx != entry.spdx or got.category == "unknown", key
            continue
        if got.spdx == entry.spdx and got.category == licenses.CATEGORY_BY_SPDX[entry.spdx]:
            continue
        if _shadowed(key):
            shadowed.append(key)
            continue
        wrong[key] = (entry.spdx, got)
    assert not wrong, f"{len(wrong)} keys: {sorted(wrong.items())[:10]}"
    assert len(shadowed) <= 20, shadowed  # a handful (15 with the index of July 2025)
    assert len(unstated) <= 25


def test_every_category_comes_from_the_scancode_category() -> None:
    cc = re.compile(r"^cc-by((?:-(?:nc|nd|sa))*)-\d")
    for key, raw in INDEX.items():
        entry = BY_KEY[key]
        assert entry.category in CATEGORIES
        if not cc.match(key):
            assert entry.category == licenses.SCANCODE_CATEGORY[raw["category"]], key


def test_creative_commons_categories_follow_their_elements() -> None:
    assert {normalize_license(f"CC-BY-{k}-4.0").category for k in ("NC", "NC-SA", "NC-ND")} == {"non-commercial"}
    assert normalize_license("CC-BY-ND-4.0").category == "no-derivatives"
    assert normalize_license("CC-BY-SA-4.0").category == "copyleft"
    assert normalize_license("CC-BY-4.0").category == "permissive"


def test_unknown_scancode_category_is_refused_with_its_key() -> None:
    with pytest.raises(ValueError, match="'x-key'.*'Brand New'"):
        licenses._category_of({"license_key": "x-key", "category": "Brand New"})
