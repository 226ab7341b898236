"""Make a built Great Expectations Data Docs site open offline: no request leaves the machine.

GX 1.x Data Docs pages load Bootstrap, jQuery, popper, bootstrap-table, bootstrap-datepicker,
Font Awesome and Vega from CDNs, and their logo from a GX bucket with a timestamp (and, for a
file context, the data context's id) in the query. Offline the index page stays empty (its
tables are filled by JavaScript) and every page is unstyled; online, each view tells GX who
is reading. ``make_offline`` runs after a Data Docs build and:

1. maps every external ``src``/``href``/``url()`` in the site's HTML and CSS to a file of an
   npm package pinned in the repository's ``package.json``, or to a local logo, or -- for
   plain ``<a href>`` links to GX's website -- to no link at all (the text stays);
2. copies only the referenced files (plus what a copied stylesheet references, such as Font
   Awesome's fonts, and each package's license) to ``static/offline/<package>/<path>``;
3. rewrites each reference relative to the page or stylesheet that holds it, dropping
   ``integrity``/``crossorigin`` (a ``file://`` page cannot pass a CORS check) after
   checking the local file against the integrity hash GX pinned;
4. fails, naming every file and URL, if any ``src``, ``href``, ``srcset`` or ``url()`` of
   the site's HTML or CSS still points off the machine.

Where the packages come from: the files the pages reference ship with provaudit as package
data, ``provaudit/reports/datadocs_assets/<package>/`` (laid out as a ``node_modules`` folder
holding only those files, each package's licence and a ``package.json`` with its name,
version and licence), so a plain ``pip install`` gives the full pages without Node. ``npm``
is only the way to refresh them: ``npm ci --ignore-scripts`` at the repository root, then
``python -m provaudit.reports.datadocs --refresh-assets`` copies what the pages reference
from ``node_modules`` into that folder (``refresh_assets``). vega and popper.js publish no
licence file in their npm packages; their upstream licence texts are kept in
``datadocs_assets/_upstream_licenses/`` and copied beside them. ``$PROVAUDIT_DOCS_ASSETS``
points ``make_offline`` at another ``node_modules``-like folder instead.

``annotate_validation_pages`` (called by the validate stage before ``make_offline``) makes
the validation pages speak the audit's language: each expectation's requirement ids, plain
description and suite parameters with their values, and the failing sources or batches
with their figures in place of GX's "≈x% of n total rows" and pandas snippet. GX offers
no place for these on a validation page (notes and meta show on suite pages only), so the
rows are rewritten here, every inserted value escaped.

Pure file manipulation: nothing here touches the network. Nothing is written before every
needed asset has been found, so a missing package leaves the site as GX built it.

Degraded mode (``require_assets=False``, used by ``provaudit validate`` so that a broken
install -- package data removed, or ``$PROVAUDIT_DOCS_ASSETS`` pointing at an incomplete
folder -- still gives pages): when packages are missing, the site is still made to stay on
the machine, but without its browser assets. Every ``<script>`` element (external ones would
leave the machine; inline ones only drive the missing libraries) and every ``<link>`` to an
external URL is removed, logos and website links are handled as above, and each page gets a
visible notice at the top of its body saying how to get the full pages (the index page also
lists the site's pages, since its tables are otherwise filled by JavaScript). Step 4 runs as
in the full mode.
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib.util
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple
from urllib.parse import quote, unquote, urlsplit

from provaudit.core.errors import InputError, ProvauditError

__all__ = [
    "ASSETS_ENV",
    "AUDIT_CLASS",
    "CDN_ASSETS",
    "NOTICE_ID",
    "OFFLINE_DIR",
    "PACKAGED_ASSETS",
    "Annotation",
    "Asset",
    "OfflineReport",
    "annotate_validation_pages",
    "find_external_references",
    "make_offline",
    "refresh_assets",
]

ASSETS_ENV = "PROVAUDIT_DOCS_ASSETS"
OFFLINE_DIR = "static/offline"
# The browser assets shipped as package data (a node_modules-like folder of only the files
# the pages reference); ``refresh_assets`` writes it from an ``npm ci`` install.
PACKAGED_ASSETS = Path(__file__).resolve().with_name("datadocs_assets")
UPSTREAM_LICENSES = "_upstream_licenses"  # licence texts for packages whose npm tarball has none


class Asset(NamedTuple):
    """One file of an npm package that stands in for a CDN URL."""

    package: str
    version: str  # the exact version GX pins, or a major ("5") where GX asks for "@5"
    path: str  # inside the package


# Every CDN URL the GX 1.24 templates reference (render/view/templates/page.j2, index_page.j2,
# page_minimal.j2, js_script_imports.j2). The 1.19.0 filter-control stylesheets are served
# from bootstrap-table 1.19.1: the files differ only in their version banner, and 1.19.1 is
# the version of the filter-control script the same pages load.
_BT = "https://unpkg.com/bootstrap-table"
_CDNJS = "https://cdnjs.cloudflare.com/ajax/libs"
CDN_ASSETS: dict[str, Asset] = {
    "https://cdn.jsdelivr.net/npm/vega@5": Asset("vega", "5", "build/vega.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-lite@5": Asset("vega-lite", "5", "build/vega-lite.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-embed@6": Asset(
        "vega-embed", "6", "build/vega-embed.min.js"
    ),
    f"{_CDNJS}/font-awesome/6.6.0/css/all.min.css": Asset(
        "@fortawesome/fontawesome-free", "6.6.0", "css/all.min.css"
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": Asset("jquery", "3.7.1", "dist/jquery.min.js"),
    f"{_CDNJS}/popper.js/1.12.9/umd/popper.min.js": Asset(
        "popper.js", "1.12.9", "dist/umd/popper.min.js"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": Asset(
        "bootstrap", "4.3.1", "dist/js/bootstrap.min.js"
    ),
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": Asset(
        "bootstrap", "4.3.1", "dist/css/bootstrap.min.css"
    ),
    f"{_BT}@1.19.1/dist/bootstrap-table.min.js": Asset(
        "bootstrap-table", "1.19.1", "dist/bootstrap-table.min.js"
    ),
    f"{_BT}@1.19.1/dist/bootstrap-table.min.css": Asset(
        "bootstrap-table", "1.19.1", "dist/bootstrap-table.min.css"
    ),
    f"{_BT}@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": Asset(
        "bootstrap-table",
        "1.19.1",
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    ),
    f"{_BT}@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": Asset(
        "bootstrap-table",
        "1.19.1",
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    ),
    f"{_BT}@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": Asset(
        "bootstrap-table",
        "1.19.1",
        "dist/extensions/filter-control/bootstrap-table-filter-control.css",
    ),
    f"{_CDNJS}/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": Asset(
        "bootstrap-datepicker", "1.9.0", "dist/js/bootstrap-datepicker.min.js"
    ),
    f"{_CDNJS}/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": Asset(
        "bootstrap-datepicker", "1.9.0", "dist/css/bootstrap-datepicker.min.css"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css": Asset(
        "@forevolve/bootstrap-dark", "1.1.0", "dist/css/bootstrap-prefers-dark.css"
    ),
}

# The logo bucket: URLs carry ``?d=<timestamp>[&dataContextId=<id>]``, so match on the path.
GX_WEB_ASSETS = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
_GX_LOGO = "static/images/logo-long.png"  # shipped by GX and copied into every site it builds
_DARK_LOGO = f"{OFFLINE_DIR}/provaudit/logo-dark.svg"  # GX ships no light-on-dark logo
_LOGOS = {"logo-long.png": _GX_LOGO, "full_logo_dark.png": _DARK_LOGO}
# Shown only under prefers-color-scheme: dark, as the navbar background (228.75 x 50 px).
_DARK_LOGO_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="366" height="80" \
viewBox="0 0 366 80" role="img" aria-label="Great Expectations">
<text x="8" y="52" fill="#f8f9fa" font-family="sans-serif" font-size="34">great_expectations</text>
</svg>
"""

