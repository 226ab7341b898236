"""Every stage in one command, full (``provaudit run``) or incremental (``provaudit nightly``).

Contract. :func:`run_all` runs scan, overlap, profile, validate and disclose into a new
run folder, logs one line per stage (counts, duration, timestamp; text or JSON), emits
OpenLineage START/COMPLETE/FAIL events per stage, and only when every stage finished
marks the run complete (``COMPLETE``, a row in ``history.parquet``, ``latest``; see
:mod:`provaudit.stages.runs`). Incremental runs start from the last *complete* run, so a
night killed at any point is simply run again:

- the scan reuses the ledger and quarantine files of every shard whose path, size,
  SHA-256 and finding inputs are unchanged (:func:`provaudit.stages.scan.plan_reuse`);
- overlap, profile and validate are recomputed from the merged ledger, except that a
  stage whose every input is unchanged (all shards reused, same config hash, same
  side files: opt-out list, verdicts, labelling records, suites) takes the previous
  run's outputs as they are, since recomputing them would give the same bytes;
- disclose always runs: its pages carry the date, the drift report and the history.

Exit codes: 0 when every critical expectation passes, 1 when one fails (with
``fail_on="new"``: only when one fails that did not fail in the previous complete run).
"""

from __future__ import annotations

import hashlib
import glob as globlib
import json
import logging
import os
import shutil
import sys
import time
from datetime import datetime, timezone
from importlib import resources
from typing import Any, Callable, Iterable, Optional

from provaudit.core.jsontext import json_text
from provaudit import __version__
from provaudit.core.config import RunConfig
from provaudit.stages.runs import (complete_run, mark_stage_done, previous_complete, read_history,
                                   stage_facts)

_LOG = logging.getLogger("provaudit")


class StageLog:
    """One line per stage on standard error: text for people, JSON lines for log collectors."""

    def __init__(self, fmt: str = "text", stream: Any = None) -> None:
        self.fmt = fmt
        self.stream = stream or sys.stderr

    def __call__(self, stage: str, status: str, seconds: float, **counts: Any) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        if self.fmt == "json":
            line = json.dumps({"time": now, "logger": "provaudit", "stage": stage, "status": status,
                               "duration_seconds": round(seconds, 3), **counts},
                              sort_keys=True, ensure_ascii=False, default=str)
        else:
            detail = " ".join(f"{k}={v}" for k, v in counts.items())
            line = f"{now} provaudit {stage} {status} in {seconds:.1f} s" + (f" {detail}" if detail else "")
        print(line, file=self.stream, flush=True)

    def report(self, line: str) -> None:
        """Progress lines from the stages: as they are in text mode, as JSON in JSON mode."""
        if self.fmt == "json":
            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            line = json.dumps({"time": now, "logger": "provaudit", "message": line}, ensure_ascii=False)
        print(line, file=self.stream, flush=True)


def side_inputs_digest(config: RunConfig) -> str:
    """Hash the files besides the ledger that profile and validate read, and the suites."""
    digest = hashlib.sha256()
    paths: list[str] = []
    if config.opt_out:
        paths.append(str(config.opt_out))
    paths += [str(p) for p in config.inspection.verdicts]
    if config.screening.blocked_path:  # the blocked list of CN-TC-5.1d (profile reads it)
        paths.append(str(config.screening.blocked_path))
    for source in config.sources:
        for value in (source.labelling or {}).values():
            paths += sorted(globlib.glob(str(value))) or [str(value)]
    for path in sorted(set(paths)):
        digest.update(path.encode() + b"\0")
        try:
            with open(path, "rb") as fh:
                digest.update(hashlib.sha256(fh.read()).digest())
        except OSError:
            digest.update(b"missing")
    suites = resources.files("provaudit").joinpath("expectations")
    for name in sorted(p.name for p in suites.iterdir() if p.name.endswith(".json")):
        digest.update(suites.joinpath(name).read_bytes())
    digest.update(__version__.encode())
    return digest.hexdigest()[:16]


# The lookup index is made from the ledger and the scan and overlap settings alone, the
# overlap stage's inputs: an unchanged ledger takes it with overlap's outputs, not a rebuild.
_REUSABLE = {"overlap": ("overlap", "index"), "profile": ("profiles", "inspection"),
             "validate": ("validation", "docs")}


def _reuse_stage(stage: str, previous: str, run_dir: str, inputs_key: str, run_id: str) -> bool:
    """Copy a stage's outputs from the previous complete run when its inputs are unchanged."""
    facts = stage_facts(previous, stage) or {}
    if facts.get("inputs") != inputs_key:
        return False
    for folder in _REUSABLE[stage]:
        src = os.path.join(previous, folder)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(run_dir, folder))
    if stage == "overlap":  # the one output naming its run
        path = os.path.join(run_dir, "overlap", "summary.json")
        with open(path, encoding="utf-8") as fh:
            summary = json.load(fh)
        summary.update(run_id=run_id, reused_from=facts.get("reused_from") or os.path.basename(previous))
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(json_text(summary) + "\n")
    mark_stage_done(run_dir, stage, {**facts, "duration_seconds": 0.0, "inputs": inputs_key,
                                     "reused_from": facts.get("reused_from") or os.path.basename(previous)})
    return True


