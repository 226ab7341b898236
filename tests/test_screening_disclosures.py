"""The disclosures' content-screening, 9.2 corpus-assessment and AI-generated-content parts (issue 15,
item 5), built from source-profile rows, a libraries.json document and an assessment row made here:
English and zh-CN sections, "not measured" for a run without them, the CN annex rows, EU §2.5 and
AB 2013 item 12, the index line, escaping of hostile registry values and the publication copy."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from provaudit.reports import screening
from test_datadocs import browser  # noqa: F401  (the headless Chromium fixture)
from provaudit.reports.cn_annex import annex_in
from provaudit.reports.disclosures import DisclosureInputs, build_all, index_page
from provaudit.reports.localised import index_in, localise
from provaudit.reports.publication import PublicationMeta, public_document, render_public_html
from provaudit.reports.render import render_html, render_index, render_markdown

ROOT = Path(__file__).resolve().parents[1]
FIELDS = json.loads((ROOT / "schemas" / "source_profile.schema.json").read_text("utf-8"))["fields"]
HOSTILE = "<script>alert('x')</script>"
HOSTILE_GEN = "gen<img src=x onerror=alert(1)>&v2"


def _row(name: str, role: str, acquisition: str, documents: int, **over) -> dict:
    """A source-profile row with every column of the schema: zero, empty or null unless given."""
    row = {}
    for f in FIELDS:
        kind = f["type"]
        row[f["name"]] = (None if f.get("nullable") else "") if kind == "string" else \
            (False if kind == "bool" else 0.0 if kind.startswith("float") else None if f.get("nullable") else 0)
    row.update(source=name, role=role, acquisition=acquisition, documents=documents, characters=documents * 100,
               documents_read=documents, share_of_corpus=0.0, consent_basis="none")
    row.update(over)
    return row


SCREEN_WEB = {
    "screened_documents": 1000, "screening_coverage": 1.0, "keyword_hit_documents": 12, "keyword_hit_share": 0.012,
    "keyword_hits_by_risk": json.dumps({"A.1-1": 5, "A.1-3": 4, "A.2-1": 3}), "classifier_flagged_documents": 7,
    "blocked_documents": 0, "flagged_documents": 15, "auto_sampled": 100, "auto_qualified": 99,
    "aigc_documents": 4, "aigc_share": 0.004, "aigc_labels": json.dumps({"1": 3, "explicit": 1}),
    "aigc_producers": "{}", "generated_share": 0.004}
SCREEN_SYN = {
    "screened_documents": 200, "screening_coverage": 1.0, "keyword_hit_documents": 0, "keyword_hit_share": 0.0,
    "keyword_hits_by_risk": "{}", "classifier_flagged_documents": 0, "blocked_documents": 2, "flagged_documents": 0,
    "aigc_documents": 150, "aigc_share": 0.75, "aigc_labels": json.dumps({"1": 150}), "aigc_producers": "{}",
    "generated_share": 1.0}
LIBRARIES = {"libraries": [{"name": "core-terms", "file": "core.txt", "sha256": "a" * 64, "updated": "2026-05-01",
                            "terms": 12000, "terms_by_risk": {"A.1-1": 300, "A.1-3": 150, "A.2-1": 120},
                            "skipped_lines": 0},
                           {"name": "fresh", "file": "fresh.txt", "sha256": "b" * 64, "updated": "2026-05-08",
                            "terms": 50, "terms_by_risk": {"A.3-1": 50}, "skipped_lines": 1}],
             "classifiers": [{"name": "charstats", "callable": "provaudit.core.classifiers:charstats",
                              "risks": ["A.5-1"], "threshold": 0.5}],
             "coverage": {"terms": 12050, "terms_by_risk": {}, "risks_with_terms": ["A.1-1", "A.1-3", "A.2-1", "A.3-1"],
                          "short": {"A.1-3": 150, "A.1-2": 0}, "classifier_risks": ["A.5-1"],
                          "classifier_missing": ["A.1-1", "A.1-2"]}}
ASSESSMENT = {"training_documents": 1200, "screened_documents": 1200, "screening_coverage": 1.0,
              "auto_sample_size": 120, "auto_sample_share": 0.1, "auto_qualified": 119,
              "auto_qualified_share": 0.991667, "auto_lower95": 0.954, "auto_upper95": 0.9998,
              "manual_sampled": 4000, "manual_reviewed": 4000, "manual_qualified": 3800,
              "manual_qualified_share": 0.95, "manual_lower95": 0.943, "manual_upper95": 0.957,
              "blocked_documents": 2, "library_terms": 12050, "library_short_risks": 2, "library_max_age_days": 9,
              "classifier_missing_risks": 2}
VERDICTS = [
    {"suite": "corpus_assessment", "column": "auto_qualified_share", "description": "9.2 automatic",
     "requirement_ids": ["CN-TC-9.2-auto"], "severity": "critical", "success": True, "failing": []},
    {"suite": "corpus_assessment", "column": "manual_qualified_share", "description": "9.2 manual",
     "requirement_ids": ["CN-TC-9.2-manual"], "severity": "critical", "success": False, "failing": ["corpus"]},
]


def _source(name: str, role: str = "train", generator: str | None = None, **kw) -> SimpleNamespace:
    return SimpleNamespace(name=name, role=role, description=f"{name} origin", owner="Org", evidence="ref",
                           labelling=None, url_field="url", format="jsonl", generator=generator,
                           collected=kw.get("collected"))


def _inputs(screened: bool = True, web: str = "web", generator: str | None = HOSTILE_GEN) -> DisclosureInputs:
    rows = [_row(web, "train", "self-collected", 1000, share_of_corpus=0.833333, **(SCREEN_WEB if screened else {})),
            _row("synth", "train", "synthetic", 200, share_of_corpus=0.166667, collected_from="2026-04-01",
                 generator=generator, **(SCREEN_SYN if screened else {}))]
    if not screened:  # a run before screening: no screening or AIGC columns at all
        new = set(SCREEN_WEB) | {"generator", "auto_sampled", "auto_qualified"}
        rows = [{k: v for k, v in r.items() if k not in new} for r in rows]
    return DisclosureInputs(
        run_id="run-1", manifest={"run_id": "run-1", "started": "2026-05-10T08:00:00",
                                  "totals": {"ledger": 1200, "documents_read": 1200, "quarantined": 0, "shards": 2}},
        sources=(_source(web), _source("synth", generator=generator, collected="2026-04-01")),
        source_profile=rows, labelling_profile=[], guidelines=[],
        overlap={"summary": {}, "matrix": {"sources": [], "matrix": {}}, "rates": {}, "contamination": {}},
        validation={"verdicts": VERDICTS if screened else [], "parameters": {"max_unsafe_upper95": 0.05}},
        screening=LIBRARIES if screened else {}, assessment=ASSESSMENT if screened else {})


@pytest.fixture(scope="module")
def docs():
    return build_all(_inputs())


def _section(doc: dict, sid: str) -> dict:
    return next(s for s in doc["sections"] if s["id"] == sid)


def _text(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_english_sections_show_libraries_sources_and_the_assessment(docs) -> None:
    doc = docs["legitimate_sources"]
    libs = _section(doc, "screening-libraries")
    rows = {r[0]: dict(zip(libs["table"]["columns"], r)) for r in libs["table"]["rows"]}
    assert rows["core-terms"]["age (days)"] == 9 and rows["core-terms"]["older than the limit"] == "yes"
    assert rows["fresh"]["age (days)"] == 2 and rows["fresh"]["older than the limit"] == "no"
    assert rows["core-terms"]["terms by risk class"] == "A.1: 450, A.2: 120"
    text = " ".join(libs["paragraphs"])
    assert "12,050 terms" in text and "older than 7 days" in text and "2026-05-10" in text
    assert "A.1-2 (0), A.1-3 (150)" in text and "charstats (A.5-1)" in text
    assert "not met" in text and "CN-TC-8.1" in text and "2 of the 31 risk codes" in text
    src = _section(doc, "screening")
    per = {r[0]: dict(zip(src["table"]["columns"], r)) for r in src["table"]["rows"]}
    assert per["web"]["keyword hit documents"] == 12 and per["web"]["keyword hit share"] == 0.012
    assert per["web"]["keyword hits by risk class"] == "A.1: 9 (0.9%), A.2: 3 (0.3%)"
    assert per["web"]["classifier-flagged documents"] == 7 and per["synth"]["blocked documents"] == 2
    assert "A.1 Content violating the core socialist values" in src["paragraphs"][0]
    assert [r["id"] for r in src["requirements"]] == ["CN-TC-5.2a", "CN-TC-5.1d"]
    a = _section(doc, "corpus-assessment")
    auto, manual = (dict(zip(a["table"]["columns"], r)) for r in a["table"]["rows"])
    assert (auto["requirement id"], auto["sample"], auto["sample share"], auto["qualified share"]) == \
        ("CN-TC-9.2-auto", 120, 0.1, 0.991667)
    assert auto["status"] == "passed" and manual["status"] == "failed"
    assert manual["sample"] == 4000 and manual["qualified share lower bound (95%)"] == 0.943
    assert "95% interval 95.4%–100%" in a["paragraphs"][0] and "against the standard's 98%" in a["paragraphs"][0]
    assert "against the standard's 96%" in a["paragraphs"][1]
    reqs = {r["id"]: r["status"] for r in a["requirements"]}
    assert reqs == {"CN-TC-9.2-auto": "evidenced", "CN-TC-9.2-manual": "failed"}
    assert doc["facts"]["screening"]["requirements"]["CN-TC-9.2-manual"]["expectations"] == \
        ["corpus_assessment:manual_qualified_share"]


def test_zh_cn_sections_come_from_the_same_keys(docs) -> None:
    params = {"max_unsafe_upper95": 0.05}
    en = localise(docs["legitimate_sources"], "en", params)
    for sid in screening.SECTION_IDS:
        assert _section(en, sid) == _section(docs["legitimate_sources"], sid)
    zh = localise(docs["legitimate_sources"], "zh-CN", params)
    libs, src, a = (_section(zh, sid) for sid in screening.SECTION_IDS)
    assert libs["heading"] == "内容过滤：关键词库与分类模型" and "词库" in libs["table"]["columns"]
    web = next(r for r in src["table"]["rows"] if r[0] == "web")
    assert src["table"]["columns"][6] == "关键词命中率" and web[6] == "1.2%" and web[4] == "100.0%"
    assert "A.1 违反社会主义核心价值观的内容" in src["paragraphs"][0]
    assert [r[-1] for r in a["table"]["rows"]] == ["通过", "未通过"]
    assert "第9.2条" in a["requirements"][0]["detail"]


def test_a_run_without_screening_says_not_measured() -> None:
    docs = build_all(_inputs(screened=False))
    doc = docs["legitimate_sources"]
    for sid in screening.SECTION_IDS:
        s = _section(doc, sid)
        assert s["paragraphs"] == [screening.t("screen.not_measured", "en")] and s["table"] is None
    zh = localise(doc, "zh-CN", {})
    assert all(_section(zh, sid)["paragraphs"] == ["本次运行未测量（未配置内容过滤，或本次运行早于该功能）。"]
               for sid in screening.SECTION_IDS)
    reqs = docs["cn_filing_annex"]["facts"]["requirements"]
    assert {rid: reqs[rid]["status"] for rid in ("CN-TC-5.2a", "CN-TC-5.1d", "CN-TC-9.2-auto", "CN-LB-5-detect")} \
        == dict.fromkeys(("CN-TC-5.2a", "CN-TC-5.1d", "CN-TC-9.2-auto", "CN-LB-5-detect"), "not-evidenced")
    assert "not measured in this run" in " ".join(_section(docs["eu_training_summary"], "synthetic-data")["paragraphs"])
    page = index_page(_inputs(screened=False), [])
    assert page["screening"]["summary"] == "Content screening and AI-generated labels: not measured in this run."


def test_load_reads_the_run_files_and_older_runs_have_none(tmp_path: Path) -> None:
    assert screening.load(tmp_path) == ({}, {})
    (tmp_path / "screening").mkdir()
    (tmp_path / "screening" / "libraries.json").write_text(json.dumps(LIBRARIES), "utf-8")
    (tmp_path / "profiles").mkdir()
    pq.write_table(pa.Table.from_pylist([ASSESSMENT]), tmp_path / "profiles" / "corpus_assessment.parquet")
    libraries, assessment = screening.load(tmp_path)
    assert libraries == LIBRARIES and assessment["auto_sample_size"] == 120
    (tmp_path / "screening" / "libraries.json").write_text("{", "utf-8")
    with pytest.raises(Exception, match=r"libraries\.json: not valid JSON"):
        screening.load(tmp_path)


def test_cn_annex_rows_are_decided_from_the_figures(docs) -> None:
    reqs = docs["cn_filing_annex"]["facts"]["requirements"]
    status = {rid: reqs[rid]["status"] for rid in screening.ANNEX_IDS}
    assert status == {"CN-TC-5.2a": "evidenced", "CN-TC-5.1d": "failed", "CN-TC-8.1": "failed",
                      "CN-TC-9.2-auto": "evidenced", "CN-TC-9.2-manual": "failed", "CN-LB-5-detect": "evidenced",
                      "CN-DS-7.1b": "evidenced"}
    assert "1,200 of 1,200 training documents screened (100%)" in reqs["CN-TC-5.2a"]["detail"]
    assert "2 training documents from the blocked" in reqs["CN-TC-5.1d"]["detail"]
    assert "154 of 1,200 training documents carry an AI-generated label (12.8%)" in reqs["CN-LB-5-detect"]["detail"]
    assert reqs["CN-TC-9.2-auto"]["expectations"] == ["corpus_assessment:auto_qualified_share"]
    zh = annex_in(docs["cn_filing_annex"], "zh-CN")
    rows = {r[2]: r for s in zh["sections"] if s["table"] for r in s["table"]["rows"] if len(r) == 5}
    assert rows["CN-TC-5.2a"][3] == "符合" and "已过滤1,200条（100%）" in rows["CN-TC-5.2a"][4]
    assert rows["CN-TC-5.1d"][3] == "不符合" and "2条" in rows["CN-TC-5.1d"][4]
    assert rows["CN-TC-8.1"][3].startswith("不符合") and "12,050个关键词" in rows["CN-TC-8.1"][4]
    assert rows["CN-LB-5-detect"][3] == "符合" and "154条" in rows["CN-LB-5-detect"][4]
    assert "不符合" not in zh["verdict"]["summary"] or "CN-TC-8.1" not in zh["verdict"]["summary"]


def test_a_synthetic_source_without_generator_fails_its_record() -> None:
    docs = build_all(_inputs(generator=None))
    reqs = docs["cn_filing_annex"]["facts"]["requirements"]
    assert reqs["CN-DS-7.1b"]["status"] == "failed" and "synth (generator)" in reqs["CN-DS-7.1b"]["detail"]
    eu = docs["eu_training_summary"]
    assert eu["facts"]["synthetic_data"]["generator_models"] == "statement"
    assert [f["id"] for f in _section(eu, "synthetic-data")["human_fields"]] == ["synthetic-generators"]


def test_eu_summary_2_5_and_ab2013_item_12_show_generators_and_generated_share(docs) -> None:
    eu = docs["eu_training_summary"]
    s = _section(eu, "synthetic-data")
    assert s["heading"].startswith("2.5 ") and s["human_fields"] == []
    assert f"synth: {HOSTILE_GEN}" in s["paragraphs"][0]
    assert "154 of 1,200 training documents (12.8%): synth: 150 of 200 (75%; label 1: 150); " \
           "web: 4 of 1,000 (0.4%; label 1: 3, label explicit: 1)." in s["paragraphs"][1]
    assert "Declared synthetic or labelled as generated: 204 documents (17% of the training documents)" in \
        s["paragraphs"][1]
    row = dict(zip(s["table"]["columns"], s["table"]["rows"][0]))
    assert row["generator"] == HOSTILE_GEN and row["AI-generated label documents"] == 150
    syn = eu["facts"]["synthetic_data"]
    assert syn["generator_models"] == "registry" and syn["generators"] == {"synth": HOSTILE_GEN}
    assert syn["aigc"]["generated_share"] == 0.17
    ca = docs["ca_ab2013"]
    item = _section(ca, "item-12")
    assert item["paragraphs"][0] == f"Synthetic data generation was used: sources registered as synthetic " \
                                    f"(generator): synth ({HOSTILE_GEN})."
    rows = {r[0]: dict(zip(item["table"]["columns"], r)) for r in item["table"]["rows"]}
    assert rows["synth"]["generated share"] == 1.0 and rows["web"]["AI-generated label share"] == 0.004
    facts = ca["facts"]["items"]["US-CA-12"]
    assert facts["synthetic_data_used"] and facts["generated_documents"] == 204 and facts["generated_share"] == 0.17


def test_index_page_has_the_screening_line_in_both_languages() -> None:
    inputs = _inputs()
    page = index_page(inputs, [])
    assert page["screening"]["summary"] == (
        "Screening coverage 100%; corpus assessment TC260-003 9.2: automatic passed (qualified share 99.2%), manual "
        "failed (qualified share 95%); documents labelled as AI-generated: 12.8%; declared synthetic or labelled as "
        "generated: 17% of the training documents.")
    html = render_index(page)
    assert '<section id="screening">' in html and "Screening coverage 100%" in html
    zh = index_in(page, inputs, None, "zh-CN")
    assert zh["screening"]["summary"].startswith("过滤覆盖率100%；") and "技术抽检通过" in zh["screening"]["summary"]
    assert "内容过滤" in render_index(zh, lang="zh-CN")


def test_hostile_source_names_and_generators_are_escaped() -> None:
    inputs = _inputs(web=HOSTILE)
    docs = build_all(inputs)
    pages = [render_html(d) for d in docs.values()]
    pages += [render_html(localise(docs["legitimate_sources"], "zh-CN", {}), lang="zh-CN"),
              render_html(annex_in(docs["cn_filing_annex"], "zh-CN"), lang="zh-CN"),
              render_index(index_page(inputs, []))]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
    joined = "".join(pages)
    assert "&lt;script&gt;alert(" in joined and "gen&lt;img src=x onerror=alert(1)&gt;&amp;v2" in joined
    for d in docs.values():
        md = render_markdown(d)
        assert "<script>" not in md and "<img src=x" not in md
    assert "&lt;script&gt;alert(" in render_markdown(docs["legitimate_sources"])


def test_publication_copy_keeps_aggregates_and_drops_statuses_and_ids(docs) -> None:
    pub = public_document(docs["legitimate_sources"], PublicationMeta(date="2026-05-10"))
    sections = {s["id"]: s for s in pub["sections"]}
    a = sections["corpus-assessment"]["table"]
    assert "status" not in a["columns"] and "requirement id" not in a["columns"]
    assert len(a["rows"]) == 2 and len(sections["screening"]["table"]["rows"]) == 2  # per source, never per document
    text = _text([sections[s] for s in screening.SECTION_IDS])
    assert "CN-TC-" not in text and "passed" not in text
    render_public_html(docs["legitimate_sources"], PublicationMeta(date="2026-05-10"))


def test_no_library_term_can_reach_a_report(docs) -> None:
    # the reports read counts only: a library document carrying terms by mistake never shows them
    leaky = json.loads(json.dumps(LIBRARIES))
    leaky["libraries"][0]["terms_list"] = ["forbidden-term-xyz"]
    leaky["libraries"][0]["sample"] = "forbidden-term-xyz"
    built = build_all(_inputs()._replace(screening=leaky))
    assert "forbidden-term-xyz" not in _text(built)


def test_the_screening_parts_are_deterministic(docs) -> None:
    again = build_all(_inputs())
    assert _text(again) == _text(docs)
    assert render_html(localise(again["legitimate_sources"], "zh-CN", {}), lang="zh-CN") == \
        render_html(localise(docs["legitimate_sources"], "zh-CN", {}), lang="zh-CN")


def test_screening_sections_render_offline_in_chromium(docs, browser, tmp_path: Path) -> None:  # noqa: F811
    """The three screening sections of the legitimate-sources disclosure in headless Chromium:
    no request leaves the page, no script error, every section and its table shown; the
    screenshot is docs/screening-sections.png (PROVAUDIT_SCREENSHOTS=1 refreshes it)."""
    from test_datadocs import Visit, _assert_stayed_local

    ids = ("screening-libraries", "screening", "corpus-assessment")
    legit = docs["legitimate_sources"]
    doc = dict(legit, sections=[s for s in legit["sections"] if s["id"] in ids])
    page = tmp_path / "screening.html"
    page.write_text(render_html(doc), "utf-8")
    visit = Visit(browser, page.as_uri())
    try:
        _assert_stayed_local(visit)
        text = " ".join(visit.evaluate("document.body.innerText").split())
        for section in doc["sections"]:
            assert section["heading"] in text
        assert "CN-TC-9.2-auto" in text and "CN-TC-9.2-manual" in text and "CN-TC-5.2a" in text
        assert visit.evaluate("document.querySelectorAll('table').length") >= 3
        visit.screenshot_for_docs(tmp_path / "screening.png", ROOT / "docs" / "screening-sections.png")
    finally:
        visit.close()
