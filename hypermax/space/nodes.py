"""The nodes of the space tree that hold values: constants, numbers and enums.

Each node turns internal values into the value a trial receives (:meth:`Node.decode`) and back
(:meth:`Node.encode`), gives hyperopt its expression, describes its leaves and, when it has
finitely many values, lists them.
"""

from __future__ import annotations

import itertools
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hypermax.space.leaf import Condition, EncodeError, Leaf
from hypermax.values import json_equal

MISSING: Any = object()


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

    def points(self) -> list[dict[str, Any]] | None:
        """Every distinct combination of internal values of this subtree, or None when there
        are infinitely many."""
        return [{}]

    def size(self) -> int | None:
        """How many distinct combinations of values this subtree has (None: infinitely many)."""
        return 1


def product_size(sizes: list[int | None]) -> int | None:
    total = 1
    for size in sizes:
        if size is None:
            return None
        total *= size
    return total


def product_points(children: list[Node]) -> list[dict[str, Any]] | None:
    """The cartesian product of the children's points, merged into one dict each."""
    parts = []
    for child in children:
        points = child.points()
        if points is None:
            return None
        parts.append(points)
    out = []
    for combination in itertools.product(*parts):
        merged: dict[str, Any] = {}
        for part in combination:
            merged.update(part)
        out.append(merged)
    return out


@dataclass
class ConstNode(Node):
    value: Any

    def expr(self) -> Any:
        return None

    def decode(self, vals: dict[str, Any]) -> Any:
        return json.loads(json.dumps(self.value))

    def encode(self, value: Any, out: dict[str, Any]) -> None:
        if not json_equal(value, self.value):
            raise EncodeError(f"expected the constant {self.value!r}, got {value!r}")

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
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            return hp.qloguniform(self.label, lo, hi, q) if q else hp.loguniform(self.label, lo, hi)
        if q:
            # widen by almost half a step so the end points are as likely as the inner ones
            half = q * 0.4999
            return hp.quniform(self.label, self.low - half, self.high + half, q)
        return hp.uniform(self.label, self.low, self.high)

    def _shape(self, raw: float) -> float | int:
        value = float(raw)
        if self.q:
            value = round(value / self.q) * self.q
            value = round(value, 12)
        if self.normal is None:
            value = min(max(value, self.low), self.high)
        if not self.integer:
            return value
        whole = round(value)
        if self.normal is None:  # a fractional bound: the nearest whole number inside it
            whole = min(max(whole, math.ceil(self.low)), math.floor(self.high))
        return whole

    def decode(self, vals: dict[str, Any]) -> Any:
        return self._shape(vals[self.label])

    def encode(self, value: Any, out: dict[str, Any]) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EncodeError(f"{self.label}: expected a number, got {value!r}")
        if self.normal is None and not (self.low <= value <= self.high):
            raise EncodeError(f"{self.label}: {value} is outside [{self.low}, {self.high}]")
        out[self.label] = float(value)

    def default(self) -> Any:
        if self.given_default is not MISSING:
            return self._shape(self.given_default)
        if self.normal is not None:
            return self._shape(self.normal[0])
        if self.log:
            return self._shape(math.sqrt(self.low * self.high))
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
        if not self.q or self.normal is not None:
            return None
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            return None
        first, last = math.ceil(self.low / self.q - 1e-9), math.floor(self.high / self.q + 1e-9)
        if last - first > 10_000_000:
            return None  # far too many to list; counted as infinite
        return tuple(self._shape(i * self.q) for i in range(first, last + 1))

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

    def points(self) -> list[dict[str, Any]] | None:
        values = self.values()
        return None if values is None else [{self.label: float(v)} for v in values]

    def size(self) -> int | None:
        values = self.values()
        return None if values is None else len(values)


@dataclass
class EnumNode(Node):
    label: str
    options: list[Any]
    given_default: Any = MISSING

    def expr(self) -> Any:
        from hyperopt import hp

        return hp.choice(self.label, list(range(len(self.options))))

    def decode(self, vals: dict[str, Any]) -> Any:
        return json.loads(json.dumps(self.options[int(vals[self.label])]))

    def encode(self, value: Any, out: dict[str, Any]) -> None:
        for i, option in enumerate(self.options):
            if json_equal(option, value):
                out[self.label] = i
                return
        raise EncodeError(f"{self.label}: {value!r} is not one of {self.options!r}")

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

    def points(self) -> list[dict[str, Any]] | None:
        return [{self.label: i} for i in range(len(self.options))]

    def size(self) -> int | None:
        return len(self.options)
