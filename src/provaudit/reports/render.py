"""Render disclosure documents to self-contained HTML and Markdown, and the per-run index page.

Pure functions over plain dicts: no Beam, no network, standard library only. Every text value
is escaped (``html.escape(..., quote=True)`` in HTML and SVG; ``& < >``, ``|``, newlines and
Markdown's inline markers in Markdown). Pages carry their CSS inline and contain no script,
no external font, image or stylesheet and no absolute URL; links inside a page are ``#id``
anchors, links from the index page are relative paths (anything else is refused).

    render_html(doc, lang="en")  -> one HTML page: verdict badge, contents, sections with inline SVG charts
    render_markdown(doc)  -> GitHub-flavoured Markdown (charts become small tables of their data)
    render_index(page, sections=(), lang="en")
                          -> the run's index.html: verdict, per-source legitimacy, failures, links

The renderer's own words (kind names, status and verdict words, "Contents", "To be completed
by a person:", the footer) come from the message catalogues (:mod:`provaudit.reports.messages`),
in the page's language: ``lang`` (a catalogue language, default "en") also sets ``<html lang>``
and the printed "Page x / y". The document's own text is shown as given, in whatever language
its builder wrote it (documents in another language: :mod:`provaudit.reports.cn_annex`,
:mod:`provaudit.reports.localised`).

Every SVG chart carries a <title> and a <desc> naming its largest values. Printed pages are A4
with a running footer (the document's title and date, "Page x / y"); tables wrap inside the page
and print at 8.5 pt; a chart wider than an A4 page's content prints on a landscape page.

Output is deterministic: the same document renders to the same bytes. A value outside the
enumerations below (a status, a chart type) or a chart whose lengths disagree raises
``ValueError``. Table columns whose name contains "share" are shown as percentages with one
decimal, like chart values whose unit is "share"; other numbers are right-aligned with
thousands separators; ``null`` shows as "—".

The contract (shared with the builders in ``provaudit.reports.disclosures``):

A disclosure is a JSON document (Python dict) of this shape; builders (src/provaudit/disclosures.py)
produce it, renderers (src/provaudit/render.py) turn it into self-contained HTML and Markdown.
All text is plain text: renderers escape it. Numbers are JSON numbers (shares in [0, 1]).

Document = {
  "schema_version": 1,
  "kind": "legitimate_sources" | "labelling_process" | "cn_filing_annex" | "eu_training_summary"
          | "ca_ab2013",
  "title": str,
  "run_id": str,
  "generated_by": str,                      # "provaudit 0.1.0"
  "verdict": {"status": "pass" | "fail" | "partial" | "complete", "summary": str},
  "statements": {"fields": int, "filled": int, "open": [{"id", "label", "section", "who"}]},  # optional:
                                            # the open fields, listed once on top
  "facts": { ... },                         # machine-readable figures, kind-specific
  "sections": [Section, ...]
}
Section = {
  "id": str, "heading": str,
  "paragraphs": [str, ...],
  "table": null | {"columns": [str, ...], "rows": [[str | number | null, ...], ...]},
  "chart": null | Chart,
  "requirements": [ {"id": str,
                     "status": "evidenced" | "partly-evidenced" | "failed" | "not-evidenced" | "statement-needed",
                     "detail": str}, ... ],
  "human_fields": [ {"id": str, "label": str, "hint": str}, ... ]   # left for a person to fill;
                    # optional "who" and "statement": {"text", "author", "date", "attachment"?}
                    # (a filled field shows its statement "by AUTHOR on DATE" instead of a box)
}
Chart = {
  "type": "bar" | "stacked_bar" | "heatmap" | "line",
  "title": str, "unit": "count" | "share",
  "x_label": str, "y_label": str,   # bar, stacked_bar (horizontal): x = the value axis (what the
                                    # bars count), y = the categories; line: x = categories, y =
                                    # values; heatmap: y = rows, x = columns
                                    # series named "<code> · <name>" are languages: fixed colours
                                    # (provaudit.reports.languages); a series "other ..." is grey
  "categories": [str, ...],                                  # bars / rows / x values
  "series": [ {"name": str, "values": [number, ...]} , ...], # bar: 1; stacked_bar, line: several
  "columns": [str, ...], "matrix": [[number, ...], ...]      # heatmap only (rows = categories)
}
IndexPage = {
  "run_id": str, "generated_by": str,
  "verdict": {"status": "pass" | "fail", "summary": str},
  "sources": [ {"name": str, "role": "train" | "eval", "legitimate": bool,
                "reasons": [str, ...]} ],   # why not legitimately documented (empty when legitimate)
  "failures": [ {"suite": str, "requirement_ids": [str], "description": str, "failing": [str]} ],
  "links": [ {"label": str, "href": str, "description": str} ]     # relative hrefs only
}
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from provaudit.reports.languages import (
    FIXED_COLOURS,
    OTHER_COLOUR,
    PALETTE,
    language_code,
    language_colour,
)
from provaudit.reports.messages import check_language, t

__all__ = ["render_html", "render_index", "render_markdown"]

VERDICTS = ("pass", "fail", "partial", "complete")
REQUIREMENT_STATUSES = ("evidenced", "partly-evidenced", "failed", "not-evidenced", "statement-needed")
CHART_TYPES = ("bar", "stacked_bar", "heatmap", "line")
UNITS = ("count", "share")



def _status_word(status: str, lang: str = "en") -> str:
    """A requirement status in words (the catalogue's ``status.<status>``)."""
    return t(f"status.{status}", lang)


def _kind_word(kind: str, lang: str = "en") -> str:
    """A disclosure kind in words (``kind.<kind>``); an unknown kind shows as itself."""
    from provaudit.reports.messages import catalogue

    return t(f"kind.{kind}", lang) if f"kind.{kind}" in catalogue(lang)["messages"] else kind

# Okabe-Ito, the colour-blind-safe palette; each with the text colour readable on it.
_PALETTE = (
    ("#0072B2", "#ffffff"),
    ("#E69F00", "#000000"),
    ("#009E73", "#ffffff"),
    ("#CC79A7", "#000000"),
    ("#56B4E9", "#000000"),
    ("#D55E00", "#ffffff"),
    ("#F0E442", "#000000"),
    ("#000000", "#ffffff"),
)
_DASHES = ("", "6 3", "2 3", "8 3 2 3")  # line series differ by dash as well as colour
_EMPTY = "—"
_ELLIPSIS = "…"
_CHAR_W = 7.0  # estimated width of one character of 12px chart text, in px
# Category labels are cut at this many characters, so that a bar chart is at most
# 28 * 7 + 14 + 400 + 84 = 694 px wide: on an A4 page (680 px of content at 96 dpi) its
# 12 px text prints at 8.8 pt or more.
_LABEL_CHARS = 28
_WIDE = 720  # a chart wider than this prints on a landscape page (see _CSS, @page wide)
_MANY = 20  # bar charts with more bars than this use thinner bars


# -- text ----------------------------------------------------------------------------------


def _e(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape(str(value), quote=True)


def _columns(text: str) -> int:
    """Character cells ``text`` takes: two for a wide (East Asian) character, one for others."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(label: str, max_chars: int) -> str:
    """Truncate to ``max_chars`` characters, ending in an ellipsis when cut."""
    max_chars = max(max_chars, 2)
    return label if len(label) <= max_chars else label[: max_chars - 1].rstrip() + _ELLIPSIS


def _slug(raw: str, taken: set[str]) -> str:
    """A safe, unique anchor id for a section id."""
    base = "s-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", raw).strip("-") or "section")
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _choice(value: Any, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")
    return value


# -- numbers -------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(value: Any, unit: str = "count") -> str:
    """A number as text: shares as percentages with one decimal, counts with separators."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return _EMPTY
    if unit == "share":
        return f"{value * 100:.1f}%"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def _cell_text(value: Any, column: str) -> str:
    if value is None:
        return _EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if _is_number(value):
        return _number(value, "share" if "share" in column.lower() else "count")
    return str(value)


def _finite(value: Any) -> float:
    return float(value) if _is_number(value) and math.isfinite(value) else 0.0


# -- charts: validation --------------------------------------------------------------------


def _check_chart(chart: dict[str, Any]) -> str:
    kind = _choice(chart.get("type"), CHART_TYPES, "chart type")
    _choice(chart.get("unit", "count"), UNITS, "chart unit")
    categories = chart.get("categories") or []
    if kind == "heatmap":
        columns = chart.get("columns") or []
        matrix = chart.get("matrix") or []
        if len(matrix) != len(categories) or any(len(r) != len(columns) for r in matrix):
            raise ValueError(
                f"heatmap {chart.get('title')!r}: matrix must be categories x columns"
            )
        return kind
    series = chart.get("series") or []
    if kind == "bar" and len(series) != 1:
        raise ValueError(f"bar chart {chart.get('title')!r} needs exactly one series")
    for s in series:
        if len(s.get("values", [])) != len(categories):
            raise ValueError(
                f"chart {chart.get('title')!r}: series {s.get('name')!r} needs one value "
                "per category"
            )
    return kind


# -- charts: SVG ---------------------------------------------------------------------------


def _text(x: float, y: float, label: str, max_chars: int, anchor: str = "start",
          extra: str = "") -> str:
    """An SVG text, truncated with an ellipsis; the full label in a <title> when cut."""
    shown = _fit(label, max_chars)
    title = f"<title>{_e(label)}</title>" if shown != label else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>'
            f"{title}{_e(shown)}</text>")


def _svg(chart_id: str, title: str, width: float, height: float, body: Iterable[str],
         desc: str = "") -> str:
    w, h = math.ceil(width), math.ceil(height)
    described = f' aria-describedby="{chart_id}-desc"' if desc else ""
    return (
        f'<svg class="chart-svg" role="img" aria-labelledby="{chart_id}-title"{described} '
        f'width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
        f'<title id="{chart_id}-title">{_e(title)}</title>'
        + (f'<desc id="{chart_id}-desc">{_e(desc)}</desc>' if desc else "")
        + "".join(body) + "</svg>"
    )


_DESC_TOP = 5  # values an accessible summary (<desc>) lists


def _summary(chart: dict[str, Any], items: Iterable[tuple[str, Any]], what: str, lang: str = "en") -> str:
    """The text of a chart's <desc>: its size and its largest values, largest first (words in ``lang``)."""
    unit = chart.get("unit", "count")
    ranked = sorted(((label, v) for label, v in items if _is_number(v)),
                    key=lambda item: -_finite(item[1]))  # stable: ties keep chart order
    top = t("sep.clause", lang).join(f"{label}: {_number(v, unit)}" for label, v in ranked[:_DESC_TOP])
    return t("chart.desc.values", lang, what=what, top=top) if top else t("chart.desc.no_values", lang, what=what)


def _ink(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (WCAG relative luminance)."""
    def channel(c: int) -> float:
        c_ = c / 255
        return c_ / 12.92 if c_ <= 0.03928 else ((c_ + 0.055) / 1.055) ** 2.4
    r, g, b = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    lum = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def _series_colours(names: Sequence[str]) -> list[str]:
    """One fill per series: a language's fixed colour, grey for "other ...", else by position.

    A language (a label ``"<code> · <name>"``) keeps its colour across charts and runs; other
    series take the palette in order. When two series want one colour, the language earlier
    in ``FIXED_COLOURS`` (the more common one) keeps it and the other takes the first palette
    colour still free in the chart.
    """
    wanted, rank = [], []
    for i, name in enumerate(names):
        code = language_code(name)
        if code is not None:
            wanted.append(language_colour(code))
            rank.append(_FIXED_ORDER.get(code, len(_FIXED_ORDER)))
        elif name.lower().startswith("other"):
            wanted.append(OTHER_COLOUR)
            rank.append(0)
        else:
            wanted.append(_PALETTE[i % len(_PALETTE)][0])
            rank.append(0)
    used: set[str] = set()
    out = [""] * len(names)
    for i in sorted(range(len(names)), key=lambda k: (rank[k], k)):
        colour = wanted[i]
        if colour in used:
            colour = next((c for c in (*(p for p, _ in _PALETTE), *PALETTE) if c not in used),
                          colour)
        used.add(colour)
        out[i] = colour
    return out


_FIXED_ORDER = {code: k for k, code in enumerate(FIXED_COLOURS)}


def _legend(names: Sequence[str], width: float, y0: float, line: bool = False,
            colours: Sequence[str] | None = None) -> tuple[list[str], float]:
    """Legend items laid out left to right, wrapping; returns parts and the height used."""
    parts, x, y = [], 0.0, y0
    colours = list(colours) if colours is not None else _series_colours(names)
    for i, name in enumerate(names):
        colour = colours[i]
        shown = _fit(name, 30)
        item_w = 22 + _columns(shown) * _CHAR_W + 18  # a wide (CJK) character takes two
        if x > 0 and x + item_w > width:
            x, y = 0.0, y + 20
        if line:
            dash = _DASHES[i % len(_DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<line x1="{x:.1f}" y1="{y + 7:.1f}" x2="{x + 16:.1f}" y2="{y + 7:.1f}" '
                         f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>')
        else:
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="14" height="14" rx="2" '
                         f'fill="{colour}"/>')
        parts.append(_text(x + 22, y + 11.5, name, 30))
        x += item_w
    return parts, (y - y0) + 24


def _nice_axis(value: float) -> tuple[float, float]:
    """A round axis for [0, value]: (top, tick step), the step 1, 2, 2.5 or 5 times 10^k."""
    if value <= 0:
        return 1.0, 0.25
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return math.ceil(value / step - 1e-9) * step, step


def _bar_svg(chart: dict[str, Any], chart_id: str, lang: str = "en") -> str:
    unit = chart.get("unit", "count")
    cats = [str(c) for c in chart["categories"]]
    values = [_finite(v) for v in chart["series"][0]["values"]]
    raw = chart["series"][0]["values"]
    label_chars = min(_LABEL_CHARS, max([len(c) for c in cats] + [4]))
    left = label_chars * _CHAR_W + 14
    plot_w, value_w, row, bar_h = 400.0, 84.0, 26.0, 18.0
    if len(cats) > _MANY:
        row, bar_h = 21.0, 15.0
    top, bottom = (26.0 if chart.get("y_label") else 8.0), 40.0
    scale_max = 1.0 if unit == "share" and max(values, default=0) <= 1 else max(values, default=0)
    width = left + plot_w + value_w
    height = top + row * len(cats) + bottom
    parts = []
    for i, (cat, value, shown) in enumerate(zip(cats, values, raw)):
        y = top + i * row
        w = plot_w * max(value, 0) / scale_max if scale_max > 0 else 0.0
        text = _number(shown, unit)
        parts.append(_text(left - 8, y + bar_h / 2 + 4, cat, label_chars, "end"))
        parts.append(f'<rect x="{left:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar_h:.0f}" '
                     f'fill="{_PALETTE[0][0]}"><title>{_e(cat)}: {_e(text)}</title></rect>')
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + bar_h / 2 + 4:.1f}" '
                     f'class="value">{_e(text)}</text>')
    _bar_axis(parts, chart, left, top, top + row * len(cats), plot_w)
    desc = _summary(chart, zip(cats, raw), t("chart.desc.bar", lang, n=len(cats), axes=_axis_words(chart, lang)), lang)
    return _svg(chart_id, str(chart.get("title", "")), width, height, parts, desc)


def _axis_words(chart: dict[str, Any], lang: str = "en") -> str:
    """'<value axis> per <category axis>' for a horizontal bar chart's summary."""
    value, category = str(chart.get("x_label") or t("chart.desc.value", lang)), str(chart.get("y_label") or "")
    return t("chart.desc.axes", lang, value=value, category=category) if category else value


def _bar_axis(parts: list[str], chart: dict[str, Any], left: float, top: float, axis_y: float,
              plot_w: float) -> None:
    """Add the vertical axis of a horizontal bar chart, its title (the categories, above the
    labels: ``y_label``) and the value axis title below the bars (``x_label``)."""
    parts.append(f'<line x1="{left:.1f}" y1="{top - 4:.1f}" x2="{left:.1f}" y2="{axis_y:.1f}" '
                 'class="axis"/>')
    if chart.get("y_label"):
        parts.append(_text(left - 8, top - 9, str(chart["y_label"]), int((left - 8) // _CHAR_W),
                           "end", ' class="axis-label"'))
    if chart.get("x_label"):
        parts.append(_text(left + plot_w / 2, axis_y + 26, str(chart["x_label"]), 60, "middle",
                           ' class="axis-label"'))


def _stacked_svg(chart: dict[str, Any], chart_id: str, lang: str = "en") -> str:
    unit = chart.get("unit", "count")
    cats = [str(c) for c in chart["categories"]]
    series = chart["series"]
    names = [str(s.get("name", "")) for s in series]
    colours = _series_colours(names)
    label_chars = min(_LABEL_CHARS, max([len(c) for c in cats] + [4]))
    left = label_chars * _CHAR_W + 14
    plot_w, total_w, row, bar_h = 400.0, 84.0, 28.0, 20.0
    if len(cats) > _MANY:
        row, bar_h = 23.0, 17.0
    width = left + plot_w + total_w
    legend, legend_h = _legend(names, width, 0, colours=colours)
    top, bottom = legend_h + (26.0 if chart.get("y_label") else 8.0), 40.0
    totals = [sum(max(_finite(s["values"][i]), 0) for s in series) for i in range(len(cats))]
    scale_max = max(totals, default=0)
    if unit == "share" and scale_max <= 1:
        scale_max = 1.0
    height = top + row * len(cats) + bottom
    parts = list(legend)
    for i, cat in enumerate(cats):
        y = top + i * row
        parts.append(_text(left - 8, y + bar_h / 2 + 4, cat, label_chars, "end"))
        x = left
        for j, s in enumerate(series):
            value = max(_finite(s["values"][i]), 0)
            w = plot_w * value / scale_max if scale_max > 0 else 0.0
            fill = colours[j]
            ink = _ink(fill)
            text = _number(s["values"][i], unit)
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar_h:.0f}" '
                         f'fill="{fill}"><title>{_e(cat)} — {_e(names[j])}: {_e(text)}</title>'
                         "</rect>")
            if w >= len(text) * _CHAR_W + 8:
                parts.append(f'<text x="{x + w / 2:.1f}" y="{y + bar_h / 2 + 4:.1f}" '
                             f'text-anchor="middle" class="inside" fill="{ink}" '
                             f'style="fill:{ink}">{_e(text)}</text>')
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + bar_h / 2 + 4:.1f}" class="value">'
                     f"{_e(_number(totals[i], unit))}</text>")
    _bar_axis(parts, chart, left, top, top + row * len(cats), plot_w)
    per_series = [(name, math.fsum(max(_finite(v), 0) for v in s["values"]))
                  for name, s in zip(names, series)]
    desc = _summary(chart, [(f"{cats[i]} — {names[j]}", s["values"][i])
                            for j, s in enumerate(series) for i in range(len(cats))],
                    t("chart.desc.stacked", lang, n=len(cats), parts=len(series), axes=_axis_words(chart, lang),
                      names=t("sep.list", lang).join(n for n, _ in sorted(per_series, key=lambda p: -p[1]))),
                    lang)
    return _svg(chart_id, str(chart.get("title", "")), width, height, parts, desc)


