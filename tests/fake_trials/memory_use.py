"""A ``python_function`` that writes ``params["mib"]`` MiB, then returns at once."""

from __future__ import annotations

from typing import Any


def use(params: dict[str, Any]) -> float:
    block = b"x" * (params["mib"] * 2**20)  # written: every page is in memory
    return 0.5 + 0 * len(block)
