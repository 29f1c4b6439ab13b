"""Waits for ever; on SIGTERM leaves ``sigterm`` in its folder and exits (a graceful stop).

Its ``up`` file, written whole, holds its pid. A trial killed outright (SIGKILL) leaves no
``sigterm``: the file tells a kill ladder's SIGTERM from a death by the parent-death signal.
"""

import os
import pathlib
import signal
import sys
import time

folder = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"])


def on_sigterm(signum, frame):
    (folder / "sigterm.tmp").write_text("")
    os.replace(folder / "sigterm.tmp", folder / "sigterm")
    sys.exit(143)


signal.signal(signal.SIGTERM, on_sigterm)
(folder / "up.tmp").write_text(str(os.getpid()))
os.replace(folder / "up.tmp", folder / "up")
while True:
    time.sleep(60)
