"""Trials for the out-of-memory killer: one that tells its ``oom_score_adj``, one that eats memory.

``oom_score_adj`` as a program (an executable trial) prints the result line; the functions are
the same for a ``python_function`` trial.
"""

from __future__ import annotations

import json
import os
from typing import Any


def _adj(pid: int | str) -> int:
    with open(f"/proc/{pid}/oom_score_adj") as f:
        return int(f.read())


def oom_score_adj(params: dict[str, Any]) -> dict[str, Any]:
    """The loss 0, with this process's ``oom_score_adj`` and its parent's."""
    return {"loss": 0.0, "adj": _adj("self"), "parent_adj": _adj(os.getppid())}


def eat_memory(params: dict[str, Any]) -> float:
    """Touch 64 MiB after 64 MiB, up to 4 GiB (a memory limit kills it long before)."""
    held = []
    for _ in range(64):
        held.append(bytearray(64 * 2**20))  # zero-filled: every page is touched
    return float(len(held))


if __name__ == "__main__":
    print(json.dumps(oom_score_adj({})))
