"""Data Docs in the audit's language, and browser assets that come with the Python install.

The validation pages of a real run on the sample corpus are opened in headless Chromium
(the DevTools driver of test_datadocs): they name the provaudit run, each expectation's
requirement ids, description and suite parameters with their values, and the failing
sources with their figures instead of GX's percentage sentence and pandas snippet. The
assets test points ``PROVAUDIT_DOCS_ASSETS`` away from any node_modules: the full pages come
from the package data alone.
"""

from __future__ import annotations

import filecmp
import html
import shutil
from pathlib import Path

import pytest
from test_datadocs import (  # noqa: F401  (fixtures)
    _STYLE_PROBE,
    NODE_MODULES,
    Visit,
    _assert_stayed_local,
    _assert_styled,
    _validation_page,
    browser,
    gx_site,
)
from test_validate import _all_stages, _sample_config

from provaudit.core.errors import ProvauditError
from provaudit.reports.datadocs import (
    ASSETS_ENV,
    AUDIT_CLASS,
    CDN_ASSETS,
    NOTICE_ID,
    OFFLINE_DIR,
    PACKAGED_ASSETS,
    Annotation,
    annotate_validation_pages,
    make_offline,
    refresh_assets,
)
from provaudit.stages.validate import load_suite


@pytest.fixture(scope="module")
def sample_docs(tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as env:
        env.delenv(ASSETS_ENV, raising=False)  # the package's own assets
        _, run_id, _, result = _all_stages(_sample_config(tmp_path_factory.mktemp("audit")))
    return run_id, Path(result.run_dir) / "docs"


def _page(docs: Path, suite: str) -> Path:
    (page,) = sorted((docs / "validations" / suite).rglob("*.html"))
    return page


def test_validation_page_names_run_requirements_parameters_and_failing_sources(
    sample_docs, browser
) -> None:
    run_id, docs = sample_docs
    page = _page(docs, "legitimate_sources")
    assert page.relative_to(docs).parts[2] == run_id  # not __none__
    visit = Visit(browser, page.as_uri())
    try:
        _assert_stayed_local(visit)
        _assert_styled(visit.evaluate(_STYLE_PROBE))  # full pages: package data, no Node
        text = " ".join(visit.evaluate("document.body.innerText").split())
        assert f"Validations / legitimate_sources / {run_id} /" in text
        info = "".join(visit.evaluate("document.body.textContent").split())  # "more info" folds
        assert f"RunName{run_id}" in info and "__none__" not in info
        audits = visit.evaluate(
            f"[...document.querySelectorAll('.{AUDIT_CLASS}')].map(e => e.innerText)")
        assert len(audits) == len(load_suite("legitimate_sources")["expectations"])
        joined = " ".join(" ".join(audits).split())
        assert "EU-53c-optout" in joined and "CN-IM-7.2" in joined
        assert "No document comes from a domain on the opt-out list" in joined
        assert "max_unknown_license_share = 0.05" in joined
        assert "Failing sources (1 of 8): web_crawl: opted_out_documents = 3" in joined
        assert "scraped_blogs: unknown_license_share = 1.0" in joined
        assert "total rows" not in text and "df.filter" not in text
        assert "To retrieve all unexpected values" not in text
        assert "1 of 8 sources fail" in text and "% unexpected" not in text
    finally:
        visit.close()


def test_labelling_page_names_the_failing_batch(sample_docs) -> None:
    _, docs = sample_docs
    text = html.unescape(_page(docs, "labelling_process").read_text("utf-8"))
    assert "Failing batches (1 of" in text and "news-topic-2024-05: trained_share = " in text


def test_inserted_values_are_escaped_and_annotating_twice_changes_nothing(
    gx_site: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    shutil.copytree(gx_site, site)
    notes = {"legitimate_sources": [
        Annotation("source", ("ID-1",), "not null", (), "sources", 3, ()),
        Annotation("source", ("ID-2",), "unique", (), "sources", 3, ()),
        Annotation("unknown_license_share", ("<b>ID-3</b>",), 'x <script>alert(1)</script>',
                   (("max", "<i>0.05</i>"),), "sources", 3,
                   (("<img src=x onerror=alert(1)>", "unknown_license_share = 0.4"),)),
    ]}
    assert annotate_validation_pages(site, notes)
    page = _validation_page(site).read_text("utf-8")
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;: unknown_license_share = 0.4" in page
    assert "&lt;i&gt;0.05&lt;/i&gt;" in page and "total rows" not in page
    assert annotate_validation_pages(site, notes) == []  # annotated rows stay as they are


def test_rows_that_do_not_match_the_results_are_refused(gx_site: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(gx_site, site)
    one = Annotation("source", (), "d", (), "sources", 3, ())
    with pytest.raises(ProvauditError, match="column 'source' shows 2 expectations"):
        annotate_validation_pages(site, {"legitimate_sources": [one]})


def test_assets_come_from_the_package_without_node_modules(
    gx_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ASSETS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # no node_modules anywhere near
    site = tmp_path / "site"
    shutil.copytree(gx_site, site)
    report = make_offline(site)
    assert not report.degraded
    assert NOTICE_ID not in (site / "index.html").read_text("utf-8")
    for asset in CDN_ASSETS.values():
        copied = site / OFFLINE_DIR / asset.package / asset.path
        if copied.exists():
            assert copied.read_bytes() == (PACKAGED_ASSETS / asset.package / asset.path).read_bytes()
    # every package the pages use ships with its licence
    for package in {a.package for a in CDN_ASSETS.values()}:
        assert any((PACKAGED_ASSETS / package).glob("LICENSE*")), package


def test_packaged_assets_hold_only_what_the_pages_reference(tmp_path: Path) -> None:
    if not (NODE_MODULES / "bootstrap" / "package.json").is_file():
        pytest.skip(f"no npm install in {NODE_MODULES} to refresh from")
    shutil.copytree(PACKAGED_ASSETS / "_upstream_licenses", tmp_path / "_upstream_licenses")
    written = refresh_assets(NODE_MODULES, tmp_path)
    packaged = sorted(
        p.relative_to(PACKAGED_ASSETS).as_posix() for p in PACKAGED_ASSETS.rglob("*")
        if p.is_file() and p.parts[len(PACKAGED_ASSETS.parts)] not in ("_upstream_licenses",)
        and p.name != "README.md"
    )
    assert written == packaged  # a refresh from the pinned npm install gives the same files
    for path in written:
        assert filecmp.cmp(tmp_path / path, PACKAGED_ASSETS / path, shallow=False), path
    size = sum((PACKAGED_ASSETS / p).stat().st_size for p in packaged)
    assert size < 4_000_000, size
