"""A trial that removes its own folder as it starts (cleaning up as it goes, or by a user's
hand), then reports while early stopping judges its reports."""

from __future__ import annotations

import os
import shutil
import time
from typing import Any


def train(params: dict[str, Any], reporter: Any) -> dict[str, Any]:
    """Remove the trial's folder, report twice, then say whether the count of the verdicts
    on its reports came back into it (waiting up to 30 s for it)."""
    folder = os.environ["HYPERMAX_TRIAL_DIR"]
    shutil.rmtree(folder)
    for step in range(2):
        reporter(step, loss=params["x"])
    counted = os.path.join(folder, ".hypermax_verdicts")
    deadline = time.monotonic() + 30
    while not os.path.exists(counted) and time.monotonic() < deadline:
        time.sleep(0.01)
    return {"loss": params["x"], "counted": os.path.exists(counted)}
