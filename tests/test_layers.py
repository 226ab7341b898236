"""Drift test: the package's layers are folders, and no module imports across a boundary.

The rules are the map in ``src/provaudit/README.md``:

    core      plain functions on plain data: imports no other layer, no Beam, no GX
    beam      PTransforms and runner options: imports core and Apache Beam
    reports   documents from profiles and results: imports core, never Beam
    fixtures  the sample and labelled corpora: imports core, never Beam
    stages    one module per CLI verb: imports core, beam, reports
    cli.py    the command: imports anything in the package, never ``pipelines/``

Every import counts, also those inside functions and ``TYPE_CHECKING`` blocks: a lazy
import crosses the boundary as surely as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "provaudit"

# layer -> provaudit layers it may import (besides itself and the package root's __version__)
ALLOWED = {
    "core": set(),
    "beam": {"core"},
    "reports": {"core"},
    "fixtures": {"core"},
    "stages": {"core", "beam", "reports"},
    "cli": {"core", "beam", "reports", "fixtures", "stages"},
}
# layer -> third-party top-level packages it must not import
FORBIDDEN = {
    "core": {"apache_beam", "great_expectations", "pipelines"},
    "beam": {"great_expectations", "pipelines"},
    "reports": {"apache_beam", "great_expectations", "pipelines"},
    "fixtures": {"apache_beam", "great_expectations", "pipelines"},
    "stages": {"pipelines"},
    "cli": {"pipelines"},
}


def layer_of(path: Path, root: Path) -> str:
    """Name the layer of a module file: its first folder under the package, or its stem."""
    rel = path.relative_to(root)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_modules(path: Path, root: Path) -> list[tuple[int, str]]:
    """List (line, dotted module) of every import in a file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ["provaudit", *path.relative_to(root).parent.parts]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module == "provaudit":  # `from provaudit import x`: x may be a layer
                found += [(node.lineno, f"provaudit.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, module))
    return found


def violations(root: Path) -> list[str]:
    """Return one line per import that crosses a layer boundary under a package folder."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        layer = layer_of(path, root)
        if layer == "__init__":
            continue
        if layer not in ALLOWED:
            problems.append(f"{path.relative_to(root)}: module outside every layer ({sorted(ALLOWED)})")
            continue
        for line, module in imported_modules(path, root):
            parts = module.split(".")
            where = f"{path.relative_to(root)}:{line}: {layer} imports {module}"
            if parts[0] in FORBIDDEN[layer]:
                problems.append(where)
            elif parts[0] == "provaudit" and len(parts) > 1 and parts[1] != "__version__":
                target = parts[1]
                if target != layer and target not in ALLOWED[layer]:
                    problems.append(where)
    return problems


def test_package_folders_are_the_layers() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(ALLOWED) - {"cli"}
    top = {p.name for p in PACKAGE.glob("*.py")}
    assert top == {"__init__.py", "cli.py"}


def test_no_import_crosses_a_layer_boundary() -> None:
    assert violations(PACKAGE) == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("core/planted.py", "import apache_beam as beam\n", "core imports apache_beam"),
        ("core/planted.py", "def f():\n    from provaudit.reports import render\n",
         "core imports provaudit.reports"),
        ("core/planted.py", "from ..stages import scan\n", "core imports provaudit.stages"),
        ("reports/planted.py", "from apache_beam.io.filesystems import FileSystems\n",
         "reports imports apache_beam.io.filesystems"),
        ("reports/planted.py", "from provaudit import beam\n", "reports imports provaudit.beam"),
        ("beam/planted.py", "from provaudit.stages.scan import run_scan\n",
         "beam imports provaudit.stages.scan"),
        ("fixtures/planted.py", "import great_expectations as gx\n",
         "fixtures imports great_expectations"),
        ("cli.py", "import pipelines.scan\n", "cli imports pipelines.scan"),
    ],
)
def test_a_planted_crossing_is_caught(tmp_path: Path, module: str, source: str, expected: str) -> None:
    root = tmp_path / "provaudit"
    for layer in set(ALLOWED) - {"cli"}:
        (root / layer).mkdir(parents=True)
        (root / layer / "__init__.py").write_text("")
    (root / "core" / "fine.py").write_text("import numpy\nfrom provaudit import __version__\n"
                                           "from provaudit.core import errors\n")
    (root / module).write_text(source)
    found = violations(root)
    assert len(found) == 1 and found[0].endswith(expected), found


def test_a_module_outside_the_layers_is_caught(tmp_path: Path) -> None:
    root = tmp_path / "provaudit"
    root.mkdir()
    (root / "helpers.py").write_text("x = 1\n")
    assert violations(root) == ["helpers.py: module outside every layer "
                                "(['beam', 'cli', 'core', 'fixtures', 'reports', 'stages'])"]
