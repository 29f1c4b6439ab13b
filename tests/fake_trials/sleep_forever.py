"""Sleeps forever (until the time limit kills it); its ``up`` file, written whole, holds its pid."""

import os
import pathlib
import time

up = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"], "up")
partial = up.with_name("up.tmp")
partial.write_text(str(os.getpid()))
os.replace(partial, up)  # a reader never sees the file empty
while True:
    time.sleep(60)
