"""Evidence files: for every failed expectation, the documents or items that make it fail.

Contract
--------
:func:`write_evidence` reads a validated run's outputs (ledger, quarantine, overlap
clusters, profiles, the labelling records and the inspection verdicts the config names)
and writes under ``<run>/evidence/``:

    <slug>.csv | <slug>.parquet   one file pair per failed expectation, the same rows in both
    pii_examples.csv              masked examples of personal information with their locations
    requests.csv                  with ``requests:`` configured: every document still matching a
                                  removal request (request, kind, status, deadline, source, shard,
                                  location, doc_id, matched_by), from ``<run>/requests.json``
                                  (:mod:`provaudit.stages.requests`); never text or criteria values
    index.json                    per failed expectation: its files, row count and, per failing
                                  source or batch, the rows and the most frequent values

The slug is the expectation's id in the disclosures (``suite:column``, ``#N`` for the N-th
check of one column) with ``:`` and ``#`` turned into ``-``: ``legitimate_sources-
opted_out_documents``, ``labelling_process-qa_sample_share-2``. Every evidence file has the
columns ``source, batch, shard, location, doc_id, value`` (``EVIDENCE_COLUMNS``): the source
(and labelling batch), where the offending document or item is, and the offending value (the
opted-out domain; the license string as registered, or ``(no license key)`` when the registry
gives neither ``license`` nor ``license_field``; the untrained annotator; the masked personal
information; ...). A failure of a whole source (no evidence registered, no inspection) is one
row with empty location columns. Content screening (suites ``content_screening`` and
``corpus_assessment``): the unscreened, blocked (with the listed domain) and flagged documents
(value: hit counts by risk code and classifier scores, never a matched term), the automatic
sample's unqualified documents, the corpus-wide manual sample's unreviewed or unsafe documents,
and the library's short risk codes; without screening configured, one row saying so.

Never raw personal information: values found in texts are written only in the masked forms of
:mod:`provaudit.core.pii`. Texts are read again only for documents the ledger marks as holding
personal information, and only when the shard still has the checksum the scan recorded and
the document the content hash of its ledger row; otherwise the row says so instead of an
example.

Deterministic: rows sorted by source, batch, shard, location (numbers compared as numbers),
doc_id and value; index.json with sorted keys. The ledger is read with pyarrow (no Beam).
"""

from __future__ import annotations

import csv
import glob
import io
import json
import os
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from provaudit.core.config import RunConfig
from provaudit.core.verdicts import evidence_slug, verdict_ids
from provaudit.core.jsontext import json_text

__all__ = ["EVIDENCE_COLUMNS", "PII_EXAMPLE_COLUMNS", "evidence_slugs", "write_evidence"]

EVIDENCE_COLUMNS = ("source", "batch", "shard", "location", "doc_id", "value")
PII_EXAMPLE_COLUMNS = ("source", "shard", "location", "doc_id", "kind", "masked_value")
NO_LICENSE_KEY = "(no license key)"
_TOP_VALUES = 5  # most frequent values per failing source or batch in index.json
_EXAMPLES_PER_DOCUMENT = 5  # masked values shown per document in a PII evidence row
_LEDGER_COLUMNS = ["doc_id", "source", "shard", "location", "sha256", "chars", "language", "license_raw",
                   "license_category", "url", "domain", "pii_email", "pii_phone", "pii_cn_id", "pii_card",
                   "pii_ip", "screen_hits", "classifier_scores", "screen_flagged", "screened_by"]
_BATCH = 8192  # ledger rows per record batch read
NO_SCREENING = "no screening configured (screening.keywords or screening.classifiers in the run config)"


# --------------------------------------------------------------------------- ids and order


