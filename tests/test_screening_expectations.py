"""The content-screening expectations (suites content_screening and corpus_assessment) through
``provaudit validate``: each passes on a screened, clean ledger and fails on a planted one; without
screening the screening checks fail and say why, while CN-TC-8.1 (recommended) only reports.

The sample is scanned once without screening; each case writes the ledger's screen_* columns
itself (what the scan's screener records), then profiles and validates that run again."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from conftest import ROOT, SAMPLE, write_yaml
from provaudit.core.config import KeywordLibrary, load_config
from provaudit.core.risks import RISK_CODES

pytestmark = pytest.mark.slow  # a scan and three profile + validate rounds (~90 s)

DATA = ROOT / "tests" / "data" / "screening"
SUITES = ("content_screening", "corpus_assessment")
LIB = "stand-ins@0123456789ab@2026-01-01"


def _config(tmp: Path, name: str, **extra) -> Path:
    doc = {"registry": str(SAMPLE / "registry.yaml"), "output": str(tmp / "out"),
           "opt_out": str(SAMPLE / "opt_out.txt"), "beam": {"runner": "DirectRunner"},
           "inspection": {"verdicts": [str(SAMPLE / "inspection" / "verdicts.jsonl")]}}
    for key, value in extra.items():
        doc[key] = {**doc.get(key, {}), **value} if isinstance(value, dict) else value
    return write_yaml(tmp / f"{name}.yaml", doc)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory):
    from provaudit.stages.overlap import run_overlap
    from provaudit.stages.scan import run_scan

    tmp = tmp_path_factory.mktemp("screening")
    cfg = load_config(_config(tmp, "plain"))
    run_dir = Path(run_scan(cfg, report=lambda line: None).run_dir)
    run_overlap(cfg, run_dir.name, report=lambda line: None)
    ledger = {p: pq.read_table(p) for p in sorted((run_dir / "ledger").glob("*/*.parquet"))}
    return tmp, run_dir, ledger


def _training(ledger: dict[Path, pa.Table]) -> list[dict]:
    """The training documents' ledger rows (every source of the sample but eval_qa)."""
    return [r for table in ledger.values() for r in table.select(["source", "shard", "location"]).to_pylist()
            if r["source"] != "eval_qa"]


def _verdicts(path: Path, rows: list[dict], unsafe_every: int = 0) -> str:
    """A verdict file reviewing every training document (every n-th unsafe)."""
    path.write_text("".join(json.dumps({**r, "verdict": "unsafe" if unsafe_every and i % unsafe_every == 0
                                        else "safe"}) + "\n" for i, r in enumerate(rows)), encoding="utf-8")
    return str(path)


def _write_ledger(ledger: dict[Path, pa.Table], mark) -> None:
    """Rewrite each ledger file with screen_* columns from ``mark(row) -> (screened, hits)``."""
    for path, table in ledger.items():
        rows = table.to_pylist()
        for r in rows:
            screened, hits = mark(r)
            r.update(screen_hits=json.dumps(hits, sort_keys=True), screen_hits_total=sum(hits.values()),
                     classifier_scores="{}", screen_flagged=bool(hits), screened_by=LIB if screened else "")
        pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)


def _libraries(run_dir: Path, updated: str | None, terms: int = 12000, short: dict | None = None,
               missing: tuple = ()) -> None:
    path = run_dir / "screening" / "libraries.json"
    if updated is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"libraries": [{"name": "stand-ins", "file": "k.txt", "sha256": "0" * 64,
                                               "updated": updated, "terms": terms, "terms_by_risk": {},
                                               "skipped_lines": 0}],
                                "classifiers": [],
                                "coverage": {"terms": terms, "terms_by_risk": {}, "risks_with_terms": [],
                                             "short": short or {}, "classifier_risks": [],
                                             "classifier_missing": list(missing)}}), encoding="utf-8")


