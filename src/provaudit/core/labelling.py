"""Load labelling records, the annotator roster and the guidelines index; profile each batch.

Contract. :func:`load_labelling` reads one source's labelling record set and returns a
:class:`LabellingSet`; :func:`labelling_profile` turns it into one row per batch, with
exactly the fields of ``schemas/labelling_profile.schema.json``. Pure functions on plain
data: no Beam, no Great Expectations.

Inputs, each validated against its JSON Schema under ``schemas/``:

- records (``labelling.schema.json``): JSONL (``.jsonl``, ``.json``, ``.ndjson``, also
  ``.gz``/``.zst``; blank lines skipped) or Parquet, one labelled item per line or row. A
  null review field (``reviewer``, ``review_verdict``, ``reviewed_at``) is the same as an
  absent one, so a Parquet file can carry the review columns for every row. Parquet
  dates and timestamps are read as ISO strings (a timestamp needs a time zone).
- the annotator roster (``annotators.schema.json``) and the guidelines index
  (``guidelines.schema.json``): YAML (safe loading) or JSON. Unquoted YAML dates are
  taken as the ISO strings they spell.

A bad file fails fast with :class:`~provaudit.core.errors.ConfigError` naming the file and
where: ``line N: key`` (JSONL, 1-based), ``row N: key`` (Parquet, 0-based),
``annotators[ID].key``, ``guidelines[VERSION].key``. What is wrong with the labelling
*process* is not an exception but a :class:`Finding`: a guideline document that is
missing or fails its SHA-256 checksum (over the document's bytes), a guideline version
not in the index, an annotator not in the roster. The profile counts their items.

Rules of the profile (per batch; shares over labels, i.e. records):

- trained: a label counts as given by a trained annotator when the annotator is in the
  roster with a ``trained_at`` date strictly before the label's date (the date part of
  ``labelled_at`` as written, in its own offset). Training completed the same day does
  not count: a date without a time cannot show that training came first.
- QA: ``qa_sample_share = reviewed labels / labels``, ``qa_accuracy = accepted /
  reviewed`` (null when nothing was reviewed). Counting labels, not items, makes "every
  safety label reviewed" read as a share of 1.
- agreement: an item is double-labelled when two different annotators labelled it. Its
  pair is (first label, first later label by another annotator) in record order (files
  in the order given, then line or row). :func:`cohens_kappa` over the batch's pairs
  treats "first" and "second" as the two raters, the usual pooled reading when many
  annotators share the work. Labels are compared by canonical JSON (:func:`label_key`).
- kind: the kinds of the indexed guideline versions the batch's labels name: functional,
  safety, mixed (both), or unknown (none indexed).
"""

from __future__ import annotations

import datetime as dt
import glob
import gzip
import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema

from provaudit.core.config import _describe, _most_specific, _read_yaml, read_config_text
from provaudit.core.contracts import load_schema
from provaudit.core.errors import ConfigError, InputError
from provaudit.core.readers import compression_of, infer_format

__all__ = [
    "MIN_KAPPA_ITEMS",
    "Finding",
    "Guideline",
    "LabelRecord",
    "LabellingSet",
    "RosterEntry",
    "cohens_kappa",
    "label_key",
    "labelling_profile",
    "load_labelling",
    "load_source_labelling",
    "trained_before",
]

MIN_KAPPA_ITEMS = 2  # fewer double-labelled items than this: agreement and kappa are null

_REVIEW_FIELDS = ("reviewer", "review_verdict", "reviewed_at")
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}))?$"
)


class LabelRecord(NamedTuple):
    """One label given to one item, and its QA review when it was reviewed."""

    item_id: str
    batch: str
    annotator: str
    guideline_version: str
    label: Any  # any JSON value but null
    labelled_at: str
    reviewer: str | None
    review_verdict: str | None  # accept | reject
    reviewed_at: str | None
    file: str
    location: str  # line:N (JSONL, 1-based) or row:N (Parquet, 0-based)


class RosterEntry(NamedTuple):
    """One annotator of the roster."""

    id: str
    trained_at: dt.date | None
    name: str | None = None
    training: str | None = None


