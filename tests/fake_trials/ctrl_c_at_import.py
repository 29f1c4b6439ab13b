"""A plugin optimizer, ``ctrl_c_at_import:Grid`` (the grid method), whose first import gets
Ctrl-C twice halfway: the SIGINTs it sends its own process when the file named by env
``CTRL_C_ONCE`` is not there yet (it then makes it), as an impatient user's Ctrl-C would come
while the search imports what it needs (optuna, hyperopt) in the program that called
optimize()."""

import os
import pathlib
import signal

once = pathlib.Path(os.environ["CTRL_C_ONCE"])
if not once.exists():
    once.write_text("")
    for _ in range(2):
        os.kill(os.getpid(), signal.SIGINT)
        os.getpid()  # a call between: Python runs the handler for each

from hypermax.optimizers.grid import GridOptimizer  # noqa: E402 - after the Ctrl-C, as it came


class Grid(GridOptimizer):
    pass
