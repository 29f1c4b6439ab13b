"""Sleeps forever (until the time limit kills it)."""

import os
import pathlib
import time

pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"], "up").write_text(str(os.getpid()))
while True:
    time.sleep(60)
