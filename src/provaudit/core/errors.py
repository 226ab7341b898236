"""provaudit's exceptions, one small hierarchy.

    ProvauditError              anything provaudit raises on purpose
     ├── ConfigError            a run config or registry is wrong (names file and key); exit 2
     ├── InputError             a configured path matches nothing or cannot be listed; exit 2
     └── ReconciliationError    documents read != ledger rows + quarantined; the run fails

Workers never raise on bad data: they route it to the quarantine with a reason code.
"""

from __future__ import annotations


class ProvauditError(Exception):
    """Base of every error provaudit raises on purpose."""


class ConfigError(ProvauditError):
    """A run config or registry is invalid.

    ``file`` and ``key`` name where: the message reads ``FILE: KEY: problem``.
    """

    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file = file
        self.key = key
        self.problem = problem
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {problem}")


class InputError(ProvauditError):
    """A configured input path matches no file or cannot be listed."""


class ReconciliationError(ProvauditError):
    """Counts of one run do not reconcile: read != ledger + quarantined."""
