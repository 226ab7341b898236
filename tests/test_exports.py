"""Croissant (with RAI fields) and SPDX 3.0 exports built from a real sample run: figures
come from the profiles and manifest, checksums match, references resolve, output is
deterministic and carries no personal-information values."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from pathlib import Path

import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE, write_yaml

from provaudit.reports import exports
from provaudit.core.config import load_config
from provaudit.stages.overlap import run_overlap
from provaudit.stages.profile import run_profile
from provaudit.stages.scan import run_scan

PLANTED = json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8"))
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("exports")
    config = write_yaml(tmp / "config.yaml", {
        "registry": str(SAMPLE / "registry.yaml"), "output": str(tmp / "out"),
        "opt_out": str(SAMPLE / "opt_out.txt"),
        "inspection": {"verdicts": [str(SAMPLE / "inspection" / "verdicts.jsonl")]}})
    cfg = load_config(config)
    quiet = {"report": lambda line: None}
    run_dir = Path(run_scan(cfg, **quiet).run_dir)
    run_id = run_dir.name
    run_overlap(cfg, run_id, **quiet)
    run_profile(cfg, run_id, **quiet)
    ledger = pads.dataset(str(run_dir / "ledger"), format="parquet").to_table(
        columns=["source", "license_spdx"]).to_pylist()
    return {
        "run_id": run_id,
        "run_dir": run_dir,
        "sources": cfg.sources,
        "profile": pq.read_table(run_dir / "profiles" / "source_profile.parquet").to_pylist(),
        "labelling": pq.read_table(run_dir / "profiles" / "labelling_profile.parquet").to_pylist(),
        "manifest": json.loads((run_dir / "manifest.json").read_text(encoding="utf-8")),
        "document_licenses": exports.license_counts(ledger),
    }


def _croissant(run: dict, **kw) -> dict:
    return exports.croissant(run["run_id"], run["sources"], run["profile"], run["manifest"],
                             run["labelling"], document_licenses=run["document_licenses"], **kw)


def _spdx(run: dict, **kw) -> dict:
    return exports.spdx_dataset(run["run_id"], run["sources"], run["profile"], run["manifest"],
                                document_licenses=run["document_licenses"], **kw)


def _train(run: dict) -> list[dict]:
    return [r for r in run["profile"] if r["role"] == "train"]


def test_croissant_file_objects_match_the_manifest(run) -> None:
    doc = _croissant(run)
    assert doc["conformsTo"] == exports.CROISSANT_CONFORMS_TO
    assert doc["@context"]["rai"] == "http://mlcommons.org/croissant/RAI/"
    objects = {o["contentUrl"]: o for o in doc["distribution"] if o["@type"] == "cr:FileObject"}
    train = {r["source"] for r in _train(run)}
    expected = {s["path"]: s for s in run["manifest"]["shards"] if s["source"] in train}
    assert set(objects) == set(expected) and expected
    for path, shard in expected.items():
        assert objects[path]["sha256"] == shard["sha256"]
        assert objects[path]["contentSize"] == f"{shard['size']} B"
        assert objects[path]["encodingFormat"] == exports.ENCODING_FORMATS[shard["format"]]
    assert {o["encodingFormat"] for o in objects.values()} == {
        "application/jsonlines", "application/x-parquet", "text/plain", "application/warc"}
    # eval sources are not training data unless asked for
    with_eval = _croissant(run, include_eval=True)
    assert sum(o["@type"] == "cr:FileObject" for o in with_eval["distribution"]) == len(run["manifest"]["shards"])


def test_croissant_rai_fields_come_from_the_data(run) -> None:
    doc = _croissant(run)
    rows = _train(run)
    for field in ("rai:dataCollection", "rai:dataCollectionType", "rai:dataCollectionTimeFrame",
                  "rai:dataPreprocessingProtocol", "rai:dataAnnotationProtocol", "rai:annotationsPerItem",
                  "rai:annotatorDemographics", "rai:personalSensitiveInformation", "rai:dataLimitations",
                  "rai:dataBiases", "rai:dataUseCases", "rai:dataSocialImpact"):
        assert doc[field], field
    assert doc["rai:dataUseCases"] == [exports.HUMAN_FIELD]
    assert doc["rai:dataSocialImpact"] == exports.HUMAN_FIELD
    # licences: declared source licences plus every document licence found
    expected_licenses = {x for r in rows for x in run["document_licenses"].get(r["source"], {})}
    assert set(doc["license"]) == expected_licenses and doc["license"] == sorted(doc["license"])
    # preprocessing: read / ledger / quarantine totals and reasons equal the manifest's
    read = sum(r["documents_read"] for r in rows)
    ledger = sum(r["documents"] for r in rows)
    quarantined = sum(r["quarantined"] for r in rows)
    assert read == ledger + quarantined
    head = doc["rai:dataPreprocessingProtocol"][0]
    assert f"{read} documents read, {ledger} recorded" in head and f"{quarantined} quarantined" in head
    reasons = Counter()
    for r in rows:
        reasons.update(run["manifest"]["sources"][r["source"]]["quarantined_by_reason"] or {})
    for reason, n in reasons.items():
        assert f"{reason}: {n}" in doc["rai:dataPreprocessingProtocol"][1]
    web = next(r for r in rows if r["source"] == "web_crawl")
    line = next(x for x in doc["rai:dataPreprocessingProtocol"] if x.startswith("web_crawl:"))
    assert f"exact duplicate rate {100 * web['exact_duplicate_rate']:.2f}%" in line
    assert f"{web['opted_out_documents']} documents from opted-out domains" in line
    # personal information: totals by kind equal the profile sums, consent bases listed
    pii = doc["rai:personalSensitiveInformation"]
    for kind in exports.PII_KINDS:
        assert f"{kind}: {sum(r[f'pii_{kind}_documents'] for r in rows)}" in pii[0]
    assert pii[0].startswith(f"{sum(r['pii_documents'] for r in rows)} documents")
    for r in rows:
        assert any(x.startswith(f"{r['source']}: consent basis '{r['consent_basis']}'") for x in pii)
    # annotation: one protocol entry per labelling batch, labels per item from the profile
    batches = run["labelling"]
    assert len(doc["rai:dataAnnotationProtocol"]) == len(batches)
    items, labels = sum(b["items"] for b in batches), sum(b["labels"] for b in batches)
    assert doc["rai:annotationsPerItem"].startswith(f"{labels / items:.2f} labels per item")
    # biases: language shares from the manifest counts of training sources
    langs = Counter()
    for r in rows:
        langs.update(run["manifest"]["sources"][r["source"]]["languages"])
    total = sum(langs.values())
    assert total == ledger
    for lang, n in langs.items():
        assert f"{lang}: {100 * n / total:.2f}% ({n})" in doc["rai:dataBiases"][0]
    # timeframe spans the declared collection dates
    assert doc["rai:dataCollectionTimeFrame"] == [min(r["collected_from"] for r in rows),
                                                  max(r["collected_to"] for r in rows)]
    # no labelling data: no annotation fields
    bare = exports.croissant(run["run_id"], run["sources"], run["profile"], run["manifest"], [])
    assert "rai:dataAnnotationProtocol" not in bare


def test_croissant_validates_with_mlcroissant(run) -> None:
    doc = _croissant(run)
    issues = exports.validate_croissant(doc)
    if issues is None:
        pytest.skip("mlcroissant is not installed (optional; validation skipped)")
    assert not [i for i in issues if i.startswith("error:")], issues
    # the RAI property names are mlcroissant's vocabulary: the fields are read back
    import mlcroissant as mlc
    path = run["run_dir"] / "croissant-test.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    try:
        metadata = mlc.Metadata.from_file(ctx=mlc.Context(), file=str(path))
    finally:
        path.unlink()
    assert metadata.data_collection == doc["rai:dataCollection"]
    assert sorted(metadata.data_preprocessing_protocol) == sorted(doc["rai:dataPreprocessingProtocol"])
    assert sorted(metadata.personal_sensitive_information) == sorted(doc["rai:personalSensitiveInformation"])
    assert sorted(metadata.data_biases) == sorted(doc["rai:dataBiases"])
    assert metadata.annotations_per_item == doc["rai:annotationsPerItem"]
    assert len(metadata.data_collection_timeframe) == 2
    assert [r.name for r in metadata.record_sets] == ["ledger"]
    # a broken document is reported, not accepted
    broken = copy.deepcopy(doc)
    broken["recordSet"][0]["field"][0]["source"]["fileSet"]["@id"] = "no-such-file-set"
    assert any(i.startswith("error:") for i in exports.validate_croissant(broken))


def test_spdx_document_structure_and_figures(run) -> None:
    doc = _spdx(run)
    assert exports.check_spdx(doc) == []
    graph = doc["@graph"]
    by_id = {n["spdxId"]: n for n in graph if "spdxId" in n}
    info = next(n for n in graph if n["type"] == "CreationInfo")
    assert info["specVersion"] == "3.0.1"
    ended = run["manifest"]["ended"].replace("+00:00", "Z")
    assert info["created"] == ended
    assert by_id[info["createdUsing"][0]]["type"] == "Tool"
    packages = {n["name"]: n for n in graph if n["type"] == "dataset_DatasetPackage"}
    rows = {r["source"]: r for r in _train(run)}
    assert set(packages) == set(rows) | {"provaudit corpus"}
    for name, row in rows.items():
        pkg = packages[name]
        assert pkg["spdxId"] == f"urn:provaudit:{run['run_id']}:dataset:source:{name}"
        assert pkg["dataset_datasetType"] == ["text"]
        size = sum(s["size"] for s in run["manifest"]["shards"] if s["source"] == name)
        assert pkg["dataset_datasetSize"] == size
        assert pkg["dataset_hasSensitivePersonalInformation"] == ("yes" if row["pii_documents"] else "no")
        assert pkg["builtTime"] == f"{row['collected_to']}T00:00:00Z"
        assert row["acquisition"] in pkg["dataset_dataCollectionProcess"]
        assert pkg["dataset_knownBias"][0].startswith("Language shares: ")
    corpus = packages["provaudit corpus"]
    assert corpus["dataset_datasetSize"] == sum(packages[n]["dataset_datasetSize"] for n in rows)
    rels = [n for n in graph if n["type"] == "Relationship"]
    contains = [r for r in rels if r["relationshipType"] == "contains"]
    assert len(contains) == 1 and contains[0]["from"] == corpus["spdxId"]
    assert contains[0]["to"] == sorted(packages[n]["spdxId"] for n in rows)

    def concluded(pkg: dict) -> str:
        rel = next(r for r in rels if r["relationshipType"] == "hasConcludedLicense" and r["from"] == pkg["spdxId"])
        target = rel["to"][0]
        return "NOASSERTION" if target == exports.NO_ASSERTION_LICENSE else \
            by_id[target]["simpleLicensing_licenseExpression"]

    assert concluded(packages["open_books"]) == "CC-BY-SA-4.0"
    assert concluded(packages["licensed_news"]) == "LicenseRef-proprietary"
    assert concluded(packages["scraped_blogs"]) == "NOASSERTION"  # no licence recorded
    assert concluded(packages["web_crawl"]) == "NOASSERTION"  # some document licences unknown
    assert concluded(corpus) == "NOASSERTION"
    declared = next(r for r in rels if r["relationshipType"] == "hasDeclaredLicense"
                    and r["from"] == packages["web_crawl"]["spdxId"])
    assert sorted(by_id[t]["simpleLicensing_licenseExpression"] for t in declared["to"]) == \
        sorted(run["document_licenses"]["web_crawl"])


def test_check_spdx_finds_dangling_references(run) -> None:
    doc = _spdx(run)
    rel = next(n for n in doc["@graph"] if n["type"] == "Relationship")
    rel["to"] = ["urn:provaudit:nowhere"]
    assert any("urn:provaudit:nowhere" in p for p in exports.check_spdx(doc))


def test_exports_are_deterministic(run) -> None:
    first = (_croissant(run), _spdx(run))
    shuffled = dict(run, profile=list(reversed(run["profile"])), labelling=list(reversed(run["labelling"])),
                    manifest=dict(run["manifest"], shards=list(reversed(run["manifest"]["shards"]))),
                    sources=tuple(reversed(run["sources"])))
    second = (_croissant(shuffled), _spdx(shuffled))
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_exports_hold_no_personal_information(run) -> None:
    text = json.dumps([_croissant(run, include_eval=True), _spdx(run, include_eval=True)], ensure_ascii=False)
    # gather the e-mail addresses in the documents the sample planted personal information in
    planted = set(PLANTED["pii"])
    addresses = set()
    for path in sorted(SAMPLE.rglob("*")):
        if path.suffix in {".jsonl", ".txt"} and path.is_file():
            content = path.read_text(encoding="utf-8", errors="replace")
            if any(key.split("#")[0] in str(path) or key in content for key in planted):
                addresses.update(EMAIL.findall(content))
    assert addresses, "the sample should hold planted e-mail addresses"
    assert not [a for a in addresses if a in text]
    assert not EMAIL.findall(text)
