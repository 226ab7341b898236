"""Build a run's lookup index as Beam transforms: ledger -> sorted, partitioned Parquet tables.

Contract. :class:`BuildLookupIndex` reads a run's ledger files and writes, under an index
folder, one folder per table, each cut into ``parts`` files ``part-NNNNN.parquet`` (every
part is written, empty or not):

- ``docs``: one row per ledger document, keyed by ``doc_key`` (the 64-bit id of its
  reference, :func:`provaudit.core.overlap.doc_key`): where it lives, its hash, URL,
  domain, licence, acquisition, script and MinHash signature; no text;
- ``bands``: ``(key, doc_key)`` per LSH band of every non-empty signature
  (:func:`provaudit.core.overlap.band_keys`, the overlap stage's banding);
- ``sha256``, ``url``, ``domain``, ``doc_id``: ``(key, doc_key)`` per document whose value
  is set.

An entry goes to part :func:`provaudit.core.lookup.part_of` of its key; each part is
sorted by ``(key, doc_key)`` and written with small row groups and column statistics, so
a reader finds a key's row group by binary search on the statistics and reads only it.
The work per document is constant and each part is sorted on its own worker, so the
build scales linearly with the ledger (plus a sort of one part). Bytes are deterministic:
the same ledger and layout give byte-identical files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from provaudit.beam.io import join_path, open_input, write_bytes
from provaudit.core.lookup import (
    KEY_TABLES,
    TABLES,
    IndexLayout,
    index_part_name,
    key_hash,
    parts_of,
)
from provaudit.core.overlap import LshParams, band_key_matrix, doc_key, is_empty_signature, signature_matrix

#: Ledger columns the index copies (the tables and their layout: provaudit.core.lookup).
LEDGER_COLUMNS = ["doc_id", "source", "shard", "location", "sha256", "url", "domain", "license_spdx",
                  "license_raw", "license_category", "acquisition", "script", "minhash"]

DOCS_SCHEMA = pa.schema([
    pa.field("doc_key", pa.int64(), nullable=False),
    pa.field("doc_id", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("shard", pa.string(), nullable=False),
    pa.field("location", pa.string(), nullable=False),
    pa.field("sha256", pa.string(), nullable=False),
    pa.field("url", pa.string()),
    pa.field("domain", pa.string()),
    pa.field("license", pa.string()),
    pa.field("license_category", pa.string(), nullable=False),
    pa.field("acquisition", pa.string(), nullable=False),
    pa.field("script", pa.string(), nullable=False),
    pa.field("minhash", pa.binary(), nullable=False),
])
BANDS_SCHEMA = pa.schema([pa.field("key", pa.int64(), nullable=False),
                          pa.field("doc_key", pa.int64(), nullable=False)])
KEYS_SCHEMA = pa.schema([pa.field("key", pa.string(), nullable=False),
                         pa.field("doc_key", pa.int64(), nullable=False)])



def part_path(index_dir: str, table: str, part: int) -> str:
    """Return the file of one part of one table."""
    return join_path(index_dir, index_part_name(table, part))


def _string_hashes(values: list[Any]) -> np.ndarray:
    return np.fromiter((key_hash(v) for v in values), dtype=np.uint64, count=len(values))


def _split(table: str, data: pa.Table, hashes: np.ndarray, parts: int) -> Iterator[tuple]:
    """Yield ``((table, part), rows)`` for the rows of ``data`` in each part."""
    if not data.num_rows:
        return
    numbers = parts_of(hashes, parts)
    for part in np.unique(numbers).tolist():
        yield (table, int(part)), data.filter(pa.array(numbers == part))


def batch_entries(batch: pa.RecordBatch, layout: IndexLayout, params: LshParams) -> Iterator[tuple]:
    """Yield ``((table, part), arrow table)`` for every table entry of a batch of ledger rows.

    Per document: one ``docs`` row (keyed by :func:`provaudit.core.overlap.doc_key`), one
    ``bands`` entry per band of a non-empty signature of the run's length, and one entry per
    set sha256, url, domain and doc_id. Work is constant per document.
    """
    rows = batch.to_pydict()
    n = batch.num_rows
    keys = [doc_key((rows["source"][i], rows["shard"][i], rows["location"][i], rows["doc_id"][i]))
            for i in range(n)]
    minhash = [bytes(m) for m in rows["minhash"]]
    docs = pa.Table.from_pydict({
        "doc_key": keys, "doc_id": rows["doc_id"], "source": rows["source"], "shard": rows["shard"],
        "location": rows["location"], "sha256": rows["sha256"], "url": rows["url"], "domain": rows["domain"],
        "license": [spdx or raw for spdx, raw in zip(rows["license_spdx"], rows["license_raw"])],
        "license_category": [c or "unknown" for c in rows["license_category"]],
        "acquisition": [a or "" for a in rows["acquisition"]],
        "script": [s or "Unknown" for s in rows["script"]], "minhash": minhash,
    }, schema=DOCS_SCHEMA)
    key_hashes = np.array(keys, dtype=np.int64).view(np.uint64) if n else np.zeros(0, np.uint64)
    yield from _split("docs", docs, key_hashes, layout.parts["docs"])
    width = params.num_perm * 4
    banded = [i for i, m in enumerate(minhash) if len(m) == width and not is_empty_signature(m)]
    keys_of = np.array([keys[i] for i in banded], dtype=np.int64)
    band_rows = band_key_matrix(signature_matrix([minhash[i] for i in banded], params.num_perm), params).reshape(-1)
    band_docs = np.repeat(keys_of, params.bands)
    bands = pa.Table.from_arrays([pa.array(band_rows, pa.int64()), pa.array(band_docs, pa.int64())],
                                 schema=BANDS_SCHEMA)
    yield from _split("bands", bands, band_rows.view(np.uint64), layout.parts["bands"])
    for table in KEY_TABLES:
        pairs = [(v, k) for v, k in zip(rows[table], keys) if v is not None and v != ""]
        data = pa.Table.from_arrays([pa.array([p[0] for p in pairs], pa.string()),
                                     pa.array([p[1] for p in pairs], pa.int64())], schema=KEYS_SCHEMA)
        yield from _split(table, data, _string_hashes([p[0] for p in pairs]), layout.parts[table])


def read_batches(path: str, batch_rows: int = 16_384) -> Iterator[pa.RecordBatch]:
    """Yield a ledger file's :data:`LEDGER_COLUMNS` in record batches (memory: one batch)."""
    with open_input(path) as fh:
        yield from pq.ParquetFile(fh).iter_batches(batch_size=batch_rows, columns=LEDGER_COLUMNS)


