"""A model for ablation studies: each component lowers the loss by its contribution; a trial
leaves out the one its params name, and its seed adds a little noise of its own."""

import json
import os
import random

CONTRIBUTIONS = {
    ("features", "age"): 0.1,
    ("features", "income"): 0.3,
    ("layers", "dense_2"): 0.05,
    ("layers", "dropout_1"): -0.02,
}


def loss(ablated, seed, noise):
    left_out = None if ablated is None else (ablated["group"], ablated["name"])
    kept = sum(value for key, value in CONTRIBUTIONS.items() if key != left_out)
    return 1.0 - kept + noise * random.Random(f"{seed}:{left_out}").uniform(-1, 1)


def train(params):
    with open(os.path.join(os.environ["HYPERMAX_TRIAL_DIR"], "received.json"), "w") as f:
        json.dump(params, f)
    return loss(params["ablated"], params["seed"], params["noise"])
