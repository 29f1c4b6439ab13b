"""The hyperparameter space: spec nodes ⇄ hyperopt space, internal ⇄ external values.

The optimizer works on *internal* values: a flat dict from hyperopt label to the raw value it
sampled (an option index for enums and conditionals). The trial receives *external* params: the
nested dict the spec describes, with plain Python values. Labels are dotted paths; a conditional
branch adds ``#i`` and a variable-length list adds ``#L`` (its length) so that every label is
unique: ``model#1.C``, ``layers#3.0.units``. Flat names for tables come from the external value
(``model.C``, ``layers.0.units``) through :func:`flatten`.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypermax.spec import Spec

_MISSING: Any = object()


class EncodeError(ValueError):
    """A value that this space cannot produce (used for points, defaults and warm starts)."""


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _same(a: Any, b: Any) -> bool:
    """JSON equality that tells 1 from True and 1 from "1"."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


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


@dataclass
class ConstNode(Node):
    value: Any

    def expr(self) -> Any:
        return None

    def decode(self, vals: dict[str, Any]) -> Any:
        return json.loads(json.dumps(self.value))

    def encode(self, value: Any, out: dict[str, Any]) -> None:
        if not _same(value, self.value):
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
    given_default: Any = _MISSING

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
        if self.integer:
            return round(value)
        return value

    def decode(self, vals: dict[str, Any]) -> Any:
        return self._shape(vals[self.label])

    def encode(self, value: Any, out: dict[str, Any]) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EncodeError(f"{self.label}: expected a number, got {value!r}")
        if self.normal is None and not (self.low <= value <= self.high):
            raise EncodeError(f"{self.label}: {value} is outside [{self.low}, {self.high}]")
        out[self.label] = float(value)

    def default(self) -> Any:
        if self.given_default is not _MISSING:
            return self._shape(self.given_default)
        if self.normal is not None:
            return self._shape(self.normal[0])
        if self.log:
            return self._shape(math.sqrt(self.low * self.high))
        return self._shape((self.low + self.high) / 2)

    def has_default(self) -> bool:
        return self.given_default is not _MISSING

    def labels(self) -> Iterator[str]:
        yield self.label


@dataclass
class EnumNode(Node):
    label: str
    options: list[Any]
    given_default: Any = _MISSING

    def expr(self) -> Any:
        from hyperopt import hp

        return hp.choice(self.label, list(range(len(self.options))))

    def decode(self, vals: dict[str, Any]) -> Any:
        return json.loads(json.dumps(self.options[int(vals[self.label])]))

    def encode(self, value: Any, out: dict[str, Any]) -> None:
        for i, option in enumerate(self.options):
            if _same(option, value):
                out[self.label] = i
                return
        raise EncodeError(f"{self.label}: {value!r} is not one of {self.options!r}")

    def default(self) -> Any:
        value = self.options[0] if self.given_default is _MISSING else self.given_default
        return json.loads(json.dumps(value))

    def has_default(self) -> bool:
        return self.given_default is not _MISSING

    def labels(self) -> Iterator[str]:
        yield self.label


@dataclass
class ObjectNode(Node):
    children: dict[str, Node]

    def expr(self) -> Any:
        return {key: child.expr() for key, child in self.children.items()}

    def decode(self, vals: dict[str, Any]) -> Any:
        return {key: child.decode(vals) for key, child in self.children.items()}

    def encode(self, value: Any, out: dict[str, Any]) -> None:
        if not isinstance(value, dict):
            raise EncodeError(f"expected an object, got {value!r}")
        extra = set(value) - set(self.children)
        if extra:
            raise EncodeError(f"unknown parameter {sorted(extra)[0]!r}")
        for key, child in self.children.items():
            if key not in value:
                if isinstance(child, ConstNode):
                    continue
                raise EncodeError(f"missing parameter {key!r}")
            child.encode(value[key], out)

    def default(self) -> Any:
        return {key: child.default() for key, child in self.children.items()}

    def has_default(self) -> bool:
        return any(child.has_default() for child in self.children.values())

    def labels(self) -> Iterator[str]:
        for child in self.children.values():
            yield from child.labels()


@dataclass
class ChoiceNode(Node):
    """A conditional (``anyOf``/``oneOf``): one branch is chosen per trial."""

    label: str
    branches: list[Node]

    def expr(self) -> Any:
        from hyperopt import hp

        return hp.choice(self.label, [branch.expr() for branch in self.branches])

    def decode(self, vals: dict[str, Any]) -> Any:
        return self.branches[int(vals[self.label])].decode(vals)

    def encode(self, value: Any, out: dict[str, Any]) -> None:
        problems = []
        for i, branch in enumerate(self.branches):
            attempt: dict[str, Any] = {}
            try:
                branch.encode(value, attempt)
            except EncodeError as exc:
                problems.append(str(exc))
                continue
            out[self.label] = i
            out.update(attempt)
            return
        raise EncodeError(f"{self.label}: matches no branch ({'; '.join(problems)})")

    def default(self) -> Any:
        for branch in self.branches:
            if branch.has_default():
                return branch.default()
        return self.branches[0].default()

    def has_default(self) -> bool:
        return any(branch.has_default() for branch in self.branches)

    def labels(self) -> Iterator[str]:
        yield self.label
        for branch in self.branches:
            yield from branch.labels()


