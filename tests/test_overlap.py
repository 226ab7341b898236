"""The overlap stage: pure functions, Beam transforms, and the stage on the sample corpus."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import time
from pathlib import Path

import apache_beam as beam
import numpy as np
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from conftest import ROOT, SAMPLE, write_yaml

from provaudit.core.config import load_config
from provaudit.core.contracts import arrow_schema
from provaudit.core.minhash import MinHasher
from provaudit.core.overlap import (
    DuplicateGraph,
    Member,
    Pair,
    UnionFind,
    assemble,
    band_keys,
    bucket_pairs,
    build_clusters,
    duplicate_rates,
    expand_pairs,
    is_empty_signature,
    lsh_params,
    matched_sources,
    matches_by_document,
    overlap_matrix,
)
from provaudit.stages.overlap import run_overlap
from provaudit.stages.runs import find_run
from provaudit.stages.scan import run_scan

TestPipeline.__test__ = False
PLANTED = json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8"))
HASHER = MinHasher(num_perm=128, seed=1)
WORDS = ["the", "river", "carries", "silt", "from", "the", "mountains", "to", "the", "delta", "where", "farmers", "plant", "rice", "in", "spring", "and", "harvest", "it", "before", "the", "autumn", "floods", "arrive", "each", "year"]


def _member(name: str, text: str, source: str = "s", char: bool = False) -> Member:
    import hashlib

    return Member((source, "shard", name, name), hashlib.sha256(text.encode()).hexdigest(),
                  HASHER.signature_bytes(text, char))


def _text(seed: int, n: int = 200) -> str:
    import random

    rnd = random.Random(seed)
    return " ".join(rnd.choice(WORDS) + str(rnd.randrange(50)) for _ in range(n))


def _edit(text: str, share: float, seed: int) -> str:
    import random

    rnd = random.Random(seed)
    words = text.split()
    for i in rnd.sample(range(len(words)), int(len(words) * share)):
        words[i] = f"edit{rnd.randrange(10**6)}"
    return " ".join(words)


def test_lsh_params_follow_datasketch() -> None:
    from datasketch import MinHashLSH

    params = lsh_params(0.8, 128)
    lsh = MinHashLSH(threshold=0.8, num_perm=128, weights=(0.1, 0.9))
    assert (params.bands, params.rows) == (lsh.b, lsh.r)
    assert params.candidate_probability(0.85) > 0.95 > 0.5 > params.candidate_probability(0.5)
    balanced = lsh_params(0.8, 128, 0.5)
    assert (balanced.bands, balanced.rows) == (MinHashLSH(threshold=0.8, num_perm=128).b,
                                               MinHashLSH(threshold=0.8, num_perm=128).r)
    with pytest.raises(ValueError):
        lsh_params(1.0, 128)


def test_band_keys_equal_for_equal_bands() -> None:
    params = lsh_params(0.8, 128)
    a = _member("a", _text(1))
    keys = band_keys(a.minhash, params)
    assert len(keys) == params.bands == len(set(keys))
    assert band_keys(_member("b", _text(1)).minhash, params) == keys


def test_bucket_pairs_verifies_candidates() -> None:
    base = _text(2)
    a, near, far = _member("a", base), _member("b", _edit(base, 0.005, 1)), _member("c", _text(3))
    pairs = list(bucket_pairs([far, near, a], 0.8, 100))
    assert [(p.a[2], p.b[2]) for p in pairs] == [("a", "b")]
    assert 0.8 <= pairs[0].jaccard < 1.0


def test_oversized_bucket_is_bounded_and_keeps_identical_signatures_connected() -> None:
    same = [_member(f"d{i:05d}", "boilerplate footer text repeated everywhere on the site") for i in range(5000)]
    start = time.monotonic()
    pairs = list(bucket_pairs(same, 0.8, 100))
    assert time.monotonic() - start < 5
    assert len(pairs) == 4999  # a chain to the first member, not 12.5 million pairs
    uf = UnionFind()
    for p in pairs:
        uf.union(p.a, p.b)
    assert len(uf.groups()) == 1 and len(uf.groups()[0]) == 5000


def test_degenerate_documents_do_not_form_false_clusters() -> None:
    empty = [_member(f"e{i}", t) for i, t in enumerate(["", "   ", "!!! ??? ...", "-- ** //"])]
    assert all(is_empty_signature(m.minhash) for m in empty)
    repeated = [_member(f"r{w}", " ".join([w] * 5000)) for w in ("data", "model", "token", "alpha")]
    short = [_member(f"s{i}", t) for i, t in enumerate(["hello world", "hello there", "good morning"])]
    members = repeated + short
    params = lsh_params(0.8, 128)
    buckets: dict[bytes, list[Member]] = {}
    for m in members:
        for k in band_keys(m.minhash, params):
            buckets.setdefault(k, []).append(m)
    pairs = {(p.a[2], p.b[2]) for b in buckets.values() for p in bucket_pairs(b, 0.8, 1000)}
    assert pairs == set()  # different single shingles share nothing
    same_token = [_member("x1", " ".join(["data"] * 5000)), _member("x2", " ".join(["data"] * 3000))]
    assert [p.jaccard for p in bucket_pairs(same_token, 0.8, 1000)] == [1.0]  # truly identical shingle sets


def test_union_find_and_cluster_kinds() -> None:
    r = [("s", "f", f"l{i}", f"d{i}") for i in range(5)]
    exact = [("h1", [r[0], r[1]])]
    pairs = [Pair(r[1], r[2], 0.9, "h1", "h2"), Pair(r[3], r[4], 0.85, "h3", "h3")]
    clusters = build_clusters(exact, pairs)
    assert sorted((len(m), k) for _, m, k in clusters) == [(2, "exact"), (3, "near")]
    assert len({cid for cid, _, _ in clusters}) == 2


def test_matrix_and_rates_count_documents_not_pairs() -> None:
    a = [("A", "f", f"a{i}", f"a{i}") for i in range(4)]
    b = [("B", "f", f"b{i}", f"b{i}") for i in range(2)]
    exact = [("h", [a[0], b[0]])]
    pairs = [Pair(a[1], a[2], 0.9, "x", "y"), Pair(a[1], b[1], 0.9, "x", "z")]
    counts = {"A": 4, "B": 2}
    matrix = overlap_matrix(matches_by_document(exact, pairs), counts, {"A", "B"})
    assert matrix["A"]["B"] == {"count": 2, "share": 0.5}
    assert matrix["B"]["A"] == {"count": 2, "share": 1.0}
    assert matrix["A"]["A"]["count"] == 2
    rates = duplicate_rates(exact, pairs, counts, {"A", "B"})
    assert rates["A"]["exact_within"] == 0 and rates["A"]["near_within"] == 2
    assert rates["A"]["near_any"] == 3 and rates["B"]["exact_any"] == 1


def test_assemble_reports_eval_contamination_apart_from_training() -> None:
    t = [("T", "f", f"t{i}", f"t{i}") for i in range(3)]
    e = [("E", "f", f"e{i}", f"e{i}") for i in range(2)]
    report = assemble([("h", [e[0], t[0]])], [Pair(e[1], t[1], 0.9, "x", "y")], {"T": 3, "E": 2},
                      [e[1]], {"T"}, {"E"}, lsh_params(0.8, 128), 10, 13)
    c = report.contamination["E"]
    assert c["near_duplicate"]["items"] == 2 and c["ngram"]["items"] == 1 and c["either"]["share"] == 1.0
    assert report.summary["documents"] == 3  # eval items are never counted as training data
    assert "E" not in report.matrix["matrix"]


def _refs(prefix: str, n: int, source: str = "s") -> list[tuple]:
    return [(source, "f", f"{prefix}{i:06d}", f"{prefix}{i}") for i in range(n)]


def test_groups_and_links_expand_within_the_budget() -> None:
    three, fifty, forty_a, forty_b = _refs("t", 3), _refs("f", 50), _refs("a", 40), _refs("b", 40)
    single, pair = _refs("x", 1)[0], _refs("p", 2)
    groups = [("h3", three), ("h50", fifty), ("ha", forty_a), ("hb", forty_b), ("hp", pair)]
    links = [Pair(forty_a[0], forty_b[0], 0.9, "ha", "hb"), Pair(pair[1], single, 0.85, "hp", "hx")]
    out = expand_pairs(groups, links, 1000)
    assert sum(p.a in three for p in out) == 3  # 3 pairs <= budget: all of them, as LSH finds them
    assert sum(p.a in fifty for p in out) == 49  # 1,225 > budget: a star from the representative
    assert all(p.a == fifty[0] and p.jaccard == 1.0 for p in out if p.a in fifty)
    across = [p for p in out if p.jaccard == 0.9]
    assert len(across) == 40 + 40 - 1  # 1,600 > budget: through the two representatives
    near = sorted((p.a, p.b, p.jaccard) for p in out if p.jaccard == 0.85)
    assert near == [(pair[0], single, 0.85), (pair[1], single, 0.85)]  # 2 <= budget: every pair
    assert not [p for p in expand_pairs(groups, links, 1000, unsigned={"h3"}) if p.a in three]
    # already expanded pairs give the same rows: they fold back into one link per two groups
    assert expand_pairs(groups, out, 1000) == out


def _reference_rates(groups, pairs, counts, training):
    """duplicate_rates as defined: from every document's direct matches (quadratic)."""
    sha = {r: h for h, g in groups for r in g}
    matches = matches_by_document(groups, pairs)
    out = {}
    for src in sorted(training):
        mine = [k for k, m in matches.items() if k[0] == src]
        exact = [k for k in mine if any(o[0] in training and sha.get(o) == sha.get(k, 0) for o in matches[k])]
        exact_within = [k for k in mine if any(o[0] == src and sha.get(o) == sha.get(k, 0) for o in matches[k])]
        near = [k for k in mine if any(o[0] in training for o in matches[k])]
        near_within = [k for k in mine if any(o[0] == src for o in matches[k])]
        out[src] = (len(exact_within), len(near_within), len(exact), len(near))
    return out