_LICENSE_NAMES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "license")

# A reference is external when it names a scheme with an authority ("https://", "ws://") or
# is protocol-relative ("//host/..."). data: URIs are inline, and their SVG namespace
# ("http://www.w3.org/2000/svg") is an identifier, not a request.
_EXTERNAL_RE = re.compile(r"^\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//")
_URL_ATTRS = ("src", "href", "srcset", "poster", "background", "action", "formaction")
# Attribute references anywhere in the raw text, including markup inside JavaScript strings
# (hence the optional backslash before a quote).
_ATTR_RE = re.compile(
    r"(?<![\w-])(?:xlink:)?(?P<name>" + "|".join(_URL_ATTRS) + r")\s*=\s*"
    r"(?:\\?(?P<q>[\"'])(?P<quoted>.*?)\\?(?P=q)|(?P<bare>[^\s\"'<>`]+))",
    re.IGNORECASE | re.DOTALL,
)
_CSS_URL_RE = re.compile(r"url\(\s*(?P<q>[\"']?)(?P<url>.*?)(?P=q)\s*\)", re.IGNORECASE | re.DOTALL)
_CSS_IMPORT_RE = re.compile(r"@import\s+(?P<q>[\"'])(?P<url>.*?)(?P=q)", re.IGNORECASE)


# An element's start tag; quoted values may hold ">" (markup inside JavaScript strings too).
_TAG_RE = re.compile(r"<(?P<name>[a-zA-Z][\w-]*)\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")
_SRI_RE = re.compile(r"\bintegrity\s*=\s*[\"'](?P<value>[^\"']*)[\"']", re.IGNORECASE)
_SRI_ATTR_RE = re.compile(
    r"\s(?:integrity|crossorigin)(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?(?=[\s/>])",
    re.IGNORECASE,
)


