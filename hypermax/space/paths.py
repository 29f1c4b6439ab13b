"""Flat dotted names of params (``layers.0.units``) and back."""

from __future__ import annotations

from typing import Any

from hypermax.space.nodes import join_path


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested params → ``{"optimizer.lr": 0.1, "layers.0.units": 64}``."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, child in value.items():
            out.update(flatten(child, join_path(prefix, str(key))))
        return out
    if isinstance(value, list):
        out = {}
        for i, child in enumerate(value):
            out.update(flatten(child, join_path(prefix, str(i))))
        return out
    return {prefix: value}


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`flatten`: dotted names → nested dicts, integer keys → lists."""
    root: dict[str, Any] = {}
    for name, value in flat.items():
        node = root
        *parents, last = name.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(child) for key, child in node.items()}
    keys = list(converted)
    if keys and all(k.isdigit() for k in keys) and sorted(map(int, keys)) == list(range(len(keys))):
        return [converted[str(i)] for i in range(len(keys))]
    return converted
