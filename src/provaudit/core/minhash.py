"""MinHash signatures of documents, identical to datasketch's and several times faster.

Contract. For a text and a mode (word or character n-grams), ``MinHasher.signature``
returns exactly ``datasketch.MinHash(num_perm, seed, hashfunc=shingle_hash,
scheme=scheme)`` updated with ``shingles(text, char_ngrams, ngram)``, as ``num_perm``
uint32 values; ``signature_bytes`` stores them as little-endian uint32. The tests hold
the fast path to datasketch on every kind of text.

Shingles are defined on the UTF-8 bytes of ``text.lower()``:

- word mode (space-separated scripts): a token is a maximal run of bytes that are ASCII
  letters or digits or any byte >= 0x80 (so every non-ASCII character is a word
  character); a shingle is ``ngram`` consecutive tokens joined by one space.
- character mode (Han, Hiragana/Katakana, Hangul; see ``CJK_SCRIPTS``): a unit is one
  code point, ASCII punctuation and whitespace dropped; a shingle is the bytes of
  ``ngram`` consecutive units.

A text with at least one unit but fewer than ``ngram`` has one shingle of all its units;
a text with none has no shingle and gets the empty signature (every slot 0xFFFFFFFF,
a fresh datasketch MinHash). Repeated shingles are hashed again; min is idempotent.

Shingle hash (``shingle_hash``): a polynomial hash of the bytes mod 2**64,
``H = sum((byte_i + 1) * B**(n-1-i))`` with an odd 64-bit base ``B``, put through
MurmurHash3's 64-bit finaliser (a bijection with full avalanche), keeping the top 32
bits. The polynomial part composes: ``H(x + y) = H(x) * B**len(y) + H(y)``, so the fast
path hashes each token's bytes once and builds each shingle's hash from its ``ngram``
token hashes with ``2 * ngram`` multiplications instead of rehashing the shingle's bytes.
``ngram_hashes64`` returns the full 64-bit hashes (``ngram_hash64``, before the top 32
bits are kept) of the same shingles, for n-gram overlap checks at corpus scale.

Permutation schemes (datasketch's names; datasketch >= 2.0 defaults to "affine32"):

- "affine32": ``h' = fmix32(h)`` once, then slot ``k`` keeps
  ``min((a_k * h' + b_k) mod 2**32)`` with ``a_k`` odd (a bijection, so no collisions
  are added and large sets are not biased). ``a = 2 * randint(0, 2**31) + 1`` and
  ``b = randint(0, 2**32)``, drawn as uint32 arrays from ``RandomState(seed)``.
- "legacy" (datasketch < 2.0): slot ``k`` keeps
  ``min(((a_k * h + b_k) mod 2**64) mod p) & 0xFFFFFFFF`` with ``p = 2**61 - 1``; the
  product wraps mod 2**64 as numpy's uint64 does. ``(a_k, b_k)`` are drawn in pairs,
  ``a`` in ``[1, p)`` then ``b`` in ``[0, p)``, by scalar ``randint`` calls.

The kernels are numba functions compiled on first use (``MinHasher.warmup`` does it up
front) and cached on disk when a cache directory is writable.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from typing import Any, Literal

import numba
import numpy as np

__all__ = [
    "CJK_SCRIPTS",
    "SCHEMES",
    "MinHasher",
    "jaccard_from_signatures",
    "ngram_hash64",
    "ngram_hashes64",
    "shingle_hash",
    "shingle_hashes",
    "shingles",
    "signature_from_bytes",
]

Scheme = Literal["affine32", "legacy"]

_log = logging.getLogger(__name__)

#: Scripts whose text is shingled by characters rather than words.
CJK_SCRIPTS = frozenset({"Han", "Hiragana", "Katakana", "Hangul"})
#: Permutation schemes, named as in datasketch.
SCHEMES: tuple[str, ...] = ("affine32", "legacy")

_U64 = np.uint64
_U32 = np.uint32
_MASK64 = (1 << 64) - 1
_MERSENNE = (1 << 61) - 1
_MAX_HASH = (1 << 32) - 1  # the value of an empty slot

# Polynomial base: any odd 64-bit constant works; this is 2**64 / golden ratio.
_BASE = 0x9E3779B97F4A7C15
# MurmurHash3 finaliser constants (fmix64 and fmix32).
_FMIX64_M1 = 0xFF51AFD7ED558CCD
_FMIX64_M2 = 0xC4CEB9FE1A85EC53
_FMIX32_M1 = 0x85EBCA6B
_FMIX32_M2 = 0xC2B2AE35

# numba types every integer literal as int64 and mixed int64/uint64 arithmetic as
# float64, so the kernels only ever use these typed constants.
_K_BASE = _U64(_BASE)
_K_ONE = _U64(1)
_K_SEP = _U64(ord(" ") + 1)  # the space that joins word shingles, as the polynomial sees it
_K_M1 = _U64(_FMIX64_M1)
_K_M2 = _U64(_FMIX64_M2)
_K_33 = _U64(33)
_K_61 = _U64(61)
_K_P = _U64(_MERSENNE)
_K_LOW32 = _U64(_MAX_HASH)
_K32_M1 = _U32(_FMIX32_M1)
_K32_M2 = _U32(_FMIX32_M2)
_K32_16 = _U32(16)
_K32_13 = _U32(13)
_K32_MAX = _U32(_MAX_HASH)


# --------------------------------------------------------------------------- reference


_WORD_RE = re.compile(rb"[0-9A-Za-z\x80-\xff]+")
# One code point: an ASCII letter or digit, or a UTF-8 lead byte and its continuations.
_CHAR_RE = re.compile(rb"[0-9A-Za-z]|[\xc0-\xff][\x80-\xbf]*")


def _encode(text: str) -> bytes:
    # surrogatepass: a str holding lone surrogates (decoded with surrogateescape, say)
    # still encodes, so a worker never raises on such a document.
    return text.lower().encode("utf-8", "surrogatepass")


def shingles(text: str, char_ngrams: bool, n: int = 5) -> list[bytes]:
    """Return the shingles of ``text`` in order, as bytes (the reference definition)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    data = _encode(text)
    if char_ngrams:
        units, sep = _CHAR_RE.findall(data), b""
    else:
        units, sep = _WORD_RE.findall(data), b" "
    if not units:
        return []
    if len(units) < n:
        return [sep.join(units)]
    return [sep.join(units[i : i + n]) for i in range(len(units) - n + 1)]


