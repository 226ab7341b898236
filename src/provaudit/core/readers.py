"""Read one shard into Documents; route everything that cannot be read to Quarantined.

Contract. :func:`read_shard` yields, in file order, one :class:`~provaudit.core.records.Document`
per document, one :class:`~provaudit.core.records.Quarantined` per problem and, for WARC and
ARC archives, one :class:`~provaudit.core.records.Skipped` per record that is by design not a
document, and never raises on bad data: one bad line, row or record is quarantined with a
stable reason code and the shard goes on. Every line, row and archive record read is one of
the three, so ``read == documents + quarantined + skipped``. No document is dropped or cut
for its length: only input that cannot be held safely (one JSONL line, text file or archive
payload past ``max_record_bytes``, default 256 MiB) is quarantined, as ``oversize-record``,
without being parsed. It imports no Beam: the caller injects ``open_binary`` (a Beam DoFn passes
a function opening remote paths with ``FileSystems.open(path,
compression_type=CompressionTypes.UNCOMPRESSED)``, so the bytes arrive as stored) and
this module decompresses gzip and zstd itself, chosen by the extension (:func:`compression_of`).

Shard-level outcomes:

- opening or reading raises ``OSError`` -> ``unreadable-shard`` (at the location reached).
  Other exceptions from ``open_binary`` are not data problems and propagate, so the runner
  can retry a transient failure;
- a gzip/zstd stream that ends inside a member/frame or is corrupt -> the documents read
  so far, then one ``truncated-compression`` at the location where it broke;
- decompression (a .gz/.zst file, a .warc.gz's records, gzip/deflate ``Content-Encoding``
  bodies) producing more than ``max_shard_bytes`` (``scan.max_shard_bytes``, default 64
  GiB) -> the documents read so far, then one ``decompression-limit`` at location
  ``"shard"`` (its excerpt names the limit and where reading stopped). Decompression is
  streamed in bounded steps (zlib ``max_length``; zstd fed 1 KiB at a time) and the count
  is checked as bytes are handed on, so memory stays bounded whatever the ratio;
- nothing yielded at all (0 bytes, blank lines only, 0 rows, whitespace-only text, an
  archive without records) -> one ``empty-shard`` at location ``"shard"``.

Per format:

- ``jsonl``: one JSON object per line; location ``line:N`` (1-based, counting every line,
  blank ones included, which are not documents and not counted). Each line is decoded on
  its own, so bad bytes cost one line. A line longer than ``max_record_bytes`` bytes is
  quarantined as ``oversize-record`` from its head, the rest read past and never held.
- ``parquet``: pyarrow, record batch by batch; location ``row:N`` (0-based over the file).
  A text column that is not a string column is a property of the shard, not of its rows:
  one ``schema-mismatch`` for the shard (its excerpt names the type and the row count);
  string columns (text, id, URL, license; dictionary-encoded too) and a binary text column
  are taken as their bytes and decoded row by row as UTF-8 (Parquet does not check
  UTF-8): a bad value is ``invalid-utf8`` for its row only, as is a nested value pyarrow
  cannot convert. Id, URL and license columns that the file lacks read as absent (derived
  ids, ``None``).
- ``text``: the whole file is one document, location ``file``; a file (decompressed)
  longer than ``max_record_bytes`` is ``oversize-record``. Parquet values are read by
  pyarrow in batches of 1024 rows and are never cut.
- ``warc`` (WARC and ARC): warcio; a file named ``.arc`` (``.arc.gz``) is read as ARC and
  must open with its ``filedesc://`` record, any other as WARC; other data is
  ``schema-mismatch``. Every record is accounted
  for. A ``response`` record (an ARC record is one) is a document when its HTTP status is
  2xx, its content type is HTML (``text/html``, ``application/xhtml+xml``) or ``text/plain``
  and its body holds text. Every other record is a ``Skipped`` with its WARC-Type and a
  reason (:data:`provaudit.core.records.SKIP_REASONS`): a response with a non-2xx status
  -> ``http-<status>`` (``http-302``; a redirect's body is not the page), another content
  type -> ``non-text``, an empty body or HTML without visible text -> ``empty-body``, no
  HTTP headers -> ``no-http-headers``; ``revisit`` (its detail names the payload digest,
  the URI and date it refers to), ``request``, ``warcinfo`` (and an ARC file's
  ``filedesc`` header), ``metadata``, ``resource``, ``conversion``, ``continuation``,
  ``other``. A detail holds at most 300 characters (URI, content type, status), masked.
  HTML is reduced to text with :mod:`html.parser` (script, style, noscript and template
  dropped; block elements end lines; whitespace collapsed; entities unescaped). Charset:
  the HTTP header, else an HTML ``<meta>`` charset, else UTF-8; only a name Python knows
  as a text encoding is used (``hex``, ``zlib``, ``base64``, ``rot13``, ``uu``, ``bz2``
  and unknown names are not: the next one is tried, then UTF-8). Bytes that do not
  decode -> ``invalid-utf8`` when UTF-8 was the only candidate, ``invalid-encoding``
  when a declared charset was used or was unusable. The body is read with chunked
  transfer and gzip/deflate content encoding undone (``br`` is left encoded: brotli's
  decoder has no output bound), in 64 KiB steps; a payload past ``max_record_bytes`` is
  ``oversize-record`` (at most one byte past the limit is held). Location ``offset:N`` is warcio's
  ``get_record_offset()``: the record's offset in the file as stored, which for a
  ``.warc.gz`` (one gzip member per record) is the member's offset in the compressed file,
  as CDX indexes record it. A ``.warc.zst`` and a gzip file that is not one member per
  record are decompressed here, and their offsets count decompressed bytes. A record cut
  short is ``truncated-compression`` in a compressed file and ``schema-mismatch`` in a
  plain one.

Fields: ``doc_id`` is ``str`` of the ``id_field`` value (JSON for non-strings) when the
record has one; a record whose id is missing or null falls back to the derived id
``f"{shard}#{location}"``, so every document has an id that locates it. WARC documents
take their ``WARC-Record-ID`` without angle brackets (ARC records have none: a derived
id). ``url`` and ``license_raw`` come from ``url_field`` and ``license_field`` (strings as
they are, other values as JSON, missing or null as ``None``). ``aigc_meta`` (JSONL and Parquet)
is the first of ``aigc_fields`` (dotted paths, ``AIGC`` and ``metadata.AIGC`` by default;
in Parquet the first key names a column, a struct or JSON text) present and not null, as
:func:`provaudit.core.aigc.meta_text` gives it (compact JSON, sorted keys, capped); a label
value that cannot be converted is no label and never costs the record. An empty string is a document (later steps report it);
a missing or null text is ``missing-text``. Text, id, url and licence are checked as
Unicode scalar values before anything is written: a lone surrogate in any of them (a JSON
``"\\ud800"`` escape) is ``invalid-utf8`` for that record. Excerpts hold at most 80 characters of the
offending content, made by :func:`provaudit.core.pii.mask_excerpt` (decoded as written, escapes
resolved, whitespace collapsed, masked whole, then cut: no padding or cut defeats the masking).
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
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader

from provaudit.core.aigc import meta_text
from provaudit.core.pii import mask_excerpt
from provaudit.core.records import Document, Quarantined, Skipped

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
    ".arc": "warc",  # the "warc" reader reads ARC files too
}
_COMPRESSION_OF_EXTENSION = {".gz": "gzip", ".zst": "zstd"}

_CHUNK = 1 << 16  # bytes read from a stream at a time
_PARQUET_BATCH_ROWS = 1024
_SPOOL_MAX_BYTES = 64 << 20  # a compressed or unseekable Parquet file spills to disk past this
_EXCERPT_CHARS = 80
_DETAIL_CHARS = 300  # a skipped record's detail: URI, content type, status, digest
_BOM = b"\xef\xbb\xbf"
_SURROGATE = re.compile("[\ud800-\udfff]")
# Compressed bytes given to the zstd decompressor at a time: it has no output limit, and an
# RLE block turns 4 bytes into up to 128 KiB, so 1 KiB in is at most 32 MiB out.
_ZSTD_SLICE = 1 << 10
_MAX_INFLATE = 1 << 20  # bytes zlib may produce from one call (gzip, deflate)

Item = Document | Quarantined | Skipped
_UNDECODABLE = object()  # a Parquet value pyarrow cannot turn into Python (bad UTF-8 inside)


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
    # The source's analysis window (MinHash, personal information); readers never cut or
    # drop a document for its length. Carried here so it is part of a shard's finding inputs.
    max_doc_chars: int = 1_000_000
    # One JSONL line, text file or archive payload past this many bytes is not held:
    # it is quarantined as oversize-record (scan.max_record_bytes).
    max_record_bytes: int = 256 << 20
    # Bytes decompression may produce from one shard (scan.max_shard_bytes): past it the
    # shard stops with one decompression-limit item, checked as the stream is read.
    max_shard_bytes: int = 64 << 30
    # Dotted field paths of a record holding its AI-generated-content label object
    # (screening.aigc.metadata_fields): the first present and not null becomes
    # Document.aigc_meta (JSONL and Parquet; a Parquet struct column or JSON-text column).
    aigc_fields: tuple[str, ...] = ("AIGC", "metadata.AIGC")


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


class _Budget:
    """Bytes decompression has produced from one shard, against ``scan.max_shard_bytes``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def charge(self, size: int) -> None:
        """Count ``size`` more decompressed bytes; past the limit, stop the shard."""
        self.used += size
        if self.used > self.limit:
            raise _StreamError(
                "decompression-limit",
                f"decompressed data past scan.max_shard_bytes={self.limit}",
            )


