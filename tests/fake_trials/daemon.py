"""Leaves a daemon behind (double fork, setsid, ignores SIGTERM), then returns a good loss.

The daemon writes its pid to ``daemon`` in the trial folder, then sleeps forever with the
trial's stdout still open.
"""

import os
import pathlib
import signal
import time

trial_dir = os.environ["HYPERMAX_TRIAL_DIR"]
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        pathlib.Path(trial_dir, "daemon.tmp").write_text(str(os.getpid()))
        os.rename(os.path.join(trial_dir, "daemon.tmp"), os.path.join(trial_dir, "daemon"))
        while True:
            time.sleep(60)
    os._exit(0)
os.wait()
while not os.path.exists(os.path.join(trial_dir, "daemon")):
    time.sleep(0.01)
print(0.25)
