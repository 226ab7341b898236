"""Readers: every format, every quarantine reason code, on files written here."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from provaudit.core.readers import (
    FORMATS,
    ReaderSpec,
    compression_of,
    html_to_text,
    infer_format,
    read_shard,
)
from provaudit.core.records import QUARANTINE_REASONS, Document, Quarantined, Skipped

EMAIL = "jane.roe@example.org"


def read(
    path: Path, spec: ReaderSpec, shard: str | None = None
) -> list[Document | Quarantined | Skipped]:
    return list(read_shard(str(path), shard or path.name, spec))


def not_http_exchange(items: Iterable[Document | Quarantined | Skipped]) -> list:
    """Drop the warcinfo and request records every test WARC has (they are Skipped)."""
    return [
        it
        for it in items
        if not (isinstance(it, Skipped) and it.record_type in ("warcinfo", "request"))
    ]


def outline(items: Iterable[Document | Quarantined | Skipped]) -> list[tuple[str, str]]:
    """(location, doc_id or reason) of each item, in order."""
    return [(it.location, it.doc_id if isinstance(it, Document) else it.reason) for it in items]


def jsonl(*records: object) -> bytes:
    return b"".join(
        (r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records
    )


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def zst(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


def many_docs(n: int) -> bytes:
    return jsonl(*({"id": f"d{i}", "text": f"document number {i} " * 20} for i in range(n)))


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("path", "fmt", "compression"),
    [
        ("a/b.jsonl", "jsonl", None),
        ("b.json.gz", "jsonl", "gzip"),
        ("gs://bucket/x/b.NDJSON.zst", "jsonl", "zstd"),
        ("books.parquet", "parquet", None),
        ("books.pq", "parquet", None),
        ("post.txt", "text", None),
        ("README.md", "text", None),
        ("notes.text.gz", "text", "gzip"),
        ("crawl.warc", "warc", None),
        ("CC-MAIN-0001.warc.gz", "warc", "gzip"),
        ("crawl.warc.zst", "warc", "zstd"),
        ("data.csv", None, None),
        ("archive.gz", None, "gzip"),
        ("noextension", None, None),
    ],
)
def test_infer_format_and_compression(path: str, fmt: str | None, compression: str | None) -> None:
    assert infer_format(path) == fmt
    assert compression_of(path) == compression


def test_every_reason_code_is_known() -> None:
    assert set(FORMATS) == {"jsonl", "parquet", "text", "warc"}
    assert "truncated-compression" in QUARANTINE_REASONS


def test_unknown_format_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown format"):
        read(write(tmp_path / "a.csv", b"x"), ReaderSpec("s", "csv"))


# --------------------------------------------------------------------------- JSONL


def test_jsonl_documents_ids_urls_licenses(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.jsonl",
        jsonl(
            {"id": "x1", "text": "first", "url": "https://a.example/1", "lic": "CC-BY-4.0"},
            {"text": "no id here", "url": None},  # id missing: derived id
            {"id": None, "text": "null id"},  # id null: derived id
            {"id": 7, "text": "numeric id", "lic": ["MIT", "CC0"]},
            {"id": "x5", "text": ""},  # an empty text is a document
        ),
    )
    spec = ReaderSpec("web", "jsonl", id_field="id", url_field="url", license_field="lic")
    docs = read(path, spec, shard="web/a.jsonl")
    assert all(isinstance(d, Document) for d in docs)
    assert [d.doc_id for d in docs] == ["x1", "web/a.jsonl#line:2", "web/a.jsonl#line:3", "7", "x5"]
    assert [d.location for d in docs] == [f"line:{i}" for i in range(1, 6)]
    assert docs[0] == Document(
        "web", "web/a.jsonl", "line:1", "x1", "first", "https://a.example/1", "CC-BY-4.0"
    )
    assert docs[1].url is None and docs[1].license_raw is None
    assert docs[3].license_raw == '["MIT", "CC0"]'
    assert docs[4].text == ""


def test_jsonl_without_id_field_derives_ids(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", jsonl({"id": "ignored", "body": "t"}))
    (doc,) = read(path, ReaderSpec("s", "jsonl", text_field="body"), shard="s/a.jsonl")
    assert doc.doc_id == "s/a.jsonl#line:1"
    assert doc.url is None and doc.license_raw is None


def test_jsonl_bad_lines_do_not_stop_the_shard(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.jsonl",
        jsonl(
            {"id": "a", "text": "good one"},
            b'{"id": "b", "text": "cut',  # invalid JSON
            b"[1, 2, 3]",  # JSON, not an object
            b'{"id": "c", "text": "bad \xff\xfe bytes"}',  # not UTF-8
            {"id": "d"},  # no text
            {"id": "e", "text": None},  # null text
            {"id": "f", "text": 42},  # number
            {"id": "g", "text": ["a", "list"]},  # list
            {"id": "h", "text": "x" * 101},  # past max_doc_chars: still a document
            b"   ",  # blank: skipped, still counted as a line
            {"id": "i", "text": "x" * 100},
            b'{"id": "j", "text": "lone \\ud800 surrogate"}',  # not encodable as UTF-8
            {"id": "k", "text": "after all that, still read"},
        ),
    )
    items = read(path, ReaderSpec("s", "jsonl", id_field="id", max_doc_chars=100))
    assert outline(items) == [
        ("line:1", "a"),
        ("line:2", "invalid-json"),
        ("line:3", "invalid-json"),
        ("line:4", "invalid-utf8"),
        ("line:5", "missing-text"),
        ("line:6", "missing-text"),
        ("line:7", "non-string-text"),
        ("line:8", "non-string-text"),
        ("line:9", "h"),
        ("line:11", "i"),
        ("line:12", "invalid-utf8"),
        ("line:13", "k"),
    ]
    excerpts = {it.location: it.excerpt for it in items if isinstance(it, Quarantined)}
    assert excerpts["line:7"] == "42"
    assert excerpts["line:8"] == '["a", "list"]'
    assert excerpts["line:2"].startswith('{"id": "b"')


def test_jsonl_excerpt_is_short_and_masked(tmp_path: Path) -> None:
    line = f'{{"text": "write to {EMAIL} now" ' + "padding " * 40
    path = write(tmp_path / "a.jsonl", line.encode() + b"\n")
    (item,) = read(path, ReaderSpec("s", "jsonl"))
    assert item.reason == "invalid-json"
    assert EMAIL not in item.excerpt and "@" in item.excerpt  # masked, still recognisable
    assert len(item.excerpt) <= 80


def test_jsonl_bom_crlf_and_last_line_without_newline(tmp_path: Path) -> None:
    data = b'\xef\xbb\xbf{"text": "one"}\r\n{"text": "two"}'
    items = read(write(tmp_path / "a.jsonl", data), ReaderSpec("s", "jsonl"))
    assert [d.text for d in items] == ["one", "two"]


def test_jsonl_overlong_line_is_quarantined_unparsed(tmp_path: Path) -> None:
    # max_record_bytes=1 MiB: this line exceeds it; the line after it is read as usual.
    huge = b'{"text": "' + b"y" * ((1 << 20) + 100) + b'"}'
    path = write(tmp_path / "a.jsonl", jsonl({"text": "a"}, huge, {"text": "b"}))
    items = read(path, ReaderSpec("s", "jsonl", max_doc_chars=1, max_record_bytes=1 << 20))
    assert outline(items) == [
        ("line:1", "a.jsonl#line:1"),
        ("line:2", "oversize-record"),
        ("line:3", "a.jsonl#line:3"),
    ]
    assert items[1].excerpt.startswith('{"text": "yyy') and len(items[1].excerpt) <= 80


def test_jsonl_line_at_the_record_limit_is_a_document(tmp_path: Path) -> None:
    line = json.dumps({"text": "z" * 3000}).encode()
    path = write(tmp_path / "a.jsonl", jsonl(line, line + b" "))
    items = read(path, ReaderSpec("s", "jsonl", max_doc_chars=10, max_record_bytes=len(line)))
    assert outline(items) == [("line:1", "a.jsonl#line:1"), ("line:2", "oversize-record")]
    assert items[0].text == "z" * 3000  # max_doc_chars never cuts a document


@pytest.mark.parametrize(("suffix", "compress"), [(".jsonl.gz", gz), (".jsonl.zst", zst)])
def test_jsonl_compressed_multi_member(tmp_path: Path, suffix: str, compress) -> None:
    # Two members (gzip) / two frames (zstd), concatenated: both are read.
    data = compress(many_docs(3)) + compress(jsonl({"id": "last", "text": "z"}))
    items = read(write(tmp_path / f"a{suffix}", data), ReaderSpec("s", "jsonl", id_field="id"))
    assert [d.doc_id for d in items] == ["d0", "d1", "d2", "last"]


@pytest.mark.parametrize(("suffix", "compress"), [(".jsonl.gz", gz), (".jsonl.zst", zst)])
def test_jsonl_truncated_compression(tmp_path: Path, suffix: str, compress) -> None:
    plain = many_docs(2000)
    data = compress(plain)
    cut = data[: len(data) // 2]
    items = read(write(tmp_path / f"a{suffix}", cut), ReaderSpec("s", "jsonl", id_field="id"))
    *docs, last = items
    assert all(isinstance(d, Document) for d in docs)
    assert last.reason == "truncated-compression"
    # The documents before the break are read in order; the break is on the next line.
    assert [d.doc_id for d in docs] == [f"d{i}" for i in range(len(docs))]
    assert last.location == f"line:{len(docs) + 1}"
    # Independently: the decompressible prefix holds exactly those complete lines.
    if suffix.endswith(".gz"):
        import zlib

        prefix = zlib.decompressobj(31).decompress(cut)
    else:
        prefix = b"".join(
            zstandard.ZstdDecompressor().read_to_iter(io.BytesIO(cut), read_size=1 << 16)
        )
    assert prefix.count(b"\n") == len(docs)


def test_jsonl_truncated_at_every_cut_never_raises(tmp_path: Path) -> None:
    data = gz(many_docs(30))
    for cut in range(0, len(data), 7):
        items = read(write(tmp_path / "a.jsonl.gz", data[:cut]), ReaderSpec("s", "jsonl"))
        reasons = [it.reason for it in items if isinstance(it, Quarantined)]
        assert reasons == (["empty-shard"] if cut == 0 else ["truncated-compression"])


def test_jsonl_gz_that_is_not_gzip(tmp_path: Path) -> None:
    items = read(write(tmp_path / "a.jsonl.gz", jsonl({"text": "plain"})), ReaderSpec("s", "jsonl"))
    assert outline(items) == [("line:1", "truncated-compression")]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("zero.jsonl", b""),
        ("blank.jsonl", b"\n  \n\r\n"),
        ("empty.jsonl.gz", gz(b"")),
        ("empty.jsonl.zst", zst(b"")),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_jsonl_empty_shard(tmp_path: Path, name: str, data: bytes) -> None:
    items = read(write(tmp_path / name, data), ReaderSpec("s", "jsonl"), shard="s/" + name)
    assert items == [Quarantined("s", "s/" + name, "shard", "empty-shard", "")]


def test_unreadable_shard_when_opening_fails(tmp_path: Path) -> None:
    items = read(tmp_path / "missing.jsonl", ReaderSpec("s", "jsonl"))
    assert outline(items) == [("shard", "unreadable-shard")]
    assert "FileNotFoundError" in items[0].excerpt


def test_unreadable_shard_when_reading_fails_midway() -> None:
    class Flaky(io.BytesIO):
        def read(self, size: int = -1) -> bytes:
            if self.tell() > 0:
                raise OSError("connection reset")
            return super().read(size)

    data = many_docs(5000)  # more than one read
    items = list(
        read_shard("mem://a.jsonl", "a.jsonl", ReaderSpec("s", "jsonl"), lambda p: Flaky(data))
    )
    *docs, last = items
    assert docs and all(isinstance(d, Document) for d in docs)
    assert (last.reason, last.location) == ("unreadable-shard", f"line:{len(docs) + 1}")
    assert "connection reset" in last.excerpt


def test_open_binary_is_injected() -> None:
    opened: list[str] = []

    def open_binary(path: str) -> io.BytesIO:
        opened.append(path)
        return io.BytesIO(gz(jsonl({"text": "remote"})))

    items = list(
        read_shard("gs://b/x.jsonl.gz", "gs://b/x.jsonl.gz", ReaderSpec("s", "jsonl"), open_binary)
    )
    assert opened == ["gs://b/x.jsonl.gz"]
    assert [d.text for d in items] == ["remote"]


# --------------------------------------------------------------------------- Parquet


def write_parquet(path: Path, table: pa.Table, **kwargs) -> Path:
    pq.write_table(table, path, **kwargs)
    return path


def test_parquet_documents_across_batches(tmp_path: Path) -> None:
    n = 2500  # more than one record batch
    texts = [f"row {i} text" for i in range(n)]
    texts[3] = None
    texts[4] = "z" * 51
    table = pa.table(
        {
            "content": texts,
            "book_id": [f"b{i}" if i != 5 else None for i in range(n)],
            "link": [f"https://books.example/{i}" for i in range(n)],
        }
    )
    path = write_parquet(tmp_path / "b.parquet", table, row_group_size=700)
    spec = ReaderSpec(
        "books",
        "parquet",
        text_field="content",
        id_field="book_id",
        url_field="link",
        license_field="not_a_column",
        max_doc_chars=50,
    )
    items = read(path, spec, shard="books/b.parquet")
    assert len(items) == n
    assert outline(items)[:7] == [
        ("row:0", "b0"),
        ("row:1", "b1"),
        ("row:2", "b2"),
        ("row:3", "missing-text"),
        ("row:4", "b4"),  # longer than max_doc_chars: a document all the same
        ("row:5", "books/b.parquet#row:5"),
        ("row:6", "b6"),
    ]
    assert items[-1] == Document(
        "books",
        "books/b.parquet",
        "row:2499",
        "b2499",
        "row 2499 text",
        "https://books.example/2499",
        None,
    )


def test_parquet_without_text_column(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "b.parquet", pa.table({"title": ["a", "b"]}))
    items = read(path, ReaderSpec("s", "parquet"))
    assert outline(items) == [("shard", "schema-mismatch")]
    assert "title" in items[0].excerpt


def test_parquet_text_column_of_another_type_is_one_schema_mismatch(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "b.parquet", pa.table({"text": [1, 2, 3]}))
    items = read(path, ReaderSpec("s", "parquet"))
    assert outline(items) == [("shard", "schema-mismatch")]
    assert "int64" in items[0].excerpt and "3 rows" in items[0].excerpt


def test_parquet_binary_and_dictionary_text(tmp_path: Path) -> None:
    binary = pa.table({"text": pa.array([b"ok", b"bad \xff", None], pa.binary())})
    items = read(write_parquet(tmp_path / "a.parquet", binary), ReaderSpec("s", "parquet"))
    assert [getattr(it, "reason", "doc") for it in items] == ["doc", "invalid-utf8", "missing-text"]
    dictionary = pa.table({"text": pa.array(["x", "y", "x"]).dictionary_encode()})
    items = read(write_parquet(tmp_path / "d.parquet", dictionary), ReaderSpec("s", "parquet"))
    assert [d.text for d in items] == ["x", "y", "x"]


def test_parquet_zero_rows_is_empty(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "b.parquet", pa.table({"text": pa.array([], pa.string())}))
    assert outline(read(path, ReaderSpec("s", "parquet"))) == [("shard", "empty-shard")]


@pytest.mark.parametrize("damage", ["garbage", "cut"])
def test_parquet_corrupt_is_unreadable(tmp_path: Path, damage: str) -> None:
    good = write_parquet(tmp_path / "g.parquet", pa.table({"text": ["a"] * 100})).read_bytes()
    data = b"not parquet at all" if damage == "garbage" else good[: len(good) // 2]
    items = read(write(tmp_path / "b.parquet", data), ReaderSpec("s", "parquet"))
    assert outline(items) == [("shard", "unreadable-shard")]


def test_parquet_compressed_and_unseekable(tmp_path: Path) -> None:
    data = write_parquet(tmp_path / "g.parquet", pa.table({"text": ["a", "b"]})).read_bytes()
    items = read(write(tmp_path / "b.parquet.gz", gz(data)), ReaderSpec("s", "parquet"))
    assert [d.text for d in items] == ["a", "b"]

    class Unseekable(io.BytesIO):
        def seekable(self) -> bool:
            return False

    items = list(
        read_shard("m://b.parquet", "b", ReaderSpec("s", "parquet"), lambda p: Unseekable(data))
    )
    assert [d.text for d in items] == ["a", "b"]


# --------------------------------------------------------------------------- text


def test_text_file_is_one_document(tmp_path: Path) -> None:
    path = write(tmp_path / "p.txt", "\ufeffBonjour à tous.\nDeuxième ligne.\n".encode())
    (doc,) = read(path, ReaderSpec("forum", "text"), shard="forum/p.txt")
    assert doc == Document(
        "forum",
        "forum/p.txt",
        "file",
        "forum/p.txt#file",
        "Bonjour à tous.\nDeuxième ligne.\n",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("bad.txt", b"caf\xe9 latin-1", ("file", "invalid-utf8")),
        ("zero.txt", b"", ("shard", "empty-shard")),
        ("blank.txt", b" \n\t\n", ("shard", "empty-shard")),
        ("big.txt", b"x" * 1028, ("file", "oversize-record")),  # 1024 + a BOM's 3 allowed
        ("huge.txt", "\u4e2d".encode() * 343, ("file", "oversize-record")),
        ("cut.txt.gz", gz(b"some text " * 2000)[:-4], ("file", "truncated-compression")),
        ("cut.txt.zst", zst(b"some text " * 2000)[:-4], ("file", "truncated-compression")),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_text_problems(tmp_path: Path, name: str, data: bytes, expected: tuple[str, str]) -> None:
    spec = ReaderSpec("s", "text", max_doc_chars=10, max_record_bytes=1024)
    items = read(write(tmp_path / name, data), spec)
    assert outline(items) == [expected]


def test_text_file_at_the_record_limit_is_a_document(tmp_path: Path) -> None:
    spec = ReaderSpec("s", "text", max_doc_chars=10, max_record_bytes=1024)
    (doc,) = read(write(tmp_path / "a.txt", b"\xef\xbb\xbf" + b"x" * 1024), spec)
    assert doc.text == "x" * 1024


def test_text_compressed(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt.zst", zst("长城 text".encode()))
    (doc,) = read(path, ReaderSpec("s", "text"))
    assert doc.text == "长城 text"


# --------------------------------------------------------------------------- WARC

PAGE = (
    "<html><head><title>Tea &amp; Coffee</title><style>p {color: red}</style>"
    "<script>var secret = 1;</script></head><body><h1>Tea</h1>"
    "<p>Tea   is a drink\n made by <b>steeping</b> leaves.</p><p>&lt;caf&eacute;&gt;</p>"
    "<noscript>enable js</noscript></body></html>"
)
PAGE_TEXT = "Tea & Coffee\nTea\nTea is a drink made by steeping leaves.\n<café>"


def warc_bytes(records: list[tuple[str, str, bytes]], gzip_records: bool = True) -> bytes:
    """A WARC with a warcinfo record, then a request + response per (uri, content type, payload)."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gzip_records)
    writer.write_record(writer.create_warcinfo_record("t.warc", {"software": "test"}))
    for uri, content_type, payload in records:
        request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "x")], is_http_request=True)
        writer.write_record(writer.create_warc_record(uri, "request", http_headers=request))
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                uri, "response", payload=io.BytesIO(payload), http_headers=headers
            )
        )
    return buf.getvalue()


