"""The CN filing annex in a catalogue language, as TC260-003 9.1 asks: clause by clause.

Contract. :func:`annex_in` takes the built CN filing annex (``build_cn_filing_annex``, after
the statements are merged) and returns a new disclosure document of the same schema whose
every word comes from the message catalogue of ``lang`` (:mod:`provaudit.reports.messages`):
the official clause number and wording of each article or clause beside provaudit's id, and a
per-clause table marking each clause with the 9.1 results compliant / non-compliant / not
applicable (符合 / 不符合 / 不适用). Figures, source names and expectation ids are copied as
they are (the renderer escapes them); the input is not changed. A requirement, statement
field or role the catalogue lacks raises ``MessageError`` naming the catalogue file and key.

How a requirement's status becomes a 9.1 result (stated on the page as well):

    failed                                    -> non-compliant   不符合
    evidenced                                 -> compliant       符合
    the corpus has no source of the acquisition kind the clause governs (open-source,
    self-collected, commercial, user data), and nothing failed -> not applicable  不适用
    partly-evidenced, not-evidenced, statement-needed -> to be completed  待补充: the data cannot
        decide the clause; a person's statement is shown as evidence, never turned into a result

A clause the catalogue marks ``recommended`` (worded 宜 in TC260-003) carries the note
"宜：推荐性条款，不影响结论" and never makes the verdict fail. The verdict's status is the
English annex's (the same verdicts decide it); its summary is rebuilt from the clause results.
Pure and deterministic.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from provaudit.core.requirements import load_requirements
from provaudit.reports.messages import MessageError, check_language, requirement, role, t
from provaudit.reports.screening import annex_status

__all__ = ["RESULTS", "annex_in", "clause_result"]

RESULTS = ("compliant", "non_compliant", "not_applicable", "pending")

# The acquisition kind a clause governs: with no such source, the clause does not apply.
_GOVERNS = {
    "CN-TC-5.1c-open": "open-license",
    "CN-TC-5.1c-self": "self-collected",
    "CN-TC-5.1c-commercial": "licensed",
    "CN-TC-5.1c-user": "user-data",
    "CN-TC-7c": "user-data",
    "CN-DS-7.1b": "synthetic",
}
# Requirements a disclosure of the run fulfils (reports.disclosures._FULFILLED_BY_DISCLOSURES).
_FULFILLED = {"CN-IM-19": "annex.evidence.disclosures", "CN-TC-9.1": "annex.evidence.this_table",
              "CN-DS-6.2a": "annex.evidence.ledger", "CN-DS-6.1a": "annex.evidence.source_records"}
_SHARE_COLUMNS = ("share of corpus", "unknown license share")
_CORPUS_COLUMNS = (("source", "annex.corpus.source"), ("acquisition", "annex.corpus.acquisition"),
                   ("license declared", "annex.corpus.license"), ("documents", "annex.corpus.documents"),
                   ("share of corpus", "annex.corpus.share"),
                   ("unknown license share", "annex.corpus.unknown_license_share"),
                   ("personal-information documents", "annex.corpus.pii_documents"),
                   ("consent basis", "annex.corpus.consent"))


def _share(value: Any) -> Any:
    return f"{value * 100:.1f}%" if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def clause_result(rid: str, entry: Mapping[str, Any], acquisitions: set[str]) -> str:
    """The 9.1 result (one of RESULTS) of requirement ``rid`` with status entry ``entry``."""
    status = entry["status"]
    if status == "failed":
        return "non_compliant"
    if rid in _GOVERNS and _GOVERNS[rid] not in acquisitions:
        return "not_applicable"
    return "compliant" if status == "evidenced" else "pending"


def _evidence(rid: str, entry: Mapping[str, Any], result: str, facts: Mapping[str, Any], lang: str) -> str:
    expectations = ", ".join(entry.get("expectations") or [])
    if result == "non_compliant" and expectations:
        return t("annex.evidence.failed", lang, expectations=expectations,
                 failing=", ".join(entry.get("failing") or []) or "—")
    if result == "not_applicable":
        return t("annex.evidence.no_source", lang, acquisition=_GOVERNS[rid])
    if rid in (facts.get("screening_decided") or {}):  # decided from the run's screening figures
        computed = annex_status(rid, facts["screening"], facts["aigc"], lang)
        if computed is not None:
            return computed["detail"]
    if rid == "CN-DS-6.1a" and result == "non_compliant":
        gaps = [n for n, e in sorted((entry.get("sources") or {}).items()) if e.get("missing")]
        return t("annex.evidence.source_records_missing", lang, sources=", ".join(gaps) or "—")
    if rid == "CN-TC-9.2-manual" and facts.get("inspection"):
        f = facts["inspection"]
        share = f.get("qualified_share")
        return t("annex.evidence.inspection", lang, reviewed=f["reviewed"], unsafe=f["unsafe"],
                 share="—" if share is None else f"{share * 100:.1f}%", documents=f"{f['training_documents']:,}",
                 sample=f"{f['sample_required']:,}",
                 required=f"{f['qualified_share_required'] * 100:.0f}%")
    if expectations:
        return t("annex.evidence.passed", lang, n=len(entry["expectations"]), expectations=expectations)
    if entry["status"] == "statement-needed":
        return t("annex.evidence.statement_only", lang)
    if entry["status"] == "evidenced" and rid in _FULFILLED:
        return t(_FULFILLED[rid], lang)
    return t("annex.evidence.none", lang)


def _field(field: Mapping[str, Any], lang: str) -> tuple[str, dict[str, Any]]:
    """(requirement id the field belongs to, the field relabelled in ``lang``)."""
    fid = str(field["id"])
    out = copy.deepcopy(dict(field))
    if fid == "foundation-model":
        rid = "CN-IM-7.1"
        out["label"] = t("annex.field.foundation_model", lang, clause=requirement(rid, lang)[0])
        out["hint"] = t("annex.field.hint_foundation_model", lang)
    elif fid.endswith(("-statement", "-evidence")):
        rid, _, what = fid.rpartition("-")
        clause, text = requirement(rid, lang)
        out["label"] = t(f"annex.field.{what}", lang, clause=clause, id=rid)
        hint = "annex.field.hint_quality" if fid == "CN-IM-7.4-statement" else f"annex.field.hint_{what}"
        out["hint"] = t(hint, lang, requirement=text)
    else:
        raise MessageError(f"provaudit/reports/cn_annex.py: statement field {fid!r} of the CN filing annex has no "
                           "catalogue label (add it to the catalogues and to cn_annex._field)")
    if "who" in out:
        out["who"] = role(str(out["who"]), lang)
    return rid, out


def _clause_table(ids: Sequence[str], reqs: Mapping[str, Any], results: Mapping[str, str],
                  facts: Mapping[str, Any], lang: str) -> dict[str, Any]:
    catalogue = load_requirements()
    rows = []
    for rid in ids:
        clause, text = requirement(rid, lang)
        result = t(f"annex.result.{results[rid]}", lang)
        if catalogue[rid].recommended:
            result += f"（{t('annex.recommended', lang)}）" if lang != "en" else f" ({t('annex.recommended', lang)})"
        rows.append([clause, text, rid, result, _evidence(rid, reqs[rid], results[rid], facts, lang)])
    columns = [t(f"annex.col.{c}", lang) for c in ("clause", "requirement", "id", "result", "evidence")]
    return {"columns": columns, "rows": rows}


def annex_in(doc: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The CN filing annex ``doc`` rewritten in catalogue language ``lang`` (see the module docstring)."""
    check_language(lang)
    if doc.get("kind") != "cn_filing_annex":
        raise ValueError(f"annex_in: expected a cn_filing_annex document, got kind {doc.get('kind')!r}")
    facts = doc["facts"]
    reqs = facts["requirements"]
    english = {s["id"]: s for s in doc.get("sections", [])}
    corpus = english.get("corpus", {}).get("table") or {"columns": [], "rows": []}
    cols = list(corpus["columns"])
    if [c for c, _ in _CORPUS_COLUMNS] != cols:
        raise ValueError(f"annex_in: the annex's corpus table has columns {cols}, expected "
                         f"{[c for c, _ in _CORPUS_COLUMNS]}")
    acquisitions = {str(r[1]) for r in corpus["rows"]}
    results = {rid: clause_result(rid, reqs[rid], acquisitions) for rid in load_requirements() if rid in reqs}
    recommended = {rid for rid, r in load_requirements().items() if r.recommended}
    counts = {r: sum(1 for v in results.values() if v == r) for r in RESULTS}

    fields: dict[str, list[dict[str, Any]]] = {"im": [], "tc": [], "other": []}
    for section in doc.get("sections", []):
        for field in section.get("human_fields", []):
            rid, relabelled = _field(field, lang)
            group = "im" if rid.startswith("CN-IM-") else "tc" if rid.startswith("CN-TC-") else "other"
            fields[group].append(relabelled)

    tot = facts["corpus"]
    sections = [
        {"id": "corpus", "heading": t("annex.corpus.heading", lang),
         "paragraphs": [t("annex.corpus.paragraph", lang, sources=tot["training_sources"],
                          documents=f"{tot['training_documents']:,}", characters=f"{tot['training_characters']:,}",
                          quarantined=tot["quarantined"], read=tot["documents_read"])],
         "table": {"columns": [t(k, lang) for _, k in _CORPUS_COLUMNS],
                   "rows": [[_share(v) if c in _SHARE_COLUMNS else v for c, v in zip(cols, row)]
                            for row in corpus["rows"]]},
         "chart": None, "requirements": [], "human_fields": []},
        {"id": "assessment", "heading": t("annex.assessment.heading", lang),
         "paragraphs": [t("annex.assessment.paragraph", lang),
                        t("annex.assessment.counts", lang, **counts),
                        t("annex.assessment.mapping", lang)],
         "table": None, "chart": None, "requirements": [], "human_fields": []},
    ]
    groups = (("im", "CN-IM-", "annex.im.heading", None), ("tc", "CN-TC-", "annex.tc.heading", None),
              ("other", ("CN-DS-", "CN-LB-"), "annex.other.heading", "annex.other.paragraph"))
    for sid, prefix, heading, paragraph in groups:
        ids = [rid for rid in load_requirements() if rid in reqs and rid.startswith(prefix)]  # catalogue order
        if not ids and not fields[sid]:
            continue
        sections.append({"id": sid, "heading": t(heading, lang),
                         "paragraphs": [t(paragraph, lang)] if paragraph else [],
                         "table": _clause_table(ids, reqs, results, facts, lang) if ids else None,
                         "chart": None, "requirements": [], "human_fields": fields[sid]})

    failing = [rid for rid, r in results.items() if r == "non_compliant" and rid not in recommended]
    if failing:
        summary = t("annex.verdict.fail", lang, n=len(failing), ids=", ".join(failing))
    elif counts["pending"]:
        summary = t("annex.verdict.partial", lang, n=counts["pending"])
    else:
        summary = t("annex.verdict.pass", lang)
    out: dict[str, Any] = {k: copy.deepcopy(v) for k, v in doc.items() if k not in ("sections", "statements")}
    out["title"] = t("annex.title", lang)
    out["sections"] = sections
    out["facts"] = {**copy.deepcopy(dict(facts)), "clause_results": results, "clause_counts": counts,
                    "language": lang}
    if doc.get("statements") is not None:
        headings = {sid: s["heading"] for s in sections for sid in [s["id"]]}
        open_fields = [{"id": f["id"], "label": f["label"], "section": headings[group], "who": f.get("who", "")}
                       for group, items in fields.items() for f in items if not f.get("statement")]
        total = sum(len(v) for v in fields.values())
        out["statements"] = {"fields": total, "filled": total - len(open_fields), "open": open_fields}
        if open_fields:
            summary += t("annex.verdict.open_fields", lang, n=len(open_fields))
    out["verdict"] = {"status": doc["verdict"]["status"], "summary": summary}
    return out
