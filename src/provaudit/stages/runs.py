"""Run folders and their life cycle: which run a stage reads, which runs are complete.

Each run is a folder ``<output>/<run_id>/`` where ``run_id`` is the UTC start time plus
the first 8 hex digits of the config hash. The life cycle, written so that a run killed
at any moment is never mistaken for a finished one:

- each stage writes ``<run>/_status/<stage>.json`` as its last act (its counts and
  duration); a stage given no run id reads the newest run whose previous stage wrote its
  marker, so a killed scan or overlap is never picked by the stage after it;
- when every stage is done, :func:`complete_run` writes ``<run>/COMPLETE`` last of the
  run's own files, then appends the run's row to ``<output>/history.parquet`` and points
  ``<output>/latest`` at it (both replaced atomically: written to a temporary name, then
  renamed). A run without ``COMPLETE`` is incomplete: it never becomes ``latest`` and no
  later night reuses anything from it.

Local output folders only for the history and the pointer (object stores have no
atomic rename); on a remote output the stages still run and write their markers.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, NamedTuple, Optional

from provaudit.beam.io import join_path, read_bytes, write_bytes
from provaudit.core.errors import InputError
from provaudit.core.jsontext import json_bytes

STAGES = ("scan", "overlap", "profile", "validate", "disclose")
COMPLETE = "COMPLETE"
LATEST = "latest"
HISTORY = "history.parquet"
_STATUS = "_status"
_RUN_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}(-\d+)?$")  # what stages.scan.new_run_id makes


def read_text(path: str) -> str:
    """Read a whole UTF-8 file on any Beam filesystem."""
    return read_bytes(path).decode("utf-8")


def mark_stage_done(run_dir: str, stage: str, facts: dict[str, Any]) -> None:
    """Write a stage's completion marker (its last act): ``<run>/_status/<stage>.json``."""
    write_bytes(join_path(run_dir, _STATUS, f"{stage}.json"), json_bytes({"stage": stage, **facts}))


def stage_facts(run_dir: str, stage: str) -> Optional[dict[str, Any]]:
    """Return what a stage's marker says, or None when the stage did not complete."""
    try:
        return json.loads(read_text(join_path(run_dir, _STATUS, f"{stage}.json")))
    except (OSError, ValueError):
        return None
    except Exception:  # noqa: BLE001 - remote filesystems raise their own errors for a missing file
        return None


def is_complete(run_dir: str) -> bool:
    """Whether a run completed every stage (its ``COMPLETE`` marker exists)."""
    return "://" not in run_dir and os.path.isfile(os.path.join(run_dir, COMPLETE))


def _previous_stage(stage: Optional[str]) -> Optional[str]:
    if stage is None or stage not in STAGES or stage == STAGES[0]:
        return None
    return STAGES[STAGES.index(stage) - 1]


def _check_run_id(run_id: str) -> None:
    if "/" in run_id or "\\" in run_id or run_id in ("", ".", "..") or run_id.startswith("."):
        raise InputError(f"--run {run_id!r}: not a run id")


def _tracked(run_dir: str) -> bool:
    """Whether a run folder keeps stage markers (its scan wrote one); folders assembled by
    hand from another run's files (a profile and a manifest) are read as they are."""
    return stage_facts(run_dir, "scan") is not None


def read_manifest(run_dir: str) -> dict[str, Any]:
    """Return a run's ``manifest.json``; a missing, truncated or malformed one is an InputError."""
    path = join_path(run_dir, "manifest.json")
    try:
        manifest = json.loads(read_text(path))
    except FileNotFoundError:
        raise InputError(f"{path}: no such run (no manifest.json)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: not a readable manifest ({type(exc).__name__}: {exc}); the scan that "
                         "wrote it was interrupted or the file was damaged: run `provaudit scan CONFIG` "
                         "again") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("reconciliation"), dict):
        raise InputError(f"{path}: not a provaudit scan manifest (no 'reconciliation' object); "
                         "run `provaudit scan CONFIG` again")
    return manifest


