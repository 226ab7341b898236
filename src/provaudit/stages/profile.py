"""The profile stage: a run's ledger + overlap outputs -> per-source profile and inspection sample.

``run_profile`` reads the ledger with Beam, one ledger file per element
(:class:`ProfileLedgerFileFn`: per source a partial :class:`SourceStats` and the file's
smallest keyed hashes, so no ledger row ever crosses a shuffle and memory does not grow with
the ledger), merges the partials into one :class:`SourceStats` per source (a CombinePerKey,
so the work spreads over workers), draws each source's deterministic inspection sample (the
documents with the smallest keyed hash, :class:`SmallestFn`), and writes under ``<run>/``: ``profiles/source_profile.parquet`` (schema in
``schemas/source_profile.schema.json``) and ``inspection/sample.jsonl`` (document
locations for human review; no text, so no personal information). Reviewers' verdicts,
imported from the files the run config names, give each source's unsafe share.

The same pass counts each source's screening records (:mod:`provaudit.core.assessment`:
coverage, keyword hits by risk, classifier flags, blocked documents, the TC260-003 9.2
automatic sample's buckets) and draws the corpus-wide manual sample (the
``inspection.corpus_sample_size`` smallest keyed hashes over all training sources,
:class:`SmallestFn` over every file's candidates: bounded by the sample size, not the corpus). It writes
``profiles/corpus_assessment.parquet`` (one row, ``schemas/corpus_assessment.schema.json``)
and ``inspection/corpus_sample.jsonl`` (source, shard, location, doc_id; never text).
"""

from __future__ import annotations

import heapq
import io
import json
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

import apache_beam as beam
import pyarrow.parquet as pq

from provaudit.core.config import RunConfig
from provaudit.core.contracts import rows_to_parquet
from provaudit.core.errors import InputError
from provaudit.stages.runs import find_run, mark_stage_done, read_text
from provaudit.core.profiles import (PROFILE_COLUMNS, ScreenContext, SourceStats, load_opt_out, load_verdicts,
                                sample_rank, source_profile_rows)
from provaudit.core.assessment import (corpus_assessment_row, library_figures, load_blocked, manual_rank,
                                       run_date, screen_context)
from provaudit.beam.runners import make_runner, pipeline_options, runner_name
from provaudit.beam.io import join_path, list_files, read_bytes, write_bytes
from provaudit.core.jsontext import json_text


@dataclass
class ProfileResult:
    """Where the profile stage wrote its outputs, and their rows."""

    run_dir: str
    rows: list[dict[str, Any]]
    labelling_rows: list[dict[str, Any]]

    @property
    def profile_path(self) -> str:
        return join_path(self.run_dir, "profiles", "source_profile.parquet")

    @property
    def sample_path(self) -> str:
        return join_path(self.run_dir, "inspection", "sample.jsonl")

    @property
    def corpus_sample_path(self) -> str:
        return join_path(self.run_dir, "inspection", "corpus_sample.jsonl")

    @property
    def assessment_path(self) -> str:
        return join_path(self.run_dir, "profiles", "corpus_assessment.parquet")

    @property
    def labelling_path(self) -> str:
        return join_path(self.run_dir, "profiles", "labelling_profile.parquet")


class MergeSourceStatsFn(beam.CombineFn):
    """Merge partial SourceStats of one source (one per ledger file) into one."""

    def create_accumulator(self) -> SourceStats:
        return SourceStats()

    def add_input(self, acc: SourceStats, partial: SourceStats) -> SourceStats:
        return acc.merge(partial)

    def merge_accumulators(self, accs: Iterable[SourceStats]) -> SourceStats:
        accs = iter(accs)
        first = next(accs)
        for acc in accs:
            first.merge(acc)
        return first

    def extract_output(self, acc: SourceStats) -> SourceStats:
        return acc


class SmallestFn(beam.CombineFn):
    """Keep the ``n`` smallest of lists of comparable items (candidates of a sample): the
    accumulator never holds more than ``n`` items, whatever the number of inputs."""

    def __init__(self, n: int) -> None:
        self._n = n

    def create_accumulator(self) -> list:
        return []

    def add_input(self, acc: list, items: list) -> list:
        return heapq.nsmallest(self._n, [*acc, *items])

    def merge_accumulators(self, accs: Iterable[list]) -> list:
        return heapq.nsmallest(self._n, [item for acc in accs for item in acc])

    def extract_output(self, acc: list) -> list:
        return sorted(acc)


SAMPLE = "sample"  # ProfileLedgerFileFn's tagged outputs
CORPUS_SAMPLE = "corpus_sample"


