"""Build the node tree of a space from the spec's ``hyperparameters`` section."""

from __future__ import annotations

import math
from typing import Any

from hypermax.space.containers import ChoiceNode, ListNode, ObjectNode, TupleNode
from hypermax.space.nodes import MISSING, ConstNode, EnumNode, Node, NumberNode, join_path
from hypermax.values import json_text


def build_node(raw: dict[str, Any], label: str) -> Node:
    """Build the node tree from a validated spec node; ``label`` is its internal path."""
    default = raw.get("default", MISSING)
    if "constant" in raw or "const" in raw:
        return ConstNode(raw["constant"] if "constant" in raw else raw["const"])
    if "enum" in raw:
        return EnumNode(label or "value", list(raw["enum"]), default)
    branches = raw.get("anyOf", raw.get("oneOf"))
    if branches is not None:
        choice = label or "branch"
        return ChoiceNode(choice, [build_node(b, f"{choice}#{i}") for i, b in enumerate(branches)])
    kind = raw.get("type")
    if kind == "object":
        props = raw.get("properties", {})
        return ObjectNode(
            {key: build_node(node, join_path(label, key)) for key, node in props.items()}
        )
    if kind in ("number", "integer"):
        return _number(raw, label or "value", default)
    if kind == "array":
        items = raw.get("items")
        if isinstance(items, list):
            return TupleNode(
                [build_node(node, join_path(label, str(i))) for i, node in enumerate(items)]
            )
        if not isinstance(items, dict):
            raise ValueError(f"an array node needs items: {json_text(raw)}")
        lo, hi = int(raw.get("minItems", 0)), int(raw.get("maxItems", raw.get("minItems", 1)))
        lengths = list(range(lo, hi + 1))
        variants = [
            TupleNode([build_node(items, f"{label}#{n}.{i}") for i in range(n)]) for n in lengths
        ]
        return ListNode(label or "list", lengths, variants)
    raise ValueError(f"not a hyperparameter node: {json_text(raw)}")


def whole_numbers(raw: dict[str, Any]) -> bool:
    """Whether a number node's values are ints: ``"type": "integer"``, or a whole-number
    ``rounding`` (1, 16, 64), which reaches the trial as an ``int`` however params reach it."""
    rounding = raw.get("rounding")
    whole = isinstance(rounding, int | float) and float(rounding).is_integer()
    return raw.get("type") == "integer" or whole


def _number(raw: dict[str, Any], label: str, default: Any) -> NumberNode:
    q = raw.get("rounding")
    integer = whole_numbers(raw)
    if integer and not q:
        q = 1
    normal = None
    if raw.get("mode") == "normal":
        normal = (float(raw["mean"]), float(raw["stddev"]))
    node = NumberNode(
        label=label,
        low=float(raw.get("min", -math.inf)),
        high=float(raw.get("max", math.inf)),
        log=raw.get("scaling") in ("logarithmic", "exponential"),
        q=float(q) if q else None,
        normal=normal,
        integer=integer,
        given_default=default,
    )
    return node.with_grid(raw.get("grid"), raw.get("grid_points"))
