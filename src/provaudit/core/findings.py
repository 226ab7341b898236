"""Per-document findings: turn one Document into one LedgerRow (pure functions, no Beam).

Contract: :func:`normalize_text` and :func:`content_digest` define the content hash
(NFC, stripped; SHA-256 of the UTF-8 bytes). :class:`Annotator` holds the expensive,
per-worker tools (language profiles, MinHash permutations); it is built from plain data,
pickles before :meth:`Annotator.setup`, and gives the same row for the same document in
any process and any order. Every document gets a row whatever its length: sha256, chars
and bytes cover the whole text, the language its first ``language_prefix`` characters,
and the MinHash signature and personal-information counts its first ``max_doc_chars``
(the source's, else the scan's), a number the row states as ``analysed_chars``.

Metadata is scanned like text and never written raw: personal information in the
document id, URL, licence string and shard name is counted in the row's ``pii_*`` counts
(added to the text's) and masked in ``doc_id``, ``url``, ``license_raw`` and ``shard``
(:func:`provaudit.core.pii.mask_field`; an id holding some becomes ``MASKED#shard#location``,
:func:`provaudit.core.pii.mask_doc_id`). The shard name arrives masked (the scan masks shard
names when it plans its tasks); its counts come in ``shard_pii``. An IP address host has no
domain (:func:`provaudit.core.domains.registrable_domain`).

Two optional per-worker tools add their own columns: a
:class:`provaudit.core.screening.Screener` screens the analysed characters against keyword
libraries and classifiers (``screen_*``, counts only, never a matched term), and a
:class:`provaudit.core.aigc.AigcDetector` reads an AI-generated-content label from the
record's label object or the text (``aigc_*``). Without them those columns keep their
defaults (nothing screened, no label).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Optional

from provaudit.core.domains import public_suffix_list, registrable_domain
from provaudit.core.language import LanguageIdentifier
from provaudit.core.licenses import conflicts, normalize_license
from provaudit.core.licensetext import LicenseTextDetector
from provaudit.core.minhash import CJK_SCRIPTS, MinHasher
from provaudit.core.pii import (
    Allowlist,
    PiiCounts,
    add_counts,
    find_pii,
    mask_doc_id,
    mask_field,
    mask_text,
)
from provaudit.core.records import Document, LedgerRow

_NO_PII = PiiCounts(0, 0, 0, 0, 0)
_LICENSE_CACHE = 4096  # distinct licence strings memoised per worker


def normalize_text(text: str) -> str:
    """Return the text the ledger describes: Unicode NFC, leading/trailing whitespace stripped."""
    return unicodedata.normalize("NFC", text).strip()


class Digest(NamedTuple):
    """Content hash and sizes of a normalised text."""

    sha256: str
    chars: int
    bytes: int


def content_digest(normalized: str) -> Digest:
    """Return the SHA-256 (hex), character count and UTF-8 byte count of a normalised text."""
    data = normalized.encode("utf-8")
    return Digest(hashlib.sha256(data).hexdigest(), len(normalized), len(data))


class SourceFacts(NamedTuple):
    """What the ledger copies from the registry for every document of a source."""

    license: Optional[str]
    acquisition: str
    max_doc_chars: Optional[int] = None  # the source's analysis window; None: the scan's


class Annotator:
    """Compute a document's findings; build from plain settings, call setup() once per worker."""

    def __init__(self, num_perm: int = 128, seed: int = 1, ngram: int = 5,
                 language_prefix: int = 10_000, language_seed: int = 0,
                 pii_allow: Allowlist | None = None, max_doc_chars: int = 1_000_000,
                 shard_pii: Mapping[str, PiiCounts] | None = None,
                 screener: Any = None, aigc: Any = None) -> None:
        # Content screening (provaudit.core.screening.Screener) and AI-generated-content labels
        # (provaudit.core.aigc.AigcDetector): None when not configured; each gives ledger fields.
        self._screener = screener
        self._aigc = aigc
        self._pii_allow = pii_allow  # None: provaudit.core.pii.DEFAULT_ALLOWLIST
        # Personal information in shard names, by masked name (counted in each of its rows).
        self._shard_pii = dict(shard_pii or {})
        # MinHash and personal information cover at most this many characters (the whole
        # text still gives sha256, chars and bytes): bounded cost, never a lost document.
        self._max_doc_chars = max_doc_chars
        self._hasher = MinHasher(num_perm=num_perm, seed=seed, ngram=ngram)
        self._language = LanguageIdentifier(prefix_chars=language_prefix, seed=language_seed)
        self._license_text = LicenseTextDetector()

    def setup(self) -> None:
        """Load every per-worker table and compile the kernels now, not at the first documents."""
        self._language.setup()
        self._license_text.setup()
        self._hasher.warmup()
        public_suffix_list()  # else parsed at the first URL with a host (about 0.2 s)
        for extra in (self._screener, self._aigc):
            if extra is not None:
                extra.setup()

    def _license(self, raw: Optional[str]) -> tuple[Any, Optional[str], PiiCounts, Optional[str]]:
        """A licence string's normal form, its masked form and what it held, and the masked
        SPDX expression; memoised per worker (a source has few distinct licence strings)."""
        cache = self.__dict__.setdefault("_license_cache", {})
        hit = cache.get(raw)
        if hit is None:
            lic = normalize_license(raw)
            shown, counts = mask_field(raw, self._pii_allow)
            hit = (lic, shown, counts, mask_text(lic.spdx, self._pii_allow) if lic.spdx else lic.spdx)
            if len(cache) >= _LICENSE_CACHE:
                cache.clear()
            cache[raw] = hit
        return hit

    def annotate(self, doc: Document, facts: SourceFacts) -> LedgerRow:
        """Return the ledger row of one document."""
        return self.annotate_many([doc], [facts])[0]

    def annotate_many(self, docs: Sequence[Document], facts: Sequence[SourceFacts]) -> list[LedgerRow]:
        """Return the ledger rows of ``docs`` (``facts[i]`` the facts of ``docs[i]``'s source).

        The rows are :meth:`annotate`'s, document by document; each finding runs over all the
        documents before the next begins, so the tables one finding reads (langdetect's
        profiles, the licence index) stay in the caches instead of being evicted by the
        others at every document. An exception names no document: call :meth:`annotate` on
        each to find the one that raised.
        """
        texts = [normalize_text(doc.text) for doc in docs]
        windows = [f.max_doc_chars or self._max_doc_chars for f in facts]
        analysed = [text if len(text) <= window else text[:window] for text, window in zip(texts, windows)]
        languages = [self._language.identify(text) for text in texts]
        pii = [find_pii(text, self._pii_allow) for text in analysed]
        detected = [self._license_text.detect(text) for text in texts]
        signatures = [self._hasher.signature_bytes(text, char_ngrams=script in CJK_SCRIPTS)
                      for text, (_language, script) in zip(analysed, languages)]
        return [self._row(*found) for found in zip(docs, facts, texts, analysed, languages, pii, detected, signatures)]

    def _row(self, doc: Document, facts: SourceFacts, text: str, analysed: str, found_language: tuple[Any, str],
             pii: PiiCounts, detected: Any, signature: bytes) -> LedgerRow:
        """A document's ledger row from its text's findings: the metadata is masked and counted here."""
        language, script = found_language
        digest = content_digest(text)
        license_raw = doc.license_raw if doc.license_raw is not None else facts.license
        lic, license_shown, license_pii, spdx_shown = self._license(license_raw)
        # Metadata: counted with the text's findings, written only masked. An id provaudit
        # derived (shard#location) holds nothing beyond the shard name, counted once per shard.
        where = f"{doc.shard}#{doc.location}"
        if doc.doc_id == where:
            doc_id, id_pii = doc.doc_id, _NO_PII
        else:
            doc_id, id_pii = mask_doc_id(doc.doc_id, where, self._pii_allow)
        url, url_pii = mask_field(doc.url, self._pii_allow)
        held = [c for c in (id_pii, url_pii, license_pii, self._shard_pii.get(doc.shard, _NO_PII)) if any(c)]
        if held:  # most rows: metadata holds nothing, the text's counts stand
            pii = add_counts(pii, *held)
        domain = registrable_domain(doc.url)
        if domain and any(url_pii):  # a URL without personal information has a clean host
            domain = mask_text(domain, self._pii_allow)
        extra: dict[str, Any] = {}
        if self._screener is not None:  # screen_* fields of the analysed characters
            extra.update(self._screener.fields(analysed))
        if self._aigc is not None:  # aigc_* fields: the record's label object, else the text
            extra.update(self._aigc.fields(text, doc.aigc_meta, self._pii_allow))
        return LedgerRow(
            doc_id=doc_id,
            source=doc.source,
            shard=doc.shard,
            location=doc.location,
            sha256=digest.sha256,
            chars=digest.chars,
            bytes=digest.bytes,
            analysed_chars=len(analysed),
            language=language.code,
            language_reason=language.reason,
            language_detector=language.detector,
            language_confidence=language.confidence,
            script=script,
            license_raw=license_shown,
            license_spdx=spdx_shown,
            license_category=lic.category,
            license_detected=detected.spdx if detected else None,
            license_detected_by=detected.by if detected else None,
            license_conflict=conflicts(lic.spdx, detected.spdx if detected else None),
            acquisition=facts.acquisition,
            url=url,
            domain=domain,
            pii_email=pii.email,
            pii_phone=pii.phone,
            pii_cn_id=pii.cn_id,
            pii_card=pii.card,
            pii_ip=pii.ip,
            minhash=signature,
            **extra,
        )
