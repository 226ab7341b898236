"""MinHash signatures: the fast path equals datasketch, exactly, on every kind of text."""

from __future__ import annotations

import importlib.util
import pickle
import sys

import numba
import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import provaudit.core.minhash as mh
from provaudit.core.minhash import (
    CJK_SCRIPTS,
    SCHEMES,
    MinHasher,
    jaccard_from_signatures,
    ngram_hash64,
    ngram_hashes64,
    shingle_hash,
    shingle_hashes,
    shingles,
    signature_from_bytes,
)

P = (1 << 61) - 1
U64_MAX = (1 << 64) - 1

ENGLISH = (
    "The Apache Software Foundation provides support for the Apache community of "
    "open-source software projects. These projects are characterized by a collaborative, "
    "consensus based development process and an open, pragmatic software license."
)
CHINESE = "生成式人工智能服务提供者应当依法开展预训练、优化训练等训练数据处理活动，使用具有合法来源的数据和基础模型。"
JAPANESE = "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。カタカナも混ぜる。"
KOREAN = (
    "대한민국은 민주공화국이다. 대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다."
)
MIXED = (
    "Model v2 训练数据 comes from 合法来源 (licensed), see § 7 — ÜBER straße naïve café 東京 2024."
)

# (name, text, char_ngrams)
CASES = [
    ("english", ENGLISH, False),
    ("chinese", CHINESE, True),
    ("japanese", JAPANESE, True),
    ("korean", KOREAN, True),
    ("mixed-words", MIXED, False),
    ("mixed-chars", MIXED, True),
    ("short-words", "Hello, world!", False),
    ("short-chars", "你好", True),
    ("empty", "", False),
    ("empty-chars", "", True),
    ("punctuation-only", " ,.;!? -- ... \n\t", False),
    ("punctuation-only-chars", " ,.;!? -- ... \n\t", True),
    ("repeated-token", "spam " * 5000, False),
    ("repeated-char", "猫" * 5000, True),
]


def datasketch_signature(
    text: str, char_ngrams: bool, num_perm: int = 128, seed: int = 1, scheme: str = "affine32"
) -> np.ndarray:
    """Return datasketch's signature of the reference shingles, with our shingle hash."""
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash, scheme=scheme)
    m.update_batch(shingles(text, char_ngrams))
    assert (m.hashvalues <= 0xFFFFFFFF).all()
    return m.hashvalues.astype(np.uint32)


# --------------------------------------------------------------------------- shingles


def test_word_shingles_join_five_tokens_with_one_space():
    text = "The cat, the HAT; über-ALLES 42!"
    assert shingles(text, char_ngrams=False) == [
        b"the cat the hat \xc3\xbcber",
        b"cat the hat \xc3\xbcber alles",
        b"the hat \xc3\xbcber alles 42",
    ]


def test_char_shingles_keep_code_points_and_drop_ascii_punctuation():
    assert shingles("我爱 北京, 天安门!", char_ngrams=True) == [
        "我爱北京天".encode(),
        "爱北京天安".encode(),
        "北京天安门".encode(),
    ]


def test_fewer_units_than_n_make_one_shingle_and_none_make_none():
    assert shingles("Hello, world!", char_ngrams=False) == [b"hello world"]
    assert shingles("你好!", char_ngrams=True) == ["你好".encode()]
    assert shingles(" ... ", char_ngrams=False) == []
    assert shingles("", char_ngrams=True) == []


def test_lone_surrogates_do_not_raise():
    text = "bad \udcff byte in an otherwise normal document"
    assert shingles(text, False)[0] == b"bad \xed\xb3\xbf byte in an"
    sig = MinHasher().signature(text, False)
    assert np.array_equal(sig, datasketch_signature(text, False))


@pytest.mark.parametrize("n", [1, 2, 5, 9])
@pytest.mark.parametrize(("name", "text", "char_ngrams"), CASES)
def test_fast_path_hashes_exactly_the_reference_shingles(name, text, char_ngrams, n):
    expected = [shingle_hash(s) for s in shingles(text, char_ngrams, n)]
    got = shingle_hashes(text, char_ngrams, n)
    assert got.dtype == np.uint32
    assert got.tolist() == expected


