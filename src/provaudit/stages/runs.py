"""Run folders: where each run of a config lives, and which one a stage reads.

Each run is a folder ``<output>/<run_id>/`` where ``run_id`` is the UTC start time plus
the first 8 hex digits of the config hash. A stage given no run id reads the latest run.
"""

from __future__ import annotations

import os
from typing import Optional

from provaudit.beam.io import join_path, read_bytes
from provaudit.core.errors import InputError


def read_text(path: str) -> str:
    """Read a whole UTF-8 file on any Beam filesystem."""
    return read_bytes(path).decode("utf-8")


def find_run(output: str, run_id: Optional[str] = None) -> str:
    """Return the folder of run ``run_id``, or of the latest run with a manifest."""
    if "://" in output:
        if run_id is None:
            raise InputError(f"{output}: give --run RUN_ID for runs on a remote filesystem")
        return join_path(output, run_id)
    if run_id is not None:
        if "/" in run_id or run_id in ("", ".", ".."):
            raise InputError(f"--run {run_id!r}: not a run id")
        path = os.path.join(output, run_id)
        if not os.path.isfile(os.path.join(path, "manifest.json")):
            raise InputError(f"{path}: no such run (no manifest.json)")
        return path
    runs = sorted(d for d in (os.listdir(output) if os.path.isdir(output) else [])
                  if os.path.isfile(os.path.join(output, d, "manifest.json")))
    if not runs:
        raise InputError(f"{output}: no scan run yet; run `provaudit scan CONFIG` first")
    return os.path.join(output, runs[-1])
