"""Which global random generators the objective seeded as it was imported, so that a trial
forked from the preload server draws what a fresh process that imported it would.

A fresh process starts its generators from the OS's entropy; one that imports a module calling
``random.seed(0)`` or ``numpy.random.seed(0)`` then draws the same numbers in every trial. A
forked trial starts from a copy of the server: ``random`` reseeds itself after a fork, and the
server reseeds numpy's and torch's global generators (else every trial would draw the same
numbers where fresh ones would not). A generator the import seeded is given back, in the trial,
the state the import left it in instead: :class:`SeedWatch` records which those are.
"""

from __future__ import annotations

import contextlib
import random
import sys
from types import TracebackType
from typing import Any

#: torch's own starting seed is drawn from 64 random bits: one below this was set by the module
#: (``torch.manual_seed(0)``), with odds of a mistake of one in four billion
_TORCH_SEED_SET_BELOW = 2**32


class SeedWatch:
    """Around the objective's import (a context manager): notes a call to ``random.seed`` with a
    seed, and, once the import is over, the states to give each trial (:meth:`restore`)."""

    def __init__(self) -> None:
        self._random_seeded = False
        self._seed = random.seed
        self._random_state: Any = None
        self.seeded: frozenset[str] = frozenset()

    def __enter__(self) -> SeedWatch:
        seed = self._seed

        def recording_seed(a: Any = None, version: int = 2) -> None:
            if a is not None:
                self._random_seeded = True
            seed(a, version)

        random.seed = recording_seed  # type: ignore[assignment]
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        random.seed = self._seed  # type: ignore[assignment]
        seeded = {"random"} if self._random_seeded else set()
        if _numpy_seeded():
            seeded.add("numpy")
        if _torch_seeded():
            seeded.add("torch")
        self.seeded = frozenset(seeded)
        if self._random_seeded:
            self._random_state = random.getstate()

    def restore(self) -> None:
        """In a forked trial: ``random`` as the import left it, if the import seeded it
        (``random`` reseeded itself at the fork); numpy's and torch's global generators, which
        the fork copied as they were, reseeded unless the import seeded them."""
        if self._random_state is not None:
            random.setstate(self._random_state)
        numpy = sys.modules.get("numpy")
        if numpy is not None and "numpy" not in self.seeded:
            with contextlib.suppress(Exception):
                numpy.random.seed()
        torch = sys.modules.get("torch")
        if torch is not None and "torch" not in self.seeded:
            with contextlib.suppress(Exception):
                torch.seed()


def _numpy_seeded() -> bool:
    """Whether numpy's global generator was seeded (``numpy.random.seed``): its seeding by
    entropy keeps the seed sequence it drew from, which a legacy seeding drops."""
    numpy = sys.modules.get("numpy")
    try:
        generator = numpy.random.mtrand._rand._bit_generator  # type: ignore[union-attr]
        return generator._seed_seq is None
    except Exception:
        return False


def _torch_seeded() -> bool:
    """Whether torch's global generator was seeded by the module (``torch.manual_seed``)."""
    torch = sys.modules.get("torch")
    try:
        return int(torch.initial_seed()) < _TORCH_SEED_SET_BELOW  # type: ignore[union-attr]
    except Exception:
        return False
