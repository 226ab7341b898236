"""The legitimate-sources and labelling-process disclosures, their finding sentences and the run's
index page in a catalogue language (Simplified Chinese; issue 10, item 4).

Contract. Every word these functions write comes from the message catalogues
(:mod:`provaudit.reports.messages`): headings, paragraphs, table columns, chart titles and axes,
status words, requirement details and the finding sentences (one failed expectation on one
source or batch: what, how much, what to fix). Figures, source names, registry values and
expectation ids are data: copied as they are (the renderer escapes them). A key the catalogue
lacks, a section, chart, statement field or index link this module has no words for, raises
``MessageError`` naming the catalogue file and key (never an English fallback).

    localise(doc, lang, params)   a built disclosure (legitimate_sources, labelling_process,
                                  cn_filing_annex) rewritten in ``lang``; ``params`` are the
                                  validation parameters (validation/results.json "parameters")
    finding(verdict, row, params, lang, found, source, ids)
                                  one failed expectation on one source or batch as a sentence
    index_in(page, inputs, evidence, lang, drift_run)
                                  the run's index page (disclosures.index_page) in ``lang``
    language_label_in(code, lang) "<code> · <name>", the name in ``lang`` (CLDR via Babel)

The sentences are rebuilt from the document's ``facts`` (and, for the index page, the run's
inputs and evidence index) with the same decisions the English builders make, so that
``localise(doc, "en", params)`` reproduces the English document's words (tests hold it to
that): English and Chinese come from the same catalogue keys with named parameters. In a
language other than English, each requirement's detail is preceded by its official clause
number and wording (``requirements`` of the catalogue), a recommended clause (宜) carries the
catalogue's note that it does not affect the verdict, and table columns whose English name
says "share" hold their percentages as text (the renderer recognises share columns by their
English name). Pure and deterministic; the input document is not changed.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from provaudit.core.requirements import load_requirements
from provaudit.core.verdicts import verdict_ids
from provaudit.reports import screening
from provaudit.reports.languages import language_code, language_label
from provaudit.reports.messages import MessageError, catalogue, check_language, requirement, role, t

__all__ = ["LOCALISED_KINDS", "finding", "index_in", "language_label_in", "localise"]

LOCALISED_KINDS = ("legitimate_sources", "labelling_process", "cn_filing_annex")
PII_KINDS = ("email", "phone", "cn_id", "card", "ip")
_YES_NO_COLUMNS = ("checksum matches", "expected")
_OTHER = re.compile(r"^other \((\d+) languages\)$")
# chart of a section -> (title key, value-axis key, category-axis key)
_CHARTS = {
    "overview": ("chart.source_share.title", "chart.source_share.x", "col.source"),
    "licenses": ("chart.licenses.title", "col.documents", "col.source"),
    "languages": ("chart.languages.title", "chart.languages.x", "col.source"),
    "deduplication": ("chart.duplicates.title", "chart.duplicates.x", "col.source"),
    "overlap-heatmap": ("chart.overlap.title", "col.duplicate found in", "col.source"),
    "training": ("chart.trained.title", "chart.trained.x", "col.batch"),
    "quality": ("chart.qa.title", "chart.qa.x", "col.batch"),
}
_FILE = "provaudit/reports/localised.py"


# --------------------------------------------------------------------------- small words


def _sep(lang: str, which: str = "list") -> str:
    return t(f"sep.{which}", lang)


def _pct(share: Any, lang: str) -> str:
    """A share as the disclosures print it in sentences ("12.5%", "n/a")."""
    if share is None:
        return t("value.na", lang)
    text = f"{share * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _has(key: str, lang: str) -> bool:
    return key in catalogue(lang)["messages"]


def _description(expectation: str, lang: str) -> str:
    return t(f"expectation.{expectation}", lang)


@cache
def _babel_names(lang: str) -> Mapping[str, str]:
    """CLDR's language names in ``lang``, keyed by lower-case code with "-" ("zh-hans")."""
    from babel import Locale

    return {code.lower().replace("_", "-"): name for code, name in Locale.parse(lang, sep="-").languages.items()}


