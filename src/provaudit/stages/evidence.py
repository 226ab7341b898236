"""Evidence files: for every failed expectation, the documents or items that make it fail.

Contract
--------
:func:`write_evidence` reads a validated run's outputs (ledger, quarantine, overlap
clusters, profiles, the labelling records and the inspection verdicts the config names)
and writes under ``<run>/evidence/``:

    <slug>.csv | <slug>.parquet   one file pair per failed expectation, the same rows in both
    pii_examples.csv              masked examples of personal information with their locations
    requests.csv                  with ``requests:`` configured: every document still matching a
                                  removal request (request, kind, status, deadline, source, shard,
                                  location, doc_id, matched_by), from ``<run>/requests.json``
                                  (:mod:`provaudit.stages.requests`); never text or criteria values
    index.json                    per failed expectation: its files, row count and, per failing
                                  source or batch, the rows and the most frequent values

The slug is the expectation's id in the disclosures (``suite:column``, ``#N`` for the N-th
check of one column) with ``:`` and ``#`` turned into ``-``: ``legitimate_sources-
opted_out_documents``, ``labelling_process-qa_sample_share-2``. Every evidence file has the
columns ``source, batch, shard, location, doc_id, value`` (``EVIDENCE_COLUMNS``): the source
(and labelling batch), where the offending document or item is, and the offending value (the
opted-out domain; the license string as registered, or ``(no license key)`` when the registry
gives neither ``license`` nor ``license_field``; the untrained annotator; the masked personal
information; ...). A failure of a whole source (no evidence registered, no inspection) is one
row with empty location columns. Content screening (suites ``content_screening`` and
``corpus_assessment``): the unscreened, blocked (with the listed domain) and flagged documents
(value: hit counts by risk code and classifier scores, never a matched term), the automatic
sample's unqualified documents, the corpus-wide manual sample's unreviewed or unsafe documents,
and the library's short risk codes; without screening configured, one row saying so.

Never raw personal information: values found in texts are written only in the masked forms of
:mod:`provaudit.core.pii`. Texts are read again only for documents the ledger marks as holding
personal information, and only when the shard still has the checksum the scan recorded and
the document the content hash of its ledger row; otherwise the row says so instead of an
example.

Deterministic: rows sorted by source, batch, shard, location (numbers compared as numbers),
doc_id and value; index.json with sorted keys. The ledger is read with pyarrow (no Beam).
"""

from __future__ import annotations

import csv
import glob
import io
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from provaudit.core.config import RunConfig
from provaudit.core.verdicts import evidence_slug, verdict_ids
from provaudit.core.jsontext import json_text

__all__ = ["EVIDENCE_COLUMNS", "PII_EXAMPLE_COLUMNS", "evidence_slugs", "write_evidence"]

EVIDENCE_COLUMNS = ("source", "batch", "shard", "location", "doc_id", "value")
PII_EXAMPLE_COLUMNS = ("source", "shard", "location", "doc_id", "kind", "masked_value")
NO_LICENSE_KEY = "(no license key)"
_TOP_VALUES = 5  # most frequent values per failing source or batch in index.json
_EXAMPLES_PER_DOCUMENT = 5  # masked values shown per document in a PII evidence row
_LEDGER_COLUMNS = ["doc_id", "source", "shard", "location", "sha256", "chars", "language", "license_raw",
                   "license_category", "url", "domain", "pii_email", "pii_phone", "pii_cn_id", "pii_card",
                   "pii_ip", "screen_hits", "classifier_scores", "screen_flagged", "screened_by"]
NO_SCREENING = "no screening configured (screening.keywords or screening.classifiers in the run config)"


# --------------------------------------------------------------------------- ids and order


