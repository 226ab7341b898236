"""Content screening, the TC260-003 9.2 corpus assessment and AI-generated content, as the
disclosures show them (pure: no Beam, no Great Expectations).

Contract. From one run's files (``screening/libraries.json``, ``profiles/corpus_assessment.parquet``
and the source profile's screening and AIGC columns) :func:`load` reads what exists and
:func:`screening_facts` / :func:`aigc_facts` make plain, JSON-ready facts of it; the section
builders write those facts in a catalogue language (:mod:`provaudit.reports.messages`), so the
English disclosure and its Chinese version come from the same keys with the same values:

    load(run_dir)                    ({libraries.json} or {}, {corpus assessment row} or {})
    screening_facts(...)             libraries, classifiers, 8.1 coverage, per-source figures, 9.2
    sections(facts, lang)            the legitimate-sources sections "screening-libraries",
                                     "screening" and "corpus-assessment"
    requirements(facts, lang)        status and detail of CN-TC-5.2a, 5.1d, 8.1, 9.2-auto, 9.2-manual
    aigc_facts(rows, train, registry) per training source: AIGC-labelled documents, their labels,
                                     the registry's generator, the share declared or labelled generated
    index_line(facts, aigc, lang)    the index page's one-line screening summary

Reports read counts only: a matched term never reaches this module (``libraries.json`` holds
sizes, the profile counts). A run made before screening existed, or without it configured,
has none of these files or columns: every section then says "not measured in this run" and
nothing raises. Each line names its requirement id and, where the validation results have an
expectation citing it, that expectation's verdict (``passed`` / ``failed``); otherwise
"not checked by an expectation". The library age is counted from the run's date (the
manifest's ``started``), never from the clock at render time. Values from the registry, the
config or the corpus are data: the renderer escapes them. Deterministic.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from provaudit.core import risks
from provaudit.core.errors import ProvauditError
from provaudit.reports.messages import requirement, t

__all__ = ["AIGC_LABELS", "SCREENING_IDS", "aigc_facts", "index_line", "load", "requirements",
           "screening_facts", "sections"]

SCREENING_IDS = ("CN-TC-5.2a", "CN-TC-5.1d", "CN-TC-8.1", "CN-TC-9.2-auto", "CN-TC-9.2-manual")
SECTION_IDS = ("screening-libraries", "screening", "corpus-assessment")
AIGC_LABELS = ("1", "2", "3", "explicit")
# TC260-003's own figures: 8.1 (library size, terms per risk, weekly update) and 9.2 (samples, shares)
LIBRARY_TERMS_MIN = 10_000
AUTO_SHARE_MIN = 0.10
AUTO_QUALIFIED_MIN = 0.98
MANUAL_SAMPLE_MIN = 4_000
MANUAL_QUALIFIED_MIN = 0.96
_PROFILE_SCREENING = ("screened_documents", "screening_coverage", "keyword_hit_documents", "keyword_hit_share",
                      "keyword_hits_by_risk", "classifier_flagged_documents", "blocked_documents")


# --------------------------------------------------------------------------- reading


def load(run_dir: str | os.PathLike) -> tuple[dict[str, Any], dict[str, Any]]:
    """``screening/libraries.json`` and the one row of ``profiles/corpus_assessment.parquet``; {} when absent."""
    run_dir = os.fspath(run_dir)
    libraries: dict[str, Any] = {}
    path = os.path.join(run_dir, "screening", "libraries.json")
    if os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as fh:
                libraries = json.load(fh)
        except json.JSONDecodeError as exc:
            raise ProvauditError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        if not isinstance(libraries, dict):
            raise ProvauditError(f"{path}: expected a JSON object with keys libraries, classifiers, coverage")
    assessment: dict[str, Any] = {}
    path = os.path.join(run_dir, "profiles", "corpus_assessment.parquet")
    if os.path.exists(path):
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
        if len(rows) != 1:
            raise ProvauditError(f"{path}: expected one row, found {len(rows)}")
        assessment = rows[0]
    return libraries, assessment


def _loads(value: Any) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    return dict(json.loads(value)) if isinstance(value, str) else dict(value)


def _code_key(code: str) -> tuple[int, str]:
    """Appendix A's order of the risk codes (A.1-1 ... A.5-2); an unknown code after them."""
    return (risks.RISK_CODES.index(code) if code in risks.RISK_CODES else len(risks.RISK_CODES), code)


