"""The ledger contract: schemas/ledger.schema.json, LedgerRow and the Parquet writer agree."""

from __future__ import annotations

import io
import json
import typing

import pyarrow as pa
import pyarrow.parquet as pq

from conftest import ROOT
from provaudit.core.ledger import ledger_schema, location_key, rows_to_table, table_to_parquet_bytes
from provaudit.core.records import LedgerRow

REQUIRED = ["doc_id", "source", "shard", "location", "sha256", "chars", "bytes", "language", "script",
            "license_raw", "license_spdx", "license_category", "acquisition", "url", "domain",
            "pii_email", "pii_phone", "pii_cn_id", "pii_card", "pii_ip", "minhash"]
_PY_TO_ARROW = {str: pa.string(), int: pa.int64(), bytes: pa.binary(), bool: pa.bool_(),
                float: pa.float64()}


def _row(**over: object) -> LedgerRow:
    base = dict(doc_id="d", source="s", shard="a.jsonl", location="line:1", sha256="0" * 64, chars=1,
                bytes=1, analysed_chars=1, language="en", language_reason="",
                language_detector="langdetect", language_confidence=1.0, script="Latin", license_raw="MIT",
                license_spdx="MIT", license_category="permissive", license_detected=None,
                license_detected_by=None, license_conflict=False, acquisition="licensed", url=None,
                domain=None, pii_email=0, pii_phone=0, pii_cn_id=0, pii_card=0, pii_ip=0,
                minhash=b"\x00" * 512)
    base.update(over)
    return LedgerRow(**base)


def test_required_columns_present_with_issue_names() -> None:
    names = ledger_schema().names
    assert [n for n in names if n in REQUIRED] == REQUIRED
    assert "text" not in names  # the ledger never stores document text


def test_record_type_matches_schema_file() -> None:
    doc = json.loads((ROOT / "schemas" / "ledger.schema.json").read_text("utf-8"))
    hints = typing.get_type_hints(LedgerRow)
    assert list(LedgerRow._fields) == [f["name"] for f in doc["fields"]]
    for field in doc["fields"]:
        hint = hints[field["name"]]
        args = typing.get_args(hint)
        optional = type(None) in args
        base = next(a for a in args if a is not type(None)) if optional else hint
        assert field["nullable"] == optional, field["name"]
        assert _PY_TO_ARROW[base] == ledger_schema().field(field["name"]).type, field["name"]


def test_table_round_trip_and_sorted_by_location() -> None:
    rows = [_row(doc_id=f"d{i}", location=f"line:{i}") for i in (10, 2, 1)]
    table = rows_to_table(rows)
    assert table.schema.equals(ledger_schema(), check_metadata=True)
    assert table.column("location").to_pylist() == ["line:1", "line:2", "line:10"]
    back = pq.read_table(io.BytesIO(table_to_parquet_bytes(table)))
    assert back.column("doc_id").to_pylist() == ["d1", "d2", "d10"]
    assert back.schema.field("minhash").type == pa.binary()


def test_parquet_bytes_deterministic() -> None:
    rows = [_row(doc_id=f"d{i}", location=f"row:{i}") for i in range(50)]
    assert table_to_parquet_bytes(rows_to_table(rows)) == table_to_parquet_bytes(rows_to_table(rows[::-1]))


def test_location_key_orders_numerically() -> None:
    assert sorted(["line:10", "line:9", "file"], key=location_key) == ["file", "line:9", "line:10"]