def evidence_slugs(verdicts: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Return (id, slug) per verdict: id ``suite:column`` (``#N`` on repeats) as the disclosures use."""
    return [(vid, evidence_slug(vid)) for vid in verdict_ids(verdicts)]


def _natural(text: str | None) -> tuple:
    """Sort key comparing runs of digits as numbers (line:9 before line:10)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text or "") if p)


def _row(source: str, value: str, batch: str | None = None, shard: str | None = None,
         location: str | None = None, doc_id: str | None = None) -> dict[str, str | None]:
    return {"source": source, "batch": batch, "shard": shard, "location": location, "doc_id": doc_id,
            "value": value}


def _sorted(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: tuple(_natural(r.get(c)) for c in EVIDENCE_COLUMNS))


# --------------------------------------------------------------------------- inputs


class _Run:
    """The run's files, each read once when first needed."""

    def __init__(self, config: RunConfig, run_dir: str) -> None:
        self.config = config
        self.run_dir = run_dir
        self.registry = {s.name: s for s in config.sources}
        self._ledger: dict[str, list[dict[str, Any]]] | None = None
        self._texts: dict[tuple[str, str], list[tuple[str, str]]] | None = None

    def ledger(self, source: str) -> list[dict[str, Any]]:
        if self._ledger is None:
            import pyarrow.parquet as pq

            by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for path in sorted(glob.glob(os.path.join(glob.escape(self.run_dir), "ledger", "*", "*.parquet"))):
                names = set(pq.read_schema(path).names)
                for r in pq.read_table(path, columns=[c for c in _LEDGER_COLUMNS if c in names]).to_pylist():
                    by_source[r["source"]].append(r)
            self._ledger = dict(by_source)
        return self._ledger.get(source, [])

    def profile(self, table: str) -> list[dict[str, Any]]:
        import pyarrow.parquet as pq

        path = os.path.join(self.run_dir, "profiles", f"{table}.parquet")
        return pq.read_table(path).to_pylist() if os.path.isfile(path) else []

    def manifest(self) -> dict[str, Any]:
        with open(os.path.join(self.run_dir, "manifest.json"), encoding="utf-8") as fh:
            return json.load(fh)

    def pii_hits(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """(source, doc_id) -> masked (kind, value) of every document whose ledger row counts PII."""
        if self._texts is None:
            self._texts = _read_pii_examples(self)
        return self._texts


def _pii_kinds(row: Mapping[str, Any], kinds: Sequence[str]) -> dict[str, int]:
    return {k: int(row.get(f"pii_{k}") or 0) for k in kinds if row.get(f"pii_{k}")}



def _listed(config: Any) -> list[Any]:
    """The config's shards as the scan lists them (empty when they cannot be listed now)."""
    from provaudit.beam.io import match_files
    from provaudit.core.config import list_shards

    try:
        return list_shards(config, match_files)
    except Exception:  # noqa: BLE001 - moved or remote inputs: evidence for them is left out, as before
        return []


def _real_paths(config: Any) -> dict[str, str]:
    """Shard names as outputs show them (personal information in a file name masked) -> real paths."""
    from provaudit.stages.scan import shard_names

    listed = _listed(config)
    return {masked: sh.path for sh, (masked, _) in zip(listed, shard_names(config, listed))}

def _read_pii_examples(run: _Run) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Read again the shards holding documents with personal information; mask every value."""
    from provaudit.beam.io import open_input, shard_checksum
    from provaudit.core.findings import content_digest, normalize_text
    from provaudit.core.pii import KINDS, pii_examples
    from provaudit.core.readers import read_shard
    from provaudit.core.records import Document

    allow = run.config.pii.allowlist()
    wanted: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)  # shard -> location -> ledger row
    for source in run.registry:
        for r in run.ledger(source):
            if _pii_kinds(r, KINDS):
                wanted[r["shard"]][r["location"]] = r
    shards = {s["path"]: s for s in run.manifest().get("shards", []) if s.get("path") in wanted}
    real = _real_paths(run.config) if wanted else {}  # masked file names -> the files
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for name in sorted(wanted):
        info = shards.get(name)
        src = run.registry.get(next(iter(wanted[name].values()))["source"])
        if info is None or src is None:
            continue
        path = real.get(name) or (name if "://" in name or os.path.isabs(name) else str(run.config.base_dir / name))
        try:
            if info.get("sha256") and shard_checksum(path) != info["sha256"]:
                continue  # changed since the scan: its texts are no longer what the ledger counted
        except OSError:
            continue
        spec = src.reader_spec(info.get("format") or src.format or "", run.config.scan.max_doc_chars)
        for item in read_shard(path, name, spec, open_input):
            row = wanted[name].get(getattr(item, "location", None)) if isinstance(item, Document) else None
            if row is None:
                continue
            text = normalize_text(item.text)
            if content_digest(text).sha256 != row["sha256"]:
                continue
            out[(row["source"], row["doc_id"])] = pii_examples(text, limit=10_000, allow=allow)
    return out


# --------------------------------------------------------------------------- per expectation


def _license_value(row: Mapping[str, Any], run: _Run) -> str:
    if row.get("license_raw") is not None:
        return str(row["license_raw"])
    src = run.registry.get(row["source"])
    if src is not None and src.license_field:
        return f"(no {src.license_field!r} value in the document)"
    return NO_LICENSE_KEY


def _doc_rows(run: _Run, source: str, keep: Any, value: Any) -> list[dict[str, Any]]:
    return [_row(source, value(r), shard=r["shard"], location=r["location"], doc_id=r["doc_id"])
            for r in run.ledger(source) if keep(r)]


def _pii_rows(run: _Run, source: str, kinds: Sequence[str]) -> list[dict[str, Any]]:
    hits = run.pii_hits()

    def value(r: Mapping[str, Any]) -> str:
        counts = _pii_kinds(r, kinds)
        found = [(k, m) for k, m in hits.get((source, r["doc_id"]), []) if k in kinds]
        if not found:
            return "; ".join(f"{k} x{n}" for k, n in counts.items()) + " (no example: shard or text changed)"
        shown = "; ".join(f"{k}: {m}" for k, m in found[:_EXAMPLES_PER_DOCUMENT])
        more = len(found) - _EXAMPLES_PER_DOCUMENT
        return shown + (f"; and {more} more" if more > 0 else "")

    return _doc_rows(run, source, lambda r: bool(_pii_kinds(r, kinds)), value)


def _listed_entry(r: Mapping[str, Any], listed: frozenset[str]) -> str:
    """The listed domain a document's URL host or registrable domain matches (the shortest)."""
    from urllib.parse import urlsplit

    url = r.get("url") or ""
    try:
        host = (urlsplit(url if "//" in url else "//" + url).hostname or "").lower().rstrip(".")
    except ValueError:
        host = ""
    labels = host.split(".") if host else []
    candidates = {".".join(labels[i:]) for i in range(len(labels))} | {(r.get("domain") or "").lower()}
    return min(candidates & listed, key=lambda d: (d.count("."), d), default=r.get("domain") or "")


def _opt_out_rows(run: _Run, source: str) -> list[dict[str, Any]]:
    from provaudit.core.profiles import load_opt_out, opted_out

    listed = load_opt_out(run.config.opt_out) if run.config.opt_out else frozenset()
    return _doc_rows(run, source, lambda r: opted_out(r.get("url"), r.get("domain"), listed),
                     lambda r: _listed_entry(r, listed))


def _screen_value(r: Mapping[str, Any], thresholds: Sequence[tuple[str, float]]) -> str:
    """Why screening flagged a document: hit counts by risk code and classifier scores (never terms)."""
    if not r.get("screened_by"):
        return "not screened"
    hits = json.loads(r.get("screen_hits") or "{}")
    parts = [f"{code} x{n}" for code, n in sorted(hits.items()) if n]
    scores = json.loads(r.get("classifier_scores") or "{}")
    parts += [f"{name} {risk} {score:g}" for name, threshold in thresholds
              for risk, score in sorted((scores.get(name) or {}).items()) if score >= threshold]
    return "; ".join(parts) or "flagged"


def _auto_sample(run: _Run) -> list[dict[str, Any]]:
    """The ledger rows of the TC260-003 9.2 automatic sample (core.assessment's draw, again)."""
    from provaudit.core.assessment import auto_bucket, required_sample

    screening = run.config.screening
    rows = [(auto_bucket(screening.seed, screening.sample_share, r["source"], r["shard"], r["location"]), r)
            for name, src in sorted(run.registry.items()) if src.role != "eval" for r in run.ledger(name)]
    rows.sort(key=lambda br: br[0])
    need = required_sample(screening.sample_share, len(rows))
    cut = rows[need - 1][0] if need else -1
    return [r for bucket, r in rows if bucket <= cut]


def _corpus_sample(run: _Run) -> list[dict[str, Any]]:
    path = os.path.join(run.run_dir, "inspection", "corpus_sample.jsonl")
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _screening_rows(run: _Run, column: str, subject: str, row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Evidence of the content_screening (per source) and corpus_assessment (subject: the scope) suites."""
    from provaudit.core.assessment import load_blocked
    from provaudit.core.profiles import load_verdicts, opted_out

    screening = run.config.screening
    thresholds = tuple((c.name, c.threshold) for c in screening.classifiers)
    configured = screening.configured
    if column in ("screening_coverage", "keyword_hit_share", "auto_qualified_share") and not configured:
        return [_row(subject if column != "auto_qualified_share" else "", NO_SCREENING)]
    if column == "screening_coverage":
        return _doc_rows(run, subject, lambda r: not r.get("screened_by"), lambda r: "not screened")
    if column == "keyword_hit_share":
        if row.get("keyword_hit_share") is None:
            return [_row(subject, "none of the source's documents was screened")]
        return _doc_rows(run, subject, lambda r: r.get("screen_hits") not in (None, "", "{}"),
                         lambda r: _screen_value(r, ()))
    if column == "blocked_documents":
        listed = load_blocked(screening)
        if subject in screening.blocked_sources:
            return [_row(subject, "source on the blocked list (screening.blocked.sources)")]
        return _doc_rows(run, subject, lambda r: opted_out(r.get("url"), r.get("domain"), listed),
                         lambda r: _listed_entry(r, listed))
    if column == "auto_qualified_share":
        return [_row(r["source"], _screen_value(r, thresholds), shard=r["shard"], location=r["location"],
                     doc_id=r["doc_id"]) for r in _auto_sample(run)
                if not r.get("screened_by") or r.get("screen_flagged")]
    if column in ("manual_reviewed", "manual_qualified_share"):
        verdicts = load_verdicts(run.config.inspection.verdicts)
        out = []
        for s in _corpus_sample(run):
            verdict = verdicts.get((s["source"], s["shard"], s["location"]))
            if column == "manual_reviewed" and verdict is None:
                out.append(_row(s["source"], "no reviewer's verdict", shard=s["shard"], location=s["location"],
                                doc_id=s.get("doc_id")))
            elif column == "manual_qualified_share" and verdict == "unsafe":
                out.append(_row(s["source"], "unsafe (reviewer's verdict)", shard=s["shard"],
                                location=s["location"], doc_id=s.get("doc_id")))
        return out
    if column in ("library_short_risks", "classifier_missing_risks"):
        path = os.path.join(run.run_dir, "screening", "libraries.json")
        if not os.path.isfile(path):
            return [_row("", NO_SCREENING)]
        with open(path, encoding="utf-8") as fh:
            coverage = json.load(fh).get("coverage") or {}
        if column == "library_short_risks":
            from provaudit.core.risks import min_terms

            return [_row("", f"{code}: {n} terms (TC260-003 8.1 asks for {min_terms(code)})")
                    for code, n in sorted((coverage.get("short") or {}).items())]
        return [_row("", f"{code}: no classifier covers it") for code in coverage.get("classifier_missing") or []]
    if column.startswith("library_") and not os.path.isfile(os.path.join(run.run_dir, "screening", "libraries.json")):
        return [_row("", NO_SCREENING)]
    return []


def _quarantine_rows(run: _Run, source: str) -> list[dict[str, Any]]:
    rows = []
    for path in sorted(glob.glob(os.path.join(run.run_dir, "quarantine", glob.escape(source), "*.jsonl"))):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    q = json.loads(line)
                    rows.append(_row(source, str(q.get("reason", "")), shard=q.get("shard"),
                                     location=q.get("location")))
    return rows


def _duplicate_rows(run: _Run, source: str, kind: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    path = os.path.join(run.run_dir, "overlap", "clusters.parquet")
    if not os.path.isfile(path):
        return []
    members = [m for m in pq.read_table(path).to_pylist() if m["source"] == source]
    per_cluster = Counter(m["cluster_id"] for m in members)

    def weakest(m: dict[str, Any]) -> str:  # clusters.parquet v2: the cluster's weakest verified link
        d = m.get("diameter")
        return f"; weakest verified link Jaccard {d:.3f}" if m["kind"] == "near" and d is not None else ""

    return [_row(source, f"{m['kind']} duplicate in cluster {m['cluster_id']} "
                         f"({per_cluster[m['cluster_id']]} documents of the source{weakest(m)})",
                 shard=m["shard"], location=m["location"], doc_id=m["doc_id"])
            for m in members if per_cluster[m["cluster_id"]] > 1 and (kind == "near" or m["kind"] == "exact")]


def _unsafe_rows(run: _Run, source: str) -> list[dict[str, Any]]:
    by_location = {(r["shard"], r["location"]): r["doc_id"] for r in run.ledger(source)}
    rows = []
    for path in run.config.inspection.verdicts:
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                v = json.loads(line)
                if v.get("source") == source and v.get("verdict") == "unsafe":
                    key = (v.get("shard"), v.get("location"))
                    rows.append(_row(source, "unsafe (reviewer's verdict)", shard=key[0], location=key[1],
                                     doc_id=by_location.get(key)))
    return rows


def _labelling_rows(run: _Run, batch: str, column: str, row: Mapping[str, Any]) -> list[dict[str, Any]]:
    from provaudit.core.labelling import load_source_labelling, trained_before

    source = str(row.get("source") or "")
    src = run.registry.get(source)
    if src is None or not src.labelling:
        return []
    ls = load_source_labelling(src.labelling)
    base = run.config.base_dir

    def shard(path: str) -> str:
        try:
            return os.path.relpath(path, base).replace(os.sep, "/")
        except ValueError:
            return path

    records = [r for r in ls.records if r.batch == batch]
    rows = []
    for r in records:
        value = None
        if column == "trained_share" and not trained_before(ls.annotators.get(r.annotator), r.labelled_at):
            entry = ls.annotators.get(r.annotator)
            trained = ("not in the roster" if entry is None else
                       f"trained {entry.trained_at.isoformat()}" if entry.trained_at else "never trained")
            value = f"annotator {r.annotator} ({trained}, not before labelling)"
        elif column == "qa_accuracy" and r.review_verdict == "reject":
            value = f"label rejected by {r.reviewer} (annotator {r.annotator})"
        elif column == "unknown_guideline_items":
            g = ls.guidelines.get(r.guideline_version)
            if g is None:
                value = f"guideline version {r.guideline_version} not in the index"
            elif not g.verified:
                value = f"guideline version {r.guideline_version}: document missing or checksum differs"
        if value is not None:
            rows.append(_row(source, value, batch=batch, shard=shard(r.file), location=r.location,
                             doc_id=r.item_id))
    return rows


def _whole(subject: str, column: str, row: Mapping[str, Any], run: _Run, batch: bool) -> dict[str, Any]:
    """One row for a failure of a whole source or batch, with its figure."""
    src = run.registry.get(subject)
    if column == "evidence_present" and src is not None:
        value = f"acquisition {src.acquisition}: no evidence registered (sources[{subject}].evidence)"
    elif column == "source":
        value = "not in the registry"
    elif column == "inspection_reviewed":
        value = f"no reviewer's verdict for the {row.get('inspection_sampled', 0)} sampled documents"
    else:
        value = f"{column} = {row.get(column)}"
    if batch:
        return _row(str(row.get("source") or ""), value, batch=subject)
    return _row(subject, value)


def _evidence_rows(run: _Run, suite: str, column: str, subject: str, row: Mapping[str, Any]) -> list[dict]:
    from provaudit.core.pii import KINDS, SENSITIVE_KINDS

    if suite == "labelling_process":
        return _labelling_rows(run, subject, column, row) or [_whole(subject, column, row, run, True)]
    if suite in ("content_screening", "corpus_assessment"):
        return _screening_rows(run, column, subject, row) or [
            _whole(subject if suite == "content_screening" else "", column, row, run, False)]
    if suite == "removal_requests":  # subject: an overdue request's id
        from provaudit.stages.requests import read_requests_report, request_rows

        return [_row(r["source"], f"request {subject} ({r['kind']}) overdue since {r['deadline']}",
                     shard=r["shard"], location=r["location"], doc_id=r["doc_id"])
                for r in request_rows(read_requests_report(run.run_dir), {subject})] or [
            _row("", f"request {subject}: overdue")]
    rows: list[dict[str, Any]] = []
    if column == "unknown_license_share":
        rows = _doc_rows(run, subject, lambda r: r.get("license_category") == "unknown",
                         lambda r: _license_value(r, run))
    elif column == "opted_out_documents":
        rows = _opt_out_rows(run, subject)
    elif column == "pii_documents":
        rows = _pii_rows(run, subject, KINDS)
    elif column == "sensitive_pii_documents":
        rows = _pii_rows(run, subject, SENSITIVE_KINDS)
    elif column == "inspection_unsafe_upper95":
        rows = _unsafe_rows(run, subject)
    elif column == "quarantine_share":
        rows = _quarantine_rows(run, subject)
    elif column in ("exact_duplicate_rate", "near_duplicate_rate"):
        rows = _duplicate_rows(run, subject, column.split("_", 1)[0])
    elif column == "empty_documents":
        rows = _doc_rows(run, subject, lambda r: r.get("chars") == 0, lambda r: "empty after normalisation")
    elif column == "language_mismatch_share":
        src = run.registry.get(subject)
        expected = set(src.languages_expected) if src else set()
        rows = _doc_rows(run, subject,
                         lambda r: bool(expected) and r["language"] != "und" and r["language"] not in expected,
                         lambda r: f"language {r['language']} (expected {', '.join(sorted(expected))})")
    return rows or [_whole(subject, column, row, run, False)]


# --------------------------------------------------------------------------- writing


def _csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return buf.getvalue()


def _write_text(path: str, text: str) -> str:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    return path


def _write_parquet(path: str, rows: Sequence[Mapping[str, Any]]) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([pa.field(c, pa.string(), nullable=c != "value") for c in EVIDENCE_COLUMNS])
    table = pa.Table.from_pylist([{c: r.get(c) for c in EVIDENCE_COLUMNS} for r in rows], schema=schema)
    pq.write_table(table, path)
    return path


def _pii_example_rows(run: _Run) -> list[dict[str, Any]]:
    """At most ``pii.examples_per_kind`` masked examples per source and kind, in ledger order."""
    limit = run.config.pii.examples_per_kind
    hits = run.pii_hits()
    rows = []
    for source in sorted(run.registry):
        taken: Counter = Counter()
        ledger = sorted(run.ledger(source), key=lambda r: (_natural(r["shard"]), _natural(r["location"])))
        for r in ledger:
            for kind, masked in hits.get((source, r["doc_id"]), []):
                if taken[kind] < limit:
                    taken[kind] += 1
                    rows.append({"source": source, "shard": r["shard"], "location": r["location"],
                                 "doc_id": r["doc_id"], "kind": kind, "masked_value": masked})
    return rows


def write_evidence(config: RunConfig, run_dir: str, validation: Mapping[str, Any]) -> list[str]:
    """Write an evidence file pair per failed expectation, the PII examples and index.json.

    ``validation`` is the run's ``validation/results.json`` document. Returns the paths written.
    """
    verdicts = list(validation.get("verdicts", []))
    out = os.path.join(run_dir, "evidence")
    os.makedirs(out, exist_ok=True)
    for stale in glob.glob(os.path.join(glob.escape(out), "*")):  # a re-run of disclose writes the set afresh
        if os.path.isfile(stale):
            os.remove(stale)
    run = _Run(config, run_dir)
    profiles = {"legitimate_sources": {r["source"]: r for r in run.profile("source_profile")},
                "data_quality": {r["source"]: r for r in run.profile("source_profile")},
                "content_screening": {r["source"]: r for r in run.profile("source_profile")},
                "corpus_assessment": {r["scope"]: r for r in run.profile("corpus_assessment")},
                "labelling_process": {r["batch"]: r for r in run.profile("labelling_profile")}}
    written: list[str] = []
    index: dict[str, Any] = {}
    for v, (vid, slug) in zip(verdicts, evidence_slugs(verdicts)):
        if v.get("success"):
            continue
        suite, column = v["suite"], v.get("column") or ""
        rows: list[dict[str, Any]] = []
        subjects: dict[str, Any] = {}
        for subject in v.get("failing", []):
            row = profiles.get(suite, {}).get(subject, {})
            mine = _evidence_rows(run, suite, column, subject, row)
            rows.extend(mine)
            values = Counter(str(r["value"]) for r in mine)
            subjects[subject] = {"rows": len(mine),
                                 "values": [{"value": val, "rows": n} for val, n in
                                            sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:_TOP_VALUES]],
                                 "distinct_values": len(values)}
        rows = _sorted(rows)
        written.append(_write_text(os.path.join(out, f"{slug}.csv"), _csv(rows, EVIDENCE_COLUMNS)))
        written.append(_write_parquet(os.path.join(out, f"{slug}.parquet"), rows))
        index[vid] = {"suite": suite, "column": column, "slug": slug, "csv": f"evidence/{slug}.csv",
                      "parquet": f"evidence/{slug}.parquet", "rows": len(rows), "subjects": subjects}
    examples = _pii_example_rows(run)
    written.append(_write_text(os.path.join(out, "pii_examples.csv"), _csv(examples, PII_EXAMPLE_COLUMNS)))
    index_doc = {"failures": index, "pii_examples": {"csv": "evidence/pii_examples.csv", "rows": len(examples),
                                                    "per_source_and_kind": config.pii.examples_per_kind}}
    if getattr(config, "requests", None) is not None:
        from provaudit.reports.workbook import csv_cell
        from provaudit.stages.requests import REQUEST_CSV_COLUMNS, read_requests_report, request_rows

        matches = request_rows(read_requests_report(run_dir))
        safe = [{c: csv_cell(r.get(c)) for c in REQUEST_CSV_COLUMNS} for r in matches]  # no formula runs
        written.append(_write_text(os.path.join(out, "requests.csv"), _csv(safe, REQUEST_CSV_COLUMNS)))
        index_doc["requests"] = {"csv": "evidence/requests.csv", "rows": len(matches)}
    written.append(_write_text(os.path.join(out, "index.json"),
                               json_text(index_doc) + "\n"))
    return written
