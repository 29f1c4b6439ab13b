"""Comparing JSON values the way a spec means them."""

from __future__ import annotations

from typing import Any


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: ``1 == 1.0``, but ``true != 1`` and ``1 != "1"``; lists and objects by
    their items."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple | dict) or isinstance(b, list | tuple | dict):
        return False
    return bool(a == b)
