"""Shared fixtures: the bundled sample corpus and small configs written per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample"

# Beam logs a warning on import when Google Cloud client libraries are absent; it is noise here.
os.environ.setdefault("PYTHONWARNINGS", "ignore")


def write_yaml(path: Path, doc: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def sample_config(tmp_path: Path) -> Path:
    """A run config over the bundled sample corpus, writing into tmp_path/out."""
    return write_yaml(tmp_path / "config.yaml", {
        "registry": str(SAMPLE / "registry.yaml"),
        "output": str(tmp_path / "out"),
        "beam": {"runner": "DirectRunner"},
    })
