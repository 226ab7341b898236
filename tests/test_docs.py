"""Drift tests for the project documents under ``docs/``.

``docs/requirements.md`` is generated from the package's requirement catalogue and suites
(:mod:`provaudit.reports.catalogue_doc`) and must equal the generator's output.
``docs/design.md`` is written by hand: it must name every ``provaudit`` command and link
only files inside the repository (every relative target exists, every ``#anchor`` names a
heading of its target, no web link, nothing outside the repository).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT
from provaudit.cli import _parser
from provaudit.core.config import ValidationSettings
from provaudit.core.requirements import Requirement, load_requirements, regulations
from provaudit.reports import catalogue_doc
from provaudit.reports.catalogue_doc import REGENERATE, render_requirements_markdown

DOCS = ROOT / "docs"
DESIGN = DOCS / "design.md"
REQUIREMENTS = DOCS / "requirements.md"
COMMANDS = sorted(_parser()._subparsers._group_actions[0].choices)  # noqa: SLF001 - argparse has no public accessor

LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
WEB = re.compile(r"\b(?:https?|ftp)://|\bwww\.", re.IGNORECASE)


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*\*|__", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every anchor a Markdown file offers: its headings' slugs and explicit ``id`` attributes."""
    found = set(re.findall(r"""<a\s+(?:id|name)=["']([^"']+)["']""", markdown))
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (m := re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)):
            found.add(slug(m.group(1)))
    return found


def link_problems(path: Path, root: Path) -> list[str]:
    """One line per link of a Markdown file that leaves the repository or points at nothing."""
    text = path.read_text(encoding="utf-8")
    problems = [f"{path.name}: web address {m.group(0)!r}" for m in WEB.finditer(text)]
    for target in LINK.findall(text):
        where = f"{path.name}: link {target!r}"
        if re.match(r"[a-z][a-z0-9+.\-]*:", target, re.IGNORECASE):
            if not WEB.match(target):  # a web address is reported above
                problems.append(f"{where}: not a file of the repository")
            continue
        file_part, _, fragment = target.partition("#")
        dest = path if not file_part else (path.parent / file_part)
        if file_part.startswith("/"):
            problems.append(f"{where}: absolute path")
            continue
        resolved = dest.resolve()
        if not resolved.is_relative_to(root.resolve()):
            problems.append(f"{where}: outside the repository")
            continue
        if not resolved.exists():
            problems.append(f"{where}: no such file")
            continue
        if fragment:
            if resolved.suffix != ".md":
                problems.append(f"{where}: anchor into a file that is not Markdown")
            elif fragment not in anchors(resolved.read_text(encoding="utf-8")):
                problems.append(f"{where}: no heading or id {fragment!r} in {resolved.name}")
    return problems


# --------------------------------------------------------------------------- requirements.md


def test_requirements_doc_is_the_generators_output() -> None:
    assert REQUIREMENTS.exists(), f"docs/requirements.md is missing; write it with: {REGENERATE}"
    committed = REQUIREMENTS.read_text(encoding="utf-8")
    assert committed == render_requirements_markdown(), (
        f"docs/requirements.md differs from the requirement catalogue and suites; regenerate it with: {REGENERATE}")


def test_generator_is_deterministic_and_covers_the_catalogue() -> None:
    text = render_requirements_markdown()
    assert text == render_requirements_markdown()
    for rid in load_requirements():
        assert re.search(rf"^\| `{re.escape(rid)}`( \(recommended\))? \|", text, re.MULTILINE), rid
    for name in regulations().values():
        assert f"\n## {name}\n" in text, name
    for key in ValidationSettings._fields:
        assert f"| `validation.{key}` |" in text, key
    assert "| `CN-TC-8.1` (recommended) |" in text  # the one recommended clause of the catalogue


def _row(text: str, rid: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(f"| `{rid}`"))
    return [c.strip() for c in line.strip("|").split(" | ")]


def test_requirement_rows_say_who_evidences_and_which_suites_cite() -> None:
    text = render_requirements_markdown()
    assert _row(text, "CN-IM-7.1")[3:] == ["data", "`legitimate_sources` (critical)"]
    assert _row(text, "CN-IM-7.4")[3:] == ["data", "`data_quality` (warning)"]
    assert _row(text, "CN-TC-5.3-check")[4] == "`labelling_process` (critical)"
    assert _row(text, "US-CA-2")[3:] == ["statement only", "—"]
    assert _row(text, "EU-53c-optout")[3:] == ["data + statement",
                                               "`legitimate_sources` (critical), `removal_requests` (critical)"]


