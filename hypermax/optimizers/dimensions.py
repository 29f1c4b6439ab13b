"""The leaves of a space as search dimensions that non-hyperopt backends understand.

A :class:`Dimension` describes one leaf with finite bounds and says how its internal value (the
number itself, or a choice's index) is written for a backend: as an Optuna distribution and
parameter, or as a coordinate of the unit cube for CMA-ES and nevergrad. A number with a step is
searched over its step counts ``k`` (value ``k * step``), so every proposal lands on the grid the
space delivers and a rebuilt history reads exactly what the live one wrote.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hypermax.space.leaf import step_multiple, step_range

if TYPE_CHECKING:
    from optuna.distributions import BaseDistribution

    from hypermax.space import Leaf, Space

#: step counts from this one on (2**52) have no float between them: Optuna weighs an integer
#: ``k`` by its kernels' mass from ``k - 0.5`` to ``k + 0.5``, which is zero there, and its TPE
#: then scores every candidate NaN; such counts are searched as continuous ones, rounded
EXACT_HALVES = 2**52
#: a normal prior without bounds is searched over its mean ± this many standard deviations
PRIOR_WIDTH = 3.0


@dataclass(frozen=True)
class Dimension:
    """One leaf of the space with the finite range a backend searches.

    Attributes:
        leaf: the leaf (its label keys the internal values).
        low, high: the searched range: of the value (``log`` False) or of its logarithm; for a
            number with a step, of its step count ``k``.
        choices: how many options a categorical leaf has (0 for a number).
    """

    leaf: Leaf
    low: float = 0.0
    high: float = 0.0
    choices: int = 0

    @property
    def label(self) -> str:
        return self.leaf.label

    @property
    def stepped(self) -> bool:
        return self.choices == 0 and self.leaf.step is not None

    # -- the unit cube (CMA-ES, nevergrad) ---------------------------------------------------
    def from_unit(self, u: float) -> Any:
        """A coordinate in [0, 1] → the internal value."""
        u = min(max(float(u), 0.0), 1.0)
        if self.choices:
            return min(int(u * self.choices), self.choices - 1)
        if self.stepped:
            if self.leaf.log:
                k = round(math.exp(self._between(math.log(self.low), math.log(self.high), u)))
            else:
                k = round(self._between(self.low - 0.5, self.high + 0.5, u))
            return self._value_of_step(min(max(k, int(self.low)), int(self.high)))
        value = self._between(self.low, self.high, u)
        return math.exp(value) if self.leaf.log else value

    def to_unit(self, internal: Any) -> float:
        """The internal value → its coordinate in [0, 1] (the centre of a choice or a step)."""
        if self.choices:
            return (int(internal) + 0.5) / self.choices
        if self.stepped:
            k = self._step_of_value(internal)
            if self.leaf.log:
                return _fraction(math.log(k), math.log(self.low), math.log(self.high))
            return _fraction(k, self.low - 0.5, self.high + 0.5)
        value = math.log(internal) if self.leaf.log else float(internal)
        return _fraction(value, self.low, self.high)

    # -- Optuna ------------------------------------------------------------------------------
    def distribution(self, most_steps: float = math.inf) -> BaseDistribution:
        """The Optuna distribution of this leaf's parameter (see :meth:`to_param`); a stepped
        number with more than ``most_steps`` steps, or a step count of :data:`EXACT_HALVES` or
        more, has a continuous one over its step counts."""
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        if self.choices:
            return CategoricalDistribution(tuple(range(self.choices)))
        if (
            self.stepped
            and self.high - self.low <= most_steps
            and max(abs(self.low), abs(self.high)) < EXACT_HALVES
        ):
            return IntDistribution(int(self.low), int(self.high), log=self.leaf.log)
        if self.stepped:
            return FloatDistribution(self.low, self.high, log=self.leaf.log)
        low, high = self.value_bounds()
        return FloatDistribution(low, high, log=self.leaf.log)

    def value_bounds(self) -> tuple[float, float]:
        """The range of an unstepped number's value: the leaf's own bounds, exactly, where the
        searched range is theirs (``exp(log(x))`` is not always ``x``)."""
        if not self.leaf.log:
            return self.low, self.high
        low, high = math.exp(self.low), math.exp(self.high)
        if self.leaf.low is not None and math.isclose(low, self.leaf.low, rel_tol=1e-9):
            low = self.leaf.low
        if self.leaf.high is not None and math.isclose(high, self.leaf.high, rel_tol=1e-9):
            high = self.leaf.high
        return low, high

    def to_param(self, internal: Any) -> Any:
        """The internal value → the Optuna parameter (a step count for a stepped number)."""
        if self.choices:
            return int(internal)
        if self.stepped:
            return self._step_of_value(internal)
        low, high = self.value_bounds()
        return min(max(float(internal), low), high)

    def from_param(self, param: Any) -> Any:
        """An Optuna parameter → the internal value."""
        if self.choices:
            return int(param)
        if self.stepped:
            return self._value_of_step(round(param))
        return float(param)

    # -- steps ------------------------------------------------------------------------------
    def _value_of_step(self, k: int) -> float:
        step = self.leaf.step
        assert step is not None
        return step_multiple(k, step)

    def _step_of_value(self, value: Any) -> int:
        step = self.leaf.step
        assert step is not None
        return min(max(round(float(value) / step), int(self.low)), int(self.high))

    @staticmethod
    def _between(low: float, high: float, u: float) -> float:
        return low + u * (high - low)


def _fraction(value: float, low: float, high: float) -> float:
    if high <= low:
        return 0.5
    return min(max((value - low) / (high - low), 0.0), 1.0)


def dimensions(space: Space) -> list[Dimension]:
    """Every leaf of ``space`` as a :class:`Dimension`, in spec order (a branch or length choice
    before the leaves it governs)."""
    return [dimension(leaf) for leaf in space.leaves()]


def dimension(leaf: Leaf) -> Dimension:
    """One leaf as a :class:`Dimension` with finite bounds."""
    if leaf.kind == "categorical":
        return Dimension(leaf, choices=len(leaf.choices))
    low, high = _bounds(leaf)
    if leaf.step is not None:
        step = leaf.step
        value_low, value_high = (math.exp(low), math.exp(high)) if leaf.log else (low, high)
        first, last = step_range(value_low, value_high, step)
        k_low, k_high = int(first), int(max(last, first))
        if leaf.log:
            k_low = max(k_low, 1)
            k_high = max(k_high, k_low)
        return Dimension(leaf, float(k_low), float(k_high))
    return Dimension(leaf, low, high)


def _bounds(leaf: Leaf) -> tuple[float, float]:
    """The searched range of a number, in log space when ``leaf.log``."""
    low = -math.inf if leaf.low is None else leaf.low
    high = math.inf if leaf.high is None else leaf.high
    if leaf.log:
        low = math.log(low) if low > 0 else -math.inf
        high = math.log(high) if math.isfinite(high) else math.inf
    if leaf.prior is not None:
        mean, stddev = leaf.prior
        low = max(low, mean - PRIOR_WIDTH * stddev)
        high = min(high, mean + PRIOR_WIDTH * stddev)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{leaf.path}: a number needs finite bounds or a normal prior")
    return low, high
