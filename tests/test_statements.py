"""Statements and publication copies: filling the disclosures' fields, and what the public sees.

Two runs: the sample as shipped (it fails three expectations, so its disclosures stay
``fail`` and its publication copies are drafts), and a clean copy of the sample (its planted
failures removed in a copy of the registry and roster) on which every disclosure can
become ``complete``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAMPLE, write_yaml
from test_validate import _all_stages, _sample_config

from provaudit.core.config import load_config
from provaudit.core.errors import ConfigError
from provaudit.core.statements import load_statements
from provaudit.reports.disclosures import KINDS, validate_document
from provaudit.reports.publication import PUBLIC_KINDS
from provaudit.reports.statements import field_ids, merge_statements
from provaudit.stages.disclose import run_disclose
from provaudit.stages.statements import statements_template_for

DISCLOSURE = {"provider": "Example AI GmbH", "system": "Example-LM", "system_version": "2.1", "version": "3",
              "training_continuing": False}
VERDICT_WORD = re.compile(r"\b(?:pass|passed|fail|failed|partial|evidenced|not evidenced)\b", re.IGNORECASE)
INTERNAL_ID = re.compile(r"\b(?:CN|EU|US)-[A-Za-z0-9]+(?:[.-][A-Za-z0-9]+)*")


def _clean_corpus(tmp: Path) -> Path:
    """A copy of the sample without its planted failures; returns its run config."""
    corpus = tmp / "corpus"
    shutil.copytree(SAMPLE, corpus)
    registry = yaml.safe_load((corpus / "registry.yaml").read_text(encoding="utf-8"))
    for source in registry["sources"]:
        if source.get("license") == "see website":
            source["license"] = "CC-BY-4.0"  # the planted unknown licence
        source["consent_basis"] = "separate-consent"  # covers every personal-information check
    write_yaml(corpus / "registry.yaml", registry)
    roster = yaml.safe_load((corpus / "labelling" / "annotators.yaml").read_text(encoding="utf-8"))
    for annotator in roster["annotators"]:
        annotator["trained_at"] = "2024-01-01"  # the planted untrained annotator
    write_yaml(corpus / "labelling" / "annotators.yaml", roster)
    (corpus / "no_opt_out.txt").write_text("", encoding="utf-8")  # the planted opted-out domain
    # screened (TC260-003 5.2a) by a library of a term the corpus never holds: no planted hit
    (corpus / "screening" / "clean.txt").write_text("zzqxvyword\n", encoding="utf-8")
    return write_yaml(tmp / "config.yaml", {
        "registry": "corpus/registry.yaml", "output": "out", "opt_out": "corpus/no_opt_out.txt",
        "screening": {"keywords": [{"name": "clean", "path": "corpus/screening/clean.txt", "risk": "A.1-7"}]},
        "inspection": {"verdicts": ["corpus/inspection/verdicts.jsonl"]}, "disclosure": DISCLOSURE})


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory):
    """The clean run disclosed without statements: (config path, run id, run folder)."""
    cfg, run_id, _, validation = _all_stages(_clean_corpus(tmp_path_factory.mktemp("clean")))
    assert validation.success, [v.description for v in validation.verdicts if not v.success]
    result = run_disclose(cfg, run_id)
    return cfg.config_path, run_id, Path(result.run_dir)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):
    """The sample as shipped, disclosed without statements: (config, run folder)."""
    cfg, run_id, _, _ = _all_stages(_sample_config(tmp_path_factory.mktemp("sample")))
    return cfg, Path(run_disclose(cfg, run_id).run_dir)


def _documents(run_dir: Path) -> dict[str, dict]:
    return {k: json.loads((run_dir / "disclosures" / f"{k}.json").read_text(encoding="utf-8")) for k in KINDS}


def _with(config_path: Path, name: str, **extra) -> Path:
    doc = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    doc.update(extra)
    return write_yaml(config_path.parent / name, doc)


def _fill(path: Path, text: str = "We state it.", with_key: bool = True) -> dict:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, entry in entries.items():
        entry.update(text=f"{text} ({key})" if with_key else text, author="Compliance Office", date="2026-11-01")
    write_yaml(path, entries)
    return entries


class _Text(HTMLParser):
    """A page's text nodes (not its CSS) and the classes it uses."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.classes: set[str] = set()
        self.empty_cells = 0
        self._in_style = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self._in_style = tag == "style"
        self.classes.update(c for k, v in attrs if k == "class" and v for c in v.split())
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        self._in_style = False if tag == "style" else self._in_style
        if tag in ("td", "th") and self._cell is not None:
            self.empty_cells += not "".join(self._cell).strip()
            self._cell = None

    def handle_data(self, data):
        if not self._in_style:
            self.text.append(data)
            if self._cell is not None:
                self._cell.append(data)


