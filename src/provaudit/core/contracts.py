"""Access to the contracts under ``schemas/``: JSON Schemas and Arrow table schemas.

The folder ships inside the package (``src/provaudit/schemas`` links to the top-level
``schemas/``), so Beam workers that install only the package can load it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import cache
from importlib import resources
from typing import Any

import pyarrow as pa

_ARROW_TYPES = {"string": pa.string(), "int64": pa.int64(), "binary": pa.binary(), "float64": pa.float64(),
                "bool": pa.bool_()}


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Return one of the JSON documents under ``schemas/`` by file name."""
    return json.loads(resources.files("provaudit").joinpath("schemas", name).read_text("utf-8"))


def arrow_schema(name: str) -> pa.Schema:
    """Build the Arrow schema described by ``schemas/<name>.schema.json``."""
    doc = load_schema(f"{name}.schema.json")
    return pa.schema(
        [
            pa.field(f["name"], _ARROW_TYPES[f["type"]], nullable=f["nullable"],
                     metadata={"description": f["description"]})
            for f in doc["fields"]
        ],
        metadata={"provaudit.table": name, "provaudit.schema_version": str(doc["version"])},
    )


def rows_to_parquet(rows: list[dict[str, Any]], name: str) -> bytes:
    """Encode rows as a Parquet file with the Arrow schema ``schemas/<name>.schema.json``."""
    import io

    import pyarrow.parquet as pq

    schema = arrow_schema(name)
    table = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def key_path(doc: Any, path: Iterable[Any], item: Callable[[int, int, Any], str]) -> str:
    """Render a schema error's location in ``doc`` as ``sources[web_crawl].paths``: keys joined
    by dots, and each list item in brackets as ``item(depth, index, the item)`` names it."""
    parts: list[str] = []
    node = doc
    for depth, step in enumerate(path):
        if isinstance(step, int):
            parts.append(f"[{item(depth, step, node[step])}]")
        else:
            parts.append(f".{step}" if parts else str(step))
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            node = None
    return "".join(parts)
