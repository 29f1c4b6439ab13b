"""Ignores SIGTERM and sleeps forever: only SIGKILL, after the grace, ends it."""

import os
import pathlib
import signal
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)
pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"], "up").write_text(str(os.getpid()))
while True:
    time.sleep(60)
