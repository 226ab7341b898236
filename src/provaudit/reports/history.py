"""The run history on the page: drift against the previous run, trends, verdicts over runs.

Renders what :mod:`provaudit.core.history` computes: the drift section of a run's
``index.html`` (shards and sources added, removed or changed, per-source changes,
expectations whose verdict changed, newly failing first), inline-SVG trend charts of the
headline figures over the history, and ``history.html``, the last N runs' verdicts per
expectation read from ``history.parquet`` alone (no run's GX results are loaded). Every
value taken from a corpus, a registry or a run is escaped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from provaudit.reports.render import _chart_html, _e, _number, _page

_FIGURES = (  # (history column, title, unit)
    ("documents", "Training documents", "count"),
    ("unknown_license_share", "Unknown-licence share", "share"),
    ("pii_documents", "Documents with personal information", "count"),
    ("exact_duplicate_rate", "Exact-duplicate rate", "share"),
    ("near_duplicate_rate", "Near-duplicate rate", "share"),
    ("contaminated_items", "Evaluation items leaked into training data", "count"),
    ("expectations_failed", "Expectations failed", "count"),
)


def _is_figure(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _change_text(key: str, change: Mapping[str, Any]) -> str:
    """One line for one changed figure of a source: ``key: before → after``."""
    if "before" in change:
        before, after = change["before"], change["after"]
        if _is_figure(before) and _is_figure(after):
            unit = "share" if key.endswith(("rate", "share")) else "count"
            return f"{key}: {_number(before, unit)} → {_number(after, unit)}"
        return f"{key}: {before} → {after}"
    unit = "share" if key == "language_shares" else "count"
    inner = "; ".join(f"{k} {_number(v['before'], unit)} → {_number(v['after'], unit)}" for k, v in change.items())
    return f"{key}: {inner}"


def _failing_html(verdict: Mapping[str, Any]) -> str:
    new = set(verdict.get("newly_failing", []))
    items = [f"<strong>{_e(x)} (new)</strong>" if x in new else _e(x) for x in verdict.get("failing", [])]
    return ", ".join(items) or "—"


def render_drift(report: Mapping[str, Any] | None) -> str:
    """Return the index page's drift section (HTML)."""
    parts = ['<section id="drift">\n<h2>Changes since the previous run</h2>\n']
    if report is None:
        parts.append("<p>This is the first complete run of this output folder: nothing to compare.</p>\n")
        return "".join(parts) + "</section>\n"
    parts.append(f'<p>Compared with run <code>{_e(report["previous_run"])}</code> '
                 '(details in <a href="drift.json">drift.json</a>).</p>\n')
    if report.get("unchanged"):
        parts.append("<p>Nothing changed: same shards, same per-source figures, same verdicts.</p>\n")
        return "".join(parts) + "</section>\n"
    verdicts = report.get("expectations", [])
    if verdicts:
        parts.append('<h3>Expectations whose verdict changed</h3>\n<div class="table-wrap"><table>\n<thead><tr>'
                     '<th scope="col">Change</th><th scope="col">Expectation</th>'
                     '<th scope="col">Requirements</th><th scope="col">Failing</th></tr></thead>\n<tbody>\n')
        for v in verdicts:
            parts.append(f'<tr class="drift-{_e(v["status"].replace(" ", "-"))}"><td>{_e(v["status"])}</td>'
                         f'<td>{_e(v["expectation"])} ({_e(v.get("severity", ""))})</td>'
                         f'<td>{_e(", ".join(v.get("requirement_ids", [])))}</td>'
                         f'<td>{_failing_html(v)}</td></tr>\n')
        parts.append("</tbody>\n</table></div>\n")
    sources, shards = report.get("sources", {}), report.get("shards", {})
    rows = [("source added", name, "") for name in sources.get("added", [])]
    rows += [("source removed", name, "") for name in sources.get("removed", [])]
    for kind in ("added", "removed", "changed"):
        for s in shards.get(kind, []):
            size = s.get("size")
            detail = (f"{_number(size['before'])} → {_number(size['after'])} bytes" if isinstance(size, dict)
                      else f"{_number(size)} bytes")
            rows.append((f"shard {kind}", f"{s['source']}: {s['path']}", detail))
    for name, change in sorted(sources.get("changed", {}).items()):
        rows.append(("source changed", name, "; ".join(_change_text(k, v) for k, v in change.items())))
    if rows:
        parts.append('<h3>Sources and shards</h3>\n<div class="table-wrap"><table>\n<thead><tr><th scope="col">Change</th>'
                     '<th scope="col">What</th><th scope="col">Detail</th></tr></thead>\n<tbody>\n')
        parts += [f"<tr><td>{_e(a)}</td><td>{_e(b)}</td><td>{_e(c) or '—'}</td></tr>\n" for a, b, c in rows]
        parts.append("</tbody>\n</table></div>\n")
    return "".join(parts) + "</section>\n"


