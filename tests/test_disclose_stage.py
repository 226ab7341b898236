"""The disclose stage end to end on the sample: files, offline HTML in Chromium, the index page."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from provaudit.reports.datadocs import find_external_references
from provaudit.stages.disclose import KINDS, run_disclose
from provaudit.reports.disclosures import validate_document
from test_datadocs import Visit, _assert_stayed_local, browser  # noqa: F401
from test_validate import _all_stages, _sample_config


@pytest.fixture(scope="module")
def disclosed(tmp_path_factory: pytest.TempPathFactory):
    cfg, run_id, _, _ = _all_stages(_sample_config(tmp_path_factory.mktemp("disclose")))
    return cfg, run_id, run_disclose(cfg, run_id)


def test_every_disclosure_is_written_in_three_forms_and_validates(disclosed) -> None:
    _, _, result = disclosed
    out = Path(result.run_dir) / "disclosures"
    for kind in KINDS:
        for suffix in (".html", ".md", ".json"):
            assert (out / f"{kind}{suffix}").stat().st_size > 500, (kind, suffix)
        validate_document(json.loads((out / f"{kind}.json").read_text(encoding="utf-8")))
    assert json.loads((out / "croissant.json").read_text())["@type"] in ("sc:Dataset", "Dataset")
    assert (Path(result.run_dir) / "index.html").is_file()


def test_no_page_refers_outside_the_run(disclosed) -> None:
    _, _, result = disclosed
    assert list(find_external_references(Path(result.run_dir))) == []
    for page in (Path(result.run_dir) / "disclosures").glob("*.html"):
        assert "<script" not in page.read_text(encoding="utf-8")


def test_index_answers_which_sources_are_not_legitimately_documented_and_why(disclosed) -> None:
    _, _, result = disclosed
    bad = {s["name"]: s["reasons"] for s in result.index["sources"] if not s["legitimate"]}
    assert set(bad) == {"forum_dump", "scraped_blogs", "web_crawl"}  # forum_dump: ID numbers without separate consent
    assert any("license unknown" in r for r in bad["scraped_blogs"])
    assert any("opted-out" in r for r in bad["web_crawl"])
    html_text = Path(result.index_path).read_text(encoding="utf-8")
    assert html_text.count("NOT legitimately documented") >= 2
    for kind in KINDS:
        assert f'href="disclosures/{kind}.html"' in html_text
    assert 'href="docs/index.html"' in html_text


def test_pages_render_offline_in_chromium(disclosed, browser, tmp_path: Path) -> None:  # noqa: F811
    _, _, result = disclosed
    pages = {"run-index.png": Path(result.index_path),
             "disclosure-legitimate-sources.png": Path(result.run_dir) / "disclosures" / "legitimate_sources.html"}
    for shot_name, page in pages.items():
        visit = Visit(browser, page.as_uri())
        try:
            _assert_stayed_local(visit)
            text = visit.evaluate("document.body.innerText")
            assert "scraped_blogs" in text
            if page.name == "legitimate_sources.html":
                assert visit.evaluate("document.querySelectorAll('svg').length") >= 3
            visit.screenshot_for_docs(tmp_path / shot_name, ROOT / "docs" / shot_name)
        finally:
            visit.close()


def test_cli_disclose(disclosed) -> None:
    cfg, run_id, _ = disclosed
    proc = subprocess.run([sys.executable, "-m", "provaudit.cli", "disclose", str(cfg.config_path), "--run", run_id],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "NOT legitimately documented: scraped_blogs" in proc.stdout
    assert proc.stdout.splitlines()[-1].startswith("disclose: done")
