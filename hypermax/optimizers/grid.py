"""Grid search: every point of the grid the space spans, each once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypermax.optimizers.base import EXHAUSTED, BaseOptimizer, NoProposal
from hypermax.trial import Proposal, Trial

if TYPE_CHECKING:
    pass

_MASK64 = (1 << 64) - 1
_ROUNDS = 8


class GridOptimizer(BaseOptimizer):
    """Visits every point of the space's grid once, then answers ``EXHAUSTED``.

    The grid is the cartesian product of every enum, constant and number with grid values (its
    ``grid``, its ``grid_points``, or every step of a bounded number with ``rounding``); a
    conditional enumerates each branch with its own params only, a list each length with its
    items (:meth:`hypermax.space.Space.point`). With a budget of at least the grid's size the
    points come in that order; with a smaller one, in a shuffled order fixed by the seed, so
    that a partial grid still spreads over the whole space.

    A point already taken (proposed, running, told, resumed from the journal, run as the
    defaults or a user point) is never proposed again: a resumed search continues with the
    points not yet run, and what it proposes depends only on the seed and on which points were
    taken. The grid is walked by index, never listed: a shuffled walk over a grid of any size
    needs memory for the points visited only.

    Raises:
        ValueError: for a space with infinitely many points.
    """

    def setup(self) -> None:
        size = self.space.size()
        if size is None:
            raise ValueError("the grid method needs a finite space: give numbers grid values")
        self.size = size
        self.shuffled = self.budget.iterations < size
        self._permutation = Permutation(size, self.seed)
        self._taken: set[int] = set()
        self._cursor = 0  # every position before it is taken

    def ask(self, trial_id: int) -> Proposal | NoProposal:
        while self._cursor < self.size:
            index = self.position(self._cursor)
            self._cursor += 1
            if index in self._taken:
                continue
            self._taken.add(index)
            internal = self.space.point(index)
            return Proposal(trial_id, self.space.decode(internal), internal)
        return EXHAUSTED

    def position(self, step: int) -> int:
        """The grid point visited at ``step`` of the walk."""
        return self._permutation(step) if self.shuffled else step

    def pending(self, trial_id: int, internal: dict[str, Any]) -> None:
        index = self.space.point_index(internal)
        if index is not None:
            self._taken.add(index)

    def tell(self, trial: Trial) -> None:
        self.pending(trial.id, trial.internal)


class Permutation:
    """A seeded pseudo-random permutation of ``range(size)``, computed one position at a time.

    A balanced Feistel network over the smallest even number of bits that holds ``size``, whose
    round function mixes the seed, the round and the half (splitmix64); a value that falls
    outside ``range(size)`` is encrypted again until it falls inside (cycle walking), which
    keeps it a permutation. Its domain is less than four times ``size``, so a position costs a
    few rounds whatever the size: no list of the grid is ever built.
    """

    def __init__(self, size: int, seed: int) -> None:
        self.size = size
        bits = max(2, (size - 1).bit_length())
        self._half = (bits + 1) // 2
        self._mask = (1 << self._half) - 1
        self._keys = [_mix((seed << 8) + r) for r in range(_ROUNDS)]

    def __call__(self, position: int) -> int:
        if not 0 <= position < self.size:
            raise IndexError(f"position {position} is outside range({self.size})")
        value = self._encrypt(position)
        while value >= self.size:
            value = self._encrypt(value)
        return value

    def _encrypt(self, value: int) -> int:
        left, right = value >> self._half, value & self._mask
        for key in self._keys:
            left, right = right, left ^ (_mix(key ^ right) & self._mask)
        return (left << self._half) | right


def _mix(value: int) -> int:
    """splitmix64's finaliser: a well-spread 64-bit hash of ``value``."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)