def test_thresholds_say_whose_figure_they_are() -> None:
    text = render_requirements_markdown()
    rows = {line.split(" | ")[0].strip("| `"): line for line in text.splitlines() if line.startswith("| `validation.")}
    assert "the regulation's (CN-TC-5.1a-post: \"more than 5% illegal" in rows["validation.max_unsafe_upper95"]
    assert "provaudit's defaults" in rows["validation.max_unsafe_upper95"]  # the upper-bound test, quoted
    assert "the 0.90 / 0.98 accuracy floors are provaudit defaults" in rows["validation.min_safety_accuracy"]
    assert "provaudit's default: the cited requirements set no figure" in rows["validation.max_quarantine_share"]
    assert "the regulation's" not in rows["validation.min_functional_accuracy"]


def test_a_figure_counts_as_the_regulations_only_when_its_text_states_it() -> None:
    req = Requirement("X-1", "cn-tc", "verify each source; more than 5% unsafe → drop it", "data", "none")
    assert catalogue_doc._regulation_clause(0.05, [req]) == 'X-1: "more than 5% unsafe → drop it"'
    assert catalogue_doc._regulation_clause(0.5, [req]) is None  # "5%" is not 50%
    assert catalogue_doc._regulation_clause(0.15, [req]) is None
    assert catalogue_doc._regulation_clause(2, [req._replace(requirement="at least 2 sources")]) == \
        'X-1: "at least 2 sources"'
    assert catalogue_doc._regulation_clause(2, [req._replace(requirement="at least 20 sources")]) is None


def test_a_suite_citing_an_unknown_id_is_an_error_naming_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    suites = [{"file": "planted.json", "name": "planted",
               "doc": {"expectations": [{"kwargs": {}, "meta": {"requirement_ids": ["NOPE-1"]}}]}}]
    monkeypatch.setattr(catalogue_doc, "_suites", lambda: suites)
    where = r"expectations/planted.json: expectations\[0\].meta.requirement_ids: 'NOPE-1'"
    with pytest.raises(ValueError, match=where):
        render_requirements_markdown()


# --------------------------------------------------------------------------- design.md


@pytest.mark.parametrize("command", COMMANDS)
def test_design_names_every_command(command: str) -> None:
    assert re.search(rf"provaudit {command}\b", DESIGN.read_text(encoding="utf-8")), \
        f"docs/design.md does not mention `provaudit {command}`"


@pytest.mark.parametrize("doc", [DESIGN, REQUIREMENTS], ids=lambda p: p.name)
def test_docs_link_only_files_inside_the_repository(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    assert "../shared" not in text and "/work/" not in text
    assert LINK.search(text), f"{doc.name} has no link at all: the checker would pass vacuously"
    assert link_problems(doc, ROOT) == []


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("see [the design](../../shared/DESIGN.md)", "outside the repository"),
        ("see [x](missing.md)", "no such file"),
        ("see [x](https://example.org/)", "web address"),
        ("see <https://example.org/>", "web address"),
        ("see [x](mailto:a@b.c)", "not a file of the repository"),
        ("see [x](/etc/passwd)", "absolute path"),
        ("see [x](other.md#nowhere)", "no heading or id 'nowhere'"),
        ("see [x](#nowhere)", "no heading or id 'nowhere'"),
    ],
)
def test_a_planted_bad_link_is_caught(tmp_path: Path, markdown: str, expected: str) -> None:
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "other.md").write_text("# Other\n\n## A section\n", encoding="utf-8")
    page = root / "docs" / "page.md"
    page.write_text(f"# Page\n\n{markdown}\n", encoding="utf-8")
    found = link_problems(page, root)
    assert len(found) == 1 and expected in found[0], found


def test_good_links_pass(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "README.md").write_text("# Tool\n\n## What a run writes\n", encoding="utf-8")
    (root / "docs" / "other.md").write_text('<a id="thresholds"></a>\n\n## `Code` and words!\n', encoding="utf-8")
    page = root / "docs" / "page.md"
    page.write_text("[a](../README.md#what-a-run-writes) [b](other.md#thresholds) [c](other.md#code-and-words) "
                    "[d](#page) [e](../README.md)\n\n# Page\n", encoding="utf-8")
    assert link_problems(page, root) == []