RECORDS = [
    ("https://tea.example.co.uk/", "text/html; charset=utf-8", PAGE.encode()),
    ("https://img.example.com/a.png", "image/png", b"\x89PNG\r\n\x1a\n"),
    ("https://plain.example.com/r.txt", "text/plain", "plain words, 中文".encode()),
    (
        "https://latin.example.fr/",
        "text/html; charset=ISO-8859-1",
        "<p>caf\xe9</p>".encode("latin-1"),
    ),
    (
        "https://meta.example.de/",
        "text/html",
        b'<meta charset="windows-1252"><p>\x93quoted\x94</p>',
    ),
    ("https://broken.example.com/", "text/html", b"<p>caf\xe9</p>"),
    ("https://long.example.com/", "text/plain", b"w" * 500),
]


def warcio_offsets(data: bytes) -> dict[str, int]:
    """Response offsets as warcio itself reports them, by target URI."""
    offsets = {}
    archive = ArchiveIterator(io.BytesIO(data))
    for record in archive:
        if record.rec_type == "response":
            record.content_stream().read()
            offsets[record.rec_headers.get_header("WARC-Target-URI")] = archive.get_record_offset()
    return offsets


@pytest.mark.parametrize("gzip_records", [True, False])
def test_warc_responses(tmp_path: Path, gzip_records: bool) -> None:
    data = warc_bytes(RECORDS, gzip_records)
    name = "c.warc.gz" if gzip_records else "c.warc"
    all_items = read(write(tmp_path / name, data), ReaderSpec("crawl", "warc", max_doc_chars=400))
    assert [it.record_type for it in all_items if isinstance(it, Skipped)][:3] == [
        "warcinfo",
        "request",
        "request",
    ]
    items = not_http_exchange(all_items)
    offsets = warcio_offsets(data)
    assert [it.location for it in items] == [f"offset:{offsets[u]}" for u, _, _ in RECORDS]
    assert [getattr(it, "reason", "doc") for it in items] == [
        "doc",
        "non-text",
        "doc",
        "doc",
        "doc",
        "invalid-utf8",
        "doc",  # longer than max_doc_chars: a document all the same
    ]
    page, image, plain, latin, meta, _, long = items
    assert page.text == PAGE_TEXT and page.url == RECORDS[0][0]
    assert page.doc_id.startswith("urn:uuid:")
    assert isinstance(image, Skipped) and image.record_type == "response"
    assert image.detail == "image/png https://img.example.com/a.png"
    assert long.text == "w" * 500
    assert plain.text == "plain words, 中文"
    assert latin.text == "café"
    assert meta.text == "\u201cquoted\u201d"


