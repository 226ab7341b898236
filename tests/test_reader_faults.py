"""One bad record never stops a shard, and no input inflates past its limits (issue 12, item 2).

Faults built here: lone surrogates (JSON ``"\\ud800"``) in the text, id, url and licence
fields; WARC pages whose declared charset (HTTP header or ``<meta charset>``) names a codec
that is not a text encoding or no codec at all; Parquet string columns holding invalid
UTF-8 (plain and dictionary-encoded); decompression bombs made of zeros (.jsonl.zst,
.txt.gz, a .warc.gz and a WARC response with a gzip ``Content-Encoding`` body). Each one
asserts its reason code, that reading does not raise, and ``read == ledger + quarantined
+ skipped``; a whole ``provaudit scan`` over a corpus of them reconciles per shard. Peak
memory of the bombs is measured in a child process (its own high-water mark, VmHWM, reset after
the imports, over its resident size then; ``ru_maxrss`` would include the parent's size at fork).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from conftest import write_yaml
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from provaudit.beam.scan import _writable_rows, quarantine_line
from provaudit.cli import main
from provaudit.core.config import DEFAULT_MAX_SHARD_BYTES, load_config
from provaudit.core.errors import ConfigError
from provaudit.core.readers import ReaderSpec, read_shard
from provaudit.core.records import QUARANTINE_REASONS, Document, Quarantined

MiB = 1 << 20


def outline(items) -> list[tuple[str, str]]:
    return [(it.location, "doc" if isinstance(it, Document) else it.reason) for it in items]


def read(path: Path, spec: ReaderSpec) -> list:
    return list(read_shard(str(path), path.name, spec))


def writable(items) -> None:
    """Every item can be written as UTF-8 (what the shard's output files need)."""
    for it in items:
        for value in it:
            if isinstance(value, str):
                value.encode("utf-8")


def test_new_reasons_are_registered() -> None:
    assert {"invalid-encoding", "decompression-limit", "invalid-utf8"} <= set(QUARANTINE_REASONS)


# --------------------------------------------------------------------------- lone surrogates


def test_lone_surrogate_in_any_field_quarantines_that_line(tmp_path: Path) -> None:
    lines = [
        '{"id": "a", "text": "good one", "url": "https://a.example/", "lic": "MIT"}',
        '{"id": "b", "text": "bad \\ud800 text"}',
        '{"id": "c\\udfff", "text": "bad id"}',
        '{"id": "d", "text": "bad url", "url": "https://x.example/\\udc80"}',
        '{"id": "e", "text": "bad licence", "lic": "MIT\\ud83d"}',
        '{"id": {"k": "\\ud800"}, "text": "id that is an object holding a surrogate"}',
        '{"id": "f", "text": "pair \\ud83d\\ude00 is fine"}',
    ]
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(lines) + "\n", "ascii")
    spec = ReaderSpec("s", "jsonl", id_field="id", url_field="url", license_field="lic")
    items = read(path, spec)
    assert outline(items) == [
        ("line:1", "doc"),
        ("line:2", "invalid-utf8"),
        ("line:3", "invalid-utf8"),
        ("line:4", "invalid-utf8"),
        ("line:5", "invalid-utf8"),
        ("line:6", "invalid-utf8"),
        ("line:7", "doc"),
    ]
    assert [it.excerpt.split(":")[0] for it in items[1:6]] == [
        "lone surrogate in the text field",
        "lone surrogate in the id field",
        "lone surrogate in the url field",
        "lone surrogate in the license field",
        "lone surrogate in the id field",
    ]
    assert items[-1].text == "pair \U0001f600 is fine"
    writable(items)  # the excerpt shows U+FFFD, never the surrogate
    assert all("\ufffd" in it.excerpt for it in items[1:5])


def test_write_path_guard_moves_an_unwritable_row_to_the_quarantine() -> None:
    from provaudit.core.findings import Annotator, SourceFacts

    annotator = Annotator()
    annotator.setup()
    good = annotator.annotate(Document("s", "a.jsonl", "line:1", "a", "text", None, None),
                              SourceFacts(None, "licensed"))
    bad = good._replace(location="line:2", doc_id="x\ud800")
    rows, quarantined = _writable_rows([good, bad])
    assert rows == [good]
    assert [(q.location, q.reason) for q in quarantined] == [("line:2", "invalid-utf8")]
    assert "doc_id" in quarantined[0].excerpt
    line = quarantine_line(Quarantined("s", "a\udcff.jsonl", "shard", "empty-shard", "\ud800"))
    line.encode("utf-8")