class OfflineReport(NamedTuple):
    """What ``make_offline`` did; paths are relative to the site folder and sorted."""

    rewritten: dict[str, str]  # external URL -> the site file that now stands in for it
    copied: tuple[str, ...]  # files written under the site's static folder
    unlinked: tuple[str, ...]  # targets of links to websites whose href was removed
    repaired: tuple[str, ...]  # "file: ref" of relative links into static/ that GX got wrong
    files: tuple[str, ...]  # HTML and CSS files that changed
    degraded: bool = False  # assets missing: scripts and external stylesheets left out
    missing: tuple[str, ...] = ()  # "package@version: problem" when degraded
    removed: tuple[str, ...] = ()  # external script/link URLs removed when degraded


class _Ref(NamedTuple):
    url: str
    tag: str  # element name, lower case; "" for a CSS url() or @import
    attr: str  # attribute name, lower case; "" for CSS
    integrity: str  # the element's integrity attribute, "" when it has none


@dataclass
class _Plan:
    rewritten: dict[str, str] = field(default_factory=dict)  # url -> site path
    sources: dict[str, Path] = field(default_factory=dict)  # site path -> file to copy
    integrity: dict[str, str] = field(default_factory=dict)  # url -> integrity value
    unlinked: set[str] = field(default_factory=set)
    missing: dict[str, str] = field(default_factory=dict)  # "package@version" -> problem
    unknown: list[tuple[str, str]] = field(default_factory=list)  # (file, url)


def make_offline(
    site_dir: Path, assets_dir: Path | None = None, require_assets: bool = True
) -> OfflineReport:
    """Copy the assets a GX Data Docs site loads from CDNs into it and point its pages at them.

    ``assets_dir`` is a ``node_modules``-like folder holding the packages of ``CDN_ASSETS``;
    it defaults to ``$PROVAUDIT_DOCS_ASSETS``, else the assets shipped with the package
    (``PACKAGED_ASSETS``). When one is missing or has the wrong version, raises
    ``InputError`` naming the packages -- or, with ``require_assets=False``, degrades instead: the pages
    lose their scripts and external stylesheets, gain a notice saying how to install the
    assets, and the report says ``degraded``. Either way raises ``ProvauditError`` listing
    every file and URL that would still leave the machine.
    """
    site_dir = Path(site_dir)
    files = _site_files(site_dir)  # listed before any copy: copied stylesheets stay as shipped
    if not any(path.suffix != ".css" for path in files):
        raise InputError(f"{site_dir}: no Data Docs site here (no HTML page)")
    modules = _resolve_assets_dir(assets_dir)
    texts = {path: path.read_text(encoding="utf-8") for path in files}

    plan = _make_plan(texts, site_dir, modules)
    missing: tuple[str, ...] = ()
    removed: set[str] = set()
    if plan.missing:
        if require_assets:
            raise InputError(_missing_message(plan.missing, modules))
        missing = tuple(f"{key}: {why}" for key, why in sorted(plan.missing.items()))
        for path in files:
            if path.suffix != ".css":
                texts[path] = _strip_assets(texts[path], removed)
        # Planned again without packages: a CDN URL left outside a script or link is unknown.
        plan = _make_plan(texts, site_dir, None)
    if plan.unknown:
        raise ProvauditError(
            _listing(site_dir, plan.unknown, "has external references it cannot serve offline")
        )
    for url, sri in plan.integrity.items():
        _check_integrity(plan.sources[plan.rewritten[url]], sri, url)

    copied = _copy_assets(site_dir, plan)
    changed, repaired = [], []
    for path in files:
        text = path.read_text(encoding="utf-8")
        new, fixed = _rewrite(texts[path], path, site_dir, plan.rewritten)
        if missing and path.suffix != ".css":
            new = _add_notice(new, path, site_dir, files)
        repaired += [f"{_rel(path, site_dir)}: {ref}" for ref in fixed]
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(_rel(path, site_dir))

    remaining = list(find_external_references(site_dir))
    if remaining:
        raise ProvauditError(_listing(site_dir, remaining, "still has external references"))
    return OfflineReport(
        rewritten=dict(sorted(plan.rewritten.items())),
        copied=tuple(sorted(copied)),
        unlinked=tuple(sorted(plan.unlinked)),
        repaired=tuple(sorted(repaired)),
        files=tuple(sorted(changed)),
        degraded=bool(missing),
        missing=missing,
        removed=tuple(sorted(removed)),
    )


