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

A group of identical documents is handled as one node named by its representative (its
smallest reference): only representatives are banded, a verified pair links two groups,
and clusters, the overlap matrix and the duplicate rates are computed per group
(:class:`DuplicateGraph`), so a group of any size costs time and memory linear in its
members; ``pairs.parquet`` lists a group's or a link's pairs only within a budget
(:func:`expand_pairs`), and always the pair naming each duplicated document's nearest
verified match (:func:`nearest_matches`). A cluster's diameter is its weakest verified
link on the maximum spanning tree (:func:`cluster_diameters`). The outputs are assembled
per connected component (:func:`component_result`), the parts added up
(:func:`merge_results`) and finished once (:func:`finish_report`).

Documents whose signature is empty (no shingle at all: empty text, or text without a
letter or digit) take no part in near-duplicate search: they would all share every band.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from functools import lru_cache
from typing import Iterable, Iterator, NamedTuple, Optional

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


_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """Return SplitMix64's output function of each uint64 (a bijection that mixes every bit)."""
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        return z ^ (z >> np.uint64(31))


def signature_matrix(minhashes: list[bytes], num_perm: int) -> np.ndarray:
    """Return signatures (ledger ``minhash`` bytes, little-endian uint32 slots) as an (n, num_perm) array.

    Raises ``ValueError`` naming the first signature whose length is not ``num_perm`` slots.
    """
    width = num_perm * 4
    for i, m in enumerate(minhashes):
        if len(m) != width:
            raise ValueError(f"signature {i} holds {len(m)} bytes, not {width} ({num_perm} slots of 4 bytes)")
    return np.frombuffer(b"".join(minhashes), dtype="<u4").reshape(len(minhashes), num_perm)


def band_key_matrix(signatures: np.ndarray, params: LshParams) -> np.ndarray:
    """Return one bucket key per document and band, as an (n, bands) int64 array.

    A band's key is a 64-bit digest of its ``rows`` values, salted by the band's number
    (SplitMix64 chained over the values), computed for all documents at once. Two
    different bands collide with probability about 2**-64 per pair of documents; a
    collision only adds a candidate, and every candidate is verified.
    """
    n = signatures.shape[0]
    keys = np.empty((n, params.bands), dtype=np.uint64)
    values = signatures.astype(np.uint64)
    for band in range(params.bands):
        h = splitmix64(np.full(n, band, dtype=np.uint64))
        for col in range(band * params.rows, (band + 1) * params.rows):
            h = splitmix64(h ^ values[:, col])
        keys[:, band] = h
    return keys.view(np.int64)


def band_keys(minhash: bytes, params: LshParams) -> list[int]:
    """Return one bucket key per band of one signature (:func:`band_key_matrix` of one row).

    A signed int64 is the smallest key a shuffle can carry (Beam encodes it as a varint).
    """
    return band_key_matrix(signature_matrix([minhash], params.num_perm), params)[0].tolist()


def doc_key(ref: DocRef) -> int:
    """Return a 64-bit id of a document reference (signed, as Beam's integer coder wants).

    Only used to find which documents share a bucket: two references with one id (chance
    2**-64 per pair) only make an extra candidate document, never a lost pair.
    """
    text = "\x1f".join(ref).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little", signed=True)


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


