"""The scale benchmark: ``provaudit run`` end to end on corpora of 100k, 300k and 1M documents.

    python benchmarks/scale.py [--sizes 100000,300000,1000000] [--out DIR] [--workers 1|2]
                               [--stages scan,overlap,profile,validate,disclose] [--repeat 1]
                               [--compare-workers SIZE] [--small-files N] [--seed 0]
                               [--dup-share 0.2] [--shard-docs 10000] [--jobs 1] [--corpus DIR]
                               [-- BEAM_ARGS...]

Contract. The corpus is written by ``benchmarks/scale_corpus.py`` into ``OUT/corpus/`` (or
``--corpus DIR``, e.g. one generated beforehand)
(real text of this machine, five sources, ``--dup-share`` planted exact and near copies,
shards of ``--shard-docs`` documents per source); it is resumable, and the sizes share
shards (the 100k corpus is the prefix of the 1M one), so an interrupted or repeated
benchmark only writes what is missing. Nothing is downloaded.

For every size (and ``--repeat`` times) a fresh run folder ``OUT/runs/n<N>-w<W>-r<R>/``
gets a config pointing at that size's registry, and either

- all five stages: one ``python -m provaudit.cli run CONFIG --log-format json`` subprocess,
  whose per-stage JSON lines (``stage``, ``duration_seconds``) give each stage's wall time;
  a stage's window is [line time - duration, line time]; or
- with ``--stages`` naming a subset: one subprocess per stage (``provaudit scan CONFIG``,
  ``provaudit overlap CONFIG`` ...), each timed around its process.

Meanwhile a sampler thread reads, every 0.2 s, the resident memory (``/proc/<pid>/statm``)
of the subprocess and every descendant (found through ``/proc/<pid>/stat``; Beam's
multi-processing workers are children) and sums it: a stage's peak memory is the highest
sum sampled in its window, the run's the highest overall. Documents/s is the corpus size
divided by the stage's wall time.

``--workers 2`` adds ``--direct_running_mode=multi_processing --direct_num_workers=2`` to
the Beam options (``--workers 1``: the config's default, the in-memory DirectRunner);
options after ``--`` are passed to every provaudit command as Beam options.

``--compare-workers SIZE`` runs scan then overlap at SIZE with one worker, then with two,
and reports each stage's speed-up (the issue's target: at least 1.7x at 300,000).
``--small-files N`` writes (once, into ``OUT/small-<N>/``) N one-line documents (first 200 characters of the corpus's
documents, whitespace folded) as N text files of one source and as 10 JSONL shards of
another folder, scans each (scan only), and reports documents/s of each and the ratio
files / shards (target: at least 0.5). Either mode replaces the size table unless
``--sizes`` is given too.

Output: progress lines with timestamps on standard error; ``OUT/results-<stamp>.json``
(every measurement, the machine, the commands) and ``OUT/results-<stamp>.md`` (the table:
one row per size with per-stage seconds, documents/s and peak MB, then the ratio rows
largest/smallest size for time, limit 1.1 x the size ratio (11x for 1M/100k), and memory,
limit 1.5x), also printed. Exit code 0 when every command exited 0 or 1 (1: a failed
critical expectation, which is a finding, not a benchmark failure), 2 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import scale_corpus

STAGES = ["scan", "overlap", "profile", "validate", "disclose"]
TWO_WORKERS = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]
PAGE = os.sysconf("SC_PAGE_SIZE")
TIME_LIMIT_PER_SIZE_RATIO = 1.1
MEMORY_LIMIT = 1.5


def log(msg: str) -> None:
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} scale: {msg}", file=sys.stderr, flush=True)


# --- memory of a process tree -----------------------------------------------------------------

def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: fields follow the last ')'
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree_pids(root: int) -> list[int]:
    """``root`` and all its descendants alive now."""
    kids = _children_map()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def tree_rss(root: int) -> int:
    """Resident memory in bytes summed over ``root`` and its descendants (0 when gone)."""
    total = 0
    for pid in tree_pids(root):
        try:
            with open(f"/proc/{pid}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


class TreeSampler:
    """Sample a process tree's summed RSS every ``interval`` seconds in a thread."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, int]] = []  # (time.monotonic(), bytes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), tree_rss(self.pid)))
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self, start: float = float("-inf"), end: float = float("inf")) -> int:
        """Highest sample in [start, end] (the nearest sample when none falls inside)."""
        inside = [b for t, b in self.samples if start <= t <= end]
        if inside:
            return max(inside)
        near = sorted(self.samples, key=lambda s: min(abs(s[0] - start), abs(s[0] - end)))
        return near[0][1] if near else 0


