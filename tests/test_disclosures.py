"""Disclosure documents built from a real sample run: schema, figures recomputed from the Parquet
outputs, the CN annex statuses, the index page's verdict on each source, and golden JSON forms."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE, sample_screening, write_yaml

from provaudit.core.config import load_config
from provaudit.reports.disclosures import (
    CN_DS_IDS,
    CN_IM_IDS,
    CN_TC_IDS,
    KINDS,
    REQUIREMENTS,
    _add_months,
    build_all,
    index_page,
    load_inputs,
    validate_document,
    validate_index_page,
)
from provaudit.core.errors import ProvauditError
from provaudit.stages.overlap import run_overlap
from provaudit.stages.profile import run_profile
from provaudit.stages.scan import run_scan
from provaudit.stages.validate import run_validation

PLANTED = json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8"))
LINKS = [{"label": "Validation (Data Docs)", "href": "docs/index.html", "description": "expectation results"},
         {"label": "Legitimate data sources", "href": "disclosures/legitimate_sources.html", "description": ""}]


def _sample_config(tmp: Path) -> Path:
    return write_yaml(tmp / "config.yaml", {
        "registry": str(SAMPLE / "registry.yaml"), "output": str(tmp / "out"),
        "opt_out": str(SAMPLE / "opt_out.txt"),
        "inspection": {"verdicts": [str(SAMPLE / "inspection" / "verdicts.jsonl")]},
           "screening": sample_screening()})


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    cfg = load_config(_sample_config(tmp_path_factory.mktemp("disclose")))
    quiet = {"report": lambda line: None}
    run_dir = run_scan(cfg, **quiet).run_dir
    run_id = Path(run_dir).name
    run_overlap(cfg, run_id, **quiet)
    run_profile(cfg, run_id, **quiet)
    run_validation(cfg, run_id)
    inputs = load_inputs(cfg, run_dir)
    return cfg, Path(run_dir), inputs, build_all(inputs), index_page(inputs, LINKS)


@pytest.fixture(scope="module")
def ledger(run):
    return pq.ParquetDataset(sorted(str(p) for p in (run[1] / "ledger").glob("*/*.parquet"))).read()


def test_every_document_validates(run) -> None:
    _, _, _, docs, page = run
    assert list(docs) == list(KINDS)
    for kind, doc in docs.items():
        assert doc["kind"] == kind and doc["schema_version"] == 1
        validate_document(doc)
        json.dumps(doc, allow_nan=False)  # plain JSON: no NaN, no objects
    validate_index_page(page)


def test_schema_errors_name_kind_and_path(run) -> None:
    doc = copy.deepcopy(run[3]["labelling_process"])
    doc["sections"][1]["requirements"][0]["status"] = "fine"
    with pytest.raises(ProvauditError, match=r"'labelling_process'.*/sections/1/requirements/0/status"):
        validate_document(doc)
    doc = copy.deepcopy(run[3]["legitimate_sources"])
    doc["sections"][0]["table"]["rows"][0].append("extra")
    with pytest.raises(ProvauditError, match=r"legitimate_sources.*/sections/0/table/rows/0"):
        validate_document(doc)
    with pytest.raises(ProvauditError, match="relative"):
        index_page(run[2], [{"label": "x", "href": "https://example.com/", "description": ""}])


def test_source_figures_equal_the_ledger(run, ledger) -> None:
    facts = run[3]["legitimate_sources"]["facts"]["sources"]
    grouped = ledger.group_by("source", use_threads=False).aggregate([("chars", "sum"), ("source", "count")])
    for row in grouped.to_pylist():
        f = facts[row["source"]]
        assert f["documents"] == row["source_count"]
        assert f["characters"] == row["chars_sum"]
    for name, f in facts.items():
        mine = ledger.filter(pc.equal(ledger["source"], name))
        unknown = pc.sum(pc.equal(mine["license_category"], "unknown")).as_py() or 0
        assert f["unknown_license_documents"] == unknown
        assert f["license_categories"] == dict(Counter(mine["license_category"].to_pylist()))
        any_pii = pc.greater(pc.add(pc.add(pc.add(pc.add(mine["pii_email"], mine["pii_phone"]), mine["pii_cn_id"]),
                                           mine["pii_card"]), mine["pii_ip"]), 0)
        assert f["pii_documents"] == (pc.sum(any_pii).as_py() or 0)
        for kind in ("email", "phone", "cn_id", "card", "ip"):
            assert f["pii_documents_by_kind"][kind] == (pc.sum(pc.greater(mine[f"pii_{kind}"], 0)).as_py() or 0)
    opted = {s: len(ids) for s, ids in PLANTED["opt_out"]["opted_out_documents"].items()}
    assert {n: f["opted_out_documents"] for n, f in facts.items() if f["opted_out_documents"]} == opted
    totals = run[3]["legitimate_sources"]["facts"]["totals"]
    train = [n for n, f in facts.items() if f["role"] == "train"]
    assert totals["training_documents"] == sum(facts[n]["documents"] for n in train)
    assert totals["ledger_documents"] == ledger.num_rows


def test_facts_copy_the_profile_exactly(run) -> None:
    _, run_dir, _, docs, _ = run
    profile = {r["source"]: r for r in pq.read_table(str(run_dir / "profiles" / "source_profile.parquet")).to_pylist()}
    facts = docs["legitimate_sources"]["facts"]["sources"]
    for name, row in profile.items():
        for key in ("share_of_corpus", "unknown_license_share", "near_duplicate_rate", "duplicate_rate_any_source",
                    "quarantine_share", "inspection_unsafe_upper95", "inspection_reviewed", "collected_from"):
            assert facts[name][key] == row[key], (name, key)
        assert facts[name]["languages"] == json.loads(row["languages"])
        assert facts[name]["overlap_with_sources"] == json.loads(row["overlap_with_sources"])
    # the charts and the tables carry the same figures
    overview = docs["legitimate_sources"]["sections"][0]
    chart = overview["chart"]
    assert chart["series"][0]["values"] == [profile[n]["share_of_corpus"] for n in chart["categories"]]
    heat = next(s["chart"] for s in docs["legitimate_sources"]["sections"] if s["id"] == "overlap-heatmap")
    matrix = json.loads((run_dir / "overlap" / "matrix.json").read_text())["matrix"]
    assert heat["matrix"] == [[matrix[a][b]["share"] for b in heat["columns"]] for a in heat["categories"]]
    labelling = {r["batch"]: r for r in pq.read_table(
        str(run_dir / "profiles" / "labelling_profile.parquet")).to_pylist()}
    batches = docs["labelling_process"]["facts"]["batches"]
    for batch, row in labelling.items():
        for key in ("items", "annotators", "trained_share", "qa_sample_share", "qa_accuracy", "agreement", "kappa"):
            assert batches[batch][key] == row[key]
    eu = docs["eu_training_summary"]["facts"]
    assert eu["general"]["documents"] == sum(r["documents"] for r in profile.values() if r["role"] == "train")
    crawled = {e["source"] for e in eu["crawled_data"]["sources"]}
    assert crawled == {n for n, r in profile.items() if r["acquisition"] == "self-collected"}
    for d in eu["crawled_data"]["top_domains"]:  # recomputed from the ledger in test_template_conformance
        assert set(d["sources"]) <= crawled
    assert {e["source"] for e in eu["public_datasets"]} == {
        n for n, r in profile.items() if r["role"] == "train" and r["acquisition"] in ("open-license", "public-domain")}


def test_per_source_verdicts(run) -> None:
    facts = run[3]["legitimate_sources"]["facts"]["sources"]
    status = {n: {v["expectation"]: v["status"] for v in f["verdicts"]} for n, f in facts.items()}
    assert status["scraped_blogs"]["legitimate_sources:unknown_license_share"] == "failed"
    assert status["web_crawl"]["legitimate_sources:opted_out_documents"] == "failed"
    assert status["open_books"]["legitimate_sources:unknown_license_share"] == "passed"
    # eval sources are not inspected: the expectation does not apply to them
    assert status["eval_qa"]["legitimate_sources:inspection_reviewed"] == "not-applicable"
    section = next(s for s in run[3]["legitimate_sources"]["sections"] if s["id"] == "source-scraped_blogs")
    assert {r["id"]: r["status"] for r in section["requirements"]}["CN-IM-7.2"] == "failed"


def test_cn_annex_requirement_by_requirement(run) -> None:
    annex = run[3]["cn_filing_annex"]
    reqs = annex["facts"]["requirements"]
    assert list(reqs) == list(CN_IM_IDS + CN_TC_IDS + CN_DS_IDS)
    assert all(r["requirement"] == REQUIREMENTS[i]["requirement"] for i, r in reqs.items())
    assert reqs["CN-IM-7.2"]["status"] == "failed" and "scraped_blogs" in reqs["CN-IM-7.2"]["detail"]
    assert reqs["CN-IM-8.3"]["status"] == "failed" and "news-topic-2024-05" in reqs["CN-IM-8.3"]["detail"]
    # the sample's 5-term stand-in library is far from TC260-003 8.1's recommendation (recommended:
    # a warning, shown as failed here, never counted against the zh annex's verdict)
    assert reqs["CN-TC-8.1"]["status"] == "failed"
    assert reqs["CN-TC-9.2-auto"]["status"] == "evidenced" and reqs["CN-TC-5.2a"]["status"] == "evidenced"
    assert reqs["CN-IM-7.1"]["status"] == "evidenced"
    assert {i for i, r in reqs.items() if r["status"] == "failed"} == {
        "CN-IM-7.2", "CN-TC-5.2-ip", "CN-TC-5.1c-open", "CN-TC-5.1c-self", "CN-IM-8.3", "CN-TC-5.3-staff",
        "CN-IM-7.3", "CN-TC-5.2-pi",  # 7.3 and 5.2-pi: sensitive personal information without separate consent
        "CN-TC-5.1a-post", "CN-TC-8.1"}  # keyword hits planted in scraped_blogs; the stand-in library
    in_sections = {r["id"]: r["status"] for s in annex["sections"] for r in s["requirements"]}
    assert in_sections == {i: r["status"] for i, r in reqs.items()}
    assert annex["verdict"]["status"] == "fail"


def test_document_verdicts(run) -> None:
    docs = run[3]
    assert {k: d["verdict"]["status"] for k, d in docs.items()} == {
        "legitimate_sources": "fail", "labelling_process": "fail", "cn_filing_annex": "fail",
        "eu_training_summary": "fail", "ca_ab2013": "partial"}
    ca = docs["ca_ab2013"]
    assert [s["requirements"][0]["id"] for s in ca["sections"]] == [
        *(f"US-CA-{n}" for n in range(1, 13)), "US-CA-exempt"]
    statuses = {s["requirements"][0]["id"]: s["requirements"][0]["status"] for s in ca["sections"]}
    assert statuses["US-CA-2"] == statuses["US-CA-8"] == "statement-needed"
    assert all(s["human_fields"] for s in ca["sections"] if s["requirements"][0]["status"] == "statement-needed")
    eu = docs["eu_training_summary"]
    assert {r["id"]: r["status"] for s in eu["sections"] for r in s["requirements"]}["EU-53c-optout"] == "failed"
    assert any(s["human_fields"] for s in eu["sections"])


def test_index_page_names_the_sources_not_legitimately_documented(run) -> None:
    page = run[4]
    assert page["verdict"]["status"] == "fail"
    bad = {s["name"]: s["reasons"] for s in page["sources"] if not s["legitimate"]}
    assert sorted(bad) == ["forum_dump", "scraped_blogs", "web_crawl"]
    assert any("sensitive personal information" in r and "separate-consent" in r for r in bad["forum_dump"])
    assert any("license unknown for 100%" in r and "CN-IM-7.2" in r for r in bad["scraped_blogs"])
    assert any("opted-out domain" in r and "EU-53c-optout" in r for r in bad["web_crawl"])
    assert all(not s["reasons"] for s in page["sources"] if s["legitimate"])
    assert {s["name"] for s in page["sources"]} == {s.name for s in run[0].sources}
    # scraped_blogs twice: its unknown licence and its planted keyword hits; "training data": the
    # three TC260-003 8.1 recommendations the stand-in library falls short of (warnings)
    assert sorted(f["failing"][0] for f in page["failures"]) == [
        "forum_dump", "news-topic-2024-05", "scraped_blogs", "scraped_blogs", "training data", "training data",
        "training data", "web_crawl"]
    assert page["links"] == LINKS


def _stable(value, run_id: str, started: str):
    """Strip what changes from run to run: run ids, the tool version, the run's dates."""
    if isinstance(value, dict):
        return {k: _stable(v, run_id, started) for k, v in value.items()
                if k not in ("run_id", "generated_by", "first_seen_run", "run_started")}
    if isinstance(value, list):
        return [_stable(v, run_id, started) for v in value]
    if isinstance(value, str):
        due = _add_months(started[:10], 6)  # the EU summary's next update, six months after the run
        return (value.replace(run_id, "<run>").replace(started, "<started>").replace(due, "<date + 6 months>")
                .replace(started[:10], "<date>"))
    return value


@pytest.mark.parametrize("kind", KINDS + ("index",))
def test_golden(run, golden, kind: str) -> None:
    _, _, inputs, docs, page = run
    doc = page if kind == "index" else docs[kind]
    golden(f"disclosure_{kind}", _stable(doc, inputs.run_id, inputs.manifest["started"]))
