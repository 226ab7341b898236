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


class Quarantined(NamedTuple):
    """One shard or document that could not be read or trusted, with a stable reason code."""

    source: str
    shard: str
    location: str  # as Document.location, or "shard" when the whole shard is affected
    reason: str  # see QUARANTINE_REASONS
    excerpt: str  # short, PII-masked excerpt ("" when there is nothing to show)


QUARANTINE_REASONS = (
    "invalid-json",  # a JSONL line that does not parse, or is not a JSON object
    "invalid-utf8",  # bytes that are not UTF-8
    "missing-text",  # no text field, or it is null
    "non-string-text",  # text field present but not a string
    "truncated-compression",  # a .gz/.zst stream that ends early or is corrupt
    "empty-shard",  # a shard with no documents at all
    "schema-mismatch",  # a Parquet file without the text column, a WARC that is not WARC
    "oversize-document",  # text longer than the configured maximum
    "unreadable-shard",  # the shard cannot be opened or read (I/O error)
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
    language: str
    language_reason: str  # "" when detected; else why "und": provaudit.core.language.LANGUAGE_REASONS
    script: str
    license_raw: Optional[str]
    license_spdx: Optional[str]
    license_category: str
    acquisition: str
    url: Optional[str]
    domain: Optional[str]
    pii_email: int
    pii_phone: int
    pii_cn_id: int
    pii_card: int
    pii_ip: int
    minhash: builtins.bytes  # num_perm little-endian uint32 values
