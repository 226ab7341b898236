"""Write a large benchmark corpus (up to millions of documents) of real text, resumably.

    python benchmarks/scale_corpus.py OUT --docs N [--docs N2 ...] [--seed 0] [--dup-share 0.2]
                                      [--shard-docs 10000] [--jobs 1]

Contract. Text comes only from this machine, through the pools of ``benchmarks/corpus.py``
(installed distributions' Python files, gettext catalogs, /usr/share/doc, man pages, licence
texts; read and cut into 1-8 KB pieces by its code, natural exact repeats dropped). The
pieces are cached once in ``OUT/pieces.jsonl.gz`` (so every size, and every resumed run,
draws on the same pieces even if packages change later). Five sources: py_code,
translations, system_docs, man_pages, licence_texts.

Document ``i`` (0-based, global) is a pure function of (seed, i, pieces): it belongs to
source ``i % 5`` with local number ``i // 5`` (id ``<source>-<local:08d>``). A unique
document recombines 2-3 windows (consecutive lines, or words for pieces of few lines) of
pieces of its source's pool in one language, with seeded offsets, then 1-3 word edits, so
that documents drawn from the same piece share at most one window. In every block of 100
consecutive documents exactly ``round(100 * dup_share)`` (seeded positions) are planted
copies of an earlier unique document: half exact, half near (``corpus.near_copy``: a few
word edits, word 5-gram Jaccard >= 0.85). A copy lives in the source of its own position,
so about four in five copies are in another source than their original. Any prefix of the
sequence has the configured share, and the corpus of N documents is the prefix of the
corpus of any larger N. Languages with fewer than 8 pieces in a pool are left out.

Layout, written atomically (temporary file + rename) and recorded in a manifest after each
shard, so an interrupted run continues where it stopped and a larger N reuses every full
shard of a smaller one::

  OUT/pieces.jsonl.gz                     the cached pieces (pool, lang, licence, url, text)
  OUT/shards/<source>/part-KKKKK.jsonl.gz  --shard-docs documents each (id, text, url[, license])
  OUT/shards/<source>/part-KKKKK-nC.jsonl.gz  a last, partial shard of C documents
  OUT/shards/manifest.json                params and, per shard: documents, bytes, sha256,
                                          planted copies (exact/near), languages of
                                          its unique documents
  OUT/n<N>/registry.yaml, config.yaml     for ``provaudit run OUT/n<N>/config.yaml`` (the
                                          registry lists exactly that size's shards; output
                                          OUT/n<N>/out)
  OUT/n<N>/truth.json                     counts for that size (documents, copies, languages)

The same seed and pieces give byte-identical shards. A manifest written with other
parameters (seed, dup share, shard size, pieces) is an error naming the file and key;
use another OUT. One process writes an OUT at a time (``flock`` on ``OUT/.lock``; others
wait). Exit code 1 when a pool holds no usable text on this machine.
"""

from __future__ import annotations

import argparse
import fcntl
import functools
import gzip
import hashlib
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus

SOURCES = ["py_code", "translations", "system_docs", "man_pages", "licence_texts"]
BLOCK = 100
MIN_GROUP = 8  # languages with fewer pieces in a pool are left out (too few to recombine)
FORMAT_VERSION = 1


def log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} scale_corpus: {msg}", file=sys.stderr, flush=True)


# --- pieces ----------------------------------------------------------------------------------

def collect_pieces(seed: int) -> list[dict]:
    """Every usable piece of the five pools, in a seeded, machine-deterministic order."""
    pools = {p.name: p for p in corpus.POOLS}
    seen: set = set()
    skipped: Counter = Counter()
    rows: list[dict] = []
    for name in SOURCES:
        refs = pools[name].files()
        random.Random(f"{seed}:{name}:files").shuffle(refs)
        stream = corpus.Stream(name, refs, random.Random(f"{seed}:{name}:cut"), seen, skipped)
        n = 0
        while (d := stream.take()) is not None:
            rows.append({"pool": name, "lang": d.lang, "licence": d.licence, "url": d.url, "text": d.text})
            n += 1
        log(f"pieces: {name}: {n:,} from {len(refs):,} files")
    return rows


def load_pieces(out: Path, seed: int) -> tuple[list[dict], str]:
    """The cached pieces (written on first use); return them and the cache's SHA-256."""
    path = out / "pieces.jsonl.gz"
    if not path.is_file():
        rows = collect_pieces(seed)
        tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
        corpus.write_shard(tmp, rows)
        os.replace(tmp, path)
    data = path.read_bytes()
    rows = [json.loads(line) for line in gzip.decompress(data).decode("utf-8").split("\n") if line]
    return rows, hashlib.sha256(data).hexdigest()


