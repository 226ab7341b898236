"""Beam wiring of the overlap stage: exact groups, LSH banding, verification, components.

The logic (band keys, bucket pairs, Jaccard estimates, assembly) is in
:mod:`provaudit.core.overlap`; :class:`FindOverlap` lays it out as steps over partitions
whose per-document data lives in spill files (:mod:`provaudit.beam.spill`), so that a
shuffle carries file names, not documents, and memory is bounded by one partition on
any runner, the in-process ones included. Only one representative per content hash is
banded: identical documents cost one bucket entry per band whatever their number. Only
the band entries whose bucket holds two or more are joined back to their signatures,
and each shared bucket's pairs are verified by signature Jaccard before they count.
Connected components of the links are computed over their two 64-bit ids (SciPy), or,
above ``overlap.distributed_components_above`` links, as large-star / small-star rounds
(:class:`ConnectedComponents`); groups and links are then moved to their component's
partition and assembled there, and only the sorted row pieces and small counts remain.
Shards re-read for contamination are checksummed as they are read (:class:`CheckShardsFn`).
Steps count their work in Beam metrics (namespace ``overlap``) and, for the driver's
progress lines, in a :class:`ProgressWriter` folder.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional

import apache_beam as beam
from apache_beam.metrics import Metrics

from provaudit.beam.io import join_path, open_input, write_bytes
from provaudit.beam.scan import QUARANTINE, SHARD_INFO, ReadShardFn, ShardTask
from provaudit.beam.spill import iter_rows, part_of, part_path, read_table, read_tables, write_table
from provaudit.core.overlap import equal_runs
from provaudit.core.records import Document

if TYPE_CHECKING:
    from provaudit.core.overlap import LshParams


REF = ["source", "shard", "location", "doc_id"]
ID_BITS = 40  # a representative's id: its partition << ID_BITS | its rank in the partition


def home_of(ids: Any) -> Any:
    """Return the partition a representative's id was given in (its ``home``)."""
    return ids >> ID_BITS


class StepProgress:
    """One DoFn instance's running counts for the driver's progress lines (a ProgressWriter file)."""

    def __init__(self, progress: "ProgressWriter | None", step: str) -> None:
        self._progress = progress
        self._step = step
        self._counts: dict[str, int] = {}
        self._name = ""
        self._last = 0.0

    def add(self, **counts: int) -> None:
        import time
        import uuid

        if self._progress is None:
            return
        if not self._name:
            self._name = f"{self._step}--all--{uuid.uuid4().hex[:12]}"
        for key, n in counts.items():
            self._counts[key] = self._counts.get(key, 0) + int(n)
        now = time.monotonic()
        if now - self._last >= self._progress.interval:
            self._last = now
            self._progress.write(self._name, self._counts)

    def flush(self) -> None:
        if self._progress is not None and self._name:
            self._progress.write(self._name, self._counts)


class _SpillFn(beam.DoFn):
    """A step reading and writing spill files under ``work`` (:mod:`provaudit.beam.spill`)."""

    STEP = ""

    def __init__(self, work: str, parts: int, progress: "ProgressWriter | None" = None) -> None:
        self._work = work
        self._parts = parts
        self._progress = progress

    def setup(self) -> None:
        self._steps = StepProgress(self._progress, self.STEP)

    def finish_bundle(self) -> None:
        self._steps.flush()


class SpillDocumentsFn(_SpillFn):
    """Read one ledger file; write its documents into the partitions of their content hash.

    Input: ``(index, path)`` of a ledger file. Output: ``(partition, spill path)`` per
    partition written, and on the ``counts`` output ``(source, documents)``.
    """

    STEP = "documents"

    def setup(self) -> None:
        super().setup()
        self._documents = Metrics.counter("overlap", "documents")

    def process(self, item: tuple[int, str]) -> Iterator[Any]:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        index, path = item
        with open_input(path) as fh:
            table = pq.read_table(fh, columns=REF + ["sha256", "minhash"])
        n = table.num_rows
        if not n:
            return
        shas = table.column("sha256").to_pylist()
        prefix = np.fromiter((_hash_prefix(s) for s in shas), dtype=np.uint64, count=n)
        parts = part_of(prefix.view(np.int64), self._parts)
        for part in np.unique(parts).tolist():
            rows = table.filter(pa.array(parts == part)) if self._parts > 1 else table
            yield part, write_table(part_path(self._work, "docs", part, f"{index:06d}"), rows)
        for source, count in zip(*pc.value_counts(table.column("source")).flatten()):
            yield beam.pvalue.TaggedOutput("counts", (source.as_py(), count.as_py()))
        self._documents.inc(n)
        self._steps.add(elements=n)


