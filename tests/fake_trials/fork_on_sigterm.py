"""Answers the first SIGTERM by starting a child (one, however many SIGTERMs arrive at once),
then ignores SIGTERM and sleeps forever.

The child inherits the ignored SIGTERM. Writes ``up`` in the trial folder once the handler is
set, and the child's pid to ``child``.
"""

import os
import pathlib
import signal
import subprocess
import sys
import time

trial_dir = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"])
LOOP = "import time\nwhile True: time.sleep(60)"


answered = []


def on_sigterm(signum, frame):
    if answered:  # a second SIGTERM, delivered before SIG_IGN took over: one child only
        return
    answered.append(signum)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen([sys.executable, "-c", LOOP])
    (trial_dir / "child.tmp").write_text(str(child.pid))
    (trial_dir / "child.tmp").rename(trial_dir / "child")


signal.signal(signal.SIGTERM, on_sigterm)
(trial_dir / "up.tmp").write_text(str(os.getpid()))
(trial_dir / "up.tmp").rename(trial_dir / "up")  # whole, never seen empty
while True:
    time.sleep(60)