def _fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * _FMIX64_M1) & _MASK64
    h ^= h >> 33
    h = (h * _FMIX64_M2) & _MASK64
    return h ^ (h >> 33)


def ngram_hash64(b: bytes) -> int:
    """Return the 64-bit hash of the shingle ``b``: fmix64 of its polynomial (pure Python)."""
    h = 0
    for byte in b:
        h = (h * _BASE + byte + 1) & _MASK64
    return _fmix64(h)


def shingle_hash(b: bytes) -> int:
    """Return the 32-bit shingle hash of ``b`` (pure Python; a datasketch ``hashfunc``).

    The top 32 bits of ``ngram_hash64(b)``.
    """
    return ngram_hash64(b) >> 32


# --------------------------------------------------------------------------- kernels


def _njit(func: Callable[..., Any]) -> Any:
    """Compile ``func`` lazily with numba, cached on disk when a cache dir is writable.

    With no writable cache location (a read-only install and home), numba raises at
    decoration; the kernels then compile in each process instead (a few seconds).
    """
    try:
        return numba.njit(cache=True, nogil=True)(func)
    except RuntimeError as err:
        _log.info("numba cache disabled for %s: %s", func.__name__, err)
        return numba.njit(nogil=True)(func)


def _byte_table(pred: Callable[[int], bool]) -> np.ndarray:
    return np.array([1 if pred(c) else 0 for c in range(256)], dtype=np.uint8)


def _ascii_alnum(c: int) -> bool:
    return c < 0x80 and chr(c).isalnum()


# Byte classes, looked up by the kernels (numba freezes global arrays as constants).
_WORD_BYTE = _byte_table(lambda c: c >= 0x80 or _ascii_alnum(c))  # part of a word token
_CONT_BYTE = _byte_table(lambda c: c & 0xC0 == 0x80)  # a UTF-8 continuation byte
_KEPT_LEAD = _byte_table(lambda c: c >= 0xC0 or _ascii_alnum(c))  # starts a kept code point


# Bytes scanned per block: the kernels' scratch memory is about 20 bytes per byte of a
# block, so a block bounds it (about 1.3 MB) however long the document is.
_BLOCK = 1 << 16


