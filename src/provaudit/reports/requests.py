"""Removal requests in the run's documents: counts of open, overdue and closed requests.

Contract: given the ``totals`` of a run's ``requests.json`` (``{"open", "overdue", "closed",
"requests"}``, integers), :func:`requests_section` returns the disclosure section
(``removal-requests``, a sentence and a status table) and :func:`render_requests_section`
the index page's HTML section, every word from the message catalogue of ``lang`` and every
value escaped. Counts only: no request id, requester, criterion or document appears, so the
section carries no personal information whatever the requests hold.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from provaudit.reports.messages import t

__all__ = ["SECTION_ID", "render_requests_section", "requests_section"]

SECTION_ID = "removal-requests"
_STATUSES = ("open", "overdue", "closed")


def _counts(totals: Mapping[str, Any]) -> dict[str, int]:
    counts = {s: int(totals.get(s, 0) or 0) for s in _STATUSES}
    counts["requests"] = int(totals.get("requests", sum(counts.values())) or 0)
    return counts


def requests_section(totals: Mapping[str, Any], lang: str = "en") -> dict[str, Any]:
    """The disclosure section with the request counts (schemas/disclosure.schema.json's section)."""
    c = _counts(totals)
    return {"id": SECTION_ID, "heading": t("requests.heading", lang),
            "paragraphs": [t("requests.counts", lang, **c), t("requests.note", lang)],
            "table": {"columns": [t("requests.col.status", lang), t("requests.col.requests", lang)],
                      "rows": [[t(f"requests.status.{s}", lang), c[s]] for s in _STATUSES]},
            "chart": None, "requirements": [], "human_fields": []}


def render_requests_section(totals: Mapping[str, Any], lang: str = "en") -> str:
    """The index page's section: the counts sentence, escaped."""
    e = lambda v: html.escape(str(v), quote=True)  # noqa: E731
    c = _counts(totals)
    return (f'<section id="{SECTION_ID}">\n<h2>{e(t("requests.heading", lang))}</h2>\n'
            f'<p>{e(t("requests.counts", lang, **c))}</p>\n'
            f'<p>{e(t("requests.note", lang))}</p>\n</section>\n')
