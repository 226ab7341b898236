"""Shards are files, listed once by their resolved real path and named by their own path.

A symlink beside its target, a symlink loop under ``**``, one file matched by two globs and
the output folder under a source's glob must never read a document twice, misname a shard or
read provaudit's own outputs back as data.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import write_yaml
from provaudit.core.config import list_shards, load_config


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "sub" / "a.jsonl").write_text('{"text": "a"}\n', encoding="utf-8")
    (data / "b.jsonl").write_text('{"text": "b"}\n', encoding="utf-8")
    (data / "zz-target.jsonl").write_text('{"text": "t"}\n', encoding="utf-8")
    os.symlink("zz-target.jsonl", data / "t.jsonl")  # a link with a shorter name than its target
    os.symlink("..", data / "sub" / "loop")  # data/sub/loop/sub/loop/... : a cycle under **
    (data / "out" / "run1" / "quarantine").mkdir(parents=True)
    (data / "out" / "run1" / "quarantine" / "q.jsonl").write_text('{"text": "q"}\n', encoding="utf-8")
    return tmp_path


def _shards(tree: Path, paths: list[str]):
    config = write_yaml(tree / "c.yaml", {
        "output": "data/out",
        "sources": [{"name": "s", "paths": paths, "acquisition": "licensed", "license": "MIT"}],
    })
    return list_shards(load_config(config))


def test_each_file_once_named_by_its_own_path(tree: Path) -> None:
    shards = _shards(tree, ["data/**/*.jsonl", "data/b.jsonl", "data/./sub/*.jsonl"])
    names = [s.name for s in shards]
    assert names == ["data/b.jsonl", "data/sub/a.jsonl", "data/t.jsonl"]
    real = [os.path.realpath(s.path) for s in shards]
    assert len(set(real)) == len(real)


def test_output_folder_is_never_a_shard(tree: Path) -> None:
    assert all("/out/" not in s.path for s in _shards(tree, ["data/**/*.jsonl"]))


def test_a_glob_matching_only_outputs_is_an_error(tree: Path) -> None:
    from provaudit.core.errors import InputError

    with pytest.raises(InputError, match="matches no file outside the output folder"):
        _shards(tree, ["data/out/**/*.jsonl"])