def find_external_references(site_dir: Path) -> Iterator[tuple[str, str]]:
    """Yield ``(file, url)`` for each src/href/srcset/url()/@import that leaves the machine.

    Scans the raw text of every HTML and CSS file of the site, markup inside JavaScript
    strings included; data: URIs are inline and never count.
    """
    site_dir = Path(site_dir)
    for path in _site_files(site_dir):
        text = path.read_text(encoding="utf-8")
        refs = [m.group("url") for m in _CSS_URL_RE.finditer(text)]
        refs += [m.group("url") for m in _CSS_IMPORT_RE.finditer(text)]
        if path.suffix != ".css":
            refs += [url for m in _ATTR_RE.finditer(text) for url in _attr_urls(m)]
        for url in dict.fromkeys(u.strip() for u in refs):
            if _is_external(url):
                yield _rel(path, site_dir), url


# -- finding and planning ------------------------------------------------------------------


def _resolve_assets_dir(assets_dir: Path | None) -> Path:
    if assets_dir is not None:
        return Path(assets_dir)
    if os.environ.get(ASSETS_ENV):
        return Path(os.environ[ASSETS_ENV])
    return PACKAGED_ASSETS


def _site_files(site_dir: Path) -> list[Path]:
    return sorted(
        p
        for p in site_dir.rglob("*")
        if p.suffix.lower() in (".html", ".htm", ".css") and p.is_file()
    )


def _is_external(url: str) -> bool:
    return not url.startswith("data:") and bool(_EXTERNAL_RE.match(url))


def _attr_urls(match: re.Match[str]) -> list[str]:
    value = (match.group("quoted") if match.group("q") else match.group("bare")) or ""
    if match.group("name").lower() == "srcset":
        return [part.split()[0] for part in value.split(",") if part.strip()]
    return [value.strip()]


def _references(text: str, *, css: bool) -> Iterator[_Ref]:
    """Yield the external references of one HTML or CSS text, with the element holding each."""
    for regex in (_CSS_URL_RE, _CSS_IMPORT_RE):
        for match in regex.finditer(text):
            if _is_external(match.group("url").strip()):
                yield _Ref(match.group("url").strip(), "", "", "")
    if css:
        return
    for tag in _TAG_RE.finditer(text):
        sri = _SRI_RE.search(tag.group(0))
        for attr in _ATTR_RE.finditer(tag.group(0)):
            for url in _attr_urls(attr):
                if _is_external(url):
                    yield _Ref(
                        url,
                        tag.group("name").lower(),
                        attr.group("name").lower(),
                        sri.group("value") if sri else "",
                    )


def _make_plan(texts: dict[Path, str], site_dir: Path, modules: Path | None) -> _Plan:
    plan = _Plan()
    for path, text in texts.items():
        for ref in _references(text, css=path.suffix == ".css"):
            _plan_reference(plan, modules, ref, _rel(path, site_dir))
    return plan


def _plan_reference(plan: _Plan, modules: Path | None, ref: _Ref, where: str) -> None:
    """Plan one reference; without ``modules`` (degraded mode) a CDN URL cannot be served."""
    if ref.url in plan.rewritten:  # seen on an earlier page
        if ref.integrity:
            plan.integrity[ref.url] = ref.integrity
        return
    asset = CDN_ASSETS.get(ref.url)
    if asset is not None and modules is not None:
        source = _package_file(plan, modules, asset)
        if source is None:
            return
        target = f"{OFFLINE_DIR}/{asset.package}/{asset.path}"
        plan.rewritten[ref.url] = target
        plan.sources[target] = source
        if ref.integrity:
            plan.integrity[ref.url] = ref.integrity
        package_dir = modules / asset.package
        extras = list(_stylesheet_dependencies(source, package_dir))
        license_file = _license(package_dir)
        if license_file is not None:
            extras.append((license_file.name, license_file))
        for inner, extra in extras:
            plan.sources.setdefault(f"{OFFLINE_DIR}/{asset.package}/{inner}", extra)
    elif ref.url.startswith(GX_WEB_ASSETS) and _logo_name(ref.url) in _LOGOS:
        plan.rewritten[ref.url] = _LOGOS[_logo_name(ref.url)]
    elif ref.tag == "a" and ref.attr == "href":
        plan.unlinked.add(ref.url)
    else:
        plan.unknown.append((where, ref.url))


def _logo_name(url: str) -> str:
    return urlsplit(html.unescape(url)).path.rsplit("/", 1)[-1]


def _package_file(plan: _Plan, modules: Path, asset: Asset) -> Path | None:
    """Return the package's file for ``asset``, or note in ``plan.missing`` why there is none."""
    key = f"{asset.package}@{asset.version}"
    manifest = modules / asset.package / "package.json"
    if not manifest.is_file():
        plan.missing[key] = "not installed"
        return None
    installed = str(json.loads(manifest.read_text(encoding="utf-8")).get("version", "?"))
    if not _version_matches(asset.version, installed):
        plan.missing[key] = f"{installed} installed instead"
        return None
    source = modules / asset.package / asset.path
    if not source.is_file():
        plan.missing[key] = f"{asset.path} missing from the installed package"
        return None
    return source