# --- running provaudit -------------------------------------------------------------------------

def run_command(cmd: list[str], log_path: Path, interval: float = 0.2) -> dict:
    """Run ``cmd``; return exit code, seconds, peak tree RSS, per-stage JSON lines with arrival times."""
    stages = []
    with open(log_path, "w", encoding="utf-8") as logf:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                errors="replace")
        with TreeSampler(proc.pid, interval) as sampler:
            assert proc.stderr is not None
            for line in proc.stderr:
                now = time.monotonic()
                logf.write(line)
                logf.flush()
                if line.startswith("{"):
                    try:
                        rec = json.loads(line)
                    except ValueError:
                        rec = {}
                    if "stage" in rec and "duration_seconds" in rec:
                        stages.append((rec["stage"], rec.get("status"), float(rec["duration_seconds"]), now))
                        log(f"  {rec['stage']} {rec.get('status')} in {rec['duration_seconds']:.1f} s")
                    elif "message" in rec:
                        log(f"  {rec['message']}")
                elif line.strip():
                    log(f"  {line.rstrip()}")
            code = proc.wait()
        end = time.monotonic()
    return {"exit_code": code, "seconds": end - start, "start": start, "end": end, "stages": stages,
            "sampler": sampler}


def write_run_config(size_dir: Path, run_dir: Path) -> Path:
    """A config beside the run folder: the size's registry, output ``run_dir/out``."""
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    text = (size_dir / "config.yaml").read_text("utf-8").splitlines()
    text = [f"registry: {json.dumps(str((size_dir / 'registry.yaml').resolve()))}" if ln.startswith("registry:")
            else f"output: {json.dumps(str(run_dir / 'out'))}" if ln.startswith("output:") else ln for ln in text]
    config = run_dir / "config.yaml"
    config.write_text("\n".join(text) + "\n", encoding="utf-8")
    return config


def provaudit(command: str, config: Path, beam: list[str]) -> list[str]:
    cmd = [sys.executable, "-m", "provaudit.cli", command, str(config)]
    if command == "run":
        cmd += ["--log-format", "json"]
    return cmd + (["--", *beam] if beam else [])


def measure(size_dir: Path, run_dir: Path, docs: int, stages: list[str], beam: list[str]) -> dict:
    """One end-to-end measurement; per stage and ``run``: seconds, documents/s, peak MB."""
    config = write_run_config(size_dir, run_dir)
    out: dict = {"documents": docs, "stages": {}, "commands": []}
    failed = False
    if stages == STAGES:
        cmd = provaudit("run", config, beam)
        out["commands"].append(" ".join(cmd))
        r = run_command(cmd, run_dir / "run.log")
        s = r["sampler"]
        for name, status, secs, at in r["stages"]:  # the five, and any other the run reports (index)
            if name != "run":
                out["stages"][name] = {"seconds": round(secs, 3), "status": status,
                                       "peak_mb": round(s.peak(at - secs, at) / 2**20, 1)}
        out["stages"]["run"] = {"seconds": round(r["seconds"], 3), "peak_mb": round(s.peak() / 2**20, 1)}
        out["exit_code"] = r["exit_code"]
        failed = r["exit_code"] not in (0, 1)
        missing = [st for st in STAGES if st not in out["stages"]]
        if missing and not failed:
            out["problem"] = f"no stage line for {', '.join(missing)} in {run_dir / 'run.log'}"
    else:
        total, peak, codes = 0.0, 0, []
        for name in stages:
            cmd = provaudit(name, config, beam)
            out["commands"].append(" ".join(cmd))
            r = run_command(cmd, run_dir / f"{name}.log")
            p = r["sampler"].peak()
            out["stages"][name] = {"seconds": round(r["seconds"], 3), "peak_mb": round(p / 2**20, 1),
                                   "exit_code": r["exit_code"]}
            log(f"  {name}: exit {r['exit_code']} in {r['seconds']:.1f} s, peak {p / 2**20:,.0f} MB")
            total, peak = total + r["seconds"], max(peak, p)
            codes.append(r["exit_code"])
            if r["exit_code"] not in (0, 1):
                failed = True
                break
        out["stages"]["run"] = {"seconds": round(total, 3), "peak_mb": round(peak / 2**20, 1),
                                "note": "sum of the stage commands"}
        out["exit_code"] = next((c for c in codes if c not in (0, 1)), max(codes))
    for st in out["stages"].values():
        st["docs_per_s"] = round(docs / st["seconds"], 1) if st["seconds"] else None
    if failed:
        out["problem"] = f"a command exited {out['exit_code']}; see the logs in {run_dir}"
    return out


