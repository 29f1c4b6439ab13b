"""A plugin optimizer, ``holding_plugin:Holding`` (the grid method), that holds hypermax where
env ``HOLD_AT`` says: ``import`` (as the spec is checked, before the results folder is used),
``import_in_text`` (as ``import``, inside code run from a text, as ``dataclasses`` and
``collections.namedtuple`` make their methods), ``setup`` (as the optimizer is made, once the
folder holds the journal's header), or ``exit``
(in an ``atexit`` callback, once the command's work is done), or ``import_stderr_full`` (as
``import``, once it filled the pipe of hypermax's stderr: what hypermax writes there next waits
for a reader). There it leaves the file named by env ``HELD`` and waits, a minute at most."""

import atexit
import fcntl
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


if os.environ.get("HOLD_AT") == "import_in_text":
    exec("_hold()")
if os.environ.get("HOLD_AT") == "exit":
    atexit.register(_hold)
if os.environ.get("HOLD_AT") == "import_stderr_full":
    fcntl.fcntl(2, fcntl.F_SETFL, fcntl.fcntl(2, fcntl.F_GETFL) | os.O_NONBLOCK)
    try:
        while True:
            os.write(2, b"." * 4096)
    except BlockingIOError:
        pass
    fcntl.fcntl(2, fcntl.F_SETFL, fcntl.fcntl(2, fcntl.F_GETFL) & ~os.O_NONBLOCK)
if os.environ.get("HOLD_AT", "").startswith("import"):
    _hold()