def equal_runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the start and the length of each run of equal adjacent values of a sorted array."""
    n = len(values)
    if not n:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    return starts, np.diff(np.r_[starts, n])


def verify_buckets(table, threshold: float, max_bucket: int) -> tuple[dict[tuple[int, int], Pair], int]:
    """Verify the candidate pairs of a set of whole buckets, each distinct pair once.

    ``table``: a pyarrow table of bucket entries, columns ``key`` (bucket), ``id`` (the
    document's 64-bit id), ``source``, ``shard``, ``location``, ``doc_id``, ``sha256`` and
    ``minhash``. The same pairs as :func:`bucket_pairs` over every bucket: the pairs of a
    bucket of up to ``max_bucket`` documents are gathered, made distinct (a pair shares
    many bands) and compared in one vectorised pass; larger buckets go through
    :func:`bucket_pairs`. Returns ``({(id a, id b): Pair}, candidate pairs compared)``.
    """
    from itertools import combinations

    n = table.num_rows
    if n < 2:
        return {}, 0
    keys = table.column("key").to_numpy()
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    ids = table.column("id").to_numpy()[order]
    members, first, index = np.unique(ids, return_index=True, return_inverse=True)
    rows = order[first]  # one table row per distinct document
    take = table.take(rows)
    refs = list(zip(*(take.column(c).to_pylist() for c in ("source", "shard", "location", "doc_id"))))
    shas = take.column("sha256").to_pylist()
    raw = take.column("minhash").to_pylist()
    sigs = np.frombuffer(b"".join(raw), dtype="<u4").reshape(len(raw), -1)
    starts, sizes = equal_runs(keys)
    twos = starts[sizes == 2]
    left, right = [index[twos]], [index[twos + 1]]
    found: dict[tuple[int, int], Pair] = {}
    compared = 0
    for start, size in zip(starts[sizes > 2].tolist(), sizes[sizes > 2].tolist()):
        bucket = index[start:start + size]
        if size <= max_bucket:
            pairs = np.array(list(combinations(bucket.tolist(), 2)), dtype=np.int64)
            left.append(pairs[:, 0])
            right.append(pairs[:, 1])
            continue
        compared += size + max_bucket ** 2 // 2
        by_ref = {refs[i]: i for i in bucket.tolist()}
        for p in bucket_pairs([(refs[i], shas[i], raw[i]) for i in bucket.tolist()], threshold, max_bucket):
            i, j = by_ref[p.a], by_ref[p.b]
            found[(int(members[i]), int(members[j]))] = p
    lo, hi = np.concatenate(left), np.concatenate(right)
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    keep = lo != hi
    pair_codes = np.unique(lo[keep] * len(members) + hi[keep])
    lo, hi = pair_codes // len(members), pair_codes % len(members)
    compared += len(pair_codes)
    width = sigs.shape[1]
    for chunk in range(0, len(lo), 65_536):
        a, b = lo[chunk:chunk + 65_536], hi[chunk:chunk + 65_536]
        shares = np.count_nonzero(sigs[a] == sigs[b], axis=1) / width  # as _verified computes it
        for i, j, share in zip(a[shares >= threshold].tolist(), b[shares >= threshold].tolist(),
                               shares[shares >= threshold].tolist()):
            x, y = (i, j) if refs[i] < refs[j] else (j, i)
            key = (int(members[x]), int(members[y]))
            if key not in found:
                found[key] = Pair(refs[x], refs[y], float(share), shas[x], shas[y])
    return found, compared


class UnionFind:
    """Disjoint sets over document references, with path halving and union by size.

    Runs on one machine over the verified edges: the small-input path. Above
    ``overlap.distributed_components_above`` links the stage uses the Beam version,
    :class:`provaudit.beam.overlap.ConnectedComponents` (large-star / small-star rounds).
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


def build_clusters(exact_groups: Iterable[ExactGroup], pairs: Iterable[Pair],
                   components: Optional[dict[DocRef, DocRef]] = None) -> list[tuple[str, list[DocRef], str]]:
    """Return (cluster_id, members, kind) for the connected components of both edge sets.

    Without ``components`` they are found here by a union-find (the small-input path).
    With it, ``components`` maps each document that ends a pair, or its group's
    representative (smallest member), to a component label, as the distributed
    :class:`provaudit.beam.overlap.ConnectedComponents` computes them; a document it does
    not name is labelled by its group's representative, or by itself.
    """
    sha_of: dict[DocRef, str] = {}
    if components is None:
        uf = UnionFind()
        for sha, group in exact_groups:
            for ref in group:
                sha_of[ref] = sha
                uf.union(group[0], ref)
        for p in pairs:
            sha_of[p.a], sha_of[p.b] = p.a_sha256, p.b_sha256
            uf.union(p.a, p.b)
        groups = uf.groups()
    else:
        rep_of: dict[DocRef, DocRef] = {}
        for sha, group in exact_groups:
            rep = min(group)
            for ref in group:
                sha_of[ref] = sha
                rep_of[ref] = rep
        for p in pairs:
            sha_of[p.a], sha_of[p.b] = p.a_sha256, p.b_sha256
        by_label: dict[DocRef, list[DocRef]] = defaultdict(list)
        for ref in sha_of:
            rep = rep_of.get(ref, ref)
            by_label[components.get(ref, components.get(rep, rep))].append(ref)
        groups = sorted(sorted(g) for g in by_label.values() if len(g) > 1)
    out = []
    for members in groups:
        kind = "exact" if len({sha_of[m] for m in members}) == 1 else "near"
        out.append((cluster_id(members), members, kind))
    return out


class DuplicateGraph:
    """Exact groups and verified pairs, one node per group: linear in documents and pairs.

    A group of identical documents (one content hash) is one node, named by its
    representative (its smallest reference); a document without an exact copy is a group
    of one. A verified pair between two documents becomes a *link* between their groups
    (pairs inside one group are implied by it). Nothing here is expanded pairwise, so a
    group of any size costs time and memory linear in its members.
    """

    def __init__(self, exact_groups: Iterable[ExactGroup], pairs: Iterable[Pair]) -> None:
        self.members: dict[DocRef, list[DocRef]] = {}  # representative -> members (groups of two or more)
        self.sha: dict[DocRef, str] = {}  # representative -> content hash
        self.rep_of: dict[DocRef, DocRef] = {}  # member of a group -> its representative
        for sha, group in exact_groups:
            group = sorted(group)
            rep = group[0]
            self.members[rep] = group
            self.sha[rep] = sha
            for ref in group:
                self.rep_of[ref] = rep
        self.links: dict[tuple[DocRef, DocRef], float] = {}  # (rep a, rep b), a < b -> Jaccard
        for p in pairs:
            ra, rb = self.rep_of.get(p.a, p.a), self.rep_of.get(p.b, p.b)
            if ra == rb:
                continue
            self.sha.setdefault(ra, p.a_sha256)  # a group's own hash is set already
            self.sha.setdefault(rb, p.b_sha256)
            key = (ra, rb) if ra < rb else (rb, ra)
            if p.jaccard > self.links.get(key, -1.0):
                self.links[key] = float(p.jaccard)

    def group(self, rep: DocRef) -> list[DocRef]:
        """Return the members of the group ``rep`` represents (itself alone when it has no copy)."""
        return self.members.get(rep, [rep])

    def linked(self) -> dict[DocRef, list[DocRef]]:
        """Return, for each representative with a link, the representatives it is linked to."""
        out: dict[DocRef, list[DocRef]] = defaultdict(list)
        for a, b in self.links:
            out[a].append(b)
            out[b].append(a)
        return out

    def source_counts(self, rep: DocRef) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for ref in self.group(rep):
            counts[source_of(ref)] += 1
        return counts


def expand_pairs(exact_groups: Iterable[ExactGroup], pairs: Iterable[Pair], budget: int,
                 unsigned: Iterable[str] = ()) -> list[Pair]:
    """Return the verified pairs pairs.parquet lists, at most ``budget`` per group or link.

    A group of ``n`` identical documents yields its ``n(n-1)/2`` pairs (Jaccard 1.0) when
    that is at most ``budget``, otherwise the ``n - 1`` pairs from its representative. A
    link between groups of sizes ``a`` and ``b`` yields its ``a*b`` pairs when that is at
    most ``budget``, otherwise ``a + b - 1`` pairs through the two representatives. Groups
    whose content hash is in ``unsigned`` (empty signature: no shingle) yield no pair, as
    they take no part in near-duplicate search. Sorted by ``(a, b)``.
    """
    graph = pairs if isinstance(pairs, DuplicateGraph) else DuplicateGraph(exact_groups, pairs)
    skip = set(unsigned)
    out: list[Pair] = []
    for rep, group in graph.members.items():
        sha = graph.sha[rep]
        if sha in skip:
            continue
        n = len(group)
        if n * (n - 1) // 2 <= budget:
            out.extend(Pair(group[i], group[k], 1.0, sha, sha) for i in range(n) for k in range(i + 1, n))
        else:
            out.extend(Pair(rep, other, 1.0, sha, sha) for other in group[1:])
    for (ra, rb), j in graph.links.items():
        ga, gb = graph.group(ra), graph.group(rb)
        sa, sb = graph.sha[ra], graph.sha[rb]
        if len(ga) * len(gb) <= budget:
            ends = [(x, sa, y, sb) for x in ga for y in gb]
        else:
            ends = [(ra, sa, rb, sb)] + [(x, sa, rb, sb) for x in ga[1:]] + [(ra, sa, y, sb) for y in gb[1:]]
        for x, sx, y, sy in ends:
            out.append(Pair(x, y, j, sx, sy) if x < y else Pair(y, x, j, sy, sx))
    out.sort()
    return out


def matched_sources(graph: DuplicateGraph) -> dict[DocRef, frozenset[str]]:
    """Return, for each document with a duplicate, the sources of the documents it matches.

    A document matches the other members of its group and every member of the groups
    linked to its own. Computed per group (one source set shared by the group's members
    of one source), so a group of any size costs linear time.
    """
    linked = graph.linked()
    counts: dict[DocRef, dict[str, int]] = {}

    def counts_of(rep: DocRef) -> dict[str, int]:
        if rep not in counts:
            counts[rep] = graph.source_counts(rep)
        return counts[rep]

    out: dict[DocRef, frozenset[str]] = {}
    for rep in set(graph.members) | set(linked):
        own = counts_of(rep)
        far: set[str] = set()
        for other in linked.get(rep, ()):
            far.update(counts_of(other))
        by_source: dict[str, frozenset[str]] = {}
        for ref in graph.group(rep):
            src = source_of(ref)
            if src not in by_source:
                by_source[src] = frozenset(far | {s for s, n in own.items() if n - (s == src) > 0})
            if by_source[src]:
                out[ref] = by_source[src]
    return out


def matches_by_document(exact_groups: Iterable[ExactGroup],
                        pairs: Iterable[Pair]) -> dict[DocRef, set[DocRef]]:
    """Return, for each document with a duplicate, the documents it directly matches (exactly or near).

    Quadratic in a group's size: for inspecting small inputs; the stage uses
    :func:`matched_sources`.
    """
    out: dict[DocRef, set[DocRef]] = defaultdict(set)
    for _sha, group in exact_groups:
        for k in group:
            out[k].update(g for g in group if g != k)
    for p in pairs:
        out[p.a].add(p.b)
        out[p.b].add(p.a)
    return out


def overlap_matrix(matches: dict[DocRef, Iterable], docs_per_source: dict[str, int],
                   training: set[str]) -> dict[str, dict[str, dict[str, float]]]:
    """For each ordered pair of training sources (A, B): documents of A with a duplicate in B.

    ``matches`` maps a document to what it matches: the sources (:func:`matched_sources`)
    or the documents (:func:`matches_by_document`). The diagonal (A, A) counts documents
    with a duplicate elsewhere in their own source.
    """
    counts: dict[str, dict[str, int]] = {a: {b: 0 for b in sorted(training)} for a in sorted(training)}
    for key, others in matches.items():
        a = source_of(key)
        if a not in training:
            continue
        for b in {o if isinstance(o, str) else source_of(o) for o in others}:
            if b in training:
                counts[a][b] += 1
    return {
        a: {b: {"count": n, "share": round(n / docs_per_source[a], 6) if docs_per_source.get(a) else 0.0}
            for b, n in row.items()}
        for a, row in counts.items()
    }


def rate_tally(graph: DuplicateGraph, training: set[str]) -> dict[str, dict[str, int]]:
    """Per training source: how many of its documents have an exact / near duplicate (counts only).

    A document counts only for its own exact copies and the groups linked to its own
    group (a verified pair of its own), never for the rest of its cluster: in a chain
    a-b-c where a and c are below the threshold, a matches b only. Tallies of disjoint
    parts of the graph (its components) add up; :func:`rates_from_tally` turns them into
    shares.
    """
    linked = graph.linked()
    train_counts: dict[DocRef, dict[str, int]] = {}

    def counts_of(rep: DocRef) -> dict[str, int]:
        if rep not in train_counts:
            train_counts[rep] = {s: n for s, n in graph.source_counts(rep).items() if s in training}
        return train_counts[rep]

    tally = {src: {"exact_within": 0, "near_within": 0, "exact_any": 0, "near_any": 0} for src in training}
    for rep in set(graph.members) | set(linked):
        own = counts_of(rep)
        far: set[str] = set()
        for other in linked.get(rep, ()):
            far.update(counts_of(other))
        own_total = sum(own.values())
        for src, n in own.items():  # n training members of this source in the group
            t = tally[src]
            exact_any = own_total > 1
            exact_within = n > 1
            t["exact_any"] += n * exact_any
            t["exact_within"] += n * exact_within
            t["near_any"] += n * (exact_any or bool(far))
            t["near_within"] += n * (exact_within or src in far)
    return tally


def rates_from_tally(tally: dict[str, dict[str, int]], docs_per_source: dict[str, int],
                     training: set[str]) -> dict[str, dict[str, float]]:
    """Turn :func:`rate_tally` counts into the per-source rates ``duplicate_rates.json`` holds."""
    out = {}
    for src in sorted(training):
        n = docs_per_source.get(src, 0)
        t = tally.get(src, {})
        t = {k: int(t.get(k, 0)) for k in ("exact_within", "near_within", "exact_any", "near_any")}

        def share(k: int, n: int = n) -> float:
            return round(k / n, 6) if n else 0.0

        out[src] = {
            "documents": n,
            "exact_within": t["exact_within"], "exact_within_rate": share(t["exact_within"]),
            "near_within": t["near_within"], "near_within_rate": share(t["near_within"]),
            "exact_any": t["exact_any"], "exact_any_rate": share(t["exact_any"]),
            "near_any": t["near_any"], "near_any_rate": share(t["near_any"]),
        }
    return out


def duplicate_rates(exact_groups: Iterable[ExactGroup], pairs: Iterable[Pair],
                    docs_per_source: dict[str, int], training: set[str]) -> dict[str, dict[str, float]]:
    """Per training source: shares of its documents with an exact / near (or exact) duplicate.

    ``within`` counts duplicates in the same source; ``any`` counts a duplicate in any
    training source. "near" includes exact duplicates (an exact copy is also near). A
    near duplicate is any member of a group linked to the document's own. Computed per
    group from its members' source counts: linear in documents and links.
    """
    graph = pairs if isinstance(pairs, DuplicateGraph) else DuplicateGraph(exact_groups, pairs)
    return rates_from_tally(rate_tally(graph, training), docs_per_source, training)


def nearest_matches(pairs: Iterable[Pair]) -> dict[DocRef, DocRef]:
    """Return, for each document of a pair, its nearest verified match.

    The nearest match of ``d`` is the partner of highest Jaccard among the pairs that
    hold ``d``, ties going to the smallest reference. On the pairs :func:`expand_pairs`
    lists this is the same document as on every pair the groups and links imply: an
    exact copy (Jaccard 1.0) wins, and within a group the smallest reference is its
    representative, through which a group or link too large to expand is listed.
    """
    best: dict[DocRef, tuple[float, DocRef]] = {}
    for p in pairs:
        j = -float(p.jaccard)
        for mine, other in ((p.a, p.b), (p.b, p.a)):
            cur = best.get(mine)
            if cur is None or (j, other) < cur:
                best[mine] = (j, other)
    return {ref: other for ref, (_, other) in best.items()}


def cap_pairs(pairs: Iterable[Pair], cluster_of: dict[DocRef, str], per_cluster: int,
              nearest: Optional[dict[DocRef, DocRef]] = None) -> tuple[list[Pair], int]:
    """Keep at most ``per_cluster`` pairs per cluster; return kept (sorted) and dropped count.

    Every pair that is a document's nearest match (``nearest``) is kept whatever the cap,
    so each duplicated document keeps its nearest link; the cap then fills with the other
    pairs, highest Jaccard first (ties by the pair's documents).
    """
    import heapq

    nearest = nearest or {}
    by_cluster: dict[str, tuple[list[Pair], list[Pair]]] = {}
    for p in pairs:
        cid = cluster_of[p.a]
        parts = by_cluster.get(cid)
        if parts is None:
            parts = by_cluster[cid] = ([], [])
        (parts[0] if nearest.get(p.a) == p.b or nearest.get(p.b) == p.a else parts[1]).append(p)
    kept: list[Pair] = []
    dropped = 0
    for cid in sorted(by_cluster):
        must, rest = by_cluster[cid]
        room = max(0, per_cluster - len(must))
        kept.extend(must)
        if len(rest) > room:
            dropped += len(rest) - room
            rest = heapq.nsmallest(room, rest, key=lambda p: (-p.jaccard, p.a, p.b))
        kept.extend(rest)
    kept.sort(key=lambda p: (p.a, p.b))
    return kept, dropped


def cluster_diameters(graph: DuplicateGraph) -> dict[DocRef, float]:
    """Return, for each linked group's representative, its cluster's diameter.

    The diameter is the weakest verified Jaccard that holds the cluster together: the
    lowest edge of the maximum spanning tree of the links between its groups (Kruskal,
    strongest links first), which is the threshold above which the cluster would split
    in two. A cluster of one exact group has no link and diameter 1.0 (not listed here).
    """
    uf = UnionFind()
    weakest: dict[DocRef, float] = {}
    for (a, b), j in sorted(graph.links.items(), key=lambda kv: (-kv[1], kv[0])):
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb:
            continue
        low = min(j, weakest.pop(ra, 1.0), weakest.pop(rb, 1.0))
        uf.union(ra, rb)
        weakest[uf.find(ra)] = low
    return {rep: weakest[uf.find(rep)] for pair in graph.links for rep in pair}


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


def _example(ref: DocRef, chunks: list[list[dict[str, object]]], limit: int) -> dict[str, object]:
    """One contamination example: its matches, best first, at most ``limit`` of them."""
    matches = sorted((m for chunk in chunks for m in chunk),
                     key=lambda x: (-x["jaccard"], x["source"], x["doc_id"]))
    out: dict[str, object] = {"doc_id": ref[3], "location": _loc(ref), "matches": matches[:limit]}
    if len(matches) > limit:
        out["matches_total"] = len(matches)
    return out


def component_result(exact_groups: Iterable[ExactGroup], pairs: Iterable[Pair], training: set[str],
                     evals: set[str], max_pairs_per_cluster: int, max_bucket: int = 1000,
                     unsigned: Iterable[str] = (), max_examples: int = 1000,
                     components: Optional[dict[DocRef, DocRef]] = None) -> dict[str, object]:
    """Assemble what the outputs need from one part of the duplicate graph, as compact rows.

    The part must be closed under links (one connected component, several, or the whole
    graph): then its clusters, pairs, matrix counts, rate tallies and contamination
    examples are the same as in the whole, and :func:`merge_results` of the parts'
    results followed by :func:`finish_report` gives the stage's outputs. The result holds
    plain lists, dicts, tuples and numbers (Beam encodes them without pickling):

    - ``clusters``: ``(cluster_id, ref, kind, diameter)`` per clustered document
    - ``pairs``: ``(a, b, jaccard, cluster_id, nearest_for_a, nearest_for_b)`` per kept pair
    - ``matrix``: ``{a: {b: documents of a matching b}}`` over training sources (non-zero only)
    - ``tally``: :func:`rate_tally` counts; ``contamination``: ``(eval ref, example)``
    - ``stats``: counts for the summary
    """
    exact_groups = sorted((sha, sorted(group)) for sha, group in exact_groups)
    graph = DuplicateGraph(exact_groups, pairs)
    expanded = expand_pairs(exact_groups, graph, max_bucket, unsigned)
    # the same components as over the expanded pairs, one union per document and link
    links = [Pair(a, b, j, graph.sha[a], graph.sha[b]) for (a, b), j in graph.links.items()]
    clusters = build_clusters(exact_groups, links, components)
    cluster_of = {ref: cid for cid, members, _ in clusters for ref in members}
    diameters = cluster_diameters(graph)
    cluster_rows = []
    for cid, members, kind in clusters:
        first = members[0]
        diameter = float(diameters.get(graph.rep_of.get(first, first), 1.0))
        cluster_rows.extend((cid, ref, kind, diameter) for ref in members)
    nearest = nearest_matches(expanded)
    kept, dropped = cap_pairs(expanded, cluster_of, max_pairs_per_cluster, nearest)
    pair_rows = [(p.a, p.b, float(p.jaccard), cluster_of[p.a], nearest.get(p.a) == p.b, nearest.get(p.b) == p.a)
                 for p in kept]
    matrix: dict[str, dict[str, int]] = {}
    for key, others in matched_sources(graph).items():
        a = source_of(key)
        if a not in training:
            continue
        for b in others:
            if b in training:
                row = matrix.setdefault(a, {})
                row[b] = row.get(b, 0) + 1

    # evaluation contamination: direct matches with training documents.
    # A group's training members are listed once and shared by its evaluation members.
    exact_with: dict[DocRef, list[list[dict[str, object]]]] = defaultdict(list)
    for _sha, group in exact_groups:
        mine = [ref for ref in group if source_of(ref) in evals]
        if not mine:
            continue
        theirs = [{"source": o[0], "doc_id": o[3], "location": _loc(o), "jaccard": 1.0, "kind": "exact"}
                  for o in group if source_of(o) in training]
        if theirs:
            for ref in mine:
                exact_with[ref].append(theirs)
    if evals:
        for p in expanded:
            for mine, other in ((p.a, p.b), (p.b, p.a)):
                if source_of(mine) in evals and source_of(other) in training:
                    exact_with[mine].append([{"source": other[0], "doc_id": other[3], "location": _loc(other),
                                              "jaccard": round(float(p.jaccard), 6), "kind": "near"}])
    contamination = [(ref, _example(ref, chunks, max_examples))
                     for ref, chunks in sorted(exact_with.items()) if chunks]
    stats = {"exact_groups": len(exact_groups), "verified_pairs": len(expanded), "pairs_written": len(kept),
             "pairs_dropped_by_cap": dropped, "clusters": len(clusters),
             "exact": sum(1 for c in clusters if c[2] == "exact"),
             "near": sum(1 for c in clusters if c[2] == "near"),
             "largest_cluster": max((len(m) for _, m, _ in clusters), default=0), "links": len(graph.links)}
    return {"clusters": cluster_rows, "pairs": pair_rows, "matrix": matrix,
            "tally": rate_tally(graph, training), "contamination": contamination, "stats": stats}


def empty_result() -> dict[str, object]:
    """Return the result of an empty part: the identity of :func:`merge_results`."""
    return {"clusters": [], "pairs": [], "matrix": {}, "tally": {}, "contamination": [],
            "stats": {"exact_groups": 0, "verified_pairs": 0, "pairs_written": 0, "pairs_dropped_by_cap": 0,
                      "clusters": 0, "exact": 0, "near": 0, "largest_cluster": 0, "links": 0}}


def merge_results(results: Iterable[dict[str, object]]) -> dict[str, object]:
    """Add up :func:`component_result` results of disjoint parts (order does not matter)."""
    out = empty_result()
    for r in results:
        merge_into(out, r)
    return out


def merge_into(out: dict[str, object], r: dict[str, object]) -> dict[str, object]:
    """Add the result ``r`` into ``out`` in place and return ``out``."""
    out["clusters"].extend(r["clusters"])
    out["pairs"].extend(r["pairs"])
    out["contamination"].extend(r["contamination"])
    for a, row in r["matrix"].items():
        into = out["matrix"].setdefault(a, {})
        for b, n in row.items():
            into[b] = into.get(b, 0) + n
    for src, counts in r["tally"].items():
        into = out["tally"].setdefault(src, {})
        for k, n in counts.items():
            into[k] = into.get(k, 0) + n
    for k, n in r["stats"].items():
        out["stats"][k] = max(out["stats"].get(k, 0), n) if k == "largest_cluster" else out["stats"].get(k, 0) + n
    return out


CLUSTER_COLUMNS = ("doc_id", "source", "shard", "location", "cluster_id", "kind", "diameter")
PAIR_COLUMNS = ("a_doc_id", "a_source", "a_location", "b_doc_id", "b_source", "b_location", "jaccard",
                "cluster_id", "nearest_for_a", "nearest_for_b")


def _cluster_values(entry: tuple) -> tuple:
    cid, ref, kind, diameter = entry
    return (ref[3], ref[0], ref[1], ref[2], cid, kind, float(diameter))


def _pair_values(entry: tuple) -> tuple:
    a, b, j, cid, na, nb = entry
    return (a[3], a[0], _loc(a), b[3], b[0], _loc(b), float(j), cid, bool(na), bool(nb))


def table_columns(merged: dict[str, object], name: str, presorted: bool = False) -> dict[str, list]:
    """Return clusters.parquet's or pairs.parquet's sorted rows as columns (lists), from merged results.

    The same values, in the same order, as :func:`finish_report`'s rows; a list per column
    holds far less than a dict per row, so the worker writing the files holds only these.
    With ``presorted`` the entries are taken in the order given (already sorted).
    """
    names, values = (CLUSTER_COLUMNS, _cluster_values) if name == "clusters" else (PAIR_COLUMNS, _pair_values)
    entries = merged[name] if presorted else sorted(merged[name], key=lambda r: (r[0], r[1]))
    columns: dict[str, list] = {c: [None] * len(entries) for c in names}
    lists = [columns[c] for c in names]
    for i, entry in enumerate(entries):
        for column, value in zip(lists, values(entry)):
            column[i] = value
    return columns


def finish_report(merged: dict[str, object], docs_per_source: dict[str, int], ngram_hits: Iterable[DocRef],
                  training: set[str], evals: set[str], params: LshParams, ngram: int,
                  max_examples: int = 1000, rows: bool = True) -> OverlapReport:
    """Turn merged :func:`component_result` results into the stage's tables and reports (sorted).

    With ``rows=False`` the report's ``clusters`` and ``pairs`` are left empty: the caller
    writes them from :func:`table_columns`.
    """
    cluster_rows = [dict(zip(CLUSTER_COLUMNS, _cluster_values(e)))
                    for e in sorted(merged["clusters"], key=lambda r: (r[0], r[1]))] if rows else []
    pair_rows = [dict(zip(PAIR_COLUMNS, _pair_values(e)))
                 for e in sorted(merged["pairs"], key=lambda r: (r[0], r[1]))] if rows else []
    counts = {a: {b: 0 for b in sorted(training)} for a in sorted(training)}
    for a, row in merged["matrix"].items():
        for b, n in row.items():
            counts[a][b] += n
    matrix = {
        a: {b: {"count": n, "share": round(n / docs_per_source[a], 6) if docs_per_source.get(a) else 0.0}
            for b, n in row.items()}
        for a, row in counts.items()
    }
    rates = rates_from_tally(merged["tally"], docs_per_source, training)
    examples = sorted(((tuple(ref), ex) for ref, ex in merged["contamination"]), key=lambda e: e[0])
    hits = set(map(tuple, ngram_hits))
    contamination: dict[str, object] = {}
    for ev in sorted(evals):
        n = docs_per_source.get(ev, 0)
        near = [(r, ex) for r, ex in examples if source_of(r) == ev]
        gram = sorted(r for r in hits if source_of(r) == ev)
        either = {r for r, _ in near} | set(gram)
        contamination[ev] = {
            "items": n,
            "near_duplicate": {
                "items": len(near), "share": round(len(near) / n, 6) if n else 0.0,
                "threshold": params.threshold,
                "examples": [ex for _, ex in near[:max_examples]],
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
    stats = merged["stats"]
    summary = {
        "lsh": {"threshold": params.threshold, "num_perm": params.num_perm, "bands": params.bands,
                "rows": params.rows},
        "documents": sum(docs_per_source.get(s, 0) for s in training),
        "eval_documents": sum(docs_per_source.get(s, 0) for s in evals),
        "exact_groups": stats["exact_groups"],
        "verified_pairs": stats["verified_pairs"],
        "pairs_written": stats["pairs_written"],
        "pairs_dropped_by_cap": stats["pairs_dropped_by_cap"],
        "clusters": stats["clusters"],
        "clusters_by_kind": {"exact": stats["exact"], "near": stats["near"]},
        "largest_cluster": stats["largest_cluster"],
        "top_source_overlaps": [{"from": a, "to": b, "count": n, "share": s} for a, b, n, s in top[:10]],
        "duplicate_rates": rates,
        "contamination": {ev: {"near_duplicate_items": c["near_duplicate"]["items"],
                               "ngram_items": c["ngram"]["items"], "items": c["items"]}
                          for ev, c in contamination.items()},
    }
    return OverlapReport(cluster_rows, pair_rows, {"sources": sorted(training), "matrix": matrix},
                         rates, contamination, summary)


def assemble(exact_groups: list[ExactGroup], pairs: list[Pair], docs_per_source: dict[str, int],
             ngram_hits: list[DocRef], training: set[str], evals: set[str], params: LshParams,
             max_pairs_per_cluster: int, ngram: int, max_examples: int = 1000, max_bucket: int = 1000,
             unsigned: Iterable[str] = (), components: Optional[dict[DocRef, DocRef]] = None,
             ) -> OverlapReport:
    """Turn exact groups, verified pairs and n-gram hits into the stage's tables and reports.

    ``pairs`` may hold only the pairs between groups' representatives (what the stage
    verifies: identical documents are collapsed before LSH) or any expansion of them:
    both give the same outputs. Groups and links are expanded into pairs.parquet rows
    within ``max_bucket`` pairs each (:func:`expand_pairs`); clusters, the matrix and the
    rates are computed per group, so a group of any size costs linear time and memory.
    ``unsigned`` lists the content hashes whose signature is empty (their groups yield no
    pair). In one piece: the stage assembles the same per connected component
    (:func:`component_result`, :func:`merge_results`, :func:`finish_report`).
    """
    part = component_result(exact_groups, pairs, training, evals, max_pairs_per_cluster, max_bucket,
                            unsigned, max_examples, components)
    return finish_report(merge_results([part]), docs_per_source, ngram_hits, training, evals, params, ngram,
                         max_examples)
