"""The TC260-003 9.2 corpus assessment (core.assessment) and the per-source screening counts
(core.profiles): the automatic sample is always at least its share, deterministic and bounded
in memory; the intervals are scipy's Clopper-Pearson; the blocked list's errors name file and
line; library ages count from the run's date."""

from __future__ import annotations

import json
import math
import random
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from scipy.stats import beta

from provaudit.core.assessment import (COARSE_BUCKETS, FINE_BUCKETS, auto_bucket, auto_cut, classifier_flags,
                                       corpus_assessment_row, library_figures, load_blocked, qualified_interval,
                                       required_sample, run_date, screen_context)
from provaudit.core.config import ScreeningSettings
from provaudit.core.errors import ConfigError, InputError
from provaudit.core.profiles import ScreenContext, SourceStats, load_opt_out, source_profile_rows

NO_LIBRARY = library_figures(None, date(2026, 1, 1))


def _row(source: str, i: int, *, hits: dict | None = None, scores: dict | None = None, screened: bool = True,
         url: str | None = None, domain: str | None = None, flagged: bool | None = None) -> dict:
    hits = hits or {}
    return {"source": source, "shard": f"{source}/part-0.jsonl", "location": f"line:{i}", "doc_id": f"{source}-{i}",
            "chars": 10, "language": "en", "license_category": "permissive", "license_conflict": False,
            "domain": domain, "url": url, **{f"pii_{k}": 0 for k in ("email", "phone", "cn_id", "card", "ip")},
            "screen_hits": json.dumps(hits, sort_keys=True), "screen_hits_total": sum(hits.values()),
            "classifier_scores": json.dumps(scores or {}, sort_keys=True),
            "screen_flagged": bool(hits) if flagged is None else flagged,
            "screened_by": "lib@0123456789ab@2026-01-01" if screened else "",
            "aigc_label": None, "aigc_via": None, "aigc_producer": None}


def _stats(rows, ctx: ScreenContext) -> dict[str, SourceStats]:
    out: dict[str, SourceStats] = {}
    for r in rows:
        out.setdefault(r["source"], SourceStats()).add(r, frozenset(), frozenset(), ctx)
    return out


def _sources(*names: str, eval_: tuple[str, ...] = ()):
    return [SimpleNamespace(name=n, role="eval" if n in eval_ else "train") for n in names]


@pytest.mark.parametrize("share", [0.1, 0.15, 0.37, 0.5, 0.51, 1.0])
def test_the_automatic_sample_is_never_below_its_share(share: float) -> None:
    rng = random.Random(share)
    for n in [1, 2, 3, 7, 9, 10, 11, 19, 99, 101, 457, 1000, 2500] + [rng.randrange(1, 3000) for _ in range(10)]:
        ctx = ScreenContext(share=share, seed=n)
        rows = [_row("a" if i % 3 else "b", i) for i in range(n)]
        row = corpus_assessment_row(_sources("a", "b"), _stats(rows, ctx), share, [], {}, NO_LIBRARY)
        need = math.ceil(round(share * n, 9))
        assert row["auto_sample_size"] >= need == required_sample(share, n), (share, n)
        assert row["auto_sample_share"] >= share
        # the sample is a prefix of the rank order: every document of a lower bucket is in it
        buckets = sorted(auto_bucket(n, share, r["source"], r["shard"], r["location"]) for r in rows)
        assert row["auto_sample_size"] == sum(1 for b in buckets if b <= buckets[need - 1])


def test_the_sample_overshoots_by_at_most_a_bucket_and_memory_is_bounded() -> None:
    ctx = ScreenContext(share=0.1, seed=3)
    rows = [_row("a", i) for i in range(50_000)]
    stats = _stats(rows, ctx)
    assert len(stats["a"].auto_buckets) <= FINE_BUCKETS + COARSE_BUCKETS
    row = corpus_assessment_row(_sources("a"), stats, 0.1, [], {}, NO_LIBRARY)
    assert 5000 <= row["auto_sample_size"] <= 5000 + 50_000 * 0.2 / FINE_BUCKETS * 3
    assert row["auto_qualified"] == row["auto_sample_size"] and row["auto_qualified_share"] == 1.0


