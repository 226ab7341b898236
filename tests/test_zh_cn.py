"""Chinese output: the message catalogues and the CN filing annex in Simplified Chinese (issue 10, item 4)."""

from __future__ import annotations

import copy
import html
import json
import re
import string
from pathlib import Path

import pytest
from conftest import ROOT
from test_datadocs import Visit, _assert_stayed_local, browser  # noqa: F401
from test_validate import _all_stages, _sample_config

from provaudit.core.config import load_config
from provaudit.core.errors import ConfigError
from provaudit.core.requirements import load_requirements
from provaudit.reports.cn_annex import annex_in
from provaudit.reports.disclosures import validate_document
from provaudit.reports.messages import LANGUAGES, MessageError, catalogue, requirement, role, t
from provaudit.reports.render import render_html, render_index, render_markdown
from provaudit.stages.disclose import run_disclose, with_languages

SCREENSHOT = ROOT / "docs" / "cn-annex-zh.png"
CN_IDS = [rid for rid in load_requirements() if rid.startswith("CN-")]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# -- the catalogues ------------------------------------------------------------------------


@pytest.mark.parametrize("part", ["messages", "requirements", "roles"])
def test_every_catalogue_has_the_same_keys(part: str) -> None:
    en, zh = catalogue("en")[part], catalogue("zh-CN")[part]
    assert sorted(set(en) - set(zh)) == [], f"zh-CN.yaml lacks {part} keys"
    assert sorted(set(zh) - set(en)) == [], f"en.yaml lacks {part} keys"


def test_translations_take_the_same_values() -> None:
    en, zh = catalogue("en")["messages"], catalogue("zh-CN")["messages"]
    assert {k: _fields(v) for k, v in zh.items()} == {k: _fields(v) for k, v in en.items()}


def test_every_cn_requirement_has_its_clause_and_chinese_wording() -> None:
    for rid in CN_IDS:
        clause, text = requirement(rid, "zh-CN")
        assert clause and re.search(r"[\u4e00-\u9fff]", text), rid
        assert requirement(rid, "en")[1] == load_requirements()[rid].requirement
    assert requirement("CN-TC-5.1c-open", "zh-CN")[0] == "第5.1条c）1）"
    assert requirement("CN-IM-7.1", "zh-CN") == ("第七条第（一）项", "使用具有合法来源的数据和基础模型")
    assert "不宜" in requirement("CN-TC-8.1", "zh-CN")[1] and load_requirements()["CN-TC-8.1"].recommended


def test_every_role_who_fills_a_field_is_translated() -> None:
    from provaudit.reports import statements

    roles = {who for _, who in statements._WHO} | {statements._DEFAULT_WHO}
    assert {role(w, "zh-CN") for w in roles} <= set(catalogue("zh-CN")["roles"].values())


def test_a_missing_key_is_an_error_naming_the_catalogue_and_key() -> None:
    with pytest.raises(MessageError, match=r"catalogues/zh-CN\.yaml: messages\.annex\.nothing: missing"):
        t("annex.nothing", "zh-CN")
    with pytest.raises(MessageError, match=r"zh-CN\.yaml: requirements\.EU-53d-general\.clause"):
        requirement("EU-53d-general", "zh-CN")
    with pytest.raises(MessageError, match=r"no message catalogue for language 'fr'"):
        t("ui.contents", "fr")
    with pytest.raises(MessageError, match=r"messages\.ui\.by: needs the value 'date'"):
        t("ui.by", "zh-CN", author="x")


# -- the annex on the sample ---------------------------------------------------------------


@pytest.fixture(scope="module")
def disclosed(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("zh")
    cfg, run_id, _, _ = _all_stages(_sample_config(tmp, disclosure={"languages": ["en", "zh-CN"]}))
    result = run_disclose(cfg, run_id)
    out = Path(result.run_dir) / "disclosures"
    return cfg, result, out


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.DOTALL))


