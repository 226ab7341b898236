"""Disclosure renderers: every section element and chart type, escaping, no URL, Chromium.

``PROVAUDIT_SCREENSHOTS=1`` also writes the example page's screenshot to
``docs/disclosure-example.png``.
"""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path
from typing import Any

import pytest
from test_datadocs import Visit, _assert_stayed_local, browser  # noqa: F401

from provaudit.reports.render import render_html, render_index, render_markdown

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "docs" / "disclosure-example.png"

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOADS = (SCRIPT, IMG)
HREF_PAYLOAD = 'x"><svg/onload=alert(1)>.html'  # relative, so allowed, but must stay in its quotes
# A URL in any src/href/srcset attribute or CSS url(): absolute, protocol-relative or rooted.
EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|srcset|xlink:href)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|//|/))"""
    r"""|url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|//)""",
    re.IGNORECASE,
)


def _doc() -> dict[str, Any]:
    return {
        "schema_version": 1,
        "kind": "legitimate_sources",
        "title": "Legitimate data sources",
        "run_id": "2024-06-01T02-00-00Z",
        "generated_by": "provaudit 0.1.0",
        "verdict": {"status": "partial", "summary": "2 of 3 sources are documented; one "
                    "requirement needs a statement."},
        "facts": {"sources": 3},
        "sections": [
            {
                "id": "overview", "heading": "Sources and licences",
                "paragraphs": ["Every training document was traced to one registered source.",
                               "Shares are of documents, not bytes."],
                "table": {
                    "columns": ["source", "documents", "unknown_license_share", "note"],
                    "rows": [["web_crawl", 1200, 0.0, "crawled 2024"],
                             ["licensed_news", 340, 0.0213, None],
                             ["user_feedback", 56, 0.4, "consent | pending\nreview"]],
                },
                "chart": {"type": "bar", "title": "Documents per source", "x_label": "documents",
                          "y_label": "source", "unit": "count",
                          "categories": ["web_crawl", "licensed_news",
                                         "user_feedback_from_the_mobile_app_beta_programme"],
                          "series": [{"name": "documents", "values": [1200, 340, 56]}]},
                "requirements": [
                    {"id": "CN-IM-7.1", "status": "evidenced", "detail": "Every source registered."},
                    {"id": "CN-IM-7.2", "status": "failed", "detail": "Unknown licence share 40%."},
                    {"id": "CN-IM-7.3", "status": "not-evidenced", "detail": "No consent records."},
                    {"id": "EU-53c-optout", "status": "statement-needed",
                     "detail": "Describe the opt-out policy."},
                ],
                "human_fields": [{"id": "optout", "label": "Text-and-data-mining opt-out policy",
                                  "hint": "How machine-readable reservations were honoured."}],
            },
            {
                "id": "licences", "heading": "Licences by source",
                "paragraphs": ["Share of each source's documents under each normalised licence."],
                "table": None,
                "chart": {"type": "stacked_bar", "title": "Licence mix", "x_label": "share",
                          "y_label": "source", "unit": "share",
                          "categories": ["web_crawl", "licensed_news", "user_feedback"],
                          "series": [{"name": "CC-BY-4.0", "values": [0.6, 0.0, 0.1]},
                                     {"name": "proprietary (licensed)", "values": [0.0, 1.0, 0.0]},
                                     {"name": "UNKNOWN", "values": [0.4, 0.0, 0.9]}]},
                "requirements": [], "human_fields": [],
            },
            {
                "id": "overlap", "heading": "Overlap between sources",
                "paragraphs": ["Estimated near-duplicate share (MinHash, Jaccard ≥ 0.8)."],
                "table": None,
                "chart": {"type": "heatmap", "title": "Source × source overlap", "x_label": "with",
                          "y_label": "source", "unit": "share",
                          "categories": ["web_crawl", "licensed_news", "user_feedback"],
                          "columns": ["web_crawl", "licensed_news", "user_feedback"],
                          "series": [],
                          "matrix": [[1.0, 0.12, 0.0], [0.05, 1.0, 0.0], [0.0, 0.0, 1.0]]},
                "requirements": [], "human_fields": [],
            },
            {
                "id": "trend", "heading": "Documents over time",
                "paragraphs": ["Nightly document counts."],
                "table": None,
                "chart": {"type": "line", "title": "Documents per night", "x_label": "night",
                          "y_label": "documents", "unit": "count",
                          "categories": ["05-28", "05-29", "05-30", "05-31", "06-01"],
                          "series": [{"name": "web_crawl", "values": [900, 1000, 1100, 1150, 1200]},
                                     {"name": "licensed_news", "values": [300, 310, 320, 330, 340]}]},
                "requirements": [], "human_fields": [],
            },
        ],
    }


