"""The nodes of the space tree that hold other nodes: objects, conditionals, tuples and lists."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hypermax.space.leaf import Condition, EncodeError, Leaf
from hypermax.space.nodes import (
    ConstNode,
    Node,
    join_path,
    option_number,
    product_point,
    product_point_index,
    product_size,
)
from hypermax.values import json_text


@dataclass
class ObjectNode(Node):
    children: dict[str, Node]

    def expr(self) -> Any:
        return {key: child.expr() for key, child in self.children.items()}

    def decode(self, vals: dict[str, Any]) -> Any:
        return {key: child.decode(vals) for key, child in self.children.items()}

    def encode(self, value: Any, out: dict[str, Any]) -> None:
        if not isinstance(value, dict):
            raise EncodeError(f"expected an object, got {json_text(value)}")
        if not value.keys() <= self.children.keys():
            extra = set(value) - set(self.children)
            raise EncodeError(f"unknown parameter {json_text(sorted(extra)[0])}")
        for key, child in self.children.items():
            if key not in value:
                if isinstance(child, ConstNode):
                    continue
                raise EncodeError(f"missing parameter {json_text(key)}")
            try:
                child.encode(value[key], out)
            except EncodeError as exc:
                raise exc.within(key) from None

    def default(self) -> Any:
        return {key: child.default() for key, child in self.children.items()}

    def has_default(self) -> bool:
        return any(child.has_default() for child in self.children.values())

    def labels(self) -> Iterator[str]:
        for child in self.children.values():
            yield from child.labels()

    def leaves(self, path: str, condition: Condition) -> Iterator[Leaf]:
        for key, child in self.children.items():
            yield from child.leaves(join_path(path, key), condition)

    def size(self) -> int | None:
        return product_size([child.size() for child in self.children.values()])

    def point(self, index: int) -> dict[str, Any]:
        return product_point(list(self.children.values()), index)

    def point_index(self, internal: dict[str, Any]) -> int | None:
        return product_point_index(list(self.children.values()), internal)


class Alternatives(Node):
    """A node that takes one of several subtrees, picked by the index under its own label: the
    branch of a conditional, the length of a list."""

    label: str
    role: Literal["branch", "length"]

    @abstractmethod
    def alternatives(self) -> Sequence[Node]:
        """The subtrees, in the order their index counts."""

    @abstractmethod
    def choices(self) -> tuple[Any, ...]:
        """What each index means to a user (branch numbers, list lengths)."""

    def has_default(self) -> bool:
        return any(option.has_default() for option in self.alternatives())

    def labels(self) -> Iterator[str]:
        yield self.label
        for option in self.alternatives():
            yield from option.labels()

    def leaves(self, path: str, condition: Condition) -> Iterator[Leaf]:
        yield Leaf(
            label=self.label,
            path=path,
            kind="categorical",
            role=self.role,
            choices=self.choices(),
            condition=condition,
        )
        for i, option in enumerate(self.alternatives()):
            yield from option.leaves(path, (*condition, (self.label, i)))

    def size(self) -> int | None:
        return sum_sizes([option.size() for option in self.alternatives()])

    def point(self, index: int) -> dict[str, Any]:
        """The alternatives' points one after another, with the alternative's index under this
        node's label."""
        for i, option in enumerate(self.alternatives()):
            size = option.size() or 1
            if index < size:
                return {self.label: i, **option.point(index)}
            index -= size
        raise IndexError("point index out of range")

    def point_index(self, internal: dict[str, Any]) -> int | None:
        options = self.alternatives()
        chosen = option_number(internal.get(self.label), len(options))
        own = None if chosen is None else options[chosen].point_index(internal)
        if chosen is None or own is None:
            return None
        return sum(option.size() or 1 for option in options[:chosen]) + own


@dataclass
class ChoiceNode(Alternatives):
    """A conditional (``anyOf``/``oneOf``): one branch is chosen per trial."""

    label: str
    branches: list[Node]
    role: Literal["branch", "length"] = "branch"

    def alternatives(self) -> Sequence[Node]:
        return self.branches

    def choices(self) -> tuple[Any, ...]:
        return tuple(range(len(self.branches)))

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
        unlike = dict.fromkeys(problems)  # each once: branches of one shape fail alike
        raise EncodeError(f"matches no branch ({'; '.join(unlike)})")

    def default(self) -> Any:
        for branch in self.branches:
            if branch.has_default():
                return branch.default()
        return self.branches[0].default()


def items(count: int) -> str:
    """``1 item``, ``2 items``."""
    return f"{count} item" if count == 1 else f"{count} items"


def sum_sizes(sizes: list[int | None]) -> int | None:
    return None if any(size is None for size in sizes) else sum(s for s in sizes if s is not None)


@dataclass
class TupleNode(Node):
    items: list[Node]

    def expr(self) -> Any:
        return [item.expr() for item in self.items]

    def decode(self, vals: dict[str, Any]) -> Any:
        return [item.decode(vals) for item in self.items]

    def encode(self, value: Any, out: dict[str, Any]) -> None:
        if not isinstance(value, list) or len(value) != len(self.items):
            raise EncodeError(
                f"expected a list of {items(len(self.items))}, got {json_text(value)}"
            )
        for i, (item, v) in enumerate(zip(self.items, value, strict=True)):
            try:
                item.encode(v, out)
            except EncodeError as exc:
                raise exc.within(i) from None

    def default(self) -> Any:
        return [item.default() for item in self.items]

    def has_default(self) -> bool:
        return any(item.has_default() for item in self.items)

    def labels(self) -> Iterator[str]:
        for item in self.items:
            yield from item.labels()

    def leaves(self, path: str, condition: Condition) -> Iterator[Leaf]:
        for i, item in enumerate(self.items):
            yield from item.leaves(join_path(path, str(i)), condition)

    def size(self) -> int | None:
        return product_size([item.size() for item in self.items])

    def point(self, index: int) -> dict[str, Any]:
        return product_point(list(self.items), index)

    def point_index(self, internal: dict[str, Any]) -> int | None:
        return product_point_index(list(self.items), internal)


@dataclass
class ListNode(Alternatives):
    """A list of variable length: a choice over lengths, each with its own item labels."""

    label: str
    lengths: list[int]
    variants: list[TupleNode]
    role: Literal["branch", "length"] = "length"

    def alternatives(self) -> Sequence[Node]:
        return self.variants

    def choices(self) -> tuple[Any, ...]:
        return tuple(self.lengths)

    def expr(self) -> Any:
        from hyperopt import hp

        return hp.choice(self.label, [variant.expr() for variant in self.variants])

    def decode(self, vals: dict[str, Any]) -> Any:
        return self.variants[int(vals[self.label])].decode(vals)

    def encode(self, value: Any, out: dict[str, Any]) -> None:
        if not isinstance(value, list) or len(value) not in self.lengths:
            low, high = min(self.lengths), max(self.lengths)
            wanted = items(low) if low == high else f"{low} to {high} items"
            got = items(len(value)) if isinstance(value, list) else json_text(value)
            raise EncodeError(f"expected a list of {wanted}, got {got}")
        index = self.lengths.index(len(value))
        out[self.label] = index
        self.variants[index].encode(value, out)

    def default(self) -> Any:
        return self.variants[0].default()
