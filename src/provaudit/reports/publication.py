"""The publication copy of a disclosure: what a regulator or the public sees.

Contract: from a disclosure with its statements merged
(:func:`provaudit.reports.statements.merge_statements`) and the ``disclosure:`` settings,
:func:`public_document` makes the publication copy as data, and :func:`render_public_html` /
:func:`render_public_markdown` render it (through :mod:`provaudit.reports.render`'s escaping,
tables and charts, so every value is escaped exactly as in the working copy). The copy has

  * a header: the template's own title, provider, system and its version, the disclosure's
    version number and the date (the run's date), each only when it is known;
  * the document's sections under their own headings, with their figures, tables and charts,
    and the statements a person gave, as published text (neither author nor attachment:
    those stay in the working copy);
  * no verdict, no requirement status, no internal requirement id (a requirement's
    article or clause is named instead, e.g. "Art. 7(2)", "TC260-003 5.2"), no column or
    paragraph that reports an expectation's result, and no empty box: a field nobody filled
    is left out, and a section left with nothing is left out;
  * for the EU summary, an explicit "Yes" or "No" under each data category the template
    asks about (2.1 to 2.6; for 2.6, data outside the registry, a filled statement is the
    answer when no registered source falls there), and the answer to "training continuing"
    from ``disclosure.training_continuing``, which counts as an unset header value while absent;
  * when a statement is missing or the header lacks a value, the word DRAFT at the start of
    its title with the number of missing statements ("DRAFT – 3 statements missing: ..."),
    and on top what is missing (statements, unset ``disclosure:`` values): the copy is still
    written, so the team sees what the public would, but it says it is not final.

Pure: no Beam, no clock; the same inputs give the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from provaudit.reports.render import (
    _cell_text,
    _chart_html,
    _e,
    _is_number,
    _md,
    _md_block,
    _md_chart,
    _md_table,
    _page,
    _slug,
    _table_html,
)

__all__ = ["PUBLIC_KINDS", "PublicationMeta", "public_document", "render_public_html", "render_public_markdown"]

PUBLIC_KINDS = ("legitimate_sources", "labelling_process", "cn_filing_annex", "eu_training_summary", "ca_ab2013")
PUBLIC_TITLES = {
    "legitimate_sources": "Legitimate sources of training data",
    "labelling_process": "Data labelling process",
    "cn_filing_annex": "Training data annex to the generative AI service filing "
                       "(Interim Measures for Generative AI Services; TC260-003)",
    "eu_training_summary": "Public summary of training content (Article 53(1)(d) AI Act)",
    "ca_ab2013": "Training data documentation (California Civil Code § 3111, AB 2013)",
}
# The EU template's data categories: each is answered Yes or No.
EU_CATEGORIES = {
    "public-datasets": "Publicly available datasets used",
    "licensed-datasets": "Data commercially licensed from rightsholders used",
    "private-datasets": "Other private data obtained from third parties used",
    "crawled-data": "Data crawled from the web used",
    "user-data": "User data used",
    "synthetic-data": "Synthetic data used",
    "other-sources": "Data from other sources used",
}
# Table columns that report an audit's result or internal ids: never published.
INTERNAL_COLUMNS = {"id", "requirement id", "requirement ids", "status", "result", "severity", "detail",
                    "expectation", "failing batches", "failing sources"}
REQUIREMENT_ID = re.compile(r"\b(?:CN|EU|US)-[A-Za-z0-9]+(?:[.-][A-Za-z0-9]+)*")
VERDICT_WORDS = re.compile(r"\b(?:pass|passed|fail|failed|failing|fails|partial|partly|evidenced|"
                           r"not[ -]evidenced|statement[ -]needed|verify)\b", re.IGNORECASE)


class PublicationMeta(NamedTuple):
    """The header of a publication copy (``disclosure:`` settings and the run's date)."""

    date: str
    provider: str | None = None
    system: str | None = None
    system_version: str | None = None
    version: str | None = None


def public_reference(rid: str) -> str:
    """An internal requirement id as the article or clause it stands for (CN-IM-7.2 -> Art. 7(2))."""
    m = re.fullmatch(r"CN-IM-(\d+)(?:\.(\d+))?(?:-.*)?", rid)
    if m:
        return f"Interim Measures Art. {m.group(1)}" + (f"({m.group(2)})" if m.group(2) else "")
    m = re.fullmatch(r"CN-TC-(\d+(?:\.\d+)*)([a-z])?(?:-.*)?", rid)
    if m:
        return f"TC260-003 {m.group(1)}" + (f" {m.group(2)})" if m.group(2) else "")
    m = re.fullmatch(r"CN-DS-(\d+(?:\.\d+)*)([a-z])?(?:-.*)?", rid)
    if m:
        return f"GB/T 45652 {m.group(1)}" + (f" {m.group(2)})" if m.group(2) else "")
    m = re.fullmatch(r"CN-LB-(\d+)(?:-.*)?", rid)
    if m:
        return f"Labelling Measures Art. {m.group(1)}"
    m = re.fullmatch(r"EU-53([a-z])(?:-.*)?", rid)
    if m:
        return f"AI Act Art. 53(1)({m.group(1)})"
    m = re.fullmatch(r"US-CA-(\d+)", rid)
    if m:
        return f"Civ. Code § 3111(a)({m.group(1)})"
    return ""


# Paragraphs of the working copy that speak about its own fields for a person.
WORKING_WORDS = re.compile(r"\b(?:fill|fills|filled|fillable|to be completed|for a person)\b", re.IGNORECASE)


def _clean(text: str) -> str | None:
    """Text fit to publish, or None when it reports a result, names an internal id or the working copy's fields."""
    if REQUIREMENT_ID.search(text) or VERDICT_WORDS.search(text) or WORKING_WORDS.search(text):
        return None
    return text


def _requirement_texts(doc: Mapping[str, Any]) -> dict[str, str]:
    """id -> requirement text, from tables that list requirements (id, requirement columns)."""
    out: dict[str, str] = {}
    for section in doc.get("sections", []):
        table = section.get("table") or {}
        cols = [str(c).lower() for c in table.get("columns", [])]
        if "id" in cols and "requirement" in cols:
            i, j = cols.index("id"), cols.index("requirement")
            out.update({str(r[i]): str(r[j]) for r in table.get("rows", [])})
    return out


def _public_label(field: Mapping[str, Any], requirements: Mapping[str, str]) -> str | None:
    """A field's label without internal ids: "CN-TC-5.2-ip: statement" -> the requirement's text."""
    label = str(field.get("label", ""))
    m = REQUIREMENT_ID.match(label)
    if m:
        rid = m.group(0)
        text = requirements.get(rid) or str(field.get("hint", "")).split(" — ", 1)[0]
        ref = public_reference(rid)
        text = text[:1].upper() + text[1:]
        label = f"{text} ({ref})" if ref else text
    label = REQUIREMENT_ID.sub(lambda x: public_reference(x.group(0)) or "", label)
    return label.strip() or None


def _public_table(table: Mapping[str, Any]) -> dict[str, Any] | None:
    """A table without result columns; an id column becomes the article or clause; None when nothing is left."""
    columns = [str(c) for c in table.get("columns", [])]
    if any(c.lower() == "expectation" or VERDICT_WORDS.search(c) for c in columns):
        return None  # a table of expectation results: the working copy's, not the public's
    keep = [i for i, c in enumerate(columns) if c.lower() not in INTERNAL_COLUMNS]
    id_col = next((i for i, c in enumerate(columns) if c.lower() == "id"), None)
    if not keep:
        return None
    out_cols = (["article or clause"] if id_col is not None else []) + [columns[i] for i in keep]
    rows = []
    for row in table.get("rows", []):
        cells = [public_reference(str(row[id_col]))] if id_col is not None else []
        for i in keep:
            value = row[i]
            if isinstance(value, str):
                value = REQUIREMENT_ID.sub(lambda x: public_reference(x.group(0)), value)
                value = re.sub(r"\s*\(verify\)", "", value).strip() or None  # None shows as a dash
            cells.append(value)
        rows.append(cells)
    return {"columns": out_cols, "rows": rows}


def public_document(doc: Mapping[str, Any], meta: PublicationMeta) -> dict[str, Any]:
    """The publication copy of a (merged) disclosure as data: title, header, sections, what is missing."""
    kind = str(doc.get("kind", ""))
    requirements = _requirement_texts(doc)
    missing_statements = 0
    sections = []
    for section in doc.get("sections", []):
        statements = []
        for field in section.get("human_fields", []):
            if not field.get("statement"):
                missing_statements += 1
                continue
            statements.append({"label": _public_label(field, requirements) or "",
                               "text": str(field["statement"]["text"])})
        table = _public_table(section["table"]) if section.get("table") else None
        paragraphs = [p for p in (_clean(str(p)) for p in section.get("paragraphs", [])) if p]
        answer = None
        if kind == "eu_training_summary" and section.get("id") in EU_CATEGORIES:
            used = bool(section.get("table") and section["table"].get("rows"))
            answer = f"{EU_CATEGORIES[section['id']]}: {'Yes' if used else 'No'}"
            if not used:
                paragraphs = [p for p in paragraphs if "no training source" not in p.lower()]
                if section["id"] == "other-sources" and statements:
                    answer = None  # data outside the registry: the person's statement is the answer
        chart = section.get("chart")
        if chart is not None and (_clean(str(chart.get("title", ""))) is None):
            chart = None
        if section.get("human_fields") and not statements and not (table or chart or answer):
            continue  # its paragraphs only introduce the fields for a person, none of them filled
        if not (paragraphs or table or chart or statements or answer):
            continue
        heading = REQUIREMENT_ID.sub(lambda x: public_reference(x.group(0)), str(section.get("heading", "")))
        sections.append({"id": str(section.get("id", "")), "heading": heading, "answer": answer,
                         "paragraphs": paragraphs, "table": table, "chart": chart, "statements": statements})
    header = [("Provider", meta.provider),
              ("System", " ".join(v for v in (meta.system, meta.system_version) if v) if meta.system else None),
              ("Version of this document", meta.version), ("Date", meta.date or None)]
    unset = [name for name, value in (("provider", meta.provider), ("system", meta.system),
                                      ("system version", meta.system_version), ("version", meta.version))
             if not value]
    if kind == "eu_training_summary" and (doc.get("facts") or {}).get("general", {}).get("training_continuing") is None:
        unset.append("training_continuing")
    missing = []
    if missing_statements:
        missing.append(f"{missing_statements} statement{'s' if missing_statements != 1 else ''} missing")
    if unset:
        missing.append(f"not set in the config's disclosure section: {', '.join(unset)}")
    title = PUBLIC_TITLES.get(kind) or re.sub(r"\s*\([^)]*\)$", "", str(doc.get("title", "")))
    if missing_statements:
        full_title = f"DRAFT – {missing[0]}: {title}"
    else:
        full_title = f"DRAFT – {title}" if missing else title
    return {"kind": kind, "title": full_title, "draft": bool(missing), "missing": missing,
            "header": [(name, str(value)) for name, value in header if value], "sections": sections,
            "run_id": str(doc.get("run_id", "")), "generated_by": str(doc.get("generated_by", ""))}


def render_public_html(doc: Mapping[str, Any], meta: PublicationMeta) -> str:
    """The publication copy as one self-contained HTML page."""
    pub = public_document(doc, meta)
    taken: set[str] = set()
    parts = ["<header>\n"]
    if pub["draft"]:
        parts.append(f'<p class="kicker">Draft – {_e("; ".join(pub["missing"]))}</p>\n')
    parts.append(f"<h1>{_e(pub['title'])}</h1>\n")
    if pub["header"]:
        parts.append('<table class="meta"><tbody>' + "".join(
            f'<tr><th scope="row">{_e(name)}</th><td>{_e(value)}</td></tr>' for name, value in pub["header"])
            + "</tbody></table>\n")
    parts.append("</header>\n")
    for section in pub["sections"]:
        slug = _slug(section["id"], taken)
        parts.append(f'<section id="{slug}">\n<h2>{_e(section["heading"])}</h2>\n')
        if section["answer"]:
            parts.append(f"<p><strong>{_e(section['answer'])}</strong></p>\n")
        parts.extend(f"<p>{_e(p)}</p>\n" for p in section["paragraphs"])
        if section["chart"]:
            parts.append(_chart_html(section["chart"], f"{slug}-chart") + "\n")
        if section["table"]:
            parts.append(_table_html(section["table"]))
        for st in section["statements"]:
            parts.append(f"<h3>{_e(st['label'])}</h3>\n" if st["label"] else "")
            parts.extend(f"<p>{_e(p)}</p>\n" for p in str(st["text"]).split("\n\n") if p.strip())
        parts.append("</section>\n")
    footer = " · ".join(value for _, value in pub["header"])
    parts.append(f"<footer>{_e(footer)}{' · ' if footer else ''}prepared with {_e(pub['generated_by'])} "
                 f"from audit run {_e(pub['run_id'])}</footer>\n")
    running = f"{pub['title']} · {meta.date}" if meta.date else pub["title"]
    return _page(pub["title"], "".join(parts), running)


def render_public_markdown(doc: Mapping[str, Any], meta: PublicationMeta) -> str:
    """The publication copy as GitHub-flavoured Markdown."""
    pub = public_document(doc, meta)
    out = [f"# {_md(pub['title'])}"]
    if pub["header"]:
        out.append("\n".join(f"**{_md(name)}:** {_md(value)}  " for name, value in pub["header"]).rstrip())
    for section in pub["sections"]:
        out.append(f"## {_md(section['heading'])}")
        if section["answer"]:
            out.append(f"**{_md(section['answer'])}**")
        out.extend(_md_block(p) for p in section["paragraphs"])
        if section["chart"]:
            out.append(_md_chart(section["chart"]).rstrip("\n"))
        if section["table"]:
            table = section["table"]
            rows = table["rows"]
            numeric = [any(_is_number(r[i]) for r in rows) for i in range(len(table["columns"]))]
            cells = [[_cell_text(v, c) for c, v in zip(table["columns"], r)] for r in rows]
            out.append(_md_table(table["columns"], cells, numeric).rstrip("\n"))
        for st in section["statements"]:
            if st["label"]:
                out.append(f"### {_md(st['label'])}")
            out.extend(_md_block(p) for p in str(st["text"]).split("\n\n") if p.strip())
    footer = " · ".join(value for _, value in pub["header"])
    out.append(f"{_md(footer)}{' · ' if footer else ''}prepared with {_md(pub['generated_by'])} from audit run "
               f"{_md(pub['run_id'])}")
    return "\n\n".join(out) + "\n"
