"""Beam wiring of the overlap stage: exact groups, LSH banding in two passes, verification.

The logic (band keys, bucket pairs, Jaccard estimates, union-find) is in
:mod:`provaudit.core.overlap`; these transforms only shuffle it. Bands are formed twice:
first with only a 64-bit id per document, to find the documents that share a bucket; then
only those are joined back to their signatures, banded again, and each bucket's candidate
pairs are verified by signature Jaccard before they count. Only one representative per
content hash is banded (:class:`Representatives`): identical documents cost one bucket
entry per band whatever their number. Connected components of large link sets run as
large-star / small-star rounds (:class:`ConnectedComponents`), small ones by a union-find
over the links alone (:class:`UnionFindComponents`); the outputs are assembled per
component (:class:`AssembleComponents`) and only the compact result rows are combined.
Shards re-read for contamination are checksummed as they are read (:class:`CheckShardsFn`).
Steps count their work in
Beam metrics (namespace ``overlap``) and, for the driver's progress lines, in a
:class:`ProgressWriter` folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

from provaudit.beam.scan import QUARANTINE, SHARD_INFO, ReadShardFn, ShardTask
from provaudit.core.records import Document

if TYPE_CHECKING:
    from provaudit.core.overlap import LshParams, Member


class ReadLedger(beam.PTransform):
    """Read a run's ledger files, listed on the driver, as row dicts of ``columns``.

    The files are opened by name, never matched as a glob, so a run under an output folder
    named with glob characters (``out[1]``) reads its own ledger; a run whose every document
    was quarantined has no ledger file and reads as an empty collection.
    """

    def __init__(self, files: list[str], columns: list[str]) -> None:
        super().__init__()
        self._files = sorted(files)
        self._columns = list(columns)

    def expand(self, pbegin):
        from provaudit.beam.io import read_parquet_rows

        return (pbegin
                | "LedgerFiles" >> beam.Create(self._files)
                | "ReadLedgerFiles" >> beam.FlatMap(read_parquet_rows, self._columns))


def ledger_member(row: dict[str, Any]) -> "Member":
    """Turn a ledger row (as ReadLedger gives it) into an overlap Member."""
    from provaudit.core.overlap import Member

    return Member((row["source"], row["shard"], row["location"], row["doc_id"]), row["sha256"],
                  bytes(row["minhash"]))


class FindExactGroups(beam.PTransform):
    """Group documents by content hash; output (sha256, sorted refs) for groups of two or more."""

    def expand(self, members):
        return (
            members
            | "KeyByHash" >> beam.Map(lambda m: (m.sha256, m.ref))
            | "GroupByHash" >> beam.GroupByKey()
            | "KeepGroups" >> beam.FlatMap(
                lambda kv: [(kv[0], sorted(kv[1]))] if len(kv[1]) > 1 else [])
        )


class FindSharedBucketsFn(beam.CombineFn):
    """Gather one band shard's (band key, doc id) entries; output the ids in buckets of two or more.

    Input: ``(doc id, [band keys in this shard])``. The accumulator is two parallel int64
    columns, band keys and doc ids: lists while adding, bytes once compacted for the
    shuffle (one object each instead of one per entry); the buckets are found by sorting.
    """

    def create_accumulator(self) -> tuple[list[int], list[int]]:
        return [], []

    def add_input(self, acc: tuple, entry: tuple[int, list[int]]) -> tuple[list[int], list[int]]:
        doc, keys = entry
        if isinstance(acc[0], bytes):  # a compacted or merged accumulator
            acc = _int64s(acc[0]).tolist(), _int64s(acc[1]).tolist()
        acc[0].extend(keys)
        acc[1].extend([doc] * len(keys))
        return acc

    def merge_accumulators(self, accumulators: Iterable[tuple]) -> tuple[bytes, bytes]:
        import numpy as np

        parts = [(_int64s(keys), _int64s(docs)) for keys, docs in accumulators]
        if not parts:
            return b"", b""
        return (np.concatenate([k for k, _ in parts]).tobytes(),
                np.concatenate([d for _, d in parts]).tobytes())

    def compact(self, acc: tuple) -> tuple[bytes, bytes]:
        return _int64s(acc[0]).tobytes(), _int64s(acc[1]).tobytes()

    def extract_output(self, acc: tuple) -> list[int]:
        import numpy as np

        keys, docs = _int64s(acc[0]), _int64s(acc[1])
        if len(keys) < 2:
            return []
        order = np.argsort(keys, kind="stable")
        keys, docs = keys[order], docs[order]
        same = keys[1:] == keys[:-1]
        shared = np.zeros(len(keys), dtype=bool)
        shared[1:] |= same
        shared[:-1] |= same
        return np.unique(docs[shared]).tolist()


def _int64s(column: bytes | list[int]) -> Any:
    import numpy as np

    if isinstance(column, bytes):
        return np.frombuffer(column, dtype=np.int64)
    return np.asarray(column, dtype=np.int64)


class VerifyBucketsFn(beam.CombineFn):
    """Gather one band shard's buckets of candidate documents; output their verified pairs.

    Input: ``((ref, sha256, minhash), [band keys in this shard])``. Accumulator: band key
    -> members. Output: the verified pairs, as plain tuples.
    """

    def __init__(self, threshold: float, max_bucket: int) -> None:
        self._threshold = threshold
        self._max_bucket = max_bucket

    def create_accumulator(self) -> dict[int, list[tuple]]:
        return {}

    def add_input(self, buckets: dict[int, list[tuple]],
                  entry: tuple[tuple, list[int]]) -> dict[int, list[tuple]]:
        member, keys = entry
        for key in keys:
            bucket = buckets.get(key)
            if bucket is None:
                buckets[key] = [member]
            else:
                bucket.append(member)
        return buckets

    def merge_accumulators(self,
                           accumulators: Iterable[dict[int, list[tuple]]]) -> dict[int, list[tuple]]:
        merged: dict[int, list[tuple]] | None = None
        for buckets in accumulators:
            if merged is None:
                merged = buckets
                continue
            for key, members in buckets.items():
                bucket = merged.get(key)
                if bucket is None:
                    merged[key] = members
                else:
                    bucket.extend(members)
        return merged if merged is not None else {}

    def extract_output(self, buckets: dict[int, list[tuple]]) -> tuple[int, list[tuple]]:
        """Return (candidate pairs compared, verified pairs as plain tuples)."""
        from provaudit.core.overlap import bucket_pairs

        compared = 0
        pairs = []
        for members in buckets.values():
            n = len(members)
            if n < 2:
                continue
            compared += n * (n - 1) // 2 if n <= self._max_bucket else n + self._max_bucket ** 2 // 2
            pairs.extend(tuple(p) for p in bucket_pairs(members, self._threshold, self._max_bucket))
        return compared, pairs


class _VerifiedFn(beam.DoFn):
    """Unpack one band shard's verified pairs, counting shards, candidates and pairs (Beam metrics)."""

    def __init__(self) -> None:
        self._shards = Metrics.counter("overlap", "band_shards_verified")
        self._candidates = Metrics.counter("overlap", "pairs_candidate")
        self._verified = Metrics.counter("overlap", "pairs_verified_in_buckets")

    def process(self, kv: tuple) -> Iterator[tuple]:
        compared, pairs = kv[1]
        self._shards.inc()
        self._candidates.inc(compared)
        self._verified.inc(len(pairs))
        yield from pairs