@_njit
def _scan(buf, start, stop, char_mode, hs, ps, k, h, p, kept):  # type: ignore[no-untyped-def]
    """Scan ``buf[start:stop]`` into units: store each unit's H and B**len at hs[k], ps[k].

    Units are word tokens, or code points in char mode. ``(k, h, p, kept)`` is the
    state carried between blocks: units stored so far, and the H, B**len and
    kept-flag of the unit being read. The loops are branch-free (every byte
    stores the running unit at slot k, and k advances only when a unit ends)
    because unit boundaries are too irregular to predict. ``buf`` comes from
    ``str.encode``, so it is valid UTF-8.
    """
    if char_mode:
        for i in range(start, stop):  # kept: the code point being read is kept
            c = buf[i]
            cont = _CONT_BYTE[c]
            hs[k] = h
            ps[k] = p
            k += kept & (cont ^ 1)  # a lead byte ends the previous code point
            hc = _U64(c) + _K_ONE
            hn = h * _K_BASE + hc
            pn = p * _K_BASE
            h = hn if cont else hc
            p = pn if cont else _K_BASE
            kept = kept if cont else _KEPT_LEAD[c]
    else:
        for i in range(start, stop):  # kept: the previous byte is in a token
            c = buf[i]
            w = _WORD_BYTE[c]
            hs[k] = h
            ps[k] = p
            k += kept & (w ^ 1)  # a non-word byte ends the token before it
            hn = h * _K_BASE + (_U64(c) + _K_ONE)
            pn = p * _K_BASE
            h = hn if w else _U64(0)
            p = pn if w else _K_ONE
            kept = w
    return k, h, p, kept


@_njit
def _combine(hs, ps, count, width, char_mode, empty):  # type: ignore[no-untyped-def]
    """Return the hashes of the ``count`` shingles of ``width`` units starting at 0, 1, ...

    The hashes have the dtype of ``empty`` (a zero-length array; numba compiles one
    specialisation per dtype): uint32 keeps the top 32 bits of the 64-bit hash,
    uint64 keeps all of it.
    """
    out = np.empty(count, empty.dtype)
    drop = _U64(64 - 8 * empty.itemsize)
    for s in range(count):
        h = hs[s]
        for j in range(s + 1, s + width):
            if not char_mode:
                h = h * _K_BASE + _K_SEP
            h = h * ps[j] + hs[j]
        h ^= h >> _K_33
        h *= _K_M1
        h ^= h >> _K_33
        h *= _K_M2
        h ^= h >> _K_33
        out[s] = h >> drop
    return out


@_njit
def _block(  # type: ignore[no-untyped-def]
    buf, start, char_mode, ngram, block, hs, ps, k, h, p, kept, emitted, empty
):
    """Scan one block from ``start``; return the hashes of the shingles it completes.

    The hashes are 32- or 64-bit as ``empty`` is uint32 or uint64 (see ``_combine``).

    Returns ``(hashes, stop, k, h, p, kept, emitted)``, the state for the next block:
    the last ``ngram - 1`` units are carried over, since the shingles that span the
    boundary start there. ``stop == len(buf)`` after the last block.
    """
    n = buf.shape[0]
    stop = min(n, start + block)
    k, h, p, kept = _scan(buf, start, stop, char_mode, hs, ps, k, h, p, kept)
    last = stop >= n
    if last:  # the unit being read ends with the text
        hs[k] = h
        ps[k] = p
        k += kept
    if k >= ngram:
        hashes = _combine(hs, ps, k - ngram + 1, ngram, char_mode, empty)
        emitted = True
    elif last and k > 0 and not emitted:  # fewer units than ngram: one shingle of all
        hashes = _combine(hs, ps, 1, k, char_mode, empty)
    else:
        hashes = empty
    if not last:
        carry = min(k, ngram - 1)
        for j in range(carry):  # a loop compiles faster than a slice assignment
            hs[j] = hs[k - carry + j]
            ps[j] = ps[k - carry + j]
        k = carry
    return hashes, stop, k, h, p, kept, emitted


# Each kernel below drives _block over the text the same way. A numba generator would
# say it once, but numba 0.68 fails (KeyError) to load a cached generator's consumer.


@_njit
def _shingle_hashes(buf, char_mode, ngram, block, empty):  # type: ignore[no-untyped-def]
    """Return the hash of every shingle of ``buf``, in order, 32- or 64-bit as ``empty``."""
    size = min(buf.shape[0], block) + ngram + 1
    hs = np.empty(size, np.uint64)
    ps = np.empty(size, np.uint64)
    k, h, p, kept, emitted, start = 0, _U64(0), _K_ONE, 0, False, 0
    out = empty
    while True:
        hashes, start, k, h, p, kept, emitted = _block(
            buf, start, char_mode, ngram, block, hs, ps, k, h, p, kept, emitted, empty
        )
        out = hashes if out.shape[0] == 0 else np.concatenate((out, hashes))
        if start >= buf.shape[0]:
            return out


