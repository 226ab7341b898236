"""Beam wiring of the scan: composite PTransforms over the pure core.

    shard batches ─Reshuffle─▶ ScanBatch: read ─▶ annotate ─▶ write ─▶ per-shard counts
                                            ├─▶ quarantine ─┘
                                            └─▶ skipped ────┘

Shards are listed on the driver and grouped into batches (one big shard alone, or several
small files of one source: :func:`provaudit.stages.scan.plan_batches`); each batch is one
element, read, annotated and written inside one DoFn with the project's own readers, so
any runner splits the work by batch and no shuffle of ledger rows is needed. A batch
writes one ledger Parquet file, one quarantine and one skipped JSONL file (when it has
rows of that kind), named by its first shard's index (``shard-NNNNN``), rows sorted by
shard then location, so files are byte-identical from run to run whatever the runner's
ordering. Nothing is dropped: every read item is a ledger row, a quarantine line or (an
archive record that is by design not a document) a skipped line, and each shard's counts
(with the batch that holds its rows) are written for the driver to reconcile.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, BinaryIO, NamedTuple

import apache_beam as beam
from apache_beam.metrics import Metrics

from provaudit.beam.io import join_path, open_input, read_bytes, shard_checksum, write_bytes
from provaudit.core.findings import Annotator, SourceFacts, normalize_text
from provaudit.core.jsontext import json_text
from provaudit.core.ledger import location_key, rows_to_table, table_to_parquet_bytes
from provaudit.core.pii import mask_excerpt
from provaudit.core.readers import ReaderSpec, read_shard
from provaudit.core.records import Document, LedgerRow, Quarantined, Skipped

QUARANTINE = "quarantine"
SKIPPED = "skipped"
SHARD_INFO = "shard_info"
_LOG = logging.getLogger(__name__)



def write_progress(folder: str | None, stem: str, read: int, done: Any, what: str) -> None:
    """Write ``<folder>/<stem>.json`` with a task's running count; a failure is only logged."""
    if folder is None:
        return
    blob = json.dumps({"read": read, "done": done}).encode()
    try:
        write_bytes(join_path(folder, f"{stem}.json"), blob)
    except OSError as exc:  # progress is a courtesy; never fail a shard over it
        _LOG.warning("cannot write progress for %s: %s", what, exc)

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
        write_progress(self._progress_dir, f"{task.index:06d}", read, done, task.name)

    def process(self, task: ShardTask) -> Iterator[Any]:
        checksum, opener = _checksum_and_opener(task, self._checksum)
        read = 0
        for item in read_shard(task.path, task.name, task.spec, opener):
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
        self._flagged = Metrics.counter("screening", "flagged_documents")
        self._keyword_hits = Metrics.counter("screening", "keyword_hits")

    def setup(self) -> None:
        self._annotator.setup()

    def process(self, doc: Document) -> Iterator[Any]:
        out = annotate_or_quarantine(self._annotator, self._facts, doc, self._failed)
        if isinstance(out, LedgerRow) and out.screen_flagged:
            self._flagged.inc()
            self._keyword_hits.inc(out.screen_hits_total)
        yield beam.pvalue.TaggedOutput(QUARANTINE, out) if isinstance(out, Quarantined) else out


def annotate_or_quarantine(annotator: Annotator, facts: dict[str, SourceFacts], doc: Document,
                           failed: Any) -> LedgerRow | Quarantined:
    """The document's ledger row, or a ``processing-error`` quarantine item (the exception's
    text masked) when annotating it fails: workers route bad data, never raise."""
    try:
        return annotator.annotate(doc, facts[doc.source])
    except Exception as exc:  # noqa: BLE001 - workers route bad data, never raise
        failed.inc()
        _LOG.warning("annotating %s %s failed: %s", doc.shard, doc.location, exc)
        return Quarantined(doc.source, doc.shard, doc.location, "processing-error",
                           mask_excerpt(f"{type(exc).__name__}: {exc}", 80))


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


# A shard at most this big is read into memory once: its checksum and its reader share the
# bytes (one open and one read instead of two, the per-file cost of many small files).
_READ_ONCE_BYTES = 8 << 20