def language_label_in(code: str, lang: str) -> str:
    """The label of language ``code`` in ``lang``: English keeps ``languages.language_label``."""
    if check_language(lang) == "en":
        return language_label(code)
    names = _babel_names(lang)
    key = {"zh-cn": "zh-hans", "zh-tw": "zh-hant"}.get(code.lower(), code.lower())  # langdetect's codes
    return t("lang.label", lang, code=code, name=names.get(key) or names.get(key.split("-")[0]) or code)


def _label(text: str, lang: str) -> str:
    """A table column or chart series named by the builders, in ``lang``."""
    code = language_code(text)
    if code is not None:
        return language_label_in(code, lang)
    other = _OTHER.match(text)
    if other:
        return t("chart.other_languages", lang, n=int(other.group(1)))
    return t(f"col.{text}", lang)


def _cell(value: Any, column: str, lang: str) -> Any:
    if lang == "en":
        return value
    if isinstance(value, bool):
        return t("value.yes" if value else "value.no", lang)
    if "share" in column.lower() and isinstance(value, (int, float)):
        return f"{value * 100:.1f}%"
    if column in _YES_NO_COLUMNS and value in ("yes", "no"):
        return t(f"value.{value}", lang)
    return value


def _table(table: Mapping[str, Any] | None, lang: str, rows: Sequence[Sequence[Any]] | None = None) -> dict | None:
    """The table with its columns (and yes/no, share cells) in ``lang``; ``rows`` replace its rows."""
    if table is None:
        return None
    columns = [str(c) for c in table["columns"]]
    body = table["rows"] if rows is None else rows
    return {"columns": [_label(c, lang) for c in columns],
            "rows": [[_cell(v, c, lang) for c, v in zip(columns, row)] for row in body]}


def _chart(sid: str, chart: Mapping[str, Any] | None, lang: str) -> dict | None:
    if chart is None:
        return None
    if sid not in _CHARTS:
        raise MessageError(f"{_FILE}: section {sid!r} has a chart this module has no catalogue keys for")
    title, x, y = _CHARTS[sid]
    out = copy.deepcopy(dict(chart))
    out.update(title=t(title, lang), x_label=t(x, lang), y_label=t(y, lang))
    out["series"] = [{**s, "name": _label(str(s["name"]), lang)} for s in chart.get("series", [])]
    if chart.get("type") == "heatmap":
        out["series"] = []
    return out


# --------------------------------------------------------------------------- requirements


def _statement_part(rid: str, lang: str) -> str:
    req = load_requirements()[rid]
    if "statement for" in req.evidence:
        return t("req.statement_part", lang, what=t(f"req.statement_for.{rid}", lang))
    return t("req.statement_part_plain", lang)


def _with_clause(rid: str, detail: str, lang: str) -> str:
    """In a language other than English: the clause number and official wording before the detail."""
    if lang == "en":
        return detail
    clause, text = requirement(rid, lang)
    detail = t("req.with_clause", lang, clause=clause, text=text, detail=detail)
    if load_requirements()[rid].recommended:
        detail = t("req.recommended", lang, detail=detail, note=t("annex.recommended", lang))
    return detail


def _requirement(rid: str, verdicts: Sequence[Mapping[str, Any]], lang: str) -> dict[str, str]:
    """A requirement's status and detail over ``verdicts`` (the document's related expectations)."""
    from provaudit.reports.cn_annex import _FULFILLED

    req = load_requirements()[rid]
    citing = [v for v in verdicts if rid in v["requirement_ids"]]
    failed = [v for v in citing if not v["success"]]
    if failed:
        status = "failed"
        detail = _sep(lang, "clause").join(
            t("req.failed", lang, description=_description(v["expectation"], lang),
              failing=_sep(lang).join(v["failing"]) or t("req.see_results", lang)) for v in failed)
    elif citing:
        status = "evidenced"
        detail = t("req.passed", lang, n=len(citing),
                   descriptions=_sep(lang, "clause").join(_description(v["expectation"], lang) for v in citing))
    elif req.statement == "only":
        status, detail = "statement-needed", t("req.statement_only", lang)
    elif rid in _FULFILLED:
        status, detail = "evidenced", t(_FULFILLED[rid], lang)
    else:
        status, detail = "not-evidenced", t("req.not_evidenced", lang)
    if req.statement == "part" and status != "statement-needed":
        detail += _sep(lang, "clause") + _statement_part(rid, lang)
    return {"id": rid, "status": status, "detail": _with_clause(rid, detail, lang)}


