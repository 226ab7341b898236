"""Time the MinHash signature step against datasketch and rensa on one corpus.

    python benchmarks/signature.py [--corpus DIR] [--docs 20000] [--repeat 3]

The corpus (``DIR/part-*.jsonl.gz`` with a ``text`` field) is written by
``benchmarks/corpus.py --flat`` when DIR holds too few documents. Texts
are loaded into memory first; every step then runs in this one process on the same
texts, word 5-grams, 128 permutations, seed 1, and is timed ``--repeat`` times
(median reported). Shingling is inside every timed step:

  provaudit         MinHasher.signature (scheme affine32, datasketch's default; and legacy)
  datasketch bulk   MinHash.bulk over provaudit.core.minhash.shingles, with datasketch's default
                    SHA-1 hash and with provaudit's shingle_hash (pure Python)
  datasketch doc    one MinHash(...).update_batch per document, SHA-1
  (for reference)   datasketch bulk with the shingles made beforehand (not timed), and
                    provaudit in character mode on the same texts
  rensa             RMinHash.update with the word 5-gram strings, if rensa is installed

Then checks, on the first 500 documents, that provaudit's signatures equal datasketch's
given the same hash function, for both schemes, and prints the match counts.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from datasketch import MinHash

from provaudit.core.minhash import MinHasher, shingle_hash, shingles

NUM_PERM = 128
SEED = 1
DEFAULT_CORPUS = Path("/tmp/provaudit-bench-corpus")
CHECK_DOCS = 500
MAKE_CORPUS_CANDIDATES = [Path(__file__).resolve().parent / "corpus.py"]


def load_texts(corpus: Path, docs: int) -> list[str]:
    """Return the first ``docs`` texts of the corpus, in shard then line order."""
    texts: list[str] = []
    for shard in sorted(corpus.glob("part-*.jsonl.gz")):
        with gzip.open(shard, "rt", encoding="utf-8") as lines:
            texts.extend(json.loads(line)["text"] for line in lines)
    return texts[:docs]


def ensure_corpus(corpus: Path, docs: int) -> list[str]:
    """Load ``docs`` texts from ``corpus``, writing the corpus first if it is too small."""
    texts = load_texts(corpus, docs) if corpus.is_dir() else []
    if len(texts) >= docs:
        return texts
    tool = next((p for p in MAKE_CORPUS_CANDIDATES if p.is_file()), None)
    if tool is None:
        sys.exit(f"{corpus} holds {len(texts)} documents and benchmarks/corpus.py is not found")
    print(f"writing a {docs}-document corpus to {corpus}", file=sys.stderr)
    subprocess.run(
        [sys.executable, str(tool), str(corpus), "--docs", str(max(docs, 20000)), "--flat"], check=True
    )
    texts = load_texts(corpus, docs)
    if len(texts) < docs:
        sys.exit(f"{corpus} holds only {len(texts)} documents")
    return texts


def word_shingles(texts: Iterable[str]) -> Iterable[list[bytes]]:
    return (shingles(t, char_ngrams=False) for t in texts)


def step_provaudit(scheme: str, char_ngrams: bool = False) -> Callable[[list[str]], None]:
    hasher = MinHasher(NUM_PERM, SEED, scheme=scheme)  # type: ignore[arg-type]
    hasher.warmup()

    def run(texts: list[str]) -> None:
        for text in texts:
            hasher.signature(text, char_ngrams)

    return run


def step_datasketch_bulk(scheme: str, hashfunc: Callable[[bytes], int] | None):
    kwargs = {"num_perm": NUM_PERM, "seed": SEED, "scheme": scheme}
    if hashfunc is not None:
        kwargs["hashfunc"] = hashfunc

    def run(texts: list[str]) -> None:
        MinHash.bulk(word_shingles(texts), **kwargs)

    return run


def step_datasketch_bulk_prepared(texts: list[str]) -> Callable[[list[str]], None]:
    """datasketch's MinHash.bulk alone: shingles made once, outside the timing."""
    prepared = list(word_shingles(texts))

    def run(_: list[str]) -> None:
        MinHash.bulk(prepared, num_perm=NUM_PERM, seed=SEED)

    return run


def step_datasketch_per_doc(texts: list[str]) -> None:
    for text in texts:
        m = MinHash(num_perm=NUM_PERM, seed=SEED)
        m.update_batch(shingles(text, char_ngrams=False))


def step_rensa() -> Callable[[list[str]], None] | None:
    try:
        from rensa import RMinHash
    except ImportError:
        return None

    def run(texts: list[str]) -> None:
        for text in texts:
            m = RMinHash(num_perm=NUM_PERM, seed=SEED)
            m.update([s.decode("utf-8", "surrogatepass") for s in shingles(text, False)])
            m.digest()

    return run


