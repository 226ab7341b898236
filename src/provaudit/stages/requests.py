"""Removal requests in a run: match every request against the run's ledger, write ``requests.json``.

Contract: :func:`run_requests` loads the config's requests file
(:func:`provaudit.core.requests.load_requests`), looks every criterion up in the run's
lookup index (:func:`provaudit.stages.lookup.open_index`, ``LookupIndex.find``: exact and
near copies of a text, content hash, URL, registrable domain), and writes
``<run>/requests.json``:

    {"run_id", "date" (the run's day, YYYY-MM-DD), "requests_file" (its name),
     "totals": {"open", "overdue", "closed", "requests"},
     "requests": [{"id", "kind", "received", "deadline", "deadline_default", "status",
                   "closed_by", "criteria" ({kind: count}, never the values), "matches" (count),
                   "documents": [{"source", "shard", "location", "doc_id", "matched_by",
                                  "jaccard"}]}]}

Status per request (:func:`provaudit.core.requests.request_status`): ``open`` while documents
match and the deadline day has not passed, ``overdue`` after it, ``closed`` once nothing
matches, with ``closed_by`` the first run that found nothing (read from the previous complete
run's ``requests.json`` through the run history, :func:`provaudit.stages.runs.previous_complete`;
a run becomes complete only after this file is written, so a killed run never closes a request).

Never document text and never a criterion's value (a text, hash, URL or domain a person sent
may itself be personal information); documents are named by the ledger's ``doc_id``, masked
there when it holds personal information. Deterministic: requests in file order, documents
sorted by (source, shard, location, doc_id); dates come from the run id, never the clock.
:func:`request_rows` gives the rows of ``evidence/requests.csv``; :func:`request_frame` the
one-row-per-request table the ``removal_requests`` suite checks.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Optional

from provaudit.core.config import RunConfig
from provaudit.core.jsontext import json_text

__all__ = ["REQUESTS_FILE", "REQUEST_CSV_COLUMNS", "read_requests_report", "request_frame", "request_rows",
           "run_requests"]

REQUESTS_FILE = "requests.json"
REQUEST_CSV_COLUMNS = ("request", "kind", "status", "deadline", "source", "shard", "location", "doc_id",
                       "matched_by")


def _natural(text: Optional[str]) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text or "") if p)


def read_requests_report(run_dir: str) -> Optional[dict[str, Any]]:
    """A run's ``requests.json``, or None when it has none (or it cannot be read)."""
    try:
        with open(os.path.join(run_dir, REQUESTS_FILE), encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _criteria(request: Any) -> list[Any]:
    from provaudit.core.lookup import Criteria

    out = []
    for path in request.texts:
        with open(path, encoding="utf-8", errors="replace") as fh:
            out.append(Criteria(text=fh.read()))
    out += [Criteria(sha256=v) for v in request.sha256]
    out += [Criteria(url=v) for v in request.urls]
    out += [Criteria(domain=v) for v in request.domains]
    return out


def _documents(hits: list[Any]) -> list[dict[str, Any]]:
    """One entry per matched document, with every way it matched and its best Jaccard."""
    docs: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for h in hits:
        ref = (h.source, h.shard, h.location, h.doc_id)
        entry = docs.setdefault(ref, {"source": h.source, "shard": h.shard, "location": h.location,
                                      "doc_id": h.doc_id, "matched_by": set(), "jaccard": None})
        entry["matched_by"].add(h.match)
        if h.jaccard is not None:
            entry["jaccard"] = max(entry["jaccard"] or 0.0, float(h.jaccard))
    out = []
    for ref in sorted(docs, key=lambda r: tuple(_natural(p) for p in r)):
        entry = docs[ref]
        entry["matched_by"] = sorted(entry["matched_by"])
        out.append(entry)
    return out


def run_requests(config: RunConfig, run_dir: str) -> Optional[dict[str, Any]]:
    """Match the config's requests against the run's ledger; write and return ``requests.json``.

    None (and nothing written) when the config has no ``requests:``.
    """
    if config.requests is None:
        return None
    from provaudit.core.requests import STATUSES, load_requests, public_criteria, request_status, run_date
    from provaudit.stages.lookup import open_index
    from provaudit.stages.runs import previous_complete, read_manifest

    requests = load_requests(config.requests.path, dict(config.requests.deadlines))
    run_id = os.path.basename(os.path.normpath(run_dir))
    try:
        started = read_manifest(run_dir).get("started")
    except Exception:  # noqa: BLE001 - the run id carries the date; the manifest is a fallback
        started = None
    day = run_date(run_id, started)
    previous_dir = previous_complete(config.output, before=run_id)
    previous = (read_requests_report(previous_dir) or {}) if previous_dir else {}
    before = {r.get("id"): r for r in previous.get("requests", []) if isinstance(r, dict)}
    index = open_index(config, run_dir) if requests else None
    entries = []
    totals = {s: 0 for s in STATUSES}
    for request in requests:
        hits: list[Any] = []
        for criteria in _criteria(request):
            hits.extend(index.find(criteria))
        documents = _documents(hits)
        status, closed_by = request_status(request, len(documents), day, run_id, before.get(request.id))
        totals[status] += 1
        entries.append({"id": request.id, "kind": request.kind, "received": request.received.isoformat(),
                        "deadline": request.deadline.isoformat(), "deadline_default": not request.deadline_given,
                        "status": status, "closed_by": closed_by, "criteria": public_criteria(request),
                        "matches": len(documents), "documents": documents})
    doc = {"run_id": run_id, "date": day.isoformat(),
           "requests_file": os.path.basename(config.requests.path),
           "totals": {**totals, "requests": len(entries)}, "requests": entries}
    with open(os.path.join(run_dir, REQUESTS_FILE), "w", encoding="utf-8") as fh:
        fh.write(json_text(doc) + "\n")
    return doc


def request_rows(report: Optional[dict[str, Any]], only: Optional[set[str]] = None) -> list[dict[str, Any]]:
    """The rows of ``evidence/requests.csv``: one per request and matched document (``only``: those ids)."""
    rows = []
    for r in (report or {}).get("requests", []):
        if only is not None and r.get("id") not in only:
            continue
        for d in r.get("documents", []):
            rows.append({"request": r["id"], "kind": r["kind"], "status": r["status"], "deadline": r["deadline"],
                         "source": d["source"], "shard": d["shard"], "location": d["location"],
                         "doc_id": d["doc_id"], "matched_by": " ".join(d.get("matched_by", []))})
    return rows


def request_frame(report: Optional[dict[str, Any]]) -> Any:
    """The ``removal_requests`` suite's table: one row per request (pandas)."""
    import pandas as pd

    rows = [{"request": r["id"], "kind": r["kind"], "status": r["status"], "matches": int(r["matches"]),
             "overdue_matches": int(r["matches"]) if r["status"] == "overdue" else 0}
            for r in (report or {}).get("requests", [])]
    frame = pd.DataFrame(rows, columns=["request", "kind", "status", "matches", "overdue_matches"])
    return frame.astype({"request": object, "kind": object, "status": object, "matches": "int64",
                         "overdue_matches": "int64"})