def _index() -> dict[str, Any]:
    return {
        "run_id": "2024-06-01T02-00-00Z",
        "generated_by": "provaudit 0.1.0",
        "verdict": {"status": "fail", "summary": "1 critical requirement failed."},
        "sources": [
            {"name": "web_crawl", "role": "train", "legitimate": True, "reasons": []},
            {"name": "user_feedback", "role": "train", "legitimate": False,
             "reasons": ["unknown licence share 40% > 5%", "no consent evidence"]},
            {"name": "mmlu_eval", "role": "eval", "legitimate": True, "reasons": []},
        ],
        "failures": [{"suite": "legitimate_sources", "requirement_ids": ["CN-IM-7.2", "TC260-5.1"],
                      "description": "Unknown licence share at most 5%",
                      "failing": ["user_feedback"]}],
        "links": [{"label": "Legitimate data sources", "href": "disclosures/legitimate_sources.html",
                   "description": "the disclosure"},
                  {"label": "Data Docs", "href": "datadocs/index.html", "description": ""}],
    }


def _poisoned_doc() -> dict[str, Any]:
    doc = _doc()
    doc["title"] = f"Title {SCRIPT} {IMG}"
    doc["verdict"]["summary"] = f"summary {SCRIPT}"
    doc["run_id"] = IMG
    s0 = doc["sections"][0]
    s0["id"] = IMG
    s0["heading"] = f"Heading {SCRIPT}"
    s0["paragraphs"].append(f"para {SCRIPT} {IMG}")
    s0["table"]["columns"].append(f"col {IMG}")
    for row in s0["table"]["rows"]:
        row.append(f"cell {SCRIPT} {IMG}")
    s0["chart"]["title"] = f"chart {SCRIPT}"
    s0["chart"]["categories"][0] = f"cat {SCRIPT} {IMG}"
    s0["requirements"][0]["detail"] = f"detail {IMG}"
    s0["human_fields"][0]["label"] = f"label {SCRIPT}"
    s0["human_fields"][0]["hint"] = f"hint {IMG}"
    for section in doc["sections"][1:]:
        chart = section["chart"]
        chart["categories"][1] = f"{SCRIPT}{IMG}"
        chart["x_label"] = IMG
        if chart["type"] == "heatmap":
            chart["columns"][2] = f"{IMG}"
        else:
            chart["series"][0]["name"] = f"{SCRIPT}"
    return doc


def _poisoned_index() -> dict[str, Any]:
    page = _index()
    page["run_id"] = IMG
    page["verdict"]["summary"] = SCRIPT
    page["sources"][1]["name"] = f"src {SCRIPT}"
    page["sources"][1]["reasons"].append(f"reason {IMG}")
    page["failures"][0]["description"] = SCRIPT
    page["failures"][0]["failing"].append(IMG)
    page["links"][0]["label"] = f"link {SCRIPT} {IMG}"
    page["links"][0]["description"] = IMG
    page["links"][1]["href"] = HREF_PAYLOAD
    return page


# -- HTML ----------------------------------------------------------------------------------