def _hash_prefix(sha256: str) -> int:
    """Return the first 64 bits of a hex content hash (any other text: a 64-bit digest of it)."""
    try:
        return int(sha256[:16], 16)
    except ValueError:
        return int.from_bytes(hashlib.blake2b(sha256.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                              "little")


class GroupPartFn(_SpillFn):
    """One content-hash partition: exact groups, representatives and their band keys.

    Input: ``(partition, [spill paths])`` of :class:`SpillDocumentsFn`. Sorted by content
    hash and reference, each hash's first document represents it and gets an id
    (``partition << 40 | rank``). Writes the groups of two or more (``groups``: a row per
    member with its representative's id and whether its signature is empty), the
    representatives with a non-empty signature (``reps``), and their band keys
    (``bands``, into the partitions of the keys). Output: ``(band partition, path)``, and
    on ``groups``: ``(partition, path)``.
    """

    STEP = "bands"

    def __init__(self, work: str, parts: int, params: "LshParams", progress: "ProgressWriter | None" = None) -> None:
        super().__init__(work, parts, progress)
        self._params = params

    def setup(self) -> None:
        super().setup()
        self._groups = Metrics.counter("overlap", "exact_groups")
        self._reps = Metrics.counter("overlap", "representatives_banded")

    def process(self, item: tuple[int, list[str]]) -> Iterator[Any]:
        import numpy as np
        import pyarrow as pa

        from provaudit.core.overlap import EMPTY_SLOT, band_key_matrix, signature_matrix

        part, paths = item
        table = read_tables(list(paths)).sort_by([("sha256", "ascending")] + [(c, "ascending") for c in REF])
        shas = np.array(table.column("sha256").to_pylist(), dtype=object)
        starts, sizes = equal_runs(shas)
        ids = (np.int64(part) << ID_BITS) | np.arange(len(starts), dtype=np.int64)
        rep_table = table.take(pa.array(starts))
        try:
            sigs = signature_matrix(rep_table.column("minhash").to_pylist(), self._params.num_perm)
        except ValueError as exc:
            raise ValueError(f"overlap: ledger signatures do not match scan.num_perm={self._params.num_perm}: {exc}") from exc
        empty = (sigs == EMPTY_SLOT).all(axis=1)
        grouped = sizes > 1
        if grouped.any():
            member_rows = np.repeat(starts[grouped], sizes[grouped]) + _ranks(sizes[grouped])
            members = table.select(REF + ["sha256"]).take(pa.array(member_rows))
            members = members.append_column("rep_id", pa.array(np.repeat(ids[grouped], sizes[grouped])))
            members = members.append_column("unsigned", pa.array(np.repeat(empty[grouped], sizes[grouped])))
            yield beam.pvalue.TaggedOutput("groups", (part, write_table(
                part_path(self._work, "groups", part, "groups"), members)))
            self._groups.inc(int(grouped.sum()))
        signed = np.flatnonzero(~empty)
        reps = rep_table.select(REF + ["sha256", "minhash"]).take(pa.array(signed))
        reps = reps.add_column(0, "id", pa.array(ids[signed]))
        write_table(part_path(self._work, "reps", part, "reps"), reps)
        keys = band_key_matrix(sigs[signed], self._params)
        flat_keys = keys.reshape(-1)
        flat_ids = np.repeat(ids[signed], self._params.bands)
        band_parts = part_of(flat_keys, self._parts)
        for q in np.unique(band_parts).tolist():
            mine = band_parts == q
            yield q, write_table(part_path(self._work, "bands", q, f"{part:05d}"),
                                 pa.table({"key": flat_keys[mine], "id": flat_ids[mine]}))
        self._reps.inc(len(signed))
        self._steps.add(elements=len(signed))


def _ranks(sizes: Any) -> Any:
    """Return 0..size-1 for each size, concatenated."""
    import numpy as np

    total = int(sizes.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)


class SharedBucketsFn(_SpillFn):
    """One band partition: the band entries whose bucket holds two or more representatives.

    Input: ``(band partition, [paths])`` of ``(key, id)`` entries. Writes the shared
    entries into their representatives' home partitions (``cand``). Output: ``(home, path)``.
    """

    def setup(self) -> None:
        super().setup()
        self._shared = Metrics.counter("overlap", "band_entries_shared")

    def process(self, item: tuple[int, list[str]]) -> Iterator[tuple[int, str]]:
        import numpy as np
        import pyarrow as pa

        q, paths = item
        table = read_tables(list(paths))
        keys = table.column("key").to_numpy()
        ids = table.column("id").to_numpy()
        order = np.lexsort((ids, keys))
        keys, ids = keys[order], ids[order]
        _, sizes = equal_runs(keys)
        shared = np.repeat(sizes > 1, sizes)
        keys, ids = keys[shared], ids[shared]
        homes = home_of(ids)
        self._shared.inc(len(ids))
        for home in np.unique(homes).tolist():
            mine = homes == home
            yield home, write_table(part_path(self._work, "cand", home, f"{q:05d}"),
                                    pa.table({"key": keys[mine], "id": ids[mine]}))


class CandidateRecordsFn(_SpillFn):
    """One home partition: join the shared band entries to their representatives' records.

    Input: ``(home, [paths])`` of shared ``(key, id)`` entries. Writes ``(key, id, ref,
    sha256, minhash)`` into the band partitions of the keys (``verify``). Output:
    ``(band partition, path)``.
    """

    def process(self, item: tuple[int, list[str]]) -> Iterator[tuple[int, str]]:
        import numpy as np
        import pyarrow as pa

        home, paths = item
        entries = read_tables(list(paths))
        keys = entries.column("key").to_numpy()
        ids = entries.column("id").to_numpy()
        reps = read_table(part_path(self._work, "reps", home, "reps"))
        rep_ids = reps.column("id").to_numpy()
        rows = np.searchsorted(rep_ids, ids)
        if len(rows) and (rows.max() >= len(rep_ids) or not np.array_equal(rep_ids[rows], ids)):
            raise RuntimeError(f"overlap: partition {home}: a band entry names no representative")
        records = reps.take(pa.array(rows)).add_column(0, "key", pa.array(keys))
        band_parts = part_of(keys, self._parts)
        for q in np.unique(band_parts).tolist():
            yield q, write_table(part_path(self._work, "verify", q, f"{home:05d}"),
                                 records.filter(pa.array(band_parts == q)))


LINK_COLUMNS = ["a_id", "b_id", "jaccard"] + [f"a_{c}" for c in REF] + ["a_sha256"] + \
    [f"b_{c}" for c in REF] + ["b_sha256"]


class VerifyBucketsFn(_SpillFn):
    """One band partition: verify the candidate pairs of its shared buckets.

    Input: ``(band partition, [paths])`` of candidate records. Every bucket is whole here
    (its key decides its partition); its distinct candidate pairs are verified by
    signature Jaccard once each (:func:`provaudit.core.overlap.verify_buckets`, bounded by
    ``max_bucket``). Writes the partition's verified links (``links``) and outputs the path.
    """

    STEP = "buckets"

    def __init__(self, work: str, parts: int, threshold: float, max_bucket: int,
                 progress: "ProgressWriter | None" = None) -> None:
        super().__init__(work, parts, progress)
        self._threshold = threshold
        self._max_bucket = max_bucket

    def setup(self) -> None:
        super().setup()
        self._candidates = Metrics.counter("overlap", "pairs_candidate")
        self._verified = Metrics.counter("overlap", "pairs_verified_in_buckets")

    def process(self, item: tuple[int, list[str]]) -> Iterator[str]:
        import pyarrow as pa

        from provaudit.core.overlap import verify_buckets

        q, paths = item
        table = read_tables(list(paths))
        links, compared = verify_buckets(table, self._threshold, self._max_bucket)
        columns: dict[str, list] = {c: [] for c in LINK_COLUMNS}
        for (a_id, b_id), p in sorted(links.items()):
            columns["a_id"].append(a_id)
            columns["b_id"].append(b_id)
            columns["jaccard"].append(float(p.jaccard))
            for end, ref, sha in (("a", p.a, p.a_sha256), ("b", p.b, p.b_sha256)):
                for c, value in zip(REF, ref):
                    columns[f"{end}_{c}"].append(value)
                columns[f"{end}_sha256"].append(sha)
        self._candidates.inc(compared)
        self._verified.inc(len(links))
        self._steps.add(elements=1, candidates=compared, verified=len(links))
        yield write_table(part_path(self._work, "links", q, "links"), pa.table(columns, schema=link_schema()))


def link_schema() -> Any:
    """The Arrow schema of a ``links`` spill file."""
    import pyarrow as pa

    return pa.schema([("a_id", pa.int64()), ("b_id", pa.int64()), ("jaccard", pa.float64())]
                     + [(c, pa.string()) for c in LINK_COLUMNS[3:]])


class ComponentLabelsFn(_SpillFn):
    """All links: count the distinct ones, and label each linked representative with its component.

    Input: the list of link files. Only the two ids of each link are read (16 bytes a
    link). Up to ``above`` links (any number when ``above`` is None), the components are
    computed here (SciPy's ``connected_components`` over the sparse link graph, the
    small-input path) and each representative's label (the smallest id of its component)
    is written into its home partition (``labels``). Above it, no label is written:
    :class:`LabelComponents` computes them next. Output (also written to
    ``work/links.json``): the *label state*, ``{"links": distinct links, "labelled":
    bool, "labels": [label files]}``.
    """

    def __init__(self, work: str, parts: int, above: Optional[int]) -> None:
        super().__init__(work, parts)
        self._above = above

    def process(self, paths: list[str]) -> Iterator[Any]:
        import numpy as np

        table = read_tables(list(paths), ["a_id", "b_id"], link_schema())
        edges = np.stack([table.column("a_id").to_numpy(), table.column("b_id").to_numpy()], axis=1)
        edges = np.unique(edges, axis=0) if len(edges) else edges.reshape(0, 2)
        Metrics.counter("overlap", "links").inc(len(edges))
        labelled = self._above is None or len(edges) <= self._above
        files = list(write_labels(self._work, *component_labels(edges))) if labelled else []
        state = {"links": len(edges), "labelled": labelled, "labels": files}
        write_json(join_path(self._work, "links.json"), state)
        yield state


def component_labels(edges: Any) -> tuple[Any, Any]:
    """Return the nodes of an (n, 2) int64 edge array (sorted) and each one's component label (its smallest node)."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not len(edges):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    nodes, index = np.unique(edges.reshape(-1), return_inverse=True)
    index = index.reshape(-1, 2)
    graph = coo_matrix((np.ones(len(index), dtype=np.int8), (index[:, 0], index[:, 1])), shape=(len(nodes),) * 2)
    _, component = connected_components(graph, directed=False)
    smallest = np.full(component.max() + 1, len(nodes), dtype=np.int64)
    np.minimum.at(smallest, component, np.arange(len(nodes)))  # nodes are sorted: the first index is the smallest
    return nodes, nodes[smallest[component]]


def write_labels(work: str, nodes: Any, labels: Any) -> Iterator[str]:
    """Write each node's label into its home partition's ``labels`` file; yield the paths."""
    import numpy as np
    import pyarrow as pa

    homes = home_of(nodes)
    for home in np.unique(homes).tolist():
        mine = homes == home
        yield write_table(part_path(work, "labels", home, "labels"), pa.table({"id": nodes[mine], "label": labels[mine]}))


class RouteToComponentsFn(_SpillFn):
    """Move exact groups and links into the partition of their component (its label, spread).

    Input: ``("groups" | "links", partition, path)``; side input: the label state
    (:class:`ComponentLabelsFn`; nothing is routed when it is not labelled). A group's component is its representative's label, or the representative itself when it
    has no link; a link's is its first end's label. Output: ``(component partition, path)``.
    """

    def setup(self) -> None:
        super().setup()
        self._loaded: tuple = ()

    def _labels(self, files: list[str]) -> tuple[Any, Any]:
        import numpy as np

        key = tuple(sorted(files))
        if not self._loaded or self._loaded[0] != key:
            tables = [read_table(p) for p in key]
            nodes = np.concatenate([t.column("id").to_numpy() for t in tables]) if tables else np.zeros(0, np.int64)
            labels = (np.concatenate([t.column("label").to_numpy() for t in tables]) if tables
                      else np.zeros(0, np.int64))
            order = np.argsort(nodes)
            self._loaded = (key, (nodes[order], labels[order]))
        return self._loaded[1]

    def process(self, item: tuple[str, int, str], state: dict) -> Iterator[tuple[int, str]]:
        import numpy as np
        import pyarrow as pa

        if not state["labelled"]:
            return
        kind, part, path = item
        nodes, labels = self._labels(state["labels"])
        table = read_table(path)
        ids = table.column("rep_id" if kind == "groups" else "a_id").to_numpy()
        component = ids
        if len(nodes):
            at = np.minimum(np.searchsorted(nodes, ids), len(nodes) - 1)
            component = np.where(nodes[at] == ids, labels[at], ids)
        targets = part_of(component, self._parts)
        for c in np.unique(targets).tolist():
            yield c, write_table(part_path(self._work, "components", c, f"{kind}-{part:05d}"),
                                 table.filter(pa.array(targets == c)))


class AssemblePartFn(_SpillFn):
    """One component partition: assemble its clusters, pairs, matrix counts and rate tallies.

    The partition is closed under links (whole components), so
    :func:`provaudit.core.overlap.component_result` over it gives its share of the outputs.
    Its cluster and pair rows are written sorted (``out/clusters``, ``out/pairs``); the
    output is the rest of the result (counts, tallies, contamination examples), small.
    """

    STEP = "assemble"

    def __init__(self, work: str, parts: int, training: set[str], evals: set[str], max_pairs_per_cluster: int,
                 max_bucket: int, progress: "ProgressWriter | None" = None, max_examples: int = 1000) -> None:
        super().__init__(work, parts, progress)
        self._training = training
        self._evals = evals
        self._cap = max_pairs_per_cluster
        self._max_bucket = max_bucket
        self._max_examples = max_examples

    def setup(self) -> None:
        super().setup()
        self._clusters = Metrics.counter("overlap", "clusters")

    def process(self, item: tuple[int, list[str]]) -> Iterator[dict]:
        from provaudit.core.overlap import Pair, component_result

        c, paths = item
        groups: dict[str, list] = {}
        unsigned: set[str] = set()
        pairs = []
        for path in sorted(paths):
            if path.rsplit("/", 1)[-1].startswith("groups-"):
                for source, shard, location, doc_id, sha, unsigned_sig in iter_rows(
                        path, REF + ["sha256", "unsigned"]):
                    groups.setdefault(sha, []).append((source, shard, location, doc_id))
                    if unsigned_sig:
                        unsigned.add(sha)
            else:
                for row in iter_rows(path, LINK_COLUMNS[2:]):
                    pairs.append(Pair(tuple(row[1:5]), tuple(row[6:10]), row[0], row[5], row[10]))
        result = component_result(list(groups.items()), pairs, self._training, self._evals, self._cap,
                                  self._max_bucket, sorted(unsigned), self._max_examples)
        write_sorted_rows(self._work, c, result)
        self._clusters.inc(result["stats"]["clusters"])
        self._steps.add(clusters=result["stats"]["clusters"], links=result["stats"]["links"])
        result["clusters"], result["pairs"] = [], []
        yield result


CLUSTER_PIECE = ["cluster_id"] + REF + ["kind", "diameter"]
PAIR_PIECE = [f"a_{c}" for c in REF] + [f"b_{c}" for c in REF] + ["jaccard", "cluster_id", "nearest_for_a",
                                                                  "nearest_for_b"]


def write_sorted_rows(work: str, part: int, result: dict) -> None:
    """Write one partition's cluster and pair rows, sorted as the output files are, as spill pieces."""
    import pyarrow as pa

    clusters = sorted(result["clusters"], key=lambda r: (r[0], r[1]))
    if clusters:
        columns = list(zip(*((cid, *ref, kind, float(d)) for cid, ref, kind, d in clusters)))
        write_table(part_path(work, "out", part, "clusters"), pa.table(dict(zip(CLUSTER_PIECE, columns))))
    pairs = sorted(result["pairs"], key=lambda r: (r[0], r[1]))
    if pairs:
        columns = list(zip(*((*a, *b, float(j), cid, bool(na), bool(nb)) for a, b, j, cid, na, nb in pairs)))
        write_table(part_path(work, "out", part, "pairs"), pa.table(dict(zip(PAIR_PIECE, columns))))


def merged_rows(paths: list[str], name: str) -> Iterator[tuple]:
    """Yield the output rows of ``clusters`` or ``pairs`` from sorted pieces, merged in order.

    Each piece is read one record batch at a time, so memory holds a batch per piece.
    Rows come out as :func:`provaudit.core.overlap.component_result` entries.
    """
    import heapq

    if name == "clusters":
        streams = [((cid, (s, sh, loc, d), kind, dia) for cid, s, sh, loc, d, kind, dia in iter_rows(p, CLUSTER_PIECE))
                   for p in sorted(paths)]
    else:
        streams = [(((r[0], r[1], r[2], r[3]), (r[4], r[5], r[6], r[7]), r[8], r[9], r[10], r[11])
                    for r in iter_rows(p, PAIR_PIECE)) for p in sorted(paths)]
    yield from heapq.merge(*streams, key=lambda r: (r[0], r[1]))


class FindLinks(beam.PTransform):
    """Exact groups, LSH near-duplicates and (up to ``above`` links) component labels, over spill files.

    Input: ``(index, path)`` of the run's ledger files. Every per-document intermediate
    goes through spill files under ``work`` in ``parts`` partitions
    (:mod:`provaudit.beam.spill`); the shuffles carry file names only. Steps:

    1. :class:`SpillDocumentsFn`: ledger files -> documents by content-hash partition;
    2. :class:`GroupPartFn`: exact groups, one representative per hash, band keys;
    3. :class:`SharedBucketsFn`: band entries whose bucket holds two or more;
    4. :class:`CandidateRecordsFn`: their records, into the partitions of their keys;
    5. :class:`VerifyBucketsFn`: each shared bucket's pairs verified by signature Jaccard;
    6. :class:`ComponentLabelsFn`: connected components of the links, when there are at
       most ``above`` of them (else :class:`LabelComponents` runs next, as Beam rounds).

    Output: a dict of ``files`` (``("groups" | "links", partition, path)`` of the spill
    files :class:`AssembleOverlap` takes) and ``state`` (the label state of
    :class:`ComponentLabelsFn`, also in ``work/links.json``) and ``counts`` (``(source,
    documents)``, also in ``work/counts.json``).
    """

    def __init__(self, work: str, parts: int, params: "LshParams", max_bucket: int, above: Optional[int],
                 progress: "ProgressWriter | None" = None) -> None:
        super().__init__()
        self._work = work
        self._parts = parts
        self._params = params
        self._max_bucket = max_bucket
        self._above = above
        self._progress = progress

    def expand(self, ledger_files):
        work, parts, progress = self._work, self._parts, self._progress
        docs = (ledger_files
                | "SpreadLedgerFiles" >> beam.Reshuffle()
                | "SpillDocuments" >> beam.ParDo(SpillDocumentsFn(work, parts, progress))
                .with_outputs("counts", main="parts"))
        grouped = (docs.parts
                   | "DocumentsByPart" >> beam.GroupByKey()
                   | "GroupParts" >> beam.ParDo(GroupPartFn(work, parts, self._params, progress))
                   .with_outputs("groups", main="bands"))
        links = (grouped.bands
             | "BandsByPart" >> beam.GroupByKey()
             | "SharedBuckets" >> beam.ParDo(SharedBucketsFn(work, parts))
             | "SharedByHome" >> beam.GroupByKey()
             | "CandidateRecords" >> beam.ParDo(CandidateRecordsFn(work, parts))
             | "CandidatesByPart" >> beam.GroupByKey()
             | "VerifyBuckets" >> beam.ParDo(VerifyBucketsFn(work, parts, self._params.threshold,
                                                             self._max_bucket, progress)))
        state = (links
                 | "GatherLinkFiles" >> beam.combiners.ToList()
                 | "ComponentLabels" >> beam.ParDo(ComponentLabelsFn(work, parts, self._above)))
        counts = docs.counts | "CountPerSource" >> beam.CombinePerKey(sum)
        _ = (counts
             | "GatherCounts" >> beam.combiners.ToList()
             | "WriteCounts" >> beam.Map(lambda found: write_json(join_path(work, "counts.json"), dict(sorted(found)))))
        files = ((grouped.groups | "GroupFiles" >> beam.MapTuple(lambda part, path: ("groups", part, path)),
                  links | "LinkFiles" >> beam.Map(lambda path: ("links", part_of_path(path), path)))
                 | "SpillFiles" >> beam.Flatten())
        return {"files": files, "state": state, "counts": counts}


class LabelComponents(beam.PTransform):
    """Label the linked representatives with their component by :class:`ConnectedComponents` rounds.

    Input: the ``links`` spill files' paths. Their ``(a_id, b_id)`` become the edges;
    each node's label is written into its home partition's ``labels`` file, as
    :class:`ComponentLabelsFn` writes them on the small-input path.
    """

    def __init__(self, work: str, rounds: int, progress: "ProgressWriter | None" = None) -> None:
        super().__init__()
        self._work = work
        self._rounds = rounds
        self._progress = progress

    def expand(self, link_files):
        work = self._work
        return (link_files
                | "SpreadLinkFiles" >> beam.Reshuffle()
                | "LinkEnds" >> beam.FlatMap(_link_ends)
                | "ConnectedComponents" >> ConnectedComponents(self._rounds, progress=self._progress)
                | "LabelsByHome" >> beam.Map(lambda nl: (nl[0] >> ID_BITS, nl))
                | "GatherLabels" >> beam.GroupByKey()
                | "WriteLabels" >> beam.FlatMap(_write_label_group, work))


def _link_ends(path: str) -> Iterator[tuple[int, int]]:
    table = read_table(path, ["a_id", "b_id"])
    yield from zip(table.column("a_id").to_pylist(), table.column("b_id").to_pylist())


class AssembleOverlap(beam.PTransform):
    """Move groups and links to their component's partition, assemble each, and merge the results.

    Input: a dict of ``files`` (``("groups" | "links", partition, path)``, the spill files
    :class:`FindLinks` left) and ``state`` (one label state, :class:`ComponentLabelsFn`).
    When the state is not labelled (too many links: :class:`LabelComponents` runs first,
    then this again) nothing is assembled. Each component partition's sorted row pieces
    are written under ``work/out``; the output is one merged compact result (matrix
    counts, rate tallies, statistics, contamination examples), without rows.
    """

    def __init__(self, work: str, parts: int, training: set[str], evals: set[str], max_pairs_per_cluster: int,
                 max_bucket: int, progress: "ProgressWriter | None" = None) -> None:
        super().__init__()
        self._work = work
        self._parts = parts
        self._training = training
        self._evals = evals
        self._cap = max_pairs_per_cluster
        self._max_bucket = max_bucket
        self._progress = progress

    def expand(self, inputs):
        work, parts = self._work, self._parts
        return (inputs["files"]
                | "SpreadSpillFiles" >> beam.Reshuffle()
                | "RouteToComponents" >> beam.ParDo(RouteToComponentsFn(work, parts),
                                                    beam.pvalue.AsSingleton(inputs["state"]))
                | "ByComponentPart" >> beam.GroupByKey()
                | "AssembleParts" >> beam.ParDo(AssemblePartFn(work, parts, self._training, self._evals, self._cap,
                                                               self._max_bucket, self._progress))
                | "MergeResults" >> beam.CombineGlobally(MergeResultsFn()))


def write_json(path: str, value: Any) -> None:
    """Write a small JSON file (sorted keys) on any Beam filesystem."""
    import json

    write_bytes(path, json.dumps(value, sort_keys=True).encode("utf-8"))


def part_of_path(path: str) -> int:
    """Return the partition number a spill path names (``.../<kind>/<part:05d>/<name>.arrow``)."""
    return int(path.replace("\\", "/").rsplit("/", 2)[-2])


def _write_label_group(kv: tuple, work: str) -> Iterator[str]:
    import numpy as np

    _home, pairs = kv
    pairs = sorted(pairs)
    nodes = np.array([n for n, _ in pairs], dtype=np.int64)
    labels = np.array([lab for _, lab in pairs], dtype=np.int64)
    yield from write_labels(work, nodes, labels)


class FindSharedNgrams(beam.PTransform):
    """Evaluation documents that share at least one n-gram with training text.

    The eval n-gram hashes (64-bit) are a side input as one sorted array; training
    documents are re-read from their shards and each one's n-gram hashes are tested
    against it; the hashes hit are joined back to the eval documents that hold them.

    With ``scanned`` (the scan's ``(source, shard, sha256)`` triples) every shard is
    checksummed where it is read, and the hits are released only when each matches the
    scan; otherwise :class:`CheckShardsFn` fails the pipeline with an ``InputError``
    starting with ``changed_prefix`` and naming the changed shards.
    """

    def __init__(self, eval_tasks: list[ShardTask], train_tasks: list[ShardTask], n: int,
                 scanned: "set[tuple[str, str, str]] | None" = None, changed_prefix: str = "") -> None:
        super().__init__()
        self._eval_tasks = eval_tasks
        self._train_tasks = train_tasks
        self._n = n
        self._scanned = scanned
        self._prefix = changed_prefix

    def expand(self, pipeline):
        import numpy as np

        n = self._n
        check = self._scanned is not None

        def doc_ngrams(doc: Document):
            from provaudit.core.findings import normalize_text
            from provaudit.core.language import detect_script
            from provaudit.core.minhash import CJK_SCRIPTS, ngram_hashes64

            text = normalize_text(doc.text)
            # as signed int64: Beam's integer coder takes 64-bit signed values
            return np.unique(ngram_hashes64(text, detect_script(text) in CJK_SCRIPTS, n).view(np.int64))

        def to_array(hashes: list[int]):
            return np.unique(np.asarray(hashes, dtype=np.int64))

        def hits(doc: Document, wanted):
            if len(wanted) == 0:
                return []
            mine = doc_ngrams(doc)
            return [int(h) for h in mine[np.isin(mine, wanted, assume_unique=True)]]

        eval_docs = (
            pipeline
            | "ListEvalShards" >> beam.Create(self._eval_tasks, reshuffle=False)
            | "ReadEvalShards" >> beam.ParDo(ReadShardFn(None, 1 << 30, checksum=check))
            .with_outputs(QUARANTINE, SHARD_INFO, main="documents")
        )
        eval_info, eval_docs = eval_docs[SHARD_INFO], eval_docs.documents
        eval_grams = eval_docs | "EvalNgrams" >> beam.FlatMap(
            lambda d: [(int(h), (d.source, d.shard, d.location, d.doc_id)) for h in doc_ngrams(d)])
        wanted = (
            eval_grams
            | "EvalHashes" >> beam.Keys()
            | "CollectEvalHashes" >> beam.combiners.ToList()
            | "SortEvalHashes" >> beam.Map(to_array)
        )
        hit_hashes = (
            pipeline
            | "ListTrainShards" >> beam.Create(self._train_tasks, reshuffle=False)
            | "SpreadTrainShards" >> beam.Reshuffle()
            | "ReadTrainShards" >> beam.ParDo(ReadShardFn(None, 1 << 30, checksum=check))
            .with_outputs(QUARANTINE, SHARD_INFO, main="documents")
        )
        train_info, hit_hashes = hit_hashes[SHARD_INFO], hit_hashes.documents
        hit_hashes = (
            hit_hashes
            | "MatchNgrams" >> beam.FlatMap(hits, beam.pvalue.AsSingleton(wanted))
            | "KeyHit" >> beam.Map(lambda h: (h, True))
        )
        refs = (
            {"eval": eval_grams, "hit": hit_hashes}
            | "JoinHits" >> beam.CoGroupByKey()
            | "EvalRefsHit" >> beam.FlatMap(lambda kv: kv[1]["eval"] if kv[1]["hit"] else [])
            | "DistinctEvalRefs" >> beam.Distinct()
        )
        if not check:
            return refs
        # each shard is checksummed where it is read (in parallel), and compared with the
        # scan's checksum; the hits are released only when every shard is unchanged
        scanned = self._scanned
        unchanged = (
            (eval_info, train_info)
            | "ShardInfos" >> beam.Flatten()
            | "ChangedShards" >> beam.FlatMap(
                lambda info: [] if (info.source, info.name, info.sha256) in scanned else [info.name])
            | "GatherChanged" >> beam.combiners.ToList()
            | "CheckShards" >> beam.ParDo(CheckShardsFn(self._prefix))
        )
        return refs | "AfterShardCheck" >> beam.Map(lambda ref, _ok: ref, beam.pvalue.AsSingleton(unchanged))


class ComponentsNotConverged(RuntimeError):
    """Connected components still changed after the configured number of rounds."""


def _large_star(kv: tuple) -> Iterator[tuple]:
    node, neighbours = kv
    nbrs = set(neighbours)
    low = min(min(nbrs), node)
    for v in nbrs:
        if v > node:
            yield (v, low)


def _small_star(kv: tuple) -> Iterator[tuple]:
    node, smaller = kv  # neighbours smaller than node
    nbrs = set(smaller)
    low = min(nbrs)
    for v in nbrs | {node}:
        if v != low:
            yield (v, low)


def _oriented(edge: tuple) -> tuple:
    a, b = edge
    return (a, b) if a > b else (b, a)


class ConnectedComponents(beam.PTransform):
    """Connected components of an edge PCollection by large-star / small-star rounds.

    Kiveris et al., "Connected Components in MapReduce and Beyond" (SoCC 2014): each
    round is a large-star (every node links its larger neighbours to its smallest one)
    and a small-star (every node links itself and its smaller neighbours to the smallest
    of them), each one GroupByKey; the edges converge to one star per component, centred
    on its smallest node, in O(log^2 n) rounds (in practice a few more than log2 of the
    longest path). Beam has no loop, so ``rounds`` rounds are laid out in the pipeline;
    one more round then checks convergence (the edge set must not change) and fails the
    pipeline with :class:`ComponentsNotConverged` naming ``setting`` when it did.

    Input: ``(u, v)`` edges, nodes any comparable value Beam can encode (plain tuples of
    strings, ints). Output: ``(node, label)`` for every node of an edge, the label being
    the smallest node of its component. Memory per worker is bounded by one node's
    neighbourhood (a star's centre holds its leaves), not by the graph.
    """

    def __init__(self, rounds: int, setting: str = "overlap.components_max_rounds",
                 progress: "ProgressWriter | None" = None) -> None:
        super().__init__()
        if rounds < 1:
            raise ValueError(f"rounds must be at least 1, got {rounds}")
        self._rounds = rounds
        self._setting = setting
        self._progress = progress

    @staticmethod
    def _round(edges, label: str):
        large = (
            edges
            | f"{label}Both" >> beam.FlatMap(lambda e: [(e[0], e[1]), (e[1], e[0])])
            | f"{label}Neighbours" >> beam.GroupByKey()
            | f"{label}LargeStar" >> beam.FlatMap(_large_star)
        )
        return (
            large
            | f"{label}Orient" >> beam.Map(_oriented)
            | f"{label}Smaller" >> beam.GroupByKey()
            | f"{label}SmallStar" >> beam.FlatMap(_small_star)
        )

    def expand(self, edges):
        rounds, setting, progress = self._rounds, self._setting, self._progress
        current = edges | "NoSelfLoops" >> beam.Filter(lambda e: e[0] != e[1])
        for i in range(rounds):
            current = self._round(current, f"Round{i + 1}")
            if progress is not None:
                current = current | f"Round{i + 1}Done" >> beam.ParDo(
                    ProgressCountFn(progress, "components", f"round{i + 1:03d}", per_element=False))
        settled = current
        check = self._round(settled, "Check")

        def keyed(pcoll, label):
            return (pcoll
                    | f"{label}Edge" >> beam.Map(lambda e: (_oriented(e), True))
                    | f"{label}Distinct" >> beam.Distinct())

        def changed(kv) -> int:
            sides = kv[1]
            return int(bool(sides["before"]) != bool(sides["after"]))

        changes = (
            {"before": keyed(settled, "Before"), "after": keyed(check, "After")}
            | "CompareRounds" >> beam.CoGroupByKey()
            | "Changed" >> beam.Map(changed)
            | "CountChanges" >> beam.CombineGlobally(sum)
        )

        def converged(edge, n_changed: int):
            if n_changed:
                raise ComponentsNotConverged(
                    f"connected components did not converge in {rounds} rounds ({n_changed} edges still "
                    f"changing): raise {setting}")
            return edge

        def labels(edge):
            big, small = _oriented(edge)
            return [(big, small), (small, small)]

        return (
            settled
            | "Converged" >> beam.Map(converged, beam.pvalue.AsSingleton(changes))
            | "Labels" >> beam.FlatMap(labels)
            | "OneLabel" >> beam.CombinePerKey(min)
        )


class MergeResultsFn(beam.CombineFn):
    """Add up the components' compact results (rows, matrix counts, rate tallies, statistics)."""

    def create_accumulator(self) -> dict:
        from provaudit.core.overlap import empty_result

        return empty_result()

    def add_input(self, acc: dict, result: dict) -> dict:
        from provaudit.core.overlap import merge_into

        return merge_into(acc, result)

    def merge_accumulators(self, accumulators: Iterable[dict]) -> dict:
        from provaudit.core.overlap import merge_into

        accumulators = iter(accumulators)
        out = next(accumulators, None)
        if out is None:
            return self.create_accumulator()
        for acc in accumulators:
            merge_into(out, acc)
        return out

    def extract_output(self, acc: dict) -> dict:
        return acc


class CheckShardsFn(beam.DoFn):
    """Fail the pipeline when shards read for contamination differ from the scan's checksums.

    Input: the sorted names of the changed shards (one list). The error names the
    registry and the first three shards, as the driver-side check did.
    """

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix

    def process(self, changed: list[str]) -> Iterator[bool]:
        from provaudit.core.errors import InputError

        changed = sorted(set(changed))
        if changed:
            raise InputError(shards_changed_message(self._prefix, changed))
        yield True


def shards_changed_message(prefix: str, changed: list[str]) -> str:
    """The error text for shards changed since the scan: ``prefix`` names the registry and the run."""
    return (f"{prefix} ({', '.join(changed[:3])}{', ...' if len(changed) > 3 else ''}); "
            "scan again before measuring contamination")


class ProgressWriter:
    """A folder the overlap steps write their running counts to, for the driver to report.

    Each step's DoFn instance writes one small JSON file ``<step>--<part>--<id>.json``
    holding its counts so far, at most every ``interval`` seconds and at the end of each
    bundle; the driver sums them (:class:`provaudit.stages.overlap.OverlapProgress`). Only
    used when the folder is local to the driver; progress is a courtesy and never fails a
    step.
    """

    def __init__(self, folder: str, interval: float = 2.0) -> None:
        self.folder = folder
        self.interval = interval

    def write(self, name: str, counts: dict[str, int]) -> None:
        import json
        import os

        tmp = os.path.join(self.folder, f".{name}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(counts, fh)
            os.replace(tmp, os.path.join(self.folder, f"{name}.json"))
        except OSError:
            pass


class ProgressCountFn(beam.DoFn):
    """Pass elements through, counting them (and what ``measure`` finds in each) for progress."""

    def __init__(self, progress: ProgressWriter, step: str, part: str = "all",
                 per_element: bool = True, measure: Any = None) -> None:
        self._progress = progress
        self._step = step
        self._part = part
        self._per_element = per_element
        self._measure = measure

    def setup(self) -> None:
        import uuid

        self._name = f"{self._step}--{self._part}--{uuid.uuid4().hex[:12]}"
        self._counts: dict[str, int] = {"elements": 0}
        self._last = 0.0

    def process(self, element: Any) -> Iterator[Any]:
        import time

        self._counts["elements"] += 1
        if self._measure is not None:
            for key, n in self._measure(element).items():
                self._counts[key] = self._counts.get(key, 0) + n
        now = time.monotonic()
        if self._per_element and now - self._last >= self._progress.interval:
            self._last = now
            self._progress.write(self._name, self._counts)
        yield element

    def finish_bundle(self) -> None:
        self._progress.write(self._name, self._counts)
