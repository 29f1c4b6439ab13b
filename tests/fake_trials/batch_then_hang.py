"""A trial that reports its validation metric per epoch and its training loss per batch.

``role`` ``"cut"``, as env ``CUT_MODE`` says: ``epoch`` reports ``val`` at step 1 and a
batch's ``train_loss`` at step 2, ``batches`` only the ``train_loss``; then it leaves
``batch_reported`` in the folder named by env ``SIGNAL_DIR`` and trains on until stopped.
``finish`` returns ``val`` 0.7 at once. ``role`` ``"done"``: waits for that file, then
returns ``val`` 0 (under the search's ``loss_threshold``, which then cuts the other short).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def train(params: dict[str, Any], reporter: Any) -> dict[str, float]:
    signal = Path(os.environ["SIGNAL_DIR"]) / "batch_reported"
    mode = os.environ.get("CUT_MODE", "epoch")
    if params["role"] == "done":
        while not signal.exists():
            time.sleep(0.01)
        return {"val": 0.0}
    if mode == "finish":
        return {"val": 0.7}
    if mode == "epoch":
        reporter(1, val=0.7)
    reporter(2, train_loss=0.25)
    signal.touch()
    time.sleep(120)  # the loss threshold stops it long before
    return {"val": 0.7}