def test_the_zh_cn_annex_is_written_and_renders_with_every_key(disclosed) -> None:
    _, result, out = disclosed
    for ext in ("html", "md", "json"):
        assert str(out / "zh-CN" / f"cn_filing_annex.{ext}") in result.files
    doc = json.loads((out / "zh-CN" / "cn_filing_annex.json").read_text("utf-8"))
    validate_document(doc)
    page = (out / "zh-CN" / "cn_filing_annex.html").read_text("utf-8")
    assert '<html lang="zh-CN">' in page
    text = _text(page)
    for word in ("符合", "不符合", "待补充", "第5.1条c）2）", "第9.2条a）", "第七条第（三）项", "CN-TC-5.1c-self",
                 "宜：推荐性条款，不影响结论", "逐条评估结果（TC260-003 第9.1条）", "目录", "须由人员填写"):
        assert word in text, word
    # no English word of the renderer or the annex (the catalogue's en side) on the page
    en = catalogue("en")["messages"]
    for key in ("ui.contents", "ui.requirements", "ui.to_be_completed", "annex.corpus.heading",
                "annex.assessment.heading", "annex.result.compliant", "annex.col.evidence", "status.evidenced",
                "kind.cn_filing_annex", "annex.title"):
        assert not re.search(rf"(?<![\w:]){re.escape(en[key])}(?!\w)", text), key  # expectation ids aside
    assert "Generated by" not in text and "statement field(s)" not in text
    # the printed footer counts pages in Chinese: a later @page rule overrides the CSS's "Page x / y"
    assert page.index('@bottom-right{content:"\\007b2c  " counter(page)') > page.index('"Page " counter(page)')
    # one table row per CN-IM and CN-TC requirement, each with one of the 9.1 results
    rows = re.findall(r"<tr><td>([^<]*)</td><td>[^<]*</td><td>(CN-[^<]*)</td><td>([^<]*)</td>", page)
    ids = [rid for rid in CN_IDS if rid.startswith(("CN-IM-", "CN-TC-"))]
    assert [r[1] for r in rows if r[1].startswith(("CN-IM-", "CN-TC-"))] == ids
    assert {re.sub(r"（.*", "", r[2]) for r in rows} <= {"符合", "不符合", "不适用", "待补充"}
    results = doc["facts"]["clause_results"]
    # the sample plants failures: the opted-out crawl, a CC licence unknown, untrained annotator
    assert results["CN-TC-5.1c-self"] == "non_compliant" and results["CN-IM-8.3"] == "non_compliant"
    # 9.2 a) follows the reviewers' verdicts as the English annex decides them (the sample's
    # inspection covers all training data only while every training document has a verdict)
    manual = doc["facts"]["requirements"]["CN-TC-9.2-manual"]["status"]
    assert results["CN-TC-9.2-manual"] == {"evidenced": "compliant", "failed": "non_compliant"}.get(manual, "pending")
    assert results["CN-TC-5.1a-pre"] == "pending"
    assert doc["verdict"]["status"] == "fail" and "CN-TC-5.1c-self" in doc["verdict"]["summary"]
    md = (out / "zh-CN" / "cn_filing_annex.md").read_text("utf-8")
    assert md.startswith("# 备案附件") and "结论：未通过" in md and "Verdict" not in md
    index = (Path(result.run_dir) / "index.html").read_text("utf-8")
    assert 'href="disclosures/zh-CN/cn_filing_annex.html"' in index


def test_english_pages_stay_english(disclosed) -> None:
    _, _, out = disclosed
    page = (out / "cn_filing_annex.html").read_text("utf-8")
    assert '<html lang="en">' in page and "<h2>Contents</h2>" in page and "第5.1条" not in page


def test_a_clause_with_no_source_of_its_kind_is_not_applicable_and_recommended_ones_never_fail(disclosed) -> None:
    _, _, out = disclosed
    doc = json.loads((out / "cn_filing_annex.json").read_text("utf-8"))
    corpus = next(s for s in doc["sections"] if s["id"] == "corpus")
    corpus["table"]["rows"] = [r for r in corpus["table"]["rows"] if r[1] != "user-data"]
    doc["facts"]["requirements"]["CN-TC-5.1c-user"]["status"] = "evidenced"
    doc["facts"]["requirements"]["CN-TC-8.1"].update(status="failed", expectations=["x:keywords"], failing=["kw"])
    zh = annex_in(doc, "zh-CN")
    assert zh["facts"]["clause_results"]["CN-TC-5.1c-user"] == "not_applicable"
    assert zh["facts"]["clause_results"]["CN-TC-7c"] == "not_applicable"
    assert zh["facts"]["clause_results"]["CN-TC-8.1"] == "non_compliant"
    assert "CN-TC-8.1" not in zh["verdict"]["summary"]
    page = render_html(zh, "zh-CN")
    assert "不适用" in page and "语料中没有获取方式为 user-data 的来源" in page
    assert "不符合（宜：推荐性条款，不影响结论）" in page


