"""The checks every optimizer passes (:class:`OptimizerContract`), and those of a method that
visits a finite set of points (:class:`FiniteOptimizerContract`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from hypermax.optimizers import NoProposal, make_optimizer
from hypermax.optimizers.base import BaseOptimizer, Budget
from hypermax.space import Space
from hypermax.testing import spaces
from hypermax.testing.driving import ask_checked, drive, ended_trial
from hypermax.trial import Proposal, Trial, TrialState

#: the failure of a check whose optimizer proposed no trial
_NOTHING = (
    "the optimizer proposed nothing: its first ask answered WAIT or EXHAUSTED with no trial "
    "running, which ends a search with no trial run"
)


def _state_for(trial_id: int) -> TrialState:
    """A mix of every finished state, the same on every run."""
    return (TrialState.OK, TrialState.OK, TrialState.FAILED, TrialState.KILLED)[trial_id % 4]


def _params(answer: Proposal | NoProposal) -> Any:
    """What an answer proposes, for a failure's message."""
    return answer.params if isinstance(answer, Proposal) else answer.name


#: how an optimizer proposes the same trials again, for the failures that say it does not
_DETERMINISTIC = (
    "draw each ask's randomness from hypermax.optimizers.trial_seed(self.seed, trial_id) and "
    "keep no state that advances with asks"
)


