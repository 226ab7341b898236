"""Run config and registry loading: validation errors name the file, the source and the key."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, write_yaml
from provaudit.core.config import ScanSettings, list_shards, load_config
from provaudit.core.errors import ConfigError, InputError


def _source(**over: object) -> dict:
    src = {"name": "web", "paths": "data/*.jsonl", "acquisition": "self-collected",
           "license": "CC BY 4.0", "evidence": "crawl log 2025", "collected": "2025-01-01/2025-03-31"}
    src.update(over)
    return {k: v for k, v in src.items() if v is not None}


def _config(tmp_path: Path, sources: list[dict], **over: object) -> Path:
    write_yaml(tmp_path / "reg" / "registry.yaml", {"sources": sources})
    doc = {"registry": "reg/registry.yaml", "output": "out"}
    doc.update(over)
    return write_yaml(tmp_path / "config.yaml", doc)


def test_loads_and_resolves_paths(tmp_path: Path) -> None:
    cfg = load_config(_config(tmp_path, [_source()]))
    assert cfg.output == str((tmp_path / "out").resolve())
    assert cfg.sources[0].paths == (str((tmp_path / "reg" / "data" / "*.jsonl").resolve()),)
    assert cfg.sources[0].text_field == "text"
    assert cfg.scan == ScanSettings()
    assert len(cfg.config_hash) == 64


def test_inline_sources(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "c.yaml", {"sources": [_source()], "output": "o",
                                            "scan": {"num_perm": 64}})
    cfg = load_config(path)
    assert cfg.registry_path == path.resolve()
    assert cfg.scan.num_perm == 64


def test_config_hash_changes_with_registry(tmp_path: Path) -> None:
    a = load_config(_config(tmp_path, [_source()])).config_hash
    b = load_config(_config(tmp_path, [_source(license="MIT")])).config_hash
    assert a != b


@pytest.mark.parametrize(
    ("source", "key", "fragment"),
    [
        (_source(acquisition="bought"), "sources[web].acquisition", "'bought' is not one of"),
        (_source(format="csv"), "sources[web].format", "'csv' is not one of"),
        (_source(paths=None), "sources[web]", "'paths' is required"),
        (_source(license_field="lic"), "sources[web]", "either license"),
        (_source(colour="blue"), "sources[web]", "unknown key(s) 'colour'"),
        (_source(collected="last spring"), "sources[web].collected", "does not match"),
        (_source(name="../escape"), "sources[../escape].name", "letters, digits"),
        (_source(max_doc_chars=0), "sources[web].max_doc_chars", "less than the minimum"),
    ],
)
def test_registry_errors_name_file_source_and_key(tmp_path: Path, source: dict, key: str,
                                                  fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_config(tmp_path, [source]))
    err = info.value
    assert err.file.endswith("registry.yaml")
    assert err.key == key
    assert fragment in err.problem
    assert str(err).startswith(err.file)


def test_duplicate_source_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"sources\[web\]\.name: duplicate"):
        load_config(_config(tmp_path, [_source(), _source()]))


@pytest.mark.parametrize(
    ("doc", "key", "fragment"),
    [
        ({"output": "o"}, "", "registry (a file) or sources (inline) is required"),
        ({"registry": "r.yaml"}, "", "'output' is required"),
        ({"registry": "r.yaml", "sources": [_source()], "output": "o"}, "", "not both"),
        ({"registry": "r.yaml", "output": "o", "scan": {"num_perm": 3}}, "scan.num_perm", "minimum"),
        ({"registry": "r.yaml", "output": "o", "scan": {"speed": 3}}, "scan", "'speed'"),
        ({"registry": "r.yaml", "output": "o", "beam": "DirectRunner"}, "beam", "not of type"),
    ],
)
def test_config_errors(tmp_path: Path, doc: dict, key: str, fragment: str) -> None:
    path = write_yaml(tmp_path / "config.yaml", doc)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.file == str(path.resolve())
    assert info.value.key == key
    assert fragment in info.value.problem


def test_missing_registry_file(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "config.yaml", {"registry": "nope.yaml", "output": "o"})
    with pytest.raises(ConfigError, match="nope.yaml: registry file not found"):
        load_config(path)


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("registry: [unclosed\noutput: o\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line \d+, column \d+: invalid YAML"):
        load_config(path)


def test_yaml_tags_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("registry: !!python/object/apply:os.system ['true']\noutput: o\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(path)


def test_glob_matching_nothing_names_source_and_pattern(tmp_path: Path) -> None:
    cfg = load_config(_config(tmp_path, [_source()]))
    with pytest.raises(InputError, match=r"registry.yaml: sources\[web\]\.paths: .* matches no file"):
        list_shards(cfg)


def test_list_shards_infers_format_and_sorts(tmp_path: Path) -> None:
    data = tmp_path / "reg" / "data"
    data.mkdir(parents=True)
    for name in ("b.jsonl", "a.jsonl"):
        (data / name).write_text('{"text": "x"}\n', encoding="utf-8")
    cfg = load_config(_config(tmp_path, [_source()]))
    shards = list_shards(cfg)
    assert [s.name for s in shards] == ["data/a.jsonl", "data/b.jsonl"]
    assert {s.format for s in shards} == {"jsonl"}
    assert all(s.size == 14 for s in shards)


def test_unknown_extension_needs_format(tmp_path: Path) -> None:
    data = tmp_path / "reg" / "data"
    data.mkdir(parents=True)
    (data / "x.bin").write_bytes(b"x")
    cfg = load_config(_config(tmp_path, [_source(paths="data/*.bin")]))
    with pytest.raises(ConfigError, match=r"sources\[web\]\.format: cannot infer"):
        list_shards(cfg)


def test_every_bundled_config_loads() -> None:
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        cfg = load_config(path)
        assert cfg.sources, path


@pytest.mark.parametrize("case", ["bad-key", "missing-path"])
def test_cli_fails_fast_with_exit_2(tmp_path: Path, case: str) -> None:
    if case == "bad-key":
        config = _config(tmp_path, [_source(acquisition="bought")])
    else:
        config = _config(tmp_path, [_source()])
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "provaudit.cli", "scan", str(config)],
                          capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - start
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("provaudit: error: ")
    assert "registry.yaml" in lines[0] and "sources[web]" in lines[0]
    assert elapsed < 2.0, f"took {elapsed:.2f} s"
    assert not (tmp_path / "out").exists()