_RAMP = ((0xF7, 0xFB, 0xFF), (0x6B, 0xAE, 0xD6), (0x08, 0x30, 0x6B))


def _ramp(t: float) -> str:
    """A sequential blue for t in [0, 1] (light to dark)."""
    t = min(max(t, 0.0), 1.0)
    lo, hi, u = (_RAMP[0], _RAMP[1], t * 2) if t <= 0.5 else (_RAMP[1], _RAMP[2], t * 2 - 1)
    return "#" + "".join(f"{round(a + (b - a) * u):02x}" for a, b in zip(lo, hi))


def _heatmap_svg(chart: dict[str, Any], chart_id: str, lang: str = "en") -> str:
    """A grid of shaded cells with each value written in its cell.

    Columns are as narrow as the widest value (not the column names, which stand vertically
    above the grid), so 15 x 15 sources stay within about 850 px.
    """
    unit = chart.get("unit", "count")
    cats = [str(c) for c in chart["categories"]]
    cols = [str(c) for c in chart["columns"]]
    matrix = chart["matrix"]
    shown = [[_number(v, unit) for v in row] for row in matrix]
    label_chars = min(24, max([len(c) for c in cats] + [4]))
    left = label_chars * _CHAR_W + 14
    col_w = max(42.0, max([len(t) for row in shown for t in row] + [1]) * _CHAR_W + 8)
    col_chars = min(24, max([len(c) for c in cols] + [4]))
    cell_h, top = 26.0, col_chars * _CHAR_W + 16
    high = max([_finite(v) for row in matrix for v in row] + [0.0])
    if unit == "share" and high <= 1:
        high = 1.0 if high > 0.5 else high
    width = max(left + col_w * len(cols) + 8, left + 46 + 5 * 76 + 8)
    grid_bottom = top + cell_h * len(cats)
    parts = []
    for j, col in enumerate(cols):
        x, y = left + col_w * j + col_w / 2 + 4, top - 8
        parts.append(_text(x, y, col, col_chars, "start",
                           f' class="col-label" transform="rotate(-90 {x:.1f} {y:.1f})"'))
    for i, cat in enumerate(cats):
        y = top + cell_h * i
        parts.append(_text(left - 8, y + cell_h / 2 + 4, cat, label_chars, "end"))
        for j, value in enumerate(matrix[i]):
            level = _finite(value) / high if high > 0 else 0.0
            fill = _ramp(level) if value is not None else "#eeeeee"
            ink = "#ffffff" if level > 0.55 else "#1a1f29"
            x = left + col_w * j
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{col_w:.1f}" height="{cell_h:.0f}" '
                         f'fill="{fill}" stroke="#ffffff"><title>{_e(cat)} × {_e(cols[j])}: '
                         f"{_e(shown[i][j])}</title></rect>")
            parts.append(f'<text x="{x + col_w / 2:.1f}" y="{y + cell_h / 2 + 4:.1f}" '
                         f'text-anchor="middle" class="inside" style="fill:{ink}">'
                         f"{_e(shown[i][j])}</text>")
    # Legend: five steps of the ramp with the value each starts at.
    ly = grid_bottom + 14
    parts.append(f'<text x="{left:.1f}" y="{ly + 11:.1f}" class="axis-label">{_e(t("chart.heatmap.scale", lang))}</text>')
    for k in range(5):
        lx = left + 46 + k * 76
        parts.append(f'<rect x="{lx:.1f}" y="{ly:.1f}" width="18" height="14" '
                     f'fill="{_ramp(k / 4)}" stroke="#98a2b3" stroke-width="0.5"/>')
        parts.append(f'<text x="{lx + 22:.1f}" y="{ly + 11:.1f}">'
                     f"{_e(_number(high * k / 4, unit))}</text>")
    height = ly + 24
    if chart.get("x_label") or chart.get("y_label"):
        axes = " × ".join(str(a) for a in (chart.get("y_label"), chart.get("x_label")) if a)
        parts.append(_text(left, height + 8, t("chart.heatmap.axes", lang, axes=axes), 80, "start",
                           ' class="axis-label"'))
        height += 18
    cells = [(f"{cat} × {col}", matrix[i][j]) for i, cat in enumerate(cats)
             for j, col in enumerate(cols)]
    desc = _summary(chart, cells, t("chart.desc.heatmap", lang, rows=len(cats), columns=len(cols),
                                    row_label=chart.get("y_label") or t("chart.desc.rows", lang),
                                    column_label=chart.get("x_label") or t("chart.desc.columns", lang)), lang)
    return _svg(chart_id, str(chart.get("title", "")), width, height, parts, desc)


