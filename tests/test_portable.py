"""The same scan and overlap out of process: PortableRunner + Beam's Python job service + an external
SDK worker pool on loopback (the Fn API path Flink, Spark and Dataflow use for Python
workers), and the DirectRunner's multi-processing mode. Both must give the DirectRunner's
ledger rows and the same overlap outputs, byte for byte. Deselect with ``-m 'not portable'``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pyarrow.parquet as pq
import pytest

from conftest import SAMPLE, write_yaml
from provaudit.core.config import load_config
from provaudit.stages.overlap import run_overlap
from provaudit.stages.scan import run_scan

pytestmark = pytest.mark.portable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"service exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port}")


@pytest.fixture(scope="module")
def beam_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int, Path]]:
    """Start the job service (Beam's, with jobs run on the SDK workers they ask for) and the
    worker pool as separate processes on loopback."""
    env = dict(os.environ)
    # The worker pool starts `python` from PATH: put this interpreter's folder first.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    logs = tmp_path_factory.mktemp("beam-services")
    job_port, pool_port = _free_port(), _free_port()
    procs = [
        subprocess.Popen([sys.executable, "-m", "provaudit.beam.jobservice",
                          "--port", str(job_port)], env=env, stdout=open(logs / "job.log", "wb"),
                         stderr=subprocess.STDOUT),
        subprocess.Popen([sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main",
                          "--service_port", str(pool_port)], env=env,
                         stdout=open(logs / "pool.log", "wb"), stderr=subprocess.STDOUT),
    ]
    try:
        _wait_port(job_port, procs[0])
        _wait_port(pool_port, procs[1])
        yield job_port, pool_port, logs / "pool.log"
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def _ledger_rows(run_dir: str) -> list[dict]:
    table = pq.read_table(Path(run_dir) / "ledger")
    rows = table.drop_columns([c for c in table.column_names if c not in _COLUMNS]).to_pylist()
    return sorted(rows, key=lambda r: (r["source"], r["shard"], r["location"]))


_COLUMNS = None  # set from the ledger schema below


def _scan(tmp_path: Path, name: str, beam: dict) -> str:
    """Scan the sample corpus, then run the overlap stage on that run, with one runner."""
    cfg = load_config(write_yaml(tmp_path / f"{name}.yaml", {"registry": str(SAMPLE / "registry.yaml"),
                                                              "output": str(tmp_path / name), "beam": beam}))
    run_dir = run_scan(cfg, report=lambda line: None).run_dir
    run_overlap(cfg, Path(run_dir).name, report=lambda line: None)
    return run_dir


def _overlap_outputs(run_dir: str) -> dict[str, bytes]:
    out = Path(run_dir) / "overlap"
    return {name: (out / name).read_bytes() for name in
            ("clusters.parquet", "pairs.parquet", "matrix.json", "duplicate_rates.json", "contamination.json")}


@pytest.fixture(scope="module")
def direct_run(tmp_path_factory: pytest.TempPathFactory) -> str:
    global _COLUMNS
    from provaudit.core.ledger import ledger_schema

    _COLUMNS = set(ledger_schema().names)
    return _scan(tmp_path_factory.mktemp("direct"), "direct", {"runner": "DirectRunner"})


@pytest.fixture(scope="module")
def direct_rows(direct_run: str) -> list[dict]:
    return _ledger_rows(direct_run)


def test_portable_runner_with_external_worker_pool(tmp_path: Path, beam_services: tuple[int, int, Path],
                                                   direct_run: str, direct_rows: list[dict]) -> None:
    job_port, pool_port, _ = beam_services
    run_dir = _scan(tmp_path, "portable", {
        "runner": "PortableRunner",
        "job_endpoint": f"localhost:{job_port}",
        "environment_type": "EXTERNAL",
        "environment_config": f"localhost:{pool_port}",
    })
    rows = _ledger_rows(run_dir)
    assert len(rows) == len(direct_rows) > 0
    assert rows == direct_rows
    assert _overlap_outputs(run_dir) == _overlap_outputs(direct_run)  # identical clusters, pairs, reports


def test_multi_processing_direct_runner(tmp_path: Path, direct_run: str, direct_rows: list[dict]) -> None:
    run_dir = _scan(tmp_path, "multi", {"runner": "DirectRunner",
                                        "direct_running_mode": "multi_processing",
                                        "direct_num_workers": 2})
    assert _ledger_rows(run_dir) == direct_rows
    assert _overlap_outputs(run_dir) == _overlap_outputs(direct_run)


def _portable(job_port: int, pool_port: int, **extra) -> dict:
    return {"runner": "PortableRunner", "job_endpoint": f"localhost:{job_port}",
            "environment_type": "EXTERNAL", "environment_config": f"localhost:{pool_port}", **extra}


def _whole_run(tmp_path: Path, name: str, beam: dict) -> tuple[dict, str]:
    from provaudit.stages.nightly import run_all

    cfg = load_config(write_yaml(tmp_path / f"{name}.yaml", {"registry": str(SAMPLE / "registry.yaml"),
                                                              "output": str(tmp_path / name), "beam": beam}))
    result = run_all(cfg, incremental=False, log=None)
    return result, result["run_dir"]


_CLOCK = ("start", "finish", "ended", "duration", "run_id", "config_hash", "date", "time", "seconds")


def _verdicts(result: dict) -> dict:
    """The run's history record without its clock values and run id."""
    record = {k: v for k, v in (result.get("record") or {}).items() if not any(w in k for w in _CLOCK)}
    assert "expectations_failed" in record or any("expectation" in k for k in record), sorted(record)
    return record


def test_whole_run_on_a_two_process_worker_pool(tmp_path: Path, beam_services: tuple[int, int, Path],
                                                direct_rows: list[dict]) -> None:
    """`provaudit run` (scan, overlap, profile, validate, disclose) out of process, each stage on
    two SDK worker processes started by the external pool: same ledger, same overlap outputs,
    same profiles and verdicts as one in-process worker."""
    job_port, pool_port, pool_log = beam_services
    started = pool_log.read_text(errors="replace").count("Starting worker with command")
    direct, direct_dir = _whole_run(tmp_path, "direct-whole", {"runner": "DirectRunner"})
    portable, run_dir = _whole_run(tmp_path, "portable-whole",
                                   _portable(job_port, pool_port, sdk_worker_parallelism=2))
    workers = pool_log.read_text(errors="replace").count("Starting worker with command") - started
    jobs = 3  # scan, overlap and profile run as Beam pipelines
    assert workers >= 2 * jobs, f"the pool started {workers} SDK workers for {jobs} jobs"
    assert _ledger_rows(run_dir) == direct_rows
    assert _overlap_outputs(run_dir) == _overlap_outputs(direct_dir)
    for sub in ("profiles",):
        mine = {p.relative_to(run_dir): p.read_bytes() for p in sorted(Path(run_dir, sub).rglob("*")) if p.is_file()}
        theirs = {p.relative_to(direct_dir): p.read_bytes()
                  for p in sorted(Path(direct_dir, sub).rglob("*")) if p.is_file()}
        assert mine and mine == theirs
    assert portable["code"] == direct["code"]
    assert _verdicts(portable) == _verdicts(direct)
