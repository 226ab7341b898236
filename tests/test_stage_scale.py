"""The aggregation paths that keep profile and disclose bounded as the ledger grows give the
same answers as the per-row paths they replace: license counts per record batch, profile
partials per ledger file, the two-step evidence sort, and the PII examples read in rounds."""

from __future__ import annotations

import heapq
import random
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import run_stages
from test_validate import _sample_config

from provaudit.beam.io import list_files, read_parquet_rows
from provaudit.core.assessment import load_blocked, manual_rank, screen_context
from provaudit.core.pii import KINDS, SENSITIVE_KINDS
from provaudit.core.profiles import PROFILE_COLUMNS, SourceStats, sample_rank
from provaudit.reports.exports import license_counts
from provaudit.stages import evidence
from provaudit.stages.disclose import ledger_license_counts
from provaudit.stages.profile import (
    CORPUS_SAMPLE,
    SAMPLE,
    ProfileLedgerFileFn,
    SmallestFn,
)


def test_ledger_license_counts_match_the_per_row_count(tmp_path: Path) -> None:
    rng = random.Random(7)
    rows = [{"source": rng.choice("abc"), "license_spdx": rng.choice(["MIT", "Apache-2.0", "", None, "GPL-2.0-only"])}
            for _ in range(3000)]
    for i in range(3):  # two source folders and a file holding two sources, as ledger/<source>/*.parquet
        (tmp_path / "ledger" / f"s{i % 2}").mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows[i * 1000:(i + 1) * 1000]),
                       tmp_path / "ledger" / f"s{i % 2}" / f"shard-{i}.parquet")
    expected = license_counts(rows)
    assert ledger_license_counts(str(tmp_path / "ledger")) == expected
    assert "" not in {spdx for counts in expected.values() for spdx in counts}
    assert ledger_license_counts(str(tmp_path / "absent")) == {}


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory):
    cfg, run_dir, _, validation = run_stages(_sample_config(tmp_path_factory.mktemp("scale")))
    return cfg, Path(run_dir), validation


def test_profile_partials_per_ledger_file_match_the_per_row_combine(sample_run) -> None:
    cfg, run_dir, _ = sample_run
    columns = list(PROFILE_COLUMNS) + ["shard", "location", "doc_id"]
    expected = {s.name: frozenset(s.languages_expected) for s in cfg.sources}
    training = frozenset(s.name for s in cfg.sources if s.role != "eval")
    screen = screen_context(cfg.screening, load_blocked(cfg.screening))
    size, corpus_size, seed = 2, 5, 11
    files = list_files(str(run_dir / "ledger"), "*", "*.parquet")
    fn = ProfileLedgerFileFn(columns, frozenset({"example.com"}), expected, screen, training, seed, size, corpus_size)
    fn.slack = 1  # cut the candidates back as often as possible: the cuts must lose nothing
    stats: dict[str, SourceStats] = {}
    samples: dict[str, list] = {}
    corpus: list = []
    for path in files:
        for out in fn.process(path):
            if getattr(out, "tag", None) == SAMPLE:
                src, picks = out.value
                samples[src] = SmallestFn(size).add_input(samples.get(src, []), picks)
            elif getattr(out, "tag", None) == CORPUS_SAMPLE:
                corpus = SmallestFn(corpus_size).add_input(corpus, out.value)
            else:
                src, partial = out
                stats[src] = stats.get(src, SourceStats()).merge(partial)
    rows = [r for path in files for r in read_parquet_rows(path, columns)]
    want: dict[str, SourceStats] = {}
    for r in rows:  # the per-row path: each row added to its source's stats
        want[r["source"]] = want.get(r["source"], SourceStats()).add(
            r, frozenset({"example.com"}), expected.get(r["source"], frozenset()), screen)
    assert stats == want and sum(st.documents for st in stats.values()) == len(rows) > 0
    for src in want:
        ranks = [(sample_rank(seed, src, r["shard"], r["location"]), r["shard"], r["location"])
                 for r in rows if r["source"] == src]
        assert samples[src] == heapq.nsmallest(size, ranks)
    assert corpus == heapq.nsmallest(corpus_size, [
        (manual_rank(seed, r["source"], r["shard"], r["location"]), r["source"], r["shard"], r["location"], r["doc_id"])
        for r in rows if r["source"] in training])


def test_smallest_fn_keeps_the_n_smallest_across_inputs_and_merges() -> None:
    rng = random.Random(1)
    parts = [[(rng.getrandbits(16), i, j) for j in range(rng.randrange(0, 40))] for i in range(30)]
    fn = SmallestFn(7)
    accs = []
    for chunk in (parts[:10], parts[10:25], parts[25:]):
        acc = fn.create_accumulator()
        for items in chunk:
            acc = fn.add_input(acc, items)
            assert len(acc) <= 7
        accs.append(acc)
    assert fn.extract_output(fn.merge_accumulators(accs)) == sorted(x for p in parts for x in p)[:7]
    assert fn.extract_output(fn.create_accumulator()) == []


@pytest.mark.parametrize("seed", range(5))
def test_evidence_sort_in_two_steps_is_the_one_key_sort(seed: int) -> None:
    rng = random.Random(seed)

    def pick(*values):
        return rng.choice(values)

    rows = [{"source": pick("a", "b", "src2", "src10"), "batch": pick(None, "", "b1", "b01"),
             "shard": pick("part-7.jsonl", "part-007.jsonl", "part-10.jsonl", None),
             "location": pick("line:9", "line:10", "line:009", "", None), "doc_id": pick("d1", "d2", None),
             "value": pick("x", "y 2", "y 10")} for _ in range(400)]
    one_key = sorted(rows, key=lambda r: tuple(evidence._natural(r.get(c)) for c in evidence.EVIDENCE_COLUMNS))
    assert [id(r) for r in evidence._sorted(rows)] == [id(r) for r in one_key]


