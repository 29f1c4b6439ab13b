"""Ignores SIGTERM and starts a child that ignores it too, then loops forever.

Writes ``up`` in the trial folder once both run, naming the two pids: only SIGKILL, after the
grace, ends them.
"""

import os
import pathlib
import signal
import subprocess
import sys
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)  # ignored signals stay ignored across fork+exec
LOOP = "import time\nwhile True: time.sleep(60)"
child = subprocess.Popen([sys.executable, "-c", LOOP])
trial_dir = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"])
(trial_dir / "up.tmp").write_text(f"{os.getpid()} {child.pid}")
(trial_dir / "up.tmp").rename(trial_dir / "up")
while True:
    time.sleep(60)
