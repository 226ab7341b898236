"""Benchmark the scan side by side with its floor and its peers, in one run, one process.

    python benchmarks/scan.py [--corpus DIR] [--docs 20000] [--repeat 3] [--json OUT]
                              [--skip language,signature,beam] [--baseline REV|DIR]

The corpus is ``DIR/part-*.jsonl.gz`` (fields ``text``, ``license``, ``url``) as written
by ``benchmarks/corpus.py DIR --docs N --flat`` (written first when missing).
Every row is timed ``--repeat`` times and the median reported, as documents/s and MB/s
of text (UTF-8 bytes of the normalised text); the floor and the findings loop also as
documents per CPU second of this process (user + system time: one core's throughput, the
figure to quote as "per core", less disturbed than wall time when other work shares the
machine):

  floor               provaudit's JSONL reader + NFC normalisation + SHA-256: the least any scan does
  datatrove reader    datatrove's JsonlReader over the same shards, if datatrove installs
  language            langdetect on the full text (the reference) vs provaudit's LanguageDetector
  signature           datasketch MinHash.bulk (word 5-grams, its SHA-1 hash) vs provaudit's
                      MinHasher, rensa's RMinHash and datatrove's MinhashDedupSignature
  findings loop       provaudit's read + every finding + Parquet encoding per shard, a plain loop
  Beam DirectRunner   the same scan through Beam (in process, one worker), from pipeline
                      construction to the last file written

Ratios printed: language and signature against their reference, Beam against the plain
loop (the cost of Beam itself). ``--baseline REV`` (a git revision, exported with ``git
archive``) or ``--baseline DIR`` (a folder holding ``src/``, e.g. a ``git worktree``) also
times the plain loop of that tree and of this one, each in a fresh process, alternating
``--repeat`` times: before and after in one run, with the ratio. ``--langdetect-docs`` limits the slow full-text langdetect
reference to the first N documents (agreement is computed on those).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from provaudit.core.config import ScanSettings
from provaudit.core.findings import Annotator, SourceFacts, normalize_text
from provaudit.core.ledger import rows_to_table, table_to_parquet_bytes
from provaudit.core.readers import ReaderSpec, read_shard
from provaudit.core.records import Document

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the language.py and signature.py benchmarks beside this file
MAKE_CORPUS = HERE / "corpus.py"  # the project's own real-text corpus generator
SPEC = ReaderSpec(source="bench", format="jsonl", license_field="license", url_field="url")
LONG_DOC = 200


def ensure_corpus(corpus: Path, docs: int) -> list[Path]:
    """Return the corpus shards, writing the corpus first when it is missing or too small."""
    shards = sorted(corpus.glob("part-*.jsonl.gz"))
    if sum(1 for s in shards for _ in _lines(s)) < docs:
        subprocess.run([sys.executable, str(MAKE_CORPUS), str(corpus), "--docs", str(docs), "--flat"],
                       check=True)
        shards = sorted(corpus.glob("part-*.jsonl.gz"))
    return shards


def _lines(shard: Path):
    import gzip

    with gzip.open(shard, "rt", encoding="utf-8") as fh:
        yield from fh


def read_documents(shards: list[Path], limit: int) -> list[Document]:
    """Read up to ``limit`` documents with provaudit's reader."""
    docs: list[Document] = []
    for shard in shards:
        for item in read_shard(str(shard), shard.name, SPEC):
            if isinstance(item, Document):
                docs.append(item)
                if len(docs) == limit:
                    return docs
    return docs


