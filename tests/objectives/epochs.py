"""Training by epochs: each epoch takes a moment and reports; a larger ``x`` is always worse.

The curve is ``loss(epoch) = x + 1 / epoch`` (and ``accuracy = 1 - loss``), so early stopping can
tell a bad configuration from a good one after the first epoch. As a ``python_function``
(:func:`train`) it reports through its reporter and, from a ``finally`` block, leaves
``cleaned_up`` (the last epoch it began) in its trial folder. Run as a program, it is an
executable trial that prints ``HYPERMAX_REPORT`` lines and its result.

With env ``EPOCHS_HOLD`` naming a file that exists, the trial whose id is ``EPOCHS_HOLD_TRIAL``
writes ``held`` into its folder at epoch 2 and waits there while the file exists (a test kills
hypermax meanwhile).
"""

import json
import os
import sys
import time
from pathlib import Path

EPOCHS = 12
EPOCH_SECONDS = float(os.environ.get("EPOCH_SECONDS", "0.1"))  # the work of one epoch


def curve(x, epoch):
    return x + 1.0 / epoch


def _hold(epoch):
    hold = os.environ.get("EPOCHS_HOLD")
    if (
        not hold
        or epoch != 2
        or os.environ.get("EPOCHS_HOLD_TRIAL") != os.environ.get("HYPERMAX_TRIAL_ID")
    ):
        return
    Path(os.environ["HYPERMAX_TRIAL_DIR"], "held").write_text("")
    while Path(hold).exists():
        time.sleep(0.05)


def train(params, reporter):
    epoch = 0
    try:
        for epoch in range(1, EPOCHS + 1):
            _hold(epoch)
            time.sleep(EPOCH_SECONDS)
            reporter(epoch, loss=curve(params["x"], epoch))
    finally:
        Path(os.environ["HYPERMAX_TRIAL_DIR"], "cleaned_up").write_text(str(epoch))
    return curve(params["x"], EPOCHS)


def main():
    with open(os.environ["HYPERMAX_PARAMS_FILE"]) as f:
        params = json.load(f)
    for epoch in range(1, EPOCHS + 1):
        _hold(epoch)
        time.sleep(EPOCH_SECONDS)
        accuracy = 1.0 - curve(params["x"], epoch)
        print("HYPERMAX_REPORT " + json.dumps({"step": epoch, "accuracy": accuracy}), flush=True)
    print(json.dumps({"accuracy": 1.0 - curve(params["x"], EPOCHS)}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
