"""The ledger table: its Arrow schema (from ``schemas/ledger.schema.json``) and Parquet I/O.

Contract: :func:`ledger_schema` is the single definition of the ledger's columns; rows
are :class:`~provaudit.core.records.LedgerRow` and :func:`rows_to_table` turns them into an
Arrow table in a stable order (sorted by location within a shard) so the same inputs
give byte-identical Parquet files. No clock value is written into any file.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from typing import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from provaudit.core.contracts import arrow_schema
from provaudit.core.records import LedgerRow


@lru_cache(maxsize=1)
def ledger_schema() -> pa.Schema:
    """Return the ledger's Arrow schema."""
    return arrow_schema("ledger")


_LOCATION = re.compile(r"^([a-z]+):(\d+)$")


def location_key(location: str) -> tuple[str, int]:
    """Sort key of a location: numeric within its kind (line:2 before line:10)."""
    m = _LOCATION.match(location)
    return (m.group(1), int(m.group(2))) if m else (location, -1)


def rows_to_table(rows: Iterable[LedgerRow]) -> pa.Table:
    """Return the rows as an Arrow table with the ledger schema, in location order."""
    ordered = sorted(rows, key=lambda r: (r.source, r.shard, location_key(r.location), r.doc_id))
    schema = ledger_schema()
    columns = list(zip(*ordered)) if ordered else [[] for _ in schema.names]
    return pa.Table.from_arrays(
        [pa.array(list(col), type=schema.field(i).type) for i, col in enumerate(columns)],
        schema=schema,
    )


def table_to_parquet_bytes(table: pa.Table) -> bytes:
    """Serialise a table to Parquet deterministically (no timestamps; fixed writer options)."""
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", use_dictionary=True, write_statistics=True,
                   store_schema=True)
    return sink.getvalue()


def read_ledger(path: str) -> pa.Table:
    """Read a run's ledger folder (all sources) as one table."""
    return pq.read_table(path, schema=ledger_schema(), partitioning=None)
