"""Message catalogues: every word the renderers and the Chinese filing annex show, per language.

Contract. The catalogues are data files beside this module, ``catalogues/<lang>.yaml``
(package data, read with ``yaml.safe_load``), one per supported language (:data:`LANGUAGES`).
Each has ``messages`` (key -> Python format string) and ``requirements`` (requirement id ->
``clause``, the official clause number, and in languages other than English ``text``, the
requirement in that language's official wording; English texts are ``requirements.yaml``'s, so
they are not kept twice; the EU ids the Chinese pages cite carry a marked unofficial translation,
as the AI Act has no official Chinese text). Every catalogue has the same message keys and
requirement ids (a test holds them to it, and to every CN-* id of the requirement catalogue).
Message keys name what they say: ``ui.*`` and ``index.*`` the renderer's words, ``annex.*`` the
CN filing annex (:mod:`provaudit.reports.cn_annex`), ``legit.*``, ``lab.*``, ``col.*``,
``chart.*``, ``req.*``, ``doc.*``, ``finding.*``, ``fix.*`` and ``expectation.<id>`` the
legitimate-sources and labelling-process disclosures, their findings and the index page
(:mod:`provaudit.reports.localised`).

    t(key, lang, **fmt)        the message, formatted; MessageError naming file and key if absent
    requirement(rid, lang)     (clause number, requirement text) of a requirement id
    role(who, lang)            who fills a statement field (``roles``, keyed by the English role)
    check_language(lang)       lang, or MessageError listing the supported languages

Why YAML rather than gettext .po/.mo: no compile step between editing a catalogue and running
the pipeline, the catalogue is reviewed as data like ``requirements.yaml``, and keys are stable
identifiers rather than English source strings (so an English rewording does not orphan a
translation). Formatting substitutes values only; callers escape the result (HTML or Markdown),
never the catalogue. Pure and deterministic: no locale, no environment, no clock.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from provaudit.core.requirements import load_requirements

LANGUAGES = ("en", "zh-CN")


class MessageError(KeyError):
    """A catalogue lacks a key, or a language has no catalogue."""

    def __str__(self) -> str:  # KeyError would show the message quoted
        return str(self.args[0])


def _path(lang: str) -> str:
    return f"provaudit/reports/catalogues/{lang}.yaml"


def check_language(lang: str) -> str:
    """Return ``lang`` when a catalogue exists for it; else MessageError naming the languages."""
    if lang not in LANGUAGES:
        raise MessageError(f"no message catalogue for language {lang!r} (catalogues: {', '.join(LANGUAGES)})")
    return lang


@cache
def catalogue(lang: str) -> dict[str, Any]:
    """The parsed catalogue of ``lang``: {"messages": {...}, "requirements": {...}}."""
    check_language(lang)
    text = resources.files("provaudit.reports").joinpath("catalogues", f"{lang}.yaml").read_text("utf-8")
    doc = yaml.safe_load(text) or {}
    for part in ("messages", "requirements", "roles"):
        if not isinstance(doc.get(part), dict):
            raise MessageError(f"{_path(lang)}: {part}: missing or not a mapping")
    for key, value in doc["messages"].items():
        if not isinstance(value, str):
            raise MessageError(f"{_path(lang)}: messages.{key}: not a string")
    return doc


def t(key: str, lang: str, **fmt: Any) -> str:
    """The message ``key`` in ``lang``, with ``{name}`` fields filled from ``fmt``."""
    messages = catalogue(lang)["messages"]
    if key not in messages:
        raise MessageError(f"{_path(lang)}: messages.{key}: missing from the catalogue")
    try:
        return messages[key].format(**fmt)
    except (KeyError, IndexError) as exc:
        raise MessageError(f"{_path(lang)}: messages.{key}: needs the value {exc} the caller did not give") from exc


def requirement(rid: str, lang: str) -> tuple[str, str]:
    """(clause number, requirement text) of requirement ``rid`` in ``lang``."""
    entry = catalogue(lang)["requirements"].get(rid)
    if not isinstance(entry, dict) or not entry.get("clause"):
        raise MessageError(f"{_path(lang)}: requirements.{rid}.clause: missing from the catalogue")
    if lang == "en":
        return str(entry["clause"]), load_requirements()[rid].requirement
    if not entry.get("text"):
        raise MessageError(f"{_path(lang)}: requirements.{rid}.text: missing from the catalogue")
    return str(entry["clause"]), str(entry["text"])


def role(who: str, lang: str) -> str:
    """The role ``who`` (English, from :func:`provaudit.reports.statements.who_fills`) in ``lang``."""
    roles = catalogue(lang)["roles"]
    if who not in roles:
        raise MessageError(f"{_path(lang)}: roles.{who}: missing from the catalogue")
    return str(roles[who])
