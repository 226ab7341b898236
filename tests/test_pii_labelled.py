"""Precision and recall of provaudit.core.pii on the labelled set tests/data/pii_labelled.jsonl.

A detected value is right when its span and kind are exactly those labelled; every other
detection is a false positive and every labelled value not detected exactly is a miss.
Each kind must reach precision >= 0.98 and recall >= 0.98; the figures are printed
(``pytest -s``). The set is rebuilt by tests/data/make_pii_labelled.py from a fixed seed.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from provaudit.core import pii
from provaudit.core.pii import KINDS, find_pii, mask_text, pii_examples

DATA = Path(__file__).parent / "data"
LABELLED = DATA / "pii_labelled.jsonl"
FLOOR = 0.98


def _records() -> list[dict]:
    with LABELLED.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _maker():
    spec = importlib.util.spec_from_file_location("make_pii_labelled", DATA / "make_pii_labelled.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RECORDS = _records()


def _score() -> tuple[Counter, Counter, Counter, list[str]]:
    tp, fp, fn = Counter(), Counter(), Counter()
    errors: list[str] = []
    for rec in RECORDS:
        text = rec["text"]
        expected = {(s, e, k) for s, e, k in rec["spans"]}
        found = {(h.start, h.end, h.kind) for h in pii._hits(text)}
        for s, e, k in found:
            if (s, e, k) in expected:
                tp[k] += 1
            else:
                fp[k] += 1
                errors.append(f"false {k} {text[s:e]!r} in {rec['id']} ({rec['case']})")
        for s, e, k in expected - found:
            fn[k] += 1
            errors.append(f"missed {k} {text[s:e]!r} in {rec['id']} ({rec['case']})")
    return tp, fp, fn, errors


def test_the_set_is_large_enough_and_covers_every_script() -> None:
    positives, negatives = Counter(), Counter()
    for rec in RECORDS:
        for _, _, kind in rec["spans"]:
            positives[kind] += 1
        if rec["id"].startswith("neg-"):
            negatives[rec["id"].split("-")[1]] += 1
    for kind in KINDS:
        assert positives[kind] >= 60, kind
        assert negatives[kind] >= 60, kind
    texts = "".join(r["text"] for r in RECORDS if r["spans"])
    for script, pattern in [("Han", r"[\u4e00-\u9fff]"), ("Cyrillic", r"[\u0400-\u04ff]"),
                            ("Greek", r"[\u0370-\u03ff]"), ("Arabic", r"[\u0600-\u06ff]"),
                            ("Latin accented", r"[À-ÿ]")]:
        assert len(re.findall(pattern, texts)) > 50, script
    cases = {r["case"] for r in RECORDS}
    for family in ("neg-card-uuid", "neg-card-gtin13", "neg-card-id-bad-check", "neg-ip-version",
                   "neg-ip-section", "neg-phone-order-zh", "neg-phone-ts-ms", "neg-phone-isbn13",
                   "neg-id-bad-check", "neg-card-hex-digest"):
        assert family in cases, family


def test_precision_and_recall_per_kind() -> None:
    tp, fp, fn, errors = _score()
    lines = []
    failing = []
    for kind in KINDS:
        precision = tp[kind] / (tp[kind] + fp[kind]) if tp[kind] + fp[kind] else 1.0
        recall = tp[kind] / (tp[kind] + fn[kind]) if tp[kind] + fn[kind] else 1.0
        lines.append(f"{kind:6} precision {precision:.3f} recall {recall:.3f} "
                     f"(tp {tp[kind]}, fp {fp[kind]}, fn {fn[kind]})")
        if precision < FLOOR or recall < FLOOR:
            failing.append(kind)
    print("\n" + "\n".join(lines))
    assert not failing, "\n".join(lines + errors[:40])


def test_masking_hides_every_labelled_value() -> None:
    for rec in RECORDS:
        text = rec["text"]
        masked = mask_text(text)
        examples = " ".join(v for _, v in pii_examples(text, limit=100))
        for s, e, kind in rec["spans"]:
            raw = text[s:e]
            assert raw not in masked and raw not in examples, rec["id"]
            digits = re.sub(r"\D", "", raw)
            if kind in ("card", "phone", "cn_id"):  # no masked value keeps that many digits
                assert digits not in re.sub(r"\D", "", examples), rec["id"]
                assert digits not in re.sub(r"\D", "", masked[s : s + len(raw) + 8]), rec["id"]
        assert find_pii(masked) == find_pii(""), rec["id"]  # nothing detectable is left


def test_the_data_file_is_what_the_generator_writes() -> None:
    maker = _maker()
    assert maker.dumps(maker.build()) == LABELLED.read_text(encoding="utf-8")


@pytest.mark.parametrize("rec", [r for r in RECORDS if r["spans"]][:200], ids=lambda r: r["id"])
def test_detection_does_not_depend_on_surrounding_whitespace(rec: dict) -> None:
    text = rec["text"]
    base = find_pii(text)
    for before, after in ((" ", " "), ("\n", "\n"), ("\t  ", "\r\n"), ("\u3000", "\u3000")):
        assert find_pii(before + text + after) == base