def _verdict(doc: Mapping[str, Any], related: Sequence[Mapping[str, Any]], lang: str) -> dict[str, str]:
    """The document's verdict summary in ``lang`` (disclosures._doc_verdict, statements._verdict)."""
    kind = doc["kind"]
    failed = [v for v in related if not v["success"] and v.get("severity", "critical") == "critical"]
    open_fields = sum(len(s.get("human_fields", [])) for s in doc["sections"])
    checked = (t("doc.verdict.passed", lang, n=len(related)) if related else t("doc.verdict.unchecked", lang))
    if failed:
        status = "fail"
        summary = t("doc.verdict.fail", lang, n=len(failed), what=t(f"doc.what.{kind}", lang),
                    names=_sep(lang, "clause").join(
                        t("doc.verdict.failed_item", lang, description=_description(v["expectation"], lang),
                          ids=_sep(lang).join(v["requirement_ids"]), failing=_sep(lang).join(v["failing"]))
                        for v in failed))
    elif open_fields:
        status, summary = "partial", t("doc.verdict.open", lang, base=checked, open=open_fields)
    else:
        status, summary = "pass", checked
    statements = doc.get("statements")
    if statements is not None:
        fields, filled = int(statements["fields"]), int(statements["filled"])
        if status == "partial":
            if fields == filled:
                status, summary = "complete", t("doc.verdict.all_given", lang, base=checked, fields=fields)
            else:
                summary = t("doc.verdict.left", lang, base=checked, left=fields - filled, fields=fields)
        elif status == "fail" and fields:
            summary = t("doc.verdict.given", lang, base=summary, filled=filled, fields=fields)
    if status != doc["verdict"]["status"]:
        raise ValueError(f"{_FILE}: {kind}: verdict {doc['verdict']['status']!r} of the document, but its facts "
                         f"give {status!r}; the builder and this module disagree")
    return {"status": status, "summary": summary}


# --------------------------------------------------------------------------- legitimate sources


