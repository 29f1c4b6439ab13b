"""Starts a child in its process group at each SIGUSR1; the child ignores SIGTERM, then writes
its pid to ``child`` in the trial folder, and sleeps forever. Writes ``up`` once the handler is
set; SIGTERM ends it (its default action)."""

import os
import pathlib
import signal
import subprocess
import sys
import time

trial_dir = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"])
CHILD = (
    "import os, signal, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    f"open({str(trial_dir / 'child.tmp')!r}, 'w').write(str(os.getpid()))\n"
    f"os.rename({str(trial_dir / 'child.tmp')!r}, {str(trial_dir / 'child')!r})\n"
    "while True: time.sleep(60)\n"
)


def on_sigusr1(signum, frame):
    subprocess.Popen([sys.executable, "-c", CHILD])


signal.signal(signal.SIGUSR1, on_sigusr1)
(trial_dir / "up.tmp").write_text(str(os.getpid()))
(trial_dir / "up.tmp").rename(trial_dir / "up")  # whole, never seen empty
while True:
    time.sleep(60)
