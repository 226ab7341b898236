"""Per-document cost of the findings, this tree against an earlier revision, side by side.

    python benchmarks/findings_cost.py --baseline REV|DIR [--corpus DIR] [--docs 20000]
                                       [--repeat 5] [--json OUT]

Why: a change to the findings (language, licences, personal information, MinHash) may
make each document dearer; the issues that change them state a ceiling as a ratio
("at most 25% over today's"). Machines here are noisy, so the two trees are timed in
alternation, each run in a fresh process, and the medians compared.

How: the baseline's ``src/`` is exported with ``git archive REV`` into a temporary folder
(nothing in the work tree or the repository changes); a ``--baseline`` that is a folder
holding ``src/`` (e.g. a ``git worktree`` with uncommitted edits) is used as it is. For every repeat, each tree runs
:data:`WORKER` in its own Python process with that tree's ``src`` first on ``sys.path``:
it reads the same documents with the tree's own reader, builds the tree's ``Annotator``
with its defaults, warms it up on the first 200 documents, then times
``Annotator.annotate`` over all documents (reading excluded). Printed: per tree the median
documents/s and seconds per 1,000 documents, the median documents per CPU second of the
process (its user + system time: one core's throughput, less disturbed than wall time when
other work shares the machine), and the cost ratio current / baseline of both.

The corpus is ``DIR/part-*.jsonl.gz`` as written by ``benchmarks/corpus.py DIR --docs N
--flat`` (written first when missing, as for ``benchmarks/scan.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

WORKER = r"""
import json, sys, time
from pathlib import Path
from provaudit.core.findings import Annotator, SourceFacts
from provaudit.core.readers import ReaderSpec, read_shard
from provaudit.core.records import Document

corpus, limit = Path(sys.argv[1]), int(sys.argv[2])
spec = ReaderSpec(source="bench", format="jsonl", license_field="license", url_field="url")
docs = []
for shard in sorted(corpus.glob("part-*.jsonl.gz")):
    for item in read_shard(str(shard), shard.name, spec):
        if isinstance(item, Document):
            docs.append(item)
    if len(docs) >= limit:
        break
docs = docs[:limit]
facts = SourceFacts(None, "open-license")
annotator = Annotator()
annotator.setup()
for doc in docs[:200]:
    annotator.annotate(doc, facts)
start, cpu = time.perf_counter(), time.process_time()
for doc in docs:
    annotator.annotate(doc, facts)
seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"docs": len(docs), "seconds": seconds, "cpu_seconds": cpu_seconds}))
"""


def export_revision(rev: str, into: Path) -> Path:
    """Write ``rev``'s ``src/`` under ``into`` with ``git archive``; return that ``src`` folder.

    ``src/provaudit/schemas`` and ``src/provaudit/expectations`` are links to folders at the
    repository root (``../../schemas``): the folders they name are exported too, else the
    baseline would hold dangling links and fail at its first schema.
    """
    archive = into / "baseline.tar"
    with archive.open("wb") as fh:
        subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "src"], check=True, stdout=fh)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    src = into / "src"
    linked = sorted({Path(os.readlink(p)).name for p in (src / "provaudit").iterdir() if p.is_symlink()})
    if linked:
        with archive.open("wb") as fh:
            subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, *linked], check=True, stdout=fh)
        with tarfile.open(archive) as tar:
            tar.extractall(into, filter="data")
    return src


def run_tree(src: Path, corpus: Path, docs: int, cache: Path) -> dict:
    """Time the findings once in a fresh process importing provaudit from ``src``."""
    env = dict(os.environ, PYTHONPATH=str(src), NUMBA_CACHE_DIR=str(cache))
    out = subprocess.run([sys.executable, "-c", WORKER, str(corpus), str(docs)], check=True,
                         capture_output=True, text=True, env=env, cwd=str(cache))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True,
                        help="git revision to compare against (e.g. a tag or commit), or a folder holding src/")
    parser.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "provaudit-bench-corpus",
                        help="corpus folder (written by benchmarks/corpus.py when missing)")
    parser.add_argument("--docs", type=int, default=20000, help="documents to time (default 20000)")
    parser.add_argument("--repeat", type=int, default=5, help="alternating runs per tree; medians reported")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)

    from scan import ensure_corpus  # benchmarks/scan.py: writes the corpus when missing

    ensure_corpus(args.corpus, args.docs)
    with tempfile.TemporaryDirectory(prefix="provaudit-baseline-") as tmp:
        given = Path(args.baseline)
        if given.is_dir() and not (given / "src" / "provaudit").is_dir():
            parser.error(f"--baseline {given}: folder without src/provaudit")
        base = given / "src" if given.is_dir() else export_revision(args.baseline, Path(tmp))
        trees = {"baseline": base, "current": ROOT / "src"}
        times: dict[str, list[float]] = {name: [] for name in trees}
        cpu: dict[str, list[float]] = {name: [] for name in trees}
        counts: dict[str, int] = {}
        for i in range(args.repeat):
            order = list(trees) if i % 2 == 0 else list(reversed(trees))
            for name in order:
                cache = Path(tmp) / f"numba-cache-{name}"
                cache.mkdir(exist_ok=True)
                result = run_tree(trees[name], args.corpus, args.docs, cache)
                counts[name] = result["docs"]
                times[name].append(result["seconds"])
                cpu[name].append(result["cpu_seconds"])
                print(f"  run {i + 1}/{args.repeat} {name:<8} {result['docs'] / result['seconds']:>9,.0f} docs/s "
                      f"{result['docs'] / result['cpu_seconds']:>9,.0f} docs per CPU second", flush=True)
    figures = {}
    for name, secs in times.items():
        median = statistics.median(secs)
        figures[name] = {"docs": counts[name], "median_seconds": round(median, 3),
                         "docs_per_s": round(counts[name] / median, 1),
                         "docs_per_cpu_s": round(counts[name] / statistics.median(cpu[name]), 1),
                         "ms_per_1000_docs": round(1000 * median / counts[name] * 1000, 1)}
    ratio = (figures["current"]["median_seconds"] / figures["current"]["docs"]) / (
        figures["baseline"]["median_seconds"] / figures["baseline"]["docs"])
    figures["cost_ratio"] = round(ratio, 3)
    cpu_ratio = figures["baseline"]["docs_per_cpu_s"] / figures["current"]["docs_per_cpu_s"]
    figures["cpu_cost_ratio"] = round(cpu_ratio, 3)
    figures["baseline_revision"] = args.baseline
    for name in trees:
        f = figures[name]
        print(f"{name:<8} {f['docs_per_s']:>9,.0f} docs/s  {f['ms_per_1000_docs']:>8.1f} ms per 1,000 documents "
              f"{f['docs_per_cpu_s']:>9,.0f} docs per CPU second (medians of {args.repeat})")
    print(f"per-document cost: current / baseline = {ratio:.3f} ({(ratio - 1) * 100:+.1f}%) wall, "
          f"{cpu_ratio:.3f} ({(cpu_ratio - 1) * 100:+.1f}%) CPU")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
