"""An objective module that sets up its environment when imported, as many do before importing
a library that reads it (``OMP_NUM_THREADS``, ``CUDA_VISIBLE_DEVICES``)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

os.environ["HYPERMAX_TEST_SET_AT_IMPORT"] = "set"
os.environ.setdefault("HYPERMAX_TEST_KEPT", "the module's default")
os.environ.pop("HYPERMAX_TEST_REMOVED_AT_IMPORT", None)


def seen(params: dict[str, Any]) -> dict[str, Any]:
    """The loss, and the three variables as the trial and a program it starts see them."""
    names = ("HYPERMAX_TEST_SET_AT_IMPORT", "HYPERMAX_TEST_KEPT", "HYPERMAX_TEST_REMOVED_AT_IMPORT")
    code = f"import os; print([os.environ.get(n) for n in {names!r}])"
    child = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True)
    return {
        "loss": 0.5,
        "trial": [os.environ.get(name) for name in names],
        "child": child.stdout.strip(),
    }