class _NoLineage:
    def start(self, *args: Any, **kwargs: Any) -> None:
        """Emit nothing."""

    complete = fail = start


class StageLineage:
    """What each stage reads and writes, as OpenLineage datasets, sent through :class:`Lineage`."""

    _OUTPUTS = {"scan": ("ledger", "quarantine", "manifest.json"), "overlap": ("overlap",),
                "profile": ("profiles", "inspection"), "validate": ("validation", "docs"),
                "disclose": ("disclosures", "index.html")}
    _INPUTS = {"overlap": ("ledger",), "profile": ("ledger", "overlap"), "validate": ("profiles",),
               "disclose": ("profiles", "overlap", "validation")}

    def __init__(self, config: RunConfig, run_dir: str, run_id: str, url: Optional[str] = None) -> None:
        import apache_beam

        from provaudit.stages.lineage import Lineage

        self._run_dir = os.path.abspath(run_dir) if "://" not in run_dir else run_dir
        # <run>/lineage.jsonl needs a local run folder; runs on object stores emit nothing here
        self._emit: Any = _NoLineage() if "://" in run_dir else Lineage(
            run_dir, run_id, url=url, config_hash=config.config_hash,
            beam_version=apache_beam.__version__, provaudit_version=__version__)
        self._sources = [("provaudit", s.name) for s in config.sources]
        self._quality: Optional[list[dict[str, Any]]] = None

    def _out(self, stage: str) -> list[tuple[str, str]]:
        return [("file", f"{self._run_dir}/{name}") for name in self._OUTPUTS[stage]]

    def _in(self, stage: str) -> list[tuple[str, str]]:
        return [("file", f"{self._run_dir}/{name}") for name in self._INPUTS.get(stage, ())]

    def scan(self, manifest: dict[str, Any], shards_in: Iterable[str]) -> None:
        """The scan ran before its run id existed: its START and COMPLETE are sent together."""
        from provaudit.core.pii import mask_field

        # an input's name is its path with personal information masked, as in the manifest
        inputs = self._sources + [("file", mask_field(path)[0] or "") for path in shards_in]
        self._emit.start("scan", inputs, self._out("scan"))
        self._emit.complete("scan", inputs, self._out("scan"))

    def start(self, stage: str) -> None:
        self._emit.start(stage, self._in(stage), self._out(stage))

    def complete(self, stage: str) -> None:
        quality = self._quality if stage == "validate" else None
        self._emit.complete(stage, self._in(stage), self._out(stage), quality=quality)

    def fail(self, stage: str, message: str) -> None:
        self._emit.fail(stage, self._in(stage), self._out(stage), message)

    def around(self, stage: str, work: Callable[[], Any]) -> Any:
        """Run one stage between its START and its COMPLETE (or FAIL) event."""
        self.start(stage)
        try:
            result = work()
        except BaseException as exc:
            self.fail(stage, f"{type(exc).__name__}: {exc}")
            raise
        if stage == "validate" and "://" not in self._run_dir:
            with open(os.path.join(self._run_dir, "validation", "results.json"), encoding="utf-8") as fh:
                self.validated(json.load(fh))
        self.complete(stage)
        return result

    def validated(self, validation: dict[str, Any]) -> None:
        """Keep the expectations' verdicts for the validate stage's data-quality facet."""
        from provaudit.core.history import expectation_key

        self._quality = [{"assertion": expectation_key(v), "success": bool(v.get("success")),
                          "column": v.get("column")} for v in validation.get("verdicts", [])]


def finish_run(config: RunConfig, run_dir: str, record: dict[str, Any], history_runs: int = 30) -> None:
    """Mark a run whose five stages completed as complete, and rewrite ``history.html``."""
    from provaudit.reports.history import render_history_page

    complete_run(config.output, run_dir, record)
    with open(os.path.join(config.output, "history.html"), "w", encoding="utf-8") as fh:
        fh.write(render_history_page(read_history(config.output), history_runs))


