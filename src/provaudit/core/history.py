"""Run history and drift: one row of headline figures per complete run, and what changed.

Plain functions on plain data: a run's manifest, source-profile rows, overlap summary and
validation results in; dictionaries out. :func:`headline` makes the row that
``history.parquet`` keeps for each complete run; :func:`drift` compares two runs (shards,
sources, per-source figures, expectations whose verdict changed, newly failing first);
:func:`first_seen` says in which complete run each source first appears, which is when
the data set was first used (AB 2013 item 11) as far as provaudit can know.

The history is the one data file that carries clock values (each run's start and end):
it is the log of the runs, not a finding about the corpus.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa

# column -> Arrow type, in file order
HISTORY_FIELDS: dict[str, pa.DataType] = {
    "run_id": pa.string(),
    "mode": pa.string(),  # run (full) or nightly (incremental)
    "started": pa.string(),  # ISO 8601, UTC
    "ended": pa.string(),
    "duration_seconds": pa.float64(),
    "config_hash": pa.string(),
    "sources": pa.int64(),
    "source_names": pa.list_(pa.string()),
    "shards": pa.int64(),
    "shards_scanned": pa.int64(),
    "shards_reused": pa.int64(),
    "documents": pa.int64(),  # training documents in the ledger
    "quarantined": pa.int64(),
    "unknown_license_share": pa.float64(),
    "pii_documents": pa.int64(),
    "exact_duplicate_rate": pa.float64(),
    "near_duplicate_rate": pa.float64(),
    "contaminated_items": pa.int64(),  # evaluation items with a near duplicate in training data
    "expectations_passed": pa.int64(),
    "expectations_failed": pa.int64(),
    "critical_failed": pa.int64(),
    "success": pa.bool_(),
    "verdicts": pa.string(),  # JSON: expectation key -> true/false, for the history page
}
HEADLINE_FIGURES = ("documents", "unknown_license_share", "pii_documents", "exact_duplicate_rate",
                    "near_duplicate_rate", "contaminated_items", "expectations_failed")


def expectation_key(verdict: Mapping[str, Any]) -> str:
    """Name an expectation stably across runs: its suite and its plain description."""
    return f"{verdict.get('suite', '')}: {verdict.get('description', '')}"


def _ratio(num: float, den: float) -> float:
    return round(num / den, 6) if den else 0.0


def headline(manifest: Mapping[str, Any], profile_rows: Sequence[Mapping[str, Any]],
             overlap_summary: Mapping[str, Any], validation: Mapping[str, Any], *, mode: str,
             started: str, ended: str, duration_seconds: float) -> dict[str, Any]:
    """Return a complete run's history row from its outputs."""
    train = [r for r in profile_rows if r.get("role", "train") == "train"]
    docs = sum(int(r["documents"]) for r in train)
    weighted = {col: sum(float(r.get(col) or 0) * int(r["documents"]) for r in train)
                for col in ("exact_duplicate_rate", "near_duplicate_rate")}
    verdicts = list(validation.get("verdicts", []))
    shards = list(manifest.get("shards", []))
    contamination = overlap_summary.get("contamination", {}) or {}
    return {
        "run_id": str(manifest["run_id"]),
        "mode": mode,
        "started": started,
        "ended": ended,
        "duration_seconds": round(float(duration_seconds), 3),
        "config_hash": str(manifest.get("config_hash", "")),
        "sources": len(profile_rows),
        "source_names": sorted(str(r["source"]) for r in profile_rows),
        "shards": len(shards),
        "shards_scanned": sum(1 for s in shards if s.get("status", "scanned") == "scanned"),
        "shards_reused": sum(1 for s in shards if s.get("status") == "reused"),
        "documents": docs,
        "quarantined": int(manifest.get("totals", {}).get("quarantined", 0)),
        "unknown_license_share": _ratio(sum(int(r["unknown_license_documents"]) for r in train), docs),
        "pii_documents": sum(int(r["pii_documents"]) for r in train),
        "exact_duplicate_rate": _ratio(weighted["exact_duplicate_rate"], docs),
        "near_duplicate_rate": _ratio(weighted["near_duplicate_rate"], docs),
        "contaminated_items": sum(int(c.get("near_duplicate_items", 0)) for c in contamination.values()),
        "expectations_passed": sum(1 for v in verdicts if v.get("success")),
        "expectations_failed": sum(1 for v in verdicts if not v.get("success")),
        "critical_failed": sum(1 for v in verdicts if not v.get("success") and v.get("severity") == "critical"),
        "success": bool(validation.get("success", False)),
        "verdicts": json.dumps({expectation_key(v): bool(v.get("success")) for v in verdicts},
                               sort_keys=True, ensure_ascii=False),
    }


