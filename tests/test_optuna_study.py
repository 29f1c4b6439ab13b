"""The Optuna study behind ``tpe``: trials added in bulk are numbered, indexed and proposed from
exactly as Optuna's own ``Study.add_trial`` would have them, without its copy of each trial."""

from __future__ import annotations

from typing import Any

import optuna
import pytest
from optuna.distributions import FloatDistribution, IntDistribution
from optuna.storages import InMemoryStorage
from optuna.trial import TrialState as OptunaState

from hypermax.optimizers import make_optimizer, optuna_based
from hypermax.optimizers.base import Budget
from hypermax.optimizers.optuna_based import OptunaOptimizer, TPEOptimizer
from hypermax.optimizers.optuna_study import add_trials, add_trials_one_by_one, frozen_trial
from hypermax.space import Space
from hypermax.testing import CONDITIONAL_SPACE, conditional_loss, drive
from hypermax.trial import Proposal, Trial, TrialState

SPACE = Space(CONDITIONAL_SPACE)


def ends(trial_id: int) -> TrialState:
    """Stopped early (told as pruned when it has a loss), failed, or ok."""
    if trial_id % 5 == 0:
        return TrialState.STOPPED
    return TrialState.FAILED if trial_id % 7 == 0 else TrialState.OK


def study_of(opt: OptunaOptimizer) -> optuna.Study:
    assert opt._study is not None
    return opt._study


def held(study: optuna.Study) -> list[tuple[Any, ...]]:
    """Every trial of ``study`` as the storage holds and indexes it, and the best one."""
    storage = study._storage
    rows: list[tuple[Any, ...]] = []
    for t in study.get_trials(deepcopy=False):
        rows.append(
            (
                t.number,
                t._trial_id,
                storage.get_trial_id_from_study_id_trial_number(study._study_id, t.number),
                storage.get_trial_number_from_id(t._trial_id),
                t.state,
                t.values,
                t.params,
                t.distributions,
                t.intermediate_values,
            )
        )
    return [*rows, ("best", study.best_trial.number)]


def resumed_search() -> tuple[list[Any], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """A seeded search over a conditional space, three trials at a time, some stopped early
    (pruned) or failed, resumed with two trials running: the proposals after it, and the study
    as the first ask rebuilt it and as the asks and tells after it left it."""
    live = make_optimizer("tpe", SPACE, 3, {"n_startup_jobs": 4}, Budget(40, 3))
    told = drive(live, 18, conditional_loss, parallel=3, states=ends)
    running = [live.ask(19), live.ask(20)]
    assert all(isinstance(p, Proposal) for p in running)

    resumed = make_optimizer("tpe", SPACE, 3, {"n_startup_jobs": 4}, Budget(40, 3))
    assert isinstance(resumed, TPEOptimizer)
    resumed.tell_many(told)
    for proposal in running:
        resumed.pending(proposal.trial_id, proposal.internal)
    proposals = [resumed.ask(21).params]
    rebuilt = held(study_of(resumed))
    for proposal in running:  # finished through the numbers the rebuilt study gave them
        loss = conditional_loss(proposal.params)
        resumed.tell(
            Trial(proposal.trial_id, proposal.params, proposal.internal, TrialState.OK, loss=loss)
        )
    proposals.append(resumed.ask(22).params)
    late = told[3]  # a trial older than all (imported, pruned): the study is rebuilt
    resumed.tell(Trial(0, late.params, late.internal, TrialState.IMPORTED, loss=0.5, step=2))
    proposals.append(resumed.ask(23).params)
    return proposals, rebuilt, held(study_of(resumed))


def test_trials_added_in_bulk_are_held_and_proposed_from_as_add_trial_holds_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bulk = resumed_search()
    monkeypatch.setattr(optuna_based, "add_trials", add_trials_one_by_one)
    one_by_one = resumed_search()
    proposals, rebuilt, after = bulk
    assert any(row[4] == OptunaState.PRUNED for row in rebuilt[:-1])
    assert sum(row[4] == OptunaState.RUNNING for row in rebuilt[:-1]) == 3  # two, and the asked
    assert {"model#0.C", "model#1.depth"} <= {name for row in rebuilt[:-1] for name in row[6]}
    assert proposals == one_by_one[0]
    assert rebuilt == one_by_one[1]
    assert after == one_by_one[2]


def made_trials() -> list[optuna.trial.FrozenTrial]:
    x = FloatDistribution(0, 1)
    return [
        frozen_trial(OptunaState.COMPLETE, {"x": 0.5}, {"x": x}, value=2.0),
        frozen_trial(OptunaState.PRUNED, {"x": 0.1}, {"x": x}, intermediate={3: 1.5}),
        frozen_trial(OptunaState.RUNNING, {"x": 0.2}, {"x": x}),
        frozen_trial(OptunaState.COMPLETE, {"x": 0.7}, {"x": x}, value=1.0),
    ]


class OtherStorage(InMemoryStorage):
    """A storage of another kind than the in-memory one (the same, subclassed)."""


def test_an_in_memory_study_holds_the_trials_given_and_another_storage_copies() -> None:
    found = []
    for storage in (InMemoryStorage(), OtherStorage()):
        study = optuna.create_study(storage=storage)
        study.ask()  # one trial of Optuna's own first: the numbers and ids go on from it
        trials = made_trials()
        add_trials(study, trials)
        kept = study.get_trials(deepcopy=False)
        found.append([t is given for t, given in zip(kept[1:], trials, strict=True)])
        assert [(t.number, t._trial_id) for t in kept] == [(n, n) for n in range(5)]
        assert study.best_trial.number == 4
        assert kept[2].intermediate_values == {3: 1.5}
    assert found == [[True] * 4, [False] * 4]


def test_a_trial_outside_its_distribution_is_refused_as_add_trial_refuses_it() -> None:
    study = optuna.create_study(storage=InMemoryStorage())
    trial = frozen_trial(OptunaState.COMPLETE, {"x": 2.0}, {"x": FloatDistribution(0, 1)}, 1.0)
    with pytest.raises(ValueError, match="isn't contained in the distribution"):
        add_trials(study, [trial])
    assert study.get_trials() == []


STEPS = Space({"type": "object", "properties": {"k": {"type": "integer", "min": 0, "max": 99}}})


def test_the_distributions_of_the_study_follow_most_steps() -> None:
    """A stepped number with more steps than ``most_steps`` is continuous in the study, also
    when ``most_steps`` changed after the study was first built from a history."""
    told = drive(TPEOptimizer(STEPS, 1, {"n_startup_jobs": 2}), 3, lambda p: float(p["k"]))
    opt = TPEOptimizer(STEPS, 1, {"n_startup_jobs": 2})
    opt.tell_many(told)
    assert isinstance(opt.ask(4), Proposal)
    assert study_of(opt).get_trials()[0].distributions == {"k": IntDistribution(0, 99)}
    opt.most_steps = 10
    late = told[0]
    opt.tell(Trial(0, late.params, late.internal, TrialState.OK, loss=3.0))  # out of order
    assert isinstance(opt.ask(5), Proposal)
    kinds = {type(t.distributions["k"]) for t in study_of(opt).get_trials()}
    assert kinds == {FloatDistribution}
