"""TestPipeline tests of the scan's transforms on small corpora written per test."""

from __future__ import annotations

import json
from pathlib import Path

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.testing.test_pipeline import TestPipeline

TestPipeline.__test__ = False  # a Beam class, not a pytest test class
from apache_beam.testing.util import assert_that, equal_to

from provaudit.core.findings import Annotator, SourceFacts
from provaudit.core.readers import ReaderSpec
from provaudit.core.records import Document, LedgerRow, Quarantined
from provaudit.beam.scan import QUARANTINE, SHARD_INFO, AnnotateFn, ReadShardFn, Scan, ShardTask


def _jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _task(path: Path, index: int = 0) -> ShardTask:
    return ShardTask(index, "s", str(path), path.name, path.stat().st_size, ReaderSpec(source="s", format="jsonl"))


def test_read_shard_fn_routes_bad_lines(tmp_path: Path) -> None:
    shard = _jsonl(tmp_path / "a.jsonl", ['{"text": "first"}', "{not json", '{"text": 3}', '{"text": "last"}'])
    with TestPipeline() as p:
        out = (p | beam.Create([_task(shard)])
               | beam.ParDo(ReadShardFn(None, 1000)).with_outputs(QUARANTINE, SHARD_INFO, main="docs"))
        assert_that(out.docs | "Texts" >> beam.Map(lambda d: (d.location, d.text)),
                    equal_to([("line:1", "first"), ("line:4", "last")]), label="Docs")
        assert_that(out[QUARANTINE] | "Reasons" >> beam.Map(lambda q: (q.location, q.reason)),
                    equal_to([("line:2", "invalid-json"), ("line:3", "non-string-text")]), label="Quarantine")
        assert_that(out[SHARD_INFO] | "Read" >> beam.Map(lambda i: (i.name, i.read)),
                    equal_to([("a.jsonl", 4)]), label="Info")


class _Boom(Annotator):
    def annotate(self, doc: Document, facts: SourceFacts) -> LedgerRow:
        if doc.text == "boom":
            raise ValueError("cannot")
        return super().annotate(doc, facts)


def test_annotate_fn_quarantines_failures() -> None:
    docs = [Document("s", "a", "line:1", "d1", "Hello world, this is English text.", None, None),
            Document("s", "a", "line:2", "d2", "boom", None, None)]
    with TestPipeline() as p:
        out = (p | beam.Create(docs)
               | beam.ParDo(AnnotateFn(_Boom(num_perm=16), {"s": SourceFacts("MIT", "licensed")}))
               .with_outputs(QUARANTINE, main="rows"))
        assert_that(out.rows | "Ids" >> beam.Map(lambda r: (r.doc_id, r.license_spdx, r.language)),
                    equal_to([("d1", "MIT", "en")]), label="Rows")
        assert_that(out[QUARANTINE] | "Q" >> beam.Map(lambda q: (q.location, q.reason)),
                    equal_to([("line:2", "processing-error")]), label="Quarantine")


def test_scan_transform_writes_per_shard_outputs(tmp_path: Path) -> None:
    a = _jsonl(tmp_path / "a.jsonl", ['{"text": "one two three four five six"}', "{bad"])
    b = _jsonl(tmp_path / "b.jsonl", ['{"text": "seven eight nine ten eleven"}'])
    tasks = [_task(a, 0), _task(b, 1)]
    run = tmp_path / "run"
    with TestPipeline() as p:
        counts = (p | beam.Create(tasks)
                  | Scan(Annotator(num_perm=16), {"s": SourceFacts(None, "synthetic")}, str(run), tasks, 1000))
        assert_that(counts | beam.Map(lambda c: (c["index"], c["read"], c["ledger"], c["quarantined"])),
                    equal_to([(0, 2, 1, 1), (1, 1, 1, 0)]))
    ledger = pq.read_table(run / "ledger")
    assert ledger.num_rows == 2
    assert len(ledger.column("minhash")[0].as_py()) == 16 * 4
    lines = (run / "quarantine" / "s" / "shard-00000.jsonl").read_text().splitlines()
    assert [json.loads(line)["reason"] for line in lines] == ["invalid-json"]
    assert not (run / "quarantine" / "s" / "shard-00001.jsonl").exists()
    assert isinstance(Quarantined(*json.loads(lines[0]).values()), Quarantined)


class _BoomRow(Annotator):
    """Fails on the document "boom" in both paths (annotate and annotate_many build rows in _row)."""

    def _row(self, doc: Document, *found):  # type: ignore[no-untyped-def]
        if doc.text == "boom":
            raise ValueError("cannot")
        return super()._row(doc, *found)


def test_scan_annotates_together_and_quarantines_only_the_failing_document(tmp_path: Path) -> None:
    from provaudit.beam.scan import ANNOTATE_DOCS

    texts = [f"document {i} says something of its own in plain English words" for i in range(ANNOTATE_DOCS + 9)]
    texts[5] = "boom"
    shard = _jsonl(tmp_path / "a.jsonl", [json.dumps({"text": t}) for t in texts])
    facts = {"s": SourceFacts("MIT", "licensed")}
    run = tmp_path / "run"
    with TestPipeline() as p:
        counts = (p | beam.Create([_task(shard)])
                  | Scan(_BoomRow(num_perm=16), facts, str(run), [_task(shard)], 1000))
        assert_that(counts | beam.Map(lambda c: (c["read"], c["ledger"], c["quarantined"])),
                    equal_to([(len(texts), len(texts) - 1, 1)]))
    quarantined = [json.loads(line) for line in (run / "quarantine" / "s").glob("*.jsonl").__next__().read_text().splitlines()]
    assert [(q["location"], q["reason"]) for q in quarantined] == [("line:6", "processing-error")]
    plain = Annotator(num_perm=16)
    plain.setup()
    expected = [plain.annotate(Document("s", "a.jsonl", f"line:{i + 1}", f"a.jsonl#line:{i + 1}", t, None, None),
                               facts["s"]) for i, t in enumerate(texts) if t != "boom"]
    ledger = pq.read_table(run / "ledger").to_pylist()
    assert [r["sha256"] for r in ledger] == [r.sha256 for r in expected]
    assert [r["minhash"] for r in ledger] == [r.minhash for r in expected]
