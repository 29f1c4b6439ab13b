"""The bounds a spec file (and every file its ``$ref``s name) must keep within.

Specs are shared between people, so a small file must not be able to take the machine down:
a document may hold at most :data:`MAX_VALUES` values once its YAML aliases (or its ``$ref``s)
are expanded, nest at most :data:`MAX_DEPTH` levels deep, and be at most :data:`MAX_BYTES` long;
each number of it must be one a float can hold.
"""

from __future__ import annotations

import sys
from typing import Any

#: the most values a document may hold once its YAML aliases are expanded
MAX_VALUES = 100_000
#: the deepest nesting of objects and lists a document may have
MAX_DEPTH = 100
#: the largest spec file (or file a ``$ref`` names) that is read
MAX_BYTES = 64 * 1024 * 1024


def too_deep(value: Any, limit: int = MAX_DEPTH) -> str | None:
    """The dotted path of the first value nested deeper than ``limit``, or None.

    Walks without recursion, and visits a value shared by YAML aliases once per depth.
    """
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    seen: set[tuple[int, int]] = set()
    while stack:
        item, depth, where = stack.pop()
        if not isinstance(item, dict | list) or (id(item), depth) in seen:
            continue
        if depth >= limit:
            return where
        seen.add((id(item), depth))
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            stack.append((child, depth + 1, f"{where}.{key}" if where else str(key)))
    return None


def too_large(digits: str) -> str | None:
    """Why the number ``digits`` is too large for a spec (beyond the largest float, which every
    number of it must be able to become; past 4300 digits Python's ``int`` refuses it), or
    None. ``digits`` is a whole number, or one whose float is infinite (``1e400``)."""
    if not digits.lstrip("+-").replace("_", "").isdigit():
        return f"{digits} is beyond the largest number (about 1.8e308)"
    count = len(digits.lstrip("+-").replace("_", ""))
    if count <= 308 or (count == 309 and abs(int(digits)) <= sys.float_info.max):
        return None
    return f"a number of {count} digits is larger than the largest number (about 1.8e308)"
