"""Where the schema found a spec's problems, so that the checks beyond it skip those parts.

A part that broke the schema has its problems already, and the checks that read it rely on the
schema's shapes; every other part is checked, so that one run reports every problem it can.
"""

from __future__ import annotations

from collections.abc import Iterable

from hypermax.specfile.problems import JsonPath


class Broken:
    """The JSON paths where the schema found problems, asked about the parts that hold them."""

    def __init__(self, paths: Iterable[JsonPath]) -> None:
        self.paths = [tuple(where) for where in paths]

    def under(self, where: JsonPath) -> bool:
        """A problem at ``where`` or anywhere below it."""
        return any(p[: len(where)] == where for p in self.paths)

    def at(self, where: JsonPath) -> bool:
        """A problem of the value at ``where`` itself or of one of its own keys."""
        return any(p[: len(where)] == where and len(p) <= len(where) + 1 for p in self.paths)
