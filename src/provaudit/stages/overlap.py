"""The overlap stage: a run's ledger -> duplicate clusters, source overlap, eval contamination.

``run_overlap`` is what the CLI and ``pipelines/overlap.py`` call. It reads the ledger of
a scan run (the latest one unless a run id is given), finds exact groups by content hash
and near-duplicate pairs by LSH banding over the MinHash signatures, verifies every
candidate, re-reads evaluation and training shards to find evaluation items sharing an
n-gram with training text, and writes under ``<run>/overlap/``: ``clusters.parquet``,
``pairs.parquet``, ``matrix.json``, ``duplicate_rates.json``, ``contamination.json`` and
``summary.json``.

The work runs as Beam pipelines over partitions of the documents whose data lives in
spill files under ``<run>/overlap/_work/`` (:mod:`provaudit.beam.spill`; removed when the
stage ends), so memory is bounded by a partition (:data:`ROWS_PER_PART` documents)
whatever the corpus, and the partitions spread over the workers:

1. :func:`build_overlap`: exact groups, one representative per content hash, LSH
   buckets, verified links, their connected components over the links' ids (SciPy), then
   groups and links by component partition, each assembled on its own (clusters with their
   diameter, pairs with each document's nearest match, matrix counts and rate tallies);
   the writer merges the sorted row pieces into the files;
2. only above ``overlap.distributed_components_above`` verified links, where the first
   pipeline assembles nothing: :func:`build_rounds` (the components as large-star /
   small-star Beam rounds), then :func:`build_assembly` (the assembly and the writing).

The shards re-read for contamination are checksummed where they are read, and the
pipeline fails with an :class:`InputError` naming the registry and the shards when one
changed since the scan. While it runs, the stage reports each step's progress (time of
day, elapsed, rate, ETA) through ``report``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, Optional

import apache_beam as beam

from provaudit.beam.io import join_path, list_files, match_files, remove_tree, write_bytes
from provaudit.beam.overlap import (
    AssembleOverlap,
    FindLinks,
    FindSharedNgrams,
    LabelComponents,
    ProgressWriter,
    merged_rows,
    part_of_path,
    write_json,
)
from provaudit.beam.runners import make_runner, pipeline_options, runner_name
from provaudit.core.config import RunConfig, list_shards
from provaudit.core.contracts import arrow_schema, rows_to_parquet
from provaudit.core.errors import InputError
from provaudit.core.overlap import OverlapReport, finish_report, lsh_params, table_columns
from provaudit.stages.runs import find_run, json_bytes, mark_stage_done, read_text
from provaudit.stages.scan import plan_tasks


@dataclass
class OverlapResult:
    """Where the overlap stage wrote its outputs, and its summary."""

    run_dir: str
    summary: dict[str, Any]

    @property
    def overlap_dir(self) -> str:
        return join_path(self.run_dir, "overlap")



class WriteOverlapOutputsFn(beam.DoFn):
    """Finish the reports from the merged compact result and the sorted row pieces, and write them.

    Its inputs are what the files hold, not what they are made of: the merged result of
    :class:`provaudit.beam.overlap.FindOverlap` (matrix counts, rate tallies, statistics,
    contamination examples), its sorted row pieces under ``work/out`` (merged in order
    while ``clusters.parquet`` and ``pairs.parquet`` are written, a row group at a time),
    the documents per source and the evaluation documents sharing an n-gram with
    training text. It writes nothing when the label state is not labelled.
    """

    def __init__(self, out_dir: str, work: str, training: set[str], evals: set[str], params: Any,
                 ngram: int) -> None:
        self._out = out_dir
        self._work = work
        self._training = training
        self._evals = evals
        self._params = params
        self._ngram = ngram

    def process(self, merged: dict, counts: list, hits: list, state: dict):
        if not state["labelled"]:  # too many links: the components come from Beam rounds first
            return
        report: OverlapReport = finish_report(merged, dict(counts), hits, self._training, self._evals,
                                              self._params, self._ngram, rows=False)
        for name in ("clusters", "pairs"):
            pieces = list_files(join_path(self._work, "out"), "*", f"{name}.arrow")
            write_bytes(join_path(self._out, f"{name}.parquet"),
                        rows_to_parquet_stream(merged_rows(pieces, name), name))
        write_bytes(join_path(self._out, "matrix.json"), json_bytes(report.matrix))
        write_bytes(join_path(self._out, "duplicate_rates.json"), json_bytes(report.rates))
        write_bytes(join_path(self._out, "contamination.json"), json_bytes(report.contamination))
        write_bytes(join_path(self._out, "_summary.json"), json_bytes(report.summary))
        yield report.summary


ROW_GROUP_ROWS = 65_536  # rows of clusters.parquet / pairs.parquet gathered before a row group is written


def rows_to_parquet_stream(entries: Iterable[tuple], name: str, row_group: int = ROW_GROUP_ROWS) -> bytes:
    """Encode sorted ``component_result`` entries as ``<name>.parquet``, a row group per ``row_group`` rows.

    Memory holds one row group. Up to ``row_group`` rows, the bytes are those of
    :func:`provaudit.core.contracts.rows_to_parquet` (one ``write_table``) of the same rows.
    """
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(name)
    sink = io.BytesIO()
    writer = None
    for chunk in _chunks(entries, row_group):
        columns = table_columns({name: chunk}, name, presorted=True)
        if writer is None:
            writer = pq.ParquetWriter(sink, schema, compression="zstd")
        writer.write_table(pa.Table.from_pydict(columns, schema=schema))
    if writer is None:
        return rows_to_parquet([], name)
    writer.close()
    return sink.getvalue()


def _chunks(items: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    chunk: list[tuple] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


#: documents per overlap partition: what one worker holds at once in each step (about 60 MB of signatures)
ROWS_PER_PART = 50_000


def overlap_parts(documents: int, rows_per_part: Optional[int] = None) -> int:
    """Return how many partitions the overlap stage spreads ``documents`` over (:data:`ROWS_PER_PART` each)."""
    return max(1, -(-documents // (rows_per_part or ROWS_PER_PART)))


def work_dir(run_dir: str) -> str:
    """The overlap stage's spill folder inside the run (removed when the stage ends)."""
    return join_path(run_dir, "overlap", "_work")


