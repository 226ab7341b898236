"""Benchmark `provaudit lookup`: index build time, cold-start lookup time, peak memory.

What it does:

1. scans the bundled sample corpus (``provaudit sample``) with a fresh config, or reuses
   the run given by ``--sample-run``;
2. makes a benchmark run folder holding that run's manifest and ledger plus ``--docs``
   synthetic ledger rows (random MinHash signatures of the run's length, unique hashes,
   ids and URLs over 10,000 domains), written as Parquet files of 100,000 rows;
3. builds the run's lookup index in a child process (``build_index``, Beam with the
   config's runner) and reports its wall time and the child's peak RSS;
4. runs ``--lookups`` lookups, each a fresh ``python -m provaudit.cli lookup`` process
   (cold start: imports, index footers, MinHash kernels loaded from numba's cache), after
   evicting the index files from the page cache with ``posix_fadvise(DONTNEED)`` (or, with
   ``--drop-caches``, the whole page cache through ``/proc/sys/vm/drop_caches``): edited copies (one word in fifty changed)
   of sample documents by ``--text``, their hashes by ``--sha256``, and domains and URLs of
   synthetic rows; each must find what it looks for. Reports the median and 95th
   percentile of the process wall time and of the in-process lookup time (``seconds`` of
   ``--json``), and the largest child RSS.

Run it (the README figures come from the 1,000,000 form on a quiet machine):

    python benchmarks/lookup.py --docs 100000 --lookups 20
    python benchmarks/lookup.py --docs 1000000 --lookups 40 --drop-caches --json bench-lookup.json
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

ROOT = Path(__file__).resolve().parents[1]
ROWS_PER_FILE = 100_000
DOMAINS = 10_000


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return env


def _sample_run(work: Path) -> tuple[Path, Path]:
    """Scan the sample corpus; return (config path, run folder)."""
    from provaudit.core.config import load_config
    from provaudit.fixtures.sample import write_sample_corpus
    from provaudit.stages.scan import run_scan

    write_sample_corpus(work / "sample")
    config = work / "sample-config.yaml"
    config.write_text(yaml.safe_dump({"registry": str(work / "sample" / "registry.yaml"),
                                      "output": str(work / "sample-out"),
                                      "beam": {"runner": "DirectRunner"}}), encoding="utf-8")
    run_dir = run_scan(load_config(config), report=lambda line: None).run_dir
    return config, Path(run_dir)


def _synthetic_ledger(folder: Path, docs: int, num_perm: int, template: pa.Schema, seed: int = 7) -> None:
    """Write ``docs`` synthetic ledger rows (the ledger's schema) under ``folder``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, docs, ROWS_PER_FILE):
        n = min(ROWS_PER_FILE, docs - start)
        ids = np.arange(start, start + n)
        sigs = rng.integers(0, 2**32 - 1, size=(n, num_perm), dtype=np.uint32).astype("<u4")
        columns = {}
        for field in template:
            name = field.name
            if name == "doc_id":
                col = [f"syn-{i:09d}" for i in ids]
            elif name == "source":
                col = ["synthetic"] * n
            elif name == "shard":
                col = [f"synthetic/part-{i // ROWS_PER_FILE:05d}.jsonl" for i in ids]
            elif name == "location":
                col = [f"line:{i % ROWS_PER_FILE + 1}" for i in ids]
            elif name == "sha256":
                col = [hashlib.sha256(b"syn%d" % i).hexdigest() for i in ids]
            elif name == "url":
                col = [f"https://www.site{i % DOMAINS:05d}.example/doc/{i}" for i in ids]
            elif name == "domain":
                col = [f"site{i % DOMAINS:05d}.example" for i in ids]
            elif name == "minhash":
                col = [sigs[j].tobytes() for j in range(n)]
            elif name in ("license_spdx",):
                col = ["CC-BY-4.0"] * n
            elif name == "license_raw":
                col = ["CC BY 4.0"] * n
            elif name == "license_category":
                col = ["permissive"] * n
            elif name == "acquisition":
                col = ["self-collected"] * n
            elif name == "script":
                col = ["Latin"] * n
            elif name == "language":
                col = ["en"] * n
            elif pa.types.is_integer(field.type):
                col = [0] * n
            elif pa.types.is_floating(field.type):
                col = [1.0] * n
            elif pa.types.is_boolean(field.type):
                col = [False] * n
            else:
                col = [None if field.nullable else ""] * n
            columns[name] = pa.array(col, field.type)
        pq.write_table(pa.table(columns, schema=template), folder / f"synthetic-{start // ROWS_PER_FILE:05d}.parquet",
                       compression="zstd")


def _evict(folder: Path, drop_all: bool) -> None:
    """Drop a folder's files from the page cache (``drop_all``: the whole page cache, root only)."""
    if drop_all:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as fh:
            fh.write("3\n")
        return
    for root, _, files in os.walk(folder):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _queries(sample_run: Path, work: Path, count: int) -> list[tuple[list[str], str]]:
    """(lookup arguments, what must be found) for ``count`` lookups of four kinds."""
    from provaudit.core.config import load_config  # noqa: F401 - the package must import
    ledger = pq.read_table(sample_run / "ledger").to_pylist()
    news = sorted((r for r in ledger if r["source"] == "licensed_news" and r["chars"] > 1500
                   and r["shard"] == "licensed_news/2024-01.jsonl.gz"), key=lambda r: r["doc_id"])
    sample_dir = work / "sample"
    out: list[tuple[list[str], str]] = []
    for i in range(count):
        kind = i % 4
        row = news[i % len(news)]
        if kind == 0:  # an edited copy: one word in fifty changed
            with gzip.open(sample_dir / row["shard"], "rt", encoding="utf-8") as fh:
                body = json.loads(fh.read().splitlines()[int(row["location"].split(":")[1]) - 1])["body"]
            words = body.split(" ")
            for j in range(i % 50, len(words), 50):
                words[j] = "quokka"
            path = work / f"query-{i}.txt"
            path.write_text(" ".join(words), encoding="utf-8")
            out.append((["--text", str(path)], row["doc_id"]))
        elif kind == 1:
            out.append((["--sha256", row["sha256"]], row["doc_id"]))
        elif kind == 2:
            n = (i * 7919) % 1000
            out.append((["--domain", f"site{n:05d}.example"], f"syn-{n:09d}"))
        else:
            n = (i * 104729) % 1000
            out.append((["--url", f"https://www.site{n % DOMAINS:05d}.example/doc/{n}"], f"syn-{n:09d}"))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000, help="synthetic ledger rows (default 100,000)")
    parser.add_argument("--lookups", type=int, default=20, help="cold-start lookups (default 20, at least 20)")
    parser.add_argument("--sample-run", help="reuse this scanned sample run folder (its config: --sample-config)")
    parser.add_argument("--sample-config", help="the config that scanned --sample-run")
    parser.add_argument("--work", help="working folder (default: a temporary one, removed at the end)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--drop-caches", action="store_true",
                        help="drop the whole page cache before each lookup (root; a quiet machine only); "
                        "default: evict the index files with posix_fadvise(DONTNEED)")
    args = parser.parse_args()
    if args.lookups < 20:
        parser.error("--lookups: at least 20")
    work = Path(args.work or tempfile.mkdtemp(prefix="provaudit-bench-lookup-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.sample_run:
            if not args.sample_config:
                parser.error("--sample-run needs --sample-config")
            config, sample_run = Path(args.sample_config), Path(args.sample_run)
            if not (work / "sample").is_dir():
                from provaudit.fixtures.sample import write_sample_corpus

                write_sample_corpus(work / "sample")
        else:
            config, sample_run = _sample_run(work)
        cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
        bench_out = work / "bench-out"
        run = bench_out / sample_run.name
        shutil.rmtree(run, ignore_errors=True)
        (run / "ledger").mkdir(parents=True)
        shutil.copy(sample_run / "manifest.json", run / "manifest.json")
        shutil.copytree(sample_run / "ledger", run / "ledger", dirs_exist_ok=True)  # ledger/<source>/
        template = pq.read_schema(next((sample_run / "ledger").rglob("*.parquet")))
        num_perm = len(pq.read_table(next((sample_run / "ledger").rglob("*.parquet")),
                                     columns=["minhash"]).column("minhash")[0].as_py()) // 4
        t = time.monotonic()
        _synthetic_ledger(run / "ledger" / "synthetic", args.docs, num_perm, template)
        print(f"synthetic ledger: {args.docs:,} rows in {time.monotonic() - t:.1f} s", file=sys.stderr)
        bench_config = work / "bench-config.yaml"
        bench_config.write_text(yaml.safe_dump({**cfg, "output": str(bench_out)}), encoding="utf-8")

        build = ("import sys; from provaudit.core.config import load_config; "
                 "from provaudit.stages.lookup import build_index; "
                 "m = build_index(load_config(sys.argv[1]), sys.argv[2]); print(m['documents'])")
        t = time.monotonic()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        proc = subprocess.run([sys.executable, "-c", build, str(bench_config), str(run)], env=_env(),
                              capture_output=True, text=True, check=False)
        build_seconds = time.monotonic() - t
        if proc.returncode:
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        build_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        documents = int(proc.stdout.strip().splitlines()[-1])
        index_bytes = sum(f.stat().st_size for f in (run / "index").rglob("*") if f.is_file())
        print(f"index: {documents:,} documents built in {build_seconds:.1f} s, {index_bytes / 2**20:.1f} MiB, "
              f"peak RSS {max(build_rss, before) / 1024:.0f} MiB", file=sys.stderr)

        walls, inner, failures = [], [], []
        lookup_rss = 0
        by_kind: dict[str, list[float]] = {}
        for args_, expected in _queries(sample_run, work, args.lookups):
            _evict(run / "index", args.drop_caches)
            out_path, err_path = work / "lookup.out", work / "lookup.err"
            with open(out_path, "wb") as out, open(err_path, "wb") as err:
                t = time.monotonic()
                child = subprocess.Popen([sys.executable, "-m", "provaudit.cli", "lookup", str(bench_config),
                                          "--run", run.name, "--json", *args_], env=_env(), stdout=out, stderr=err)
                _, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS
                walls.append(time.monotonic() - t)
            child.returncode = os.waitstatus_to_exitcode(status)
            lookup_rss = max(lookup_rss, usage.ru_maxrss)
            if child.returncode not in (0, 1):
                print(err_path.read_text(encoding="utf-8")[-2000:], file=sys.stderr)
                return 1
            doc = json.loads(out_path.read_text(encoding="utf-8"))
            inner.append(doc["seconds"])
            by_kind.setdefault(args_[0].lstrip("-"), []).append(walls[-1])
            if expected not in {h["doc_id"] for h in doc["hits"]}:
                failures.append(f"{args_[0]} did not find {expected}")
        figures = {
            "documents": documents, "synthetic": args.docs, "index_build_seconds": round(build_seconds, 2),
            "index_mib": round(index_bytes / 2**20, 1), "build_peak_rss_mib": round(build_rss / 1024),
            "lookups": len(walls),
            "lookup_process_median_s": round(statistics.median(walls), 3),
            "lookup_process_p95_s": round(_pct(walls, 0.95), 3),
            "lookup_inprocess_median_s": round(statistics.median(inner), 4),
            "lookup_inprocess_p95_s": round(_pct(inner, 0.95), 4),
            "lookup_peak_rss_mib": round(lookup_rss / 1024),
            "lookup_process_median_s_by_kind": {k: round(statistics.median(v), 3) for k, v in sorted(by_kind.items())},
            "not_found": failures,
        }
        print(json.dumps(figures, indent=2))
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        return 1 if failures else 0
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
