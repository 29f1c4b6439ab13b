"""Runs ``hypermax run SPEC --no-ui`` in a process that held 200 MiB before and let it go.

The process's memory is small again when the search starts, its high-water mark is not: as in
a notebook that loaded a dataset, freed it, then called ``hypermax.optimize``.
"""

import sys

block = b"x" * (200 * 2**20)  # written, so every page is in memory
del block

from hypermax.cli import main  # noqa: E402 - after the peak, as a notebook would

sys.exit(main(["run", sys.argv[1], "--no-ui"]))