def _read_raw(stream: _Readable, size: int = _CHUNK) -> bytes:
    try:
        return stream.read(size)
    except OSError as exc:
        raise _StreamError("unreadable-shard", f"{type(exc).__name__}: {exc}") from None


class _Decompressing:
    """A read-only stream over gzip (multi-member) or zstd (multi-frame) data.

    ``read`` raises ``_StreamError("truncated-compression")`` when the data ends inside a
    member or frame, or is corrupt; it never returns a silently short stream (zstandard's
    own stream reader would return b"" on a truncated frame). Memory is bounded whatever
    the ratio: one step produces at most ``_MAX_INFLATE`` bytes (gzip) or what
    ``_ZSTD_SLICE`` compressed bytes hold (zstd), and every byte handed on is charged to
    the shard's ``budget`` (``decompression-limit`` past it).
    """

    def __init__(self, raw: _Readable, compression: str, budget: _Budget | None = None) -> None:
        self._raw = raw
        self._gzip = compression == "gzip"
        self._budget = budget
        self._decompressor: Any = None  # the current member's; None between members
        self._pending = b""  # compressed bytes not yet given to a decompressor
        self._out = bytearray()
        self._done = False
        self._offset = 0  # decompressed bytes returned so far, for warcio's tell()

    def _new_decompressor(self) -> Any:
        if self._gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip header and trailer
        return zstandard.ZstdDecompressor().decompressobj()

    def _step(self, data: bytes) -> bytes:
        """Give ``data`` to the decompressor; return its output, keep what it did not take."""
        d = self._decompressor
        if self._gzip:
            out = d.decompress(data, _MAX_INFLATE)
            rest = d.unconsumed_tail
        else:
            out = d.decompress(data[:_ZSTD_SLICE])
            rest = data[_ZSTD_SLICE:]
        if d.eof:
            rest = d.unused_data + rest
            self._decompressor = None
        self._pending = rest
        return out

    def _fill(self) -> None:
        if not self._pending:
            self._pending = _read_raw(self._raw)
        try:
            if not self._pending:
                if self._decompressor is None:
                    self._done = True
                    return
                # zlib may still hold output it had no room for; anything else is cut short.
                out = self._step(b"") if self._gzip else b""
                if not out and self._decompressor is not None:
                    raise _StreamError("truncated-compression", "the compressed stream ends early")
            else:
                if self._decompressor is None:
                    self._decompressor = self._new_decompressor()
                out = self._step(self._pending)
        except (zlib.error, zstandard.ZstdError) as exc:
            raise _StreamError("truncated-compression", f"corrupt compressed data: {exc}") from None
        self._out += out

    def read(self, size: int = -1) -> bytes:
        while not self._out and not self._done:
            self._fill()
        if size is None or size < 0:
            size = len(self._out)
        chunk = bytes(self._out[:size])
        del self._out[:size]
        self._offset += len(chunk)
        if self._budget is not None:  # counted as handed on, so the limit is exact
            self._budget.charge(len(chunk))
        return chunk

    def tell(self) -> int:
        return self._offset