def _checksum_and_opener(task: ShardTask, checksum: bool) -> tuple[str, Callable[[str], BinaryIO]]:
    """Return the shard's SHA-256 (``""`` when it cannot be read or ``checksum`` is off) and the
    opener its reader uses: the bytes already read for a small local shard, else the file."""
    if checksum and "://" not in task.path and 0 <= task.size <= _READ_ONCE_BYTES:
        try:
            with open(task.path, "rb") as fh:
                data = fh.read(_READ_ONCE_BYTES + 1)
        except OSError as exc:
            _LOG.warning("cannot checksum %s: %s", task.name, exc)
            return "", open_input  # the reader reports the shard as unreadable
        if len(data) <= _READ_ONCE_BYTES:
            return hashlib.sha256(data).hexdigest(), lambda _path: io.BytesIO(data)
    digest = ""
    try:
        if checksum:
            digest = shard_checksum(task.path)
    except OSError as exc:
        _LOG.warning("cannot checksum %s: %s", task.name, exc)
    return digest, open_input


def batch_json(batch: Sequence[ShardTask]) -> bytes:
    """A batch's tasks as JSON (reader settings written once per distinct spec): what the
    driver writes to ``_work/batches/`` so the pipeline carries a file name per batch, not
    thousands of pickled tasks."""
    specs: list[ReaderSpec] = []
    rows = []
    for t in batch:
        if t.spec not in specs:
            specs.append(t.spec)
        rows.append([t.index, t.source, t.path, t.name, t.size, specs.index(t.spec)])
    return json.dumps({"specs": [s._asdict() for s in specs], "tasks": rows}, sort_keys=True).encode()


def batch_from_json(data: bytes) -> tuple[ShardTask, ...]:
    """The tasks :func:`batch_json` wrote."""
    doc = json.loads(data)
    specs = [ReaderSpec(**s) for s in doc["specs"]]
    return tuple(ShardTask(i, src, path, name, size, specs[k]) for i, src, path, name, size, k in doc["tasks"])


def _as_batch(element: str | ShardTask | Sequence[ShardTask]) -> tuple[ShardTask, ...]:
    """A batch from an element: a batch file's path (see :func:`batch_json`), a task, or tasks."""
    if isinstance(element, str):
        return batch_from_json(read_bytes(element))
    return (element,) if isinstance(element, ShardTask) else tuple(element)


def batch_stem(batch: Sequence[ShardTask]) -> str:
    """The name of a batch's output files: its first shard's index (``shard-00012``)."""
    return f"shard-{batch[0].index:05d}"


class Review(NamedTuple):
    """What a batch keeps for reviewers: the screener (the Annotator's own object), how many
    masked samples per risk code, the scan's analysis window and the allow list."""

    screener: Any
    per_risk: int
    max_doc_chars: int
    allow: Any = None


def review_key(risk: str, source: str, shard: str, location: str) -> str:
    """A reviewer sample's rank: the smallest keys of each risk are kept (deterministic)."""
    return hashlib.sha256(f"review\0{risk}\0{source}\0{shard}\0{location}".encode()).hexdigest()[:16]


def review_path(run_dir: str, source: str, stem: str) -> str:
    """Where a batch's best reviewer samples are kept (masked; merged by the driver)."""
    return join_path(run_dir, "screening", "batches", source, f"{stem}.jsonl")


class _ReviewPicker:
    """A batch's best ``per_risk`` reviewer samples per risk code (bounded memory)."""

    def __init__(self, review: Review, facts: dict[str, SourceFacts]) -> None:
        self._review = review
        self._facts = facts
        self._best: dict[str, list[tuple[str, dict[str, Any]]]] = {}

    def offer(self, doc: Document, row: LedgerRow) -> None:
        n = self._review.per_risk
        if n <= 0:
            return
        keys = {risk: review_key(risk, row.source, row.shard, row.location)
                for risk in json.loads(row.screen_hits)}
        wanted = {r: k for r, k in keys.items()
                  if len(self._best.get(r, ())) < n or k < self._best[r][-1][0]}
        if not wanted:
            return
        text = normalize_text(doc.text)
        window = self._facts[doc.source].max_doc_chars or self._review.max_doc_chars
        for risk, library, context in self._review.screener.review(text[:window], allow=self._review.allow):
            if risk in wanted:
                best = self._best.setdefault(risk, [])
                best.append((wanted[risk], {"key": wanted[risk], "risk": risk, "source": row.source,
                                            "shard": row.shard, "location": row.location,
                                            "library": library, "context": context}))
                best.sort(key=lambda kv: kv[0])
                del best[n:]

    def lines(self) -> bytes:
        items = sorted((v for best in self._best.values() for _k, v in best),
                       key=lambda v: (v["risk"], v["key"]))
        return "".join(json_text(v, indent=None) + "\n" for v in items).encode("utf-8")


