"""The hyperparameter space: spec nodes ⇄ hyperopt space, internal ⇄ external values.

The optimizer works on *internal* values: a flat dict from hyperopt label to the raw value it
sampled (an option index for enums and conditionals). The trial receives *external* params: the
nested dict the spec describes, with plain Python values. Labels are dotted paths; a conditional
branch adds ``#i`` and a variable-length list adds ``#L`` (its length) so that every label is
unique: ``model#1.C``, ``layers#3.0.units``. Flat names for tables come from the external value
(``model.C``, ``layers.0.units``) through :func:`flatten`.

A finite space (every number with grid values) numbers its points: ``Space.point(i)`` and
``Space.point_index(internal)`` walk a grid of any size without listing it. :class:`UnitCube`
maps the space to ``[0, 1] ** dims`` and back, for methods that work on vectors.
"""

from __future__ import annotations

from hypermax.space.build import build_node
from hypermax.space.leaf import Condition, EncodeError, Leaf
from hypermax.space.paths import flatten, unflatten
from hypermax.space.searchspace import HasHyperparameters, Space, points_to_run, skipped_point
from hypermax.space.unit import UnitCube

__all__ = [
    "Condition",
    "EncodeError",
    "HasHyperparameters",
    "Leaf",
    "Space",
    "UnitCube",
    "build_node",
    "flatten",
    "points_to_run",
    "skipped_point",
    "unflatten",
]
