"""Benchmark the overlap stage side by side with in-memory MinHash LSH, in one run, one corpus.

    python benchmarks/overlap.py [--corpus DIR] [--docs 20000] [--repeat 3] [--json OUT]
                                 [--text-dedup-python PY] [--skip rensa,text-dedup]
    python benchmarks/overlap.py --exact-copies N [--distinct M] [--corpus DIR] [--json OUT]
                                 [--provaudit-src DIR] [--timeout S]
    python benchmarks/overlap.py --assembly N [--json OUT]

The corpus is ``DIR/part-*.jsonl.gz`` (fields ``id``, ``text``, ``license``, ``url``) as
written by ``benchmarks/corpus.py DIR --docs N --flat`` (written first when missing):
real text with 20% planted exact and near duplicates (``DIR/truth.json``), and the natural
near duplicates real text has (licence boilerplate recurs across packages). Step 0 scans
the first ``--docs`` documents with provaudit (Beam DirectRunner, one worker) into a
temporary run; its time is reported apart and not compared. Then, on the signatures of
that run's ledger, each row timed ``--repeat`` times (median reported):

  provaudit overlap   ``run_overlap`` on the run, from the call to its return: pipeline
                      construction, reading the ledger, exact groups, LSH banding as a Beam
                      GroupByKey, verification, clustering and writing every output
  datasketch          ``MinHashLSH(threshold=0.8, num_perm=128, weights=(0.1, 0.9))``: the
                      same bands and rows as provaudit (asserted). A ``LeanMinHash`` of every
                      ledger signature is inserted, every one queried, and the candidate pairs
                      verified by the share of equal slots (>= 0.8) as provaudit does; in
                      memory, one process. Timed with and without the verification.
  rensa               ``RMinHash`` signatures of the same shingles (its own hash function, so
                      pairs near the threshold differ) and ``RMinHashLSH``, verified the same
                      way. rensa needs ``num_perm`` divisible by the bands, so 16 bands x 8 rows
                      (provaudit: 14 x 9). Signatures and LSH are timed apart.
  text-dedup          ``python -m text_dedup.minhash`` (0.4) as a subprocess of the Python given
                      by ``--text-dedup-python`` (its own venv: it pulls datasets, pyspark and
                      onnx), on the same normalised texts, 14 bands x 9 rows, one process. It
                      does not verify candidates and removes duplicates instead of listing
                      pairs, so it is compared by the documents it gives a duplicate.

Assembly mode (``--assembly N``) measures, with no Beam and no corpus, what one worker holds
to assemble the outputs of a synthetic duplicate graph of ``N`` documents (20% in exact
groups of 2-50 copies plus one group of 1% of the documents, half of the rest in chains of
2-30 near duplicates): the peak Python allocation (``tracemalloc``) of ``assemble`` in one
piece, as the stage did on one worker with every group and link as side inputs, against
the largest single component's ``component_result`` and the writer's ``finish_report`` of
the merged compact rows, as the stage does now (asserting both give the same report).

Documents whose signature holds no shingle take no part, as in provaudit. Agreement is
``|A & B| / |A | B|`` against provaudit: over verified pairs, and over the documents that
have at least one duplicate. ``pairs.parquet`` is capped per cluster
(``overlap.max_pairs_per_cluster``); the run config sets the cap to 10**9 so that every
verified pair is written and compared.

Exact-copy mode (``--exact-copies N [--distinct M]``) measures what a big group of
identical documents costs, against the same number of documents with no copy at all:

  copies      the first corpus document's text ``N`` times, plus ``M`` other documents
  distinct    ``N + M`` different documents of the corpus (none copied)

Each corpus is scanned once (``provaudit scan``, not measured), then ``provaudit overlap``
runs as a subprocess (DirectRunner, one worker, in-process) and its wall time and peak
resident memory (``ru_maxrss`` of that process) are recorded; the memory ratio
copies/distinct is the figure to keep within 1.5. ``--provaudit-src DIR`` runs the overlap
from another source tree (an older checkout's ``src``) on the same scans, for a
before/after comparison; ``--timeout S`` stops an overlap run after ``S`` seconds. Use a
corpus written with ``--dup-share 0`` (``benchmarks/corpus.py DIR --docs N --flat
--dup-share 0``) so that the distinct documents hold no planted copy; when it holds fewer
than ``N + M`` documents, the missing ones are made by joining two of its documents (two
texts one after the other: Jaccard about 0.5 with each, below the threshold).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # scan.py beside this file

import scan as scan_bench  # benchmarks/scan.py

NUM_PERM = 128
SEED = 1
THRESHOLD = 0.8
WEIGHTS = (0.1, 0.9)  # provaudit's (false positive, false negative) weights
RENSA_BANDS = 16  # rensa wants num_perm % bands == 0; 16 x 8 is nearest to 14 x 9
EMPTY_SLOT = 0xFFFFFFFF
ALL_PAIRS = 10**9

IndexPair = tuple[int, int]  # two documents' indices into the ledger, a < b


class Ledger(NamedTuple):
    """A scan run's ledger as the peers see it, ordered by reference."""

    keys: list[tuple[str, str]]  # (source, "shard#location"): how pairs.parquet names a document
    refs: list[tuple[str, str, str]]  # (source, shard, location): how the reader names it
    signatures: np.ndarray  # (documents, num_perm) uint32
    live: np.ndarray  # indices of documents with a non-empty signature


