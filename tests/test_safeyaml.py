"""Safe YAML: plain data round-trips; alias bombs, recursive aliases and impossible dates are
one-line usage errors naming the file and line, in well under 2 seconds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from provaudit.cli import main
from provaudit.core.errors import ConfigError
from provaudit.core.safeyaml import load_yaml


def _bomb(levels: int = 9, width: int = 9) -> str:
    text = "a0: &a0 [" + ", ".join(['"lol"'] * width) + "]\n"
    for i in range(1, levels):
        text += f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]\n"
    return text


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9),
                    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20))
plain = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(alphabet="abcxyz_", min_size=1, max_size=6), inner,
                                                 max_size=4)), max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(plain)
def test_plain_data_round_trips(value) -> None:
    assert load_yaml(yaml.safe_dump(value, allow_unicode=True), "x.yaml") == value


def test_shared_aliases_within_the_limit_load() -> None:
    assert load_yaml("a: &x [1, 2]\nb: *x\n", "x.yaml") == {"a": [1, 2], "b": [1, 2]}


def test_alias_bomb_is_refused_fast() -> None:
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=r"bomb\.yaml: line 1: config expands to more than"):
        load_yaml(_bomb(), "bomb.yaml", "config")
    assert time.perf_counter() - start < 2


@pytest.mark.parametrize(("text", "message"), [
    ("&a [*a]", "recursive structure"),
    ("a: &a {b: [1, *a]}", "recursive structure"),
    ("collected: 2024-02-30\n", "line 1, column 12: invalid YAML: '2024-02-30' is not a valid date"),
    ("a: [1, 2\n", "line 2, column 1: invalid YAML"),
])
def test_bad_documents_name_the_place(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_yaml(text, "r.yaml")


def test_cli_refuses_a_bomb_config_as_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = tmp_path / "bomb.yaml"
    config.write_text(_bomb() + "output: out\nsources: []\n", encoding="utf-8")
    start = time.perf_counter()
    assert main(["scan", str(config)]) == 2
    assert time.perf_counter() - start < 2
    err = capsys.readouterr().err
    assert err.startswith("provaudit: error: ") and "bomb.yaml" in err and err.count("\n") == 1
