"""Holds ``HOLD_MIB`` MiB (env, default 0), ignores SIGTERM, and on it writes ``EAT_MIB`` MiB
more (env, default 64) and holds them for ever: a trial that grows while it is being killed."""

import os
import pathlib
import signal
import time

termed = False


def on_term(signum: int, frame: object) -> None:
    global termed
    termed = True


signal.signal(signal.SIGTERM, on_term)
held = b"h" * (int(os.environ.get("HOLD_MIB", "0")) * 2**20)  # written: every page in memory
folder = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"])
(folder / "up.tmp").write_text(str(os.getpid()))
os.replace(folder / "up.tmp", folder / "up")
while not termed:
    time.sleep(0.01)
eaten = b"x" * (int(os.environ.get("EAT_MIB", "64")) * 2**20)
while True:
    time.sleep(60)