def time_step(run: Callable[[list[str]], None], texts: list[str], repeat: int) -> float:
    """Return the median wall time of ``repeat`` runs of ``run(texts)``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run(texts)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def count_matches(texts: list[str], scheme: str) -> int:
    """Count documents whose provaudit signature equals datasketch's (same hashfunc)."""
    hasher = MinHasher(NUM_PERM, SEED, scheme=scheme)  # type: ignore[arg-type]
    matches = 0
    for text in texts:
        m = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=shingle_hash, scheme=scheme)
        m.update_batch(shingles(text, False))
        matches += np.array_equal(hasher.signature(text, False), m.hashvalues)
    return matches


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus_arg", nargs="?", type=Path, metavar="CORPUS", help="same as --corpus")
    ap.add_argument("--corpus", type=Path, default=None, help=f"default {DEFAULT_CORPUS}")
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--slow-docs",
        type=int,
        default=2000,
        help="documents for the pure-Python-hash and no-shingling steps (default 2000; 0 = all)",
    )
    args = ap.parse_args()
    corpus = args.corpus or args.corpus_arg or DEFAULT_CORPUS

    start = time.perf_counter()
    hasher = MinHasher(NUM_PERM, SEED)
    hasher.warmup()
    warmup = time.perf_counter() - start

    texts = ensure_corpus(corpus, args.docs)
    mb = sum(len(t.encode("utf-8", "surrogatepass")) for t in texts) / 1e6
    slow_texts = texts[: args.slow_docs] if args.slow_docs else texts
    slow_mb = sum(len(t.encode("utf-8", "surrogatepass")) for t in slow_texts) / 1e6
    print(
        f"corpus {corpus}: {len(texts)} documents, {mb:.1f} MB; word 5-grams, "
        f"num_perm {NUM_PERM}, seed {SEED}, median of {args.repeat}, one process"
    )
    print(f"provaudit warmup (compile or load cached kernels): {warmup:.2f} s\n")

    steps: list[tuple[str, Callable[[list[str]], None], list[str], float]] = [
        ("provaudit MinHasher.signature affine32", step_provaudit("affine32"), texts, mb),
        ("provaudit MinHasher.signature legacy", step_provaudit("legacy"), texts, mb),
        (
            "datasketch MinHash.bulk affine32 sha1",
            step_datasketch_bulk("affine32", None),
            texts,
            mb,
        ),
        ("datasketch MinHash.bulk legacy sha1", step_datasketch_bulk("legacy", None), texts, mb),
        (
            "datasketch MinHash.bulk affine32 shingle_hash",
            step_datasketch_bulk("affine32", shingle_hash),
            slow_texts,
            slow_mb,
        ),
        ("datasketch per-doc update_batch sha1", step_datasketch_per_doc, texts, mb),
        (
            "datasketch MinHash.bulk affine32 sha1, no shingling",
            step_datasketch_bulk_prepared(slow_texts),
            slow_texts,
            slow_mb,
        ),
        (
            "provaudit affine32, char 5-grams (same texts)",
            step_provaudit("affine32", char_ngrams=True),
            texts,
            mb,
        ),
    ]
    rensa = step_rensa()
    if rensa is not None:
        steps.append(("rensa RMinHash.update", rensa, texts, mb))

    rates: dict[str, float] = {}
    print(f"{'step':52} {'docs':>6} {'docs/s':>10} {'MB/s':>8}")
    for name, run, docs, size in steps:
        seconds = time_step(run, docs, args.repeat)
        rates[name] = len(docs) / seconds
        print(f"{name:52} {len(docs):>6} {rates[name]:>10,.0f} {size / seconds:>8.2f}")
    if rensa is None:
        print("rensa: not installed, skipped")

    print()
    for scheme in ("affine32", "legacy"):
        ours = rates[f"provaudit MinHasher.signature {scheme}"]
        bulk = rates[f"datasketch MinHash.bulk {scheme} sha1"]
        print(f"ratio provaudit / datasketch bulk sha1 ({scheme}): {ours / bulk:.1f}x")
    ours = rates["provaudit MinHasher.signature affine32"]
    same_hash = rates["datasketch MinHash.bulk affine32 shingle_hash"]
    print(f"ratio provaudit / datasketch bulk shingle_hash (affine32): {ours / same_hash:.1f}x")

    sample = texts[:CHECK_DOCS]
    for scheme in ("affine32", "legacy"):
        matches = count_matches(sample, scheme)
        print(
            f"signatures equal to datasketch's ({scheme}, same hashfunc): {matches}/{len(sample)}"
        )
        if matches != len(sample):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