def render_trends(rows: Sequence[Mapping[str, Any]], last: int = 30) -> str:
    """Return the index page's trend charts over the last ``last`` complete runs (HTML)."""
    rows = list(rows)[-last:]
    parts = ['<section id="trends">\n<h2>Trends over the run history</h2>\n']
    if len(rows) < 2:
        parts.append(f"<p>{len(rows)} complete run{'s' * (len(rows) != 1)} so far: trends appear "
                     "from the second complete run on. All runs: <a href=\"../history.html\">history</a>.</p>\n")
        return "".join(parts) + "</section>\n"
    categories = [_short(r["run_id"]) for r in rows]
    for i, (column, title, unit) in enumerate(_FIGURES):
        chart = {"type": "line", "title": title, "unit": unit, "categories": categories,
                 "x_label": "run (UTC start)", "y_label": title,
                 "series": [{"name": title, "values": [r.get(column) for r in rows]}]}
        parts.append(_chart_html(chart, f"trend-{i}"))
    parts.append('<p>Every run\'s verdicts: <a href="../history.html">history</a>.</p>\n')
    return "".join(parts) + "</section>\n"


def _short(run_id: object) -> str:
    """A run id's start as ``MM-DD HH:MM`` (UTC), for narrow column headings."""
    text = str(run_id)
    if len(text) >= 13 and text[8] == "T":
        return f"{text[4:6]}-{text[6:8]} {text[9:11]}:{text[11:13]}"
    return text[:15]


def render_history_page(rows: Sequence[Mapping[str, Any]], last: int = 30) -> str:
    """Return ``history.html``: the last ``last`` complete runs and each expectation's verdicts."""
    rows = list(rows)[-last:]
    verdicts = [json.loads(r.get("verdicts") or "{}") for r in rows]
    keys = sorted({k for v in verdicts for k in v})
    parts = [f"<header>\n<h1>provaudit run history</h1>\n<p class=\"meta\">The last {len(rows)} complete "
             "runs of this output folder, newest last (from history.parquet).</p>\n</header>\n",
             '<section id="runs">\n<h2>Runs</h2>\n<div class="table-wrap"><table>\n<thead><tr><th scope="col">Run</th>'
             '<th scope="col">Mode</th><th scope="col" class="num">Documents</th>'
             '<th scope="col" class="num">Shards scanned / reused</th>'
             '<th scope="col" class="num">Failed</th><th scope="col" class="num">Seconds</th>'
             '<th scope="col">Verdict</th></tr></thead>\n<tbody>\n']
    for r in rows:
        run = _e(r["run_id"])
        parts.append(f'<tr><th scope="row"><a href="{run}/index.html">{run}</a></th><td>{_e(r.get("mode", ""))}</td>'
                     f'<td class="num">{_number(r.get("documents"))}</td>'
                     f'<td class="num">{_number(r.get("shards_scanned"))} / {_number(r.get("shards_reused"))}</td>'
                     f'<td class="num">{_number(r.get("expectations_failed"))}</td>'
                     f'<td class="num">{_e(r.get("duration_seconds"))}</td>'
                     f'<td>{"pass" if r.get("success") else "FAIL"}</td></tr>\n')
    parts.append("</tbody>\n</table></div>\n</section>\n")
    parts.append('<section id="verdicts">\n<h2>Verdicts per expectation</h2>\n<div class="table-wrap"><table>\n<thead><tr>'
                 '<th scope="col">Expectation</th>'
                 + "".join(f'<th scope="col" title="{_e(r["run_id"])}">{_e(_short(r["run_id"]))}</th>' for r in rows)
                 + "</tr></thead>\n<tbody>\n")
    for key in keys:
        cells = "".join("<td>—</td>" if key not in v else
                        ('<td class="pass">pass</td>' if v[key] else '<td class="fail"><strong>FAIL</strong></td>')
                        for v in verdicts)
        parts.append(f'<tr><th scope="row">{_e(key)}</th>{cells}</tr>\n')
    parts.append("</tbody>\n</table></div>\n</section>\n")
    return _page("provaudit run history", "".join(parts))
