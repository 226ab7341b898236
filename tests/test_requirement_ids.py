"""Requirement ids: no retired id is cited anywhere, and every cited id exists in the developers'
requirement list (../shared/REGULATIONS.md, checked only when that file is present)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from provaudit.core.requirements import load_requirements
from provaudit.reports.disclosures import REQUIREMENTS

ROOT = Path(__file__).resolve().parents[1]
REGULATIONS = ROOT.parent / "shared" / "REGULATIONS.md"

# Retired ids: CN-TC-5.3-accuracy (replaced by CN-TC-5.3-check) and CN-TC-5.1a (split into
# CN-TC-5.1a-pre and CN-TC-5.1a-post).
RETIRED = re.compile(r"CN-TC-5\.3-accuracy|CN-TC-5\.1a(?!-pre|-post)")


def _scanned() -> list[Path]:
    files = sorted((ROOT / "expectations").glob("*.json"))
    files += sorted((ROOT / "src").rglob("*.py")) + sorted((ROOT / "src").rglob("*.yaml"))
    files += [ROOT / "README.md"]
    files += sorted(p for p in (ROOT / "tests" / "golden").rglob("*") if p.is_file())
    return files


def _known_ids() -> set[str]:
    text = REGULATIONS.read_text(encoding="utf-8")
    return set(re.findall(r"^\| ([A-Z]{2}-[A-Za-z0-9.-]+) \|", text, re.MULTILINE))


def test_the_retired_pattern_matches_only_retired_ids() -> None:
    assert RETIRED.search("(CN-TC-5.1a, EU-53d-illegal)")
    assert RETIRED.search('"CN-TC-5.1a"')
    assert RETIRED.search("CN-TC-5.1a")
    assert RETIRED.search("CN-TC-5.3-accuracy")
    assert not RETIRED.search(
        "CN-TC-5.1a-pre CN-TC-5.1a-post CN-TC-5.3-check CN-TC-5.1b CN-TC-5.1c-open"
    )


def test_no_retired_requirement_id_is_cited() -> None:
    files = _scanned()
    assert any(p.parent.name == "expectations" for p in files)
    assert any(p.parent.name == "golden" for p in files)
    hits = []
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in RETIRED.finditer(line):
                hits.append(f"{path.relative_to(ROOT)}:{n}: {m.group(0)}")
    assert not hits, "retired requirement ids still cited:\n" + "\n".join(hits)


def test_every_suite_cites_known_requirements() -> None:
    if not REGULATIONS.exists():
        pytest.skip("../shared/REGULATIONS.md not present")
    known = _known_ids()
    for path in sorted((ROOT / "expectations").glob("*.json")):
        suite = json.loads(path.read_text(encoding="utf-8"))
        for e in suite["expectations"]:
            ids = e["meta"]["requirement_ids"]
            assert ids and set(ids) <= known, (path.name, ids, set(ids) - known)


def test_disclosure_requirement_table_uses_known_ids() -> None:
    if not REGULATIONS.exists():
        pytest.skip("../shared/REGULATIONS.md not present")
    assert set(REQUIREMENTS) - _known_ids() == set()


def test_the_catalogue_holds_every_requirement_of_the_checked_list() -> None:
    if not REGULATIONS.exists():
        pytest.skip("../shared/REGULATIONS.md not present")
    assert set(load_requirements()) == _known_ids()


def test_every_id_a_suite_or_disclosure_cites_is_in_the_catalogue() -> None:
    catalogue = load_requirements()
    for path in sorted((ROOT / "expectations").glob("*.json")):
        for e in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            assert set(e["meta"]["requirement_ids"]) <= set(catalogue), (path.name, e["meta"])
    assert set(REQUIREMENTS) == set(catalogue)
    assert all(r.requirement and r.evidence for r in catalogue.values())
    assert not [rid for rid in catalogue if RETIRED.search(rid + " ")]


def _checked_rows() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in REGULATIONS.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\| ([A-Z]{2}-[A-Za-z0-9.-]+) \| (.*) \| (.*) \|\s*$", line)
        if m:
            rows[m.group(1)] = (m.group(2).strip(), m.group(3).strip())
    return rows


# The checked list's one sentence addressed to developers, not part of any output's evidence text.
_DEVELOPER_NOTE = ", and outputs must say so"


def test_the_catalogue_texts_agree_with_the_checked_list() -> None:
    """Each id's requirement and evidence text, its statement kind and its recommended mark agree."""
    if not REGULATIONS.exists():
        pytest.skip("../shared/REGULATIONS.md not present")
    rows = _checked_rows()
    catalogue = load_requirements()
    assert list(catalogue) == list(rows)  # the same order, so docs/requirements.md reads like the list
    wrong = []
    for rid, (requirement, evidence) in rows.items():
        r = catalogue[rid]
        recommended = requirement.startswith("(recommended) ")
        if recommended:
            requirement = requirement[len("(recommended) "):]
        statement = ("only" if evidence == "statement" or evidence.startswith("statement:")
                     else "part" if "statement" in evidence else "none")
        for what, ours, theirs in (("requirement", r.requirement, requirement),
                                   ("evidence", r.evidence, evidence.removesuffix(_DEVELOPER_NOTE)),
                                   ("statement", r.statement, statement),
                                   ("recommended", r.recommended, recommended)):
            if ours != theirs:
                wrong.append(f"{rid}.{what}: catalogue {ours!r} != checked list {theirs!r}")
    assert not wrong, "\n".join(wrong)


def test_the_text_check_catches_a_changed_text(monkeypatch: pytest.MonkeyPatch) -> None:
    if not REGULATIONS.exists():
        pytest.skip("../shared/REGULATIONS.md not present")
    from provaudit.core import requirements

    real = load_requirements()
    changed = {**real, "CN-TC-5.2-ip": real["CN-TC-5.2-ip"]._replace(
        requirement=real["CN-TC-5.2-ip"].requirement.replace("(recommended) ", ""))}
    monkeypatch.setattr(sys.modules[__name__], "load_requirements", lambda: changed)
    with pytest.raises(AssertionError, match=r"CN-TC-5\.2-ip\.requirement"):
        test_the_catalogue_texts_agree_with_the_checked_list()
    assert requirements.load_requirements() == real
