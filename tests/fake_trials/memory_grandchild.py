"""Starts a child that starts a grandchild eating 40 MiB every 50 ms (up to 1 GiB), then waits.

The grandchild writes its pid to ``eater`` in the trial folder once it starts eating.
"""

import subprocess
import sys
import time

EAT = """
import os, pathlib, time
pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"], "eater").write_text(str(os.getpid()))
blocks = []
for _ in range(25):
    blocks.append(bytearray(40 * 1024 * 1024))  # zero-filled, so every page is touched
    time.sleep(0.05)
time.sleep(3600)
"""
MIDDLE = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {EAT!r}])"

subprocess.Popen([sys.executable, "-c", MIDDLE])
while True:
    time.sleep(60)
