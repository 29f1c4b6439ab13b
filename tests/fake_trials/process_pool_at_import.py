"""An objective module that makes its process pool when imported (it starts no process, nor
thread, until the first task), and whose ``f`` runs two tasks on it."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Any

pool = ProcessPoolExecutor(2)


def f(params: dict[str, Any]) -> float:
    return sum(pool.map(abs, [-1, 2])) / 6
