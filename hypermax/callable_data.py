"""What tells apart two callable objectives of the same code: their data.

:func:`hypermax.callables.identity` digests what an objective computes, its code: ``a.fit`` and
``b.fit`` of one class, or a lambda made in a loop closing over another value each time, have one
identity. :func:`data_digest` digests the data beside that code (the object a method is bound to,
a callable object's attributes, a partial's arguments, a closure's values and a function's
defaults), so that a search resumed with another is said. A set's order is no part of its data,
nor is a function's or a class's (their names stand for them: their code is the identity's).
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Any


class _Digest:
    """A file-like sink that hashes what a pickler writes to it."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        return len(data)


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj: Any) -> str | None:
        if isinstance(obj, (FunctionType, BuiltinFunctionType, MethodType, type, ModuleType)):
            name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", "")
            return f"{getattr(obj, '__module__', '')}.{name}"  # its name stands for its code
        if isinstance(obj, (set, frozenset)):  # in an order of its own, the same in each run
            return f"{type(obj).__name__}:{_digest(sorted(obj, key=_order))}"
        return None


def _order(value: Any) -> tuple[str, str]:
    return type(value).__qualname__, repr(value)


def _data_of(objective: Any, depth: int = 0) -> Any:
    """The data of ``objective`` beside its code, as picklable values."""
    if depth > 8:
        return None
    if isinstance(objective, functools.partial):
        inner = _data_of(objective.func, depth + 1)
        return ("partial", inner, objective.args, sorted(objective.keywords.items()))
    func = getattr(objective, "__func__", None)
    if func is not None:  # a bound method: the object it is bound to
        return ("method", getattr(objective, "__self__", None), _data_of(func, depth + 1))
    if isinstance(objective, FunctionType):
        cells = []
        for cell in objective.__closure__ or ():
            try:
                cells.append(cell.cell_contents)
            except ValueError:  # a cell not yet filled
                cells.append(None)
        return ("function", cells, objective.__defaults__, objective.__kwdefaults__)
    state = getattr(objective, "__dict__", None)
    return ("object", state if isinstance(state, dict) else None)


def data_digest(objective: Any) -> str | None:
    """A short hex digest of the data of ``objective`` (see the module's docstring); None when
    it cannot be read (a value that does not pickle: an open file, a lock)."""
    try:
        return _digest(_data_of(objective))
    except Exception:  # any value's own pickling may fail: no digest then
        return None


def stable_digest(value: Any) -> str:
    """A short hex digest of the picklable ``value``, the same in every run: a set's order, an
    object's address and a function's code are no part of it. An exception when it does not
    pickle."""
    return _digest(value)


def _digest(value: Any) -> str:
    sink = _Digest()
    _Pickler(sink, protocol=4).dump(value)
    return sink.hash.hexdigest()[:16]
