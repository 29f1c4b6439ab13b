"""The trial of ``early_stopping.py``: an MLPClassifier trained on digits one epoch at a time.

It imports numpy and scikit-learn at its top, as a training module does, so that a preloaded
search pays for those imports once.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

EPOCHS_ENV = "BENCH_EPOCHS"
COMPUTE_FILE = "compute.json"


# -- the trial ------------------------------------------------------------------------------
def train(params: dict[str, Any], reporter: Any) -> float:
    """Train epoch by epoch, report the validation log loss after each, return the last."""
    warnings.filterwarnings("ignore")  # divergence and convergence warnings are the point
    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(
        x / 16.0, y, test_size=0.3, random_state=0, stratify=y
    )
    moves = ((1, 0), (-1, 0), (0, 1), (0, -1))
    x_train = np.vstack([x_train, *(_shifted(x_train, dy, dx) for dy, dx in moves)])
    y_train = np.tile(y_train, 1 + len(moves))
    classes = np.unique(y)
    model = MLPClassifier(
        hidden_layer_sizes=(params["hidden"],),
        learning_rate_init=params["learning_rate"],
        alpha=params["alpha"],
        batch_size=params["batch_size"],
        random_state=0,
    )
    epochs, began, loss = 0, time.process_time(), float("nan")
    try:
        for epoch in range(1, int(os.environ[EPOCHS_ENV]) + 1):
            model.partial_fit(x_train, y_train, classes=classes)
            epochs = epoch
            loss = float(log_loss(y_val, model.predict_proba(x_val), labels=classes))
            reporter(epoch, loss=loss if np.isfinite(loss) else 1e3)
    finally:
        compute = {"epochs": epochs, "cpu": time.process_time() - began}
        Path(os.environ["HYPERMAX_TRIAL_DIR"], COMPUTE_FILE).write_text(json.dumps(compute))
    return loss if np.isfinite(loss) else 1e3


def _shifted(images: Any, dy: int, dx: int) -> Any:
    """8x8 images (as rows of 64) moved by ``dy`` rows and ``dx`` columns, blank where emptied."""
    square = images.reshape(-1, 8, 8)
    moved = np.zeros_like(square)
    rows_to, rows_from = slice(max(dy, 0), 8 + min(dy, 0)), slice(max(-dy, 0), 8 + min(-dy, 0))
    cols_to, cols_from = slice(max(dx, 0), 8 + min(dx, 0)), slice(max(-dx, 0), 8 + min(-dx, 0))
    moved[:, rows_to, cols_to] = square[:, rows_from, cols_from]
    return moved.reshape(len(images), 64)
