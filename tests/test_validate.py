"""Profiles, suites and validation on the sample corpus: exactly the planted failures, offline
Data Docs, escaping of corpus values, and validation cost independent of corpus size."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import ROOT, SAMPLE, run_stages, sample_screening, write_yaml
from provaudit.core.config import load_config
from provaudit.reports.datadocs import find_external_references
from provaudit.reports.summary import validation_summary
from provaudit.stages.validate import SUITES, load_suite, run_validation
from test_datadocs import Visit, _assert_stayed_local, _assert_styled, _STYLE_PROBE, browser  # noqa: F401

PLANTED = json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8"))
SCREENSHOT = ROOT / "docs" / "validation-legitimate-sources.png"


def _sample_config(tmp: Path, **extra) -> Path:
    doc = {"registry": str(SAMPLE / "registry.yaml"), "output": str(tmp / "out"),
           "opt_out": str(SAMPLE / "opt_out.txt"),
           "inspection": {"verdicts": [str(SAMPLE / "inspection" / "verdicts.jsonl")]},
           "screening": sample_screening()}
    doc.update(extra)
    return write_yaml(tmp / "config.yaml", doc)


def _all_stages(config_path: Path):
    cfg, run_dir, profile, result = run_stages(config_path)
    return cfg, Path(run_dir).name, profile, result


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory):
    return _all_stages(_sample_config(tmp_path_factory.mktemp("validate")))


def test_sample_fails_exactly_what_it_was_built_to_fail(sample_run) -> None:
    _, _, _, result = sample_run
    failed = sorted((v.suite, v.column, tuple(v.failing)) for v in result.verdicts if not v.success)
    opted = tuple(sorted(PLANTED["opt_out"]["opted_out_documents"]))
    assert failed == sorted([
        ("legitimate_sources", "unknown_license_share", ("scraped_blogs",)),
        ("legitimate_sources", "opted_out_documents", opted),
        ("labelling_process", "trained_share", ("news-topic-2024-05",)),
        # identity numbers and cards without separate consent (planted.json "pii")
        ("legitimate_sources", "sensitive_pii_documents", ("forum_dump", "scraped_blogs", "web_crawl")),
        # keyword hits planted in 4 of 33 documents (planted.json "screening"): over the 5% share
        ("content_screening", "keyword_hit_share", ("scraped_blogs",)),
        # TC260-003 8.1 is recommended: the 5-term stand-in library and one classifier fall short,
        # reported as warnings that never fail the run
        ("corpus_assessment", "library_terms", ("training data",)),
        ("corpus_assessment", "library_short_risks", ("training data",)),
        ("corpus_assessment", "classifier_missing_risks", ("training data",)),
    ])
    warned = {(v.suite, v.column) for v in result.verdicts if not v.success and v.severity == "warning"}
    assert warned == {("corpus_assessment", c) for c in ("library_terms", "library_short_risks",
                                                          "classifier_missing_risks")}
    assert not result.success
    # the removal-requests suite runs only when the config names a requests file (the sample's does not)
    assert len(result.verdicts) == sum(len(load_suite(n)["expectations"]) for n in SUITES if n != "removal_requests")


def test_profile_figures_match_the_planted_facts(sample_run) -> None:
    _, _, profile, _ = sample_run
    rows = {r["source"]: r for r in profile.rows}
    for source, ids in PLANTED["opt_out"]["opted_out_documents"].items():
        assert rows[source]["opted_out_documents"] == len(ids)
    for source, n in PLANTED["inspection"]["reviewed"].items():
        assert rows[source]["inspection_reviewed"] == n
    assert rows["web_crawl"]["inspection_unsafe"] == 1
    assert rows["scraped_blogs"]["unknown_license_share"] == 1.0
    assert rows["eval_qa"]["share_of_corpus"] == 0.0
    assert sum(r["share_of_corpus"] for r in profile.rows) == pytest.approx(1.0, abs=1e-5)
    batches = {b["batch"]: b for b in profile.labelling_rows}
    assert batches["news-topic-2024-05"]["trained_share"] < 1
    sample = Path(profile.sample_path).read_text(encoding="utf-8").splitlines()
    assert len(sample) == sum(r["inspection_sampled"] for r in profile.rows)
    assert all(set(json.loads(line)) == {"source", "shard", "location", "verdict"} for line in sample)


def test_every_expectation_cites_known_requirements() -> None:
    known = None
    regs = ROOT.parent / "shared" / "REGULATIONS.md"
    if regs.exists():
        known = set(re.findall(r"^\| ([A-Z]{2}-[A-Za-z0-9.-]+) \|", regs.read_text(encoding="utf-8"), re.M))
    for name in SUITES:
        suite = load_suite(name)
        assert suite["name"] == name
        for e in suite["expectations"]:
            ids = e["meta"]["requirement_ids"]
            assert ids and e["meta"]["description"], e
            if known:
                assert set(ids) <= known, (name, ids)


def test_validation_reads_only_the_profiles(sample_run, tmp_path: Path) -> None:
    cfg, run_id, _, result = sample_run
    copy = tmp_path / "out" / run_id
    shutil.copytree(Path(result.run_dir) / "profiles", copy / "profiles")
    (copy / "manifest.json").write_text("{}")
    moved = load_config(write_yaml(tmp_path / "c.yaml", {"registry": str(SAMPLE / "registry.yaml"),
                                                         "output": str(tmp_path / "out")}))
    again = run_validation(moved, run_id)
    assert [(v.suite, v.column, v.success, v.failing) for v in again.verdicts] == \
        [(v.suite, v.column, v.success, v.failing) for v in result.verdicts]


def test_validation_time_does_not_grow_with_the_corpus(sample_run, tmp_path: Path) -> None:
    """The same profiles with 10x the documents take the same time to validate."""
    cfg, run_id, _, result = sample_run
    out = tmp_path / "out" / run_id / "profiles"
    out.mkdir(parents=True)
    for table in ("source_profile", "labelling_profile", "corpus_assessment"):
        t = pq.read_table(Path(result.run_dir) / "profiles" / f"{table}.parquet")
        if table == "source_profile":
            import pyarrow.compute as pc

            for col in ("documents", "characters", "documents_read"):
                t = t.set_column(t.schema.get_field_index(col), col, pc.multiply(t[col], 10))
        pq.write_table(t, out / f"{table}.parquet")
    (out.parent / "manifest.json").write_text("{}")
    big = load_config(write_yaml(tmp_path / "c.yaml", {"registry": str(SAMPLE / "registry.yaml"),
                                                        "output": str(tmp_path / "out")}))

    def timed(c, r):
        start = time.perf_counter()
        run_validation(c, r)
        return time.perf_counter() - start

    small = min(timed(cfg, run_id) for _ in range(2))
    large = min(timed(big, run_id) for _ in range(2))
    assert large < small * 1.5 + 0.5, (small, large)


def test_thresholds_come_from_the_config(tmp_path: Path) -> None:
    cfg = _sample_config(tmp_path, validation={"max_unknown_license_share": 1.0})
    _, _, _, result = _all_stages(cfg)
    verdict = next(v for v in result.verdicts if v.column == "unknown_license_share")
    assert verdict.success


def test_data_docs_are_offline_and_render_in_chromium(sample_run, browser, tmp_path: Path) -> None:  # noqa: F811
    _, _, _, result = sample_run
    docs = Path(result.docs_index).parent
    assert list(find_external_references(docs)) == []
    page = next(p for p in sorted((docs / "validations" / "legitimate_sources").rglob("*.html")))
    visit = Visit(browser, page.as_uri())
    try:
        _assert_stayed_local(visit)
        _assert_styled(visit.evaluate(_STYLE_PROBE))
        text = visit.evaluate("document.body.innerText")
        assert "scraped_blogs" in text and "unknown_license_share" in text
        visit.screenshot_for_docs(tmp_path / "validation.png", SCREENSHOT)
    finally:
        visit.close()


def test_markup_from_the_corpus_is_escaped_in_data_docs_and_summary(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    payload = "<script>alert('pwned')</script>"
    lines = [json.dumps({"text": f"Document number {i} talks about rivers and farms and rain in spring.",
                         "url": f"https://evil.example.com/<img src=x onerror=alert({i})>"}) for i in range(3)]
    (data / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg_path = write_yaml(tmp_path / "c.yaml", {
        "output": str(tmp_path / "out"),
        "sources": [{"name": "markup", "paths": "data/*.jsonl", "url_field": "url", "license": payload,
                     "acquisition": "self-collected", "evidence": payload}],
    })
    _, _, _, result = _all_stages(cfg_path)
    html_text = "".join(p.read_text(encoding="utf-8") for p in Path(result.docs_index).parent.rglob("*.html"))
    assert "<script>alert(" not in html_text and "<img src=x" not in html_text
    assert "&lt;script&gt;alert(" in html_text  # the license is shown, escaped, beside the failing source
    summary = validation_summary(result.verdicts, result.docs_index, result.results_path)
    assert "<script>" not in summary
    from provaudit.stages.disclose import run_disclose

    disclosed = run_disclose(load_config(cfg_path), Path(result.run_dir).name)
    pages = [Path(disclosed.index_path), *(Path(result.run_dir) / "disclosures").glob("*.html")]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text and "<img src=x" not in text, page.name
    legit = (Path(result.run_dir) / "disclosures" / "legitimate_sources.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in legit  # the license string is shown, escaped
    from provaudit.core.config import ConfigError

    with pytest.raises(ConfigError, match="letters, digits"):  # markup never gets into a source name
        load_config(write_yaml(tmp_path / "bad.yaml", {"output": "o", "sources": [
            {"name": payload, "paths": "x", "acquisition": "licensed"}]}))


def test_cli_validate_exit_codes(sample_run, tmp_path: Path) -> None:
    cfg, run_id, _, _ = sample_run
    proc = subprocess.run([sys.executable, "-m", "provaudit.cli", "validate", str(cfg.config_path), "--run", run_id],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 1, proc.stderr
    assert "FAILED [critical] legitimate_sources: CN-IM-7.2" in proc.stdout
    assert "EU-53c-optout" in proc.stdout and "CN-IM-8.3" in proc.stdout
    bad = subprocess.run([sys.executable, "-m", "provaudit.cli", "validate", str(cfg.config_path), "--run", "nope"],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert bad.returncode == 2


def test_pii_documents_count_each_document_once(sample_run) -> None:
    _, _, profile, _ = sample_run
    rows = {r["source"]: r for r in profile.rows}
    for source, facts in PLANTED["sources"].items():
        if "documents_with_pii" in facts:
            assert rows[source]["pii_documents"] == facts["documents_with_pii"], source
