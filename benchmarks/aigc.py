"""Benchmark what AI-generated-content detection costs the scan's findings loop, in one run.

    python benchmarks/aigc.py [--corpus DIR] [--docs 5000] [--repeat 5]

The findings loop of ``benchmarks/scan.py`` (read + every finding + Parquet encoding, a
plain loop over ``DIR/part-*.jsonl.gz`` as ``benchmarks/corpus.py DIR --docs N --flat``
writes it) is timed with the scan's default detector (``Annotator(aigc=AigcDetector())``,
what ``provaudit scan`` runs) and without it, alternating ``--repeat`` times; the medians
of CPU seconds (user + system of this process) give the ratio. A second row times the
detector alone over the same texts, per document. The corpus has no labels: the figure is
the cost every unlabelled document pays (the front-matter test, two folded windows and one
regular-expression search).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scan import SPEC, ensure_corpus, findings_loop_step

from provaudit.core.aigc import AigcDetector
from provaudit.core.findings import Annotator
from provaudit.core.readers import read_shard
from provaudit.core.records import Document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/provaudit-bench-corpus"),
                        help="folder of part-*.jsonl.gz shards; written when missing (default: %(default)s)")
    parser.add_argument("--docs", type=int, default=5000, help="documents read (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="rounds, with and without the detector alternating; medians (default: %(default)s)")
    args = parser.parse_args(argv)
    shards = ensure_corpus(args.corpus, args.docs)

    loops = {}
    for name, aigc in (("without", None), ("with", AigcDetector())):
        annotator = Annotator(aigc=aigc)
        annotator.setup()
        findings_loop_step(shards, min(args.docs, 200), annotator)()  # warm up
        loops[name] = findings_loop_step(shards, args.docs, annotator)
    cpu: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(args.repeat):  # alternating, so drift on a shared machine hits both alike
        for name, run in loops.items():
            start = time.process_time()
            n = run()
            cpu[name].append(time.process_time() - start)
    med = {name: statistics.median(v) for name, v in cpu.items()}
    for name in loops:
        print(f"findings loop {name:>7} AIGC detection: {n / med[name]:9.0f} docs per CPU second "
              f"({med[name]:.3f} s for {n} docs)")
    print(f"ratio with / without: {med['with'] / med['without']:.3f}x")

    texts = []
    for shard in shards:
        for item in read_shard(str(shard), shard.name, SPEC):
            if isinstance(item, Document):
                texts.append(item.text)
            if len(texts) == args.docs:
                break
        if len(texts) == args.docs:
            break
    detector = AigcDetector()
    detector.setup()
    alone = []
    for _ in range(args.repeat):
        start = time.process_time()
        for text in texts:
            detector.fields(text, None)
        alone.append(time.process_time() - start)
    per_doc = statistics.median(alone) / len(texts)
    chars = sum(map(len, texts)) / len(texts)
    print(f"detector alone: {per_doc * 1e6:.1f} us per document (mean {chars:.0f} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
