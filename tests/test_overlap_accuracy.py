"""The overlap stage on the labelled benchmark the project builds itself (provaudit.fixtures.labelled):
real sample documents plus controlled edits at known Jaccard similarities 0.3 to 1.0,
Chinese included, and degenerate documents. The real Beam stage runs on it end to end."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import SAMPLE, write_yaml
from provaudit.core.config import load_config
from provaudit.fixtures.labelled import build_labelled_corpus, evaluate
from provaudit.stages.overlap import run_overlap
from provaudit.stages.scan import run_scan


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("labelled")
    truth = build_labelled_corpus(SAMPLE, tmp / "corpus")
    cfg = load_config(write_yaml(tmp / "c.yaml", {
        "registry": str(tmp / "corpus" / "registry.yaml"),
        "output": str(tmp / "out"),
        "overlap": {"max_pairs_per_cluster": 1_000_000},  # every verified pair, for the evaluation
    }))
    run_scan(cfg, report=lambda line: None)
    result = run_overlap(cfg, report=lambda line: None)
    pairs = pq.read_table(Path(result.overlap_dir) / "pairs.parquet").to_pylist()
    found = [(p["a_doc_id"], p["b_doc_id"], p["jaccard"]) for p in pairs]
    return truth, evaluate(found, truth, threshold=0.8, num_perm=128), result


def test_precision_and_recall_at_the_default_threshold(outcome) -> None:
    _, ev, _ = outcome
    assert ev.positives > 400
    assert ev.precision >= 0.95, ev.summary()
    assert ev.recall >= 0.90, ev.summary()


def test_estimates_within_three_standard_errors(outcome) -> None:
    _, ev, _ = outcome
    assert ev.within_3se_share >= 0.99, ev.summary()


def test_recall_holds_for_chinese_and_every_level_above_threshold(outcome) -> None:
    truth, ev, _ = outcome
    for level in ev.levels:
        if level.level >= 0.85:
            assert level.share >= 0.85, level
    assert any(d.language == "zh-Hans" for d in truth.documents.values())


def test_degenerate_documents_form_no_giant_cluster(outcome) -> None:
    _, ev, result = outcome
    assert ev.largest_degenerate_cluster <= ev.degenerate_limit
    assert result.summary["largest_cluster"] <= 8
