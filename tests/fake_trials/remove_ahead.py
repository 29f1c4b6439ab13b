"""Trials that remove the folder of a trial prepared ahead while they run (``trials/<id>``
removed by hand, as a user cleaning up might); then they return ``x``."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any


def remove_next(params: dict[str, Any]) -> float:
    """Trial 1 waits for the folder of trial 2 (made ahead of it, while trial 1 runs), then
    removes it."""
    if os.environ["HYPERMAX_TRIAL_ID"] == "1":
        following = Path(os.environ["HYPERMAX_TRIAL_DIR"]).with_name("2")
        deadline = time.monotonic() + 30
        while not (following / ".hypermax_params.json").exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the folder of trial 2 was never made ahead")
            time.sleep(0.005)
        shutil.rmtree(following)
    return float(params["x"])