@_njit
def _update_legacy(acc, hashes, a, b):  # type: ignore[no-untyped-def]
    """Lower each slot to min over ``hashes`` of ((a*h + b) mod 2**64 mod p) & 0xFFFFFFFF.

    ``x mod p`` for p = 2**61 - 1 is folded without division: with x = hi * 2**61 + lo,
    2**61 = 1 (mod p) gives x = hi + lo (mod p), and hi + lo <= 7 + p < 2p, so one
    conditional subtraction finishes it (tests check this for every uint64 x).
    The perm loop is innermost and branch-free so LLVM vectorises it.
    """
    for s in range(hashes.shape[0]):
        h = _U64(hashes[s])
        for j in range(acc.shape[0]):
            x = a[j] * h + b[j]
            x = (x & _K_P) + (x >> _K_61)
            x = x - _K_P if x >= _K_P else x
            x &= _K_LOW32
            acc[j] = min(acc[j], x)


@_njit
def _update_affine32(acc, hashes, a, b):  # type: ignore[no-untyped-def]
    """Lower each slot to min over ``hashes`` of (a * fmix32(h) + b) mod 2**32."""
    for s in range(hashes.shape[0]):
        h = hashes[s]
        h ^= h >> _K32_16
        h = _U32(h * _K32_M1)
        h ^= h >> _K32_13
        h = _U32(h * _K32_M2)
        h ^= h >> _K32_16
        for j in range(acc.shape[0]):
            x = _U32(a[j] * h + b[j])
            acc[j] = min(acc[j], x)


@_njit
def _signature_affine32(buf, char_mode, ngram, block, a, b):  # type: ignore[no-untyped-def]
    size = min(buf.shape[0], block) + ngram + 1
    hs = np.empty(size, np.uint64)
    ps = np.empty(size, np.uint64)
    k, h, p, kept, emitted, start = 0, _U64(0), _K_ONE, 0, False, 0
    acc = np.full(a.shape[0], _K32_MAX, np.uint32)
    empty = np.empty(0, np.uint32)
    while True:
        hashes, start, k, h, p, kept, emitted = _block(
            buf, start, char_mode, ngram, block, hs, ps, k, h, p, kept, emitted, empty
        )
        _update_affine32(acc, hashes, a, b)
        if start >= buf.shape[0]:
            return acc


@_njit
def _signature_legacy(buf, char_mode, ngram, block, a, b):  # type: ignore[no-untyped-def]
    size = min(buf.shape[0], block) + ngram + 1
    hs = np.empty(size, np.uint64)
    ps = np.empty(size, np.uint64)
    k, h, p, kept, emitted, start = 0, _U64(0), _K_ONE, 0, False, 0
    acc = np.full(a.shape[0], _K_LOW32, np.uint64)
    empty = np.empty(0, np.uint32)
    while True:
        hashes, start, k, h, p, kept, emitted = _block(
            buf, start, char_mode, ngram, block, hs, ps, k, h, p, kept, emitted, empty
        )
        _update_legacy(acc, hashes, a, b)
        if start >= buf.shape[0]:
            return acc.astype(np.uint32)


_SIGNATURE_KERNELS = {"affine32": _signature_affine32, "legacy": _signature_legacy}


# --------------------------------------------------------------------------- public API


def _buffer(text: str) -> np.ndarray:
    return np.frombuffer(_encode(text), np.uint8)


def shingle_hashes(text: str, char_ngrams: bool, n: int = 5) -> np.ndarray:
    """Return the fast path's hashes of the shingles of ``text`` (uint32, in order).

    Equal to ``[shingle_hash(s) for s in shingles(text, char_ngrams, n)]``, and to
    ``ngram_hashes64(text, char_ngrams, n) >> 32``.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    return _shingle_hashes(_buffer(text), bool(char_ngrams), n, _BLOCK, np.empty(0, np.uint32))


def ngram_hashes64(text: str, char_ngrams: bool, n: int = 13) -> np.ndarray:
    """Return the 64-bit hashes of the n-grams of ``text`` (uint64, in order, repeats kept).

    The n-grams are ``shingles(text, char_ngrams, n)`` (so a text with fewer than ``n``
    units but at least one has one n-gram of all its units, and one with none has
    none), hashed by ``ngram_hash64``; ``shingle_hashes`` keeps the top 32 bits of
    these. For contamination checks (does an evaluation item share an n-gram with the
    training text) at corpus scale, where 32-bit hashes would collide.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    return _shingle_hashes(_buffer(text), bool(char_ngrams), n, _BLOCK, np.empty(0, np.uint64))