def _legitimate_section(sec: Mapping[str, Any], facts: Mapping[str, Any], params: Mapping[str, Any],
                        lang: str) -> dict[str, Any]:
    sid = str(sec["id"])
    S = facts["sources"]
    related = facts["verdicts"]
    tot = facts["totals"]
    known = ("overview", "licenses", "languages", "personal-information", "deduplication", "overlap-heatmap",
             "opt-out", "inspection", "source-outcomes", *screening.SECTION_IDS)
    if sid in screening.SECTION_IDS:  # rebuilt from the facts with the same catalogue keys as the English
        return next(s for s in screening.sections(facts["screening"], lang) if s["id"] == sid)
    if sid not in known and not (sid.startswith("source-") and sid[len("source-"):] in S):
        raise MessageError(f"{_FILE}: legitimate_sources section {sid!r} has no catalogue text "
                           "(add its keys to the catalogues and to localised._legitimate_section)")
    out = copy.deepcopy(dict(sec))
    out["table"] = _table(sec.get("table"), lang)
    out["chart"] = _chart(sid, sec.get("chart"), lang)
    out["requirements"] = [_requirement(r["id"], related, lang) for r in sec.get("requirements", [])]
    simple = {"licenses": "legit.licenses", "personal-information": "legit.pii", "opt-out": "legit.optout"}
    if sid in simple:
        out["heading"] = t(f"{simple[sid]}.heading", lang)
        out["paragraphs"] = [t(f"{simple[sid]}.paragraph", lang)]
    elif sid == "overview":
        out["heading"] = t("legit.overview.heading", lang)
        out["paragraphs"] = [t("legit.overview.paragraph", lang, train=tot["training_sources"],
                               eval=tot["eval_sources"], documents=tot["training_documents"],
                               characters=tot["training_characters"])]
    elif sid == "languages":
        languages = sorted({k for f in S.values() for k in f["languages"]})
        series = (sec.get("chart") or {}).get("series", [])
        rest = [s for s in series if _OTHER.match(str(s["name"]))]
        out["heading"] = t("legit.languages.heading", lang)
        out["paragraphs"] = [t("legit.languages.paragraph", lang)]
        if rest:
            out["paragraphs"].append(t("legit.languages.top", lang, top=len(series) - 1,
                                       rest=len(languages) - (len(series) - 1)))
        if "language" in (sec.get("table") or {}).get("columns", []):
            out["paragraphs"].append(t("legit.languages.long", lang))
            out["table"]["rows"] = [[_label(v, lang) if c == "language" else
                                     (t(f"value.{v}", lang) if c == "expected" and v in ("yes", "no") else x)
                                     for c, v, x in zip(sec["table"]["columns"], row, new)]
                                    for row, new in zip(sec["table"]["rows"], out["table"]["rows"])]
    elif sid == "deduplication":
        out["heading"] = t("legit.dedup.heading", lang)
        out["paragraphs"] = [t("legit.dedup.paragraph", lang)] + [
            t("legit.dedup.eval", lang, name=name, near=d["near_duplicate_items"], items=d["items"],
              ngram=d["ngram_items"]) for name, d in sorted(facts.get("contamination", {}).items())]
    elif sid == "overlap-heatmap":
        out["heading"] = t("legit.overlap.heading", lang)
        if sec.get("chart"):
            out["paragraphs"] = [t("legit.overlap.heatmap", lang)]
        else:
            from provaudit.reports.disclosures import HEATMAP_MAX

            train = [n for n, f in S.items() if f["role"] == "train"]
            pairs = sum(1 for n in train for v in S[n]["overlap_with_sources"].values() if v.get("count"))
            out["paragraphs"] = [t("legit.overlap.pairs", lang, sources=len(train), max=HEATMAP_MAX,
                                   shown=len(sec["table"]["rows"]), pairs=pairs)]
    elif sid == "inspection":
        out["heading"] = t("legit.inspection.heading", lang)
        out["paragraphs"] = [t("legit.inspection.paragraph", lang, max=_pct(params.get("max_unsafe_upper95"), lang))]
    elif sid == "source-outcomes":
        failing = [n for n in sorted(S) if any(v["status"] == "failed" for v in S[n]["verdicts"])]
        tail = (t("legit.outcomes.tail_failed", lang, names=_sep(lang).join(failing)) if failing
                else t("legit.outcomes.tail_none", lang))
        out["heading"] = t("legit.outcomes.heading", lang)
        out["paragraphs"] = [t("legit.outcomes.paragraph", lang, passed=len(S) - len(failing), total=len(S),
                               tail=tail)]
    else:
        out.update(_source_section(sid[len("source-"):], sec, S[sid[len("source-"):]], lang))
    return out


