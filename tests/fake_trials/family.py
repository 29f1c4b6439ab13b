"""Starts a child in its own process group and a setsid daemon (double fork), then sleeps.

Writes ``up`` in the trial folder once both are running, naming the three pids.
"""

import os
import pathlib
import subprocess
import sys
import time

trial_dir = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"])
SLEEP = "import time\nwhile True: time.sleep(60)"
child = subprocess.Popen([sys.executable, "-c", SLEEP])
reader, writer = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.write(writer, str(os.getpid()).encode())
        os.execv(sys.executable, [sys.executable, "-c", SLEEP])
    os._exit(0)
os.wait()
daemon = os.read(reader, 32).decode()
(trial_dir / "up.tmp").write_text(f"{os.getpid()} {child.pid} {daemon}")
(trial_dir / "up.tmp").rename(trial_dir / "up")
while True:
    time.sleep(60)