# --------------------------------------------------------------------------- WARC charsets


def warc(responses: list[tuple[str, bytes, list[tuple[str, str]]]], compress: bool = True) -> bytes:
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=compress)
    for uri, payload, headers in responses:
        http = StatusAndHeaders("200 OK", [*headers, ("Content-Length", str(len(payload)))],
                                protocol="HTTP/1.1")
        w.write_record(w.create_warc_record(uri, "response", payload=io.BytesIO(payload),
                                            http_headers=http))
    return buf.getvalue()


BOGUS = ["hex", "zlib", "base64", "rot13", "uu", "bz2", "quopri", "no-such-charset", "x:y"]


@pytest.mark.parametrize("charset", BOGUS)
def test_non_text_charset_never_crashes(tmp_path: Path, charset: str) -> None:
    utf8 = "<p>caf\u00e9 \u4e2d\u6587</p>".encode()
    latin = "<p>caf\u00e9</p>".encode("latin-1")
    path = tmp_path / "c.warc.gz"
    path.write_bytes(warc([
        ("https://a.example/", utf8, [("Content-Type", f"text/html; charset={charset}")]),
        ("https://b.example/", latin, [("Content-Type", f"text/html; charset={charset}")]),
        ("https://c.example/", b'<meta charset="' + charset.encode() + b'">' + utf8,
         [("Content-Type", "text/html")]),
        ("https://d.example/", b'<meta charset="' + charset.encode() + b'">' + latin,
         [("Content-Type", "text/html")]),
        ("https://e.example/", "plain \u00e9".encode(), [("Content-Type", f"text/plain; charset={charset}")]),
    ]))
    items = read(path, ReaderSpec("crawl", "warc"))
    reasons = [it.reason if not isinstance(it, Document) else "doc" for it in items]
    assert reasons == ["doc", "invalid-encoding", "doc", "invalid-encoding", "doc"]
    assert items[0].text == items[2].text == "caf\u00e9 \u4e2d\u6587"
    assert items[4].text == "plain \u00e9"
    assert items[1].excerpt.startswith(f"charset {charset!r}")
    writable(items)


def test_unusable_header_charset_falls_back_to_meta(tmp_path: Path) -> None:
    path = tmp_path / "c.warc"
    path.write_bytes(warc([
        ("https://a.example/", b'<meta charset="windows-1252"><p>\x93quoted\x94</p>',
         [("Content-Type", "text/html; charset=hex")]),
        ("https://b.example/", "<p>r\u00e9el</p>".encode("iso-8859-1"),
         [("Content-Type", "text/html; charset=iso-8859-1")]),
        ("https://c.example/", b"\x82\xa0\xff\xff<p>x</p>",
         [("Content-Type", "text/html; charset=shift_jis")]),
    ], compress=False))
    items = read(path, ReaderSpec("crawl", "warc"))
    assert [getattr(it, "reason", "doc") for it in items] == ["doc", "doc", "invalid-encoding"]
    assert items[0].text == "\u201cquoted\u201d" and items[1].text == "r\u00e9el"


# --------------------------------------------------------------------------- Parquet bytes


def _bad_string(values: list[bytes | None]) -> pa.Array:
    """A string array holding whatever bytes are given (pyarrow does not check UTF-8 here)."""
    return pa.array(values, pa.binary()).view(pa.string())


@pytest.mark.parametrize("dictionary", [False, True], ids=["plain", "dictionary"])
def test_parquet_invalid_utf8_costs_only_its_rows(tmp_path: Path, dictionary: bool) -> None:
    text = _bad_string([b"good", b"caf\xe9", b"fine", b"ok", b"also ok"])
    ids = _bad_string([b"a", b"b", b"c", b"\xff\xfe", b"e"])
    urls = _bad_string([None, None, None, None, b"https://x.example/\xc3"])
    if dictionary:
        text = text.dictionary_encode()
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"text": text, "id": ids, "url": urls}), path)
    items = read(path, ReaderSpec("s", "parquet", id_field="id", url_field="url"))
    assert outline(items) == [
        ("row:0", "doc"), ("row:1", "invalid-utf8"), ("row:2", "doc"),
        ("row:3", "invalid-utf8"), ("row:4", "invalid-utf8"),
    ]
    assert [it.doc_id for it in items if isinstance(it, Document)] == ["a", "c"]
    assert items[3].excerpt.startswith("invalid UTF-8 in the id field")
    assert items[4].excerpt.startswith("invalid UTF-8 in the url field")
    writable(items)


