"""The fault corpus (tests/faults.py) through `provaudit scan` and `provaudit run`, in-process.

Per reader kind: the exact quarantine and skipped reasons, ``read == ledger + quarantined +
skipped`` for every shard, every good document in the ledger exactly once, no planted card
number raw in a quarantine or skipped line, and (once for the scan) resident memory
growth bounded although each bomb inflates to ``BOMB_BYTES``. Per misuse kind: exit code
2, one line on standard error, no traceback, in under two seconds. A corpus whose every
document is quarantined runs through every stage. The test prints the number of kinds
and each kind's reconciliation (``pytest -s`` shows it).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from faults import BOMB_BYTES, OUTPUT, Kind, build_all_quarantined, build_corpus, misuse_kinds

# Resident memory the scan of the whole fault corpus may add over the process before it
# (Beam, the detectors and their models included; the default cap is 1 GB).
MEMORY_CAP = 1 << 30
# Resident memory reading one bomb shard may add, in a process already warmed up: far
# below what one bomb inflates to (BOMB_BYTES), so a reader that held it would fail.
BOMB_MEMORY_CAP = 80 << 20


def _status_bytes(key: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key)) * 1024


@pytest.fixture(scope="module")
def fault_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Build the corpus, run `scan` then `run` on it once; return what each wrote and the memory growth."""
    from provaudit.cli import main

    root = tmp_path_factory.mktemp("faults")
    kinds = build_corpus(root)
    config = str(root / "config.yaml")
    corpus_before = _tree(root)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # this process's high-water mark starts again from its resident size now
    before = _status_bytes("VmRSS:")
    started = time.monotonic()
    scan_code = main(["scan", config])
    scan_seconds = time.monotonic() - started
    growth = _status_bytes("VmHWM:") - before
    runs_after_scan = sorted(p for p in (root / OUTPUT).iterdir() if p.is_dir() and p.name[:1].isdigit())
    run_code = main(["run", config])
    runs = sorted(p for p in (root / OUTPUT).iterdir() if p.is_dir() and p.name[:1].isdigit())
    return {"corpus_before": corpus_before, "corpus_after": _tree(root),"root": root, "kinds": {k.name: k for k in kinds}, "scan_code": scan_code, "run_code": run_code,
            "scan_run": runs_after_scan[-1] if runs_after_scan else None,
            "full_run": runs[-1] if len(runs) > len(runs_after_scan) else None,
            "memory_growth": growth, "scan_seconds": scan_seconds}


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` outside the output folder, with its size and modification time."""
    out = root / OUTPUT
    return {str(p.relative_to(root)): (p.lstat().st_size, p.lstat().st_mtime_ns)
            for p in root.rglob("*") if out not in p.parents and p != out and not p.is_dir()}


def _outputs(run_dir: Path, source: str) -> dict[str, Any]:
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    ids: list[str] = []
    for f in sorted((run_dir / "ledger" / source).glob("*.parquet")):
        ids += pq.read_table(f, columns=["doc_id"]).column("doc_id").to_pylist()
    lines = []
    for folder in ("quarantine", "skipped"):
        for f in sorted((run_dir / folder / source).glob("*.jsonl")):
            lines += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines()]
    shards = [s for s in manifest["shards"] if s["source"] == source]
    return {"manifest": manifest, "ids": ids, "lines": lines, "shards": shards,
            "source": manifest["sources"][source]}


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _reader_kind_names() -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return [k.name for k in build_corpus(Path(tmp))]


READER_KINDS = _reader_kind_names()


@pytest.mark.parametrize("name", READER_KINDS)
@pytest.mark.parametrize("stage", ["scan", "run"])
def test_reader_kind(fault_run: dict[str, Any], name: str, stage: str) -> None:
    kind: Kind = fault_run["kinds"][name]
    run_dir = fault_run["scan_run" if stage == "scan" else "full_run"]
    assert run_dir is not None and (run_dir / "manifest.json").is_file(), f"`{stage}` wrote no manifest"
    out = _outputs(run_dir, name)
    src = out["source"]
    quarantined = dict(Counter(q["reason"] for q in out["lines"] if "record_type" not in q))
    skipped = dict(Counter(s["reason"] for s in out["lines"] if "record_type" in s))
    print(f"{stage} {name}: shards {src['shards']}, read {src['records_read']} == ledger {src['ledger']} "
          f"+ quarantined {src['quarantined']} {quarantined} + skipped {src['skipped']} {skipped}")
    for shard in out["shards"]:
        assert shard["read"] == shard["ledger"] + shard["quarantined"] + shard["skipped"], shard
    assert src["records_read"] == src["ledger"] + src["quarantined"] + src["skipped"]
    assert quarantined == kind.quarantined and src["quarantined_by_reason"] == kind.quarantined
    assert skipped == kind.skipped and src["skipped_by_reason"] == kind.skipped
    assert src["ledger"] == kind.ledger == len(out["ids"])
    assert Counter(out["ids"]) & Counter(kind.good_ids) == Counter(kind.good_ids), "a good document is missing"
    assert all(n == 1 for n in Counter(out["ids"]).values()), "a document is in the ledger twice"
    if kind.shards is not None:
        assert src["shards"] == kind.shards
    for value in kind.no_raw:
        for line in out["lines"]:
            text = json.dumps(line, ensure_ascii=False)
            assert _digits(value) not in _digits(text.replace("\\u0000", "")), (
                f"{value!r} raw in {line}")


def test_fault_run_totals(fault_run: dict[str, Any]) -> None:
    """Both commands finish; the totals reconcile; memory stays bounded; the summary is printed."""
    assert fault_run["scan_code"] == 0
    assert fault_run["run_code"] in (0, 1)  # validate's verdict: the corpus may fail expectations
    kinds = fault_run["kinds"]
    for stage in ("scan_run", "full_run"):
        manifest = json.loads((fault_run[stage] / "manifest.json").read_text(encoding="utf-8"))
        rec = manifest["reconciliation"]
        assert rec["ok"] and not rec["problems"], rec
        assert rec["read"] == rec["ledger"] + rec["quarantined"] + rec["skipped"]
        assert set(manifest["sources"]) == set(kinds)
        assert not any(OUTPUT.split("/")[1] in s["path"] for s in manifest["shards"]), \
            "the output folder was read as data"
        assert (fault_run[stage] / "manifest.json").read_bytes()
    assert (fault_run["full_run"] / "index.html").is_file()
    assert fault_run["corpus_after"] == fault_run["corpus_before"], "a file outside the output folder changed"
    for folder in ("ledger", "quarantine", "skipped"):  # the same corpus and config: the same bytes
        a, b = fault_run["scan_run"] / folder, fault_run["full_run"] / folder
        files = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
        assert files == sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file())
        assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files), folder
    bombs = sum(k.bomb for k in kinds.values())
    print(f"fault corpus: {len(kinds)} reader kinds + {len(misuse_kinds())} misuse kinds = "
          f"{len(kinds) + len(misuse_kinds())} kinds; reconciliation ok: read {rec['read']} == ledger "
          f"{rec['ledger']} + quarantined {rec['quarantined']} + skipped {rec['skipped']}; "
          f"scan {fault_run['scan_seconds']:.1f} s, resident memory growth "
          f"{fault_run['memory_growth'] / (1 << 20):.0f} MiB with {bombs} bombs of "
          f"{BOMB_BYTES >> 20} MiB each")
    assert len(kinds) + len(misuse_kinds()) >= 30
    assert fault_run["memory_growth"] < MEMORY_CAP, (
        f"scan grew resident memory by {fault_run['memory_growth'] >> 20} MiB")


@pytest.mark.parametrize("misuse", [pytest.param(m, id=m.name) for m in misuse_kinds()])
def test_misuse_kind(misuse, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from provaudit.cli import main

    argv = misuse.write(tmp_path)
    capsys.readouterr()
    started = time.monotonic()
    code = main(argv)
    seconds = time.monotonic() - started
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    print(f"misuse {misuse.name}: exit {code} in {seconds:.2f} s: {lines[:1]}")
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert misuse.error.lower() in lines[0].lower(), lines[0]
    assert seconds < 2.0
    assert not (tmp_path / "out").is_dir() or not any((tmp_path / "out").iterdir()), "a run folder was started"


def test_all_quarantined_corpus_runs_every_stage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every document quarantined: `run` finishes every stage on an empty ledger and says so."""
    from provaudit.cli import main

    config = build_all_quarantined(tmp_path)
    code = main(["run", str(config)])
    captured = capsys.readouterr()
    out = captured.out + captured.err
    print(out)
    assert code in (0, 1), out
    assert "Traceback" not in out
    run_dir = next(p for p in (tmp_path / "out").iterdir() if p.is_dir() and p.name[:1].isdigit())
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["totals"]["ledger"] == 0 and manifest["reconciliation"]["ok"]
    assert manifest["totals"]["quarantined"] == manifest["totals"]["records_read"] == 4
    assert not (run_dir / "ledger").exists()
    assert "empty ledger" in out
    for stage in ("scan", "overlap", "profile", "validate", "disclose"):
        assert (run_dir / "_status" / f"{stage}.json").is_file(), stage
    assert (run_dir / "COMPLETE").is_file() and (run_dir / "index.html").is_file()


_BOMB_PROBE = r"""
import json, sys
from provaudit.core.config import list_shards, load_config, match_local
from provaudit.core.readers import read_shard
from provaudit.stages.scan import plan_tasks

config = load_config(sys.argv[1])
tasks = {t.source: t for t in plan_tasks(config, list_shards(config, match_local))}

def status(key):  # bytes of this process's own memory (ru_maxrss would include the parent's at fork)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key)) * 1024

def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the high-water mark becomes the resident size now

def read(task):
    return [getattr(item, "reason", type(item).__name__)
            for item in read_shard(task.path, task.name, task.spec, lambda p: open(p, "rb"))]

for warm in ("jsonl_control", "huge_line", "truncated_gz", "warc_odd_records", "text_invalid_utf8"):
    read(tasks[warm])  # imports, codecs and buffers of every reader, before measuring
out = {}
for name in sys.argv[2:]:
    reset_peak()
    before = status("VmRSS:")
    out[name] = {"items": read(tasks[name]), "growth": status("VmHWM:") - before}
print(json.dumps(out))
"""


def test_bombs_stay_under_the_memory_cap(tmp_path: Path) -> None:
    """Each bomb (gzip/zstd JSONL, gzip text, gzip Content-Encoding in WARC) read alone in a fresh,
    warmed-up process: resident memory grows by less than BOMB_MEMORY_CAP, not by BOMB_BYTES."""
    kinds = [k for k in build_corpus(tmp_path) if k.bomb]
    assert {k.fmt for k in kinds} == {"jsonl", "text", "warc"} and len(kinds) == 4
    proc = subprocess.run([sys.executable, "-c", _BOMB_PROBE, str(tmp_path / "config.yaml"),
                           *[k.name for k in kinds]], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for kind in kinds:
        got = result[kind.name]
        print(f"bomb {kind.name}: {BOMB_BYTES >> 20} MiB inflated, resident memory growth "
              f"{got['growth'] / (1 << 20):.1f} MiB, items {got['items']}")
        assert got["growth"] < BOMB_MEMORY_CAP, kind.name
        assert Counter(r for r in got["items"] if r != "Document") == Counter(kind.quarantined)
        assert got["items"].count("Document") == kind.ledger