def _permutations(num_perm: int, seed: int, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """Draw datasketch's permutation parameters for ``scheme`` from RandomState(seed)."""
    gen = np.random.RandomState(seed)
    if scheme == "legacy":
        pairs = [
            (
                gen.randint(1, _MERSENNE, dtype=np.uint64),
                gen.randint(0, _MERSENNE, dtype=np.uint64),
            )
            for _ in range(num_perm)
        ]
        ab = np.array(pairs, dtype=np.uint64).T
        return np.ascontiguousarray(ab[0]), np.ascontiguousarray(ab[1])
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


class MinHasher:
    """Compute MinHash signatures of texts; picklable, with permutations built lazily.

    ``MinHasher(num_perm, seed, ngram, scheme).signature(text, char_ngrams)`` equals
    ``datasketch.MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash,
    scheme=scheme)`` updated with ``shingles(text, char_ngrams, ngram)``.
    """

    def __init__(
        self, num_perm: int = 128, seed: int = 1, ngram: int = 5, scheme: Scheme = "affine32"
    ) -> None:
        if not 1 <= num_perm <= _MAX_HASH:
            raise ValueError(f"num_perm must be in [1, 2**32), got {num_perm}")
        if ngram < 1:
            raise ValueError(f"ngram must be at least 1, got {ngram}")
        if scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
        if not 0 <= seed < 2**32:  # RandomState's range
            raise ValueError(f"seed must be in [0, 2**32), got {seed}")
        self.num_perm = num_perm
        self.seed = seed
        self.ngram = ngram
        self.scheme = scheme
        self._perms: tuple[np.ndarray, np.ndarray] | None = None

    def __repr__(self) -> str:
        return (
            f"MinHasher(num_perm={self.num_perm}, seed={self.seed}, "
            f"ngram={self.ngram}, scheme={self.scheme!r})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MinHasher) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[int, int, int, str]:
        return (self.num_perm, self.seed, self.ngram, self.scheme)

    def __getstate__(self) -> dict[str, Any]:
        # Ship plain data to workers; they redraw the permutations on first use.
        return {
            "num_perm": self.num_perm,
            "seed": self.seed,
            "ngram": self.ngram,
            "scheme": self.scheme,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._perms = None

    @property
    def permutations(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the permutation parameters ``(a, b)``, as datasketch draws them."""
        if self._perms is None:
            self._perms = _permutations(self.num_perm, self.seed, self.scheme)
        return self._perms

    def warmup(self) -> None:
        """Draw the permutations and compile (or load) every kernel; call in DoFn.setup."""
        self.signature("warm up the minhash kernels once", char_ngrams=False)
        self.signature("预热", char_ngrams=True)

    def signature(self, text: str, char_ngrams: bool) -> np.ndarray:
        """Return the MinHash signature of ``text`` (uint32, shape ``(num_perm,)``)."""
        a, b = self.permutations
        kernel = _SIGNATURE_KERNELS[self.scheme]
        return kernel(_buffer(text), bool(char_ngrams), self.ngram, _BLOCK, a, b)

    def signature_bytes(self, text: str, char_ngrams: bool) -> bytes:
        """Return the signature of ``text`` as ``num_perm`` little-endian uint32 values."""
        sig = self.signature(text, char_ngrams)
        if sys.byteorder != "little":
            sig = sig.astype("<u4")
        return sig.tobytes()


def signature_from_bytes(b: bytes) -> np.ndarray:
    """Return the signature stored in ``b`` (little-endian uint32) as a uint32 array."""
    if len(b) % 4:
        raise ValueError(f"a signature is a multiple of 4 bytes, got {len(b)}")
    return np.frombuffer(b, dtype="<u4").astype(np.uint32)


def jaccard_from_signatures(a: np.ndarray | bytes, b: np.ndarray | bytes) -> float:
    """Estimate the Jaccard similarity of two signatures: the share of equal slots."""
    sa = signature_from_bytes(a) if isinstance(a, (bytes, bytearray, memoryview)) else a
    sb = signature_from_bytes(b) if isinstance(b, (bytes, bytearray, memoryview)) else b
    if len(sa) != len(sb) or len(sa) == 0:
        raise ValueError(f"signatures must be non-empty and of one length: {len(sa)}, {len(sb)}")
    return float(np.count_nonzero(np.asarray(sa) == np.asarray(sb))) / len(sa)
