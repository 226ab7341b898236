"""Records that flow between pipeline steps: plain NamedTuples with explicit fields.

A new field is a schema change: it shows in review and, for ledger rows, in
``schemas/ledger.schema.json`` (a test holds :class:`LedgerRow` to it).
"""

from __future__ import annotations

import builtins
from typing import NamedTuple, Optional


class Document(NamedTuple):
    """One document read from a shard, before any finding is computed."""

    source: str
    shard: str  # shard path as listed (relative to the registry's folder when under it)
    location: str  # "line:12" (JSONL, 1-based), "row:5" (Parquet, 0-based), "offset:1234" (WARC), "file" (text)
    doc_id: str
    text: str
    url: Optional[str]
    license_raw: Optional[str]  # per-document license (license_field), else None
    # the record's AI-generated-content label object (screening.aigc.metadata_fields), as
    # compact JSON text; None when the record has none (provaudit.core.aigc reads it)
    aigc_meta: Optional[str] = None


class Quarantined(NamedTuple):
    """One shard or document that could not be read or trusted, with a stable reason code."""

    source: str
    shard: str
    location: str  # as Document.location, or "shard" when the whole shard is affected
    reason: str  # see QUARANTINE_REASONS
    excerpt: str  # short, PII-masked excerpt ("" when there is nothing to show)


class Skipped(NamedTuple):
    """One archive record that was read and is by design not a document (WARC/ARC only).

    Counted per shard in the manifest (``skipped``, by reason and by record type) and
    listed in ``skipped/``, so ``read == ledger + quarantined + skipped`` accounts for
    every record of an archive.
    """

    source: str
    shard: str
    location: str  # "offset:N", as Document.location
    record_type: str  # WARC-Type (response, request, revisit, warcinfo, ...); ARC: "response"
    reason: str  # see SKIP_REASONS
    detail: str  # what the record was: target URI, content type, status; a revisit's payload digest


SKIP_REASONS = (
    "non-text",  # a 2xx response whose content type is not text/html, application/xhtml+xml or text/plain
    "empty-body",  # a 2xx text response with an empty payload (or no visible text)
    "http-<status>",  # a response whose HTTP status is not 2xx, e.g. "http-302", "http-404" (a family of codes)
    "http-invalid",  # a response whose HTTP status line has no three-digit status
    "no-http-headers",  # a response record without HTTP headers (not an HTTP capture)
    "revisit",  # a revisit record: a reference to a payload recorded elsewhere (its digest in detail)
    "request",  # the crawler's HTTP request
    "warcinfo",  # the archive's own description
    "metadata",  # crawler metadata about another record
    "resource",  # a resource record (no HTTP exchange: DNS answers, files, screenshots)
    "conversion",  # a conversion of another record's content
    "continuation",  # a segment of a record split over several records
    "other",  # any other record type (named in detail)
)


QUARANTINE_REASONS = (
    "invalid-json",  # a JSONL line that does not parse, or is not a JSON object
    "invalid-utf8",  # bytes that are not UTF-8, or text with a lone surrogate (JSON "\ud800") in any field
    "invalid-encoding",  # a WARC/ARC payload that does not decode in its declared charset (or, when that charset is unknown or not a text codec such as hex or zlib, in UTF-8)
    "missing-text",  # no text field, or it is null
    "non-string-text",  # text field present but not a string
    "truncated-compression",  # a .gz/.zst stream that ends early or is corrupt
    "empty-shard",  # a shard with no documents at all
    "schema-mismatch",  # a Parquet file without the text column, a WARC that is not WARC
    "oversize-record",  # one line, file or archive payload past scan.max_record_bytes: not held in memory
    "unreadable-shard",  # the shard cannot be opened or read (I/O error)
    "decompression-limit",  # decompression produced more than scan.max_shard_bytes from one shard: reading stopped there
    "processing-error",  # a finding could not be computed for this document (a bug: reported, never dropped)
)


class LedgerRow(NamedTuple):
    """One ledger row: a document's lineage and findings, never its text."""

    doc_id: str
    source: str
    shard: str
    location: str
    sha256: str
    chars: int
    bytes: int
    analysed_chars: int  # characters the MinHash signature and personal-information counts cover
    language: str
    language_reason: str  # "" when detected; else why "und": provaudit.core.language.LANGUAGE_REASONS
    language_detector: str  # what decided: provaudit.core.language.LANGUAGE_DETECTORS
    language_confidence: float  # that detector's score for its answer, 0..1
    script: str
    license_raw: Optional[str]
    license_spdx: Optional[str]
    license_category: str
    license_detected: Optional[str]  # licence found in the text (SPDX tag, licence text, notice), else None
    license_detected_by: Optional[str]  # spdx-tag | text-match | notice; None when nothing was detected
    license_conflict: bool  # declared and detected licences share no licence (see core.licenses.conflicts)
    acquisition: str
    url: Optional[str]
    domain: Optional[str]
    pii_email: int
    pii_phone: int
    pii_cn_id: int
    pii_card: int
    pii_ip: int
    minhash: builtins.bytes  # num_perm little-endian uint32 values
    # Content screening (provaudit.core.screening): keyword hits by TC260 risk code (JSON
    # object text, sorted keys, "{}" when none), their total, classifier scores by classifier
    # and risk (JSON text), whether any hit or score at its threshold flags the document, and
    # what screened it ("" when screening is not configured).
    screen_hits: str = "{}"
    screen_hits_total: int = 0
    classifier_scores: str = "{}"
    screen_flagged: bool = False
    screened_by: str = ""
    # AI-generated content (provaudit.core.aigc): the label found ("1", "2", "3" as the
    # implicit label's Label, or "explicit"), where it was found, and the producer it names.
    aigc_label: Optional[str] = None
    aigc_via: Optional[str] = None
    aigc_producer: Optional[str] = None
