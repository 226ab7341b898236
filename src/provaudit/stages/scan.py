"""The scan stage: registry + shards -> ledger, quarantine and manifest of one run.

``run_scan`` is what both the CLI and ``pipelines/scan.py`` call: it lists shards on the
driver, builds the Beam pipeline with :func:`build_scan`, runs it with the configured
runner, shows progress while it runs, then writes ``manifest.json`` and checks the
reconciliation ``read == ledger + quarantined`` for every shard, source and the total.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Optional

import apache_beam as beam

from provaudit import __version__
from provaudit.core.config import RunConfig, Shard, list_shards
from provaudit.core.errors import ReconciliationError
from provaudit.core.findings import Annotator, SourceFacts
from provaudit.beam.runners import make_runner, pipeline_options, runner_name
from provaudit.beam.io import join_path, match_files, read_bytes, write_bytes
from provaudit.beam.scan import Scan, ShardTask

_LOG = logging.getLogger(__name__)


@dataclass
class ScanResult:
    """Where a scan wrote its outputs, and its manifest."""

    run_dir: str
    manifest: dict[str, Any]

    @property
    def ledger_dir(self) -> str:
        return join_path(self.run_dir, "ledger")

    @property
    def quarantine_dir(self) -> str:
        return join_path(self.run_dir, "quarantine")

    @property
    def manifest_path(self) -> str:
        return join_path(self.run_dir, "manifest.json")


def new_run_id(output: str, config_hash: str, now: Optional[datetime] = None) -> str:
    """Return a new run id: UTC start time plus the config hash prefix, unique in ``output``."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    base = f"{stamp}-{config_hash[:8]}"
    run_id, n = base, 1
    while "://" not in output and os.path.exists(os.path.join(output, run_id)):
        n += 1
        run_id = f"{base}-{n}"
    return run_id


def plan_tasks(config: RunConfig, shards: list[Shard]) -> list[ShardTask]:
    """Turn listed shards into read tasks, each with its reader settings."""
    by_name = {s.name: s for s in config.sources}
    return [
        ShardTask(i, sh.source, sh.path, sh.name, sh.size,
                  by_name[sh.source].reader_spec(sh.format, config.scan.max_doc_chars))
        for i, sh in enumerate(shards)
    ]


def build_scan(pipeline: beam.Pipeline, config: RunConfig, tasks: list[ShardTask], run_dir: str) -> None:
    """Add the scan to a pipeline: read, annotate and write every shard."""
    s = config.scan
    annotator = Annotator(num_perm=s.num_perm, seed=s.seed, ngram=s.ngram,
                          language_prefix=s.language_prefix, language_seed=s.language_seed)
    facts = {src.name: SourceFacts(src.license, src.acquisition) for src in config.sources}
    _ = (
        pipeline
        | "ListShards" >> beam.Create(tasks, reshuffle=False)
        | "Scan" >> Scan(annotator, facts, run_dir, tasks, s.progress_every)
    )


class Progress:
    """Poll the per-shard progress files and report documents and shards done."""

    def __init__(self, progress_dir: str, total_shards: int, report: Callable[[str], None],
                 interval: float = 2.0) -> None:
        self._dir = progress_dir
        self._total = total_shards
        self._report = report
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="provaudit-progress", daemon=True)
        self._started = time.monotonic()
        self._last = ""

    def __enter__(self) -> "Progress":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def snapshot(self) -> tuple[int, int]:
        """Return (shards done, documents read) so far."""
        done = docs = 0
        try:
            names = os.listdir(self._dir)
        except OSError:
            return 0, 0
        for name in names:
            try:
                with open(os.path.join(self._dir, name), encoding="utf-8") as fh:
                    state = json.load(fh)
            except (OSError, ValueError):
                continue  # being written
            docs += int(state.get("read", 0))
            done += bool(state.get("done"))
        return done, docs

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            done, docs = self.snapshot()
            elapsed = max(time.monotonic() - self._started, 1e-6)
            line = (f"scan: {done}/{self._total} shards read, {docs:,} documents "
                    f"({docs / elapsed:,.0f} docs/s)")
            if (done, docs) != (0, 0) and line.split(" (")[0] != self._last:
                self._last = line.split(" (")[0]
                self._report(line)


def _read_json_files(folder: str) -> list[dict[str, Any]]:
    from apache_beam.io.filesystems import FileSystems

    match = FileSystems.match([join_path(folder, "*.json")])[0]
    return [json.loads(read_bytes(meta.path).decode("utf-8"))
            for meta in sorted(match.metadata_list, key=lambda m: m.path)]


def _add(into: dict[str, int], counts: dict[str, int]) -> None:
    for k, v in counts.items():
        into[k] = into.get(k, 0) + v


