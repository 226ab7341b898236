"""Near-duplicate and overlap logic on ledger signatures (pure functions, no Beam).

Contract: documents are :class:`Member` records: a reference ``(source, shard,
location, doc_id)`` that is unique in a run (a doc_id alone may repeat), the content
hash and the MinHash signature. LSH banding cuts each signature
into ``bands`` bands of ``rows`` values; two documents become a candidate pair when one
band is equal. With Jaccard similarity ``s`` the chance of that is

    P(candidate | s) = 1 - (1 - s**rows)**bands

and ``bands``/``rows`` come from datasketch's own optimiser for the configured threshold.
Its weights are ours: every candidate is verified, so a false positive costs one cheap
comparison while a false negative loses a duplicate for good; the default weighs false
negatives 0.9 and false positives 0.1 (``MinHashLSH`` uses 0.5/0.5, which at threshold
0.8 finds a pair of Jaccard 0.85 only 69% of the time; 0.1/0.9 finds it 97.5% of the
time). Every candidate is verified by the share of equal signature slots (an unbiased estimate of the
Jaccard similarity, standard error ``sqrt(J(1-J)/num_perm)``) before it counts.
Clusters are the connected components of exact-hash groups and verified pairs.

Documents whose signature is empty (no shingle at all: empty text, or text without a
letter or digit) take no part in near-duplicate search: they would all share every band.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from functools import lru_cache
from typing import Iterable, Iterator, NamedTuple

import numpy as np

EMPTY_SLOT = 0xFFFFFFFF


class LshParams(NamedTuple):
    """LSH banding: ``bands`` bands of ``rows`` signature values each."""

    bands: int
    rows: int
    threshold: float
    num_perm: int

    def candidate_probability(self, s: float) -> float:
        """Return P(two documents of Jaccard ``s`` share at least one band)."""
        return 1.0 - (1.0 - s**self.rows) ** self.bands


FALSE_NEGATIVE_WEIGHT = 0.9


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int,
               false_negative_weight: float = FALSE_NEGATIVE_WEIGHT) -> LshParams:
    """Return datasketch's optimal bands and rows for a Jaccard threshold and error weights."""
    from datasketch.lsh import _optimal_param  # the function MinHashLSH itself uses

    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    if not 0.0 < false_negative_weight < 1.0:
        raise ValueError(f"false_negative_weight must be in (0, 1), got {false_negative_weight}")
    bands, rows = _optimal_param(threshold, num_perm, 1.0 - false_negative_weight, false_negative_weight)
    return LshParams(int(bands), int(rows), threshold, num_perm)


DocRef = tuple  # (source, shard, location, doc_id): unique in a run, sorts stably


class Member(NamedTuple):
    """One ledger document as the overlap stage sees it."""

    ref: DocRef
    sha256: str
    minhash: bytes


def source_of(ref: DocRef) -> str:
    """Return the source of a document reference."""
    return ref[0]


def is_empty_signature(minhash: bytes) -> bool:
    """True when the signature holds no shingle (every slot is the empty value)."""
    return not minhash.lstrip(b"\xff")  # EMPTY_SLOT is all ones in any byte order


def band_keys(minhash: bytes, params: LshParams) -> list[int]:
    """Return one bucket key per band: a 64-bit digest of the band's values, salted by its number.

    A signed int64 is the smallest key a shuffle can carry (Beam encodes it as a varint).
    Two different bands collide with probability 2**-64 per pair of documents; a collision
    only adds a candidate, and every candidate is verified.
    """
    width = params.rows * 4
    blake2b, from_bytes = hashlib.blake2b, int.from_bytes
    return [
        from_bytes(blake2b(minhash[i * width:(i + 1) * width], digest_size=8, salt=i.to_bytes(8, "little")).digest(),
                   "little", signed=True)
        for i in range(params.bands)
    ]


def doc_key(ref: DocRef) -> int:
    """Return a 64-bit id of a document reference (signed, as Beam's integer coder wants).

    Only used to find which documents share a bucket: two references with one id (chance
    2**-64 per pair) only make an extra candidate document, never a lost pair.
    """
    text = "\x1f".join(ref).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little", signed=True)


BAND_ENTRIES_PER_SHARD = 500_000  # a shard of candidates holds up to ~350 MB of members


