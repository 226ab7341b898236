"""Benchmark language detection side by side on one corpus: langdetect against provaudit.

    python benchmarks/language.py --corpus /tmp/provaudit-bench-corpus --docs 20000

Reads OUT/part-*.jsonl.gz (field ``text``) as written by ``benchmarks/corpus.py OUT --docs N
--flat`` (run first when OUT holds too few documents) and times, in one process and one run:

* ``langdetect full text``: ``langdetect.detect(text)`` with ``DetectorFactory.seed = 0``
  (a fresh, seeded detector per document, as langdetect is meant to be called);
* ``langdetect 1000-char prefix``: the same on ``text[:1000]``;
* ``provaudit prefix=N``: :meth:`provaudit.core.language.LanguageDetector.detect`, for each
  ``--prefix-chars`` value (setup, i.e. profile loading and compilation, timed apart);
* ``py3langid`` when it is importable (never installed by this script).

Each method runs ``--repeat`` times (``--baseline-repeat`` for the two slow langdetect
rows) and reports the median docs/s, its ratio to langdetect on the full text, and its
agreement with langdetect on the full text: on documents of at least 200 characters and
on all documents. A document on which langdetect raises counts as agreeing with any
``und`` answer.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

LONG_DOC = 200  # characters: the agreement target applies to documents this long or longer


def load_texts(corpus: Path, limit: int) -> list[str]:
    """Read the first ``limit`` texts of the corpus shards, in shard order (writing the corpus if short)."""
    held = 0
    for shard in corpus.glob("part-*.jsonl.gz"):
        with gzip.open(shard, "rt", encoding="utf-8") as f:
            held += sum(1 for _ in f)
    if held < limit:
        import subprocess

        subprocess.run([sys.executable, str(Path(__file__).resolve().parent / "corpus.py"), str(corpus),
                        "--docs", str(limit), "--flat"], check=True)
    texts: list[str] = []
    for shard in sorted(corpus.glob("part-*.jsonl.gz")):
        with gzip.open(shard, "rt", encoding="utf-8") as f:
            for line in f:
                texts.append(json.loads(line)["text"])
                if len(texts) == limit:
                    return texts
    if not texts:
        sys.exit(f"no documents under {corpus} (expected part-*.jsonl.gz)")
    return texts


def langdetect_label(detect: Callable[[str], str]) -> Callable[[str], str]:
    """Wrap a langdetect call: its answer, or "und" where it raises."""
    from langdetect.lang_detect_exception import LangDetectException

    def label(text: str) -> str:
        try:
            return detect(text)
        except LangDetectException:
            return "und"

    return label


def provaudit_label(prefix_chars: int) -> tuple[Callable[[str], str], float]:
    """A provaudit detector after setup, and how long setup took."""
    from provaudit.core.language import LanguageDetector

    detector = LanguageDetector(prefix_chars=prefix_chars)
    start = time.perf_counter()
    detector.setup()
    setup_s = time.perf_counter() - start
    # und answers map onto what langdetect does: "unknown" stays, the rest is "und"
    return (
        lambda text: (
            "unknown" if (r := detector.detect(text)).reason == "langdetect-unknown" else r.code
        )
    ), setup_s


def py3langid_label() -> Callable[[str], str] | None:
    """py3langid's classify when it is installed (codes compared before any region)."""
    try:
        import py3langid
    except ImportError:
        return None
    py3langid.classify("warm up")  # loads the model once
    return lambda text: py3langid.classify(text)[0]


def run(label: Callable[[str], str], texts: list[str], repeat: int) -> tuple[list[str], float]:
    """Label every text ``repeat`` times; return the labels and the median docs/s."""
    rates = []
    labels: list[str] = []
    for _ in range(repeat):
        start = time.perf_counter()
        current = [label(t) for t in texts]
        rates.append(len(texts) / (time.perf_counter() - start))
        if labels and current != labels:
            sys.exit("labels changed between repeats: detection is not deterministic")
        labels = current
    return labels, statistics.median(rates)


