"""The requirement catalogue as a document for users: ``docs/requirements.md``.

Contract: :func:`render_requirements_markdown` returns the Markdown of the catalogue,
generated from the package's own data and nothing else: the requirement catalogue
(:func:`provaudit.core.requirements.load_requirements` and
:func:`~provaudit.core.requirements.regulations`), the expectation suites shipped under
``provaudit/expectations/*.json`` (each expectation's ``meta.requirement_ids`` and its
``$PARAMETER`` thresholds) and the thresholds' defaults
(:class:`provaudit.core.config.ValidationSettings`). It has

  * one table per regulation, in catalogue order: id (recommended clauses marked), the
    requirement, its evidence as the catalogue words it, who evidences it (``data``,
    ``data + statement``, ``statement only``) and the suites that cite the id;
  * one table of the suites' configurable thresholds: the ``validation:`` key, its default,
    the expectations that use it with the ids they cite, and whose figure it is. A figure is
    the regulation's when it is written in the text of a requirement the expectation cites
    (``0.05`` as ``5%``), and the clause is quoted; otherwise it is provaudit's default.
    Sentences of the cited requirements' evidence texts that speak of provaudit's defaults
    are quoted as they are.

Pure and deterministic: no clock, no path of this machine; the same package data gives the
same text. ``python -m provaudit.reports.catalogue_doc > docs/requirements.md`` writes it
(UTF-8); ``tests/test_docs.py`` fails when the committed file differs.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from provaudit.core.config import ValidationSettings
from provaudit.core.requirements import Requirement, load_requirements, regulations

REGENERATE = "python -m provaudit.reports.catalogue_doc > docs/requirements.md"

WHO = {"none": "data", "part": "data + statement", "only": "statement only"}


def _suites() -> list[dict[str, Any]]:
    """The suite documents shipped in the package, sorted by file name."""
    folder = resources.files("provaudit").joinpath("expectations")
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".json"))
    out = []
    for name in names:
        try:
            doc = json.loads(folder.joinpath(name).read_text("utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"expectations/{name}: not valid JSON: {exc}") from exc
        if not isinstance(doc.get("expectations"), list):
            raise ValueError(f"expectations/{name}: expectations: missing or not a list")
        out.append({"file": name, "name": doc.get("name") or name.removesuffix(".json"), "doc": doc})
    return out


def _parameters(value: Any) -> list[str]:
    """Every ``$PARAMETER`` name inside an expectation's kwargs, in document order."""
    if isinstance(value, Mapping):
        if set(value) == {"$PARAMETER"}:
            return [str(value["$PARAMETER"])]
        return [p for v in value.values() for p in _parameters(v)]
    if isinstance(value, list):
        return [p for v in value for p in _parameters(v)]
    return []


def _cell(text: Any) -> str:
    """One Markdown table cell: single line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> list[str]:
    columns = list(columns)
    lines = ["| " + " | ".join(columns) + " |", "| " + " | ".join("---" for _ in columns) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _anchor(key: str) -> str:
    return f"regulation-{key}"


def _figure_patterns(value: Any) -> list[str]:
    """How a threshold value would be written in a requirement text."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [rf"(?<![\d.,]){value}(?!\d|[.,]\d)"]
    if isinstance(value, float):
        pct = f"{round(value * 100, 6):g}"
        return [rf"(?<![\d.,]){re.escape(pct)}\s?%"]
    return []


def _regulation_clause(value: Any, cited: list[Requirement]) -> str | None:
    """The clause of a cited requirement that states the value, as 'ID: "clause"'."""
    for pattern in _figure_patterns(value):
        for req in cited:
            for clause in req.requirement.split(";"):
                if re.search(pattern, clause):
                    return f'{req.id}: "{clause.strip()}"'
    return None


def _provaudit_notes(cited: list[Requirement]) -> list[str]:
    """Sentences of the cited evidence texts that say which figures are provaudit's."""
    notes = []
    for req in cited:
        for sentence in re.split(r"(?<=\.)\s+", req.evidence):
            if "provaudit" in sentence and f'{req.id}: "{sentence.rstrip(".")}"' not in notes:
                notes.append(f'{req.id}: "{sentence.rstrip(".")}"')
    return notes


