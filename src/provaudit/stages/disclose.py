"""The disclose stage: profiles + validation results -> disclosures and the run's index page.

``run_disclose`` reads what the earlier stages wrote (manifest, overlap reports, profiles,
validation results, registry), builds the five disclosure documents
(:mod:`provaudit.reports.disclosures`), checks each against ``schemas/disclosure.schema.json``,
renders them (:mod:`provaudit.reports.render`) and writes under ``<run>/``:

    disclosures/<kind>.json | .md | .html   legitimate_sources, labelling_process,
                                            cn_filing_annex, eu_training_summary, ca_ab2013
    disclosures/croissant.json              Croissant JSON-LD with Responsible-AI fields
    disclosures/spdx.json                   SPDX 3.0 dataset document
    disclosures/public/<kind>.html | .md    publication copies (reports.publication): no
                                            verdicts, internal ids or empty boxes
    disclosures/<lang>/<kind>.html | .md | .json
                                            for each language of ``disclosure.languages``
                                            other than en (zh-CN), kind legitimate_sources,
                                            labelling_process and cn_filing_annex: the
                                            disclosure in that language (reports.localised,
                                            reports.cn_annex), every word from its message
                                            catalogue
    index.<lang>.html                       the index page in that language, linked from
                                            index.html and back
    profiles/source_profile.csv             the source profile for spreadsheets
    audit.xlsx                              sources, failures with evidence counts, open
                                            statement fields (reports.workbook)
    index.html                              the run's verdict, sources not legitimately
                                            documented and why, links to everything
    evidence/<expectation>.csv | .parquet   per failed expectation, the offending documents or
                                            items (:mod:`provaudit.stages.evidence`); also
                                            evidence/pii_examples.csv and evidence/index.json
                                            (and evidence/requests.csv with ``requests:``)

With ``requests:`` configured, every disclosure (working copies, each language) ends with a
``removal-requests`` section and ``facts.removal_requests``, and the index pages with a
section: counts of open, overdue and closed requests only (:mod:`provaudit.reports.requests`).
"""

from __future__ import annotations

import html
import json
import os
import time
from dataclasses import dataclass
from typing import Any, Optional

from provaudit.core.config import RunConfig
from provaudit.stages.runs import stage_facts
from provaudit.reports.disclosures import KINDS, TITLES
from provaudit.core.jsontext import json_text


@dataclass
class DiscloseResult:
    """Where the disclose stage wrote its outputs, and the index page's data."""

    run_dir: str
    files: list[str]
    index: dict[str, Any]
    drift: Optional[dict[str, Any]] = None  # against the previous complete run, when there is one
    record: Optional[dict[str, Any]] = None  # the run's history row

    @property
    def index_path(self) -> str:
        return os.path.join(self.run_dir, "index.html")


def _write(path: str, text: str) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def _json(value: Any) -> str:
    return json_text(value) + "\n"


