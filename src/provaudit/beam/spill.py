"""Spill folders: a stage's intermediate tables on disk, partitioned, instead of in a shuffle.

Beam's local runners (the DirectRunner, the Python job service behind the PortableRunner)
hold every collection that crosses a GroupByKey in the memory of one process, so a
stage whose shuffles carry every document costs memory in proportion to the corpus.
Stages that must scale write their per-document intermediates as Arrow IPC files under
a work folder of the run, one folder per partition, and shuffle only the files' names;
the next step reads one partition's files. Memory is then bounded by a partition, the
number of partitions grows with the corpus, and a runner with a shared filesystem
(a local disk, or ``gs://`` / ``s3://`` for Dataflow, Flink or Spark workers) spreads the
partitions over its workers.

Contract: a file holds one Arrow table, written whole by one worker under a name that
depends only on the inputs (the partition and the task that wrote it), so a retried task
rewrites the same file and a step's output does not depend on scheduling. Files are read
in sorted name order. :func:`part_of` spreads int64 keys over partitions.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from provaudit.beam.io import join_path, read_bytes, write_bytes
from provaudit.core.overlap import splitmix64

if TYPE_CHECKING:
    import pyarrow as pa

BATCH_ROWS = 8192  # rows per record batch: what a streaming reader holds at once


def part_of(keys: np.ndarray, parts: int) -> np.ndarray:
    """Return each int64 key's partition in ``range(parts)`` (mixed first, so any key pattern spreads)."""
    if parts == 1:
        return np.zeros(len(keys), dtype=np.int64)
    return (splitmix64(np.asarray(keys, dtype=np.int64).view(np.uint64)) % np.uint64(parts)).astype(np.int64)


def part_path(folder: str, kind: str, part: int, name: str) -> str:
    """Return the path of one spill file: ``<folder>/<kind>/<part:05d>/<name>.arrow``."""
    return join_path(folder, kind, f"{part:05d}", f"{name}.arrow")


def write_table(path: str, table: "pa.Table") -> str:
    """Write ``table`` as an Arrow IPC file (record batches of :data:`BATCH_ROWS`) and return ``path``."""
    import pyarrow as pa

    if "://" not in path:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.tmp"
        with pa.OSFile(tmp, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=BATCH_ROWS)
        os.replace(tmp, path)  # a file is whole or absent, even when a worker dies writing it
        return path
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=BATCH_ROWS)
    write_bytes(path, sink.getvalue().to_pybytes())
    return path


def _reader(path: str) -> "pa.ipc.RecordBatchFileReader":
    import pyarrow as pa

    if "://" not in path:
        return pa.ipc.open_file(pa.memory_map(path))
    return pa.ipc.open_file(pa.BufferReader(read_bytes(path)))


def read_table(path: str, columns: list[str] | None = None) -> "pa.Table":
    """Read one spill file (only ``columns`` when given)."""
    table = _reader(path).read_all()
    return table.select(columns) if columns is not None else table


def read_tables(paths: list[str], columns: list[str] | None = None,
                schema: "pa.Schema | None" = None) -> "pa.Table":
    """Read spill files in sorted name order into one table (empty of ``schema`` when there are none)."""
    import pyarrow as pa

    tables = [read_table(p, columns) for p in sorted(paths)]
    if not tables:
        if schema is None:
            raise ValueError("no spill file to read and no schema for an empty table")
        return schema.empty_table() if columns is None else schema.empty_table().select(columns)
    return pa.concat_tables(tables)


def iter_rows(path: str, columns: list[str]):
    """Yield one spill file's rows as tuples of ``columns``, one record batch in memory at a time."""
    reader = _reader(path)
    for i in range(reader.num_record_batches):
        batch = reader.get_batch(i)
        yield from zip(*(batch.column(c).to_pylist() for c in columns))
