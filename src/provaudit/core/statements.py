"""Load the statements file: what a person states for the disclosures' fields no data can fill.

Contract: :func:`load_statements` reads one YAML file with safe loading only, validates it
against ``schemas/statements.schema.json`` and returns ``{key: Statement}`` for the entries
that are filled (an entry whose text is empty leaves its field open and is not returned).
A key is a field id as the disclosures name it (``provider-name``,
``CN-TC-5.2-ip-statement``), which fills that field in every disclosure that has it, or
``<kind>.<field id>`` (``ca_ab2013.owners``), which fills the field of one disclosure only
and wins over the bare id there. Given the fields of a run (``known``: kind -> field ids), a
key that names none of them is an error listing the known ids. A filled entry needs an
author and a date (``YYYY-MM-DD``, a real date); an attachment is a path relative to the
statements file that must exist, recorded with its SHA-256 so a later change shows.

Every problem raises :class:`~provaudit.core.errors.ConfigError` naming the file and the key
(``statements.yaml: provider-name.date: ...``). Pure: no Beam, no clock, no network; the
same file gives the same result.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema

from provaudit.core.contracts import load_schema
from provaudit.core.errors import ConfigError
from provaudit.core.safeyaml import load_yaml

__all__ = ["Statement", "known_ids", "load_statements", "read_statements_raw", "split_key", "statement_for"]


class Statement(NamedTuple):
    """One filled statement."""

    text: str
    author: str
    date: str  # YYYY-MM-DD
    attachment: str | None = None  # as written in the file (relative to it)
    attachment_sha256: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The statement as a disclosure field carries it (no absent keys)."""
        out = {"text": self.text, "author": self.author, "date": self.date}
        if self.attachment is not None:
            out["attachment"] = self.attachment
            out["attachment_sha256"] = self.attachment_sha256 or ""
        return out


def split_key(key: str, kinds: Sequence[str]) -> tuple[str | None, str]:
    """Split ``<kind>.<field id>`` into (kind, field id); a bare id gives (None, id).

    Field ids may hold dots themselves (``CN-TC-5.2-ip-statement``): only a prefix that is a
    disclosure kind counts as a scope.
    """
    head, dot, rest = key.partition(".")
    if dot and head in kinds and rest:
        return head, rest
    return None, key


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _normalise(doc: Any) -> Any:
    """YAML reads an unquoted 2024-05-01 as a date: turn dates back into ISO strings."""
    if isinstance(doc, dict):
        return {str(k) if not isinstance(k, str) else k: _normalise(v) for k, v in doc.items()}
    if isinstance(doc, (dt.date, dt.datetime)):
        return doc.isoformat()  # a datetime keeps its time and so fails the date pattern
    return doc


def read_statements_raw(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Read and schema-check a statements file; return its entries as written (dates as strings)."""
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(str(file), "", "statements file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(file), "", f"cannot read statements: {exc}") from None
    doc = load_yaml(text, str(file), "statements file")
    doc = _normalise(doc)
    if doc is not None and not isinstance(doc, dict):
        raise ConfigError(str(file), "", "a statements file is a YAML mapping of field ids to statements")
    validator = jsonschema.Draft202012Validator(load_schema("statements.schema.json"))
    errors = sorted(validator.iter_errors(doc), key=lambda e: (len(e.absolute_path), [str(p) for p in e.absolute_path]))
    if errors:
        error = errors[0]
        key = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            problem = (f"unknown key(s) {', '.join(map(repr, extra))}; an entry has text, author, date "
                       "and attachment")
        elif error.validator == "pattern" and key.endswith(".date"):
            problem = f"{error.instance!r} is not a date as YYYY-MM-DD"
        elif error.validator == "propertyNames":
            problem = f"{error.instance!r} is not a field id"
        else:
            problem = error.message
        raise ConfigError(str(file), key, problem)
    return {k: dict(v or {}) for k, v in (doc or {}).items()}


def load_statements(path: str | os.PathLike[str],
                    known: Mapping[str, Sequence[str]] | None = None) -> dict[str, Statement]:
    """Load a statements file; return its filled entries by key. ``known``: kind -> field ids."""
    file = Path(path)
    raw = read_statements_raw(file)
    if known is not None:
        _check_keys(file, raw, known)
    out: dict[str, Statement] = {}
    for key in sorted(raw):
        entry = raw[key]
        text = _text(entry.get("text"))
        if not text:
            continue  # an open field: the template writes these with empty text
        author, date = _text(entry.get("author")), _text(entry.get("date"))
        if not author:
            raise ConfigError(str(file), f"{key}.author", "a statement with text needs an author")
        if not date:
            raise ConfigError(str(file), f"{key}.date", "a statement with text needs a date (YYYY-MM-DD)")
        try:
            dt.date.fromisoformat(date)
        except ValueError:
            raise ConfigError(str(file), f"{key}.date", f"{date!r} is not a date as YYYY-MM-DD") from None
        attachment = _text(entry.get("attachment")) or None
        digest = None
        if attachment is not None:
            target = Path(attachment) if os.path.isabs(attachment) else file.parent / attachment
            if not target.is_file():
                raise ConfigError(str(file), f"{key}.attachment",
                                  f"{attachment!r} does not exist (paths are relative to the statements file)")
            digest = hashlib.sha256(target.read_bytes()).hexdigest()
        out[key] = Statement(text, author, date, attachment, digest)
    return out


def _check_keys(file: Path, raw: Mapping[str, Any], known: Mapping[str, Sequence[str]]) -> None:
    kinds = list(known)
    bare = {fid for ids in known.values() for fid in ids}
    for key in sorted(raw):
        kind, fid = split_key(key, kinds)
        if (kind is None and fid in bare) or (kind is not None and fid in known[kind]):
            continue
        where = f"the {kind} disclosure" if kind else "any disclosure of this run"
        raise ConfigError(str(file), key, f"no field {fid!r} in {where}; known field ids: "
                          + ", ".join(known_ids(known)))


def known_ids(known: Mapping[str, Sequence[str]]) -> list[str]:
    """Every field id in the form a statements file uses: bare when unique, else <kind>.<id>."""
    counts: dict[str, int] = {}
    for ids in known.values():
        for fid in set(ids):
            counts[fid] = counts.get(fid, 0) + 1
    out: list[str] = []
    for kind, ids in known.items():
        for fid in ids:
            key = fid if counts[fid] == 1 else f"{kind}.{fid}"
            if key not in out:
                out.append(key)
    return out


def statement_for(statements: Mapping[str, Statement], kind: str, field_id: str) -> Statement | None:
    """The statement filling ``field_id`` of disclosure ``kind``: the scoped key first, then the bare id."""
    return statements.get(f"{kind}.{field_id}") or statements.get(field_id)