def run_disclose(config: RunConfig, run_id: Optional[str] = None, mode: str = "") -> DiscloseResult:
    """Build, check, render and write every disclosure of a validated run, and its index page."""
    from provaudit.reports.disclosures import build_all, index_page, load_inputs, validate_document
    from provaudit.core.errors import InputError
    from provaudit.reports.exports import croissant, spdx_dataset
    from provaudit.core.history import drift, merge_history
    from provaudit.reports.history import render_drift, render_trends
    from provaudit.stages.runs import find_run, mark_stage_done, previous_complete, read_history
    from provaudit.reports.localised import LOCALISED_KINDS, index_in, localise
    from provaudit.reports.messages import t
    from provaudit.reports.render import render_html, render_index, render_markdown

    started = time.monotonic()
    languages = _languages(config)  # a config error, before anything is read or written
    run_dir = find_run(config.output, run_id, "disclose")
    if "://" in run_dir:
        raise InputError(f"{run_dir}: disclosures are written to local output folders only")
    if not os.path.isfile(os.path.join(run_dir, "validation", "results.json")):
        raise InputError(f"{run_dir}: no validation results; run `provaudit validate CONFIG` first")
    inputs = load_inputs(config, run_dir)
    documents = _with_statements(config, build_all(inputs))
    request_totals = _request_totals(config, run_dir)
    out = os.path.join(run_dir, "disclosures")
    files: list[str] = []
    links = [{"label": "Data Docs (Great Expectations)", "href": "docs/index.html",
              "description": "every expectation, its result and the failing rows"}]
    for kind in KINDS:
        doc = _with_requests(documents[kind], request_totals, "en")
        validate_document(doc)
        files.append(_write(os.path.join(out, f"{kind}.json"), _json(doc)))
        files.append(_write(os.path.join(out, f"{kind}.md"), render_markdown(doc)))
        files.append(_write(os.path.join(out, f"{kind}.html"), render_html(doc)))
        links.append({"label": TITLES[kind], "href": f"disclosures/{kind}.html",
                      "description": f"also as disclosures/{kind}.md and .json"})
    for lang in languages:
        if lang == "en":
            continue
        for kind in LOCALISED_KINDS:
            local = _with_requests(localise(documents[kind], lang, inputs.validation.get("parameters", {})),
                                   request_totals, lang)
            validate_document(local)
            base = os.path.join(out, lang, kind)
            files.append(_write(base + ".json", _json(local)))
            files.append(_write(base + ".md", render_markdown(local, lang)))
            files.append(_write(base + ".html", render_html(local, lang)))
            what = ("clause by clause, TC260-003 9.1; also as" if kind == "cn_filing_annex" else "also as")
            links.append({"label": f"{TITLES[kind]} ({lang})", "href": f"disclosures/{lang}/{kind}.html",
                          "description": f"{what} disclosures/{lang}/{kind}.md and .json"})
        language = t(f"lang.name.{lang}", "en")
        links.append({"label": t("index.link.other_language", "en", language=language), "href": f"index.{lang}.html",
                      "description": t("index.link.other_language.description", "en", language=language)})
    files += _write_publication_copies(config, documents, out, inputs.manifest)
    links += [{"label": f"Publication copy: {TITLES[kind]}", "href": f"disclosures/public/{kind}.html",
               "description": f"what the public sees; also as disclosures/public/{kind}.md"}
              for kind in KINDS]
    manifest = inputs.manifest
    licenses = ledger_license_counts(os.path.join(run_dir, "ledger"))
    files.append(_write(os.path.join(out, "croissant.json"), _json(croissant(
        manifest["run_id"], inputs.sources, inputs.source_profile, manifest, inputs.labelling_profile,
        document_licenses=licenses))))
    files.append(_write(os.path.join(out, "spdx.json"), _json(spdx_dataset(
        manifest["run_id"], inputs.sources, inputs.source_profile, manifest, document_licenses=licenses))))
    links += [
        {"label": "Croissant JSON-LD", "href": "disclosures/croissant.json",
         "description": "the corpus description with Responsible-AI fields"},
        {"label": "SPDX 3.0 dataset document", "href": "disclosures/spdx.json",
         "description": "packages, licenses and sizes of the corpus and each source"},
        {"label": "Audit workbook (Excel)", "href": "audit.xlsx",
         "description": "sources, failures with their evidence counts, open statement fields"},
        {"label": "Source profile (CSV)", "href": "profiles/source_profile.csv",
         "description": "one row per source, the columns of source_profile.parquet"},
        {"label": "Validation results (JSON)", "href": "validation/results.json",
         "description": "every verdict with its requirement ids"},
        {"label": "Scan manifest", "href": "manifest.json",
         "description": "every shard with size and checksum, counts and their reconciliation"},
        {"label": "Overlap summary", "href": "overlap/summary.json",
         "description": "duplicate clusters, source overlap, evaluation contamination"},
    ]
    previous = previous_complete(config.output, before=os.path.basename(run_dir))
    current = {"run_id": os.path.basename(run_dir), "manifest": inputs.manifest,  # read by load_inputs
               "profiles": inputs.source_profile, "validation": inputs.validation,
               "overlap": inputs.overlap["summary"]}
    changes = drift(run_facts(previous), current) if previous else None
    if changes is not None:
        files.append(_write(os.path.join(run_dir, "drift.json"), _json(changes)))
        links.append({"label": "Drift report (JSON)", "href": "drift.json",
                      "description": f"what changed since run {changes['previous_run']}"})
    record = history_record(config, run_dir, current, mode)
    history = merge_history(read_history(config.output), record)
    from provaudit.stages.evidence import write_evidence

    evidence_files = write_evidence(config, run_dir, inputs.validation)
    files.extend(evidence_files)
    from provaudit.reports.workbook import write_profile_csv, write_workbook

    files.append(write_profile_csv(run_dir))  # after the evidence: the workbook counts its rows
    files.append(write_workbook(run_dir))
    with open(os.path.join(run_dir, "evidence", "index.json"), encoding="utf-8") as fh:
        evidence = json.load(fh)
    links.append({"label": "Personal information examples (CSV)", "href": "evidence/pii_examples.csv",
                  "description": "masked examples with their locations, for review"})
    if request_totals is not None:
        links.append({"label": t("index.link.requests", "en"), "href": "evidence/requests.csv",
                      "description": t("index.link.requests.description", "en")})
    page = index_page(inputs, links, evidence)
    from provaudit.reports.requests import render_requests_section

    def requests_html(lang: str) -> list[str]:
        return [render_requests_section(request_totals, lang)] if request_totals is not None else []

    files.append(_write(os.path.join(run_dir, "index.html"), render_index(
        page, requests_html("en") + [render_drift(changes), render_trends(history)])))
    for lang in languages:  # index.<lang>.html beside index.html, so that every relative link holds
        if lang != "en":
            local_page = index_in(page, inputs, evidence, lang, changes["previous_run"] if changes else None)
            note = (f'<section id="history">\n<p>{html.escape(t("index.only_english", lang))}</p>\n</section>\n')
            history_note = [note] if any((render_drift(changes), render_trends(history))) else []
            files.append(_write(os.path.join(run_dir, f"index.{lang}.html"),
                                render_index(local_page, requests_html(lang) + history_note, lang)))
    mark_stage_done(run_dir, "disclose", {"duration_seconds": round(time.monotonic() - started, 3),
                                          "files": len(files)})
    return DiscloseResult(run_dir, files, page, changes, record)


