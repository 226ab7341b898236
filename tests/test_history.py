"""Run history and drift: the pure functions, and their pages in headless Chromium.

``PROVAUDIT_SCREENSHOTS=1`` also writes the pages' screenshots to ``docs/run-index-drift.png``
and ``docs/history.png``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from provaudit.core.history import (HISTORY_FIELDS, drift, expectation_key, first_seen, headline,
                                    history_table, merge_history, newly_failing)
from provaudit.reports.history import render_drift, render_history_page, render_trends
from provaudit.reports.render import render_index
from test_datadocs import Visit, _assert_stayed_local, browser  # noqa: F401

HOSTILE = '<script>alert("x")</script>'


def _verdict(desc: str, ok: bool, failing=(), severity: str = "critical") -> dict:
    return {"suite": "legitimate_sources", "description": desc, "success": ok, "failing": list(failing),
            "severity": severity, "requirement_ids": ["CN-IM-7.1"], "expectation": "x", "column": "c"}


def _row(source: str, documents: int = 10, **over) -> dict:
    row = {"source": source, "role": "train", "documents": documents, "acquisition": "licensed",
           "license_declared": "MIT", "evidence": "contract", "consent_basis": "contract",
           "opted_out_documents": 0, "pii_documents": 0, "quarantined": 0, "exact_duplicate_rate": 0.0,
           "near_duplicate_rate": 0.0, "quarantine_share": 0.0, "unknown_license_share": 0.0,
           "unknown_license_documents": 0, "license_categories": json.dumps({"permissive": documents}),
           "languages": json.dumps({"en": 1.0})}
    row.update(over)
    return row


def _run(run_id: str, rows: list[dict], verdicts: list[dict], shards: list[dict]) -> dict:
    return {"run_id": run_id, "profiles": rows, "validation": {"verdicts": verdicts},
            "manifest": {"run_id": run_id, "shards": shards}}


SHARD = {"source": "news", "path": "news/a.jsonl", "size": 100, "sha256": "aa"}


def test_drift_names_every_kind_of_change_newly_failing_first() -> None:
    before = _run("r1", [_row("news"), _row("blogs", license_declared=None)],
                  [_verdict("licence known", False, ["blogs"]), _verdict("opt-out", False, ["crawl"]),
                   _verdict("evidence", True)], [SHARD])
    after = _run("r2", [_row("news", 12, languages=json.dumps({"en": 0.8, "de": 0.2})),
                        _row("blogs", license_declared="CC-BY-4.0"), _row(HOSTILE)],
                 [_verdict("licence known", True), _verdict("opt-out", False, ["crawl", "news"]),
                  _verdict("evidence", False, ["news"])],
                 [dict(SHARD, size=120, sha256="bb"), {"source": HOSTILE, "path": "x/1.txt", "size": 5}])
    d = drift(before, after)
    assert d["sources"]["added"] == [HOSTILE] and d["sources"]["removed"] == []
    assert d["shards"]["added"][0]["path"] == "x/1.txt"
    assert d["shards"]["changed"][0]["size"] == {"before": 100, "after": 120}
    news = d["sources"]["changed"]["news"]
    assert news["documents"] == {"before": 10, "after": 12, "change": 2}
    assert set(news["language_shares"]) == {"en", "de"}
    assert d["sources"]["changed"]["blogs"]["license_declared"] == {"before": None, "after": "CC-BY-4.0"}
    assert [(e["expectation"].split(": ")[1], e["status"]) for e in d["expectations"]] == [
        ("evidence", "newly failing"), ("opt-out", "failing for more"), ("licence known", "newly passing")]
    assert d["expectations"][1]["newly_failing"] == ["news"]
    assert not d["unchanged"]
    assert sorted(newly_failing(d, after["validation"])) == sorted(
        expectation_key(v) for v in after["validation"]["verdicts"] if not v["success"])
    assert newly_failing(None, after["validation"]) == newly_failing(d, after["validation"])


def test_language_shares_move_only_beyond_the_threshold() -> None:
    a = _run("r1", [_row("s", languages=json.dumps({"en": 0.5, "fr": 0.5}))], [], [])
    b = _run("r2", [_row("s", languages=json.dumps({"en": 0.505, "fr": 0.495}))], [], [])
    assert drift(a, b)["unchanged"] and not drift(a, b, min_share_change=0.001)["unchanged"]


_names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_names, st.integers(0, 10_000), st.floats(0, 1)), max_size=6, unique_by=lambda t: t[0]),
       st.lists(st.tuples(_names, st.booleans()), max_size=6, unique_by=lambda t: t[0]))
def test_a_run_compared_with_itself_is_unchanged(sources, verdicts) -> None:
    rows = [_row(name, docs, exact_duplicate_rate=rate) for name, docs, rate in sources]
    run = _run("r", rows, [_verdict(desc, ok, [] if ok else ["s"]) for desc, ok in verdicts], [SHARD])
    d = drift(run, dict(run, run_id="r2"))
    assert d["unchanged"] and d["expectations"] == [] and d["sources"]["changed"] == {}


def _record(run_id: str, names: list[str], failed: int = 0, started: str = "2026-01-01T02:30:00+00:00") -> dict:
    manifest = {"run_id": run_id, "config_hash": "ab", "totals": {"quarantined": 1},
                "shards": [{"status": "reused"}, {"status": "scanned"}]}
    verdicts = [_verdict(f"e{i}", i >= failed) for i in range(4)]
    return headline(manifest, [_row(n, 10, unknown_license_documents=5, exact_duplicate_rate=0.1) for n in names],
                    {"contamination": {"eval": {"near_duplicate_items": 2}}},
                    {"verdicts": verdicts, "success": failed == 0}, mode="nightly", started=started,
                    ended=started, duration_seconds=1.5)


def test_headline_history_and_first_seen() -> None:
    r1 = _record("20260101T023000Z-ab", ["news"], failed=1)
    assert (r1["documents"], r1["unknown_license_share"], r1["exact_duplicate_rate"]) == (10, 0.5, 0.1)
    assert (r1["shards_scanned"], r1["shards_reused"], r1["contaminated_items"]) == (1, 1, 2)
    assert (r1["expectations_failed"], r1["critical_failed"], r1["success"]) == (1, 1, False)
    r2 = _record("20260102T023000Z-ab", ["news", "blogs"], started="2026-01-02T02:30:00+00:00")
    rows = merge_history(merge_history([], r1), r2)
    assert [r["run_id"] for r in merge_history(rows, dict(r2, documents=99))] == [r1["run_id"], r2["run_id"]]
    table = history_table(rows)
    assert table.schema == pa.schema([pa.field(k, t) for k, t in HISTORY_FIELDS.items()])
    assert first_seen(rows) == {"news": {"run_id": r1["run_id"], "date": "2026-01-01"},
                                "blogs": {"run_id": r2["run_id"], "date": "2026-01-02"}}


def test_index_drift_trends_and_history_pages_in_chromium(browser, tmp_path: Path) -> None:  # noqa: F811
    before = _run("20260101T023000Z-ab", [_row("news"), _row("blogs", license_declared=None)],
                  [_verdict("Every licence is known", False, ["blogs"])], [SHARD])
    after = _run("20260102T023000Z-ab", [_row("news", 12), _row("blogs", license_declared="CC-BY-4.0"),
                                          _row(HOSTILE)],
                 [_verdict("Every licence is known", True), _verdict(f"Evidence {HOSTILE}", False, [HOSTILE])],
                 [SHARD, {"source": HOSTILE, "path": f"{HOSTILE}/1.txt", "size": 5}])
    rows = [_record(f"202601{d:02d}T023000Z-ab", ["news", "blogs"], failed=d % 3,
                    started=f"2026-01-{d:02d}T02:30:00+00:00") for d in range(1, 15)]
    run_dir = tmp_path / "out" / "20260102T023000Z-ab"
    run_dir.mkdir(parents=True)
    page = {"run_id": "20260102T023000Z-ab", "generated_by": "provaudit test",
            "verdict": {"status": "fail", "summary": "1 of 2 expectations failed"},
            "sources": [{"name": "news", "role": "train", "legitimate": True, "reasons": []}],
            "failures": [], "links": [{"label": "Drift report (JSON)", "href": "drift.json", "description": ""}]}
    index = run_dir / "index.html"
    index.write_text(render_index(page, [render_drift(drift(before, after)), render_trends(rows)]), "utf-8")
    (run_dir / "drift.json").write_text("{}", "utf-8")
    history = tmp_path / "out" / "history.html"
    history.write_text(render_history_page(rows, last=10), "utf-8")
    for path, shot_name in ((index, "run-index-drift.png"), (history, "history.png")):
        visit = Visit(browser, path.as_uri())
        try:
            _assert_stayed_local(visit)
            assert visit.evaluate("document.querySelectorAll('script').length") == 0  # escaped
            text = visit.evaluate("document.body.innerText")
            width = visit.evaluate("document.documentElement.scrollWidth")
            assert width <= 1280, f"{path.name} scrolls sideways: {width}px"
            if path == index:
                assert "Changes since the previous run" in text and HOSTILE in text
                assert "newly failing" in text and "newly passing" in text
                assert "blogs" in text and "CC-BY-4.0" in text
                charts = visit.evaluate("[...document.querySelectorAll('#trends svg')].map("
                                        "s => [s.getBoundingClientRect().width, s.getBoundingClientRect().height])")
                assert len(charts) == 7 and all(w > 200 and h > 100 for w, h in charts), charts
            else:
                assert text.count("FAIL") >= 3 and "20260114T023000Z-ab" in text and "01-14 02:30" in text
                assert "20260104T023000Z-ab" not in text  # only the last 10 runs
            visit.screenshot_for_docs(tmp_path / shot_name, ROOT / "docs" / shot_name)
        finally:
            visit.close()
