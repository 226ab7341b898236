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


def sample_screening() -> dict:
    """The sample's ``screening:`` as configs/local.yaml has it, with absolute paths.

    The stand-in library is dated today (UTC), as a fresh clone of configs/local.yaml dates
    it by the file: its age in the reports is 0 days on any calendar day, so goldens hold.
    """
    from datetime import datetime, timezone

    return {
        "keywords": [{"name": "sample-standins", "path": str(SAMPLE / "screening" / "keywords.txt"),
                      "updated": datetime.now(timezone.utc).date().isoformat()}],
        "classifiers": [{"name": "character-quality", "callable": "provaudit.core.classifiers:character_quality",
                         "risks": ["A.5-2"], "threshold": 0.5}],
        "sample_share": 0.1,
        "blocked": {"domains": ["blocked-mirror.example"]},
    }


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


def run_stages(config_path: Path):
    """Scan, overlap, profile and validate a config in-process, quietly.

    Return (config, run_dir, profile result, validation result).
    """
    from provaudit.core.config import load_config
    from provaudit.stages.overlap import run_overlap
    from provaudit.stages.profile import run_profile
    from provaudit.stages.scan import run_scan
    from provaudit.stages.validate import run_validation

    cfg = load_config(config_path)
    quiet = {"report": lambda line: None}
    run_dir = run_scan(cfg, **quiet).run_dir
    run_id = Path(run_dir).name
    run_overlap(cfg, run_id, **quiet)
    profile = run_profile(cfg, run_id, **quiet)
    return cfg, run_dir, profile, run_validation(cfg, run_id)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite the golden files under tests/golden/ from this run's outputs")


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """Compare a JSON-able value with tests/golden/NAME.json (or rewrite it with --update-golden)."""
    import json

    update = request.config.getoption("--update-golden")

    def check(name: str, value: object) -> None:
        path = ROOT / "tests" / "golden" / f"{name}.json"
        text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        if update or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert json.loads(path.read_text(encoding="utf-8")) == json.loads(text), (
            f"{path.name} differs; rerun with --update-golden if the change is intended")

    return check