def test_every_corpus_value_is_escaped(disclosed) -> None:
    _, _, out = disclosed
    doc = json.loads((out / "cn_filing_annex.json").read_text("utf-8"))
    evil = '<script>alert("x")</script>&'
    corpus = next(s for s in doc["sections"] if s["id"] == "corpus")
    corpus["table"]["rows"][0][0] = evil
    corpus["table"]["rows"][0][2] = evil
    doc["facts"]["requirements"]["CN-IM-7.2"]["failing"] = [evil]
    doc["run_id"] = evil
    field = next(f for s in doc["sections"] for f in s["human_fields"])
    field["statement"] = {"text": evil, "author": evil, "date": "2026-01-01"}
    zh = annex_in(copy.deepcopy(doc), "zh-CN")
    for page in (render_html(zh, "zh-CN"), render_markdown(zh, "zh-CN")):
        assert "<script" not in page and "&lt;script&gt;" in page


def test_the_annex_is_deterministic(disclosed) -> None:
    _, _, out = disclosed
    doc = json.loads((out / "cn_filing_annex.json").read_text("utf-8"))
    assert render_html(annex_in(doc, "zh-CN"), "zh-CN") == render_html(annex_in(doc, "zh-CN"), "zh-CN")
    assert render_html(annex_in(doc, "zh-CN"), "zh-CN") == (out / "zh-CN" / "cn_filing_annex.html").read_text("utf-8")


def test_an_unknown_language_is_a_config_error(tmp_path: Path) -> None:
    cfg = load_config(_sample_config(tmp_path, disclosure={"languages": ["en", "fr"]}))
    with pytest.raises(ConfigError, match=r"disclosure\.languages: no message catalogue for 'fr'"):
        run_disclose(cfg)
    assert with_languages(load_config(_sample_config(tmp_path)), ("zh-CN",)).disclosure.languages == ("en", "zh-CN")
    assert set(LANGUAGES) == {"en", "zh-CN"}


def test_cli_lang_option() -> None:
    from provaudit.cli import _parser

    for command in ("disclose", "run", "nightly"):
        assert _parser().parse_args([command, "c.yaml", "--lang", "zh-CN"]).lang == ["zh-CN"]
    with pytest.raises(SystemExit):
        _parser().parse_args(["disclose", "c.yaml", "--lang", "fr"])


_CJK_PROBE = """(() => {
  const cells = [...document.querySelectorAll('td')].filter(td => /^(符合|不符合)/.test(td.textContent));
  const range = document.createRange();
  return cells.map(td => { range.selectNodeContents(td); const r = range.getBoundingClientRect();
                           return {text: td.textContent, w: r.width, h: r.height}; });
})()"""


def test_the_zh_cn_annex_renders_offline_in_chromium(disclosed, browser, tmp_path: Path) -> None:  # noqa: F811
    _, _, out = disclosed
    visit = Visit(browser, (out / "zh-CN" / "cn_filing_annex.html").as_uri())
    try:
        _assert_stayed_local(visit)
        assert visit.evaluate("document.documentElement.lang") == "zh-CN"
        cells = visit.evaluate(_CJK_PROBE)
        assert {c["text"] for c in cells} >= {"符合", "不符合"}
        assert all(c["w"] > 0 and c["h"] > 0 for c in cells), cells
        text = visit.evaluate("document.body.innerText")
        assert "逐条评估结果" in text and "第5.1条c）2）" in text
        visit.screenshot_for_docs(tmp_path / "annex-zh.png", SCREENSHOT)
    finally:
        visit.close()


# -- the legitimate-sources and labelling-process disclosures and the index page in zh-CN ----

ZH_PAGES = ("disclosures/zh-CN/legitimate_sources.html", "disclosures/zh-CN/labelling_process.html",
            "disclosures/zh-CN/cn_filing_annex.html", "index.zh-CN.html")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# words a heading or column may show without a Chinese character: names of formats and tools
