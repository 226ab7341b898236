"""Overlap's distributed connected components (Beam large-star / small-star) against the union-find."""

from __future__ import annotations

import random
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from conftest import SAMPLE, write_yaml

from provaudit.beam.overlap import ComponentsNotConverged, ConnectedComponents
from provaudit.core.config import load_config
from provaudit.core.errors import ConfigError
from provaudit.core.overlap import UnionFind

TestPipeline.__test__ = False


def _ref(i: int) -> tuple[str, str, str, str]:
    return ("src", f"shard-{i % 7}", f"loc-{i:06d}", f"d{i}")


def _graph() -> list[tuple]:
    rnd = random.Random(13)
    ids = rnd.sample(range(10**6), 2000 + 5001 + 3000)
    chain, star, rest = ids[:2000], ids[2000:7001], ids[7001:]
    edges = [(chain[i], chain[i + 1]) for i in range(len(chain) - 1)]  # a path of 2,000 nodes, shuffled ids
    edges += [(star[0], leaf) for leaf in star[1:]]  # a star of 5,000 leaves
    edges += [(rnd.choice(rest), rnd.choice(rest)) for _ in range(2500)]  # random components, self-loops too
    rnd.shuffle(edges)
    return [(_ref(a), _ref(b)) for a, b in edges]


def _union_find_labels(edges: list[tuple]) -> list[tuple]:
    uf = UnionFind()
    for a, b in edges:
        uf.union(a, b)
    return sorted((node, group[0]) for group in uf.groups() for node in group)


def test_distributed_components_equal_the_union_find() -> None:
    edges = _graph()
    expected = _union_find_labels(edges)
    sizes = sorted({label for _, label in expected}, key=lambda lab: -sum(1 for _, x in expected if x == lab))
    assert len(sizes) > 100  # the chain, the star and many random components
    with TestPipeline() as p:
        labels = p | beam.Create(edges) | ConnectedComponents(40)
        assert_that(labels, equal_to(expected))


def test_component_labels_over_ids_equal_the_union_find() -> None:
    import numpy as np

    from provaudit.beam.overlap import component_labels

    ids = {ref: i * 7919 + 3 for i, ref in enumerate(sorted({r for e in _graph() for r in e}))}
    edges = [(ids[a], ids[b]) for a, b in _graph()]
    nodes, labels = component_labels(np.array(edges, dtype=np.int64))
    expected = _union_find_labels(edges)
    assert list(zip(nodes.tolist(), labels.tolist())) == expected
    assert len(set(labels.tolist())) > 100
    empty_nodes, empty_labels = component_labels(np.zeros((0, 2), dtype=np.int64))
    assert len(empty_nodes) == len(empty_labels) == 0


def test_too_few_rounds_fail_naming_the_setting() -> None:
    chain = [(_ref(i), _ref(i + 1)) for i in range(300)]
    with pytest.raises(Exception, match=r"did not converge in 2 rounds.*overlap\.components_max_rounds") as info:
        with TestPipeline() as p:
            _ = p | beam.Create(chain) | ConnectedComponents(2)
    assert ComponentsNotConverged.__name__ in repr(info.value) or "converge" in str(info.value)
    with pytest.raises(ValueError):
        ConnectedComponents(0)


def test_component_settings_are_validated(tmp_path: Path) -> None:
    for key, value in (("components_max_rounds", 0), ("distributed_components_above", -1),
                       ("components_max_rounds", "many")):
        path = write_yaml(tmp_path / "c.yaml", {"registry": str(SAMPLE / "registry.yaml"), "output": "out",
                                                "overlap": {key: value}})
        with pytest.raises(ConfigError, match=key):
            load_config(path)


def test_stage_outputs_are_identical_with_distributed_components(tmp_path: Path) -> None:
    from provaudit.stages.overlap import run_overlap
    from provaudit.stages.scan import run_scan

    def config(name: str, threshold: int):
        return load_config(write_yaml(tmp_path / f"{name}.yaml", {
            "registry": str(SAMPLE / "registry.yaml"), "output": str(tmp_path / "out"),
            "overlap": {"distributed_components_above": threshold}}))

    small = config("small", 200_000)
    scanned = run_scan(small, report=lambda line: None)
    run_id = Path(scanned.run_dir).name
    union_find = run_overlap(small, run_id, report=lambda line: None)
    names = ("clusters.parquet", "pairs.parquet", "matrix.json", "duplicate_rates.json", "contamination.json")
    first = {n: (Path(union_find.overlap_dir) / n).read_bytes() for n in names}
    lines: list[str] = []
    distributed = run_overlap(config("big", 0), run_id, report=lines.append)
    assert distributed.summary["clusters"] == union_find.summary["clusters"] > 10
    for n in names:
        assert (Path(distributed.overlap_dir) / n).read_bytes() == first[n], n
    assert any("components" in line for line in lines), lines
