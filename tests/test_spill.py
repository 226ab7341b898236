"""Spill files: partitions of int64 keys, Arrow IPC tables written whole and read back in order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provaudit.beam.spill import iter_rows, part_of, part_path, read_table, read_tables, write_table


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-2**63, max_value=2**63 - 1), max_size=200), st.integers(1, 97))
def test_every_key_has_one_partition_in_range_whatever_the_call(keys: list[int], parts: int) -> None:
    arr = np.array(keys, dtype=np.int64)
    got = part_of(arr, parts)
    assert got.dtype == np.int64 and len(got) == len(keys)
    assert ((got >= 0) & (got < parts)).all()
    assert part_of(arr[::-1], parts).tolist() == got[::-1].tolist()  # a key's partition is its own


def test_sequential_keys_spread_over_the_partitions() -> None:
    counts = np.bincount(part_of(np.arange(100_000, dtype=np.int64) << 40, 20), minlength=20)
    assert counts.min() > 4_000 and counts.max() < 6_000


def test_tables_round_trip_in_sorted_name_order(tmp_path: Path) -> None:
    first = write_table(part_path(str(tmp_path), "docs", 3, "000001"), pa.table({"x": [3, 4], "y": ["c", "d"]}))
    second = write_table(part_path(str(tmp_path), "docs", 3, "000000"), pa.table({"x": [1, 2], "y": ["a", "b"]}))
    assert first.endswith("docs/00003/000001.arrow") and not Path(f"{first}.tmp").exists()
    assert read_tables([first, second]).column("x").to_pylist() == [1, 2, 3, 4]
    assert read_table(first, ["y"]).column_names == ["y"]
    big = pa.table({"x": list(range(20_000))})
    path = write_table(str(tmp_path / "big.arrow"), big)
    assert [r[0] for r in iter_rows(path, ["x"])] == list(range(20_000))
    empty = read_tables([], ["x"], pa.schema([("x", pa.int64()), ("y", pa.string())]))
    assert empty.num_rows == 0 and empty.column_names == ["x"]
    with pytest.raises(ValueError, match="no spill file"):
        read_tables([])