def test_shingle_hash_is_32_bit_and_spreads_bits():
    values = [shingle_hash(f"token {i}".encode()) for i in range(2000)]
    assert all(0 <= v <= 0xFFFFFFFF for v in values)
    assert len(set(values)) == len(values)
    # Each output bit is set in about half of the values.
    bits = np.array([[(v >> k) & 1 for k in range(32)] for v in values])
    assert np.all(np.abs(bits.mean(axis=0) - 0.5) < 0.05)
    # Leading zero bytes count (the polynomial adds 1 to every byte).
    assert shingle_hash(b"\x00abc") != shingle_hash(b"abc")


# ------------------------------------------------------------- equality with datasketch


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(("name", "text", "char_ngrams"), CASES)
def test_signature_equals_datasketch(name, text, char_ngrams, scheme):
    sig = MinHasher(scheme=scheme).signature(text, char_ngrams)
    assert sig.dtype == np.uint32
    assert sig.shape == (128,)
    assert np.array_equal(sig, datasketch_signature(text, char_ngrams, scheme=scheme))


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("seed", [1, 20240601])
@pytest.mark.parametrize("num_perm", [64, 128, 256])
@pytest.mark.parametrize(
    ("text", "char_ngrams"), [(ENGLISH, False), (CHINESE, True), (MIXED, False), ("one", False)]
)
def test_signature_equals_datasketch_for_num_perm_and_seed(
    text, char_ngrams, num_perm, seed, scheme
):
    sig = MinHasher(num_perm=num_perm, seed=seed, scheme=scheme).signature(text, char_ngrams)
    expected = datasketch_signature(text, char_ngrams, num_perm, seed, scheme)
    assert np.array_equal(sig, expected)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("num_perm", [1, 64, 256])
def test_permutations_are_datasketchs(num_perm, scheme):
    a, b = MinHasher(num_perm=num_perm, seed=7, scheme=scheme).permutations
    da, db = MinHash(num_perm=num_perm, seed=7, scheme=scheme).permutations
    assert np.array_equal(a, da)
    assert np.array_equal(b, db)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("char_ngrams", [False, True])
def test_empty_signature_is_a_fresh_datasketch_minhash(char_ngrams, scheme):
    sig = MinHasher(num_perm=64, scheme=scheme).signature("  ,;  ", char_ngrams)
    assert (sig == 0xFFFFFFFF).all()
    assert np.array_equal(sig, MinHash(num_perm=64, scheme=scheme).hashvalues)


_TEXT_ALPHABET = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(
        list(" \t\n.,;!?-'\"()") + list("abcXYZ0123") + list("中文日本語かなカナ한국어ÄöÜß")
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(_TEXT_ALPHABET, max_size=80),
    char_ngrams=st.booleans(),
    scheme=st.sampled_from(SCHEMES),
    seed=st.integers(0, 2**32 - 1),
)
def test_signature_equals_datasketch_for_any_text(text, char_ngrams, scheme, seed):
    sig = MinHasher(num_perm=32, seed=seed, scheme=scheme).signature(text, char_ngrams)
    assert np.array_equal(sig, datasketch_signature(text, char_ngrams, 32, seed, scheme))
    hashes = shingle_hashes(text, char_ngrams)
    assert hashes.tolist() == [shingle_hash(s) for s in shingles(text, char_ngrams)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(_TEXT_ALPHABET, max_size=60),
    char_ngrams=st.booleans(),
    n=st.integers(1, 6),
    block=st.integers(1, 12),
)
def test_blocks_of_any_size_give_the_same_shingles(text, char_ngrams, n, block):
    # Long documents are scanned in blocks; tiny blocks put every unit on a boundary.
    buf = np.frombuffer(text.lower().encode("utf-8", "surrogatepass"), np.uint8)
    expected = [shingle_hash(s) for s in shingles(text, char_ngrams, n)]
    assert mh._shingle_hashes(buf, char_ngrams, n, block, np.empty(0, np.uint32)).tolist() == (
        expected
    )
    a, b = MinHasher(num_perm=8).permutations
    whole = mh._signature_affine32(buf, char_ngrams, n, 1 << 16, a, b)
    assert np.array_equal(mh._signature_affine32(buf, char_ngrams, n, block, a, b), whole)


