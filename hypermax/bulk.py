"""Bulk work over a search's history without the cyclic garbage collector in the way.

Reading a 100,000-trial journal, folding it and teaching it to the optimizer create millions of
objects and no reference cycles; with the collector on, each of its full collections walks all
of them again, which made resuming grow faster than the history (a 50,000-trial resume took 12 s
instead of 3.4 s). Objects still die by reference counting while it is paused.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class _Pauses:
    """The paused stretches open in any thread: the collector is a process's, so the first
    to open pauses it and the last to close restores it, whatever order the threads go in."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.open = 0
        self.was_enabled = False


_pauses = _Pauses()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Inside, the cyclic garbage collector does not run; it is left as it was found once no
    thread is inside any more."""
    with _pauses.lock:
        if _pauses.open == 0:
            _pauses.was_enabled = gc.isenabled()
            gc.disable()
        _pauses.open += 1
    try:
        yield
    finally:
        with _pauses.lock:
            _pauses.open -= 1
            if _pauses.open == 0 and _pauses.was_enabled:
                gc.enable()


def bulk(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with the collector paused (see :func:`collector_paused`)."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with collector_paused():
            return fn(*args, **kwargs)

    return run
