"""A quick objective for resume tests; with STEADY_GATE set, each trial waits for that file (with
STEADY_HOLD_FROM=N too, only trials N and after)."""

import os
import time


def train(params):
    gate = os.environ.get("STEADY_GATE")
    trial = int(os.environ.get("HYPERMAX_TRIAL_ID", "0"))
    held = trial >= int(os.environ.get("STEADY_HOLD_FROM", "0"))
    if gate and held:
        deadline = time.monotonic() + 60
        while not os.path.exists(gate) and time.monotonic() < deadline:
            time.sleep(0.01)
    return (params["x"] - 0.3) ** 2 + 0.01 * params["k"]
