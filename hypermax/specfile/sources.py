"""Where each part of a resolved spec was written: the spec file, or a file a ``$ref`` names.

A problem found in the resolved document is named in the file that holds it, at its path
there, with the ``$ref`` that brought it in; one in the spec file itself reads as before::

    parts/space.yaml: space.properties.x.max: must be greater than min (1), got 0 (via the $ref at search.json: hyperparameters)
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hypermax.errors import SpecError
from hypermax.specfile.problems import (
    MAX_PROBLEMS,
    JsonPath,
    KeyPath,
    Problem,
    dotted,
    in_order,
    more_problems,
)


@dataclass(frozen=True)
class Place:
    """Where a value was written: its file, its path there, and the place of the ``$ref`` that
    brought that part of the file in (None for the spec file's own values)."""

    file: Path
    at: JsonPath = ()
    via: Place | None = None

    def child(self, key: str | int) -> Place:
        """The place of the value under ``key`` of this one."""
        return Place(self.file, (*self.at, key), self.via)


class Sources:
    """The places the parts of one resolved spec came from, by their path in it."""

    def __init__(self, spec_file: Path, named: str, show: Callable[[Path], str]) -> None:
        """Problems name ``spec_file`` ``named``, and any other file as ``show`` does."""
        self.spec_file = spec_file
        self.named = named
        self._show = show
        self._places: dict[JsonPath, tuple[int, Place]] = {}
        self._added = 0

    def add(self, where: JsonPath, place: Place) -> None:
        """The value at ``where`` in the resolved spec, and what it holds, came from ``place``.
        What is added later for ``where``, or for a part above it, replaces it."""
        self._added += 1
        self._places[where] = (self._added, place)

    def place_of(self, where: JsonPath) -> Place:
        """Where the value at ``where`` in the resolved spec was written."""
        found, depth, newest = Place(self.spec_file), 0, 0
        for start in range(len(where) + 1):
            entry = self._places.get(where[:start])
            if entry is not None and entry[0] > newest:
                (newest, found), depth = entry, start
        return Place(found.file, (*found.at, *where[depth:]), found.via)

    def error(self, problems: Iterable[Problem]) -> SpecError:
        """The SpecError of ``problems`` found in the resolved spec, in the order of their paths
        there, each named where it was written."""
        return self.error_at([(self._named_at(where), text) for where, text in in_order(problems)])

    def _named_at(self, where: JsonPath) -> Place:
        place = self.place_of(where)
        if isinstance(where, KeyPath):  # the object, in the file that wrote the key
            return Place(place.file, place.at[:-1], place.via)
        return place

    def error_at(self, problems: Sequence[tuple[Place, str]]) -> SpecError:
        """The SpecError of problems where they were written, in their order; a mistake that
        two ``$ref``s bring in (or that is also seen where it stands) is named once."""
        vias: dict[tuple[str, str, str], str] = {}
        for place, text in problems:
            key = (self._name(place.file), dotted(place.at), text)
            via = "" if place.via is None else self._via(place.via)
            if key not in vias or not via:
                vias[key] = via
        lines = [(file, path, text + via) for (file, path, text), via in vias.items()]
        if len(lines) > MAX_PROBLEMS:
            lines = [*lines[:MAX_PROBLEMS], (self.named, "", more_problems(len(lines)))]
        if all(file == self.named for file, _, _ in lines):
            return SpecError(self.named, [(path, text) for _, path, text in lines])
        return SpecFilesError(self.named, lines)

    def _via(self, place: Place) -> str:
        at = f": {dotted(place.at)}" if place.at else ""
        return f" (via the $ref at {self._name(place.file)}{at})"

    def _name(self, file: Path) -> str:
        return self.named if file == self.spec_file else self._show(file)


class SpecFilesError(SpecError):
    """A SpecError some of whose problems lie in files the spec's ``$ref``s name: each line
    names its own file, and the path there. ``files[i]`` holds ``problems[i]``."""

    def __init__(self, file: str, lines: Sequence[tuple[str, str, str]]) -> None:
        self.files = [name for name, _, _ in lines]
        super().__init__(file, [(path, text) for _, path, text in lines])

    def lines(self) -> list[str]:
        return [
            SpecError(file, [problem]).lines()[0]
            for file, problem in zip(self.files, self.problems, strict=True)
        ]
