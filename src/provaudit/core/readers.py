"""Read one shard into Documents; route everything that cannot be read to Quarantined.

Contract. :func:`read_shard` yields, in file order, one :class:`~provaudit.core.records.Document`
per document and one :class:`~provaudit.core.records.Quarantined` per problem, and never raises
on bad data: one bad line, row or record is quarantined with a stable reason code and the
shard goes on. It imports no Beam: the caller injects ``open_binary`` (a Beam DoFn passes
a function opening remote paths with ``FileSystems.open(path,
compression_type=CompressionTypes.UNCOMPRESSED)``, so the bytes arrive as stored) and
this module decompresses gzip and zstd itself, chosen by the extension (:func:`compression_of`).

Shard-level outcomes:

- opening or reading raises ``OSError`` -> ``unreadable-shard`` (at the location reached).
  Other exceptions from ``open_binary`` are not data problems and propagate, so the runner
  can retry a transient failure;
- a gzip/zstd stream that ends inside a member/frame or is corrupt -> the documents read
  so far, then one ``truncated-compression`` at the location where it broke;
- nothing yielded at all (0 bytes, blank lines only, 0 rows, whitespace-only text, a WARC
  without response records) -> one ``empty-shard`` at location ``"shard"``.

Per format:

- ``jsonl``: one JSON object per line; location ``line:N`` (1-based, counting every line,
  blank ones included, which are skipped and are not documents). Each line is decoded on
  its own, so bad bytes cost one line. A line longer than ``16 * max_doc_chars + 1 MiB``
  bytes cannot hold an allowed document (JSON escapes take at most 12 bytes a character)
  and is quarantined as ``oversize-document`` without being parsed, which bounds memory.
- ``parquet``: pyarrow, record batch by batch; location ``row:N`` (0-based over the file).
  A text column that is not a string column is a property of the shard, not of its rows:
  one ``schema-mismatch`` for the shard (its excerpt names the type and the row count);
  a binary column is decoded row by row as UTF-8 (``invalid-utf8`` per bad row). Id, URL
  and license columns that the file lacks read as absent (derived ids, ``None``).
- ``text``: the whole file is one document, location ``file``.
- ``warc``: warcio, WARC only (an ARC file or other data is ``schema-mismatch``). Only
  ``response`` records are documents; warcinfo, request, metadata, revisit, resource and
  conversion records are not training documents and are skipped. A response whose
  payload is not HTML (``text/html``, ``application/xhtml+xml``) or ``text/plain``, or
  that has no HTTP headers, is ``schema-mismatch`` with the content type in the excerpt.
  HTML is reduced to text with :mod:`html.parser` (script, style, noscript and template
  dropped; block elements end lines; whitespace collapsed; entities unescaped). Charset:
  the HTTP header, else an HTML ``<meta>`` charset, else UTF-8; bytes that do not decode
  -> ``invalid-utf8``. HTTP status is not filtered; a payload is read whole (crawlers cap
  record sizes). Location ``offset:N`` is warcio's ``get_record_offset()``: the record's
  offset in the file as stored, which for a ``.warc.gz`` (one gzip member per record) is
  the member's offset in the compressed file, as CDX indexes record it. A ``.warc.zst``
  and a gzip file that is not one member per record are decompressed here, and their
  offsets count decompressed bytes. A record cut short is ``truncated-compression`` in a
  compressed file and ``schema-mismatch`` in a plain one.

Fields: ``doc_id`` is ``str`` of the ``id_field`` value (JSON for non-strings) when the
record has one; a record whose id is missing or null falls back to the derived id
``f"{shard}#{location}"``, so every document has an id that locates it. WARC documents
take their ``WARC-Record-ID`` without angle brackets. ``url`` and ``license_raw`` come
from ``url_field`` and ``license_field`` (strings as they are, other values as JSON,
missing or null as ``None``). An empty string is a document (later steps report it);
a missing or null text is ``missing-text``. Excerpts hold at most 80 characters of the
offending content, whitespace collapsed and masked with :func:`provaudit.core.pii.mask_text`.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import re
import tempfile
import zlib
from collections.abc import Callable, Generator, Iterator
from html.parser import HTMLParser
from typing import Any, BinaryIO, NamedTuple, Protocol

import zstandard
from warcio.archiveiterator import WARCIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader

from provaudit.core.pii import mask_text
from provaudit.core.records import Document, Quarantined

__all__ = [
    "FORMATS",
    "ReaderSpec",
    "compression_of",
    "html_to_text",
    "infer_format",
    "read_shard",
]

FORMATS = ("jsonl", "parquet", "text", "warc")

_FORMAT_OF_EXTENSION = {
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".txt": "text",
    ".md": "text",
    ".text": "text",
    ".warc": "warc",
}
_COMPRESSION_OF_EXTENSION = {".gz": "gzip", ".zst": "zstd"}

_CHUNK = 1 << 16  # bytes read from a stream at a time
_PARQUET_BATCH_ROWS = 1024
_SPOOL_MAX_BYTES = 64 << 20  # a compressed or unseekable Parquet file spills to disk past this
_EXCERPT_CHARS = 80
_BOM = b"\xef\xbb\xbf"
_SURROGATE = re.compile("[\ud800-\udfff]")

Item = Document | Quarantined


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class ReaderSpec(NamedTuple):
    """What a reader needs to know about the source of a shard."""

    source: str
    format: str  # one of FORMATS
    text_field: str = "text"
    id_field: str | None = None
    url_field: str | None = None
    license_field: str | None = None
    max_doc_chars: int = 1_000_000


def _name_and_compression(path: str) -> tuple[str, str | None]:
    name = re.split(r"[/\\]", path)[-1].lower()
    for ext, compression in _COMPRESSION_OF_EXTENSION.items():
        if name.endswith(ext):
            return name[: -len(ext)], compression
    return name, None


def compression_of(path: str) -> str | None:
    """Return "gzip" or "zstd" from a path's extension (.gz, .zst), else None."""
    return _name_and_compression(path)[1]