def test_the_sample_is_deterministic_whatever_the_order_and_merges() -> None:
    ctx = ScreenContext(share=0.1, seed=7)
    rows = [_row(s, i, hits={"A.1-1": 1} if i % 17 == 0 else None) for s in ("a", "b", "c") for i in range(400)]
    one = _stats(rows, ctx)
    shuffled = rows[:]
    random.Random(1).shuffle(shuffled)
    parts = [_stats(shuffled[i::3], ctx) for i in range(3)]
    merged: dict[str, SourceStats] = {}
    for part in parts:
        for name, st in part.items():
            merged[name] = merged[name].merge(st) if name in merged else st
    sources = _sources("a", "b", "c")
    assert (corpus_assessment_row(sources, one, 0.1, [], {}, NO_LIBRARY)
            == corpus_assessment_row(sources, merged, 0.1, [], {}, NO_LIBRARY))
    other_seed = _stats(rows, ScreenContext(share=0.1, seed=8))
    assert ([st.auto_buckets for st in one.values()] != [st.auto_buckets for st in other_seed.values()])


def test_qualified_means_screened_and_not_flagged_and_eval_is_left_out() -> None:
    ctx = ScreenContext(share=1.0)
    rows = ([_row("a", i) for i in range(6)] + [_row("a", 6, hits={"A.2-3": 2})]
            + [_row("a", 7, screened=False)] + [_row("ev", i, hits={"A.1-1": 1}) for i in range(5)])
    row = corpus_assessment_row(_sources("a", "ev", eval_=("ev",)), _stats(rows, ctx), 1.0, [], {}, NO_LIBRARY)
    assert (row["training_documents"], row["auto_sample_size"], row["auto_qualified"]) == (8, 8, 6)
    assert (row["screened_documents"], row["screening_coverage"]) == (7, 0.875)
    assert row["auto_qualified_share"] == 0.75


def test_the_intervals_are_scipys_two_sided_clopper_pearson() -> None:
    for k, n in [(0, 1), (1, 1), (3, 10), (455, 456), (3920, 4000), (4000, 4000), (0, 4000)]:
        lo, hi = qualified_interval(k, n)
        want_lo = 0.0 if k == 0 else beta.ppf(0.025, k, n - k + 1)
        want_hi = 1.0 if k == n else beta.ppf(0.975, k + 1, n - k)
        assert lo == pytest.approx(want_lo, abs=1e-6) and hi == pytest.approx(want_hi, abs=1e-6), (k, n)
        assert lo <= k / n <= hi
    assert qualified_interval(0, 0) == (None, None)


def test_the_manual_sample_counts_reviewed_and_safe() -> None:
    rows = [_row("a", i) for i in range(5)]
    sample = [(r["source"], r["shard"], r["location"]) for r in rows]
    verdicts = {sample[0]: "safe", sample[1]: "safe", sample[2]: "unsafe", ("x", "y", "z"): "unsafe"}
    row = corpus_assessment_row(_sources("a"), _stats(rows, ScreenContext()), 0.1, sample, verdicts, NO_LIBRARY)
    assert (row["manual_sampled"], row["manual_sample_all"], row["manual_reviewed"], row["manual_qualified"]) == (
        5, True, 3, 2)
    assert row["manual_qualified_share"] == round(2 / 3, 6)
    assert row["manual_lower95"] == qualified_interval(2, 3)[0]


def test_per_source_screening_columns() -> None:
    ctx = ScreenContext(blocked_domains=frozenset({"blocked.example"}), blocked_sources=frozenset({"b"}),
                        thresholds=(("quality", 0.5),), share=1.0)
    rows = [_row("a", 0, hits={"A.1-1": 2, "A.2-3": 1}), _row("a", 1, hits={"A.1-1": 1}),
            _row("a", 2, scores={"quality": {"A.5-2": 0.7}}, flagged=True),
            _row("a", 3, scores={"quality": {"A.5-2": 0.2}, "other": {"A.1-1": 0.9}}),
            _row("a", 4, url="https://news.sub.blocked.example/x"), _row("a", 5, domain="blocked.example"),
            _row("a", 6, screened=False), _row("b", 0)]
    stats = _stats(rows, ctx)
    manifest = {"sources": {}}
    sources = [SimpleNamespace(name=n, role="train", acquisition="web", evidence=None, consent_basis="none",
                               license=None, languages_expected=(), collected=None) for n in ("a", "b", "c")]
    out = {r["source"]: r for r in source_profile_rows(sources, stats, manifest, {}, {}, {}, {}, auto_share=1.0)}
    a = out["a"]
    assert (a["screened_documents"], a["screening_coverage"], a["flagged_documents"]) == (6, round(6 / 7, 6), 3)
    assert (a["keyword_hit_documents"], a["keyword_hit_share"]) == (2, round(2 / 6, 6))
    assert json.loads(a["keyword_hits_by_risk"]) == {"A.1-1": 2, "A.2-3": 1}
    assert a["classifier_flagged_documents"] == 1  # "other" is not a configured classifier
    assert a["blocked_documents"] == 2 and out["b"]["blocked_documents"] == 1
    assert (a["auto_sampled"], a["auto_qualified"]) == (7, 3)
    assert (out["c"]["screening_coverage"], out["c"]["keyword_hit_share"]) == (1.0, 0.0)  # no documents
    unscreened = {"a": _stats([_row("a", 0, screened=False)], ctx)["a"]}
    row = source_profile_rows(sources[:1], unscreened, manifest, {}, {}, {}, {})[0]
    assert (row["screening_coverage"], row["keyword_hit_share"]) == (0.0, None)


