"""Exports for people: the source profile as CSV and the run as an ``audit.xlsx`` workbook.

Contract: ``write_profile_csv`` writes ``profiles/source_profile.csv`` with exactly the rows
and columns of ``profiles/source_profile.parquet`` (column order as in the Parquet, rows
sorted by source, JSON-string columns as they are, null as an empty cell, booleans as
``true``/``false``). ``write_workbook`` writes ``audit.xlsx`` with XlsxWriter, three sheets:

- **Sources**: the same columns and rows as the CSV, numbers as numbers;
- **Failures**: each failed expectation of ``validation/results.json`` with its requirement
  ids, the failing sources or batches, and -- when ``evidence/<slug>.csv`` exists
  (``evidence_slugs``) -- that file's name and its number of data rows (empty otherwise);
- **Open statements**: every human field of ``disclosures/<kind>.json`` not yet filled (a
  field counts as filled when it carries a non-empty ``text``): kind, field id, label, hint.

Each sheet has a formatted, frozen header row, an autofilter and column widths fitted to
the text (at most 60 characters).

Never a formula: spreadsheet programs run a cell that starts with ``=`` (and some with
``+``, ``-`` or ``@``) as a formula, so a corpus or registry value such as
``=HYPERLINK(...)`` could become a live link. In the workbook every text is written with
``write_string`` (and the workbook converts no string to a formula, URL or number), so it
stays text. In the CSV, which has no types, a text value starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is written with a leading ``'`` (OWASP's advice for CSV
injection); numbers are never prefixed, and the Parquet stays the exact copy.

Determinism: same run files, same bytes. XlsxWriter stamps every ZIP member with one fixed
date in 1980 (not the clock); the workbook's created date is set to the run's start
(``manifest.json`` ``started``), or the Unix epoch when it has none.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

from provaudit.core.errors import InputError
from provaudit.core.verdicts import evidence_slug, verdict_ids

__all__ = [
    "DISCLOSURE_KINDS",
    "csv_cell",
    "evidence_slugs",
    "profile_rows",
    "write_profile_csv",
    "write_workbook",
]

# The disclosures whose human fields the workbook lists (disclosures/<kind>.json).
DISCLOSURE_KINDS = (
    "legitimate_sources",
    "labelling_process",
    "cn_filing_annex",
    "eu_training_summary",
    "ca_ab2013",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MAX_WIDTH = 60


def csv_cell(value: Any) -> str:
    """One CSV cell: null empty, booleans lower case, risky text prefixed with ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return str(value)


def profile_rows(run_dir: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The source profile's column names (Parquet order) and rows sorted by source."""
    import pyarrow.parquet as pq

    path = os.path.join(run_dir, "profiles", "source_profile.parquet")
    if not os.path.isfile(path):
        raise InputError(f"{path}: no source profile; run `provaudit profile CONFIG` first")
    table = pq.read_table(path)
    rows = sorted(table.to_pylist(), key=lambda row: str(row.get("source")))
    return list(table.column_names), rows


def write_profile_csv(run_dir: str) -> str:
    """Write ``profiles/source_profile.csv`` beside the Parquet; return its path."""
    columns, rows = profile_rows(run_dir)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row[c]) for c in columns])
    path = os.path.join(run_dir, "profiles", "source_profile.csv")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(out.getvalue())
    return path


def evidence_slugs(verdicts: Sequence[dict[str, Any]]) -> list[str]:
    """The evidence file name (without ``.csv``) of each verdict, in the order given."""
    return [evidence_slug(vid) for vid in verdict_ids(verdicts)]


def _evidence(run_dir: str, slug: str) -> tuple[str, int | None]:
    relative = f"evidence/{slug}.csv"
    path = os.path.join(run_dir, relative)
    if not os.path.isfile(path):
        return "", None
    with open(path, encoding="utf-8", newline="") as fh:
        count = sum(1 for _ in csv.reader(fh)) - 1  # the header row
    return relative, max(count, 0)


