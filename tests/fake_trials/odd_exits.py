"""``python_function`` trials that end oddly: an error whose message cannot be read, the
standard streams silenced with None, an exit that never ends by itself."""

from __future__ import annotations

import atexit
import sys
import time
from typing import Any


class Unreadable(Exception):
    """An exception whose message cannot be read: ``str()`` of it raises."""

    def __str__(self) -> str:
        raise RuntimeError("str broke")


def unreadable_error(params: dict[str, Any]) -> float:
    raise Unreadable()


def silenced(params: dict[str, Any]) -> float:
    """Sets ``sys.stdout`` and/or ``sys.stderr`` to None, as code that silences a library does;
    with stderr silenced it fails."""
    case = params["case"]
    if case in ("stdout", "both"):
        sys.stdout = None  # type: ignore[assignment]
    if case in ("stderr", "both"):
        sys.stderr = None  # type: ignore[assignment]
    if case == "stderr":
        raise ValueError("bad x")
    return 0.5


def hangs_at_exit(params: dict[str, Any]) -> float:
    """Returns its loss, but leaves an ``atexit`` function that never returns."""
    atexit.register(time.sleep, 3600)
    return 0.25