def _parse(path: Path) -> _Text:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


# --------------------------------------------------------------------------- statements


def test_open_fields_are_listed_once_on_top_of_the_working_copy(clean) -> None:
    _, _, run_dir = clean
    docs = _documents(run_dir)
    ca = docs["ca_ab2013"]
    assert ca["verdict"]["status"] == "partial"
    assert ca["statements"]["fields"] == 6 and ca["statements"]["filled"] == 0
    assert "6 of 6 field(s) still need a person's statement" in ca["verdict"]["summary"]
    assert all(o["who"] for o in ca["statements"]["open"])
    page = (run_dir / "disclosures" / "ca_ab2013.html").read_text(encoding="utf-8")
    top = page[:page.index("<nav")]
    assert "6 of 6 statement field(s) still open" in top
    for field in ca["statements"]["open"]:
        assert top.count(f'<li>{field["label"]} <span class="who">') == 1


def test_a_statements_file_that_fills_every_field_makes_every_document_complete(clean, tmp_path: Path) -> None:
    config_path, run_id, run_dir = clean
    run_disclose(load_config(config_path), run_id)  # this test's documents, whatever ran before
    text, dropped, _ = statements_template_for(load_config(config_path), run_id)
    statements = tmp_path / "statements.yaml"
    statements.write_text(text, encoding="utf-8")
    (tmp_path / "policy.pdf").write_bytes(b"%PDF-1.4 the policy")
    entries = _fill(statements)
    entries["CN-TC-5.2-ip-statement"]["attachment"] = "policy.pdf"
    write_yaml(statements, entries)
    assert dropped == []
    cfg = load_config(_with(config_path, "filled.yaml", statements=str(statements)))
    run_disclose(cfg, run_id)
    docs = _documents(run_dir)
    for kind, doc in docs.items():
        validate_document(doc)
        fields = sum(len(s["human_fields"]) for s in doc["sections"])
        assert doc["statements"] == {"fields": fields, "filled": fields, "open": []}, kind
        # every document with fields to fill is complete; one without any keeps its pass
        assert doc["verdict"]["status"] == ("complete" if fields else "pass"), (kind, doc["verdict"])
    assert {k for k, d in docs.items() if d["verdict"]["status"] == "complete"} == set(KINDS) - {"legitimate_sources"}
    ip = next(f for s in docs["cn_filing_annex"]["sections"] for f in s["human_fields"]
              if f["id"] == "CN-TC-5.2-ip-statement")
    assert ip["statement"]["attachment"] == "policy.pdf" and len(ip["statement"]["attachment_sha256"]) == 64
    page = (run_dir / "disclosures" / "eu_training_summary.html").read_text(encoding="utf-8")
    assert "by Compliance Office on 2026-11-01" in page
    assert "To be completed by a person" not in page and "still open" not in page
    md = (run_dir / "disclosures" / "eu_training_summary.md").read_text(encoding="utf-8")
    assert "by Compliance Office on 2026-11-01" in md and "To be completed" not in md


def test_template_round_trip_through_the_cli(clean, tmp_path: Path) -> None:
    """template -> fill half -> disclose (partial, values kept) -> template again -> fill -> complete."""
    config_path, run_id, run_dir = clean
    statements = tmp_path / "statements.yaml"
    cfg_path = _with(config_path, "with-statements.yaml", statements=str(statements))

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "provaudit.cli", *args], capture_output=True, text=True,
                              timeout=300, cwd=ROOT, check=False)

    assert cli("disclose", str(config_path), "--run", run_id).returncode == 0  # no statements yet
    proc = cli("statements", str(cfg_path), "--template", "--run", run_id, "--out", str(statements))
    assert proc.returncode == 0, proc.stderr
    template = statements.read_text(encoding="utf-8")
    ids = field_ids(_documents(run_dir))
    total = sum(len(v) for v in ids.values())
    assert f"{total} field(s), {total} open" in template
    assert "#   requirement: US-CA-2:" in template and "#   who fills it:" in template
    entries = yaml.safe_load(template)
    assert set(entries) == {fid for v in ids.values() for fid in v}  # field ids are unique across kinds
    assert all(e == {"text": "", "author": "", "date": ""} for e in entries.values())
    first = min(entries)
    entries[first].update(text="Given first.", author="Legal", date="2026-10-01")
    write_yaml(statements, entries)
    assert cli("disclose", str(cfg_path), "--run", run_id).returncode == 0
    assert any(d["verdict"]["status"] == "partial" for d in _documents(run_dir).values())

    proc = cli("statements", str(cfg_path), "--template", "--run", run_id)
    assert proc.returncode == 0, proc.stderr
    again = yaml.safe_load(proc.stdout)
    assert again[first] == {"text": "Given first.", "author": "Legal", "date": "2026-10-01"}  # kept
    assert f"{total} field(s), {total - 1} open" in proc.stdout
    statements.write_text(proc.stdout, encoding="utf-8")
    _fill(statements)
    proc = cli("disclose", str(cfg_path), "--run", run_id)
    assert proc.returncode == 0, proc.stderr
    statuses = {k: d["verdict"]["status"] for k, d in _documents(run_dir).items()}
    assert statuses == {**{k: "complete" for k in KINDS}, "legitimate_sources": "pass"}