def _stream(raw: _Readable, compression: str | None, budget: _Budget | None = None) -> _Readable:
    return raw if compression is None else _Decompressing(raw, compression, budget)


def _excerpt(content: bytes | str) -> str:
    """Return at most 80 characters of content with personal data masked (pii.mask_excerpt:
    decoded as written, whitespace collapsed, masked whole, then cut). Bytes as long as the
    callers' cap (``16 * _EXCERPT_CHARS``) may have been cut there: a value at their end is dropped."""
    cut = isinstance(content, bytes) and len(content) >= 16 * _EXCERPT_CHARS
    return mask_excerpt(content, _EXCERPT_CHARS, cut=cut)


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
        budget = _Budget(spec.max_shard_bytes)
        for item in reader(_Shard(path, shard, spec, raw, open_binary, budget), cursor):
            yielded += 1
            yield item
    except _StreamError as exc:
        yielded += 1
        excerpt = cursor.partial if exc.reason in _SHOW_PARTIAL else b""
        excerpt = excerpt or exc.detail
        location = cursor.location
        if exc.reason == "decompression-limit":  # a property of the shard: where it stopped
            location, excerpt = "shard", f"{exc.detail} (stopped at {cursor.location})"
        yield Quarantined(spec.source, shard, location, exc.reason, _excerpt(excerpt))
    finally:
        raw.close()
    if not yielded:
        yield Quarantined(spec.source, shard, "shard", "empty-shard", "")


