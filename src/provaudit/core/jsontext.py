"""JSON as every provaudit output writes it: deterministic, UTF-8, safe to embed in HTML.

Contract: :func:`json_text` is ``json.dumps`` with sorted keys and non-ASCII kept as is,
except that ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e`` and ``\\u0026``
(and U+2028 / U+2029 as ``\\u2028`` / ``\\u2029``). The characters can only occur inside JSON
strings, so the escaped text parses to exactly the same value; but no value taken from a
corpus or a registry (``</script>``, ``<img onerror=...>``) can close a ``<script>`` element
or open a tag when the JSON is embedded in a page (the Croissant JSON-LD, the disclosures'
data), or be read as markup by a careless viewer.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["json_bytes", "json_text"]

_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
            0x2028: "\\u2028", 0x2029: "\\u2029"}


def json_text(value: Any, *, indent: int | None = 2, sort_keys: bool = True, **kwargs: Any) -> str:
    """``value`` as JSON text (see the module contract), without a trailing newline."""
    return json.dumps(value, indent=indent, sort_keys=sort_keys, ensure_ascii=False, **kwargs).translate(_ESCAPES)


def json_bytes(value: Any) -> bytes:
    """JSON as provaudit writes files: indented, keys sorted, UTF-8, HTML-safe, one trailing newline."""
    return (json_text(value) + "\n").encode("utf-8")