def median_of(runs: list[dict]) -> dict:
    """Medians over repeats, per stage (seconds and peak MB)."""
    names = [n for n in STAGES + ["run"] if all(n in r["stages"] for r in runs)]
    docs = runs[0]["documents"]
    med = {}
    for n in names:
        secs = statistics.median(r["stages"][n]["seconds"] for r in runs)
        med[n] = {"seconds": round(secs, 3), "docs_per_s": round(docs / secs, 1) if secs else None,
                  "peak_mb": round(statistics.median(r["stages"][n]["peak_mb"] for r in runs), 1)}
    return med


# --- tables ------------------------------------------------------------------------------------

def size_table(results: dict, stages: list[str]) -> str:
    cols = stages + ["run"]
    head = "| documents | " + " | ".join(f"{c} s | {c} docs/s | {c} peak MB" for c in cols) + " |"
    sep = "|---:|" + "---:|---:|---:|" * len(cols)
    rows = [head, sep]
    sizes = sorted(results, key=int)
    for n in sizes:
        m = results[n]["median"]
        cells = []
        for c in cols:
            v = m.get(c)
            cells += ([f"{v['seconds']:,.1f}", f"{v['docs_per_s']:,.0f}", f"{v['peak_mb']:,.0f}"] if v
                      else ["-", "-", "-"])
        rows.append(f"| {int(n):,} | " + " | ".join(cells) + " |")
    if len(sizes) >= 2:
        lo, hi = sizes[0], sizes[-1]
        size_ratio = int(hi) / int(lo)
        tlim = TIME_LIMIT_PER_SIZE_RATIO * size_ratio
        for label, key, limit in (("time", "seconds", tlim), ("memory", "peak_mb", MEMORY_LIMIT)):
            cells = []
            for c in cols:
                a, b = results[lo]["median"].get(c), results[hi]["median"].get(c)
                if a and b and a[key]:
                    r = b[key] / a[key]
                    mark = "ok" if r <= limit else "OVER"
                    cells += ([f"{r:.2f}x {mark}", "", ""] if key == "seconds" else ["", "", f"{r:.2f}x {mark}"])
                else:
                    cells += ["-", "", ""]
            rows.append(f"| {label} {int(hi):,}/{int(lo):,} (limit {limit:.1f}x) | " + " | ".join(cells) + " |")
    return "\n".join(rows)


# --- compare workers, small files -------------------------------------------------------------

def compare_workers(corpus_dir: Path, size: int, out: Path, beam: list[str], args) -> dict:
    res = scale_corpus.ensure_shards(corpus_dir, size, args.seed, args.dup_share, args.shard_docs, args.jobs)
    docs = res["truth"]["documents"]
    got = {}
    for w in (1, 2):
        log(f"compare-workers: {docs:,} documents, scan + overlap with {w} worker{'s' * (w > 1)}")
        got[w] = measure(res["dir"], out / "runs" / f"workers-n{size}-w{w}", docs, ["scan", "overlap"],
                         beam + (TWO_WORKERS if w == 2 else []))
    speedup = {st: round(got[1]["stages"][st]["seconds"] / got[2]["stages"][st]["seconds"], 3)
               for st in ("scan", "overlap") if st in got[1]["stages"] and st in got[2]["stages"]
               and got[2]["stages"][st]["seconds"]}
    return {"documents": docs, "one_worker": got[1], "two_workers": got[2], "speedup": speedup, "target": 1.7}


