"""Findings with evidence on the sample: each failed expectation is stated as a finding with its
figure and what to fix, and its evidence file lists exactly the planted offending documents, with
personal information masked."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import SAMPLE, write_yaml
from test_validate import _all_stages, _sample_config

from provaudit.core import pii
from provaudit.core.config import list_shards, load_config
from provaudit.core.errors import ConfigError
from provaudit.core.findings import normalize_text
from provaudit.core.readers import read_shard
from provaudit.core.records import Document
from provaudit.reports.disclosures import index_page, load_inputs
from provaudit.stages.evidence import (
    EVIDENCE_COLUMNS,
    NO_LICENSE_KEY,
    evidence_slugs,
    write_evidence,
)

PLANTED = json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8"))
OPT_OUT = "legitimate_sources-opted_out_documents"
LICENSE = "legitimate_sources-unknown_license_share"
SENSITIVE = "legitimate_sources-sensitive_pii_documents"


@pytest.fixture(scope="module")
def disclosed(tmp_path_factory: pytest.TempPathFactory):
    from provaudit.stages.disclose import run_disclose

    config_path = _sample_config(tmp_path_factory.mktemp("evidence"))
    cfg, run_id, _, _ = _all_stages(config_path)
    result = run_disclose(cfg, run_id)
    return cfg, Path(result.run_dir), result.index


def _csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _failure(page: dict, column: str) -> dict:
    [failure] = [f for f in page["failures"] if f.get("evidence", {}).get("csv", "").endswith(f"-{column}.csv")]
    return failure


def test_opted_out_domain_is_the_finding_and_its_evidence_lists_exactly_the_planted_documents(disclosed) -> None:
    _, run_dir, page = disclosed
    rows = _csv_rows(run_dir / "evidence" / f"{OPT_OUT}.csv")
    planted_ids = PLANTED["opt_out"]["opted_out_documents"]
    assert sorted(r["doc_id"] for r in rows) == sorted(i for ids in planted_ids.values() for i in ids)
    assert {r["source"] for r in rows} == set(planted_ids)
    domains = {r["value"] for r in rows}
    assert len(domains) == 1 and domains <= set(PLANTED["opt_out"]["domains"])
    [domain] = domains
    failure = _failure(page, "opted_out_documents")
    expected = (f"web_crawl: {len(rows)} documents from the opted-out domain {domain}; remove them or the "
                "domain from the source")
    assert failure["findings"] == [expected]
    assert failure["evidence"] == {"csv": f"evidence/{OPT_OUT}.csv", "parquet": f"evidence/{OPT_OUT}.parquet",
                                   "rows": len(rows)}
    assert failure["docs"] == "docs/index.html"
    html = (run_dir / "index.html").read_text(encoding="utf-8")
    assert expected in html
    assert f'href="evidence/{OPT_OUT}.csv"' in html and 'href="docs/index.html"' in html
    for rel in (failure["evidence"]["csv"], failure["evidence"]["parquet"], failure["docs"]):
        assert (run_dir / rel).is_file()


def test_unknown_license_evidence_lists_the_scraped_blogs_documents_with_the_registered_value(disclosed) -> None:
    _, run_dir, page = disclosed
    rows = _csv_rows(run_dir / "evidence" / f"{LICENSE}.csv")
    blogs = {i for i, d in PLANTED["documents"].items() if d["source"] == "scraped_blogs"}
    assert {r["doc_id"] for r in rows} == blogs and len(rows) == len(blogs)
    assert {(r["source"], r["value"]) for r in rows} == {("scraped_blogs", "see website")}
    assert all(r["shard"] and r["location"] for r in rows)
    [finding] = _failure(page, "unknown_license_share")["findings"]
    assert finding.startswith("scraped_blogs: license unknown for 100% of documents")
    assert "the registered license 'see website' is not a recognised license" in finding
    assert "no license key" not in finding


def test_every_failure_has_a_finding_per_failing_subject_and_an_evidence_pair(disclosed) -> None:
    _, run_dir, page = disclosed
    assert len(page["failures"]) >= 4
    for failure in page["failures"]:
        assert [f.split(":", 1)[0] for f in failure["findings"]] == failure["failing"]
        assert all(f != failure["description"] for f in failure["findings"])
        csv_rows = _csv_rows(run_dir / failure["evidence"]["csv"])
        table = pq.read_table(run_dir / failure["evidence"]["parquet"])
        assert table.column_names == list(EVIDENCE_COLUMNS)
        assert [{k: v or "" for k, v in r.items()} for r in table.to_pylist()] == csv_rows
        assert len(csv_rows) == failure["evidence"]["rows"] > 0
        if failure["suite"] == "corpus_assessment":  # corpus-wide: one subject, rows name each document's source
            assert failure["failing"] == ["training data"]
            continue
        key = "batch" if failure["suite"] == "labelling_process" else "source"
        assert {r[key] for r in csv_rows} == set(failure["failing"])


def test_untrained_annotator_evidence_names_the_annotator_and_the_items(disclosed) -> None:
    _, run_dir, page = disclosed
    batch = next(b for b in PLANTED["labelling"]["batches"] if b["untrained_annotators"])
    rows = _csv_rows(run_dir / "evidence" / "labelling_process-trained_share.csv")
    assert {r["batch"] for r in rows} == {batch["batch"]}
    assert {r["value"].split()[1] for r in rows} == set(batch["untrained_annotators"])
    assert len(rows) == round((1 - batch["trained_share"]) * batch["labels"])
    assert all(r["doc_id"] and r["location"].startswith("line:") for r in rows)
    [finding] = _failure(page, "trained_share")["findings"]
    assert finding.startswith(f"{batch['batch']}: ") and "ann-05" in finding and f"{len(rows)} of" in finding


def test_sensitive_personal_information_fails_without_separate_consent(disclosed) -> None:
    _, run_dir, page = disclosed
    sensitive = {doc for doc, counts in PLANTED["pii"].items() if counts["cn_id"] or counts["card"]}
    rows = _csv_rows(run_dir / "evidence" / f"{SENSITIVE}.csv")
    assert {r["doc_id"] for r in rows} == sensitive
    assert all(r["value"].startswith(("cn_id: ", "card: ")) for r in rows)
    failure = _failure(page, "sensitive_pii_documents")
    assert failure["requirement_ids"][0] == "CN-TC-5.2-pi"
    assert sorted(failure["failing"]) == sorted({PLANTED["documents"][d]["source"] for d in sensitive})
    assert all("separate-consent" in f for f in failure["findings"])


def _raw_values(tmp: Path) -> set[str]:
    """Every value the detector finds in the sample's texts, allow list off (the strictest reading)."""
    cfg = load_config(write_yaml(tmp / "raw.yaml", {"registry": str(SAMPLE / "registry.yaml"),
                                                    "output": str(tmp / "out")}))
    by_name = {s.name: s for s in cfg.sources}
    values: set[str] = set()
    for shard in list_shards(cfg):
        spec = by_name[shard.source].reader_spec(shard.format, cfg.scan.max_doc_chars)
        for item in read_shard(shard.path, shard.name, spec):
            if isinstance(item, Document):
                text = normalize_text(item.text)
                values.update(text[h.start:h.end] for h in pii._hits(text, pii.NO_ALLOWLIST))
    return values