def run_all(config: RunConfig, *, incremental: bool, beam_args: Iterable[str] = (),
            fail_on: str = "any", log: Optional[StageLog] = None,
            history_runs: int = 30, lineage_url: Optional[str] = None) -> dict[str, Any]:
    """Run every stage; return {run_dir, run_id, code, validation, drift, newly_failing, record,
    results: stage -> its result (None when its outputs were reused), previous: the run compared with}."""
    from provaudit.beam.io import match_files
    from provaudit.core.config import list_shards
    from provaudit.core.history import newly_failing
    from provaudit.stages.disclose import run_disclose
    from provaudit.stages.overlap import run_overlap
    from provaudit.stages.profile import run_profile
    from provaudit.stages.scan import run_scan
    from provaudit.stages.validate import run_validation

    log = log or StageLog()
    beam_args = list(beam_args)
    shards = list_shards(config, match_files)  # fails fast, before Beam starts
    previous = previous_complete(config.output) if incremental else None
    started = datetime.now(timezone.utc)
    clock = time.monotonic()

    t0 = time.monotonic()
    scan = run_scan(config, extra_beam_args=beam_args, shards=shards, previous=previous, report=log.report)
    run_dir, run_id = scan.run_dir, scan.manifest["run_id"]
    lineage = StageLineage(config, run_dir, run_id, url=lineage_url)
    lineage.scan(scan.manifest, (os.path.abspath(sh.path) if "://" not in sh.path else sh.path for sh in shards))
    inc = scan.manifest["incremental"]
    log("scan", "done", time.monotonic() - t0, documents=scan.manifest["totals"]["ledger"],
        quarantined=scan.manifest["totals"]["quarantined"], shards_scanned=inc["scanned"],
        shards_reused=inc["reused"])
    all_reused = previous is not None and inc["scanned"] == 0
    prev_manifest = {}
    if all_reused:
        with open(os.path.join(previous, "manifest.json"), encoding="utf-8") as fh:
            prev_manifest = json.load(fh)
    same_config = all_reused and prev_manifest.get("config_hash") == config.config_hash
    ledger_key = hashlib.sha256(json.dumps(
        [(s["path"], s["sha256"], s["fingerprint"]) for s in scan.manifest["shards"]]).encode()
        + config.config_hash.encode()).hexdigest()[:16]
    side_key = side_inputs_digest(config)
    keys = {"overlap": ledger_key, "profile": f"{ledger_key}-{side_key}", "validate": f"{ledger_key}-{side_key}"}

    reused = object()
    results: dict[str, Any] = {"scan": scan}

    def stage(name: str, work: Callable[[], Any], counts: Callable[[Any], dict[str, Any]]) -> Any:
        t = time.monotonic()

        def attempt() -> Any:
            if same_config and _reuse_stage(name, previous, run_dir, keys[name], run_id):
                return reused
            result = work()
            mark_stage_done(run_dir, name, {**(stage_facts(run_dir, name) or {}), "inputs": keys[name]})
            return result

        result = lineage.around(name, attempt)
        if result is reused:
            log(name, "reused", time.monotonic() - t, reused_from=os.path.basename(previous))
            result = None
        else:
            log(name, "done", time.monotonic() - t, **counts(result))
        results[name] = result
        return result

    stage("overlap", lambda: run_overlap(config, run_id, extra_beam_args=beam_args, report=log.report),
          lambda r: {"clusters": r.summary["clusters"], "verified_pairs": r.summary["verified_pairs"]})
    from provaudit.stages.lookup import open_index  # the run's lookup index, <run>/index/

    t = time.monotonic()
    indexed = open_index(config, run_dir, beam_args, report=log.report).documents
    log("index", "done", time.monotonic() - t, documents=indexed)
    stage("profile", lambda: run_profile(config, run_id, extra_beam_args=beam_args, report=log.report),
          lambda r: {"sources": len(r.rows), "labelling_batches": len(r.labelling_rows)})
    if config.requests is not None:  # every run: statuses move with the run's date and the requests file
        from provaudit.stages.requests import run_requests

        t = time.monotonic()
        matched = run_requests(config, run_dir) or {}
        log("requests", "done", time.monotonic() - t, **(matched.get("totals") or {}))
        # validation is reused only when the requests' statuses and matches are the same too
        keys["validate"] += "-" + hashlib.sha256(json.dumps(
            [{k: v for k, v in r.items() if k != "closed_by"} for r in matched.get("requests", [])],
            sort_keys=True).encode()).hexdigest()[:16]
    stage("validate", lambda: run_validation(config, run_id),
          lambda r: {"passed": sum(v.success for v in r.verdicts),
                     "failed": sum(not v.success for v in r.verdicts)})
    with open(os.path.join(run_dir, "validation", "results.json"), encoding="utf-8") as fh:
        validation = json.load(fh)

    t = time.monotonic()
    disclosed = lineage.around("disclose", lambda: run_disclose(config, run_id, mode="nightly" if incremental else "run"))
    log("disclose", "done", time.monotonic() - t, files=len(disclosed.files))
    results["disclose"] = disclosed

    ended = datetime.now(timezone.utc)
    record = dict(disclosed.record or {}, started=started.isoformat(timespec="seconds"),
                  ended=ended.isoformat(timespec="seconds"), duration_seconds=round(time.monotonic() - clock, 3))
    finish_run(config, run_dir, record, history_runs)
    new = newly_failing(disclosed.drift, validation)
    success = bool(validation.get("success"))
    code = 0 if success or (fail_on == "new" and not new) else 1
    log("run", "complete", time.monotonic() - clock, run=run_id, success=success,
        newly_failing=len(new), exit_code=code)
    return {"run_dir": run_dir, "run_id": run_id, "code": code, "validation": validation,
            "drift": disclosed.drift, "newly_failing": new, "record": record, "results": results,
            "previous": previous}
