"""Runs as units: a later stage reads only a run its own config made, finished and reconciled.

Another config's run, an unreconciled run and a damaged manifest are refused with a one-line
usage error (exit 2) naming the run and why; ``--force`` reads the run anyway and says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import write_yaml
from provaudit.cli import main


def _corpus(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "a.jsonl").write_text(
        '{"text": "The quick brown fox jumps over the lazy dog near the river bank."}\n'
        '{"text": "A second document about provenance, licences and training data."}\n', encoding="utf-8")


def _config(tmp_path: Path, name: str, source: str) -> Path:
    return write_yaml(tmp_path / f"{name}.yaml", {
        "output": "out",
        "sources": [{"name": source, "paths": "data/*.jsonl", "acquisition": "licensed", "license": "MIT"}],
    })


@pytest.fixture(scope="module")
def two_configs(tmp_path_factory: pytest.TempPathFactory):
    """Config A scanned first, then config B (another source name) into the same output folder."""
    tmp = tmp_path_factory.mktemp("units")
    _corpus(tmp)
    a, b = _config(tmp, "a", "alpha"), _config(tmp, "b", "beta")
    assert main(["scan", str(a)]) == 0
    assert main(["scan", str(b)]) == 0
    runs = sorted(p.name for p in (tmp / "out").iterdir() if (p / "manifest.json").is_file())
    assert len(runs) == 2
    return tmp, a, b, runs


def _run_of(tmp: Path, config_name: str, runs: list[str]) -> str:
    for run in runs:
        manifest = json.loads((tmp / "out" / run / "manifest.json").read_text(encoding="utf-8"))
        if manifest["config"].endswith(f"{config_name}.yaml"):
            return run
    raise AssertionError(config_name)


def test_stage_reads_its_own_configs_run_not_the_newest(two_configs) -> None:
    tmp, a, _, runs = two_configs
    run_a = _run_of(tmp, "a", runs)
    assert runs[-1] != run_a  # B's run is the newest
    assert main(["overlap", str(a)]) == 0
    assert (tmp / "out" / run_a / "overlap").is_dir()
    assert not (tmp / "out" / runs[-1] / "overlap").exists()


def test_another_configs_run_is_refused(two_configs, capsys: pytest.CaptureFixture) -> None:
    tmp, a, _, runs = two_configs
    run_b = _run_of(tmp, "b", runs)
    assert main(["profile", str(a), "--run", run_b]) == 2
    err = capsys.readouterr().err
    assert "scanned by another config" in err and run_b in err and "--force" in err
    assert "Traceback" not in err


def test_force_reads_it_and_says_why(two_configs, capsys: pytest.CaptureFixture) -> None:
    tmp, a, _, runs = two_configs
    run_b = _run_of(tmp, "b", runs)
    assert main(["overlap", str(a), "--run", run_b, "--force"]) == 0
    err = capsys.readouterr().err
    assert "--force: reading it anyway" in err and "another config" in err
    assert (tmp / "out" / run_b / "overlap").is_dir()


def test_no_run_of_this_config(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _corpus(tmp_path)
    other = _config(tmp_path, "other", "gamma")
    assert main(["scan", str(other)]) == 0
    mine = _config(tmp_path, "mine", "delta")
    assert main(["overlap", str(mine)]) == 2
    err = capsys.readouterr().err
    assert "no run of this config" in err and "--force" in err


def _copy_run(tmp: Path, run: str, suffix: str) -> Path:
    import shutil

    src = tmp / "out" / run
    dst = tmp / "out" / f"{run}-{suffix}"
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    return dst


def test_unreconciled_run_is_refused(two_configs, capsys: pytest.CaptureFixture) -> None:
    tmp, a, _, runs = two_configs
    bad = _copy_run(tmp, _run_of(tmp, "a", runs), "7")
    manifest = json.loads((bad / "manifest.json").read_text(encoding="utf-8"))
    manifest["reconciliation"]["ok"] = False
    manifest["reconciliation"]["problems"] = ["data/a.jsonl: read 2 != ledger 1 + quarantined 0"]
    (bad / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    try:
        assert main(["overlap", str(a)]) == 2  # the newest run of config A is the bad copy
        err = capsys.readouterr().err
        assert "did not reconcile" in err and "read 2 != ledger 1" in err and bad.name in err
    finally:
        import shutil

        shutil.rmtree(bad)


def test_truncated_manifest_is_a_clear_error(two_configs, capsys: pytest.CaptureFixture) -> None:
    tmp, a, _, runs = two_configs
    bad = _copy_run(tmp, _run_of(tmp, "a", runs), "8")
    text = (bad / "manifest.json").read_text(encoding="utf-8")
    (bad / "manifest.json").write_text(text[: len(text) // 2], encoding="utf-8")
    try:
        assert main(["overlap", str(a), "--run", bad.name]) == 2
        err = capsys.readouterr().err
        assert "not a readable manifest" in err and "Traceback" not in err
        assert err.count("\n") == 1  # one line
    finally:
        import shutil

        shutil.rmtree(bad)


def test_unfinished_run_is_refused(two_configs, capsys: pytest.CaptureFixture) -> None:
    """A run whose previous stage never wrote its marker (killed, failed) is not read."""
    tmp, a, _, runs = two_configs
    copy = _copy_run(tmp, _run_of(tmp, "a", runs), "9")
    import shutil

    try:
        shutil.rmtree(copy / "overlap", ignore_errors=True)
        (copy / "_status" / "overlap.json").unlink(missing_ok=True)  # overlap was killed
        assert main(["profile", str(a), "--run", copy.name]) == 2
        err = capsys.readouterr().err
        assert "overlap stage did not complete" in err and copy.name in err
    finally:
        shutil.rmtree(copy)
