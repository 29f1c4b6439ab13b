"""The nodes of the space tree that hold values: constants, numbers and enums.

Each node turns internal values into the value a trial receives (:meth:`Node.decode`) and back
(:meth:`Node.encode`), gives hyperopt its expression, describes its leaves and, when it has
finitely many values, numbers its points: :meth:`Node.point` gives the i-th without listing the
others and :meth:`Node.point_index` finds where a point stands, so a grid of any size is walked
in any order with memory for the points visited only.
"""

from __future__ import annotations

import json
import math
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hypermax.space.hyperopt_lite import defer_algorithms
from hypermax.space.leaf import Condition, EncodeError, Leaf, shape_number, step_range, widened
from hypermax.values import json_equal, json_text

defer_algorithms()  # hyperopt's TPE and ATPE (and scipy) only for the methods that run them

MISSING: Any = object()

#: a number with more steps than this within its bounds is not listed: its points are endless
LARGEST_STEPS = 10_000_000
#: step counts beyond this (2**53) are not all floats: 2**53 + 1 is the float 2**53, so the
#: steps of an integer from 2**53 to 2**53 + 10 are not listed (the grid would run 2**53 twice)
EXACT_STEPS = 2**53


def join_path(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


class Node(ABC):
    """One node of the space tree."""

    @abstractmethod
    def expr(self) -> Any:
        """The hyperopt (pyll) expression of this node."""

    @abstractmethod
    def decode(self, vals: dict[str, Any]) -> Any:
        """Internal values → the external value the trial receives."""

    @abstractmethod
    def encode(self, value: Any, out: dict[str, Any]) -> None:
        """External value → internal values written into ``out``; EncodeError if impossible."""

    @abstractmethod
    def default(self) -> Any:
        """The warm-start value: the node's ``default`` or a central value."""

    @abstractmethod
    def has_default(self) -> bool:
        """True when the user gave a default somewhere in this subtree."""

    def labels(self) -> Iterator[str]:
        """Every hyperopt label in this subtree."""
        yield from ()

    def leaves(self, path: str, condition: Condition) -> Iterator[Leaf]:
        """Every searched leaf in this subtree, whose value stands at ``path`` in the params."""
        yield from ()

    def size(self) -> int | None:
        """How many distinct combinations of values this subtree has (None: infinitely many)."""
        return 1

    def point(self, index: int) -> dict[str, Any]:
        """The internal values of point ``index`` (``0 <= index < size()``) of this subtree.

        Points are numbered in a fixed order: the first value of every leaf first, the last leaf
        of an object changing fastest, the points of a conditional branch by branch.
        """
        return {}

    def point_index(self, internal: dict[str, Any]) -> int | None:
        """The number :meth:`point` gives the point ``internal`` makes active here, or None when
        ``internal`` holds no point of this subtree (a value off its grid, a missing label)."""
        return 0


def fresh_copy(value: Any) -> Any:
    """A JSON value of the spec as a trial receives it: a list or object a copy of its own (as
    JSON reads it back: a tuple a list), which the trial may change; a string, number, boolean
    or null itself, which none can."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    return json.loads(json.dumps(value))


def product_size(sizes: list[int | None]) -> int | None:
    total = 1
    for size in sizes:
        if size is None:
            return None
        total *= size
    return total


def product_point(children: list[Node], index: int) -> dict[str, Any]:
    """Point ``index`` of the cartesian product of finite children, the last changing fastest."""
    point: dict[str, Any] = {}
    for child in reversed(children):
        size = child.size() or 1
        index, own = divmod(index, size)
        point.update(child.point(own))
    return point


def product_point_index(children: list[Node], internal: dict[str, Any]) -> int | None:
    """The inverse of :func:`product_point`."""
    index = 0
    for child in children:
        own = child.point_index(internal)
        if own is None:
            return None
        index = index * (child.size() or 1) + own
    return index


def spaced(low: float, high: float, count: int, log: bool) -> list[float]:
    """``count`` evenly spaced values from ``low`` to ``high`` (in log space when ``log``),
    written with 12 significant digits so that 0.1 * 3 reads 0.3."""
    if count == 1:
        return [low]
    if log:
        a, b = math.log(low), math.log(high)
        raw = [math.exp(a + (b - a) * i / (count - 1)) for i in range(count)]
    else:
        raw = [low + (high - low) * i / (count - 1) for i in range(count)]
    return [float(f"{value:.12g}") for value in raw]


@dataclass
class ConstNode(Node):
    value: Any

    def expr(self) -> Any:
        return None

    def decode(self, vals: dict[str, Any]) -> Any:
        return fresh_copy(self.value)

    def encode(self, value: Any, out: dict[str, Any]) -> None:
        if not json_equal(value, self.value):
            raise EncodeError(
                f"expected the constant {json_text(self.value)}, got {json_text(value)}"
            )

    def default(self) -> Any:
        return self.decode({})

    def has_default(self) -> bool:
        return False


@dataclass
class NumberNode(Node):
    label: str
    low: float
    high: float
    log: bool = False
    q: float | None = None
    normal: tuple[float, float] | None = None
    integer: bool = False
    given_default: Any = MISSING
    grid: tuple[float, ...] | None = None

    def expr(self) -> Any:
        from hyperopt import hp

        q = self.q
        if self.normal is not None:
            mu, sigma = self.normal
            if self.log:
                mu = math.log(mu)
                return (
                    hp.qlognormal(self.label, mu, sigma, q)
                    if q
                    else hp.lognormal(self.label, mu, sigma)
                )
            return hp.qnormal(self.label, mu, sigma, q) if q else hp.normal(self.label, mu, sigma)
        if q:
            # from the first to the last multiple within the bounds, widened by almost half a
            # step, so that the end points are as likely as the inner ones; every draw rounds
            # to a multiple within the bounds, so hyperopt's value is the one the trial gets
            first, last = step_range(self.low, self.high, q)
            lo, hi = widened(first * q, last * q, q * 0.4999)
            if self.log:  # widened only as far as the bounds (min > 0): no draw rounds to 0
                lo, hi = max(self.low, lo), min(self.high, hi)
                return hp.qloguniform(self.label, math.log(lo), math.log(hi), q)
            return hp.quniform(self.label, lo, hi, q)
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            return hp.loguniform(self.label, lo, hi)
        return hp.uniform(self.label, self.low, self.high)

    def _shape(self, raw: float) -> float | int:
        # a normal prior's draw is kept within its bounds too, when it has them (infinite else)
        return shape_number(raw, self.low, self.high, self.q, self.integer, self.log)

    def decode(self, vals: dict[str, Any]) -> Any:
        return self._shape(vals[self.label])

    def encode(self, value: Any, out: dict[str, Any]) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EncodeError(f"expected a number, got {json_text(value)}")
        if not math.isfinite(value):  # no draw of a normal prior is (nor within bounds)
            raise EncodeError(f"expected a finite number, got {value}")
        if not (self.low <= value <= self.high):  # a normal prior's bounds too
            raise EncodeError(f"{value} is outside [{self.low}, {self.high}]")
        if self.normal is not None and self.log and value < 0:
            raise EncodeError(f"{value} is below 0, which no draw of a log-normal prior is")
        out[self.label] = float(value)

    def default(self) -> Any:
        if self.given_default is not MISSING:
            return self._shape(self.given_default)
        if self.normal is not None:
            return self._shape(self.normal[0])
        if self.log:
            return self._shape(log_midpoint(self.low, self.high))
        return self._shape((self.low + self.high) / 2)

    def has_default(self) -> bool:
        return self.given_default is not MISSING

    def labels(self) -> Iterator[str]:
        yield self.label

    def values(self) -> tuple[float, ...] | None:
        """The finite values of this number (its ``grid``, or every step between the bounds),
        or None when there are infinitely many."""
        if self.grid is not None:
            return self.grid
        steps = self._steps()
        if steps is None:
            return None
        return tuple(self._step_value(i) for i in range(steps[0], steps[1] + 1))

    def _steps(self) -> tuple[int, int] | None:
        """The first and last multiple of the step within the bounds, when they are few enough
        to list (a number with a step, bounded, not normal)."""
        if not self.q or self.normal is not None:
            return None
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            return None
        first, last = self.step_count()
        if last - first > LARGEST_STEPS:
            return None  # far too many to list; counted as infinite
        if max(abs(first), abs(last)) > EXACT_STEPS:
            return None  # the internal values (floats) cannot tell its steps apart
        return int(first), int(last)

    def step_count(self) -> tuple[float, float]:
        """The first and last multiple of the step within the bounds (see :func:`step_range`)."""
        return step_range(self.low, self.high, self.q or 1.0)

    def _step_value(self, step: int) -> float | int:
        return self._shape(step * (self.q or 1.0))

    def with_grid(self, given: list[float] | None, count: int | None) -> NumberNode:
        """Set :attr:`grid`: the ``given`` values, or ``count`` values spaced between the bounds
        (log-spaced with logarithmic scaling; none without bounds), each rounded as the number
        is, repeats dropped."""
        if given is not None:
            values = [float(v) for v in given]
        elif count is not None and math.isfinite(self.low) and math.isfinite(self.high):
            values = spaced(self.low, self.high, count, self.log)
        else:
            return self
        self.grid = tuple(dict.fromkeys(self._shape(value) for value in values))
        return self

    def leaves(self, path: str, condition: Condition) -> Iterator[Leaf]:
        prior = None
        if self.normal is not None:
            prior = (math.log(self.normal[0]), self.normal[1]) if self.log else self.normal
        yield Leaf(
            label=self.label,
            path=path,
            kind="int" if self.integer else "float",
            low=self.low,
            high=self.high,
            log=self.log,
            step=self.q,
            prior=prior,
            condition=condition,
            grid=self.values(),
        )

    def size(self) -> int | None:
        if self.grid is not None:
            return len(self.grid)
        steps = self._steps()
        return None if steps is None else steps[1] - steps[0] + 1

    def point(self, index: int) -> dict[str, Any]:
        if self.grid is not None:
            return {self.label: float(self.grid[index])}
        first, _ = self._steps() or (0, 0)
        return {self.label: float(self._step_value(first + index))}

    def point_index(self, internal: dict[str, Any]) -> int | None:
        value = internal.get(self.label)
        if not isinstance(value, int | float):
            return None
        if self.grid is not None:
            # the nearest value: grid values closer together than ``_same``'s tolerance (1e-300
            # and 1e-295) are each found as themselves, not all as the first of them
            grid = self.grid
            nearest = min(range(len(grid)), key=lambda i: abs(grid[i] - value))
            return nearest if _same(grid[nearest], value) else None
        steps = self._steps()
        if steps is None:
            return None
        step = round(value / (self.q or 1.0))
        found = steps[0] <= step <= steps[1] and _same(self._step_value(step), value)
        return step - steps[0] if found else None


def log_midpoint(low: float, high: float) -> float:
    """The middle of ``[low, high]`` on a log scale (both above 0): ``sqrt(low * high)``, as
    ``sqrt(low) * sqrt(high)`` where that product leaves the floats (1e-300 and 1e-290 made 0,
    and 1e200 and 1e300 infinity, whose midpoint then was an end of the range)."""
    product = low * high
    if math.isfinite(product) and product >= sys.float_info.min:
        return math.sqrt(product)
    return math.sqrt(low) * math.sqrt(high)


def option_number(value: Any, count: int) -> int | None:
    """``value`` as the number of one of ``count`` options, or None when it is not one."""
    if isinstance(value, int | float) and int(value) == value and 0 <= value < count:
        return int(value)
    return None


def _option_key(value: Any) -> Any:
    """A key that two JSON values share when :func:`json_equal` makes them equal (``1`` and
    ``1.0``, not ``true`` and ``1``); None for a value of another type."""
    if isinstance(value, bool) or value is None or type(value) in (int, float, str):
        return (type(value) is bool, value)
    if isinstance(value, list | tuple):
        items = [_option_key(item) for item in value]
        return None if None in items else ("list", *items)
    if isinstance(value, dict):
        pairs = {(k, _option_key(v)) for k, v in value.items()}
        return None if any(v is None for _, v in pairs) else frozenset(pairs)
    return None


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@dataclass
class EnumNode(Node):
    label: str
    options: list[Any]
    given_default: Any = MISSING
    #: the number of each option, by :func:`_option_key` (made at the first encode)
    _numbers: dict[Any, int] | None = field(default=None, init=False, repr=False, compare=False)

    def expr(self) -> Any:
        # hp.choice's own draw of the option's number, without its switch over the numbers:
        # one literal per option made hyperopt's graph of an enum of 90,000 values take a
        # minute and a gigabyte to build; the draws and the labels are the same
        from hyperopt.pyll import scope

        return scope.hyperopt_param(self.label, scope.randint(len(self.options)))

    def decode(self, vals: dict[str, Any]) -> Any:
        return fresh_copy(self.options[int(vals[self.label])])

    def encode(self, value: Any, out: dict[str, Any]) -> None:
        if self._numbers is None:  # made once: each value is then found at once, not by
            self._numbers = {}  # comparing it with every option (100,000 of them, for each
            for i, option in enumerate(self.options):  # trial a warm start imports)
                key = _option_key(option)
                if key is not None:
                    self._numbers.setdefault(key, i)
        key = _option_key(value)
        found = self._numbers.get(key) if key is not None else None
        if found is not None and json_equal(self.options[found], value):
            out[self.label] = found
            return
        for i, option in enumerate(self.options):  # a value of another type (a NaN, numpy's)
            if json_equal(option, value):
                out[self.label] = i
                return
        raise EncodeError(f"{json_text(value)} is not one of {json_text(self.options)}")

    def default(self) -> Any:
        value = self.options[0] if self.given_default is MISSING else self.given_default
        return json.loads(json.dumps(value))

    def has_default(self) -> bool:
        return self.given_default is not MISSING

    def labels(self) -> Iterator[str]:
        yield self.label

    def leaves(self, path: str, condition: Condition) -> Iterator[Leaf]:
        yield Leaf(
            label=self.label,
            path=path,
            kind="categorical",
            choices=tuple(self.options),
            condition=condition,
        )

    def size(self) -> int | None:
        return len(self.options)

    def point(self, index: int) -> dict[str, Any]:
        return {self.label: index}

    def point_index(self, internal: dict[str, Any]) -> int | None:
        return option_number(internal.get(self.label), len(self.options))
