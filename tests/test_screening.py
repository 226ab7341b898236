"""Content screening core: folding, keyword libraries, the Screener, classifiers, coverage."""

from __future__ import annotations

import json
import pickle
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provaudit.core.classifiers import character_quality
from provaudit.core.config import ClassifierSpec
from provaudit.core.errors import ConfigError
from provaudit.core.risks import CLASS_NAMES, MIN_TERMS, RISK_CODES, RISK_NAMES
from provaudit.core.screening import (
    Screener,
    ScreeningError,
    fold,
    libraries_json,
    library_coverage,
    load_library,
)

# ---------------------------------------------------------------- risk codes

def test_the_31_risk_codes_of_appendix_a() -> None:
    assert len(RISK_CODES) == 31 and RISK_CODES[0] == "A.1-1" and RISK_CODES[-1] == "A.5-2"
    assert [sum(c.startswith(k + "-") for c in RISK_CODES) for k in CLASS_NAMES] == [8, 9, 5, 7, 2]
    assert RISK_NAMES["A.2-5"] == ("性别歧视", "Gender discrimination")
    assert all(zh and en for zh, en in RISK_NAMES.values())
    assert MIN_TERMS == {"A.1": 200, "A.2": 100}


# ---------------------------------------------------------------- folding

@pytest.mark.parametrize("variant", [
    "法轮", "法 轮", "法.轮", "法\u200b轮", "法\u3000轮", "法·轮", "法 . \u200d 轮", "法\n轮", "法,轮",
])
def test_separators_between_han_are_removed(variant: str) -> None:
    assert fold(variant) == "法轮"


@pytest.mark.parametrize("variant, folded", [
    ("ＺＯＲＢＬＡＴＴ", "zorblatt"),           # full-width -> half-width (NFKC), case-folded
    ("ZorBlatt", "zorblatt"),
    ("zor\u200bblatt", "zorblatt"),            # zero-width removed everywhere
    ("zor\ufeffbl\u00adatt", "zorblatt"),      # BOM, soft hyphen
    ("藍鯨風箏", "蓝鲸风筝"),                    # Traditional -> Simplified (OpenCC table)
    ("紫.色.雲.梯", "紫色云梯"),
    ("STRASSE straße", "strasse strasse"),      # full case folding
    ("zor blatt", "zor blatt"),                # separators between Latin letters stay
    ("Ｆｕｌｌ－ｗｉｄｔｈ！", "full-width!"),
])
def test_folding_variants(variant: str, folded: str) -> None:
    assert fold(variant) == folded


_TEXT = st.text(alphabet=st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(list("法轮藍鯨風箏紫色雲梯 .·\u200b\u200d\ufeff\u3000ＡＢＣａｂｃ\u0301é")),
), max_size=40)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_fold_is_idempotent(text: str) -> None:
    once = fold(text)
    assert fold(once) == once


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list(" .·,\u200b\u200c\u200d\ufeff\u3000\t-_/")), min_size=1, max_size=5),
       st.sampled_from(["蓝鲸风筝", "藍鯨風箏", "紫色云梯", "紫色雲梯"]), st.integers(1, 3))
def test_split_and_traditional_variants_fold_to_the_term(seps: list[str], term: str, at: int) -> None:
    variant = term[:at] + "".join(seps) + term[at:]
    assert fold(variant) == fold(term)
    assert fold(term) in ("蓝鲸风筝", "紫色云梯")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20))
def test_full_width_folds_like_ascii(text: str) -> None:
    wide = "".join(chr(ord(c) + 0xFEE0) for c in text)
    assert fold(wide) == fold(text) == unicodedata.normalize("NFKC", text).casefold()


# ---------------------------------------------------------------- libraries