@dataclass
class TupleNode(Node):
    items: list[Node]

    def expr(self) -> Any:
        return [item.expr() for item in self.items]

    def decode(self, vals: dict[str, Any]) -> Any:
        return [item.decode(vals) for item in self.items]

    def encode(self, value: Any, out: dict[str, Any]) -> None:
        if not isinstance(value, list) or len(value) != len(self.items):
            raise EncodeError(f"expected a list of {len(self.items)} items, got {value!r}")
        for item, v in zip(self.items, value, strict=True):
            item.encode(v, out)

    def default(self) -> Any:
        return [item.default() for item in self.items]

    def has_default(self) -> bool:
        return any(item.has_default() for item in self.items)

    def labels(self) -> Iterator[str]:
        for item in self.items:
            yield from item.labels()


@dataclass
class ListNode(Node):
    """A list of variable length: a choice over lengths, each with its own item labels."""

    label: str
    lengths: list[int]
    variants: list[TupleNode]

    def expr(self) -> Any:
        from hyperopt import hp

        return hp.choice(self.label, [variant.expr() for variant in self.variants])

    def decode(self, vals: dict[str, Any]) -> Any:
        return self.variants[int(vals[self.label])].decode(vals)

    def encode(self, value: Any, out: dict[str, Any]) -> None:
        if not isinstance(value, list) or len(value) not in self.lengths:
            raise EncodeError(f"{self.label}: expected a list of {self.lengths} items")
        index = self.lengths.index(len(value))
        out[self.label] = index
        self.variants[index].encode(value, out)

    def default(self) -> Any:
        return self.variants[0].default()

    def has_default(self) -> bool:
        return any(variant.has_default() for variant in self.variants)

    def labels(self) -> Iterator[str]:
        yield self.label
        for variant in self.variants:
            yield from variant.labels()


def build_node(raw: dict[str, Any], label: str) -> Node:
    """Build the node tree from a validated spec node; ``label`` is its internal path."""
    default = raw.get("default", _MISSING)
    if "constant" in raw or "const" in raw:
        return ConstNode(raw["constant"] if "constant" in raw else raw["const"])
    if "enum" in raw:
        return EnumNode(label or "value", list(raw["enum"]), default)
    branches = raw.get("anyOf", raw.get("oneOf"))
    if branches is not None:
        choice = label or "branch"
        return ChoiceNode(choice, [build_node(b, f"{choice}#{i}") for i, b in enumerate(branches)])
    kind = raw.get("type")
    if kind == "object":
        props = raw.get("properties", {})
        return ObjectNode({key: build_node(node, _join(label, key)) for key, node in props.items()})
    if kind in ("number", "integer"):
        return _number(raw, label or "value", default)
    if kind == "array":
        items = raw.get("items")
        if isinstance(items, list):
            return TupleNode(
                [build_node(node, _join(label, str(i))) for i, node in enumerate(items)]
            )
        if not isinstance(items, dict):
            raise ValueError(f"an array node needs items: {raw!r}")
        lo, hi = int(raw.get("minItems", 0)), int(raw.get("maxItems", raw.get("minItems", 1)))
        lengths = list(range(lo, hi + 1))
        variants = [
            TupleNode([build_node(items, f"{label}#{n}.{i}") for i in range(n)]) for n in lengths
        ]
        return ListNode(label or "list", lengths, variants)
    raise ValueError(f"not a hyperparameter node: {raw!r}")


def _number(raw: dict[str, Any], label: str, default: Any) -> NumberNode:
    q = raw.get("rounding")
    integer = raw.get("type") == "integer" or q == 1
    if integer and not q:
        q = 1
    normal = None
    if raw.get("mode") == "normal":
        normal = (float(raw["mean"]), float(raw["stddev"]))
    return NumberNode(
        label=label,
        low=float(raw.get("min", -math.inf)),
        high=float(raw.get("max", math.inf)),
        log=raw.get("scaling") in ("logarithmic", "exponential"),
        q=float(q) if q else None,
        normal=normal,
        integer=integer,
        given_default=default,
    )


class Space:
    """A search space built from the spec's ``hyperparameters`` section."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.root = build_node(raw, "")
        self._expr: Any = None

    @classmethod
    def from_spec(cls, spec: Spec) -> Space:
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

    def defaults(self) -> dict[str, Any] | None:
        """The warm-start params, or None when no leaf of the space has a ``default``."""
        if not self.root.has_default():
            return None
        return self.root.default()


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested params → ``{"optimizer.lr": 0.1, "layers.0.units": 64}``."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, child in value.items():
            out.update(flatten(child, _join(prefix, str(key))))
        return out
    if isinstance(value, list):
        out = {}
        for i, child in enumerate(value):
            out.update(flatten(child, _join(prefix, str(i))))
        return out
    return {prefix: value}


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`flatten`: dotted names → nested dicts, integer keys → lists."""
    root: dict[str, Any] = {}
    for name, value in flat.items():
        node = root
        *parents, last = name.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(child) for key, child in node.items()}
    keys = list(converted)
    if keys and all(k.isdigit() for k in keys) and sorted(map(int, keys)) == list(range(len(keys))):
        return [converted[str(i)] for i in range(len(keys))]
    return converted
