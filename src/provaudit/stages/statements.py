"""The ``statements`` verb: write the statements template for a run's disclosures.

``statements_template_for(config, run_id)`` reads the disclosures a run wrote
(``<run>/disclosures/<kind>.json``: the latest complete run, or the run given) and the
configured ``statements:`` file when it exists, and returns the YAML a person fills
(:func:`provaudit.reports.statements.statements_template`): every field of every
disclosure with its label, hint, requirement text and who fills it, the values already
given kept. Entries of the configured file that name no field of the run are returned
apart, so the command can say they were left out. It writes nothing itself.
"""

from __future__ import annotations

import json
import os
from typing import Any

from provaudit.core.config import RunConfig
from provaudit.core.errors import InputError
from provaudit.core.statements import read_statements_raw, split_key
from provaudit.reports.disclosures import KINDS
from provaudit.reports.statements import field_ids, statements_template
from provaudit.stages.runs import find_run, latest_run_id


def _run_dir(config: RunConfig, run_id: str | None) -> str:
    if run_id is not None:
        return find_run(config.output, run_id)
    latest = latest_run_id(config.output)
    if latest is None:
        raise InputError(f"{config.output}: no complete run yet; run `provaudit run CONFIG` first, "
                         "or give --run RUN_ID of a run whose disclose stage finished")
    return os.path.join(config.output, latest)


def statements_template_for(config: RunConfig, run_id: str | None = None) -> tuple[str, list[str], str]:
    """Return (template YAML, keys of the configured file left out, the run's folder)."""
    run_dir = _run_dir(config, run_id)
    documents: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        path = os.path.join(run_dir, "disclosures", f"{kind}.json")
        if not os.path.isfile(path):
            raise InputError(f"{path}: no such disclosure; run `provaudit disclose CONFIG --run "
                             f"{os.path.basename(run_dir)}` first")
        with open(path, encoding="utf-8") as fh:
            documents[kind] = json.load(fh)
    existing: dict[str, dict[str, Any]] = {}
    if config.statements and os.path.isfile(config.statements):
        existing = read_statements_raw(config.statements)
    ids = field_ids(documents)
    every = {fid for v in ids.values() for fid in v}
    dropped = []
    for key in sorted(existing):
        kind, fid = split_key(key, list(ids))
        if not ((kind is None and fid in every) or (kind is not None and fid in ids[kind])):
            dropped.append(key)
    text = statements_template(documents, existing, os.path.basename(run_dir), KINDS)
    return text, dropped, run_dir
