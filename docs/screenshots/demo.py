"""A stand-in training run for the dashboard screenshots: a few epochs, each reported as it ends.

The loss is a made-up function of the params with a little noise; a large learning rate makes
the run crawl (the time limit kills it) and a tiny batch makes it raise.
"""

from __future__ import annotations

import math
import random
import time
from typing import Any

EPOCHS = 6


def train(params: dict[str, Any], reporter: Any = None) -> float:
    """Run the made-up epochs; return the final validation loss."""
    optimizer = params["optimizer"]
    lr = optimizer["learning_rate"]
    if params["batch_size"] < 24:
        raise ValueError(f"batch_size {params['batch_size']} is too small for batch norm")
    rng = random.Random(repr(sorted(params.items(), key=str)))
    base = {"adam": 0.1, "rmsprop": 0.0, "sgd": 0.35}[optimizer["name"]]
    target = (
        base
        + 0.12 * (math.log10(lr) + 2.6) ** 2
        + 0.08 * abs(params["layers"] - 2)
        + 0.3 * abs(params["dropout"] - 0.15)
        + 0.001 * abs(params["batch_size"] - 200)
    )
    epoch_seconds = 0.45 if lr < 0.15 else 2.0
    loss = 2.0
    for epoch in range(EPOCHS):
        time.sleep(epoch_seconds)
        loss = target + (loss - target) * 0.45 + rng.gauss(0, 0.01)
        if reporter is not None:
            reporter(epoch, loss=round(loss, 4))
    return loss
