"""The validate stage: run the Great Expectations suites on a run's profiles; build offline Data Docs.

Contract: the suites are the JSON files under ``expectations/`` (shipped in the package);
each expectation's ``meta`` names the requirement ids (REGULATIONS.md) it evidences and
says in plain language what it checks. Thresholds are suite parameters filled from the
run config's ``validation:`` mapping (regulatory defaults in
:class:`~provaudit.core.config.ValidationSettings`). Validation reads the profiles only (one
row per source or labelling batch), so its cost does not grow with the corpus.

Outputs under ``<run>/``: ``docs/`` (GX Data Docs, made to work offline by
:mod:`provaudit.reports.datadocs`), ``validation/results.json`` (provaudit's compact verdicts: per
expectation its requirement ids, success and the failing sources or batches) and
``validation/gx/*.json`` (GX's own validation results). GX usage statistics are off.
"""

from __future__ import annotations

import html
import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Optional

from provaudit.core.config import RunConfig
from provaudit.core.jsontext import json_text

SUITES = {  # suite -> (profile table, the column naming each row)
    "legitimate_sources": ("source_profile", "source"),
    "labelling_process": ("labelling_profile", "batch"),
    "data_quality": ("source_profile", "source"),
    # content screening (TC260-003 5.2a, 5.1d, 5.1a-post per source; 9.2 and 8.1 over the corpus)
    "content_screening": ("source_profile", "source"),
    "corpus_assessment": ("corpus_assessment", "scope"),
    # one row per removal request, from <run>/requests.json; only when the config has requests:
    "removal_requests": ("request_status", "request"),
}
# columns shown beside each failing row in Data Docs
INDEX_COLUMNS = {"source_profile": ["source", "license_declared"], "labelling_profile": ["batch", "source"],
                 "request_status": ["request", "kind"], "corpus_assessment": ["scope"]}


def escape_frame(frame):
    """HTML-escape every text cell: GX 1.24's Data Docs insert failing rows' values unescaped.

    The suites compare text only with enum values (acquisition, role, kind, consent basis),
    which escaping leaves unchanged, and with the registered source names, which are
    escaped the same way (suite_parameters); results are unescaped again for results.json.
    """
    import html

    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        # object columns (pandas 2) and the string dtype (pandas 3's default for text)
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(lambda v: html.escape(v, quote=True) if isinstance(v, str) else v)
    return out


@lru_cache(maxsize=None)
def load_suite(name: str) -> dict[str, Any]:
    """Return a suite's JSON document from ``expectations/``."""
    return json.loads(resources.files("provaudit").joinpath("expectations", f"{name}.json").read_text("utf-8"))


def suite_parameters(config: RunConfig) -> dict[str, Any]:
    """Return the values of every ``$PARAMETER`` the suites use."""
    import html

    params: dict[str, Any] = dict(config.validation._asdict())
    params["max_library_age_days"] = config.screening.max_library_age_days  # CN-TC-8.1 (recommended)
    params["registered_sources"] = sorted(html.escape(s.name, quote=True) for s in config.sources)
    return params


@dataclass
class Verdict:
    """One expectation's outcome on one profile table."""

    suite: str
    expectation: str
    column: Optional[str]
    requirement_ids: list[str]
    description: str
    severity: str
    success: bool
    failing: list[str]  # the sources or batches that failed it
    observed: Any

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ValidationResult:
    """All verdicts of one validation, and where its outputs are."""

    run_dir: str
    verdicts: list[Verdict]

    @classmethod
    def load(cls, run_dir: str) -> "ValidationResult":
        """Read a run's validation outputs back (``validation/results.json``)."""
        with open(os.path.join(run_dir, "validation", "results.json"), encoding="utf-8") as fh:
            return cls(run_dir, [Verdict(**v) for v in json.load(fh)["verdicts"]])

    @property
    def success(self) -> bool:
        """True when every critical expectation passed."""
        return all(v.success for v in self.verdicts if v.severity == "critical")

    @property
    def docs_index(self) -> str:
        return os.path.join(self.run_dir, "docs", "index.html")

    @property
    def results_path(self) -> str:
        return os.path.join(self.run_dir, "validation", "results.json")


def _read_profile(run_dir: str, table: str):
    import pyarrow.parquet as pq

    from provaudit.core.errors import InputError

    path = os.path.join(run_dir, "profiles", f"{table}.parquet")
    if not os.path.isfile(path):
        raise InputError(f"{path}: no profile; run `provaudit profile CONFIG` first")
    return pq.read_table(path).to_pandas()


def _quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no usage statistics
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("great_expectations"):
            logging.getLogger(name).setLevel(logging.ERROR)
    logging.getLogger("great_expectations").setLevel(logging.ERROR)


def _parameter_names(spec: dict[str, Any]) -> tuple[str, ...]:
    """The ``$PARAMETER`` names of one suite expectation's kwargs, in kwarg order."""
    return tuple(v["$PARAMETER"] for v in spec.get("kwargs", {}).values()
                 if isinstance(v, dict) and "$PARAMETER" in v)


def _shown(value: Any) -> str:
    """A suite parameter's value as a reader reads it (source names unescaped)."""
    if isinstance(value, (list, tuple)):
        return ", ".join(html.unescape(str(v)) for v in value)
    return html.unescape(str(value))