# Documents annotated together (Annotator.annotate_many): at most this many, or this many
# characters of text, whichever comes first.
ANNOTATE_DOCS = 64
ANNOTATE_CHARS = 4_000_000


class ScanBatchFn(beam.DoFn):
    """Read, annotate and write one batch of shards of one source (a big shard is a batch of
    one); yield each shard's counts. Bad items and documents that fail to annotate go to the
    quarantine, never raise. With ``review``, the batch keeps its best masked reviewer
    samples per risk code in a small file the driver merges (:func:`review_path`)."""

    def __init__(self, annotator: Annotator, facts: dict[str, SourceFacts], run_dir: str,
                 progress_dir: str | None, progress_every: int, checksum: bool = True,
                 review: Review | None = None) -> None:
        self._annotator = annotator
        self._facts = facts
        self._run_dir = run_dir
        self._progress_dir = progress_dir
        self._progress_every = progress_every
        self._checksum = checksum
        self._documents = Metrics.counter("scan", "documents_read")
        self._quarantined = Metrics.counter("scan", "quarantined_at_read")
        self._shards = Metrics.counter("scan", "shards_read")
        self._batches = Metrics.counter("scan", "batches_written")
        self._failed = Metrics.counter("scan", "annotate_failed")
        self._review = review
        self._flagged = Metrics.counter("screening", "flagged_documents")
        self._keyword_hits = Metrics.counter("screening", "keyword_hits")

    def setup(self) -> None:
        self._annotator.setup()
        if self._review is not None:
            self._review.screener.setup()  # the Annotator's own object: already set up

    def _progress(self, stem: str, read: int, done: int) -> None:
        write_progress(self._progress_dir, stem, read, done, stem)

    def _annotate(self, docs: list[Document], rows: list[LedgerRow], quarantined: list[Quarantined],
                  picker: "_ReviewPicker | None") -> None:
        """Annotate documents read together (see :meth:`Annotator.annotate_many`); when that
        raises, each alone, so only the document that fails goes to the quarantine."""
        if not docs:
            return
        try:
            outs: list[LedgerRow | Quarantined] = list(
                self._annotator.annotate_many(docs, [self._facts[d.source] for d in docs]))
        except Exception:  # noqa: BLE001 - the failing document is found and quarantined below
            outs = [annotate_or_quarantine(self._annotator, self._facts, d, self._failed) for d in docs]
        for doc, out in zip(docs, outs):
            (quarantined if isinstance(out, Quarantined) else rows).append(out)
            if isinstance(out, LedgerRow) and out.screen_flagged:
                self._flagged.inc()
                if out.screen_hits_total:
                    self._keyword_hits.inc(out.screen_hits_total)
                    if picker is not None:
                        picker.offer(doc, out)

    def process(self, element: str | ShardTask | Sequence[ShardTask]) -> Iterator[dict[str, Any]]:
        batch = _as_batch(element)
        stem = batch_stem(batch)
        source = batch[0].source
        all_rows: list[LedgerRow] = []
        all_quarantined: list[Quarantined] = []
        all_skipped: list[Skipped] = []
        counts: list[dict[str, Any]] = []
        total = 0
        picker = _ReviewPicker(self._review, self._facts) if self._review is not None else None
        pending: list[Document] = []
        pending_chars = 0
        for done, task in enumerate(batch):
            digest, opener = _checksum_and_opener(task, self._checksum)
            rows: list[LedgerRow] = []
            quarantined: list[Quarantined] = []
            skipped: list[Skipped] = []
            read = 0
            for item in read_shard(task.path, task.name, task.spec, opener):
                read += 1
                if isinstance(item, Quarantined):
                    self._quarantined.inc()
                    quarantined.append(item)
                elif isinstance(item, Skipped):
                    skipped.append(item)
                else:
                    self._documents.inc()
                    pending.append(item)
                    pending_chars += len(item.text)
                    if len(pending) >= ANNOTATE_DOCS or pending_chars >= ANNOTATE_CHARS:
                        self._annotate(pending, rows, quarantined, picker)
                        pending, pending_chars = [], 0
                if (total + read) % self._progress_every == 0:
                    self._progress(stem, total + read, done)
            self._annotate(pending, rows, quarantined, picker)
            pending, pending_chars = [], 0
            total += read
            self._shards.inc()
            rows, unwritable = _writable_rows(rows)
            quarantined.extend(unwritable)
            counts.append(_shard_counts(task, stem, digest, read, rows, quarantined, skipped))
            all_rows.extend(rows)
            all_quarantined.extend(quarantined)
            all_skipped.extend(skipped)
        _write_batch(self._run_dir, source, stem, all_rows, all_quarantined, all_skipped)
        if picker is not None and picker.lines():
            write_bytes(review_path(self._run_dir, source, stem), picker.lines())
        write_bytes(join_path(self._run_dir, "_work", "shards", f"{stem}.json"),
                    json.dumps(counts, sort_keys=True).encode())
        self._batches.inc()
        self._progress(stem, total, len(batch))
        yield from counts