def timed(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Run ``repeat`` times; return the median seconds and the last result."""
    seconds, _cpu, result = timed_cpu(run, repeat)
    return seconds, result


def timed_cpu(run: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Run ``repeat`` times; return the median wall seconds, median CPU seconds, last result."""
    times, cpu, result = [], [], None
    for _ in range(repeat):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = run()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    return statistics.median(times), statistics.median(cpu), result


class Table:
    """Collect rows and print them aligned."""

    def __init__(self, docs: int, mb: float) -> None:
        self.docs, self.mb, self.rows = docs, mb, []

    def add(self, group: str, name: str, seconds: float, docs: int | None = None, note: str = "",
            cpu_seconds: float | None = None) -> dict:
        n = docs if docs is not None else self.docs
        mb = self.mb * n / self.docs
        row = {"group": group, "step": name, "seconds": round(seconds, 3), "docs": n,
               "docs_per_s": round(n / seconds, 1), "mb_per_s": round(mb / seconds, 2), "note": note}
        per_core = ""
        if cpu_seconds:
            row["cpu_seconds"] = round(cpu_seconds, 3)
            row["docs_per_cpu_s"] = round(n / cpu_seconds, 1)
            per_core = f"{row['docs_per_cpu_s']:>9,.0f} docs per CPU second  "
        self.rows.append(row)
        print(f"  {group:<10} {name:<44} {row['docs_per_s']:>11,.0f} docs/s {row['mb_per_s']:>8.2f} MB/s  "
              f"{per_core}{note}", flush=True)
        return row

    def rate(self, group: str, name: str) -> float:
        return next(r["docs_per_s"] for r in self.rows if r["group"] == group and r["step"] == name)


def floor_step(shards: list[Path], limit: int) -> Callable[[], int]:
    def run() -> int:
        n = 0
        for shard in shards:
            for item in read_shard(str(shard), shard.name, SPEC):
                if isinstance(item, Document):
                    hashlib.sha256(normalize_text(item.text).encode("utf-8")).digest()
                    n += 1
                    if n == limit:
                        return n
        return n
    return run


def datatrove_reader_step(corpus: Path, limit: int) -> Callable[[], int] | None:
    try:
        from datatrove.pipeline.readers import JsonlReader
    except Exception:  # noqa: BLE001 - absent or broken install: the row is skipped
        return None

    def run() -> int:
        reader = JsonlReader(str(corpus), glob_pattern="part-*.jsonl.gz", limit=limit, text_key="text",
                             id_key="id")
        n = 0
        for doc in reader.run():
            hashlib.sha256(doc.text.encode("utf-8")).digest()
            n += 1
        return n
    return run


def findings_loop_step(shards: list[Path], limit: int, annotator: Annotator) -> Callable[[], int]:
    """The scan's work without Beam: read each shard, annotate its documents as the scan does
    (``ANNOTATE_DOCS`` at a time with ``Annotator.annotate_many``; one at a time for a
    ``--baseline`` tree older than it), encode the shard's rows as Parquet."""
    facts = SourceFacts(None, "open-license")
    many = getattr(annotator, "annotate_many", None)
    try:
        from provaudit.beam.scan import ANNOTATE_DOCS
    except ImportError:  # a baseline tree from before annotate_many
        ANNOTATE_DOCS = 1

    def annotate(docs: list[Document]) -> list:
        if many is None:
            return [annotator.annotate(doc, facts) for doc in docs]
        return many(docs, [facts] * len(docs))

    def run() -> int:
        n = 0
        for shard in shards:
            if n == limit:
                break
            rows, pending = [], []
            for item in read_shard(str(shard), shard.name, SPEC):
                if isinstance(item, Document):
                    pending.append(item)
                    n += 1
                    if len(pending) == ANNOTATE_DOCS:
                        rows += annotate(pending)
                        pending = []
                    if n == limit:
                        break
            rows += annotate(pending)
            table_to_parquet_bytes(rows_to_table(rows))
        return n
    return run


LOOP_WORKER = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])  # benchmarks/ (this script's folder), after the tree's src
from scan import SPEC, findings_loop_step
from provaudit.core.findings import Annotator