class Guideline(NamedTuple):
    """One guideline version of the index, with the checksum found on disk."""

    version: str
    kind: str  # functional | safety
    path: str  # resolved against the index file's folder
    sha256: str  # as declared, lower case
    effective: dt.date
    actual_sha256: str | None  # None when the document cannot be read
    title: str | None = None

    @property
    def verified(self) -> bool:
        """True when the document exists and its bytes have the declared SHA-256."""
        return self.actual_sha256 == self.sha256


class Finding(NamedTuple):
    """A problem of the labelling process found while loading (not an error of the files)."""

    code: str  # guideline-missing, guideline-checksum-mismatch, unknown-guideline-version, unknown-annotator
    file: str
    key: str
    detail: str


@dataclass(frozen=True)
class LabellingSet:
    """One source's labelling records with the roster and guidelines they refer to."""

    records: tuple[LabelRecord, ...]
    annotators: Mapping[str, RosterEntry]
    guidelines: Mapping[str, Guideline]
    findings: tuple[Finding, ...]


# --------------------------------------------------------------------------- loading


def load_source_labelling(paths: Mapping[str, str]) -> LabellingSet:
    """Load what a registry source's ``labelling`` key names (paths already resolved).

    ``records`` may be a glob; its matches are read in sorted order.
    """
    pattern = paths["records"]
    records = sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
    if not records:
        raise InputError(f"labelling records {pattern!r} match no file")
    return load_labelling(records, paths["annotators"], paths["guidelines"])


def load_labelling(
    records_paths: Sequence[str], annotators_path: str, guidelines_path: str
) -> LabellingSet:
    """Read and validate a labelling record set; verify guideline checksums.

    Raise ConfigError naming file, line (or row) and key for anything invalid; record
    process problems (checksums, unknown versions and annotators) as findings.
    """
    guidelines, findings = _load_guidelines(Path(guidelines_path))
    annotators = _load_roster(Path(annotators_path))
    records: list[LabelRecord] = []
    for path in records_paths:
        records.extend(_load_records(Path(path)))
    findings.extend(_reference_findings(records, annotators, guidelines))
    return LabellingSet(tuple(records), annotators, guidelines, tuple(findings))


def _load_guidelines(path: Path) -> tuple[dict[str, Guideline], list[Finding]]:
    doc = _read_mapping(path, "guidelines index")
    _validate(doc, "guidelines.schema.json", str(path), "guidelines", "version")
    guidelines: dict[str, Guideline] = {}
    findings: list[Finding] = []
    for raw in doc["guidelines"]:
        version = raw["version"]
        where = f"guidelines[{version}]"
        if version in guidelines:
            raise ConfigError(str(path), f"{where}.version", "duplicate version")
        document = Path(raw["path"]) if os.path.isabs(raw["path"]) else path.parent / raw["path"]
        declared = raw["sha256"].lower()
        try:
            actual: str | None = hashlib.sha256(document.read_bytes()).hexdigest()
        except OSError as exc:
            actual = None
            findings.append(
                Finding(
                    "guideline-missing",
                    str(path),
                    f"{where}.path",
                    f"cannot read {str(document)!r}: {exc.strerror or exc}",
                )
            )
        if actual is not None and actual != declared:
            findings.append(
                Finding(
                    "guideline-checksum-mismatch",
                    str(path),
                    f"{where}.sha256",
                    f"declared {declared}, the document has {actual}",
                )
            )
        guidelines[version] = Guideline(
            version=version,
            kind=raw["kind"],
            path=str(document.resolve()),
            sha256=declared,
            effective=_date(raw["effective"], str(path), f"{where}.effective"),
            actual_sha256=actual,
            title=raw.get("title"),
        )
    return guidelines, findings


def _load_roster(path: Path) -> dict[str, RosterEntry]:
    doc = _read_mapping(path, "annotator roster")
    _validate(doc, "annotators.schema.json", str(path), "annotators", "id")
    roster: dict[str, RosterEntry] = {}
    for raw in doc["annotators"]:
        where = f"annotators[{raw['id']}]"
        if raw["id"] in roster:
            raise ConfigError(str(path), f"{where}.id", "duplicate annotator id")
        trained = raw["trained_at"]
        roster[raw["id"]] = RosterEntry(
            id=raw["id"],
            trained_at=None
            if trained is None
            else _date(trained, str(path), f"{where}.trained_at"),
            name=raw.get("name"),
            training=raw.get("training"),
        )
    return roster


