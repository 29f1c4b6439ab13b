"""Ignores SIGTERM and sleeps forever: only SIGKILL, after the grace, ends it."""

import os
import pathlib
import signal
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)
up = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"], "up")
up.with_name("up.tmp").write_text(str(os.getpid()))
up.with_name("up.tmp").rename(up)  # whole, never seen empty
while True:
    time.sleep(60)