_SHOW_PARTIAL = frozenset({"truncated-compression"})


class _Shard(NamedTuple):
    path: str
    name: str
    spec: ReaderSpec
    raw: BinaryIO
    open_binary: Callable[[str], BinaryIO]
    budget: _Budget

    def quarantined(self, location: str, reason: str, content: bytes | str = "") -> Quarantined:
        return Quarantined(self.spec.source, self.name, location, reason, _excerpt(content))

    def skipped(self, location: str, record: Any, reason: str, detail: str) -> Skipped:
        """An archive record that is by design not a document; ``detail`` is masked and capped."""
        text = mask_excerpt(detail, _DETAIL_CHARS)
        return Skipped(self.spec.source, self.name, location, str(record.rec_type), reason, text)

    def document(
        self,
        location: str,
        text: Any,
        doc_id: Any = None,
        url: Any = None,
        license_raw: Any = None,
        context: bytes | str = "",
        aigc_meta: str | None = None,
    ) -> Item:
        """Return a Document, or the Quarantined its text calls for (``context``: the record)."""
        if text is None:
            return self.quarantined(location, "missing-text", context)
        if not isinstance(text, str):
            return self.quarantined(location, "non-string-text", _as_str(text) or "")
        derived = f"{self.name}#{location}"
        fields = (_as_str(doc_id) if doc_id is not None else derived, _as_str(url),
                  _as_str(license_raw))
        # Every string is written as UTF-8 later (Parquet, JSON): a lone surrogate (JSON
        # "\ud800", a surrogate-producing codec) is not a Unicode scalar value, in any field.
        # An ASCII string (str.isascii: a flag, O(1)) holds none: most texts skip the scan.
        for name, value in zip(("text", "id", "url", "license"), (text, *fields)):
            if value is not None and not value.isascii() and _SURROGATE.search(value):
                return self.quarantined(
                    location, "invalid-utf8", f"lone surrogate in the {name} field: {value}"
                )
        return Document(self.spec.source, self.name, location, fields[0], text, *fields[1:],
                        aigc_meta=aigc_meta)


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
    stream = _stream(shard.raw, compression_of(shard.path), shard.budget)
    for number, raw, complete in _lines(stream, spec.max_record_bytes, cursor):
        location = f"line:{number}"
        if not complete:
            yield shard.quarantined(location, "oversize-record", raw)
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
            aigc_meta=_aigc_meta(record, spec.aigc_fields) if spec.aigc_fields else None,
        )