def test_a_document_longer_than_a_block_equals_datasketch():
    text = " ".join(f"w{i % 9973}" for i in range(40_000))  # ~250 KB: several blocks
    assert len(text) > 3 * mh._BLOCK
    for scheme in SCHEMES:
        sig = MinHasher(num_perm=64, scheme=scheme).signature(text, False)
        assert np.array_equal(sig, datasketch_signature(text, False, 64, scheme=scheme))


# --------------------------------------------------------------------------- 64-bit n-grams


def reference_hashes64(text: str, char_ngrams: bool, n: int) -> list[int]:
    return [ngram_hash64(s) for s in shingles(text, char_ngrams, n)]


def test_ngram_hash64_values_are_pinned():
    # Stored contamination indexes depend on these values: changing the hash breaks them.
    assert ngram_hash64(b"") == 0
    assert ngram_hash64(b"a") == 0xAC62ED3C7549B674
    assert ngram_hash64(b"the apache software foundation") == 0x1192E20CC9840C1F
    assert ngram_hash64("训练数据".encode()) == 0x5AFCA46469DD0853


def test_shingle_hash_is_the_top_half_of_ngram_hash64():
    for b in [b"", b"a", b"\x00abc", ENGLISH.lower().encode(), CHINESE.encode()]:
        assert 0 <= ngram_hash64(b) < 2**64
        assert shingle_hash(b) == ngram_hash64(b) >> 32


@pytest.mark.parametrize("n", [1, 5, 13])
@pytest.mark.parametrize(("name", "text", "char_ngrams"), CASES)
def test_ngram_hashes64_are_the_reference_hashes_of_the_shingles(name, text, char_ngrams, n):
    got = ngram_hashes64(text, char_ngrams, n)
    assert got.dtype == np.uint64
    assert got.ndim == 1
    assert got.tolist() == reference_hashes64(text, char_ngrams, n)
    # shingle_hashes keeps the top 32 bits of the same hashes, for every n.
    top = shingle_hashes(text, char_ngrams, n)
    assert np.array_equal(top, (got >> np.uint64(32)).astype(np.uint32))


def test_ngram_hashes64_defaults_to_13_grams_of_english_and_chinese():
    words = ENGLISH.lower().replace(",", "").replace(".", "").replace("-", " ").split()
    got = ngram_hashes64(ENGLISH, False)
    assert len(got) == len(words) - 12
    assert got[0] == ngram_hash64(" ".join(words[:13]).encode())
    assert got.tolist() == reference_hashes64(ENGLISH, False, 13)
    chars = list(CHINESE)  # full-width punctuation is not ASCII: it is kept
    assert chars[-1] == "。"
    got = ngram_hashes64(CHINESE, True)
    assert len(got) == len(chars) - 12
    assert got[-1] == ngram_hash64("".join(chars[-13:]).encode())
    assert got.tolist() == reference_hashes64(CHINESE, True, 13)


def test_ngram_hashes64_of_short_and_empty_texts():
    # Fewer than n units: one hash of all of them; no units: no hash.
    assert ngram_hashes64("Hello, world!", False).tolist() == [ngram_hash64(b"hello world")]
    assert ngram_hashes64("你好!", True).tolist() == [ngram_hash64("你好".encode())]
    twelve = " ".join(f"w{i}" for i in range(12))
    assert ngram_hashes64(twelve, False).tolist() == [ngram_hash64(twelve.encode())]
    assert len(ngram_hashes64(twelve + " w12", False)) == 1
    assert len(ngram_hashes64(twelve + " w12 w13", False)) == 2
    for text, char_ngrams in [("", False), ("", True), (" ,.;!? -- \n\t", False), ("...", True)]:
        got = ngram_hashes64(text, char_ngrams)
        assert got.dtype == np.uint64
        assert got.shape == (0,)


def test_ngram_hashes64_keep_repeats_in_order():
    got = ngram_hashes64("spam " * 20, False, 13)
    assert len(got) == 8
    assert len(set(got.tolist())) == 1
    text = "a b c d e f g h i j k l m n o"
    assert ngram_hashes64(text, False).tolist() == reference_hashes64(text, False, 13)


