"""Machine-readable exports of a run's corpus description: Croissant and SPDX 3.0.

Pure functions on plain data (no Beam): the inputs are a run's source profile rows, the
registry sources, the scan manifest and the labelling profile rows; the outputs are
JSON-LD documents as dicts, deterministic for the same inputs (lists sorted, no clock).

- :func:`croissant` builds a Croissant 1.0 dataset description with the Responsible-AI
  (RAI) vocabulary filled from the profiles: one ``cr:FileObject`` per scanned shard
  (``contentUrl`` as in the manifest, i.e. relative to the registry's folder), and a
  record set describing the ledger's per-document fields (its file set ``ledger/*/*.parquet``
  is relative to the run folder). Fields that only a person can answer
  (``rai:dataUseCases``, ``rai:dataSocialImpact``) carry :data:`HUMAN_FIELD`.
- :func:`validate_croissant` loads the document with mlcroissant when it is installed.
- :func:`spdx_dataset` builds an SPDX 3.0.1 JSON-LD document with one
  ``dataset_DatasetPackage`` for the corpus and one per source, their licences and
  ``contains`` relationships; :func:`check_spdx` checks its structure.

Neither export holds document text or any personal-information value: only counts,
shares, registry declarations and shard checksums. Evaluation sources are not training
data, so they are left out unless ``include_eval=True``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from provaudit.core.contracts import load_schema
from provaudit.core.licenses import normalize_license

__all__ = [
    "CROISSANT_CONFORMS_TO",
    "ENCODING_FORMATS",
    "HUMAN_FIELD",
    "NO_ASSERTION_LICENSE",
    "SPDX_CONTEXT",
    "check_spdx",
    "croissant",
    "croissant_context",
    "license_counts",
    "spdx_dataset",
    "validate_croissant",
]

HUMAN_FIELD = "To be completed by a person"
CROISSANT_CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
SPDX_CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
SPDX_VERSION = "3.0.1"
NO_ASSERTION_LICENSE = "https://spdx.org/rdf/3.0.1/terms/Expanded/NoAssertionLicense"
#: SPDX individuals a relationship may point at without defining them in the document.
SPDX_INDIVIDUALS = frozenset({
    NO_ASSERTION_LICENSE,
    "https://spdx.org/rdf/3.0.1/terms/Expanded/NoneLicense",
    "https://spdx.org/rdf/3.0.1/terms/Core/NoAssertionElement",
    "https://spdx.org/rdf/3.0.1/terms/Core/NoneElement",
})

ENCODING_FORMATS = {
    "jsonl": "application/jsonlines",
    "parquet": "application/x-parquet",
    "text": "text/plain",
    "warc": "application/warc",
}
PII_KINDS = ("email", "phone", "cn_id", "card", "ip")
_COLLECTION_TYPES = {
    "open-license": "Openly licensed dataset (secondary use)",
    "licensed": "Licensed from a third party (secondary use)",
    "self-collected": "Web scraping (own crawler)",
    "user-data": "User-contributed data",
    "synthetic": "Synthetic data generation",
    "public-domain": "Public-domain material (secondary use)",
}
# Ledger columns the record set describes (the MinHash signature is left out: not a fact
# a reader of the description needs).
_LEDGER_FIELDS = ("doc_id", "source", "shard", "location", "sha256", "chars", "bytes",
                  "language", "script", "license_raw", "license_spdx", "license_category",
                  "acquisition", "url", "domain", "pii_email", "pii_phone", "pii_cn_id",
                  "pii_card", "pii_ip")
_CR_TYPES = {"string": "sc:Text", "int64": "sc:Integer", "float64": "sc:Float",
             "bool": "sc:Boolean"}


# ----------------------------------------------------------------------------- helpers

def _field(obj: Any, name: str, default: Any = None) -> Any:
    """Read a registry source's attribute, whether a dataclass/namedtuple or a mapping."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _json_field(value: Any, default: Any) -> Any:
    """Decode a profile column stored as JSON text (already-decoded values pass through)."""
    if value is None:
        return default
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return default
    return value