def _source_section(name: str, sec: Mapping[str, Any], f: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The section of a source with a failed expectation."""
    period = f["collected_from"] or t("legit.source.unknown", lang)
    if f["collected_to"] != f["collected_from"]:
        period = t("legit.source.period", lang, start=period, end=f["collected_to"] or t("legit.source.ongoing", lang))
    outcome = {st: sum(1 for v in f["verdicts"] if v["status"] == st) for st in ("passed", "failed", "not-applicable")}
    not_passed = [v for v in f["verdicts"] if v["status"] != "passed"]
    paragraphs = [
        t("legit.source.origin", lang, origin=f["description"] or t("legit.source.no_origin", lang)),
        t("legit.source.basis", lang, acquisition=f["acquisition"],
          evidence=f["evidence"] or t("legit.source.no_evidence", lang),
          license=f["license_declared"] or t("legit.source.no_license", lang), period=period),
        t("legit.source.size", lang, documents=f["documents"], characters=f["characters"],
          share=_pct(f["share_of_corpus"], lang), quarantined=f["quarantined"], read=f["documents_read"]),
        t("legit.source.outcome", lang, passed=outcome["passed"], failed=outcome["failed"],
          na=outcome["not-applicable"],
          tail=t("legit.source.outcome_listed" if not_passed else "legit.source.outcome_none", lang)),
    ]
    rows = [[_description(v["expectation"], lang), _sep(lang).join(v["requirement_ids"]),
             t(f"severity.{v['severity']}", lang), t(f"word.{v['status']}", lang)] for v in not_passed]
    requirements = []
    for req in sec.get("requirements", []):
        rid = req["id"]
        vs = [v for v in f["verdicts"] if rid in v["requirement_ids"] and v["status"] != "not-applicable"]
        bad = [v for v in vs if v["status"] == "failed"]
        passed = len(vs) - len(bad)
        detail = _sep(lang, "clause").join(
            [t("req.failed_short", lang, description=_description(v["expectation"], lang)) for v in bad]
            + ([t("req.passed_count", lang, n=passed)] if passed else []))
        requirements.append({"id": rid, "status": "failed" if bad else "evidenced",
                             "detail": _with_clause(rid, detail, lang)})
    return {"heading": t("legit.source.heading", lang, name=name), "paragraphs": paragraphs,
            "table": _table(sec.get("table"), lang, rows) if sec.get("table") else None,
            "requirements": requirements}


# --------------------------------------------------------------------------- labelling process


def _labelling_section(sec: Mapping[str, Any], facts: Mapping[str, Any], lang: str) -> dict[str, Any]:
    sid = str(sec["id"])
    related = facts["verdicts"]
    if sid not in ("rules", "training", "batches", "quality", "verdicts"):
        raise MessageError(f"{_FILE}: labelling_process section {sid!r} has no catalogue text "
                           "(add its keys to the catalogues and to localised._labelling_section)")
    out = copy.deepcopy(dict(sec))
    out["table"] = _table(sec.get("table"), lang)
    out["chart"] = _chart(sid, sec.get("chart"), lang)
    out["requirements"] = [_requirement(r["id"], related, lang) for r in sec.get("requirements", [])]
    out["heading"] = t(f"lab.{sid}.heading", lang)
    if sid == "training":
        untrained = facts["training"]["untrained_annotators"]
        out["paragraphs"] = [t("lab.training.paragraph", lang, trained=facts["training"]["batches_fully_trained"],
                               batches=len(facts["batches"]),
                               untrained=t("lab.training.untrained", lang, names=_sep(lang).join(untrained))
                               if untrained else "")]
    else:
        out["paragraphs"] = [t(f"lab.{sid}.paragraph", lang)]
    if sid == "verdicts":
        rows = [[_description(v["expectation"], lang), _sep(lang).join(v["requirement_ids"]),
                 t(f"severity.{v['severity']}", lang), t("word.passed" if v["success"] else "word.failed", lang),
                 _sep(lang).join(v["failing"])] for v in related]
        out["table"] = _table(sec["table"], lang, rows)
    return out


def _field(field: Mapping[str, Any], lang: str) -> dict[str, Any]:
    out = copy.deepcopy(dict(field))
    if field["id"] != "rules-contents":
        raise MessageError(f"{_FILE}: statement field {field['id']!r} has no catalogue label "
                           "(add it to the catalogues and to localised._field)")
    out["label"] = t("lab.rules.field.label", lang)
    out["hint"] = t("lab.rules.field.hint", lang, id="CN-TC-5.3-rules")
    if "who" in out:
        out["who"] = role(str(out["who"]), lang)
    return out


# --------------------------------------------------------------------------- documents


def localise(doc: Mapping[str, Any], lang: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The disclosure ``doc`` rewritten in catalogue language ``lang`` (see the module docstring)."""
    check_language(lang)
    kind = doc.get("kind")
    if kind == "cn_filing_annex":
        from provaudit.reports.cn_annex import annex_in

        return annex_in(doc, lang)
    if kind not in ("legitimate_sources", "labelling_process"):
        raise ValueError(f"localise: no localised rendering of a {kind!r} document (kinds: {', '.join(LOCALISED_KINDS)})")
    facts = doc["facts"]
    params = params or {}
    sections = []
    for sec in doc["sections"]:
        if kind == "legitimate_sources":
            new = _legitimate_section(sec, facts, params, lang)
        else:
            new = _labelling_section(sec, facts, lang)
        new["human_fields"] = [_field(f, lang) for f in sec.get("human_fields", [])]
        sections.append(new)
    out: dict[str, Any] = {k: copy.deepcopy(v) for k, v in doc.items() if k != "sections"}
    out["title"] = t(f"doc.title.{kind}", lang)
    out["sections"] = sections
    out["verdict"] = _verdict(doc, facts["verdicts"], lang)
    if doc.get("statements") is not None:
        headings = {f["id"]: s["heading"] for s in sections for f in s["human_fields"]}
        labels = {f["id"]: f for s in sections for f in s["human_fields"]}
        out["statements"] = {**doc["statements"], "open": [
            {"id": o["id"], "label": labels[o["id"]]["label"], "section": headings[o["id"]],
             "who": labels[o["id"]].get("who", role(str(o.get("who", "")), lang))}
            for o in doc["statements"].get("open", [])]}
    if lang != "en":
        out["facts"] = {**copy.deepcopy(dict(facts)), "language": lang}
    return out


# --------------------------------------------------------------------------- findings


def _values_text(values: Sequence[tuple[str, int]], found: Mapping[str, Any] | None, lang: str,
                 quote: bool = False) -> str:
    parts = []
    for value, n in values:
        shown = t("finding.values.quoted", lang, value=value) if quote else value
        parts.append(t("finding.values.count", lang, value=shown, n=n) if len(values) > 1 else shown)
    text = _sep(lang).join(parts)
    more = int((found or {}).get("distinct_values", len(values))) - len(values)
    return t("finding.values.more", lang, values=text, n=more) if more > 0 else text


def _kinds_text(row: Mapping[str, Any], kinds: Sequence[str], lang: str) -> str:
    return _sep(lang).join(t("finding.kind_count", lang, kind=t(f"pii.{k}", lang), n=row.get(f"pii_{k}_documents"))
                           for k in kinds if row.get(f"pii_{k}_documents"))


def finding(verdict: Mapping[str, Any], row: Mapping[str, Any], params: Mapping[str, Any], lang: str,
            found: Mapping[str, Any] | None = None, source: Any = None, ids: bool = True) -> str:
    """One failed expectation on one source or batch as a finding: what, how much, what to fix.

    ``verdict``: {"expectation": id, "column", "requirement_ids"}; ``row``: the source's (or
    batch's) profile row with "source" or "batch"; ``found``: the evidence file's summary for it
    (evidence/index.json); ``source``: its registry entry (a source with no license key is told
    apart from one whose license string is not recognised); ``ids``: end with the requirement ids.
    """
    tail = t("finding.ids", lang, ids=_sep(lang).join(verdict["requirement_ids"])) if ids else ""
    col = verdict["column"]
    n = row.get("source") or row.get("batch") or ""
    values = [(str(x["value"]), int(x["rows"])) for x in (found or {}).get("values", [])]
    if col == "unknown_license_share":
        head = t("finding.license.head", lang, share=_pct(row.get("unknown_license_share"), lang),
                 unknown=row.get("unknown_license_documents"), documents=row.get("documents"),
                 max=_pct(params.get("max_unknown_license_share"), lang))
        if source is not None and source.license is None and source.license_field is None:
            return t("finding.license.no_key", lang, head=head, source=n, ids=tail)
        if source is not None and source.license_field is None:
            return t("finding.license.unrecognised", lang, head=head, license=repr(source.license), source=n, ids=tail)
        shown = t("finding.license.values", lang, values=_values_text(values, found, lang, quote=True)) if values else ""
        field = getattr(source, "license_field", None) or t("finding.license.field_default", lang)
        return t("finding.license.field", lang, head=head, shown=shown, field=repr(field), ids=tail)
    if col == "opted_out_documents":
        count = row.get("opted_out_documents")
        noun = t("finding.word.document.one" if count == 1 else "finding.word.document.many", lang)
        if values:
            one = int((found or {}).get("distinct_values", len(values))) == 1
            domains = t("finding.word.domain.one" if one else "finding.word.domain.many", lang)
            return t("finding.optout.values", lang, count=count, noun=noun, domains=domains,
                     values=_values_text(values, found, lang), ids=tail)
        return t("finding.optout.unknown", lang, count=count, noun=noun, ids=tail)
    if col == "pii_documents":
        return t("finding.pii", lang, n=row.get("pii_documents"), kinds=_kinds_text(row, PII_KINDS, lang),
                 basis=repr(row.get("consent_basis", "none")), source=n, ids=tail)
    if col == "sensitive_pii_documents":
        return t("finding.sensitive_pii", lang, n=row.get("sensitive_pii_documents"),
                 kinds=_kinds_text(row, ("cn_id", "card"), lang), basis=repr(row.get("consent_basis")),
                 source=n, ids=tail)
    if col == "inspection_unsafe_upper95":
        return t("finding.unsafe", lang, upper=_pct(row.get("inspection_unsafe_upper95"), lang),
                 unsafe=row.get("inspection_unsafe"), reviewed=row.get("inspection_reviewed"),
                 max=_pct(params.get("max_unsafe_upper95"), lang), fix=t(f"fix.{col}", lang), ids=tail)
    if col == "language_sources_min":
        return t("finding.language_sources", lang, n=row.get("language_sources_min"),
                 min=params.get("min_sources_per_language"), fix=t(f"fix.{col}", lang), ids=tail)
    if col == "trained_share":
        try:
            untrained = _sep(lang).join(json.loads(row.get("untrained_annotators") or "[]"))
        except (TypeError, ValueError):
            untrained = ""
        labels, share = row.get("labels"), row.get("trained_share")
        return t("finding.trained", lang,
                 share=_pct(1 - share, lang) if isinstance(share, float) else t("finding.trained.some", lang),
                 count=t("finding.trained.count", lang, k=round((1 - share) * labels), labels=labels)
                 if isinstance(share, float) and labels else "",
                 by=t("finding.trained.by", lang, names=untrained) if untrained else "", ids=tail)
    if col == "evidence_present":
        return t("finding.evidence", lang, fix=t("fix.evidence_present", lang, source=n), ids=tail)
    if col == "inspection_reviewed":
        return t("finding.inspection", lang, fix=t(f"fix.{col}", lang), ids=tail)
    if col == "source":
        return t("finding.source", lang, fix=t(f"fix.{col}", lang), ids=tail)
    figure = t("finding.generic.figure", lang, column=col, value=row.get(col)) if col in row else ""
    fix = t("finding.generic.fix", lang, fix=t(f"fix.{col}", lang)) if _has(f"fix.{col}", lang) else ""
    return t("finding.generic", lang, description=_description(verdict["expectation"], lang).rstrip(".。"),
             figure=figure, fix=fix, ids=tail)


# --------------------------------------------------------------------------- index page


def _verdicts(validation: Mapping[str, Any]) -> list[dict[str, Any]]:
    raws = validation.get("verdicts", [])
    return [{"expectation": vid, "suite": r["suite"], "column": r.get("column") or "",
             "requirement_ids": list(r.get("requirement_ids", [])), "severity": r.get("severity", "critical"),
             "success": bool(r["success"]), "failing": list(r.get("failing", []))}
            for r, vid in zip(raws, verdict_ids(raws))]


def _link(link: Mapping[str, Any], lang: str, drift_run: str | None, localised: set[str]) -> dict[str, str] | None:
    """An English index link in ``lang``; None when the page lists its ``lang`` version instead."""
    href = str(link["href"])
    fixed = {"docs/index.html": "datadocs", "disclosures/croissant.json": "croissant",
             "disclosures/spdx.json": "spdx", "audit.xlsx": "workbook", "profiles/source_profile.csv": "profile_csv",
             "validation/results.json": "results", "manifest.json": "manifest", "overlap/summary.json": "overlap",
             "evidence/pii_examples.csv": "pii", "drift.json": "drift", "evidence/requests.csv": "requests"}
    if href in fixed:
        key = f"index.link.{fixed[href]}"
        return {"label": t(key, lang), "href": href,
                "description": t(f"{key}.description", lang, run=drift_run or "")}
    match = re.fullmatch(r"disclosures/(?:(public|[A-Za-z]{2}(?:-[A-Za-z]{2,4})?)/)?([a-z0-9_]+)\.html", href)
    if match and match.group(2) in catalogue_kinds():
        folder, kind = match.groups()
        md = f"disclosures/{folder + '/' if folder else ''}{kind}.md"
        if folder == "public":
            return {"label": t("index.link.public", lang, title=t(f"kind.{kind}", lang)), "href": href,
                    "description": t("index.link.public.description", lang, md=md)}
        if folder is None and kind in localised:
            return None  # the page in ``lang`` is listed
        if folder is None:
            return {"label": t("index.link.english_only", lang, title=t(f"kind.{kind}", lang)), "href": href,
                    "description": t("index.link.disclosure.description", lang, md=md)}
        if folder != lang:
            return None
        title = t("annex.title", lang) if kind == "cn_filing_annex" else t(f"doc.title.{kind}", lang)
        key = "index.link.annex.description" if kind == "cn_filing_annex" else "index.link.disclosure.description"
        return {"label": title, "href": href, "description": t(key, lang, md=md)}
    if re.fullmatch(r"index\.[A-Za-z-]+\.html", href):
        return None  # the index pages in other languages: this page links back to English only
    raise MessageError(f"{_FILE}: index link {href!r} has no catalogue label (add it to the catalogues and to "
                       "localised._link)")


def catalogue_kinds() -> tuple[str, ...]:
    from provaudit.reports.disclosures import KINDS

    return KINDS


def index_in(page: Mapping[str, Any], inputs: Any, evidence: Mapping[str, Any] | None, lang: str,
             drift_run: str | None = None) -> dict[str, Any]:
    """The index page ``page`` (``disclosures.index_page`` of ``inputs``) with its words in ``lang``.

    Names, roles, requirement ids and evidence links are the page's; the verdict summary, the
    reasons and findings, expectation descriptions and link labels are rebuilt from the run's
    inputs and ``evidence`` (evidence/index.json) with catalogue sentences. Links point to the
    ``lang`` version of a disclosure when there is one, and the page links back to index.html.
    """
    check_language(lang)
    params = inputs.validation.get("parameters", {})
    verdicts = _verdicts(inputs.validation)
    by_id = dict((evidence or {}).get("failures", {}))
    rows = {r["source"]: r for r in inputs.source_profile}
    batches = {b["batch"]: b for b in inputs.labelling_profile}
    registry = {s.name: s for s in inputs.sources}

    def found(v: Mapping[str, Any], subject: str) -> Mapping[str, Any] | None:
        return (by_id.get(v["expectation"]) or {}).get("subjects", {}).get(subject)

    legit_failed = [v for v in verdicts if v["suite"] == "legitimate_sources" and not v["success"]
                    and v["severity"] == "critical"]
    sources = []
    for s in page["sources"]:
        n = s["name"]
        reasons = [finding(v, rows.get(n, {}), params, lang, found(v, n), registry.get(n))
                   for v in legit_failed if n in v["failing"]]
        if bool(reasons) == bool(s["legitimate"]):
            raise ValueError(f"{_FILE}: index page: source {n!r} legitimacy disagrees with its findings")
        sources.append({**s, "reasons": reasons})
    failed = [v for v in verdicts if not v["success"]]
    if len(failed) != len(page["failures"]):
        raise ValueError(f"{_FILE}: index page lists {len(page['failures'])} failures, the results {len(failed)}")
    failures = []
    for v, entry in zip(failed, page["failures"]):
        table = batches if v["suite"] == "labelling_process" else rows
        description = _description(v["expectation"], lang)
        if v["severity"] != "critical":
            description = t("index.severity", lang, description=description, severity=t(f"severity.{v['severity']}", lang))
        findings = [t("finding.subject", lang, subject=s,
                      finding=finding(v, {"source": s, "batch": s, **table.get(s, {})}, params, lang, found(v, s),
                                      registry.get(s), ids=False)) for s in v["failing"]]
        failures.append({**entry, "description": description, "findings": findings})
    critical = [v for v in verdicts if not v["success"] and v["severity"] == "critical"]
    bad = [s["name"] for s in sources if not s["legitimate"]]
    if critical:
        rest = (t("index.verdict.bad_sources", lang, n=len(bad), total=len(sources), names=_sep(lang).join(bad))
                if bad else t("index.verdict.all_legit", lang))
        summary = t("index.verdict.fail", lang, failed=len(critical), total=len(verdicts), sources=rest)
    else:
        summary = t("index.verdict.pass", lang, total=len(verdicts))
    localised = {m.group(1) for link in page["links"]
                 if (m := re.fullmatch(rf"disclosures/{re.escape(lang)}/([a-z0-9_]+)\.html", str(link["href"])))}
    links = [x for link in page["links"] if (x := _link(link, lang, drift_run, localised)) is not None]
    links.append({"label": t("index.link.other_language", lang, language=t("lang.name.en", lang)),
                  "href": "index.html",
                  "description": t("index.link.other_language.description", lang, language=t("lang.name.en", lang))})
    out = {**copy.deepcopy(dict(page)), "verdict": {"status": page["verdict"]["status"], "summary": summary},
           "sources": sources, "failures": failures, "links": links}
    if "screening" in page:
        from provaudit.reports.disclosures import screening_summary

        out["screening"] = {"summary": screening_summary(inputs, lang)}
    return out
