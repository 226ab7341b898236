"""The labelled near-duplicate benchmark: deterministic, true to its truth.json, and scorable.

The last tests simulate the overlap stage in process (MinHash, LSH banding, signature
verification, no Beam) over the benchmark and hold it to the issue's targets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
import yaml

from provaudit.core.config import list_shards, load_config
from provaudit.core.findings import normalize_text
from provaudit.fixtures.labelled import (
    BAND,
    LEVELS,
    MAX_BASE_JACCARD,
    MIN_SHINGLES,
    TRUTH_FLOOR,
    Evaluation,
    LabelledTruth,
    build_labelled_corpus,
    evaluate,
    main,
    shingle_set,
    standard_error,
    window,
)
from provaudit.core.language import detect_script
from provaudit.core.minhash import CJK_SCRIPTS, MinHasher, jaccard_from_signatures
from provaudit.core.overlap import lsh_params
from provaudit.core.readers import read_shard
from provaudit.core.records import Document

SAMPLE = Path(__file__).resolve().parents[1] / "sample"
TWO_MB = 2 * 1024 * 1024
THRESHOLD = 0.8
NUM_PERM = 128


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _texts(root: Path) -> dict[str, str]:
    """Read every document of the corpus straight from its JSONL shards."""
    texts = {}
    for shard in sorted(root.glob("*/*.jsonl")):
        for line in shard.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            assert record["id"] not in texts, record["id"]
            texts[record["id"]] = record["text"]
    return texts


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LabelledTruth, float]:
    out = tmp_path_factory.mktemp("labelled")
    start = time.perf_counter()
    truth = build_labelled_corpus(SAMPLE, out)
    return out, truth, time.perf_counter() - start


@pytest.fixture(scope="module")
def corpus(built: tuple[Path, LabelledTruth, float]) -> Path:
    return built[0]


@pytest.fixture(scope="module")
def truth(built: tuple[Path, LabelledTruth, float]) -> LabelledTruth:
    return built[1]


@pytest.fixture(scope="module")
def sets(corpus: Path) -> dict[str, frozenset[bytes]]:
    return {doc_id: shingle_set(text) for doc_id, text in _texts(corpus).items()}


# --------------------------------------------------------------------------- generation


def test_generation_is_deterministic_small_and_fast(
    built: tuple[Path, LabelledTruth, float], tmp_path: Path
) -> None:
    corpus, truth, seconds = built
    again = build_labelled_corpus(SAMPLE, tmp_path / "again")
    assert _files(tmp_path / "again") == _files(corpus)
    assert again == truth
    assert LabelledTruth.load(corpus / "truth.json") == truth
    assert sum(len(b) for b in _files(corpus).values()) < TWO_MB
    assert seconds < 10


def test_command_line_writes_the_same_bytes_in_another_process(
    corpus: Path, tmp_path: Path
) -> None:
    # Another hash seed, and the sample corpus regenerated rather than the bundled one.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = tmp_path / "cli"
    proc = subprocess.run(
        [sys.executable, "-m", "provaudit.fixtures.labelled", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "truth pairs" in proc.stdout
    assert _files(out) == _files(corpus)


def test_bad_sizes_fail_early(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        build_labelled_corpus(SAMPLE, tmp_path, variants_per_level=0)
    with pytest.raises(ValueError, match="usable bases"):
        build_labelled_corpus(SAMPLE, tmp_path, variants_per_level=1000)
    assert not any(tmp_path.iterdir())


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("out_dir", "--sample-dir", "--seed", "--variants-per-level"):
        assert option in text


def test_registry_loads_and_the_readers_yield_every_document(
    corpus: Path, truth: LabelledTruth, tmp_path: Path
) -> None:
    config_path = tmp_path / "config.yaml"
    config_path.write_text(
        yaml.safe_dump(
            {"registry": str(corpus / "registry.yaml"), "output": str(tmp_path / "out")}
        ),
        encoding="utf-8",
    )
    config = load_config(config_path)
    sources = {s.name: s for s in config.sources}
    assert set(sources) == {"labelled_base", "labelled_edited"}
    seen = {}
    for shard in list_shards(config):
        spec = sources[shard.source].reader_spec(shard.format, config.scan.max_doc_chars)
        for item in read_shard(shard.path, shard.name, spec):
            assert isinstance(item, Document), item
            seen[item.doc_id] = (item.source, item.shard, item.location)
    assert seen == {d: (doc.source, doc.shard, doc.location) for d, doc in truth.documents.items()}


def test_bases_are_real_long_dissimilar_and_multilingual(
    truth: LabelledTruth, corpus: Path, sets: dict[str, frozenset[bytes]]
) -> None:
    planted = json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8"))["documents"]
    texts = _texts(corpus)
    bases = [doc for doc in truth.documents.values() if doc.kind == "base"]
    assert len(bases) >= 40
    for doc in bases:
        assert doc.origin in planted and planted[doc.origin]["language"] == doc.language
        assert len(sets[doc.doc_id]) >= MIN_SHINGLES
    languages = {doc.language for doc in bases}
    assert "zh-Hans" in languages and len(languages - {"zh-Hans"}) >= 3
    assert all(doc.char_ngrams == (doc.language in {"zh-Hans", "ja"}) for doc in bases)
    for a, b in combinations(sorted(d.doc_id for d in bases), 2):
        inter = len(sets[a] & sets[b])
        assert inter / (len(sets[a]) + len(sets[b]) - inter) < MAX_BASE_JACCARD, (a, b)
    # The texts are the sample corpus's own: spot-check against its shards.
    web = {}
    for line in (
        (SAMPLE / "web_crawl" / "part-00000.jsonl").read_text(encoding="utf-8").splitlines()
    ):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("text"), str):
            web[record.get("id")] = record["text"]
    checked = [d for d in bases if d.origin in web]
    assert checked
    assert all(texts[d.doc_id] == web[d.origin] for d in checked)


def test_every_level_lands_in_its_window(
    truth: LabelledTruth, sets: dict[str, frozenset[bytes]], corpus: Path
) -> None:
    assert window(0.7) == (0.68, 0.72) and window(0.85) == (0.85, 0.87)
    assert window(1.0) == (1.0, 1.0) and window(0.3) == (0.28, 0.32)
    with pytest.raises(ValueError):
        window(0.8)
    texts = _texts(corpus)
    bases = sum(doc.kind == "base" for doc in truth.documents.values())
    counts: dict[float, int] = defaultdict(int)
    for pair in truth.planted:
        assert pair.level is not None
        lo, hi = window(pair.level)
        a, b = sets[pair.a], sets[pair.b]
        exact = len(a & b) / len(a | b)
        assert lo <= exact <= hi and exact == pair.jaccard, pair
        counts[pair.level] += 1
        if pair.level == 1.0:  # whitespace only, yet not an exact duplicate
            assert normalize_text(texts[pair.a]) != normalize_text(texts[pair.b])
    assert counts == dict.fromkeys(LEVELS, bases)


def test_truth_is_complete_and_avoids_the_band(
    truth: LabelledTruth, sets: dict[str, frozenset[bytes]]
) -> None:
    expected = {}
    for a, b in combinations(sorted(sets), 2):
        x, y = sets[a], sets[b]
        if x and y:
            inter = len(x & y)
            j = inter / (len(x) + len(y) - inter)
            if j >= TRUTH_FLOOR:
                expected[(a, b)] = j
    assert {(p.a, p.b): p.jaccard for p in truth.pairs} == expected
    assert not [p for p in truth.pairs if BAND[0] < p.jaccard < BAND[1]]
    assert truth.positives(THRESHOLD) == {k for k, j in expected.items() if j >= THRESHOLD}
    # Beyond the planted pairs, the truth holds pairs between variants of one base.
    planted = {(p.a, p.b) for p in truth.planted}
    assert any(k not in planted and j >= THRESHOLD for k, j in expected.items())


def test_degenerate_documents_and_their_true_groups(
    truth: LabelledTruth, sets: dict[str, frozenset[bytes]]
) -> None:
    degenerate = set(truth.degenerate)
    assert {"b-deg-empty", "b-deg-short", "b-deg-data-5000", "b-deg-token-5000"} <= degenerate
    assert len(sets["b-deg-short"]) == 1 and len(sets["b-deg-data-5000"]) == 1
    shingleless = {d for d in degenerate if not sets[d]}
    assert {"b-deg-empty", "b-deg-punct", "e-deg-brackets"} <= shingleless
    assert truth.degenerate_groups == (
        ("b-deg-data-5000", "e-deg-data-1000", "e-deg-data-3000"),
        ("b-deg-digits-cycle", "e-deg-digits-cycle"),
        ("b-deg-short", "e-deg-short"),
        ("b-deg-short-zh", "e-deg-short-zh"),
    )
    assert truth.jaccard("b-deg-data-5000", "e-deg-data-3000") == 1.0
    assert truth.jaccard("b-deg-token-5000", "e-deg-token-2500") == 0.5
    assert truth.jaccard("b-deg-data-5000", "b-deg-token-5000") is None
    assert truth.jaccard("b-deg-empty", "b-deg-punct") is None  # no shingle: J = 0
    assert truth.documents["b-deg-han-5000"].char_ngrams
    assert not any(d in shingleless for p in truth.pairs for d in (p.a, p.b))


# --------------------------------------------------------------------------- evaluate


def _perfect(truth: LabelledTruth) -> list[tuple[str, str, float]]:
    return [(p.a, p.b, p.jaccard) for p in truth.pairs if p.jaccard >= THRESHOLD]


def test_evaluate_perfect(truth: LabelledTruth) -> None:
    found = _perfect(truth)
    ev = evaluate(found, truth)
    assert (ev.tp, ev.fp, ev.fn) == (len(found), 0, 0)
    assert ev.precision == ev.recall == ev.within_3se_share == 1.0
    assert ev.positives == len(found) == ev.reported
    assert ev.largest_degenerate_cluster == ev.degenerate_limit == 3
    shares = {lv.level: lv.share for lv in ev.levels}
    assert shares == {level: float(level >= THRESHOLD) for level in LEVELS}
    # Order within a pair and repeats do not matter.
    swapped = [(b, a, j) for a, b, j in found] + found[:5]
    assert evaluate(swapped, truth)[:9] == ev[:9]


def test_evaluate_one_false_positive_and_one_miss(truth: LabelledTruth) -> None:
    found = _perfect(truth)
    n = len(found)
    low = next(p for p in truth.planted if p.level == 0.5)
    ev = evaluate([*found, (low.a, low.b, 0.81)], truth)
    assert (ev.tp, ev.fp, ev.fn) == (n, 1, 0)
    assert ev.precision == n / (n + 1) and ev.recall == 1.0
    assert ev.false_positives == ((low.a, low.b, 0.81, low.jaccard),)
    assert {lv.level: lv.found for lv in ev.levels}[0.5] == 1
    assert ev.within_3se == n  # 0.81 is far outside 3 SE of 0.5

    missed = next(f for f in found if truth.documents[f[1]].level == 0.85)
    ev = evaluate([f for f in found if f != missed], truth)
    assert (ev.tp, ev.fp, ev.fn) == (n - 1, 0, 1)
    assert ev.precision == 1.0 and ev.recall == (n - 1) / n
    assert ev.false_negatives == ((missed[0], missed[1], missed[2]),)

    unknown = ("b-deg-data-5000", "b-deg-token-5000", 0.9)  # J = 0: not in the truth
    ev = evaluate([unknown], truth)
    assert (ev.tp, ev.fp, ev.within_3se) == (0, 1, 0)
    assert ev.false_positives == ((*unknown, None),)

    with pytest.raises(ValueError, match="unknown document"):
        evaluate([("nope", found[0][0], 0.9)], truth)
    assert evaluate([], truth).precision == 1.0


def test_within_three_standard_errors(truth: LabelledTruth) -> None:
    assert standard_error(1.0, 128) == standard_error(0.0, 128) == 1 / 128
    pair = next(p for p in truth.planted if p.level == 0.9)
    se = standard_error(pair.jaccard, NUM_PERM)
    inside = evaluate([(pair.a, pair.b, pair.jaccard - 2.9 * se)], truth)
    outside = evaluate([(pair.a, pair.b, pair.jaccard - 3.1 * se)], truth)
    assert (inside.within_3se, outside.within_3se) == (1, 0)
    same = next(p for p in truth.planted if p.level == 1.0)
    assert evaluate([(same.a, same.b, 1.0)], truth).within_3se == 1
    assert evaluate([(same.a, same.b, 1 - 2 / 128)], truth).within_3se == 1  # the floor
    assert evaluate([(same.a, same.b, 1 - 4 / 128)], truth).within_3se == 0


def test_degenerate_cluster_size(truth: LabelledTruth) -> None:
    # Shingle-less documents share an all-empty signature; a stage that paired them
    # would build a false cluster.
    empty = ["b-deg-empty", "b-deg-punct", "e-deg-brackets"]
    ev = evaluate([(a, b, 1.0) for a, b in combinations(empty, 2)], truth)
    assert ev.largest_degenerate_cluster == 3 and ev.fp == 3
    chain = [
        ("b-deg-data-5000", "e-deg-data-3000", 1.0),
        ("e-deg-data-3000", "b-deg-token-5000", 1.0),
    ]
    assert evaluate(chain, truth).largest_degenerate_cluster == 3
    assert evaluate([], truth).largest_degenerate_cluster == 1


# --------------------------------------------------------------------------- simulated overlap

_EMPTY_SIGNATURE = 0xFFFFFFFF


def _signatures(corpus: Path) -> dict[str, np.ndarray]:
    """Sign every document as the scan does (provaudit.core.findings.Annotator)."""
    hasher = MinHasher(num_perm=NUM_PERM, seed=1)
    sigs = {}
    for doc_id, text in _texts(corpus).items():
        normalized = normalize_text(text)
        sigs[doc_id] = hasher.signature(normalized, detect_script(normalized) in CJK_SCRIPTS)
    return sigs


def _overlap(sigs: dict[str, np.ndarray], bands: int, rows: int) -> list[tuple[str, str, float]]:
    """Find near duplicates: LSH candidates verified by signature Jaccard >= THRESHOLD.

    A document without a shingle (every slot empty) is skipped: its signature equals
    every other such document's.
    """
    buckets: dict[tuple[int, bytes], list[str]] = defaultdict(list)
    for doc_id, sig in sorted(sigs.items()):
        if (sig == _EMPTY_SIGNATURE).all():
            continue
        for band in range(bands):
            buckets[(band, sig[band * rows : (band + 1) * rows].tobytes())].append(doc_id)
    candidates = {pair for docs in buckets.values() for pair in combinations(docs, 2)}
    found = []
    for a, b in sorted(candidates):
        estimate = jaccard_from_signatures(sigs[a], sigs[b])
        if estimate >= THRESHOLD:
            found.append((a, b, estimate))
    return found


@pytest.fixture(scope="module")
def signatures(corpus: Path) -> dict[str, np.ndarray]:
    return _signatures(corpus)


def _check(ev: Evaluation, recall: bool = True) -> None:
    print(ev.summary())
    assert ev.precision >= 0.95
    if recall:
        assert ev.recall >= 0.90
    assert ev.within_3se_share >= 0.99
    assert ev.largest_degenerate_cluster <= ev.degenerate_limit


def test_simulated_overlap_meets_the_targets(
    signatures: dict[str, np.ndarray], truth: LabelledTruth
) -> None:
    """The stage's banding (provaudit.core.overlap.lsh_params) and verification meet the targets."""
    params = lsh_params(THRESHOLD, NUM_PERM)
    ev = evaluate(_overlap(signatures, params.bands, params.rows), truth, THRESHOLD, NUM_PERM)
    _check(ev)