def test_group_level_rates_and_matrix_equal_the_pairwise_definition() -> None:
    import random

    rnd = random.Random(3)
    sources = ["A", "B", "E"]
    docs = [(rnd.choice(sources), "f", f"l{i:04d}", f"d{i}") for i in range(400)]
    rnd.shuffle(docs)
    groups, start = [], 0
    for g in range(40):
        size = rnd.choice([2, 2, 3, 5, 9])
        groups.append((f"h{g}", sorted(docs[start:start + size])))
        start += size
    singles = docs[start:]
    reps = [g[0] for _, g in groups] + singles
    sha = {r: h for h, g in groups for r in g}
    links = set()
    for _ in range(60):
        a, b = sorted(rnd.sample(reps, 2))
        links.add(Pair(a, b, 0.9, sha.get(a, "s"), sha.get(b, "s")))
    full = expand_pairs(groups, sorted(links), 10**6)  # every member pair, as LSH finds them
    counts = {s: sum(1 for d in docs if d[0] == s) for s in sources}
    training = {"A", "B"}
    assert overlap_matrix(matched_sources(DuplicateGraph(groups, sorted(links))), counts, training) == \
        overlap_matrix(matches_by_document(groups, full), counts, training)
    rates = duplicate_rates(groups, sorted(links), counts, training)
    expected = _reference_rates(groups, full, counts, training)
    for src in training:
        r = rates[src]
        assert (r["exact_within"], r["near_within"], r["exact_any"], r["near_any"]) == expected[src]
    assert rates == duplicate_rates(groups, full, counts, training)