class OptimizerContract:
    """The checks every optimizer passes; subclass it as ``Test...`` and set :attr:`method`.

    Attributes:
        method: a built-in method name or a plugin ``"module:Class"``.
        options: the method's options (the spec's ``search.<method>``).
        seeded: whether proposals depend on the seed (a grid in order does not).
        trials: how many trials each check runs (and the optimizer's budget of iterations).
        requires: import names the method needs; the suite is skipped without them.
        folder: where a plugin's module is imported from, when it is not on ``sys.path``.
        normal_numbers: whether the method searches numbers of mode normal (``atpe`` does not).
    """

    method: ClassVar[str] = ""
    options: ClassVar[dict[str, Any]] = {}
    seeded: ClassVar[bool] = True
    trials: ClassVar[int] = 24
    requires: ClassVar[tuple[str, ...]] = ()
    folder: ClassVar[Path | None] = None
    normal_numbers: ClassVar[bool] = True

    def space(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The test space ``raw`` as this method searches it (a hook: unchanged here)."""
        return raw

    def make(
        self, space: dict[str, Any] = spaces.FLAT_SPACE, seed: int = 1, parallel: int = 1
    ) -> BaseOptimizer:
        """A fresh optimizer of this method over the test space ``space``."""
        for name in self.requires:
            pytest.importorskip(name, reason=f'"{self.method}" needs {name}')
        budget = Budget(iterations=self.trials, parallel=parallel)
        return make_optimizer(
            self.method,
            Space(self.space(space)),
            seed,
            dict(self.options),
            folder=self.folder,
            budget=budget,
        )

    def test_proposals_stay_in_the_space_and_round_trip(self) -> None:
        space = Space(self.space(spaces.FLAT_SPACE))
        optimizer = self.make()
        told = drive(optimizer, self.trials, spaces.flat_loss, states=_state_for)
        assert told, _NOTHING
        for trial in told:
            params, where = trial.params, f"trial {trial.id} got {trial.params}"
            assert -5 <= params["x"] <= 5 and isinstance(params["x"], float), where
            assert params["k"] in (1, 2, 3, 4) and isinstance(params["k"], int), where
            assert params["c"] in ("a", "b", "c"), where
            assert space.encode(params) == space.active(trial.internal), (
                f"{where}, which encode to {space.encode(params)}, not to its internal values "
                f"{trial.internal}"
            )
            assert space.decode(trial.internal) == params, where

    def test_numbers_of_mode_normal_stay_within_their_bounds(self) -> None:
        """A number of mode normal with ``min`` and ``max`` is a float (an ``int``) within them,
        whichever method proposes it: the methods of hyperopt and differential evolution
        proposed draws of its prior far past them."""
        if not self.normal_numbers:
            pytest.skip(f'"{self.method}" does not search numbers of mode normal')
        space = Space(self.space(spaces.NORMAL_SPACE))
        told = drive(self.make(spaces.NORMAL_SPACE), 12, spaces.normal_loss, states=_state_for)
        assert told, _NOTHING
        for trial in told:
            params, where = trial.params, f"trial {trial.id} got {trial.params}"
            assert -1 <= params["w"] <= 2 and isinstance(params["w"], float), where
            assert params["n"] in range(1, 7) and isinstance(params["n"], int), where
            assert 0.5 <= params["s"] <= 4, where
            assert space.decode(trial.internal) == params, where

    def test_every_finished_state_is_taken(self) -> None:
        optimizer = self.make(parallel=2)
        every = (TrialState.OK, TrialState.FAILED, TrialState.KILLED, TrialState.STOPPED)
        told = drive(
            optimizer, self.trials, spaces.flat_loss, parallel=2, states=lambda i: every[i % 4]
        )
        assert {t.state for t in told} == set(every) or len(told) < 4
        ask_checked(optimizer, len(told) + 1)

    def test_same_seed_same_proposals_and_another_seed_differs(self) -> None:
        def run(seed: int) -> list[dict[str, Any]]:
            optimizer = self.make(seed=seed)
            return [p.params for p in drive(optimizer, 15, spaces.flat_loss, states=_state_for)]

        first, again = run(7), run(7)
        assert first, _NOTHING
        assert first == again, (
            f"two optimizers with seed 7, told the same trials, proposed {first} and {again}: "
            f"{_DETERMINISTIC}"
        )
        if self.seeded:
            assert run(8) != first, (
                f"seeds 7 and 8 proposed the same {len(first)} trials, {first[0]} first: draw "
                "each ask's randomness from trial_seed(self.seed, trial_id) (or set seeded = "
                "False in the test class of a method whose proposals do not depend on the seed)"
            )

    def test_a_history_told_afterwards_gives_the_next_proposal_of_one_built_live(self) -> None:
        """What resume relies on: telling the finished trials in one batch rebuilds the state."""
        live = self.make(seed=3)
        history = drive(live, 12, spaces.flat_loss, states=_state_for)
        rebuilt = self.make(seed=3)
        rebuilt.tell_many(history)
        expected, got = ask_checked(live, 13), ask_checked(rebuilt, 13)
        assert got == expected, (
            f"as a resumed search, told the {len(history)} trials of one that ran them in one "
            f"tell_many, it proposed {_params(got)} for trial 13, where the search that ran "
            f"them proposed {_params(expected)}: {_DETERMINISTIC}"
        )

    def test_running_trials_it_did_not_propose_are_taken(self) -> None:
        """A resumed trial or a user point runs: ``pending`` notes it, ``tell`` ends it."""
        space = Space(self.space(spaces.FLAT_SPACE))
        optimizer = self.make()
        point = optimizer.propose(1, {"x": 1.0, "k": 1, "c": "b"})
        assert point.params == {"x": 1.0, "k": 1, "c": "b"}
        internal = space.encode({"x": -2.0, "k": 3, "c": "a"})
        optimizer.pending(2, internal)
        optimizer.tell(ended_trial(point, TrialState.OK, 1.0))
        optimizer.tell(Trial(2, space.decode(internal), internal, TrialState.OK, loss=12.0))
        imported = space.encode({"x": 4.0, "k": 2, "c": "c"})
        optimizer.tell(Trial(3, space.decode(imported), imported, TrialState.IMPORTED, loss=12.0))
        ask_checked(optimizer, 4)

    def test_conditional_spaces_and_lists_of_variable_length(self) -> None:
        space = Space(self.space(spaces.CONDITIONAL_SPACE))
        optimizer = self.make(spaces.CONDITIONAL_SPACE)
        told = drive(optimizer, self.trials, spaces.conditional_loss, states=_state_for)
        assert told, _NOTHING
        for trial in told:
            params, where = trial.params, f"trial {trial.id} got {trial.params}"
            assert 1e-4 <= params["lr"] <= 1, where
            assert params["model"]["name"] in ("svm", "forest"), where
            assert set(params["model"]) in ({"name", "C"}, {"name", "depth"}), where
            assert 1 <= len(params["layers"]) <= 3, where
            assert all(units % 8 == 0 and 8 <= units <= 64 for units in params["layers"]), where
            assert space.decode(trial.internal) == params, where
            assert space.encode(params) == space.active(trial.internal), (
                f"{where}, which encode to {space.encode(params)}, not to its internal values "
                f"{trial.internal}"
            )

    def test_parallel_asks_are_accepted_and_differ(self) -> None:
        optimizer = self.make(parallel=4)
        drive(optimizer, 8, spaces.flat_loss)
        asked = []
        for trial_id in range(9, 13):
            answer = ask_checked(optimizer, trial_id)
            if isinstance(answer, NoProposal):
                break
            asked.append(answer.params)
        unique = {tuple(sorted(params.items())) for params in asked}
        assert len(unique) == len(asked), f"concurrent asks repeated a proposal: {asked}"


class FiniteOptimizerContract(OptimizerContract):
    """The contract of a method that visits a finite set of points (a grid), plus its own checks:
    every point once and then ``EXHAUSTED``, and a resumed walk that runs only the rest.

    Attributes:
        grid_points: the values every number of the test spaces gets (``with_grid_points``).
    """

    grid_points: ClassVar[int] = 3

    def space(self, raw: dict[str, Any]) -> dict[str, Any]:
        return spaces.with_grid_points(raw, self.grid_points)

    def test_every_point_once_then_exhausted(self) -> None:
        space = Space(self.space(spaces.FLAT_SPACE))
        size = space.size() or 0
        optimizer = self.make(parallel=3)
        told = drive(optimizer, size + 5, spaces.flat_loss, parallel=3, states=_state_for)
        visited = sorted(_grid_indexes(space, told))
        assert visited == list(range(size)), (
            f"the {size} points of the grid were not each visited once: it visited points {visited}"
        )
        last = ask_checked(optimizer, size + 1)
        assert last is NoProposal.EXHAUSTED, (
            f"after every point, ask({size + 1}) answered {_params(last)}, not EXHAUSTED"
        )

    def test_a_resumed_walk_runs_the_points_not_yet_run(self) -> None:
        space = Space(self.space(spaces.FLAT_SPACE))
        size = space.size() or 0
        first = drive(self.make(seed=4), size // 2, spaces.flat_loss, states=_state_for)
        resumed = self.make(seed=4)
        resumed.tell_many(first)
        rest = drive(resumed, size, spaces.flat_loss, first_id=len(first) + 1)
        before, after = _grid_indexes(space, first), _grid_indexes(space, rest)
        again = sorted(set(before) & set(after))
        assert not again, f"resumed, the walk visited points it had visited before: {again}"
        assert sorted(before + after) == list(range(size)), (
            f"a walk of the {size} points resumed after {len(first)} of them did not visit "
            f"each point once: before {sorted(before)}, after {sorted(after)}"
        )


def _grid_indexes(space: Space, trials: list[Trial]) -> list[int]:
    """Where each trial's point stands in the space's grid (every trial must be on it)."""
    indexes = [space.point_index(trial.internal) for trial in trials]
    off = [trial.params for trial, index in zip(trials, indexes, strict=True) if index is None]
    assert not off, f"trials off the grid: {off}"
    return [index for index in indexes if index is not None]