def render_requirements_markdown() -> str:
    """Return ``docs/requirements.md``: the catalogue by regulation, with suites and thresholds."""
    catalogue = load_requirements()
    regs = regulations()
    suites = _suites()

    cited_by: dict[str, dict[str, list[str]]] = {}  # id -> suite -> severities of its citing expectations
    uses: dict[str, list[tuple[str, str, list[str]]]] = {}  # parameter -> (suite, description, ids)
    for suite in suites:
        for i, exp in enumerate(suite["doc"]["expectations"]):
            meta = exp.get("meta") or {}
            ids = meta.get("requirement_ids")
            if not isinstance(ids, list) or not ids:
                raise ValueError(f"expectations/{suite['file']}: expectations[{i}].meta.requirement_ids: "
                                 "missing or empty")
            for rid in ids:
                if rid not in catalogue:
                    raise ValueError(f"expectations/{suite['file']}: expectations[{i}].meta.requirement_ids: "
                                     f"{rid!r} is not in the requirement catalogue")
                severity = str(exp.get("severity") or "critical")
                severities = cited_by.setdefault(rid, {}).setdefault(suite["name"], [])
                if severity not in severities:
                    severities.append(severity)
            for param in dict.fromkeys(_parameters(exp.get("kwargs", {}))):
                uses.setdefault(param, []).append((suite["name"], meta.get("description", ""), list(ids)))

    out = [
        "# Requirement catalogue",
        "",
        (f"<!-- Generated by `{REGENERATE}` from the package's requirement catalogue and expectation "
        "suites. Do not edit by hand: edit the catalogue or a suite, then regenerate. -->"),
        "",
        ("These are the requirements that provaudit checks, grouped by regulation. Each one has a stable "
        "id. You will see the ids in the expectation suites, in the validation results, in the Data Docs "
        "and in the working copies of the disclosures. The ids and texts come from one file in the "
        "package, [`src/provaudit/core/requirements.yaml`](../src/provaudit/core/requirements.yaml). "
        "The suites are in [`expectations/`](../expectations/). This page is generated from those two "
        "sources, so it always matches what a run checks."),
        "",
        "How to read the tables:",
        "",
        "- **requirement**: what the regulation asks, in short.",
        ("- **evidence**: what provaudit takes as evidence for it, in the catalogue's own words. Where the "
        "evidence text names a figure as provaudit's default, the regulation does not set that figure."),
        ("- **evidenced by**: `data` means the run's data evidences it. `data + statement` means the data "
        "evidences part of it and a person must state the rest in the statements file. `statement only` "
        "means no data can evidence it. The disclosures list each statement that is still needed as an "
        "open field."),
        ("- **checked by suites**: the expectation suites with at least one expectation that cites the "
        "id, with the severity of those expectations. When a `critical` expectation fails, the run "
        "fails (exit code 1). A failed `warning` expectation is reported, but the run still passes. "
        "A run passes or fails an id only through these expectations. `—` means that no expectation "
        "checks the id, so it never changes the run's verdict."),
        ("- **(recommended)**: TC260-003 words the clause 宜 (\"should preferably\"). Reports show it, "
        "but it never changes a verdict."),
        "",
        "| regulation | requirements |",
        "| --- | ---: |",
    ]
    by_reg: dict[str, list[Requirement]] = {key: [] for key in regs}
    for req in catalogue.values():
        by_reg[req.regulation].append(req)
    for key, name in regs.items():
        out.append(f"| [{_cell(name)}](#{_anchor(key)}) | {len(by_reg[key])} |")

    for key, name in regs.items():
        out += ["", f'<a id="{_anchor(key)}"></a>', "", f"## {name}", ""]
        if not by_reg[key]:
            out.append("The catalogue lists no requirement of this regulation.")
            continue
        out += _table(
            ["id", "requirement", "evidence", "evidenced by", "checked by suites"],
            [[f"`{r.id}`" + (" (recommended)" if r.recommended else ""), r.requirement, r.evidence,
              WHO[r.statement],
              ", ".join(f"`{s}` ({', '.join(sorted(sev))})" for s, sev in cited_by.get(r.id, {}).items()) or "—"]
             for r in by_reg[key]])

    defaults = ValidationSettings()._asdict()
    rows = []
    for param, default in defaults.items():
        used = uses.get(param, [])
        ids = list(dict.fromkeys(rid for _, _, rids in used for rid in rids))
        cited = [catalogue[rid] for rid in ids]
        clause = _regulation_clause(default, cited)
        whose = (f"the regulation's ({clause})" if clause
                 else "provaudit's default: the cited requirements set no figure" if used
                 else "provaudit's default: no expectation uses it")
        notes = _provaudit_notes(cited)
        if notes:
            whose += "; the catalogue says: " + "; ".join(notes)
        checks = "; ".join(f"`{s}`: {d}" for s, d, _ in used) or "—"
        rows.append([f"`validation.{param}`", default, checks, ", ".join(f"`{i}`" for i in ids) or "—", whose])
    out += [
        "",
        '<a id="thresholds"></a>',
        "",
        "## Thresholds",
        "",
        ("These are the figures the suites check against. You can set each one in the run config's "
        "`validation:` mapping. The default applies when you leave a key out. A figure is the "
        "regulation's when it is written in the text of a requirement that the expectation cites, and "
        "that clause is quoted here. Otherwise it is provaudit's default. Where the catalogue's evidence "
        "text says which figures are provaudit's, the table quotes that text. The suites also hold some "
        "fixed limits that no setting changes, such as no opted-out documents or every labelled item by "
        "a trained annotator. Each of those is the requirement itself."),
        "",
    ]
    out += _table(["setting", "default", "checked by (suite: expectation)", "cites", "whose figure"], rows)
    return "\n".join(out) + "\n"


def main() -> int:
    """Write the document to standard output as UTF-8."""
    sys.stdout.buffer.write(render_requirements_markdown().encode("utf-8"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