def test_html_has_every_element_of_the_document():
    out = render_html(_doc())
    assert out.startswith("<!DOCTYPE html>") and "<script" not in out.lower()
    top = out.index("<h1>")
    badge = out.index('class="badge badge-partial"')
    assert badge < out.index("<section") and top < badge  # the verdict sits at the top
    for heading in ("Sources and licences", "Licences by source", "Overlap between sources",
                    "Documents over time"):
        assert f"<h2>{heading}</h2>" in out
        assert f">{heading}</a></li>" in out  # contents link
    assert '<a href="#s-overview">' in out and '<section id="s-overview">' in out
    assert "<p>Shares are of documents, not bytes.</p>" in out
    # numbers right-aligned with separators, shares with one decimal, null as a dash
    assert '<td class="num">1,200</td>' in out and '<th scope="col" class="num">documents</th>' in out
    assert '<td class="num">2.1%</td>' in out and '<td class="num">40.0%</td>' in out
    assert '<td class="null">—</td>' in out
    for status, word in (("evidenced", "Evidenced"), ("failed", "Failed"),
                         ("not-evidenced", "Not evidenced"),
                         ("statement-needed", "Statement needed")):
        assert f'<span class="badge badge-{status}">{word}</span>' in out
    assert out.count("To be completed by a person:") == 1
    assert "Text-and-data-mining opt-out policy" in out and 'class="blank"' in out
    assert "@media print" in out and "break-before:page" in out
    assert "provaudit 0.1.0" in out


def test_every_chart_type_is_an_svg_with_title_and_caption():
    out = render_html(_doc())
    svgs = re.findall(r"<svg\b.*?</svg>", out, re.DOTALL)
    assert len(svgs) == 4
    for svg, title in zip(svgs, ("Documents per source", "Licence mix",
                                 "Source × source overlap", "Documents per night")):
        assert re.search(r'<title id="[^"]+-title">' + re.escape(title) + "</title>", svg)
        width, height = map(int, re.search(r'width="(\d+)" height="(\d+)"', svg).groups())
        assert width > 200 and height > 60
    assert out.count("<figcaption>") == 4
    bar, stacked, heat, line = svgs
    assert ">1,200</text>" in bar and ">340</text>" in bar
    # the long label is cut with an ellipsis; the full label is in a <title>
    assert "user_feedback_from_the_mobile_app_beta_programme</title>" in bar
    assert "…</text>" in bar
    assert "#E69F00" in stacked and ">UNKNOWN</text>" in stacked and ">100.0%</text>" in stacked
    assert ">12.0%</text>" in heat and ">Scale</text>" in heat and heat.count("<rect") >= 9 + 5
    assert "<polyline" in line and line.count("<circle") == 10 and "stroke-dasharray" in line


def test_chart_sizes_follow_the_data():
    doc = _doc()
    wide = copy.deepcopy(doc)
    wide["sections"][0]["chart"]["categories"] = ["a", "b", "c"]
    tall = copy.deepcopy(doc)
    chart = tall["sections"][0]["chart"]
    chart["categories"] = [f"s{i}" for i in range(12)]
    chart["series"][0]["values"] = list(range(12))

    def size(d):
        svg = re.search(r"<svg\b[^>]*>", render_html(d)).group(0)
        return tuple(map(int, re.search(r'width="(\d+)" height="(\d+)"', svg).groups()))

    assert size(wide)[0] < size(doc)[0]  # short labels, narrower chart
    assert size(tall)[1] > size(doc)[1]  # more bars, taller chart


def test_invalid_documents_are_refused():
    for mutate in (
        lambda d: d["verdict"].update(status="ok"),
        lambda d: d["sections"][0]["requirements"][0].update(status="done"),
        lambda d: d["sections"][0]["chart"].update(type="pie"),
        lambda d: d["sections"][0]["chart"]["series"][0]["values"].pop(),
        lambda d: d["sections"][2]["chart"]["matrix"][0].pop(),
    ):
        doc = _doc()
        mutate(doc)
        with pytest.raises(ValueError):
            render_html(doc)
        with pytest.raises(ValueError):
            render_markdown(doc)


# -- Markdown ------------------------------------------------------------------------------


