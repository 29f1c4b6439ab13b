"""Params completed from the space's defaults: what a partial ``search.points`` entry runs."""

from __future__ import annotations

from typing import Any, cast

from hypermax.space.containers import Alternatives, ChoiceNode, ListNode, ObjectNode, TupleNode
from hypermax.space.leaf import EncodeError
from hypermax.space.nodes import MISSING, ConstNode, Node


def complete(node: Node, value: Any) -> Any:
    """``value`` with every parameter it leaves out that has a default filled in: a leaf its
    ``default``, a constant its value, an object (or tuple) whose every parameter has one
    those, a conditional its first branch whose every parameter has one. A parameter left out
    without a default stays out (encoding then says it is missing); ``value`` is not changed."""
    kind = type(node)  # not isinstance: each call of it on an abstract class (Node) is slow
    if kind is ObjectNode and isinstance(value, dict):
        node = cast(ObjectNode, node)
        out = dict(value)
        for key, child in node.children.items():
            if key in value:
                if type(child) in _HOLDERS:  # else a leaf or a constant: the value as given
                    out[key] = complete(child, value[key])
            elif (filled := given_default(child)) is not MISSING:
                out[key] = filled
        return out
    if kind is TupleNode:
        node = cast(TupleNode, node)
        if not isinstance(value, list) or len(value) != len(node.items):
            return value
        return [
            complete(item, v) if type(item) in _HOLDERS else v
            for item, v in zip(node.items, value, strict=True)
        ]
    if kind is ListNode:
        node = cast(ListNode, node)  # only the variant of the list's length can fit it
        if not isinstance(value, list) or len(value) not in node.lengths:
            return value
        variant = node.variants[node.lengths.index(len(value))]
        attempt = complete(variant, value)
        try:
            variant.encode(attempt, {})
        except EncodeError:
            return value
        return attempt
    if kind is ChoiceNode:  # the first branch it then fits
        node = cast(ChoiceNode, node)
        for option in node.branches:
            attempt = complete(option, value)
            try:
                option.encode(attempt, {})
            except EncodeError:
                continue
            return attempt
    return value


#: the nodes that hold others, whose value :func:`complete` may fill in
_HOLDERS = frozenset({ObjectNode, TupleNode, ChoiceNode, ListNode})


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
