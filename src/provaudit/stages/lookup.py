"""The lookup stage: is this text (hash, URL, domain, id) in a run's ledger, and where from?

Contract. :func:`open_index` returns the :class:`LookupIndex` of a run, building
``<run>/index/`` first when it is missing or was built with other hashing or banding
(Beam transforms, :class:`provaudit.beam.lookup.BuildLookupIndex`, with the config's
runner options). :meth:`LookupIndex.find` answers a :class:`provaudit.core.lookup.Criteria`
with hits sorted by :func:`provaudit.core.lookup.sort_hits`; it opens only the index parts
its keys fall in (memory-mapped) and in each reads only the row groups whose column
statistics can hold the key (binary search over them), so its cost does not grow with
the ledger beyond those row groups. ``index/meta.json`` is written last: an index without
it (a build killed half way) is built again.

:func:`lookup_run` is what the CLI calls: it picks the run (the given one, else the latest
complete run, else the newest scanned run of this config), finds the hits, adds the
complete runs of the history whose ledger held each hit's content and, when asked, the
shared n-grams read back from the source shard. The query text is never written to a
log, an error or a file: errors name the criterion, never its value.
"""

from __future__ import annotations

import bisect
import json
import logging
import os
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq

from provaudit.beam.io import join_path, list_files, open_input, read_bytes, remove_tree, write_bytes
from provaudit.core.config import RunConfig
from provaudit.core.errors import InputError
from provaudit.core.jsontext import json_bytes
from provaudit.core.lookup import (
    DEFAULT_MIN_JACCARD,
    Criteria,
    Hit,
    IndexLayout,
    Query,
    evidence_ngrams,
    index_part_name,
    part_of,
    plan_layout,
    prepare_query,
    sort_hits,
    verify_candidate,
)
from provaudit.core.minhash import MinHasher
from provaudit.core.overlap import LshParams, lsh_params
from provaudit.core.pii import mask_text
from provaudit.stages.runs import (
    find_run,
    is_complete,
    latest_run_id,
    previous_complete,
    read_history,
)

__all__ = ["INDEX_FORMAT", "JSON_VERSION", "LookupIndex", "LookupResult", "build_index", "criteria_names",
           "hit_record", "index_settings", "lookup_run", "open_index", "resolve_run", "result_json",
           "result_lines"]

_log = logging.getLogger(__name__)

INDEX_DIR = "index"
META = "meta.json"
INDEX_FORMAT = 3  # 2: banded for DEFAULT_MIN_JACCARD, not the overlap threshold; 3: SplitMix64 band keys
SCHEME = "affine32"  # the scan's MinHasher scheme (provaudit.core.findings.Annotator)


def index_settings(config: RunConfig) -> dict[str, Any]:
    """The hashing and banding settings an index is built with; an index with others is rebuilt.

    The bands and rows they give (:func:`provaudit.core.overlap.lsh_params`) are computed
    by the build and read back from ``meta.json``, so a lookup never pays for the optimiser.
    """
    return {"format": INDEX_FORMAT, "num_perm": config.scan.num_perm, "seed": config.scan.seed,
            "ngram": config.scan.ngram, "scheme": SCHEME, "max_doc_chars": config.scan.max_doc_chars,
            "threshold": index_threshold(config),
            "false_negative_weight": config.overlap.false_negative_weight}


def index_threshold(config: RunConfig) -> float:
    """The Jaccard the index's banding is tuned for: the default near-match floor, or the
    overlap threshold when that is lower. Overlap's own banding (14 bands x 9 rows for 0.8)
    makes an edited copy at Jaccard 0.8 a candidate only about nine times in ten; banded
    for 0.5 (32 x 4 with the defaults) a copy at 0.7 is one with probability 0.9998, and
    verification keeps what reaches the floor."""
    return min(config.overlap.threshold, DEFAULT_MIN_JACCARD)


def _read_meta(index_dir: str) -> dict[str, Any] | None:
    try:
        return json.loads(read_bytes(join_path(index_dir, META)).decode("utf-8"))
    except (OSError, ValueError):
        return None
    except Exception:  # noqa: BLE001 - remote filesystems raise their own errors for a missing file
        return None