def test_markdown_has_every_element_of_the_document():
    out = render_markdown(_doc())
    assert out.startswith("# Legitimate data sources\n\n**Verdict: PARTIAL** — ")
    assert "\n## Sources and licences\n" in out and "\n## Documents over time\n" in out
    assert "| source | documents | unknown\\_license\\_share | note |" in out
    assert "| --- | ---: | ---: | --- |" in out
    assert "| licensed\\_news | 340 | 2.1% | — |" in out
    assert "- **Failed** — CN-IM-7.2: Unknown licence share 40%." in out
    assert "- **Statement needed** — EU-53c-optout: " in out
    assert ("> **To be completed:** Text-and-data-mining opt-out policy — How machine-readable "
            "reservations were honoured.") in out
    # charts become tables of their data
    assert "**Chart: Licence mix** (share / source)" in out
    assert "| web\\_crawl | 60.0% | 0.0% | 40.0% |" in out
    assert "| source | web\\_crawl | licensed\\_news | user\\_feedback |" in out
    assert "| 06-01 | 1,200 | 340 |" in out
    assert "<svg" not in out


def test_markdown_table_cells_escape_pipes_newlines_and_html():
    out = render_markdown(_doc())
    assert "| consent \\| pending review |" in out
    rows = [line for line in out.splitlines() if line.startswith("| user\\_feedback | 56")]
    assert len(rows) == 1 and rows[0].count(" | ") == 3  # still four cells
    bad = render_markdown(_poisoned_doc())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in bad
    assert "&lt;img src=x onerror=alert(1)&gt;" in bad


# -- escaping and URLs ---------------------------------------------------------------------


@pytest.mark.parametrize("render, make", [(render_html, _poisoned_doc),
                                          (render_markdown, _poisoned_doc),
                                          (render_index, _poisoned_index)])
def test_markup_is_escaped_everywhere(render, make):
    out = render(make())
    for payload in PAYLOADS:
        assert payload not in out
    assert "<script" not in out.lower() and "<img" not in out.lower()
    assert "<svg/onload" not in out.lower()
    if render is render_markdown:
        return
    assert html.escape(SCRIPT, quote=True) in out
    assert html.escape(IMG, quote=True) in out


def test_each_poisoned_field_shows_escaped():
    out = render_html(_poisoned_doc())
    esc_s, esc_i = html.escape(SCRIPT, quote=True), html.escape(IMG, quote=True)
    for expected in (f"<h1>Title {esc_s} {esc_i}</h1>", f"<h2>Heading {esc_s}</h2>",
                     f"<td>cell {esc_s} {esc_i}</td>", f"detail {esc_i}",
                     f'<p class="label">label {esc_s}</p>', f"<title>cat {esc_s} {esc_i}</title>",
                     f"chart {esc_s}</title>", f'<th scope="col">col {esc_i}</th>'):
        assert expected in out, expected
    index = render_index(_poisoned_index())
    for expected in (f'<th scope="row">src {esc_s}</th>', f"<li>reason {esc_i}</li>",
                     f">link {esc_s} {esc_i}</a>", f'href="{html.escape(HREF_PAYLOAD, quote=True)}"'):
        assert expected in index, expected


@pytest.mark.parametrize("out", [
    pytest.param(lambda: render_html(_doc()), id="html"),
    pytest.param(lambda: render_html(_poisoned_doc()), id="html-poisoned"),
    pytest.param(lambda: render_markdown(_doc()), id="markdown"),
    pytest.param(lambda: render_index(_index()), id="index"),
    pytest.param(lambda: render_index(_poisoned_index()), id="index-poisoned"),
])
def test_no_external_url(out):
    text = out()
    assert not EXTERNAL.findall(text)
    assert "http:" not in text and "https:" not in text and "//" not in text


def test_the_url_check_would_catch_urls():
    for bad in ('<img src="https://x.example/a.png">', "<a href='//cdn.example'>",
                '<a href="/etc/passwd">', "background:url( 'http://x')", '<a href="javascript:x">'):
        assert EXTERNAL.search(bad), bad
    assert not EXTERNAL.search('<a href="#s-overview">') and not EXTERNAL.search(
        '<a href="disclosures/a.html">')