def _annotation(r: Any, key: str, names: tuple[str, ...], params: dict[str, Any]) -> Any:
    """What the validation page shows of one result: ids, description, parameters, failing rows."""
    from provaudit.reports.datadocs import Annotation

    cfg, result = r.expectation_config, r.result or {}
    column = _column(cfg.kwargs)
    failing: dict[str, str] = {}
    for row in result.get("unexpected_index_list") or []:
        if isinstance(row, dict):
            name = html.unescape(str(row.get(key)))
            figure = row.get(column) if column else None
            failing[name] = f"{column} = {_shown(figure)}" if column else "fails"
    return Annotation(
        column=column, requirement_ids=tuple(cfg.meta.get("requirement_ids", [])),
        description=str(cfg.meta.get("description", "")),
        parameters=tuple((n, _shown(params[n])) for n in names if n in params),
        unit={"source": "sources", "batch": "batches", "scope": "assessments"}.get(key, "requests"),
        total=int(result.get("element_count") or 0), failing=tuple(sorted(failing.items())))


def _column(kwargs: Any) -> Optional[str]:
    """The column an expectation checks (a column pair's first column: ``column_A``)."""
    return kwargs.get("column") or kwargs.get("column_A")


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def run_validation(config: RunConfig, run_id: Optional[str] = None) -> ValidationResult:
    """Validate a run's profiles with the three suites; write Data Docs and results."""
    from provaudit.stages.runs import find_run, mark_stage_done

    started = time.monotonic()
    run_dir = find_run(config.output, run_id, "validate")
    suites = {n: v for n, v in SUITES.items() if n != "removal_requests" or getattr(config, "requests", None) is not None}
    frames = {table: escape_frame(_read_profile(run_dir, table)) for table, _ in set(suites.values())
              if table != "request_status"}
    if "removal_requests" in suites:  # matched again here, so the verdict is the run's own
        from provaudit.stages.requests import request_frame, run_requests

        frames["request_status"] = escape_frame(request_frame(run_requests(config, run_dir)))
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig

    _quiet_gx()  # again: importing GX sets its loggers up
    docs_dir = os.path.join(run_dir, "docs")
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    ctx.add_data_docs_site("provaudit", {
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": docs_dir},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    datasource = ctx.data_sources.add_pandas("provaudit_profiles")
    params = suite_parameters(config)
    verdicts: list[Verdict] = []
    gx_results: dict[str, Any] = {}
    annotations: dict[str, list[Any]] = {}  # suite -> Data Docs annotations, in result order
    parameter_names: dict[str, tuple[str, ...]] = {}  # expectation id -> its suite parameters
    for table in sorted({t for t, _ in suites.values()}):
        batch = datasource.add_dataframe_asset(table).add_batch_definition_whole_dataframe(table)
        definitions = []
        for name, (suite_table, _key) in suites.items():
            if suite_table != table:
                continue
            doc = load_suite(name)
            suite = ctx.suites.add(gx.ExpectationSuite(name=name, expectations=doc["expectations"],
                                                       meta=doc.get("meta", {})))
            for added, spec in zip(suite.expectations, doc["expectations"]):
                parameter_names[str(added.id)] = _parameter_names(spec)
            definitions.append(ctx.validation_definitions.add(
                gx.ValidationDefinition(name=f"{name}_on_{table}", data=batch, suite=suite)))
        key = SUITES[[n for n, (t, _) in SUITES.items() if t == table][0]][1]
        checkpoint = ctx.checkpoints.add(gx.Checkpoint(
            name=f"provaudit_{table}", validation_definitions=definitions,
            actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs", site_names=["provaudit"])],
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": INDEX_COLUMNS[table]},
        ))
        outcome = checkpoint.run(batch_parameters={"dataframe": frames[table]}, expectation_parameters=params,
                                 run_id=RunIdentifier(run_name=os.path.basename(run_dir)))
        for result in outcome.run_results.values():
            suite_name = result.suite_name
            gx_results[suite_name] = _jsonable(result.to_json_dict())
            for r in result.results:
                cfg = r.expectation_config
                failing = sorted({html.unescape(str(row.get(key)))
                                  for row in (r.result or {}).get("unexpected_index_list") or []
                                  if isinstance(row, dict)})
                annotations.setdefault(suite_name, []).append(
                    _annotation(r, key, parameter_names.get(str(cfg.id), ()), params))
                verdicts.append(Verdict(
                    suite=suite_name, expectation=cfg.type, column=_column(cfg.kwargs),
                    requirement_ids=list(cfg.meta.get("requirement_ids", [])),
                    description=cfg.meta.get("description", ""), severity=str(cfg.severity.value),
                    success=bool(r.success), failing=failing,
                    observed=_jsonable((r.result or {}).get("observed_value")),
                ))
    from provaudit.reports.datadocs import annotate_validation_pages, make_offline

    annotate_validation_pages(Path(docs_dir), annotations)
    if make_offline(Path(docs_dir), require_assets=False).degraded:
        print("provaudit: warning: Data Docs built without their browser assets "
              "(the package's datadocs_assets are missing or PROVAUDIT_DOCS_ASSETS points at an "
              "incomplete folder): styles and scripts left out; reinstall provaudit for the "
              "full pages", file=sys.stderr)
    order = list(SUITES)
    verdicts.sort(key=lambda v: order.index(v.suite))
    out_dir = os.path.join(run_dir, "validation")
    os.makedirs(os.path.join(out_dir, "gx"), exist_ok=True)
    summary = {
        "success": all(v.success for v in verdicts if v.severity == "critical"),
        "parameters": params,
        "verdicts": [v.as_dict() for v in verdicts],
    }
    Path(out_dir, "results.json").write_text(json_text(summary) + "\n", encoding="utf-8")
    for name, doc in gx_results.items():
        Path(out_dir, "gx", f"{name}.json").write_text(json_text(doc) + "\n", encoding="utf-8")
    mark_stage_done(run_dir, "validate", {"duration_seconds": round(time.monotonic() - started, 3),
                                          "passed": sum(v.success for v in verdicts),
                                          "failed": sum(not v.success for v in verdicts),
                                          "success": summary["success"]})
    return ValidationResult(run_dir, verdicts)
