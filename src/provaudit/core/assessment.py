"""The corpus safety assessment of TC260-003 9.2, and the blocked list of 5.1d (pure).

Contract
--------
Automatic sample (CN-TC-9.2-auto): a seeded random sample of at least ``sample_share``
(never below 10%) of ALL training documents (sources whose role is not ``eval``) together.
Each document's rank is a keyed 64-bit hash (:func:`provaudit.core.profiles.sample_rank`
keyed ``9.2-auto`` and ``screening.seed``), so the draw is deterministic and independent
of worker order. Ranks are counted in buckets (:func:`auto_bucket`): 2,048 equal buckets
below twice the share, 64 above it. The sample is every document of the buckets up to the
first bucket where the running count reaches ``ceil(share x training documents)``
(:func:`auto_cut`): always at least the share, never merely in expectation, and above it
by at most one bucket (about share/1,024 of the corpus). Memory is bounded by the bucket
count per source, whatever the corpus size. A sampled document is qualified when it was
screened (``screened_by`` not empty) and not flagged (``screen_flagged``: no keyword hit,
no classifier score at or above its threshold); an unscreened document has no automatic
verdict, so it is never counted qualified.

Manual sample (CN-TC-9.2-manual): the ``inspection.corpus_sample_size`` (default 4,000)
training documents with the smallest keyed hash (``9.2-manual`` and ``inspection.seed``)
over all training sources together, all of them when fewer. Reviewers' verdicts come from
the ``inspection.verdicts`` files; safe = qualified.

Both qualified shares carry a two-sided 95% Clopper-Pearson (exact binomial) interval
(:func:`qualified_interval`, scipy's ``binomtest(...).proportion_ci(method="exact")``);
no finite-population correction, so the interval is conservative.

Blocked list (CN-TC-5.1d): ``screening.blocked`` domains (inline and from ``path``, read by
:func:`provaudit.core.profiles.read_domain_list`) and source names; a document is blocked
when its host, a parent domain of the host or its registrable domain is listed (the
opt-out lookup, :func:`provaudit.core.profiles.opted_out`), or its source is.

Library figures (CN-TC-8.1) come from ``<run>/screening/libraries.json``; a library's age is
counted in days from its ``updated`` date to the run's date (the UTC date in the run id),
never the wall clock.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from datetime import date
from fractions import Fraction
from functools import lru_cache
from typing import Any, Iterable, Mapping, Optional, Sequence

from provaudit.core.errors import ConfigError, InputError
from provaudit.core.profiles import ScreenContext, SourceStats, read_domain_list, sample_rank

FINE_BUCKETS = 2048  # equal buckets of ranks below twice the sample share
COARSE_BUCKETS = 64  # equal buckets of the ranks above
_SPAN = 1 << 64
AUTO_PURPOSE = "9.2-auto"
MANUAL_PURPOSE = "9.2-manual"
CONFIDENCE = 0.95
SCOPE = "training data"  # the corpus assessment row's key: every source whose role is not eval
_RUN_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})T\d{6}Z")

ASSESSMENT_COLUMNS = (
    "scope", "training_documents", "screened_documents", "screening_coverage", "auto_sample_size",
    "auto_sample_share", "auto_qualified", "auto_qualified_share", "auto_lower95", "auto_upper95",
    "manual_sampled", "manual_sample_all", "manual_reviewed", "manual_qualified", "manual_qualified_share",
    "manual_lower95", "manual_upper95", "blocked_documents", "library_terms", "library_short_risks",
    "library_max_age_days", "classifier_missing_risks")


def auto_bucket(seed: int, share: float, source: str, shard: str, location: str) -> int:
    """Return the 9.2 automatic-sample bucket of a document (buckets are in rank order)."""
    rank = sample_rank(seed, source, shard, location, AUTO_PURPOSE)
    window = _window(share)
    if window >= _SPAN:
        return rank * FINE_BUCKETS // _SPAN
    if rank < window:
        return rank * FINE_BUCKETS // window
    return FINE_BUCKETS + (rank - window) * COARSE_BUCKETS // (_SPAN - window)


@lru_cache(maxsize=8)
def _window(share: float) -> int:
    """The ranks below twice the share (the fine buckets' span), exact for a decimal share."""
    return min(_SPAN, int(Fraction(repr(share)) * 2 * _SPAN))


def required_sample(share: float, documents: int) -> int:
    """The fewest documents a sample of ``share`` of ``documents`` holds (exact decimal share)."""
    return math.ceil(Fraction(repr(share)) * documents)


def auto_cut(stats: Iterable[SourceStats], share: float) -> Optional[int]:
    """Return the last bucket of the automatic sample over the training sources' stats (None: no documents)."""
    buckets: Counter = Counter()
    total = 0
    for st in stats:
        buckets.update(st.auto_buckets)
        total += st.documents
    if not total:
        return None
    need, running = required_sample(share, total), 0
    for bucket in sorted(buckets):
        running += buckets[bucket]
        if running >= need:
            return bucket
    return max(buckets)


def _below(counts: Counter, cut: Optional[int]) -> int:
    return 0 if cut is None else sum(n for bucket, n in counts.items() if bucket <= cut)


def classifier_flags(scores: Optional[str], thresholds: Sequence[tuple[str, float]]) -> bool:
    """True when any configured classifier scored a risk at or above its threshold."""
    if not thresholds or not scores or scores == "{}":
        return False
    parsed = json.loads(scores)
    return any(score >= threshold for name, threshold in thresholds
               for score in (parsed.get(name) or {}).values())


def screening_columns(st: SourceStats, cut: Optional[int]) -> dict[str, Any]:
    """The source profile's screening columns of one source (``cut`` None: not training data)."""
    docs = st.documents
    if not docs:
        hit_share: Optional[float] = 0.0
    elif st.screened:
        hit_share = round(st.keyword_hit / st.screened, 6)  # of the screened documents
    else:
        hit_share = None  # nothing screened: no figure (the expectation fails on it)
    return {
        "screened_documents": st.screened,
        "screening_coverage": round(st.screened / docs, 6) if docs else 1.0,
        "flagged_documents": st.flagged,
        "keyword_hit_documents": st.keyword_hit,
        "keyword_hit_share": hit_share,
        "keyword_hits_by_risk": json.dumps(dict(sorted(st.keyword_risks.items())), sort_keys=True),
        "classifier_flagged_documents": st.classifier_flagged,
        "blocked_documents": st.blocked,
        "auto_sampled": _below(st.auto_buckets, cut),
        "auto_qualified": _below(st.auto_qualified_buckets, cut),
    }


def qualified_interval(qualified: int, n: int) -> tuple[Optional[float], Optional[float]]:
    """Two-sided 95% Clopper-Pearson interval of a qualified share (None, None when n is 0)."""
    if n <= 0:
        return None, None
    from scipy.stats import binomtest

    ci = binomtest(qualified, n).proportion_ci(confidence_level=CONFIDENCE, method="exact")
    return round(float(ci.low), 6), round(float(ci.high), 6)


def manual_rank(seed: int, source: str, shard: str, location: str) -> int:
    """A document's rank for the corpus-wide manual sample (the smallest ranks are sampled)."""
    return sample_rank(seed, source, shard, location, MANUAL_PURPOSE)


def screen_context(screening: Any, blocked_domains: frozenset[str]) -> ScreenContext:
    """The ScreenContext of a run config's ``screening:`` settings and its blocked domains."""
    return ScreenContext(blocked_domains=blocked_domains, blocked_sources=frozenset(screening.blocked_sources),
                         thresholds=tuple((c.name, c.threshold) for c in screening.classifiers),
                         share=screening.sample_share, seed=screening.seed)


def load_blocked(screening: Any) -> frozenset[str]:
    """The blocked domains: ``screening.blocked.domains`` and the lines of ``screening.blocked.path``."""
    domains = set(screening.blocked_domains)
    if screening.blocked_path:
        domains |= read_domain_list(screening.blocked_path, "the blocked list")
    return frozenset(domains)


def run_date(run_id: str) -> date:
    """The UTC date a run started, from its id (``YYYYMMDDTHHMMSSZ-...``)."""
    match = _RUN_DATE.match(run_id)
    if not match:
        raise InputError(f"run {run_id!r}: the run id does not start with its UTC start time")
    return date(*map(int, match.groups()))


def library_figures(libraries: Optional[Mapping[str, Any]], on: date, file: str = "libraries.json") -> dict[str, Any]:
    """CN-TC-8.1 figures of ``<run>/screening/libraries.json`` (None: screening not configured)."""
    from provaudit.core.risks import RISK_CODES, min_terms

    if libraries is None:
        return {"library_terms": 0, "library_short_risks": sum(1 for c in RISK_CODES if min_terms(c)),
                "library_max_age_days": None, "classifier_missing_risks": len(RISK_CODES)}
    coverage = libraries.get("coverage") or {}
    ages = []
    for i, lib in enumerate(libraries.get("libraries") or []):
        try:
            ages.append((on - date.fromisoformat(str(lib.get("updated")))).days)
        except ValueError:
            raise ConfigError(file, f"libraries[{i}].updated", f"{lib.get('updated')!r} is not a date") from None
    return {"library_terms": int(coverage.get("terms", 0)),
            "library_short_risks": len(coverage.get("short") or {}),
            "library_max_age_days": max(ages) if ages else None,
            "classifier_missing_risks": len(coverage.get("classifier_missing", RISK_CODES))}


def corpus_assessment_row(sources: Iterable[Any], stats: Mapping[str, SourceStats], share: float,
                          manual_sample: Sequence[tuple[str, str, str]],
                          verdicts: Mapping[tuple[str, str, str], str],
                          libraries: dict[str, Any]) -> dict[str, Any]:
    """The one row of ``profiles/corpus_assessment.parquet`` (``libraries``: :func:`library_figures`)."""
    training = [stats.get(s.name, SourceStats()) for s in sources if s.role != "eval"]
    docs = sum(st.documents for st in training)
    screened = sum(st.screened for st in training)
    cut = auto_cut(training, share)
    sampled = sum(_below(st.auto_buckets, cut) for st in training)
    qualified = sum(_below(st.auto_qualified_buckets, cut) for st in training)
    judged = [verdicts[key] for key in manual_sample if key in verdicts]
    safe = judged.count("safe")
    auto_lo, auto_hi = qualified_interval(qualified, sampled)
    man_lo, man_hi = qualified_interval(safe, len(judged))
    return {
        "scope": SCOPE,
        "training_documents": docs,
        "screened_documents": screened,
        "screening_coverage": round(screened / docs, 6) if docs else 1.0,
        "auto_sample_size": sampled,
        "auto_sample_share": round(sampled / docs, 6) if docs else 0.0,
        "auto_qualified": qualified,
        "auto_qualified_share": round(qualified / sampled, 6) if sampled else None,
        "auto_lower95": auto_lo,
        "auto_upper95": auto_hi,
        "manual_sampled": len(manual_sample),
        "manual_sample_all": len(manual_sample) >= docs,
        "manual_reviewed": len(judged),
        "manual_qualified": safe,
        "manual_qualified_share": round(safe / len(judged), 6) if judged else None,
        "manual_lower95": man_lo,
        "manual_upper95": man_hi,
        "blocked_documents": sum(st.blocked for st in training),
        **libraries,
    }