def _by_shard(item: Any, keys: list[int], shards: int) -> list[tuple[int, tuple[Any, list[int]]]]:
    """Return ``(band shard, (item, its band keys in that shard))``; a shard is key mod ``shards``."""
    if shards == 1:
        return [(0, (item, keys))]
    split: dict[int, list[int]] = {}
    for key in keys:
        split.setdefault(key % shards, []).append(key)
    return [(shard, (item, part)) for shard, part in split.items()]


class FindNearDuplicates(beam.PTransform):
    """LSH banding as Beam transforms: band keys -> buckets -> verified candidate pairs.

    Every document falls in one bucket per band, and nearly every bucket holds one
    document. So the buckets are formed twice:

    1. with only a 64-bit id per document, to find the candidates: the documents that
       share a bucket with another;
    2. with the candidates' records (reference, content hash, signature), joined back by
       id; every bucket of two or more documents is the same as in pass 1, and its
       candidate pairs are verified (``bucket_pairs``).

    Buckets are gathered per band shard (band key mod ``shards``) by a CombinePerKey, so
    a runner gathers each bundle's part of a shard where the bundle was read (combiner
    lifting) and shuffles one accumulator per shard and bundle instead of one element per
    document and band; a shard's parts are merged on one worker. ``shards`` spreads that
    work and bounds its memory (the overlap stage sets it from the number of documents);
    a bucket is always whole where it is verified, so the pairs do not depend on it.
    Shuffled values are plain tuples and ints, which Beam encodes natively (a NamedTuple
    is pickled).
    """

    def __init__(self, params: "LshParams", max_bucket: int, shards: int = 1,
                 progress: "ProgressWriter | None" = None) -> None:
        super().__init__()
        if shards < 1:
            raise ValueError(f"shards must be at least 1, got {shards}")
        self._params = params
        self._max_bucket = max_bucket
        self._shards = shards
        self._progress = progress

    def expand(self, members):
        from provaudit.core.overlap import Pair, band_keys, doc_key, is_empty_signature

        params, shards, progress = self._params, self._shards, self._progress

        def counted(pcoll, label: str, step: str, measure: Any = None):
            if progress is None:
                return pcoll
            return pcoll | label >> beam.ParDo(ProgressCountFn(progress, step, measure=measure))

        def band(member: tuple) -> list[tuple[int, tuple[Any, list[int]]]]:
            return _by_shard(member, band_keys(member[2], params), shards)

        docs = (
            members
            | "DropEmptySignatures" >> beam.Filter(lambda m: not is_empty_signature(m.minhash))
            | "KeyById" >> beam.Map(lambda m: (doc_key(m.ref), (m.ref, m.sha256, m.minhash)))
        )
        candidates = (
            counted(docs, "CountBanded", "bands")
            | "BandIds" >> beam.FlatMap(lambda kv: _by_shard(kv[0], band_keys(kv[1][2], params), shards))
            | "FindSharedBuckets" >> beam.CombinePerKey(FindSharedBucketsFn())
            | "CandidateIds" >> beam.FlatMap(lambda kv: [(doc, True) for doc in kv[1]])
        )
        verified = (
            {"doc": docs, "candidate": candidates}
            | "JoinCandidates" >> beam.CoGroupByKey()
            | "KeepCandidates" >> beam.FlatMap(
                lambda kv: kv[1]["doc"] if any(kv[1]["candidate"]) else [])
            | "BandMembers" >> beam.FlatMap(band)
            | "VerifyBuckets" >> beam.CombinePerKey(VerifyBucketsFn(params.threshold, self._max_bucket))
        )
        verified = counted(verified, "CountBandShards", "buckets",
                           lambda kv: {"candidates": kv[1][0], "verified": len(kv[1][1])})
        pairs_verified = Metrics.counter("overlap", "pairs_verified")

        def to_pair(*fields):
            pairs_verified.inc()
            return Pair(*fields)

        return (
            verified
            | "VerifiedPairs" >> beam.ParDo(_VerifiedFn())
            | "DropRepeats" >> beam.Distinct()  # a pair is found in every band its signatures share
            | "ToPairs" >> beam.MapTuple(to_pair)
        )


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


