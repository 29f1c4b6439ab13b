"""A quick, well-behaved objective that also records the params it received."""

import json
import os


def record(params):
    with open(os.path.join(os.environ["HYPERMAX_TRIAL_DIR"], "received.json"), "w") as f:
        json.dump({"params": params, "types": _types(params)}, f)


def _types(value):
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


def train(params):
    record(params)
    return {"loss": (params["x"] - 1.0) ** 2 + 0.1 * params.get("y", 0), "extra": "kept"}


def anything(params):
    record(params)
    return 0.5


def reporting(params):
    import hypermax

    for step in range(3):
        hypermax.report(step, loss=10.0 - step)
    return 7.0


def sleepy(params):
    import time

    time.sleep(600)
