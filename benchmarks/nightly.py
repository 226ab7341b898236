"""Benchmark ``provaudit nightly``: a cold night, an unchanged night, a night with one new shard.

    python benchmarks/nightly.py [--work DIR] [--docs 50000] [--repeat 3] [--json OUT]
                                 [--shard-docs 2500] [--seed 0] [--sources 6]
                                 [--command nightly] [--fail-on any|new] [-- BEAM_ARGS...]

The corpus is written once by ``benchmarks/corpus.py`` into ``WORK/corpus-<params>/`` (reused
when its ``truth.json`` shows the same parameters and corpus.py is unchanged), with one extra shard of 1% of
``--docs`` new documents held apart (``extra/<source>/``). Each of ``--repeat`` rounds
then starts from nothing: a fresh folder ``WORK/round-R/`` holding hard links to the
corpus shards (copies where links are impossible), the corpus's registry, and a config
whose output is ``WORK/round-R/out``. Three nights, each timed with ``time.perf_counter``
around one ``python -m provaudit.cli <command> CONFIG`` subprocess:

  night 1   cold: every shard is new                     expect every shard "scanned"
  night 2   nothing changed                              expect every shard "reused"
  night 3   the extra shard linked in beside the others  expect it alone "scanned"

After each night the run folder it created is found (the one new ``<output>/<run_id>/``),
checked against ``<output>/latest`` and ``<output>/history.parquet`` (one row more), and
its ``manifest.json`` shard statuses (``status``, ``reused_from``, ``reason``) are checked
against the expectation above. The table shows the medians over rounds of each night's
wall time, the ratios night 2 / night 1 and night 3 / night 1 (target: night 2 below
0.25 x night 1), the shards scanned and reused, and every failed check. With
``--command run`` (or any other command) the same plumbing runs, and the checks report
what that command really did: a full run reuses nothing, so nights 2 and 3 fail them.
Exit code 0 when every check passed, 1 when one failed, 2 when a night exited with
neither 0 nor 1 (a failed critical expectation is exit 1 and is not a benchmark failure).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus.py"
TARGET_NIGHT2 = 0.25
STAGE_ORDER = ["scan", "overlap", "profile", "validate", "disclose"]
EXPECT = {1: "every shard scanned", 2: "every shard reused", 3: "only the new shard scanned"}


def corpus_params(args: argparse.Namespace) -> dict:
    return {"docs": args.docs, "seed": args.seed, "sources": args.sources, "shard_docs": args.shard_docs,
            "dup_share": args.dup_share, "flat": False, "extra_docs": max(1, round(args.docs * 0.01))}


def ensure_corpus(work: Path, args: argparse.Namespace) -> tuple[Path, dict]:
    """Write the corpus unless WORK already holds one with the same parameters."""
    p = corpus_params(args)
    corpus = work / f"corpus-d{p['docs']}-s{p['seed']}-k{p['sources']}-m{p['shard_docs']}-x{p['extra_docs']}"
    truth_path = corpus / "truth.json"
    if truth_path.is_file():
        truth = json.loads(truth_path.read_text("utf-8"))
        same_code = truth.get("generator_sha256") == hashlib.sha256(CORPUS.read_bytes()).hexdigest()
        if same_code and truth.get("params") == p and all((corpus / f).is_file() for f in truth.get("files", [])):
            print(f"corpus: reusing {corpus}", flush=True)
            return corpus, truth
    print(f"corpus: writing {p['docs']:,} documents (+{p['extra_docs']:,} in the extra shard) to {corpus}",
          flush=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, str(CORPUS), str(corpus), "--docs", str(p["docs"]), "--seed", str(p["seed"]),
                    "--sources", str(p["sources"]), "--shard-docs", str(p["shard_docs"]),
                    "--dup-share", str(p["dup_share"]), "--extra-docs", str(p["extra_docs"])], check=True)
    print(f"corpus: written in {time.perf_counter() - start:.1f} s", flush=True)
    return corpus, json.loads(truth_path.read_text("utf-8"))


def link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def prepare_round(work: Path, corpus: Path, truth: dict, r: int) -> tuple[Path, Path, Path]:
    """A fresh WORK/round-R/: linked shards, the registry, a config; return (config, output, live)."""
    root = work / f"round-{r}"
    if root.exists():
        shutil.rmtree(root)  # a folder this script made in an earlier invocation
    live = root / "corpus"
    for rel in truth["files"]:
        if not rel.startswith("extra/"):
            link(corpus / rel, live / rel)
    shutil.copy2(corpus / "registry.yaml", live / "registry.yaml")
    output = root / "out"
    config = (corpus / "config.yaml").read_text("utf-8").splitlines()
    config = [f"output: {json.dumps(str(output))}" if line.startswith("output:") else line for line in config]
    (live / "config.yaml").write_text("\n".join(config) + "\n", encoding="utf-8")
    return live / "config.yaml", output, live


def run_dirs(output: Path) -> set[str]:
    if not output.is_dir():
        return set()
    return {p.name for p in output.iterdir() if p.is_dir() and (p / "manifest.json").is_file()}


def history_rows(output: Path) -> int | None:
    path = output / "history.parquet"
    if not path.is_file():
        return None
    import pyarrow.parquet as pq

    return pq.read_metadata(path).num_rows


def stage_lines(log: str) -> dict:
    """The per-stage JSON lines of ``--log-format json``: {stage: {status, seconds}}."""
    stages = {}
    for line in log.splitlines():
        if not line.startswith("{"):
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if "stage" in rec and "duration_seconds" in rec:
            stages[rec["stage"]] = {"status": rec.get("status"), "seconds": rec["duration_seconds"]}
    return stages


def check_night(night: int, manifest: dict, new_shard: Path | None, base: Path, output: Path, run_id: str,
                history_before: int | None, history_after: int | None) -> list[str]:
    """What does not hold of the night's contract, as messages (empty: all held).

    Manifest shard paths are relative to the config's folder ``base`` when under it.
    """
    problems = []
    shards = manifest.get("shards", [])
    if not shards:
        return ["manifest.json lists no shards"]
    for s in shards:
        if "status" not in s or "reason" not in s or "reused_from" not in s:
            problems.append(f"{s.get('path')}: no status, reason or reused_from in the manifest")
            break
    status = {s["path"]: s.get("status") for s in shards}
    scanned = [p for p, st in status.items() if st == "scanned"]
    reused = [p for p, st in status.items() if st == "reused"]
    other = [p for p, st in status.items() if st not in ("scanned", "reused")]
    if other:
        problems.append(f"{len(other)} shards with a status other than scanned or reused")
    if night == 1 and reused:
        problems.append(f"{len(reused)} of {len(shards)} shards reused on a cold night")
    if night == 2 and scanned:
        problems.append(f"{len(scanned)} of {len(shards)} shards scanned, expected none "
                        f"(e.g. {scanned[0]})")
    if night == 3:
        news = [p for p in status if new_shard and (base / p).resolve() == new_shard.resolve()]
        if not news:
            problems.append("the new shard is not in the manifest")
        elif status[news[0]] != "scanned":
            problems.append(f"the new shard is {status[news[0]]}, expected scanned")
        wrongly = [p for p in scanned if p not in news]
        if wrongly:
            problems.append(f"{len(wrongly)} unchanged shards scanned again (e.g. {wrongly[0]})")
    for s in shards:
        if s.get("status") == "reused" and not s.get("reused_from"):
            problems.append(f"{s['path']}: reused without reused_from")
            break
        if s.get("status") == "scanned" and s.get("reused_from"):
            problems.append(f"{s['path']}: scanned but reused_from={s['reused_from']}")
            break
    latest = output / "latest"
    latest_id = latest.read_text("utf-8").strip() if latest.is_file() else None
    if latest_id != run_id:
        problems.append(f"<output>/latest is {latest_id!r}, not the night's run {run_id}")
    if history_after is None:
        problems.append("no <output>/history.parquet")
    elif history_after != (history_before or 0) + 1:
        problems.append(f"history.parquet has {history_after} rows, expected {(history_before or 0) + 1}")
    return problems


def night(n: int, cmd: list[str], output: Path, log_path: Path, base: Path, new_shard: Path | None) -> dict:
    before = run_dirs(output)
    hist_before = history_rows(output)
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    seconds = time.perf_counter() - start
    log_path.write_text(proc.stdout, encoding="utf-8")
    result = {"night": n, "seconds": round(seconds, 3), "exit_code": proc.returncode, "log": str(log_path)}
    if proc.returncode not in (0, 1):
        tail = "\n".join(proc.stdout.splitlines()[-15:])
        print(f"night {n}: `{' '.join(cmd)}` exited {proc.returncode} (log {log_path}):\n{tail}", file=sys.stderr)
        raise SystemExit(2)
    new = sorted(run_dirs(output) - before)
    if len(new) != 1:
        result.update(run_id=None, checks=[f"{len(new)} new run folders under {output}, expected 1"],
                      shards=0, scanned=0, reused=0)
        return result
    run_id = new[0]
    manifest = json.loads((output / run_id / "manifest.json").read_text("utf-8"))
    shards = manifest.get("shards", [])
    result.update(
        run_id=run_id, shards=len(shards),
        scanned=sum(s.get("status") == "scanned" for s in shards),
        reused=sum(s.get("status") == "reused" for s in shards),
        documents=manifest.get("totals", {}).get("ledger"),
        stages=stage_lines(proc.stdout),
        checks=check_night(n, manifest, new_shard, base, output, run_id, hist_before, history_rows(output)),
    )
    return result


def summarise(rounds: list[list[dict]]) -> dict:
    med = {}
    for n in (1, 2, 3):
        secs = [r[n - 1]["seconds"] for r in rounds]
        med[n] = {"median_seconds": round(statistics.median(secs), 3), "min_seconds": min(secs),
                  "max_seconds": max(secs), "scanned": [r[n - 1]["scanned"] for r in rounds],
                  "reused": [r[n - 1]["reused"] for r in rounds],
                  "checks_failed": sum(bool(r[n - 1]["checks"]) for r in rounds)}
        seen = [r[n - 1].get("stages", {}) for r in rounds]
        stages = sorted({s for st in seen for s in st},
                        key=lambda s: (STAGE_ORDER.index(s) if s in STAGE_ORDER else len(STAGE_ORDER), s))
        med[n]["stages"] = {s: {"median_seconds": round(statistics.median(st[s]["seconds"] for st in seen
                                                                          if s in st), 3),
                                "status": sorted({str(st[s]["status"]) for st in seen if s in st})}
                            for s in stages}
    n1 = med[1]["median_seconds"]
    ratios = {"night2_over_night1": round(med[2]["median_seconds"] / n1, 4) if n1 else None,
              "night3_over_night1": round(med[3]["median_seconds"] / n1, 4) if n1 else None,
              "per_round_night2_over_night1": [round(r[1]["seconds"] / r[0]["seconds"], 4) for r in rounds],
              "per_round_night3_over_night1": [round(r[2]["seconds"] / r[0]["seconds"], 4) for r in rounds]}
    return {"nights": med, "ratios": ratios,
            "target_night2_below": TARGET_NIGHT2,
            "target_met": ratios["night2_over_night1"] is not None and ratios["night2_over_night1"] < TARGET_NIGHT2}


def print_table(summary: dict, rounds: list[list[dict]], command: str) -> None:
    print(f"\nprovaudit {command}: medians of {len(rounds)} rounds")
    print(f"  {'night':<34} {'median s':>9} {'min s':>8} {'max s':>8} {'vs night 1':>11}  "
          f"{'scanned':>8} {'reused':>7}  checks")
    names = {1: "1 cold", 2: "2 unchanged", 3: "3 one new shard (1% of docs)"}
    for n in (1, 2, 3):
        m = summary["nights"][n]
        ratio = m["median_seconds"] / summary["nights"][1]["median_seconds"]
        sc = "/".join(map(str, sorted(set(m["scanned"]))))
        ru = "/".join(map(str, sorted(set(m["reused"]))))
        verdict = "ok" if not m["checks_failed"] else f"FAILED in {m['checks_failed']} of {len(rounds)}"
        print(f"  {names[n]:<34} {m['median_seconds']:>9.1f} {m['min_seconds']:>8.1f} {m['max_seconds']:>8.1f} "
              f"{ratio:>10.3f}x  {sc:>8} {ru:>7}  {verdict} ({EXPECT[n]})")
        if m["stages"]:
            print("      stages: " + ", ".join(
                f"{'in-process total' if s == 'run' else s} {v['median_seconds']:.1f} s ({'/'.join(v['status'])})"
                for s, v in m["stages"].items()))
    r = summary["ratios"]
    print(f"  night 2 / night 1 = {r['night2_over_night1']:.3f} (target < {TARGET_NIGHT2}: "
          f"{'met' if summary['target_met'] else 'MISSED'}); night 3 / night 1 = {r['night3_over_night1']:.3f}")
    failed = [(i + 1, nt["night"], msg) for i, rnd in enumerate(rounds) for nt in rnd for msg in nt["checks"]]
    for rnd, n, msg in failed[:20]:
        print(f"  round {rnd} night {n}: {msg}")
    if len(failed) > 20:
        print(f"  ... {len(failed) - 20} more failed checks (see --json)")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    beam_args = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "provaudit-bench-nightly",
                    help="work folder: the corpus (kept and reused) and one folder per round")
    ap.add_argument("--docs", type=int, default=50000)
    ap.add_argument("--repeat", type=int, default=3, help="rounds of three nights (medians reported)")
    ap.add_argument("--shard-docs", type=int, default=2500, help="documents per shard of the corpus")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sources", type=int, default=6)
    ap.add_argument("--dup-share", type=float, default=0.2)
    ap.add_argument("--command", default="nightly",
                    help="provaudit command each night runs (default nightly; e.g. run, to test the plumbing)")
    ap.add_argument("--fail-on", choices=("any", "new"), help="passed to the command")
    ap.add_argument("--keep", action="store_true", help="keep the round folders (default: remove them)")
    ap.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = ap.parse_args(argv)
    if args.docs < 100 or args.repeat < 1:
        ap.error("--docs must be at least 100 and --repeat at least 1")

    args.work.mkdir(parents=True, exist_ok=True)
    corpus, truth = ensure_corpus(args.work, args)
    extra_rel = truth["extra"]["shard"]
    extra_docs = truth["extra"]["documents"]
    print(f"corpus: {truth['documents']:,} documents, {truth['bytes'] / 1e6:.1f} MB, "
          f"{len([f for f in truth['files'] if not f.startswith('extra/')])} shards in "
          f"{len(truth['sources'])} sources; night 3 adds {extra_rel} ({extra_docs:,} documents, "
          f"{extra_docs / truth['documents']:.1%})", flush=True)

    rounds: list[list[dict]] = []
    for r in range(1, args.repeat + 1):
        config, output, live = prepare_round(args.work, corpus, truth, r)
        cmd = [sys.executable, "-m", "provaudit.cli", args.command, str(config)]
        if args.command in ("run", "nightly"):
            cmd += ["--log-format", "json"]
        if args.fail_on:
            cmd += ["--fail-on", args.fail_on]
        if beam_args:
            cmd += ["--", *beam_args]
        new_shard = live / extra_rel[len("extra/"):]
        nights = []
        for n in (1, 2, 3):
            if n == 3:
                link(corpus / extra_rel, new_shard)
            res = night(n, cmd, output, live.parent / f"night-{n}.log", live, new_shard if n == 3 else None)
            nights.append(res)
            print(f"round {r} night {n}: {res['seconds']:.1f} s, exit {res['exit_code']}, run {res['run_id']}, "
                  f"{res['scanned']} scanned / {res['reused']} reused"
                  + (f"; FAILED: {'; '.join(res['checks'])}" if res["checks"] else "; checks ok"), flush=True)
        rounds.append(nights)
        if not args.keep:
            shutil.rmtree(live.parent)

    summary = summarise(rounds)
    print_table(summary, rounds, args.command)
    if args.json:
        args.json.write_text(json.dumps({
            "command": args.command, "beam_args": beam_args, "repeat": args.repeat,
            "corpus": {"path": str(corpus), "documents": truth["documents"], "bytes": truth["bytes"],
                       "shards": len([f for f in truth["files"] if not f.startswith("extra/")]),
                       "sources": len(truth["sources"]), "params": truth["params"],
                       "new_shard": extra_rel, "new_shard_documents": extra_docs},
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                        "platform": platform.platform()},
            **summary, "rounds": rounds}, indent=2) + "\n", encoding="utf-8")
    return 1 if any(nt["checks"] for rnd in rounds for nt in rnd) else 0


if __name__ == "__main__":
    sys.exit(main())
