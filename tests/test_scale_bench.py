"""The scale benchmark's own machinery (benchmarks/scale_corpus.py, benchmarks/scale.py).

The corpus generator is deterministic, resumable after an interrupt (a half-written
temporary file, a shard missing from the manifest) and prefix-sharing across sizes; it
plants the configured share of exact and near copies; the memory sampler counts a child
process's memory. Pieces come from the standard library's own source (a small cache
written by the test), so no test reads the whole machine.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import corpus
import scale
import scale_corpus as sc

STDLIB = Path(sysconfig.get_paths()["stdlib"])
FILES = ["argparse.py", "ast.py", "calendar.py", "csv.py", "dataclasses.py", "difflib.py", "email/message.py",
         "fractions.py", "gettext.py", "gzip.py", "inspect.py", "ipaddress.py", "json/decoder.py",
         "logging/__init__.py", "mailbox.py", "pathlib.py", "pickle.py", "random.py", "shutil.py", "smtplib.py",
         "statistics.py", "string.py", "subprocess.py", "tarfile.py", "textwrap.py", "threading.py",
         "typing.py", "zipfile.py", "uuid.py", "tempfile.py"]


def pieces_cache(out: Path) -> None:
    """A small real-text pieces cache: stdlib source cut by corpus.cut, dealt to the five pools."""
    rnd = __import__("random").Random(0)
    rows = []
    for name in FILES:
        text = (STDLIB / name).read_text("utf-8")
        for piece in corpus.cut(text, rnd):
            rows.append({"pool": sc.SOURCES[len(rows) % len(sc.SOURCES)], "lang": "en", "licence": "PSF-2.0",
                         "url": f"https://example.org/{name}", "text": piece})
    assert len(rows) >= sc.MIN_GROUP * len(sc.SOURCES)
    out.mkdir(parents=True, exist_ok=True)
    corpus.write_shard(out / "pieces.jsonl.gz", rows)


def shard_bytes(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out / "shards").as_posix(): p.read_bytes()
            for p in sorted((out / "shards").rglob("*.jsonl.gz"))}


def read_rows(path: Path) -> list[dict]:
    return [json.loads(x) for x in gzip.decompress(path.read_bytes()).decode("utf-8").split("\n") if x]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus of 300 documents written in one go (no test may change it)."""
    out = tmp_path_factory.mktemp("scale") / "ref"
    pieces_cache(out)
    sc.ensure_shards(out, 300, seed=3, share=0.2, shard_docs=25)
    return out


