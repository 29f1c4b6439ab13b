"""An executable that reports step 1, then computes without reporting again; on SIGTERM it
prints its result, 0.125, and exits 0 (a program that ends on a signal, giving its loss). Its
``up`` file, written whole after the report, holds its pid."""

import os
import pathlib
import signal
import sys
import time

folder = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"])


def on_sigterm(signum, frame):
    print(0.125, flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, on_sigterm)
print('HYPERMAX_REPORT {"step": 1, "loss": 1.0}', flush=True)
(folder / "up.tmp").write_text(str(os.getpid()))
os.replace(folder / "up.tmp", folder / "up")
while True:
    time.sleep(60)