def _field_path(value: Any, path: list[str]) -> Any:
    """Follow a dotted path's remaining keys through nested objects; None when absent."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _aigc_meta(record: dict[str, Any], paths: tuple[str, ...]) -> str | None:
    """The first configured label field present in a record, as compact JSON text."""
    for path in paths:
        value = _field_path(record, path.split("."))
        if value is not None:
            return meta_text(value)
    return None


# --------------------------------------------------------------------------- Parquet


def _read_parquet(shard: _Shard, cursor: _Cursor) -> Iterator[Item]:
    compression = compression_of(shard.path)
    seekable = getattr(shard.raw, "seekable", None)
    if compression is None and seekable is not None and seekable():
        yield from _parquet_items(shard, cursor, shard.raw)
        return
    # pyarrow seeks (the footer comes first): copy a compressed or unseekable stream.
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_MAX_BYTES) as copy:
        stream = _stream(shard.raw, compression, shard.budget)
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
    # label fields: a path's first key names a column (a struct, or JSON text), the rest
    # walks the struct's values
    aigc_paths = [p.split(".") for p in spec.aigc_fields if p.split(".")[0] in schema.names]
    aigc_columns = [c for c in dict.fromkeys(p[0] for p in aigc_paths) if c not in columns]
    batches = parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS, columns=columns + aigc_columns)
    row = 0
    while True:
        cursor.location = f"row:{row}"
        try:
            batch = next(batches)
        except StopIteration:
            return
        except arrow_errors as exc:
            raise _StreamError("unreadable-shard", f"{type(exc).__name__}: {exc}") from None
        # String columns arrive as their UTF-8 bytes and are decoded row by row: Parquet does
        # not check UTF-8, and one bad value must cost its row, not the shard.
        values: dict[str, list[Any]] = {}
        encoded: set[str] = set()
        for name in columns:
            values[name], as_bytes = _column_values(pa, batch.column(name))
            if as_bytes or (name == spec.text_field and is_binary):
                encoded.add(name)
        labels = {name: _label_column(pa, batch.column(name)) for name in dict.fromkeys(p[0] for p in aigc_paths)}
        fields = (("text", spec.text_field), ("id", spec.id_field), ("url", spec.url_field),
                  ("license", spec.license_field))
        for i in range(batch.num_rows):
            location = f"row:{row + i}"
            decoded: list[Any] = []
            for field, name in fields:
                value = values[name][i] if name in values else None
                if value is _UNDECODABLE:
                    yield shard.quarantined(location, "invalid-utf8", f"invalid UTF-8 in the {field} field")
                    break
                if value is not None and name in encoded:
                    try:
                        value = value.decode("utf-8")
                    except UnicodeDecodeError:
                        yield shard.quarantined(
                            location,
                            "invalid-utf8",
                            value if field == "text" else
                            f"invalid UTF-8 in the {field} field: {value.decode('utf-8', 'replace')}",
                        )
                        break
                decoded.append(value)
            else:
                meta = None
                for path in aigc_paths:
                    value = _field_path(labels[path[0]][i], path[1:])
                    if value is not None:
                        meta = meta_text(value)
                        break
                yield shard.document(location, *decoded, aigc_meta=meta)
        row += batch.num_rows


def _label_column(pa: Any, column: Any) -> list[Any]:
    """A label column's Python values; a value pyarrow cannot convert (bad UTF-8) is None
    here: a label that cannot be read is no label, and never costs the row its text."""
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    return _row_values(pa, column, None)


def _row_values(pa: Any, column: Any, bad: Any) -> list[Any]:
    """A column's Python values; where pyarrow cannot convert the column (bad UTF-8 in a
    nested value), row by row, with ``bad`` for each value that cannot be converted."""
    try:
        return column.to_pylist()
    except (ValueError, pa.ArrowException):
        out: list[Any] = []
        for i in range(len(column)):
            try:
                out.append(column[i].as_py())
            except (ValueError, pa.ArrowException):
                out.append(bad)
        return out


def _column_values(pa: Any, column: Any) -> tuple[list[Any], bool]:
    """Return a column's Python values and whether they are UTF-8 bytes still to decode.

    A string column is viewed as binary (no copy, no check), so pyarrow never decodes it.
    """
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    kind = column.type
    if pa.types.is_string(kind):
        return column.cast(pa.binary()).to_pylist(), True
    if pa.types.is_large_string(kind):
        return column.cast(pa.large_binary()).to_pylist(), True
    if hasattr(pa.types, "is_string_view") and pa.types.is_string_view(kind):
        return column.cast(pa.binary_view()).to_pylist(), True
    return _row_values(pa, column, _UNDECODABLE), False  # a nested value with bad UTF-8: that row only


# --------------------------------------------------------------------------- text


def _read_text(shard: _Shard, cursor: _Cursor) -> Iterator[Item]:
    spec = shard.spec
    stream = _stream(shard.raw, compression_of(shard.path), shard.budget)
    # A file past the record limit is not held: at most that much is kept (the rest is
    # read, within scan.max_shard_bytes, only to check the stream is whole).
    limit = spec.max_record_bytes + len(_BOM)
    data, total = bytearray(), 0
    cursor.location = "file"
    while chunk := _read_raw(stream):
        total += len(chunk)
        if len(data) <= limit:
            data += chunk
            cursor.partial = bytes(data[: 16 * _EXCERPT_CHARS])
    if total > limit:
        yield shard.quarantined("file", "oversize-record", bytes(data[: 16 * _EXCERPT_CHARS]))
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


def _text_codec(charset: str | None) -> str | None:
    """Return the Python codec a declared charset names when it is a text encoding, else None.

    A name Python does not know, or a codec that is not a text encoding (``hex``, ``zlib``,
    ``base64``, ``rot13``, ``uu``, ``bz2``: bytes-to-bytes or str-to-str), is not used.
    """
    if not charset:
        return None
    try:
        info = codecs.lookup(charset)
    except (LookupError, TypeError, ValueError):
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _decode_payload(payload: bytes, declared: list[str | None]) -> tuple[str | None, str]:
    """Decode a payload with the first declared charset that is a text encoding, else UTF-8.

    Return (text, "") or (None, reason): ``invalid-utf8`` when UTF-8 was the only choice,
    ``invalid-encoding`` when a declared charset was used and the bytes do not decode in it,
    or was unusable and the bytes are not UTF-8 either.
    """
    codec = next((c for c in map(_text_codec, declared) if c is not None), "utf-8")
    if codec == "utf-8" and payload.startswith(_BOM):
        payload = payload[len(_BOM) :]
    try:
        return payload.decode(codec), ""
    except (UnicodeError, ValueError, LookupError, TypeError):
        unusable = any(c and _text_codec(c) is None for c in declared)
        return None, "invalid-encoding" if codec != "utf-8" or unusable else "invalid-utf8"


def _warc_response(
    shard: _Shard, record: Any, payload: bytes, location: str
) -> Item | Skipped:
    """Turn one response payload (read whole, within the record limit) into an item."""
    uri = _warc_uri(record)
    media, charset = _content_type(record.http_headers.get_header("Content-Type"))
    if not payload or payload.isspace():
        return shard.skipped(location, record, "empty-body", f"{media or 'no content type'} {uri}")
    declared = [charset]
    if media in _HTML_TYPES and _text_codec(charset) is None:
        match = _META_CHARSET.search(payload[:4096])
        declared.append(match.group(1).decode("ascii") if match else None)
    text, reason = _decode_payload(payload, declared)
    if text is None:
        names = ", ".join(repr(c) for c in declared if c)
        return shard.quarantined(
            location, reason, f"charset {names}: {payload[:400]!r}" if names else payload
        )
    if media in _HTML_TYPES:
        text = html_to_text(text)
        if not text:
            return shard.skipped(location, record, "empty-body", f"{media}, no visible text {uri}")
    record_id = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<> ") or None
    return shard.document(location, text, record_id, uri or None)


def _warc_uri(record: Any) -> str:
    """The record's target URI (WARC-Target-URI, or an ARC record's URL), else ""."""
    headers = record.rec_headers
    return headers.get_header("WARC-Target-URI") or headers.get_header("uri") or ""


# A response is a document when it is a 2xx HTTP capture of text; why others are not.
def _response_verdict(record: Any) -> tuple[str, str] | None:
    """Return (skip reason, detail) for a response that is not a document, else None."""
    uri = _warc_uri(record)
    if record.http_headers is None:
        return "no-http-headers", uri
    status = (record.http_headers.get_statuscode() or "").strip()
    media, _ = _content_type(record.http_headers.get_header("Content-Type"))
    if not (len(status) == 3 and status.isdigit()):
        return "http-invalid", f"status line {record.http_headers.statusline!r} {uri}"
    if not status.startswith("2"):
        location = record.http_headers.get_header("Location")
        moved = f" -> {location}" if location else ""
        return f"http-{status}", f"{media or 'no content type'} {uri}{moved}"
    if media not in _TEXT_TYPES:
        return "non-text", f"{media or 'no content type'} {uri}"
    return None


def _revisit_detail(record: Any) -> str:
    """Name what a revisit refers to: payload digest, original URI and date, profile."""
    h = record.rec_headers
    digest = h.get_header("WARC-Payload-Digest") or "no payload digest"
    refers = h.get_header("WARC-Refers-To-Target-URI") or _warc_uri(record)
    when = h.get_header("WARC-Refers-To-Date")
    profile = (h.get_header("WARC-Profile") or "").rsplit("/", 1)[-1]
    parts = [f"payload {digest}", f"of {refers}"]
    if when:
        parts.append(f"at {when}")
    if h.get_header("WARC-Refers-To"):
        parts.append(f"record {h.get_header('WARC-Refers-To').strip('<> ')}")
    if profile:
        parts.append(f"({profile})")
    return " ".join(parts)


_SKIP_OF_TYPE = {
    "request": "request",
    "warcinfo": "warcinfo",
    "arc_header": "warcinfo",  # an ARC file's filedesc:// header record
    "metadata": "metadata",
    "resource": "resource",
    "conversion": "conversion",
    "continuation": "continuation",
    "revisit": "revisit",
}


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


class _ArchiveIterator(ArchiveIterator):
    """warcio's archive iterator (WARC or ARC, told apart by the first record), telling
    when data ends inside a gzip member.

    warcio reads to the end of the data quietly, and a gzip member cut short fails, if at
    all, as a malformed record; a member cut inside its deflate trailer leaves every
    record whole. Both are truncated files.
    """

    ended_inside_member = False

    def __init__(self, fileobj: Any, archive_format: str) -> None:
        super().__init__(fileobj)
        self.known_format = archive_format  # "warc" or "arc": parse only as that

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
    archive_format = _archive_format(shard.path)
    archive = _ArchiveIterator(tracked, archive_format)
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
        if seen == 1 and archive_format == "arc" and record.rec_type != "arc_header":
            # An ARC file opens with its filedesc:// record; this data is not ARC.
            cursor.location = "shard"
            yield shard.quarantined("shard", "schema-mismatch", "not an ARC file (no filedesc:// header)")
            return None
        if seen <= skip:
            continue
        payload: bytes | None = None
        oversize = False
        verdict: tuple[str, str] | None = None
        # warcio's own gzip decompression of a .warc.gz counts against scan.max_shard_bytes.
        decompressing = getattr(archive.reader, "decompressor", None) is not None
        if record.rec_type == "response":
            verdict = _response_verdict(record)
            if verdict is None:
                # At most one byte past the limit is held: a longer payload is quarantined.
                payload = _read_payload(shard, record, decompressing)
                oversize = payload is None
        elif record.rec_type == "revisit":
            verdict = "revisit", _revisit_detail(record)
        else:
            reason = _SKIP_OF_TYPE.get(record.rec_type, "other")
            detail = _warc_uri(record) or record.rec_headers.get_header("WARC-Filename") or ""
            if reason == "other":
                detail = f"record type {record.rec_type} {detail}"
            verdict = reason, detail
        while rest := record.raw_stream.read(_CHUNK):  # whatever follows the payload
            if decompressing:
                shard.budget.charge(len(rest))
        location = f"offset:{archive.get_record_offset()}"
        cursor.location = location
        if isinstance(record.raw_stream, LimitReader) and record.raw_stream.limit > 0:
            # The data ended before the record's Content-Length: the file is cut short.
            detail = f"record ends {record.raw_stream.limit} bytes before its Content-Length"
            if cut_short():
                raise _StreamError("truncated-compression", detail)
            yield shard.quarantined(location, "schema-mismatch", detail)
            return None
        if verdict is not None:
            yield shard.skipped(location, record, *verdict)
        elif oversize:
            yield shard.quarantined(
                location,
                "oversize-record",
                f"payload over max_record_bytes={shard.spec.max_record_bytes}: {_warc_uri(record)}",
            )
        else:
            yield _warc_response(shard, record, payload or b"", location)
    if archive.ended_inside_member and tracked.tell() > 0:  # 0 bytes: an empty shard
        cursor.location = f"offset:{archive.offset}"
        raise _StreamError("truncated-compression", "the gzip stream ends inside a member")
    return None


_DECODED_ENCODINGS = frozenset({"gzip", "deflate"})  # Content-Encoding warcio decodes, bounded


def _read_payload(shard: _Shard, record: Any, decompressing: bool) -> bytes | None:
    """Read a response's body as sent (chunked transfer and gzip/deflate content encoding
    undone), checked as it is read; None once it is past ``max_record_bytes`` (at most one
    byte past the limit is held, and never copied).

    warcio decodes gzip and deflate from 16 KiB of stored body at a time, so one step
    yields at most about 16 MiB; a ``br`` body is left encoded whatever is installed (the
    brotli decoder has no output bound), so it quarantines rather than inflating.
    Decoded bytes count against ``scan.max_shard_bytes``.
    """
    encoding = (record.http_headers.get_header("Content-Encoding") or "").strip().lower()
    if encoding in _DECODED_ENCODINGS:
        stream = record.content_stream()
    elif record.http_headers.get_header("Transfer-Encoding") == "chunked":
        stream = ChunkedDataReader(record.raw_stream)
    else:
        stream = record.raw_stream
    charged = decompressing or encoding in _DECODED_ENCODINGS
    limit = shard.spec.max_record_bytes + 1
    data = bytearray()
    while len(data) < limit:
        chunk = stream.read(min(_CHUNK, limit - len(data)))
        if not chunk:
            break
        if charged:
            shard.budget.charge(len(chunk))
        data += chunk
    return None if len(data) >= limit else bytes(data)


def _archive_format(path: str) -> str:
    """"arc" for a ``.arc`` file (gzipped or not), else "warc": the name decides how records parse."""
    name, _ = _name_and_compression(path)
    return "arc" if name.endswith(".arc") else "warc"


def _read_warc(shard: _Shard, cursor: _Cursor) -> Iterator[Item]:
    # warcio reads gzip itself (offsets then name gzip members, as CDX indexes do) and
    # detects it whatever the extension; zstd it does not read, so that is done here.
    zstd = compression_of(shard.path) == "zstd"
    stream = _stream(shard.raw, "zstd" if zstd else None, shard.budget)
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
        stream = _Decompressing(raw, "gzip", shard.budget)
        yield from _warc_records(shard, cursor, stream, skip=read_before, whole=True)
    finally:
        raw.close()
