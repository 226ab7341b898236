"""End to end: `scan` on the bundled sample corpus with the DirectRunner, checked against
the planted facts (sample/planted.json) and golden files."""

from __future__ import annotations

import collections
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import ROOT, SAMPLE, write_yaml
from provaudit.core.config import load_config
from provaudit.stages.scan import ScanResult, run_scan

PLANTED = json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8"))


def _scan(out: Path) -> ScanResult:
    cfg = write_yaml(out.parent / f"{out.name}.yaml", {"registry": str(SAMPLE / "registry.yaml"),
                                                       "output": str(out)})
    return run_scan(load_config(cfg), report=lambda line: None)


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return _scan(tmp_path_factory.mktemp("scan") / "out")


@pytest.fixture(scope="module")
def ledger(scan: ScanResult) -> list[dict]:
    return pq.read_table(scan.ledger_dir).to_pylist()


def _quarantine(scan: ScanResult) -> list[dict]:
    lines = []
    for path in sorted(Path(scan.quarantine_dir).rglob("*.jsonl")):
        lines += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return lines


def test_counts_reconcile(scan: ScanResult) -> None:
    m = scan.manifest
    assert m["reconciliation"]["ok"]
    expected_docs = sum(s["documents"] for s in PLANTED["sources"].values())
    expected_q = len(PLANTED["quarantine"])
    assert m["totals"]["ledger"] == expected_docs
    assert m["totals"]["quarantined"] == expected_q
    assert m["totals"]["documents_read"] == expected_docs + expected_q
    expected_skipped = len(PLANTED.get("skipped", []))  # WARC/ARC records that are not documents
    assert m["totals"]["skipped"] == expected_skipped
    assert m["totals"]["records_read"] == expected_docs + expected_q + expected_skipped
    for name, facts in PLANTED["sources"].items():
        assert m["sources"][name]["ledger"] == facts["documents"], name
        assert m["sources"][name]["quarantined"] == facts["quarantined"], name


def test_manifest_lists_every_shard_with_checksum(scan: ScanResult) -> None:
    shards = scan.manifest["shards"]
    # labelling/ holds labelling records, rosters and guidelines, screening/ the keyword
    # library: not sources, never shards
    on_disk = sorted(p.relative_to(SAMPLE).as_posix() for p in SAMPLE.rglob("*")
                     if p.is_file() and p.name not in ("registry.yaml", "planted.json", "opt_out.txt")
                     and p.relative_to(SAMPLE).parts[0] not in ("labelling", "inspection", "screening"))
    assert sorted(s["path"] for s in shards) == on_disk
    for s in shards:
        import hashlib

        data = (SAMPLE / s["path"]).read_bytes()
        assert s["size"] == len(data) and s["sha256"] == hashlib.sha256(data).hexdigest()


def test_planted_bad_records_are_quarantined(scan: ScanResult) -> None:
    got = sorted((q["source"], q["shard"], q["location"], q["reason"]) for q in _quarantine(scan))
    want = sorted((q["source"], q["shard"], q["location"], q["reason"]) for q in PLANTED["quarantine"])
    assert got == want


def test_ledger_has_no_text_and_one_row_per_document(ledger: list[dict]) -> None:
    assert "text" not in ledger[0]
    ids = [r["doc_id"] for r in ledger]
    assert len(ids) == len(set(ids)) == len(PLANTED["documents"])
    assert set(ids) == set(PLANTED["documents"])


def test_locations_and_languages_match_planted(ledger: list[dict]) -> None:
    for row in ledger:
        want = PLANTED["documents"][row["doc_id"]]
        assert (row["source"], row["shard"], row["location"]) == (want["source"], want["shard"], want["location"])
        assert row["language"] == want["language"], row["doc_id"]