def _pct(share: float | None) -> str:
    return "n/a" if share is None else f"{100.0 * float(share):.2f}%"


def _selected(source_profile: Iterable[Mapping[str, Any]], include_eval: bool) -> list[dict]:
    rows = [dict(r) for r in source_profile if include_eval or r.get("role", "train") != "eval"]
    return sorted(rows, key=lambda r: r["source"])


def _registry(sources: Iterable[Any]) -> dict[str, Any]:
    return {_field(s, "name"): s for s in sources}


def _shards(manifest: Mapping[str, Any], names: set[str]) -> list[dict]:
    shards = [dict(s) for s in manifest.get("shards", []) if s.get("source") in names]
    return sorted(shards, key=lambda s: (s["source"], s["path"]))


def _source_license(row: Mapping[str, Any]) -> str | None:
    """The SPDX expression of a source-level license, or None (per document or unknown)."""
    return normalize_license(row.get("license_declared")).spdx if row.get("license_declared") else None


def license_counts(ledger_rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Count documents per source and SPDX license from ledger rows (``source``,
    ``license_spdx``; null licences are not counted). Callers pass the result to the
    exports as ``document_licenses`` to name the licences of per-document sources."""
    counts: dict[str, Counter] = {}
    for row in ledger_rows:
        spdx = row.get("license_spdx")
        if spdx:
            counts.setdefault(row["source"], Counter())[spdx] += 1
    return {s: dict(sorted(c.items())) for s, c in sorted(counts.items())}


def _licenses_by_source(rows: list[dict], document_licenses: Mapping[str, Mapping[str, int]] | None
                        ) -> dict[str, list[str]]:
    """SPDX expressions found per source: the declared one, else those of its documents."""
    found: dict[str, list[str]] = {}
    for row in rows:
        declared = _source_license(row)
        if declared:
            found[row["source"]] = [declared]
        else:
            found[row["source"]] = sorted((document_licenses or {}).get(row["source"], {}))
    return found


def _language_counts(manifest: Mapping[str, Any], rows: list[dict]) -> Counter:
    counts: Counter = Counter()
    for row in rows:
        counts.update(manifest.get("sources", {}).get(row["source"], {}).get("languages") or {})
    return counts


# ----------------------------------------------------------------------------- Croissant

def croissant_context() -> dict[str, Any]:
    """The JSON-LD ``@context`` the Croissant 1.0 specification gives (with ``rai``)."""
    return {
        "@language": "en",
        "@vocab": "https://schema.org/",
        "citeAs": "cr:citeAs",
        "column": "cr:column",
        "conformsTo": "dct:conformsTo",
        "cr": "http://mlcommons.org/croissant/",
        "rai": "http://mlcommons.org/croissant/RAI/",
        "data": {"@id": "cr:data", "@type": "@json"},
        "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
        "dct": "http://purl.org/dc/terms/",
        "equivalentProperty": "cr:equivalentProperty",
        "examples": {"@id": "cr:examples", "@type": "@json"},
        "extract": "cr:extract",
        "field": "cr:field",
        "fileProperty": "cr:fileProperty",
        "fileObject": "cr:fileObject",
        "fileSet": "cr:fileSet",
        "format": "cr:format",
        "includes": "cr:includes",
        "isLiveDataset": "cr:isLiveDataset",
        "jsonPath": "cr:jsonPath",
        "key": "cr:key",
        "md5": "cr:md5",
        "parentField": "cr:parentField",
        "path": "cr:path",
        "recordSet": "cr:recordSet",
        "references": "cr:references",
        "regex": "cr:regex",
        "repeated": "cr:repeated",
        "replace": "cr:replace",
        "samplingRate": "cr:samplingRate",
        "sc": "https://schema.org/",
        "separator": "cr:separator",
        "source": "cr:source",
        "subField": "cr:subField",
        "transform": "cr:transform",
    }


def _file_objects(shards: list[dict]) -> list[dict]:
    objects = []
    for shard in shards:
        objects.append({
            "@type": "cr:FileObject",
            "@id": shard["path"],
            "name": shard["path"],
            "description": f"Shard of source {shard['source']}: {shard.get('read', 0)} documents read, "
                           f"{shard.get('ledger', 0)} in the ledger, {shard.get('quarantined', 0)} quarantined.",
            "contentUrl": shard["path"],
            "contentSize": f"{int(shard['size'])} B",
            "encodingFormat": ENCODING_FORMATS.get(shard.get("format") or "", "application/octet-stream"),
            "sha256": shard["sha256"],
        })
    return objects


def _ledger_record_set() -> tuple[dict, dict]:
    fields_by_name = {f["name"]: f for f in load_schema("ledger.schema.json")["fields"]}
    file_set = {
        "@type": "cr:FileSet",
        "@id": "ledger-files",
        "name": "ledger-files",
        "description": "provaudit ledger shards of this run (relative to the run folder); "
                       "one row per document, never the document text.",
        "encodingFormat": "application/x-parquet",
        "includes": "ledger/*/*.parquet",
    }
    fields = []
    for name in _LEDGER_FIELDS:
        spec = fields_by_name.get(name)
        if spec is None:
            continue
        fields.append({
            "@type": "cr:Field",
            "@id": f"ledger/{name}",
            "name": name,
            "description": spec.get("description", ""),
            "dataType": _CR_TYPES.get(spec["type"], "sc:Text"),
            "source": {"fileSet": {"@id": "ledger-files"}, "extract": {"column": name}},
        })
    record_set = {
        "@type": "cr:RecordSet",
        "@id": "ledger",
        "name": "ledger",
        "description": "Per-document lineage and findings recorded by provaudit.",
        "key": {"@id": "ledger/doc_id"},
        "field": fields,
    }
    return file_set, record_set


def _timeframe(rows: list[dict]) -> list[str]:
    starts = sorted(r["collected_from"] for r in rows if r.get("collected_from"))
    ends = sorted(r["collected_to"] for r in rows if r.get("collected_to"))
    frame = []
    if starts:
        frame.append(starts[0][:10])
    if ends:
        frame.append(ends[-1][:10])
    return frame


def _collection_text(rows: list[dict], registry: Mapping[str, Any]) -> str:
    parts = []
    for row in rows:
        src = registry.get(row["source"])
        description = (_field(src, "description") or "").strip() if src is not None else ""
        collected = (_field(src, "collected") if src is not None else None) or "not declared"
        parts.append(
            f"{row['source']} ({row['role']}): {description + ' ' if description else ''}"
            f"Acquisition: {row['acquisition']}; evidence: {row.get('evidence') or 'none registered'}; "
            f"collected: {collected}; {row['documents']} documents in the ledger "
            f"({_pct(row.get('share_of_corpus'))} of training documents).")
    return " ".join(parts)


def _preprocessing(rows: list[dict], manifest: Mapping[str, Any]) -> list[str]:
    msrc = manifest.get("sources", {})
    read = sum(msrc.get(r["source"], {}).get("documents_read", r.get("documents_read", 0)) for r in rows)
    ledger = sum(r["documents"] for r in rows)
    quarantined = sum(r.get("quarantined", 0) for r in rows)
    reasons: Counter = Counter()
    for row in rows:
        reasons.update(msrc.get(row["source"], {}).get("quarantined_by_reason") or {})
    out = [
        (f"Every shard was read and checksummed (SHA-256); {read} documents read, {ledger} recorded "
         f"in the ledger and {quarantined} quarantined with a reason code; nothing is dropped silently."),
        "Quarantine by reason: " + (", ".join(f"{k}: {v}" for k, v in sorted(reasons.items())) or "none") + ".",
        ("Text normalised (Unicode NFC, surrounding whitespace stripped) before hashing; language detected "
         "with langdetect (seeded) on a bounded prefix; declared licences normalised to SPDX; personal "
         "information detected by pattern (e-mail, phone, China resident ID, payment card, IPv4)."),
        "Near-duplicate detection with MinHash/LSH (datasketch), candidates verified by signature Jaccard.",
    ]
    for row in rows:
        out.append(
            f"{row['source']}: {row.get('documents_read', 0)} read, {row['documents']} in the ledger, "
            f"{row.get('quarantined', 0)} quarantined ({_pct(row.get('quarantine_share'))}); "
            f"exact duplicate rate {_pct(row.get('exact_duplicate_rate'))}, near duplicate rate "
            f"{_pct(row.get('near_duplicate_rate'))}, duplicate of any other source "
            f"{_pct(row.get('duplicate_rate_any_source'))}; {row.get('opted_out_documents', 0)} documents "
            f"from opted-out domains.")
    return out


def _annotation(labelling: list[dict]) -> tuple[list[str], str | None, list[str]]:
    if not labelling:
        return [], None, []
    protocol, demographics = [], []
    for b in labelling:
        versions = ", ".join(_json_field(b.get("guideline_versions"), [])) or "none recorded"
        untrained = _json_field(b.get("untrained_annotators"), [])
        protocol.append(
            f"Batch {b['batch']} ({b['source']}, {b['kind']} labelling, {b.get('first_labelled_at')} to "
            f"{b.get('last_labelled_at')}): {b['items']} items, {b['labels']} labels by {b['annotators']} "
            f"annotators under guidelines {versions}; {b.get('unknown_guideline_items', 0)} items under an "
            f"unknown guideline; QA reviewed {b.get('qa_reviewed', 0)} labels "
            f"({_pct(b.get('qa_sample_share'))}), accepted {b.get('qa_accepted', 0)} "
            f"(accuracy {_pct(b.get('qa_accuracy'))}); {b.get('double_labelled_items', 0)} items double-labelled, "
            f"agreement {_pct(b.get('agreement'))}, Cohen's kappa "
            f"{'n/a' if b.get('kappa') is None else format(float(b['kappa']), '.3f')}.")
        demographics.append(
            f"Batch {b['batch']}: {b['annotators']} annotators, {_pct(b.get('trained_share'))} of items "
            f"labelled by an annotator trained before the labelling date"
            + (f" (untrained: {len(untrained)} annotator(s))" if untrained else "")
            + "; demographic attributes are not recorded by provaudit.")
    items = sum(int(b["items"]) for b in labelling)
    labels = sum(int(b["labels"]) for b in labelling)
    per_item = (f"{labels / items:.2f} labels per item on average ({labels} labels on {items} items); "
                + "; ".join(f"{b['batch']}: {int(b['labels']) / int(b['items']):.2f}"
                            for b in labelling if int(b["items"])))
    return protocol, per_item, demographics


def _personal(rows: list[dict]) -> list[str]:
    totals = {k: sum(int(r.get(f"pii_{k}_documents", 0) or 0) for r in rows) for k in PII_KINDS}
    any_pii = sum(int(r.get("pii_documents", 0) or 0) for r in rows)
    out = [f"{any_pii} documents contain personal information detected by pattern; by kind "
           "(documents): " + ", ".join(f"{k}: {v}" for k, v in totals.items()) + "."]
    for row in rows:
        kinds = ", ".join(f"{k}: {row.get(f'pii_{k}_documents', 0)}" for k in PII_KINDS)
        out.append(f"{row['source']}: consent basis '{row['consent_basis']}'; "
                   f"{row.get('pii_documents', 0)} documents with personal information ({kinds}).")
    return out


def _limitations(rows: list[dict], excluded: list[str]) -> list[str]:
    out = []
    for row in rows:
        notes = []
        if row.get("unknown_license_documents"):
            notes.append(f"{row['unknown_license_documents']} documents with an unknown licence "
                         f"({_pct(row.get('unknown_license_share'))})")
        if row.get("language_mismatch_documents"):
            notes.append(f"{row['language_mismatch_documents']} documents in a language the registry "
                         f"does not expect ({_pct(row.get('language_mismatch_share'))})")
        if row.get("opted_out_documents"):
            notes.append(f"{row['opted_out_documents']} documents from domains on the opt-out list")
        if row.get("empty_documents"):
            notes.append(f"{row['empty_documents']} empty documents")
        if row.get("inspection_reviewed"):
            notes.append(f"manual inspection reviewed {row['inspection_reviewed']} of "
                         f"{row.get('inspection_sampled', 0)} sampled documents, {row.get('inspection_unsafe', 0)} "
                         f"unsafe (95% upper bound {_pct(row.get('inspection_unsafe_upper95'))})")
        else:
            notes.append("no manual inspection verdicts recorded")
        if row.get("collection_ongoing"):
            notes.append("collection is ongoing")
        out.append(f"{row['source']}: " + "; ".join(notes) + ".")
    out.append("Personal information is detected by patterns only (no names or addresses); "
               "languages by automatic detection on a prefix of each document.")
    if excluded:
        out.append("Evaluation sources are not part of the training corpus and are not described here: "
                   + ", ".join(excluded) + ".")
    return out


def _biases(rows: list[dict], manifest: Mapping[str, Any]) -> list[str]:
    langs = _language_counts(manifest, rows)
    total = sum(langs.values())
    out = []
    if total:
        out.append("Language shares of documents in the ledger: " + ", ".join(
            f"{lang}: {_pct(n / total)} ({n})" for lang, n in sorted(langs.items(), key=lambda kv: (-kv[1], kv[0])))
            + ".")
    out.append("Source shares of training documents: " + ", ".join(
        f"{r['source']}: {_pct(r.get('share_of_corpus'))}" for r in rows) + ".")
    for row in rows:
        domains = _json_field(row.get("top_domains"), {})
        if domains:
            top = sorted(domains.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
            out.append(f"{row['source']}: top domains " + ", ".join(f"{d} ({n})" for d, n in top) + ".")
    return out


def croissant(run_id: str, sources: Iterable[Any], source_profile: Iterable[Mapping[str, Any]],
              manifest: Mapping[str, Any], labelling_profile: Iterable[Mapping[str, Any]] = (),
              name: str = "provaudit corpus", *,
              document_licenses: Mapping[str, Mapping[str, int]] | None = None,
              include_eval: bool = False) -> dict[str, Any]:
    """Build a Croissant 1.0 JSON-LD description (with RAI fields) of a run's corpus.

    ``document_licenses`` (source -> SPDX id -> documents, see :func:`license_counts`)
    names the licences of sources whose licence is given per document; without it only
    source-level licences are listed.
    """
    all_rows = sorted((dict(r) for r in source_profile), key=lambda r: r["source"])
    rows = _selected(all_rows, include_eval)
    excluded = sorted(r["source"] for r in all_rows if r not in rows)
    names = {r["source"] for r in rows}
    registry = _registry(sources)
    shards = _shards(manifest, names)
    labelling = sorted((dict(b) for b in labelling_profile if b.get("source") in names),
                       key=lambda b: (b["source"], b["batch"]))
    licenses = sorted({x for found in _licenses_by_source(rows, document_licenses).values() for x in found})
    file_set, record_set = _ledger_record_set()
    documents = sum(r["documents"] for r in rows)
    protocol, per_item, demographics = _annotation(labelling)

    doc: dict[str, Any] = {
        "@context": croissant_context(),
        "@type": "sc:Dataset",
        "conformsTo": CROISSANT_CONFORMS_TO,
        "name": name,
        "description": (f"Training corpus audited by provaudit in run {run_id}: {len(rows)} sources, "
                        f"{len(shards)} shards, {documents} documents in the ledger. Figures come from "
                        "the run's manifest and profiles; document text is not included."),
        "version": "1.0.0",
        "identifier": run_id,
        "dateModified": str(manifest.get("ended") or manifest.get("started") or ""),
        "license": licenses,
        "keywords": sorted({r["acquisition"] for r in rows}),
        "distribution": _file_objects(shards) + [file_set],
        "recordSet": [record_set],
        "rai:dataCollection": _collection_text(rows, registry),
        "rai:dataCollectionType": sorted({_COLLECTION_TYPES.get(r["acquisition"], r["acquisition"])
                                          for r in rows}),
        "rai:dataCollectionTimeFrame": _timeframe(rows),
        "rai:dataPreprocessingProtocol": _preprocessing(rows, manifest),
        "rai:personalSensitiveInformation": _personal(rows),
        "rai:dataLimitations": _limitations(rows, excluded),
        "rai:dataBiases": _biases(rows, manifest),
        "rai:dataUseCases": [HUMAN_FIELD],
        "rai:dataSocialImpact": HUMAN_FIELD,
    }
    if not doc["dateModified"]:
        del doc["dateModified"]
    if not doc["rai:dataCollectionTimeFrame"]:
        del doc["rai:dataCollectionTimeFrame"]
    if labelling:
        doc["rai:dataAnnotationProtocol"] = protocol
        doc["rai:annotationsPerItem"] = per_item
        doc["rai:annotatorDemographics"] = demographics
    return doc


def validate_croissant(doc: Mapping[str, Any]) -> list[str] | None:
    """Load ``doc`` with mlcroissant; return its errors and warnings (errors first, each
    prefixed ``error:`` or ``warning:``), or None when mlcroissant is not installed."""
    try:
        import mlcroissant as mlc
    except ImportError:
        return None
    fd, path = tempfile.mkstemp(suffix=".json", prefix="croissant-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(doc, handle)
        ctx = mlc.Context()
        try:
            metadata = mlc.Metadata.from_file(ctx=ctx, file=path)
        except mlc.ValidationError as exc:  # raised when errors were found
            issues = ctx.issues
            messages = [f"error: {e}" for e in sorted(issues.errors)] + \
                       [f"warning: {w}" for w in sorted(issues.warnings)]
            return messages or [f"error: {exc}"]
        issues = metadata.ctx.issues
        return [f"error: {e}" for e in sorted(issues.errors)] + \
               [f"warning: {w}" for w in sorted(issues.warnings)]
    finally:
        os.unlink(path)


# ----------------------------------------------------------------------------- SPDX 3.0

def _spdx_time(value: str | None) -> str | None:
    """An ISO date or date-time as SPDX's UTC ``YYYY-MM-DDThh:mm:ssZ``."""
    if not value:
        return None
    from datetime import datetime, timezone
    text = str(value).strip()
    if len(text) == 10:
        text += "T00:00:00+00:00"
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _urn(run_id: str, *parts: str) -> str:
    return "urn:provaudit:" + ":".join(quote(p, safe="-._~") for p in (run_id, *parts))


def spdx_dataset(run_id: str, sources: Iterable[Any], source_profile: Iterable[Mapping[str, Any]],
                 manifest: Mapping[str, Any], *,
                 document_licenses: Mapping[str, Mapping[str, int]] | None = None,
                 include_eval: bool = False, name: str = "provaudit corpus") -> dict[str, Any]:
    """Build an SPDX 3.0.1 JSON-LD document describing the corpus and its sources.

    Each source is a ``dataset_DatasetPackage`` with its size in bytes (manifest shard
    sizes), collection process, personal-information flag, known biases and build time
    (end of collection). Its concluded licence is the registered source licence; for
    per-document licences it is the AND of the document licences when every document's
    licence is known (``document_licenses`` given), else NoAssertionLicense, and each
    document licence found is also linked as ``hasDeclaredLicense``.
    """
    rows = _selected(source_profile, include_eval)
    registry = _registry(sources)
    names = {r["source"] for r in rows}
    shards = _shards(manifest, names)
    created = _spdx_time(manifest.get("ended") or manifest.get("started"))
    ci = "_:creationinfo"
    agent_id = _urn(run_id, "agent", "provaudit")
    tool_id = _urn(run_id, "tool", "provaudit")
    corpus_id = _urn(run_id, "dataset", "corpus")
    doc_id = _urn(run_id, "document")
    version = str(manifest.get("provaudit_version") or "")

    graph: list[dict[str, Any]] = [{
        "type": "CreationInfo",
        "@id": ci,
        "specVersion": SPDX_VERSION,
        "created": created,
        "createdBy": [agent_id],
        "createdUsing": [tool_id],
        "comment": f"Generated by provaudit from run {run_id} (manifest end time).",
    }, {
        "type": "SoftwareAgent",
        "spdxId": agent_id,
        "creationInfo": ci,
        "name": "provaudit",
    }, {
        "type": "Tool",
        "spdxId": tool_id,
        "creationInfo": ci,
        "name": f"provaudit {version}".strip(),
    }]
    licenses: dict[str, str] = {}  # expression -> spdxId
    relationships: list[dict[str, Any]] = []

    def license_ref(expression: str | None) -> str:
        if not expression:
            return NO_ASSERTION_LICENSE
        if expression not in licenses:
            licenses[expression] = _urn(run_id, "license", expression)
        return licenses[expression]

    def relate(kind: str, source_id: str, targets: list[str], key: str) -> None:
        relationships.append({
            "type": "Relationship",
            "spdxId": _urn(run_id, "relationship", kind, key),
            "creationInfo": ci,
            "from": source_id,
            "to": sorted(targets),
            "relationshipType": kind,
        })

    found = _licenses_by_source(rows, document_licenses)
    packages = []
    concluded_all: list[str | None] = []
    for row in rows:
        src = registry.get(row["source"])
        pid = _urn(run_id, "dataset", "source", row["source"])
        size = sum(int(s["size"]) for s in shards if s["source"] == row["source"])
        if row["documents"] == 0:
            sensitive = "noAssertion"
        else:
            sensitive = "yes" if int(row.get("pii_documents", 0) or 0) > 0 else "no"
        langs = _json_field(row.get("languages"), {})
        bias = ["Language shares: " + ", ".join(f"{k}: {_pct(v)}" for k, v in
                                                 sorted(langs.items(), key=lambda kv: (-kv[1], kv[0])))]
        if row.get("language_mismatch_documents"):
            bias.append(f"{row['language_mismatch_documents']} documents in languages the registry does not expect.")
        domains = _json_field(row.get("top_domains"), {})
        if domains:
            top = sorted(domains.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
            bias.append("Top domains: " + ", ".join(f"{d} ({n})" for d, n in top) + ".")
        collected = (_field(src, "collected") if src is not None else None) or "not declared"
        package = {
            "type": "dataset_DatasetPackage",
            "spdxId": pid,
            "creationInfo": ci,
            "name": row["source"],
            "description": ((_field(src, "description") or "") if src is not None else "") or row["source"],
            "software_primaryPurpose": "data",
            "dataset_datasetType": ["text"],
            "dataset_dataCollectionProcess": (
                f"Acquisition: {row['acquisition']}; evidence: {row.get('evidence') or 'none registered'}; "
                f"collected: {collected}; consent basis for personal information: {row['consent_basis']}; "
                f"{row.get('documents_read', 0)} documents read, {row['documents']} in the ledger, "
                f"{row.get('quarantined', 0)} quarantined."),
            "dataset_hasSensitivePersonalInformation": sensitive,
            "dataset_knownBias": bias,
            "dataset_datasetSize": size,
        }
        built = _spdx_time(row.get("collected_to"))
        if built:
            package["builtTime"] = built
        packages.append(package)

        declared = _source_license(row)
        if declared:
            concluded = declared
        else:
            per_doc = found.get(row["source"], [])
            if per_doc and not row.get("unknown_license_documents"):
                concluded = " AND ".join(f"({x})" if " " in x else x for x in per_doc)
            else:
                concluded = None
            if per_doc:
                relate("hasDeclaredLicense", pid, [license_ref(x) for x in per_doc], row["source"])
        concluded_all.append(concluded)
        relate("hasConcludedLicense", pid, [license_ref(concluded)], row["source"])

    corpus_built = max((p["builtTime"] for p in packages if "builtTime" in p), default=None)
    corpus = {
        "type": "dataset_DatasetPackage",
        "spdxId": corpus_id,
        "creationInfo": ci,
        "name": name,
        "description": f"Training corpus audited by provaudit in run {run_id}.",
        "software_primaryPurpose": "data",
        "dataset_datasetType": ["text"],
        "dataset_dataCollectionProcess": "Union of the registered sources, each described by its own package.",
        "dataset_hasSensitivePersonalInformation": (
            "noAssertion" if not packages else
            "yes" if any(p["dataset_hasSensitivePersonalInformation"] == "yes" for p in packages) else
            "noAssertion" if any(p["dataset_hasSensitivePersonalInformation"] == "noAssertion" for p in packages)
            else "no"),
        "dataset_datasetSize": sum(p["dataset_datasetSize"] for p in packages),
    }
    if corpus_built:
        corpus["builtTime"] = corpus_built
    if packages:
        relate("contains", corpus_id, [p["spdxId"] for p in packages], "corpus")
    corpus_license = None
    if concluded_all and all(concluded_all):
        parts = sorted({x for x in concluded_all if x})
        corpus_license = " AND ".join(f"({x})" if " " in x else x for x in parts)
    relate("hasConcludedLicense", corpus_id, [license_ref(corpus_license)], "corpus")

    license_elements = [{
        "type": "simpleLicensing_LicenseExpression",
        "spdxId": lid,
        "creationInfo": ci,
        "simpleLicensing_licenseExpression": expression,
    } for expression, lid in sorted(licenses.items())]
    elements = [corpus] + packages + license_elements + sorted(relationships, key=lambda r: r["spdxId"])
    document = {
        "type": "SpdxDocument",
        "spdxId": doc_id,
        "creationInfo": ci,
        "name": f"{name} ({run_id})",
        "profileConformance": ["core", "dataset", "simpleLicensing", "software"],
        "rootElement": [corpus_id],
        "element": sorted([agent_id, tool_id] + [e["spdxId"] for e in elements]),
    }
    return {"@context": SPDX_CONTEXT, "@graph": graph + [document] + elements}


def check_spdx(doc: Mapping[str, Any]) -> list[str]:
    """Minimal structural check of an SPDX 3.0 JSON-LD document; returns problems (empty = ok).

    Checks the context, one CreationInfo with specVersion and created, a spdxId, type and
    creationInfo on every element, unique spdxIds, and that every reference (createdBy,
    createdUsing, rootElement, element, relationship from/to) names a defined spdxId or a
    known SPDX individual.
    """
    problems: list[str] = []
    if doc.get("@context") != SPDX_CONTEXT:
        problems.append("@context is not the SPDX 3.0.1 context")
    graph: Sequence[Mapping[str, Any]] = doc.get("@graph") or []
    infos = {n.get("@id"): n for n in graph if n.get("type") == "CreationInfo"}
    if not infos:
        problems.append("no CreationInfo")
    for key, info in infos.items():
        for field in ("specVersion", "created", "createdBy"):
            if not info.get(field):
                problems.append(f"CreationInfo {key} lacks {field}")
    ids: Counter = Counter()
    for node in graph:
        if node.get("type") == "CreationInfo":
            continue
        for field in ("type", "spdxId", "creationInfo"):
            if not node.get(field):
                problems.append(f"element {node.get('spdxId') or node} lacks {field}")
        if node.get("creationInfo") and node["creationInfo"] not in infos:
            problems.append(f"{node.get('spdxId')}: unknown creationInfo {node['creationInfo']}")
        ids[node.get("spdxId")] += 1
    problems += [f"duplicate spdxId {i}" for i, n in sorted(ids.items(), key=lambda kv: str(kv[0])) if n > 1]
    known = set(ids) | SPDX_INDIVIDUALS

    def check(owner: str, refs: Any) -> None:
        for ref in ([refs] if isinstance(refs, str) else refs or []):
            if ref not in known:
                problems.append(f"{owner} refers to undefined {ref}")

    for info in infos.values():
        check("CreationInfo", info.get("createdBy"))
        check("CreationInfo", info.get("createdUsing"))
    for node in graph:
        if node.get("type") == "SpdxDocument":
            check(node["spdxId"], node.get("rootElement"))
            check(node["spdxId"], node.get("element"))
        if node.get("type") == "Relationship":
            for field in ("from", "to", "relationshipType"):
                if not node.get(field):
                    problems.append(f"{node.get('spdxId')} lacks {field}")
            check(node.get("spdxId", "relationship"), node.get("from"))
            check(node.get("spdxId", "relationship"), node.get("to"))
    if not any(n.get("type") == "SpdxDocument" for n in graph):
        problems.append("no SpdxDocument element")
    return problems
