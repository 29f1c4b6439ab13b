"""The Space: what optimizers search, in every form they need it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

from hypermax.space.build import build_node
from hypermax.space.complete import complete
from hypermax.space.leaf import EncodeError, Leaf
from hypermax.space.paths import flatten


class HasHyperparameters(Protocol):
    """Anything with a spec's ``hyperparameters`` section (a Spec)."""

    @property
    def hyperparameters(self) -> dict[str, Any]: ...


class Space:
    """A search space built from the spec's ``hyperparameters`` section.

    Optimizers see it three ways: as hyperopt's expression (:meth:`hyperopt_space`), as a list
    of :class:`Leaf` descriptions for other backends (:meth:`leaves`), and, when it is finite,
    as every point it holds (:meth:`size`, :meth:`points`). All of them speak the same internal
    values, which :meth:`decode` turns into the params a trial receives.
    """

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.root = build_node(raw, "")
        self._expr: Any = None
        self._leaves: list[Leaf] | None = None

    @classmethod
    def from_spec(cls, spec: HasHyperparameters) -> Space:
        return cls(spec.hyperparameters)

    def hyperopt_space(self) -> Any:
        """The pyll expression hyperopt's suggest functions search (built once)."""
        if self._expr is None:
            self._expr = self.root.expr()
        return self._expr

    def labels(self) -> list[str]:
        """Every searched hyperopt label, in spec order."""
        return list(self.root.labels())

    def decode(self, internal: dict[str, Any]) -> dict[str, Any]:
        """Internal values (active labels only) → the params a trial receives."""
        return self.root.decode(internal)

    def encode(self, params: Any) -> dict[str, Any]:
        """Params → internal values; raises EncodeError for params this space cannot produce."""
        out: dict[str, Any] = {}
        self.root.encode(params, out)
        return out

    def complete(self, params: Any) -> Any:
        """``params`` with every parameter it leaves out that has a ``default`` filled in (a
        partial ``search.points`` entry); one without a default stays out."""
        return complete(self.root, params)

    def as_trial(self, point: Any) -> dict[str, Any]:
        """The params a trial of ``point`` (a ``search.points`` entry) receives: completed from
        the defaults (:meth:`complete`) and rounded as the space rounds (to a number's step, an
        integer); raises EncodeError for a point the space cannot produce even so."""
        return self.decode(self.encode(self.complete(point)))

    def points_as_trials(
        self, points: Iterable[Any]
    ) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
        """The spec's ``points`` as their trials receive them (:meth:`as_trial`), and, for each
        one the space cannot produce, its JSON path (``search.points.2``) and why."""
        usable: list[dict[str, Any]] = []
        unusable: list[tuple[str, str]] = []
        for index, point in enumerate(points):
            try:
                usable.append(self.as_trial(point))
            except EncodeError as exc:
                unusable.append((f"search.points.{index}", str(exc)))
        return usable, unusable

    def defaults(self) -> dict[str, Any] | None:
        """The warm-start params, or None when no leaf of the space has a ``default``."""
        if not self.root.has_default():
            return None
        return self.root.default()

    def param_names(self) -> list[str]:
        """Every flat name a trial's params may have (``layers.0.units``), in the space's own
        order (see :func:`hypermax.space.columns.param_names`)."""
        from hypermax.space.columns import param_names

        return [name for name in param_names(self.root) if name]

    def leaves(self) -> list[Leaf]:
        """Every searched leaf in spec order, a branch or length choice before what it governs."""
        if self._leaves is None:
            self._leaves = list(self.root.leaves("", ()))
        return list(self._leaves)

    def active(self, internal: dict[str, Any]) -> dict[str, Any]:
        """Only the internal values of the leaves that ``internal`` itself makes active."""
        return {
            leaf.label: internal[leaf.label]
            for leaf in self.leaves()
            if leaf.label in internal and leaf.active(internal)
        }

    def size(self) -> int | None:
        """How many distinct points the space holds, or None when it holds infinitely many (a
        number without a step or ``grid`` values, a normal prior). A number's ``grid`` values
        are its points: this is the size of the grid the ``grid`` method walks."""
        return self.root.size()

    def points(self) -> list[dict[str, Any]]:
        """Every point of a finite space as internal values, in a fixed order (the first option
        of every choice first). Raises ValueError for an infinite space."""
        size = self.size()
        if size is None:
            raise ValueError("the space holds infinitely many points")
        return [self.root.point(index) for index in range(size)]

    def point(self, index: int) -> dict[str, Any]:
        """Point ``index`` of :meth:`points` (``0 <= index < size()``), without listing them:
        a grid of any size can be walked in any order."""
        return self.root.point(index)

    def point_index(self, internal: dict[str, Any]) -> int | None:
        """Where the point ``internal`` holds stands in :meth:`points`, or None when it is not
        one of them (a number off its grid, a value missing)."""
        return self.root.point_index(internal)


def skipped_point(spec_name: str, where: str, why: str) -> str:
    """What a search says of a point in ``search.points`` that it skips (``validate`` too):
    ``where`` and ``why`` as :meth:`Space.points_as_trials` gives them."""
    return f"{spec_name}: {where}: skipped, the space cannot produce it: {why}"


def points_to_run(
    points: Iterable[dict[str, Any]], defaults: dict[str, Any] | None, ran: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The spec's ``points`` still to run, the space's ``defaults`` first in a new search: a
    resumed search (the params of the trials that ``ran``) leaves out the points it ran, and a
    point equal to the defaults or to an earlier point runs once."""
    seen = {_key(params) for params in ran}
    first = [defaults] if defaults is not None and not ran else []
    to_run = []
    for point in [*first, *points]:
        key = _key(point)
        if key not in seen:
            seen.add(key)
            to_run.append(point)
    return to_run


def _key(params: dict[str, Any]) -> str:
    return json.dumps(flatten(params), sort_keys=True, default=str)