def test_a_huge_exact_group_costs_linear_time() -> None:
    n = 200_000
    group = _refs("c", n)
    near = ("s", "f", "near", "near")
    start = time.monotonic()
    report = assemble([("h", group)], [Pair(group[0], near, 0.9, "h", "n")], {"s": n + 1}, [], {"s"}, set(),
                      lsh_params(0.8, 128), 1000, 13)
    assert time.monotonic() - start < 20  # pairwise: 2 * 10**10 pairs
    assert report.summary["clusters"] == 1 and report.summary["largest_cluster"] == n + 1
    assert report.summary["verified_pairs"] == (n - 1) + n  # the star, and each copy to its near match
    # the cap keeps every document's nearest match: the star from the representative (each copy's
    # exact twin, and the representative's), and the near document's link to the representative
    assert len(report.pairs) == n and report.summary["pairs_dropped_by_cap"] == 2 * n - 1 - n
    assert all(r["nearest_for_a"] or r["nearest_for_b"] for r in report.pairs)
    assert {r["diameter"] for r in report.clusters} == {0.9}
    assert report.rates["s"]["near_any"] == report.rates["s"]["near_within"] == n + 1
    assert report.rates["s"]["exact_within"] == n


def _ledger_files(tmp: Path, members: list[Member], files: int = 2) -> list[str]:
    """Write members as ledger-like Parquet files (the columns the overlap stage reads)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(files):
        mine = members[i::files]
        table = pa.table({"source": [m.ref[0] for m in mine], "shard": [m.ref[1] for m in mine],
                          "location": [m.ref[2] for m in mine], "doc_id": [m.ref[3] for m in mine],
                          "sha256": [m.sha256 for m in mine], "minhash": pa.array([m.minhash for m in mine],
                                                                                  pa.binary())})
        path = tmp / f"part-{i}.parquet"
        pq.write_table(table, path)
        paths.append(str(path))
    return paths


def _dump(path: Path, value: object) -> None:
    path.write_bytes(pickle.dumps(value))


def _find_overlap(tmp: Path, members: list[Member], parts: int, max_bucket: int, above: int | None = None):
    """Run FindLinks and AssembleOverlap in one pipeline (or, above ``above`` links, then
    LabelComponents and AssembleOverlap in two more, as the stage does).

    Returns (merged result and counts per source, cluster entries and pair entries in output order).
    """
    from provaudit.beam.io import list_files
    from provaudit.beam.overlap import AssembleOverlap, FindLinks, LabelComponents, merged_rows, part_of_path

    files = _ledger_files(tmp, members)
    work = str(tmp / "work")

    def assemble(p, found) -> None:
        merged = found | AssembleOverlap(work, parts, {"s", "t"}, set(), 1000, max_bucket)
        _ = merged | beam.Map(lambda m, state: _dump(tmp / "got.pkl", m) if state["labelled"] else None,
                              beam.pvalue.AsSingleton(found["state"]))

    with TestPipeline() as p:
        found = p | beam.Create(list(enumerate(files))) | FindLinks(work, parts, lsh_params(0.8, 128), max_bucket,
                                                                    above)
        assemble(p, {"files": found["files"], "state": found["state"]})
    links = json.loads((tmp / "work" / "links.json").read_text())
    assert links["labelled"] == (above is None or links["links"] <= above)
    assert (tmp / "got.pkl").exists() == links["labelled"]
    if not links["labelled"]:
        with TestPipeline() as p:
            _ = p | beam.Create(list_files(work, "links", "*", "links.arrow")) | LabelComponents(work, 40)
        spilled = [(kind, part_of_path(path), path) for kind in ("groups", "links")
                   for path in list_files(work, kind, "*", f"{kind}.arrow")]
        state = {"labelled": True, "labels": list_files(work, "labels", "*", "labels.arrow")}
        with TestPipeline() as p:
            assemble(p, {"files": p | "Files" >> beam.Create(spilled), "state": p | "State" >> beam.Create([state])})
    got = {"merged": pickle.loads((tmp / "got.pkl").read_bytes()),
           **json.loads((tmp / "work" / "counts.json").read_text())}
    rows = {name: list(merged_rows(list_files(work, "out", "*", f"{name}.arrow"), name))
            for name in ("clusters", "pairs")}
    return got, rows


def _reference_pairs(members: list[Member], params, max_bucket: int) -> set:
    """Every bucket formed in memory over every document, verified with bucket_pairs."""
    buckets: dict[int, list[Member]] = {}
    for m in members:
        if not is_empty_signature(m.minhash):
            for k in band_keys(m.minhash, params):
                buckets.setdefault(k, []).append(m)
    return {tuple(p) for b in buckets.values() for p in bucket_pairs(b, params.threshold, max_bucket)}


def _overlap_members() -> list[Member]:
    base, other = _text(7), _text(8)
    return ([_member(f"same{i}", base) for i in range(6)]  # one exact group: one representative banded
            + [_member(f"near{i}", _edit(base, 0.01 * (i + 1), i)) for i in range(4)]
            + [_member(f"o{i}", _edit(other, 0.004 * i, 10 + i), source="t") for i in range(3)]
            + [_member(f"u{i}", _text(100 + i)) for i in range(20)] + [_member("empty", ""), _member("empty2", "")])


@pytest.mark.parametrize("parts", [1, 3])
def test_find_overlap_equals_the_in_memory_assembly_whatever_the_partitions(parts: int, tmp_path: Path) -> None:
    from provaudit.core.overlap import component_result

    params = lsh_params(0.8, 128)
    members = _overlap_members()
    groups: dict[str, list] = {}
    for m in members:
        groups.setdefault(m.sha256, []).append(m.ref)
    exact = [(sha, sorted(refs)) for sha, refs in groups.items() if len(refs) > 1]
    pairs = [Pair(*p) for p in _reference_pairs(members, params, max_bucket=4)]
    unsigned = [m.sha256 for m in members if is_empty_signature(m.minhash)]
    expected = component_result(exact, pairs, {"s", "t"}, set(), 1000, 4, unsigned)
    got, rows = _find_overlap(tmp_path, members, parts, max_bucket=4)
    assert rows["clusters"] == sorted(expected["clusters"], key=lambda r: (r[0], r[1]))
    assert rows["pairs"] == sorted(expected["pairs"], key=lambda r: (r[0], r[1]))
    assert got["merged"]["stats"] == expected["stats"]
    assert got["merged"]["tally"] == expected["tally"] and got["merged"]["matrix"] == expected["matrix"]
    assert (got["s"], got["t"]) == (len(members) - 3, 3)
    assert len(rows["pairs"]) > 10 and {r[2] for r in rows["clusters"]} == {"exact", "near"}


def test_find_overlap_with_distributed_components_gives_the_same_rows(tmp_path: Path) -> None:
    members = _overlap_members()
    _, fast = _find_overlap(tmp_path / "fast", members, 2, max_bucket=1000)
    _, rounds = _find_overlap(tmp_path / "rounds", members, 2, max_bucket=1000, above=0)
    assert rounds == fast and fast["clusters"]


def test_band_key_matrix_rows_equal_band_keys_and_differ_by_band() -> None:
    from provaudit.core.overlap import band_key_matrix, signature_matrix

    params = lsh_params(0.8, 128)
    sigs = [_member(f"k{i}", _text(200 + i)).minhash for i in range(5)]
    matrix = band_key_matrix(signature_matrix(sigs, 128), params)
    assert [row.tolist() for row in matrix] == [band_keys(s, params) for s in sigs]
    same = np.zeros((1, 128), dtype="<u4")  # every band holds the same values: the salt keeps them apart
    assert len(set(band_key_matrix(same, params)[0].tolist())) == params.bands


def test_verify_buckets_finds_the_pairs_of_bucket_pairs_once_each() -> None:
    import pyarrow as pa

    from provaudit.core.overlap import verify_buckets

    params = lsh_params(0.8, 128)
    members = [m for m in _overlap_members() if not is_empty_signature(m.minhash)]
    for max_bucket in (4, 1000):  # 4: the base text's buckets are over the limit
        rows = [(k, i, m) for i, m in enumerate(members) for k in band_keys(m.minhash, params)]
        table = pa.table({"key": [r[0] for r in rows], "id": [r[1] for r in rows],
                          **{c: [r[2].ref[n] for r in rows] for n, c in enumerate(("source", "shard", "location",
                                                                                     "doc_id"))},
                          "sha256": [r[2].sha256 for r in rows], "minhash": [r[2].minhash for r in rows]})
        found, compared = verify_buckets(table, params.threshold, max_bucket)
        expected = _reference_pairs(members, params, max_bucket)
        assert {tuple(p) for p in found.values()} == expected and len(found) == len(expected) > 10
        index = {m.ref: i for i, m in enumerate(members)}
        assert all(key == (index[p.a], index[p.b]) for key, p in found.items())
        assert compared >= len(expected)


def test_signatures_of_the_wrong_length_are_refused() -> None:
    from provaudit.core.overlap import signature_matrix

    with pytest.raises(ValueError, match="signature 1 holds 8 bytes, not 512"):
        signature_matrix([b"\0" * 512, b"\0" * 8], 128)


# --- the stage on the sample corpus -----------------------------------------------------

@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("overlap")
    cfg = load_config(write_yaml(tmp / "c.yaml", {"registry": str(SAMPLE / "registry.yaml"),
                                                   "output": str(tmp / "out")}))
    run_scan(cfg, report=lambda line: None)
    return cfg, run_overlap(cfg, report=lambda line: None)


def test_outputs_follow_their_schemas(stage) -> None:
    _, result = stage
    out = Path(result.overlap_dir)
    for name in ("clusters", "pairs"):
        table = pq.read_table(out / f"{name}.parquet")
        assert table.schema.equals(arrow_schema(name), check_metadata=False)
    for name in ("matrix", "duplicate_rates", "contamination", "summary"):
        json.loads((out / f"{name}.json").read_text())


def test_planted_duplicates_are_clustered(stage) -> None:
    _, result = stage
    rows = pq.read_table(Path(result.overlap_dir) / "clusters.parquet").to_pylist()
    cluster = {r["doc_id"]: r["cluster_id"] for r in rows}
    for group in PLANTED["exact_duplicates"]:
        assert len({cluster[d] for d in group}) == 1, group
    found = [p for p in PLANTED["near_duplicates"] if cluster.get(p["a"]) and cluster.get(p["a"]) == cluster.get(p["b"])]
    assert len(found) == len(PLANTED["near_duplicates"])
    assert result.summary["largest_cluster"] <= 4


def test_pairs_name_each_documents_nearest_match_and_clusters_their_diameter(stage) -> None:
    cfg, result = stage
    out = Path(result.overlap_dir)
    pairs = pq.read_table(out / "pairs.parquet").to_pylist()
    clusters = pq.read_table(out / "clusters.parquet").to_pylist()
    named = [(p["a_source"], p["a_location"]) for p in pairs if p["nearest_for_a"]] + \
        [(p["b_source"], p["b_location"]) for p in pairs if p["nearest_for_b"]]
    assert len(named) == len(set(named))  # one nearest match per document
    assert set(named) == {(c["source"], f"{c['shard']}#{c['location']}") for c in clusters}
    for c in clusters:
        assert (c["diameter"] == 1.0) if c["kind"] == "exact" else (cfg.overlap.threshold <= c["diameter"] <= 1.0)
    for cid in {c["cluster_id"] for c in clusters}:
        mine = [p["jaccard"] for p in pairs if p["cluster_id"] == cid]
        assert len({c["diameter"] for c in clusters if c["cluster_id"] == cid}) == 1
        assert min(mine) <= next(c["diameter"] for c in clusters if c["cluster_id"] == cid)


def test_matrix_shows_the_planted_cross_source_copies(stage) -> None:
    _, result = stage
    matrix = json.loads((Path(result.overlap_dir) / "matrix.json").read_text())["matrix"]
    copies = len(PLANTED["cross_source_copies"])
    assert matrix["licensed_news"]["web_crawl"]["count"] >= copies
    assert "eval_qa" not in matrix
    top = result.summary["top_source_overlaps"][0]
    assert (top["from"], top["to"]) == ("licensed_news", "web_crawl")


def test_planted_eval_leak_is_reported(stage) -> None:
    _, result = stage
    c = json.loads((Path(result.overlap_dir) / "contamination.json").read_text())["eval_qa"]
    leaked = {ex["doc_id"] for ex in c["near_duplicate"]["examples"]}
    assert leaked == {leak["eval"] for leak in PLANTED["eval_leaks"]}
    assert set(c["ngram"]["doc_ids"]) >= leaked
    assert set(c["ngram"]["doc_ids"]) == {leak["eval"] for leak in PLANTED["eval_ngram_leaks"]}
    assert c["items"] == PLANTED["sources"]["eval_qa"]["documents"]


def test_overlap_outputs_are_deterministic(stage, tmp_path: Path) -> None:
    cfg, result = stage
    again = run_overlap(cfg, Path(result.run_dir).name, report=lambda line: None)
    for name in ("clusters.parquet", "pairs.parquet", "matrix.json", "contamination.json",
                 "duplicate_rates.json"):
        assert (Path(again.overlap_dir) / name).read_bytes() == (Path(result.overlap_dir) / name).read_bytes()


def test_outputs_do_not_depend_on_the_number_of_partitions(stage, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import provaudit.stages.overlap as overlap_stage

    cfg, result = stage
    documents = json.loads((Path(result.run_dir) / "manifest.json").read_text())["totals"]["ledger"]
    monkeypatch.setattr(overlap_stage, "ROWS_PER_PART", 9)
    assert overlap_stage.overlap_parts(documents) > 10
    names = ("clusters.parquet", "pairs.parquet", "matrix.json", "duplicate_rates.json", "contamination.json")
    before = {n: (Path(result.overlap_dir) / n).read_bytes() for n in names}
    again = run_overlap(cfg, Path(result.run_dir).name, report=lambda line: None)
    assert {n: (Path(again.overlap_dir) / n).read_bytes() for n in names} == before
    assert not (Path(again.overlap_dir) / "_work").exists()  # the spill folder is removed


def test_find_run_errors(tmp_path: Path) -> None:
    from provaudit.core.errors import InputError

    with pytest.raises(InputError, match="no scan run yet"):
        find_run(str(tmp_path))
    with pytest.raises(InputError, match="not a run id"):
        find_run(str(tmp_path), "../x")


def test_cli_run_includes_overlap_and_overlap_reruns(tmp_path: Path) -> None:
    cfg = write_yaml(tmp_path / "c.yaml", {"registry": str(SAMPLE / "registry.yaml"), "output": "out"})
    proc = subprocess.run([sys.executable, "-m", "provaudit.cli", "run", str(cfg)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    # `run` ends with validation, which the sample corpus is built to fail (exit 1)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    for text in ("scan: done", "duplicate rates", "top overlapping source pairs", "evaluation contamination",
                 "licensed_news -> web_crawl", "overlap: done"):
        assert text in out
    assert "validate: done" in out and "disclose: done" in out
    run_id = (tmp_path / "out" / "latest").read_text("utf-8").strip()  # the run is complete
    assert out.splitlines()[-1].startswith(f"run: run {run_id} complete")
    again = subprocess.run([sys.executable, "-m", "provaudit.cli", "overlap", str(cfg), "--run", run_id],
                           capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert again.returncode == 0, again.stderr
    bad = subprocess.run([sys.executable, "-m", "provaudit.cli", "overlap", str(cfg), "--run", "nope"],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert bad.returncode == 2 and "no such run" in bad.stderr
