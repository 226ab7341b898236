"""No raw personal information in any output: the values planted in the sample corpus are
found in its texts, then looked for in every file a full run writes (Parquet decoded)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import SAMPLE
from provaudit.core import pii
from provaudit.core.config import list_shards, load_config
from provaudit.core.findings import normalize_text
from provaudit.core.readers import read_shard
from provaudit.core.records import Document
from test_validate import _all_stages, _sample_config


def _planted_values() -> set[str]:
    values: set[str] = set()
    config = load_config(_sample_config_path())
    by_name = {s.name: s for s in config.sources}
    for shard in list_shards(config):
        spec = by_name[shard.source].reader_spec(shard.format, config.scan.max_doc_chars)
        for item in read_shard(shard.path, shard.name, spec):
            if isinstance(item, Document):
                text = normalize_text(item.text)
                values.update(text[h.start:h.end] for h in pii._hits(text))  # noqa: SLF001 - raw values, test only
    return values


_CONFIG: list[Path] = []


def _sample_config_path() -> Path:
    return _CONFIG[0]


@pytest.fixture(scope="module")
def run_outputs(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("pii")
    _CONFIG.append(_sample_config(tmp))
    cfg, run_id, _, result = _all_stages(_CONFIG[0])
    from provaudit.stages.disclose import run_disclose

    run_disclose(cfg, run_id)  # the disclosures and exports too
    return Path(result.run_dir), _planted_values()


def _file_text(path: Path) -> str:
    if path.suffix == ".parquet":
        return json.dumps(pq.read_table(path).to_pylist(), default=lambda b: b.hex() if isinstance(b, bytes) else str(b),
                          ensure_ascii=False)
    return path.read_bytes().decode("utf-8", errors="replace")


def test_the_sample_plants_every_kind(run_outputs) -> None:
    _, values = run_outputs
    planted = json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8"))["pii_totals"]
    assert len(values) >= 10 and all(n > 0 for n in planted.values())


def test_no_output_file_contains_a_planted_value(run_outputs) -> None:
    run_dir, values = run_outputs
    files = [p for p in run_dir.rglob("*") if p.is_file() and p.suffix in (".parquet", ".json", ".jsonl", ".html",
                                                                             ".md", ".txt", ".css", ".svg")]
    assert len(files) > 20
    leaks = [(str(p.relative_to(run_dir)), v) for p in files for v in values if v in _file_text(p)]
    assert leaks == []