def one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit)
    return flat[: cut if cut > limit // 2 else limit]


def write_small_files(corpus_dir: Path, n: int, args) -> Path:
    """OUT/small-<N>/: files/ (N one-document text files) and shards/ (10 JSONL shards), resumable."""
    root = args.out.resolve() / f"small-{n}"
    done = root / "done.json"
    if done.is_file():
        return root
    if root.exists():
        shutil.rmtree(root)
    rows, _ = scale_corpus.load_pieces(corpus_dir, args.seed)
    pieces = scale_corpus.Pieces(rows)
    (root / "files").mkdir(parents=True)
    (root / "shards").mkdir()
    per = (n + 9) // 10
    shard_rows: list[str] = []
    log(f"small-files: writing {n:,} one-line documents as files and as 10 shards under {root}")
    for i in range(n):
        text = one_line(scale_corpus.unique_doc(pieces, args.seed, i)["text"])
        did = f"doc-{i:07d}"
        (root / "files" / f"{did}.txt").write_text(text + "\n", encoding="utf-8")
        shard_rows.append(json.dumps({"id": did, "text": text}, ensure_ascii=False))
        if len(shard_rows) == per or i == n - 1:
            (root / "shards" / f"part-{i // per:05d}.jsonl").write_text("\n".join(shard_rows) + "\n", encoding="utf-8")
            shard_rows = []
    for kind, paths, fmt in (("files", "files/*.txt", "text"), ("shards", "shards/*.jsonl", "jsonl")):
        fields = "  text_field: text\n  id_field: id\n" if fmt == "jsonl" else ""  # text: one file, one document
        (root / f"registry-{kind}.yaml").write_text(f"""# small-files benchmark registry, written by benchmarks/scale.py
sources:
- name: small_{kind}
  description: "One-line documents of the scale corpus, as {kind} (benchmark)."
  paths: [{json.dumps(paths)}]
  format: {fmt}
{fields}  license: "GPL-2.0-or-later"
  acquisition: licensed
  evidence: "illustrative: benchmark registry"
  consent_basis: contract
  collected: {json.dumps(scale_corpus.corpus.COLLECTED)}
  languages_expected: []
""", encoding="utf-8")
        (root / f"config-{kind}.yaml").write_text(f"""registry: registry-{kind}.yaml
output: out-{kind}
beam:
  runner: DirectRunner
inspection:
  sample_size: 100
  seed: 0
validation: {{}}
""", encoding="utf-8")
    done.write_text(json.dumps({"documents": n}) + "\n", encoding="utf-8")
    return root


def small_files(corpus_dir: Path, n: int, beam: list[str], args) -> dict:
    root = write_small_files(corpus_dir, n, args)
    got = {}
    for kind in ("shards", "files"):
        out_dir = root / f"out-{kind}"
        if out_dir.exists():
            shutil.rmtree(out_dir)
        cmd = provaudit("scan", root / f"config-{kind}.yaml", beam)
        log(f"small-files: scan of {n:,} documents as {kind}")
        r = run_command(cmd, root / f"scan-{kind}.log")
        got[kind] = {"seconds": round(r["seconds"], 3), "docs_per_s": round(n / r["seconds"], 1),
                     "peak_mb": round(r["sampler"].peak() / 2**20, 1), "exit_code": r["exit_code"],
                     "command": " ".join(cmd)}
        log(f"  {kind}: exit {r['exit_code']}, {r['seconds']:.1f} s, {n / r['seconds']:,.0f} docs/s")
    ratio = round(got["files"]["docs_per_s"] / got["shards"]["docs_per_s"], 3)
    return {"documents": n, "files": got["files"], "ten_shards": got["shards"], "ratio_files_over_shards": ratio,
            "target": 0.5}


# --- main --------------------------------------------------------------------------------------

def code_rank(code: int) -> int:
    """0 or 1 as they are (1: a failed critical expectation); anything else (crash, signal) 2."""
    return code if code in (0, 1) else 2


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(x.replace("_", "")) for x in text.split(",") if x.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"--sizes: {text!r} is not a comma-separated list of integers") from None
    if not sizes or sizes[0] < 10:
        raise argparse.ArgumentTypeError("--sizes: every size must be at least 10")
    return sizes


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    beam = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=parse_sizes, help="corpus sizes (default 100000,300000,1000000)")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "provaudit-scale",
                    help="folder for the corpus (OUT/corpus, kept and reused), runs and results")
    ap.add_argument("--corpus", type=Path, help="corpus folder (default OUT/corpus), e.g. one written "
                    "beforehand by benchmarks/scale_corpus.py with the same --seed, --dup-share, --shard-docs")
    ap.add_argument("--workers", type=int, choices=(1, 2), default=1, help="Beam DirectRunner workers")
    ap.add_argument("--stages", default=",".join(STAGES),
                    help="comma-separated stages; all five: one `provaudit run`, else one command per stage")
    ap.add_argument("--repeat", type=int, default=1, help="measurements per size (medians reported)")
    ap.add_argument("--compare-workers", type=int, metavar="SIZE", help="scan+overlap at SIZE, 1 vs 2 workers")
    ap.add_argument("--small-files", type=int, metavar="N", help="scan N one-line files vs 10 shards")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dup-share", type=float, default=0.2)
    ap.add_argument("--shard-docs", type=int, default=10000, help="documents per corpus shard (per source)")
    ap.add_argument("--jobs", type=int, default=1, help="processes writing corpus shards")
    ap.add_argument("--keep-runs", action="store_true", help="keep the run folders (default: remove each after use)")
    args = ap.parse_args(argv)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    bad = [s for s in stages if s not in STAGES]
    if bad or not stages:
        ap.error(f"--stages: unknown stage(s) {', '.join(bad)}; choose from {', '.join(STAGES)}")
    stages = [s for s in STAGES if s in stages]
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    sizes = args.sizes
    if sizes is None and args.compare_workers is None and args.small_files is None:
        sizes = [100000, 300000, 1000000]

    out = args.out.resolve()
    corpus_dir = args.corpus.resolve() if args.corpus else out / "corpus"
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    report: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                "platform": platform.platform()},
                    "argv": argv, "beam_args": beam, "workers": args.workers, "stages": stages,
                    "repeat": args.repeat, "corpus": str(corpus_dir)}
    extra = beam + (TWO_WORKERS if args.workers == 2 else [])
    md: list[str] = []
    worst = 0
    if sizes:
        results: dict = {}
        for n in sizes:
            log(f"corpus: {n:,} documents under {corpus_dir}")
            res = scale_corpus.ensure_shards(corpus_dir, n, args.seed, args.dup_share, args.shard_docs, args.jobs)
            runs = []
            for r in range(1, args.repeat + 1):
                run_dir = out / "runs" / f"n{n}-w{args.workers}-r{r}"
                log(f"{n:,} documents, {args.workers} worker(s), round {r}: {', '.join(stages)}")
                m = measure(res["dir"], run_dir, n, stages, extra)
                worst = max(worst, code_rank(m["exit_code"]))
                runs.append(m)
                log(f"{n:,} documents round {r}: run {m['stages']['run']['seconds']:.1f} s, peak "
                    f"{m['stages']['run']['peak_mb']:,.0f} MB" + (f"; {m['problem']}" if m.get("problem") else ""))
                if not args.keep_runs and not m.get("problem"):
                    shutil.rmtree(run_dir)
            results[str(n)] = {"truth": {k: res["truth"][k] for k in ("documents", "bytes", "planted_copies")},
                               "runs": runs, "median": median_of(runs)}
        report["sizes"] = results
        md += [(f"Scale: `provaudit run`, {args.workers} worker(s), median of {args.repeat} "
                f"({platform.python_version()}, {os.cpu_count()} CPUs)"), "", size_table(results, stages), ""]
        codes = {n: [r["exit_code"] for r in v["runs"]] for n, v in results.items()}
        if any(c for cs in codes.values() for c in cs):
            md += ["Exit codes (1: a critical expectation failed; the run still completed): " + "; ".join(
                f"{int(n):,}: {', '.join(map(str, cs))}" for n, cs in codes.items()), ""]
    if args.compare_workers:
        cw = compare_workers(corpus_dir, args.compare_workers, out, beam, args)
        report["compare_workers"] = cw
        md += [f"Workers at {cw['documents']:,} documents (target speed-up >= {cw['target']}x):", "",
               "| stage | 1 worker s | 2 workers s | speed-up |", "|---|---:|---:|---:|"]
        for st, sp in cw["speedup"].items():
            md.append(f"| {st} | {cw['one_worker']['stages'][st]['seconds']:,.1f} | "
                      f"{cw['two_workers']['stages'][st]['seconds']:,.1f} | {sp:.2f}x |")
        md.append("")
        worst = max(worst, code_rank(cw["one_worker"]["exit_code"]), code_rank(cw["two_workers"]["exit_code"]))
    if args.small_files:
        sf = small_files(corpus_dir, args.small_files, beam, args)
        report["small_files"] = sf
        md += [f"Small files: {sf['documents']:,} one-line documents, scan only (target ratio >= {sf['target']}):", "",
               "| layout | s | docs/s | peak MB |", "|---|---:|---:|---:|",
               (f"| {sf['documents']:,} files | {sf['files']['seconds']:,.1f} | "
                f"{sf['files']['docs_per_s']:,.0f} | {sf['files']['peak_mb']:,.0f} |"),
               (f"| 10 shards | {sf['ten_shards']['seconds']:,.1f} | {sf['ten_shards']['docs_per_s']:,.0f} | "
                f"{sf['ten_shards']['peak_mb']:,.0f} |"),
               f"| ratio files / shards | | {sf['ratio_files_over_shards']:.2f}x | |", ""]
        worst = max(worst, code_rank(sf["files"]["exit_code"]), code_rank(sf["ten_shards"]["exit_code"]))
    table = "\n".join(md)
    json_path, md_path = out / f"results-{stamp}.json", out / f"results-{stamp}.md"
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    md_path.write_text(table, encoding="utf-8")
    print(table)
    log(f"results: {json_path} and {md_path}")
    return 0 if worst in (0, 1) else 2


if __name__ == "__main__":
    sys.exit(main())