def test_ngram_hashes64_of_a_document_longer_than_a_block():
    text = " ".join(f"w{i % 9973}" for i in range(40_000))  # ~250 KB: several blocks
    assert len(text) > 3 * mh._BLOCK
    assert ngram_hashes64(text, False).tolist() == reference_hashes64(text, False, 13)
    # Character mode with 3-byte code points cut at block boundaries of 1000 bytes.
    text = CHINESE * 40
    buf = np.frombuffer(text.encode(), np.uint8)
    got = mh._shingle_hashes(buf, True, 13, 1000, np.empty(0, np.uint64))
    assert len(buf) > 5 * 1000
    assert got.tolist() == reference_hashes64(text, True, 13)
    assert np.array_equal(got, ngram_hashes64(text, True))


def test_ngram_hashes64_reject_n_below_one():
    with pytest.raises(ValueError):
        ngram_hashes64("text", False, 0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(_TEXT_ALPHABET, max_size=120),
    char_ngrams=st.booleans(),
    n=st.integers(1, 15),
)
def test_ngram_hashes64_equal_the_reference_for_any_text(text, char_ngrams, n):
    got = ngram_hashes64(text, char_ngrams, n)
    assert got.dtype == np.uint64
    assert got.tolist() == reference_hashes64(text, char_ngrams, n)
    top = (got >> np.uint64(32)).astype(np.uint32)
    assert np.array_equal(shingle_hashes(text, char_ngrams, n), top)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(_TEXT_ALPHABET, max_size=80),
    char_ngrams=st.booleans(),
    n=st.integers(1, 14),
    block=st.integers(1, 12),
)
def test_blocks_of_any_size_give_the_same_64_bit_hashes(text, char_ngrams, n, block):
    buf = np.frombuffer(text.lower().encode("utf-8", "surrogatepass"), np.uint8)
    got = mh._shingle_hashes(buf, char_ngrams, n, block, np.empty(0, np.uint64))
    assert got.dtype == np.uint64
    assert got.tolist() == reference_hashes64(text, char_ngrams, n)


# --------------------------------------------------------------------------- the mod-p fold


def fold(x: int) -> int:
    """The kernels' x mod (2**61 - 1), without division."""
    y = (x & P) + (x >> 61)
    return y - P if y >= P else y


FOLD_EDGES = [0, 1, P - 1, P, P + 1, 2 * P - 1, 2 * P, 2 * P + 7, 7 * P, 8 * P, 2**61, 2**62]
FOLD_EDGES += [U64_MAX - k for k in range(9)] + [k * P + r for k in range(1, 9) for r in (0, 6, 7)]
FOLD_EDGES = sorted({x for x in FOLD_EDGES if 0 <= x <= U64_MAX})


@pytest.mark.parametrize("x", FOLD_EDGES)
def test_fold_equals_mod_p_at_the_edges(x):
    assert fold(x) == x % P


@given(st.integers(0, U64_MAX))
def test_fold_equals_mod_p_for_any_uint64(x):
    assert fold(x) == x % P


@settings(deadline=None)
@given(st.lists(st.integers(0, U64_MAX), min_size=1, max_size=40))
def test_legacy_kernel_reduces_any_uint64_mod_p(xs):
    # With a = 0, h = 1 the kernel's x is b itself: each slot must be (b mod p) & 0xFFFFFFFF.
    xs = xs + FOLD_EDGES
    b = np.array(xs, dtype=np.uint64)
    a = np.zeros_like(b)
    acc = np.full(len(xs), 0xFFFFFFFF, np.uint64)
    mh._update_legacy(acc, np.ones(1, np.uint32), a, b)
    assert acc.tolist() == [(x % P) & 0xFFFFFFFF for x in xs]


def test_legacy_kernel_wraps_the_product_like_numpy():
    a, b = MinHasher(num_perm=256, seed=3, scheme="legacy").permutations
    hashes = np.array([0, 1, 0xFFFFFFFF, 0x80000000, 123456789], dtype=np.uint32)
    with np.errstate(over="ignore"):
        phv = (hashes.astype(np.uint64)[:, None] * a + b) % np.uint64(P) & np.uint64(0xFFFFFFFF)
    acc = np.full(256, 0xFFFFFFFF, np.uint64)
    mh._update_legacy(acc, hashes, a, b)
    assert np.array_equal(acc, phv.min(axis=0))


