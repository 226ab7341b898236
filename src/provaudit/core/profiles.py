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

Screening (:class:`ScreenContext`): per source the documents screened (``screened_by`` not
empty), flagged, with keyword hits (by risk code), flagged by a classifier, and blocked (the
opt-out lookup over the blocked domains, or a blocked source name), plus the bucket counts
from which :mod:`provaudit.core.assessment` draws the TC260-003 9.2 automatic sample.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, NamedTuple, Optional

from provaudit.core.errors import ConfigError

PII_KINDS = ("email", "phone", "cn_id", "card", "ip")
SENSITIVE_PII_KINDS = ("cn_id", "card")  # sensitive personal information: separate consent
PROFILE_COLUMNS = ("source", "chars", "language", "license_category", "license_conflict", "domain", "url",
                   "pii_email", "pii_phone", "pii_cn_id", "pii_card", "pii_ip",
                   "screen_hits", "screen_hits_total", "classifier_scores", "screen_flagged", "screened_by")
# AI-generated content (provaudit.core.aigc): the ledger columns the profile reads
PROFILE_COLUMNS += ("aigc_label", "aigc_producer")
AIGC_LABELS = ("1", "2", "3", "explicit")
_TOP_PRODUCERS = 10
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def load_opt_out(path: str) -> frozenset[str]:
    """Read an opt-out list: one domain per line, '#' comments; errors name the file and line."""
    return read_domain_list(path, "the opt-out list")


