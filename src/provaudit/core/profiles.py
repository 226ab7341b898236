"""Source profiles: one row of facts per registered source, for expectations to validate.

Contract: :class:`SourceStats` is a mergeable accumulator over ledger rows (a Beam
CombineFn wraps it, so the cost of profiling grows with the corpus but validation,
which reads only profiles, does not). :func:`source_profile_rows` joins the stats with
the registry, the scan manifest (quarantine), the overlap outputs (duplicate rates and
the source matrix), the opt-out list and the inspection verdicts. Maps are stored as JSON
text with sorted keys, so the Parquet files are deterministic.

Opt-out: a document is opted out when its URL's registrable domain, or any parent
domain of its host, is on the opt-out list (robots.txt or TDM reservations a team has
collected). Inspection: a deterministic per-source sample (the ``size`` documents with
the smallest keyed hash) is exported for human review; the imported verdicts give each
source's unsafe share and a one-sided 95% Clopper-Pearson upper bound (the share itself
when reviewers read every document of the source: then there is no sampling error).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from provaudit.core.errors import ConfigError

PII_KINDS = ("email", "phone", "cn_id", "card", "ip")
SENSITIVE_PII_KINDS = ("cn_id", "card")  # sensitive personal information: separate consent
PROFILE_COLUMNS = ("source", "chars", "language", "license_category", "license_conflict", "domain", "url",
                   "pii_email", "pii_phone", "pii_cn_id", "pii_card", "pii_ip")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def load_opt_out(path: str) -> frozenset[str]:
    """Read an opt-out list: one domain per line, '#' comments; errors name the file and line."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "", f"cannot read the opt-out list: {exc}") from None
    domains = set()
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.split("#", 1)[0].strip().lower().rstrip(".")
        if not entry:
            continue
        if not _DOMAIN.match(entry):
            raise ConfigError(path, f"line {number}", f"{entry[:80]!r} is not a domain name")
        domains.add(entry)
    return frozenset(domains)


def opted_out(url: Optional[str], domain: Optional[str], opt_out: frozenset[str]) -> bool:
    """True when the document's host or registrable domain is on the opt-out list."""
    if not opt_out or not (url or domain):
        return False
    from urllib.parse import urlsplit

    host = ""
    if url:
        try:
            host = (urlsplit(url if "//" in url else "//" + url).hostname or "").lower().rstrip(".")
        except ValueError:
            host = ""
    labels = host.split(".") if host else []
    candidates = {".".join(labels[i:]) for i in range(len(labels))}
    if domain:
        candidates.add(domain.lower())
    return not candidates.isdisjoint(opt_out)


