"""Test oracle: langdetect's n-gram extraction with every n-gram probed in the hash table.

``provaudit.core.language._extract_dense`` reads most n-grams from direct tables filled from
the same hash table; this kernel is the straightforward form it must equal (it was the
production path before the tables). ``tests/test_language.py`` holds this kernel to
langdetect's own ``Detector._extract_ngrams``, and ``tests/test_findings_dense_paths.py``
holds the dense kernel and whole ledger rows to it.
"""

import numpy as np
from numba import njit

from provaudit.core.language import _lookup


@njit(nogil=True)
def _extract_ngrams(cps, normal, upper, slot_keys, slot_rows):  # pragma: no cover - compiled
    """Detector.cleaning_text + Detector._extract_ngrams: rows of the profile n-grams."""
    # cleaning_text: drop ASCII 'A'..'z' when other characters are more than twice as
    # many. (langdetect compares unicode_block(ch), an int, with a str, so every code
    # point >= U+0300 counts as non-Latin, Latin Extended Additional included.)
    latin = 0
    non_latin = 0
    for c in cps:
        if 0x41 <= c <= 0x7A:
            latin += 1
        elif c >= 0x300:
            non_latin += 1
    drop_latin = latin * 2 < non_latin

    out = np.empty(3 * cps.size, dtype=np.int64)
    m = 0
    # NGram.grams is at most three characters: g0 g1 g2, of which the last glen count.
    g0 = np.uint64(0)
    g1 = np.uint64(0)
    g2 = np.uint64(32)
    glen = 1
    capital = False
    for c in cps:
        if drop_latin and 0x41 <= c <= 0x7A:
            continue
        ch = np.uint64(normal[c] if c < 0x10000 else c)  # NGram.normalize
        last = g2
        if last == 32:  # NGram.add_char: after a space a new word starts
            g1 = np.uint64(0)
            glen = 1
            capital = False
            if ch == 32:
                continue
        elif glen >= 3:
            glen = 2
        g0 = g1
        g1 = g2
        g2 = ch
        glen += 1
        if upper[ch]:
            if upper[last]:
                capital = True
        else:
            capital = False
        if capital:  # words in capitals are skipped after their first letter
            continue
        # the 1-, 2- and 3-grams ending here, in that order, if a profile has them
        if g2 != 32:
            row = _lookup(g2, slot_keys, slot_rows)
            if row >= 0:
                out[m] = row
                m += 1
        key = (g1 << np.uint64(21)) | g2
        row = _lookup(key, slot_keys, slot_rows)
        if row >= 0:
            out[m] = row
            m += 1
        if glen == 3:
            row = _lookup((g0 << np.uint64(42)) | key, slot_keys, slot_rows)
            if row >= 0:
                out[m] = row
                m += 1
    return out[:m]
