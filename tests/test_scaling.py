"""Charts and tables that scale: a generated 50-source, 40-language run, read in headless Chromium.

The inputs are built directly (profile rows from the source-profile schema, verdicts from the
GX suites), so the test needs no pipeline run. Each of the five disclosures is rendered and
checked on screen (1280 px) and in print media at the width of an A4 page's content box:
nothing wider than the page, chart text at least 8 px on screen and 8 pt in print, table text
at least 8 pt in print; the legitimate-sources document is printed to PDF and its pages
counted. ``PROVAUDIT_SCREENSHOTS=1`` also writes ``docs/disclosure-50-sources.png``.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import pytest
from test_datadocs import Visit, _assert_stayed_local, browser  # noqa: F401

from provaudit.reports.disclosures import (
    HEATMAP_MAX,
    KINDS,
    TOP_LANGUAGES,
    DisclosureInputs,
    build_all,
    build_legitimate_sources,
)
from provaudit.reports.languages import (
    FIXED_COLOURS,
    LANGUAGE_NAMES,
    PALETTE,
    language_code,
    language_colour,
    language_label,
)
from provaudit.reports.render import _css_string, _series_colours, render_html, render_markdown

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "docs" / "disclosure-50-sources.png"
N_SOURCES, N_EVAL, N_LANGUAGES = 50, 4, 40
VIEWPORT = 1280
# A4 is 210 mm wide; the page margins of render._CSS are 14 mm each side: 182 mm of content,
# 687 CSS px at 96 px per inch. Landscape pages (wide charts) have 297 - 28 = 269 mm.
A4_CONTENT_PX = math.floor((210 - 28) / 25.4 * 96)
A4_LANDSCAPE_CONTENT_PX = math.floor((297 - 28) / 25.4 * 96)
PT8_PX = 8 * 96 / 72  # 8 pt in CSS px
MAX_PAGES_LEGITIMATE = 40  # measured: 37 with the content-screening sections (33 before; 216 before charts and tables were made to scale)
LANGUAGES = sorted(c for c in LANGUAGE_NAMES if c != "und")[:N_LANGUAGES]


# -- generated inputs ----------------------------------------------------------------------


def _name(i: int) -> str:
    # every fifth name is longer than a chart label may be, to exercise truncation
    return f"source_{i:02d}" + ("_from_a_very_long_registry_entry_name" if i % 5 == 0 else "")


def _default(field: dict[str, Any]) -> Any:
    kind, text = field["type"], field.get("description", "")
    if kind == "bool":
        return True
    if kind.startswith("int"):
        return 0
    if kind.startswith("float"):
        return 0.0
    if "JSON" in text:
        return "[]" if re.search(r"JSON (list|array)", text) else "{}"
    return "" if field.get("nullable") else "none"


def _schema_row(schema: str) -> dict[str, Any]:
    fields = json.loads((ROOT / "schemas" / schema).read_text("utf-8"))["fields"]
    return {f["name"]: _default(f) for f in fields}


def _languages(i: int) -> dict[str, float]:
    """Five languages per source, rotating so that the 50 sources cover all 40."""
    codes = [LANGUAGES[(i * 3 + k * 8) % N_LANGUAGES] for k in range(5)]
    shares = (0.5, 0.2, 0.15, 0.1, 0.05)
    return dict(zip(codes, shares))


def _profile_rows() -> list[dict[str, Any]]:
    base = _schema_row("source_profile.schema.json")
    train = N_SOURCES - N_EVAL
    rows = []
    for i in range(N_SOURCES):
        documents = 1000 + 37 * i
        langs = _languages(i)
        role = "train" if i < train else "eval"
        row = dict(base)
        row.update(
            source=_name(i), role=role, acquisition=("open-license", "licensed", "self-collected")[i % 3],
            evidence_present=True, evidence=f"contract-{i}", consent_basis="none",
            license_declared="CC-BY-4.0" if i % 3 == 0 else None,
            documents=documents, characters=documents * 1800,
            share_of_corpus=round(documents / sum(1000 + 37 * j for j in range(train)), 6) if role == "train" else 0.0,
            languages=json.dumps(langs), languages_expected=json.dumps(sorted(langs)[:3]),
            language_mismatch_documents=documents // 4, language_mismatch_share=0.25, language_sources_min=3,
            license_categories=json.dumps({"permissive": documents - 10, "unknown": 10}),
            unknown_license_documents=10, unknown_license_share=round(10 / documents, 6),
            collected_from="2024-01-01", collected_to="2024-06-30", documents_read=documents + 5, quarantined=5,
            quarantine_share=round(5 / (documents + 5), 6), exact_duplicate_rate=0.01, near_duplicate_rate=0.02,
            duplicate_rate_any_source=round(0.01 * (i % 9), 6),
            overlap_with_sources=json.dumps({_name((i + 1) % train): {"count": 3 + i % 7, "share": 0.003}}),
            top_domains=json.dumps({f"site{i}.example": 400, f"blog{i}.example": 200}),
            inspection_sampled=400, inspection_reviewed=400, inspection_unsafe=i % 3,
            inspection_unsafe_share=round((i % 3) / 400, 6), inspection_unsafe_upper95=0.02,
        )
        rows.append(row)
    return rows


def _verdicts(names: list[str], batches: list[str]) -> list[dict[str, Any]]:
    out = []
    for suite in ("legitimate_sources", "data_quality", "labelling_process"):
        spec = json.loads((ROOT / "expectations" / f"{suite}.json").read_text("utf-8"))
        for k, e in enumerate(spec["expectations"]):
            failing = names[k::17][:3] if suite == "legitimate_sources" and k in (1, 3) else []
            if suite == "labelling_process" and k == 2:
                failing = batches[:2]
            out.append({"suite": suite, "expectation": e["type"], "column": e["kwargs"].get("column"),
                        "requirement_ids": e["meta"].get("requirement_ids", []),
                        "description": e["meta"].get("description", ""), "severity": e.get("severity", "critical"),
                        "success": not failing, "failing": failing, "observed": None})
    return out


def _labelling_rows(names: list[str]) -> list[dict[str, Any]]:
    base = _schema_row("labelling_profile.schema.json")
    rows = []
    for i in range(24):
        row = dict(base)
        row.update(source=names[i % 10], batch=f"batch-2024-{i:02d}", kind=("functional", "safety")[i % 2],
                   items=500 + i, labels=600 + i, annotators=4, guideline_versions='["v1"]',
                   untrained_annotators="[]", trained_share=1.0, qa_reviewed=50, qa_accepted=48,
                   qa_sample_share=0.1, qa_accuracy=0.96, double_labelled_items=100, agreement=0.9, kappa=0.8,
                   first_labelled_at="2024-05-01", last_labelled_at="2024-05-09")
        rows.append(row)
    return rows


def _inputs(n_sources: int = N_SOURCES) -> DisclosureInputs:
    rows = _profile_rows()[:n_sources] if n_sources == N_SOURCES else _small_rows(n_sources)
    names = [r["source"] for r in rows]
    train = [r["source"] for r in rows if r["role"] == "train"]
    labelling = _labelling_rows(names)
    matrix = {a: {b: {"count": (ia * 7 + ib * 3) % 23, "share": round(((ia * 7 + ib * 3) % 23) / 1000, 6)}
                  for ib, b in enumerate(train)} for ia, a in enumerate(train)}
    return DisclosureInputs(
        run_id="2026-11-30T02-00-00Z",
        manifest={"run_id": "2026-11-30T02-00-00Z", "started": "2026-11-30T02:00:00Z",
                  "totals": {"ledger": sum(r["documents"] for r in rows)}},
        sources=(), source_profile=rows, labelling_profile=labelling, guidelines=[],
        overlap={"summary": {}, "matrix": {"sources": train, "matrix": matrix}, "rates": {},
                 "contamination": {}},
        validation={"parameters": {"max_unsafe_upper95": 0.05, "max_unknown_license_share": 0.05},
                    "verdicts": _verdicts(names, [b["batch"] for b in labelling])},
    )


def _small_rows(n: int) -> list[dict[str, Any]]:
    rows = _profile_rows()[:n]
    for r in rows:
        r["role"] = "train"
    return rows


@pytest.fixture(scope="module")
def docs() -> dict[str, dict[str, Any]]:
    return build_all(_inputs())


# -- the documents as data -----------------------------------------------------------------


def test_languages_chart_shows_the_top_languages_plus_other(docs) -> None:
    section = next(s for s in docs["legitimate_sources"]["sections"] if s["id"] == "languages")
    names = [s["name"] for s in section["chart"]["series"]]
    assert len(names) == TOP_LANGUAGES + 1 and names[-1] == f"other ({N_LANGUAGES - TOP_LANGUAGES} languages)"
    assert all(language_code(n) in LANGUAGES for n in names[:-1])
    assert names[0] == language_label(language_code(names[0])) and " · " in names[0]
    # every source's parts still sum to its total share (nothing lost in "other")
    for i, source in enumerate(section["chart"]["categories"]):
        assert math.isclose(sum(s["values"][i] for s in section["chart"]["series"]), 1.0)
    # the long table: one row per source and language, with code and name
    table = section["table"]
    assert table["columns"] == ["source", "language", "share of documents", "expected", "mismatch share (source)"]
    assert len(table["rows"]) == N_SOURCES * 5
    assert {r[1] for r in table["rows"]} == {language_label(c) for c in LANGUAGES}


def test_value_axes_say_what_they_count(docs) -> None:
    for doc in docs.values():
        for section in doc["sections"]:
            chart = section.get("chart")
            if chart and chart["type"] in ("bar", "stacked_bar"):
                assert chart["y_label"] in ("source", "batch"), chart["title"]
                assert chart["x_label"] not in ("source", "batch") and chart["x_label"], chart["title"]


def test_overlap_beyond_the_heatmap_limit_is_a_table_of_top_pairs(docs) -> None:
    section = next(s for s in docs["legitimate_sources"]["sections"] if s["id"] == "overlap-heatmap")
    assert section["chart"] is None
    rows = section["table"]["rows"]
    shares = [r[3] for r in rows]
    assert shares == sorted(shares, reverse=True) and all(r[0] != r[1] for r in rows)
    small = build_legitimate_sources(_inputs(HEATMAP_MAX))
    heat = next(s for s in small["sections"] if s["id"] == "overlap-heatmap")
    assert heat["chart"]["type"] == "heatmap" and len(heat["chart"]["columns"]) == HEATMAP_MAX


def test_language_colours_are_fixed_and_distinct_in_a_chart() -> None:
    assert len(set(FIXED_COLOURS.values())) == len(PALETTE)
    assert set(FIXED_COLOURS) <= set(LANGUAGE_NAMES)
    assert language_colour("en") == PALETTE[FIXED_COLOURS["en"]]
    assert language_colour("xx") == language_colour("xx") and language_colour("xx") in PALETTE
    order = [language_label(c) for c in ("hr", "de", "en", "fr")]  # hr shares en's fixed colour
    colours = _series_colours(order)
    assert len(set(colours)) == 4 and colours[0] != language_colour("en")  # the more common one keeps it
    for shuffled in (order, order[::-1], sorted(order)):  # whatever the sort order of the series
        mapping = dict(zip(shuffled, _series_colours(shuffled)))
        assert [mapping[label] for label in order[1:]] == [language_colour(c) for c in ("de", "en", "fr")]


def test_langdetect_codes_all_have_names() -> None:
    profiles = pytest.importorskip("langdetect.detector_factory").PROFILES_DIRECTORY
    assert set(os.listdir(profiles)) <= set(LANGUAGE_NAMES)


def test_every_chart_has_an_accessible_summary(docs) -> None:
    for doc in docs.values():
        page = render_html(doc)
        for svg in re.findall(r"<svg\b.*?</svg>", page, re.DOTALL):
            desc = re.search(r'<desc id="[^"]+-desc">([^<]+)</desc>', svg)
            assert desc and "Largest values: " in desc.group(1), svg[:300]
        render_markdown(doc)


def test_footer_strings_are_escaped_for_css() -> None:
    text = _css_string('A "quoted" </style> title\\ 中')
    assert text.startswith('"') and text.endswith('"') and '"' not in text[1:-1]
    assert "<" not in text and "\\00003c " in text and "\\004e2d " in text


# -- in Chromium ---------------------------------------------------------------------------

_SCREEN_PROBE = """(() => {
  const out = {scroll: document.documentElement.scrollWidth, svgs: []};
  for (const s of document.querySelectorAll('svg')) {
    const r = s.getBoundingClientRect(), vb = s.viewBox.baseVal;
    const scale = r.width / vb.width;
    const sizes = [...s.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    out.svgs.push({w: r.width, right: r.right, vbw: vb.width, page: s.closest('main').clientWidth,
                   wide: s.closest('figure').classList.contains('chart-wide'),
                   minText: Math.min(...sizes), title: s.querySelector('title').textContent});
  }
  return out;
})()"""

_PRINT_PROBE = """(() => {
  const out = {scroll: document.documentElement.scrollWidth, tables: [], small: [], svgs: []};
  for (const t of document.querySelectorAll('table')) {
    const r = t.getBoundingClientRect();
    out.tables.push({right: r.right, scroll: t.scrollWidth, client: t.parentElement.clientWidth,
                     cols: t.rows[0].cells.length});
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || el.closest('svg')) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < %(min)f) out.small.push([el.tagName, el.className, size, n.textContent.slice(0, 40)]);
  }
  for (const s of document.querySelectorAll('svg')) {
    const r = s.getBoundingClientRect(), vb = s.viewBox.baseVal;
    const sizes = [...s.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize));
    out.svgs.push({right: r.right, vbw: vb.width, minText: Math.min(...sizes) * r.width / vb.width,
                   wide: s.closest('figure').classList.contains('chart-wide')});
  }
  const rules = [...document.styleSheets].flatMap(s => [...s.cssRules]);
  out.pageRules = rules.filter(r => r instanceof CSSPageRule).map(r => r.cssText).join(' ');
  return out;
})()"""


def _metrics(visit: Visit, width: int, media: str) -> None:
    visit.browser.send("Emulation.setEmulatedMedia", {"media": media}, session=visit.session)
    visit.browser.send("Emulation.setDeviceMetricsOverride",
                       {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                       session=visit.session)
    visit.evaluate("new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))")


def _pdf_pages(visit: Visit) -> tuple[int, bytes]:
    visit.browser.send("Emulation.setEmulatedMedia", {"media": ""}, session=visit.session)  # print CSS applies
    pdf = base64.b64decode(visit.browser.send(
        "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": False}, session=visit.session,
        timeout=180)["data"])
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf)), pdf


def _screenshot_section(visit: Visit, section_id: str, path: Path) -> None:
    """Save one section of the page as it shows on screen (the languages chart and table head)."""
    box = visit.evaluate(f"(() => {{const r = document.getElementById('{section_id}').getBoundingClientRect();"
                         " return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height};})()")
    clip = {"x": box["x"], "y": box["y"], "width": box["w"], "height": min(box["h"], 1800), "scale": 1}
    shot = visit.browser.send("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                         "captureBeyondViewport": True}, session=visit.session)
    path.write_bytes(base64.b64decode(shot["data"]))


def _check_page(visit: Visit, kind: str, title: str, date: str = "2026-11-30") -> None:
    _assert_stayed_local(visit)
    _metrics(visit, VIEWPORT, "screen")
    screen = visit.evaluate(_SCREEN_PROBE)
    assert screen["scroll"] <= VIEWPORT, (kind, screen["scroll"])
    for svg in screen["svgs"]:
        assert svg["w"] <= svg["page"] + 0.5 and svg["right"] <= VIEWPORT, (kind, svg)
        assert svg["minText"] >= 8, (kind, svg)
    _metrics(visit, A4_CONTENT_PX, "print")
    printed = visit.evaluate(_PRINT_PROBE % {"min": PT8_PX - 0.01})
    # the running footer: title and date at the left, page x / y at the right
    assert 'counter(page) " / " counter(pages)' in printed["pageRules"], kind
    assert f'content: "{title} · {date}"' in printed["pageRules"], (kind, printed["pageRules"])
    assert printed["scroll"] <= A4_CONTENT_PX, (kind, printed["scroll"])
    for table in printed["tables"]:
        assert table["right"] <= A4_CONTENT_PX + 0.5 and table["scroll"] <= table["client"] + 1, (kind, table)
    assert printed["small"] == [], (kind, printed["small"][:5])
    for svg in printed["svgs"]:
        assert svg["right"] <= A4_CONTENT_PX + 0.5, (kind, svg)
        if svg["wide"]:  # printed on a landscape page: scaled to at most its content width
            assert min(1.0, A4_LANDSCAPE_CONTENT_PX / svg["vbw"]) * 12 >= PT8_PX, (kind, svg)
        else:
            assert svg["minText"] >= PT8_PX - 0.01, (kind, svg)
    _metrics(visit, VIEWPORT, "screen")


@pytest.mark.parametrize("kind", KINDS)
def test_50_sources_stay_readable_on_screen_and_in_print(browser, docs, tmp_path, kind) -> None:  # noqa: F811
    page = tmp_path / f"{kind}.html"
    page.write_text(render_html(docs[kind]), "utf-8")
    visit = Visit(browser, page.as_uri())
    try:
        _check_page(visit, kind, docs[kind]["title"])
        if kind == "legitimate_sources":
            pages, pdf = _pdf_pages(visit)
            print(f"\nlegitimate_sources at {N_SOURCES} sources: {pages} A4 pages")
            assert b"/MediaBox [0 0 594.95996 841.91998]" in pdf or b"/MediaBox [0 0 595" in pdf
            assert 1 < pages <= MAX_PAGES_LEGITIMATE, pages
            if os.environ.get("PROVAUDIT_SCREENSHOTS") == "1":
                SCREENSHOT.parent.mkdir(exist_ok=True)
                _screenshot_section(visit, "s-languages", SCREENSHOT)
    finally:
        visit.close()


def test_15_source_heatmap_is_readable(browser, tmp_path) -> None:  # noqa: F811
    doc = build_legitimate_sources(_inputs(HEATMAP_MAX))
    page = tmp_path / "heatmap.html"
    page.write_text(render_html(doc), "utf-8")
    visit = Visit(browser, page.as_uri())
    try:
        _check_page(visit, "legitimate_sources (15 sources)", doc["title"])
        svgs = visit.evaluate(_SCREEN_PROBE)["svgs"]
        heat = next(s for s in svgs if s["title"] == "Overlap between training sources")
        assert heat["vbw"] <= A4_LANDSCAPE_CONTENT_PX
    finally:
        visit.close()