def _scan_identity(manifest: dict[str, Any]) -> tuple[str, Any]:
    """What a manifest says decided its ledger: its scan hash (older runs: the config hash)."""
    return ("scan_hash", manifest["scan_hash"]) if "scan_hash" in manifest else ("config_hash", manifest.get("config_hash"))


def _matches(manifest: dict[str, Any], config: Any) -> bool:
    key, value = _scan_identity(manifest)
    return value == getattr(config, key)


def check_run(run_dir: str, config: Any, force: bool = False) -> list[str]:
    """Refuse to read a run that is not a unit of this config: scanned with other sources or
    scan settings, or not reconciled. Returns the problems (empty when none); raises
    InputError unless ``force``.

    A run belongs to a config when its manifest's ``scan_hash`` (the registry, ``scan:`` and
    ``pii:``, which decide the ledger) is the config's: statements, disclosure, validation
    and inspection settings may change between stages without a new scan. It is reconciled
    when its manifest says ``read == ledger + quarantined + skipped`` held for every shard.
    ``force`` is for a person who knows why: the problems are returned for the caller to say.
    """
    manifest = read_manifest(run_dir)
    run_id = os.path.basename(run_dir.rstrip("/"))
    problems = []
    if not _matches(manifest, config):
        problems.append(f"run {run_id} was scanned by another config ({manifest.get('config', '?')}) with other "
                        "sources or scan settings (registry, scan: or pii:): its ledger is not this config's")
    if manifest["reconciliation"].get("ok") is not True:
        detail = "; ".join(str(p) for p in manifest["reconciliation"].get("problems") or [])[:300]
        problems.append(f"run {run_id} did not reconcile (its record counts do not add up"
                        f"{': ' + detail if detail else ''}): some documents are unaccounted for")
    if problems and not force:
        raise InputError("; ".join(problems) + ". Scan again with this config, or give --force to read "
                         "this run anyway")
    return problems


def find_run(output: str, run_id: Optional[str] = None, stage: Optional[str] = None, *,
             config: Any = None, force: bool = False) -> str:
    """Return the folder of run ``run_id``, or of the newest run ``stage`` may read.

    With no run id, the newest run whose previous stage completed (for ``stage=None``,
    the newest with a manifest); with ``config``, the newest such run this config's sources
    and scan settings made (see :func:`check_run`). With a run id, that run; with ``config``
    it is checked with :func:`check_run` (another config's run, or an unreconciled one, is
    refused unless ``force``); when it has stage markers and the stage before ``stage`` did
    not complete, say so instead of reading half a run.
    """
    before = _previous_stage(stage)
    if "://" in output:
        if run_id is None:
            raise InputError(f"{output}: give --run RUN_ID for runs on a remote filesystem")
        _check_run_id(run_id)
        path = join_path(output, run_id)
        if config is not None:
            check_run(path, config, force)
        return path
    if run_id is not None:
        _check_run_id(run_id)
        path = os.path.join(output, run_id)
        if not os.path.isfile(os.path.join(path, "manifest.json")):
            raise InputError(f"{path}: no such run (no manifest.json)")
        if config is not None:
            check_run(path, config, force)
        if before and _tracked(path) and stage_facts(path, before) is None:
            raise InputError(f"{path}: its {before} stage did not complete (killed or failed); "
                             f"run `provaudit {before} CONFIG --run {run_id}` first")
        return path
    runs = [r for r in list_run_ids(output) if os.path.isfile(os.path.join(output, r, "manifest.json"))]
    if before:
        runs = [r for r in runs if stage_facts(os.path.join(output, r), before) is not None
                or not _tracked(os.path.join(output, r))]
    if not runs:
        what = f"with a completed {before} stage" if before else "yet"
        raise InputError(f"{output}: no scan run {what}; run `provaudit scan CONFIG` first")
    if config is None:
        return os.path.join(output, runs[-1])
    for candidate in reversed(runs):  # newest first; stop at the first of this config
        path = os.path.join(output, candidate)
        try:
            mine = _matches(read_manifest(path), config)
        except InputError:
            mine = candidate.split("-")[1:2] == [config.config_hash[:8]]  # ours by its id: say it is damaged
        if mine:
            check_run(path, config, force)
            return path
    if force:
        check_run(os.path.join(output, runs[-1]), config, force=True)
        return os.path.join(output, runs[-1])
    raise InputError(f"{output}: no run of this config (its sources and scan settings) "
                     + (f"with a completed {before} stage" if before else "yet")
                     + f"; the newest, {runs[-1]}, was scanned by another config. Run `provaudit scan "
                     f"CONFIG` first, or give --run {runs[-1]} --force to read it anyway")