def build_index(config: RunConfig, run_dir: str, extra_beam_args: Iterable[str] = (),
                report: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    """Build ``<run>/index/`` from the run's ledger with Beam and return its ``meta.json``.

    Locally the index is written to a temporary folder and renamed into place, so a killed
    build never leaves a half index; ``meta.json`` is its last file either way.
    """
    import apache_beam as beam  # only a build pays for importing Beam, not a lookup

    from provaudit.beam.lookup import BuildLookupIndex
    from provaudit.beam.runners import make_runner, pipeline_options

    settings = index_settings(config)
    params = lsh_params(index_threshold(config), config.scan.num_perm, config.overlap.false_negative_weight)
    files = list_files(join_path(run_dir, "ledger"), "*", "*.parquet")
    documents = sum(pq.ParquetFile(open_input(f)).metadata.num_rows for f in files)
    layout = plan_layout(documents, params.bands)
    final = join_path(run_dir, INDEX_DIR)
    local = "://" not in run_dir
    target = f"{final}.tmp-{os.getpid()}" if local else final
    if local:
        shutil.rmtree(target, ignore_errors=True)
    started = time.monotonic()
    options = pipeline_options(config.beam, extra_beam_args)
    work = join_path(run_dir, f"{INDEX_DIR}-work")
    remove_tree(work)
    pipeline = beam.Pipeline(runner=make_runner(options), options=options)
    _ = pipeline | "BuildLookupIndex" >> BuildLookupIndex(files, target, layout, params, work)
    try:
        pipeline.run().wait_until_finish()
    finally:
        remove_tree(work)
    meta = {**settings, "bands": params.bands, "rows": params.rows, "documents": documents, "parts": layout.parts,
            "row_group_rows": layout.row_group_rows}
    write_bytes(join_path(target, META), json_bytes(meta))
    if local:
        shutil.rmtree(final, ignore_errors=True)
        os.replace(target, final)
    report(f"lookup: index of {documents:,} documents built in {time.monotonic() - started:,.1f} s "
           f"({params.bands} bands x {params.rows} rows)")
    return meta


class _Part:
    """One memory-mapped index part and the key range of each of its row groups."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self.file = pq.ParquetFile(path, memory_map="://" not in path) if "://" not in path \
                else pq.ParquetFile(open_input(path))
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"{path}: cannot read this lookup index part ({type(exc).__name__}); "
                             "delete the run's index folder and look up again to rebuild it") from None
        meta = self.file.metadata
        mins: list[Any] = []
        maxs: list[Any] = []
        for i in range(meta.num_row_groups):
            stats = meta.row_group(i).column(0).statistics
            known = stats is not None and stats.has_min_max
            mins.append(stats.min if known else None)
            maxs.append(stats.max if known else None)
        # A row group without statistics (Parquet drops them for very long strings, e.g. a
        # URL of several KB) spans the gap between its neighbours: keys are sorted across groups.
        low, high = ((-(2**63), 2**63 - 1) if meta.schema.column(0).physical_type == "INT64"
                     else ("", "\U0010ffff" * 8))
        for i in range(len(mins)):
            if mins[i] is None:
                mins[i] = maxs[i - 1] if i and maxs[i - 1] is not None else (mins[i - 1] if i else low)
        for i in reversed(range(len(maxs))):
            if maxs[i] is None:
                maxs[i] = mins[i + 1] if i + 1 < len(mins) else high
        self.mins, self.maxs = mins, maxs

    def groups_for(self, key: Any) -> list[int]:
        """Row groups whose [min, max] holds ``key`` (binary search; keys are sorted)."""
        first = bisect.bisect_left(self.maxs, key)
        last = bisect.bisect_right(self.mins, key)
        return list(range(first, last))

    def rows(self, groups: Iterable[int], columns: list[str] | None = None) -> pa.Table:
        groups = sorted(set(groups))
        if not groups:
            return self.file.schema_arrow.empty_table()
        return self.file.read_row_groups(groups, columns=columns)


class LookupIndex:
    """A run's lookup index, opened for queries (parts are opened on first use)."""

    def __init__(self, run_dir: str, meta: dict[str, Any], hasher: MinHasher, params: LshParams) -> None:
        self.run_dir = run_dir
        self.index_dir = join_path(run_dir, INDEX_DIR)
        self.meta = meta
        self.hasher = hasher
        self.params = params
        self.layout = IndexLayout(meta["parts"], meta["row_group_rows"])
        self._parts: dict[tuple[str, int], _Part] = {}

    @property
    def documents(self) -> int:
        """Documents in the run's ledger."""
        return int(self.meta["documents"])

    def _part(self, table: str, value: Any) -> _Part:
        number = part_of(value, self.layout.parts[table])
        if (table, number) not in self._parts:
            self._parts[(table, number)] = _Part(join_path(self.index_dir, index_part_name(table, number)))
        return self._parts[(table, number)]

    def _doc_keys(self, table: str, values: Iterable[Any]) -> dict[Any, list[int]]:
        """Return, per value, the doc_keys the table lists for it."""
        by_part: dict[int, list[Any]] = defaultdict(list)
        for v in set(values):
            by_part[part_of(v, self.layout.parts[table])].append(v)
        found: dict[Any, list[int]] = defaultdict(list)
        for values_in_part in by_part.values():
            part = self._part(table, values_in_part[0])
            groups = {g for v in values_in_part for g in part.groups_for(v)}
            data = part.rows(groups)
            wanted = set(values_in_part)
            for key, doc in zip(data.column("key").to_pylist(), data.column("doc_key").to_pylist()):
                if key in wanted:
                    found[key].append(doc)
        return found

    def _docs(self, doc_keys: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Return the ``docs`` rows of the given document keys."""
        by_part: dict[int, list[int]] = defaultdict(list)
        for k in set(doc_keys):
            by_part[part_of(k, self.layout.parts["docs"])].append(k)
        out: dict[int, dict[str, Any]] = {}
        for keys in by_part.values():
            part = self._part("docs", keys[0])
            groups = {g for k in keys for g in part.groups_for(k)}
            wanted = set(keys)
            for row in part.rows(groups).to_pylist():
                if row["doc_key"] in wanted:
                    out[row["doc_key"]] = row
        return out

    def query(self, criteria: Criteria) -> Query:
        """Turn criteria into this index's keys (its hashing and banding)."""
        return prepare_query(criteria, self.hasher, self.params, int(self.meta["max_doc_chars"]))

    def find(self, criteria: Criteria, *, min_jaccard: float | None = None) -> list[Hit]:
        """Return the documents matching ``criteria``, sorted deterministically.

        Near matches are the documents sharing an LSH band with the text's signature whose
        estimated Jaccard is at least ``min_jaccard`` (default
        :data:`provaudit.core.lookup.DEFAULT_MIN_JACCARD`).
        Hits carry no runs and no evidence (see :func:`lookup_run`).
        """
        threshold = DEFAULT_MIN_JACCARD if min_jaccard is None else float(min_jaccard)
        if not 0.0 < threshold <= 1.0:
            raise InputError(f"lookup --min-jaccard: must be in (0, 1], got {threshold}")
        q = self.query(criteria)
        wanted: list[tuple[str, int, float | None]] = []
        if q.sha256:
            for sha, keys in self._doc_keys("sha256", q.sha256).items():
                wanted += [("exact", k, 1.0 if sha == q.text_sha256 else None) for k in keys]
        for table, value in (("url", q.url), ("domain", q.domain), ("doc_id", q.doc_id)):
            if value is not None:
                wanted += [(table, k, None) for keys in self._doc_keys(table, [value]).values() for k in keys]
        candidates: set[int] = set()
        if q.bands:
            for keys in self._doc_keys("bands", q.bands).values():
                candidates.update(keys)
        docs = self._docs([k for _, k, _ in wanted] + sorted(candidates))
        hits = [_hit(docs[k], kind, j) for kind, k, j in wanted if k in docs]
        for k in sorted(candidates):
            doc = docs.get(k)
            if doc is None or q.signature is None:
                continue
            j = verify_candidate(q.signature, doc["minhash"], threshold)
            if j is not None:
                hits.append(_hit(doc, "near", j))
        return sort_hits(hits)


def _hit(doc: dict[str, Any], match: str, jaccard: float | None) -> Hit:
    return Hit(doc_id=doc["doc_id"], source=doc["source"], shard=doc["shard"], location=doc["location"],
               match=match, jaccard=jaccard, license=doc["license"], acquisition=doc["acquisition"],
               url=doc["url"], sha256=doc["sha256"], domain=doc["domain"],
               license_category=doc["license_category"])


def open_index(config: RunConfig, run_dir: str, extra_beam_args: Iterable[str] = (),
               report: Callable[[str], None] = lambda line: None) -> LookupIndex:
    """Return the lookup index of a run, building it when it is missing or stale."""
    index_dir = join_path(run_dir, INDEX_DIR)
    meta = _read_meta(index_dir)
    settings = index_settings(config)
    if meta is None or any(meta.get(k) != v for k, v in settings.items()):
        if meta is not None:
            report("lookup: the run's index was built with other hashing or banding settings; rebuilding it")
        meta = build_index(config, run_dir, extra_beam_args, report)
    hasher = MinHasher(num_perm=int(meta["num_perm"]), seed=int(meta["seed"]), ngram=int(meta["ngram"]),
                       scheme=meta["scheme"])
    params = LshParams(int(meta["bands"]), int(meta["rows"]), float(meta["threshold"]), int(meta["num_perm"]))
    return LookupIndex(run_dir, meta, hasher, params)


def resolve_run(config: RunConfig, run_id: str | None = None, force: bool = False) -> str:
    """Return the run a lookup reads: the given one, else the latest complete run of this
    config, else the newest complete one, else the newest scanned run of this config."""
    if run_id is not None:
        return find_run(config.output, run_id, None, config=config, force=force)
    if "://" not in config.output:
        latest = latest_run_id(config.output)
        candidates = ([os.path.join(config.output, latest)] if latest else []) + \
            ([p] if (p := previous_complete(config.output)) else [])
        for path in candidates:
            try:
                from provaudit.stages.runs import check_run

                check_run(path, config, force)
                return path
            except InputError:
                continue
    return find_run(config.output, None, None, config=config, force=force)


class LookupResult(NamedTuple):
    """What :func:`lookup_run` found, in the run it searched."""

    run_id: str
    run_dir: str
    documents: int
    hits: list[Hit]
    seconds: float


def _history_runs(config: RunConfig, hits: list[Hit]) -> dict[tuple[str, str], tuple[str, ...]]:
    """Per (source, sha256) of the hits, the complete runs of the history that held it."""
    wanted = {(h.source, h.sha256) for h in hits}
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    if not wanted:
        return {}
    shas = sorted({s for _, s in wanted})
    for row in read_history(config.output):
        run_id = str(row["run_id"])
        path = os.path.join(config.output, run_id)
        if not is_complete(path):
            continue
        held: set[tuple[str, str]] = set()
        meta = _read_meta(join_path(path, INDEX_DIR))
        if meta is not None and meta.get("format") == INDEX_FORMAT:
            idx = LookupIndex(path, meta, MinHasher(int(meta["num_perm"]), int(meta["seed"]),
                                                    int(meta["ngram"]), meta["scheme"]),
                              LshParams(int(meta["bands"]), int(meta["rows"]), float(meta["threshold"]),
                                        int(meta["num_perm"])))
            keys = [k for ks in idx._doc_keys("sha256", shas).values() for k in ks]
            held = {(d["source"], d["sha256"]) for d in idx._docs(keys).values()}
        else:
            for f in list_files(join_path(path, "ledger"), "*", "*.parquet"):
                table = pq.read_table(f, columns=["source", "sha256"],
                                      filters=[("sha256", "in", shas)])
                held.update(zip(table.column("source").to_pylist(), table.column("sha256").to_pylist()))
        for pair in wanted & held:
            found[pair].append(run_id)
    return {k: tuple(sorted(v)) for k, v in found.items()}


def _document_text(config: RunConfig, hit: Hit) -> str | None:
    """Read a hit's document back from its shard with the project's readers; None when the
    shard is gone, unlisted (a masked name) or no longer holds the same content there."""
    from provaudit.beam.io import match_files
    from provaudit.core.config import list_shards
    from provaudit.core.findings import content_digest, normalize_text
    from provaudit.core.readers import read_shard
    from provaudit.core.records import Document
    from provaudit.stages.scan import plan_tasks

    tasks = [t for t in plan_tasks(config, list_shards(config, match_files))
             if t.source == hit.source and t.name == hit.shard]
    for task in tasks:
        for item in read_shard(task.path, task.name, task.spec, open_input):
            if isinstance(item, Document) and item.location == hit.location:
                text = normalize_text(item.text)
                return text if content_digest(text).sha256 == hit.sha256 else None
    return None


def lookup_run(config: RunConfig, criteria: Criteria, run_id: str | None = None, *,
               min_jaccard: float | None = None, evidence: bool = False, force: bool = False,
               extra_beam_args: Iterable[str] = (),
               report: Callable[[str], None] = lambda line: None) -> LookupResult:
    """Find ``criteria`` in a run, with the history's runs per hit and, when asked, evidence."""
    run_dir = resolve_run(config, run_id, force)
    index = open_index(config, run_dir, extra_beam_args, report)
    started = time.monotonic()
    hits = index.find(criteria, min_jaccard=min_jaccard)
    runs = _history_runs(config, hits)
    hits = [h._replace(runs=runs.get((h.source, h.sha256), ())) for h in hits]
    if evidence and criteria.text is not None:
        q = index.query(criteria)
        with_evidence = []
        for h in hits:
            if h.match in ("exact", "near") and (h.match == "near" or h.jaccard is not None):
                text = _document_text(config, h)
                if text is not None:
                    shared = evidence_ngrams(criteria.text, text, q.char_ngrams, index.hasher.ngram)
                    # shown only masked: an n-gram may hold an e-mail address or a phone number
                    h = h._replace(evidence=tuple(mask_text(g, config.pii.allowlist()) for g in shared))
            with_evidence.append(h)
        hits = with_evidence
    return LookupResult(os.path.basename(run_dir.rstrip("/")), run_dir, index.documents, hits,
                        round(time.monotonic() - started, 6))


#: Version of the ``--json`` document (:func:`result_json`).
JSON_VERSION = 1


def criteria_names(criteria: Criteria) -> list[str]:
    """The names of the criteria given (never their values: a query may hold personal information)."""
    return [name for name, value in zip(Criteria._fields, criteria) if value not in (None, "")]


def hit_record(hit: Hit) -> dict[str, Any]:
    """One hit as the ``--json`` document lists it."""
    return {"doc_id": hit.doc_id, "source": hit.source, "shard": hit.shard, "location": hit.location,
            "match": hit.match, "jaccard": hit.jaccard, "sha256": hit.sha256, "url": hit.url,
            "domain": hit.domain, "license": hit.license, "license_category": hit.license_category,
            "acquisition": hit.acquisition, "runs": list(hit.runs), "evidence": list(hit.evidence)}


def result_json(result: LookupResult, criteria: Criteria) -> dict[str, Any]:
    """The ``--json`` document: run, criteria names, counts per match kind, hits."""
    from provaudit.core.lookup import summary_counts

    return {"version": JSON_VERSION, "run_id": result.run_id, "documents": result.documents,
            "criteria": criteria_names(criteria), "seconds": result.seconds,
            "counts": summary_counts(result.hits), "hits": [hit_record(h) for h in result.hits]}


def result_lines(result: LookupResult) -> list[str]:
    """The human-readable answer, one hit per line plus its runs and evidence."""
    if not result.hits:
        return [(f"lookup: run {result.run_id}: no match among {result.documents:,} documents "
                 f"({result.seconds:.3f} s)")]
    lines = [(f"lookup: run {result.run_id}: {len(result.hits):,} hit(s) among {result.documents:,} "
              f"documents ({result.seconds:.3f} s)")]
    for h in result.hits:
        how = f"near J={h.jaccard:.3f}" if h.match == "near" else h.match
        lines.append(f"{how:<12} {h.source}  {h.shard}  {h.location}  doc_id={h.doc_id}  "
                     f"license={h.license or 'none'} ({h.license_category})  acquisition={h.acquisition}"
                     + (f"  url={h.url}" if h.url else ""))
        if h.runs:
            lines.append(f"             runs: {', '.join(h.runs)}")
        if h.evidence:
            lines.append(f"             shared n-grams: {' | '.join(h.evidence)}")
    return lines