def _line_svg(chart: dict[str, Any], chart_id: str, lang: str = "en") -> str:
    unit = chart.get("unit", "count")
    cats = [str(c) for c in chart["categories"]]
    series = chart["series"]
    n = len(cats)
    high, tick = _nice_axis(max([_finite(v) for s in series for v in s["values"]] + [0.0]))
    ticks = round(high / tick)
    left, right = 64.0, 24.0
    plot_w = min(max(360.0, n * 64.0), 720.0)
    width = left + plot_w + right
    names = [str(s.get("name", "")) for s in series]
    colours = _series_colours(names)
    legend, legend_h = _legend(names, width, 0, line=True, colours=colours)
    top, plot_h = legend_h + 30, 200.0
    base = top + plot_h
    parts = list(legend)
    for k in range(ticks + 1):
        y = base - plot_h * k / ticks
        parts.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}" '
                     f'class="{"axis" if k == 0 else "grid"}"/>')
        parts.append(f'<text x="{left - 8:.1f}" y="{y + 4:.1f}" text-anchor="end">'
                     f"{_e(_number(tick * k, unit))}</text>")

    def x_at(i: int) -> float:
        return left + plot_w / 2 if n == 1 else left + 12 + (plot_w - 24) * i / (n - 1)

    spacing = plot_w if n <= 1 else (plot_w - 24) / (n - 1)
    label_chars = min(12, max([len(c) for c in cats] + [2]))
    step = max(1, math.ceil((label_chars * _CHAR_W + 8) / spacing))
    for i, cat in enumerate(cats):
        if i % step == 0 or i == n - 1 and (n - 1) % step == 0:
            parts.append(_text(x_at(i), base + 18, cat, label_chars, "middle"))
    for j, s in enumerate(series):
        colour = colours[j]
        dash = _DASHES[j % len(_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        points = [(x_at(i), base - plot_h * _finite(v) / high) for i, v in enumerate(s["values"])
                  if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                         f'stroke-width="2.5"{dash_attr}/>')
        for i, v in enumerate(s["values"]):
            if v is None:
                continue
            x, y = x_at(i), base - plot_h * _finite(v) / high
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                         f"<title>{_e(s.get('name', ''))}, {_e(cats[i])}: "
                         f"{_e(_number(v, unit))}</title></circle>")
    height = base + 30
    if chart.get("x_label"):
        parts.append(_text(left + plot_w / 2, height + 6, str(chart["x_label"]), 60, "middle",
                           ' class="axis-label"'))
        height += 14
    if chart.get("y_label"):
        parts.append(_text(8, top - 14, str(chart["y_label"]), 40, "start",
                           ' class="axis-label"'))
    points = [(f"{names[j]}, {cats[i]}", s["values"][i]) for j, s in enumerate(series)
            for i in range(n)]
    desc = _summary(chart, points, t("chart.desc.line", lang, n=len(series), points=n,
                                     y=chart.get("y_label") or t("chart.desc.value", lang),
                                     x=chart.get("x_label") or t("chart.desc.point", lang)), lang)
    return _svg(chart_id, str(chart.get("title", "")), width, height + 4, parts, desc)


_CHART_SVG = {"bar": _bar_svg, "stacked_bar": _stacked_svg, "heatmap": _heatmap_svg,
              "line": _line_svg}


def _chart_html(chart: dict[str, Any], chart_id: str, lang: str = "en") -> str:
    kind = _check_chart(chart)
    svg = _CHART_SVG[kind](chart, chart_id, lang)
    title = str(chart.get("title", ""))
    axes = [str(a) for a in (chart.get("x_label"), chart.get("y_label")) if a]
    detail = f' <span class="axes">({_e(" / ".join(axes))})</span>' if axes else ""
    width = int(re.search(r'width="(\d+)"', svg).group(1))
    wide = " chart-wide" if width > _WIDE else ""
    return (f'<figure class="chart{wide}" id="{chart_id}">{svg}'
            f"<figcaption><strong>{_e(title)}</strong>{detail}</figcaption></figure>")


# -- HTML ----------------------------------------------------------------------------------

_CSS = """
:root{--ink:#1a1f29;--muted:#5b6472;--rule:#d9dee5;--accent:#0b4f8a;--pass:#1b7f3b;
--fail:#b42318;--amber:#f5b02e;--grey:#667085}
*{box-sizing:border-box}
body{margin:0;background:#eef1f4;color:var(--ink);line-height:1.55;font-size:16px;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:62rem;margin:2rem auto;background:#fff;padding:2.5rem 3rem 2rem;
border:1px solid var(--rule);border-radius:8px}
h1{font-size:2rem;line-height:1.2;margin:.3rem 0 1.1rem;letter-spacing:-.01em}
h2{font-size:1.4rem;line-height:1.3;margin:0 0 .8rem;padding-bottom:.4rem;
border-bottom:2px solid var(--rule)}
h3{font-size:.8rem;text-transform:uppercase;letter-spacing:.07em;color:var(--muted);
margin:1.6rem 0 .5rem}
p{margin:.5rem 0 .8rem;max-width:46rem}
a{color:var(--accent)}
.kicker{margin:0;color:var(--muted);font-size:.8rem;text-transform:uppercase;letter-spacing:.08em}
.meta{color:var(--muted);font-size:.9rem}
.verdict{display:flex;gap:1rem;align-items:center;padding:1rem 1.25rem;margin:0 0 1.5rem;
border:1px solid var(--rule);border-left:6px solid var(--grey);border-radius:6px;background:#f8f9fb}
.verdict p{margin:0}
.verdict-pass{border-left-color:var(--pass);background:#eef8f1}
.verdict-fail{border-left-color:var(--fail);background:#fdf0ef}
.verdict-partial{border-left-color:var(--amber);background:#fff8e8}
.verdict-complete{border-left-color:var(--pass);background:#eef8f1}
.badge{display:inline-block;padding:.2rem .7rem;border-radius:999px;font-weight:700;
font-size:.78rem;letter-spacing:.06em;text-transform:uppercase;white-space:nowrap;
color:#fff;background:var(--grey);border:1.5px solid transparent}
.verdict .badge{font-size:1rem;padding:.35rem 1rem}
.badge-pass,.badge-evidenced,.badge-legit,.badge-complete{background:var(--pass)}
.badge-fail,.badge-failed,.badge-not-legit{background:var(--fail)}
.badge-partial,.badge-not-evidenced,.badge-partly-evidenced{background:var(--amber);color:#2b1d00}
.badge-statement-needed{background:var(--grey)}
nav.toc{border:1px solid var(--rule);border-radius:6px;padding:.8rem 1.25rem;margin:0 0 1rem}
nav.toc h2{font-size:.8rem;border:0;padding:0;margin:0 0 .3rem;text-transform:uppercase;
letter-spacing:.07em;color:var(--muted)}
nav.toc ol{margin:0;padding-left:1.3rem}
section{margin-top:2.6rem}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:1rem 0}
.table-wrap{overflow-x:auto;max-width:100%}
th,td{padding:.45rem .65rem;border-bottom:1px solid var(--rule);text-align:left;vertical-align:top}
thead th{border-bottom:2px solid var(--ink);font-weight:600}
tbody tr:nth-child(even){background:#f8fafc}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.null{color:var(--muted)}
figure.chart{margin:1.4rem 0;padding:1rem;border:1px solid var(--rule);border-radius:6px}
figure.chart svg{display:block;max-width:100%;height:auto}
figcaption{font-size:.88rem;color:var(--muted);margin-top:.6rem}
figcaption strong{color:var(--ink)}
.chart-svg text{font-family:inherit;font-size:12px;fill:#1a1f29}
.chart-svg text.value{fill:#3b4250;font-variant-numeric:tabular-nums}
.chart-svg text.axis-label{fill:#5b6472;font-style:italic}
.chart-svg text.col-label{font-weight:600}
.chart-svg .axis{stroke:#1a1f29;stroke-width:1}
.chart-svg .grid{stroke:#d9dee5;stroke-width:1}
ul.reqs{list-style:none;padding:0;margin:.4rem 0}
ul.reqs li{display:flex;gap:.9rem;align-items:baseline;padding:.55rem 0;
border-bottom:1px solid var(--rule)}
ul.reqs .badge{flex:none;min-width:9.5rem;text-align:center}
.req-id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem;
font-weight:600}
.human{border:2px dashed #98a2b3;border-radius:6px;padding:.8rem 1rem;margin:1rem 0;
background:#fcfcfd}
.human .mark{margin:0;font-size:.75rem;font-weight:700;text-transform:uppercase;
letter-spacing:.07em;color:#93370d}
.human .label{margin:.25rem 0 0;font-weight:600}
.human .hint{margin:.1rem 0 .4rem;color:var(--muted);font-size:.9rem}
.human .blank{min-height:4.5rem;border:1px solid #d0d5dd;border-radius:4px;background:#fff}
.human.filled{border-style:solid;border-color:#a6d8b5}
.human .given{margin:.3rem 0;white-space:pre-wrap}
.human .by,.open-fields .who{color:var(--muted);font-size:.9rem}
.open-fields{border:1px solid var(--rule);border-left:6px solid var(--amber);border-radius:6px;
padding:.8rem 1.25rem;margin:0 0 1rem}
.open-fields h2{font-size:1rem;border:0;padding:0;margin:0 0 .3rem}
.open-fields ul{margin:0;padding-left:1.2rem}
ul.reasons{margin:0;padding-left:1.1rem}
footer{margin-top:3rem;padding-top:.8rem;border-top:1px solid var(--rule);color:var(--muted);
font-size:.8rem}
@page{size:A4;margin:14mm 14mm 18mm;
@bottom-right{content:"Page " counter(page) " / " counter(pages);font-size:8pt;color:#5b6472}}
@page wide{size:A4 landscape}
@media print{
*{background:none!important;box-shadow:none!important}
body{font-size:10.5pt}
main{max-width:none;margin:0;padding:0;border:0;border-radius:0}
p{max-width:none}
.table-wrap{overflow:visible}
table{font-size:8.5pt;line-height:1.3;width:100%;table-layout:auto;margin:.6rem 0}
th,td{padding:.12rem .3rem;overflow-wrap:anywhere;hyphens:auto}
nav.toc ol{columns:2;column-gap:2rem;font-size:9pt}
section{margin-top:1.6rem}
ul.reqs{display:grid;grid-template-columns:1fr 1fr;column-gap:1.5rem;font-size:9pt;line-height:1.35}
ul.reqs li{padding:.15rem 0;gap:.5rem}
ul.reqs .badge{min-width:6.4rem;padding:0 .3rem;font-size:8pt}
.req-id{font-size:8.5pt}
ul.reqs li{grid-column:1/-1}
ul.reqs li.short{grid-column:auto}
.num{white-space:normal}
tr{break-inside:avoid}
figure.chart{padding:0;border:0}
figure.chart-wide{page:wide}
.badge{color:#000!important;border-color:currentColor}
.badge-pass,.badge-evidenced,.badge-legit{color:#1b7f3b!important}
.badge-fail,.badge-failed,.badge-not-legit{color:#b42318!important}
.badge-partial,.badge-not-evidenced,.badge-partly-evidenced{color:#93370d!important}
.verdict{border:1px solid #000;border-left-width:6px}
header+section{break-before:page}
h2,h3{break-after:avoid}
figure,.human,ul.reqs li{break-inside:avoid}
thead{display:table-header-group}
a{color:inherit;text-decoration:none}
}
"""


def _css_string(text: str) -> str:
    """A CSS string literal: every character but letters, digits and spaces as a hex escape.

    Each escape ends in the one space CSS consumes after it (so a real space that follows
    survives); nothing in the text can close the string, start a comment or end the
    ``<style>`` element.
    """
    return '"' + "".join(ch if (ch.isascii() and ch.isalnum()) or ch == " "
                         else f"\\{ord(ch):06x} " for ch in text) + '"'


def _page(title: str, body: str, footer: str | None = None, lang: str = "en") -> str:
    """A self-contained page in ``lang``; ``footer`` (default: the title) runs at the foot of
    printed pages, beside "Page x / y" (in ``lang``)."""
    running = _css_string(title if footer is None else footer)
    pages = ""
    if check_language(lang) != "en":  # _CSS prints "Page x / y"; other languages say it their way
        before, _, rest = t("ui.page", lang, page="\0", pages="\1").partition("\0")
        middle, _, after = rest.partition("\1")
        pages = (f"@bottom-right{{content:{_css_string(before)} counter(page) {_css_string(middle)} "
                 f"counter(pages) {_css_string(after)}}}")
    return (
        f'<!DOCTYPE html>\n<html lang="{_e(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n"
        f"<style>@page{{@bottom-left{{content:{running};font-size:8pt;color:#5b6472}}{pages}}}</style>\n"
        f"</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n"
    )


_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})")