_ASCII_OK = {"SHA-256", "Parquet", "Data Docs", "Croissant JSON-LD"}


def _headers(page: str) -> list[str]:
    """The texts of headings, column headers, figure captions' titles and badges of a page."""
    page = re.sub(r"<style>.*?</style>|<svg.*?</svg>", "", page, flags=re.DOTALL)
    found = re.findall(r"<(h[1-6]|th scope=\"col\"[^>]*|strong|span class=\"badge[^\"]*\")>(.*?)</", page,
                       flags=re.DOTALL)
    return [html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for _, text in found]


def test_the_zh_cn_pages_are_written_and_linked_both_ways(disclosed) -> None:
    _, result, out = disclosed
    run = Path(result.run_dir)
    for rel in ZH_PAGES:
        assert str(run / rel) in result.files, rel
        page = (run / rel).read_text("utf-8")
        assert page.startswith('<!DOCTYPE html>\n<html lang="zh-CN">'), rel
    for kind in ("legitimate_sources", "labelling_process"):
        doc = json.loads((out / "zh-CN" / f"{kind}.json").read_text("utf-8"))
        validate_document(doc)
        assert doc["facts"]["language"] == "zh-CN"
        assert (out / "zh-CN" / f"{kind}.md").read_text("utf-8").startswith(f"# {doc['title']}\n")
    english = (run / "index.html").read_text("utf-8")
    assert '<a href="index.zh-CN.html">This page in Simplified Chinese (简体中文)</a>' in english
    assert 'href="disclosures/zh-CN/legitimate_sources.html"' in english
    chinese = (run / "index.zh-CN.html").read_text("utf-8")
    assert '<a href="index.html">本页英文版</a>' in chinese
    for kind in ("legitimate_sources", "labelling_process", "cn_filing_annex"):
        assert f'href="disclosures/zh-CN/{kind}.html"' in chinese and f'href="disclosures/{kind}.html"' not in chinese
    assert 'href="disclosures/eu_training_summary.html">欧盟训练内容摘要（英文）</a>' in chinese


@pytest.mark.parametrize("rel", ZH_PAGES)
def test_no_english_ui_is_left_in_the_chinese_headings_and_columns(disclosed, rel: str) -> None:
    _, result, _ = disclosed
    page = (Path(result.run_dir) / rel).read_text("utf-8")
    headers = _headers(page)
    assert len(headers) > 10
    english = [h for h in headers if h and not _CJK.search(h) and h not in _ASCII_OK
               and not re.fullmatch(r"(CN|EU|US)-[\w.-]+|[\w.-]+ · .*|provaudit .*", h)]
    assert english == [], english
    en = catalogue("en")["messages"]
    text = _text(page)
    for key in ("legit.overview.heading", "legit.dedup.heading", "legit.outcomes.heading", "lab.training.heading",
                "lab.quality.heading", "col.share of corpus", "col.consent basis", "col.QA accuracy",
                "chart.languages.title", "index.failures", "index.col.finding", "index.badge.not_legit",
                "word.failed", "status.evidenced", "ui.contents", "ui.requirements", "req.not_evidenced"):
        value = en[key].split("{")[0].strip()
        assert not re.search(rf"(?<![\w:-]){re.escape(value)}(?![\w-])", text), (key, value)


def test_the_chinese_pages_cite_clauses_and_state_findings(disclosed) -> None:
    _, result, out = disclosed
    legit = _text((out / "zh-CN" / "legitimate_sources.html").read_text("utf-8"))
    for words in ("第5.1条c）2）“使用自采语料时", "第七条第（三）项“涉及个人信息的", "来源与规模", "各来源的检查结果",
                  "来源 web_crawl", "欧盟《人工智能法》第53条第1款c）项", "另需人员就爬虫的策略及《行为准则》作出声明",
                  "en · 英语"):
        assert words in legit, words
    assert re.search(r"zh-(cn|Hans) · 简体中文", legit)  # language names from CLDR (Babel)
    labelling = _text((out / "zh-CN" / "labelling_process.html").read_text("utf-8"))
    assert "第5.3条a）“应对标注人员进行培训和考核" in labelling and "未培训的标注人员：ann-05。" in labelling
    index = _text((Path(result.run_dir) / "index.zh-CN.html").read_text("utf-8"))
    assert "web_crawl：3 篇文档来自拒绝采集的域名 inkwell-review.com；请删除这些文档" in index
    assert "登记的许可 'see website' 不是可识别的许可" in index
    assert "news-topic-2024-05：33.3% 的标注（36 个中的 12 个）由 ann-05 在接受培训之前给出" in index
    assert "证据（CSV，3 行）" in index