def build_overlap(pipeline: beam.Pipeline, config: RunConfig, run_dir: str, manifest: dict[str, Any],
                  progress: Optional[ProgressWriter] = None) -> None:
    """Add the overlap stage to a pipeline: ledger -> links and components -> the output files.

    :class:`provaudit.beam.overlap.FindLinks` works over partitions whose documents live
    in spill files under the run (``overlap/_work``), so memory is bounded by a partition
    (:data:`ROWS_PER_PART` documents) whatever the corpus, and the partitions spread over
    the workers. Identical documents are collapsed to their group's representative before
    LSH, so a group of any size costs linear time and memory. Components are computed over
    the links' ids when there are at most ``overlap.distributed_components_above`` of them;
    then groups and links are assembled per component partition
    (:class:`provaudit.beam.overlap.AssembleOverlap`) and the files written. With more
    links, nothing is assembled here: :func:`build_rounds` and :func:`build_assembly` follow.
    """
    settings = config.overlap
    params = lsh_params(settings.threshold, config.scan.num_perm, settings.false_negative_weight)
    ledger = int(manifest["totals"]["ledger"])
    files = list_files(join_path(run_dir, "ledger"), "*", "*.parquet")
    found = (pipeline
             | "LedgerFiles" >> beam.Create(list(enumerate(files)), reshuffle=False)
             | "FindLinks" >> FindLinks(work_dir(run_dir), overlap_parts(ledger), params, settings.max_bucket,
                                        settings.distributed_components_above, progress))
    _assemble_and_write(pipeline, config, run_dir, manifest, found, progress)


def build_rounds(pipeline: beam.Pipeline, config: RunConfig, run_dir: str,
                 progress: Optional[ProgressWriter] = None) -> None:
    """Add the pipeline that labels components by Beam rounds (more links than the one-worker path takes)."""
    work = work_dir(run_dir)
    _ = (pipeline
         | "LinkFiles" >> beam.Create(list_files(join_path(work, "links"), "*", "links.arrow"), reshuffle=False)
         | "LabelComponents" >> LabelComponents(work, config.overlap.components_max_rounds, progress))


def build_assembly(pipeline: beam.Pipeline, config: RunConfig, run_dir: str, manifest: dict[str, Any],
                   progress: Optional[ProgressWriter] = None) -> None:
    """Add the pipeline that assembles and writes the outputs from the spill files left by the others."""
    work = work_dir(run_dir)
    files = ([("groups", part_of_path(p), p) for p in list_files(join_path(work, "groups"), "*", "groups.arrow")]
             + [("links", part_of_path(p), p) for p in list_files(join_path(work, "links"), "*", "links.arrow")])
    state = {**read_json(join_path(work, "links.json")), "labelled": True,
             "labels": list_files(join_path(work, "labels"), "*", "labels.arrow")}
    counts = sorted(read_json(join_path(work, "counts.json")).items())
    _assemble_and_write(pipeline, config, run_dir, manifest, {
        "files": pipeline | "SpillFiles" >> beam.Create(files, reshuffle=False),
        "state": pipeline | "LabelState" >> beam.Create([state]),
        "counts": pipeline | "Counts" >> beam.Create(counts)}, progress)


