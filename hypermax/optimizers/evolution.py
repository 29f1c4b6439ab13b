"""Differential evolution, asynchronous: every free slot gets the next candidate at once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hypermax.optimizers.base import BaseOptimizer, point_key, trial_seed
from hypermax.space.unit import UnitCube
from hypermax.trial import Proposal, Trial

if TYPE_CHECKING:
    import numpy as np


#: the options' defaults (schema.json describes them; the benchmark in benchmarks/ chose them)
DEFAULT_POPULATION = 10
DEFAULT_MUTATION = 0.7
DEFAULT_CROSSOVER = 0.9
DEFAULT_STRATEGY = "best1bin"
#: draws of a candidate before one that repeats an earlier point is accepted
RETRIES = 10

STRATEGY = re.compile(r"(rand|best|currenttobest|randtobest)([12])(bin|exp)")


@dataclass(frozen=True)
class Strategy:
    """How a candidate is made, as in scipy's names: ``best1bin`` mutates the best member by
    one scaled difference of two others and crosses it binomially with the target.

    Attributes:
        base: ``rand`` (a random member), ``best``, ``currenttobest`` (the target moved towards
            the best) or ``randtobest`` (a random member moved towards the best).
        differences: how many scaled differences of two members are added (1 or 2).
        crossover: ``bin`` (each coordinate from the mutant with probability CR) or ``exp`` (a
            run of consecutive coordinates, each further one with probability CR).
    """

    base: str
    differences: int
    crossover: str

    @classmethod
    def parse(cls, name: str) -> Strategy:
        found = STRATEGY.fullmatch(name)
        if found is None:
            raise ValueError(f"unknown differential evolution strategy {name!r}")
        return cls(found.group(1), int(found.group(2)), found.group(3))

    @property
    def donors(self) -> int:
        """How many members other than the target a candidate draws on."""
        return 2 * self.differences + (1 if self.base in ("rand", "randtobest") else 0)


def population_size(options: dict[str, Any], dims: int) -> int:
    """``population_size`` from the options, or 10, or twice the leaves when there are more."""
    return int(options.get("population_size", max(DEFAULT_POPULATION, 2 * dims)))


@dataclass(frozen=True)
class Member:
    """The best trial of one slot of the population."""

    loss: float
    trial_id: int
    vector: np.ndarray[Any, Any]

    def beats(self, other: Member | None) -> bool:
        return other is None or (self.loss, self.trial_id) < (other.loss, other.trial_id)


class EvolutionOptimizer(BaseOptimizer):
    """Differential evolution over the space's unit cube (:class:`hypermax.space.UnitCube`).

    Asynchronous, steady state: trial ``i`` belongs to slot ``i % population_size``, and the
    member of a slot is the best trial that slot has seen. A trial whose slot has no member yet
    (the first generation, or one whose trials all failed), or that finds too few other members
    to draw on, is a uniform random point; any other is the DE candidate of its slot: the
    mutant of the strategy (``best1bin`` by default: the best member plus F times the
    difference of two others), crossed over with the slot's member. Its result replaces the
    member when it is better, which is DE's one-to-one selection. So a free slot never waits
    for a generation to end, and the population is a function of the finished trials alone.

    Integers, steps, enums, the branch of a conditional and the length of a list are
    coordinates like any other: a candidate's coordinate is rounded to the value it stands for
    (an option is one equal part of [0, 1]), and it is that rounded point which is evaluated
    and remembered. A leaf a point's branches leave out takes a coordinate drawn from the seed
    and the trial id, so members of different branches still recombine.

    Every ask draws from :func:`trial_seed` ``(seed, trial id)`` and reads the finished trials
    only, never state that advances with asks: a resumed search proposes what an unbroken one
    would have. A candidate that repeats a point already taken is drawn again (up to 10 times).

    Options (``search.evolution``): ``population_size`` (default 10, or twice the leaves of the
    space when there are more), ``mutation`` (F, default 0.7), ``crossover`` (CR, default 0.9),
    ``strategy`` (default ``best1bin``; ``rand``, ``best``, ``currenttobest`` or
    ``randtobest``, then ``1`` or ``2`` differences, then ``bin`` or ``exp``).
    """

    def setup(self) -> None:
        self.cube = UnitCube(self.space)
        self.population_size = population_size(self.options, self.cube.dims)
        self.mutation = float(self.options.get("mutation", DEFAULT_MUTATION))
        self.crossover = float(self.options.get("crossover", DEFAULT_CROSSOVER))
        self.strategy = Strategy.parse(self.options.get("strategy", DEFAULT_STRATEGY))
        if self.population_size < self.strategy.donors + 1:
            raise ValueError(
                f"population_size must be at least {self.strategy.donors + 1} "
                f"for the strategy {self.options.get('strategy', DEFAULT_STRATEGY)}"
            )
        self._members: dict[int, Member] = {}
        self._taken: set[tuple[tuple[str, float], ...]] = set()

    def ask(self, trial_id: int) -> Proposal:
        import numpy as np

        rng = np.random.default_rng(trial_seed(self.seed, trial_id))
        internal: dict[str, Any] = {}
        for _ in range(RETRIES):
            internal = self.cube.internal(self._candidate(trial_id, rng))
            if point_key(internal) not in self._taken:
                break
        self._taken.add(point_key(internal))
        return Proposal(trial_id, self.space.decode(internal), internal)

    def pending(self, trial_id: int, internal: dict[str, Any]) -> None:
        self._taken.add(point_key(self.space.active(internal)))

    def tell(self, trial: Trial) -> None:
        internal = self.space.active(trial.internal)
        self._taken.add(point_key(internal))
        if trial.loss is None:
            return  # failed, or killed without auto_kill_loss: it teaches nothing
        member = Member(float(trial.loss), trial.id, self._vector(trial.id, internal))
        slot = trial.id % self.population_size
        if member.beats(self._members.get(slot)):
            self._members[slot] = member

    def _vector(self, trial_id: int, internal: dict[str, Any]) -> np.ndarray[Any, Any]:
        import numpy as np

        fill = np.random.default_rng([self.seed, trial_id]).random(self.cube.dims)
        return np.array(self.cube.vector(internal, fill))

    def _candidate(self, trial_id: int, rng: np.random.Generator) -> np.ndarray[Any, Any]:
        """The DE candidate of the trial's slot, or a uniform random point."""
        target = self._members.get(trial_id % self.population_size)
        others = [m for slot, m in sorted(self._members.items()) if m is not target]
        if target is None or len(others) < self.strategy.donors:
            return rng.random(self.cube.dims)
        picked = rng.choice(len(others), size=self.strategy.donors, replace=False)
        donors = [others[i].vector for i in picked]
        mutant = self._mutant(target, donors)
        return _repair(self._cross(target.vector, mutant, rng), target.vector)

    def _mutant(self, target: Member, donors: list[np.ndarray[Any, Any]]) -> np.ndarray[Any, Any]:
        f, base = self.mutation, self.strategy.base
        best = min(self._members.values(), key=lambda m: (m.loss, m.trial_id)).vector
        if base in ("rand", "randtobest"):
            start, donors = donors[0], donors[1:]
        else:
            start = best if base == "best" else target.vector
        if base in ("currenttobest", "randtobest"):
            start = start + f * (best - start)
        for first, second in zip(donors[::2], donors[1::2], strict=True):
            start = start + f * (first - second)
        return start

    def _cross(
        self, target: np.ndarray[Any, Any], mutant: np.ndarray[Any, Any], rng: np.random.Generator
    ) -> np.ndarray[Any, Any]:
        import numpy as np

        dims = len(target)
        if self.strategy.crossover == "bin":
            chosen = rng.random(dims) < self.crossover
            chosen[rng.integers(dims)] = True
        else:
            chosen = np.zeros(dims, dtype=bool)
            start, length = int(rng.integers(dims)), 1
            while length < dims and rng.random() < self.crossover:
                length += 1
            chosen[[(start + i) % dims for i in range(length)]] = True
        return np.where(chosen, mutant, target)


def _repair(candidate: np.ndarray[Any, Any], target: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """A coordinate outside [0, 1] goes halfway from the target's to the bound it crossed."""
    import numpy as np

    below, above = candidate < 0.0, candidate > 1.0
    candidate = np.where(below, target / 2, candidate)
    return np.where(above, (target + 1.0) / 2, candidate)
