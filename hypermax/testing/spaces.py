"""The test spaces of the optimizer contract, and a loss over each.

:data:`FLAT_SPACE` (a number, an integer, a choice), :data:`CONDITIONAL_SPACE` (an ``anyOf``
of objects and a list of variable length) and :data:`NORMAL_SPACE` (numbers of mode normal,
bounded); :func:`with_grid_points` makes any of them finite for a grid-like method.
"""

from __future__ import annotations

import copy
import math
from typing import Any

FLAT_SPACE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "x": {"type": "number", "min": -5, "max": 5},
        "k": {"type": "integer", "min": 1, "max": 4},
        "c": {"enum": ["a", "b", "c"]},
    },
}

CONDITIONAL_SPACE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "lr": {"type": "number", "min": 1e-4, "max": 1, "scaling": "logarithmic"},
        "model": {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {
                        "name": {"const": "svm"},
                        "C": {"type": "number", "min": 0.1, "max": 10, "rounding": 0.1},
                    },
                },
                {
                    "type": "object",
                    "properties": {
                        "name": {"const": "forest"},
                        "depth": {"type": "integer", "min": 2, "max": 8},
                    },
                },
            ]
        },
        "layers": {
            "type": "array",
            "items": {"type": "integer", "min": 8, "max": 64, "rounding": 8},
            "minItems": 1,
            "maxItems": 3,
        },
    },
}


#: numbers of mode normal, bounded: their priors reach far past ``min`` and ``max``
NORMAL_SPACE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "w": {"type": "number", "mode": "normal", "mean": 0, "stddev": 10, "min": -1, "max": 2},
        "n": {"type": "integer", "mode": "normal", "mean": 3, "stddev": 20, "min": 1, "max": 6},
        "s": {
            **{"type": "number", "mode": "normal", "scaling": "logarithmic"},
            **{"mean": 1, "stddev": 3, "min": 0.5, "max": 4},
        },
    },
}


def flat_loss(params: dict[str, Any]) -> float:
    """A loss over :data:`FLAT_SPACE`, lowest at x=1, k=1, c="b"."""
    return (params["x"] - 1) ** 2 + params["k"] + (params["c"] != "b")


def conditional_loss(params: dict[str, Any]) -> float:
    """A loss over :data:`CONDITIONAL_SPACE`."""
    model = params["model"]
    term = abs(model["C"] - 1) if model["name"] == "svm" else abs(model["depth"] - 5) / 3
    return abs(math.log10(params["lr"]) + 2) + term + sum(params["layers"]) / 64


def normal_loss(params: dict[str, Any]) -> float:
    """A loss over :data:`NORMAL_SPACE`."""
    return (params["w"] - 0.5) ** 2 + abs(params["n"] - 2) + abs(math.log(params["s"]))


def with_grid_points(space: dict[str, Any], count: int) -> dict[str, Any]:
    """A copy of ``space`` in which every number without finitely many values (no step, no
    ``grid``; of mode normal, any with ``min`` and ``max``) has ``grid_points: count``: a
    finite space for a grid-like method."""
    space = copy.deepcopy(space)
    stack = [space]
    while stack:
        node = stack.pop()
        kind = node.get("type")
        if kind in ("number", "integer"):
            stepped = node.get("rounding") or kind == "integer"
            normal = "mode" in node  # listed by its grid values alone, even with a step
            bounded = "min" in node and "max" in node
            if "grid" not in node and ((bounded and normal) or not (stepped or normal)):
                node.setdefault("grid_points", count)
        stack.extend(node.get("properties", {}).values())
        stack.extend(node.get("anyOf", node.get("oneOf", [])))
        items = node.get("items")
        stack.extend(items if isinstance(items, list) else [items] if items else [])
    return space