def _version_matches(wanted: str, installed: str) -> bool:
    """An exact version must match exactly; a major ("5", as in GX's "vega@5") any 5.x.y."""
    if wanted.count(".") == 2:
        return installed == wanted
    return installed.split(".")[0] == wanted and "-" not in installed


def _stylesheet_dependencies(css: Path, package_dir: Path) -> Iterator[tuple[str, Path]]:
    """Yield (path in package, file) for what a stylesheet loads, e.g. Font Awesome's fonts."""
    if css.suffix != ".css":
        return
    root = package_dir.resolve()
    seen: set[Path] = set()
    todo = [css]
    while todo:
        sheet = todo.pop()
        text = sheet.read_text(encoding="utf-8")
        for match in (*_CSS_URL_RE.finditer(text), *_CSS_IMPORT_RE.finditer(text)):
            ref = match.group("url").strip()
            if not ref or ref.startswith(("data:", "#")) or _is_external(ref):
                continue
            target = (sheet.parent / unquote(urlsplit(ref).path)).resolve()
            if target in seen or not target.is_file() or not target.is_relative_to(root):
                continue
            seen.add(target)
            yield target.relative_to(root).as_posix(), target
            if target.suffix == ".css":
                todo.append(target)


def _license(package_dir: Path) -> Path | None:
    return next((package_dir / n for n in _LICENSE_NAMES if (package_dir / n).is_file()), None)


def _check_integrity(source: Path, sri: str, url: str) -> None:
    """Refuse a package file whose bytes differ from the hash the Data Docs pin for its URL."""
    for token in sri.split():
        algorithm, _, expected = token.partition("-")
        if algorithm not in ("sha256", "sha384", "sha512"):
            continue
        digest = base64.b64encode(hashlib.new(algorithm, source.read_bytes()).digest()).decode()
        if digest != expected:
            raise ProvauditError(
                f"{source}: its {algorithm} differs from the integrity hash the Data Docs pin "
                f"for {url}; reinstall provaudit, or refresh the assets with "
                "`npm ci --ignore-scripts` and `python -m provaudit.reports.datadocs "
                "--refresh-assets`"
            )


# -- writing -------------------------------------------------------------------------------


def _copy_assets(site_dir: Path, plan: _Plan) -> list[str]:
    written = []
    for site_path, source in sorted(plan.sources.items()):
        target = site_dir / site_path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(site_path)
    targets = set(plan.rewritten.values())
    if _DARK_LOGO in targets:
        (site_dir / _DARK_LOGO).parent.mkdir(parents=True, exist_ok=True)
        (site_dir / _DARK_LOGO).write_text(_DARK_LOGO_SVG, encoding="utf-8")
        written.append(_DARK_LOGO)
    if _GX_LOGO in targets and not (site_dir / _GX_LOGO).is_file():
        # A site built with custom static assets lacks GX's logo: take it from the package.
        spec = importlib.util.find_spec("great_expectations")
        shipped = (
            Path(spec.origin).parent / "render" / "view" / _GX_LOGO
            if spec is not None and spec.origin
            else None
        )
        if shipped is None or not shipped.is_file():
            raise InputError(f"{site_dir / _GX_LOGO}: missing, and no GX package ships it")
        (site_dir / _GX_LOGO).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shipped, site_dir / _GX_LOGO)
        written.append(_GX_LOGO)
    return written


def _rewrite(
    text: str, path: Path, site_dir: Path, rewritten: dict[str, str]
) -> tuple[str, list[str]]:
    """Point each planned reference of one file at its local copy, relative to that file.

    Also returns the relative links into ``static/`` that pointed nowhere and now point at
    the site's file (GX 1.24 puts a validation page's favicon one folder too shallow).
    """
    repaired: list[str] = []

    def relative(site_path: str) -> str:
        relative = os.path.relpath(site_dir / site_path, path.parent).replace(os.sep, "/")
        return quote(relative, safe="/@")

    def local(url: str) -> str | None:
        target = rewritten.get(url.strip())
        return None if target is None else relative(target)

    def in_css(match: re.Match[str]) -> str:
        new = local(match.group("url"))
        return match.group(0) if new is None else match.group(0).replace(match.group("url"), new, 1)

    text = _CSS_IMPORT_RE.sub(in_css, _CSS_URL_RE.sub(in_css, text))
    if path.suffix == ".css":
        return text, repaired

    def in_tag(tag: re.Match[str]) -> str:
        out, pointed = tag.group(0), False
        for attr in _ATTR_RE.finditer(tag.group(0)):
            url = _attr_urls(attr)[0] if attr.group("name").lower() != "srcset" else ""
            if not _is_external(url):
                fixed = _repair_static(url, path, site_dir)
                if fixed is not None:
                    out = out.replace(
                        attr.group(0), attr.group(0).replace(url, relative(fixed), 1), 1
                    )
                    repaired.append(url)
                continue
            new = local(url)
            if new is not None:
                # Replace only the URL, so JavaScript-escaped quotes stay as they were.
                out = out.replace(attr.group(0), attr.group(0).replace(url, new, 1), 1)
                pointed = True
            elif tag.group("name").lower() == "a" and attr.group("name").lower() == "href":
                out = out.replace(attr.group(0), "", 1)  # a link to a website: keep the text
        if pointed:  # a file:// page fails the CORS check that integrity/crossorigin demand
            out = _SRI_ATTR_RE.sub("", out)
        return out

    return _TAG_RE.sub(in_tag, text), repaired


