"""Trials added to an in-memory Optuna study in bulk: made directly and taken by the storage as
they are, instead of one deep copy each through ``Study.add_trial``."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna
    from optuna.distributions import BaseDistribution
    from optuna.trial import FrozenTrial, TrialState


def frozen_trial(
    state: TrialState,
    params: dict[str, Any],
    distributions: dict[str, BaseDistribution],
    value: float | None = None,
    intermediate: dict[int, float] | None = None,
) -> FrozenTrial:
    """A trial to add to a study (checked as it is added, by :func:`add_trials`): what
    ``optuna.trial.create_trial`` makes, without its conversion of each distribution from the
    classes of Optuna 2, which tripled the cost of making 10,000 trials and which the
    distributions of :mod:`~hypermax.optimizers.dimensions` never are."""
    from optuna.trial import FrozenTrial

    started = datetime.datetime.now()
    return FrozenTrial(
        number=-1,
        state=state,
        value=value,
        datetime_start=started,
        datetime_complete=started if state.is_finished() else None,
        params=params,
        distributions=distributions,
        user_attrs={},
        system_attrs={},
        intermediate_values=intermediate or {},
        trial_id=-1,
    )


def add_trials(study: optuna.Study, trials: list[FrozenTrial]) -> None:
    """Add ``trials`` (made for this study and held by nothing else) to ``study``, in order.

    ``Study.add_trial`` has the storage deep-copy each trial, which made the first ask after
    resuming a 10,000-trial search take seconds. An in-memory storage of this Optuna takes them
    as they are, checked as ``add_trial`` checks them, and numbered and indexed under its lock as
    it numbers and indexes the trials it copies. A storage of another kind, or an Optuna whose
    storage keeps its trials otherwise, gets them one by one through ``add_trial``."""
    from optuna.storages import InMemoryStorage

    storage = study._storage
    try:
        if type(storage) is not InMemoryStorage or len(study.directions) != 1:
            raise AttributeError("not an in-memory study of one objective")
        study_id = study._study_id
        held = storage._studies[study_id].trials
        index = storage._trial_id_to_study_id_and_number
        update_cache, lock = storage._update_cache, storage._lock
        if not (
            isinstance(held, list)
            and isinstance(index, dict)
            and isinstance(storage._max_trial_id, int)
        ):
            raise AttributeError("the storage keeps its trials otherwise")
        for trial in trials:
            trial._validate()
    except (AttributeError, KeyError):
        add_trials_one_by_one(study, trials)
        return
    with lock:
        for trial in trials:
            trial_id = storage._max_trial_id + 1
            storage._max_trial_id = trial_id
            trial.number = len(held)
            trial._trial_id = trial_id
            index[trial_id] = (study_id, trial.number)
            held.append(trial)
            update_cache(trial_id, study_id)


def add_trials_one_by_one(study: optuna.Study, trials: list[FrozenTrial]) -> None:
    """Add ``trials`` to ``study`` through Optuna's ``add_trial``, each copied by the storage."""
    for trial in trials:
        study.add_trial(trial)