def read_ledger(run_dir: Path) -> Ledger:
    """Read every ledger Parquet file of a run (only the columns the peers need)."""
    columns = ["source", "shard", "location", "minhash"]
    table = pa.concat_tables(pq.read_table(f, columns=columns)
                             for f in sorted((run_dir / "ledger").glob("*/*.parquet")))
    rows = sorted(zip(table["source"].to_pylist(), table["shard"].to_pylist(),
                      table["location"].to_pylist(), table["minhash"].to_pylist()))
    sigs = np.frombuffer(b"".join(r[3] for r in rows), dtype="<u4").reshape(len(rows), NUM_PERM)
    sigs = sigs.astype(np.uint32)
    live = np.flatnonzero(~np.all(sigs == EMPTY_SLOT, axis=1))
    return Ledger([(s, f"{sh}#{loc}") for s, sh, loc, _ in rows], [r[:3] for r in rows], sigs, live)


def verify(signatures: np.ndarray, candidates: Iterable[IndexPair], chunk: int = 1 << 16) -> set[IndexPair]:
    """Keep the candidate pairs whose share of equal signature slots is >= THRESHOLD."""
    cand = np.array(sorted(candidates), dtype=np.int64).reshape(-1, 2)
    kept: set[IndexPair] = set()
    for start in range(0, len(cand), chunk):
        part = cand[start:start + chunk]
        equal = np.count_nonzero(signatures[part[:, 0]] == signatures[part[:, 1]], axis=1)
        ok = part[equal / signatures.shape[1] >= THRESHOLD]  # the float provaudit compares
        kept.update(map(tuple, ok.tolist()))
    return kept


def candidate_pairs(keys: Iterable[int], results: Iterable[Iterable[int]]) -> set[IndexPair]:
    """Turn each document's query result into unordered pairs, itself left out."""
    out: set[IndexPair] = set()
    for i, found in zip(keys, results):
        for j in found:
            if j != i:
                out.add((i, j) if i < j else (j, i))
    return out


def docs_with_duplicate(pairs: Iterable[IndexPair]) -> set[int]:
    return {i for p in pairs for i in p}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


# --- step 0 and provaudit --------------------------------------------------------------

def write_config(shards: list[Path], limit: int, workdir: Path) -> Path:
    """Write the run config: one source, the DirectRunner, every verified pair written."""
    config = workdir / "bench.yaml"
    config.write_text(yaml.safe_dump({
        "output": str(workdir / "out"),
        "sources": [{"name": "bench", "paths": scan_bench.first_shards(shards, limit, workdir),
                     "format": "jsonl", "license_field": "license", "url_field": "url",
                     "acquisition": "open-license"}],
        "beam": {"runner": "DirectRunner", "direct_num_workers": 1},
        "overlap": {"max_pairs_per_cluster": ALL_PAIRS},
    }))
    return config


