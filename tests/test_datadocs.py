"""Offline Data Docs: a real GX site made offline, then opened from disk in headless Chromium.

The browser is driven over the Chrome DevTools protocol on a pipe (``--remote-debugging-pipe``),
so the test needs no Python dependency beyond the standard library: it records every request
a page makes, runs checks inside the page and takes the screenshot. ``PROVAUDIT_SCREENSHOTS=1``
also writes the validation page's screenshot to ``docs/datadocs-validation.png``.

Locally, tests that need Chromium or the npm assets skip when those are absent; under CI
(``CI`` set) they fail instead, so a missing install step cannot pass unnoticed.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import signal
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from provaudit.reports.datadocs import (
    CDN_ASSETS,
    NOTICE_ID,
    OFFLINE_DIR,
    find_external_references,
    make_offline,
)
from provaudit.core.errors import InputError, ProvauditError

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = Path(os.environ.get("PROVAUDIT_DOCS_ASSETS") or ROOT / "node_modules")
SUITE = "legitimate_sources"
SCREENSHOT = ROOT / "docs" / "datadocs-validation.png"


def _require(ok: bool, reason: str) -> None:
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must install it: see .ci/run)")
    pytest.skip(reason)


def _require_assets() -> None:
    _require(
        (NODE_MODULES / "bootstrap" / "package.json").is_file(),
        f"no npm assets in {NODE_MODULES}: run `npm ci --ignore-scripts` at the repo root",
    )


def _chromium() -> str | None:
    found = os.environ.get("PROVAUDIT_CHROMIUM")
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = found or shutil.which(name)
    return found if found and os.access(found, os.X_OK) else None


# -- a real GX Data Docs site --------------------------------------------------------------


@pytest.fixture(scope="module")
def gx_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build Data Docs with GX 1.x from a file context: one suite, one checkpoint run."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GX_ANALYTICS_ENABLED", "false")
        return _build_gx_site(tmp_path_factory.mktemp("gx"))


def _build_gx_site(project: Path) -> Path:
    import great_expectations as gx
    import pandas as pd
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=project)
    context.enable_analytics(False)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.variables.save()

    profile = pd.DataFrame(
        {
            "source": ["web_crawl", "licensed_news", "user_feedback"],
            "documents": [1200, 340, 56],
            "unknown_license_share": [0.0, 0.02, 0.4],
        }
    )
    batch = (
        context.data_sources.add_pandas("profiles")
        .add_dataframe_asset("source_profile")
        .add_batch_definition_whole_dataframe("all_sources")
    )
    suite = context.suites.add(gx.ExpectationSuite(name=SUITE))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="source"))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeUnique(column="source"))
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="unknown_license_share", min_value=0, max_value=0.05
        )
    )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{SUITE}_profile", data=batch, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name="nightly",
            validation_definitions=[definition],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
        )
    )
    result = checkpoint.run(batch_parameters={"dataframe": profile})
    assert not result.success  # user_feedback's unknown-license share is planted to fail

    (site,) = (
        Path(unquote(urlsplit(u["site_url"]).path)).parent for u in context.get_docs_sites_urls()
    )
    assert (site / "index.html").is_file()
    return site


@pytest.fixture(scope="module")
def data_context_id(gx_site: Path) -> str:
    config = next(gx_site.parents[2].glob("great_expectations.yml")).read_text("utf-8")
    return re.search(r"data_context_id:\s*(\S+)", config).group(1)


@pytest.fixture(scope="module")
def offline_site(gx_site: Path, tmp_path_factory: pytest.TempPathFactory):
    _require_assets()
    site = tmp_path_factory.mktemp("offline") / "site"
    shutil.copytree(gx_site, site)
    return site, make_offline(site, NODE_MODULES)


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def _validation_page(site: Path) -> Path:
    (page,) = sorted((site / "validations" / SUITE).rglob("*.html"))
    return page


# -- the rewritten files -------------------------------------------------------------------


def test_gx_build_loads_from_cdns_and_sends_the_context_id(gx_site, data_context_id):
    urls = {url for _, url in find_external_references(gx_site)}
    assert set(CDN_ASSETS) <= urls
    assert any(data_context_id in url for url in urls), "GX no longer tags its logo URL"


def test_no_external_url_remains(offline_site, data_context_id):
    site, report = offline_site
    assert list(find_external_references(site)) == []
    for path in [*_pages(site), *site.rglob("*.css")]:
        text = path.read_text("utf-8")
        if path.suffix == ".html":
            # Stricter than the references: no URL of any kind left anywhere in a page.
            assert not re.search(r"https?://|[\"'(=]\s*//\w", text), path
            assert data_context_id not in text, path
        else:
            assert not re.findall(r"url\(\s*[\"']?(?:https?:)?//", text), path
    assert report.unlinked  # GX's website links lost their href, kept their text
    index = (site / "index.html").read_text("utf-8")
    assert re.search(r"<a\s*>\s*Great Expectations\s*</a>", index)


def test_every_local_reference_exists(offline_site):
    site, report = offline_site
    assert set(report.rewritten.values()) <= {
        p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()
    }
    for page in _pages(site):
        text = page.read_text("utf-8")
        for ref in re.findall(r"<(?:script|link|img)\b[^>]*?\s(?:src|href)=\"([^\"#]+)\"", text):
            assert (page.parent / unquote(ref)).resolve().is_file(), f"{page}: {ref}"
    for css in (site / OFFLINE_DIR).rglob("*.css"):
        for ref in re.findall(r"url\(\s*[\"']?([^\"')]+)", css.read_text("utf-8")):
            if not ref.startswith("data:"):
                path = urlsplit(ref).path
                assert (css.parent / unquote(path)).resolve().is_file(), f"{css}: {ref}"


def test_only_files_the_pages_use_are_copied(offline_site):
    site, report = offline_site
    offline = {
        p.relative_to(site).as_posix() for p in (site / OFFLINE_DIR).rglob("*") if p.is_file()
    }
    assert offline == {p for p in report.copied if p.startswith(OFFLINE_DIR)}
    used = set(report.rewritten.values())
    fonts = {p for p in offline if "/webfonts/" in p}
    licenses = {p for p in offline if Path(p).name.lower().startswith("license")}
    assert offline == (used & offline) | fonts | licenses
    assert not any(p.endswith((".map", ".ts", "package.json")) for p in offline)


def test_make_offline_twice_changes_nothing(offline_site, tmp_path):
    site, _ = offline_site
    again = tmp_path / "site"
    shutil.copytree(site, again)
    report = make_offline(again, NODE_MODULES)
    assert report.files == () and report.rewritten == {}


def test_missing_package_is_named_and_site_left_alone(gx_site, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(gx_site, site)
    before = (site / "index.html").read_text("utf-8")
    with pytest.raises(InputError, match=r"bootstrap@4\.3\.1: not installed") as caught:
        make_offline(site, tmp_path / "empty_node_modules")
    assert "npm ci --ignore-scripts" in str(caught.value)
    assert (site / "index.html").read_text("utf-8") == before
    assert not (site / OFFLINE_DIR).exists()


# -- degraded mode: no npm assets ----------------------------------------------------------

NOTICE_TEXT = (
    "Offline assets not installed: this page is shown without styles and scripts. "
    "Reinstall provaudit (its package data holds them; or set PROVAUDIT_DOCS_ASSETS to a "
    "folder that has them) and validate again for the full Data Docs."
)


@pytest.fixture(scope="module")
def degraded_site(gx_site: Path, tmp_path_factory: pytest.TempPathFactory):
    """The GX site made offline without any npm package: what a pip-only machine gets."""
    work = tmp_path_factory.mktemp("degraded")
    site = work / "site"
    shutil.copytree(gx_site, site)
    (work / "node_modules").mkdir()
    return site, make_offline(site, work / "node_modules", require_assets=False)


def _text(markup: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", markup).split())


def test_degraded_site_leaves_nothing_external(degraded_site, data_context_id):
    site, report = degraded_site
    assert report.degraded
    assert "bootstrap@4.3.1: not installed" in report.missing
    assert {f"{a.package}@{a.version}" for a in CDN_ASSETS.values()} == {
        m.split(":")[0] for m in report.missing
    }
    assert set(CDN_ASSETS) <= set(report.removed)
    assert list(find_external_references(site)) == []
    for path in [*_pages(site), *site.rglob("*.css")]:
        text = path.read_text("utf-8")
        assert not re.search(r"https?://|[\"'(=]\s*//\w", text), path
        assert data_context_id not in text, path
        assert "great-expectations-web-assets" not in text, path
    # Nothing of the npm packages was copied; only the dark logo the module writes itself.
    assert report.copied == (f"{OFFLINE_DIR}/provaudit/logo-dark.svg",)
    assert report.unlinked  # website links lost their href, kept their text
    assert re.search(r"<a\s*>\s*Great Expectations\s*</a>", (site / "index.html").read_text())


def test_degraded_pages_drop_scripts_and_stylesheets_and_say_why(degraded_site):
    site, _ = degraded_site
    for page in _pages(site):
        text = page.read_text("utf-8")
        assert not re.search(r"<script\b", text, re.IGNORECASE), page
        links = re.findall(r"<link\b[^>]*>", text)
        assert all("favicon" in link for link in links), (page, links)
        assert text.count(f'id="{NOTICE_ID}"') == 1, page
        body = re.search(r"<body\b[^>]*>(.*)", text, re.DOTALL).group(1)
        assert body.lstrip().startswith(f'<div id="{NOTICE_ID}"'), page
        notice = re.search(rf'<div id="{NOTICE_ID}".*?</div>', text, re.DOTALL).group(0)
        assert _text(notice).startswith(NOTICE_TEXT), page
        # The logo comes from the copy GX placed in the site, the dark one from the module.
        for ref in re.findall(r"<img\b[^>]*?\ssrc=\"([^\"]+)\"", text):
            assert (page.parent / unquote(ref)).resolve().is_file(), f"{page}: {ref}"
        assert "static/images/logo-long.png" in text
        assert f"{OFFLINE_DIR}/provaudit/logo-dark.svg" in text
    assert (site / "static/images/logo-long.png").is_file()


def test_degraded_index_lists_the_pages_its_tables_would_show(degraded_site):
    site, _ = degraded_site
    index = (site / "index.html").read_text("utf-8")
    notice = re.search(rf'<div id="{NOTICE_ID}".*?</div>', index, re.DOTALL).group(0)
    listed = set(re.findall(r'<a href="([^"]+)"', notice))
    pages = {p.relative_to(site).as_posix() for p in _pages(site)} - {"index.html"}
    assert listed == pages
    assert _validation_page(site).relative_to(site).as_posix() in listed


def test_degraded_make_offline_twice_changes_nothing(degraded_site, tmp_path):
    site, _ = degraded_site
    again = tmp_path / "site"
    shutil.copytree(site, again)
    report = make_offline(again, tmp_path / "node_modules", require_assets=False)
    assert report.files == () and not report.degraded
    for page in _pages(again):
        assert page.read_text("utf-8").count(f'id="{NOTICE_ID}"') == 1


def test_assets_present_is_not_degraded(offline_site):
    site, report = offline_site
    assert not report.degraded and report.missing == () and report.removed == ()
    assert not any(NOTICE_ID in page.read_text("utf-8") for page in _pages(site))


def test_require_assets_false_with_assets_is_the_full_site(gx_site, offline_site, tmp_path):
    site, full = offline_site
    again = tmp_path / "site"
    shutil.copytree(gx_site, again)
    report = make_offline(again, NODE_MODULES, require_assets=False)
    assert report == full
    for page in _pages(site):
        twin = again / page.relative_to(site)
        assert twin.read_text("utf-8") == page.read_text("utf-8"), page


# -- small hand-made sites (no GX build, no npm) -------------------------------------------


def _site(tmp_path: Path, body: str) -> Path:
    site = tmp_path / "site"
    (site / "validations").mkdir(parents=True)
    (site / "validations" / "page.html").write_text(
        f"<html><head></head><body>{body}</body></html>", encoding="utf-8"
    )
    return site


def test_unknown_external_references_are_all_listed(tmp_path):
    site = _site(
        tmp_path,
        '<script src="https://evil.example/x.js"></script>'
        '<img src="//cdn.example/y.png"><div style="background:'
        ' url(http://img.example/z.gif)"></div>',
    )
    with pytest.raises(ProvauditError) as caught:
        make_offline(site, tmp_path / "node_modules")
    message = str(caught.value)
    for url in ("https://evil.example/x.js", "//cdn.example/y.png", "http://img.example/z.gif"):
        assert f"validations/page.html: {url}" in message


def test_links_to_websites_keep_their_text(tmp_path):
    site = _site(
        tmp_path,
        '<a class="btn" href="https://greatexpectations.io/x?a=1&amp;b=2"'
        ' target="_blank">Read more</a><a href="../index.html">Home</a>',
    )
    report = make_offline(site, tmp_path / "node_modules")
    page = (site / "validations" / "page.html").read_text("utf-8")
    assert '<a class="btn"  target="_blank">Read more</a>' in page
    assert '<a href="../index.html">Home</a>' in page
    assert report.unlinked == ("https://greatexpectations.io/x?a=1&amp;b=2",)


def _fake_package(modules: Path, name: str, version: str, files: dict[str, bytes]) -> None:
    root = modules / name
    root.mkdir(parents=True)
    (root / "package.json").write_text(json.dumps({"name": name, "version": version}))
    for inner, data in files.items():
        (root / inner).parent.mkdir(parents=True, exist_ok=True)
        (root / inner).write_bytes(data)


def test_wrong_installed_version_is_refused(tmp_path):
    url = "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"
    site = _site(tmp_path, f'<link rel="stylesheet" href="{url}">')
    _fake_package(tmp_path / "nm", "bootstrap", "5.3.0", {"dist/css/bootstrap.min.css": b""})
    with pytest.raises(InputError, match=r"bootstrap@4\.3\.1: 5\.3\.0 installed instead"):
        make_offline(site, tmp_path / "nm")


def test_file_differing_from_the_pinned_integrity_is_refused(tmp_path):
    url = "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js"
    sri = "sha384-ApNbgh9B+Y1QKtv3Rn7W3mgPxhU9K/ScQsAP7hUibX39j7fakFPskvXusvfa0b4Q"
    site = _site(
        tmp_path, f'<script src="{url}" integrity="{sri}" crossorigin="anonymous"></script>'
    )
    _fake_package(
        tmp_path / "nm",
        "popper.js",
        "1.12.9",
        {"dist/umd/popper.min.js": b"window.Popper = 'tampered';"},
    )
    with pytest.raises(ProvauditError, match="integrity"):
        make_offline(site, tmp_path / "nm")


def test_rewritten_script_drops_integrity_and_points_up_the_tree(tmp_path):
    url = "https://code.jquery.com/jquery-3.7.1.min.js"
    site = _site(tmp_path, f'<script src="{url}" crossorigin="anonymous"></script>')
    _fake_package(tmp_path / "nm", "jquery", "3.7.1", {"dist/jquery.min.js": b"/* jq */"})
    report = make_offline(site, tmp_path / "nm")
    page = (site / "validations" / "page.html").read_text("utf-8")
    assert '<script src="../static/offline/jquery/dist/jquery.min.js"></script>' in page
    assert report.copied == ("static/offline/jquery/dist/jquery.min.js",)


def test_degraded_drops_every_package_even_those_installed(tmp_path):
    jq = "https://code.jquery.com/jquery-3.7.1.min.js"
    bs = "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"
    site = _site(
        tmp_path,
        f'<script src="{jq}"></script><script>$(".x").hide();</script>'
        f'<link rel="stylesheet" href="{bs}"><link rel="icon" href="../favicon.ico">'
        "<p>kept</p>",
    )
    _fake_package(tmp_path / "nm", "jquery", "3.7.1", {"dist/jquery.min.js": b"/* jq */"})
    report = make_offline(site, tmp_path / "nm", require_assets=False)
    page = (site / "validations" / "page.html").read_text("utf-8")
    assert report.degraded and report.missing == ("bootstrap@4.3.1: not installed",)
    assert report.removed == tuple(sorted((bs, jq)))
    assert report.copied == () and not (site / OFFLINE_DIR).exists()
    assert "<script" not in page and bs not in page
    assert '<link rel="icon" href="../favicon.ico">' in page
    assert page.startswith(f'<html><head></head><body><div id="{NOTICE_ID}"')
    assert page.endswith('</div><link rel="icon" href="../favicon.ico"><p>kept</p></body></html>')


def test_degraded_still_refuses_unknown_external_references(tmp_path):
    bs = "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"
    site = _site(
        tmp_path,
        f'<link rel="stylesheet" href="{bs}"><img src="https://img.example/track.gif">'
        '<script src="https://evil.example/x.js"></script>',
    )
    before = (site / "validations" / "page.html").read_text("utf-8")
    with pytest.raises(ProvauditError) as caught:
        make_offline(site, tmp_path / "nm", require_assets=False)
    message = str(caught.value)
    assert "validations/page.html: https://img.example/track.gif" in message
    assert "evil.example" not in message  # scripts are dropped, whatever their origin
    assert (site / "validations" / "page.html").read_text("utf-8") == before


def test_degraded_without_a_body_tag_still_shows_the_notice(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    url = "https://code.jquery.com/jquery-3.7.1.min.js"
    (site / "fragment.html").write_text(f'<script src="{url}"></script><p>x</p>', "utf-8")
    report = make_offline(site, tmp_path / "nm", require_assets=False)
    text = (site / "fragment.html").read_text("utf-8")
    assert report.degraded and text.startswith(f'<div id="{NOTICE_ID}"') and "<script" not in text


def test_no_assets_needed_is_never_degraded(tmp_path):
    site = _site(tmp_path, '<a href="https://greatexpectations.io">GX</a>')
    report = make_offline(site, tmp_path / "nm", require_assets=False)
    assert not report.degraded
    assert NOTICE_ID not in (site / "validations" / "page.html").read_text("utf-8")


# -- in a real browser ---------------------------------------------------------------------

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--disable-quic",
    "--force-color-profile=srgb",
    "--window-size=1280,900",
    # Belt and braces: even a request this test failed to notice could not resolve a host.
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


class DevTools:
    """A headless Chromium driven over the DevTools protocol on ``--remote-debugging-pipe``.

    The browser reads JSON commands on its fd 3 and writes replies and events on fd 4, each
    message ending in a NUL byte.
    """

    def __init__(self, executable: str, profile: Path, log: Path) -> None:
        to_browser_r, self._out = os.pipe()
        self._in, from_browser_w = os.pipe()
        # Lift the child's ends above 9 so that placing them on 3 and 4 cannot clobber them.
        child_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_browser_r)
        os.close(from_browser_w)
        argv = [
            executable,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self.pid = os.posix_spawn(
            executable,
            argv,
            dict(os.environ),
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
                (os.POSIX_SPAWN_DUP2, 1, 2),
                (os.POSIX_SPAWN_DUP2, child_r, 3),
                (os.POSIX_SPAWN_DUP2, child_w, 4),
            ],
            setsid=True,
        )
        os.close(child_r)
        os.close(child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(
        self,
        method: str,
        params: dict | None = None,
        session: str | None = None,
        timeout: float = 60,
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._out, data) :]
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event["params"]
            seen = len(self.events)
            self.events.append(self._read(deadline))

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        exited = False
        deadline = time.monotonic() + 10
        while not exited and time.monotonic() < deadline:
            exited = os.waitpid(self.pid, os.WNOHANG) != (0, 0)
            time.sleep(0 if exited else 0.1)
        try:  # whatever is left in the session the browser leads: its helpers, or itself
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if not exited:
            os.waitpid(self.pid, 0)
        os.close(self._in)
        os.close(self._out)


class Visit:
    """One page opened in its own tab: what it requested, what failed, what it threw."""

    def __init__(self, browser: DevTools, url: str, *, dark: bool = False) -> None:
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.target = target
        self.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Network", "Page", "Runtime", "Log"):
            browser.send(f"{domain}.enable", session=self.session)
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=self.session,
        )
        if dark:  # GX's stylesheet swaps in another logo for dark colour schemes
            browser.send(
                "Emulation.setEmulatedMedia",
                {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
                session=self.session,
            )
        browser.send("Page.navigate", {"url": url}, session=self.session)
        browser.wait_for("Page.loadEventFired", self.session)
        # Web fonts load when first used, and bootstrap-table fills its tables on load.
        self.evaluate("document.fonts.ready.then(() => new Promise(r => setTimeout(r, 300)))")

    def evaluate(self, expression: str) -> Any:
        result = self.browser.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session=self.session,
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def _events(self, method: str) -> list[dict[str, Any]]:
        return [
            e["params"]
            for e in self.browser.events
            if e.get("method") == method and e.get("sessionId") == self.session
        ]

    @property
    def requests(self) -> list[str]:
        return [e["request"]["url"] for e in self._events("Network.requestWillBeSent")]

    @property
    def failed(self) -> list[str]:
        urls = {
            e["requestId"]: e["request"]["url"] for e in self._events("Network.requestWillBeSent")
        }
        return [
            f"{urls.get(e['requestId'], '?')}: {e['errorText']}"
            for e in self._events("Network.loadingFailed")
        ]

    @property
    def errors(self) -> list[str]:
        thrown = [
            e["exceptionDetails"].get("exception", {}).get("description")
            or e["exceptionDetails"]["text"]
            for e in self._events("Runtime.exceptionThrown")
        ]
        logged = [
            f"{e['entry']['source']}: {e['entry']['text']}"
            for e in self._events("Log.entryAdded")
            if e["entry"]["level"] == "error"
        ]
        return thrown + logged

    def screenshot(self, path: Path) -> None:
        """Save the whole page: the viewport grows to the page so fixed footers sit last."""
        height = self.browser.send("Page.getLayoutMetrics", session=self.session)["cssContentSize"][
            "height"
        ]
        height = int(min(max(height, 900), 4000))
        self.browser.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=self.session,
        )
        self.evaluate("new Promise(r => requestAnimationFrame(() => setTimeout(r, 100)))")
        shot = self.browser.send("Page.captureScreenshot", {"format": "png"}, session=self.session)
        path.write_bytes(base64.b64decode(shot["data"]))

    def screenshot_for_docs(self, shot: Path, docs_copy: Path) -> Path:
        """Save the page to ``shot``; with PROVAUDIT_SCREENSHOTS=1 also copy it to ``docs_copy``
        (the README's screenshots under docs/). Returns ``shot``."""
        self.screenshot(shot)
        if os.environ.get("PROVAUDIT_SCREENSHOTS") == "1":
            docs_copy.parent.mkdir(exist_ok=True)
            shutil.copyfile(shot, docs_copy)
        return shot

    def close(self) -> None:
        self.browser.send("Target.closeTarget", {"targetId": self.target})


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    executable = _chromium()
    _require(executable is not None, "Chromium is not installed (Debian package: chromium)")
    work = tmp_path_factory.mktemp("chromium")
    devtools = DevTools(executable, work / "profile", work / "chromium.log")
    try:
        devtools.send("Browser.getVersion", timeout=120)
        yield devtools
    finally:
        devtools.close()


def _assert_stayed_local(visit: Visit) -> None:
    leaving = [u for u in visit.requests if not u.startswith(("file:", "data:", "blob:"))]
    assert leaving == [], f"requests that would leave the machine: {leaving}"
    assert visit.failed == [], f"local files that failed to load: {visit.failed}"
    assert visit.errors == [], f"errors in the page: {visit.errors}"


# What "styled" means, checked in the page: Bootstrap's navbar is a flex box, Font Awesome's
# solid face was loaded and used, jQuery and bootstrap-table ran, and the logo drew.
_STYLE_PROBE = """(() => {
  const nav = document.querySelector('nav.navbar');
  const logo = document.querySelector('.navbar-brand img');
  return {
    navbar: nav && getComputedStyle(nav).display,
    bodyFont: getComputedStyle(document.body).fontFamily,
    fontAwesome: [...document.fonts].filter(f => f.family.includes('Font Awesome')
                                              && f.status === 'loaded').length,
    jquery: typeof window.jQuery === 'function' && jQuery.fn.jquery,
    bootstrapTable: typeof window.jQuery === 'function'
                    && typeof jQuery.fn.bootstrapTable === 'function',
    vegaEmbed: typeof window.vegaEmbed === 'function',
    logo: logo ? logo.naturalWidth : 0,
  };
})()"""


def _assert_styled(probe: dict[str, Any]) -> None:
    assert probe["navbar"] == "flex", probe  # unstyled, a <nav> is a block
    assert "apple-system" in probe["bodyFont"], probe  # Bootstrap's reboot font stack
    assert probe["jquery"] == "3.7.1", probe
    assert probe["bootstrapTable"] and probe["vegaEmbed"], probe
    assert probe["fontAwesome"] >= 1, probe
    assert probe["logo"] > 0, probe


def test_validation_page_renders_offline_in_chromium(offline_site, browser, tmp_path):
    site, _ = offline_site
    visit = Visit(browser, _validation_page(site).as_uri())
    try:
        _assert_stayed_local(visit)
        _assert_styled(visit.evaluate(_STYLE_PROBE))
        text = visit.evaluate("document.body.innerText")
        assert SUITE in text and "unknown_license_share" in text
        shot = visit.screenshot_for_docs(tmp_path / "datadocs-validation.png", SCREENSHOT)
        assert shot.read_bytes().startswith(b"\x89PNG")
    finally:
        visit.close()


def test_index_page_lists_the_validation_in_chromium(offline_site, browser, tmp_path):
    site, _ = offline_site
    visit = Visit(browser, (site / "index.html").as_uri())
    try:
        _assert_stayed_local(visit)
        _assert_styled(visit.evaluate(_STYLE_PROBE))
        rows = visit.evaluate(
            "[...document.querySelectorAll('table tbody tr')].map(r => r.innerText)"
        )
        # bootstrap-table builds these rows from JavaScript data: offline without its
        # script, the table would be empty.
        assert any(SUITE in row for row in rows), rows
        assert visit.evaluate("document.querySelectorAll('tr[data-index]').length") >= 1
        visit.screenshot(tmp_path / "datadocs-index.png")
    finally:
        visit.close()


def test_dark_colour_scheme_takes_its_logo_from_the_site(offline_site, browser):
    site, _ = offline_site
    visit = Visit(browser, _validation_page(site).as_uri(), dark=True)
    try:
        _assert_stayed_local(visit)
        assert any(u.endswith(f"{OFFLINE_DIR}/provaudit/logo-dark.svg") for u in visit.requests)
    finally:
        visit.close()


# What a degraded page must still do: show the notice first, draw the logo, run no script.
_DEGRADED_PROBE = f"""(() => {{
  const notice = document.getElementById('{NOTICE_ID}');
  const logo = document.querySelector('.navbar-brand img');
  const box = notice && notice.getBoundingClientRect();
  return {{
    notice: notice ? notice.innerText.replace(/\\s+/g, ' ').trim() : '',
    noticeVisible: !!box && box.height > 0 && box.top < 100,
    scripts: document.scripts.length,
    jquery: typeof window.jQuery,
    logo: logo ? logo.naturalWidth : 0,
  }};
}})()"""


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("page", ["validation", "index"])
def test_degraded_pages_stay_local_in_chromium(degraded_site, browser, page, dark):
    site, _ = degraded_site
    path = _validation_page(site) if page == "validation" else site / "index.html"
    visit = Visit(browser, path.as_uri(), dark=dark)
    try:
        _assert_stayed_local(visit)  # no request off the machine, nothing broken, no error
        assert not any("dataContextId" in u or "amazonaws" in u for u in visit.requests)
        probe = visit.evaluate(_DEGRADED_PROBE)
        assert probe["notice"].startswith(NOTICE_TEXT), probe
        assert probe["noticeVisible"] and probe["logo"] > 0, probe
        assert probe["scripts"] == 0 and probe["jquery"] == "undefined", probe
        text = visit.evaluate("document.body.innerText")
        if page == "validation":
            assert SUITE in text and "unknown_license_share" in text
        else:
            assert "profiles-source_profile" in text  # listed by the notice
    finally:
        visit.close()
