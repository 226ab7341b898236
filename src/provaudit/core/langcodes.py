"""Language codes as the ledger writes them (BCP 47), from the spellings a registry may use.

Contract: :func:`canonical_language` is a pure function of one code. The ledger writes
Chinese as ``zh-Hans`` (Simplified) or ``zh-Hant`` (Traditional), or ``zh`` when the
characters do not tell; a registry may name the same languages the way locales and
langdetect do. BCP 47 tags are case-insensitive, so case is folded first:

* ``zh-CN``, ``zh-SG``, ``zh-Hans`` (and langdetect's ``zh-cn``) -> ``zh-Hans``;
* ``zh-TW``, ``zh-HK``, ``zh-MO``, ``zh-Hant`` (and langdetect's ``zh-tw``) -> ``zh-Hant``;
* any other code -> its language subtag in lower case, the rest of the tag as written
  with the script subtag title-cased and the region upper-cased (``EN`` -> ``en``).
"""

from __future__ import annotations

__all__ = ["CHINESE", "canonical_language"]

CHINESE = ("zh-Hans", "zh-Hant", "zh")  # the Chinese codes the ledger writes

_CHINESE_ALIASES = {
    "zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "zh-hans": "zh-Hans",
    "zh-hans-cn": "zh-Hans", "zh-hans-sg": "zh-Hans",
    "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-mo": "zh-Hant", "zh-hant": "zh-Hant",
    "zh-hant-tw": "zh-Hant", "zh-hant-hk": "zh-Hant", "zh-hant-mo": "zh-Hant",
}  # fmt: skip


def canonical_language(code: str) -> str:
    """The ledger's spelling of a language code (see the module docstring)."""
    folded = code.strip().replace("_", "-").lower()
    if folded in _CHINESE_ALIASES:
        return _CHINESE_ALIASES[folded]
    parts = folded.split("-")
    out = [parts[0]]
    for part in parts[1:]:
        out.append(part.title() if len(part) == 4 else part.upper() if len(part) == 2 else part)
    return "-".join(out)