def test_english_words_and_chinese_words_come_from_the_same_keys(disclosed) -> None:
    """The localiser in English reproduces the English builders' documents and index page word for word."""
    from provaudit.reports.disclosures import load_inputs
    from provaudit.reports.localised import index_in, localise

    cfg, result, out = disclosed
    params = json.loads((Path(result.run_dir) / "validation" / "results.json").read_text("utf-8"))["parameters"]
    for kind in ("legitimate_sources", "labelling_process"):
        doc = json.loads((out / f"{kind}.json").read_text("utf-8"))
        assert localise(doc, "en", params) == doc, kind
    inputs = load_inputs(cfg, result.run_dir)
    evidence = json.loads((Path(result.run_dir) / "evidence" / "index.json").read_text("utf-8"))
    page = index_in(result.index, inputs, evidence, "en")
    for part in ("verdict", "sources", "failures"):
        assert page[part] == result.index[part], part


def test_every_expectation_has_its_words_and_the_english_ones_are_the_suites() -> None:
    from provaudit.core.verdicts import verdict_ids

    raws = []
    for suite in ("data_quality", "labelling_process", "legitimate_sources", "removal_requests",
                  "content_screening", "corpus_assessment"):
        for e in json.loads((ROOT / "expectations" / f"{suite}.json").read_text("utf-8"))["expectations"]:
            column = e["kwargs"].get("column") or e["kwargs"].get("column_A")  # a column pair: its first column
            raws.append({"suite": suite, "column": column, "description": e["meta"]["description"]})
    ids = verdict_ids(raws)
    en = catalogue("en")["messages"]
    assert {i: en.get(f"expectation.{i}") for i in ids} == {i: r["description"] for i, r in zip(ids, raws)}
    assert {k for k in en if k.startswith("expectation.")} == {f"expectation.{i}" for i in ids}


def test_the_requirement_wording_follows_the_regulations() -> None:
    # TC260-003 5.2 b): the public summary of the corpus's IP-relevant parts is recommended (宜)
    assert "宜公开训练语料中涉及知识产权部分的摘要信息" in requirement("CN-TC-5.2-ip", "zh-CN")[1]
    assert requirement("CN-TC-9.2-manual", "zh-CN") == ("第9.2条a）", "采用人工抽检，从全部训练语料中随机抽样不少于4000条，合格率不应低于96%")
    assert "（非官方译文）" in requirement("EU-53c-optout", "zh-CN")[1]
    assert requirement("EU-53c-optout", "en")[1] == load_requirements()["EU-53c-optout"].requirement


def test_no_chinese_text_in_the_python_code() -> None:
    for module in ("localised.py", "cn_annex.py", "messages.py", "render.py"):
        code = (ROOT / "src" / "provaudit" / "reports" / module).read_text("utf-8")
        code = re.sub(r'""".*?"""', "", code, flags=re.DOTALL)  # docstrings may cite 宜 and 符合
        assert not _CJK.search(code), module


@pytest.mark.parametrize("key", ["legit.pii.heading", "legit.source.basis", "lab.training.paragraph",
                                 "col.share of corpus", "chart.qa.title", "finding.optout.values",
                                 "expectation.legitimate_sources:opted_out_documents", "index.col.finding",
                                 "index.link.spdx", "req.statement_for.CN-TC-5.2-ip", "lang.label"])