def list_run_ids(output: str) -> list[str]:
    """Return the run folders of an output folder, oldest first."""
    if "://" in output or not os.path.isdir(output):
        return []
    return sorted(d for d in os.listdir(output)
                  if os.path.isdir(os.path.join(output, d))
                  and (_RUN_ID.match(d) or os.path.isfile(os.path.join(output, d, "manifest.json"))))


class RunState(NamedTuple):
    """One run folder's state, as ``provaudit runs`` lists it."""

    run_id: str
    state: str  # complete | incomplete
    stages: tuple[str, ...]  # stages that wrote their marker, in stage order
    latest: bool
    mode: str  # run | nightly | "" (stages run one by one)


def latest_run_id(output: str) -> Optional[str]:
    """Return the run ``<output>/latest`` points at, when it is a complete run."""
    try:
        with open(os.path.join(output, LATEST), encoding="utf-8") as fh:
            run_id = fh.read().strip()
    except OSError:
        return None
    if not run_id or "/" in run_id or not is_complete(os.path.join(output, run_id)):
        return None
    return run_id


def previous_complete(output: str, before: Optional[str] = None) -> Optional[str]:
    """Return the folder of the newest complete run (older than run ``before`` when given)."""
    for run_id in reversed(list_run_ids(output)):
        if before is not None and run_id >= before:
            continue
        path = os.path.join(output, run_id)
        if is_complete(path):
            return path
    return None


def list_runs(output: str) -> list[RunState]:
    """Every run of an output folder with its state, oldest first."""
    latest = latest_run_id(output)
    out = []
    for run_id in list_run_ids(output):
        path = os.path.join(output, run_id)
        done = tuple(s for s in STAGES if stage_facts(path, s) is not None)
        mode = ""
        if is_complete(path):
            try:
                with open(os.path.join(path, COMPLETE), encoding="utf-8") as fh:
                    mode = str(json.load(fh).get("mode", ""))
            except (OSError, ValueError):
                mode = ""
        out.append(RunState(run_id, "complete" if is_complete(path) else "incomplete", done,
                            run_id == latest, mode))
    return out


def _replace_atomically(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def complete_run(output: str, run_dir: str, record: dict[str, Any]) -> None:
    """Mark a run complete, add its row to the history and make it ``latest``.

    ``record`` is the run's history row (:data:`provaudit.core.history.HISTORY_FIELDS`).
    The order is what makes a kill at any point safe: the marker first (an unmarked run is
    never read again), then the history (rebuilt from the old rows plus this one, renamed
    into place), then the pointer.
    """
    if "://" in run_dir:
        return
    missing = [s for s in STAGES if stage_facts(run_dir, s) is None]
    if missing:
        raise InputError(f"{run_dir}: cannot mark complete: {', '.join(missing)} did not complete")
    write_bytes(os.path.join(run_dir, COMPLETE), json_bytes({"run_id": record["run_id"],
                                                              "mode": record.get("mode", "")}))
    from provaudit.core.history import history_table, merge_history

    rows = merge_history(read_history(output), record)
    import io

    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(history_table(rows), buf, compression="zstd")
    _replace_atomically(os.path.join(output, HISTORY), buf.getvalue())
    _replace_atomically(os.path.join(output, LATEST), (record["run_id"] + "\n").encode("utf-8"))


def read_history(output: str) -> list[dict[str, Any]]:
    """Return the history rows of an output folder (oldest first), [] when there is none."""
    path = os.path.join(output, HISTORY)
    if "://" in output or not os.path.isfile(path):
        return []
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pylist()
    except Exception as exc:  # noqa: BLE001 - a damaged history must be named, not crash a night
        raise InputError(f"{path}: cannot read the run history: {exc}") from None