def read_domain_list(path: str, what: str) -> frozenset[str]:
    """Read a list of domains (opt-out, blocked): one per line, '#' comments; errors name ``what``,
    the file and the line."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "", f"cannot read {what}: {exc}") from None
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
    """True when the document's host or registrable domain is on the opt-out list.

    Any list of domains works the same way (the blocked list of CN-TC-5.1d uses it too):
    the host, each of its parent domains and the registrable domain are looked up.
    """
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


class ScreenContext(NamedTuple):
    """What counting a ledger row's screening record needs (run config ``screening:``).

    ``thresholds``: (classifier name, threshold) pairs; ``share`` and ``seed``: the TC260-003
    9.2 automatic sample (:mod:`provaudit.core.assessment` draws it from the counts).
    """

    blocked_domains: frozenset = frozenset()
    blocked_sources: frozenset = frozenset()
    thresholds: tuple = ()
    share: float = 0.1
    seed: int = 0


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
    # content screening (TC260-003 5.2a, 5.1d, 9.2): see ScreenContext and core.assessment
    screened: int = 0
    flagged: int = 0
    keyword_hit: int = 0
    classifier_flagged: int = 0
    blocked: int = 0
    keyword_risks: Counter = field(default_factory=Counter)  # risk code -> documents with a hit
    auto_buckets: Counter = field(default_factory=Counter)  # 9.2 sample bucket -> documents
    auto_qualified_buckets: Counter = field(default_factory=Counter)  # ... screened and not flagged
    # AI-generated content (core.aigc): labelled documents, by label and by producer
    aigc_documents: int = 0
    aigc_labels: Counter = field(default_factory=Counter)
    aigc_producers: Counter = field(default_factory=Counter)

    def add(self, row: dict[str, Any], opt_out: frozenset[str], expected: frozenset[str],
            screen: Optional[ScreenContext] = None) -> "SourceStats":
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
        self._add_screening(row, screen or ScreenContext())
        self._add_aigc(row)
        return self

    def _add_aigc(self, row: dict[str, Any]) -> None:
        label = row.get("aigc_label")
        if label:
            self.aigc_documents += 1
            self.aigc_labels[label] += 1
            if row.get("aigc_producer"):
                self.aigc_producers[row["aigc_producer"]] += 1

    def _merge_aigc(self, other: "SourceStats") -> None:
        self.aigc_documents += other.aigc_documents
        self.aigc_labels.update(other.aigc_labels)
        self.aigc_producers.update(other.aigc_producers)

    def _add_screening(self, row: dict[str, Any], screen: ScreenContext) -> None:
        from provaudit.core.assessment import auto_bucket, classifier_flags

        screened = bool(row.get("screened_by"))
        flagged = bool(row.get("screen_flagged"))
        self.screened += screened
        self.flagged += flagged
        if row.get("screen_hits_total"):
            self.keyword_hit += 1
            self.keyword_risks.update(code for code, n in json.loads(row["screen_hits"]).items() if n)
        # a classifier flag sets screen_flagged (the scan applies the same thresholds): parse only then
        self.classifier_flagged += flagged and classifier_flags(row.get("classifier_scores"), screen.thresholds)
        self.blocked += (row["source"] in screen.blocked_sources
                         or opted_out(row.get("url"), row.get("domain"), screen.blocked_domains))
        bucket = auto_bucket(screen.seed, screen.share, row["source"], row.get("shard", ""), row.get("location", ""))
        self.auto_buckets[bucket] += 1
        if screened and not flagged:
            self.auto_qualified_buckets[bucket] += 1

    def merge(self, other: "SourceStats") -> "SourceStats":
        """Add another accumulator's counts to this one."""
        for name in ("documents", "characters", "empty", "pii_any", "sensitive_pii", "unknown_license", "license_conflict", "opted_out",
                     "language_mismatch", "screened", "flagged", "keyword_hit", "classifier_flagged", "blocked"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("languages", "license_categories", "pii_documents", "domains", "keyword_risks", "auto_buckets",
                     "auto_qualified_buckets"):
            getattr(self, name).update(getattr(other, name))
        self._merge_aigc(other)
        return self


def aigc_columns(src: Any, st: SourceStats) -> dict[str, Any]:
    """A source's AI-generated-content profile columns (EU template 2.5, AB 2013 item 12).

    ``aigc_share``: labelled documents / documents (0.0 without documents);
    ``generated_share``: 1.0 for a source the registry declares ``acquisition: synthetic``
    (all of it is generated), else ``aigc_share``; ``aigc_labels``: documents by label, every
    label present; ``aigc_producers``: the ten most frequent producers (ties by name), as
    masked in the ledger.
    """
    share = round(st.aigc_documents / st.documents, 6) if st.documents else 0.0
    top = sorted(st.aigc_producers.items(), key=lambda kv: (-kv[1], kv[0]))[:_TOP_PRODUCERS]
    return {
        "aigc_documents": st.aigc_documents,
        "aigc_share": share,
        "aigc_labels": _json({label: st.aigc_labels.get(label, 0) for label in AIGC_LABELS}),
        "aigc_producers": _json(dict(top)),
        "generator": getattr(src, "generator", None),
        "generated_share": 1.0 if src.acquisition == "synthetic" else share,
    }


def sample_rank(seed: int, source: str, shard: str, location: str, purpose: str = "") -> int:
    """Return a document's rank for the inspection sample (smallest ranks are sampled).

    ``purpose`` keys other samples (the corpus-wide ones of core.assessment) apart from
    the per-source inspection sample, which keeps its historical key ("").
    """
    key = f"{purpose}\x1f{seed}" if purpose else f"{seed}"
    digest = hashlib.blake2b(f"{key}\x1f{source}\x1f{shard}\x1f{location}".encode(), digest_size=8)
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
                        verdicts: dict[tuple[str, str, str], str], auto_share: float = 0.1) -> list[dict[str, Any]]:
    """Return one source-profile row per registered source, in name order.

    ``auto_share``: the TC260-003 9.2 automatic sample's share (``screening.sample_share``);
    its cut over all training sources is :func:`provaudit.core.assessment.auto_cut`'s.
    """
    from provaudit.core.assessment import auto_cut, screening_columns

    sources = sorted(sources, key=lambda s: s.name)
    training_docs = sum(stats.get(s.name, SourceStats()).documents for s in sources if s.role != "eval")
    cut = auto_cut([stats[s.name] for s in sources if s.role != "eval" and s.name in stats], auto_share)
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
            **screening_columns(st, cut if src.role != "eval" else None),
            **aigc_columns(src, st),
        })
    return rows
