"""Names of expectation verdicts that outputs share: the verdict id and its evidence file.

Contract. A verdict is named ``suite:column`` after the suite and the profile column it
checks, with ``#N`` on the N-th verdict of the same suite and column (a suite may check a
column more than once); the id is stable for a given suite file. The evidence file of a
failed verdict is named after the id with ``:`` and ``#`` replaced by ``-``. The
disclosures, the evidence stage and the workbook all name verdicts through these two
functions, so a link from one output to another never drifts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def verdict_ids(verdicts: Iterable[Mapping[str, Any]]) -> list[str]:
    """Return each verdict's id, in the order given (over all verdicts of one validation)."""
    seen: dict[str, int] = {}
    ids = []
    for v in verdicts:
        base = f"{v.get('suite', '')}:{v.get('column') or ''}"
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return ids


def evidence_slug(verdict_id: str) -> str:
    """Return the evidence file name (without extension) of a verdict id."""
    return verdict_id.replace(":", "-").replace("#", "-")