@pytest.mark.parametrize("href", ["https://example.com/a.html", "http://x", "//cdn.example/x",
                                  "/abs/path.html", "javascript:alert(1)", "JavaScript:alert(1)",
                                  "data:text/html,x", "file:///etc/passwd", "\\\\host\\share",
                                  " javascript:alert(1)", "java\tscript:alert(1)", "mailto:a@b",
                                  ""])
def test_index_refuses_absolute_hrefs(href):
    page = _index()
    page["links"][0]["href"] = href
    with pytest.raises(ValueError, match="relative"):
        render_index(page)


# -- index page ----------------------------------------------------------------------------


def test_index_answers_which_sources_are_not_legitimately_documented_and_why():
    out = render_index(_index())
    body = out[out.index("<body>"):]
    assert body.index("2024-06-01T02-00-00Z") < body.index('badge-fail">FAIL') < body.index(
        "<h2>Sources</h2>")
    assert "1 of 3 sources are NOT legitimately documented:</strong> user_feedback." in out
    row = re.search(r'<tr><th scope="row">user_feedback</th>.*?</tr>', out).group(0)
    assert "NOT legitimately documented" in row
    assert "<li>unknown licence share 40% &gt; 5%</li><li>no consent evidence</li>" in row
    ok = re.search(r'<tr><th scope="row">web_crawl</th>.*?</tr>', out).group(0)
    assert ">legitimately documented<" in ok and "NOT" not in ok
    assert out.index("<h2>Sources</h2>") < out.index("<h2>Failures</h2>") < out.index(
        "<h2>Reports</h2>")
    assert "CN-IM-7.2" in out and "TC260-5.1" in out
    assert '<a href="disclosures/legitimate_sources.html">Legitimate data sources</a>' in out


def test_index_with_every_source_documented_says_so():
    page = _index()
    page["sources"] = [page["sources"][0]]
    page["failures"] = []
    page["verdict"]["status"] = "pass"
    out = render_index(page)
    assert "All 1 sources are legitimately documented." in out and "No requirement failed." in out


def test_rendering_is_deterministic():
    for render, make in ((render_html, _doc), (render_markdown, _doc), (render_index, _index),
                         (render_html, _poisoned_doc)):
        assert render(make()) == render(make())
    doc = _doc()
    before = copy.deepcopy(doc)
    render_html(doc)
    render_markdown(doc)
    assert doc == before  # renderers do not modify their input


# -- Chromium ------------------------------------------------------------------------------

_CHART_PROBE = """(() => [...document.querySelectorAll('svg')].map(s => {
  const r = s.getBoundingClientRect();
  return {w: r.width, h: r.height, title: s.querySelector('title').textContent};
}))()"""


def test_disclosure_renders_offline_in_chromium(browser, tmp_path):  # noqa: F811
    page = tmp_path / "disclosure.html"
    page.write_text(render_html(_doc()), "utf-8")
    index = tmp_path / "index.html"
    index.write_text(render_index(_index()), "utf-8")
    visit = Visit(browser, page.as_uri())
    try:
        _assert_stayed_local(visit)
        assert visit.evaluate("document.querySelectorAll('svg').length") == 4
        charts = visit.evaluate(_CHART_PROBE)
        assert all(c["w"] > 100 and c["h"] > 50 for c in charts), charts
        text = visit.evaluate("document.body.innerText")
        assert "to be completed by a person:" in text.lower() and "PARTIAL" in text
        visit.screenshot_for_docs(tmp_path / "disclosure.png", SCREENSHOT)
    finally:
        visit.close()
    visit = Visit(browser, index.as_uri())
    try:
        _assert_stayed_local(visit)
        text = visit.evaluate("document.body.innerText")
        assert "NOT legitimately documented" in text and "user_feedback" in text
    finally:
        visit.close()