def provaudit_pairs(run_dir: Path, ledger: Ledger) -> set[IndexPair]:
    """Read the verified pairs provaudit wrote, as ledger indices."""
    index = {k: i for i, k in enumerate(ledger.keys)}
    t = pq.read_table(run_dir / "overlap" / "pairs.parquet",
                      columns=["a_source", "a_location", "b_source", "b_location"])
    out = set()
    for a_src, a_loc, b_src, b_loc in zip(*(t[c].to_pylist() for c in t.column_names)):
        a, b = index[(a_src, a_loc)], index[(b_src, b_loc)]
        out.add((a, b) if a < b else (b, a))
    return out


# --- peers -----------------------------------------------------------------------------

def datasketch_run(ledger: Ledger) -> tuple[float, float, set[IndexPair]]:
    """Insert, query, verify; return seconds to the candidates, seconds in all, verified pairs."""
    from datasketch import LeanMinHash, MinHashLSH

    start = time.perf_counter()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, weights=WEIGHTS)
    keys = ledger.live.tolist()
    sketches = [LeanMinHash(seed=SEED, hashvalues=ledger.signatures[i], scheme="affine32") for i in keys]
    for key, m in zip(keys, sketches):
        lsh.insert(key, m)
    candidates = candidate_pairs(keys, (lsh.query(m) for m in sketches))
    queried = time.perf_counter()
    pairs = verify(ledger.signatures, candidates)
    return queried - start, time.perf_counter() - start, pairs


def rensa_tokens(texts: list[str]) -> list[list[str]]:
    """Word (CJK: character) 5-gram shingles of each text, as provaudit makes them."""
    from provaudit.core.language import detect_script
    from provaudit.core.minhash import CJK_SCRIPTS, shingles

    return [[s.decode("utf-8", "surrogatepass") for s in shingles(t, detect_script(t) in CJK_SCRIPTS)]
            for t in texts]


def rensa_run(tokens: list[list[str]], ledger: Ledger) -> tuple[float, float, set[IndexPair]]:
    """rensa signatures, then its LSH and our verification; return both times and the pairs."""
    from rensa import RMinHash, RMinHashLSH

    start = time.perf_counter()
    sketches = RMinHash.from_token_sets(tokens, NUM_PERM, SEED)
    signed = time.perf_counter()
    lsh = RMinHashLSH(THRESHOLD, NUM_PERM, RENSA_BANDS)
    lsh.insert_many(sketches)  # keys 0..n-1: positions in ledger.live
    candidates = candidate_pairs(range(len(sketches)), lsh.query_all(sketches))
    sigs = np.array([m.digest() for m in sketches], dtype=np.uint32)
    local = verify(sigs, candidates)
    live = ledger.live
    pairs = {(int(live[a]), int(live[b])) for a, b in local}
    return signed - start, time.perf_counter() - signed, pairs


def normalised_texts(config_path: Path, ledger: Ledger) -> list[str]:
    """The normalised text of every live ledger document, in ledger order (provaudit's reader)."""
    from provaudit.core.config import list_shards, load_config
    from provaudit.core.findings import normalize_text
    from provaudit.core.readers import read_shard
    from provaudit.core.records import Document
    from provaudit.stages.scan import plan_tasks

    config = load_config(config_path)
    text = {}
    for task in plan_tasks(config, list_shards(config)):
        for item in read_shard(task.path, task.name, task.spec):
            if isinstance(item, Document):
                text[(item.source, item.shard, item.location)] = normalize_text(item.text)
    return [text[ledger.refs[i]] for i in ledger.live]


TEXT_DEDUP_CLUSTERS = """
import json, pickle, sys
from collections import defaultdict
uf = pickle.load(open(sys.argv[1], "rb"))
groups = defaultdict(list)
for x in list(uf.parent):
    groups[uf.find(x)].append(int(x))
json.dump([sorted(g) for g in groups.values() if len(g) > 1], sys.stdout)
"""


