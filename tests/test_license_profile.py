"""The source profile counts licence conflicts per source, in the column its schema names."""

from __future__ import annotations

import json
from types import SimpleNamespace

from conftest import ROOT

from provaudit.core.profiles import PROFILE_COLUMNS, SourceStats, source_profile_rows


def _row(conflict: bool) -> dict:
    return {"source": "s", "chars": 10, "language": "en", "license_category": "permissive",
            "license_conflict": conflict, "domain": None, "url": None,
            **{f"pii_{k}": 0 for k in ("email", "phone", "cn_id", "card", "ip")}}


def test_conflicts_are_counted_and_merged() -> None:
    a = SourceStats()
    for conflict in (True, False, True):
        a.add(_row(conflict), frozenset(), frozenset())
    b = SourceStats().add(_row(True), frozenset(), frozenset())
    assert a.license_conflict == 2
    assert a.merge(b).license_conflict == 3
    assert "license_conflict" in PROFILE_COLUMNS


def test_profile_row_has_the_schema_column() -> None:
    src = SimpleNamespace(name="s", role="train", acquisition="licensed", evidence="", consent_basis=None,
                          license="MIT", languages_expected=frozenset(), collected=None)
    stats = {"s": SourceStats().add(_row(True), frozenset(), frozenset())}
    rows = source_profile_rows([src], stats, {"sources": {}}, {}, {}, {}, {})
    assert rows[0]["license_conflict_documents"] == 1
    schema = json.loads((ROOT / "schemas" / "source_profile.schema.json").read_text("utf-8"))
    field = next(f for f in schema["fields"] if f["name"] == "license_conflict_documents")
    assert field["type"] == "int64" and field["nullable"] is False