def test_warc_offsets_of_gzip_members_are_compressed_offsets(tmp_path: Path) -> None:
    data = warc_bytes(RECORDS[:1])
    (doc,) = not_http_exchange(read(write(tmp_path / "c.warc.gz", data), ReaderSpec("s", "warc")))
    offset = int(doc.location.split(":")[1])
    # One gzip member per record: the offset is where the response's member starts.
    member = gzip.decompress(data[offset:]).split(b"\r\n", 3)
    assert member[0].startswith(b"WARC/1.")
    assert b"WARC-Type: response" in b"\r\n".join(member[:3])


def test_warc_zst_and_whole_file_gzip(tmp_path: Path) -> None:
    plain = warc_bytes(RECORDS, gzip_records=False)
    spec = ReaderSpec("s", "warc", max_doc_chars=400)
    expected = outline(read(write(tmp_path / "p.warc", plain), spec))
    # Decompressed here: offsets count decompressed bytes, the same as the plain file's.
    assert outline(read(write(tmp_path / "z.warc.zst", zst(plain)), spec)) == expected
    assert outline(read(write(tmp_path / "w.warc.gz", gz(plain)), spec)) == expected


def test_warc_that_is_not_warc(tmp_path: Path) -> None:
    for name, data in [("a.warc", b"hello world\nnot a warc\n"), ("b.warc.gz", gz(PAGE.encode()))]:
        items = read(write(tmp_path / name, data), ReaderSpec("s", "warc"))
        assert outline(items) == [("shard", "schema-mismatch")]


