"""Merge a person's statements into the disclosures, and write the statements template.

Contract: :func:`merge_statements` takes the built disclosure documents (plain dicts of
``schemas/disclosure.schema.json``) and the filled statements
(:func:`provaudit.core.statements.load_statements`) and returns new documents (the inputs
are not changed) where

  * every field a statement fills carries it (``human_fields[i].statement``: text, author,
    date, optional attachment with its SHA-256), and every field carries ``who``, the role
    provaudit suggests to fill it;
  * the document carries ``statements``: how many fields it has, how many are filled, and the
    open ones once, with their section and who fills them (the working copy lists them on
    top);
  * the verdict is post-processed, never recomputed: ``partial`` (nothing related failed,
    fields open) becomes ``complete`` when every field is filled, and its summary counts the
    open fields; ``fail`` stays ``fail`` (a statement does not mend failed data) with the
    count added; ``pass`` (a document without fields) is left alone.

:func:`statements_template` writes the YAML a person fills: every field of every disclosure
of a run, in document order, each preceded by comments with its label, hint, requirement
text and who fills it, with the values already given kept. Keys are bare field ids where an
id is unique across the run's disclosures and ``<kind>.<id>`` where it is not.

Pure: no Beam, no clock; the same inputs give the same documents and the same template.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from provaudit.core.statements import Statement, known_ids, statement_for

__all__ = ["field_ids", "merge_statements", "statements_template", "who_fills"]

# Who is expected to give a statement: the first rule whose words occur in the field's id or
# label wins. Suggestions for the working copy, never published.
_WHO = (
    (("provider", "model-name", "placing", "market", "cutoff", "cut-off", "token"),
     "the model provider's product owner"),
    (("licen", "-ip-", " ip ", "intellectual", "commercial", "contract", "owner", "trademark", "patent",
      "private-categories"), "legal (licensing and IP)"),
    (("label", "rules", "guideline", "annotat"), "the labelling lead"),
    (("illegal", "safety", "keyword", "8.1", "9.2", "harmful", "5.1a-pre"), "trust and safety"),
    (("consumer", "personal", "privacy", "consent"), "the privacy officer"),
    (("crawl", "opt-out", "optout", "collect", "other-sources", "processing", "cleaning"), "the data team"),
    (("purpose",), "the system's product owner"),
)
_DEFAULT_WHO = "the compliance officer"
_OPEN_TAIL = re.compile(r";? ?\d+ (of \d+ )?field\(s\) still need a person's statement$")


def who_fills(field: Mapping[str, Any]) -> str:
    """The role provaudit suggests for a field, from words in its id and label."""
    words = f" {field.get('id', '')} {field.get('label', '')} ".lower()
    for needles, who in _WHO:
        if any(n in words for n in needles):
            return who
    return _DEFAULT_WHO


def field_ids(documents: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """Each disclosure kind's human field ids, in document order (what a statements key may name)."""
    return {kind: [f["id"] for s in doc.get("sections", []) for f in s.get("human_fields", [])]
            for kind, doc in documents.items()}


def _verdict(verdict: Mapping[str, Any], fields: int, filled: int) -> dict[str, Any]:
    status, summary = verdict["status"], str(verdict.get("summary", ""))
    left = fields - filled
    if status == "partial":
        base = _OPEN_TAIL.sub("", summary).rstrip("; ")
        if left == 0:
            return {"status": "complete", "summary": f"{base}; all {fields} statement(s) given"}
        return {"status": "partial",
                "summary": f"{base}; {left} of {fields} field(s) still need a person's statement"}
    if status == "fail" and fields:
        return {"status": "fail", "summary": f"{summary}; {filled} of {fields} statement(s) given"}
    return dict(verdict)


def merge_statements(documents: Mapping[str, Mapping[str, Any]],
                     statements: Mapping[str, Statement] | None = None) -> dict[str, dict[str, Any]]:
    """Fill the documents' human fields from ``statements``; return new documents keyed by kind."""
    statements = statements or {}
    out: dict[str, dict[str, Any]] = {}
    for kind, original in documents.items():
        doc = copy.deepcopy(dict(original))
        fields = filled = 0
        open_fields: list[dict[str, str]] = []
        for section in doc.get("sections", []):
            for field in section.get("human_fields", []):
                fields += 1
                field["who"] = who_fills(field)
                given = statement_for(statements, kind, field["id"])
                if given is not None:
                    field["statement"] = given.as_dict()
                    filled += 1
                else:
                    field.pop("statement", None)
                    open_fields.append({"id": field["id"], "label": field["label"],
                                        "section": str(section.get("heading", "")), "who": field["who"]})
        doc["verdict"] = _verdict(doc["verdict"], fields, filled)
        doc["statements"] = {"fields": fields, "filled": filled, "open": open_fields}
        out[kind] = doc
    return out


