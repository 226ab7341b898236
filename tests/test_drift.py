"""Drift: every command and pipeline driver is documented and has help; every config loads."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT
from provaudit.cli import _parser

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(_parser()._subparsers._group_actions[0].choices)  # noqa: SLF001 - argparse has no public accessor


def test_commands_are_the_expected_stages() -> None:
    assert COMMANDS == ["disclose", "lookup", "nightly", "overlap", "profile", "run", "runs", "sample", "scan",
                        "statements", "validate"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args([command, "--help"])
    assert exit_info.value.code == 0
    assert len(capsys.readouterr().out) > 100
    assert f"provaudit {command}" in README


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "pipelines").glob("*.py")))
def test_every_pipeline_driver_has_help_and_is_in_the_readme(script: str) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "pipelines" / script), "--help"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0 and "--config" in proc.stdout, proc.stderr
    assert f"pipelines/{script}" in README


def test_every_schema_file_is_valid_json_and_named_in_the_readme_or_code() -> None:
    import json

    code = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "src" / "provaudit").rglob("*.py"))
    for path in sorted((ROOT / "schemas").glob("*.json")):
        json.loads(path.read_text(encoding="utf-8"))
        stem = path.name.removesuffix(".schema.json")
        assert path.name in README or path.name in code or f'"{stem}"' in code, path.name
