"""The flat names of a space's params (``layers.0.units``) in the space's own order: what
the columns of a results table follow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypermax.space.containers import Alternatives, ListNode, ObjectNode, TupleNode
from hypermax.space.nodes import ConstNode, EnumNode, Node, join_path
from hypermax.space.paths import flatten


def param_names(root: Node) -> list[str]:
    """Every flat name a trial's params may have, in the space's order: an object's keys as the
    spec lists them, each branch of a conditional after the one before it (a name two branches
    share where the first has it), a list's items in index order, each item's names together;
    an empty list or object (a list that may have no items) as a name of its own, as
    :func:`flatten` keeps it for a table."""
    return list(dict.fromkeys(_names(root, "")))


def _names(node: Node, path: str) -> Iterator[str]:
    if isinstance(node, ObjectNode):
        if not node.children and path:
            yield path
        for key, child in node.children.items():
            yield from _names(child, join_path(path, key))
    elif isinstance(node, TupleNode):
        if not node.items and path:
            yield path
        for i, item in enumerate(node.items):
            yield from _names(item, join_path(path, str(i)))
    elif isinstance(node, ListNode):
        # the longest variant holds every item of the shorter ones, at the same index
        if min(node.lengths, default=0) == 0 and path:
            yield path
        longest = max(node.variants, key=lambda variant: len(variant.items), default=None)
        if longest is not None:
            yield from _names(longest, path)
    elif isinstance(node, Alternatives):
        for option in node.alternatives():
            yield from _names(option, path)
    elif isinstance(node, ConstNode):
        yield from _value_names(node.value, path)
    elif isinstance(node, EnumNode):
        for option in node.options:
            yield from _value_names(option, path)
    else:
        yield path


def _value_names(value: Any, path: str) -> Iterator[str]:
    """The flat names of a constant's or an enum option's ``value`` at ``path``."""
    if isinstance(value, dict | list):
        yield from flatten(value, path, keep_empty=True)
    else:
        yield path
