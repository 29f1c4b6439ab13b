"""A plugin optimizer, ``holding_plugin:Holding`` (the grid method), that holds hypermax where
env ``HOLD_AT`` says: ``import`` (as the spec is checked, before the results folder is used),
``setup`` (as the optimizer is made, once the folder holds the journal's header), or ``exit``
(in an ``atexit`` callback, once the command's work is done). There it leaves the file named by
env ``HELD`` and waits, a minute at most."""

import atexit
import os
import pathlib
import time

from hypermax.optimizers.grid import GridOptimizer


def _hold() -> None:
    pathlib.Path(os.environ["HELD"]).write_text(str(os.getpid()))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.01)


class Holding(GridOptimizer):
    def setup(self) -> None:
        if os.environ.get("HOLD_AT") == "setup":
            _hold()
        super().setup()


if os.environ.get("HOLD_AT") == "exit":
    atexit.register(_hold)
if os.environ.get("HOLD_AT") == "import":
    _hold()