class Representatives(beam.PTransform):
    """One member per content hash: the one with the smallest reference (its group's representative).

    Identical documents have identical signatures, so only the representative takes part
    in LSH: a group of any size costs one bucket entry per band, and its members are
    re-attached from the exact groups afterwards (:func:`provaudit.core.overlap.expand_pairs`).
    Gathered by a CombinePerKey that keeps one member, so memory per hash is bounded.
    """

    def expand(self, members):
        from provaudit.core.overlap import Member

        return (
            members
            | "KeyByHash" >> beam.Map(lambda m: (m.sha256, (m.ref, m.minhash)))
            | "SmallestRef" >> beam.CombinePerKey(min)  # refs are unique: the signature is never compared
            | "ToMember" >> beam.MapTuple(lambda sha, rm: Member(rm[0], sha, rm[1]))
        )


class UnsignedHashes(beam.PTransform):
    """The content hashes of documents whose signature is empty (no shingle), once each."""

    def expand(self, members):
        from provaudit.core.overlap import is_empty_signature

        return (
            members
            | "EmptySignatures" >> beam.Filter(lambda m: is_empty_signature(m.minhash))
            | "Hashes" >> beam.Map(lambda m: m.sha256)
            | "DistinctHashes" >> beam.Distinct()
        )


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


class UnionFindComponents(beam.PTransform):
    """Connected components of a small edge PCollection by a union-find on one worker.

    The fast path below ``overlap.distributed_components_above`` links: only the edges
    (two references each) are gathered, never the groups or pairs. Output as
    :class:`ConnectedComponents`: ``(node, smallest node of its component)``.
    """

    def expand(self, edges):
        def labels(edges: list) -> Iterator[tuple]:
            from provaudit.core.overlap import UnionFind

            uf = UnionFind()
            for a, b in edges:
                uf.union(a, b)
            for group in uf.groups():
                for node in group:
                    yield (node, group[0])

        return (edges
                | "GatherEdges" >> beam.combiners.ToList()
                | "UnionFind" >> beam.FlatMap(labels))


