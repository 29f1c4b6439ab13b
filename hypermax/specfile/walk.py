"""Walk the nodes of a spec's hyperparameters with their JSON paths."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from hypermax.specfile.problems import JsonPath


def every_node(
    node: dict[str, Any], where: JsonPath, prune: Callable[[JsonPath], bool] | None = None
) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    """Every node of a space with its JSON path, each before those below it: the branches of a
    conditional, the properties of an object, the items of an array. A node at a path that
    ``prune`` says yes to is left out, with every node below it."""
    if prune is not None and prune(where):
        return
    yield where, node
    if "constant" in node or "const" in node or "enum" in node:
        return
    for key in ("anyOf", "oneOf"):
        if key in node:
            for i, branch in enumerate(node[key]):
                yield from every_node(branch, (*where, key, i), prune)
            return
    if node["type"] == "object":
        for name, child in node.get("properties", {}).items():
            yield from every_node(child, (*where, "properties", name), prune)
    elif node["type"] == "array":
        items = node["items"]
        if isinstance(items, list):
            for i, item in enumerate(items):
                yield from every_node(item, (*where, "items", i), prune)
        else:
            yield from every_node(items, (*where, "items"), prune)
