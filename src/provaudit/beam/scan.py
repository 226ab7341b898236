"""Beam wiring of the scan: composite PTransforms over the pure core.

    shard tasks ─ReadShards─▶ documents ─Annotate─▶ ledger rows ─┐
                     │                      └────▶ quarantine ───┤─WriteShardOutputs─▶ files
                     ├────────────────────────────▶ quarantine ───┤
                     ├────────────────────────────▶ skipped ──────┤
                     └────────────────────────────▶ shard info ───┘

Shards are listed on the driver and each is read inside a DoFn with the project's own
readers, so any runner splits the work by shard. Outputs are grouped per input shard and
written by one DoFn per shard, rows sorted by location, so files are byte-identical from
run to run whatever the runner's ordering. Nothing is dropped: every read item is a
ledger row, a quarantine line or (an archive record that is by design not a document) a
skipped line, and each shard's counts are written for the driver to reconcile.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Iterable, Iterator, NamedTuple

import apache_beam as beam
from apache_beam.metrics import Metrics

from provaudit.core.findings import Annotator, SourceFacts
from provaudit.core.ledger import rows_to_table, table_to_parquet_bytes, location_key
from provaudit.core.pii import mask_excerpt
from provaudit.core.readers import ReaderSpec, read_shard
from provaudit.core.records import Document, LedgerRow, Quarantined, Skipped
from provaudit.beam.io import join_path, open_input, shard_checksum, write_bytes
from provaudit.core.jsontext import json_text

QUARANTINE = "quarantine"
SKIPPED = "skipped"
SHARD_INFO = "shard_info"
_LOG = logging.getLogger(__name__)


class ShardTask(NamedTuple):
    """One shard to read, as listed on the driver."""

    index: int  # position among all shards of the run: names the shard's output files
    source: str
    path: str
    name: str
    size: int
    spec: ReaderSpec


class ShardInfo(NamedTuple):
    """What reading a shard saw: its identity, checksum and how many items it yielded."""

    index: int
    source: str
    name: str
    size: int
    sha256: str
    read: int  # documents, quarantined and skipped items the reader yielded


class ReadShardFn(beam.DoFn):
    """Read one shard: yield its documents, route bad items to the quarantine, report its info."""

    def __init__(self, progress_dir: str | None, progress_every: int, checksum: bool = True) -> None:
        self._progress_dir = progress_dir
        self._progress_every = progress_every
        self._checksum = checksum
        self._documents = Metrics.counter("scan", "documents_read")
        self._quarantined = Metrics.counter("scan", "quarantined_at_read")
        self._shards = Metrics.counter("scan", "shards_read")

    def _progress(self, task: ShardTask, read: int, done: bool) -> None:
        if self._progress_dir is None:
            return
        blob = json.dumps({"read": read, "done": done}).encode()
        try:
            write_bytes(join_path(self._progress_dir, f"{task.index:06d}.json"), blob)
        except OSError as exc:  # progress is a courtesy; never fail a shard over it
            _LOG.warning("cannot write progress for %s: %s", task.name, exc)

    def process(self, task: ShardTask) -> Iterator[Any]:
        checksum = ""
        try:
            if self._checksum:
                checksum = shard_checksum(task.path)
        except OSError as exc:
            _LOG.warning("cannot checksum %s: %s", task.name, exc)
        read = 0
        for item in read_shard(task.path, task.name, task.spec, open_input):
            read += 1
            if isinstance(item, Quarantined):
                self._quarantined.inc()
                yield beam.pvalue.TaggedOutput(QUARANTINE, item)
            elif isinstance(item, Skipped):
                yield beam.pvalue.TaggedOutput(SKIPPED, item)
            else:
                self._documents.inc()
                yield item
            if read % self._progress_every == 0:
                self._progress(task, read, done=False)
        self._shards.inc()
        self._progress(task, read, done=True)
        yield beam.pvalue.TaggedOutput(
            SHARD_INFO, ShardInfo(task.index, task.source, task.name, task.size, checksum, read)
        )


class AnnotateFn(beam.DoFn):
    """Compute each document's findings; a document that fails goes to the quarantine."""

    def __init__(self, annotator: Annotator, facts: dict[str, SourceFacts]) -> None:
        self._annotator = annotator
        self._facts = facts
        self._failed = Metrics.counter("scan", "annotate_failed")

    def setup(self) -> None:
        self._annotator.setup()

    def process(self, doc: Document) -> Iterator[Any]:
        try:
            yield self._annotator.annotate(doc, self._facts[doc.source])
        except Exception as exc:  # noqa: BLE001 - workers route bad data, never raise
            self._failed.inc()
            _LOG.warning("annotating %s %s failed: %s", doc.shard, doc.location, exc)
            yield beam.pvalue.TaggedOutput(
                QUARANTINE,
                Quarantined(doc.source, doc.shard, doc.location, "processing-error",
                            mask_excerpt(f"{type(exc).__name__}: {exc}", 80)),
            )