def _minhash_lsh_bands() -> tuple[int, int]:
    """Return the bands and rows datasketch's MinHashLSH picks (weights 0.5/0.5)."""
    from datasketch.lsh import _optimal_param

    bands, rows = _optimal_param(THRESHOLD, NUM_PERM, 0.5, 0.5)
    return int(bands), int(rows)


def test_minhash_lsh_banding_keeps_precision(
    signatures: dict[str, np.ndarray], truth: LabelledTruth
) -> None:
    ev = evaluate(_overlap(signatures, *_minhash_lsh_bands()), truth, THRESHOLD, NUM_PERM)
    _check(ev, recall=False)


def test_stage_banding_recalls_more_than_minhash_lsh_banding(
    signatures: dict[str, np.ndarray], truth: LabelledTruth
) -> None:
    """MinHashLSH's balanced weights (9 bands of 13 rows at 0.8) find a pair of Jaccard
    0.85 only 69% of the time; the stage weighs false negatives 0.9 (14 x 9) and misses
    fewer, with candidates verified so precision holds."""
    balanced = evaluate(_overlap(signatures, *_minhash_lsh_bands()), truth, THRESHOLD, NUM_PERM)
    params = lsh_params(THRESHOLD, NUM_PERM)
    stage = evaluate(_overlap(signatures, params.bands, params.rows), truth, THRESHOLD, NUM_PERM)
    assert stage.recall > balanced.recall
    assert stage.fn < balanced.fn
