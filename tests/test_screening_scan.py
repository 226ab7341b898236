"""Content screening in the scan: exact hits per risk code on the sample's planted documents
(every folded variant), libraries.json, masked reviewer samples, nightly rescans when a
library changes, and no matched term in any output file of a full run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from conftest import SAMPLE, write_yaml

from provaudit.core.config import load_config
from provaudit.core.screening import fold
from provaudit.stages.scan import run_scan

PLANTED = json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8"))["screening"]
_CLASSIFIER = {"name": "character-quality", "callable": "provaudit.core.classifiers:character_quality",
               "risks": ["A.5-2"], "threshold": 0.5}


def _blogs_config(tmp: Path, review_samples: int = 20) -> Path:
    """A config over the sample's scraped_blogs source (where the hits are planted), with a
    copy of the sample's keyword library."""
    registry = yaml.safe_load((SAMPLE / "registry.yaml").read_text(encoding="utf-8"))
    source = next(s for s in registry["sources"] if s["name"] == "scraped_blogs")
    (tmp / "scraped_blogs").mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE / "scraped_blogs" / "blogs.jsonl", tmp / "scraped_blogs" / "blogs.jsonl")
    (tmp / "screening").mkdir(exist_ok=True)
    shutil.copy(SAMPLE / PLANTED["library"], tmp / "screening" / "keywords.txt")
    write_yaml(tmp / "registry.yaml", {"sources": [source]})
    return write_yaml(tmp / "config.yaml", {
        "registry": "registry.yaml", "output": "out", "beam": {"runner": "DirectRunner"},
        "screening": {"keywords": [{"name": "standins", "path": "screening/keywords.txt",
                                    "updated": "2024-05-01"}],
                      "classifiers": [_CLASSIFIER], "review_samples": review_samples}})


def _rows(run_dir: str) -> list[dict]:
    rows = []
    for path in sorted(Path(run_dir, "ledger").rglob("*.parquet")):
        rows += pq.read_table(path).to_pylist()
    return rows