def part_bytes(table: str, pieces: Iterable[pa.Table], row_group_rows: int) -> bytes:
    """Return one part's Parquet bytes: rows sorted by (key, doc_key) (``docs``: by doc_key and
    reference), fixed writer settings, so the same entries give the same bytes."""
    schema = {"docs": DOCS_SCHEMA, "bands": BANDS_SCHEMA}.get(table, KEYS_SCHEMA)
    pieces = [p for p in pieces if p is not None]
    data = pa.concat_tables(pieces) if pieces else schema.empty_table()
    order = ([("doc_key", "ascending"), ("source", "ascending"), ("shard", "ascending"),
              ("location", "ascending"), ("doc_id", "ascending")] if table == "docs"
             else [("key", "ascending"), ("doc_key", "ascending")])
    data = data.sort_by(order).combine_chunks()
    sink = pa.BufferOutputStream()
    pq.write_table(data, sink, row_group_size=row_group_rows, compression="zstd",
                   write_statistics=True, use_dictionary=table in ("docs", "domain"),
                   store_schema=False)
    return sink.getvalue().to_pybytes()


class SpillEntriesFn(beam.DoFn):
    """Turn one ledger file into its table entries, written as one spill file per part.

    Input: ``(index, path)`` of a ledger file. Output: ``((table, part), spill path)``;
    the entries go to ``<work>/<table>/<part>/<index>.arrow`` (:mod:`provaudit.beam.spill`),
    so the shuffle carries file names and a worker holds one part at a time.
    """

    def __init__(self, work: str, layout: IndexLayout, params: LshParams) -> None:
        self._work = work
        self._layout = layout
        self._params = params

    def process(self, item: tuple[int, str]) -> Iterator[tuple[tuple[str, int], str]]:
        from provaudit.beam.spill import part_path, write_table

        index, path = item
        pieces: dict[tuple[str, int], list[pa.Table]] = {}
        for batch in read_batches(path):
            for key, data in batch_entries(batch, self._layout, self._params):
                pieces.setdefault(key, []).append(data)
        for (table, part), data in sorted(pieces.items()):
            yield (table, part), write_table(part_path(self._work, table, part, f"{index:06d}"), pa.concat_tables(data))


class WritePartFn(beam.DoFn):
    """Sort one part's entries (its spill files) and write its file; yield ``(table, part, entries)``."""

    def __init__(self, index_dir: str, layout: IndexLayout) -> None:
        self._dir = index_dir
        self._layout = layout

    def process(self, element: tuple) -> Iterator[tuple[str, int, int]]:
        from provaudit.beam.spill import read_table

        (table, part), paths = element
        pieces = [read_table(p) for p in sorted(p for p in paths if p is not None)]
        write_bytes(part_path(self._dir, table, part),
                    part_bytes(table, pieces, self._layout.row_group_rows[table]))
        yield table, part, sum(p.num_rows for p in pieces)


class BuildLookupIndex(beam.PTransform):
    """Read ledger files and write the index tables under ``index_dir``; output one
    ``(table, part, entries)`` per written part.

    Each ledger file's entries are written to spill files under ``work``, one per part it
    touches, and only their names are shuffled; a part's worker reads its files, sorts
    them and writes the part. Memory is bounded by one ledger file's entries and one part,
    whatever the ledger's size. The caller removes ``work`` afterwards.
    """

    def __init__(self, ledger_files: list[str], index_dir: str, layout: IndexLayout,
                 params: LshParams, work: str) -> None:
        super().__init__()
        self._files = sorted(ledger_files)
        self._dir = index_dir
        self._layout = layout
        self._params = params
        self._work = work

    def expand(self, pbegin):
        layout, params = self._layout, self._params
        entries = (pbegin
                   | "LedgerFiles" >> beam.Create(list(enumerate(self._files)))
                   | "Reshuffle" >> beam.Reshuffle()
                   | "SpillEntries" >> beam.ParDo(SpillEntriesFn(self._work, layout, params)))
        every_part = pbegin | "EveryPart" >> beam.Create(
            [((t, p), None) for t in TABLES for p in range(layout.parts[t])])
        return ((entries, every_part)
                | "Flatten" >> beam.Flatten()
                | "GroupByPart" >> beam.GroupByKey()
                | "WriteParts" >> beam.ParDo(WritePartFn(self._dir, layout)))
