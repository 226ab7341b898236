"""The overlap stage: a run's ledger -> duplicate clusters, source overlap, eval contamination.

``run_overlap`` is what the CLI and ``pipelines/overlap.py`` call. It reads the ledger of
a scan run (the latest one unless a run id is given), finds exact groups by content hash
and near-duplicate pairs by LSH banding over the MinHash signatures (Beam GroupByKey, so
the work spreads over workers), verifies every candidate, re-reads evaluation and
training shards to find evaluation items sharing an n-gram with training text, and
writes under ``<run>/overlap/``: ``clusters.parquet``, ``pairs.parquet``, ``matrix.json``,
``duplicate_rates.json``, ``contamination.json`` and ``summary.json``.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Optional

import apache_beam as beam

from provaudit.core.config import RunConfig, list_shards
from provaudit.core.contracts import rows_to_parquet
from provaudit.core.errors import InputError
from provaudit.core.overlap import OverlapReport, assemble, band_shards, lsh_params
from provaudit.beam.io import join_path, match_files, write_bytes
from provaudit.beam.overlap import FindExactGroups, FindNearDuplicates, FindSharedNgrams, ledger_member
from provaudit.beam.runners import make_runner, pipeline_options, runner_name
from provaudit.stages.runs import find_run, json_bytes, mark_stage_done, read_text
from provaudit.stages.scan import plan_tasks

LEDGER_COLUMNS = ["doc_id", "source", "shard", "location", "sha256", "minhash"]


@dataclass
class OverlapResult:
    """Where the overlap stage wrote its outputs, and its summary."""

    run_dir: str
    summary: dict[str, Any]

    @property
    def overlap_dir(self) -> str:
        return join_path(self.run_dir, "overlap")



class WriteOverlapOutputsFn(beam.DoFn):
    """Assemble clusters, pairs, matrix, rates and contamination on one worker, and write them.

    The edges arrive as side inputs: connected components run on one machine here (see
    provaudit.core.overlap.UnionFind for where a distributed version would go).
    """

    def __init__(self, out_dir: str, training: set[str], evals: set[str], params: Any,
                 max_pairs_per_cluster: int, ngram: int) -> None:
        self._out = out_dir
        self._training = training
        self._evals = evals
        self._params = params
        self._cap = max_pairs_per_cluster
        self._ngram = ngram

    def process(self, _: Any, exact: list, pairs: list, counts: list, hits: list):
        report: OverlapReport = assemble(
            exact, pairs, dict(counts), hits, self._training, self._evals, self._params, self._cap,
            self._ngram)
        write_bytes(join_path(self._out, "clusters.parquet"), rows_to_parquet(report.clusters, "clusters"))
        write_bytes(join_path(self._out, "pairs.parquet"), rows_to_parquet(report.pairs, "pairs"))
        write_bytes(join_path(self._out, "matrix.json"), json_bytes(report.matrix))
        write_bytes(join_path(self._out, "duplicate_rates.json"), json_bytes(report.rates))
        write_bytes(join_path(self._out, "contamination.json"), json_bytes(report.contamination))
        write_bytes(join_path(self._out, "_summary.json"), json_bytes(report.summary))
        yield report.summary


def build_overlap(pipeline: beam.Pipeline, config: RunConfig, run_dir: str,
                  manifest: dict[str, Any]) -> None:
    """Add the overlap stage to a pipeline."""
    settings = config.overlap
    params = lsh_params(settings.threshold, config.scan.num_perm, settings.false_negative_weight)
    training = {s.name for s in config.sources if s.role != "eval"}
    evals = {s.name for s in config.sources if s.role == "eval"}
    members = (
        pipeline
        | "ReadLedger" >> beam.io.ReadFromParquet(join_path(run_dir, "ledger", "*", "*.parquet"),
                                                  columns=LEDGER_COLUMNS)
        | "ToMembers" >> beam.Map(ledger_member)
    )
    exact = members | "FindExactGroups" >> FindExactGroups()
    shards = band_shards(int(manifest["totals"]["ledger"]), params.bands)
    pairs = members | "FindNearDuplicates" >> FindNearDuplicates(params, settings.max_bucket, shards)
    counts = (members
              | "SourceOf" >> beam.Map(lambda m: m.ref[0])
              | "CountPerSource" >> beam.combiners.Count.PerElement())
    if evals:
        tasks = plan_tasks(config, list_shards(config, match_files))
        scanned = {(s["source"], s["path"], s["sha256"]) for s in manifest["shards"]}
        from provaudit.beam.io import shard_checksum

        changed = sorted(t.name for t in tasks
                         if (t.source, t.name, shard_checksum(t.path)) not in scanned)
        if changed:
            raise InputError(f"{config.registry_path}: shards changed since run {manifest['run_id']} "
                             f"({', '.join(changed[:3])}{', ...' if len(changed) > 3 else ''}); "
                             "scan again before measuring contamination")
        hits = pipeline | "FindSharedNgrams" >> FindSharedNgrams(
            [t for t in tasks if t.source in evals], [t for t in tasks if t.source in training],
            settings.contamination_ngram)
    else:
        hits = pipeline | "NoEvalSources" >> beam.Create([])
    _ = (
        pipeline
        | "Start" >> beam.Create([None])
        | "WriteOverlapOutputs" >> beam.ParDo(
            WriteOverlapOutputsFn(join_path(run_dir, "overlap"), training, evals, params,
                                  settings.max_pairs_per_cluster, settings.contamination_ngram),
            beam.pvalue.AsList(exact), beam.pvalue.AsList(pairs), beam.pvalue.AsList(counts),
            beam.pvalue.AsList(hits))
    )


def run_overlap(config: RunConfig, run_id: Optional[str] = None, extra_beam_args: Iterable[str] = (),
                report: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
                ) -> OverlapResult:
    """Run the overlap stage on a scan run and return where its outputs are."""
    run_dir = find_run(config.output, run_id, "overlap")
    manifest = json.loads(read_text(join_path(run_dir, "manifest.json")))
    started = datetime.now(timezone.utc)
    options = pipeline_options(config.beam, extra_beam_args)
    params = lsh_params(config.overlap.threshold, config.scan.num_perm,
                         config.overlap.false_negative_weight)
    report(f"overlap: run {manifest['run_id']}: {manifest['totals']['ledger']:,} documents, "
           f"LSH {params.bands} bands x {params.rows} rows for Jaccard >= {params.threshold}, "
           f"runner {runner_name(options)}")
    pipeline = beam.Pipeline(runner=make_runner(options), options=options)
    build_overlap(pipeline, config, run_dir, manifest)
    pipeline.run().wait_until_finish()
    ended = datetime.now(timezone.utc)
    out = join_path(run_dir, "overlap")
    summary = json.loads(read_text(join_path(out, "_summary.json")))
    summary.update({
        "run_id": manifest["run_id"], "stage": "overlap", "runner": runner_name(options),
        "started": started.isoformat(timespec="seconds"), "ended": ended.isoformat(timespec="seconds"),
        "duration_seconds": round((ended - started).total_seconds(), 3),
        "settings": config.overlap._asdict(),
    })
    write_bytes(join_path(out, "summary.json"), json_bytes(summary))
    if "://" not in out:
        os.remove(os.path.join(out, "_summary.json"))
    mark_stage_done(run_dir, "overlap", {"duration_seconds": summary["duration_seconds"],
                                         "clusters": summary["clusters"],
                                         "verified_pairs": summary["verified_pairs"]})
    return OverlapResult(run_dir, summary)
