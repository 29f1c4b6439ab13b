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