def _request_totals(config: RunConfig, run_dir: str) -> Optional[dict[str, int]]:
    """Counts of open, overdue and closed requests from ``<run>/requests.json`` (None without
    ``requests:``); the file is written first when the run has none (stages run one by one)."""
    if getattr(config, "requests", None) is None:
        return None
    from provaudit.stages.requests import read_requests_report, run_requests

    report = read_requests_report(run_dir) or run_requests(config, run_dir) or {}
    return {k: int(v) for k, v in (report.get("totals") or {}).items()}


def _with_requests(doc: dict[str, Any], totals: Optional[dict[str, int]], lang: str) -> dict[str, Any]:
    """The document with the removal-requests counts (a section and ``facts.removal_requests``)."""
    if totals is None:
        return doc
    from provaudit.reports.requests import requests_section

    section = requests_section(totals, lang)
    sections = list(doc.get("sections", []))
    if doc.get("kind") == "eu_training_summary":  # the template's sections are fixed: "Other information"
        sections = [{**s, "paragraphs": [*s["paragraphs"], *section["paragraphs"]]} if s.get("id") == "other" else s
                    for s in sections]
    else:
        sections.append(section)
    return {**doc, "facts": {**doc.get("facts", {}), "removal_requests": dict(totals)}, "sections": sections}


def _languages(config: RunConfig) -> tuple[str, ...]:
    """``disclosure.languages``, each checked to have a message catalogue (ConfigError otherwise)."""
    from provaudit.core.errors import ConfigError
    from provaudit.reports.messages import LANGUAGES

    for lang in config.disclosure.languages:
        if lang not in LANGUAGES:
            raise ConfigError(str(config.config_path), "disclosure.languages",
                              f"no message catalogue for {lang!r}; languages provaudit writes: {', '.join(LANGUAGES)}")
    return tuple(config.disclosure.languages)


def with_languages(config: RunConfig, languages: tuple[str, ...]) -> RunConfig:
    """The config with ``languages`` added to ``disclosure.languages`` (``--lang`` on the command line)."""
    import dataclasses

    merged = tuple(dict.fromkeys((*config.disclosure.languages, *languages)))
    return dataclasses.replace(config, disclosure=config.disclosure._replace(languages=merged))