class ProfileLedgerFileFn(beam.DoFn):
    """Profile one ledger file: per source its partial SourceStats (main output), its
    inspection-sample candidates (``SAMPLE``: the ``size`` smallest ranks of the file) and the
    corpus-sample candidates (``CORPUS_SAMPLE``: the ``corpus_size`` smallest over the file's
    training rows).

    Rows are read one record batch at a time and counted where they are read: only these few
    small aggregates per file cross the shuffle, never a row, so the pipeline's memory does not
    grow with the ledger. The candidates kept per file are exact: a document among the smallest
    ranks of the corpus is among the smallest of its file.
    """

    slack = 1024  # candidates held beyond twice a sample's size before they are cut back to it

    def __init__(self, columns: list[str], opt_out: frozenset[str], expected: dict[str, frozenset[str]],
                 screen: ScreenContext, training: frozenset[str], seed: int, size: int, corpus_size: int) -> None:
        self._columns = list(columns)
        self._opt_out = opt_out
        self._expected = expected
        self._screen = screen
        self._training = training
        self._seed = seed
        self._size = size
        self._corpus_size = corpus_size

    def process(self, path: str):
        from provaudit.beam.io import read_parquet_rows

        stats: dict[str, SourceStats] = {}
        samples: dict[str, list] = {}
        corpus: list = []
        for row in read_parquet_rows(path, self._columns, batch_size=8192):
            src = row["source"]
            st = stats.get(src)
            if st is None:
                st = stats[src] = SourceStats()
                samples[src] = []
            st.add(row, self._opt_out, self._expected.get(src, frozenset()), self._screen)
            picks = samples[src]
            picks.append((sample_rank(self._seed, src, row["shard"], row["location"]), row["shard"], row["location"]))
            if len(picks) >= 2 * self._size + self.slack:
                samples[src] = heapq.nsmallest(self._size, picks)
            if src in self._training:
                corpus.append((manual_rank(self._seed, src, row["shard"], row["location"]),
                               src, row["shard"], row["location"], row["doc_id"]))
                if len(corpus) >= 2 * self._corpus_size + self.slack:
                    corpus = heapq.nsmallest(self._corpus_size, corpus)
        for src in sorted(stats):
            yield src, stats[src]
            yield beam.pvalue.TaggedOutput(SAMPLE, (src, heapq.nsmallest(self._size, samples[src])))
        if corpus:
            yield beam.pvalue.TaggedOutput(CORPUS_SAMPLE, heapq.nsmallest(self._corpus_size, corpus))



