"""What a searched value of the space is, for optimizers that do not speak hyperopt."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Literal

#: A condition under which a leaf is searched: every (choice label, option index) pair holds.
Condition = tuple[tuple[str, int], ...]


class EncodeError(ValueError):
    """A value that this space cannot produce (used for points, defaults and warm starts).

    Its text names the value by its dotted path in the params (``layers.1.units: 900 is
    outside [8.0, 64.0]``): a node raises it with the ``reason`` alone, and each object or list
    it passes through puts its key in front (:meth:`within`).
    """

    def __init__(self, reason: str, path: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path

    def within(self, key: str | int) -> EncodeError:
        """The same error, seen from the object or list that holds the value at ``key``."""
        return EncodeError(self.reason, (str(key), *self.path))

    def __str__(self) -> str:
        return f"{'.'.join(self.path)}: {self.reason}" if self.path else self.reason


@dataclass(frozen=True)
class Leaf:
    """One searched value of the space, described for any optimizer backend.

    The optimizer's ``internal`` values are keyed by ``label``. A ``float`` or ``int`` leaf's
    internal value is the number itself (``int`` leaves are numbers with a whole-number step,
    delivered as ``int``); a ``categorical`` leaf's internal value is the index of the
    chosen entry of ``choices``.

    Attributes:
        label: the unique internal label (``model#1.C``, ``layers#3.0.units``).
        path: the dotted path of the value in the params the trial receives (``model.C``); for
            the branch of a conditional or the length of a list, the path of that node.
        kind: ``float``, ``int`` or ``categorical``.
        role: ``value`` (a number or an enum), ``branch`` (which branch of an ``anyOf``/
            ``oneOf``; choices are the branch numbers) or ``length`` (how many items a list of
            variable length has; choices are the lengths).
        low, high: the bounds of a number (infinite for a normal prior without bounds).
        log: whether the number is searched uniformly in log space.
        step: the quantisation step of a number (1 for integers), or None.
        choices: the values a categorical leaf chooses between.
        prior: ``(mean, stddev)`` of a normal prior (of the log of the value when ``log``).
        condition: the (branch or length label, index) pairs that must all hold in the internal
            values for this leaf to be searched; empty when it always is.
        grid: the finite values of a number, when it has them (its ``grid`` values, its
            ``grid_points`` values, or every step of a bounded number with a step), else None;
            the values the ``grid`` method visits (other methods search the whole range).
    """

    label: str
    path: str
    kind: Literal["float", "int", "categorical"]
    role: Literal["value", "branch", "length"] = "value"
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] = ()
    prior: tuple[float, float] | None = None
    condition: Condition = ()
    grid: tuple[float, ...] | None = None

    def active(self, internal: dict[str, Any]) -> bool:
        """Whether this leaf is searched under the given internal values."""
        return all(internal.get(label) == index for label, index in self.condition)

    def shape(self, raw: float) -> float | int:
        """A number as the trial receives it: rounded to the step, kept within the bounds (a
        normal prior's too, when it has them), an ``int`` for integers. Its internal value is
        ``float`` of it."""
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        integer = self.kind == "int"
        return shape_number(raw, low, high, self.step, integer, positive=self.log)

    def options(self) -> tuple[Any, ...] | None:
        """The finite internal values of this leaf in order, or None when there are infinitely
        many."""
        if self.kind == "categorical":
            return tuple(range(len(self.choices)))
        return self.grid


def shape_number(
    raw: float,
    low: float,
    high: float,
    step: float | None,
    integer: bool,
    positive: bool = False,
) -> float | int:
    """``raw`` rounded to a multiple of ``step`` (if any), clamped to ``[low, high]`` (with a
    step, to the first or last multiple within them, so that bounds off the step are never
    taken; a bound may be infinite: a normal prior's without ``min`` or ``max``), and an
    ``int`` when ``integer`` (within fractional bounds, the nearest whole number inside them).
    A ``positive`` number (one on a log scale) rounds to one step at least, never to 0."""
    value = float(raw)
    if step:
        count: float = round(value / step)
        if positive:
            count = max(count, 1)
        first, last = step_range(low, high, step)
        if first <= last:  # a spec's number always holds a multiple (validation)
            count = min(max(count, first), last)
        value = step_multiple(count, step)
    value = min(max(value, low), high)
    if not integer:
        return value
    whole = round(value)
    if math.isfinite(low):
        whole = max(whole, math.ceil(low))
    if math.isfinite(high):
        whole = min(whole, math.floor(high))
    return whole


def step_multiple(count: float, step: float) -> float:
    """``count`` times ``step`` without float noise (0.30000000000000004): rounded to 12
    decimals, or to 3 decimals past the step's first digit for a step finer than 1e-9."""
    return round(count * step, _decimals(step))


@functools.lru_cache(maxsize=256)
def _decimals(step: float) -> int:
    """The decimals :func:`step_multiple` rounds to (the steps of a space are few)."""
    return max(12, 3 - math.floor(math.log10(step)))


@functools.lru_cache(maxsize=256)  # every decode of a number with a step asks it again
def step_range(low: float, high: float, step: float) -> tuple[float, float]:
    """``(first, last)``: ``first * step`` and ``last * step`` are the first and the last
    multiple of ``step`` within ``[low, high]`` (whole numbers; an infinite bound gives an
    infinite end). ``first > last`` when no multiple lies within them.

    A multiple off a bound by float noise only (``3 * 0.1`` for 0.3) counts as within it; one
    that is off by more, however few steps that is (0 below a ``min`` of 1e-12, with a step of
    1), does not."""
    first: float = -math.inf
    last: float = math.inf
    if math.isfinite(low):
        first = math.ceil(low / step - 1e-9)
        if first * step < low and not math.isclose(first * step, low, rel_tol=1e-9):
            first += 1
    if math.isfinite(high):
        last = math.floor(high / step + 1e-9)
        if last * step > high and not math.isclose(last * step, high, rel_tol=1e-9):
            last -= 1
    return first, last


def widened(low: float, high: float, half: float) -> tuple[float, float]:
    """``[low - half, high + half]``: a number's range widened by almost half a step on each
    side, so that draws round to the end values as often as to the inner ones; only as far as
    a float holds the span (``rounding: 1e308`` between 0 and 1e308 leaves the bounds as they
    are: a wider span is no float, which no uniform draw takes)."""
    lo, hi = low - half, high + half
    if math.isfinite(hi - lo):
        return lo, hi
    return low, high