def infer_format(path: str) -> str | None:
    """Return the format a path's extension names (after .gz/.zst), else None."""
    name, _ = _name_and_compression(path)
    dot = name.rfind(".")
    return _FORMAT_OF_EXTENSION.get(name[dot:]) if dot >= 0 else None


def _open_local(path: str) -> BinaryIO:
    return open(path, "rb")


# --------------------------------------------------------------------------- plumbing


class _StreamError(Exception):
    """Reading stopped: becomes one Quarantined at the cursor's location.

    Deliberately not an ``OSError`` or ``EOFError``: warcio swallows ``EOFError`` as a clean
    end of the archive, and this must reach :func:`read_shard` through warcio's frames.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class _Cursor:
    """Where a reader is, so a stream error is reported at the right location."""

    def __init__(self) -> None:
        self.location = "shard"
        self.partial: bytes = b""  # the content being read when the stream broke


def _read_raw(stream: _Readable, size: int = _CHUNK) -> bytes:
    try:
        return stream.read(size)
    except OSError as exc:
        raise _StreamError("unreadable-shard", f"{type(exc).__name__}: {exc}") from None


class _Decompressing:
    """A read-only stream over gzip (multi-member) or zstd (multi-frame) data.

    ``read`` raises ``_StreamError("truncated-compression")`` when the data ends inside a
    member or frame, or is corrupt; it never returns a silently short stream (zstandard's
    own stream reader would return b"" on a truncated frame).
    """

    def __init__(self, raw: _Readable, compression: str) -> None:
        self._raw = raw
        self._gzip = compression == "gzip"
        self._decompressor: Any = None  # the current member's; None between members
        self._unused = b""  # compressed bytes that follow the member just finished
        self._out = bytearray()
        self._done = False
        self._offset = 0  # decompressed bytes returned so far, for warcio's tell()

    def _new_decompressor(self) -> Any:
        if self._gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip header and trailer
        return zstandard.ZstdDecompressor().decompressobj()

    def _fill(self) -> None:
        data, self._unused = (self._unused or _read_raw(self._raw)), b""
        if not data:
            if self._decompressor is not None:
                raise _StreamError("truncated-compression", "the compressed stream ends early")
            self._done = True
            return
        if self._decompressor is None:
            self._decompressor = self._new_decompressor()
        try:
            self._out += self._decompressor.decompress(data)
        except (zlib.error, zstandard.ZstdError) as exc:
            raise _StreamError("truncated-compression", f"corrupt compressed data: {exc}") from None
        if self._decompressor.eof:
            self._unused = self._decompressor.unused_data
            self._decompressor = None

    def read(self, size: int = -1) -> bytes:
        while not self._out and not self._done:
            self._fill()
        if size is None or size < 0:
            size = len(self._out)
        chunk = bytes(self._out[:size])
        del self._out[:size]
        self._offset += len(chunk)
        return chunk

    def tell(self) -> int:
        return self._offset


def _stream(raw: _Readable, compression: str | None) -> _Readable:
    return raw if compression is None else _Decompressing(raw, compression)


def _excerpt(content: bytes | str) -> str:
    """Return at most 80 characters of content, whitespace collapsed, personal data masked."""
    if isinstance(content, bytes):
        content = content[: 16 * _EXCERPT_CHARS].decode("utf-8", "replace")
    # Mask a longer window than is kept, so an item cut at the edge is still recognised.
    text = " ".join(content[: 4 * _EXCERPT_CHARS].split())
    return mask_text(text)[:_EXCERPT_CHARS]


def _as_str(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


# --------------------------------------------------------------------------- entry point


def read_shard(
    path: str,
    shard: str,
    spec: ReaderSpec,
    open_binary: Callable[[str], BinaryIO] = _open_local,
) -> Iterator[Item]:
    """Yield the documents of one shard and a Quarantined for each problem; never raise on bad data.

    ``path`` is what ``open_binary`` opens; ``shard`` is the name records carry.
    """
    readers = {
        "jsonl": _read_jsonl,
        "parquet": _read_parquet,
        "text": _read_text,
        "warc": _read_warc,
    }
    if spec.format not in readers:
        raise ValueError(f"unknown format {spec.format!r}; expected one of {', '.join(FORMATS)}")
    cursor = _Cursor()
    yielded = 0
    try:
        raw = open_binary(path)
    except OSError as exc:
        yield Quarantined(
            spec.source,
            shard,
            "shard",
            "unreadable-shard",
            _excerpt(f"{type(exc).__name__}: {exc}"),
        )
        return
    try:
        reader = readers[spec.format]
        for item in reader(_Shard(path, shard, spec, raw, open_binary), cursor):
            yielded += 1
            yield item
    except _StreamError as exc:
        yielded += 1
        excerpt = cursor.partial if exc.reason == "truncated-compression" else b""
        excerpt = excerpt or exc.detail
        yield Quarantined(spec.source, shard, cursor.location, exc.reason, _excerpt(excerpt))
    finally:
        raw.close()
    if not yielded:
        yield Quarantined(spec.source, shard, "shard", "empty-shard", "")


class _Shard(NamedTuple):
    path: str
    name: str
    spec: ReaderSpec
    raw: BinaryIO
    open_binary: Callable[[str], BinaryIO]

    def quarantined(self, location: str, reason: str, content: bytes | str = "") -> Quarantined:
        return Quarantined(self.spec.source, self.name, location, reason, _excerpt(content))

    def document(
        self,
        location: str,
        text: Any,
        doc_id: Any = None,
        url: Any = None,
        license_raw: Any = None,
        context: bytes | str = "",
    ) -> Item:
        """Return a Document, or the Quarantined its text calls for (``context``: the record)."""
        if text is None:
            return self.quarantined(location, "missing-text", context)
        if not isinstance(text, str):
            return self.quarantined(location, "non-string-text", _as_str(text) or "")
        if _SURROGATE.search(text):  # JSON "\ud800" escapes decode to text that is not UTF-8
            return self.quarantined(location, "invalid-utf8", text)
        if len(text) > self.spec.max_doc_chars:
            return self.quarantined(location, "oversize-document", text)
        derived = f"{self.name}#{location}"
        return Document(
            self.spec.source,
            self.name,
            location,
            _as_str(doc_id) if doc_id is not None else derived,
            text,
            _as_str(url),
            _as_str(license_raw),
        )


# --------------------------------------------------------------------------- JSONL


def _lines(
    stream: _Readable, max_line_bytes: int, cursor: _Cursor
) -> Iterator[tuple[int, bytes, bool]]:
    """Yield (line number, line without its newline, complete); complete is False for a line
    longer than ``max_line_bytes``, given by its head, whose rest is skipped unread."""
    number, buf, skipping = 1, bytearray(), False
    while True:
        cursor.location, cursor.partial = f"line:{number}", bytes(buf[: 16 * _EXCERPT_CHARS])
        chunk = _read_raw(stream)
        if not chunk:
            if buf and not skipping:
                yield number, bytes(buf), True
            return
        start = 0
        while start <= len(chunk):
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if not skipping:
                buf += piece
                if len(buf) > max_line_bytes:
                    yield number, bytes(buf[: 16 * _EXCERPT_CHARS]), False
                    buf.clear()
                    skipping = True
            if end < 0:
                break
            if not skipping:
                yield number, bytes(buf), True
            buf.clear()
            skipping = False
            number += 1
            start = end + 1


def _read_jsonl(shard: _Shard, cursor: _Cursor) -> Iterator[Item]:
    spec = shard.spec
    stream = _stream(shard.raw, compression_of(shard.path))
    max_line_bytes = 16 * spec.max_doc_chars + (1 << 20)
    for number, raw, complete in _lines(stream, max_line_bytes, cursor):
        location = f"line:{number}"
        if not complete:
            yield shard.quarantined(location, "oversize-document", raw)
            continue
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield shard.quarantined(location, "invalid-utf8", raw)
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            yield shard.quarantined(location, "invalid-json", line)
            continue
        if not isinstance(record, dict):
            yield shard.quarantined(location, "invalid-json", line)
            continue
        yield shard.document(
            location,
            record.get(spec.text_field),
            record.get(spec.id_field) if spec.id_field else None,
            record.get(spec.url_field) if spec.url_field else None,
            record.get(spec.license_field) if spec.license_field else None,
            context=line,
        )


# --------------------------------------------------------------------------- Parquet


def _read_parquet(shard: _Shard, cursor: _Cursor) -> Iterator[Item]:
    compression = compression_of(shard.path)
    seekable = getattr(shard.raw, "seekable", None)
    if compression is None and seekable is not None and seekable():
        yield from _parquet_items(shard, cursor, shard.raw)
        return
    # pyarrow seeks (the footer comes first): copy a compressed or unseekable stream.
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_MAX_BYTES) as copy:
        stream = _stream(shard.raw, compression)
        while chunk := _read_raw(stream):
            copy.write(chunk)
        copy.seek(0)
        yield from _parquet_items(shard, cursor, copy)


def _parquet_items(shard: _Shard, cursor: _Cursor, source: Any) -> Iterator[Item]:
    import pyarrow as pa  # imported here: listing shards on the driver does not need it
    import pyarrow.parquet as pq

    spec = shard.spec
    arrow_errors = (pa.ArrowException, OSError, ValueError)
    try:
        parquet = pq.ParquetFile(source)
    except arrow_errors as exc:
        raise _StreamError("unreadable-shard", f"{type(exc).__name__}: {exc}") from None
    schema = parquet.schema_arrow
    if spec.text_field not in schema.names:
        yield shard.quarantined(
            "shard",
            "schema-mismatch",
            f"no column {spec.text_field!r}; columns: {', '.join(schema.names)}",
        )
        return
    text_type = schema.field(spec.text_field).type
    if pa.types.is_dictionary(text_type):
        text_type = text_type.value_type
    is_binary = pa.types.is_binary(text_type) or pa.types.is_large_binary(text_type)
    is_string = (
        pa.types.is_string(text_type)
        or pa.types.is_large_string(text_type)
        or (hasattr(pa.types, "is_string_view") and pa.types.is_string_view(text_type))
    )
    if not (is_string or is_binary):
        rows = parquet.metadata.num_rows
        yield shard.quarantined(
            "shard",
            "schema-mismatch",
            f"column {spec.text_field!r} has type {text_type}, not string ({rows} rows)",
        )
        return
    wanted = (spec.text_field, spec.id_field, spec.url_field, spec.license_field)
    columns = [c for c in dict.fromkeys(wanted) if c is not None and c in schema.names]
    batches = parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS, columns=columns)
    row = 0
    while True:
        cursor.location = f"row:{row}"
        try:
            batch = next(batches)
        except StopIteration:
            return
        except arrow_errors as exc:
            raise _StreamError("unreadable-shard", f"{type(exc).__name__}: {exc}") from None
        values = {name: batch.column(name).to_pylist() for name in columns}
        absent = [None] * batch.num_rows
        ids, urls, licenses = (
            values.get(name, absent) if name else absent
            for name in (spec.id_field, spec.url_field, spec.license_field)
        )
        for i, text in enumerate(values[spec.text_field]):
            location = f"row:{row + i}"
            if is_binary and text is not None:
                try:
                    text = text.decode("utf-8")
                except UnicodeDecodeError:
                    yield shard.quarantined(location, "invalid-utf8", text)
                    continue
            yield shard.document(location, text, ids[i], urls[i], licenses[i])
        row += batch.num_rows


# --------------------------------------------------------------------------- text


def _read_text(shard: _Shard, cursor: _Cursor) -> Iterator[Item]:
    spec = shard.spec
    stream = _stream(shard.raw, compression_of(shard.path))
    # UTF-8 takes at most 4 bytes a character: a file of more bytes is surely oversize,
    # so at most that much is kept (the rest is read only to check the stream is whole).
    limit = 4 * spec.max_doc_chars + len(_BOM)
    data, total = bytearray(), 0
    cursor.location = "file"
    while chunk := _read_raw(stream):
        total += len(chunk)
        if len(data) <= limit:
            data += chunk
        cursor.partial = bytes(data[: 16 * _EXCERPT_CHARS])
    if total > limit:
        yield shard.quarantined("file", "oversize-document", bytes(data))
        return
    if data.startswith(_BOM):
        del data[: len(_BOM)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        yield shard.quarantined("file", "invalid-utf8", bytes(data))
        return
    if text.strip():
        yield shard.document("file", text)


# --------------------------------------------------------------------------- WARC

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TEXT_TYPES = _HTML_TYPES | {"text/plain"}
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)


class _HTMLText(HTMLParser):
    """Collect the visible text of an HTML document, one line per block element."""

    _SKIP = frozenset({"script", "style", "noscript", "template"})
    # fmt: off
    _BLOCK = frozenset({
        "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "title",
        "tr", "ul",
    })
    # fmt: on

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self._parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCK:
            self._parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:  # a newline in the markup is only whitespace
            self._parts.append(data.replace("\r", " ").replace("\n", " "))

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self._parts).split("\n"))
        return "\n".join(line for line in lines if line)


def html_to_text(html: str) -> str:
    """Return the visible text of an HTML document: one line per block, whitespace collapsed."""
    parser = _HTMLText()
    # html.parser is lenient; should it still fail on some markup, keep what it has read.
    with contextlib.suppress(Exception):
        parser.feed(html)
        parser.close()
    return parser.text()


def _content_type(value: str | None) -> tuple[str, str | None]:
    """Split a Content-Type header into (media type, charset or None)."""
    if not value:
        return "", None
    media, *params = value.split(";")
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'") or None
    return media.strip().lower(), charset


def _decode_payload(payload: bytes, charset: str | None) -> str | None:
    """Decode with the declared charset (else UTF-8); return None when the bytes do not decode."""
    try:
        codec = codecs.lookup(charset or "utf-8").name
    except LookupError:
        codec = "utf-8"
    if codec == "utf-8" and payload.startswith(_BOM):
        payload = payload[len(_BOM) :]
    try:
        return payload.decode(codec)
    except (UnicodeDecodeError, ValueError):
        return None


def _warc_item(shard: _Shard, record: Any, payload: bytes, location: str) -> Item:
    """Turn one fully read response record into a Document or Quarantined."""
    uri = record.rec_headers.get_header("WARC-Target-URI")
    if record.http_headers is None:
        return shard.quarantined(
            location, "schema-mismatch", f"response without HTTP headers: {uri}"
        )
    media, charset = _content_type(record.http_headers.get_header("Content-Type"))
    if media not in _TEXT_TYPES:
        return shard.quarantined(
            location, "schema-mismatch", f"content type {media or 'missing'}: {uri}"
        )
    if media in _HTML_TYPES and charset is None:
        match = _META_CHARSET.search(payload[:4096])
        charset = match.group(1).decode("ascii") if match else None
    text = _decode_payload(payload, charset)
    if text is None:
        return shard.quarantined(location, "invalid-utf8", payload)
    if media in _HTML_TYPES:
        text = html_to_text(text)
    record_id = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<> ") or None
    return shard.document(location, text, record_id, uri)


class _Tracked:
    """A raw stream for warcio that counts what it returns (warcio needs ``tell``) and notes
    when it has been read to its end; read errors become ``unreadable-shard``."""

    def __init__(self, raw: _Readable) -> None:
        self._raw = raw
        self._offset = 0
        self.exhausted = False

    def read(self, size: int = -1) -> bytes:
        data = _read_raw(self._raw, size)
        self._offset += len(data)
        self.exhausted = self.exhausted or not data
        return data

    def tell(self) -> int:
        return self._offset


class _ArchiveIterator(WARCIterator):
    """warcio's WARC iterator (ARC files are not read), telling when data ends inside a member.

    warcio reads to the end of the data quietly, and a gzip member cut short fails, if at
    all, as a malformed record; a member cut inside its deflate trailer leaves every
    record whole. Both are truncated files.
    """

    ended_inside_member = False

    def inside_member(self) -> bool:
        """Return True when the current gzip member has not reached its end."""
        decompressor = getattr(self.reader, "decompressor", None)
        return decompressor is not None and not getattr(decompressor, "eof", True)

    def close(self) -> None:
        self.ended_inside_member = self.inside_member()
        super().close()


def _warc_records(
    shard: _Shard,
    cursor: _Cursor,
    stream: _Readable,
    skip: int = 0,
    whole: bool = False,
) -> Generator[Item, None, int | None]:
    """Read the records of one WARC stream, past the first ``skip``.

    Returns None when done, or, when the stream is a gzip file that is not one member per
    record (and ``whole`` is False), the number of records read before warcio noticed.
    """
    tracked = _Tracked(stream)
    archive = _ArchiveIterator(tracked)
    records = iter(archive)
    seen = 0

    def cut_short() -> bool:  # the data ended inside a gzip member
        return tracked.exhausted and archive.inside_member()

    while True:
        try:
            record = next(records)
        except StopIteration:
            break
        except _StreamError:
            raise
        except Exception as exc:  # noqa: BLE001 - warcio raises many kinds on malformed input
            # warcio has finished the previous record: its offset is where this one starts.
            cursor.location = "shard" if seen == 0 else f"offset:{archive.offset}"
            if cut_short():
                raise _StreamError("truncated-compression", str(exc)) from None
            if isinstance(exc, ArchiveLoadFailed) and "non-chunked gzip" in str(exc) and not whole:
                return seen
            yield shard.quarantined(cursor.location, "schema-mismatch", f"{exc}")
            return None
        seen += 1
        if seen <= skip or record.rec_type != "response":
            continue
        payload = record.content_stream().read()
        while record.raw_stream.read(_CHUNK):  # whatever follows the payload
            pass
        location = f"offset:{archive.get_record_offset()}"
        cursor.location = location
        if isinstance(record.raw_stream, LimitReader) and record.raw_stream.limit > 0:
            # The data ended before the record's Content-Length: the file is cut short.
            detail = f"record ends {record.raw_stream.limit} bytes before its Content-Length"
            if cut_short():
                raise _StreamError("truncated-compression", detail)
            yield shard.quarantined(location, "schema-mismatch", detail)
            return None
        yield _warc_item(shard, record, payload, location)
    if archive.ended_inside_member:
        cursor.location = f"offset:{archive.offset}"
        raise _StreamError("truncated-compression", "the gzip stream ends inside a member")
    return None


def _read_warc(shard: _Shard, cursor: _Cursor) -> Iterator[Item]:
    # warcio reads gzip itself (offsets then name gzip members, as CDX indexes do) and
    # detects it whatever the extension; zstd it does not read, so that is done here.
    zstd = compression_of(shard.path) == "zstd"
    stream = _stream(shard.raw, "zstd" if zstd else None)
    read_before = yield from _warc_records(shard, cursor, stream)
    if read_before is None:
        return
    # A gzip file that is not one member per record: decompress it whole and read it
    # again past the records already yielded (their offsets were member offsets).
    try:
        raw = shard.open_binary(shard.path)
    except OSError as exc:
        raise _StreamError("unreadable-shard", f"{type(exc).__name__}: {exc}") from None
    try:
        stream = _Decompressing(raw, "gzip")
        yield from _warc_records(shard, cursor, stream, skip=read_before, whole=True)
    finally:
        raw.close()
