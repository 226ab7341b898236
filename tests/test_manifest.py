"""The manifest's reconciliation: read == ledger + quarantined per shard, source and total."""

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


def _counts(index: int, read: int, ledger: int, quarantined: int) -> dict:
    return {"index": index, "read": read, "ledger": ledger, "quarantined": quarantined, "sha256": "x",
            "quarantined_by_reason": {"invalid-json": quarantined} if quarantined else {},
            "languages": {"en": ledger}, "license_categories": {"unknown": ledger}}


T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_reconciles(tmp_path: Path) -> None:
    cfg, tasks = _config(tmp_path)
    m = build_manifest(cfg, tasks, [_counts(0, 3, 2, 1), _counts(1, 1, 1, 0)], "r", T0, T0, "DirectRunner")
    assert m["reconciliation"]["ok"]
    assert m["totals"]["documents_read"] == 4
    assert m["sources"]["s"]["quarantined_by_reason"] == {"invalid-json": 1}
    assert [s["path"] for s in m["shards"]] == ["data/a.jsonl", "data/b.jsonl"]


@pytest.mark.parametrize(
    ("counts", "problem"),
    [
        ([_counts(0, 3, 1, 1), _counts(1, 1, 1, 0)], "data/a.jsonl: read 3 != ledger 1 + quarantined 1"),
        ([_counts(0, 1, 1, 0)], "data/b.jsonl: no counts were written"),
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