def _doc_date(doc: dict[str, Any]) -> str:
    """The document's date: its ``date`` field, else the day its run started (from the run id)."""
    if doc.get("date"):
        return str(doc["date"])
    match = _DATE.match(str(doc.get("run_id", "")))
    return "-".join(match.groups()) if match else ""


def _verdict_html(verdict: dict[str, Any], allowed: Sequence[str], lang: str = "en") -> str:
    status = _choice(verdict.get("status"), allowed, "verdict status")
    return (f'<div class="verdict verdict-{status}" role="status">'
            f'<span class="badge badge-{status}">{_e(t(f"verdict.{status}", lang))}</span>'
            f"<p>{_e(verdict.get('summary', ''))}</p></div>\n")


def _table_html(table: dict[str, Any]) -> str:
    columns = [str(c) for c in table.get("columns", [])]
    rows = table.get("rows", [])
    numeric = [
        any(_is_number(r[i]) for r in rows if i < len(r))
        and all(r[i] is None or _is_number(r[i]) for r in rows if i < len(r))
        for i in range(len(columns))
    ]
    num_attr = ' class="num"'
    head = "".join(
        f'<th scope="col"{num_attr if numeric[i] else ""}>{_e(c)}</th>'
        for i, c in enumerate(columns)
    )
    body = []
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"table row {row!r} does not have {len(columns)} cells")
        cells = []
        for column, value in zip(columns, row):
            cls = "num" if _is_number(value) else "null" if value is None else ""
            cls_attr = f' class="{cls}"' if cls else ""
            cells.append(f"<td{cls_attr}>{_e(_cell_text(value, column))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    # wide tables scroll inside their box on screen instead of overflowing the page
    return (f'<div class="table-wrap"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
            + "\n".join(body) + "\n</tbody>\n</table></div>\n")


_COMPACT_DETAIL = 40  # characters


def _requirements_html(requirements: list[dict[str, Any]], lang: str = "en") -> str:
    items = []
    for req in requirements:
        status = _choice(req.get("status"), REQUIREMENT_STATUSES, "requirement status")
        # a short item takes half the width in print (see _CSS)
        short = ' class="short"' if len(str(req.get("detail", ""))) <= _COMPACT_DETAIL else ""
        items.append(
            f'<li{short}><span class="badge badge-{status}">{_e(_status_word(status, lang))}</span>'
            f'<span><span class="req-id">{_e(req.get("id", ""))}</span> '
            f"{_e(req.get('detail', ''))}</span></li>"
        )
    return f'<h3>{_e(t("ui.requirements", lang))}</h3>\n<ul class="reqs">\n' + "\n".join(items) + "\n</ul>\n"


def _statement_html(f: dict[str, Any], lang: str = "en") -> str:
    """A field a person filled: the statement, "by X on date", and its attachment."""
    st = f["statement"]
    attachment = ""
    if st.get("attachment"):
        digest = str(st.get("attachment_sha256", ""))[:12]
        attachment = (f' · {_e(t("ui.attachment", lang))} <code>{_e(st["attachment"])}</code>'
                      + (f" (SHA-256 {_e(digest)}…)" if digest else ""))
    return ('<div class="human filled">'
            f'<p class="mark">{_e(t("ui.statement", lang))}</p>'
            f'<p class="label">{_e(f.get("label", ""))}</p>'
            f'<p class="given">{_e(st.get("text", ""))}</p>'
            f'<p class="by">{_e(t("ui.by", lang, author=st.get("author", ""), date=st.get("date", "")))}'
            f'{attachment}</p>'
            "</div>\n")


def _open_fields_html(statements: dict[str, Any], lang: str = "en") -> str:
    """The open fields once, on top of the working copy, with who is expected to fill them."""
    open_fields = statements.get("open", [])
    if not open_fields:
        return ""
    items = "".join(f'<li>{_e(o.get("label", ""))} <span class="who">({_e(o.get("section", ""))}; '
                    f'{_e(o.get("who", ""))})</span></li>' for o in open_fields)
    heading = t("ui.open_fields", lang, open=len(open_fields), fields=statements.get("fields", ""))
    return f'<div class="open-fields" role="note"><h2>{_e(heading)}</h2><ul>{items}</ul></div>\n'


def _human_html(fields: list[dict[str, Any]], lang: str = "en") -> str:
    return "".join(
        _statement_html(f, lang) if f.get("statement") else
        ('<div class="human">'
         f'<p class="mark">{_e(t("ui.to_be_completed", lang))}</p>'
         f'<p class="label">{_e(f.get("label", ""))}</p>'
         f'<p class="hint">{_e(f.get("hint", ""))}</p>'
         f'<div class="blank" aria-label="{_e(t("ui.empty_field", lang, label=f.get("label", "")))}"></div>'
         "</div>\n")
        for f in fields
    )


def render_html(doc: dict[str, Any], lang: str = "en") -> str:
    """Render a disclosure document as one self-contained HTML page (no script, no URL), with
    the renderer's words in ``lang`` (a catalogue language; see the module docstring)."""
    check_language(lang)
    title = str(doc.get("title", ""))
    kind = doc.get("kind", "")
    taken: set[str] = set()
    sections = [(s, _slug(str(s.get("id", "")), taken)) for s in doc.get("sections", [])]
    parts = [
        "<header>\n",
        (f'<p class="kicker">{_e(t("ui.kicker", lang, kind=_kind_word(kind, lang), run=doc.get("run_id", "")))}'
         '</p>\n'),
        f"<h1>{_e(title)}</h1>\n",
        _verdict_html(doc.get("verdict", {}), VERDICTS, lang),
    ]
    if doc.get("statements"):
        parts.append(_open_fields_html(doc["statements"], lang))
    if sections:
        parts.append(f'<nav class="toc"><h2>{_e(t("ui.contents", lang))}</h2><ol>')
        parts.extend(f'<li><a href="#{slug}">{_e(s.get("heading", ""))}</a></li>'
                     for s, slug in sections)
        parts.append("</ol></nav>\n")
    parts.append("</header>\n")
    for section, slug in sections:
        parts.append(f'<section id="{slug}">\n<h2>{_e(section.get("heading", ""))}</h2>\n')
        parts.extend(f"<p>{_e(p)}</p>\n" for p in section.get("paragraphs", []))
        if section.get("chart"):
            parts.append(_chart_html(section["chart"], f"{slug}-chart", lang) + "\n")
        if section.get("table"):
            parts.append(_table_html(section["table"]))
        if section.get("requirements"):
            parts.append(_requirements_html(section["requirements"], lang))
        if section.get("human_fields"):
            parts.append(_human_html(section["human_fields"], lang))
        parts.append("</section>\n")
    footer = t("ui.footer", lang, by=doc.get("generated_by", ""), run=doc.get("run_id", ""),
               schema=doc.get("schema_version", ""))
    parts.append(f"<footer>{_e(footer)}</footer>\n")
    date = _doc_date(doc)
    return _page(title, "".join(parts), f"{title} · {date}" if date else title, lang)


# -- Markdown ------------------------------------------------------------------------------

_MD_INLINE = re.compile(r"([\\`*_\[\]])")


def _md(value: Any) -> str:
    """Plain text for inline Markdown: one line, HTML-significant and inline markers escaped."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_INLINE.sub(r"\\\1", text)


def _md_block(value: Any) -> str:
    """A paragraph: inline-escaped, and a leading block marker (#, -, 1., ...) neutralised."""
    text = _md(value)
    return re.sub(r"^(#|-|\+|=|\d+(?=[.)]))", r"\\\1", text)


def _md_cell(value: Any) -> str:
    return _md(value).replace("|", "\\|") or " "


def _md_table(columns: Sequence[str], rows: Sequence[Sequence[Any]],
              numeric: Sequence[bool]) -> str:
    head = "| " + " | ".join(_md_cell(c) for c in columns) + " |"
    rule = "| " + " | ".join("---:" if n else "---" for n in numeric) + " |"
    body = ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join([head, rule, *body]) + "\n"


def _md_chart(chart: dict[str, Any]) -> str:
    kind = _check_chart(chart)
    unit = chart.get("unit", "count")
    cats = [str(c) for c in chart.get("categories", [])]
    if kind == "heatmap":
        columns = [str(chart.get("y_label") or ""), *map(str, chart.get("columns", []))]
        rows = [[c, *(_number(v, unit) for v in row)] for c, row in zip(cats, chart["matrix"])]
    else:
        category = chart.get("x_label") if kind == "line" else chart.get("y_label")
        columns = [str(category or "category"), *(str(s.get("name", "")) for s in chart["series"])]
        rows = [[c, *(_number(s["values"][i], unit) for s in chart["series"])]
                for i, c in enumerate(cats)]
    numeric = [False] + [True] * (len(columns) - 1)
    caption = f"**Chart: {_md(chart.get('title', ''))}**"
    axes = [str(a) for a in (chart.get("x_label"), chart.get("y_label")) if a]
    if axes:
        caption += f" ({_md(' / '.join(axes))})"
    return caption + "\n\n" + _md_table(columns, rows, numeric)


def render_markdown(doc: dict[str, Any], lang: str = "en") -> str:
    """Render a disclosure document as GitHub-flavoured Markdown, the renderer's words in ``lang``."""
    check_language(lang)
    status = _choice(doc.get("verdict", {}).get("status"), VERDICTS, "verdict status")
    kind = doc.get("kind", "")
    out = [
        f"# {_md(doc.get('title', ''))}",
        (f"**{_md(t('md.verdict', lang, status=t(f'verdict.{status}', lang)))}** — "
         f"{_md(doc['verdict'].get('summary', ''))}"),
        _md(t("md.kicker", lang, kind=_kind_word(kind, lang), run=doc.get("run_id", ""),
              by=doc.get("generated_by", ""))),
    ]
    open_fields = (doc.get("statements") or {}).get("open", [])
    if open_fields:
        heading = t("ui.open_fields", lang, open=len(open_fields), fields=doc["statements"].get("fields", ""))
        out.append(f"**{_md(heading)}:**\n\n" + "\n".join(f"- {_md(o.get('label', ''))} ({_md(o.get('section', ''))}; "
                                             f"{_md(o.get('who', ''))})" for o in open_fields))
    for section in doc.get("sections", []):
        out.append(f"## {_md(section.get('heading', ''))}")
        out.extend(_md_block(p) for p in section.get("paragraphs", []))
        if section.get("chart"):
            out.append(_md_chart(section["chart"]).rstrip("\n"))
        if section.get("table"):
            table = section["table"]
            columns = [str(c) for c in table.get("columns", [])]
            rows = table.get("rows", [])
            numeric = [any(_is_number(r[i]) for r in rows) for i in range(len(columns))]
            cells = [[_cell_text(v, c) for c, v in zip(columns, r)] for r in rows]
            out.append(_md_table(columns, cells, numeric).rstrip("\n"))
        if section.get("requirements"):
            items = []
            for req in section["requirements"]:
                st = _choice(req.get("status"), REQUIREMENT_STATUSES, "requirement status")
                items.append(f"- **{_md(_status_word(st, lang))}** — {_md(req.get('id', ''))}: "
                             f"{_md(req.get('detail', ''))}")
            out.append(f"**{_md(t('ui.requirements', lang))}**\n\n" + "\n".join(items))
        for field in section.get("human_fields", []):
            if field.get("statement"):
                st = field["statement"]
                attachment = (f" · {_md(t('ui.attachment', lang))} {_md(st['attachment'])}"
                              if st.get("attachment") else "")
                by = t("ui.by", lang, author=st.get("author", ""), date=st.get("date", ""))
                out.append(f"> **{_md(t('ui.statement', lang))}** {_md(field.get('label', ''))}\n>\n"
                           f"> {_md(st.get('text', ''))}\n>\n> {_md(by)}{attachment}")
                continue
            out.append(f"> **{_md(t('md.to_be_completed', lang))}** {_md(field.get('label', ''))} — "
                       f"{_md(field.get('hint', ''))}")
    return "\n\n".join(out) + "\n"


# -- index page ----------------------------------------------------------------------------

_SCHEME = re.compile(r"^[^/?#]*:")


def _relative_href(href: Any) -> str:
    """The href if it is a relative path; ValueError for a scheme, //host, /path or oddities."""
    text = str(href)
    if (not text or _SCHEME.match(text) or text.startswith(("/", "\\"))
            or any(ch.isspace() or ord(ch) < 0x20 or ch == "\\" for ch in text)):
        raise ValueError(f"index links must be relative paths; refused href {text!r}")
    return text


def render_index(page: dict[str, Any], sections: Sequence[str] = (), lang: str = "en") -> str:
    """Render the run's index page: verdict, which sources are legitimately documented, links.

    ``sections`` are HTML sections rendered (and escaped) elsewhere, placed before the links.
    The page's own words come from the message catalogue of ``lang`` (``index.*`` keys); the
    page's data (summary, reasons, findings, links) is shown as given
    (:func:`provaudit.reports.localised.index_in` writes it in another language).
    """
    check_language(lang)
    run_id = str(page.get("run_id", ""))
    links = [(link, _relative_href(link.get("href", ""))) for link in page.get("links", [])]
    sources = page.get("sources", [])
    not_legit = [str(s.get("name", "")) for s in sources if not s.get("legitimate")]
    parts = [
        "<header>\n",
        f"<h1>{_e(t('index.title', lang, run=run_id))}</h1>\n",
        _verdict_html(page.get("verdict", {}), ("pass", "fail"), lang),
        f'<p class="meta">{_e(t("index.generated", lang, by=page.get("generated_by", "")))}</p>\n',
        "</header>\n",
        f'<section id="sources">\n<h2>{_e(t("index.sources", lang))}</h2>\n',
    ]
    if not_legit:
        parts.append(f"<p><strong>{_e(t('index.not_legit', lang, n=len(not_legit), total=len(sources)))}"
                     f"</strong> {_e(t('index.not_legit_names', lang, names=t('sep.list', lang).join(not_legit)))}"
                     "</p>\n")
    else:
        parts.append(f"<p>{_e(t('index.all_legit', lang, total=len(sources)))}</p>\n")
    parts.append("<table>\n<thead><tr>" + "".join(f'<th scope="col">{_e(t(f"index.col.{c}", lang))}</th>'
                                                    for c in ("source", "role", "documentation", "reasons"))
                 + "</tr></thead>\n<tbody>\n")
    for s in sources:
        if s.get("legitimate"):
            badge = f'<span class="badge badge-legit">{_e(t("index.badge.legit", lang))}</span>'
        else:
            badge = f'<span class="badge badge-not-legit">{_e(t("index.badge.not_legit", lang))}</span>'
        reasons = s.get("reasons") or []
        reason_html = ('<ul class="reasons">' + "".join(f"<li>{_e(r)}</li>" for r in reasons)
                       + "</ul>") if reasons else f'<span class="null">{_EMPTY}</span>'
        parts.append(f'<tr><th scope="row">{_e(s.get("name", ""))}</th>'
                     f'<td>{_e(s.get("role", ""))}</td><td>{badge}</td>'
                     f"<td>{reason_html}</td></tr>\n")
    parts.append("</tbody>\n</table>\n</section>\n")
    screening = page.get("screening")
    if screening:  # content screening in one line (reports.screening.index_line)
        parts.append(f'<section id="screening">\n<h2>{_e(t("index.screening", lang))}</h2>\n'
                     f"<p>{_e(screening.get('summary', ''))}</p>\n</section>\n")
    parts.append(f'<section id="failures">\n<h2>{_e(t("index.failures", lang))}</h2>\n')
    failures = page.get("failures", [])
    if failures:
        parts.append("<table>\n<thead><tr>" + "".join(f'<th scope="col">{_e(t(f"index.col.{c}", lang))}</th>'
                                                        for c in ("finding", "requirements", "expectation", "evidence"))
                     + "</tr></thead>\n<tbody>\n")
        for f in failures:
            ids = "<br>".join(f'<span class="req-id">{_e(i)}</span>'
                              for i in f.get("requirement_ids", []))
            findings = [str(x) for x in f.get("findings", [])]
            if not findings:  # a page without findings: the failing sources or batches
                findings = [", ".join(str(x) for x in f.get("failing", []))]
            finding_html = ('<ul class="findings">' + "".join(f"<li>{_e(x)}</li>" for x in findings)
                            + "</ul>") if any(findings) else _EMPTY
            evidence = f.get("evidence") or {}
            refs = []
            if evidence.get("csv"):
                rows = evidence.get("rows")
                shown = t("index.evidence_rows", lang, rows=rows) if rows is not None else ""
                refs.append(f'<a href="{_e(_relative_href(evidence["csv"]))}">'
                            f'{_e(t("index.evidence_csv", lang, rows=shown))}</a>')
            if evidence.get("parquet"):
                refs.append(f'<a href="{_e(_relative_href(evidence["parquet"]))}">{_e(t("index.parquet", lang))}</a>')
            if f.get("docs"):
                refs.append(f'<a href="{_e(_relative_href(f["docs"]))}">{_e(t("index.datadocs", lang))}</a>')
            parts.append(f"<tr><td>{finding_html}</td><td>{ids}</td>"
                         f"<td>{_e(f.get('suite', ''))}: {_e(f.get('description', ''))}</td>"
                         f"<td>{'<br>'.join(refs) or _EMPTY}</td></tr>\n")
        parts.append("</tbody>\n</table>\n")
    else:
        parts.append(f"<p>{_e(t('index.no_failures', lang))}</p>\n")
    parts.append("</section>\n")
    parts.extend(sections)
    if links:
        parts.append(f'<section id="links">\n<h2>{_e(t("index.reports", lang))}</h2>\n<ul>\n')
        for link, href in links:
            description = link.get("description", "")
            tail = f" — {_e(description)}" if description else ""
            parts.append(f'<li><a href="{_e(href)}">{_e(link.get("label", ""))}</a>{tail}</li>\n')
        parts.append("</ul>\n</section>\n")
    return _page(t("index.title", lang, run=run_id), "".join(parts), lang=lang)