def _read_mapping(path: Path, what: str) -> Any:
    """Read a YAML (safe loading) or JSON file; dates YAML parsed become ISO strings."""
    if path.suffix.lower() == ".json":
        text = read_config_text(path, what)
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(str(path), f"line {exc.lineno}", f"invalid JSON: {exc.msg}") from None
    else:
        doc = _plain(_read_yaml(path, what))
    if not isinstance(doc, dict):
        raise ConfigError(str(path), "", f"a {what} is a mapping")
    return doc


def _plain(value: Any) -> Any:
    """Turn the dates and times YAML parses into the ISO strings they were written as."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _load_records(path: Path) -> Iterator[LabelRecord]:
    fmt = infer_format(str(path))
    if fmt not in ("jsonl", "parquet"):
        raise ConfigError(
            str(path), "", "labelling records are JSONL (.jsonl) or Parquet (.parquet)"
        )
    if not path.is_file():
        raise ConfigError(str(path), "", "labelling records file not found")
    rows = _jsonl_rows(path) if fmt == "jsonl" else _parquet_rows(path)
    file = str(path)
    for where, location, raw in rows:
        for key in _REVIEW_FIELDS:  # null is absent
            if key in raw and raw[key] is None:
                del raw[key]
        _validate(raw, "labelling.schema.json", file, None, None, prefix=where)
        for key in ("labelled_at", "reviewed_at"):
            if key in raw:
                _instant(raw[key], file, f"{where}: {key}")  # calendar check
        yield LabelRecord(
            item_id=raw["item_id"],
            batch=raw["batch"],
            annotator=raw["annotator"],
            guideline_version=raw["guideline_version"],
            label=raw["label"],
            labelled_at=raw["labelled_at"],
            reviewer=raw.get("reviewer"),
            review_verdict=raw.get("review_verdict"),
            reviewed_at=raw.get("reviewed_at"),
            file=file,
            location=location,
        )


def _jsonl_rows(path: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    data = path.read_bytes()
    compression = compression_of(str(path))
    try:
        if compression == "gzip":
            data = gzip.decompress(data)
        elif compression == "zstd":
            import zstandard

            data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
    except Exception as exc:  # noqa: BLE001 - gzip and zstandard raise several types
        raise ConfigError(str(path), "", f"cannot decompress ({compression}): {exc}") from None
    for number, raw_line in enumerate(data.split(b"\n"), 1):
        where = f"line {number}"
        try:
            line = raw_line.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(str(path), where, "not UTF-8") from None
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(str(path), where, f"invalid JSON: {exc.msg}") from None
        if not isinstance(value, dict):
            raise ConfigError(str(path), where, "a labelling record is a JSON object")
        yield where, f"line:{number}", value


def _parquet_rows(path: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises ArrowInvalid, OSError and others
        raise ConfigError(str(path), "", f"cannot read Parquet: {exc}") from None
    for number, row in enumerate(table.to_pylist()):
        yield f"row {number}", f"row:{number}", {k: _parquet_value(v) for k, v in row.items()}


def _parquet_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@cache
def _validator(schema_name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(load_schema(schema_name))


def _validate(
    doc: Any,
    schema_name: str,
    file: str,
    list_key: str | None,
    id_key: str | None,
    prefix: str = "",
) -> None:
    """Raise ConfigError for the first (shallowest) schema violation of doc.

    Items of ``doc[list_key]`` are named by their ``id_key`` (``annotators[ann-01]``);
    ``prefix`` (``line 7``) goes before the key path.
    """
    errors = sorted(
        _validator(schema_name).iter_errors(doc),
        key=lambda e: (len(e.absolute_path), [str(p) for p in e.absolute_path]),
    )
    if not errors:
        return
    error = _most_specific(errors[0])
    parts: list[str] = []
    for step in error.absolute_path:
        if isinstance(step, int) and len(parts) == 1 and parts[0] == list_key and id_key:
            item = doc[list_key][step]
            name = item.get(id_key) if isinstance(item, dict) else None
            parts[0] += f"[{name}]" if isinstance(name, str) and name else f"[{step}]"
        elif isinstance(step, int):
            parts[-1] += f"[{step}]"
        else:
            parts.append(str(step))
    key = ".".join(parts)
    if prefix:
        key = f"{prefix}: {key}" if key else prefix
    raise ConfigError(file, key, _problem(error))


def _problem(error: jsonschema.ValidationError) -> str:
    field = error.absolute_path[-1] if error.absolute_path else None
    if error.validator == "pattern" and field in ("labelled_at", "reviewed_at"):
        return (
            f"{error.instance!r} is neither a date (YYYY-MM-DD) nor an RFC 3339 date-time "
            "with an offset (YYYY-MM-DDThh:mm:ssZ)"
        )
    if error.validator == "pattern" and field == "effective":
        return f"{error.instance!r} is not a date (YYYY-MM-DD)"
    if field == "trained_at" and error.validator in ("pattern", "oneOf", "type"):
        return f"{error.instance!r} is not a date (YYYY-MM-DD) or null"
    if error.validator == "dependentRequired":
        missing = [k for k in error.validator_value[_dependent(error)] if k not in error.instance]
        return f"a reviewed label needs {', '.join(map(repr, missing))} as well"
    if error.validator == "type" and field == "label" and error.instance is None:
        return "null is not a label"
    return _describe(error)


def _dependent(error: jsonschema.ValidationError) -> str:
    """The key of a dependentRequired failure whose dependencies are missing."""
    for key, needed in error.validator_value.items():
        if key in error.instance and any(k not in error.instance for k in needed):
            return key
    return next(iter(error.validator_value))


def _date(text: str, file: str, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(file, key, f"{text!r} is not a calendar date") from None


def _instant(text: str, file: str = "", key: str = "") -> dt.datetime:
    """Parse a date (start of the day, UTC) or an RFC 3339 date-time, on any Python >= 3.10."""
    match = _DATETIME.match(text)
    try:
        if match is None:
            raise ValueError(text)
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        if hour is None:
            return dt.datetime(int(year), int(month), int(day), tzinfo=dt.timezone.utc)
        tz = dt.timezone.utc
        if offset != "Z":
            sign = -1 if offset[0] == "-" else 1
            tz = dt.timezone(sign * dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
        micro = int((fraction or "0").ljust(6, "0")[:6])
        return dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz
        )
    except ValueError:
        raise ConfigError(file, key, f"{text!r} is not a valid date or date-time") from None


def _reference_findings(
    records: Sequence[LabelRecord],
    annotators: Mapping[str, RosterEntry],
    guidelines: Mapping[str, Guideline],
) -> list[Finding]:
    """One finding per unknown guideline version and per annotator not in the roster."""
    findings = []
    versions = Counter(
        r.guideline_version for r in records if r.guideline_version not in guidelines
    )
    for version, count in sorted(versions.items()):
        first = next(r for r in records if r.guideline_version == version)
        findings.append(
            Finding(
                "unknown-guideline-version",
                first.file,
                f"{_where(first)}: guideline_version",
                f"{version!r} is not in the guidelines index ({count} labels)",
            )
        )
    unknown = Counter(r.annotator for r in records if r.annotator not in annotators)
    for annotator, count in sorted(unknown.items()):
        first = next(r for r in records if r.annotator == annotator)
        findings.append(
            Finding(
                "unknown-annotator",
                first.file,
                f"{_where(first)}: annotator",
                f"{annotator!r} is not in the annotator roster ({count} labels)",
            )
        )
    return findings


def _where(record: LabelRecord) -> str:
    return record.location.replace(":", " ", 1)


# --------------------------------------------------------------------------- rules


def trained_before(entry: RosterEntry | None, labelled_at: str) -> bool:
    """True when the annotator completed training strictly before the label's date.

    The label's date is the date part of ``labelled_at`` as written (its own offset);
    training the same day does not count, nor does an annotator missing from the roster.
    """
    if entry is None or entry.trained_at is None:
        return False
    return entry.trained_at < dt.date.fromisoformat(labelled_at[:10])


def label_key(label: Any) -> str:
    """Canonical JSON of a label (sorted keys, no spaces): equal keys mean equal labels."""
    return json.dumps(label, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def cohens_kappa(
    pairs: Sequence[tuple[str, str]], min_pairs: int = MIN_KAPPA_ITEMS
) -> float | None:
    """Return Cohen's kappa of two raters' labels, one (rater 1, rater 2) pair per item.

    kappa = (p_o - p_e) / (1 - p_e), with p_o the share of pairs that agree and p_e the
    chance agreement sum_k n1(k) * n2(k) / n**2 from each rater's label counts (the same
    quantity sklearn's ``cohen_kappa_score`` computes from the confusion matrix). None
    when there are fewer than ``min_pairs`` pairs, or when p_e = 1 (both raters gave one
    and the same label to every item: nothing is left to correct for chance, so kappa is
    undefined; sklearn returns nan there). Computed in exact fractions, then rounded once.
    """
    n = len(pairs)
    if n == 0 or n < min_pairs:
        return None
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    agree = sum(a == b for a, b in pairs)
    chance = sum(count * second[label] for label, count in first.items())  # = p_e * n**2
    if chance == n * n:
        return None
    p_o = Fraction(agree, n)
    p_e = Fraction(chance, n * n)
    return float((p_o - p_e) / (1 - p_e))


# --------------------------------------------------------------------------- profile


def labelling_profile(
    ls: LabellingSet, source: str, min_kappa_items: int = MIN_KAPPA_ITEMS
) -> list[dict[str, Any]]:
    """Return one row per batch (sorted by batch), with the labelling profile's fields."""
    batches: dict[str, list[LabelRecord]] = {}
    for record in ls.records:
        batches.setdefault(record.batch, []).append(record)
    return [
        _batch_row(source, batch, batches[batch], ls, min_kappa_items) for batch in sorted(batches)
    ]