class Pieces:
    """Pieces by source and language; the languages a document may draw from."""

    def __init__(self, rows: list[dict]) -> None:
        groups: dict[str, dict[str, list[int]]] = {s: defaultdict(list) for s in SOURCES}
        for i, r in enumerate(rows):
            groups[r["pool"]][r["lang"]].append(i)
        self.rows = rows
        self.groups = {s: {lang: ix for lang, ix in sorted(g.items()) if len(ix) >= MIN_GROUP}
                       for s, g in groups.items()}
        self.flat = {s: [i for ix in g.values() for i in ix] for s, g in self.groups.items()}
        empty = [s for s in SOURCES if not self.flat[s]]
        if empty:
            raise SystemExit(f"scale_corpus: no usable text on this machine for source(s) {', '.join(empty)}")

    def units(self, i: int) -> tuple[list[str], str]:
        """A piece cut into lines (or words, when it has fewer than 8 lines) and the joiner."""
        text = self.rows[i]["text"]
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) >= 8:
            return lines, "\n"
        return text.split(), " "


# --- documents -------------------------------------------------------------------------------

def source_of(i: int) -> str:
    return SOURCES[i % len(SOURCES)]


@functools.lru_cache(maxsize=4096)
def copy_positions(seed: int, share: float, block: int) -> frozenset:
    k = round(BLOCK * share)
    return frozenset(random.Random(f"{seed}:dups:{block}").sample(range(BLOCK), k))