# ------------------------------------------------------- storage, similarity, pickling


def test_signature_bytes_are_little_endian_uint32_and_round_trip():
    hasher = MinHasher(num_perm=64)
    sig = hasher.signature(ENGLISH, False)
    raw = hasher.signature_bytes(ENGLISH, False)
    assert len(raw) == 4 * 64
    assert raw[:4] == int(sig[0]).to_bytes(4, "little")
    back = signature_from_bytes(raw)
    assert back.dtype == np.uint32
    assert np.array_equal(back, sig)
    with pytest.raises(ValueError):
        signature_from_bytes(raw[:-1])


def test_jaccard_of_near_identical_texts_is_high_and_of_unrelated_low():
    hasher = MinHasher()
    other = ENGLISH.replace("pragmatic", "practical")
    same = jaccard_from_signatures(hasher.signature(ENGLISH, False), hasher.signature(other, False))
    unrelated = jaccard_from_signatures(
        hasher.signature(ENGLISH, False),
        hasher.signature("Great Expectations validates profiles of every source nightly.", False),
    )
    assert same >= 0.6
    assert unrelated <= 0.05
    doubled = CHINESE + "另外，服务提供者应当采取有效措施提高训练数据质量。"
    cjk = jaccard_from_signatures(
        hasher.signature_bytes(CHINESE, True), hasher.signature_bytes(doubled, True)
    )
    assert 0.5 <= cjk < 1.0


def test_jaccard_is_the_share_of_equal_slots():
    a = np.array([1, 2, 3, 4], np.uint32)
    b = np.array([1, 2, 0, 0], np.uint32)
    assert jaccard_from_signatures(a, b) == 0.5
    assert jaccard_from_signatures(a.tobytes(), a.tobytes()) == 1.0
    with pytest.raises(ValueError):
        jaccard_from_signatures(a, b[:3])


@pytest.mark.parametrize("scheme", SCHEMES)
def test_minhasher_pickles_as_plain_data(scheme):
    hasher = MinHasher(num_perm=64, seed=5, ngram=4, scheme=scheme)
    expected = hasher.signature(MIXED, False)  # builds the permutations
    payload = pickle.dumps(hasher)
    assert len(payload) < 300  # the permutations are not shipped
    clone = pickle.loads(payload)
    assert clone == hasher
    assert repr(clone) == repr(hasher)
    assert np.array_equal(clone.signature(MIXED, False), expected)


def test_warmup_compiles_both_modes():
    hasher = MinHasher(num_perm=16)
    hasher.warmup()
    assert hasher.signature("a b c d e f", False).shape == (16,)


@pytest.mark.parametrize(
    "kwargs",
    [{"num_perm": 0}, {"ngram": 0}, {"scheme": "affine64"}, {"seed": -1}, {"seed": 2**32}],
)
def test_invalid_parameters_fail_fast(kwargs):
    with pytest.raises(ValueError):
        MinHasher(**kwargs)


def test_cjk_scripts():
    assert CJK_SCRIPTS == {"Han", "Hiragana", "Katakana", "Hangul"}


def test_kernels_work_without_a_writable_numba_cache(monkeypatch):
    """Load a second copy of the module as if no cache directory were writable."""
    real_njit = numba.njit

    def njit(*args, **kwargs):
        if kwargs.get("cache"):
            raise RuntimeError("cannot cache function: no locator available")
        return real_njit(*args, **kwargs)

    monkeypatch.setattr(numba, "njit", njit)
    spec = importlib.util.spec_from_file_location("provaudit_minhash_nocache", mh.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    monkeypatch.setattr(numba, "njit", real_njit)
    assert type(module._signature_affine32._cache).__name__ == "NullCache"
    text = "no cache for these kernels at all"
    sig = module.MinHasher(num_perm=16).signature(text, False)
    assert np.array_equal(sig, MinHasher(num_perm=16).signature(text, False))