def test_a_missing_key_fails_the_chinese_pages_loudly(disclosed, monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    from provaudit.reports import messages
    from provaudit.reports.disclosures import load_inputs
    from provaudit.reports.localised import index_in, localise

    cfg, result, out = disclosed
    original = messages.catalogue
    broken = copy.deepcopy(original("zh-CN"))
    del broken["messages"][key]
    monkeypatch.setattr(messages, "catalogue", lambda lang: broken if lang == "zh-CN" else original(lang))
    params = json.loads((Path(result.run_dir) / "validation" / "results.json").read_text("utf-8"))["parameters"]
    evidence = json.loads((Path(result.run_dir) / "evidence" / "index.json").read_text("utf-8"))
    inputs = load_inputs(cfg, result.run_dir)
    with pytest.raises(MessageError, match=rf"zh-CN\.yaml: messages\.{re.escape(key)}: missing"):
        for kind in ("legitimate_sources", "labelling_process"):
            render_html(localise(json.loads((out / f"{kind}.json").read_text("utf-8")), "zh-CN", params), "zh-CN")
        render_index(index_in(result.index, inputs, evidence, "zh-CN", None), [], "zh-CN")


def test_an_unknown_section_or_link_is_an_error_not_english(disclosed) -> None:
    from provaudit.reports.disclosures import load_inputs
    from provaudit.reports.localised import index_in, localise

    cfg, result, out = disclosed
    doc = json.loads((out / "legitimate_sources.json").read_text("utf-8"))
    doc["sections"].append({**doc["sections"][0], "id": "new-section"})
    with pytest.raises(MessageError, match=r"localised\.py: legitimate_sources section 'new-section'"):
        localise(doc, "zh-CN", {})
    page = {**result.index, "links": [*result.index["links"], {"label": "x", "href": "new/file.csv", "description": ""}]}
    with pytest.raises(MessageError, match=r"index link 'new/file\.csv' has no catalogue label"):
        index_in(page, load_inputs(cfg, result.run_dir), None, "zh-CN")


def test_corpus_values_on_the_chinese_pages_are_escaped(disclosed) -> None:
    from provaudit.reports.localised import localise

    _, _, out = disclosed
    evil = '<script>alert("x")</script>&'
    doc = json.loads((out / "legitimate_sources.json").read_text("utf-8"))
    overview = next(s for s in doc["sections"] if s["id"] == "overview")
    overview["table"]["rows"][0][2] = evil
    doc["facts"]["sources"]["web_crawl"]["description"] = evil
    doc["facts"]["sources"]["web_crawl"]["evidence"] = evil
    doc["run_id"] = evil
    zh = localise(doc, "zh-CN", {})
    for page in (render_html(zh, "zh-CN"), render_markdown(zh, "zh-CN")):
        assert "<script" not in page and "&lt;script&gt;" in page


def test_the_chinese_pages_are_deterministic(disclosed) -> None:
    from provaudit.reports.localised import localise

    _, result, out = disclosed
    params = json.loads((Path(result.run_dir) / "validation" / "results.json").read_text("utf-8"))["parameters"]
    for kind in ("legitimate_sources", "labelling_process"):
        doc = json.loads((out / f"{kind}.json").read_text("utf-8"))
        assert render_html(localise(doc, "zh-CN", params), "zh-CN") == (out / "zh-CN" / f"{kind}.html").read_text("utf-8")


SCREENSHOT_LEGITIMATE = ROOT / "docs" / "legitimate-sources-zh.png"


def test_the_zh_cn_legitimate_sources_page_renders_offline_in_chromium(disclosed, browser, tmp_path: Path) -> None:  # noqa: F811
    _, result, _ = disclosed
    for rel in ("disclosures/zh-CN/legitimate_sources.html", "index.zh-CN.html"):
        visit = Visit(browser, (Path(result.run_dir) / rel).as_uri())
        try:
            _assert_stayed_local(visit)
            assert visit.evaluate("document.documentElement.lang") == "zh-CN"
            heads = visit.evaluate("[...document.querySelectorAll('thead th')].map(th => "
                                   "{const r = th.getBoundingClientRect(); return [th.textContent, r.width, r.height]})")
            assert heads and all(w > 0 and h > 0 for _, w, h in heads), heads
            text = visit.evaluate("document.body.innerText")
            assert ("来源与规模" in text) if "legitimate" in rel else ("未通过的检查" in text)
            if "legitimate" in rel:
                visit.screenshot_for_docs(tmp_path / "legitimate-zh.png", SCREENSHOT_LEGITIMATE)
        finally:
            visit.close()
