"""Removal requests: load the requests file, and decide each request's status in a run.

Contract: :func:`load_requests` reads a requests file (YAML: a mapping with a ``requests``
list; ``.jsonl``: one request object per line) with safe loading only, validates it against
``schemas/requests.schema.json`` and returns :class:`Request` tuples in file order, their
deadline filled from the kind's default days (``requests.deadlines`` of the run config) when
the request gives none, and their ``text`` criteria resolved against the requests file's
folder (each must be a readable file). Every problem raises
:class:`~provaudit.core.errors.ConfigError` naming the file, the request (by its id when it
has a usable one, else its position) and the key: ``requests.yaml: requests[REQ-7].criteria.sha256:
...``. Ids are unique, deadlines not before receipt.

:func:`request_status` decides one request's status from its matches in a run and the
previous complete run's report: ``open`` (documents still match, deadline not passed),
``overdue`` (documents still match after the deadline day), ``closed`` (nothing matches; with
the first run that proved it, carried forward from the previous report while it stays closed).
Dates compare with the run's date (:func:`run_date`, the UTC day in the run id), never the clock.

Pure: no Beam, no clock, no network; the same file gives the same requests. Criteria values
(texts, hashes, URLs, domains) are returned for matching only: no output this package writes
carries them (:func:`public_criteria` names their kinds and counts).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple, Optional

import jsonschema

from provaudit.core.contracts import key_path, load_schema
from provaudit.core.domains import registrable_domain
from provaudit.core.errors import ConfigError
from provaudit.core.safeyaml import dates_as_text, load_yaml

__all__ = ["CRITERIA", "DEFAULT_DEADLINE_DAYS", "KINDS", "STATUSES", "Request", "load_requests",
           "public_criteria", "request_status", "run_date"]

KINDS = ("copyright", "personal-information", "opt-out")
STATUSES = ("open", "overdue", "closed")
CRITERIA = ("text", "sha256", "url", "domain")
# Days from receipt to the deadline when a request names none. GDPR Art. 12(3): action on a
# data subject's request "within one month of receipt"; PIPL Art. 50 asks for timely handling
# without a figure, and copyright notices ask for expeditious removal: provaudit's default is
# the same 30 days for each kind, configurable per kind (requests.deadlines).
DEFAULT_DEADLINE_DAYS = {"copyright": 30, "personal-information": 30, "opt-out": 30}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
_RUN_DAY = re.compile(r"^(\d{8})T\d{6}Z")


class Request(NamedTuple):
    """One removal request, checked and resolved."""

    id: str
    received: dt.date
    kind: str
    deadline: dt.date
    deadline_given: bool  # False when the deadline is the kind's default
    texts: tuple[str, ...] = ()  # text files, resolved paths
    sha256: tuple[str, ...] = ()  # lower-case hex
    urls: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()  # registrable domains
    note: Optional[str] = None


def _read(file: Path) -> Any:
    try:
        text = file.read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(str(file), "", "requests file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(file), "", f"cannot read the requests file: {exc}") from None
    if file.suffix.lower() in (".jsonl", ".ndjson"):
        items = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except ValueError as exc:
                raise ConfigError(str(file), f"line {n}", f"invalid JSON: {exc}") from None
        return {"requests": items}
    doc = load_yaml(text, str(file), "requests file")
    if doc is None:
        return {"requests": []}
    if not isinstance(doc, dict):
        raise ConfigError(str(file), "", "a requests file is a YAML mapping with a 'requests' list")
    return dates_as_text(doc)


def _where(doc: Any, path: list[Any]) -> str:
    """``requests[REQ-7].criteria.sha256[0]``: a request named by its id when it has a usable one."""
    return key_path(doc, path, _request_item)


def _request_item(depth: int, index: int, item: Any) -> str:
    rid = item.get("id") if depth == 1 and isinstance(item, dict) else None
    return rid if isinstance(rid, str) and _ID.match(rid) else str(index)


def _problem(error: jsonschema.ValidationError) -> str:
    last = error.absolute_path[-1] if error.absolute_path else None
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        allowed = ", ".join(error.schema.get("properties", {}))
        return f"unknown key(s) {', '.join(map(repr, extra))}; allowed: {allowed}"
    if error.validator == "required":
        return error.message.replace(" is a required property", " is required")
    if error.validator == "enum":
        return f"{error.instance!r} is not one of: {', '.join(map(str, error.validator_value))}"
    if error.validator == "minProperties" and last == "criteria":
        return f"give at least one criterion: {', '.join(CRITERIA)}"
    if last == "id" and error.validator in ("pattern", "type"):
        return (f"{error.instance!r} is not a request id (letters, digits, '_', '.', ':' or '-', at most 100; "
                "the id appears in the run's outputs, so never a name or an e-mail address)")
    if last in ("received", "deadline") and error.validator in ("pattern", "type"):
        return f"{error.instance!r} is not a date as YYYY-MM-DD"
    if error.validator == "oneOf":
        bad = [e.instance for e in error.context or () if e.validator == "pattern"]
        if last == "sha256" and bad:
            return f"{bad[0]!r} is not a SHA-256 (64 hex digits)"
        return f"{error.instance!r}: give a non-empty string or a non-empty list of strings"
    if error.validator == "pattern" and "sha256" in [str(p) for p in error.absolute_path]:
        return f"{error.instance!r} is not a SHA-256 (64 hex digits)"
    return error.message


def _values(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def _day(value: str, file: Path, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(str(file), key, f"{value!r} is not a calendar date ({exc})") from None


def load_requests(path: str | os.PathLike[str],
                  deadlines: Optional[Mapping[str, int]] = None) -> list[Request]:
    """Load, validate and resolve a requests file (see the module contract)."""
    file = Path(path)
    days = {**DEFAULT_DEADLINE_DAYS, **dict(deadlines or {})}
    doc = _read(file)
    validator = jsonschema.Draft202012Validator(load_schema("requests.schema.json"))
    errors = sorted(validator.iter_errors(doc),
                    key=lambda e: ([str(p) for p in e.absolute_path][:2], -len(e.absolute_path)))
    if errors:
        error = errors[0]
        raise ConfigError(str(file), _where(doc, list(error.absolute_path)), _problem(error))
    out: list[Request] = []
    seen: set[str] = set()
    for raw in doc["requests"]:
        rid = raw["id"]
        where = f"requests[{rid}]"
        if rid in seen:
            raise ConfigError(str(file), f"{where}.id", "duplicate request id")
        seen.add(rid)
        received = _day(raw["received"], file, f"{where}.received")
        if "deadline" in raw:
            deadline = _day(raw["deadline"], file, f"{where}.deadline")
            if deadline < received:
                raise ConfigError(str(file), f"{where}.deadline",
                                  f"{deadline.isoformat()} is before the request was received ({received.isoformat()})")
        else:
            deadline = received + dt.timedelta(days=int(days[raw["kind"]]))
        criteria = raw["criteria"]
        texts = []
        for i, name in enumerate(_values(criteria.get("text"))):
            target = Path(name) if os.path.isabs(name) else file.parent / name
            key = f"{where}.criteria.text" + (f"[{i}]" if isinstance(criteria["text"], list) else "")
            if not target.is_file():
                raise ConfigError(str(file), key, f"{name!r}: no such file (paths are relative to the requests file)")
            texts.append(str(target.resolve()))
        domains = []
        for i, name in enumerate(_values(criteria.get("domain"))):
            domain = registrable_domain(name.strip())
            if domain is None:
                key = f"{where}.criteria.domain" + (f"[{i}]" if isinstance(criteria["domain"], list) else "")
                raise ConfigError(str(file), key, f"{name!r} is not a registrable domain, host or URL "
                                                  "(an IP address or a public suffix has none)")
            domains.append(domain)
        out.append(Request(
            id=rid, received=received, kind=raw["kind"], deadline=deadline, deadline_given="deadline" in raw,
            texts=tuple(texts), sha256=tuple(v.lower() for v in _values(criteria.get("sha256"))),
            urls=tuple(v.strip() for v in _values(criteria.get("url"))), domains=tuple(domains),
            note=raw.get("note")))
    return out


def public_criteria(request: Request) -> dict[str, int]:
    """How many criteria of each kind a request has: what outputs may say of its criteria."""
    counts = {"text": len(request.texts), "sha256": len(request.sha256), "url": len(request.urls),
              "domain": len(request.domains)}
    return {k: v for k, v in counts.items() if v}


def run_date(run_id: str, started: Optional[str] = None) -> dt.date:
    """The run's date: the UTC day its id starts with, else the day of ``started`` (ISO time)."""
    m = _RUN_DAY.match(run_id or "")
    if m:
        return dt.datetime.strptime(m.group(1), "%Y%m%d").date()
    if started:
        return dt.date.fromisoformat(str(started)[:10])
    raise ValueError(f"run {run_id!r}: no date in its id and no start time")


def request_status(request: Request, matches: int, day: dt.date, run_id: str,
                   previous: Optional[Mapping[str, Any]] = None) -> tuple[str, Optional[str]]:
    """(status, closed_by) of a request with ``matches`` documents in run ``run_id`` on ``day``.

    ``previous`` is this request's entry in the previous complete run's report (or None): a
    request that was closed there and still matches nothing keeps the run that closed it.
    """
    if matches > 0:
        return ("overdue" if day > request.deadline else "open"), None
    if previous and previous.get("status") == "closed" and previous.get("closed_by"):
        return "closed", str(previous["closed_by"])
    return "closed", run_id
