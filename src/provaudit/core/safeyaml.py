"""Load user YAML (configs, registries, statements) safely: no objects, bounded size, real dates.

Contract: :func:`load_yaml` parses ``text`` with PyYAML's safe loader and returns plain
data (mappings, lists, strings, numbers, booleans, None, ``datetime.date`` /
``datetime.datetime``), or raises :class:`~provaudit.core.errors.ConfigError` naming the
file, the line and column, and the problem:

* invalid YAML, as PyYAML reports it;
* a document whose *expanded* size (every alias counted as a full copy of what it names)
  exceeds :data:`MAX_NODES` nodes: the "billion laughs" alias bomb, which loads instantly
  as shared references but makes every later walk of the data (schema validation, the
  config hash) take minutes and gigabytes. Measured on the composed node graph, before any
  Python object is built, in time linear in the document's own size;
* a recursive structure (an alias inside the node it names), which no later step can walk;
* an unquoted date that is not a calendar date (``2024-02-30``), which PyYAML would raise
  as a bare ``ValueError``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from provaudit.core.errors import ConfigError

__all__ = ["MAX_NODES", "dates_as_text", "load_yaml"]

# A run config with 1,000 sources is about 20,000 nodes; a hundred times that is generous.
MAX_NODES = 2_000_000


class _LoadError(yaml.YAMLError):
    """A YAML error provaudit finds itself (a bad date, a recursive alias), with its position."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


class _Loader(yaml.SafeLoader):
    """SafeLoader whose timestamps fail as YAML errors with their position."""

    def construct_yaml_timestamp(self, node: Node) -> Any:  # noqa: D401 - PyYAML's name
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise _LoadError(f"{node.value!r} is not a valid date ({exc})", node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _expanded_size(root: Node, limit: int) -> int:
    """Nodes of ``root`` counting every alias as a copy; stops counting past ``limit``."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # nodes whose children are being sized (a cycle leads back to one)
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes or (not children_done and key in open_nodes):
            continue
        if isinstance(node, SequenceNode):
            children = node.value
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            sizes[key] = 1
            continue
        if not children_done:
            if any(id(c) in open_nodes or c is node for c in children):
                raise _LoadError("an alias refers to a node that contains it (a recursive structure)",
                                 node.start_mark)
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes and id(c) not in open_nodes)
            continue
        open_nodes.discard(key)
        total = 1
        for child in children:
            total += sizes[id(child)]
            if total > limit:
                break
        sizes[key] = min(total, limit + 1)
    return sizes[id(root)]


def load_yaml(text: str, path: str, what: str = "file", max_nodes: int = MAX_NODES) -> Any:
    """Parse one YAML document of ``path`` (named in errors as ``what``); see the module contract."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, max_nodes)
        if size > max_nodes:
            raise ConfigError(path, f"line {node.start_mark.line + 1}",
                              f"{what} expands to more than {max_nodes:,} YAML nodes through its aliases "
                              "(&anchor / *alias); write the values out or use fewer aliases")
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, where, f"invalid YAML: {problem}") from None
    finally:
        loader.dispose()


def dates_as_text(value: Any) -> Any:
    """Unquoted YAML dates (``collected: 2024-02-28``) as the ISO text the schemas describe,
    through mappings and lists (a datetime keeps its time, so it fails a date pattern)."""
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    if isinstance(value, dict):
        return {k: dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [dates_as_text(v) for v in value]
    return value
