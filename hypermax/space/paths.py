"""Flat dotted names of params (``layers.0.units``) and back."""

from __future__ import annotations

from typing import Any


def flatten(value: Any, prefix: str = "", *, keep_empty: bool = False) -> dict[str, Any]:
    """Nested params → ``{"optimizer.lr": 0.1, "layers.0.units": 64}``.

    An empty list or object has no leaf and leaves no name, unless ``keep_empty``, which keeps
    it as a value of its own (``{"layers": []}``): what is shown to the user, who would else
    not tell it from a param the trial does not have."""
    out: dict[str, Any] = {}
    _flatten_into(out, value, prefix, keep_empty)
    return out


def _flatten_into(out: dict[str, Any], value: Any, prefix: str, keep_empty: bool) -> None:
    """:func:`flatten` writing into one dict ``out``, in the order the value holds its leaves."""
    if isinstance(value, dict):
        if not value:
            if keep_empty and prefix:
                out[prefix] = value
            return
        dot = f"{prefix}." if prefix else ""
        for key, child in value.items():
            if isinstance(child, dict | list):
                _flatten_into(out, child, f"{dot}{key}", keep_empty)
            else:
                out[f"{dot}{key}"] = child
    elif isinstance(value, list):
        if not value:
            if keep_empty and prefix:
                out[prefix] = value
            return
        dot = f"{prefix}." if prefix else ""
        for i, child in enumerate(value):
            if isinstance(child, dict | list):
                _flatten_into(out, child, f"{dot}{i}", keep_empty)
            else:
                out[f"{dot}{i}"] = child
    else:
        out[prefix] = value


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