@pytest.mark.parametrize(("entry", "key", "problem"), [
    ({"no-such-field": {"text": "x", "author": "a", "date": "2026-01-01"}}, "no-such-field",
     "known field ids: .*provider-name"),
    ({"eu_training_summary.owners": {"text": "x", "author": "a", "date": "2026-01-01"}},
     "eu_training_summary.owners", "no field 'owners' in the eu_training_summary disclosure"),
    ({"owners": {"text": "x", "author": "a", "date": "2026-13-01"}}, "owners.date", "not a date"),
    ({"owners": {"text": "x", "author": "a", "date": "1 May 2026"}}, "owners.date", "not a date as YYYY-MM-DD"),
    ({"owners": {"text": "x", "author": "a", "date": "2026-01-01", "attachment": "missing.pdf"}},
     "owners.attachment", "'missing.pdf' does not exist"),
    ({"owners": {"text": "x", "date": "2026-01-01"}}, "owners.author", "needs an author"),
    ({"owners": {"text": "x", "author": "a", "date": "2026-01-01", "by": "me"}}, "owners",
     "unknown key\\(s\\) 'by'"),
])
def test_a_bad_statements_file_names_the_file_and_the_key(clean, tmp_path: Path, entry, key, problem) -> None:
    _, _, run_dir = clean
    path = write_yaml(tmp_path / "bad.yaml", entry)
    with pytest.raises(ConfigError) as info:
        load_statements(path, field_ids(_documents(run_dir)))
    assert info.value.file == str(path) and info.value.key == key
    assert re.search(problem, str(info.value)), str(info.value)
    assert str(info.value).startswith(f"{path}: {key}: ")


def test_disclose_fails_on_a_bad_or_missing_statements_file(clean, tmp_path: Path) -> None:
    config_path, run_id, _ = clean
    bad = write_yaml(tmp_path / "bad.yaml", {"owner": {"text": "x", "author": "a", "date": "2026-01-01"}})
    with pytest.raises(ConfigError, match=r"bad\.yaml: owner: no field 'owner'"):
        run_disclose(load_config(_with(config_path, "bad-config.yaml", statements=str(bad))), run_id)
    cfg_path = _with(config_path, "missing-config.yaml", statements="nowhere/statements.yaml")
    with pytest.raises(ConfigError, match=r"missing-config\.yaml: statements: .*nowhere/statements\.yaml does not "
                                          r"exist; write it with `provaudit statements"):
        run_disclose(load_config(cfg_path), run_id)


def test_scoped_and_shared_keys() -> None:
    """A bare id fills the field in every disclosure that has it; <kind>.<id> one disclosure, first."""
    def doc(kind: str) -> dict:
        return {"kind": kind, "verdict": {"status": "partial", "summary": "x; 1 field(s) still need a person's statement"},
                "sections": [{"heading": "H", "human_fields": [{"id": "provider-name", "label": "Provider", "hint": ""}]}]}

    docs = {"eu_training_summary": doc("eu_training_summary"), "ca_ab2013": doc("ca_ab2013")}
    from provaudit.core.statements import Statement

    merged = merge_statements(docs, {"provider-name": Statement("Bare", "A", "2026-01-01"),
                                     "ca_ab2013.provider-name": Statement("Scoped", "B", "2026-01-02")})
    assert merged["eu_training_summary"]["sections"][0]["human_fields"][0]["statement"]["text"] == "Bare"
    assert merged["ca_ab2013"]["sections"][0]["human_fields"][0]["statement"]["text"] == "Scoped"
    assert {d["verdict"]["status"] for d in merged.values()} == {"complete"}
    assert "statement" not in docs["ca_ab2013"]["sections"][0]["human_fields"][0]  # inputs untouched