def text_dedup_step(python: str, texts: list[str], workdir: Path,
                    params: tuple[int, int]) -> Callable[[], tuple[dict[str, float], list[list[int]]]]:
    """Return a run of text-dedup's MinHash on the texts: (its own seconds per phase, clusters)."""
    data = workdir / "texts.jsonl"
    with data.open("w", encoding="utf-8") as fh:
        for t in texts:
            fh.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    env = dict(os.environ, HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", HF_HOME=str(workdir / "hf"),
               TQDM_DISABLE="1", COLUMNS="200")  # wide enough that its log lines are not wrapped
    runs = iter(range(1 << 30))

    def run() -> tuple[dict[str, float], list[list[int]]]:
        n = next(runs)
        out, cache = workdir / f"out-{n}", workdir / f"cache-{n}"  # fresh: nothing reused between runs
        cmd = [python, "-m", "text_dedup.minhash", "--path", "json", "--data_files", str(data),
               "--split", "train", "--cache_dir", str(cache), "--output", str(out), "--column", "text",
               "--num_perm", str(NUM_PERM), "--threshold", str(THRESHOLD), "--b", str(params[0]),
               "--r", str(params[1]), "--ngram", "5", "--min_length", "0", "--num_proc", "1", "--debug"]
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env, cwd=workdir)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed")
        # its Timer report: "INFO  Loading  : 3.26s", one line per phase
        own = {name: float(sec) for name, sec in re.findall(r"INFO\s+(\w+)\s*:\s*([0-9.]+)s\b",
                                                               proc.stdout + proc.stderr)}
        clusters = json.loads(subprocess.run([python, "-c", TEXT_DEDUP_CLUSTERS, str(out / "uf.pkl")],
                                             capture_output=True, text=True, check=True).stdout)
        return own, clusters

    return run


# --- the table -------------------------------------------------------------------------

class Table:
    """Collect rows against provaudit's pairs and documents; print them aligned."""

    def __init__(self, reference_pairs: set[IndexPair]) -> None:
        self.ref_pairs = reference_pairs
        self.ref_docs = docs_with_duplicate(reference_pairs)
        self.rows: list[dict] = []
        print(f"  {'tool':<52} {'seconds':>8} {'pairs':>8} {'agree':>6} {'+only':>6} {'-miss':>6} "
              f"{'docs':>6} {'agree':>6} {'x ds':>6}")

    def add(self, tool: str, seconds: float, pairs: set[IndexPair] | None = None, docs: set[int] | None = None,
            note: str = "") -> dict:
        row: dict = {"tool": tool, "seconds": round(seconds, 3), "note": note}
        if pairs is not None:
            docs = docs_with_duplicate(pairs)
            row.update(pairs=len(pairs), pair_agreement=round(jaccard(pairs, self.ref_pairs), 4),
                       pairs_only_here=len(pairs - self.ref_pairs), pairs_missed=len(self.ref_pairs - pairs))
        if docs is not None:
            row.update(docs_with_duplicate=len(docs), doc_agreement=round(jaccard(docs, self.ref_docs), 4))
        self.rows.append(row)
        return row

    def print(self, reference: str) -> None:
        base = next(r["seconds"] for r in self.rows if r["tool"] == reference)
        for row in self.rows:
            row["time_vs_datasketch"] = round(row["seconds"] / base, 2)

            def cell(key: str, fmt: str, row: dict = row) -> str:
                return format(row[key], fmt) if key in row else "-"

            print(f"  {row['tool']:<52} {row['seconds']:>8.2f} {cell('pairs', ',d'):>8} "
                  f"{cell('pair_agreement', '.4f'):>6} {cell('pairs_only_here', ',d'):>6} "
                  f"{cell('pairs_missed', ',d'):>6} {cell('docs_with_duplicate', ',d'):>6} "
                  f"{cell('doc_agreement', '.4f'):>6} {row['time_vs_datasketch']:>5.2f}x  {row['note']}")


def median_runs(run: Callable[[], tuple], repeat: int) -> tuple[list[float], object]:
    """Run ``repeat`` times; return the medians of the leading floats and the last run's last value."""
    results = [run() for _ in range(repeat)]
    floats = [statistics.median(r[i] for r in results) for i in range(len(results[0]) - 1)]
    return floats, results[-1][-1]


# --- exact copies ------------------------------------------------------------------------

COPY_SHARD_DOCS = 10_000