def band_shards(documents: int, bands: int, per_shard: int = BAND_ENTRIES_PER_SHARD) -> int:
    """Return how many shards to gather LSH buckets in: about ``per_shard`` band entries each."""
    return max(1, -(-documents * bands // per_shard))


class Pair(NamedTuple):
    """A verified near-duplicate pair (``a < b``) with its estimated Jaccard and both hashes."""

    a: DocRef
    b: DocRef
    jaccard: float
    a_sha256: str
    b_sha256: str


def _pair(x: Member, y: Member, j: float) -> Pair:
    if y[0] < x[0]:
        x, y = y, x
    return Pair(x[0], y[0], j, x[1], y[1])


def _verified(ordered: list[Member], threshold: float) -> Iterator[Pair]:
    """Compare every pair of ``ordered`` (sorted by ref); yield those at or above the threshold."""
    sigs = np.frombuffer(b"".join(m[2] for m in ordered), dtype="<u4").reshape(len(ordered), -1)
    width = sigs.shape[1]
    if width == 0:
        raise ValueError("signatures must be non-empty")
    for i in range(len(ordered) - 1):
        # the share of equal slots, as jaccard_from_signatures computes it (count / num_perm)
        shares = np.count_nonzero(sigs[i + 1:] == sigs[i], axis=1) / width
        for k in np.flatnonzero(shares >= threshold).tolist():
            yield _pair(ordered[i], ordered[i + 1 + k], float(shares[k]))


def bucket_pairs(members: Iterable[Member], threshold: float, max_bucket: int) -> Iterator[Pair]:
    """Verify the candidate pairs of one LSH bucket; yield those at or above the threshold.

    Members may also be plain ``(ref, sha256, minhash)`` tuples, as they come out of a
    shuffle (Beam encodes a plain tuple natively but pickles a NamedTuple).

    A bucket larger than ``max_bucket`` (a flood of near-identical boilerplate) is not
    expanded into all of its O(n^2) pairs: documents with identical signatures are
    chained to their first member, and the distinct signatures are compared pairwise
    only among the first ``max_bucket`` of them. Connectivity within identical
    signatures is kept, so clusters stay whole while the work stays bounded.
    """
    ordered = sorted(members, key=lambda m: m[0])
    if len(ordered) < 2:
        return
    if len(ordered) <= max_bucket:
        yield from _verified(ordered, threshold)
        return
    by_signature: dict[bytes, list[Member]] = defaultdict(list)
    for m in ordered:
        by_signature[m[2]].append(m)
    heads = []
    for group in by_signature.values():
        head = group[0]
        heads.append(head)
        for other in group[1:]:
            yield _pair(head, other, 1.0)
    heads.sort(key=lambda m: m[0])
    yield from _verified(heads[:max_bucket], threshold)


class UnionFind:
    """Disjoint sets over document references, with path halving and union by size.

    Runs on one machine over the verified edges. At corpus scale the distributed
    version would be an iterative connected-components pass in Beam (e.g. large-star /
    small-star rounds over the edge PCollection until no label changes).
    """

    def __init__(self) -> None:
        self._parent: dict[DocRef, DocRef] = {}
        self._size: dict[DocRef, int] = {}

    def find(self, x: DocRef) -> DocRef:
        parent = self._parent
        if x not in parent:
            parent[x] = x
            self._size[x] = 1
            return x
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: DocRef, b: DocRef) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self._size[ra] < self._size[rb]:
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._size[ra] += self._size[rb]

    def groups(self) -> list[list[DocRef]]:
        """Return every set with two or more members, members sorted, sets sorted."""
        out: dict[DocRef, list[DocRef]] = defaultdict(list)
        for x in self._parent:
            out[self.find(x)].append(x)
        return sorted(sorted(g) for g in out.values() if len(g) > 1)


def cluster_id(members: list[DocRef]) -> str:
    """Return a stable cluster id from the smallest member."""
    first = "\x1f".join(min(members))
    return "c-" + hashlib.sha256(first.encode("utf-8")).hexdigest()[:16]


ExactGroup = tuple  # (sha256, sorted member refs)


def build_clusters(exact_groups: Iterable[ExactGroup],
                   pairs: Iterable[Pair]) -> list[tuple[str, list[DocRef], str]]:
    """Return (cluster_id, members, kind) for the connected components of both edge sets."""
    uf = UnionFind()
    sha_of: dict[DocRef, str] = {}
    for sha, group in exact_groups:
        for ref in group:
            sha_of[ref] = sha
            uf.union(group[0], ref)
    for p in pairs:
        sha_of[p.a], sha_of[p.b] = p.a_sha256, p.b_sha256
        uf.union(p.a, p.b)
    out = []
    for members in uf.groups():
        kind = "exact" if len({sha_of[m] for m in members}) == 1 else "near"
        out.append((cluster_id(members), members, kind))
    return out


def matches_by_document(exact_groups: Iterable[ExactGroup],
                        pairs: Iterable[Pair]) -> dict[DocRef, set[DocRef]]:
    """Return, for each document with a duplicate, the documents it directly matches (exactly or near)."""
    out: dict[DocRef, set[DocRef]] = defaultdict(set)
    for _sha, group in exact_groups:
        for k in group:
            out[k].update(g for g in group if g != k)
    for p in pairs:
        out[p.a].add(p.b)
        out[p.b].add(p.a)
    return out


def overlap_matrix(matches: dict[DocRef, set[DocRef]], docs_per_source: dict[str, int],
                   training: set[str]) -> dict[str, dict[str, dict[str, float]]]:
    """For each ordered pair of training sources (A, B): documents of A with a duplicate in B.

    The diagonal (A, A) counts documents with a duplicate elsewhere in their own source.
    """
    counts: dict[str, dict[str, int]] = {a: {b: 0 for b in sorted(training)} for a in sorted(training)}
    for key, others in matches.items():
        a = source_of(key)
        if a not in training:
            continue
        for b in {source_of(o) for o in others}:
            if b in training:
                counts[a][b] += 1
    return {
        a: {b: {"count": n, "share": round(n / docs_per_source[a], 6) if docs_per_source.get(a) else 0.0}
            for b, n in row.items()}
        for a, row in counts.items()
    }


def duplicate_rates(exact_groups: Iterable[ExactGroup], pairs: Iterable[Pair],
                    docs_per_source: dict[str, int], training: set[str]) -> dict[str, dict[str, float]]:
    """Per training source: shares of its documents with an exact / near (or exact) duplicate.

    ``within`` counts duplicates in the same source; ``any`` counts a duplicate in any
    training source. "near" includes exact duplicates (an exact copy is also near).
    """
    exact_within: dict[str, set[DocRef]] = defaultdict(set)
    exact_any: dict[str, set[DocRef]] = defaultdict(set)
    near_within: dict[str, set[DocRef]] = defaultdict(set)
    near_any: dict[str, set[DocRef]] = defaultdict(set)
    for _sha, group in exact_groups:
        train_members = [k for k in group if source_of(k) in training]
        for k in train_members:
            src = source_of(k)
            others = [o for o in train_members if o != k]
            if others:
                exact_any[src].add(k)
                near_any[src].add(k)
            if any(source_of(o) == src for o in others):
                exact_within[src].add(k)
                near_within[src].add(k)
    for p in pairs:
        sa, sb = source_of(p.a), source_of(p.b)
        if sa in training and sb in training:
            near_any[sa].add(p.a)
            near_any[sb].add(p.b)
            if sa == sb:
                near_within[sa].update((p.a, p.b))
    out = {}
    for src in sorted(training):
        n = docs_per_source.get(src, 0)

        def share(s: set[DocRef]) -> float:
            return round(len(s) / n, 6) if n else 0.0

        out[src] = {
            "documents": n,
            "exact_within": len(exact_within[src]), "exact_within_rate": share(exact_within[src]),
            "near_within": len(near_within[src]), "near_within_rate": share(near_within[src]),
            "exact_any": len(exact_any[src]), "exact_any_rate": share(exact_any[src]),
            "near_any": len(near_any[src]), "near_any_rate": share(near_any[src]),
        }
    return out


def cap_pairs(pairs: Iterable[Pair], cluster_of: dict[DocRef, str],
              per_cluster: int) -> tuple[list[Pair], int]:
    """Keep at most ``per_cluster`` pairs per cluster (highest Jaccard first); return kept and dropped count."""
    by_cluster: dict[str, list[Pair]] = defaultdict(list)
    for p in pairs:
        by_cluster[cluster_of[p.a]].append(p)
    kept: list[Pair] = []
    dropped = 0
    for cid in sorted(by_cluster):
        ordered = sorted(by_cluster[cid], key=lambda p: (-p.jaccard, p.a, p.b))
        kept.extend(ordered[:per_cluster])
        dropped += max(0, len(ordered) - per_cluster)
    return sorted(kept, key=lambda p: (p.a, p.b)), dropped


class OverlapReport(NamedTuple):
    """Everything the overlap stage writes, assembled from its collected edges."""

    clusters: list[dict[str, str]]  # clusters.parquet rows
    pairs: list[dict[str, object]]  # pairs.parquet rows
    matrix: dict[str, object]
    rates: dict[str, object]
    contamination: dict[str, object]
    summary: dict[str, object]


def _loc(ref: DocRef) -> str:
    return f"{ref[1]}#{ref[2]}"


def assemble(exact_groups: list[ExactGroup], pairs: list[Pair], docs_per_source: dict[str, int],
             ngram_hits: list[DocRef], training: set[str], evals: set[str], params: LshParams,
             max_pairs_per_cluster: int, ngram: int, max_examples: int = 1000) -> OverlapReport:
    """Turn exact groups, verified pairs and n-gram hits into the stage's tables and reports."""
    exact_groups = sorted(exact_groups)
    pairs = sorted(pairs)
    clusters = build_clusters(exact_groups, pairs)
    cluster_of = {ref: cid for cid, members, _ in clusters for ref in members}
    cluster_rows = [
        {"doc_id": ref[3], "source": ref[0], "shard": ref[1], "location": ref[2], "cluster_id": cid,
         "kind": kind}
        for cid, members, kind in clusters for ref in members
    ]
    cluster_rows.sort(key=lambda r: (r["cluster_id"], r["source"], r["shard"], r["location"]))
    kept, dropped = cap_pairs(pairs, cluster_of, max_pairs_per_cluster)
    pair_rows = [
        {"a_doc_id": p.a[3], "a_source": p.a[0], "a_location": _loc(p.a), "b_doc_id": p.b[3],
         "b_source": p.b[0], "b_location": _loc(p.b), "jaccard": float(p.jaccard),
         "cluster_id": cluster_of[p.a]}
        for p in kept
    ]
    matches = matches_by_document(exact_groups, pairs)
    matrix = overlap_matrix(matches, docs_per_source, training)
    rates = duplicate_rates(exact_groups, pairs, docs_per_source, training)

    # evaluation contamination: direct matches with training documents, and shared n-grams
    exact_with: dict[DocRef, list[dict[str, object]]] = defaultdict(list)
    for _sha, group in exact_groups:
        for ref in group:
            if source_of(ref) in evals:
                exact_with[ref].extend(
                    {"source": o[0], "doc_id": o[3], "location": _loc(o), "jaccard": 1.0, "kind": "exact"}
                    for o in group if source_of(o) in training)
    for p in pairs:
        for mine, other in ((p.a, p.b), (p.b, p.a)):
            if source_of(mine) in evals and source_of(other) in training:
                exact_with[mine].append({"source": other[0], "doc_id": other[3], "location": _loc(other),
                                         "jaccard": round(float(p.jaccard), 6), "kind": "near"})
    hits = set(map(tuple, ngram_hits))
    contamination: dict[str, object] = {}
    for ev in sorted(evals):
        n = docs_per_source.get(ev, 0)
        near = sorted((r, m) for r, m in exact_with.items() if source_of(r) == ev and m)
        gram = sorted(r for r in hits if source_of(r) == ev)
        either = {r for r, _ in near} | set(gram)
        contamination[ev] = {
            "items": n,
            "near_duplicate": {
                "items": len(near), "share": round(len(near) / n, 6) if n else 0.0,
                "threshold": params.threshold,
                "examples": [{"doc_id": r[3], "location": _loc(r),
                              "matches": sorted(m, key=lambda x: (-x["jaccard"], x["source"], x["doc_id"]))}
                             for r, m in near[:max_examples]],
            },
            "ngram": {
                "n": ngram, "items": len(gram), "share": round(len(gram) / n, 6) if n else 0.0,
                "doc_ids": [r[3] for r in gram[:max_examples]],
            },
            "either": {"items": len(either), "share": round(len(either) / n, 6) if n else 0.0},
        }
    top = sorted(
        ((a, b, cell["count"], cell["share"]) for a, row in matrix.items() for b, cell in row.items()
         if a != b and cell["count"]),
        key=lambda t: (-t[3], -t[2], t[0], t[1]))
    summary = {
        "lsh": {"threshold": params.threshold, "num_perm": params.num_perm, "bands": params.bands,
                "rows": params.rows},
        "documents": sum(docs_per_source.get(s, 0) for s in training),
        "eval_documents": sum(docs_per_source.get(s, 0) for s in evals),
        "exact_groups": len(exact_groups),
        "verified_pairs": len(pairs),
        "pairs_written": len(kept),
        "pairs_dropped_by_cap": dropped,
        "clusters": len(clusters),
        "clusters_by_kind": {k: sum(1 for c in clusters if c[2] == k) for k in ("exact", "near")},
        "largest_cluster": max((len(m) for _, m, _ in clusters), default=0),
        "top_source_overlaps": [{"from": a, "to": b, "count": n, "share": s} for a, b, n, s in top[:10]],
        "duplicate_rates": rates,
        "contamination": {ev: {"near_duplicate_items": c["near_duplicate"]["items"],
                               "ngram_items": c["ngram"]["items"], "items": c["items"]}
                          for ev, c in contamination.items()},
    }
    return OverlapReport(cluster_rows, pair_rows, {"sources": sorted(training), "matrix": matrix},
                         rates, contamination, summary)
