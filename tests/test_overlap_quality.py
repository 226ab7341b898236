"""Overlap decisions are traceable: nearest matches in pairs.parquet, cluster diameters, rates
that count a document only for its own pairs, assembly per connected component, and the
contamination check of changed shards inside the pipeline."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
from conftest import write_yaml

from provaudit.core.config import load_config
from provaudit.core.errors import InputError
from provaudit.core.minhash import MinHasher
from provaudit.core.overlap import (
    DuplicateGraph,
    Member,
    Pair,
    UnionFind,
    assemble,
    bucket_pairs,
    cluster_diameters,
    component_result,
    expand_pairs,
    finish_report,
    lsh_params,
    merge_results,
    nearest_matches,
)

HASHER = MinHasher(num_perm=128, seed=1)
WORDS = ["the", "river", "carries", "silt", "from", "the", "mountains", "to", "the", "delta", "where",
         "farmers", "plant", "rice", "in", "spring", "and", "harvest", "it", "before", "autumn"]
PARAMS = lsh_params(0.8, 128)


def _ref(source: str, name: str) -> tuple[str, str, str, str]:
    return (source, "f", name, name)


def _member(ref: tuple, text: str) -> Member:
    return Member(ref, hashlib.sha256(text.encode()).hexdigest(), HASHER.signature_bytes(text, False))


def _chain_texts() -> tuple[str, str, str]:
    """a - b - c: a and c each differ from b by four words, from each other by eight."""
    rnd = random.Random(7)
    b = [rnd.choice(WORDS) + str(rnd.randrange(50)) for _ in range(300)]
    a, c = list(b), list(b)
    for i in range(4):
        a[10 + i * 10] = f"edA{i}"
        c[160 + i * 10] = f"edC{i}"
    return " ".join(a), " ".join(b), " ".join(c)


def test_chain_rates_count_only_a_documents_own_pairs() -> None:
    ta, tb, tc = _chain_texts()
    a, b, c = _member(_ref("A", "a"), ta), _member(_ref("B", "b"), tb), _member(_ref("A", "c"), tc)
    pairs = sorted(bucket_pairs([a, b, c], PARAMS.threshold, 1000))
    assert [(p.a[2], p.b[2]) for p in pairs] == [("a", "b"), ("c", "b")]  # a - c is below the threshold
    j_ab, j_bc = pairs[0].jaccard, pairs[1].jaccard
    report = assemble([], pairs, {"A": 2, "B": 1}, [], {"A", "B"}, set(), PARAMS, 10, 13)
    # one cluster holds a, b and c (single linkage) ...
    assert {r["cluster_id"] for r in report.clusters} == {report.clusters[0]["cluster_id"]}
    assert len(report.clusters) == 3
    # ... but a and c, both of source A, are not each other's duplicates: A has no duplicate within
    rates = report.rates
    assert rates["A"]["near_within"] == 0 and rates["A"]["near_within_rate"] == 0.0
    assert rates["A"]["near_any"] == 2 and rates["B"]["near_any"] == 1
    assert report.matrix["matrix"]["A"]["A"]["count"] == 0 and report.matrix["matrix"]["A"]["B"]["count"] == 2
    # the diameter is the weaker link that holds the chain together
    assert {r["diameter"] for r in report.clusters} == {min(j_ab, j_bc)}
    # every document names its nearest verified match
    near = {(r["a_doc_id"], r["b_doc_id"]): (r["nearest_for_a"], r["nearest_for_b"]) for r in report.pairs}
    assert near[("a", "b")][0] and near[("c", "b")][0]  # a's and c's only match is b
    assert near[("a", "b")][1] == (j_ab >= j_bc) and near[("c", "b")][1] == (j_bc > j_ab)  # b: the stronger


def test_diameter_is_the_weakest_edge_of_the_maximum_spanning_tree() -> None:
    x, y, z, w = (_ref("s", n) for n in "xyzw")
    links = [Pair(x, y, 0.95, "hx", "hy"), Pair(y, z, 0.85, "hy", "hz"), Pair(x, z, 0.9, "hx", "hz")]
    d = cluster_diameters(DuplicateGraph([], links))
    assert d == {x: 0.9, y: 0.9, z: 0.9}  # the 0.85 link is not needed to hold x, y, z together
    report = assemble([("hw", [w, _ref("s", "w2")])], links, {"s": 5}, [], {"s"}, set(), PARAMS, 100, 13)
    by_doc = {r["doc_id"]: r["diameter"] for r in report.clusters}
    assert by_doc == {"x": 0.9, "y": 0.9, "z": 0.9, "w": 1.0, "w2": 1.0}
    # two clusters joined by one weak link: the cluster would split above it
    u, v = _ref("s", "u"), _ref("s", "v")
    joined = links + [Pair(u, v, 0.99, "hu", "hv"), Pair(v, x, 0.81, "hv", "hx")]
    assert set(cluster_diameters(DuplicateGraph([], joined)).values()) == {0.81}


def test_every_duplicated_document_keeps_its_nearest_match_under_the_cap() -> None:
    rnd = random.Random(5)
    hub = _ref("s", "hub")
    spokes = [_ref("s", f"p{i:03d}") for i in range(40)]
    copies = [_ref("t", f"c{i:03d}") for i in range(60)]  # 1,770 pairs > max_bucket: a star
    links = [Pair(hub, s, round(rnd.uniform(0.8, 0.99), 3), "hh", f"h{i}") for i, s in enumerate(spokes)]
    links += [Pair(spokes[i], spokes[i + 1], 0.8, f"h{i}", f"h{i + 1}") for i in range(39)]
    links += [Pair(copies[0], hub, 0.995, "hc", "hh")]
    groups = [("hc", copies)]
    report = assemble(groups, links, {"s": 41, "t": 60}, [], {"s", "t"}, set(), PARAMS, 5, 13, max_bucket=100)
    expanded = expand_pairs(groups, links, 100)
    nearest = nearest_matches(expanded)
    assert len(nearest) == 41 + 60  # every duplicated document has one
    listed = {}
    for r in report.pairs:
        a = (r["a_source"], *r["a_location"].split("#"), r["a_doc_id"])
        b = (r["b_source"], *r["b_location"].split("#"), r["b_doc_id"])
        listed[(a, b)] = (r["nearest_for_a"], r["nearest_for_b"])
    for doc, other in nearest.items():
        key = (doc, other) if doc < other else (other, doc)
        assert key in listed, doc
        assert listed[key][0 if doc < other else 1]
    assert all(flags[0] or flags[1] for flags in listed.values())  # the cap of 5 only kept nearest links
    assert report.summary["pairs_written"] == len(listed) < len(expanded)
    # each copy's nearest is an exact twin (Jaccard 1.0), the hub's the copies' representative
    assert nearest[copies[5]] == copies[0] and nearest[copies[0]] == copies[1] and nearest[hub] == copies[0]
    # each spoke's best link is to the hub (its links to the next spokes are 0.8; ties go to "hub")
    assert all(nearest[s] == hub for s in spokes)


def _random_graph(seed: int):
    rnd = random.Random(seed)
    sources = ["A", "B", "E"]
    docs = sorted({(rnd.choice(sources), "f", f"l{i:04d}", f"d{i}") for i in range(300)})
    rnd.shuffle(docs)
    groups, start = [], 0
    for g in range(30):
        size = rnd.choice([2, 2, 3, 5, 40])
        groups.append((f"h{g}", sorted(docs[start:start + size])))
        start += size
    reps = [g[0] for _, g in groups] + docs[start:]
    sha = {r: h for h, g in groups for r in g}
    links = {}
    for _ in range(80):
        a, b = sorted(rnd.sample(reps, 2))
        links[(a, b)] = Pair(a, b, round(rnd.uniform(0.8, 1.0), 4), sha.get(a, f"s{a[2]}"), sha.get(b, f"s{b[2]}"))
    counts = {s: sum(1 for d in docs if d[0] == s) for s in sources}
    return groups, sorted(links.values()), counts


def test_assembly_per_component_equals_assembly_in_one_piece() -> None:
    groups, links, counts = _random_graph(11)
    training, evals = {"A", "B"}, {"E"}
    whole = assemble(groups, links, counts, [], training, evals, PARAMS, 7, 13, max_bucket=50,
                     unsigned={"h3"})
    uf = UnionFind()
    for p in links:
        uf.union(p.a, p.b)
    label = {}
    for comp in uf.groups():
        for node in comp:
            label[node] = comp[0]
    parts: dict = {}
    for sha, refs in groups:
        parts.setdefault(label.get(refs[0], refs[0]), ([], []))[0].append((sha, refs))
    for p in links:
        parts.setdefault(label[p.a], ([], []))[1].append(p)
    assert len(parts) > 10
    results = [component_result(g, p, training, evals, 7, 50, [s for s, _ in g if s == "h3"])
               for g, p in reversed(list(parts.values()))]
    split = finish_report(merge_results(results), counts, [], training, evals, PARAMS, 13)
    assert split == whole
    assert whole.summary["clusters"] == len({r["cluster_id"] for r in whole.clusters})


def _corpus(tmp: Path) -> Path:
    base = " ".join(f"{w}{i}" for i, w in enumerate(WORDS * 6))
    rows = {"train": [{"id": f"t{i}", "text": f"{base} variant {i}", "license": "MIT", "url": f"https://x/{i}"}
                      for i in range(4)],
            "evalset": [{"id": "e0", "text": base, "license": "MIT", "url": "https://x/e"}]}
    for name, docs in rows.items():
        (tmp / name).mkdir(parents=True)
        (tmp / name / "part-0.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    src = {"format": "jsonl", "license_field": "license", "url_field": "url", "acquisition": "open-license"}
    return write_yaml(tmp / "c.yaml", {
        "output": str(tmp / "out"),
        "sources": [{"name": "train", "paths": [str(tmp / "train" / "*.jsonl")], **src},
                    {"name": "evalset", "paths": [str(tmp / "evalset" / "*.jsonl")], "role": "eval", **src}],
        "beam": {"runner": "DirectRunner", "direct_num_workers": 1},
    })


def test_changed_shards_fail_inside_the_pipeline_naming_registry_and_shard(tmp_path: Path) -> None:
    from provaudit.stages.overlap import run_overlap
    from provaudit.stages.scan import run_scan

    cfg = load_config(_corpus(tmp_path))
    run_scan(cfg, report=lambda line: None)
    shard = tmp_path / "train" / "part-0.jsonl"
    shard.write_text(shard.read_text(encoding="utf-8") + json.dumps({"id": "t9", "text": "new"}) + "\n",
                     encoding="utf-8")
    with pytest.raises(InputError, match=r"shards changed since run .*train/part-0\.jsonl.*"
                                         r"scan again before measuring contamination") as info:
        run_overlap(cfg, report=lambda line: None)
    assert str(info.value).startswith(f"{cfg.registry_path}: shards changed since run ")


def test_the_streamed_writer_gives_the_same_parquet_bytes_as_rows() -> None:
    import pyarrow.parquet as pq
    import io

    from provaudit.core.contracts import rows_to_parquet
    from provaudit.stages.overlap import rows_to_parquet_stream

    groups, links, counts = _random_graph(11)
    merged = merge_results([component_result(groups, links, {"A", "B"}, {"E"}, 7, 50)])
    report = finish_report(merged, counts, [], {"A", "B"}, {"E"}, PARAMS, 13)
    lean = finish_report(merged, counts, [], {"A", "B"}, {"E"}, PARAMS, 13, rows=False)
    assert lean.clusters == lean.pairs == [] and lean.summary == report.summary
    for name, rows in (("clusters", report.clusters), ("pairs", report.pairs)):
        assert len(rows) > 20
        entries = sorted(merged[name], key=lambda r: (r[0], r[1]))
        # up to a row group, the bytes of one write_table; past it, row groups of the same rows
        assert rows_to_parquet_stream(iter(entries), name) == rows_to_parquet(rows, name)
        chunked = pq.ParquetFile(io.BytesIO(rows_to_parquet_stream(iter(entries), name, row_group=7)))
        assert chunked.metadata.num_row_groups == -(-len(rows) // 7)
        assert chunked.read().to_pylist() == rows
    for name in ("clusters", "pairs"):
        assert rows_to_parquet_stream(iter([]), name) == rows_to_parquet([], name)
