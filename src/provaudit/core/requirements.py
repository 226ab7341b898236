"""The requirement catalogue: every checkable requirement provaudit evidences, by stable id.

Contract. :func:`load_requirements` reads ``requirements.yaml`` beside this module (package
data; safe YAML) and returns id -> :class:`Requirement`, in catalogue order. The ids are
the ones expectation suites cite in their ``meta.requirement_ids`` and disclosures cite in
their requirement rows; the requirement and evidence texts live only in that file, so a
regulation's revision is one data change, reviewed as such (a test holds the catalogue to
the list it was checked against, and keeps retired ids out). ``statement`` says how much
only a person can evidence: ``none``, ``part`` or ``only``; ``recommended`` marks clauses
worded 宜 ("should preferably"), which are reported but never change a verdict.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import yaml

STATEMENT_KINDS = ("none", "part", "only")


class Requirement(NamedTuple):
    """One requirement: what it asks, what evidences it, who can."""

    id: str
    regulation: str  # key of REGULATIONS
    requirement: str
    evidence: str
    statement: str  # none | part | only
    recommended: bool = False


@lru_cache(maxsize=1)
def _catalogue() -> dict:
    text = resources.files("provaudit.core").joinpath("requirements.yaml").read_text("utf-8")
    doc = yaml.safe_load(text)
    regulations = doc["regulations"]
    out: dict[str, Requirement] = {}
    for rid, entry in doc["requirements"].items():
        if entry["regulation"] not in regulations:
            raise ValueError(f"requirements.yaml: requirements.{rid}.regulation: unknown {entry['regulation']!r}")
        if entry["statement"] not in STATEMENT_KINDS:
            raise ValueError(f"requirements.yaml: requirements.{rid}.statement: not one of {STATEMENT_KINDS}")
        out[rid] = Requirement(rid, entry["regulation"], entry["requirement"], entry["evidence"],
                               entry["statement"], bool(entry.get("recommended", False)))
    return {"regulations": dict(regulations), "requirements": out}


def load_requirements() -> dict[str, Requirement]:
    """Return the catalogue: requirement id -> Requirement, in catalogue order."""
    return dict(_catalogue()["requirements"])


def regulations() -> dict[str, str]:
    """Return regulation key -> its full name."""
    return dict(_catalogue()["regulations"])