# --------------------------------------------------------------------------- template


def _requirement_text(section: Mapping[str, Any], field_id: str) -> str:
    """The requirement a field answers: the section's requirement whose id the field id extends, else all."""
    from provaudit.reports import disclosures

    catalogue = getattr(disclosures, "REQUIREMENTS", {})
    reqs = list(section.get("requirements", []))
    own = [r for r in reqs if field_id.startswith(f"{r.get('id')}-")]
    texts = []
    for req in own or reqs:
        rid = str(req.get("id", ""))
        text = (catalogue.get(rid) or {}).get("requirement") if isinstance(catalogue, Mapping) else None
        texts.append(f"{rid}: {text}" if text else f"{rid}: {req.get('detail', '')}")
    return "; ".join(texts)


def _comment(text: Any) -> str:
    return " ".join(str(text).split())


def statements_template(documents: Mapping[str, Mapping[str, Any]], existing: Mapping[str, Mapping[str, Any]],
                        run_id: str, kinds: Sequence[str] = ()) -> str:
    """The statements YAML for a run: every field, open ones empty, given values kept.

    ``existing`` is the configured statements file as read (key -> entry), or empty.
    """
    order = list(kinds) or list(documents)
    ids = field_ids({k: documents[k] for k in order if k in documents})
    known = set(known_ids(ids))
    entries: dict[str, dict[str, Any]] = {}
    notes: dict[str, list[str]] = {}
    heads: dict[str, str] = {}
    for kind in order:
        doc = documents.get(kind)
        if doc is None:
            continue
        for section in doc.get("sections", []):
            for field in section.get("human_fields", []):
                fid = field["id"]
                scoped = f"{kind}.{fid}"
                key = next((k for k in (scoped, fid) if k in existing),
                           fid if fid in known else scoped)
                if key in entries:  # a bare id shared by several disclosures: one entry fills all
                    notes[key].append(f"# also fills: {kind} / {_comment(section.get('heading', ''))}")
                    continue
                given = dict(existing.get(key) or {})  # only the configured file's values: its paths are relative to it
                entry = {"text": given.get("text") or "", "author": given.get("author") or "",
                         "date": str(given.get("date") or "")}
                if given.get("attachment"):
                    entry["attachment"] = given["attachment"]
                entries[key] = entry
                heads[key] = kind
                state = "filled" if str(entry["text"]).strip() else "OPEN"
                notes[key] = [
                    f"# [{state}] {_comment(field.get('label', ''))}  ({kind} / {_comment(section.get('heading', ''))})",
                    f"#   hint: {_comment(field.get('hint', ''))}",
                    f"#   requirement: {_comment(_requirement_text(section, fid)) or 'none cited'}",
                    f"#   who fills it: {_comment(field.get('who') or who_fills(field))}",
                ]
    open_count = sum(1 for e in entries.values() if not str(e["text"]).strip())
    lines = [
        f"# provaudit statements for run {run_id}: {len(entries)} field(s), {open_count} open.",
        "# Give each open field its text, author (a name or role) and date (YYYY-MM-DD); an",
        "# optional `attachment:` is a file relative to this one, which must exist. An entry with",
        "# empty text stays open. A key <kind>.<field id> fills one disclosure only. Then run",
        "# `provaudit disclose CONFIG` (with `statements:` in the config pointing at this file).",
    ]
    current = None
    for key, entry in entries.items():
        if heads[key] != current:
            current = heads[key]
            lines += ["", f"# ===== {current}: {_comment(documents[current].get('title', ''))}"]
        lines.append("")
        lines += notes[key]
        dumped = yaml.safe_dump({key: entry}, allow_unicode=True, sort_keys=False, default_flow_style=False,
                                width=100)
        lines.append(dumped.rstrip("\n"))
    return "\n".join(lines) + "\n"