def quarantine_line(item: Quarantined | Skipped) -> str:
    """Return one quarantine (or skipped) JSONL line (keys sorted), always writable as UTF-8:
    a lone surrogate (never expected past the readers) is written as U+FFFD."""
    return _SURROGATE.sub("\ufffd", json_text(item._asdict(), indent=None))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _writable_rows(rows: list[LedgerRow]) -> tuple[list[LedgerRow], list[Quarantined]]:
    """Split ledger rows into those Parquet can encode and an ``invalid-utf8`` item for each
    row holding a lone surrogate in a string field (the readers quarantine these first; this
    is the write path's own guard, so one record never stops the shard's files)."""
    good: list[LedgerRow] = []
    bad: list[Quarantined] = []
    for row in rows:
        field = next((k for k, v in zip(row._fields, row)
                      if isinstance(v, str) and _SURROGATE.search(v)), None)
        if field is None:
            good.append(row)
        else:
            bad.append(Quarantined(row.source, row.shard, row.location, "invalid-utf8",
                                   f"lone surrogate in the ledger's {field} field"))
    return good, bad


class WriteShardOutputsFn(beam.DoFn):
    """Write one shard's ledger Parquet file, quarantine lines and counts."""

    def __init__(self, run_dir: str, source_of: dict[int, str]) -> None:
        self._run_dir = run_dir
        self._source_of = source_of

    def process(self, element: tuple[int, dict[str, Iterable[Any]]]) -> Iterator[dict[str, Any]]:
        index, groups = element
        rows, unwritable = _writable_rows(list(groups["rows"]))
        quarantined: list[Quarantined] = sorted(
            [*groups["quarantine"], *unwritable], key=lambda q: (location_key(q.location), q.reason)
        )
        skipped: list[Skipped] = sorted(
            groups.get("skipped", ()), key=lambda k: (location_key(k.location), k.reason)
        )
        infos: list[ShardInfo] = list(groups["info"])
        source = self._source_of[index]
        stem = f"shard-{index:05d}"
        if rows:
            data = table_to_parquet_bytes(rows_to_table(rows))
            write_bytes(join_path(self._run_dir, "ledger", source, f"{stem}.parquet"), data)
        if quarantined:
            text = "".join(quarantine_line(q) + "\n" for q in quarantined)
            write_bytes(join_path(self._run_dir, "quarantine", source, f"{stem}.jsonl"),
                        text.encode("utf-8"))
        if skipped:
            text = "".join(quarantine_line(k) + "\n" for k in skipped)
            write_bytes(join_path(self._run_dir, "skipped", source, f"{stem}.jsonl"),
                        text.encode("utf-8"))
        reasons: dict[str, int] = {}
        for q in quarantined:
            reasons[q.reason] = reasons.get(q.reason, 0) + 1
        info = infos[0] if infos else None
        counts = {
            "index": index,
            "source": source,
            "shard": info.name if info else None,
            "size": info.size if info else None,
            "sha256": info.sha256 if info else None,
            "read": info.read if info else 0,
            "ledger": len(rows),
            "quarantined": len(quarantined),
            "quarantined_by_reason": dict(sorted(reasons.items())),
            "skipped": len(skipped),
            "skipped_by_reason": _tally(k.reason for k in skipped),
            "skipped_by_record_type": _tally(k.record_type for k in skipped),
            "languages": _tally(r.language for r in rows),
            "license_categories": _tally(r.license_category for r in rows),
        }
        write_bytes(join_path(self._run_dir, "_work", "shards", f"{stem}.json"),
                    json.dumps(counts, sort_keys=True).encode())
        yield counts


def _tally(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))


class Scan(beam.PTransform):
    """Read, annotate and write every shard; output each shard's counts."""

    def __init__(self, annotator: Annotator, facts: dict[str, SourceFacts], run_dir: str,
                 tasks: list[ShardTask], progress_every: int) -> None:
        super().__init__()
        self._annotator = annotator
        self._facts = facts
        self._run_dir = run_dir
        self._index = {(t.source, t.name): t.index for t in tasks}
        self._source_of = {t.index: t.source for t in tasks}
        self._progress_every = progress_every

    def expand(self, tasks: beam.PCollection[ShardTask]) -> beam.PCollection[dict[str, Any]]:
        progress_dir = join_path(self._run_dir, "_work", "progress")
        read = (
            tasks
            | "SpreadShards" >> beam.Reshuffle()
            | "ReadShards" >> beam.ParDo(ReadShardFn(progress_dir, self._progress_every))
            .with_outputs(QUARANTINE, SKIPPED, SHARD_INFO, main="documents")
        )
        annotated = read.documents | "Annotate" >> beam.ParDo(
            AnnotateFn(self._annotator, self._facts)
        ).with_outputs(QUARANTINE, main="rows")
        keyed_rows = annotated.rows | "KeyRowsByShard" >> beam.Map(_keyed, self._index)
        keyed_quarantine = (
            (read[QUARANTINE], annotated[QUARANTINE])
            | "MergeQuarantine" >> beam.Flatten()
            | "KeyQuarantineByShard" >> beam.Map(_keyed, self._index)
        )
        keyed_skipped = read[SKIPPED] | "KeySkippedByShard" >> beam.Map(_keyed, self._index)
        keyed_info = read[SHARD_INFO] | "KeyInfoByShard" >> beam.Map(lambda info: (info.index, info))
        return (
            {"rows": keyed_rows, "quarantine": keyed_quarantine, "skipped": keyed_skipped,
             "info": keyed_info}
            | "GroupByShard" >> beam.CoGroupByKey()
            | "WriteShardOutputs" >> beam.ParDo(WriteShardOutputsFn(self._run_dir, self._source_of))
        )


def _keyed(item: LedgerRow | Quarantined | Skipped, index: dict[tuple[str, str], int]) -> tuple[int, Any]:
    return index[(item.source, item.shard)], item