def run_profile(config: RunConfig, run_id: Optional[str] = None, extra_beam_args: Iterable[str] = (),
                report: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
                ) -> ProfileResult:
    """Profile every source of a scan run that has its overlap outputs."""
    started = time.monotonic()
    run_dir = find_run(config.output, run_id, "profile")
    manifest = json.loads(read_text(join_path(run_dir, "manifest.json")))
    try:
        rates = json.loads(read_text(join_path(run_dir, "overlap", "duplicate_rates.json")))
        matrix = json.loads(read_text(join_path(run_dir, "overlap", "matrix.json")))["matrix"]
    except OSError:
        raise InputError(f"{run_dir}: no overlap outputs; run `provaudit overlap CONFIG` first") from None
    opt_out = load_opt_out(config.opt_out) if config.opt_out else frozenset()
    verdicts = load_verdicts(config.inspection.verdicts)
    expected = {s.name: frozenset(s.languages_expected) for s in config.sources}
    size, seed = config.inspection.sample_size, config.inspection.seed
    screening = config.screening
    screen = screen_context(screening, load_blocked(screening))
    training = frozenset(s.name for s in config.sources if s.role != "eval")
    corpus_size = config.inspection.corpus_sample_size
    libraries_file = join_path(run_dir, "screening", "libraries.json")
    try:
        libraries_doc = json.loads(read_text(libraries_file))
    except OSError:
        libraries_doc = None  # screening not configured for this run's scan
    libraries = library_figures(libraries_doc, run_date(manifest["run_id"]), libraries_file)
    options = pipeline_options(config.beam, extra_beam_args)
    report(f"profile: run {manifest['run_id']}: {len(config.sources)} sources, "
           f"opt-out list of {len(opt_out)} domains, {len(verdicts)} inspection verdicts")
    if not manifest["totals"]["ledger"]:
        report(f"profile: run {manifest['run_id']}: empty ledger (all {manifest['totals']['quarantined']:,} "
               "documents read were quarantined): every source is profiled with 0 documents")

    pipeline = beam.Pipeline(runner=make_runner(options), options=options)
    partials = (pipeline
                | "LedgerFiles" >> beam.Create(list_files(join_path(run_dir, "ledger"), "*", "*.parquet"))
                | "ProfileLedgerFiles" >> beam.ParDo(ProfileLedgerFileFn(
                    list(PROFILE_COLUMNS) + ["shard", "location", "doc_id"], opt_out, expected, screen,
                    training, seed, size, corpus_size)).with_outputs(SAMPLE, CORPUS_SAMPLE, main="stats"))
    stats = partials.stats | "ProfileSources" >> beam.CombinePerKey(MergeSourceStatsFn())
    corpus_sample = partials[CORPUS_SAMPLE] | "CorpusSample" >> beam.CombineGlobally(SmallestFn(corpus_size))
    samples = partials[SAMPLE] | "SampleForInspection" >> beam.CombinePerKey(SmallestFn(size))

    class WriteProfilesFn(beam.DoFn):
        def process(self, _: Any, stats_list: list, sample_list: list, corpus_list: list):
            sampled = {src: sorted((shard, loc) for _, shard, loc in picks) for src, picks in sample_list}
            profile = source_profile_rows(config.sources, dict(stats_list), manifest, rates, matrix,
                                          sampled, verdicts, auto_share=screening.sample_share)
            write_bytes(join_path(run_dir, "profiles", "source_profile.parquet"),
                        rows_to_parquet(profile, "source_profile"))
            lines = [json_text({"source": src, "shard": shard, "location": loc, "verdict": None}, indent=None)
                     for src in sorted(sampled) for shard, loc in sampled[src]]
            write_bytes(join_path(run_dir, "inspection", "sample.jsonl"),
                        "".join(line + "\n" for line in lines).encode("utf-8"))
            picks = sorted((src, shard, loc, doc_id) for _, src, shard, loc, doc_id in (corpus_list[0] if corpus_list else []))
            assessment = corpus_assessment_row(config.sources, dict(stats_list), screening.sample_share,
                                               [(src, shard, loc) for src, shard, loc, _ in picks], verdicts, libraries)
            write_bytes(join_path(run_dir, "profiles", "corpus_assessment.parquet"),
                        rows_to_parquet([assessment], "corpus_assessment"))
            write_bytes(join_path(run_dir, "inspection", "corpus_sample.jsonl"), "".join(
                json_text({"source": src, "shard": shard, "location": loc, "doc_id": doc_id}, indent=None) + "\n"
                for src, shard, loc, doc_id in picks).encode("utf-8"))
            yield len(profile)

    _ = (pipeline
         | "Start" >> beam.Create([None])
         | "WriteProfiles" >> beam.ParDo(WriteProfilesFn(), beam.pvalue.AsList(stats),
                                         beam.pvalue.AsList(samples), beam.pvalue.AsList(corpus_sample)))
    pipeline.run().wait_until_finish()
    table = pq.read_table(io.BytesIO(read_bytes(join_path(run_dir, "profiles", "source_profile.parquet"))))
    out = table.to_pylist()
    labelling_rows = labelling_profiles(config)
    write_bytes(join_path(run_dir, "profiles", "labelling_profile.parquet"),
                rows_to_parquet(labelling_rows, "labelling_profile"))
    assessed = pq.read_table(io.BytesIO(read_bytes(join_path(run_dir, "profiles", "corpus_assessment.parquet"))))
    figures = assessed.to_pylist()[0]
    report(f"profile: TC260-003 9.2: automatic sample {figures['auto_sample_size']:,} of "
           f"{figures['training_documents']:,} training documents, qualified {figures['auto_qualified']:,}; "
           f"manual sample {figures['manual_sampled']:,}, reviewed {figures['manual_reviewed']:,}, "
           f"safe {figures['manual_qualified']:,}; screened {figures['screened_documents']:,}")
    report(f"profile: done: {len(out)} sources and {len(labelling_rows)} labelling batches profiled "
           f"({runner_name(options)})")
    mark_stage_done(run_dir, "profile", {"duration_seconds": round(time.monotonic() - started, 3),
                                         "sources": len(out), "labelling_batches": len(labelling_rows)})
    return ProfileResult(run_dir, out, labelling_rows)


def labelling_profiles(config: RunConfig) -> list[dict[str, Any]]:
    """Profile every source's labelling record set, one row per batch (records are read on the driver)."""
    from provaudit.core.labelling import labelling_profile, load_source_labelling

    rows: list[dict[str, Any]] = []
    for source in sorted(config.sources, key=lambda s: s.name):
        if source.labelling:
            rows.extend(labelling_profile(load_source_labelling(source.labelling), source.name))
    return rows