def _shard_counts(task: ShardTask, stem: str, digest: str, read: int, rows: list[LedgerRow],
                  quarantined: list[Quarantined], skipped: list[Skipped]) -> dict[str, Any]:
    """One shard's counts as the manifest records them; ``batch``: the stem of the files
    holding its rows."""
    return {
        "index": task.index,
        "source": task.source,
        "shard": task.name,
        "size": task.size,
        "sha256": digest,
        "batch": stem,
        "read": read,
        "ledger": len(rows),
        "quarantined": len(quarantined),
        "quarantined_by_reason": _tally(q.reason for q in quarantined),
        "skipped": len(skipped),
        "skipped_by_reason": _tally(k.reason for k in skipped),
        "skipped_by_record_type": _tally(k.record_type for k in skipped),
        "languages": _tally(r.language for r in rows),
        "license_categories": _tally(r.license_category for r in rows),
    }


def _write_batch(run_dir: str, source: str, stem: str, rows: list[LedgerRow],
                 quarantined: list[Quarantined], skipped: list[Skipped]) -> None:
    """Write a batch's ledger, quarantine and skipped files (each only when it has lines),
    sorted by shard then location, so the bytes never depend on reading order."""
    if rows:
        data = table_to_parquet_bytes(rows_to_table(rows))
        write_bytes(join_path(run_dir, "ledger", source, f"{stem}.parquet"), data)
    for folder, items in (("quarantine", quarantined), ("skipped", skipped)):
        if items:
            ordered = sorted(items, key=lambda q: (q.shard, location_key(q.location), q.reason))
            text = "".join(quarantine_line(q) + "\n" for q in ordered)
            write_bytes(join_path(run_dir, folder, source, f"{stem}.jsonl"), text.encode("utf-8"))


def _tally(values: Iterable[str]) -> dict[str, int]:
    """Counts of each value, keys sorted (manifest order never depends on reading order)."""
    return dict(sorted(Counter(values).items()))


class Scan(beam.PTransform):
    """Read, annotate and write every batch of shards; output each shard's counts.

    Input elements are batches (tuples of :class:`ShardTask` of one source), single tasks
    (a batch of one) or the paths of batch files (:func:`batch_json`)."""

    def __init__(self, annotator: Annotator, facts: dict[str, SourceFacts], run_dir: str,
                 tasks: list[ShardTask], progress_every: int, review: Review | None = None) -> None:
        super().__init__()
        self._review = review
        self._annotator = annotator
        self._facts = facts
        self._run_dir = run_dir
        self._progress_every = progress_every

    def expand(self, batches: beam.PCollection[Any]) -> beam.PCollection[dict[str, Any]]:
        progress_dir = join_path(self._run_dir, "_work", "progress")
        return (
            batches
            | "SpreadBatches" >> beam.Reshuffle()
            | "ScanBatches" >> beam.ParDo(ScanBatchFn(self._annotator, self._facts, self._run_dir,
                                                      progress_dir, self._progress_every,
                                                      review=self._review))
        )