def test_classifier_flags() -> None:
    assert classifier_flags('{"q": {"A.5-2": 0.5}}', (("q", 0.5),))
    assert not classifier_flags('{"q": {"A.5-2": 0.49}}', (("q", 0.5),))
    assert not classifier_flags("{}", (("q", 0.5),)) and not classifier_flags('{"q": {"A.5-2": 1}}', ())


def test_the_blocked_list_shares_the_opt_out_parser(tmp_path: Path) -> None:
    good = tmp_path / "blocked.txt"
    good.write_text("# blocked\nExample.COM.\n\nsub.example.org  # why\n", encoding="utf-8")
    settings = ScreeningSettings(blocked_domains=("inline.example",), blocked_path=str(good))
    assert load_blocked(settings) == frozenset({"example.com", "sub.example.org", "inline.example"})
    assert load_blocked(ScreeningSettings()) == frozenset()
    bad = tmp_path / "bad.txt"
    bad.write_text("example.com\nnot a domain\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_blocked(ScreeningSettings(blocked_path=str(bad)))
    assert str(bad) in str(err.value) and "line 2" in str(err.value) and "'not a domain'" in str(err.value)
    with pytest.raises(ConfigError, match="cannot read the blocked list"):
        load_blocked(ScreeningSettings(blocked_path=str(tmp_path / "missing.txt")))
    with pytest.raises(ConfigError, match="cannot read the opt-out list"):
        load_opt_out(str(tmp_path / "missing.txt"))
    ctx = screen_context(settings._replace(blocked_sources=("s",)), load_blocked(settings))
    assert ctx.blocked_sources == frozenset({"s"}) and "example.com" in ctx.blocked_domains


def test_library_figures_count_days_from_the_run_date() -> None:
    doc = {"libraries": [{"name": "a", "updated": "2026-11-20"}, {"name": "b", "updated": "2026-11-28"}],
           "coverage": {"terms": 12345, "short": {"A.1-2": 150, "A.2-9": 0}, "classifier_missing": ["A.1-1"]}}
    on = run_date("20261130T221536Z-1e5273d2")
    assert on == date(2026, 11, 30)
    assert library_figures(doc, on) == {"library_terms": 12345, "library_short_risks": 2,
                                        "library_max_age_days": 10, "classifier_missing_risks": 1}
    assert NO_LIBRARY == {"library_terms": 0, "library_short_risks": 17, "library_max_age_days": None,
                          "classifier_missing_risks": 31}
    with pytest.raises(ConfigError, match=r"libraries\[0\].updated"):
        library_figures({"libraries": [{"updated": "soon"}]}, on)
    with pytest.raises(InputError):
        run_date("latest")


def test_an_empty_corpus_has_no_sample() -> None:
    row = corpus_assessment_row(_sources("a"), {}, 0.1, [], {}, NO_LIBRARY)
    assert (row["training_documents"], row["auto_sample_size"], row["auto_qualified_share"]) == (0, 0, None)
    assert row["screening_coverage"] == 1.0 and auto_cut([], 0.1) is None


def test_the_nightly_side_inputs_include_the_blocked_list(tmp_path: Path) -> None:
    from conftest import SAMPLE, write_yaml
    from provaudit.core.config import load_config
    from provaudit.stages.nightly import side_inputs_digest

    blocked = tmp_path / "blocked.txt"
    blocked.write_text("one.example\n", encoding="utf-8")
    config = write_yaml(tmp_path / "c.yaml", {"registry": str(SAMPLE / "registry.yaml"), "output": str(tmp_path / "o"),
                                              "screening": {"blocked": {"path": "blocked.txt"}}})
    before = side_inputs_digest(load_config(config))
    blocked.write_text("one.example\ntwo.example\n", encoding="utf-8")
    assert side_inputs_digest(load_config(config)) != before