def evidence_slugs(verdicts: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Return (id, slug) per verdict: id ``suite:column`` (``#N`` on repeats) as the disclosures use."""
    return [(vid, evidence_slug(vid)) for vid in verdict_ids(verdicts)]


def _natural(text: str | None) -> tuple:
    """Sort key comparing runs of digits as numbers (line:9 before line:10)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text or "") if p)


def _row(source: str, value: str, batch: str | None = None, shard: str | None = None,
         location: str | None = None, doc_id: str | None = None) -> dict[str, str | None]:
    return {"source": source, "batch": batch, "shard": shard, "location": location, "doc_id": doc_id,
            "value": value}


def _sorted(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in natural order of every evidence column, stable.

    The same order as one sort on the whole key, done in two steps so that the sort keys held
    at once are those of one (source, batch, shard), not of every row: rows are grouped on
    the natural key of their first three columns (few distinct values, each computed once),
    the groups sorted, then each group on the rest of the key.
    """
    head = EVIDENCE_COLUMNS[:3]
    naturals: dict[str | None, tuple] = {}

    def natural(value: str | None) -> tuple:
        if value not in naturals:
            naturals[value] = _natural(value)
        return naturals[value]

    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[tuple(natural(r.get(c)) for c in head)].append(r)
    out: list[dict[str, Any]] = []
    for key in sorted(groups):
        out.extend(sorted(groups.pop(key), key=lambda r: tuple(_natural(r.get(c)) for c in EVIDENCE_COLUMNS[3:])))
    return out


# --------------------------------------------------------------------------- inputs


class _Run:
    """The run's files, read when needed: the ledger streamed one record batch at a time.

    Nothing here holds the whole ledger: each evidence query reads only its source's ledger
    files and the columns it needs, filters a batch with pyarrow where it can, and turns only
    the matching rows into dicts, so memory follows the evidence written, not the corpus.
    """

    def __init__(self, config: RunConfig, run_dir: str) -> None:
        self.config = config
        self.run_dir = run_dir
        self.registry = {s.name: s for s in config.sources}
        self._files: dict[str, list[str]] | None = None  # source -> ledger files holding its rows
        self._pii: _PiiExamples | None = None
        self.pii_needs: set[tuple[str, tuple[str, ...]]] = set()  # (source, kinds) of failed PII checks

    def ledger_files(self, source: str) -> list[str]:
        """The ledger files (sorted paths) holding rows of ``source``."""
        if self._files is None:
            import pyarrow.compute as pc
            import pyarrow.parquet as pq

            files: dict[str, list[str]] = defaultdict(list)
            for path in sorted(glob.glob(os.path.join(glob.escape(self.run_dir), "ledger", "*", "*.parquet"))):
                for name in pc.unique(pq.read_table(path, columns=["source"]).column("source")).to_pylist():
                    files[name].append(path)
            self._files = dict(files)
        return self._files.get(source, [])

    def ledger(self, source: str, columns: Sequence[str] = tuple(_LEDGER_COLUMNS),
               where: Any = None) -> Iterator[dict[str, Any]]:
        """Yield ``source``'s ledger rows in ledger order, as dicts of the ``columns`` the files hold.

        ``where(batch)`` (optional) gives a pyarrow boolean mask of the rows to keep.
        """
        yield from (row for _, _, row in self.ledger_indexed(source, columns, where))

    def ledger_indexed(self, source: str, columns: Sequence[str], where: Any = None,
                       files: Sequence[str] | None = None) -> Iterator[tuple[str, int, dict[str, Any]]]:
        """Like :meth:`ledger`, each row with its file and row number (its place in ledger order);
        ``files``: only these of the source's ledger files."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        for path in self.ledger_files(source) if files is None else files:
            pf = pq.ParquetFile(path)
            names = set(pf.schema_arrow.names)
            wanted = [c for c in dict.fromkeys(("source", *columns)) if c in names]
            start = 0
            for batch in pf.iter_batches(batch_size=_BATCH, columns=wanted):
                mask = pc.equal(batch.column("source"), pa.scalar(source))
                if where is not None:
                    mask = pc.and_(mask, where(batch))
                picked = pc.indices_nonzero(pc.fill_null(mask, False))
                rows = batch.take(picked)
                if "source" not in columns:
                    rows = rows.drop_columns(["source"])
                for i, row in zip(picked.to_pylist(), rows.to_pylist()):
                    yield path, start + i, row
                start += batch.num_rows

    def profile(self, table: str) -> list[dict[str, Any]]:
        import pyarrow.parquet as pq

        path = os.path.join(self.run_dir, "profiles", f"{table}.parquet")
        return pq.read_table(path).to_pylist() if os.path.isfile(path) else []

    def manifest(self) -> dict[str, Any]:
        with open(os.path.join(self.run_dir, "manifest.json"), encoding="utf-8") as fh:
            return json.load(fh)

    def pii(self) -> _PiiExamples:
        """The masked examples of personal information (texts read again once, on first use)."""
        if self._pii is None:
            self._pii = _read_pii_examples(self)
        return self._pii


def _pii_kinds(row: Mapping[str, Any], kinds: Sequence[str]) -> dict[str, int]:
    return {k: int(row.get(f"pii_{k}") or 0) for k in kinds if row.get(f"pii_{k}")}



def _listed(config: Any) -> list[Any]:
    """The config's shards as the scan lists them (empty when they cannot be listed now)."""
    from provaudit.beam.io import match_files
    from provaudit.core.config import list_shards

    try:
        return list_shards(config, match_files)
    except Exception:  # noqa: BLE001 - moved or remote inputs: evidence for them is left out, as before
        return []


def _real_paths(config: Any) -> dict[str, str]:
    """Shard names as outputs show them (personal information in a file name masked) -> real paths."""
    from provaudit.stages.scan import shard_names

    listed = _listed(config)
    return {masked: sh.path for sh, (masked, _) in zip(listed, shard_names(config, listed))}

class _PiiExamples(NamedTuple):
    """What the texts read again give: per failed PII check (source, kinds) and document id, the
    first masked values of those kinds and how many there are; per source and kind, the first
    ``pii.examples_per_kind`` masked values in ledger order (for ``pii_examples.csv``)."""

    needs: frozenset
    values: dict[tuple[str, tuple[str, ...]], dict[str, tuple[tuple[tuple[str, str], ...], int]]]
    examples: dict[str, list[dict[str, Any]]]


def _pii_filter(kinds: Sequence[str]) -> Any:
    """A pyarrow mask function: rows counting personal information of any of ``kinds``."""
    def where(batch: Any) -> Any:
        import pyarrow.compute as pc

        names = batch.schema.names
        masks = [pc.fill_null(pc.greater(batch.column(f"pii_{k}"), 0), False) for k in kinds if f"pii_{k}" in names]
        if not masks:
            import pyarrow as pa

            return pa.array([False] * batch.num_rows)
        mask = masks[0]
        for m in masks[1:]:
            mask = pc.or_(mask, m)
        return mask
    return where


class _ShardTexts:
    """Documents of scanned shards read again by location, only while the shard still has the
    checksum the scan recorded; a shard is read up to its last wanted document, no further."""

    def __init__(self, run: _Run) -> None:
        self._run = run
        self._shards: dict[str, dict[str, Any]] | None = None
        self._real: dict[str, str] = {}
        self._unchanged: dict[str, bool] = {}

    def read(self, name: str, source: str, locations: Iterable[str]) -> Iterator[tuple[str, str]]:
        """Yield (location, normalised text) of the wanted documents of shard ``name``."""
        from provaudit.beam.io import open_input, shard_checksum
        from provaudit.core.findings import normalize_text
        from provaudit.core.readers import read_shard
        from provaudit.core.records import Document

        run = self._run
        if self._shards is None:
            self._shards = {s["path"]: s for s in run.manifest().get("shards", []) if s.get("path")}
            self._real = _real_paths(run.config)  # masked file names -> the files
        info, src = self._shards.get(name), run.registry.get(source)
        if info is None or src is None:
            return
        path = self._real.get(name) or (name if "://" in name or os.path.isabs(name)
                                         else str(run.config.base_dir / name))
        if name not in self._unchanged:
            try:
                self._unchanged[name] = not info.get("sha256") or shard_checksum(path) == info["sha256"]
            except OSError:
                self._unchanged[name] = False
        if not self._unchanged[name]:
            return  # changed since the scan: its texts are no longer what the ledger counted
        remaining = set(locations)
        spec = src.reader_spec(info.get("format") or src.format or "", run.config.scan.max_doc_chars)
        for item in read_shard(path, name, spec, open_input):
            if not remaining:
                break
            if isinstance(item, Document) and item.location in remaining:
                remaining.discard(item.location)
                yield item.location, normalize_text(item.text)


def _read_pii_examples(run: _Run) -> _PiiExamples:
    """Read again the texts the PII evidence shows; mask every value.

    Only the documents the evidence needs are read. For every failed PII check (source and
    kinds), the documents whose ledger row counts those kinds, one shard at a time, keeping the
    first ``_EXAMPLES_PER_DOCUMENT`` values and their count. For ``pii_examples.csv``, per source
    and kind the first ``pii.examples_per_kind`` values in ledger order: a document can hold
    values of a kind only when its ledger row counts that kind (the scan detected over the same
    text, with the same allowlist) or when the scan analysed only a prefix of it; so the
    candidates are read in ledger order, ``examples_per_kind`` documents per source and kind a
    round (:class:`_ExampleRounds`), until each kind has its examples or no candidate is left.
    The first round's documents are read in the same pass over a shard as the failed checks'.
    The work follows the evidence shown, not the corpus.
    """
    from provaudit.core.findings import content_digest
    from provaudit.core.pii import KINDS, pii_examples

    shard_texts = _ShardTexts(run)
    needs = frozenset(run.pii_needs)
    rounds = _ExampleRounds(run, KINDS)
    reads = rounds.next_reads()
    read_before: dict[tuple[str, str], list[tuple[str, str]] | None] = {}  # (shard, location) -> values
    values = _needed_values(run, shard_texts, needs, reads or {}, read_before)
    allow = run.config.pii.allowlist()
    while reads is not None:
        for shard, source in sorted(reads):
            wanted = reads[(shard, source)]
            rest = {}
            for location, doc in wanted.items():
                if (shard, location) in read_before:
                    rounds.take(shard, source, location, read_before.pop((shard, location)))
                else:
                    rest[location] = doc
            for location, text in shard_texts.read(shard, source, rest):
                if content_digest(text).sha256 == rest[location][2]:
                    rounds.take(shard, source, location, pii_examples(text, limit=10_000, allow=allow))
        reads = rounds.next_reads()
    return _PiiExamples(needs, values, rounds.examples())


def _needed_values(run: _Run, shard_texts: _ShardTexts, needs: frozenset, also: Mapping[tuple[str, str], Any],
                   read_before: dict[tuple[str, str], Any]) -> dict:
    """Per failed PII check (source, kinds): document id -> (first values shown, how many).

    ``also``: more documents to read in the same pass over their shard, (shard, source) ->
    location -> (order, doc_id, sha256, ...); their values go to ``read_before``.
    """
    from provaudit.core.findings import content_digest
    from provaudit.core.pii import pii_examples

    allow = run.config.pii.allowlist()
    values: dict[tuple[str, tuple[str, ...]], dict] = {need: {} for need in needs}
    by_source: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for source, kinds in sorted(needs):
        by_source[source].append(kinds)
    for source, kind_sets in by_source.items():
        where = _pii_filter(sorted({k for kinds in kind_sets for k in kinds}))
        columns = ["shard", "location", "doc_id", "sha256", *(f"pii_{k}" for kinds in kind_sets for k in kinds)]
        # The ledger files holding each shard's rows: a shard's rows are then read from its own
        # files, not from all of the source's (which made this quadratic in the shards).
        files_of: dict[str, set[str]] = defaultdict(set)
        for path, _i, r in run.ledger_indexed(source, ["shard", *columns[4:]], where):
            files_of[r["shard"]].add(path)
        for name in sorted(files_of):
            shard_where = _and(where, lambda b, name=name: _equal(b, "shard", name))
            wanted = {r["location"]: (r["doc_id"], r["sha256"])
                      for _p, _i, r in run.ledger_indexed(source, columns, shard_where, files=sorted(files_of[name]))}
            extra = {loc: doc[2] for loc, doc in also.get((name, source), {}).items()}
            for location, text in shard_texts.read(name, source, {**extra, **wanted}):
                found = None
                if location in extra:
                    found = pii_examples(text, limit=10_000, allow=allow) \
                        if content_digest(text).sha256 == extra[location] else None
                    read_before[(name, location)] = found
                if location not in wanted:
                    continue
                doc_id, sha256 = wanted[location]
                if content_digest(text).sha256 != sha256:
                    continue
                found = pii_examples(text, limit=10_000, allow=allow) if found is None else found
                for kinds in kind_sets:
                    mine = [(k, m) for k, m in found if k in kinds]
                    if mine:
                        values[(source, kinds)][doc_id] = (tuple(mine[:_EXAMPLES_PER_DOCUMENT]), len(mine))
                    else:
                        values[(source, kinds)].pop(doc_id, None)
    return values


class _ExampleRounds:
    """Per source and kind, the first ``pii.examples_per_kind`` masked values in ledger order
    (shard, then location, numbers compared as numbers; then text order), drawn in rounds: each
    round names the next candidates (:meth:`next_reads`), their values are given back
    (:meth:`take`), until every kind has its examples or no candidate is left."""

    def __init__(self, run: _Run, kinds: Sequence[str]) -> None:
        self._run = run
        self._kinds = tuple(kinds)
        self._limit = run.config.pii.examples_per_kind
        self._found: dict[tuple[str, str], list[tuple]] = defaultdict(list)  # (source, kind) -> (order, example)
        self._after: dict[tuple[str, str], tuple] = {}  # (source, kind) -> the last candidate read
        self._pending = {(s, k) for s in run.registry for k in self._kinds} if self._limit > 0 else set()
        self._want: dict[tuple[str, str], int] = {}
        self._picks: dict[tuple[str, str], list[tuple]] = {}
        self._reads: dict[tuple[str, str], dict[str, tuple]] = {}
        self._naturals: dict[str, tuple] = {}

    def next_reads(self) -> dict[tuple[str, str], dict[str, tuple]] | None:
        """The next round's documents, (shard, source) -> location -> (order, doc_id, sha256,
        kinds); None when every kind is done. Closes the round before it."""
        self._close_round()
        if not self._pending:
            return None
        kinds, limit = self._kinds, self._limit
        want = self._want = {key: limit - len(self._found[key]) for key in self._pending}
        picks: dict[tuple[str, str], list[tuple]] = defaultdict(list)  # the next candidates, in order
        columns = ["shard", "location", "doc_id", "sha256", "chars", "analysed_chars", *(f"pii_{k}" for k in kinds)]
        for source in [s for s in self._run.registry if any((s, k) in self._pending for k in kinds)]:
            for file, i, r in self._run.ledger_indexed(source, columns, _pii_filter(kinds)):
                prefix_only = r.get("analysed_chars") is None or r.get("chars") is None or \
                    r["analysed_chars"] < r["chars"]
                mine = [k for k in kinds if (source, k) in self._pending and (prefix_only or r.get(f"pii_{k}"))]
                if not mine:
                    continue
                if r["shard"] not in self._naturals:
                    self._naturals[r["shard"]] = _natural(r["shard"])
                order = (self._naturals[r["shard"]], _natural(r["location"]), file, i)
                for kind in mine:
                    if (source, kind) in self._after and order <= self._after[(source, kind)]:
                        continue
                    bucket = picks[(source, kind)]
                    bucket.append((order, r["shard"], r["location"], r["doc_id"], r["sha256"]))
                    if len(bucket) > 4 * limit + 16:
                        bucket.sort(key=lambda c: c[0])
                        del bucket[want[(source, kind)]:]
        reads: dict[tuple[str, str], dict[str, tuple]] = defaultdict(dict)
        for (source, kind), bucket in picks.items():
            bucket.sort(key=lambda c: c[0])
            del bucket[want[(source, kind)]:]
            for order, shard, location, doc_id, sha256 in bucket:
                reads[(shard, source)].setdefault(location, (order, doc_id, sha256, set()))[3].add(kind)
        self._picks, self._reads = dict(picks), dict(reads)
        return self._reads

    def take(self, shard: str, source: str, location: str, found: list[tuple[str, str]] | None) -> None:
        """The masked values (kind, value) of a document of this round (None: not readable)."""
        order, doc_id, _, kinds = self._reads[(shard, source)][location]
        for j, (kind, masked) in enumerate(found or ()):
            if kind in kinds:
                self._found[(source, kind)].append(((*order, j), {
                    "source": source, "shard": shard, "location": location, "doc_id": doc_id,
                    "kind": kind, "masked_value": masked}))

    def _close_round(self) -> None:
        for key in sorted(self._want):
            bucket = self._picks.get(key, [])
            if len(self._found[key]) >= self._limit or len(bucket) < self._want[key]:
                self._pending.discard(key)  # its examples are complete, or no candidate is left
            else:
                self._after[key] = bucket[-1][0]
        self._want, self._picks, self._reads = {}, {}, {}

    def examples(self) -> dict[str, list[dict[str, Any]]]:
        """Per source, its example rows in ledger order."""
        out: dict[str, list[dict[str, Any]]] = {}
        for source in sorted(self._run.registry):
            rows = [kv for kind in self._kinds
                    for kv in sorted(self._found.get((source, kind), []), key=lambda kv: kv[0])[:self._limit]]
            out[source] = [row for _, row in sorted(rows, key=lambda kv: kv[0])]
        return out


def _equal(batch: Any, column: str, value: str) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.fill_null(pc.equal(batch.column(column), pa.scalar(value)), False)


def _and(first: Any, second: Any) -> Any:
    import pyarrow.compute as pc

    return lambda batch: pc.and_(first(batch), second(batch))


# --------------------------------------------------------------------------- per expectation


def _license_value(row: Mapping[str, Any], run: _Run) -> str:
    if row.get("license_raw") is not None:
        return str(row["license_raw"])
    src = run.registry.get(row["source"])
    if src is not None and src.license_field:
        return f"(no {src.license_field!r} value in the document)"
    return NO_LICENSE_KEY


def _doc_rows(run: _Run, source: str, keep: Any, value: Any, columns: Sequence[str] = (),
              where: Any = None) -> list[dict[str, Any]]:
    """Evidence rows of ``source``'s ledger rows that ``keep`` (after the pyarrow mask ``where``);
    ``columns``: the ledger columns ``keep`` and ``value`` read besides the location ones."""
    # shard names and values repeat from row to row: one string each, not one per evidence row
    return [_row(source, _shared(value(r)), shard=_shared(r["shard"]), location=r["location"], doc_id=r["doc_id"])
            for r in run.ledger(source, ("shard", "location", "doc_id", *columns), where) if keep(r)]


def _shared(text: str | None) -> str | None:
    return sys.intern(text) if type(text) is str else text


def _pii_rows(run: _Run, source: str, kinds: Sequence[str]) -> list[dict[str, Any]]:
    kinds = tuple(kinds)
    run.pii_needs.add((source, kinds))
    pii = run.pii()
    if (source, kinds) not in pii.needs:  # asked for after the texts were read: read them again
        run._pii = None
        pii = run.pii()
    found_by_id = pii.values[(source, kinds)]

    def value(r: Mapping[str, Any]) -> str:
        counts = _pii_kinds(r, kinds)
        shown_found, n = found_by_id.get(r["doc_id"], ((), 0))
        if not n:
            return "; ".join(f"{k} x{n}" for k, n in counts.items()) + " (no example: shard or text changed)"
        shown = "; ".join(f"{k}: {m}" for k, m in shown_found)
        more = n - _EXAMPLES_PER_DOCUMENT
        return shown + (f"; and {more} more" if more > 0 else "")

    return _doc_rows(run, source, lambda r: bool(_pii_kinds(r, kinds)), value,
                     [f"pii_{k}" for k in kinds], _pii_filter(kinds))


def _listed_entry(r: Mapping[str, Any], listed: frozenset[str]) -> str:
    """The listed domain a document's URL host or registrable domain matches (the shortest)."""
    from urllib.parse import urlsplit

    url = r.get("url") or ""
    try:
        host = (urlsplit(url if "//" in url else "//" + url).hostname or "").lower().rstrip(".")
    except ValueError:
        host = ""
    labels = host.split(".") if host else []
    candidates = {".".join(labels[i:]) for i in range(len(labels))} | {(r.get("domain") or "").lower()}
    return min(candidates & listed, key=lambda d: (d.count("."), d), default=r.get("domain") or "")


def _opt_out_rows(run: _Run, source: str) -> list[dict[str, Any]]:
    from provaudit.core.profiles import load_opt_out, opted_out

    listed = load_opt_out(run.config.opt_out) if run.config.opt_out else frozenset()
    return _doc_rows(run, source, lambda r: opted_out(r.get("url"), r.get("domain"), listed),
                     lambda r: _listed_entry(r, listed), ("url", "domain"))


def _screen_value(r: Mapping[str, Any], thresholds: Sequence[tuple[str, float]]) -> str:
    """Why screening flagged a document: hit counts by risk code and classifier scores (never terms)."""
    if not r.get("screened_by"):
        return "not screened"
    hits = json.loads(r.get("screen_hits") or "{}")
    parts = [f"{code} x{n}" for code, n in sorted(hits.items()) if n]
    scores = json.loads(r.get("classifier_scores") or "{}")
    parts += [f"{name} {risk} {score:g}" for name, threshold in thresholds
              for risk, score in sorted((scores.get(name) or {}).items()) if score >= threshold]
    return "; ".join(parts) or "flagged"


def _auto_sample(run: _Run, keep: Any = lambda r: True) -> Iterator[dict[str, Any]]:
    """The ledger rows of the TC260-003 9.2 automatic sample (core.assessment's draw, again)
    that ``keep``: the buckets are counted in a first pass, the rows picked in a second."""
    from provaudit.core.assessment import auto_bucket, required_sample

    screening = run.config.screening
    training = [name for name, src in sorted(run.registry.items()) if src.role != "eval"]
    where = ("source", "shard", "location")

    def bucket(r: Mapping[str, Any]) -> int:
        return auto_bucket(screening.seed, screening.sample_share, r["source"], r["shard"], r["location"])

    counts: Counter = Counter(bucket(r) for name in training for r in run.ledger(name, where))
    need, running, cut = required_sample(screening.sample_share, sum(counts.values())), 0, -1
    for b in sorted(counts) if need else ():
        running += counts[b]
        if running >= need:
            cut = b
            break
    return (r for name in training for r in run.ledger(name) if keep(r) and bucket(r) <= cut)


def _corpus_sample(run: _Run) -> list[dict[str, Any]]:
    path = os.path.join(run.run_dir, "inspection", "corpus_sample.jsonl")
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _screening_rows(run: _Run, column: str, subject: str, row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Evidence of the content_screening (per source) and corpus_assessment (subject: the scope) suites."""
    from provaudit.core.assessment import load_blocked
    from provaudit.core.profiles import load_verdicts, opted_out

    screening = run.config.screening
    thresholds = tuple((c.name, c.threshold) for c in screening.classifiers)
    configured = screening.configured
    if column in ("screening_coverage", "keyword_hit_share", "auto_qualified_share") and not configured:
        return [_row(subject if column != "auto_qualified_share" else "", NO_SCREENING)]
    if column == "screening_coverage":
        return _doc_rows(run, subject, lambda r: not r.get("screened_by"), lambda r: "not screened", ("screened_by",))
    if column == "keyword_hit_share":
        if row.get("keyword_hit_share") is None:
            return [_row(subject, "none of the source's documents was screened")]
        return _doc_rows(run, subject, lambda r: r.get("screen_hits") not in (None, "", "{}"),
                         lambda r: _screen_value(r, ()), ("screen_hits", "screened_by"))
    if column == "blocked_documents":
        listed = load_blocked(screening)
        if subject in screening.blocked_sources:
            return [_row(subject, "source on the blocked list (screening.blocked.sources)")]
        return _doc_rows(run, subject, lambda r: opted_out(r.get("url"), r.get("domain"), listed),
                         lambda r: _listed_entry(r, listed), ("url", "domain"))
    if column == "auto_qualified_share":
        return [_row(r["source"], _screen_value(r, thresholds), shard=r["shard"], location=r["location"],
                     doc_id=r["doc_id"])
                for r in _auto_sample(run, lambda r: not r.get("screened_by") or r.get("screen_flagged"))]
    if column in ("manual_reviewed", "manual_qualified_share"):
        verdicts = load_verdicts(run.config.inspection.verdicts)
        out = []
        for s in _corpus_sample(run):
            verdict = verdicts.get((s["source"], s["shard"], s["location"]))
            if column == "manual_reviewed" and verdict is None:
                out.append(_row(s["source"], "no reviewer's verdict", shard=s["shard"], location=s["location"],
                                doc_id=s.get("doc_id")))
            elif column == "manual_qualified_share" and verdict == "unsafe":
                out.append(_row(s["source"], "unsafe (reviewer's verdict)", shard=s["shard"],
                                location=s["location"], doc_id=s.get("doc_id")))
        return out
    if column in ("library_short_risks", "classifier_missing_risks"):
        path = os.path.join(run.run_dir, "screening", "libraries.json")
        if not os.path.isfile(path):
            return [_row("", NO_SCREENING)]
        with open(path, encoding="utf-8") as fh:
            coverage = json.load(fh).get("coverage") or {}
        if column == "library_short_risks":
            from provaudit.core.risks import min_terms

            return [_row("", f"{code}: {n} terms (TC260-003 8.1 asks for {min_terms(code)})")
                    for code, n in sorted((coverage.get("short") or {}).items())]
        return [_row("", f"{code}: no classifier covers it") for code in coverage.get("classifier_missing") or []]
    if column.startswith("library_") and not os.path.isfile(os.path.join(run.run_dir, "screening", "libraries.json")):
        return [_row("", NO_SCREENING)]
    return []


def _quarantine_rows(run: _Run, source: str) -> list[dict[str, Any]]:
    rows = []
    for path in sorted(glob.glob(os.path.join(run.run_dir, "quarantine", glob.escape(source), "*.jsonl"))):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    q = json.loads(line)
                    rows.append(_row(source, str(q.get("reason", "")), shard=q.get("shard"),
                                     location=q.get("location")))
    return rows


def _duplicate_rows(run: _Run, source: str, kind: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    path = os.path.join(run.run_dir, "overlap", "clusters.parquet")
    if not os.path.isfile(path):
        return []
    import pyarrow as pa
    import pyarrow.compute as pc

    table = pq.read_table(path)
    members = table.filter(pc.fill_null(pc.equal(table.column("source"), pa.scalar(source)), False)).to_pylist()
    per_cluster = Counter(m["cluster_id"] for m in members)

    def weakest(m: dict[str, Any]) -> str:  # clusters.parquet v2: the cluster's weakest verified link
        d = m.get("diameter")
        return f"; weakest verified link Jaccard {d:.3f}" if m["kind"] == "near" and d is not None else ""

    return [_row(source, f"{m['kind']} duplicate in cluster {m['cluster_id']} "
                         f"({per_cluster[m['cluster_id']]} documents of the source{weakest(m)})",
                 shard=m["shard"], location=m["location"], doc_id=m["doc_id"])
            for m in members if per_cluster[m["cluster_id"]] > 1 and (kind == "near" or m["kind"] == "exact")]


def _unsafe_rows(run: _Run, source: str) -> list[dict[str, Any]]:
    rows = []
    for path in run.config.inspection.verdicts:
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                v = json.loads(line)
                if v.get("source") == source and v.get("verdict") == "unsafe":
                    key = (v.get("shard"), v.get("location"))
                    rows.append(_row(source, "unsafe (reviewer's verdict)", shard=key[0], location=key[1]))
    if rows:  # the verdicts' documents' ids: only theirs are looked up in the ledger
        wanted = {(r["shard"], r["location"]) for r in rows}
        by_location = {(r["shard"], r["location"]): r["doc_id"]
                       for r in run.ledger(source, ("shard", "location", "doc_id"))
                       if (r["shard"], r["location"]) in wanted}
        for r in rows:
            r["doc_id"] = by_location.get((r["shard"], r["location"]))
    return rows


def _labelling_rows(run: _Run, batch: str, column: str, row: Mapping[str, Any]) -> list[dict[str, Any]]:
    from provaudit.core.labelling import load_source_labelling, trained_before

    source = str(row.get("source") or "")
    src = run.registry.get(source)
    if src is None or not src.labelling:
        return []
    ls = load_source_labelling(src.labelling)
    base = run.config.base_dir

    def shard(path: str) -> str:
        try:
            return os.path.relpath(path, base).replace(os.sep, "/")
        except ValueError:
            return path

    records = [r for r in ls.records if r.batch == batch]
    rows = []
    for r in records:
        value = None
        if column == "trained_share" and not trained_before(ls.annotators.get(r.annotator), r.labelled_at):
            entry = ls.annotators.get(r.annotator)
            trained = ("not in the roster" if entry is None else
                       f"trained {entry.trained_at.isoformat()}" if entry.trained_at else "never trained")
            value = f"annotator {r.annotator} ({trained}, not before labelling)"
        elif column == "qa_accuracy" and r.review_verdict == "reject":
            value = f"label rejected by {r.reviewer} (annotator {r.annotator})"
        elif column == "unknown_guideline_items":
            g = ls.guidelines.get(r.guideline_version)
            if g is None:
                value = f"guideline version {r.guideline_version} not in the index"
            elif not g.verified:
                value = f"guideline version {r.guideline_version}: document missing or checksum differs"
        if value is not None:
            rows.append(_row(source, value, batch=batch, shard=shard(r.file), location=r.location,
                             doc_id=r.item_id))
    return rows


def _whole(subject: str, column: str, row: Mapping[str, Any], run: _Run, batch: bool) -> dict[str, Any]:
    """One row for a failure of a whole source or batch, with its figure."""
    src = run.registry.get(subject)
    if column == "evidence_present" and src is not None:
        value = f"acquisition {src.acquisition}: no evidence registered (sources[{subject}].evidence)"
    elif column == "source":
        value = "not in the registry"
    elif column == "inspection_reviewed":
        value = f"no reviewer's verdict for the {row.get('inspection_sampled', 0)} sampled documents"
    else:
        value = f"{column} = {row.get(column)}"
    if batch:
        return _row(str(row.get("source") or ""), value, batch=subject)
    return _row(subject, value)


def _evidence_rows(run: _Run, suite: str, column: str, subject: str, row: Mapping[str, Any]) -> list[dict]:
    from provaudit.core.pii import KINDS, SENSITIVE_KINDS

    if suite == "labelling_process":
        return _labelling_rows(run, subject, column, row) or [_whole(subject, column, row, run, True)]
    if suite in ("content_screening", "corpus_assessment"):
        return _screening_rows(run, column, subject, row) or [
            _whole(subject if suite == "content_screening" else "", column, row, run, False)]
    if suite == "removal_requests":  # subject: an overdue request's id
        from provaudit.stages.requests import read_requests_report, request_rows

        return [_row(r["source"], f"request {subject} ({r['kind']}) overdue since {r['deadline']}",
                     shard=r["shard"], location=r["location"], doc_id=r["doc_id"])
                for r in request_rows(read_requests_report(run.run_dir), {subject})] or [
            _row("", f"request {subject}: overdue")]
    rows: list[dict[str, Any]] = []
    if column == "unknown_license_share":
        rows = _doc_rows(run, subject, lambda r: r.get("license_category") == "unknown",
                         lambda r: _license_value(r, run), ("source", "license_category", "license_raw"),
                         lambda b: _equal(b, "license_category", "unknown"))
    elif column == "opted_out_documents":
        rows = _opt_out_rows(run, subject)
    elif column == "pii_documents":
        rows = _pii_rows(run, subject, KINDS)
    elif column == "sensitive_pii_documents":
        rows = _pii_rows(run, subject, SENSITIVE_KINDS)
    elif column == "inspection_unsafe_upper95":
        rows = _unsafe_rows(run, subject)
    elif column == "quarantine_share":
        rows = _quarantine_rows(run, subject)
    elif column in ("exact_duplicate_rate", "near_duplicate_rate"):
        rows = _duplicate_rows(run, subject, column.split("_", 1)[0])
    elif column == "empty_documents":
        rows = _doc_rows(run, subject, lambda r: r.get("chars") == 0, lambda r: "empty after normalisation", ("chars",))
    elif column == "language_mismatch_share":
        src = run.registry.get(subject)
        expected = set(src.languages_expected) if src else set()
        rows = _doc_rows(run, subject,
                         lambda r: bool(expected) and r["language"] != "und" and r["language"] not in expected,
                         lambda r: f"language {r['language']} (expected {', '.join(sorted(expected))})",
                         ("language",))
    return rows or [_whole(subject, column, row, run, False)]


# --------------------------------------------------------------------------- writing


def _csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return buf.getvalue()


def _write_csv(path: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Write the rows as :func:`_csv` gives them, straight to the file (no copy of the text)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return path


def _write_text(path: str, text: str) -> str:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    return path


def _write_parquet(path: str, rows: Sequence[Mapping[str, Any]]) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([pa.field(c, pa.string(), nullable=c != "value") for c in EVIDENCE_COLUMNS])
    table = pa.table([pa.array([r.get(c) for r in rows], pa.string()) for c in EVIDENCE_COLUMNS], schema=schema)
    pq.write_table(table, path)
    return path


def _pii_example_rows(run: _Run) -> list[dict[str, Any]]:
    """At most ``pii.examples_per_kind`` masked examples per source and kind, in ledger order
    (shard, then location, numbers compared as numbers)."""
    examples = run.pii().examples
    return [row for source in sorted(run.registry) for row in examples.get(source, [])]


def write_evidence(config: RunConfig, run_dir: str, validation: Mapping[str, Any]) -> list[str]:
    """Write an evidence file pair per failed expectation, the PII examples and index.json.

    ``validation`` is the run's ``validation/results.json`` document. Returns the paths written.
    """
    verdicts = list(validation.get("verdicts", []))
    out = os.path.join(run_dir, "evidence")
    os.makedirs(out, exist_ok=True)
    for stale in glob.glob(os.path.join(glob.escape(out), "*")):  # a re-run of disclose writes the set afresh
        if os.path.isfile(stale):
            os.remove(stale)
    run = _Run(config, run_dir)
    from provaudit.core.pii import KINDS, SENSITIVE_KINDS

    for v in verdicts:  # the PII checks that need examples: the texts are read once for all of them
        if not v.get("success") and v.get("column") in ("pii_documents", "sensitive_pii_documents") and \
                v.get("suite") not in ("labelling_process", "content_screening", "corpus_assessment", "removal_requests"):
            kinds = KINDS if v["column"] == "pii_documents" else SENSITIVE_KINDS
            run.pii_needs.update((subject, tuple(kinds)) for subject in v.get("failing", []))
    profiles = {"legitimate_sources": {r["source"]: r for r in run.profile("source_profile")},
                "data_quality": {r["source"]: r for r in run.profile("source_profile")},
                "content_screening": {r["source"]: r for r in run.profile("source_profile")},
                "corpus_assessment": {r["scope"]: r for r in run.profile("corpus_assessment")},
                "labelling_process": {r["batch"]: r for r in run.profile("labelling_profile")}}
    written: list[str] = []
    index: dict[str, Any] = {}
    for v, (vid, slug) in zip(verdicts, evidence_slugs(verdicts)):
        if v.get("success"):
            continue
        suite, column = v["suite"], v.get("column") or ""
        rows: list[dict[str, Any]] = []
        subjects: dict[str, Any] = {}
        for subject in v.get("failing", []):
            row = profiles.get(suite, {}).get(subject, {})
            mine = _evidence_rows(run, suite, column, subject, row)
            rows.extend(mine)
            values = Counter(str(r["value"]) for r in mine)
            subjects[subject] = {"rows": len(mine),
                                 "values": [{"value": val, "rows": n} for val, n in
                                            sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:_TOP_VALUES]],
                                 "distinct_values": len(values)}
        rows = _sorted(rows)
        written.append(_write_csv(os.path.join(out, f"{slug}.csv"), rows, EVIDENCE_COLUMNS))
        written.append(_write_parquet(os.path.join(out, f"{slug}.parquet"), rows))
        index[vid] = {"suite": suite, "column": column, "slug": slug, "csv": f"evidence/{slug}.csv",
                      "parquet": f"evidence/{slug}.parquet", "rows": len(rows), "subjects": subjects}
    examples = _pii_example_rows(run)
    written.append(_write_text(os.path.join(out, "pii_examples.csv"), _csv(examples, PII_EXAMPLE_COLUMNS)))
    index_doc = {"failures": index, "pii_examples": {"csv": "evidence/pii_examples.csv", "rows": len(examples),
                                                    "per_source_and_kind": config.pii.examples_per_kind}}
    if getattr(config, "requests", None) is not None:
        from provaudit.reports.workbook import csv_cell
        from provaudit.stages.requests import REQUEST_CSV_COLUMNS, read_requests_report, request_rows

        matches = request_rows(read_requests_report(run_dir))
        safe = [{c: csv_cell(r.get(c)) for c in REQUEST_CSV_COLUMNS} for r in matches]  # no formula runs
        written.append(_write_text(os.path.join(out, "requests.csv"), _csv(safe, REQUEST_CSV_COLUMNS)))
        index_doc["requests"] = {"csv": "evidence/requests.csv", "rows": len(matches)}
    written.append(_write_text(os.path.join(out, "index.json"),
                               json_text(index_doc) + "\n"))
    return written