@dataclass
class SourceStats:
    """Mergeable counts of one source's ledger rows."""

    documents: int = 0
    characters: int = 0
    empty: int = 0
    pii_any: int = 0
    sensitive_pii: int = 0
    unknown_license: int = 0
    license_conflict: int = 0
    opted_out: int = 0
    language_mismatch: int = 0
    languages: Counter = field(default_factory=Counter)
    license_categories: Counter = field(default_factory=Counter)
    pii_documents: Counter = field(default_factory=Counter)
    domains: Counter = field(default_factory=Counter)

    def add(self, row: dict[str, Any], opt_out: frozenset[str], expected: frozenset[str]) -> "SourceStats":
        """Count one ledger row."""
        self.documents += 1
        self.characters += row["chars"]
        self.empty += row["chars"] == 0
        self.languages[row["language"]] += 1
        self.license_categories[row["license_category"]] += 1
        self.unknown_license += row["license_category"] == "unknown"
        self.license_conflict += bool(row.get("license_conflict"))
        if row.get("domain"):
            self.domains[row["domain"]] += 1
        self.opted_out += opted_out(row.get("url"), row.get("domain"), opt_out)
        if expected and row["language"] != "und" and row["language"] not in expected:
            self.language_mismatch += 1
        found = [kind for kind in PII_KINDS if row[f"pii_{kind}"]]
        self.pii_documents.update(found)
        self.pii_any += bool(found)
        self.sensitive_pii += any(row[f"pii_{kind}"] for kind in SENSITIVE_PII_KINDS)
        return self

    def merge(self, other: "SourceStats") -> "SourceStats":
        """Add another accumulator's counts to this one."""
        for name in ("documents", "characters", "empty", "pii_any", "sensitive_pii", "unknown_license", "license_conflict", "opted_out",
                     "language_mismatch"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("languages", "license_categories", "pii_documents", "domains"):
            getattr(self, name).update(getattr(other, name))
        return self


def sample_rank(seed: int, source: str, shard: str, location: str) -> int:
    """Return a document's rank for the inspection sample (smallest ranks are sampled)."""
    digest = hashlib.blake2b(f"{seed}\x1f{source}\x1f{shard}\x1f{location}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big")


def unsafe_upper_bound(unsafe: int, reviewed: int, confidence: float = 0.95) -> Optional[float]:
    """Return the one-sided Clopper-Pearson upper bound of the unsafe share (None if nothing reviewed)."""
    if reviewed == 0:
        return None
    if unsafe >= reviewed:
        return 1.0
    from scipy.stats import beta

    return float(beta.ppf(confidence, unsafe + 1, reviewed - unsafe))


def load_verdicts(paths: Iterable[str]) -> dict[tuple[str, str, str], str]:
    """Read reviewers' verdicts (JSONL: source, shard, location, verdict safe|unsafe)."""
    verdicts: dict[tuple[str, str, str], str] = {}
    for path in paths:
        try:
            lines = Path(path).read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(path, "", f"cannot read inspection verdicts: {exc}") from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                raise ConfigError(path, f"line {number}", "not a JSON object") from None
            missing = [k for k in ("source", "shard", "location", "verdict") if not isinstance(record.get(k), str)]
            if missing:
                raise ConfigError(path, f"line {number}", f"missing or not text: {', '.join(missing)}")
            if record["verdict"] not in ("safe", "unsafe"):
                raise ConfigError(path, f"line {number}.verdict",
                                  f"{record['verdict'][:40]!r} is not one of: safe, unsafe")
            verdicts[(record["source"], record["shard"], record["location"])] = record["verdict"]
    return verdicts


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _shares(counts: Counter, total: int) -> dict[str, float]:
    return {k: round(v / total, 6) for k, v in sorted(counts.items())} if total else {}


LANGUAGE_COVER_SHARE = 0.02  # a source covers a language when at least 2% of its documents are in it


def languages_covered(stats: SourceStats) -> set[str]:
    """Return the languages that make up at least LANGUAGE_COVER_SHARE of a source's documents.

    A language is its primary subtag here: Simplified and Traditional Chinese (``zh-Hans``,
    ``zh-Hant``) are one language, Chinese, for how many sources cover it (CN-TC-5.1b asks
    for diverse sources per language, not per script).
    """
    shares: Counter = Counter()
    for lang, n in stats.languages.items():
        if lang != "und":
            shares[lang.split("-")[0]] += n
    return {lang for lang, n in shares.items() if stats.documents and n / stats.documents >= LANGUAGE_COVER_SHARE}


def inspected_upper_bound(unsafe: int, reviewed: int, documents: int) -> Optional[float]:
    """Upper bound of a source's unsafe share: exact when every document was reviewed."""
    if reviewed and reviewed >= documents:
        return round(unsafe / reviewed, 6)  # the whole source was read: no sampling error
    bound = unsafe_upper_bound(unsafe, reviewed)
    return None if bound is None else round(bound, 6)


def source_profile_rows(sources: Iterable[Any], stats: dict[str, SourceStats], manifest: dict[str, Any],
                        rates: dict[str, Any], matrix: dict[str, Any],
                        sampled: dict[str, list[tuple[str, str]]],
                        verdicts: dict[tuple[str, str, str], str]) -> list[dict[str, Any]]:
    """Return one source-profile row per registered source, in name order."""
    sources = sorted(sources, key=lambda s: s.name)
    training_docs = sum(stats.get(s.name, SourceStats()).documents for s in sources if s.role != "eval")
    covered = {s.name: languages_covered(stats.get(s.name, SourceStats())) for s in sources}
    sources_per_language: Counter = Counter(
        lang for s in sources if s.role != "eval" for lang in covered[s.name])
    rows = []
    for src in sources:
        st = stats.get(src.name, SourceStats())
        man = manifest["sources"].get(src.name, {})
        read = man.get("documents_read", 0)
        rate = rates.get(src.name, {})
        sample = sampled.get(src.name, [])
        judged = [verdicts[(src.name, shard, loc)] for shard, loc in sample if (src.name, shard, loc) in verdicts]
        unsafe = judged.count("unsafe")
        collected_from, _, collected_to = (src.collected or "").partition("/")
        overlap_row = {b: cell for b, cell in matrix.get(src.name, {}).items() if b != src.name and cell["count"]}
        rows.append({
            "source": src.name,
            "role": src.role,
            "acquisition": src.acquisition,
            "evidence_present": bool(src.evidence and src.evidence.strip()),
            "evidence": src.evidence,
            "consent_basis": src.consent_basis,
            "license_declared": src.license,
            "documents": st.documents,
            "characters": st.characters,
            "share_of_corpus": round(st.documents / training_docs, 6) if src.role != "eval" and training_docs else 0.0,
            "languages": _json(_shares(st.languages, st.documents)),
            "languages_expected": _json(sorted(src.languages_expected)),
            "language_mismatch_documents": st.language_mismatch,
            "language_mismatch_share": round(st.language_mismatch / st.documents, 6) if st.documents else 0.0,
            "language_sources_min": min((sources_per_language[lang] for lang in covered[src.name]),
                                        default=0),
            "license_categories": _json(dict(sorted(st.license_categories.items()))),
            "unknown_license_documents": st.unknown_license,
            "unknown_license_share": round(st.unknown_license / st.documents, 6) if st.documents else 0.0,
            "license_conflict_documents": st.license_conflict,
            **{f"pii_{kind}_documents": st.pii_documents[kind] for kind in PII_KINDS},
            "pii_documents": st.pii_any,
            "sensitive_pii_documents": st.sensitive_pii,
            "empty_documents": st.empty,
            "documents_read": read,
            "quarantined": man.get("quarantined", 0),
            "quarantine_share": round(man.get("quarantined", 0) / read, 6) if read else 0.0,
            "exact_duplicate_rate": rate.get("exact_within_rate", 0.0),
            "near_duplicate_rate": rate.get("near_within_rate", 0.0),
            "duplicate_rate_any_source": rate.get("near_any_rate", 0.0),
            "overlap_with_sources": _json(overlap_row),
            "opted_out_documents": st.opted_out,
            "top_domains": _json(dict(sorted(st.domains.most_common(10)))),
            "collected_from": collected_from or None,
            "collected_to": (collected_to if collected_to not in ("", "..") else None) if collected_to
            else (collected_from or None),
            "collection_ongoing": collected_to == "..",
            "inspection_sampled": len(sample),
            "inspection_reviewed": len(judged),
            "inspection_unsafe": unsafe,
            "inspection_unsafe_share": round(unsafe / len(judged), 6) if judged else None,
            "inspection_unsafe_upper95": inspected_upper_bound(unsafe, len(judged), st.documents),
        })
    return rows