def test_config_statements_and_disclosure_sections(tmp_path: Path) -> None:
    path = _sample_config(tmp_path, statements="legal/statements.yaml",
                          disclosure={"provider": "P", "system": "S", "system_version": 2, "version": "1.0"})
    cfg = load_config(path)
    assert cfg.statements == str((tmp_path / "legal" / "statements.yaml").resolve())
    assert cfg.disclosure.provider == "P" and cfg.disclosure.system_version == "2"
    assert cfg.disclosure.version == "1.0" and cfg.disclosure.languages == ("en",)
    with pytest.raises(ConfigError, match=r"config\.yaml: disclosure: unknown key\(s\) 'model'"):
        load_config(_sample_config(tmp_path, disclosure={"model": "x"}))
    with pytest.raises(ConfigError, match=r"config\.yaml: disclosure\.languages"):
        load_config(_sample_config(tmp_path, disclosure={"languages": []}))


# --------------------------------------------------------------------------- publication copies


def _check_public(run_dir: Path) -> dict[str, str]:
    titles = {}
    for kind in PUBLIC_KINDS:
        for suffix in (".html", ".md"):
            assert (run_dir / "disclosures" / "public" / f"{kind}{suffix}").stat().st_size > 300, (kind, suffix)
        page = _parse(run_dir / "disclosures" / "public" / f"{kind}.html")
        text = " ".join(page.text)
        assert not VERDICT_WORD.search(text), (kind, VERDICT_WORD.search(text).group(0))
        assert not INTERNAL_ID.search(text), (kind, INTERNAL_ID.search(text).group(0))
        assert not {"human", "blank", "verdict", "badge", "reqs", "req-id", "open-fields"} & page.classes, kind
        assert page.empty_cells == 0, kind
        assert "To be completed" not in text and "empty field" not in text
        md = (run_dir / "disclosures" / "public" / f"{kind}.md").read_text(encoding="utf-8")
        assert not VERDICT_WORD.search(md) and not INTERNAL_ID.search(md), kind
        titles[kind] = page.text[page.text.index(next(t for t in page.text if t.strip()))].strip()
    return titles


def test_publication_copies_of_the_failing_sample_are_drafts_without_verdicts(sample) -> None:
    _, run_dir = sample
    titles = _check_public(run_dir)
    docs = _documents(run_dir)
    for kind in PUBLIC_KINDS:
        missing = len(docs[kind]["statements"]["open"])
        if missing:
            expected = f"DRAFT – {missing} statement{'s' if missing != 1 else ''} missing: "
            assert titles[kind].startswith(expected), (kind, titles[kind])
        else:
            assert titles[kind].startswith("DRAFT – "), titles[kind]  # no disclosure: settings
    assert docs["eu_training_summary"]["verdict"]["status"] == "fail"  # the working copy keeps its verdict
    eu = " ".join(_parse(run_dir / "disclosures" / "public" / "eu_training_summary.html").text)
    assert "(data-fillable sections)" not in eu
    assert "Synthetic data used: Yes" in eu and "Publicly available datasets used: Yes" in eu  # synthetic_passages
    assert "Provider name and contact" not in eu  # an unfilled field is left out, not shown empty


def test_publication_copies_of_a_complete_run_carry_the_header_and_statements(clean, tmp_path: Path) -> None:
    config_path, run_id, run_dir = clean
    statements = tmp_path / "statements.yaml"
    run_disclose(load_config(config_path), run_id)  # this test's documents, whatever ran before
    statements.write_text(statements_template_for(load_config(config_path), run_id)[0], encoding="utf-8")
    _fill(statements, "Published statement <b>&amp;", with_key=False)  # field ids would be internal ids
    run_disclose(load_config(_with(config_path, "published.yaml", statements=str(statements))), run_id)
    titles = _check_public(run_dir)
    assert not any(t.startswith("DRAFT") for t in titles.values()), titles
    date = run_id[:4] + "-" + run_id[4:6] + "-" + run_id[6:8]
    for kind in PUBLIC_KINDS:
        html_text = (run_dir / "disclosures" / "public" / f"{kind}.html").read_text(encoding="utf-8")
        text = " ".join(_parse(run_dir / "disclosures" / "public" / f"{kind}.html").text)
        for value in ("Example AI GmbH", "Example-LM 2.1", date):
            assert value in text, (kind, value)
        assert "Version of this document" in text
        assert "<b>" not in html_text and "Published statement &lt;b&gt;&amp;amp;" in html_text or kind == "legitimate_sources"
        assert "Compliance Office" not in text  # authors stay in the working copy
    ca = " ".join(_parse(run_dir / "disclosures" / "public" / "ca_ab2013.html").text)
    assert ca.count("Published statement <b>&amp;") == 6  # the six AB 2013 statements (with the exemptions), escaped
    cn = " ".join(_parse(run_dir / "disclosures" / "public" / "cn_filing_annex.html").text)
    assert "Interim Measures Art. 7(2)" in cn and "TC260-003 5.2" in cn  # articles and clauses, not ids
