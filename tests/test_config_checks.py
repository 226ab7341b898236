"""Config misuse is a usage error at load, naming the file and key, before any Beam work."""

from __future__ import annotations

from pathlib import Path

import pytest

from provaudit.core.config import load_config
from provaudit.core.errors import ConfigError

SOURCE = "sources:\n- name: s\n  paths: a.jsonl\n  acquisition: licensed\n  license: MIT\n"


def _load(tmp_path: Path, text: str):
    (tmp_path / "a.jsonl").write_text('{"text": "x"}\n', encoding="utf-8")
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    return load_config(tmp_path / "c.yaml")


@pytest.mark.parametrize("value", ["2024-02-28", "'2024-02-28'", "2024-01-01/..", "2023-01-01/2024-02-29"])
def test_calendar_dates_load_quoted_or_not(tmp_path: Path, value: str) -> None:
    config = _load(tmp_path, "output: out\n" + SOURCE + f"  collected: {value}\n")
    assert config.sources[0].collected == value.strip("'")


@pytest.mark.parametrize(("value", "message"), [
    ("2024-02-30", r"line 7, column 14: invalid YAML: '2024-02-30' is not a valid date"),
    ("'2024-02-30'", r"sources\[s\]\.collected: '2024-02-30' is not a calendar date"),
    ("2023-01-01/2023-02-29", r"sources\[s\]\.collected: '2023-02-29' is not a calendar date"),
])
def test_impossible_dates_fail_at_load(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _load(tmp_path, "output: out\n" + SOURCE + f"  collected: {value}\n")


def test_output_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c\.yaml: output: .*taken is an existing file, not a folder"):
        _load(tmp_path, "output: taken\n" + SOURCE)


@pytest.mark.parametrize(("extra", "key"), [
    ("opt_out: missing.txt\n", "opt_out"),
    ("inspection:\n  verdicts: [missing.jsonl]\n", r"inspection\.verdicts\[0\]"),
])
def test_named_input_files_must_exist(tmp_path: Path, extra: str, key: str) -> None:
    with pytest.raises(ConfigError, match=rf"c\.yaml: {key}: .*missing\.\w+: no such file"):
        _load(tmp_path, "output: out\n" + SOURCE + extra)


@pytest.mark.parametrize("name", ['"web\\n"', '"web\\t1"', '"we b"', '"web\\u0000"'])
def test_source_names_without_control_characters(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match=r"sources\[0\]\.name|name"):
        _load(tmp_path, "output: out\n" + SOURCE.replace("name: s", f"name: {name}"))