def build_manifest(config: RunConfig, tasks: list[ShardTask], shard_counts: list[dict[str, Any]],
                   run_id: str, started: datetime, ended: datetime, runner: str) -> dict[str, Any]:
    """Assemble the manifest and its reconciliation from the per-shard counts."""
    got = {c["index"]: c for c in shard_counts}
    shards, problems = [], []
    sources: dict[str, dict[str, Any]] = {
        s.name: {"role": s.role, "acquisition": s.acquisition, "shards": 0, "documents_read": 0,
                 "ledger": 0, "quarantined": 0, "quarantined_by_reason": {}, "languages": {},
                 "license_categories": {}}
        for s in config.sources
    }
    for task in tasks:
        c = got.get(task.index)
        if c is None:
            problems.append(f"{task.name}: no counts were written for this shard")
            c = {"read": 0, "ledger": 0, "quarantined": 0, "sha256": None,
                 "quarantined_by_reason": {}, "languages": {}, "license_categories": {}}
        if c["read"] != c["ledger"] + c["quarantined"]:
            problems.append(f"{task.name}: read {c['read']} != ledger {c['ledger']} + "
                            f"quarantined {c['quarantined']}")
        shards.append({"source": task.source, "path": task.name, "size": task.size,
                       "sha256": c["sha256"], "format": task.spec.format, "read": c["read"],
                       "ledger": c["ledger"], "quarantined": c["quarantined"]})
        src = sources[task.source]
        src["shards"] += 1
        src["documents_read"] += c["read"]
        src["ledger"] += c["ledger"]
        src["quarantined"] += c["quarantined"]
        for key in ("quarantined_by_reason", "languages", "license_categories"):
            _add(src[key], c[key])
    totals: dict[str, Any] = {"shards": len(tasks), "documents_read": 0, "ledger": 0, "quarantined": 0,
                              "quarantined_by_reason": {}, "languages": {}, "license_categories": {}}
    for src in sources.values():
        for key in ("documents_read", "ledger", "quarantined"):
            totals[key] += src[key]
        for key in ("quarantined_by_reason", "languages", "license_categories"):
            _add(totals[key], src[key])
        for key in ("quarantined_by_reason", "languages", "license_categories"):
            src[key] = dict(sorted(src[key].items()))
    for key in ("quarantined_by_reason", "languages", "license_categories"):
        totals[key] = dict(sorted(totals[key].items()))
    ok = not problems and totals["documents_read"] == totals["ledger"] + totals["quarantined"]
    return {
        "run_id": run_id,
        "stage": "scan",
        "config": str(config.config_path),
        "registry": str(config.registry_path),
        "config_hash": config.config_hash,
        "provaudit_version": __version__,
        "beam_version": beam.__version__,
        "runner": runner,
        "started": started.isoformat(timespec="seconds"),
        "ended": ended.isoformat(timespec="seconds"),
        "duration_seconds": round((ended - started).total_seconds(), 3),
        "settings": config.scan._asdict(),
        "outputs": {"ledger": "ledger/", "quarantine": "quarantine/"},
        "shards": shards,
        "sources": sources,
        "totals": totals,
        "reconciliation": {
            "ok": ok,
            "rule": "documents_read == ledger + quarantined, per shard, per source and in total",
            "read": totals["documents_read"],
            "ledger": totals["ledger"],
            "quarantined": totals["quarantined"],
            "problems": problems,
        },
    }


def run_scan(config: RunConfig, extra_beam_args: Iterable[str] = (),
             report: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
             run_id: Optional[str] = None, shards: Optional[list[Shard]] = None) -> ScanResult:
    """Run the scan stage end to end and return where its outputs are."""
    shards = shards if shards is not None else list_shards(config, match_files)
    tasks = plan_tasks(config, shards)
    started = datetime.now(timezone.utc)
    run_id = run_id or new_run_id(config.output, config.config_hash, started)
    run_dir = join_path(config.output, run_id)
    options = pipeline_options(config.beam, extra_beam_args)
    runner = runner_name(options)
    n_src = len(config.sources)
    report(f"scan: run {run_id}: {len(tasks)} shard{'s' * (len(tasks) != 1)} from {n_src} "
           f"source{'s' * (n_src != 1)}, runner {runner}")
    if "://" not in run_dir:
        os.makedirs(run_dir, exist_ok=False)
    progress_dir = join_path(run_dir, "_work", "progress")
    if "://" not in progress_dir:
        os.makedirs(progress_dir, exist_ok=True)
    pipeline = beam.Pipeline(runner=make_runner(options), options=options)
    build_scan(pipeline, config, tasks, run_dir)
    with Progress(progress_dir, len(tasks), report):
        result = pipeline.run()
        result.wait_until_finish()
    ended = datetime.now(timezone.utc)
    counts = _read_json_files(join_path(run_dir, "_work", "shards"))
    manifest = build_manifest(config, tasks, counts, run_id, started, ended, runner)
    write_bytes(join_path(run_dir, "manifest.json"),
                (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode())
    if "://" not in run_dir:
        shutil.rmtree(os.path.join(run_dir, "_work"), ignore_errors=True)
    if not manifest["reconciliation"]["ok"]:
        raise ReconciliationError(
            "reconciliation failed: " + "; ".join(manifest["reconciliation"]["problems"] or [
                f"read {manifest['totals']['documents_read']} != ledger {manifest['totals']['ledger']}"
                f" + quarantined {manifest['totals']['quarantined']}"])
        )
    return ScanResult(run_dir, manifest)