# -- degraded mode -------------------------------------------------------------------------

# A script element up to the first end tag, as an HTML parser reads it.
_SCRIPT_RE = re.compile(
    r"<script\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>.*?</script\s*>", re.IGNORECASE | re.DOTALL
)
_BODY_RE = re.compile(r"<body\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.IGNORECASE)
NOTICE_ID = "provaudit-offline-notice"
_NOTICE = (
    f'<div id="{NOTICE_ID}" role="note" style="margin:0 0 1em 0;padding:0.75em 1em;'
    "border:2px solid #b35900;background:#fff4e5;color:#1a1a1a;font-family:sans-serif;"
    'font-size:16px;line-height:1.4">'
    "<strong>Offline assets not installed:</strong> this page is shown without styles and "
    "scripts. Reinstall provaudit (its package data holds them; or set "
    f"<code>{ASSETS_ENV}</code> to a folder that has them) and validate again for the full "
    "Data Docs.{pages}</div>"
)


def _strip_assets(text: str, removed: set[str]) -> str:
    """Remove every script element and every link element pointing off the machine."""

    def script(match: re.Match[str]) -> str:
        start = _TAG_RE.match(match.group(0))
        for attr in _ATTR_RE.finditer(start.group(0) if start else ""):
            removed.update(u for u in _attr_urls(attr) if _is_external(u))
        return ""

    def link(tag: re.Match[str]) -> str:
        if tag.group("name").lower() != "link":
            return tag.group(0)
        urls = [u for a in _ATTR_RE.finditer(tag.group(0)) for u in _attr_urls(a)]
        external = [u for u in urls if _is_external(u)]
        removed.update(external)
        return "" if external else tag.group(0)

    return _TAG_RE.sub(link, _SCRIPT_RE.sub(script, text))


def _add_notice(text: str, path: Path, site_dir: Path, files: list[Path]) -> str:
    """Put the degraded-mode notice first in the page's body (once)."""
    if NOTICE_ID in text:
        return text
    pages = ""
    if path == site_dir / "index.html":  # its tables are filled by JavaScript: list the pages
        items = "".join(
            f'<li><a href="{quote(_rel(page, site_dir), safe="/@")}">'
            f"{html.escape(_rel(page, site_dir).removesuffix('.html'))}</a></li>"
            for page in files
            if page.suffix != ".css" and page != path
        )
        if items:
            pages = f'<p style="margin:0.5em 0 0 0">Pages of this site:</p><ul>{items}</ul>'
    notice = _NOTICE.format(pages=pages)
    body = _BODY_RE.search(text)
    if body is None:
        return notice + text
    return text[: body.end()] + notice + text[body.end() :]


def _repair_static(url: str, path: Path, site_dir: Path) -> str | None:
    """Return the site path a broken relative link into ``static/`` meant, if it exists."""
    parts = urlsplit(url)
    if (
        not url
        or parts.scheme
        or parts.netloc
        or url.startswith(("#", "/"))
        or "static/" not in parts.path
        or (path.parent / unquote(parts.path)).exists()
    ):
        return None
    meant = "static/" + parts.path.split("static/", 1)[1]
    return meant if (site_dir / unquote(meant)).is_file() else None


def _rel(path: Path, site_dir: Path) -> str:
    return PurePosixPath(path.relative_to(site_dir)).as_posix()


def _missing_message(missing: dict[str, str], modules: Path) -> str:
    lines = "\n".join(f"  {package}: {why}" for package, why in sorted(missing.items()))
    return (
        f"{modules}: npm packages the offline Data Docs need are missing:\n{lines}\n"
        "provaudit ships them as package data: reinstall it, or refresh them with "
        "`npm ci --ignore-scripts` at the repository root (package.json pins them) and "
        "`python -m provaudit.reports.datadocs --refresh-assets`, or set "
        f"{ASSETS_ENV} to a node_modules folder that has them"
    )


def _listing(site_dir: Path, found: list[tuple[str, str]], what: str) -> str:
    lines = "\n".join(f"  {file}: {url}" for file, url in found)
    return f"{site_dir}: the Data Docs site {what}:\n{lines}"


# -- the packaged assets -------------------------------------------------------------------


def refresh_assets(node_modules: Path, target: Path = PACKAGED_ASSETS) -> list[str]:
    """Copy the files the Data Docs pages reference from an npm install into ``target``.

    For each package of ``CDN_ASSETS``: the referenced files, what a copied stylesheet loads
    (Font Awesome's fonts), the package's licence file (or, when its npm tarball has none,
    ``target/_upstream_licenses/<package>.LICENSE``) and a ``package.json`` holding only its
    name, version and licence. Each package folder is replaced whole, so a file the pages no
    longer use does not linger. Raises ``InputError`` naming every package that is missing,
    has the wrong version or has no licence text, before anything is written. Returns the
    written paths relative to ``target``, sorted.
    """
    node_modules, target = Path(node_modules), Path(target)
    plan = _Plan()
    wanted: dict[str, dict[str, Path]] = {}  # package -> path in package -> source file
    manifests: dict[str, dict[str, Any]] = {}
    for asset in CDN_ASSETS.values():
        source = _package_file(plan, node_modules, asset)
        if source is None:
            continue
        package_dir = node_modules / asset.package
        files = wanted.setdefault(asset.package, {})
        files[asset.path] = source
        files.update(_stylesheet_dependencies(source, package_dir))
        manifest = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
        manifests[asset.package] = {
            key: manifest[key] for key in ("name", "version", "license") if key in manifest
        }
        licence = _license(package_dir)
        upstream = target / UPSTREAM_LICENSES / f"{asset.package.replace('/', '+')}.LICENSE"
        if licence is not None:
            files[licence.name] = licence
        elif upstream.is_file():
            files["LICENSE"] = upstream
        else:
            plan.missing[f"{asset.package}@{asset.version}"] = (
                f"no licence file in the npm package and none at {upstream}"
            )
    if plan.missing:
        raise InputError(_missing_message(plan.missing, node_modules))
    written = []
    for package in sorted(wanted):
        folder = target / package
        if folder.exists():
            shutil.rmtree(folder)
        for inner, source in sorted(wanted[package].items()):
            (folder / inner).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, folder / inner)
            written.append(f"{package}/{inner}")
        (folder / "package.json").write_text(
            json.dumps(manifests[package], indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        written.append(f"{package}/package.json")
    return sorted(written)


def main(argv: list[str] | None = None) -> int:
    """``python -m provaudit.reports.datadocs --refresh-assets [--node-modules DIR]``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m provaudit.reports.datadocs",
        description="Refresh the Data Docs browser assets shipped with provaudit from an "
        "`npm ci --ignore-scripts` install (package.json pins the versions GX's pages use).",
    )
    parser.add_argument("--refresh-assets", action="store_true", required=True,
                        help="copy the referenced files into the package's datadocs_assets/")
    parser.add_argument("--node-modules", type=Path, default=Path("node_modules"),
                        help="the npm install to copy from (default: ./node_modules)")
    parser.add_argument("--target", type=Path, default=PACKAGED_ASSETS,
                        help=f"the folder to write (default: {PACKAGED_ASSETS})")
    args = parser.parse_args(argv)
    try:
        written = refresh_assets(args.node_modules, args.target)
    except ProvauditError as error:
        print(f"provaudit: error: {error}")
        return 2
    size = sum((args.target / path).stat().st_size for path in written)
    print(f"{args.target}: {len(written)} files, {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# -- the audit's language on validation pages ----------------------------------------------


class Annotation(NamedTuple):
    """What provaudit adds to one expectation's row of a validation page (plain data)."""

    column: str | None  # the expectation's column; None for a table-level expectation
    requirement_ids: tuple[str, ...]
    description: str
    parameters: tuple[tuple[str, str], ...]  # (suite parameter, its value as shown)
    unit: str  # what a row is: "sources", "batches"
    total: int  # rows the expectation looked at
    failing: tuple[tuple[str, str], ...]  # (source or batch, its figure) of each failing row


AUDIT_CLASS = "provaudit-audit"
_SECTION_RE = re.compile(
    r'<div id="(?P<section>section-\d+)" class="ge-section[^"]*"\s*>(?P<body>.*?)'
    r'(?=<div id="section-\d+" class="ge-section|<footer|\Z)',
    re.DOTALL,
)
_HEADER_RE = re.compile(r'<h5 class="m-0"\s*>\s*(?P<name>.*?)\s*</h5>', re.DOTALL)
_RETRIEVE_RE = re.compile(
    r'<div id="[^"]*-content-\d+-parent"\s*>\s*<p class="m-0">\s*<a [^>]*>\s*To retrieve all '
    r"unexpected values\.\.\.\s*</a>.*?</code>\s*</div>\s*</div>",
    re.DOTALL,
)
_UNEXPECTED_RE = re.compile(
    r'<strong class="text-danger"\s*>\s*<br><br>[^<]*?unexpected values? found\.[^<]*</strong>'
)
_OBSERVED_RE = re.compile(r'(<div class="show-scrollbars">)\s*≈?[\d.]+% unexpected\s*(</div>)')


def annotate_validation_pages(site_dir: Path, annotations: dict[str, list[Annotation]]) -> list[str]:
    """Write each expectation's requirement ids, description, parameters and failing rows.

    ``annotations`` maps a suite name to its expectations' annotations in the order of its
    validation results; a validation page (``validations/<suite>/...``) shows them grouped by
    column in that order, so the k-th row of a column's table is the k-th annotation of that
    column. Also replaces GX's "≈x% of n total rows" sentence and its pandas snippet with the
    failing rows named, and the observed "x% unexpected" with "f of n <unit> fail". Every
    inserted value is HTML-escaped. Raises ``ProvauditError`` naming the page when its rows do
    not match the annotations; a row annotated before is left as it is. Returns changed pages.
    """
    changed = []
    for page in sorted(Path(site_dir).glob("validations/*/**/*.html")):
        suite = page.relative_to(site_dir).parts[1]
        if suite not in annotations:
            continue
        text = page.read_text(encoding="utf-8")
        new = _annotate_page(text, annotations[suite], page)
        if new != text:
            page.write_text(new, encoding="utf-8")
            changed.append(_rel(page, Path(site_dir)))
    return changed


def _annotate_page(text: str, annotations: list[Annotation], page: Path) -> str:
    by_column: dict[str, list[Annotation]] = {}
    for note in annotations:
        by_column.setdefault(note.column or "Table-Level Expectations", []).append(note)

    def section(match: re.Match[str]) -> str:
        header = _HEADER_RE.search(match.group("body"))
        column = html.unescape(header.group("name")) if header else None
        if column not in by_column:
            return match.group(0)
        notes = by_column[column]
        sid = match.group("section")
        body = match.group("body")
        rows = sorted({int(n) for n in re.findall(rf'id="{sid}-content-block-2-cell-(\d+)-2"', body)})
        if rows != list(range(1, len(notes) + 1)):
            raise ProvauditError(
                f"{page}: column {column!r} shows {len(rows)} expectations, the validation "
                f"results hold {len(notes)}; cannot annotate the page"
            )
        for number, note in zip(rows, notes):
            body = _annotate_row(body, f"{sid}-content-block-2-cell-{number}", note)
        return match.group(0).replace(match.group("body"), body, 1)

    return _SECTION_RE.sub(section, text)


def _annotate_row(body: str, cell: str, note: Annotation) -> str:
    start = body.find(f'<td id="{cell}-2" >')
    end = body.find(f'<td id="{cell}-3" >', start)
    if start < 0 or end < 0:
        return body
    expectation = body[start:end]
    if AUDIT_CLASS in expectation:  # annotated before
        return body
    opening = _rule_end(expectation, len(f'<td id="{cell}-2" >'))
    audit = _audit_block(note)
    expectation = expectation[:opening] + audit + expectation[opening:]
    expectation = _UNEXPECTED_RE.sub("", expectation)
    expectation = _RETRIEVE_RE.sub("", expectation)
    rest = body[end:]
    closing = rest.find("</tr>")
    observed = _OBSERVED_RE.sub(
        lambda m: m.group(1) + html.escape(_observed(note)) + m.group(2), rest[:closing], count=1
    )
    return body[:start] + expectation + observed + rest[closing:]


_SPAN_RE = re.compile(r"<(/?)span\b[^>]*>", re.IGNORECASE)


def _rule_end(cell: str, default: int) -> int:
    """Where GX's rendered rule (the cell's first, possibly nested, ``<span>``) ends."""
    depth = 0
    for match in _SPAN_RE.finditer(cell):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            return match.end()
    return default


def _observed(note: Annotation) -> str:
    if not note.failing:
        return f"all {note.total} {note.unit} pass"
    return f"{len(note.failing)} of {note.total} {note.unit} fail"


def _audit_block(note: Annotation) -> str:
    esc = html.escape
    parts = [f'<div class="{AUDIT_CLASS} mt-2">']
    if note.requirement_ids:
        badges = " ".join(
            f'<span class="badge badge-info provaudit-requirement">{esc(r)}</span>'
            for r in note.requirement_ids
        )
        parts.append(f'<p class="m-0">Requirements: {badges}</p>')
    if note.description:
        parts.append(f'<p class="m-0 provaudit-description">{esc(note.description)}</p>')
    if note.parameters:
        values = "; ".join(f"<code>{esc(k)}</code> = {esc(v)}" for k, v in note.parameters)
        parts.append(f'<p class="m-0 provaudit-parameters">Parameters: {values}</p>')
    if note.failing:
        items = "".join(f"<li>{esc(name)}: {esc(figure)}</li>" for name, figure in note.failing)
        parts.append(
            f'<p class="m-0 mt-1 text-danger provaudit-failing"><strong>Failing {esc(note.unit)}'
            f" ({len(note.failing)} of {note.total}):</strong></p><ul class=\"m-0\">{items}</ul>"
        )
    parts.append("</div>")
    return "".join(parts)
