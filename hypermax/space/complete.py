"""Params completed from the space's defaults: what a partial ``search.points`` entry runs."""

from __future__ import annotations

from typing import Any

from hypermax.space.containers import Alternatives, ObjectNode, TupleNode
from hypermax.space.leaf import EncodeError
from hypermax.space.nodes import MISSING, ConstNode, Node


def complete(node: Node, value: Any) -> Any:
    """``value`` with every parameter it leaves out that has a default filled in: a leaf its
    ``default``, a constant its value, an object (or tuple) whose every parameter has one
    those, a conditional its first branch whose every parameter has one. A parameter left out
    without a default stays out (encoding then says it is missing); ``value`` is not changed."""
    if isinstance(node, ObjectNode) and isinstance(value, dict):
        out = dict(value)
        for key, child in node.children.items():
            if key in value:
                out[key] = complete(child, value[key])
            elif (filled := given_default(child)) is not MISSING:
                out[key] = filled
        return out
    if isinstance(node, TupleNode) and isinstance(value, list) and len(value) == len(node.items):
        return [complete(item, v) for item, v in zip(node.items, value, strict=True)]
    if isinstance(node, Alternatives):  # the first branch (a list: the variant) it then fits
        for option in node.alternatives():
            attempt = complete(option, value)
            try:
                option.encode(attempt, {})
            except EncodeError:
                continue
            return attempt
    return value


def given_default(node: Node) -> Any:
    """The value of ``node`` made of given defaults (and constants) only, or ``MISSING`` when
    a parameter of it has no ``default``."""
    if isinstance(node, ObjectNode):
        parts = {key: given_default(child) for key, child in node.children.items()}
        return MISSING if any(part is MISSING for part in parts.values()) else parts
    if isinstance(node, TupleNode):
        items = [given_default(item) for item in node.items]
        return MISSING if any(item is MISSING for item in items) else items
    if isinstance(node, Alternatives):
        for option in node.alternatives():
            value = given_default(option)
            if value is not MISSING:
                return value
        return MISSING
    return node.default() if isinstance(node, ConstNode) or node.has_default() else MISSING
