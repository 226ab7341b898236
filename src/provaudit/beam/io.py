"""Files on any Beam filesystem: join, open, read, write, checksum and list.

Local paths go through the standard library; paths with a scheme (``gs://``, ``s3://``,
...) through Beam's ``FileSystems``, imported only when such a path is met, so the CLI can
list local shards and fail fast on a bad path without paying Beam's import time.
"""

from __future__ import annotations

import hashlib
import os
from typing import BinaryIO

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


def shard_checksum(path: str) -> str:
    """Return the SHA-256 (hex) of a shard's bytes as stored."""
    digest = hashlib.sha256()
    with open_input(path) as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