def _by_component(kv: tuple) -> Iterator[tuple]:
    """Key one reference's exact group (if it represents one) and the pairs it starts by its component."""
    node, sides = kv
    labels = list(sides["label"])
    label = min(labels) if labels else node
    for sha, refs, unsigned in sides["group"]:
        yield label, ("g", sha, refs, unsigned)
    for pair in sides["pair"]:
        yield label, ("p", pair)


class AssembleComponentFn(beam.DoFn):
    """Assemble one connected component's outputs (:func:`provaudit.core.overlap.component_result`)."""

    def __init__(self, training: set[str], evals: set[str], max_pairs_per_cluster: int, max_bucket: int,
                 max_examples: int = 1000) -> None:
        self._training = training
        self._evals = evals
        self._cap = max_pairs_per_cluster
        self._max_bucket = max_bucket
        self._max_examples = max_examples
        self._clusters = Metrics.counter("overlap", "clusters")
        self._components = Metrics.counter("overlap", "components_assembled")

    def process(self, kv: tuple) -> Iterator[dict]:
        from provaudit.core.overlap import Pair, component_result

        groups, pairs, unsigned = [], [], []
        for item in kv[1]:
            if item[0] == "g":
                groups.append((item[1], item[2]))
                if item[3]:
                    unsigned.append(item[1])
            else:
                pairs.append(Pair(*item[1]))
        result = component_result(groups, pairs, self._training, self._evals, self._cap, self._max_bucket,
                                  unsigned, self._max_examples)
        self._components.inc()
        self._clusters.inc(result["stats"]["clusters"])
        yield result


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


class AssembleComponents(beam.PTransform):
    """Exact groups, verified links and component labels -> one merged compact result.

    Every exact group (keyed by its representative, flagged when its signature is empty)
    and every verified link (keyed by its first end) is joined to its component label
    (``(node, label)``, as :class:`ConnectedComponents` or :class:`UnionFindComponents`
    give them; a representative without a link is its own label), gathered per component
    by a GroupByKey and assembled there; only the components' compact results (one row
    per clustered document and per kept pair, counts per source) are combined, by
    :class:`MergeResultsFn`. So no worker holds every group and every link, only the
    largest component and the rows written.

    Input: a dict of PCollections ``exact`` ((sha256, sorted refs)), ``pairs``
    (:class:`provaudit.core.overlap.Pair`), ``unsigned`` (content hashes of empty
    signatures) and ``labels``.
    """

    def __init__(self, training: set[str], evals: set[str], max_pairs_per_cluster: int, max_bucket: int,
                 progress: "ProgressWriter | None" = None) -> None:
        super().__init__()
        self._fn = AssembleComponentFn(training, evals, max_pairs_per_cluster, max_bucket)
        self._progress = progress

    def expand(self, inputs):
        flagged = (
            {"group": inputs["exact"], "unsigned": inputs["unsigned"] | "KeyUnsigned" >> beam.Map(lambda h: (h, True))}
            | "FlagUnsignedGroups" >> beam.CoGroupByKey()
            | "KeyGroupByRep" >> beam.FlatMap(
                lambda kv: [(refs[0], (kv[0], refs, bool(kv[1]["unsigned"]))) for refs in kv[1]["group"]])
        )
        keyed_pairs = inputs["pairs"] | "KeyPairByEnd" >> beam.Map(lambda p: (p.a, tuple(p)))
        results = (
            {"group": flagged, "pair": keyed_pairs, "label": inputs["labels"]}
            | "JoinLabels" >> beam.CoGroupByKey()
            | "KeyByComponent" >> beam.FlatMap(_by_component)
            | "GroupByComponent" >> beam.GroupByKey()
            | "AssembleComponent" >> beam.ParDo(self._fn)
        )
        if self._progress is not None:
            results = results | "CountComponents" >> beam.ParDo(ProgressCountFn(
                self._progress, "assemble",
                measure=lambda r: {"clusters": r["stats"]["clusters"], "links": r["stats"]["links"]}))
        return results | "MergeResults" >> beam.CombineGlobally(MergeResultsFn())


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