def _with_statements(config: RunConfig, documents: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Merge the configured statements file into the documents (fields stay open without one)."""
    from provaudit.core.errors import ConfigError
    from provaudit.core.statements import load_statements
    from provaudit.reports.statements import field_ids, merge_statements

    statements = {}
    if config.statements:
        if not os.path.isfile(config.statements):
            raise ConfigError(str(config.config_path), "statements",
                              f"{config.statements} does not exist; write it with "
                              "`provaudit statements CONFIG --template --out FILE`")
        statements = load_statements(config.statements, field_ids(documents))
    return merge_statements(documents, statements)  # checked against the schema when written


def _write_publication_copies(config: RunConfig, documents: dict[str, dict[str, Any]], out: str,
                              manifest: dict[str, Any]) -> list[str]:
    """Write disclosures/public/<kind>.html and .md: no verdicts, no internal ids, no empty boxes."""
    from provaudit.reports.publication import (PUBLIC_KINDS, PublicationMeta, render_public_html,
                                               render_public_markdown)

    d = config.disclosure
    meta = PublicationMeta(date=str(manifest.get("started", ""))[:10], provider=d.provider, system=d.system,
                           system_version=d.system_version, version=d.version)
    files = []
    for kind in PUBLIC_KINDS:
        files.append(_write(os.path.join(out, "public", f"{kind}.html"), render_public_html(documents[kind], meta)))
        files.append(_write(os.path.join(out, "public", f"{kind}.md"), render_public_markdown(documents[kind], meta)))
    return files


def ledger_license_counts(ledger_dir: str) -> dict[str, dict[str, int]]:
    """Documents per source and SPDX license in a run's ledger, as
    :func:`provaudit.reports.exports.license_counts` counts them from rows (null and empty
    licences not counted), but counted by pyarrow one record batch at a time: memory holds a
    batch and the counts, never a row per document. A missing ledger folder (every document
    quarantined) counts nothing."""
    from collections import Counter

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as pads

    if not os.path.isdir(ledger_dir):
        return {}
    # the files pq.read_table(ledger_dir) reads: every Parquet file under the folder but _ or . ones
    dataset = pads.dataset(ledger_dir, format="parquet", partitioning="hive")
    counts: dict[str, Counter] = {}
    for batch in dataset.to_batches(columns=["source", "license_spdx"]):
        table = pa.Table.from_batches([batch])
        table = table.filter(pc.fill_null(pc.not_equal(table.column("license_spdx"), ""), False))
        for row in table.group_by(["source", "license_spdx"]).aggregate([([], "count_all")]).to_pylist():
            counts.setdefault(row["source"], Counter())[row["license_spdx"]] += row["count_all"]
    return {s: dict(sorted(c.items())) for s, c in sorted(counts.items())}


def run_facts(run_dir: str) -> dict[str, Any]:
    """What drift compares for one (previous) run: its manifest, profile, validation and overlap summary."""
    import pyarrow.parquet as pq

    def load(*parts: str) -> Any:
        with open(os.path.join(run_dir, *parts), encoding="utf-8") as fh:
            return json.load(fh)

    return {"run_id": os.path.basename(run_dir), "manifest": load("manifest.json"),
            "profiles": pq.read_table(os.path.join(run_dir, "profiles", "source_profile.parquet")).to_pylist(),
            "validation": load("validation", "results.json"),
            "overlap": load("overlap", "summary.json")}


def history_record(config: RunConfig, run_dir: str, facts: dict[str, Any], mode: str) -> dict[str, Any]:
    """The run's history row; its duration adds up the stages' markers (disclose's own is small)."""
    from provaudit.core.history import headline

    manifest = facts["manifest"]
    seconds = sum(float((stage_facts(run_dir, s) or {}).get("duration_seconds", 0))
                  for s in ("scan", "overlap", "profile", "validate"))
    return headline(manifest, facts["profiles"], facts["overlap"], facts["validation"], mode=mode,
                    started=str(manifest.get("started", "")), ended=str(manifest.get("ended", "")),
                    duration_seconds=seconds)