def is_copy(seed: int, share: float, i: int) -> bool:
    return i % BLOCK in copy_positions(seed, share, i // BLOCK)


def original_of(seed: int, share: float, i: int) -> int | None:
    """The earlier unique document a planted copy at ``i`` copies (None: ``i`` is unique)."""
    if not is_copy(seed, share, i):
        return None
    rnd = random.Random(f"{seed}:orig:{i}")
    j = rnd.randrange(i) if i else 0
    while j >= 0 and is_copy(seed, share, j):
        j -= 1
    return j if j >= 0 else None


def unique_doc(pieces: Pieces, seed: int, i: int) -> dict:
    """Document ``i`` made afresh: 2-3 windows of same-language pieces of its source, edited."""
    src = source_of(i)
    rnd = random.Random(f"{seed}:doc:{i}")
    flat = pieces.flat[src]
    first = flat[rnd.randrange(len(flat))]
    lang = pieces.rows[first]["lang"]
    group = pieces.groups[src][lang]
    k = rnd.choice((2, 3, 3))
    target = int(rnd.triangular(corpus.MIN_BYTES, corpus.MAX_BYTES, corpus.MODE_BYTES))
    chosen = [first] + [group[rnd.randrange(len(group))] for _ in range(k - 1)]
    parts = []
    for p in chosen:
        units, joiner = pieces.units(p)
        start = rnd.randrange(len(units))
        want, got, window = target // k, 0, []
        for u in units[start:] + units[:start]:
            window.append(u)
            got += len(u.encode("utf-8")) + 1
            if got >= want:
                break
        parts.append(joiner.join(window))
    text = corpus.edit("\n".join(parts), rnd.randint(1, 3), rnd)
    row = pieces.rows[first]
    return {"text": text, "licence": row["licence"], "url": row["url"], "lang": lang}


def document(pieces: Pieces, seed: int, share: float, i: int) -> dict:
    """Document ``i``: unique, or a planted copy (``kind`` exact|near, ``of`` the original)."""
    j = original_of(seed, share, i)
    if j is None:
        return {**unique_doc(pieces, seed, i), "kind": "", "of": None}
    orig = unique_doc(pieces, seed, j)
    rnd = random.Random(f"{seed}:copy:{i}")
    if rnd.random() < 0.5:
        return {**orig, "kind": "exact", "of": j}
    text, _, _ = corpus.near_copy(orig["text"], rnd)
    return {**orig, "text": text, "kind": "near", "of": j}


def doc_id(i: int) -> str:
    return f"{source_of(i)}-{i // len(SOURCES):08d}"


# --- shards ----------------------------------------------------------------------------------

def per_source_docs(n: int, s: int) -> int:
    """How many of the first ``n`` documents belong to source number ``s``."""
    return max(0, (n - s + len(SOURCES) - 1) // len(SOURCES))


def shard_plan(n: int, shard_docs: int) -> list[tuple[str, int, int, int]]:
    """(relative path, source number, shard number, documents) of the corpus of ``n`` documents."""
    plan = []
    for s, name in enumerate(SOURCES):
        total = per_source_docs(n, s)
        for k in range((total + shard_docs - 1) // shard_docs):
            c = min(shard_docs, total - k * shard_docs)
            rel = f"{name}/part-{k:05d}.jsonl.gz" if c == shard_docs else f"{name}/part-{k:05d}-n{c}.jsonl.gz"
            plan.append((rel, s, k, c))
    return plan


_PIECES: Pieces | None = None


def make_shard(task: tuple) -> tuple[str, dict]:
    """Write one shard atomically; return its manifest entry."""
    shards_dir, rel, s, k, c, shard_docs, seed, share = task
    assert _PIECES is not None
    rows, langs, copies = [], Counter(), Counter()
    per_doc_licence = {p.name: p.licence for p in corpus.POOLS}[SOURCES[s]] is None
    for local in range(k * shard_docs, k * shard_docs + c):
        i = local * len(SOURCES) + s
        d = document(_PIECES, seed, share, i)
        row = {"id": doc_id(i), "text": d["text"], "url": d["url"]}
        if per_doc_licence:
            row["license"] = d["licence"]
        rows.append(row)
        if d["kind"]:  # a copy carries its original's language: found, not expected
            copies[d["kind"]] += 1
        else:
            langs[d["lang"]] += 1
    path = Path(shards_dir) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    corpus.write_shard(tmp, rows)
    data = tmp.read_bytes()
    os.replace(tmp, path)
    return rel, {"documents": c, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                 "copies_exact": copies["exact"], "copies_near": copies["near"],
                 "languages": dict(sorted(langs.items()))}


def _init_worker(pieces: Pieces) -> None:
    global _PIECES
    _PIECES = pieces


def read_manifest(path: Path, params: dict) -> dict:
    if not path.is_file():
        return {"params": params, "shards": {}}
    try:
        man = json.loads(path.read_text("utf-8"))
    except ValueError as exc:
        raise SystemExit(f"{path}: not JSON ({exc}); remove it to start over") from None
    for key, value in params.items():
        if man.get("params", {}).get(key) != value:
            raise SystemExit(f"{path}: params.{key} is {man.get('params', {}).get(key)!r}, this run "
                             f"wants {value!r}; use another OUT folder")
    return man


def write_json(path: Path, obj: dict) -> None:
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    tmp.write_text(json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def ensure_shards(out: Path, n: int, seed: int = 0, share: float = 0.2, shard_docs: int = 10000,
                  jobs: int = 1) -> dict:
    """Write every shard the corpus of ``n`` documents needs that is not already done.

    One writer at a time per OUT (an exclusive ``flock`` on ``OUT/.lock``): a second
    process, e.g. the benchmark started while a background generation still runs, waits.
    """
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"waiting for another process writing {out} (lock {out / '.lock'})")
            fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_shards(out, n, seed, share, shard_docs, jobs)


def _ensure_shards(out: Path, n: int, seed: int, share: float, shard_docs: int, jobs: int) -> dict:
    global _PIECES
    rows, pieces_sha = load_pieces(out, seed)
    shards_dir = out / "shards"
    shards_dir.mkdir(exist_ok=True)
    for stale in shards_dir.rglob(".tmp-*"):
        stale.unlink()
    params = {"format": FORMAT_VERSION, "seed": seed, "dup_share": share, "shard_docs": shard_docs,
              "pieces_sha256": pieces_sha}
    man_path = shards_dir / "manifest.json"
    man = read_manifest(man_path, params)
    plan = shard_plan(n, shard_docs)
    todo = [t for t in plan if not (t[0] in man["shards"] and (shards_dir / t[0]).is_file())]
    log(f"{n:,} documents: {len(plan)} shards, {len(plan) - len(todo)} already written, {len(todo)} to write")
    _PIECES = Pieces(rows)
    tasks = [(str(shards_dir), rel, s, k, c, shard_docs, seed, share) for rel, s, k, c in todo]
    start, done_docs = time.monotonic(), 0
    total_docs = sum(t[3] for t in todo)

    def finished(rel: str, entry: dict) -> None:
        nonlocal done_docs
        man["shards"][rel] = entry
        write_json(man_path, man)
        done_docs += entry["documents"]
        el = time.monotonic() - start
        rate = done_docs / el if el else 0.0
        eta = (total_docs - done_docs) / rate if rate else 0.0
        log(f"wrote {rel} ({entry['documents']:,} docs); {done_docs:,}/{total_docs:,} in {el:.0f} s, "
            f"{rate:,.0f} docs/s, ETA {eta:.0f} s")

    if jobs > 1 and len(tasks) > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(jobs, _init_worker, (_PIECES,)) as pool:
            for rel, entry in pool.imap(make_shard, tasks):
                finished(rel, entry)
    else:
        for t in tasks:
            finished(*make_shard(t))
    return write_size(out, n, plan, man)


# --- per-size registry, config, truth -------------------------------------------------------

def write_size(out: Path, n: int, plan: list, man: dict) -> dict:
    pools = {p.name: p for p in corpus.POOLS}
    size_dir = out / f"n{n}"
    size_dir.mkdir(exist_ok=True)
    langs: dict[str, Counter] = {s: Counter() for s in SOURCES}
    copies = Counter()
    lines = ["# provaudit scale benchmark registry, written by benchmarks/scale_corpus.py (do not edit).",
             "# Real text from this machine; acquisition kinds and evidence are illustrative.",
             "sources:"]
    for rel, s, _, _ in plan:
        e = man["shards"][rel]
        langs[SOURCES[s]].update(e["languages"])
        copies["exact"] += e["copies_exact"]
        copies["near"] += e["copies_near"]
    for s, name in enumerate(SOURCES):
        p = pools[name]
        rels = [rel for rel, si, _, _ in plan if si == s]
        if not rels:
            continue
        lines += [f"- name: {name}",
                  f"  description: {corpus.yaml_scalar(p.description)}",
                  "  paths:"] + [f"  - {corpus.yaml_scalar('../shards/' + r)}" for r in rels] + [
                  "  format: jsonl", "  text_field: text", "  id_field: id", "  url_field: url",
                  (f"  license: {corpus.yaml_scalar(p.licence)}" if p.licence else "  license_field: license"),
                  f"  acquisition: {p.acquisition}",
                  f"  evidence: {corpus.yaml_scalar(p.evidence)}",
                  f"  consent_basis: {p.consent_basis}",
                  f"  collected: {corpus.yaml_scalar(corpus.COLLECTED)}",
                  f"  languages_expected: [{', '.join(map(corpus.yaml_scalar, sorted(langs[name])))}]",
                  f"  max_doc_chars: {corpus.MAX_BYTES * 2}"]
    (size_dir / "registry.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (size_dir / "config.yaml").write_text("""# provaudit run config for the scale benchmark, written by benchmarks/scale_corpus.py.
registry: registry.yaml
output: out
beam:
  runner: DirectRunner
inspection:
  sample_size: 4000
  seed: 0
validation: {}
""", encoding="utf-8")
    docs = sum(man["shards"][rel]["documents"] for rel, *_ in plan)
    truth = {"generator": "benchmarks/scale_corpus.py", "params": man["params"], "documents": docs,
             "bytes": sum(man["shards"][rel]["bytes"] for rel, *_ in plan),
             "shards": [rel for rel, *_ in plan],
             "planted_copies": {"exact": copies["exact"], "near": copies["near"],
                                "share": round((copies["exact"] + copies["near"]) / docs, 6) if docs else 0},
             "sources": {name: {"documents": per_source_docs(n, s), "languages": dict(sorted(langs[name].items()))}
                         for s, name in enumerate(SOURCES)}}
    write_json(size_dir / "truth.json", truth)
    return {"config": size_dir / "config.yaml", "truth": truth, "dir": size_dir}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, metavar="OUT")
    ap.add_argument("--docs", type=int, action="append", required=True,
                    help="corpus size; repeat for several sizes (they share shards)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dup-share", type=float, default=0.2, help="share of planted copies (0-0.5)")
    ap.add_argument("--shard-docs", type=int, default=10000, help="documents per shard (per source)")
    ap.add_argument("--jobs", type=int, default=1, help="processes writing shards")
    args = ap.parse_args(argv)
    if min(args.docs) < 1 or args.shard_docs < 1 or args.jobs < 1:
        ap.error("--docs, --shard-docs and --jobs must be positive")
    if not 0 <= args.dup_share <= 0.5:
        ap.error("--dup-share must be between 0 and 0.5")
    for n in sorted(set(args.docs)):
        res = ensure_shards(args.out, n, args.seed, args.dup_share, args.shard_docs, args.jobs)
        t = res["truth"]
        log(f"{t['documents']:,} documents ({t['bytes'] / 1e6:.0f} MB gzip) ready: provaudit run {res['config']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