def test_deterministic(tmp_path: Path, reference: Path) -> None:
    other = tmp_path / "again"
    pieces_cache(other)
    sc.ensure_shards(other, 300, seed=3, share=0.2, shard_docs=25)
    assert shard_bytes(other) == shard_bytes(reference)
    assert len(shard_bytes(reference)) == 5 * (300 // 5 // 25 + 1)  # two full shards and one of 10 per source
    ids = [r["id"] for p in sorted((reference / "shards").rglob("*.jsonl.gz")) for r in read_rows(p)]
    assert len(ids) == len(set(ids)) == 300
    other_seed = tmp_path / "seed4"
    pieces_cache(other_seed)
    sc.ensure_shards(other_seed, 300, seed=4, share=0.2, shard_docs=25)
    assert shard_bytes(other_seed) != shard_bytes(reference)


def test_resumes_after_interrupt(tmp_path: Path, reference: Path, monkeypatch) -> None:
    out = tmp_path / "killed"
    pieces_cache(out)
    real, calls = sc.make_shard, []

    def dies_on_fourth(task):
        calls.append(task[1])
        if len(calls) == 4:  # killed while writing: a temporary file is left, no shard, no manifest entry
            Path(task[0], task[1]).parent.mkdir(parents=True, exist_ok=True)
            Path(task[0], task[1]).with_name(".tmp-999-" + Path(task[1]).name).write_bytes(b"\x1f\x8b half")
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(sc, "make_shard", dies_on_fourth)
    with pytest.raises(KeyboardInterrupt):
        sc.ensure_shards(out, 300, seed=3, share=0.2, shard_docs=25)
    monkeypatch.setattr(sc, "make_shard", real)
    # a shard renamed into place whose manifest entry was never written is redone as well
    man_path = out / "shards" / "manifest.json"
    man = json.loads(man_path.read_text("utf-8"))
    assert len(man["shards"]) == 3
    dropped = min(man["shards"])
    del man["shards"][dropped]
    man_path.write_text(json.dumps(man), encoding="utf-8")
    (out / "shards" / dropped).write_bytes(b"garbage")
    written = []
    monkeypatch.setattr(sc, "make_shard", lambda task: (written.append(task[1]), real(task))[1])
    sc.ensure_shards(out, 300, seed=3, share=0.2, shard_docs=25)
    assert dropped in written and len(written) == 15 - 2
    assert shard_bytes(out) == shard_bytes(reference)
    assert not list((out / "shards").rglob(".tmp-*"))


def test_sizes_share_shards(tmp_path: Path, reference: Path) -> None:
    out = tmp_path / "grow"
    pieces_cache(out)
    small = sc.ensure_shards(out, 130, seed=3, share=0.2, shard_docs=25)
    assert small["truth"]["documents"] == 130
    full_small = [r for r in small["truth"]["shards"] if "-n" not in r]
    big = sc.ensure_shards(out, 300, seed=3, share=0.2, shard_docs=25)
    ref = shard_bytes(reference)
    got = shard_bytes(out)
    for rel in big["truth"]["shards"]:
        assert got[rel] == ref[rel]
    assert set(full_small) <= set(big["truth"]["shards"])
    # the partial shard of the small size is the prefix of the full one of the large size
    part = next(r for r in small["truth"]["shards"] if r.startswith("py_code/") and "-n" in r)
    full = part.split("-n")[0] + ".jsonl.gz"
    assert read_rows(out / "shards" / part) == read_rows(out / "shards" / full)[: len(read_rows(out / "shards" / part))]
    registry = (out / "n130" / "registry.yaml").read_text("utf-8")
    assert all(f'"../shards/{r}"' in registry for r in small["truth"]["shards"])
    assert "part-00001-n1.jsonl.gz" in registry and "part-00002" not in registry


def test_other_params_refused(tmp_path: Path, reference: Path) -> None:
    with pytest.raises(SystemExit, match=r"manifest.json: params.seed is 3"):
        sc.ensure_shards(reference, 300, seed=5, share=0.2, shard_docs=25)


@pytest.mark.parametrize("share", [0.2, 0.1])
def test_duplicate_share(tmp_path: Path, share: float) -> None:
    out = tmp_path / "dups"
    pieces_cache(out)
    res = sc.ensure_shards(out, 400, seed=1, share=share, shard_docs=100)
    planted = res["truth"]["planted_copies"]
    assert planted["share"] == share
    assert planted["exact"] > 0 and planted["near"] > 0
    pieces = sc.Pieces(sc.load_pieces(out, 1)[0])
    texts = {}
    for p in sorted((out / "shards").rglob("*.jsonl.gz")):
        for r in read_rows(p):
            texts[r["id"]] = r["text"]
    unique_texts = [texts[sc.doc_id(i)] for i in range(400) if not sc.is_copy(1, share, i)]
    assert len(set(unique_texts)) == len(unique_texts)  # distinct documents stay distinct
    for i in range(400):
        d = sc.document(pieces, 1, share, i)
        assert texts[sc.doc_id(i)] == d["text"]
        if d["kind"]:
            orig = texts[sc.doc_id(d["of"])]
            assert not sc.is_copy(1, share, d["of"]) and d["of"] < i
            if d["kind"] == "exact":
                assert d["text"] == orig
            else:
                assert d["text"] != orig and corpus.jaccard(orig, d["text"]) >= 0.5


def test_sampler_reads_child_memory(tmp_path: Path) -> None:
    code = "b = bytearray(150 * 2**20); b[::4096] = b'x' * len(b[::4096]); import time; time.sleep(30)"
    parent = subprocess.Popen(["/bin/sh", "-c", f"{sys.executable} -c \"{code}\"; true"])
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and scale.tree_rss(parent.pid) < 150 * 2**20:
            time.sleep(0.1)
        pids = scale.tree_pids(parent.pid)
        assert len(pids) >= 2 and pids[0] == parent.pid
        own = int(Path(f"/proc/{parent.pid}/statm").read_text().split()[1]) * scale.PAGE
        assert own < 50 * 2**20
        with scale.TreeSampler(parent.pid, interval=0.05) as sampler:
            time.sleep(0.3)
        assert sampler.peak() >= 150 * 2**20
        assert len(sampler.samples) >= 3
    finally:
        for pid in reversed(scale.tree_pids(parent.pid)):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        parent.wait()
    assert scale.tree_rss(parent.pid) == 0


def test_size_table_ratio_rows() -> None:
    def med(s, m):
        return {"median": {st: {"seconds": s, "docs_per_s": 1.0, "peak_mb": m} for st in scale.STAGES + ["run"]}}
    table = scale.size_table({"100000": med(10.0, 100.0), "1000000": med(120.0, 140.0)}, scale.STAGES)
    assert "| time 1,000,000/100,000 (limit 11.0x) | 12.00x OVER" in table
    assert "1.40x ok" in table and table.count("\n") == 5
