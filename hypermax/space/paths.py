"""Flat dotted names of params (``layers.0.units``) and back."""

from __future__ import annotations

from typing import Any

from hypermax.space.nodes import join_path


def flatten(value: Any, prefix: str = "", *, keep_empty: bool = False) -> dict[str, Any]:
    """Nested params → ``{"optimizer.lr": 0.1, "layers.0.units": 64}``.

    An empty list or object has no leaf and leaves no name, unless ``keep_empty``, which keeps
    it as a value of its own (``{"layers": []}``): what is shown to the user, who would else
    not tell it from a param the trial does not have."""
    if keep_empty and prefix and isinstance(value, dict | list) and not value:
        return {prefix: value}
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, child in value.items():
            out.update(flatten(child, join_path(prefix, str(key)), keep_empty=keep_empty))
        return out
    if isinstance(value, list):
        out = {}
        for i, child in enumerate(value):
            out.update(flatten(child, join_path(prefix, str(i)), keep_empty=keep_empty))
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