def _assemble_and_write(pipeline: beam.Pipeline, config: RunConfig, run_dir: str, manifest: dict[str, Any],
                        found: dict[str, beam.PCollection], progress: Optional[ProgressWriter]) -> None:
    """Assemble per component partition, find the contamination, and write the outputs (when labelled).

    Shards read for contamination are checksummed where they are read and compared with
    the scan's checksums inside the pipeline; the items found are kept in
    ``work/hits.json`` for a second assembly.
    """
    settings = config.overlap
    params = lsh_params(settings.threshold, config.scan.num_perm, settings.false_negative_weight)
    training = {s.name for s in config.sources if s.role != "eval"}
    evals = {s.name for s in config.sources if s.role == "eval"}
    work = work_dir(run_dir)
    merged = ({"files": found["files"], "state": found["state"]}
              | "AssembleOverlap" >> AssembleOverlap(
                  work, overlap_parts(int(manifest["totals"]["ledger"])), training, evals,
                  settings.max_pairs_per_cluster, settings.max_bucket, progress))
    hits_file = join_path(work, "hits.json")
    if evals and match_files(hits_file):
        hits = pipeline | "EarlierHits" >> beam.Create([tuple(h) for h in read_json(hits_file)])
    elif evals:
        tasks = plan_tasks(config, list_shards(config, match_files))
        scanned = {(s["source"], s["path"], s["sha256"]) for s in manifest["shards"]}
        hits = pipeline | "FindSharedNgrams" >> FindSharedNgrams(
            [t for t in tasks if t.source in evals], [t for t in tasks if t.source in training],
            settings.contamination_ngram, scanned=scanned,
            changed_prefix=changed_prefix(config, manifest))
        _ = (hits
             | "GatherHits" >> beam.combiners.ToList()
             | "KeepHits" >> beam.Map(lambda found: write_json(hits_file, sorted(found))))
    else:
        hits = pipeline | "NoEvalSources" >> beam.Create([])
    _ = (
        merged
        | "WriteOverlapOutputs" >> beam.ParDo(
            WriteOverlapOutputsFn(join_path(run_dir, "overlap"), work, training, evals, params,
                                  settings.contamination_ngram),
            beam.pvalue.AsList(found["counts"]), beam.pvalue.AsList(hits), beam.pvalue.AsSingleton(found["state"]))
    )


def read_json(path: str) -> Any:
    """Read a small JSON file on any Beam filesystem."""
    return json.loads(read_text(path))


def changed_prefix(config: RunConfig, manifest: dict[str, Any]) -> str:
    """The start of the error for shards changed since the scan: the registry and the run."""
    return f"{config.registry_path}: shards changed since run {manifest['run_id']}"


