"""Beam wiring of the overlap stage: exact groups, LSH banding in two passes, verification.

The logic (band keys, bucket pairs, Jaccard estimates, union-find) is in
:mod:`provaudit.core.overlap`; these transforms only shuffle it. Bands are formed twice:
first with only a 64-bit id per document, to find the documents that share a bucket; then
only those are joined back to their signatures, banded again, and each bucket's candidate
pairs are verified by signature Jaccard before they count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

import apache_beam as beam

from provaudit.beam.scan import QUARANTINE, SHARD_INFO, ReadShardFn, ShardTask
from provaudit.core.records import Document

if TYPE_CHECKING:
    from provaudit.core.overlap import LshParams, Member


def ledger_member(row: dict[str, Any]) -> "Member":
    """Turn a ledger row (as ReadFromParquet gives it) into an overlap Member."""
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

    def extract_output(self, buckets: dict[int, list[tuple]]) -> list[tuple]:
        from provaudit.core.overlap import bucket_pairs

        return [tuple(p) for members in buckets.values() if len(members) > 1
                for p in bucket_pairs(members, self._threshold, self._max_bucket)]


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

    def __init__(self, params: "LshParams", max_bucket: int, shards: int = 1) -> None:
        super().__init__()
        if shards < 1:
            raise ValueError(f"shards must be at least 1, got {shards}")
        self._params = params
        self._max_bucket = max_bucket
        self._shards = shards

    def expand(self, members):
        from provaudit.core.overlap import Pair, band_keys, doc_key, is_empty_signature

        params, shards = self._params, self._shards

        def band(member: tuple) -> list[tuple[int, tuple[Any, list[int]]]]:
            return _by_shard(member, band_keys(member[2], params), shards)

        docs = (
            members
            | "DropEmptySignatures" >> beam.Filter(lambda m: not is_empty_signature(m.minhash))
            | "KeyById" >> beam.Map(lambda m: (doc_key(m.ref), (m.ref, m.sha256, m.minhash)))
        )
        candidates = (
            docs
            | "BandIds" >> beam.FlatMap(lambda kv: _by_shard(kv[0], band_keys(kv[1][2], params), shards))
            | "FindSharedBuckets" >> beam.CombinePerKey(FindSharedBucketsFn())
            | "CandidateIds" >> beam.FlatMap(lambda kv: [(doc, True) for doc in kv[1]])
        )
        return (
            {"doc": docs, "candidate": candidates}
            | "JoinCandidates" >> beam.CoGroupByKey()
            | "KeepCandidates" >> beam.FlatMap(
                lambda kv: kv[1]["doc"] if any(kv[1]["candidate"]) else [])
            | "BandMembers" >> beam.FlatMap(band)
            | "VerifyBuckets" >> beam.CombinePerKey(VerifyBucketsFn(params.threshold, self._max_bucket))
            | "VerifiedPairs" >> beam.FlatMap(lambda kv: kv[1])
            | "DropRepeats" >> beam.Distinct()  # a pair is found in every band its signatures share
            | "ToPairs" >> beam.MapTuple(Pair)
        )


class FindSharedNgrams(beam.PTransform):
    """Evaluation documents that share at least one n-gram with training text.

    The eval n-gram hashes (64-bit) are a side input as one sorted array; training
    documents are re-read from their shards and each one's n-gram hashes are tested
    against it; the hashes hit are joined back to the eval documents that hold them.
    """

    def __init__(self, eval_tasks: list[ShardTask], train_tasks: list[ShardTask], n: int) -> None:
        super().__init__()
        self._eval_tasks = eval_tasks
        self._train_tasks = train_tasks
        self._n = n

    def expand(self, pipeline):
        import numpy as np

        n = self._n

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
            # the driver checked these shards against the scan's checksums: no second checksum here
            | "ReadEvalShards" >> beam.ParDo(ReadShardFn(None, 1 << 30, checksum=False))
            .with_outputs(QUARANTINE, SHARD_INFO, main="documents")
        ).documents
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
            | "ReadTrainShards" >> beam.ParDo(ReadShardFn(None, 1 << 30, checksum=False))
            .with_outputs(QUARANTINE, SHARD_INFO, main="documents")
        ).documents
        hit_hashes = (
            hit_hashes
            | "MatchNgrams" >> beam.FlatMap(hits, beam.pvalue.AsSingleton(wanted))
            | "KeyHit" >> beam.Map(lambda h: (h, True))
        )
        return (
            {"eval": eval_grams, "hit": hit_hashes}
            | "JoinHits" >> beam.CoGroupByKey()
            | "EvalRefsHit" >> beam.FlatMap(lambda kv: kv[1]["eval"] if kv[1]["hit"] else [])
            | "DistinctEvalRefs" >> beam.Distinct()
        )