def merge_history(rows: Iterable[Mapping[str, Any]], record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the history with ``record`` added (replacing a row of the same run), by run id."""
    kept = {str(r["run_id"]): {k: r.get(k) for k in HISTORY_FIELDS} for r in rows}
    kept[str(record["run_id"])] = {k: record.get(k) for k in HISTORY_FIELDS}
    return [kept[k] for k in sorted(kept)]


def history_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Return the history rows as an Arrow table with the fixed schema."""
    schema = pa.schema([pa.field(k, t) for k, t in HISTORY_FIELDS.items()])
    return pa.Table.from_pylist([dict(r) for r in rows], schema=schema)


def first_seen(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Return, per source, the first complete run it appears in: {source: {run_id, date}}."""
    seen: dict[str, dict[str, str]] = {}
    for row in sorted(rows, key=lambda r: str(r["run_id"])):
        for name in row.get("source_names") or []:
            seen.setdefault(str(name), {"run_id": str(row["run_id"]), "date": str(row.get("started", ""))[:10]})
    return seen


# ------------------------------------------------------------------------------------ drift

_RATE_COLUMNS = ("exact_duplicate_rate", "near_duplicate_rate", "quarantine_share", "unknown_license_share")
_FACT_COLUMNS = ("acquisition", "license_declared", "evidence", "consent_basis", "role")


def _json_map(value: Any) -> dict[str, float]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return {str(k): float(v) for k, v in (value or {}).items()}


def _map_changes(before: Mapping[str, float], after: Mapping[str, float], min_change: float) -> dict[str, Any]:
    out = {}
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key, 0.0), after.get(key, 0.0)
        if abs(b - a) > min_change:
            out[key] = {"before": a, "after": b, "change": round(b - a, 6)}
    return out


def _source_change(prev: Mapping[str, Any], cur: Mapping[str, Any], min_share_change: float) -> dict[str, Any]:
    change: dict[str, Any] = {}
    for col in _FACT_COLUMNS:
        if prev.get(col) != cur.get(col):
            change[col] = {"before": prev.get(col), "after": cur.get(col)}
    for col in ("documents", "opted_out_documents", "pii_documents", "quarantined"):
        a, b = int(prev.get(col) or 0), int(cur.get(col) or 0)
        if a != b:
            change[col] = {"before": a, "after": b, "change": b - a}
    a_docs, b_docs = int(prev.get("documents") or 0), int(cur.get("documents") or 0)
    pii = (_ratio(int(prev.get("pii_documents") or 0), a_docs), _ratio(int(cur.get("pii_documents") or 0), b_docs))
    if abs(pii[1] - pii[0]) > 1e-9:
        change["pii_rate"] = {"before": pii[0], "after": pii[1], "change": round(pii[1] - pii[0], 6)}
    for col in _RATE_COLUMNS:
        a, b = float(prev.get(col) or 0), float(cur.get(col) or 0)
        if abs(b - a) > 1e-9:
            change[col] = {"before": a, "after": b, "change": round(b - a, 6)}
    licenses = _map_changes(_json_map(prev.get("license_categories")), _json_map(cur.get("license_categories")), 0)
    if licenses:
        change["license_categories"] = licenses
    languages = _map_changes(_json_map(prev.get("languages")), _json_map(cur.get("languages")), min_share_change)
    if languages:
        change["language_shares"] = languages
    return change


def drift(previous: Mapping[str, Any], current: Mapping[str, Any], min_share_change: float = 0.01) -> dict[str, Any]:
    """Compare two runs. Each is {"run_id", "manifest", "profiles": rows, "validation"}.

    Language shares count as changed when they move by more than ``min_share_change``;
    every other figure counts at any change. Expectations whose verdict changed are listed
    newly failing first.
    """
    p_shards = {s["path"]: s for s in previous["manifest"].get("shards", [])}
    c_shards = {s["path"]: s for s in current["manifest"].get("shards", [])}
    shards = {
        "added": [{"source": c_shards[p]["source"], "path": p, "size": c_shards[p]["size"]}
                  for p in sorted(set(c_shards) - set(p_shards))],
        "removed": [{"source": p_shards[p]["source"], "path": p, "size": p_shards[p]["size"]}
                    for p in sorted(set(p_shards) - set(c_shards))],
        "changed": [{"source": c_shards[p]["source"], "path": p,
                     "size": {"before": p_shards[p]["size"], "after": c_shards[p]["size"]}}
                    for p in sorted(set(c_shards) & set(p_shards))
                    if (p_shards[p].get("sha256"), p_shards[p]["size"]) != (c_shards[p].get("sha256"), c_shards[p]["size"])],
    }
    p_rows = {r["source"]: r for r in previous.get("profiles", [])}
    c_rows = {r["source"]: r for r in current.get("profiles", [])}
    changed = {}
    for name in sorted(set(p_rows) & set(c_rows)):
        change = _source_change(p_rows[name], c_rows[name], min_share_change)
        if change:
            changed[name] = change
    p_verdicts = {expectation_key(v): v for v in previous.get("validation", {}).get("verdicts", [])}
    c_verdicts = {expectation_key(v): v for v in current.get("validation", {}).get("verdicts", [])}
    verdicts = []
    for key in sorted(set(p_verdicts) | set(c_verdicts)):
        before, after = p_verdicts.get(key), c_verdicts.get(key)
        b_ok = None if before is None else bool(before.get("success"))
        a_ok = None if after is None else bool(after.get("success"))
        added = sorted(set((after or {}).get("failing", [])) - set((before or {}).get("failing", [])))
        if b_ok == a_ok and not (a_ok is False and added):
            continue
        v = after or before or {}
        status = ("failing for more" if b_ok is False and a_ok is False
                  else "newly failing" if a_ok is False else "newly passing" if a_ok and b_ok is False
                  else "new" if before is None else "removed")
        verdicts.append({"expectation": key, "suite": v.get("suite", ""), "severity": v.get("severity", ""),
                         "requirement_ids": list(v.get("requirement_ids", [])), "status": status,
                         "before": b_ok, "after": a_ok, "failing": list((after or {}).get("failing", [])),
                         "newly_failing": added if a_ok is False else []})
    order = {"newly failing": 0, "failing for more": 1, "new": 2, "newly passing": 3, "removed": 4}
    verdicts.sort(key=lambda d: (order[d["status"]], d["expectation"]))
    return {
        "previous_run": previous["run_id"],
        "run": current["run_id"],
        "sources": {"added": sorted(set(c_rows) - set(p_rows)), "removed": sorted(set(p_rows) - set(c_rows)),
                    "changed": changed},
        "shards": shards,
        "expectations": verdicts,
        "unchanged": not (shards["added"] or shards["removed"] or shards["changed"] or changed
                          or set(c_rows) ^ set(p_rows) or verdicts),
    }


def newly_failing(drift_report: Mapping[str, Any] | None, validation: Mapping[str, Any]) -> list[str]:
    """Critical expectations failing now that did not fail in the previous complete run, or
    that fail for a source or batch that did not fail it then.

    With no previous run (``drift_report`` None) every critical failure is new.
    """
    failing = [expectation_key(v) for v in validation.get("verdicts", [])
               if not v.get("success") and v.get("severity") == "critical"]
    if drift_report is None:
        return failing
    new = {d["expectation"] for d in drift_report.get("expectations", [])
           if d["status"] in ("newly failing", "failing for more", "new")}
    return [k for k in failing if k in new]
