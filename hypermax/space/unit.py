"""The space as a box of unit coordinates, for optimizers that work on vectors."""

from __future__ import annotations

import math
from collections.abc import Iterable
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from hypermax.space.leaf import widened

if TYPE_CHECKING:
    from hypermax.space.leaf import Leaf
    from hypermax.space.searchspace import Space

_STANDARD_NORMAL = NormalDist()
_TAIL = 1e-6  # a normal prior's coordinates stop this far from 0 and 1


class UnitCube:
    """The space as the box ``[0, 1] ** dims``: one coordinate per leaf of ``space.leaves()``.

    A number's coordinate runs over its range uniformly (in log space with logarithmic
    scaling; through the inverse normal CDF for a normal prior; over a range widened by almost
    half a step on each side for a number with a step, so that the end values are as likely as
    the inner ones). A categorical leaf (an enum, the branch of a conditional, the length of a
    list) splits its coordinate into equal parts, one per option. Every vector is a point of the
    space, and every point has a vector: differential evolution, quasi-random sequences and
    local search need nothing else.

    Example::

        cube = UnitCube(space)
        internal = cube.internal([0.5] * cube.dims)    # the middle of every leaf
        Proposal(trial_id, space.decode(internal), internal)
    """

    def __init__(self, space: Space) -> None:
        self.leaves = space.leaves()
        self.dims = len(self.leaves)

    def internal(self, vector: Iterable[float]) -> dict[str, Any]:
        """The internal values of the point at ``vector``: its active leaves only, each value as
        the space holds it (numbers rounded to their step and within their bounds)."""
        out: dict[str, Any] = {}
        for leaf, coordinate in zip(self.leaves, vector, strict=True):
            if leaf.active(out):
                out[leaf.label] = to_value(leaf, min(max(float(coordinate), 0.0), 1.0))
        return out

    def vector(self, internal: dict[str, Any], fill: Iterable[float]) -> list[float]:
        """The coordinates of ``internal``; a leaf it has no value for (one its branches leave
        out) takes its coordinate from ``fill``."""
        return [
            to_coordinate(leaf, internal[leaf.label]) if leaf.label in internal else float(given)
            for leaf, given in zip(self.leaves, fill, strict=True)
        ]


def to_value(leaf: Leaf, coordinate: float) -> Any:
    """The internal value of ``leaf`` at ``coordinate`` in [0, 1]."""
    if leaf.kind == "categorical":
        return min(int(coordinate * len(leaf.choices)), len(leaf.choices) - 1)
    if leaf.prior is not None:
        mean, stddev = leaf.prior
        tail = min(max(coordinate, _TAIL), 1 - _TAIL)
        value = mean + stddev * _STANDARD_NORMAL.inv_cdf(tail)
        return float(leaf.shape(math.exp(value) if leaf.log else value))
    low, high = _span(leaf)
    value = low + coordinate * (high - low)
    return float(leaf.shape(math.exp(value) if leaf.log else value))


def to_coordinate(leaf: Leaf, value: Any) -> float:
    """The coordinate in [0, 1] of ``leaf``'s internal ``value`` (the inverse of
    :func:`to_value`; an option's coordinate is the middle of its part)."""
    if leaf.kind == "categorical":
        return (int(value) + 0.5) / len(leaf.choices)
    number = float(value)
    if leaf.log:
        number = math.log(max(number, 1e-300))
    if leaf.prior is not None:
        mean, stddev = leaf.prior
        return _STANDARD_NORMAL.cdf((number - mean) / stddev)
    low, high = _span(leaf)
    return min(max((number - low) / (high - low), 0.0), 1.0)


def _span(leaf: Leaf) -> tuple[float, float]:
    """The range a bounded number's coordinate runs over (in log space with log scaling)."""
    low, high = float(leaf.low or 0.0), float(leaf.high or 0.0)
    if leaf.log:
        return math.log(low), math.log(high)
    return widened(low, high, 0.4999 * leaf.step if leaf.step else 0.0)
