"""The manifest's reconciliation: read == ledger + quarantined + skipped per shard, source and total."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import write_yaml
from provaudit.core.config import list_shards, load_config
from provaudit.core.errors import ReconciliationError
from provaudit.stages.scan import build_manifest, plan_tasks


def _config(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("a.jsonl", "b.jsonl"):
        (data / name).write_text('{"text": "hello world"}\n', encoding="utf-8")
    path = write_yaml(tmp_path / "c.yaml", {
        "output": "out",
        "sources": [{"name": "s", "paths": "data/*.jsonl", "acquisition": "licensed"}],
    })
    cfg = load_config(path)
    return cfg, plan_tasks(cfg, list_shards(cfg))


def _counts(index: int, read: int, ledger: int, quarantined: int, skipped: int = 0) -> dict:
    return {"index": index, "read": read, "ledger": ledger, "quarantined": quarantined, "sha256": "x",
            "quarantined_by_reason": {"invalid-json": quarantined} if quarantined else {},
            "skipped": skipped, "skipped_by_reason": {"request": skipped} if skipped else {},
            "skipped_by_record_type": {"request": skipped} if skipped else {},
            "languages": {"en": ledger}, "license_categories": {"unknown": ledger}}


T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_reconciles(tmp_path: Path) -> None:
    cfg, tasks = _config(tmp_path)
    m = build_manifest(cfg, tasks, [_counts(0, 3, 2, 1), _counts(1, 1, 1, 0)], "r", T0, T0, "DirectRunner")
    assert m["reconciliation"]["ok"]
    assert m["totals"]["documents_read"] == 4
    assert m["sources"]["s"]["quarantined_by_reason"] == {"invalid-json": 1}
    assert [s["path"] for s in m["shards"]] == ["data/a.jsonl", "data/b.jsonl"]


def test_skipped_records_reconcile_and_are_counted(tmp_path: Path) -> None:
    cfg, tasks = _config(tmp_path)
    m = build_manifest(cfg, tasks, [_counts(0, 6, 2, 1, skipped=3), _counts(1, 1, 1, 0)], "r", T0, T0,
                       "DirectRunner")
    rec = m["reconciliation"]
    assert rec["ok"] and (rec["read"], rec["ledger"], rec["quarantined"], rec["skipped"]) == (7, 3, 1, 3)
    t = m["totals"]
    assert (t["records_read"], t["documents_read"], t["skipped"]) == (7, 4, 3)
    assert t["skipped_by_reason"] == {"request": 3} == m["sources"]["s"]["skipped_by_record_type"]
    assert [s["skipped"] for s in m["shards"]] == [3, 0]


def test_counts_of_a_run_before_skipped_records_still_reconcile(tmp_path: Path) -> None:
    cfg, tasks = _config(tmp_path)
    old = [_counts(0, 3, 2, 1), _counts(1, 1, 1, 0)]
    for c in old:
        for key in ("skipped", "skipped_by_reason", "skipped_by_record_type"):
            del c[key]
    m = build_manifest(cfg, tasks, old, "r", T0, T0, "DirectRunner")
    assert m["reconciliation"]["ok"] and m["totals"]["skipped"] == 0


@pytest.mark.parametrize(
    ("counts", "problem"),
    [
        ([_counts(0, 3, 1, 1), _counts(1, 1, 1, 0)], "data/a.jsonl: read 3 != ledger 1 + quarantined 1"),
        ([_counts(0, 1, 1, 0)], "data/b.jsonl: no counts were written"),
        # a skipped record the reader never counted as read
        ([_counts(0, 3, 1, 1, skipped=2), _counts(1, 1, 1, 0)],
         "data/a.jsonl: read 3 != ledger 1 + quarantined 1 + skipped 2"),
    ],
)
def test_mismatch_is_reported(tmp_path: Path, counts: list, problem: str) -> None:
    cfg, tasks = _config(tmp_path)
    m = build_manifest(cfg, tasks, counts, "r", T0, T0, "DirectRunner")
    assert not m["reconciliation"]["ok"]
    assert any(problem in p for p in m["reconciliation"]["problems"])


def test_run_fails_on_mismatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A shard whose written counts lose a document fails the run and leaves a manifest saying why."""
    import provaudit.stages.scan as scan

    cfg, _ = _config(tmp_path)
    real = scan._read_json_files

    def lose_one(folder: str) -> list:
        counts = real(folder)
        counts[0]["ledger"] -= 1
        return counts

    monkeypatch.setattr(scan, "_read_json_files", lose_one)
    with pytest.raises(ReconciliationError, match="read 1 != ledger 0"):
        scan.run_scan(cfg, report=lambda line: None)
    manifests = list((tmp_path / "out").glob("*/manifest.json"))
    assert len(manifests) == 1 and '"ok": false' in manifests[0].read_text()
