"""JSON outputs are HTML-safe: ``<``, ``>`` and ``&`` never appear raw, and the value is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import write_yaml
from provaudit.cli import main
from provaudit.core.jsontext import json_bytes, json_text

values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(values)
def test_same_value_no_markup_characters(value) -> None:
    text = json_text(value)
    assert json.loads(text) == value
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json_bytes(value) == (text + "\n").encode("utf-8")


def test_every_json_file_of_a_run_is_html_safe(tmp_path: Path) -> None:
    """A corpus value made to break a page (in a quarantined line, a URL, a licence string and
    the registry's description) reaches no JSON or JSONL file of a full run raw."""
    attack = "</script><img src=x onerror=alert(1)>&amp;"
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.jsonl").write_text(
        json.dumps({"text": "A perfectly ordinary document about training data provenance.",
                    "url": f"https://example.org/?q={attack}", "license": attack}) + "\n"
        + json.dumps({"text": "Another ordinary document, about licences and lineage records."}) + "\n"
        + '{"text": "' + attack + '"\n', encoding="utf-8")  # not JSON: quarantined with an excerpt
    config = write_yaml(tmp_path / "c.yaml", {
        "output": "out",
        "sources": [{"name": "s", "paths": "data/*.jsonl", "acquisition": "licensed",
                     "license_field": "license", "url_field": "url", "description": attack}],
    })
    assert main(["run", str(config)]) in (0, 1)  # 1: a critical expectation may fail; the files exist
    files = [p for p in (tmp_path / "out").rglob("*") if p.suffix in (".json", ".jsonl") and p.is_file()]
    assert any(p.parent.name == "disclosures" for p in files) and len(files) > 10
    for path in files:
        raw = path.read_text(encoding="utf-8")
        assert not set(raw) & {"<", ">"}, path
        for line in raw.splitlines() if path.suffix == ".jsonl" else [raw]:
            if line.strip():
                json.loads(line)
