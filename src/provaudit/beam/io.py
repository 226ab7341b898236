"""Files on any Beam filesystem: join, open, read, write, checksum and list.

Local paths go through the standard library; paths with a scheme (``gs://``, ``s3://``,
...) through Beam's ``FileSystems``, imported only when such a path is met, so the CLI can
list local shards and fail fast on a bad path without paying Beam's import time.

A run's own files are listed with :func:`list_files` (or streamed with :func:`iter_files`,
which holds no listing); both take the folder's name literally: an output folder named
with glob characters (``out[1]``) lists its own files,
never another folder's, and a folder with no files lists none (never "No files found").
"""

from __future__ import annotations

import glob
import hashlib
import os
import stat
from typing import Any, BinaryIO, Iterator

from provaudit.core.config import match_local

_CHUNK = 1 << 20


def _filesystems():
    from apache_beam.io.filesystems import FileSystems  # noqa: PLC0415 - see the module docstring

    return FileSystems


def _uncompressed():
    from apache_beam.io.filesystem import CompressionTypes  # noqa: PLC0415

    return CompressionTypes.UNCOMPRESSED


def match_files(pattern: str) -> dict[str, int]:
    """Return {path: size} of the files a glob matches on any Beam filesystem."""
    if "://" not in pattern:
        return match_local(pattern)
    result = _filesystems().match([pattern])[0]
    return {m.path: m.size_in_bytes for m in result.metadata_list if not m.path.endswith("/")}


def escape_glob(path: str) -> str:
    """Quote ``[``, ``*`` and ``?`` in a literal path for Beam's glob patterns (``[[]``, ``[*]``, ``[?]``)."""
    return "".join(f"[{c}]" if c in "[*?" else c for c in path)


def iter_files(folder: str, *pattern: str) -> Iterator[str]:
    """Yield the paths of the files under ``folder`` matching ``pattern`` (glob parts), as the
    filesystem lists them (unsorted), without holding the listing: a local folder is walked
    with ``glob.iglob`` and one ``stat`` per match.

    ``folder`` is taken literally, glob characters and all; only ``pattern`` is a glob.
    """
    if "://" in folder:
        yield from match_files(_filesystems().join(escape_glob(folder), *pattern))
        return
    for path in glob.iglob(os.path.join(glob.escape(folder), *pattern), recursive=True):
        try:
            if stat.S_ISREG(os.stat(path).st_mode):
                yield path
        except OSError:
            continue  # removed while listed


def list_files(folder: str, *pattern: str) -> list[str]:
    """Return the sorted paths of the files under ``folder`` matching ``pattern`` (glob parts).

    ``folder`` is taken literally, glob characters and all; only ``pattern`` is a glob.
    A folder that does not exist, or holds no match, gives an empty list. The paths alone are
    kept (no sizes), sorted once at the end (see :func:`iter_files`).
    """
    return sorted(iter_files(folder, *pattern))


def join_path(*parts: str) -> str:
    """Join output path parts on any Beam filesystem."""
    if not any("://" in p for p in parts):
        return os.path.join(*parts)
    return _filesystems().join(*parts)


def open_input(path: str) -> BinaryIO:
    """Open a shard for binary reading on any Beam filesystem, without decompressing it."""
    if "://" not in path:
        return open(path, "rb")
    return _filesystems().open(path, compression_type=_uncompressed())


def write_bytes(path: str, data: bytes) -> None:
    """Write a whole file on any Beam filesystem (parents are created as needed)."""
    if "://" not in path:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        return
    with _filesystems().create(path, compression_type=_uncompressed()) as fh:
        fh.write(data)


def read_bytes(path: str) -> bytes:
    """Read a whole file on any Beam filesystem."""
    if "://" not in path:
        with open(path, "rb") as fh:
            return fh.read()
    with _filesystems().open(path, compression_type=_uncompressed()) as fh:
        return fh.read()


def remove_tree(folder: str) -> None:
    """Remove a folder and everything under it, on any Beam filesystem; nothing when it is absent."""
    if "://" not in folder:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        return
    filesystems = _filesystems()
    if filesystems.exists(folder):
        filesystems.delete([folder])


def shard_checksum(path: str) -> str:
    """Return the SHA-256 (hex) of a shard's bytes as stored."""
    digest = hashlib.sha256()
    with open_input(path) as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_parquet_rows(path: str, columns: list[str], batch_size: int = 1024) -> Iterator[dict[str, Any]]:
    """Yield the rows of one Parquet file as dicts of ``columns``, one record batch at a time.

    The path is opened as it is (no glob), so any file name is read; memory holds one batch.
    """
    import pyarrow.parquet as pq  # noqa: PLC0415 - only the stages reading Parquet pay for it

    with open_input(path) as fh:
        for batch in pq.ParquetFile(fh).iter_batches(batch_size=batch_size, columns=columns):
            yield from batch.to_pylist()