shards, limit = sorted(Path(sys.argv[1]).glob("part-*.jsonl.gz")), int(sys.argv[2])
annotator = Annotator()
annotator.setup()
run = findings_loop_step(shards, min(limit, 200), annotator)
run()  # warm up
run = findings_loop_step(shards, limit, annotator)
start, cpu = time.perf_counter(), time.process_time()
n = run()
print(json.dumps({"docs": n, "seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu}))
"""


def baseline_loops(table: Table, corpus: Path, docs: int, baseline: str, repeat: int) -> None:
    """The plain loop of ``baseline`` and of this tree, each in fresh processes, alternating."""
    import statistics as stats

    from findings_cost import export_revision  # benchmarks/findings_cost.py

    with tempfile.TemporaryDirectory(prefix="provaudit-scan-baseline-") as tmp:
        given = Path(baseline)
        if given.is_dir() and not (given / "src" / "provaudit").is_dir():
            raise SystemExit(f"--baseline {given}: folder without src/provaudit")
        base = given / "src" if given.is_dir() else export_revision(baseline, Path(tmp))
        trees = {f"baseline {baseline}": base, "this tree": HERE.parent / "src"}
        runs: dict[str, list[dict]] = {name: [] for name in trees}
        for i in range(repeat):
            for name in (list(trees) if i % 2 == 0 else list(reversed(trees))):
                cache = Path(tmp) / f"numba-{list(trees).index(name)}"
                cache.mkdir(exist_ok=True)
                env = dict(os.environ, PYTHONPATH=str(trees[name]), NUMBA_CACHE_DIR=str(cache))
                out = subprocess.run([sys.executable, "-c", LOOP_WORKER, str(corpus), str(docs), str(HERE)],
                                     check=False, capture_output=True, text=True, env=env, cwd=str(cache))
                if out.returncode:  # show why: the worker's output is captured
                    raise SystemExit(f"plain loop of {name} failed (exit {out.returncode}):\n{out.stderr}")
                runs[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
        rows = {}
        for name, results in runs.items():
            rows[name] = table.add("before/after", f"plain loop, {name} (fresh process)",
                                   stats.median(r["seconds"] for r in results), results[0]["docs"],
                                   cpu_seconds=stats.median(r["cpu_seconds"] for r in results))
    before, after = rows.values()
    print(f"\n  findings loop, this tree / baseline: {after['docs_per_s'] / before['docs_per_s']:.2f}x documents/s, "
          f"{after['docs_per_cpu_s'] / before['docs_per_cpu_s']:.2f}x documents per CPU second")


def first_shards(shards: list[Path], limit: int, workdir: Path) -> list[str]:
    """Return shard paths holding the first ``limit`` documents: whole shards, then a prefix file."""
    use, n = [], 0
    for shard in shards:
        count = sum(1 for _ in _lines(shard))
        if n + count <= limit:
            use.append(str(shard))
            n += count
        else:
            import gzip

            part = workdir / f"head-{shard.name}"
            with gzip.open(part, "wt", encoding="utf-8") as out:
                for i, line in enumerate(_lines(shard)):
                    if i == limit - n:
                        break
                    out.write(line)
            use.append(str(part))
            break
    return use


def beam_step(shards: list[Path], limit: int, workdir: Path) -> Callable[[], int]:
    from provaudit.core.config import load_config
    from provaudit.stages.scan import run_scan

    use = first_shards(shards, limit, workdir)
    config = workdir / "bench.yaml"
    config.write_text(yaml.safe_dump({
        "output": str(workdir / "out"),
        "sources": [{"name": "bench", "paths": use, "format": "jsonl", "license_field": "license",
                     "url_field": "url", "acquisition": "open-license"}],
        "beam": {"runner": "DirectRunner", "direct_num_workers": 1},
    }))

    def run() -> int:
        result = run_scan(load_config(config), report=lambda line: None)
        return result.manifest["totals"]["ledger"]
    return run


def run_language(table: Table, texts: list[str], repeat: int, reference_docs: int | None) -> None:
    """langdetect on the full text (reference) against provaudit's detector, with agreement."""
    from langdetect import DetectorFactory, detect

    import language as lang_bench  # benchmarks/language.py

    DetectorFactory.seed = 0
    ref_texts = texts[:reference_docs] if reference_docs else texts
    full = lang_bench.langdetect_label(detect)
    ref_labels, ref_rate = lang_bench.run(full, ref_texts, repeat)
    table.add("language", "langdetect, full text (reference)", len(ref_texts) / ref_rate, len(ref_texts),
              note=f"on {len(ref_texts):,} documents" if reference_docs else "")
    label, _setup = lang_bench.provaudit_label(ScanSettings().language_prefix)
    labels, rate = lang_bench.run(label, texts, repeat)
    long_agree = lang_bench.agreement(labels[: len(ref_texts)], ref_labels, ref_texts, LONG_DOC)
    all_agree = lang_bench.agreement(labels[: len(ref_texts)], ref_labels, ref_texts, 0)
    table.add("language", "provaudit LanguageDetector", len(texts) / rate, len(texts),
              note=f"{rate / ref_rate:.1f}x reference; agrees on {long_agree:.2f}% of docs >= {LONG_DOC} "
                   f"chars ({all_agree:.2f}% of all)")


def run_signature(table: Table, texts: list[str], repeat: int) -> None:
    """datasketch MinHash.bulk (reference) against provaudit, rensa and datatrove."""
    import signature as sig_bench  # benchmarks/signature.py

    ref = sig_bench.time_step(sig_bench.step_datasketch_bulk("affine32", None), texts, repeat)
    table.add("signature", "datasketch MinHash.bulk, word 5-grams (reference)", ref)
    ours = sig_bench.time_step(sig_bench.step_provaudit("affine32"), texts, repeat)
    matches = sig_bench.count_matches(texts[:500], "affine32")
    table.add("signature", "provaudit MinHasher", ours,
              note=f"{ref / ours:.1f}x reference; identical to datasketch on {matches}/500 checked")
    rensa = sig_bench.step_rensa()
    if rensa is not None:
        sec = sig_bench.time_step(rensa, texts, repeat)
        table.add("signature", "rensa RMinHash (own hash: different signatures)", sec,
                  note=f"{ref / sec:.1f}x reference")
    dt = datatrove_signature_step()
    if dt is not None:
        sec = sig_bench.time_step(dt, texts, repeat)
        table.add("signature", "datatrove MinhashDedupSignature (sha1, 32-bit)", sec,
                  note=f"{ref / sec:.1f}x reference")


def datatrove_signature_step() -> Callable[[list[str]], None] | None:
    try:
        from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupSignature
        from datatrove.utils.hashing import HashConfig
    except Exception:  # noqa: BLE001 - absent or broken install: the row is skipped
        return None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            step = MinhashDedupSignature(output_folder=tmp,
                                         config=MinhashConfig(num_buckets=8, hashes_per_bucket=16,
                                                              hash_config=HashConfig(precision=32, hash_fc="sha1")))
    except Exception as exc:  # noqa: BLE001 - e.g. its word tokenizer needs spacy
        print(f"  signature  datatrove MinhashDedupSignature skipped: {exc}")
        return None

    def run(texts: list[str]) -> None:
        for text in texts:
            sh = step.get_shingles(text)
            if sh.size:
                step.get_signature(sh)

    return run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "provaudit-bench-corpus")
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--langdetect-docs", type=int, default=None,
                    help="documents for the slow full-text langdetect reference (default: all)")
    ap.add_argument("--skip", default="", help="comma-separated groups to skip: language,signature,beam")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    ap.add_argument("--baseline", help="also time the plain loop of this git revision or folder holding src/, "
                                       "alternating with this tree's, each in fresh processes")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))

    shards = ensure_corpus(args.corpus, args.docs)
    docs = read_documents(shards, args.docs)
    texts = [normalize_text(d.text) for d in docs]
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"corpus {args.corpus}: {len(docs):,} documents, {mb:.1f} MB of text, "
          f"median {statistics.median(len(t) for t in texts):,.0f} chars; repeat {args.repeat} (medians)")
    table = Table(len(docs), mb)

    sec, cpu, n = timed_cpu(floor_step(shards, len(docs)), args.repeat)
    table.add("floor", "read + normalise + sha256 (provaudit reader)", sec, n, cpu_seconds=cpu)
    dt = datatrove_reader_step(args.corpus, len(docs))
    if dt is not None:
        sec, n = timed(dt, args.repeat)
        table.add("floor", "datatrove JsonlReader + sha256", sec, n)

    if "language" not in skip:
        run_language(table, texts, args.repeat, args.langdetect_docs)
    if "signature" not in skip:
        run_signature(table, texts, args.repeat)
    # The loops below read the shards themselves: drop this process's copy of the corpus, which
    # every full garbage collection would otherwise walk (a cost of the harness, not of the scan).
    n_docs = len(docs)
    del docs, texts
    gc.collect()

    annotator = Annotator()
    annotator.setup()
    sec, cpu, n = timed_cpu(findings_loop_step(shards, n_docs, annotator), args.repeat)
    loop = table.add("scan", "plain loop: read + findings + Parquet", sec, n, cpu_seconds=cpu)
    if args.baseline:
        baseline_loops(table, args.corpus, n_docs, args.baseline, args.repeat)
    if "beam" not in skip:
        with tempfile.TemporaryDirectory() as tmp:
            sec, n = timed(beam_step(shards, n_docs, Path(tmp)), args.repeat)
            beam_row = table.add("scan", "Beam DirectRunner scan (1 worker)", sec, n)
        print(f"\n  Beam overhead: {loop['docs_per_s'] / beam_row['docs_per_s']:.2f}x the plain loop's time "
              f"(target <= 2x)")
    if args.json:
        args.json.write_text(json.dumps(table.rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