@pytest.fixture(scope="module")
def blogs_run(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("screen")
    config = load_config(_blogs_config(tmp))
    return tmp, config, run_scan(config, report=lambda line: None)


def test_hits_per_document_and_risk_match_what_was_planted(blogs_run) -> None:
    _, _, result = blogs_run
    rows = _rows(result.run_dir)
    got = {r["doc_id"]: json.loads(r["screen_hits"]) for r in rows if r["screen_hits_total"]}
    assert got == PLANTED["documents"]
    totals: dict[str, int] = {}
    for hits in got.values():
        for risk, n in hits.items():
            totals[risk] = totals.get(risk, 0) + n
    assert totals == PLANTED["hits_by_risk"]
    assert sum(r["screen_hits_total"] for r in rows) == PLANTED["hits_total"]
    for r in rows:
        assert r["screened_by"].startswith("standins@") and r["screened_by"].endswith("@2024-05-01;character-quality")
        scores = json.loads(r["classifier_scores"])
        assert set(scores) == {"character-quality"} and 0 <= scores["character-quality"]["A.5-2"] <= 1
        assert r["screen_flagged"] == (r["screen_hits_total"] > 0 or scores["character-quality"]["A.5-2"] >= 0.5)


def test_libraries_json(blogs_run) -> None:
    _, _, result = blogs_run
    doc = json.loads(Path(result.run_dir, "screening", "libraries.json").read_text(encoding="utf-8"))
    (lib,) = doc["libraries"]
    assert lib["name"] == "standins" and lib["file"] == "screening/keywords.txt"
    assert lib["updated"] == "2024-05-01" and lib["terms"] == len(PLANTED["terms"])
    assert doc["classifiers"] == [_CLASSIFIER]
    cov = doc["coverage"]
    assert cov["risks_with_terms"] == sorted({r for _t, r in PLANTED["terms"]})
    assert len(cov["short"]) == 17 and cov["classifier_missing"] == [c for c in cov["classifier_missing"] if c != "A.5-2"]
    assert result.manifest["finding_inputs"]["screening"]["library standins"]["sha256"] == lib["sha256"]


def test_review_samples_are_masked_and_bounded(tmp_path: Path) -> None:
    config = load_config(_blogs_config(tmp_path, review_samples=1))
    result = run_scan(config, report=lambda line: None)
    lines = Path(result.run_dir, "screening", "review_samples.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines]
    risks = [i["risk"] for i in items]
    assert sorted(risks) == sorted(set(risks)) == sorted(PLANTED["hits_by_risk"])  # one per risk
    for item in items:
        assert set(item) == {"context", "library", "location", "risk", "shard", "source"}
        assert item["risk"] in item["context"] and "[" in item["context"]
        assert f"{item['source']}/blogs.jsonl#{item['location']}" in PLANTED["documents"] or \
            f"{item['shard']}#{item['location']}" in PLANTED["documents"]
    _assert_no_term(Path(result.run_dir))


def test_nightly_rescans_when_a_library_changes(blogs_run) -> None:
    tmp, config, first = blogs_run
    same = run_scan(config, report=lambda line: None, previous=first.run_dir)
    assert {s["status"] for s in same.manifest["shards"]} == {"reused"}
    assert (Path(same.run_dir, "screening", "review_samples.jsonl").read_bytes()
            == Path(first.run_dir, "screening", "review_samples.jsonl").read_bytes())
    library = tmp / "screening" / "keywords.txt"
    library.write_text(library.read_text(encoding="utf-8") + "gloopwhistle\tA.2-9\n", encoding="utf-8")
    changed = run_scan(load_config(tmp / "config.yaml"), report=lambda line: None, previous=same.run_dir)
    (shard,) = changed.manifest["shards"]
    assert shard["status"] == "scanned" and "screening library standins" in shard["reason"], shard["reason"]


def _library_terms() -> set[str]:
    raw = {t for t, _r in PLANTED["terms"]}
    return {v.lower() for t in raw for v in (t, fold(t))}


def _file_text(path: Path) -> str:
    if path.suffix == ".parquet":
        return json.dumps(pq.read_table(path).to_pylist(), ensure_ascii=False,
                          default=lambda b: b.hex() if isinstance(b, bytes) else str(b))
    return path.read_bytes().decode("utf-8", errors="replace")


def _assert_no_term(run_dir: Path) -> int:
    files = [p for p in sorted(run_dir.rglob("*")) if p.is_file()]
    terms = _library_terms()
    for path in files:
        text = _file_text(path).lower()
        assert not [t for t in terms if t in text], f"{path}: a library term appears"
    return len(files)


def test_no_term_in_the_scan_outputs(blogs_run) -> None:
    _, _, result = blogs_run
    assert _assert_no_term(Path(result.run_dir)) >= 4


@pytest.mark.slow
def test_no_term_in_any_output_of_a_full_run(tmp_path: Path) -> None:
    """Every stage, the disclosures and exports of the whole sample with the bundled config's
    screening: no library term (raw or folded) in any file, Parquet decoded."""
    from test_validate import _all_stages, _sample_config

    local = yaml.safe_load(Path(SAMPLE.parent, "configs", "local.yaml").read_text(encoding="utf-8"))
    screening = local["screening"]
    screening["keywords"][0]["path"] = str(SAMPLE / PLANTED["library"])
    cfg, run_id, _, result = _all_stages(_sample_config(tmp_path, screening=screening))
    from provaudit.stages.disclose import run_disclose

    run_disclose(cfg, run_id)
    assert _assert_no_term(Path(result.run_dir)) > 20


def test_beam_counters_and_batch_review_file(tmp_path: Path) -> None:
    import apache_beam as beam
    from apache_beam.metrics.metric import MetricsFilter

    from provaudit.beam.scan import Review, Scan, ShardTask
    from provaudit.core.findings import Annotator, SourceFacts
    from provaudit.core.readers import ReaderSpec
    from provaudit.core.screening import Screener, load_library

    shard = tmp_path / "a.jsonl"
    shard.write_text('{"text": "a zorblatt and a ZORBLATT here, nothing else"}\n{"text": "clean text"}\n',
                     encoding="utf-8")
    lib = load_library("kw", str(SAMPLE / PLANTED["library"]), updated="2024-05-01")
    screener = Screener.from_libraries([lib])
    task = ShardTask(0, "s", str(shard), "a.jsonl", shard.stat().st_size, ReaderSpec(source="s", format="jsonl"))
    run = tmp_path / "run"
    p = beam.Pipeline(runner="DirectRunner")
    _ = (p | beam.Create([task])
         | Scan(Annotator(num_perm=16, screener=screener), {"s": SourceFacts(None, "synthetic")}, str(run),
                [task], 1000, Review(screener, 5, 1_000_000)))
    result = p.run()
    result.wait_until_finish()
    counters = {m.key.metric.name: m.committed
                for m in result.metrics().query(MetricsFilter().with_namespace("screening"))["counters"]}
    assert counters == {"flagged_documents": 1, "keyword_hits": 2}
    (line,) = (run / "screening" / "batches" / "s" / "shard-00000.jsonl").read_text(encoding="utf-8").splitlines()
    item = json.loads(line)
    assert item["risk"] == "A.1-7" and item["location"] == "line:1" and "zorblatt" not in item["context"]