def test_no_raw_planted_personal_information_in_any_evidence_file(disclosed, tmp_path: Path) -> None:
    _, run_dir, _ = disclosed
    values = _raw_values(tmp_path)
    assert len(values) >= 10
    files = sorted(p for p in (run_dir / "evidence").iterdir() if p.is_file())
    assert {p.suffix for p in files} == {".csv", ".parquet", ".json"}
    for path in files:
        text = (json.dumps(pq.read_table(path).to_pylist(), ensure_ascii=False) if path.suffix == ".parquet"
                else path.read_text(encoding="utf-8"))
        leaks = [v for v in values if v in text]
        assert leaks == [], path.name
    html = (run_dir / "index.html").read_text(encoding="utf-8")
    assert [v for v in values if v in html] == []


def test_pii_examples_are_masked_located_and_bounded(disclosed, tmp_path: Path) -> None:
    cfg, run_dir, _ = disclosed
    rows = _csv_rows(run_dir / "evidence" / "pii_examples.csv")
    assert list(rows[0]) == ["source", "shard", "location", "doc_id", "kind", "masked_value"]
    assert Counter(r["kind"] for r in rows) == {k: n for k, n in PLANTED["pii_totals"].items() if n}
    assert {r["doc_id"] for r in rows} == set(PLANTED["pii"])
    assert all(r["shard"] and r["location"] and "*" in r["masked_value"] for r in rows)
    # a bound of one example per source and kind
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    bounded = cfg.__class__(**{**cfg.__dict__, "pii": cfg.pii._replace(examples_per_kind=1)})
    validation = json.loads((copy / "validation" / "results.json").read_text(encoding="utf-8"))
    write_evidence(bounded, str(copy), validation)
    few = _csv_rows(copy / "evidence" / "pii_examples.csv")
    per = Counter((r["source"], r["kind"]) for r in few)
    assert set(per.values()) == {1} and set(per) == {(r["source"], r["kind"]) for r in rows}


def test_evidence_is_deterministic_and_rewritten_whole(disclosed, tmp_path: Path) -> None:
    cfg, run_dir, _ = disclosed
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    (copy / "evidence" / "stale.csv").write_text("old\n", encoding="utf-8")
    validation = json.loads((copy / "validation" / "results.json").read_text(encoding="utf-8"))
    paths = write_evidence(cfg, str(copy), validation)
    assert not (copy / "evidence" / "stale.csv").exists()
    for path in map(Path, paths):
        assert path.read_bytes() == (run_dir / "evidence" / path.name).read_bytes(), path.name


def test_slugs_are_unique_and_follow_the_disclosure_ids(disclosed) -> None:
    _, run_dir, _ = disclosed
    verdicts = json.loads((run_dir / "validation" / "results.json").read_text(encoding="utf-8"))["verdicts"]
    pairs = evidence_slugs(verdicts)
    slugs = [s for _, s in pairs]
    assert len(set(slugs)) == len(slugs) == len(verdicts)
    assert ("labelling_process:qa_sample_share#2", "labelling_process-qa_sample_share-2") in pairs