def test_parquet_nested_id_with_invalid_utf8(tmp_path: Path) -> None:
    ids = pa.ListArray.from_arrays(pa.array([0, 1, 2]), _bad_string([b"ok", b"\xff"]))
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"text": ["one", "two"], "id": ids}), path)
    items = read(path, ReaderSpec("s", "parquet", id_field="id"))
    assert outline(items) == [("row:0", "doc"), ("row:1", "invalid-utf8")]
    assert items[0].doc_id == '["ok"]'


# --------------------------------------------------------------------------- bombs


def zst_zeros(total: int) -> bytes:
    """``total`` zero bytes as one zstd frame, built streaming (never held whole)."""
    out = io.BytesIO()
    with zstandard.ZstdCompressor(level=1).stream_writer(out, closefd=False) as w:
        block = bytes(16 * MiB)
        for _ in range(total // len(block)):
            w.write(block)
    return out.getvalue()


def gz_zeros(total: int) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(16 * MiB)
    return b"".join([*(c.compress(block) for _ in range(total // len(block))), c.flush()])


@pytest.mark.parametrize(
    ("name", "fmt", "size", "cap", "expected"),
    [
        ("z.jsonl.zst", "jsonl", 256 * MiB, 64 * MiB,
         [("line:1", "oversize-record"), ("shard", "decompression-limit")]),
        ("z.txt.gz", "text", 256 * MiB, 64 * MiB, [("shard", "decompression-limit")]),
        ("z.parquet.zst", "parquet", 256 * MiB, 64 * MiB, [("shard", "decompression-limit")]),
        ("z.jsonl.gz", "jsonl", 64 * MiB, 1 << 40, [("line:1", "oversize-record")]),
        ("z.txt.zst", "text", 64 * MiB, 1 << 40, [("file", "oversize-record")]),
    ],
)
def test_bombs_stop_at_the_limits(tmp_path: Path, name: str, fmt: str, size: int, cap: int,
                                  expected: list) -> None:
    data = zst_zeros(size) if name.endswith(".zst") else gz_zeros(size)
    path = tmp_path / name
    path.write_bytes(data)
    spec = ReaderSpec("s", fmt, max_record_bytes=MiB, max_shard_bytes=cap)
    items = read(path, spec)
    assert outline(items) == expected
    if expected[-1][1] == "decompression-limit":
        assert f"scan.max_shard_bytes={cap}" in items[-1].excerpt


def test_limit_keeps_documents_read_before_it(tmp_path: Path) -> None:
    good = b"".join(json.dumps({"text": f"doc {i}"}).encode() + b"\n" for i in range(3))
    path = tmp_path / "a.jsonl.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(good + bytes(8 * MiB)))
    items = read(path, ReaderSpec("s", "jsonl", max_shard_bytes=4 * MiB))
    assert outline(items) == [("line:1", "doc"), ("line:2", "doc"), ("line:3", "doc"),
                              ("shard", "decompression-limit")]
    assert items[-1].excerpt.endswith("(stopped at line:4)")


def warc_with_encoded_body(body_bytes: int, encoding: str) -> bytes:
    """One gzip-member WARC: a bomb response whose body is gzip/deflate-encoded zeros, then a page."""
    if encoding == "gzip":
        body = gz_zeros(body_bytes)
    else:
        c = zlib.compressobj(9)
        body = b"".join([*(c.compress(bytes(16 * MiB)) for _ in range(body_bytes // (16 * MiB))), c.flush()])
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    for uri, payload, extra in [
        ("https://bomb.example/", body, [("Content-Encoding", encoding)]),
        ("https://page.example/", b"<p>still read</p>", []),
    ]:
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), *extra,
                                           ("Content-Length", str(len(payload)))], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record(uri, "response", payload=io.BytesIO(payload),
                                            http_headers=http))
    return buf.getvalue()


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_warc_content_encoding_bomb(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "b.warc.gz"
    path.write_bytes(warc_with_encoded_body(256 * MiB, encoding))
    items = read(path, ReaderSpec("crawl", "warc", max_record_bytes=4 * MiB))
    assert [getattr(it, "reason", "doc") for it in items] == ["oversize-record", "doc"]
    assert items[1].text == "still read"
    items = read(path, ReaderSpec("crawl", "warc", max_record_bytes=MiB << 10, max_shard_bytes=32 * MiB))
    assert [getattr(it, "reason", "doc") for it in items] == ["decompression-limit"]


def test_warc_gz_record_bomb_counts_against_the_shard(tmp_path: Path) -> None:
    # A plain (not content-encoded) 128 MiB response inside a .warc.gz member: warcio
    # inflates it; those bytes count against scan.max_shard_bytes.
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    http = StatusAndHeaders("200 OK", [("Content-Type", "application/octet-stream")], protocol="HTTP/1.1")
    w.write_record(w.create_warc_record("https://z.example/", "response",
                                        payload=io.BytesIO(bytes(128 * MiB)), http_headers=http))
    path = tmp_path / "r.warc.gz"
    path.write_bytes(buf.getvalue())
    items = read(path, ReaderSpec("crawl", "warc", max_shard_bytes=16 * MiB))
    assert outline(items)[-1][1] == "decompression-limit"
    items = read(path, ReaderSpec("crawl", "warc"))
    assert [(type(it).__name__, it.reason) for it in items] == [("Skipped", "non-text")]


_CHILD = textwrap.dedent("""
    import json, sys, time
    from provaudit.core.readers import ReaderSpec, read_shard
    path, fmt = sys.argv[1], sys.argv[2]

    def status(key):  # KiB, this process's own memory (ru_maxrss would include the parent's at fork)
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(key))

    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the high-water mark to the resident size now, after the imports
    base = status("VmRSS:")
    start = time.monotonic()
    items = list(read_shard(path, path, ReaderSpec("s", fmt)))
    print(json.dumps({"reasons": [getattr(i, "reason", "doc") for i in items],
                      "over_kib": status("VmHWM:") - base, "seconds": time.monotonic() - start}))
""")


def _measure(path: Path, fmt: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), fmt], capture_output=True,
                         text=True, check=True, timeout=300)
    return json.loads(out.stdout)


@pytest.mark.timeout(600)
def test_issue_zst_bomb_stays_bounded(tmp_path: Path) -> None:
    """The issue's case: ~130 KB of .zst inflating to 4.5 GB, read with the default limits."""
    size = 4608 * MiB
    data = zst_zeros(size)
    path = tmp_path / "bomb.jsonl.zst"
    path.write_bytes(data)
    assert len(data) < 200_000
    got = _measure(path, "jsonl")
    print(f"zst bomb {len(data)} bytes -> {size} bytes: {got}")
    assert got["reasons"] == ["oversize-record"]  # one 4.5 GB line, past 256 MiB
    # Peak resident size over the resident size before reading (KiB).
    assert got["over_kib"] < 1024 * 1024, got
    assert got["seconds"] < 60, got


@pytest.mark.timeout(600)
def test_warc_gzip_body_bomb_stays_bounded(tmp_path: Path) -> None:
    path = tmp_path / "bomb.warc.gz"
    path.write_bytes(warc_with_encoded_body(1024 * MiB, "gzip"))
    assert path.stat().st_size < 1_200_000
    got = _measure(path, "warc")
    print(f"WARC gzip body bomb {path.stat().st_size} bytes -> 1 GiB: {got}")
    assert got["reasons"] == ["oversize-record", "doc"]
    assert got["over_kib"] < 1024 * 1024, got
    assert got["seconds"] < 60, got


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("value", "fragment"),
    [(10, "less than the minimum"), ("1 GiB", "is not of type 'integer'")],
)
def test_shard_limit_is_validated(tmp_path: Path, value, fragment: str) -> None:
    config = write_yaml(tmp_path / "c.yaml", {
        "output": "out", "scan": {"max_shard_bytes": value},
        "sources": [{"name": "s", "paths": "*.jsonl", "acquisition": "licensed", "license": "MIT"}],
    })
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert info.value.file.endswith("c.yaml") and info.value.key == "scan.max_shard_bytes"
    assert fragment in info.value.problem


def test_shard_limit_reaches_the_readers(tmp_path: Path) -> None:
    from provaudit.core.config import Shard
    from provaudit.stages.scan import plan_tasks

    src = [{"name": "s", "paths": "*.jsonl", "acquisition": "licensed", "license": "MIT"}]
    cfg = load_config(write_yaml(tmp_path / "c.yaml", {
        "output": "out", "scan": {"max_shard_bytes": 4096}, "sources": src}))
    (task,) = plan_tasks(cfg, [Shard("s", str(tmp_path / "a.jsonl"), "a.jsonl", 1, "jsonl")])
    assert task.spec.max_shard_bytes == 4096
    default = load_config(write_yaml(tmp_path / "d.yaml", {"output": "out", "sources": src}))
    assert default.scan.max_shard_bytes == DEFAULT_MAX_SHARD_BYTES == 64 << 30


# --------------------------------------------------------------------------- a whole scan


def test_scan_of_a_fault_corpus_reconciles(tmp_path: Path, capsys) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "surrogates.jsonl").write_text(
        '{"id": "a", "text": "good"}\n{"id": "b\\ud800", "text": "bad id"}\n'
        '{"id": "c", "text": "t", "url": "https://u.example/\\udfff"}\n'
        '{"id": "d", "text": "lic", "lic": "\\ud800"}\n{"id": "e", "text": "\\udc00"}\n', "ascii")
    pq.write_table(pa.table({"text": _bad_string([b"one", b"tw\xff", b"three"]),
                             "id": ["p1", "p2", "p3"]}), data / "bad.parquet")
    (data / "bomb.jsonl.zst").write_bytes(
        zstandard.ZstdCompressor().compress(b'{"id": "z", "text": "before"}\n' + bytes(8 * MiB)))
    (data / "crawl.warc.gz").write_bytes(warc([
        ("https://a.example/", b"<p>hex page</p>", [("Content-Type", "text/html; charset=hex")]),
        ("https://b.example/", b"<p>caf\xe9</p>", [("Content-Type", "text/html; charset=zlib")]),
    ]))
    config = write_yaml(tmp_path / "config.yaml", {
        "output": "out", "scan": {"max_shard_bytes": 4 * MiB},
        "sources": [
            {"name": "lines", "paths": ["data/*.jsonl", "data/*.jsonl.zst"], "acquisition": "licensed",
             "id_field": "id", "url_field": "url", "license_field": "lic"},
            {"name": "table", "paths": "data/*.parquet", "acquisition": "licensed", "license": "MIT",
             "id_field": "id"},
            {"name": "crawl", "paths": "data/*.warc.gz", "acquisition": "self-collected",
             "license": "CC-BY-4.0"},
        ],
    })
    start = time.monotonic()
    code = main(["scan", str(config)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Traceback" not in err
    (manifest,) = (tmp_path / "out").glob("*/manifest.json")
    m = json.loads(manifest.read_text("utf-8"))
    assert m["reconciliation"]["ok"] is True
    by_path = {Path(s["path"]).name: s for s in m["shards"]}
    for s in m["shards"]:
        assert s["read"] == s["ledger"] + s["quarantined"] + s["skipped"], s
    assert (by_path["surrogates.jsonl"]["ledger"], by_path["surrogates.jsonl"]["quarantined_by_reason"]) == (
        1, {"invalid-utf8": 4})
    assert (by_path["bad.parquet"]["ledger"], by_path["bad.parquet"]["quarantined_by_reason"]) == (
        2, {"invalid-utf8": 1})
    assert (by_path["bomb.jsonl.zst"]["ledger"], by_path["bomb.jsonl.zst"]["quarantined_by_reason"]) == (
        1, {"decompression-limit": 1})
    assert (by_path["crawl.warc.gz"]["ledger"], by_path["crawl.warc.gz"]["quarantined_by_reason"]) == (
        1, {"invalid-encoding": 1})
    ledger = pq.read_table(manifest.parent / "ledger").to_pylist()
    assert sorted(r["doc_id"] for r in ledger if r["source"] != "crawl") == ["a", "p1", "p3", "z"]
    for path in (manifest.parent / "quarantine").rglob("*.jsonl"):
        for line in path.read_text("utf-8").splitlines():
            assert "\\ud8" not in line and "\\udc" not in line and "\\udf" not in line
    assert time.monotonic() - start < 120
