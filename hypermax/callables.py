"""What tells one callable objective from another across runs of a script: its code, not where
it sits in the file.

``hypermax.optimize`` names a search after its objective; a lambda, a ``functools.partial``
and a callable object have no name of their own and all default to ``objective``. Two of them
in one results folder would make one search of two objectives, so the folder keeps the
identity of the objective it was started with (:data:`IDENTITY_FILE`), and a defaulted name
with another objective is refused. The identity digests the byte code, constants and names of
the function (and of the functions and classes defined in it), a partial's arguments and an
object's class: an edit that moves the function in its file keeps it; one that changes what it
computes makes another.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from types import CodeType
from typing import Any

from hypermax.callable_data import stable_digest

#: the file of a results folder that holds the identity of its search's callable objective
IDENTITY_FILE = "objective.id"


def identity(objective: Callable[..., Any], by_repr: bool = False) -> str:
    """A short hex digest of what ``objective`` computes (see the module's docstring); with
    ``by_repr``, as an earlier hypermax digested it, a partial's arguments by their repr (which
    may name an object's address, another in each run), for a folder it started."""
    digest = hashlib.sha256()
    _feed(digest, objective, 0, by_repr)
    return digest.hexdigest()[:16]


def _feed(digest: Any, objective: Any, depth: int, by_repr: bool = False) -> None:
    if depth > 8:  # a partial of a partial of ...: enough to tell them apart
        return
    if isinstance(objective, functools.partial):
        digest.update(b"partial")
        _feed(digest, objective.func, depth + 1, by_repr)
        arguments = (objective.args, sorted(objective.keywords.items()))
        try:  # an object's repr may name its address, another in each run: its data instead
            digest.update(repr(arguments).encode() if by_repr else _data(arguments))
        except Exception:  # one that does not pickle: its repr
            digest.update(repr(arguments).encode())
        return
    func = getattr(objective, "__func__", None)  # a bound method: its function and its class
    if func is not None:
        digest.update(type(getattr(objective, "__self__", None)).__qualname__.encode())
        _feed(digest, func, depth + 1)
        return
    code = getattr(objective, "__code__", None)
    if isinstance(code, CodeType):
        digest.update(getattr(objective, "__qualname__", "").encode())
        _feed_code(digest, code)
        return
    kind = type(objective)  # a callable object: its class and what its __call__ computes
    digest.update(f"{kind.__module__}.{kind.__qualname__}".encode())
    call = getattr(kind, "__call__", None)  # noqa: B004 - the class's own, not callable()
    if getattr(call, "__code__", None) is not None:
        _feed(digest, call, depth + 1)


def _data(arguments: Any) -> bytes:
    return stable_digest(arguments).encode()


def _feed_code(digest: Any, code: CodeType) -> None:
    digest.update(code.co_code)
    digest.update(" ".join(code.co_names).encode())
    for const in code.co_consts:
        if isinstance(const, CodeType):
            _feed_code(digest, const)
        else:
            digest.update(repr(const).encode())