def _validate(config_path: Path, run_dir: Path):
    from provaudit.stages.profile import run_profile

    run_profile(load_config(config_path), run_dir.name, report=lambda line: None)
    proc = subprocess.run([sys.executable, "-m", "provaudit.cli", "validate", str(config_path), "--run", run_dir.name],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    results = json.loads((run_dir / "validation" / "results.json").read_text(encoding="utf-8"))
    mine = {}
    for v in results["verdicts"]:
        if v["suite"] in SUITES:
            key = (v["suite"], v["column"], v["expectation"])
            mine[key] = (v["success"], v["severity"], tuple(v["failing"]), tuple(v["requirement_ids"]))
    others = [v for v in results["verdicts"] if v["suite"] not in SUITES and not v["success"]
              and v["severity"] == "critical"]
    return proc, results, mine, others


def _run_date(run_dir: Path) -> date:
    return date(int(run_dir.name[:4]), int(run_dir.name[4:6]), int(run_dir.name[6:8]))


BETWEEN = "expect_column_values_to_be_between"
NOT_NULL = "expect_column_values_to_not_be_null"


def test_without_screening_the_screening_checks_fail_and_say_why(scanned) -> None:
    tmp, run_dir, ledger = scanned
    training_sources = tuple(sorted({r["source"] for r in _training(ledger)}))
    _write_ledger(ledger, lambda r: (False, {}))
    _libraries(run_dir, None)
    config = _config(tmp, "none")
    proc, results, mine, _ = _validate(config, run_dir)
    assert proc.returncode == 1, proc.stderr
    assert mine[("content_screening", "screening_coverage", BETWEEN)][:3] == (False, "critical", training_sources)
    assert mine[("content_screening", "keyword_hit_share", NOT_NULL)][:3] == (False, "critical", training_sources)
    assert mine[("corpus_assessment", "auto_qualified_share", BETWEEN)][:3] == (False, "critical", ("training data",))
    assert mine[("content_screening", "blocked_documents", BETWEEN)][0] is True
    # CN-TC-8.1 is recommended: reported as failed warnings, never the run's verdict
    library = [v for k, v in mine.items() if k[1].startswith(("library_", "classifier_"))]
    assert len(library) == 5 and {v[1] for v in library} == {"warning"}
    assert {v[3] for v in library} == {("CN-TC-8.1",)}
    assert [v[0] for v in library].count(False) == 4  # the age check is skipped: no library, no age
    from provaudit.stages.evidence import NO_SCREENING, write_evidence

    write_evidence(load_config(config), str(run_dir), results)
    index = json.loads((run_dir / "evidence" / "index.json").read_text(encoding="utf-8"))["failures"]
    coverage = (run_dir / "evidence" / index["content_screening:screening_coverage"]["csv"].split("/")[1])
    assert coverage.read_text(encoding="utf-8").count(NO_SCREENING) == len(training_sources)
    auto = index["corpus_assessment:auto_qualified_share"]
    assert auto["rows"] == 1 and NO_SCREENING in json.dumps(auto["subjects"])


def test_a_screened_clean_corpus_passes_every_screening_check(scanned) -> None:
    tmp, run_dir, ledger = scanned
    hit = {"web_crawl": 0}

    def mark(r):  # one document of web_crawl with a hit: 1/192, 1/456 of the corpus
        if r["source"] == "web_crawl" and not hit["web_crawl"]:
            hit["web_crawl"] = 1
            return True, {"A.2-3": 2}
        return True, {}

    _write_ledger(ledger, mark)
    _libraries(run_dir, (_run_date(run_dir) - timedelta(days=3)).isoformat())
    training = _training(ledger)
    config = _config(tmp, "clean", screening={"blocked": {"domains": ["blocked-mirror.example"]}},
                     inspection={"verdicts": [_verdicts(tmp / "all-safe.jsonl", training)]})
    proc, results, mine, others = _validate(config, run_dir)
    failed = {k: v for k, v in mine.items() if not v[0]}
    assert not failed, failed
    assert len(mine) == 14
    # the run's exit code is the other suites' (the sample's planted failures), not these
    assert proc.returncode == (1 if others else 0)
    assessment = pq.read_table(run_dir / "profiles" / "corpus_assessment.parquet").to_pylist()[0]
    n = len(training)
    assert assessment["training_documents"] == n and assessment["auto_sample_size"] >= -(-n // 10)
    assert assessment["manual_sampled"] == n and assessment["manual_sample_all"]
    assert assessment["manual_reviewed"] == n and assessment["library_max_age_days"] == 3
    sample = (run_dir / "inspection" / "corpus_sample.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(sample) == n and all(set(json.loads(s)) == {"source", "shard", "location", "doc_id"} for s in sample)


def test_planted_failures_fail_each_screening_check(scanned, tmp_path: Path) -> None:
    tmp, run_dir, ledger = scanned
    counts = {"web_crawl": 0, "forum_dump": 0}

    def mark(r):  # 40 web_crawl documents with hits (> 5%), 5 forum_dump documents unscreened
        src = r["source"]
        if src in counts and counts[src] < (40 if src == "web_crawl" else 5):
            counts[src] += 1
            return (src == "web_crawl"), ({"A.1-1": 1, "A.3-2": 3} if src == "web_crawl" else {})
        return True, {}

    _write_ledger(ledger, mark)
    _libraries(run_dir, (_run_date(run_dir) - timedelta(days=30)).isoformat(), terms=500,
               short={"A.1-1": 12}, missing=RISK_CODES[:3])
    failing = yaml.safe_load((DATA / "failing.yaml").read_text(encoding="utf-8"))
    failing["screening"]["blocked"]["path"] = str(DATA / failing["screening"]["blocked"]["path"])
    # every document reviewed, one in 10 unsafe (10%: well below the 96% qualified share)
    failing["inspection"]["verdicts"] = [_verdicts(tmp_path / "verdicts.jsonl", _training(ledger), 10)]
    config = _config(tmp, "failing", **failing)
    proc, results, mine, _ = _validate(config, run_dir)
    assert proc.returncode == 1
    expect = {
        ("content_screening", "screening_coverage", BETWEEN): ("forum_dump",),
        ("content_screening", "blocked_documents", BETWEEN): ("web_crawl",),
        ("content_screening", "keyword_hit_share", BETWEEN): ("web_crawl",),
        ("corpus_assessment", "auto_qualified_share", BETWEEN): ("training data",),
        ("corpus_assessment", "manual_sampled", BETWEEN): ("training data",),
        ("corpus_assessment", "manual_qualified_share", BETWEEN): ("training data",),
        ("corpus_assessment", "library_terms", BETWEEN): ("training data",),
        ("corpus_assessment", "library_short_risks", BETWEEN): ("training data",),
        ("corpus_assessment", "library_max_age_days", BETWEEN): ("training data",),
        ("corpus_assessment", "classifier_missing_risks", BETWEEN): ("training data",),
    }
    assert {k: v[2] for k, v in mine.items() if not v[0]} == expect
    ids = {k: v[3] for k, v in mine.items()}
    assert ids[("content_screening", "blocked_documents", BETWEEN)] == ("CN-TC-5.1d",)
    assert ids[("content_screening", "screening_coverage", BETWEEN)] == ("CN-TC-5.2a",)
    assert ids[("corpus_assessment", "auto_qualified_share", BETWEEN)] == ("CN-TC-9.2-auto",)
    assert ids[("corpus_assessment", "manual_qualified_share", BETWEEN)] == ("CN-TC-9.2-manual",)
    assert "CN-TC-5.1a-post" in ids[("content_screening", "keyword_hit_share", BETWEEN)]
    assessment = pq.read_table(run_dir / "profiles" / "corpus_assessment.parquet").to_pylist()[0]
    assert (assessment["manual_sampled"], assessment["manual_reviewed"]) == (100, 100)
    assert assessment["blocked_documents"] == 14 and assessment["library_max_age_days"] == 30

    from provaudit.stages.evidence import write_evidence

    cfg = load_config(config)
    screening = cfg.screening._replace(keywords=(KeywordLibrary("stand-ins", str(DATA / "blocked.txt")),))
    write_evidence(dataclasses.replace(cfg, screening=screening), str(run_dir), results)
    evidence = run_dir / "evidence"
    blocked = (evidence / "content_screening-blocked_documents.csv").read_text(encoding="utf-8").splitlines()
    assert len(blocked) == 15 and all(line.endswith(",zhiwen.com.cn") for line in blocked[1:])
    hits = (evidence / "content_screening-keyword_hit_share-2.csv").read_text(encoding="utf-8").splitlines()
    assert len(hits) == 41 and all(line.endswith(",A.1-1 x1; A.3-2 x3") for line in hits[1:])
    unscreened = (evidence / "content_screening-screening_coverage.csv").read_text(encoding="utf-8").splitlines()
    assert len(unscreened) == 6 and all(line.endswith(",not screened") for line in unscreened[1:])
    unsafe = (evidence / "corpus_assessment-manual_qualified_share.csv").read_text(encoding="utf-8").splitlines()
    assert 1 < len(unsafe) <= 101 and all("unsafe (reviewer's verdict)" in line for line in unsafe[1:])
    short = (evidence / "corpus_assessment-library_short_risks.csv").read_text(encoding="utf-8")
    assert "A.1-1: 12 terms (TC260-003 8.1 asks for 200)" in short


def test_the_exit_code_turns_on_a_screening_check_alone(tmp_path: Path) -> None:
    """Two clean sources of the sample (nothing else fails): exit 0; the same run with one of them
    on the blocked list (CN-TC-5.1d): exit 1."""
    from provaudit.stages.overlap import run_overlap
    from provaudit.stages.scan import run_scan

    registry = yaml.safe_load((SAMPLE / "registry.yaml").read_text(encoding="utf-8"))
    keep = [dict(s, paths=[str(SAMPLE / p) for p in s["paths"]]) for s in registry["sources"]
            if s["name"] in ("open_books", "crawl_warc")]
    reg = write_yaml(tmp_path / "registry.yaml", {"sources": keep})
    base = {"registry": str(reg), "output": str(tmp_path / "out"), "beam": {"runner": "DirectRunner"},
            "validation": {"min_sources_per_language": 1}}  # two sources cannot cover every language twice
    cfg = load_config(write_yaml(tmp_path / "scan.yaml", base))
    run_dir = Path(run_scan(cfg, report=lambda line: None).run_dir)
    run_overlap(cfg, run_dir.name, report=lambda line: None)
    ledger = {p: pq.read_table(p) for p in sorted((run_dir / "ledger").glob("*/*.parquet"))}
    _write_ledger(ledger, lambda r: (True, {}))
    _libraries(run_dir, _run_date(run_dir).isoformat())
    verdicts = _verdicts(tmp_path / "safe.jsonl", _training(ledger))
    clean = write_yaml(tmp_path / "clean.yaml", {**base, "inspection": {"verdicts": [verdicts]}})
    proc, _, mine, others = _validate(clean, run_dir)
    assert not others and all(v[0] for v in mine.values()), (others, mine)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    blocked = write_yaml(tmp_path / "blocked.yaml", {**base, "inspection": {"verdicts": [verdicts]},
                                                     "screening": {"blocked": {"sources": ["open_books"]}}})
    proc, _, mine, others = _validate(blocked, run_dir)
    assert not others and {k[1] for k, v in mine.items() if not v[0]} == {"blocked_documents"}
    assert mine[("content_screening", "blocked_documents", BETWEEN)][2] == ("open_books",)
    assert proc.returncode == 1 and "CN-TC-5.1d" in proc.stdout
