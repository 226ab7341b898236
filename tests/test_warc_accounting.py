"""WARC and ARC accounting, and no document left out for its size (issue 11, items 3 and 4).

Every record of real-looking archives written here with warcio (responses of HTML, text,
PNG, JavaScript and CSS, requests, revisits, warcinfo, metadata, resource and conversion
records, empty redirect bodies, a 404 page, an ARC file) is a document, a quarantined item
or a skipped record, in the reader and through a whole scan whose manifest reconciles
``read == ledger + quarantined + skipped``. A 2,000,000-character document is in the
ledger with ``analysed_chars`` stated, and reading and annotating it stays within a small
multiple of its size.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tracemalloc
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import write_yaml
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from provaudit.core.config import DEFAULT_MAX_RECORD_BYTES, load_config
from provaudit.core.errors import ConfigError
from provaudit.core.findings import Annotator, SourceFacts
from provaudit.core.readers import ReaderSpec, infer_format, read_shard
from provaudit.core.records import SKIP_REASONS, Document, Quarantined, Skipped
from provaudit.reports.summary import scan_summary
from provaudit.stages.scan import run_scan

PAGE = "<html><head><title>{t}</title></head><body><h1>{t}</h1><p>{body}</p></body></html>"


def _html(title: str, body: str) -> bytes:
    return PAGE.format(t=title, body=body).encode()


def _http(status: str, content_type: str, payload: bytes, *extra: tuple[str, str]) -> StatusAndHeaders:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(payload))), *extra]
    return StatusAndHeaders(status, headers, protocol="HTTP/1.1")


def crawl_warc() -> tuple[bytes, Counter]:
    """A crawl as Heritrix or wget writes one; return it and the reasons its records must get."""
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    want: Counter = Counter()

    def record(rec, reason: str) -> None:
        w.write_record(rec)
        want[reason] += 1

    record(w.create_warcinfo_record("crawl-0001.warc.gz", {"software": "Heritrix/3.4", "format": "WARC 1.1"}),
           "warcinfo")

    def get(uri: str, status: str, content_type: str, payload: bytes, reason: str, *extra) -> object:
        request = StatusAndHeaders(f"GET {uri} HTTP/1.1", [("Host", "site.example")], is_http_request=True)
        record(w.create_warc_record(uri, "request", http_headers=request), "request")
        response = w.create_warc_record(uri, "response", payload=io.BytesIO(payload), length=len(payload),
                                        http_headers=_http(status, content_type, payload, *extra))
        record(response, reason)
        return response

    first = get("https://site.example/", "200 OK", "text/html; charset=utf-8",
                _html("Harbour", "The harbour opened in 1851 and still takes ferries."), "doc")
    get("https://site.example/notes.txt", "200 OK", "text/plain", b"Plain notes about tides.", "doc")
    get("https://site.example/logo.png", "200 OK", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(40), "non-text")
    get("https://site.example/app.js", "200 OK", "application/javascript", b"console.log('hi');", "non-text")
    get("https://site.example/site.css", "200 OK", "text/css", b"body { margin: 0 }", "non-text")
    for n in range(3):  # three empty redirect bodies: never an exact-duplicate cluster
        get(f"https://site.example/r{n}", "302 Found", "text/html", b"", "http-302",
            ("Location", "https://site.example/"))
    get("https://site.example/gone", "404 Not Found", "text/html", _html("Not found", "No page."), "http-404")
    get("https://site.example/blank", "200 OK", "text/html", b"", "empty-body")
    get("https://site.example/shell", "200 OK", "text/html", b"<html><script>x()</script></html>", "empty-body")
    digest = first.rec_headers.get_header("WARC-Payload-Digest")
    record(w.create_revisit_record("https://site.example/", digest, "https://site.example/",
                                   first.rec_headers.get_header("WARC-Date"),
                                   http_headers=_http("200 OK", "text/html", b"")), "revisit")
    fields = b"outlink: https://site.example/notes.txt L a/@href\r\n"
    record(w.create_warc_record("https://site.example/", "metadata", payload=io.BytesIO(fields),
                                length=len(fields), warc_content_type="application/warc-fields"), "metadata")
    dns = b"20240501060000\nsite.example.\t300\tIN\tA\t192.0.2.7\n"
    record(w.create_warc_record("dns:site.example", "resource", payload=io.BytesIO(dns), length=len(dns),
                                warc_content_type="text/dns"), "resource")
    text = b"Harbour\nThe harbour opened in 1851."
    record(w.create_warc_record("https://site.example/", "conversion", payload=io.BytesIO(text),
                                length=len(text), warc_content_type="text/plain"), "conversion")
    return buf.getvalue(), want


def arc_file(gzip_members: bool) -> tuple[bytes, Counter]:
    """An ARC (version 1) file: filedesc header, an HTML page, a GIF, a 404 page."""
    members: list[bytes] = []
    want: Counter = Counter()

    def record(head: str, body: bytes, reason: str) -> None:
        members.append(f"{head} {len(body)}\n".encode() + body + b"\n")
        want[reason] += 1

    def http(status: str, content_type: str, payload: bytes) -> bytes:
        return (f"HTTP/1.0 {status}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload

    record("filedesc://IA-001.arc 0.0.0.0 20080301000000 text/plain",
           b"1 0 Internet Archive\nURL IP-address Archive-date Content-type Archive-length\n", "warcinfo")
    record("http://old.example/ 192.0.2.1 20080301000100 text/html",
           http("200 OK", "text/html", _html("Old site", "Pages of the old site, kept as ARC.")), "doc")
    record("http://old.example/a.gif 192.0.2.1 20080301000200 image/gif",
           http("200 OK", "image/gif", b"GIF89a" + bytes(10)), "non-text")
    record("http://old.example/x 192.0.2.1 20080301000300 text/html",
           http("404 Not Found", "text/html", _html("Missing", "gone")), "http-404")
    if gzip_members:
        return b"".join(gzip.compress(m, mtime=0) for m in members), want
    return b"".join(members), want


def _reason(item) -> str:
    return "doc" if isinstance(item, Document) else item.reason


def _record_offsets(data: bytes) -> list[int]:
    archive = ArchiveIterator(io.BytesIO(data), arc2warc=False)
    return [archive.get_record_offset() for _ in archive]


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_every_warc_record_is_accounted_for(tmp_path: Path, name: str) -> None:
    data, want = crawl_warc()
    if not name.endswith(".gz"):
        data = gzip.decompress(data)  # the same records, one plain file
    path = tmp_path / name
    path.write_bytes(data)
    items = list(read_shard(str(path), name, ReaderSpec("crawl", "warc")))
    offsets = _record_offsets(data)
    assert len(offsets) == 27
    # One item per record, at that record's offset: none lost, none counted twice.
    assert [it.location for it in items] == [f"offset:{o}" for o in offsets]
    assert Counter(_reason(it) for it in items) == want
    assert not [it for it in items if isinstance(it, Quarantined)]
    skipped = [it for it in items if isinstance(it, Skipped)]
    assert {it.reason for it in skipped} <= set(SKIP_REASONS) | {"http-302", "http-404"}
    assert Counter(it.record_type for it in skipped) == Counter(
        {"request": 11, "response": 9, "warcinfo": 1, "revisit": 1, "metadata": 1, "resource": 1,
         "conversion": 1})
    (revisit,) = [it for it in skipped if it.reason == "revisit"]
    assert re.search(r"payload sha1:[A-Z2-7]{32} of https://site\.example/ at \d{4}-", revisit.detail)
    details = {it.detail for it in skipped if it.reason == "non-text"}
    assert details == {"image/png https://site.example/logo.png",
                       "application/javascript https://site.example/app.js",
                       "text/css https://site.example/site.css"}
    redirect = next(it for it in skipped if it.reason == "http-302")
    assert redirect.detail == "text/html https://site.example/r0 -> https://site.example/"
    docs = [it for it in items if isinstance(it, Document)]
    assert [d.url for d in docs] == ["https://site.example/", "https://site.example/notes.txt"]
    assert all(d.text.strip() for d in docs)


@pytest.mark.parametrize("gzip_members", [True, False])
def test_arc_files_are_read(tmp_path: Path, gzip_members: bool) -> None:
    data, want = arc_file(gzip_members)
    name = "IA-001.arc.gz" if gzip_members else "IA-001.arc"
    assert infer_format(name) == "warc"
    path = tmp_path / name
    path.write_bytes(data)
    items = list(read_shard(str(path), name, ReaderSpec("old", "warc")))
    assert [it.location for it in items] == [f"offset:{o}" for o in _record_offsets(data)]
    assert Counter(_reason(it) for it in items) == want
    (doc,) = [it for it in items if isinstance(it, Document)]
    assert doc.text == "Old site\nOld site\nPages of the old site, kept as ARC."
    assert doc.url == "http://old.example/" and doc.doc_id == f"{name}#{doc.location}"
    assert items[0].record_type == "arc_header" and items[0].detail == "filedesc://IA-001.arc"


def test_data_named_arc_that_is_not_arc(tmp_path: Path) -> None:
    path = tmp_path / "x.arc"
    path.write_bytes(b"hello world this is text\nand more\n")
    items = list(read_shard(str(path), "x.arc", ReaderSpec("s", "warc")))
    assert [(it.location, it.reason) for it in items] == [("shard", "schema-mismatch")]


def test_oversize_payload_is_quarantined_and_the_archive_goes_on(tmp_path: Path) -> None:
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    for uri, body in (("https://a.example/big", b"x" * 5000), ("https://a.example/ok", b"fine text")):
        w.write_record(w.create_warc_record(uri, "response", payload=io.BytesIO(body), length=len(body),
                                           http_headers=_http("200 OK", "text/plain", body)))
    path = tmp_path / "a.warc.gz"
    path.write_bytes(buf.getvalue())
    items = list(read_shard(str(path), "a.warc.gz", ReaderSpec("s", "warc", max_record_bytes=4096)))
    assert [_reason(it) for it in items] == ["oversize-record", "doc"]
    assert "max_record_bytes=4096" in items[0].excerpt and items[1].text == "fine text"


# --------------------------------------------------------------------------- a whole scan


@pytest.fixture(scope="module")
def archive_scan(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("archives")
    (root / "crawl").mkdir()
    data, want_warc = crawl_warc()
    (root / "crawl" / "crawl-0001.warc.gz").write_bytes(data)
    arc, want_arc = arc_file(True)
    (root / "crawl" / "IA-001.arc.gz").write_bytes(arc)
    config = write_yaml(root / "config.yaml", {
        "output": "out",
        "sources": [{"name": "crawl", "paths": ["crawl/*.warc.gz", "crawl/*.arc.gz"],
                     "acquisition": "self-collected", "license": "CC-BY-4.0"}],
    })
    result = run_scan(load_config(config), report=lambda line: None)
    return result, want_warc + want_arc


def test_scan_reconciles_every_archive_record(archive_scan) -> None:
    result, want = archive_scan
    m = result.manifest
    rec = m["reconciliation"]
    docs, skipped = want["doc"], sum(v for k, v in want.items() if k != "doc")
    assert (rec["ok"], rec["read"], rec["ledger"], rec["quarantined"], rec["skipped"]) == (
        True, docs + skipped, docs, 0, skipped)
    assert "skipped" in rec["rule"]
    by_reason = {k: v for k, v in want.items() if k != "doc"}
    assert m["totals"]["skipped_by_reason"] == dict(sorted(by_reason.items()))
    assert m["sources"]["crawl"]["skipped_by_record_type"] == {
        "arc_header": 1, "conversion": 1, "metadata": 1, "request": 11, "resource": 1,
        "response": 11, "revisit": 1, "warcinfo": 1}
    for shard in m["shards"]:
        assert shard["read"] == shard["ledger"] + shard["quarantined"] + shard["skipped"]
        assert sum(shard["skipped_by_reason"].values()) == shard["skipped"]
    lines = [json.loads(line) for p in sorted(Path(result.run_dir, "skipped").rglob("*.jsonl"))
             for line in p.read_text("utf-8").splitlines()]
    assert len(lines) == skipped
    assert set(lines[0]) == {"source", "shard", "location", "record_type", "reason", "detail"}
    summary = scan_summary(m, {"ledger": "l", "quarantine": "q", "manifest": "m"})
    assert f"documents: {docs} read = {docs} in the ledger + 0 quarantined" in summary
    assert f"; {skipped} archive records skipped (not documents)" in summary
    assert (m["totals"]["records_read"], m["totals"]["documents_read"]) == (docs + skipped, docs)
    assert f"+ quarantined 0 + skipped {skipped}" in summary


def test_empty_bodies_are_never_an_exact_duplicate_cluster(archive_scan) -> None:
    result, want = archive_scan
    rows = pq.read_table(result.ledger_dir).to_pylist()
    assert len(rows) == want["doc"] == 3
    assert all(r["chars"] > 0 for r in rows)
    assert len({r["sha256"] for r in rows}) == len(rows)


# --------------------------------------------------------------------------- size


def _long_text(chars: int) -> str:
    words = ["harbour", "ferry", "tide", "pier", "lantern", "quay", "rope", "gull", "anchor"]
    text = " ".join(f"{words[i % len(words)]}{i % 7919}" for i in range(chars // 6))
    return (text + " end" * chars)[: chars - 1] + "."


def test_two_million_character_document_is_in_the_ledger(tmp_path: Path) -> None:
    text = _long_text(2_000_000)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "novel.jsonl").write_text(
        json.dumps({"id": "novel", "text": text}) + "\n" + json.dumps({"id": "short", "text": "A short one."})
        + "\n", "utf-8")
    config = write_yaml(tmp_path / "c.yaml", {
        "output": "out",
        "sources": [{"name": "books", "paths": "data/*.jsonl", "acquisition": "licensed", "id_field": "id",
                     "license": "CC-BY-4.0"}],
    })
    result = run_scan(load_config(config), report=lambda line: None)
    assert result.manifest["reconciliation"]["ok"] and result.manifest["totals"]["quarantined"] == 0
    rows = {r["doc_id"]: r for r in pq.read_table(result.ledger_dir).to_pylist()}
    assert rows["novel"]["chars"] == 2_000_000
    assert rows["novel"]["analysed_chars"] == 1_000_000  # scan.max_doc_chars, the default window
    assert rows["short"]["analysed_chars"] == rows["short"]["chars"] == 12


def test_analysis_window_and_memory_stay_bounded(tmp_path: Path) -> None:
    text = _long_text(2_000_000)
    path = tmp_path / "novel.txt"
    path.write_text(text, "utf-8")
    annotator = Annotator()
    annotator.setup()
    tracemalloc.start()
    try:
        (doc,) = read_shard(str(path), "novel.txt", ReaderSpec("s", "text"))
        _, read_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        whole = annotator.annotate(doc, SourceFacts(None, "licensed", max_doc_chars=5_000_000))
        _, annotate_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    window = annotator.annotate(doc, SourceFacts(None, "licensed", max_doc_chars=300_000))
    assert (whole.chars, whole.analysed_chars) == (2_000_000, 2_000_000)
    assert (window.chars, window.analysed_chars) == (2_000_000, 300_000)
    assert window.sha256 == whole.sha256 and window.minhash != whole.minhash
    # Measured: about 8 MB each for a 2 MB text; a per-shingle or per-permutation copy of
    # the text (MinHash over 128 permutations at once) would take hundreds of MB.
    assert read_peak < 6 * len(text), read_peak
    assert annotate_peak < 6 * len(text), annotate_peak


@pytest.mark.parametrize(
    ("scan", "key", "fragment"),
    [
        ({"max_record_bytes": 10}, "scan.max_record_bytes", "less than the minimum"),
        ({"max_record_bytes": "1 GiB"}, "scan.max_record_bytes", "is not of type 'integer'"),
        ({"max_doc_chars": 0}, "scan.max_doc_chars", "less than the minimum"),
    ],
)
def test_size_settings_are_validated(tmp_path: Path, scan: dict, key: str, fragment: str) -> None:
    config = write_yaml(tmp_path / "c.yaml", {
        "output": "out", "scan": scan,
        "sources": [{"name": "s", "paths": "*.jsonl", "acquisition": "licensed", "license": "MIT"}],
    })
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert info.value.file.endswith("c.yaml") and info.value.key == key
    assert fragment in info.value.problem


def test_record_limit_reaches_the_readers(tmp_path: Path) -> None:
    config = write_yaml(tmp_path / "c.yaml", {
        "output": "out", "scan": {"max_record_bytes": 4096},
        "sources": [{"name": "s", "paths": "*.jsonl", "acquisition": "licensed", "license": "MIT"}],
    })
    cfg = load_config(config)
    assert cfg.scan.max_record_bytes == 4096
    assert load_config(write_yaml(tmp_path / "d.yaml", {
        "output": "out",
        "sources": [{"name": "s", "paths": "*.jsonl", "acquisition": "licensed", "license": "MIT"}],
    })).scan.max_record_bytes == DEFAULT_MAX_RECORD_BYTES == 256 * 1024 * 1024
    from provaudit.core.config import Shard
    from provaudit.stages.scan import plan_tasks

    (task,) = plan_tasks(cfg, [Shard("s", str(tmp_path / "a.jsonl"), "a.jsonl", 1, "jsonl")])
    assert task.spec.max_record_bytes == 4096


# --------------------------------------------------------------------------- the sample corpus


def test_sample_archives_match_their_planted_records(tmp_path: Path) -> None:
    from provaudit.fixtures.sample import write_sample_corpus

    write_sample_corpus(tmp_path)
    truth = json.loads((tmp_path / "planted.json").read_text("utf-8"))
    got, docs = [], 0
    for path in sorted((tmp_path / "crawl_warc").iterdir()):
        name = f"crawl_warc/{path.name}"
        for item in read_shard(str(path), name, ReaderSpec("crawl_warc", "warc")):
            if isinstance(item, Skipped):
                got.append({"source": "crawl_warc", "shard": name, "location": item.location,
                            "record_type": item.record_type, "reason": item.reason})
            docs += isinstance(item, Document)
    key = lambda k: (k["shard"], int(k["location"].split(":")[1]))
    assert sorted(got, key=key) == sorted(truth["skipped"], key=key)
    assert docs == truth["sources"]["crawl_warc"]["documents"]
    reasons = Counter(k["reason"] for k in truth["skipped"])
    assert {"revisit", "non-text", "http-302", "http-301", "http-404", "empty-body", "request",
            "warcinfo", "metadata", "resource"} <= set(reasons)
    assert any(k["shard"].endswith(".arc.gz") for k in truth["skipped"])
