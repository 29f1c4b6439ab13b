"""A plugin optimizer (``slow_exit_plugin:SlowExit``, the grid method) whose module, once
imported, holds hypermax's exit: an ``atexit`` callback leaves the file named by env
``HELD`` and waits (a minute at most), after the command's work is done."""

import atexit
import os
import pathlib
import time

from hypermax.optimizers.grid import GridOptimizer as SlowExit

__all__ = ["SlowExit"]


def _hold() -> None:
    pathlib.Path(os.environ["HELD"]).write_text(str(os.getpid()))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.01)


atexit.register(_hold)
