"""One-screen text summaries of a run, built from its manifest (pure functions)."""

from __future__ import annotations

from typing import Any


def _share(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:5.1f}%" if whole else "    -"


def _table(counts: dict[str, int], whole: int, limit: int = 8) -> list[str]:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    lines = [f"    {k:<22} {v:>9,}  {_share(v, whole)}" for k, v in ordered[:limit]]
    rest = ordered[limit:]
    if rest:
        n = sum(v for _, v in rest)
        lines.append(f"    {f'({len(rest)} more)':<22} {n:>9,}  {_share(n, whole)}")
    return lines


def scan_summary(manifest: dict[str, Any], paths: dict[str, str]) -> str:
    """Return the scan summary: where outputs are, then documents, sources, languages, licenses, quarantine."""
    t = manifest["totals"]
    lines = [f"provaudit scan {manifest['run_id']}  ({manifest['duration_seconds']:.1f} s, "
             f"runner {manifest['runner']})"]
    for label in ("ledger", "quarantine", "manifest"):
        lines.append(f"  {label + ':':<12}{paths[label]}")
    lines.append(f"  documents: {t['documents_read']:,} read = {t['ledger']:,} in the ledger + "
                 f"{t['quarantined']:,} quarantined, from {t['shards']} shards"
                 + (f"; {t['skipped']:,} archive records skipped (not documents)"
                    if t.get("skipped") else ""))
    lines.append(f"  sources: {len(manifest['sources'])}")
    for name, s in sorted(manifest["sources"].items()):
        role = " (eval)" if s["role"] == "eval" else ""
        lines.append(f"    {name + role:<26} {s['ledger']:>9,} docs  {s['quarantined']:>5,} quarantined"
                     f"  {s['acquisition']}")
    lines.append("  languages:")
    lines.extend(_table(t["languages"], t["ledger"]))
    lines.append("  license categories:")
    lines.extend(_table(t["license_categories"], t["ledger"]))
    lines.append("  quarantined by reason:")
    lines.extend(_table(t["quarantined_by_reason"], t["quarantined"]) or ["    (none)"])
    if t.get("skipped"):
        lines.append("  skipped by reason (WARC/ARC records):")
        lines.extend(_table(t["skipped_by_reason"], t["skipped"]))
    rec = manifest["reconciliation"]
    verdict = "ok" if rec["ok"] else "FAILED"
    lines.append(f"  reconciliation {verdict}: read {rec['read']:,} == ledger {rec['ledger']:,} + "
                 f"quarantined {rec['quarantined']:,}"
                 + (f" + skipped {rec['skipped']:,}" if "skipped" in rec else ""))
    return "\n".join(lines)


def overlap_summary(summary: dict[str, Any], overlap_dir: str) -> str:
    """Return the overlap summary: duplicate rates, top overlapping source pairs, contamination."""
    lsh = summary["lsh"]
    lines = [f"provaudit overlap {summary['run_id']}  ({summary['duration_seconds']:.1f} s; "
             f"Jaccard >= {lsh['threshold']}, {lsh['bands']} bands x {lsh['rows']} rows)",
             f"  outputs:    {overlap_dir}",
             f"  clusters: {summary['clusters']:,} ({summary['clusters_by_kind']['exact']:,} exact, "
             f"{summary['clusters_by_kind']['near']:,} near; largest {summary['largest_cluster']:,} documents), "
             f"{summary['verified_pairs']:,} verified near pairs"]
    rates = summary.get("duplicate_rates", {})
    if rates:
        lines.append("  duplicate rates (within source: exact / near; any training source: near):")
        for name, r in sorted(rates.items()):
            lines.append(f"    {name:<26} {100 * r['exact_within_rate']:5.1f}% / {100 * r['near_within_rate']:5.1f}%"
                         f"   {100 * r['near_any_rate']:5.1f}%")
    lines.append("  top overlapping source pairs (documents of A with a duplicate in B):")
    tops = summary["top_source_overlaps"][:5]
    lines.extend(f"    {t['from']} -> {t['to']}: {t['count']:,} ({100 * t['share']:.1f}%)" for t in tops)
    if not tops:
        lines.append("    (none)")
    lines.append("  evaluation contamination:")
    for name, c in sorted(summary["contamination"].items()):
        lines.append(f"    {name}: {c['near_duplicate_items']:,} of {c['items']:,} items have a near duplicate "
                     f"in training data; {c['ngram_items']:,} share a {summary['settings']['contamination_ngram']}-gram")
    if not summary["contamination"]:
        lines.append("    (no source with role: eval)")
    return "\n".join(lines)


def safe(value: object) -> str:
    """Render a value taken from a corpus or registry for a terminal or HTML: markup escaped, controls shown."""
    import html

    text = str(value)
    text = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    return html.escape(text, quote=False)


def profile_summary(rows: list[dict[str, Any]], labelling_rows: list[dict[str, Any]], paths: dict[str, str]) -> str:
    """Return the profile summary: per source its volume, unknown licenses, PII, opt-outs, inspection."""
    lines = ["provaudit profile",
             f"  source profile:    {paths['source']}",
             f"  labelling profile: {paths['labelling']}",
             f"  inspection sample: {paths['sample']}",
             f"    {'source':<26} {'docs':>7} {'unknown lic.':>12} {'PII docs':>8} {'opted out':>9} {'unsafe<=':>8}"]
    for r in rows:
        bound = r["inspection_unsafe_upper95"]
        lines.append(f"    {safe(r['source']):<26} {r['documents']:>7,} {100 * r['unknown_license_share']:>11.1f}% "
                     f"{r['pii_documents']:>8,} {r['opted_out_documents']:>9,} "
                     f"{'-' if bound is None else f'{100 * bound:.1f}%':>8}")
    lines.append(f"  labelling batches: {len(labelling_rows)}")
    for b in labelling_rows:
        acc = "-" if b["qa_accuracy"] is None else f"{b['qa_accuracy']:.3f}"
        lines.append(f"    {safe(b['batch']):<26} {b['kind']:<10} {b['items']:>5} items  trained "
                     f"{100 * b['trained_share']:.0f}%  QA {100 * b['qa_sample_share']:.0f}% accuracy {acc}")
    return "\n".join(lines)


def validation_summary(verdicts: list[Any], docs_index: str, results_path: str) -> str:
    """Return the validation summary: counts, then every failure with its requirement ids."""
    passed = sum(v.success for v in verdicts)
    lines = [f"provaudit validate: {passed} of {len(verdicts)} expectations passed",
             f"  Data Docs: {docs_index}", f"  results:   {results_path}"]
    for v in verdicts:
        if v.success:
            continue
        who = ", ".join(safe(f) for f in v.failing) or "(the table as a whole)"
        lines.append(f"  FAILED [{v.severity}] {v.suite}: {', '.join(v.requirement_ids)}: {v.description}")
        lines.append(f"         {v.column}: {who}")
    return "\n".join(lines)