def _examples_reading_every_document(cfg, run_dir: Path) -> tuple[list[dict], dict]:
    """pii_examples.csv as the per-row path made it: every document with personal information
    read again, then the first ``examples_per_kind`` per source and kind in ledger order."""
    from provaudit.core.pii import pii_examples

    run = evidence._Run(cfg, str(run_dir))
    texts = evidence._ShardTexts(run)
    hits, ledger = {}, {}
    for source in run.registry:
        rows = list(run.ledger(source))
        ledger[source] = rows
        by_shard: dict[str, dict[str, dict]] = {}
        for r in rows:
            if any(r.get(f"pii_{k}") for k in KINDS):
                by_shard.setdefault(r["shard"], {})[r["location"]] = r
        for shard, wanted in by_shard.items():
            for location, text in texts.read(shard, source, wanted):
                hits[(source, wanted[location]["doc_id"])] = pii_examples(text, limit=10_000, allow=cfg.pii.allowlist())
    limit, out = cfg.pii.examples_per_kind, []
    for source in sorted(run.registry):
        taken: dict[str, int] = {}
        for r in sorted(ledger[source], key=lambda r: (evidence._natural(r["shard"]), evidence._natural(r["location"]))):
            for kind, masked in hits.get((source, r["doc_id"]), []):
                if taken.get(kind, 0) < limit:
                    taken[kind] = taken.get(kind, 0) + 1
                    out.append({"source": source, "shard": r["shard"], "location": r["location"],
                                "doc_id": r["doc_id"], "kind": kind, "masked_value": masked})
    return out, hits


@pytest.mark.parametrize("per_kind", [1, 2, 20])
def test_pii_examples_read_in_rounds_match_reading_every_document(sample_run, tmp_path: Path, per_kind: int) -> None:
    cfg, run_dir, _ = sample_run
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    bounded = cfg.__class__(**{**cfg.__dict__, "pii": cfg.pii._replace(examples_per_kind=per_kind)})
    run = evidence._Run(bounded, str(copy))
    # every PII check failed: the first round's documents are read with the checks' documents
    run.pii_needs.update((source, kinds) for source in run.registry for kinds in (KINDS, SENSITIVE_KINDS))
    got = evidence._pii_example_rows(run)
    want, hits = _examples_reading_every_document(bounded, copy)
    assert got == want and len(want) > 0
    for (source, kinds), by_id in run.pii().values.items():
        expected = {}
        for (src, doc_id), found in hits.items():
            mine = [(k, m) for k, m in found if k in kinds]
            if src == source and mine:
                expected[doc_id] = (tuple(mine[:evidence._EXAMPLES_PER_DOCUMENT]), len(mine))
        assert by_id == expected, (source, kinds)
    assert any(run.pii().values.values())
    assert evidence._pii_example_rows(evidence._Run(bounded, str(copy))) == want  # no failed check: same rows


def test_ledger_facts_summed_per_file_match_the_per_row_sums(tmp_path: Path) -> None:
    from provaudit.reports.disclosures import _ledger_facts

    rng = random.Random(3)
    rows = [{"source": rng.choice("ab"), "domain": rng.choice(["x.org", "y.com", "", None]),
             "bytes": rng.choice([10, 0, None]), "chars": rng.choice([5, 0, None]),
             "script": rng.choice(["Latin", "Han", "", None]), "language": rng.choice(["en", "zh-Hans", "", None]),
             "url": rng.choice(["https://x.org/1", "", None])} for _ in range(2000)]
    for i in range(2):
        (tmp_path / "ledger" / f"s{i}").mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(rows[i * 1000:(i + 1) * 1000]), tmp_path / "ledger" / f"s{i}" / "a.parquet")
    domain_bytes: dict = {}
    by_script: dict = {}
    by_language: dict = {}
    with_url: dict = {}
    for r in rows:  # the per-row sums the disclosures documented before
        s = r["source"]
        if r["domain"]:
            domain_bytes.setdefault(s, {}).setdefault(r["domain"], 0)
            domain_bytes[s][r["domain"]] += int(r["bytes"] or 0)
        by_script.setdefault(s, {}).setdefault(r["script"] or "Unknown", 0)
        by_script[s][r["script"] or "Unknown"] += int(r["chars"] or 0)
        by_language.setdefault(s, {}).setdefault(r["language"] or "und", 0)
        by_language[s][r["language"] or "und"] += 1
        with_url[s] = with_url.get(s, 0) + (1 if r["url"] else 0)
    facts = _ledger_facts(str(tmp_path))
    assert facts == {"domain_bytes": {k: dict(sorted(v.items())) for k, v in sorted(domain_bytes.items())},
                     "characters_by_script": {k: dict(sorted(v.items())) for k, v in sorted(by_script.items())},
                     "documents_by_language": {k: dict(sorted(v.items())) for k, v in sorted(by_language.items())},
                     "documents_with_url": dict(sorted(with_url.items()))}
    assert list(facts["domain_bytes"]["a"]) == sorted(facts["domain_bytes"]["a"])