def _load_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError as error:
        raise InputError(f"{path}: missing; run the earlier stages first") from error
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not JSON ({error})") from error


def failure_rows(run_dir: str) -> list[list[Any]]:
    """One row per failed expectation, in the order of ``validation/results.json``."""
    path = os.path.join(run_dir, "validation", "results.json")
    verdicts = _load_json(path).get("verdicts")
    if not isinstance(verdicts, list):
        raise InputError(f"{path}: key 'verdicts' is not a list")
    rows = []
    for verdict, slug in zip(verdicts, evidence_slugs(verdicts)):
        if verdict.get("success"):
            continue
        evidence, count = _evidence(run_dir, slug)
        rows.append([
            str(verdict.get("suite", "")),
            str(verdict.get("column") or ""),
            str(verdict.get("description", "")),
            "; ".join(verdict.get("requirement_ids") or []),
            str(verdict.get("severity", "")),
            "; ".join(str(f) for f in verdict.get("failing") or []),
            evidence or None,  # left empty when there is no evidence file
            count,
        ])
    return rows


def open_statement_rows(run_dir: str) -> list[list[Any]]:
    """One row per unfilled human field of each disclosure: kind, field id, label, hint."""
    rows = []
    for kind in DISCLOSURE_KINDS:
        path = os.path.join(run_dir, "disclosures", f"{kind}.json")
        if not os.path.isfile(path):
            continue
        for number, section in enumerate(_load_json(path).get("sections") or []):
            for field in section.get("human_fields") or []:
                if not isinstance(field, dict) or "id" not in field:
                    raise InputError(f"{path}: sections[{number}].human_fields: a field without 'id'")
                if str(field.get("text") or "").strip():
                    continue
                rows.append([kind, str(field["id"]), str(field.get("label", "")),
                             str(field.get("hint", ""))])
    return rows


def _created(run_dir: str) -> dt.datetime:
    """The run's start from ``manifest.json`` (naive UTC), else the Unix epoch."""
    path = os.path.join(run_dir, "manifest.json")
    started = ""
    if os.path.isfile(path):
        started = str(_load_json(path).get("started") or "")
    try:
        when = dt.datetime.fromisoformat(started.replace("Z", "+00:00"))
    except ValueError:
        return dt.datetime(1970, 1, 1)
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return when.replace(microsecond=0)


def write_workbook(run_dir: str, title: str = "provaudit audit") -> str:
    """Write ``<run>/audit.xlsx`` (Sources, Failures, Open statements); return its path."""
    import xlsxwriter

    columns, rows = profile_rows(run_dir)
    path = os.path.join(run_dir, "audit.xlsx")
    workbook = xlsxwriter.Workbook(path, {
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
        "nan_inf_to_errors": True,
    })
    workbook.set_properties({"title": title, "author": "provaudit",
                             "created": _created(run_dir)})
    header = workbook.add_format({"bold": True, "bg_color": "#DDE4EE", "bottom": 1,
                                  "text_wrap": True, "valign": "top"})
    _sheet(workbook, "Sources", columns, ([row[c] for c in columns] for row in rows), header)
    _sheet(workbook, "Failures",
           ["suite", "column", "finding (expectation)", "requirement ids", "severity",
            "failing sources or batches", "evidence file", "evidence rows"],
           failure_rows(run_dir), header)
    _sheet(workbook, "Open statements", ["disclosure", "field id", "label", "hint"],
           open_statement_rows(run_dir), header)
    workbook.close()
    return path


def _sheet(workbook: Any, name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
           header: Any) -> None:
    sheet = workbook.add_worksheet(name)
    widths = [len(c) for c in columns]
    for col, label in enumerate(columns):
        sheet.write_string(0, col, label, header)
    count = 0
    for count, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(count, col, value)
            elif isinstance(value, (int, float)):
                sheet.write_number(count, col, value)
            else:
                sheet.write_string(count, col, str(value))
            widths[col] = max(widths[col], len(str(value)))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(count, 1), len(columns) - 1)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, min(width, _MAX_WIDTH) + 2)
