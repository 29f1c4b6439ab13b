"""A trial that deletes the whole results folder of its search (``trials/<id>`` is its own
folder), as a user cleaning up while the search runs might, when it is trial 1; then it
returns ``x``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any


def train(params: dict[str, Any]) -> float:
    if os.environ["HYPERMAX_TRIAL_ID"] == "1":
        folder = Path(os.environ["HYPERMAX_TRIAL_DIR"]).parents[1]
        for _ in range(100):  # hypermax may write a file into it meanwhile (its log)
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                break
    return float(params["x"])
