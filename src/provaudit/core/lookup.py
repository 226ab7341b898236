"""Lookup of a query against a run's ledger: criteria, hits, and the index's key arithmetic.

Contract. A :class:`Criteria` names what to look for: a text, a content hash, a URL, a
registrable domain or a document id (any combination; each given field is matched on its
own and the hits are merged). A :class:`Hit` is one ledger document that matched, with
where it lives (source, shard, location), how it matched and its licence and acquisition
basis; it never holds document text. Pure functions only (no Beam, no files): the stage
layer (:mod:`provaudit.stages.lookup`) reads the on-disk index, this module decides what
its keys are and which candidates count.

The keys are the ledger's own, computed the way the scan and overlap stages compute them:

- exact: :func:`provaudit.core.findings.normalize_text` then
  :func:`provaudit.core.findings.content_digest` (SHA-256 of the NFC, stripped text), the
  ledger's ``sha256``;
- near: the signature of the text's first ``max_doc_chars`` characters with the scan's
  :class:`provaudit.core.minhash.MinHasher` (character shingles when the dominant script
  is Han, kana or Hangul, as the scan decides), banded with
  :func:`provaudit.core.overlap.band_keys` and the run's
  :func:`provaudit.core.overlap.lsh_params`; every candidate sharing a band is verified
  by the share of equal signature slots (:func:`provaudit.core.minhash.jaccard_from_signatures`)
  and kept when at least ``min_jaccard`` (default :data:`DEFAULT_MIN_JACCARD`). Documents with an empty signature take no part;
- url: the URL as given, compared with the ledger's ``url`` (a URL holding personal
  information is stored masked in the ledger, so it is only found by its masked form);
- domain: :func:`provaudit.core.domains.registrable_domain` of the given value, so a URL
  or a host finds its site (``https://news.bbc.co.uk/x`` -> ``bbc.co.uk``);
- doc_id: the ledger's ``doc_id`` as given.

The index (``<run>/index/``) has the tables :data:`TABLES`, each cut into ``parts`` files
(:func:`plan_layout`, :func:`index_part_name`); :func:`part_of` says which part holds a key
(the top bits of a 64-bit hash, so parts are even and a lookup opens one file per key).

Hits are sorted deterministically by :func:`sort_hits`: exact, doc_id, url, near (higher
Jaccard first), domain, then by (source, shard, location, doc_id). A document matched in
several ways is listed once per way, except that an exact match is not listed again as a
near one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from provaudit.core.domains import registrable_domain
from provaudit.core.errors import InputError
from provaudit.core.findings import content_digest, normalize_text
from provaudit.core.language import detect_script
from provaudit.core.minhash import CJK_SCRIPTS, MinHasher, jaccard_from_signatures, shingles
from provaudit.core.overlap import LshParams, band_keys, is_empty_signature

__all__ = [
    "DEFAULT_MIN_JACCARD",
    "KEY_TABLES",
    "MATCH_KINDS",
    "TABLES",
    "Criteria",
    "Hit",
    "IndexLayout",
    "Query",
    "evidence_ngrams",
    "hit_sort_key",
    "index_part_name",
    "key_hash",
    "part_of",
    "parts_of",
    "plan_layout",
    "prepare_query",
    "sort_hits",
    "summary_counts",
    "verify_candidate",
]

#: How a hit matched, in the order hits are listed.
MATCH_KINDS: tuple[str, ...] = ("exact", "doc_id", "url", "near", "domain")
#: Near matches below this estimated Jaccard are dropped unless the caller sets another floor.
#: It is below the overlap threshold on purpose: a rights holder's edited copy counts even
#: when it would not make a duplicate cluster. The lookup index is banded for this floor
#: (not for ``overlap.threshold``), so such copies are candidates too.
DEFAULT_MIN_JACCARD = 0.5
_HEX = frozenset("0123456789abcdef")


class Criteria(NamedTuple):
    """What to look for; every field is optional and at least one must be given.

    ``text`` is the query text itself (matched exactly by content hash and nearly by
    MinHash); ``sha256`` a content hash (64 hex digits, any case); ``url`` a document URL;
    ``domain`` a registrable domain, a host or a URL (reduced to its registrable domain);
    ``doc_id`` a ledger document id.
    """

    text: str | None = None
    sha256: str | None = None
    url: str | None = None
    domain: str | None = None
    doc_id: str | None = None

    def is_empty(self) -> bool:
        """True when no criterion is given."""
        return all(v is None or v == "" for v in self)


class Hit(NamedTuple):
    """One ledger document that matched a criterion (never its text).

    ``match`` is one of :data:`MATCH_KINDS`; ``jaccard`` the estimated Jaccard similarity
    of a near match (1.0 for an exact match found by text, None otherwise); ``license``
    the SPDX expression of the declared licence, else the declared licence as the ledger
    holds it (masked), else None; ``runs`` the complete runs of the history whose ledger
    held this content (same source and sha256), oldest first, when the caller asked for
    them; ``evidence`` the word n-grams the query shares with the document (near and exact
    text matches, only when asked).
    """

    doc_id: str
    source: str
    shard: str
    location: str
    match: str
    jaccard: float | None
    license: str | None
    acquisition: str
    url: str | None
    sha256: str = ""
    domain: str | None = None
    license_category: str = "unknown"
    runs: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()


class Query(NamedTuple):
    """A criteria object turned into index keys (see the module docstring)."""

    sha256: tuple[str, ...]  # content hashes to find exactly (from the text and/or --sha256)
    signature: bytes | None  # the text's MinHash signature (None: no text or no shingle)
    char_ngrams: bool  # whether the signature uses character shingles
    bands: tuple[int, ...]  # the signature's LSH band keys (empty without a signature)
    url: str | None
    domain: str | None
    doc_id: str | None
    text_sha256: str | None  # the hash of the text itself (an exact hit by text)


def prepare_query(criteria: Criteria, hasher: MinHasher, params: LshParams,
                  max_doc_chars: int) -> Query:
    """Turn criteria into index keys; raises InputError naming the bad criterion.

    The text is normalised as the scan normalises documents; its signature covers its first
    ``max_doc_chars`` characters, as a ledger row's does.
    """
    if criteria.is_empty():
        raise InputError("lookup: give at least one of --text, --sha256, --url, --domain, --doc-id")
    hashes: list[str] = []
    text_sha = None
    signature = None
    char_mode = False
    bands: tuple[int, ...] = ()
    if criteria.text is not None:
        text = normalize_text(criteria.text)
        if not text:
            raise InputError("lookup --text: the text is empty (after Unicode NFC and stripping)")
        text_sha = content_digest(text).sha256
        hashes.append(text_sha)
        analysed = text[:max_doc_chars]
        char_mode = detect_script(analysed) in CJK_SCRIPTS
        sig = hasher.signature_bytes(analysed, char_ngrams=char_mode)
        if not is_empty_signature(sig):
            signature = sig
            bands = tuple(band_keys(sig, params))
    if criteria.sha256 is not None:
        value = criteria.sha256.strip().lower()
        if len(value) != 64 or not set(value) <= _HEX:
            raise InputError("lookup --sha256: not a SHA-256 hash (64 hexadecimal digits)")
        hashes.append(value)
    domain = None
    if criteria.domain is not None:
        domain = registrable_domain(criteria.domain.strip())
        if domain is None:
            raise InputError("lookup --domain: not a registrable domain, host or URL "
                             "(an IP address or a public suffix has none)")
    url = criteria.url.strip() if criteria.url is not None else None
    if url == "":
        raise InputError("lookup --url: empty")
    doc_id = criteria.doc_id if criteria.doc_id not in (None, "") else None
    if criteria.doc_id == "":
        raise InputError("lookup --doc-id: empty")
    return Query(tuple(sorted(set(hashes))), signature, char_mode, bands, url, domain, doc_id,
                 text_sha)


#: Index tables keyed by a ledger value (``key``, ``doc_key``), besides ``docs`` and ``bands``.
KEY_TABLES = ("sha256", "url", "domain", "doc_id")
TABLES = ("docs", "bands") + KEY_TABLES


class IndexLayout(NamedTuple):
    """How many parts each table has and how many rows a row group holds."""

    parts: dict[str, int]
    row_group_rows: dict[str, int]


# Rows per part file: a part is sorted by one worker (its memory: about 0.1 GB at these
# sizes, whatever the ledger); a lookup opens one part per key.
DOCS_PER_PART = 50_000
BAND_ENTRIES_PER_PART = 4_000_000
KEYS_PER_PART = 250_000
ROW_GROUP_ROWS = {"docs": 128, "bands": 2048, "sha256": 1024, "url": 1024, "domain": 1024,
                  "doc_id": 1024}


def plan_layout(documents: int, bands: int) -> IndexLayout:
    """Return the layout for a ledger of ``documents`` documents banded in ``bands`` bands."""
    def parts(n: int, per: int) -> int:
        return max(1, -(-n // per))

    counts = {"docs": parts(documents, DOCS_PER_PART), "bands": parts(documents * bands, BAND_ENTRIES_PER_PART)}
    counts.update({t: parts(documents, KEYS_PER_PART) for t in KEY_TABLES})
    return IndexLayout(counts, dict(ROW_GROUP_ROWS))


def index_part_name(table: str, part: int) -> str:
    """Return the name of one part of one table, relative to the index folder."""
    return f"{table}/part-{part:05d}.parquet"


def key_hash(value: Any) -> int:
    """Return the unsigned 64-bit hash that places a key in an index part.

    An int (a band key or a document key, already a 64-bit hash) is taken as it is, as an
    unsigned value; a string is hashed with BLAKE2b (8 bytes, little endian).
    """
    if isinstance(value, (int, np.integer)):
        return int(value) & 0xFFFFFFFFFFFFFFFF
    data = str(value).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def part_of(value: Any, parts: int) -> int:
    """Return the index part (0 .. parts-1) holding ``value``: ``((h >> 32) * parts) >> 32``
    of its key hash ``h`` (the top 32 bits scaled, so numpy computes it in uint64 too)."""
    if not 1 <= parts < 2**32:
        raise ValueError(f"parts must be in [1, 2**32), got {parts}")
    return ((key_hash(value) >> 32) * parts) >> 32


def parts_of(hashes: np.ndarray, parts: int) -> np.ndarray:
    """:func:`part_of` of many unsigned 64-bit key hashes at once (uint64 in, int64 out)."""
    if not 1 <= parts < 2**32:
        raise ValueError(f"parts must be in [1, 2**32), got {parts}")
    h = np.asarray(hashes, dtype=np.uint64)
    return ((h >> np.uint64(32)) * np.uint64(parts) >> np.uint64(32)).astype(np.int64)


def verify_candidate(query_signature: bytes, candidate_signature: bytes,
                     min_jaccard: float) -> float | None:
    """Return the estimated Jaccard of a candidate, or None when below ``min_jaccard``."""
    if is_empty_signature(candidate_signature) or len(candidate_signature) != len(query_signature):
        return None
    j = jaccard_from_signatures(query_signature, candidate_signature)
    return round(j, 6) if j >= min_jaccard else None


def evidence_ngrams(query: str, document: str, char_ngrams: bool, n: int,
                    limit: int = 20) -> tuple[str, ...]:
    """Return up to ``limit`` shingles (the MinHash ones: lower-cased word or character
    n-grams) that both texts hold, in the order they first occur in the document."""
    mine = set(shingles(normalize_text(query), char_ngrams, n))
    out: list[str] = []
    seen: set[bytes] = set()
    for s in shingles(normalize_text(document), char_ngrams, n):
        if s in mine and s not in seen:
            seen.add(s)
            out.append(s.decode("utf-8", "replace"))
            if len(out) >= limit:
                break
    return tuple(out)


def hit_sort_key(hit: Hit) -> tuple:
    """The order of hits: kind, higher Jaccard first, then the document's reference."""
    return (MATCH_KINDS.index(hit.match), -(hit.jaccard or 0.0), hit.source, hit.shard,
            hit.location, hit.doc_id)


def sort_hits(hits: Iterable[Hit]) -> list[Hit]:
    """Return hits in the deterministic order, dropping a near hit of a document also
    matched exactly and any repeated (document, kind)."""
    hits = list(hits)
    exact = {(h.source, h.shard, h.location, h.doc_id) for h in hits if h.match == "exact"}
    seen: set[tuple] = set()
    out = []
    for h in sorted(hits, key=hit_sort_key):
        ref = (h.source, h.shard, h.location, h.doc_id)
        if (h.match == "near" and ref in exact) or (ref, h.match) in seen:
            continue
        seen.add((ref, h.match))
        out.append(h)
    return out


def summary_counts(hits: Sequence[Hit]) -> dict[str, int]:
    """Return the number of hits per match kind (every kind present, 0 when none)."""
    counts = {k: 0 for k in MATCH_KINDS}
    for h in hits:
        counts[h.match] += 1
    return counts