def _age(updated: Any, run_date: str) -> int | None:
    try:
        return (date.fromisoformat(run_date[:10]) - date.fromisoformat(str(updated)[:10])).days
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- facts


def _verdict_of(rid: str, verdicts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The expectations citing ``rid``: "passed", "failed" or None (no expectation), with their ids."""
    citing = [v for v in verdicts if rid in v.get("requirement_ids", [])]
    failed = [v for v in citing if not v.get("success")]
    # a failed requirement names its failed expectations, a passed one every expectation citing it
    return {"status": ("failed" if failed else "passed") if citing else None,
            "expectations": [str(v["expectation"]) for v in (failed or citing)],
            "failing": sorted({str(f) for v in failed for f in v.get("failing", [])})}


def screening_facts(rows: Mapping[str, Mapping[str, Any]], names: Sequence[str], train: Sequence[str],
                    libraries: Mapping[str, Any], assessment: Mapping[str, Any],
                    verdicts: Sequence[Mapping[str, Any]], run_date: str, max_age_days: int = 7) -> dict[str, Any]:
    """The screening facts of one run (see the module docstring); ``measured`` False when it has none.

    ``rows`` are the source profile by source name, ``verdicts`` the validation verdicts in their
    public form (expectation, requirement_ids, success, failing)."""
    libs = []
    for lib in libraries.get("libraries") or []:
        age = _age(lib.get("updated"), run_date)
        libs.append({"name": lib.get("name"), "file": lib.get("file"), "sha256": lib.get("sha256"),
                     "updated": lib.get("updated"), "age_days": age,
                     "too_old": age is None or age > max_age_days,
                     "terms": int(lib.get("terms") or 0),
                     "terms_by_risk": {str(k): int(v) for k, v in sorted((lib.get("terms_by_risk") or {}).items(),
                                                                             key=lambda kv: _code_key(kv[0]))}})
    classifiers = [{"name": c.get("name"), "callable": c.get("callable"), "risks": list(c.get("risks") or []),
                    "threshold": c.get("threshold")} for c in libraries.get("classifiers") or []]
    cov = libraries.get("coverage") or {}
    coverage = None
    if libraries:
        short = {str(k): int(v) for k, v in sorted((cov.get("short") or {}).items(), key=lambda kv: _code_key(kv[0]))}
        missing = list(cov.get("classifier_missing") or [])
        terms = int(cov.get("terms") or sum(lib["terms"] for lib in libs))
        old = [lib["name"] for lib in libs if lib["too_old"]]
        gaps = []
        if terms < LIBRARY_TERMS_MIN:
            gaps.append("terms")
        if short:
            gaps.append("short")
        if old:
            gaps.append("age")
        if missing:
            gaps.append("classifier")
        coverage = {"terms": terms, "terms_required": LIBRARY_TERMS_MIN, "short": short,
                    "risks_with_terms": list(cov.get("risks_with_terms") or []),
                    "classifier_risks": list(cov.get("classifier_risks") or []), "classifier_missing": missing,
                    "too_old": old, "max_age_days": max_age_days, "gaps": gaps, "met": not gaps}
    per_source = {}
    for n in names:
        r = rows[n]
        if r.get("screening_coverage") is None and r.get("screened_documents") is None:
            continue
        by_risk = {str(k): int(v) for k, v in sorted(_loads(r.get("keyword_hits_by_risk")).items(),
                                                      key=lambda kv: _code_key(kv[0]))}
        by_class: dict[str, int] = {}
        for code, count in by_risk.items():
            try:
                cls = risks.risk_class(code)
            except (KeyError, ValueError):
                cls = code
            by_class[cls] = by_class.get(cls, 0) + count
        per_source[n] = {"role": r.get("role"), "documents": int(r.get("documents") or 0),
                         **{k: r.get(k) for k in _PROFILE_SCREENING if k != "keyword_hits_by_risk"},
                         "keyword_hits_by_risk": by_risk, "keyword_hits_by_class": dict(sorted(by_class.items()))}
    assess = dict(assessment) if assessment else None
    measured = bool(libraries) or bool(per_source) or assess is not None
    return {"measured": measured, "run_date": run_date[:10] or None, "libraries": libs, "classifiers": classifiers,
            "coverage": coverage, "sources": per_source, "training_sources": [n for n in train if n in per_source],
            "assessment": assess,
            "requirements": {rid: _verdict_of(rid, verdicts) for rid in SCREENING_IDS},
            "thresholds": {"auto_sample_share": AUTO_SHARE_MIN, "auto_qualified_share": AUTO_QUALIFIED_MIN,
                           "manual_sample": MANUAL_SAMPLE_MIN, "manual_qualified_share": MANUAL_QUALIFIED_MIN}}


def aigc_facts(rows: Mapping[str, Mapping[str, Any]], train: Sequence[str], registry: Mapping[str, Any]) -> dict[str, Any]:
    """Per training source: AIGC-labelled documents, labels, producers' count, generator and generated share.

    ``measured`` is False when the profile has no AIGC columns (a run before they existed)."""
    per: dict[str, Any] = {}
    measured = False
    for n in train:
        r = rows[n]
        src = registry.get(n)
        generator = r.get("generator") or getattr(src, "generator", None)
        synthetic = r.get("acquisition") == "synthetic"
        collected = getattr(src, "collected", None) or r.get("collected_from")
        collected = None if collected is None else str(collected)
        if "aigc_documents" in r and r.get("aigc_documents") is not None:
            measured = True
            labels = _loads(r.get("aigc_labels"))
            share = r.get("aigc_share")
            generated = r.get("generated_share")
            if generated is None:
                generated = 1.0 if synthetic else share
            per[n] = {"acquisition": r.get("acquisition"), "generator": generator, "collected": collected,
                      "documents": r.get("documents"),
                      "aigc_documents": int(r["aigc_documents"]), "aigc_share": share,
                      "aigc_labels": {k: int(labels.get(k, 0)) for k in AIGC_LABELS if labels.get(k)},
                      "generated_share": generated}
        else:
            per[n] = {"acquisition": r.get("acquisition"), "generator": generator, "collected": collected,
                      "documents": r.get("documents"),
                      "aigc_documents": None, "aigc_share": None, "aigc_labels": {},
                      "generated_share": 1.0 if synthetic else None}
    documents = sum(int(rows[n].get("documents") or 0) for n in train)
    generated_docs = None
    labelled = None
    if measured:
        generated_docs = sum(int(rows[n].get("documents") or 0) if per[n]["acquisition"] == "synthetic"
                             else per[n]["aigc_documents"] or 0 for n in train)
        labelled = sum(per[n]["aigc_documents"] or 0 for n in train)
    else:
        generated_docs = sum(int(rows[n].get("documents") or 0) for n in train if per[n]["acquisition"] == "synthetic")
    return {"measured": measured, "sources": per,
            "synthetic_sources": [n for n in train if per[n]["acquisition"] == "synthetic"],
            "training_documents": documents, "labelled_documents": labelled,
            "labelled_share": round(labelled / documents, 6) if measured and documents else None,
            "generated_documents": generated_docs,
            "generated_share": round(generated_docs / documents, 6) if documents else None}


# --------------------------------------------------------------------------- words


def _pct(share: Any, lang: str) -> str:
    if share is None:
        return t("value.na", lang)
    text = f"{float(share) * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _sep(lang: str) -> str:
    return t("sep.list", lang)


def _class_name(cls: str, lang: str) -> str:
    names = risks.CLASS_NAMES.get(cls)
    if names is None:
        return cls
    return f"{cls} {names[0] if lang != 'en' else names[1]}"


def _status(rid: str, facts: Mapping[str, Any], lang: str) -> str:
    s = facts["requirements"][rid]["status"]
    return t(f"screen.status.{s}" if s else "screen.status.unchecked", lang)


def _share_cell(value: Any, lang: str) -> Any:
    """A share as the English disclosure keeps it (a number) or, in another language, as text."""
    if lang == "en" or value is None or isinstance(value, bool):
        return value
    return f"{float(value) * 100:.1f}%"


def _section(sid: str, heading: str, paragraphs: Sequence[str], table: dict | None,
             reqs: Sequence[dict]) -> dict[str, Any]:
    return {"id": sid, "heading": heading, "paragraphs": list(paragraphs), "table": table, "chart": None,
            "requirements": list(reqs), "human_fields": []}


def _cols(names: Sequence[str], lang: str) -> list[str]:
    return [t(f"col.{c}", lang) for c in names]


def requirements(facts: Mapping[str, Any], lang: str) -> dict[str, dict[str, str]]:
    """rid -> {id, status, detail} of the screening requirements, from their expectations' verdicts.

    With no expectation citing it, a requirement is ``not-evidenced`` here (the CN annex decides
    it from the figures instead); the detail says what the run measured."""
    out = {}
    for rid in SCREENING_IDS:
        v = facts["requirements"][rid]
        if v["status"] == "failed":
            status, detail = "failed", t("screen.req.failed", lang, expectations=_sep(lang).join(v["expectations"]),
                                         failing=_sep(lang).join(v["failing"]) or t("value.none", lang))
        elif v["status"] == "passed":
            status, detail = "evidenced", t("screen.req.passed", lang, expectations=_sep(lang).join(v["expectations"]))
        elif not facts["measured"]:
            status, detail = "not-evidenced", t("screen.not_measured", lang)
        else:
            status, detail = "not-evidenced", t("screen.req.unchecked", lang)
        if lang != "en":
            clause, text = requirement(rid, lang)
            detail = t("req.with_clause", lang, clause=clause, text=text, detail=detail)
        out[rid] = {"id": rid, "status": status, "detail": detail}
    return out


def sections(facts: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    """The three screening sections of the legitimate-sources disclosure in ``lang``."""
    reqs = requirements(facts, lang)
    if not facts["measured"]:
        none = [t("screen.not_measured", lang)]
        return [_section("screening-libraries", t("screen.libraries.heading", lang), none, None, [reqs["CN-TC-8.1"]]),
                _section("screening", t("screen.sources.heading", lang), none, None,
                         [reqs["CN-TC-5.2a"], reqs["CN-TC-5.1d"]]),
                _section("corpus-assessment", t("screen.assessment.heading", lang), none, None,
                         [reqs["CN-TC-9.2-auto"], reqs["CN-TC-9.2-manual"]])]
    return [_libraries_section(facts, reqs, lang), _sources_section(facts, reqs, lang),
            _assessment_section(facts, reqs, lang)]


def _libraries_section(facts: Mapping[str, Any], reqs: Mapping[str, dict], lang: str) -> dict[str, Any]:
    cov = facts["coverage"]
    heading = t("screen.libraries.heading", lang)
    if cov is None:
        return _section("screening-libraries", heading, [t("screen.libraries.none", lang)], None, [reqs["CN-TC-8.1"]])
    paragraphs = [t("screen.libraries.paragraph", lang, n=len(facts["libraries"]), terms=f"{cov['terms']:,}",
                    required=f"{cov['terms_required']:,}", max_age=cov["max_age_days"],
                    run_date=facts["run_date"] or t("value.na", lang))]
    if cov["short"]:
        paragraphs.append(t("screen.libraries.short", lang, n=len(cov["short"]),
                            codes=_sep(lang).join(f"{k} ({v})" for k, v in cov["short"].items())))
    if facts["classifiers"]:
        paragraphs.append(t("screen.classifiers", lang, classifiers=_sep(lang).join(
            f"{c['name']} ({_sep(lang).join(c['risks'])})" for c in facts["classifiers"])))
    else:
        paragraphs.append(t("screen.classifiers.none", lang))
    paragraphs.append(t("screen.classifiers.missing", lang, n=len(cov["classifier_missing"]),
                        total=len(risks.RISK_CODES)))
    verdict = "screen.coverage.met" if cov["met"] else "screen.coverage.gaps"
    paragraphs.append(t(verdict, lang, gaps=_sep(lang).join(t(f"screen.gap.{g}", lang) for g in cov["gaps"]),
                        rid="CN-TC-8.1"))
    columns = ("library", "file", "updated", "age (days)", "older than the limit", "terms", "terms by risk class")
    rows = []
    for lib in facts["libraries"]:
        by_class: dict[str, int] = {}
        for code, n in lib["terms_by_risk"].items():
            try:
                cls = risks.risk_class(code)
            except (KeyError, ValueError):
                cls = code
            by_class[cls] = by_class.get(cls, 0) + n
        rows.append([lib["name"], lib["file"], lib["updated"], lib["age_days"],
                     t("value.yes" if lib["too_old"] else "value.no", lang), lib["terms"],
                     _sep(lang).join(f"{k}: {v}" for k, v in sorted(by_class.items()))])
    return _section("screening-libraries", heading, paragraphs, {"columns": _cols(columns, lang), "rows": rows},
                    [reqs["CN-TC-8.1"]])


def _sources_section(facts: Mapping[str, Any], reqs: Mapping[str, dict], lang: str) -> dict[str, Any]:
    heading = t("screen.sources.heading", lang)
    S = facts["sources"]
    if not S:
        return _section("screening", heading, [t("screen.not_measured", lang)], None,
                        [reqs["CN-TC-5.2a"], reqs["CN-TC-5.1d"]])
    classes = _sep(lang).join(_class_name(k, lang) for k in risks.CLASS_NAMES)
    paragraphs = [t("screen.sources.paragraph", lang, classes=classes),
                  t("screen.sources.verdicts", lang, coverage=_status("CN-TC-5.2a", facts, lang),
                    blocked=_status("CN-TC-5.1d", facts, lang))]
    columns = ("source", "role", "documents", "screened documents", "screening coverage share",
               "keyword hit documents", "keyword hit share", "keyword hits by risk class",
               "classifier-flagged documents", "blocked documents")
    rows = []
    for n, f in S.items():
        docs = f["documents"] or 0
        by_class = _sep(lang).join(
            f"{cls}: {count} ({_pct(count / docs if docs else 0.0, lang)})" for cls, count in f["keyword_hits_by_class"].items()
        ) or t("value.none", lang)
        rows.append([n, f["role"], f["documents"], f["screened_documents"], _share_cell(f["screening_coverage"], lang),
                     f["keyword_hit_documents"], _share_cell(f["keyword_hit_share"], lang), by_class,
                     f["classifier_flagged_documents"], f["blocked_documents"]])
    return _section("screening", heading, paragraphs, {"columns": _cols(columns, lang), "rows": rows},
                    [reqs["CN-TC-5.2a"], reqs["CN-TC-5.1d"]])


def _assessment_section(facts: Mapping[str, Any], reqs: Mapping[str, dict], lang: str) -> dict[str, Any]:
    heading = t("screen.assessment.heading", lang)
    a = facts["assessment"]
    if a is None:
        return _section("corpus-assessment", heading, [t("screen.not_measured", lang)], None,
                        [reqs["CN-TC-9.2-auto"], reqs["CN-TC-9.2-manual"]])
    th = facts["thresholds"]

    def interval(lo: Any, hi: Any) -> str:
        return t("value.na", lang) if lo is None or hi is None else f"{_pct(lo, lang)}–{_pct(hi, lang)}"

    paragraphs = [t("screen.assessment.auto", lang, rid="CN-TC-9.2-auto", sample=f"{a.get('auto_sample_size') or 0:,}",
                    documents=f"{a.get('training_documents') or 0:,}", share=_pct(a.get("auto_sample_share"), lang),
                    min_share=_pct(th["auto_sample_share"], lang), qualified=f"{a.get('auto_qualified') or 0:,}",
                    qshare=_pct(a.get("auto_qualified_share"), lang),
                    interval=interval(a.get("auto_lower95"), a.get("auto_upper95")),
                    required=_pct(th["auto_qualified_share"], lang), status=_status("CN-TC-9.2-auto", facts, lang)),
                  t("screen.assessment.manual", lang, rid="CN-TC-9.2-manual",
                    reviewed=f"{a.get('manual_reviewed') or 0:,}", sampled=f"{a.get('manual_sampled') or 0:,}",
                    min_sample=f"{th['manual_sample']:,}", qualified=f"{a.get('manual_qualified') or 0:,}",
                    qshare=_pct(a.get("manual_qualified_share"), lang),
                    interval=interval(a.get("manual_lower95"), a.get("manual_upper95")),
                    required=_pct(th["manual_qualified_share"], lang),
                    status=_status("CN-TC-9.2-manual", facts, lang))]
    columns = ("requirement id", "assessment", "sample", "sample share", "qualified", "qualified share",
               "qualified share lower bound (95%)", "qualified share upper bound (95%)", "required", "status")
    docs = a.get("training_documents") or 0
    manual_share = round(a["manual_reviewed"] / docs, 6) if docs and a.get("manual_reviewed") is not None else None
    rows = [["CN-TC-9.2-auto", t("screen.assessment.auto_name", lang), a.get("auto_sample_size"),
             _share_cell(a.get("auto_sample_share"), lang), a.get("auto_qualified"),
             _share_cell(a.get("auto_qualified_share"), lang), _share_cell(a.get("auto_lower95"), lang),
             _share_cell(a.get("auto_upper95"), lang),
             t("screen.assessment.required", lang, sample=_pct(th["auto_sample_share"], lang),
               share=_pct(th["auto_qualified_share"], lang)), _status("CN-TC-9.2-auto", facts, lang)],
            ["CN-TC-9.2-manual", t("screen.assessment.manual_name", lang), a.get("manual_reviewed"),
             _share_cell(manual_share, lang), a.get("manual_qualified"),
             _share_cell(a.get("manual_qualified_share"), lang), _share_cell(a.get("manual_lower95"), lang),
             _share_cell(a.get("manual_upper95"), lang),
             t("screen.assessment.required", lang, sample=f"{th['manual_sample']:,}",
               share=_pct(th["manual_qualified_share"], lang)), _status("CN-TC-9.2-manual", facts, lang)]]
    return _section("corpus-assessment", heading, paragraphs, {"columns": _cols(columns, lang), "rows": rows},
                    [reqs["CN-TC-9.2-auto"], reqs["CN-TC-9.2-manual"]])


def index_line(facts: Mapping[str, Any], aigc: Mapping[str, Any], lang: str) -> str:
    """One sentence for the run's index page: coverage, the 9.2 verdicts and the AIGC share."""
    if not facts["measured"] and not aigc["measured"]:
        return t("screen.index.none", lang)
    a = facts.get("assessment") or {}
    coverage = a.get("screening_coverage")
    if coverage is None and facts["sources"]:
        screened = sum(f["screened_documents"] or 0 for n, f in facts["sources"].items()
                       if n in facts["training_sources"])
        docs = sum(f["documents"] or 0 for n, f in facts["sources"].items() if n in facts["training_sources"])
        coverage = screened / docs if docs else 1.0
    return t("screen.index.line", lang,
             coverage=_pct(coverage, lang) if facts["measured"] else t("screen.index.unmeasured", lang),
             auto=_status("CN-TC-9.2-auto", facts, lang), auto_share=_pct(a.get("auto_qualified_share"), lang),
             manual=_status("CN-TC-9.2-manual", facts, lang), manual_share=_pct(a.get("manual_qualified_share"), lang),
             aigc=_pct(aigc["labelled_share"], lang) if aigc["measured"] else t("screen.index.unmeasured", lang),
             generated=_pct(aigc["generated_share"], lang))


# --------------------------------------------------------------------------- CN filing annex

ANNEX_IDS = ("CN-TC-5.2a", "CN-TC-5.1d", "CN-TC-8.1", "CN-TC-9.2-auto", "CN-TC-9.2-manual", "CN-LB-5-detect",
             "CN-DS-7.1b")


def _training_sum(facts: Mapping[str, Any], key: str) -> int:
    return sum(int(facts["sources"][n].get(key) or 0) for n in facts["training_sources"])


def annex_figures(facts: Mapping[str, Any], aigc: Mapping[str, Any]) -> dict[str, Any]:
    """The figures the annex's screening rows cite, over the training sources (JSON-ready)."""
    a = facts.get("assessment") or {}
    documents = _training_sum(facts, "documents")
    screened = _training_sum(facts, "screened_documents")
    coverage = a.get("screening_coverage")
    if coverage is None and facts["training_sources"]:
        coverage = round(screened / documents, 6) if documents else 1.0
    blocked = a.get("blocked_documents")
    if blocked is None and facts["training_sources"]:
        blocked = _training_sum(facts, "blocked_documents")
    return {"documents": a.get("training_documents", documents), "screened": a.get("screened_documents", screened),
            "coverage": coverage, "blocked": blocked}


def annex_status(rid: str, facts: Mapping[str, Any], aigc: Mapping[str, Any], lang: str) -> dict[str, str] | None:
    """Status and evidence text of annex row ``rid`` decided from the figures (no expectation cites it).

    None when the run has no figure for it (the annex keeps its own wording)."""
    f = annex_figures(facts, aigc)
    a = facts.get("assessment")
    cov = facts.get("coverage")
    th = facts["thresholds"]
    if rid == "CN-TC-5.2a":
        if f["coverage"] is None:
            return None
        status = "evidenced" if f["coverage"] >= 1.0 else "failed"
        return {"status": status, "detail": t("screen.annex.coverage", lang, screened=f"{f['screened']:,}",
                                              documents=f"{f['documents']:,}", share=_pct(f["coverage"], lang),
                                              libraries=_sep(lang).join(str(x["name"]) for x in facts["libraries"])
                                              or t("value.none", lang),
                                              classifiers=_sep(lang).join(str(x["name"]) for x in facts["classifiers"])
                                              or t("value.none", lang))}
    if rid == "CN-TC-5.1d":
        if f["blocked"] is None:
            return None
        return {"status": "evidenced" if f["blocked"] == 0 else "failed",
                "detail": t("screen.annex.blocked", lang, blocked=f"{f['blocked']:,}")}
    if rid == "CN-TC-8.1":
        if cov is None:
            return None
        detail = t("screen.annex.library", lang, n=len(facts["libraries"]), terms=f"{cov['terms']:,}",
                   required=f"{cov['terms_required']:,}", short=len(cov["short"]), old=len(cov["too_old"]),
                   max_age=cov["max_age_days"], missing=len(cov["classifier_missing"]), total=len(risks.RISK_CODES))
        return {"status": "evidenced" if cov["met"] else "failed", "detail": detail}
    if rid in ("CN-TC-9.2-auto", "CN-TC-9.2-manual"):
        if not a:
            return None
        auto = rid.endswith("auto")
        p = "auto" if auto else "manual"
        sample = a.get("auto_sample_size" if auto else "manual_reviewed") or 0
        share = a.get(f"{p}_qualified_share")
        if auto:
            big_enough = (a.get("auto_sample_share") or 0) >= th["auto_sample_share"]
        else:
            big_enough = sample >= th["manual_sample"] or (0 < (a.get("training_documents") or 0) <= sample)
        required = th[f"{p}_qualified_share"]
        if not auto and not sample:
            return None  # no corpus-wide manual sample: the annex decides from the per-source inspection
        if not sample or share is None:
            status = "not-evidenced"
        elif share < required:
            status = "failed"
        else:
            status = "evidenced" if big_enough else "not-evidenced"
        lo, hi = a.get(f"{p}_lower95"), a.get(f"{p}_upper95")
        detail = t(f"screen.annex.{p}", lang, sample=f"{sample:,}", documents=f"{a.get('training_documents') or 0:,}",
                   sample_share=_pct(a.get("auto_sample_share"), lang), qualified=f"{a.get(f'{p}_qualified') or 0:,}",
                   share=_pct(share, lang),
                   interval=t("value.na", lang) if lo is None or hi is None else f"{_pct(lo, lang)}–{_pct(hi, lang)}",
                   required=_pct(required, lang),
                   min_sample=_pct(th["auto_sample_share"], lang) if auto else f"{th['manual_sample']:,}")
        return {"status": status, "detail": detail}
    if rid == "CN-LB-5-detect":
        if not aigc["measured"]:
            return None
        per = _sep(lang).join(
            f"{n}: {e['aigc_documents']} ({_sep(lang).join(f'{k}: {v}' for k, v in e['aigc_labels'].items()) or '—'})"
            for n, e in aigc["sources"].items() if e["aigc_documents"])
        return {"status": "evidenced", "detail": t("screen.annex.aigc", lang, labelled=f"{aigc['labelled_documents']:,}",
                                                   documents=f"{aigc['training_documents']:,}",
                                                   share=_pct(aigc["labelled_share"], lang),
                                                   sources=per or t("value.none", lang))}
    if rid == "CN-DS-7.1b":
        synthetic = aigc["synthetic_sources"]
        if not synthetic:
            return {"status": "evidenced", "detail": t("screen.annex.no_synthetic", lang)}
        missing = []
        for n in synthetic:
            lacks = [k for k in ("generator", "collected") if not aigc["sources"][n][k]]
            if lacks:
                missing.append(f"{n} ({_sep(lang).join(lacks)})")
        generators = _sep(lang).join(f"{n}: {aigc['sources'][n]['generator'] or t('value.none', lang)}"
                                     for n in synthetic)
        if missing:
            return {"status": "failed", "detail": t("screen.annex.synthetic_missing", lang,
                                                    missing=_sep(lang).join(missing), generators=generators)}
        return {"status": "evidenced", "detail": t("screen.annex.synthetic", lang, generators=generators)}
    return None