def write_copies_corpora(shards: list[Path], copies: int, distinct: int, workdir: Path) -> dict[str, Path]:
    """Write the two corpora of exact-copy mode; return their folders by name."""
    import gzip

    need = copies + distinct
    lines: list[str] = []
    for shard in shards:
        for line in scan_bench._lines(shard):
            lines.append(line if line.endswith("\n") else line + "\n")
            if len(lines) == need:
                break
        if len(lines) == need:
            break
    if len(lines) < 2:
        raise SystemExit(f"the corpus holds {len(lines):,} documents: "
                         f"python benchmarks/corpus.py DIR --docs {need} --flat --dup-share 0")
    have = len(lines)
    for j in range(need - have):  # more documents than the corpus holds: join two of its documents
        a, b = json.loads(lines[j % have]), json.loads(lines[(j * 7919 + 1 + j // have) % have])
        lines.append(json.dumps(dict(a, id=f"joined-{j:07d}", text=a["text"] + "\n\n" + b["text"]),
                                ensure_ascii=False) + "\n")
    first = json.loads(lines[0])
    copied = [json.dumps(dict(first, id=f"copy-{i:07d}"), ensure_ascii=False) + "\n" for i in range(copies)]
    corpora = {"copies": copied + lines[1:distinct + 1], "distinct": lines[:need]}
    out = {}
    for name, docs in corpora.items():
        folder = workdir / name
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(0, len(docs), COPY_SHARD_DOCS):
            with gzip.open(folder / f"part-{k // COPY_SHARD_DOCS:05d}.jsonl.gz", "wt", encoding="utf-8") as fh:
                fh.writelines(docs[k:k + COPY_SHARD_DOCS])
        out[name] = folder
    return out


def timed_subprocess(cmd: list[str], env: dict[str, str], timeout: float | None) -> tuple[float, float, int]:
    """Run ``cmd``; return (seconds, peak RSS of the process in MB, exit status; -9 on timeout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = None if timeout is None else start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if deadline is not None and time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            return time.perf_counter() - start, usage.ru_maxrss / 1024, -9
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode("utf-8", "replace").strip().splitlines() if proc.stderr else []
        print(f"  {' '.join(cmd[-4:])}: exit {proc.returncode}: {err[-1] if err else ''}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024, proc.returncode


def exact_copies_main(args: argparse.Namespace) -> int:
    """Exact-copy mode: overlap time and peak memory on N copies + M documents, against N + M distinct."""
    shards = sorted(args.corpus.glob("part-*.jsonl.gz")) or scan_bench.ensure_corpus(
        args.corpus, args.exact_copies + args.distinct)
    rows = []
    with tempfile.TemporaryDirectory(prefix="provaudit-overlap-copies-") as tmp:
        workdir = Path(tmp)
        corpora = write_copies_corpora(shards, args.exact_copies, args.distinct, workdir)
        env = dict(os.environ)
        overlap_env = dict(env)
        if args.provaudit_src:
            overlap_env["PYTHONPATH"] = str(args.provaudit_src.resolve())
        for name, folder in corpora.items():
            config = workdir / f"{name}.yaml"
            config.write_text(yaml.safe_dump({
                "output": str(workdir / f"out-{name}"),
                "sources": [{"name": name, "paths": [str(folder / "*.jsonl.gz")], "format": "jsonl",
                             "license_field": "license", "url_field": "url", "acquisition": "open-license"}],
                "beam": {"runner": "DirectRunner", "direct_num_workers": 1},
            }))
            scan_s, _, rc = timed_subprocess([sys.executable, "-m", "provaudit.cli", "scan", str(config)], env, None)
            if rc != 0:
                return 1
            run_id = next(d.name for d in sorted((workdir / f"out-{name}").iterdir())
                          if (d / "manifest.json").exists())
            seconds, rss, rc = timed_subprocess(
                [sys.executable, "-m", "provaudit.cli", "overlap", str(config), "--run", run_id], overlap_env,
                args.timeout)
            summary_path = workdir / f"out-{name}" / run_id / "overlap" / "summary.json"
            summary = json.loads(summary_path.read_text()) if rc == 0 and summary_path.exists() else {}
            row = {"corpus": name, "documents": args.exact_copies + args.distinct,
                   "copies": args.exact_copies if name == "copies" else 0,
                   "scan_seconds": round(scan_s, 1), "overlap_seconds": round(seconds, 1),
                   "overlap_peak_rss_mb": round(rss), "status": {0: "ok", -9: "timeout"}.get(rc, f"exit {rc}"),
                   "clusters": summary.get("clusters"), "largest_cluster": summary.get("largest_cluster"),
                   "verified_pairs": summary.get("verified_pairs")}
            rows.append(row)
            print(f"  {name:<9} {row['documents']:>9,} documents ({row['copies']:,} copies): overlap "
                  f"{seconds:8.1f} s, peak RSS {rss:8,.0f} MB, {row['status']}; clusters {row['clusters']}, "
                  f"largest {row['largest_cluster']}, pairs {row['verified_pairs']}   (scan {scan_s:.0f} s)",
                  flush=True)
    copies, distinct = rows
    if copies["status"] == distinct["status"] == "ok":
        print(f"\n  copies / distinct: memory {copies['overlap_peak_rss_mb'] / distinct['overlap_peak_rss_mb']:.2f}x "
              f"(target <= 1.5x), time {copies['overlap_seconds'] / distinct['overlap_seconds']:.2f}x")
    if args.json:
        args.json.write_text(json.dumps({"exact_copies": args.exact_copies, "distinct": args.distinct,
                                         "provaudit_src": str(args.provaudit_src or ""), "rows": rows},
                                        indent=2) + "\n")
    return 0


def _synthetic_graph(documents: int, seed: int = 1):
    """Exact groups and verified links over ``documents`` references: 20% of them in groups of 2-50
    copies, one group of 1% of the documents, and chains of 2-30 near duplicates (Jaccard 0.8-1.0)."""
    import itertools
    import random

    from provaudit.core.overlap import Pair

    rnd = random.Random(seed)
    sources = ["a", "b", "c", "d"]
    refs = [(sources[i % 4], f"s{i // 1000:05d}", f"line:{i % 1000}", f"d{i}") for i in range(documents)]
    rnd.shuffle(refs)
    groups, at = [], 0
    big = max(2, documents // 100)
    groups.append(("g-big", sorted(refs[:big])))
    at = big
    while at < documents // 5:
        n = rnd.randint(2, 50)
        groups.append((f"g{at}", sorted(refs[at:at + n])))
        at += n
    nodes = [g[0] for _, g in groups] + refs[at:]
    sha = {g[0]: h for h, g in groups}
    rnd.shuffle(nodes)
    links, i = [], 0
    while i < len(nodes) // 2:
        n = rnd.randint(2, 30)
        chain = nodes[i:i + n]
        for x, y in itertools.pairwise(chain):
            x, y = min(x, y), max(x, y)
            links.append(Pair(x, y, round(rnd.uniform(0.8, 1.0), 4), sha.get(x, f"h{x[3]}"), sha.get(y, f"h{y[3]}")))
        i += n
    return groups, sorted(links), {s: documents // 4 for s in sources}


def assembly_main(args: argparse.Namespace) -> int:
    """Assembly mode: what one worker holds to assemble the outputs, in one piece vs per component."""
    import tracemalloc

    from provaudit.core.overlap import (
        UnionFind,
        assemble,
        component_result,
        finish_report,
        lsh_params,
        merge_results,
        table_columns,
    )

    params = lsh_params(THRESHOLD, NUM_PERM, WEIGHTS[1])
    training = {"a", "b", "c", "d"}
    cap = 1000

    def peak(fn):
        tracemalloc.start()
        start = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - start
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return out, top / 2**20, seconds

    graph, inputs_mb, _ = peak(lambda: _synthetic_graph(args.assembly))
    groups, links, counts = graph
    whole, one_mb, one_s = peak(lambda: assemble(groups, links, counts, [], training, set(), params, cap, 13))
    uf = UnionFind()
    for p in links:
        uf.union(p.a, p.b)
    label = {node: comp[0] for comp in uf.groups() for node in comp}
    parts: dict = {}
    for sha, refs in groups:
        parts.setdefault(label.get(refs[0], refs[0]), ([], []))[0].append((sha, refs))
    for p in links:
        parts.setdefault(label[p.a], ([], []))[1].append(p)
    results, worst_mb, worst_s = [], 0.0, 0.0
    for g, ls in parts.values():
        result, mb, sec = peak(lambda g=g, ls=ls: component_result(g, ls, training, set(), cap))
        results.append(result)
        worst_mb, worst_s = max(worst_mb, mb), max(worst_s, sec)
    merged, merged_mb, _ = peak(lambda: merge_results(results))
    split = finish_report(merged, counts, [], training, set(), params, 13)
    assert split == whole, "per-component assembly differs from assembly in one piece"

    def write_side():  # what the stage's writer does: reports, then each table as columns in turn
        report = finish_report(merged, counts, [], training, set(), params, 13, rows=False)
        sizes = [len(table_columns(merged, name)["cluster_id"]) for name in ("clusters", "pairs")]
        return report, sizes

    _, finish_mb, finish_s = peak(write_side)
    largest = max(len(g) for _, g in groups)
    rows = {"documents": args.assembly, "exact_groups": len(groups), "links": len(links), "components": len(parts),
            "largest_group": largest, "inputs_mb": round(inputs_mb, 1),
            "one_piece_peak_mb": round(one_mb, 1), "one_piece_seconds": round(one_s, 2),
            "largest_component_peak_mb": round(worst_mb, 1), "largest_component_seconds": round(worst_s, 2),
            "merged_rows_mb": round(merged_mb, 1), "writer_peak_mb": round(finish_mb, 1),
            "writer_seconds": round(finish_s, 2)}
    print(f"  {args.assembly:,} documents, {len(groups):,} exact groups (largest {largest:,}), {len(links):,} links, "
          f"{len(parts):,} components")
    print(f"  inputs (every group and link, as the writer used to receive them): {inputs_mb:,.1f} MB")
    print(f"  one piece (assemble):      peak {one_mb:,.1f} MB above the inputs, {one_s:,.2f} s")
    print(f"  per component (largest):   peak {worst_mb:,.1f} MB, {worst_s:,.2f} s")
    print(f"  writer: merging the components' rows {merged_mb:,.1f} MB; reports and table columns "
          f"peak {finish_mb:,.1f} MB, {finish_s:,.2f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "provaudit-bench-corpus")
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--text-dedup-python", default="/tmp/venv-textdedup/bin/python",
                    help="Python of a venv with text-dedup installed (skipped when missing)")
    ap.add_argument("--skip", default="", help="comma-separated peers to skip: rensa,text-dedup")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    ap.add_argument("--exact-copies", type=int, metavar="N",
                    help="exact-copy mode: one text N times plus --distinct documents, against as many "
                         "distinct documents")
    ap.add_argument("--distinct", type=int, default=1000, metavar="M",
                    help="exact-copy mode: distinct documents beside the copies (default 1000)")
    ap.add_argument("--provaudit-src", type=Path, help="exact-copy mode: run the overlap from this source tree")
    ap.add_argument("--timeout", type=float, help="exact-copy mode: stop an overlap run after this many seconds")
    ap.add_argument("--assembly", type=int, metavar="N",
                    help="assembly mode: peak Python memory (tracemalloc) of assembling the outputs of a "
                         "synthetic duplicate graph of N documents in one piece vs per connected component")
    args = ap.parse_args(argv)
    if args.assembly is not None:
        return assembly_main(args)
    if args.exact_copies is not None:
        if args.exact_copies < 2 or args.distinct < 0:
            ap.error("--exact-copies must be at least 2 and --distinct at least 0")
        return exact_copies_main(args)
    skip = set(filter(None, args.skip.split(",")))

    from datasketch import MinHashLSH

    from provaudit.core.config import load_config
    from provaudit.core.overlap import lsh_params
    from provaudit.stages.overlap import run_overlap
    from provaudit.stages.scan import run_scan

    params = lsh_params(THRESHOLD, NUM_PERM, WEIGHTS[1])
    probe = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, weights=WEIGHTS)
    assert (probe.b, probe.r) == (params.bands, params.rows), "datasketch and provaudit band differently"

    shards = scan_bench.ensure_corpus(args.corpus, args.docs)
    with tempfile.TemporaryDirectory(prefix="provaudit-overlap-bench-") as tmp:
        workdir = Path(tmp)
        config_path = write_config(shards, args.docs, workdir)
        config = load_config(config_path)

        start = time.perf_counter()
        scanned = run_scan(config, report=lambda line: None)
        scan_seconds = time.perf_counter() - start
        run_dir = Path(scanned.run_dir)
        ledger = read_ledger(run_dir)
        print(f"corpus {args.corpus}: {len(ledger.keys):,} documents ({len(ledger.keys) - len(ledger.live)} "
              f"with no shingle left out); LSH {params.bands} bands x {params.rows} rows, Jaccard >= "
              f"{THRESHOLD}, num_perm {NUM_PERM}; median of {args.repeat}")
        print(f"step 0, not compared: provaudit scan (DirectRunner, 1 worker) {scan_seconds:.1f} s\n")

        def overlap() -> tuple[float, dict]:
            begin = time.perf_counter()
            result = run_overlap(config, run_dir.name, report=lambda line: None)
            return time.perf_counter() - begin, result.summary

        (ours_s,), summary = median_runs(overlap, args.repeat)
        ours = provaudit_pairs(run_dir, ledger)
        assert summary["pairs_dropped_by_cap"] == 0 and summary["verified_pairs"] == len(ours)
        table = Table(ours)
        table.add("provaudit overlap (Beam DirectRunner, 1 worker)", ours_s, ours,
                  note=f"{summary['clusters']:,} clusters, {summary['exact_groups']:,} exact groups")

        (query_s, ds_s), ds_pairs = median_runs(lambda: datasketch_run(ledger), args.repeat)
        table.add("datasketch MinHashLSH insert+query+verify", ds_s, ds_pairs)
        table.add("datasketch MinHashLSH insert+query (no verify)", query_s, note="candidates only")

        texts = normalised_texts(config_path, ledger) if {"rensa", "text-dedup"} - skip else []
        if "rensa" not in skip:
            try:
                tokens = rensa_tokens(texts)
                (sign_s, lsh_s), rensa_pairs = median_runs(lambda: rensa_run(tokens, ledger),
                                                                    args.repeat)
                table.add(f"rensa RMinHashLSH {RENSA_BANDS}x{NUM_PERM // RENSA_BANDS} insert+query+verify",
                          lsh_s, rensa_pairs, note="own signatures")
                table.add("rensa signatures + LSH", sign_s + lsh_s, rensa_pairs,
                          note=f"signatures {sign_s:.2f} s (shingles made beforehand)")
            except ImportError:
                print("  rensa: not installed, skipped")

        if "text-dedup" not in skip:
            if not Path(args.text_dedup_python).exists():
                print(f"  text-dedup: no Python at {args.text_dedup_python}, skipped "
                      "(python3 -m venv DIR && DIR/bin/pip install text-dedup)")
            else:
                step = text_dedup_step(args.text_dedup_python, texts, workdir, (params.bands, params.rows))

                def timed_text_dedup() -> tuple[float, float, float, float, list[list[int]]]:
                    begin = time.perf_counter()
                    own, clusters = step()
                    nan = float("nan")
                    return (time.perf_counter() - begin, own.get("Total", nan), own.get("MinHashing", nan),
                            own.get("Clustering", nan), clusters)

                try:
                    (td_s, td_total, td_sign, td_lsh), clusters = median_runs(timed_text_dedup, args.repeat)
                    docs = {int(ledger.live[i]) for c in clusters for i in c}
                    table.add("text-dedup minhash (subprocess, 1 proc, no verify)", td_s, docs=docs,
                              note=f"its own Total {td_total:.2f} s: signatures {td_sign:.2f} s, "
                                   f"LSH+union-find {td_lsh:.2f} s; documents only")
                    table.add("text-dedup LSH + union-find alone (its timer)", td_lsh, docs=docs,
                              note="no verification")
                except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
                    print(f"  text-dedup: could not run ({exc}), skipped")

        table.print("datasketch MinHashLSH insert+query+verify")
        ratio = ours_s / ds_s
        agree = jaccard(ours, ds_pairs)
        print(f"\n  provaudit / datasketch: {ratio:.2f}x the time (target <= 2x); pair agreement {agree:.4f} "
              "(target >= 0.98)")
    if args.json:
        args.json.write_text(json.dumps({"documents": len(ledger.keys), "live": len(ledger.live),
                                         "scan_seconds": round(scan_seconds, 3), "repeat": args.repeat,
                                         "rows": table.rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