def agreement(labels: list[str], reference: list[str], texts: list[str], min_chars: int) -> float:
    """Share of documents of at least ``min_chars`` characters labelled as the reference."""
    pairs = [(a, b) for a, b, t in zip(labels, reference, texts) if len(t) >= min_chars]
    return 100.0 * sum(_same(a, b) for a, b in pairs) / max(1, len(pairs))


def _same(label: str, reference: str) -> bool:
    # a code without region (py3langid's "zh") agrees with langdetect's "zh-cn"/"zh-tw"
    return label == reference or ("-" not in label and label == reference.split("-")[0])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=Path("/tmp/provaudit-bench-corpus"))
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per method (median)")
    ap.add_argument(
        "--baseline-repeat", type=int, default=None,
        help="timed runs of the two slow langdetect baselines (default: --repeat)",
    )  # fmt: skip
    ap.add_argument(
        "--prefix-chars", default="10000,2000,1000",
        help="comma-separated provaudit prefixes; the first is the headline row",
    )  # fmt: skip
    ap.add_argument("--json", type=Path, help="also write the results here as JSON")
    args = ap.parse_args(argv)

    import langdetect
    from langdetect import DetectorFactory
    from langdetect.detector_factory import init_factory

    texts = load_texts(args.corpus, args.docs)
    long_docs = sum(len(t) >= LONG_DOC for t in texts)
    print(
        f"{len(texts)} documents ({long_docs} of >= {LONG_DOC} chars), "
        f"mean {sum(map(len, texts)) / len(texts):.0f} chars, from {args.corpus}"
    )
    DetectorFactory.seed = 0
    init_factory()  # load langdetect's profiles before timing, as provaudit's setup does
    baseline_repeat = args.baseline_repeat or args.repeat

    rows: list[dict] = []
    reference, full_rate = run(langdetect_label(langdetect.detect), texts, baseline_repeat)
    rows.append({"method": "langdetect full text", "docs_per_s": full_rate, "labels": reference,
                 "repeat": baseline_repeat})  # fmt: skip
    prefix_labels, prefix_rate = run(
        langdetect_label(lambda t: langdetect.detect(t[:1000])), texts, baseline_repeat
    )
    rows.append({"method": "langdetect 1000-char prefix", "docs_per_s": prefix_rate,
                 "labels": prefix_labels, "repeat": baseline_repeat})  # fmt: skip
    for prefix_chars in (int(p) for p in args.prefix_chars.split(",")):
        label, setup_s = provaudit_label(prefix_chars)
        labels, rate = run(label, texts, args.repeat)
        rows.append({"method": f"provaudit prefix={prefix_chars}", "docs_per_s": rate,
                     "labels": labels, "repeat": args.repeat, "setup_s": setup_s})  # fmt: skip
    langid = py3langid_label()
    if langid is not None:
        labels, rate = run(langid, texts, args.repeat)
        rows.append({"method": "py3langid", "docs_per_s": rate, "labels": labels,
                     "repeat": args.repeat})  # fmt: skip
    else:
        print("py3langid: not installed, skipped")

    print(
        f"\n{'method':<30}{'docs/s':>10}{'x full':>9}"
        f"{'agree >=200':>13}{'agree all':>11}{'runs':>6}"
    )
    for row in rows:
        row["ratio"] = row["docs_per_s"] / full_rate
        row["agree_long"] = agreement(row["labels"], reference, texts, LONG_DOC)
        row["agree_all"] = agreement(row["labels"], reference, texts, 0)
        print(
            f"{row['method']:<30}{row['docs_per_s']:>10.0f}{row['ratio']:>8.1f}x"
            f"{row['agree_long']:>12.2f}%{row['agree_all']:>10.2f}%{row['repeat']:>6}"
        )
    for row in rows:
        if "setup_s" in row:
            print(f"{row['method']} setup (profiles, tables, compile): {row['setup_s']:.2f} s")
    print("\nlangdetect full text, top labels:", Counter(reference).most_common(8))

    if args.json:
        summary = [{k: v for k, v in row.items() if k != "labels"} for row in rows]
        args.json.write_text(json.dumps({"docs": len(texts), "long_docs": long_docs,
                                         "rows": summary}, indent=2) + "\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