def test_exact_duplicates_share_sha256(ledger: list[dict]) -> None:
    by_id = {r["doc_id"]: r["sha256"] for r in ledger}
    groups = collections.defaultdict(set)
    for r in ledger:
        groups[r["sha256"]].add(r["doc_id"])
    found = sorted(sorted(g) for g in groups.values() if len(g) > 1)
    assert found == sorted(sorted(g) for g in PLANTED["exact_duplicates"])
    for group in PLANTED["exact_duplicates"]:
        assert len({by_id[d] for d in group}) == 1


def test_pii_counts_match_planted(ledger: list[dict]) -> None:
    kinds = ("email", "phone", "cn_id", "card", "ip")
    for row in ledger:
        want = PLANTED["pii"].get(row["doc_id"], dict.fromkeys(kinds, 0))
        assert {k: row[f"pii_{k}"] for k in kinds} == want, row["doc_id"]


def test_licenses_and_domains(ledger: list[dict]) -> None:
    from urllib.parse import urlsplit

    by_source = collections.defaultdict(set)
    for r in ledger:
        by_source[r["source"]].add((r["license_spdx"], r["license_category"]))
        if r["url"]:
            host = urlsplit(r["url"]).hostname or ""
            assert r["domain"] and host.endswith(r["domain"]), (r["url"], r["domain"])
    assert by_source["scraped_blogs"] == {(None, "unknown")}
    assert by_source["licensed_news"] == {("LicenseRef-proprietary", "proprietary")}
    assert by_source["open_books"] == {("CC-BY-SA-4.0", "copyleft")}
    assert by_source["forum_dump"] == {("CC-BY-4.0", "permissive")}
    assert len(by_source["web_crawl"]) >= 5  # per-document licenses in varied spellings


def test_near_duplicates_have_similar_signatures(ledger: list[dict]) -> None:
    from provaudit.core.minhash import jaccard_from_signatures

    sig = {r["doc_id"]: r["minhash"] for r in ledger}
    for pair in PLANTED["near_duplicates"]:
        est = jaccard_from_signatures(sig[pair["a"]], sig[pair["b"]])
        assert abs(est - pair["jaccard"]) < 0.15, pair


def test_golden_summary(scan: ScanResult, golden) -> None:
    m = scan.manifest
    golden("scan_sample_summary", {
        "totals": m["totals"],
        "sources": m["sources"],
        "shards": [{k: s[k] for k in ("path", "read", "ledger", "quarantined", "sha256")} for s in m["shards"]],
    })


def test_rerun_gives_byte_identical_parquet(scan: ScanResult, tmp_path: Path) -> None:
    again = _scan(tmp_path / "again")
    first = {p.relative_to(scan.ledger_dir): p.read_bytes() for p in Path(scan.ledger_dir).rglob("*.parquet")}
    second = {p.relative_to(again.ledger_dir): p.read_bytes() for p in Path(again.ledger_dir).rglob("*.parquet")}
    assert first.keys() == second.keys() and first == second
    q1 = sorted(p.read_bytes() for p in Path(scan.quarantine_dir).rglob("*.jsonl"))
    q2 = sorted(p.read_bytes() for p in Path(again.quarantine_dir).rglob("*.jsonl"))
    assert q1 == q2


def test_cli_run_prints_paths_summary_and_final_line(tmp_path: Path) -> None:
    cfg = write_yaml(tmp_path / "c.yaml", {"registry": str(SAMPLE / "registry.yaml"), "output": "out"})
    proc = subprocess.run([sys.executable, "-m", "provaudit.cli", "scan", str(cfg)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    run_dir = next((tmp_path / "out").iterdir())
    for label, path in (("ledger:", run_dir / "ledger"), ("quarantine:", run_dir / "quarantine"),
                        ("manifest:", run_dir / "manifest.json")):
        assert f"{label}" in out and str(path) in out
    for heading in ("documents:", "sources: ", "languages:", "license categories:", "quarantined by reason:"):
        assert heading in out
    assert len(out.splitlines()) <= 50  # one screen
    assert out.splitlines()[-1].startswith("scan: done")
    assert "scan: run " in proc.stderr