def _batch_row(
    source: str, batch: str, records: Sequence[LabelRecord], ls: LabellingSet, min_kappa_items: int
) -> dict[str, Any]:
    items = sorted({r.item_id for r in records})
    versions = sorted({r.guideline_version for r in records})
    known = {v: ls.guidelines[v] for v in versions if v in ls.guidelines}
    kinds = {g.kind for g in known.values()}
    kind = "mixed" if len(kinds) > 1 else next(iter(kinds), "unknown")
    unverified = {v for v in versions if v not in known or not known[v].verified}
    trained = [trained_before(ls.annotators.get(r.annotator), r.labelled_at) for r in records]
    untrained = sorted({r.annotator for r, ok in zip(records, trained) if not ok})
    reviewed = [r for r in records if r.review_verdict is not None]
    accepted = sum(r.review_verdict == "accept" for r in reviewed)
    pairs = list(_first_pairs(records))
    enough = len(pairs) >= min_kappa_items
    times = sorted(records, key=lambda r: (_instant(r.labelled_at), r.labelled_at))
    return {
        "source": source,
        "batch": batch,
        "kind": kind,
        "items": len(items),
        "labels": len(records),
        "annotators": len({r.annotator for r in records}),
        "guideline_versions": json.dumps(versions, ensure_ascii=False),
        "unknown_guideline_items": len(
            {r.item_id for r in records if r.guideline_version in unverified}
        ),
        "trained_share": sum(trained) / len(records),
        "untrained_annotators": json.dumps(untrained, ensure_ascii=False),
        "qa_reviewed": len(reviewed),
        "qa_accepted": accepted,
        "qa_sample_share": len(reviewed) / len(records),
        "qa_accuracy": accepted / len(reviewed) if reviewed else None,
        "double_labelled_items": len(pairs),
        "agreement": sum(a == b for a, b in pairs) / len(pairs) if enough else None,
        "kappa": cohens_kappa(pairs, min_kappa_items),
        "first_labelled_at": times[0].labelled_at,
        "last_labelled_at": times[-1].labelled_at,
    }


def _first_pairs(records: Iterable[LabelRecord]) -> Iterator[tuple[str, str]]:
    """Yield, per double-labelled item in first-seen order, its first two labels by
    different annotators, as canonical label keys."""
    first: dict[str, LabelRecord] = {}
    paired: set[str] = set()
    for record in records:
        if record.item_id not in first:
            first[record.item_id] = record
        elif record.item_id not in paired and record.annotator != first[record.item_id].annotator:
            paired.add(record.item_id)
            yield label_key(first[record.item_id].label), label_key(record.label)