def test_warc_without_responses_accounts_for_its_warcinfo(tmp_path: Path) -> None:
    items = read(write(tmp_path / "a.warc.gz", warc_bytes([])), ReaderSpec("s", "warc"))
    assert outline(items) == [("offset:0", "warcinfo")]
    assert outline(read(write(tmp_path / "b.warc", b""), ReaderSpec("s", "warc"))) == [
        ("shard", "empty-shard")
    ]


def test_warc_truncated_gzip(tmp_path: Path) -> None:
    data = warc_bytes(RECORDS)
    offsets = sorted(warcio_offsets(data).values())
    cut = offsets[3] + 100  # inside the fourth response's gzip member
    items = read(write(tmp_path / "c.warc.gz", data[:cut]), ReaderSpec("s", "warc"))
    *before, last = not_http_exchange(items)
    assert [it.location for it in before] == [f"offset:{o}" for o in offsets[:3]]
    assert (last.location, last.reason) == (f"offset:{offsets[3]}", "truncated-compression")


def test_warc_cut_anywhere_never_raises(tmp_path: Path) -> None:
    data = warc_bytes(RECORDS[:3])
    archive = ArchiveIterator(io.BytesIO(data))
    members = {archive.get_record_offset() for _ in archive}  # every record is one member
    path = tmp_path / "c.warc.gz"
    for cut in range(1, len(data)):
        items = read(write(path, data[:cut]), ReaderSpec("s", "warc"))
        if cut in members:  # cut exactly between two members: the file looks whole
            continue
        assert items[-1].reason in ("truncated-compression", "empty-shard"), cut


def test_warc_uncompressed_cut_inside_a_record(tmp_path: Path) -> None:
    data = warc_bytes(RECORDS[:1], gzip_records=False)
    items = read(write(tmp_path / "c.warc", data[:-30]), ReaderSpec("s", "warc"))
    assert [it.reason for it in items] == ["warcinfo", "request", "schema-mismatch"]
    assert "Content-Length" in items[-1].excerpt


def test_html_to_text() -> None:
    assert html_to_text(PAGE) == PAGE_TEXT
    assert (
        html_to_text("<div>a<br>b</div><ul><li>c</li><li>d &amp; e</li></ul>") == "a\nb\nc\nd & e"
    )
    assert html_to_text("<p>unclosed <b>bold") == "unclosed bold"
