"""How many params a space searches, counted without building it: a list searches items of
its own for each of its lengths, so that a ``maxItems`` of a few hundred can make more params
than the memory holds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypermax.specfile.problems import JsonPath, Problem
from hypermax.specfile.walk import every_node

#: the most params one list may search: each of its lengths searches items of its own, so that
#: a ``maxItems`` of a few hundred makes tens of thousands of params, and one of 100,000 billions,
#: more than the memory holds
MAX_LIST_PARAMS = 10_000


def searched_params(node: dict[str, Any]) -> int:
    """How many params the space of ``node`` searches (as its ``Space`` labels them: a
    conditional's and a list's choice count as one), counted without building it."""
    if "constant" in node or "const" in node:
        return 0
    if "enum" in node:
        return 1
    branches = node.get("anyOf", node.get("oneOf"))
    if branches is not None:
        return 1 + sum(searched_params(branch) for branch in branches)
    if node["type"] == "object":
        return sum(searched_params(child) for child in node.get("properties", {}).values())
    if node["type"] != "array":
        return 1
    items = node["items"]
    if isinstance(items, list):
        return sum(searched_params(item) for item in items)
    low, high = list_lengths(node)
    return 1 + searched_params(items) * max(0, (low + high) * (high - low + 1) // 2)


def list_lengths(node: dict[str, Any]) -> tuple[int, int]:
    """The fewest and the most items of a list node, as the space takes them."""
    return int(node.get("minItems", 0)), int(node.get("maxItems", node.get("minItems", 1)))


def size_problems(node: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    """Each list that searches more than :data:`MAX_LIST_PARAMS` params and holds no such list,
    named at its ``maxItems``."""
    lists = [
        (at, each)
        for at, each in every_node(node, where)
        if each.get("type") == "array"
        and isinstance(each.get("items"), dict)
        and searched_params(each) > MAX_LIST_PARAMS
    ]
    for at, each in lists:
        if any(len(other) > len(at) and other[: len(at)] == at for other, _ in lists):
            continue  # a list inside it is too large alone
        low, high = list_lengths(each)
        yield (
            (*at, "maxItems"),
            f"each length from {low} to {high} searches items of its own: "
            f"{searched_params(each):,} params, more than the {MAX_LIST_PARAMS:,} a list may "
            "search",
        )
