"""Fails (exit code 3, its reason its last stderr line), leaving a child running that says
something on stderr as SIGTERM ends it (as multiprocessing's resource tracker warns of what
it cleans up): the line of a process hypermax killed once the trial ended."""

import os
import pathlib
import signal
import sys
import time

folder = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"])
if os.fork() == 0:

    def on_sigterm(signum, frame):
        os.write(2, b"UserWarning: the child was told to stop\n")
        os._exit(0)

    signal.signal(signal.SIGTERM, on_sigterm)
    (folder / "child_up").touch()
    while True:
        signal.pause()
while not (folder / "child_up").exists():
    time.sleep(0.01)
sys.stderr.write("ValueError: the trial's own reason\n")
sys.stderr.flush()
os._exit(3)