def _lib(tmp_path: Path, text: str | bytes, name: str = "kw.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_library_reading(tmp_path: Path) -> None:
    path = _lib(tmp_path, "# comment\n\nAlpha\tA.1-1\nalpha\tA.1-1\nＢｅｔａ\n\u200b\n藍鯨\tA.2-3\n")
    lib = load_library("kw", str(path), risk="A.4-7", updated="2026-01-02", base=str(tmp_path))
    assert lib.terms == (("alpha", "A.1-1"), ("beta", "A.4-7"), ("蓝鲸", "A.2-3"))
    assert lib.skipped_lines == 1 and lib.duplicate_lines == 1
    assert lib.terms_by_risk == {"A.1-1": 1, "A.2-3": 1, "A.4-7": 1}
    described = lib.describe()
    assert described["file"] == "kw.txt" and described["updated"] == "2026-01-02"
    assert len(described["sha256"]) == 64 and lib.identity.startswith("kw@")
    # no configured date: the file's modification date, UTC
    assert len(load_library("kw", str(path), risk="A.4-7").updated) == 10


@pytest.mark.parametrize("text, line, words", [
    ("ok\tA.1-1\nbad\tA.9-9\n", "line 2", "not a TC260-003"),
    ("ok\tA.1-1\nno code\n", "line 2", "without a risk code"),
    (b"ok\tA.1-1\nbad \xff\xfe\n", "line 2", "not UTF-8"),
])
def test_library_errors_name_file_and_line(tmp_path: Path, text, line: str, words: str) -> None:
    path = _lib(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_library("kw", str(path))
    assert err.value.file == str(path) and err.value.key == line and words in str(err.value)


def test_library_with_an_unknown_default_risk(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="A.6-1"):
        load_library("kw", str(_lib(tmp_path, "x\n")), risk="A.6-1")


# ---------------------------------------------------------------- screener

def _screener(tmp_path: Path, text: str, classifiers=()) -> Screener:
    lib = load_library("kw", str(_lib(tmp_path, text)), updated="2026-01-02")
    return Screener.from_libraries([lib], classifiers)


def test_hits_by_risk_every_variant(tmp_path: Path) -> None:
    s = _screener(tmp_path, "zorblatt\tA.1-7\n蓝鲸风筝\tA.1-6\nflumb\tA.3-2\nflumb\tA.3-3\n")
    s = pickle.loads(pickle.dumps(s))  # ships to workers before setup
    s.setup()
    text = ("ZORBLATT, ＺＯＲＢＬＡＴＴ, zor\u200bblatt, zorblatts (no), xzorblatt (no); "
            "藍鯨風箏 蓝鲸 风筝 蓝.鲸.风.筝; flumb")
    fields = s.fields(text)
    assert json.loads(fields["screen_hits"]) == {"A.1-6": 3, "A.1-7": 3, "A.3-2": 1, "A.3-3": 1}
    assert fields["screen_hits_total"] == 8 and fields["screen_flagged"] is True
    assert fields["screened_by"].startswith("kw@") and fields["screened_by"].endswith("@2026-01-02")
    assert fields["classifier_scores"] == "{}"
    clean = s.fields("nothing to see here")
    assert clean["screen_hits"] == "{}" and clean["screen_hits_total"] == 0 and not clean["screen_flagged"]


def test_a_term_inside_another_counts_too(tmp_path: Path) -> None:
    s = _screener(tmp_path, "蓝鲸\tA.1-1\n蓝鲸风筝\tA.1-2\n")
    assert s.hits("一只蓝鲸风筝") == {"A.1-1": 1, "A.1-2": 1}


def test_review_context_masks_every_term_and_personal_information(tmp_path: Path) -> None:
    s = _screener(tmp_path, "zorblatt\tA.1-7\nquix\tA.2-4\n")
    text = "Mail jane.doe@example.org about the ZORBLATT and quix, also quixotic zorblattish ideas."
    out = s.review(text, window=200)
    assert [r for r, _lib, _c in out] == ["A.1-7", "A.2-4"]
    for _risk, library, context in out:
        assert library == "kw"
        assert "zorblatt" not in context.lower() and "quix" not in context.lower()
        assert "jane.doe" not in context and "[A.1-7]" in context


def test_classifier_hook(tmp_path: Path) -> None:
    import screening_classifier

    spec = ClassifierSpec("words", "screening_classifier:word_score", ("A.4-1",), 0.5, (("word", "alarm"),))
    s = Screener([], [], [spec])
    s = pickle.loads(pickle.dumps(s))
    before = screening_classifier.CALLS["factory"]
    s.setup()
    s.setup()  # idempotent: the factory runs once per worker
    assert screening_classifier.CALLS["factory"] == before + 1
    hot, cold = s.fields("an alarm rings"), s.fields("quiet")
    assert json.loads(hot["classifier_scores"]) == {"words": {"A.4-1": 0.9}} and hot["screen_flagged"]
    assert json.loads(cold["classifier_scores"]) == {"words": {"A.4-1": 0.1}} and not cold["screen_flagged"]
    assert hot["screened_by"] == "words" and hot["screen_hits_total"] == 0


@pytest.mark.parametrize("target, words", [
    ("screening_classifier:out_of_range", "outside 0..1"),
    ("screening_classifier:undeclared", "does not declare"),
    ("screening_classifier:missing", "cannot load"),
    ("no_such_module_x:f", "cannot load"),
    ("screening_classifier:NOT_CALLABLE", "not callable"),
])
def test_classifier_errors_name_the_classifier(target: str, words: str) -> None:
    s = Screener([], [], [ClassifierSpec("bad-one", target, ("A.4-1",))])
    with pytest.raises(ScreeningError) as err:
        s.setup()
        s.fields("text")
    assert "bad-one" in str(err.value) and words in str(err.value)


# ---------------------------------------------------------------- built-in classifier

_GOOD_EN = ("The committee met on Tuesday to review the annual budget. Members discussed the "
            "allocation of funds for schools, roads and public libraries, and agreed to publish "
            "a summary of their decisions next week, after the mayor has signed it.")
_GOOD_ZH = "委员会周二开会审议年度预算。成员们讨论了学校、道路和公共图书馆的资金分配，并同意下周发布摘要。这项工作涉及多个部门的协调。"


@pytest.mark.parametrize("text", [_GOOD_EN, _GOOD_ZH])
def test_character_quality_passes_prose(text: str) -> None:
    assert character_quality()(text) == {"A.5-2": 0.0}


@pytest.mark.parametrize("text", [
    "buy now cheap pills " * 30,                   # repetition
    "Home\nAbout us\nContact\n" * 12,              # repeated lines
    "$$$ !!! *** ### @@@ %%% ^^^ &&& ((( ))) >>> <<< ||| ~~~ === +++",  # symbols
    "ok",                                          # too short
])
def test_character_quality_flags_boilerplate(text: str) -> None:
    assert character_quality()(text)["A.5-2"] >= 0.9


def test_character_quality_is_deterministic_and_bounded() -> None:
    f = character_quality(min_chars=20)
    half = "a short line of text here"
    assert f(half) == f(half) and 0.0 <= f(half)["A.5-2"] <= 1.0
    with pytest.raises(ValueError):
        character_quality(min_chars=1)


# ---------------------------------------------------------------- coverage (TC260-003 8.1)

def test_library_coverage(tmp_path: Path) -> None:
    lines = "".join(f"t{i}\tA.1-1\n" for i in range(200)) + "".join(f"u{i}\tA.2-1\n" for i in range(99))
    lib = load_library("big", str(_lib(tmp_path, lines + "t0\tA.4-1\n")), updated="2026-01-02")
    spec = ClassifierSpec("q", "provaudit.core.classifiers:character_quality", ("A.5-2",))
    cov = library_coverage([lib], [spec])
    assert cov["terms"] == 299  # distinct folded terms (t0 under two risks once)
    assert cov["terms_by_risk"] == {"A.1-1": 200, "A.2-1": 99, "A.4-1": 1}
    assert "A.1-1" not in cov["short"] and cov["short"]["A.2-1"] == 99 and cov["short"]["A.1-8"] == 0
    assert len(cov["short"]) == 16  # 17 A.1/A.2 risks, one with enough terms
    assert cov["classifier_risks"] == ["A.5-2"] and len(cov["classifier_missing"]) == 30
    doc = libraries_json([lib], [spec])
    assert doc["libraries"][0]["terms"] == 300 and doc["classifiers"][0]["threshold"] == 0.5