class OverlapProgress:
    """Report the overlap steps' running counts through ``report``, every ``interval`` seconds.

    The steps (documents read, representatives banded, band partitions verified with their
    candidate and verified pairs, component rounds, assembling) write their counts to a local folder
    (:class:`provaudit.beam.overlap.ProgressWriter`); each line carries the time of day,
    the elapsed time, the rate and, where the total is known, the ETA. When a step's
    numbers moved since its last line, a last line gives its final counts. Without a
    folder (a run on remote storage, whose workers do not share this machine's disk)
    nothing is reported.
    """

    ORDER = ("documents", "bands", "buckets", "components", "assemble")

    def __init__(self, folder: Optional[str], totals: dict[str, int], report: Callable[[str], None],
                 interval: float = 5.0) -> None:
        self._folder = folder
        self.writer = ProgressWriter(folder) if folder else None
        self._totals = totals
        self._report = report
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="provaudit-overlap-progress", daemon=True)
        self._started = time.monotonic()
        self._shown: dict[str, tuple] = {}

    def __enter__(self) -> "OverlapProgress":
        if self._folder:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._folder:
            return
        self._stop.set()
        self._thread.join(timeout=10)
        if exc[0] is None:
            self._emit(final=True)
        shutil.rmtree(self._folder, ignore_errors=True)

    def snapshot(self) -> dict[str, dict[str, int]]:
        """Return each step's summed counts (components: the highest round finished)."""
        steps: dict[str, dict[str, int]] = {}
        try:
            names = os.listdir(self._folder)
        except OSError:
            return steps
        for name in names:
            if not name.endswith(".json"):
                continue
            step, part = name.split("--")[:2]
            try:
                with open(os.path.join(self._folder, name), encoding="utf-8") as fh:
                    counts = json.load(fh)
            except (OSError, ValueError):
                continue  # being replaced
            into = steps.setdefault(step, {})
            if step == "components":
                into["rounds"] = max(into.get("rounds", 0), int(part.removeprefix("round")))
                continue
            for key, n in counts.items():
                into[key] = into.get(key, 0) + int(n)
        return steps

    def _line(self, step: str, counts: dict[str, int]) -> tuple[tuple, str]:
        elapsed = max(time.monotonic() - self._started, 1e-6)
        total = self._totals.get(step)
        if step == "components":
            done, what = counts.get("rounds", 0), "large-star / small-star rounds laid out"
        elif step == "buckets":
            done, what = counts.get("elements", 0), "band partitions verified"
        elif step == "assemble":
            done, total, what = counts.get("clusters", 0), None, "clusters assembled"
        else:
            done, what = counts.get("elements", 0), {"documents": "documents read",
                                                     "bands": "distinct signatures banded"}[step]
        text = f"{done:,}/{total:,} {what}" if total else f"{done:,} {what}"
        if step == "buckets":
            text += (f", {counts.get('candidates', 0):,} candidate pairs compared, "
                     f"{counts.get('verified', 0):,} verified")
        if step == "assemble":
            text = f"{counts.get('links', 0):,} verified links between groups, " + text
        rate = done / elapsed
        eta = f", ETA {(total - done) / rate:,.0f} s" if total and rate > 0 and done < total else ""
        stamp = datetime.now().strftime("%H:%M:%S")
        return (done, tuple(sorted(counts.items()))), (
            f"{stamp} overlap: {step}: {text}; elapsed {elapsed:,.0f} s, {rate:,.1f}/s{eta}")

    def _emit(self, final: bool = False) -> None:
        steps = self.snapshot()
        for step in self.ORDER:
            if step not in steps:
                continue
            state, line = self._line(step, steps[step])
            if self._shown.get(step) != state:
                self._shown[step] = state
                self._report(line)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self._emit()


def _shards_changed(text: str, prefix: str) -> Optional[str]:
    """Return the shard check's error message found in a runner's error text, if it is there."""
    start = text.find(prefix)
    end = text.find(_CHANGED_END, start)
    if start < 0 or end < 0:
        return None
    return text[start:end + len(_CHANGED_END)]


_CHANGED_END = "scan again before measuring contamination"


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
    if not manifest["totals"]["ledger"]:
        report(f"overlap: run {manifest['run_id']}: empty ledger (all {manifest['totals']['quarantined']:,} "
               "documents read were quarantined): no duplicates or contamination to find")
    ledger = int(manifest["totals"]["ledger"])
    totals = {"documents": ledger, "buckets": overlap_parts(ledger),
              "components": config.overlap.components_max_rounds}
    work = work_dir(run_dir)
    remove_tree(work)  # what an interrupted run left

    def run(build: Callable[[beam.Pipeline], None]) -> None:
        pipeline = beam.Pipeline(runner=make_runner(options), options=options)
        build(pipeline)
        pipeline.run().wait_until_finish()

    with OverlapProgress(None if "://" in run_dir else tempfile.mkdtemp(prefix="provaudit-overlap-"),
                         totals, report) as progress:
        try:
            run(lambda p: build_overlap(p, config, run_dir, manifest, progress.writer))
            links = read_json(join_path(work, "links.json")) if ledger else {"links": 0, "labelled": True}
            if not links["labelled"]:
                report(f"overlap: {links['links']:,} verified links, above overlap.distributed_components_above="
                       f"{config.overlap.distributed_components_above:,}: components by Beam rounds")
                run(lambda p: build_rounds(p, config, run_dir, progress.writer))
                run(lambda p: build_assembly(p, config, run_dir, manifest, progress.writer))
        except InputError:
            raise
        except Exception as exc:  # a runner wraps a worker's error: keep the shard check's own text
            message = _shards_changed(str(exc), changed_prefix(config, manifest))
            if message is None:
                raise
            raise InputError(message) from exc
        finally:
            remove_tree(work)
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
