"""A fault corpus: deterministic bad input for every reader, and misuse of the config and CLI.

Contract. :func:`build_corpus` writes, under a folder, one registered source per reader
*kind* (a kind is one way input goes wrong: a BOM, a lone surrogate in an id, a truncated
``.zst``, a gzip bomb inside a WARC body, a Parquet text column of lists, a symlink loop
...), a registry and a run config, and returns every kind with the outcome provaudit must
give it: the quarantine reasons and skipped reasons it must count, the number of ledger
rows, and the ids of the good documents that must each be in the ledger exactly once.
:func:`misuse_kinds` returns the kinds of config and CLI misuse, each a config folder to
write and the one-line usage error (exit 2) it must give. The same seed writes the same
bytes; nothing is downloaded, and a bomb is small on disk (kilobytes) but large inflated
(``BOMB_BYTES``), so it proves the scan's limits without costing the test much time.

The run config writes into ``outglob/out[1]`` under the corpus: an output folder named
with glob characters, under a source's ``**`` glob, so the scan must neither misread its
own files (reconciliation) nor read them again as data.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import os
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
import zstandard

SEED = 12
MAX_RECORD_BYTES = 1 << 20  # the test config's scan.max_record_bytes: a bomb's record is far past it
BOMB_BYTES = 160 << 20  # what each bomb inflates to
CARD = "4111 1111 1111 1111"  # a planted payment card number (Luhn-valid test number)
OUTPUT = "outglob/out[1]"  # the run's output folder, relative to the corpus root

_WORDS = ("river stone lantern orchard harbour meadow signal copper willow ember glacier "
          "falcon thistle quarry beacon canyon saddle pepper marble cobalt lattice vapour "
          "timber anchor velvet prairie summit tundra walnut ripple compass").split()


@dataclass
class Kind:
    """One kind of bad input and the outcome the scan must give it (per source, summed over its shards)."""

    name: str  # also the source name
    what: str  # one line: the fault
    fmt: str
    paths: list[str]  # the source's globs, relative to the corpus root
    ledger: int  # ledger rows
    quarantined: dict[str, int] = field(default_factory=dict)  # reason -> count
    skipped: dict[str, int] = field(default_factory=dict)  # skip reason -> count
    good_ids: list[str] = field(default_factory=list)  # doc ids that must each be in the ledger once
    shards: int | None = None  # shards the source must list (symlinks, loops, overlapping globs)
    registry: dict[str, Any] = field(default_factory=dict)  # extra registry keys
    no_raw: list[str] = field(default_factory=list)  # values no quarantine or skipped line may hold raw
    bomb: bool = False


@dataclass
class Misuse:
    """One misuse of the config or CLI: what to write, the command, and a phrase its one-line error holds."""

    name: str
    what: str
    write: Callable[[Path], list[str]]  # writes the files under a folder, returns the argv
    error: str  # a phrase (case-insensitive) the one-line error must contain


class _Text:
    """Deterministic English-looking sentences, distinct per call."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._n = 0

    def __call__(self, words: int = 40) -> str:
        self._n += 1
        body = " ".join(self._rng.choice(_WORDS) for _ in range(words))
        return f"Document {self._n} tells of the {body}."

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


def _jsonl(docs: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs).encode("utf-8")


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def _zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=19).compress(data)


