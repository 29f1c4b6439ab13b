"""A ``python_function`` whose module holds an object whose finalizer never returns: it runs as
the interpreter's exit clears the module, after that exit took Python's signal handlers away."""

from __future__ import annotations

import decimal  # noqa: F401 - a module the bootstrap did not load: the interpreter's own exit runs
import time
from typing import Any


class _Hangs:
    def __del__(self) -> None:
        time.sleep(60)


kept = _Hangs()


def train(params: dict[str, Any]) -> float:
    return 0.5


def train_leaving_a_thread(params: dict[str, Any]) -> float:
    """Leaves a thread (not a daemon) that ends soon after: the exit waits for it, then clears
    the module."""
    import threading

    threading.Thread(target=time.sleep, args=(0.05,), name="brief").start()
    return 0.5
