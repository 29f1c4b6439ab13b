"""A plugin optimizer module whose import leaves the file named by env ``HELD`` and then
waits (a minute at most): a hypermax importing it is held in its start-up, before any trial."""

import os
import pathlib
import time

pathlib.Path(os.environ["HELD"]).write_text(str(os.getpid()))
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    time.sleep(0.01)