@functools.lru_cache(maxsize=None)
def _gzip_stream(chunks: tuple[tuple[bytes, int], ...]) -> bytes:
    """Gzip of ``data * times`` pieces, compressed as a stream (never held inflated)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0) as gz:
        for data, times in chunks:
            for _ in range(times):
                gz.write(data)
    return out.getvalue()


@functools.lru_cache(maxsize=None)
def _zstd_stream(chunks: tuple[tuple[bytes, int], ...]) -> bytes:
    out = io.BytesIO()
    with zstandard.ZstdCompressor(level=3).stream_writer(out, closefd=False) as zw:
        for data, times in chunks:
            for _ in range(times):
                zw.write(data)
    return out.getvalue()


_MIB_SPACES = b"a" * (1 << 20)


def _json_bomb_chunks(doc_id: str) -> tuple[tuple[bytes, int], ...]:
    """A JSONL line whose text is BOMB_BYTES of one letter, as stream pieces."""
    return ((b'{"id": "' + doc_id.encode() + b'", "text": "', 1), (_MIB_SPACES, BOMB_BYTES >> 20),
            (b'"}\n', 1))


def _http(body: bytes, headers: str = "Content-Type: text/html; charset=utf-8") -> bytes:
    return f"HTTP/1.1 200 OK\r\n{headers}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


def _warc(rtype: str, uri: str, payload: bytes, record_id: str,
          content_type: str = "application/http; msgtype=response") -> bytes:
    head = (f"WARC/1.0\r\nWARC-Type: {rtype}\r\nWARC-Record-ID: <urn:uuid:{record_id}>\r\n"
            f"WARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Target-URI: {uri}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(payload)}\r\n\r\n")
    return head.encode() + payload + b"\r\n\r\n"


def _html(text: str, head: str = "") -> bytes:
    return f"<html><head>{head}<title>t</title></head><body><p>{text}</p></body></html>".encode()


def _write(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue()


def _invalid_utf8_strings(values: list[bytes]) -> pa.Array:
    """A string array whose bytes are not all UTF-8 (as a buggy writer leaves them)."""
    offsets, pos = [0], 0
    for v in values:
        pos += len(v)
        offsets.append(pos)
    return pa.StringArray.from_buffers(len(values), pa.py_buffer(pa.array(offsets, pa.int32()).buffers()[1]),
                                       pa.py_buffer(b"".join(values)))


def build_corpus(root: Path, seed: int = SEED) -> list[Kind]:
    """Write every reader kind's files, the registry and ``config.yaml`` under ``root``; return the kinds."""
    text = _Text(seed)
    kinds: list[Kind] = []

    def jsonl_kind(name: str, what: str, lines: list[bytes], ledger: int, quarantined: dict[str, int],
                   good: list[str], ext: str = "jsonl", transform: Callable[[bytes], bytes] = lambda b: b,
                   **extra: Any) -> None:
        _write(root, f"{name}/part.{ext}", transform(b"".join(lines)))
        kinds.append(Kind(name, what, "jsonl", [f"{name}/*.{ext}"], ledger, quarantined, good_ids=good, **extra))

    def good_docs(name: str, n: int) -> tuple[list[bytes], list[str]]:
        ids = [f"{name}-{i}" for i in range(n)]
        return [_jsonl([{"id": i, "text": text(), "url": f"https://example.org/{i}"}]) for i in ids], ids

    # --- JSONL: encodings --------------------------------------------------------------
    lines, ids = good_docs("jsonl_control", 5)
    jsonl_kind("jsonl_control", "five good documents (the control)", lines, 5, {}, ids)

    lines, ids = good_docs("jsonl_utf8_bom", 3)
    jsonl_kind("jsonl_utf8_bom", "a UTF-8 byte-order mark before the first line", [b"\xef\xbb\xbf"] + lines,
               3, {}, ids)

    lines, ids = good_docs("jsonl_utf16", 1)
    utf16 = json.dumps({"id": "u16", "text": f"card {CARD} in UTF-16"}).encode("utf-16")  # BOM + LE
    jsonl_kind("jsonl_utf16", "a UTF-16 line (BOM, NULs between characters) holding a card number",
               [utf16 + b"\n"] + lines, 1, {"invalid-utf8": 1}, ids, no_raw=[CARD])

    lines, ids = good_docs("jsonl_nul", 2)
    escaped_nul = _jsonl([{"id": "jsonl_nul-esc", "text": "before\u0000after " + text()}])
    raw_nul = b'{"id": "raw", "text": "raw\x00nul"}\n'
    jsonl_kind("jsonl_nul", "an escaped NUL (a document) and a raw NUL byte in a string (not JSON)",
               lines + [escaped_nul, raw_nul], 3, {"invalid-json": 1}, ids + ["jsonl_nul-esc"])

    for fld in ("text", "id", "url", "license"):
        name = f"jsonl_surrogate_{fld}"
        lines, ids = good_docs(name, 2)
        bad = {"id": f"{name}-bad", "text": text(), "url": "https://example.org/x", "license": "CC-BY-4.0"}
        bad[fld] = "lone \\ud800 surrogate"
        raw = json.dumps(bad).replace("\\\\ud800", "\\ud800").encode() + b"\n"
        jsonl_kind(name, f"a lone surrogate escape (\\ud800) in the {fld} field", lines[:1] + [raw] + lines[1:],
                   2, {"invalid-utf8": 1}, ids, registry={"license_field": "license"})

    lines, ids = good_docs("jsonl_invalid_utf8", 2)
    jsonl_kind("jsonl_invalid_utf8", "bytes that are not UTF-8 in one line",
               lines + [b'{"id": "x", "text": "caf\xe9 \xff\xfe"}\n'], 2, {"invalid-utf8": 1}, ids)

    # --- JSONL: structure ----------------------------------------------------------------
    lines, ids = good_docs("jsonl_structure", 2)
    jsonl_kind("jsonl_structure", "a JSON array, a cut-off object, no text, a numeric text, a blank line",
               lines + [b"[1, 2]\n", b'{"id": "cut", "text": "no end\n', b'{"id": "nt"}\n',
                        b'{"id": "num", "text": 42}\n', b"\n"],
               2, {"invalid-json": 2, "missing-text": 1, "non-string-text": 1}, ids)

    spaced = ("card " + "  ".join(CARD.replace(" ", "")) + "   ").encode()
    lines, ids = good_docs("jsonl_pii_spaces", 1)
    jsonl_kind("jsonl_pii_spaces", "a bad line whose card number is spread by runs of spaces",
               [b'{"id": "sp", "text": "' + b" " * 30 + spaced + b"\n"] + lines, 1, {"invalid-json": 1}, ids,
               no_raw=[CARD])

    # --- JSONL: size ----------------------------------------------------------------------
    near = {"id": "huge_line-near", "text": ("A long line of text. " * ((MAX_RECORD_BYTES - 4096) // 21)).strip()}
    over = {"id": "huge_line-over", "text": "Too long to hold. " * ((2 * MAX_RECORD_BYTES) // 18)}
    lines, ids = good_docs("huge_line", 1)
    jsonl_kind("huge_line", "one line just under scan.max_record_bytes and one twice past it",
               [_jsonl([near]), _jsonl([over])] + lines, 2, {"oversize-record": 1}, ids + ["huge_line-near"])

    # --- compression: truncated and bombs ------------------------------------------------
    for comp, ext, fn in (("gz", "jsonl.gz", _gzip), ("zst", "jsonl.zst", _zstd)):
        name = f"truncated_{comp}"
        docs = [{"id": f"{name}-{i}", "text": text(400)} for i in range(12)]
        data = fn(_jsonl(docs))
        cut = data[: len(data) * 2 // 3]
        whole = _complete_lines(cut, comp)
        _write(root, f"{name}/part.{ext}", cut)
        kinds.append(Kind(name, f"a .{comp} stream cut at two thirds", "jsonl", [f"{name}/*.{ext}"], whole,
                          {"truncated-compression": 1}, good_ids=[d["id"] for d in docs[:whole]]))

    for comp, stream in (("gz", _gzip_stream), ("zst", _zstd_stream)):
        name = f"bomb_jsonl_{comp}"
        lines, ids = good_docs(name, 1)
        _write(root, f"{name}/part.jsonl.{comp}",
               stream(_json_bomb_chunks(f"{name}-bomb") + ((lines[0], 1),)))
        kinds.append(Kind(name, f"a .jsonl.{comp} of {BOMB_BYTES >> 20} MiB inflated: one huge line, one good",
                          "jsonl", [f"{name}/*.jsonl.{comp}"], 1, {"oversize-record": 1}, good_ids=ids,
                          bomb=True))

    _write(root, "bomb_text_gz/page.txt.gz", _gzip_stream(((_MIB_SPACES, BOMB_BYTES >> 20),)))
    kinds.append(Kind("bomb_text_gz", f"a .txt.gz of {BOMB_BYTES >> 20} MiB inflated", "text",
                      ["bomb_text_gz/*.txt.gz"], 0, {"oversize-record": 1}, bomb=True))

    # --- text files -------------------------------------------------------------------------
    _write(root, "text_utf16/a.txt", f"A page in UTF-16 with card {CARD}.".encode("utf-16"))
    _write(root, "text_utf16/b.txt", text().encode())
    kinds.append(Kind("text_utf16", "a UTF-16 text file (BOM, NULs) holding a card number, and a good one",
                      "text", ["text_utf16/*.txt"], 1, {"invalid-utf8": 1}, no_raw=[CARD]))
    _write(root, "text_invalid_utf8/a.txt", b"Latin-1 caf\xe9 and \xff.")
    _write(root, "text_invalid_utf8/b.txt", text().encode())
    kinds.append(Kind("text_invalid_utf8", "a text file that is not UTF-8, and a good one", "text",
                      ["text_invalid_utf8/*.txt"], 1, {"invalid-utf8": 1}))
    _write(root, "empty_files/a.txt", b"")
    _write(root, "empty_files/b.txt", b"  \n\t\n")
    _write(root, "empty_files/c.jsonl", b"")
    _write(root, "empty_files/d.jsonl", b"\n\n\n")
    _write(root, "empty_files/e.txt", text().encode())
    kinds.append(Kind("empty_files", "empty and blank-only text and JSONL files, and a good one", "text",
                      ["empty_files/*.txt"], 1, {"empty-shard": 2}, shards=3))
    kinds.append(Kind("empty_jsonl", "empty and blank-only JSONL files", "jsonl", ["empty_files/*.jsonl"], 0,
                      {"empty-shard": 2}, shards=2))
    for i in range(12):
        _write(root, f"many_tiny/t{i:03d}.txt", f"tiny {i} {text(6)}".encode())
    kinds.append(Kind("many_tiny", "12 text files of a few bytes each", "text", ["many_tiny/*.txt"], 12,
                      shards=12))

    # --- shard identity -------------------------------------------------------------------
    lines, ids = good_docs("symlinks", 3)
    _write(root, "symlinks/real.jsonl", b"".join(lines))
    os.symlink("real.jsonl", root / "symlinks" / "alias.jsonl")
    (root / "symlinks" / "loop").mkdir()
    os.symlink("..", root / "symlinks" / "loop" / "up")
    kinds.append(Kind("symlinks", "a file, a symlink to it beside it and a symlink loop under **", "jsonl",
                      ["symlinks/**/*.jsonl"], 3, good_ids=ids, shards=1))
    lines, ids = good_docs("overlapping_globs", 2)
    _write(root, "overlapping_globs/x1.jsonl", b"".join(lines))
    kinds.append(Kind("overlapping_globs", "one file matched by two globs", "jsonl",
                      ["overlapping_globs/*.jsonl", "overlapping_globs/x*.jsonl"], 2, good_ids=ids, shards=1))
    lines, ids = good_docs("dir_like_shard", 2)
    _write(root, "dir_like_shard/real.jsonl", b"".join(lines))
    _write(root, "dir_like_shard/fake.jsonl/inner.txt", b"not a shard")
    kinds.append(Kind("dir_like_shard", "a directory named like a shard (fake.jsonl/)", "jsonl",
                      ["dir_like_shard/*.jsonl"], 2, good_ids=ids, shards=1))
    lines, ids = good_docs("outglob", 2)
    _write(root, "outglob/data/a.jsonl", b"".join(lines))
    kinds.append(Kind("outglob", "the output folder out[1] lies under this source's ** glob", "jsonl",
                      ["outglob/**/*.jsonl"], 2, good_ids=ids, shards=1))

    # --- Parquet ---------------------------------------------------------------------------
    pids = [f"parquet_invalid_utf8-{i}" for i in range(3)]
    good_text = [text().encode() for _ in range(2)]
    table = pa.table({"id": pa.array(pids), "text": _invalid_utf8_strings(
        [good_text[0], b"caf\xe9 \xff\xfe bad bytes", good_text[1]])})
    _write(root, "parquet_invalid_utf8/p.parquet", _parquet(table))
    kinds.append(Kind("parquet_invalid_utf8", "a string column holding invalid UTF-8 in one row", "parquet",
                      ["parquet_invalid_utf8/*.parquet"], 2, {"invalid-utf8": 1}, good_ids=[pids[0], pids[2]]))
    _write(root, "parquet_no_text/p.parquet", _parquet(pa.table({"id": ["a"], "body": [text()]})))
    kinds.append(Kind("parquet_no_text", "no text column", "parquet", ["parquet_no_text/*.parquet"], 0,
                      {"schema-mismatch": 1}))
    odd = {"int": pa.array([1, 2]), "list": pa.array([["a"], ["b", "c"]]),
           "struct": pa.array([{"t": "a"}, {"t": "b"}])}
    for label, arr in odd.items():
        name = f"parquet_text_{label}"
        _write(root, f"{name}/p.parquet", _parquet(pa.table({"id": ["a", "b"], "text": arr})))
        kinds.append(Kind(name, f"the text column is {arr.type}", "parquet", [f"{name}/*.parquet"], 0,
                          {"schema-mismatch": 1}))
    nids = [{"k": ["x", "y"]}, {"k": []}]
    nested = pa.table({"id": pa.array(nids), "text": pa.array([text(), text()]),
                       "extra": pa.array([{"a": [1, 2], "b": {"c": "d"}}, {"a": [], "b": {"c": None}}])})
    _write(root, "parquet_nested/p.parquet", _parquet(nested))
    kinds.append(Kind("parquet_nested", "nested columns and an id that is a struct of lists", "parquet",
                      ["parquet_nested/*.parquet"], 2,
                      good_ids=[json.dumps(v, sort_keys=True) for v in nids]))

    # --- WARC / ARC ---------------------------------------------------------------------------
    def warc_kind(name: str, what: str, records: list[bytes], ledger: int, quarantined: dict[str, int],
                  skipped: dict[str, int], good: list[str], ext: str = "warc", cut: int | None = None) -> None:
        data = b"".join(_gzip(r) for r in records) if ext.endswith(".gz") else b"".join(records)
        _write(root, f"{name}/a.{ext}", data if cut is None else data[:cut])
        kinds.append(Kind(name, what, "warc", [f"{name}/*.{ext}"], ledger, quarantined, skipped,
                          [f"urn:uuid:{g}" for g in good]))  # a WARC document's id: its WARC-Record-ID

    for name, head, header in (
            ("warc_charset_hex", "", "Content-Type: text/html; charset=hex"),
            ("warc_meta_charset_zlib", '<meta charset="zlib">', "Content-Type: text/html"),
            ("warc_charset_unknown", "", "Content-Type: text/html; charset=x-no-such-codec")):
        rid, ok = text.uuid(), text.uuid()
        warc_kind(name, f"a page whose declared charset is not a text codec ({header}{head})",
                  [_warc("response", "https://example.org/a", _http(_html(text(), head), header), rid),
                   _warc("response", "https://example.org/b", _http(_html(text())), ok)],
                  2, {}, {}, [rid, ok])

    rid = text.uuid()
    bomb_body = _gzip_stream(((b"<p>" + b"x" * 1021, BOMB_BYTES >> 10),))
    warc_kind("bomb_warc_content_encoding",
              f"a response whose gzip Content-Encoding body inflates to {BOMB_BYTES >> 20} MiB",
              [_warc("response", "https://example.org/bomb",
                     _http(bomb_body, "Content-Type: text/html\r\nContent-Encoding: gzip"), text.uuid()),
               _warc("response", "https://example.org/ok", _http(_html(text())), rid)],
              1, {"oversize-record": 1}, {}, [rid])
    kinds[-1].bomb = True

    rid, rid2 = text.uuid(), text.uuid()
    recs = [_warc("response", "https://example.org/1", _http(_html(text())), rid),
            _warc("response", "https://example.org/2", _http(_html(text())), rid2)]
    warc_kind("warc_truncated", "a plain WARC cut inside its second record", recs, 1,
              {"schema-mismatch": 1}, {}, [rid], cut=len(recs[0]) + len(recs[1]) // 2)

    rid, rid2 = text.uuid(), text.uuid()
    recs = [_warc("response", "https://example.org/1", _http(_html(text(300))), rid),
            _warc("response", "https://example.org/2", _http(_html(text(300))), rid2)]
    first = len(_gzip(recs[0]))
    warc_kind("warc_gz_truncated", "a .warc.gz cut inside its second member", recs, 1,
              {"truncated-compression": 1}, {}, [rid], ext="warc.gz", cut=first + len(_gzip(recs[1])) // 2)

    rid = text.uuid()
    warc_kind("warc_odd_records", "a response whose payload is not HTTP, a resource record, a redirect",
              [_warc("response", "https://example.org/raw", b"plain bytes, no HTTP", text.uuid(),
                     content_type="text/plain"),
               _warc("resource", "dns:example.org", b"93.184.216.34", text.uuid(), content_type="text/dns"),
               _warc("response", "https://example.org/r",
                     b"HTTP/1.1 302 Found\r\nLocation: https://example.org/ok\r\nContent-Length: 0\r\n\r\n",
                     text.uuid()),
               _warc("response", "https://example.org/ok", _http(_html(text())), rid)],
              1, {}, {"http-invalid": 1, "resource": 1, "http-302": 1}, [rid])

    _write(root, "arc_no_filedesc/a.arc",
           b"http://example.org/ 93.184.216.34 20240101000000 text/html 12\nHTTP/1.0 200\n\n")
    kinds.append(Kind("arc_no_filedesc", "an ARC file that does not open with its filedesc:// record",
                      "warc", ["arc_no_filedesc/*.arc"], 0, {"schema-mismatch": 1}))
    _write(root, "warc_not_warc/a.warc", b"this is not an archive at all\n" * 3)
    kinds.append(Kind("warc_not_warc", "a .warc file that is not WARC", "warc", ["warc_not_warc/*.warc"], 0,
                      {"schema-mismatch": 1}))

    _write_registry(root, kinds)
    return kinds


def _complete_lines(cut: bytes, comp: str) -> int:
    """How many whole lines the decodable prefix of a cut stream holds."""
    if comp == "gz":
        d = __import__("zlib").decompressobj(31)
        data = d.decompress(cut)
    else:
        reader = zstandard.ZstdDecompressor().decompressobj()
        data = reader.decompress(cut)
    return data.count(b"\n")


def _source(kind: Kind) -> dict[str, Any]:
    entry = {"name": kind.name, "description": kind.what, "paths": kind.paths, "format": kind.fmt,
             "acquisition": "self-collected", "license": "CC-BY-4.0", "evidence": "fault corpus",
             "collected": "2024-01-01", "languages_expected": ["en"]}
    if kind.fmt in ("jsonl", "parquet"):
        entry.update({"text_field": "text", "id_field": "id", "url_field": "url"})
    entry.update(kind.registry)
    if "license_field" in entry:
        entry.pop("license")
    return entry


def _write_registry(root: Path, kinds: list[Kind]) -> None:
    (root / "registry.yaml").write_text(
        yaml.safe_dump({"sources": [_source(k) for k in kinds]}, sort_keys=False), encoding="utf-8")
    (root / "config.yaml").write_text(yaml.safe_dump({
        "registry": "registry.yaml", "output": OUTPUT, "beam": {"runner": "DirectRunner"},
        "scan": {"max_record_bytes": MAX_RECORD_BYTES, "progress_every": 1000},
    }, sort_keys=False), encoding="utf-8")


def build_all_quarantined(root: Path) -> Path:
    """A corpus whose every document is quarantined; return its config (the later stages get an empty ledger)."""
    _write(root, "bad/a.jsonl", b"[1]\n{not json}\n\xff\xfe\n")
    _write(root, "bad/b.txt", b"")
    (root / "registry.yaml").write_text(yaml.safe_dump({"sources": [
        {"name": "bad_jsonl", "paths": ["bad/*.jsonl"], "format": "jsonl", "text_field": "text",
         "acquisition": "self-collected", "license": "CC-BY-4.0", "evidence": "fault corpus",
         "collected": "2024-01-01"},
        {"name": "bad_text", "paths": ["bad/*.txt"], "format": "text", "acquisition": "self-collected",
         "license": "CC-BY-4.0", "evidence": "fault corpus", "collected": "2024-01-01"},
    ]}, sort_keys=False), encoding="utf-8")
    config = root / "config.yaml"
    config.write_text(yaml.safe_dump({"registry": "registry.yaml", "output": "out",
                                      "beam": {"runner": "DirectRunner"}}), encoding="utf-8")
    return config


# --- misuse of the config and the CLI -------------------------------------------------------

def _minimal(root: Path, registry_extra: dict[str, Any] | None = None, config_extra: dict[str, Any] | None = None,
             raw_registry: str | None = None, raw_config: str | None = None) -> Path:
    _write(root, "data/a.jsonl", b'{"text": "hello there"}\n')
    source = {"name": "s", "paths": ["data/*.jsonl"], "format": "jsonl", "text_field": "text",
              "acquisition": "self-collected", "license": "CC-BY-4.0", "collected": "2024-01-01",
              **(registry_extra or {})}
    (root / "registry.yaml").write_text(raw_registry if raw_registry is not None else
                                        yaml.safe_dump({"sources": [source]}), encoding="utf-8")
    config = root / "config.yaml"
    config.write_text(raw_config if raw_config is not None else yaml.safe_dump(
        {"registry": "registry.yaml", "output": "out", "beam": {"runner": "DirectRunner"},
         **(config_extra or {})}), encoding="utf-8")
    return config


def _alias_bomb(root: Path) -> list[str]:
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        levels.append(f"{cur}: &{cur} [" + ",".join(f"*{prev}" for _ in range(9)) + "]")
    raw = "registry: registry.yaml\noutput: out\n" + "\n".join(levels) + "\n"
    return ["scan", str(_minimal(root, raw_config=raw))]


def _bad_date(root: Path) -> list[str]:
    raw = ("sources:\n- name: s\n  paths: [data/*.jsonl]\n  format: jsonl\n  text_field: text\n"
           "  acquisition: self-collected\n  license: CC-BY-4.0\n  collected: 2024-02-30\n")
    return ["scan", str(_minimal(root, raw_registry=raw))]


def _output_is_file(root: Path) -> list[str]:
    _write(root, "out", b"a file, not a folder\n")
    return ["scan", str(_minimal(root))]


def _missing_opt_out(root: Path) -> list[str]:
    return ["run", str(_minimal(root, config_extra={"opt_out": "no-such-opt-out.txt"}))]


def _name_newline(root: Path) -> list[str]:
    raw = ('sources:\n- name: "web\\n"\n  paths: [data/*.jsonl]\n  format: jsonl\n  text_field: text\n'
           "  acquisition: self-collected\n  license: CC-BY-4.0\n")
    return ["scan", str(_minimal(root, raw_registry=raw))]


def _name_control(root: Path) -> list[str]:
    raw = ('sources:\n- name: "we\\u0007b"\n  paths: [data/*.jsonl]\n  format: jsonl\n  text_field: text\n'
           "  acquisition: self-collected\n  license: CC-BY-4.0\n")
    return ["scan", str(_minimal(root, raw_registry=raw))]


def _no_config(root: Path) -> list[str]:
    return ["scan", str(root / "missing.yaml")]


def _glob_outside(root: Path) -> list[str]:
    return ["scan", str(_minimal(root, registry_extra={"paths": ["nothing-here/*.jsonl"]}))]


def misuse_kinds() -> list[Misuse]:
    """The kinds of config and CLI misuse; each must be one line on standard error and exit code 2."""
    return [
        Misuse("alias_bomb", "a 1 KB YAML alias bomb (9 levels of 9 aliases) as the config",
               _alias_bomb, "alias"),
        Misuse("bad_date", "collected: 2024-02-30 (unquoted, no such day)", _bad_date, "2024-02-30"),
        Misuse("output_is_file", "the output path is an existing file", _output_is_file, "out"),
        Misuse("missing_opt_out", "the opt-out list named in the config does not exist", _missing_opt_out,
               "no-such-opt-out.txt"),
        Misuse("source_name_newline", "a source name with a trailing newline", _name_newline, "name"),
        Misuse("source_name_control", "a source name with a control character", _name_control, "name"),
        Misuse("missing_config", "the config file does not exist", _no_config, "missing.yaml"),
        Misuse("glob_matches_nothing", "a source glob that matches no file", _glob_outside, "nothing-here"),
    ]
