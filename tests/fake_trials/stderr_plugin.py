"""A plugin optimizer, ``stderr_plugin:Noisy`` (the grid method), that writes a line straight
to file descriptor 2 as each trial is told, as a library's C code warns."""

import os
from typing import Any

from hypermax.optimizers.grid import GridOptimizer


class Noisy(GridOptimizer):
    def tell(self, trial: Any) -> None:
        os.write(2, b"a library's warning\n")
        super().tell(trial)