def _registry_without(tmp: Path, name: str, key: str, value: object = None) -> Path:
    """The sample registry with absolute globs, one source's key removed (or set)."""
    reg = yaml.safe_load((SAMPLE / "registry.yaml").read_text(encoding="utf-8"))
    for src in reg["sources"]:
        src["paths"] = [str(SAMPLE / p) for p in src["paths"]]
        if "labelling" in src:
            src["labelling"] = {k: str(SAMPLE / v) for k, v in src["labelling"].items()}
        if src["name"] == name:
            src.pop(key, None)
            if value is not None:
                src[key] = value
    return write_yaml(tmp / "registry.yaml", reg)


def test_a_source_with_no_license_key_warns_at_load_and_is_told_apart(
        disclosed, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, run_dir, _ = disclosed
    registry = _registry_without(tmp_path, "scraped_blogs", "license")
    no_key = load_config(write_yaml(tmp_path / "config.yaml", {
        "registry": str(registry), "output": str(tmp_path / "out"), "opt_out": str(SAMPLE / "opt_out.txt")}))
    err = capsys.readouterr().err
    assert f"{registry}: sources[scraped_blogs].license: no license key" in err
    assert err.count("warning") == 1  # only that source: the others name a license
    # the scan of such a source leaves license_raw empty: the evidence says which case it is
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    for shard in (copy / "ledger" / "scraped_blogs").glob("*.parquet"):
        table = pq.read_table(shard)
        column = table.schema.get_field_index("license_raw")
        table = table.set_column(column, table.schema.field(column), pa.nulls(len(table), pa.string()))
        pq.write_table(table, shard)
    validation = json.loads((copy / "validation" / "results.json").read_text(encoding="utf-8"))
    write_evidence(no_key, str(copy), validation)
    rows = _csv_rows(copy / "evidence" / f"{LICENSE}.csv")
    assert {r["value"] for r in rows} == {NO_LICENSE_KEY}
    evidence = json.loads((copy / "evidence" / "index.json").read_text(encoding="utf-8"))
    page = index_page(load_inputs(no_key, copy), [], evidence)
    [finding] = _failure(page, "unknown_license_share")["findings"]
    assert "no license key in the registry (neither sources[scraped_blogs].license nor license_field)" in finding
    assert "see website" not in finding


def test_an_eval_source_without_license_does_not_warn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    registry = _registry_without(tmp_path, "eval_qa", "license")
    load_config(write_yaml(tmp_path / "config.yaml", {"registry": str(registry), "output": str(tmp_path / "o")}))
    assert "warning" not in capsys.readouterr().err


def test_pii_allow_list_config_extends_the_defaults_and_rejects_bad_entries(tmp_path: Path) -> None:
    base = {"registry": str(SAMPLE / "registry.yaml"), "output": str(tmp_path / "o")}
    cfg = load_config(write_yaml(tmp_path / "a.yaml", {**base, "pii": {"allow": ["press@", "10.9.0.0/16"],
                                                                      "examples_per_kind": 3}}))
    allow = cfg.pii.allowlist()
    assert allow.allows_email("press@example.org") and allow.allows_email("noreply@example.org")
    assert allow.allows_ip("10.9.1.1") and allow.allows_ip("192.0.2.7") and not allow.allows_ip("10.8.1.1")
    assert cfg.pii.examples_per_kind == 3
    assert load_config(write_yaml(tmp_path / "b.yaml", base)).pii.examples_per_kind == 20
    with pytest.raises(ConfigError, match=r"pii\.allow\[1\].*neither an e-mail pattern"):
        load_config(write_yaml(tmp_path / "c.yaml", {**base, "pii": {"allow": ["ok@", "nonsense"]}}))
    with pytest.raises(ConfigError, match="examples_per_kind"):
        load_config(write_yaml(tmp_path / "d.yaml", {**base, "pii": {"examples_per_kind": -1}}))


def test_separate_consent_satisfies_the_sensitive_information_rule(disclosed, tmp_path: Path) -> None:
    import dataclasses

    import pyarrow.compute as pc

    from provaudit.stages.validate import run_validation

    cfg, run_dir, _ = disclosed
    copy = tmp_path / "out" / run_dir.name
    shutil.copytree(run_dir, copy)
    path = copy / "profiles" / "source_profile.parquet"
    table = pq.read_table(path)
    basis = pc.if_else(pc.equal(table["source"], "forum_dump"), "separate-consent", table["consent_basis"])
    pq.write_table(table.set_column(table.schema.get_field_index("consent_basis"), "consent_basis", basis), path)
    result = run_validation(dataclasses.replace(cfg, output=str(tmp_path / "out")), run_dir.name)
    [verdict] = [v for v in result.verdicts if v.column == "sensitive_pii_documents"]
    assert verdict.failing == ["scraped_blogs", "web_crawl"]  # forum_dump now holds separate consent
    [pii_verdict] = [v for v in result.verdicts if v.column == "pii_documents"]
    assert pii_verdict.success  # separate consent is a legal basis for the general rule too
