"""Template conformance of the EU summary, AB 2013 and CN annex, on a real sample run: the EU
summary's figures recomputed from the ledger and its JSON valid against a schema mirroring the
template's sections."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path

import jsonschema
import pyarrow.parquet as pq
import pytest
from conftest import ROOT, SAMPLE, run_stages, write_yaml

from provaudit.core.config import load_config
from provaudit.reports.disclosures import (
    _eu_token_range,
    _top_domains,
    build_eu_training_summary,
    load_inputs,
)

EU_SCHEMA = json.loads((ROOT / "schemas" / "eu_summary.schema.json").read_text(encoding="utf-8"))
CJK = {"Han", "Hiragana", "Katakana", "Hangul"}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("template")
    cfg, run_dir, _, _ = run_stages(write_yaml(tmp / "config.yaml", {
        "registry": str(SAMPLE / "registry.yaml"), "output": str(tmp / "out"),
        "opt_out": str(SAMPLE / "opt_out.txt"),
        "inspection": {"verdicts": [str(SAMPLE / "inspection" / "verdicts.jsonl")]}}))
    inputs = load_inputs(cfg, run_dir)
    ledger = pq.ParquetDataset(sorted(str(p) for p in (Path(run_dir) / "ledger").glob("**/*.parquet"))).read()
    return cfg, inputs, ledger.to_pylist()


def _train(cfg, acquisition: str | None = None) -> set[str]:
    return {s.name for s in cfg.sources if s.role == "train" and acquisition in (None, s.acquisition)}


# --------------------------------------------------------------------------- EU summary


def test_eu_summary_validates_against_the_template_schema(run) -> None:
    _, inputs, _ = run
    doc = build_eu_training_summary(inputs)
    jsonschema.Draft202012Validator(EU_SCHEMA).validate(doc)
    # the schema holds the template's order and its §2.2.1 / §2.2.2 split
    broken = copy.deepcopy(doc)
    broken["sections"] = [s for s in broken["sections"] if s["id"] != "licensed-datasets"]
    assert not jsonschema.Draft202012Validator(EU_SCHEMA).is_valid(broken)
    broken = copy.deepcopy(doc)
    broken["facts"]["general"]["token_range"]["text"] = "1,000 to 1 million"
    assert not jsonschema.Draft202012Validator(EU_SCHEMA).is_valid(broken)


def test_eu_tokens_are_estimated_from_the_ledger_with_the_method_stated(run) -> None:
    cfg, inputs, ledger = run
    doc = build_eu_training_summary(inputs)
    expected = 0
    for name in _train(cfg):
        rows = [r for r in ledger if r["source"] == name]
        cjk = sum(r["chars"] for r in rows if r["script"] in CJK)
        expected += cjk + math.ceil((sum(r["chars"] for r in rows) - cjk) / 4)
    general = doc["facts"]["general"]
    assert general["tokens"] == {"text": expected}
    assert general["token_range"] == {"text": "less than 1 billion tokens"}
    assert "one token per character of documents whose dominant script is Han" in general["token_method"]
    section = next(s for s in doc["sections"] if s["id"] == "general")
    text = " ".join(section["paragraphs"])
    assert f"About {expected:,} tokens: less than 1 billion tokens" in text
    assert "estimated, not counted" in text and "not of the template" in text
    # without the ledger the estimate falls back to the profile's characters / 4, and says so
    bare = build_eu_training_summary(inputs._replace(ledger={}))["facts"]["general"]
    assert bare["tokens"]["text"] == sum(math.ceil(r["characters"] / 4) for r in inputs.source_profile
                                         if r["role"] == "train")
    assert "no per-script split" in bare["token_method"]


def test_eu_token_ranges_are_the_templates() -> None:
    assert _eu_token_range(999_999_999) == "less than 1 billion tokens"
    assert _eu_token_range(1_000_000_000) == "1 billion to 10 trillion tokens"
    assert _eu_token_range(10_000_000_000_000 - 1) == "1 billion to 10 trillion tokens"
    assert _eu_token_range(10_000_000_000_000) == "more than 10 trillion tokens"


def test_eu_top_domains_are_corpus_wide_by_bytes(run) -> None:
    cfg, inputs, ledger = run
    crawled = _train(cfg, "self-collected")
    by_domain: dict[str, int] = {}
    for r in ledger:
        if r["source"] in crawled and r["domain"]:
            by_domain[r["domain"]] = by_domain.get(r["domain"], 0) + r["bytes"]
    ranked = sorted(by_domain.items(), key=lambda kv: (-kv[1], kv[0]))
    facts = build_eu_training_summary(inputs)["facts"]["crawled_data"]
    assert facts["domains"] == len(by_domain) > 0
    top = ranked[:math.ceil(len(ranked) * 0.10)]
    assert [(d["domain"], d["bytes"]) for d in facts["top_domains"]] == top
    assert facts["bytes"] == sum(by_domain.values())
    assert "top 10% of all" in facts["top_domains_rule"] and "template's figure" in facts["top_domains_rule"]
    sme = build_eu_training_summary(inputs._replace(sme=True))["facts"]["crawled_data"]
    assert [d["domain"] for d in sme["top_domains"]] == [d for d, _ in ranked[:math.ceil(len(ranked) * 0.05)]]
    assert "SMEs" in sme["top_domains_rule"]


def test_top_domain_rule_caps_smes_at_1000() -> None:
    domains = {f"d{i:05d}.example": 100_000 - i for i in range(30_000)}
    top, n, _ = _top_domains(domains, sme=True)
    assert n == 30_000 and len(top) == 1_000 and top[0] == ("d00000.example", 100_000)
    assert len(_top_domains(domains, sme=False)[0]) == 3_000
    assert _top_domains({}, sme=False)[0] == []


def test_eu_licensed_split_synthetic_and_update(run) -> None:
    cfg, inputs, _ = run
    doc = build_eu_training_summary(inputs)
    facts = doc["facts"]
    assert facts["licensed_data"]["used"] is True and facts["licensed_data"]["modalities"] == ["text"]
    assert {e["source"] for e in facts["licensed_data"]["sources"]} == _train(cfg, "licensed")
    assert facts["private_datasets"] == []
    ids = [s["id"] for s in doc["sections"]]
    assert ids.index("licensed-datasets") + 1 == ids.index("private-datasets")
    started = inputs.manifest["started"][:10]
    assert facts["update"]["summary_date"] == started
    assert facts["update"]["next_update_due"][:7] > started[:7]
    # a synthetic source gets a field for its generating models
    profile = [dict(r, acquisition="synthetic") if r["source"] == "forum_dump" else r
               for r in inputs.source_profile]
    synthetic = build_eu_training_summary(inputs._replace(source_profile=profile))
    section = next(s for s in synthetic["sections"] if s["id"] == "synthetic-data")
    assert [f["id"] for f in section["human_fields"]] == ["synthetic-generators"]
    hint = section["human_fields"][0]["hint"]
    assert "forum_dump" in hint and "synthetic_passages" not in hint  # the sample's registers its generator
    assert [e["source"] for e in synthetic["facts"]["synthetic_data"]["sources"]] == ["forum_dump", "synthetic_passages"]


def test_disclosure_sme_and_registry_owner_load(tmp_path: Path) -> None:
    from provaudit.core.errors import ConfigError

    base = {"registry": str(SAMPLE / "registry.yaml"), "output": str(tmp_path / "out")}
    assert load_config(write_yaml(tmp_path / "a.yaml", base)).disclosure.sme is False
    cfg = load_config(write_yaml(tmp_path / "b.yaml", {**base, "disclosure": {"sme": True, "provider": "P"}}))
    assert cfg.disclosure.sme is True and cfg.disclosure.provider == "P"
    with pytest.raises(ConfigError, match="sme"):
        load_config(write_yaml(tmp_path / "c.yaml", {**base, "disclosure": {"sme": "yes"}}))
    owners = {s.name: s.owner for s in cfg.sources}
    assert owners["licensed_news"] == "North Sea News Ltd (licensor)" and owners["web_crawl"] is None


# --------------------------------------------------------------------------- AB 2013


def test_ab2013_evaluation_sets_owners_licences_and_exemptions(run) -> None:
    from provaudit.reports.disclosures import REQUIREMENTS, build_ca_ab2013

    cfg, inputs, _ = run
    doc = build_ca_ab2013(inputs)
    items = doc["facts"]["items"]
    sections = {s["id"]: s for s in doc["sections"]}
    evaluation = {s.name for s in cfg.sources if s.role == "eval"}
    assert evaluation == {"eval_qa"}
    # "training" includes testing and validating: the evaluation set is in items 1, 3 and 4, marked
    for rid, sid in (("US-CA-1", "item-1"), ("US-CA-4", "item-4")):
        assert items[rid]["eval_qa"]["role"] == "evaluation data (testing and validating)"
        assert items[rid]["web_crawl"]["role"] == "training"
        row = next(r for r in sections[sid]["table"]["rows"] if r[0] == "eval_qa")
        assert row[1] == "evaluation data (testing and validating)"
    assert items["US-CA-3"]["documents"]["eval_qa"] == next(
        r["documents"] for r in inputs.source_profile if r["source"] == "eval_qa")
    assert "evaluation documents (testing and validating)" in sections["item-3"]["paragraphs"][0]
    assert "eval_qa" not in items["US-CA-6"]  # the other items stay about training data
    # owners from the registry's owner key
    assert items["US-CA-1"]["licensed_news"]["owner"] == "North Sea News Ltd (licensor)"
    assert items["US-CA-1"]["web_crawl"]["owner"] is None
    owners = sections["item-1"]["human_fields"][0]
    assert owners["id"] == "owners" and "web_crawl" in owners["hint"] and "licensed_news" not in owners["hint"]
    # open licences are not contracts
    answers = {r[0]: r[2] for r in sections["item-6"]["table"]["rows"]}
    assert answers["open_books"] == "no: openly licensed under CC BY-SA 4.0"
    assert answers["licensed_news"] == "yes: licensed under a contract"
    assert answers["web_crawl"] == "no"
    # the exemptions statement, its text from the catalogue
    exempt = sections["exemptions"]
    assert [f["id"] for f in exempt["human_fields"]] == ["US-CA-exempt"]
    assert REQUIREMENTS["US-CA-exempt"]["requirement"] in exempt["human_fields"][0]["hint"]
    assert "US-CA-exempt" in doc["facts"]["statement_items"]


# --------------------------------------------------------------------------- CN annex


def test_manual_inspection_follows_the_standards_figures() -> None:
    from provaudit.reports.disclosures import _manual_inspection

    # all 5,000 training documents in sources that were all sampled; 4,000 reviewed
    assert _manual_inspection(4_000, 160, 50_000, [])["status"] == "evidenced"  # exactly 96% qualified
    assert _manual_inspection(4_000, 161, 50_000, [])["status"] == "failed"
    small = _manual_inspection(3_999, 0, 50_000, [])
    assert small["status"] == "not-evidenced" and "smaller than the standard asks" in small["detail"]
    assert _manual_inspection(449, 1, 449, [])["status"] == "evidenced"  # all training data reviewed
    gap = _manual_inspection(5_000, 0, 50_000, ["web_crawl"])
    assert gap["status"] == "not-evidenced" and "web_crawl" in gap["detail"]
    assert gap["figures"]["covers_all_training_data"] is False
    assert "4,000" in small["detail"] and "96%" in small["detail"] and "the standard's figures" in small["detail"]
    assert _manual_inspection(0, 0, 10, [])["status"] == "not-evidenced"


def test_cn_annex_manual_inspection_partly_evidenced_quality_and_foundation_model(run) -> None:
    from provaudit.reports.disclosures import REQUIREMENTS, build_cn_filing_annex
    from provaudit.reports.publication import PublicationMeta, render_public_html
    from provaudit.reports.render import render_html

    _, inputs, _ = run
    doc = build_cn_filing_annex(inputs)
    reqs, figures = doc["facts"]["requirements"], doc["facts"]["inspection"]
    train = [r for r in inputs.source_profile if r["role"] == "train"]
    reviewed = sum(r["inspection_reviewed"] for r in train)
    unsafe = sum(r["inspection_unsafe"] for r in train)
    assert figures["reviewed"] == reviewed and figures["unsafe"] == unsafe
    assert figures["qualified_share"] == round((reviewed - unsafe) / reviewed, 6)
    # the sample's inspection reviewed every training document, so the standard's 4,000 does not apply
    assert reviewed == sum(r["documents"] for r in train) < 4_000
    assert reqs["CN-TC-9.2-manual"]["status"] == "evidenced"
    # decided by the corpus_assessment expectations on the corpus-wide manual sample
    assert "corpus-wide manual sample" in reqs["CN-TC-9.2-manual"]["detail"]
    assert reqs["CN-IM-7.4"]["status"] == "partly-evidenced"
    assert doc["facts"]["counts"]["partly-evidenced"] == 1
    fields = {f["id"]: f for s in doc["sections"] for f in s["human_fields"]}
    assert REQUIREMENTS["CN-IM-7.4"]["requirement"] in fields["CN-IM-7.4-statement"]["hint"]
    assert REQUIREMENTS["CN-IM-7.1"]["requirement"] in fields["foundation-model"]["hint"]
    html = render_html(doc)
    assert '<span class="badge badge-partly-evidenced">Partly evidenced</span>' in html
    public = render_public_html(doc, PublicationMeta(date="2026-11-30"))
    body = re.sub(r"<style>.*?</style>", "", public, flags=re.DOTALL)  # the shared CSS names every badge
    assert "badge-partly-evidenced" not in body and "partly evidenced" not in body.lower()
    assert "CN-IM-7.4" not in body


# --------------------------------------------------------------------------- EU summary: §1.3 languages,
# training continuing, §2.6, thresholds, and the schema check at build time


def test_eu_languages_come_from_the_ledger_with_names(run) -> None:
    from provaudit.reports.languages import language_name

    cfg, inputs, ledger = run
    train = _train(cfg)
    counts: dict[str, int] = {}
    for r in ledger:
        if r["source"] in train:
            counts[r["language"]] = counts.get(r["language"], 0) + 1
    total = sum(counts.values())
    general = build_eu_training_summary(inputs)["facts"]["general"]
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    assert [(e["code"], e["documents"]) for e in general["languages"]] == ranked and len(ranked) >= 8
    assert all(e["name"] == language_name(e["code"]) and e["share_of_documents"] == round(e["documents"] / total, 6)
               for e in general["languages"])
    assert general["languages_method"] == "documents per language the scan detected, counted in the ledger"
    text = " ".join(next(s for s in build_eu_training_summary(inputs)["sections"] if s["id"] == "general")["paragraphs"])
    assert "Languages of the training data, by share of training documents" in text
    for e in general["languages"]:
        assert f"{e['name']}, {e['code']}: " in text
    assert f"{language_name('en')}, en: " in text
    # without the ledger: the source profile's shares
    bare = build_eu_training_summary(inputs._replace(ledger={}))["facts"]["general"]
    assert "source profile's shares" in bare["languages_method"]
    assert {e["code"] for e in bare["languages"]} == set(counts)


def test_eu_training_continuing_comes_from_the_config(run, tmp_path: Path) -> None:
    from provaudit.core.errors import ConfigError
    from provaudit.reports.publication import PublicationMeta, public_document, render_public_html

    _, inputs, _ = run
    meta = PublicationMeta(date="2026-11-30", provider="P", system="S", system_version="1", version="1")
    for value, words in ((True, "The model continues to be trained on new data: Yes."),
                         (False, "The model continues to be trained on new data: No.")):
        doc = build_eu_training_summary(inputs._replace(training_continuing=value))
        assert doc["facts"]["general"]["training_continuing"] is value
        general = next(s for s in doc["sections"] if s["id"] == "general")
        assert words in general["paragraphs"]
        assert words in render_public_html(doc, meta)
        assert not any("training_continuing" in m for m in public_document(doc, meta)["missing"])
    unset = build_eu_training_summary(inputs)
    assert unset["facts"]["general"]["training_continuing"] is None
    general = next(s for s in unset["sections"] if s["id"] == "general")
    assert any("disclosure.training_continuing" in p for p in general["paragraphs"])
    public = public_document(unset, meta)
    assert public["draft"] and any(m.endswith("training_continuing") for m in public["missing"])
    assert "disclosure.training_continuing" not in render_public_html(unset, meta).split("</header>", 1)[1]
    # the config key: a boolean, or a clear error naming the file and the key
    base = {"registry": str(SAMPLE / "registry.yaml"), "output": str(tmp_path / "out")}
    assert load_config(write_yaml(tmp_path / "a.yaml", base)).disclosure.training_continuing is None
    cfg = load_config(write_yaml(tmp_path / "b.yaml", {**base, "disclosure": {"training_continuing": False}}))
    assert cfg.disclosure.training_continuing is False
    with pytest.raises(ConfigError) as err:
        load_config(write_yaml(tmp_path / "c.yaml", {**base, "disclosure": {"training_continuing": "yes"}}))
    assert "c.yaml" in str(err.value) and "disclosure.training_continuing" in str(err.value)


def test_eu_other_sources_section_2_6(run) -> None:
    from provaudit.core.statements import Statement
    from provaudit.reports.publication import PublicationMeta, public_document
    from provaudit.reports.statements import merge_statements

    cfg, inputs, _ = run
    doc = build_eu_training_summary(inputs)
    ids = [s["id"] for s in doc["sections"]]
    assert ids.index("synthetic-data") + 1 == ids.index("other-sources") == ids.index("opt-out") - 1
    section = next(s for s in doc["sections"] if s["id"] == "other-sources")
    assert section["heading"].startswith("2.6 ") and section["table"] is None
    assert [f["id"] for f in section["human_fields"]] == ["other-sources"]
    assert all(f["id"] != "other-sources" for s in doc["sections"] if s["id"] == "other" for f in s["human_fields"])
    other = doc["facts"]["other_sources"]
    assert other["sources"] == []
    train = _train(cfg)
    labelled = [b for b in inputs.labelling_profile if b["source"] in train]
    assert other["human_labels"] == {"items": sum(b["items"] for b in labelled), "batches": len(labelled),
                                     "sources": sorted({b["source"] for b in labelled})} and labelled
    assert f"{other['human_labels']['items']:,} items labelled" in " ".join(section["paragraphs"])
    meta = PublicationMeta(date="2026-11-30")

    def public_section(d: dict) -> dict:
        return next(s for s in public_document(d, meta)["sections"] if s["id"] == "other-sources")

    assert public_section(doc)["answer"] == "Data from other sources used: No"
    # a source outside 2.1-2.5 is listed and answers Yes
    profile = [dict(r, acquisition="donated") if r["source"] == "forum_dump" else r for r in inputs.source_profile]
    donated = build_eu_training_summary(inputs._replace(source_profile=profile))
    assert [e["source"] for e in donated["facts"]["other_sources"]["sources"]] == ["forum_dump"]
    assert public_section(donated)["answer"] == "Data from other sources used: Yes"
    # data outside the registry: the person's statement answers
    merged = merge_statements({"eu_training_summary": doc}, {"eu_training_summary.other-sources": Statement(
        "Yes: 12,000 preference pairs written by contractors for reinforcement learning.", "A. Person",
        "2026-11-30")})["eu_training_summary"]
    stated = public_section(merged)
    assert stated["answer"] is None
    assert stated["statements"][0]["text"].startswith("Yes: 12,000 preference pairs")


def test_eu_thresholds_say_whose_figure_they_are(run) -> None:
    _, inputs, _ = run
    doc = build_eu_training_summary(inputs)
    text = {s["id"]: " ".join(s["paragraphs"]) for s in doc["sections"]}
    assert "the template's three ranges" in text["general"]
    assert "a rule of thumb of provaudit, not of the template" in text["general"]
    assert "(the template's figure)" in text["crawled-data"]
    assert "provaudit's defaults, not the template's" in text["illegal-content"]
    assert "The template asks for an update at least every six months" in text["update"]
    assert "Date of this summary (its last update): " + doc["facts"]["update"]["summary_date"] in text["update"]


def test_eu_summary_is_checked_against_its_schema_at_build_time(run, monkeypatch: pytest.MonkeyPatch) -> None:
    from provaudit.core.errors import ProvauditError
    from provaudit.reports import disclosures
    from provaudit.reports.disclosures import validate_document
    from provaudit.stages.disclose import run_disclose

    cfg, inputs, _ = run
    good = build_eu_training_summary(inputs)
    validate_document(good)
    broken = copy.deepcopy(good)
    broken["sections"] = [s for s in broken["sections"] if s["id"] != "other-sources"]
    disclosures._check(broken, "#/$defs/document", "'eu_training_summary'")  # valid as a disclosure ...
    with pytest.raises(ProvauditError, match=r"eu_summary\.schema\.json"):  # ... but not as the template's
        validate_document(broken)
    # the disclose stage refuses to write a summary that leaves the template
    real = disclosures.BUILDERS["eu_training_summary"]

    def leaves_the_template(i):
        doc = real(i)
        del doc["facts"]["general"]["languages"]
        return doc

    monkeypatch.setitem(disclosures.BUILDERS, "eu_training_summary", leaves_the_template)
    with pytest.raises(ProvauditError, match=r"/facts/general: 'languages' is a required property"):
        run_disclose(cfg, inputs.run_id)


# --------------------------------------------------------------------------- CN annex: GB/T 45652 and labelling


def test_cn_annex_has_the_training_data_security_and_labelling_rows(run) -> None:
    import dataclasses

    from provaudit.reports.cn_annex import annex_in
    from provaudit.reports.disclosures import REQUIREMENTS, build_cn_filing_annex
    from provaudit.reports.publication import PublicationMeta, render_public_html

    cfg, inputs, ledger = run
    doc = build_cn_filing_annex(inputs)
    reqs = doc["facts"]["requirements"]
    section = next(s for s in doc["sections"] if s["id"] == "standards")
    ids = ["CN-DS-6.1a", "CN-DS-6.2a", "CN-DS-7.1b", "CN-LB-5-detect"]
    assert [r[0] for r in section["table"]["rows"]] == ids
    assert [r[1] for r in section["table"]["rows"]] == [REQUIREMENTS[i]["requirement"] for i in ids]
    # every crawled document of the sample has its URL, every obtained source its owner and evidence
    for name in _train(cfg, "self-collected"):
        assert all(r["url"] for r in ledger if r["source"] == name)
    assert reqs["CN-DS-6.1a"]["status"] == "evidenced" and doc["facts"]["source_records"]["web_crawl"]["missing"] == []
    assert reqs["CN-DS-6.2a"]["status"] == "evidenced"
    # synthetic_passages names its generator and collection date: the CN-DS-7.1b expectations pass
    assert reqs["CN-DS-7.1b"]["status"] == "evidenced" and "generator" in reqs["CN-DS-7.1b"]["detail"]
    # the scan reads AIGC labels of every document: the sample's synthetic_passages and forum_dump carry some
    lb5 = reqs["CN-LB-5-detect"]
    assert lb5["status"] == "evidenced" and "synthetic_passages" in lb5["detail"] and "forum_dump" in lb5["detail"]
    assert section["human_fields"] == []  # the labelling rules put no duty on training data
    # a missing owner and crawled documents without a URL fail the source record, naming both
    sources = tuple(dataclasses.replace(s, owner=None) if s.name == "licensed_news" else s for s in inputs.sources)
    ledger_facts = dict(inputs.ledger, documents_with_url={**inputs.ledger["documents_with_url"], "web_crawl": 3})
    documents = next(r["documents"] for r in inputs.source_profile if r["source"] == "web_crawl")
    gaps = build_cn_filing_annex(inputs._replace(sources=sources, ledger=ledger_facts))["facts"]
    assert gaps["requirements"]["CN-DS-6.1a"]["status"] == "failed"
    detail = gaps["requirements"]["CN-DS-6.1a"]["detail"]
    assert "licensed_news: owner (organisation)" in detail
    assert f"web_crawl: a URL on {documents - 3} of {documents} documents (ledger)" in detail
    assert gaps["source_records"]["licensed_news"]["missing"] == ["owner (organisation)"]
    # a synthetic source without a generator record asks for the evidence
    # (decided by the registry's figures: the run's validation results are left out here)
    profile = [dict(r, acquisition="synthetic") if r["source"] == "forum_dump" else r for r in inputs.source_profile]
    unvalidated = {**inputs.validation, "verdicts": [v for v in inputs.validation["verdicts"]
                                                     if "CN-DS-7.1b" not in v.get("requirement_ids", [])]}
    synthetic = build_cn_filing_annex(inputs._replace(source_profile=profile, validation=unvalidated))
    assert synthetic["facts"]["requirements"]["CN-DS-7.1b"]["status"] == "failed", synthetic["facts"]["requirements"]["CN-DS-7.1b"]
    assert "forum_dump (generator)" in synthetic["facts"]["requirements"]["CN-DS-7.1b"]["detail"]
    # a registry gap, not a statement: no field asks a person for it
    fields = [f["id"] for s in synthetic["sections"] for f in s["human_fields"]]
    assert not any(f.startswith("CN-DS-7.1b") for f in fields)
    # the publication copy names the clauses, not provaudit's ids; the Chinese annex takes the rows too
    public = render_public_html(doc, PublicationMeta(date="2026-11-30"))
    assert "GB/T 45652 6.1 a)" in public and "Labelling Measures Art. 5" in public and "CN-DS-" not in public
    zh = annex_in(doc, "zh-CN")
    assert {"CN-DS-6.1a", "CN-LB-5-detect"} <= {r[2] for s in zh["sections"] if s["id"] == "other"
                                                for r in s["table"]["rows"]}
