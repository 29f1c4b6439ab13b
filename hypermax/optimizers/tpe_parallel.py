"""Running trials for TPE taken at the loss their nearest finished trials had: a believer.

With trials running in parallel, Optuna's constant liar counts each running trial among the bad
ones, so the density of bad trials rises where the concurrent asks went, which is around the best
trial: on the quality benchmark, 4 trials at a time against one at a time lost 35 % to 95 % of the
median gap. Here each running trial counts as finished with the mean loss of the
:data:`NEIGHBOURS` finished trials nearest to it, so a trial running near the best joins the good
group and one running in a poor region the bad group, and TPE splits and models them as it does
finished ones (``benchmarks/README.md``). One at a time nothing runs but the trial being asked, and
the sampler is Optuna's own.
"""

from __future__ import annotations

import math
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import optuna
    from optuna.distributions import BaseDistribution
    from optuna.trial import FrozenTrial

#: the finished trials whose losses a running trial is believed at (the mean of them)
NEIGHBOURS = 3


@cache
def believer_tpe_sampler_class() -> type[optuna.samplers.TPESampler]:
    """TPESampler that counts each running trial at the loss :func:`believed_trials` gives it,
    through ``_sample``, the method Optuna's TPE builds its two densities in; Optuna's constant
    liar whenever its internals differ from what this expects."""
    import optuna

    class BelieverTPESampler(optuna.samplers.TPESampler):
        def _sample(
            self,
            study: optuna.Study,
            trial: FrozenTrial,
            search_space: dict[str, BaseDistribution],
        ) -> dict[str, Any]:
            believed = _believed_sample(self, study, trial, search_space)
            if believed is None:
                return super()._sample(study, trial, search_space)
            return believed

    return BelieverTPESampler


def _believed_sample(
    sampler: Any,
    study: optuna.Study,
    trial: FrozenTrial,
    search_space: dict[str, BaseDistribution],
) -> dict[str, Any] | None:
    """Optuna 5's ``TPESampler._sample`` with the running trials believed instead of lied about;
    None when no other trial is running (Optuna's own sampling is then the same) or when
    Optuna's internals are not the expected ones."""
    from optuna.trial import TrialState

    try:
        from optuna.samplers._tpe.sampler import _split_trials

        gamma, rng = sampler._gamma, sampler._rng.rng
        n_candidates = sampler._n_ei_candidates
        build, acquisition = sampler._build_parzen_estimator, sampler._compute_acquisition_func
        compare = sampler._compare
    except (ImportError, AttributeError):  # another Optuna version: its constant liar
        return None
    running = [
        t
        for t in study._get_trials(deepcopy=False, states=(TrialState.RUNNING,), use_cache=False)
        if t.number != trial.number and search_space.keys() <= t.params.keys()
    ]
    if not running or gamma is None:
        return None
    finished = study._get_trials(
        deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED), use_cache=False
    )
    believed = believed_trials(running, finished, search_space)
    if not believed:
        return None
    below, above = _split_trials(study, finished + believed, gamma(len(finished)))
    below_density = build(study, search_space, below, handle_below=True)
    above_density = build(study, search_space, above, handle_below=False)
    candidates = below_density.sample(rng, n_candidates)
    chosen = compare(candidates, acquisition(candidates, below_density, above_density))
    return {name: dist.to_external_repr(chosen[name]) for name, dist in search_space.items()}


def believed_trials(
    running: list[FrozenTrial],
    finished: list[FrozenTrial],
    search_space: dict[str, BaseDistribution],
) -> list[FrozenTrial]:
    """The running trials as complete ones, each with the mean loss of the :data:`NEIGHBOURS`
    complete trials nearest to it in the unit cube of ``search_space`` (numbers scaled to
    their range, on a log scale where the distribution has one; a category is near only
    itself, at distance 1 from every other). Empty when there is nothing to believe."""
    import numpy as np
    from optuna.trial import TrialState, create_trial

    known = [
        t
        for t in finished
        if t.state == TrialState.COMPLETE and search_space.keys() <= t.params.keys()
    ]
    if not running or not known:
        return []
    here = _unit_cube(running, search_space)
    there = _unit_cube(known, search_space)
    categorical = np.array([_is_categorical(dist) for dist in search_space.values()])
    apart = here[:, None, :] - there[None, :, :]
    apart = np.where(categorical, (apart != 0).astype(float), apart)
    nearest = np.argsort((apart**2).sum(axis=2), axis=1, kind="stable")[:, :NEIGHBOURS]
    losses = np.array([t.value for t in known], dtype=float)
    # each divided before they are added: the sum of three losses near 1e308 is infinite
    means = (losses[nearest] / nearest.shape[1]).sum(axis=1)
    believed = []
    for trial, loss in zip(running, means, strict=True):
        frozen = create_trial(
            params={name: trial.params[name] for name in search_space},
            distributions={name: trial.distributions[name] for name in search_space},
            value=float(loss),
        )
        frozen.number = trial.number  # keeps its place in Optuna's order of trials
        believed.append(frozen)
    return believed


def _is_categorical(distribution: BaseDistribution) -> bool:
    from optuna.distributions import CategoricalDistribution

    return isinstance(distribution, CategoricalDistribution)


def _unit_cube(trials: list[FrozenTrial], search_space: dict[str, BaseDistribution]) -> np.ndarray:
    """The trials' params as rows of coordinates: a number's fraction of its range (of its
    logarithm's, on a log scale), a category's index."""
    import numpy as np

    columns = []
    for name, dist in search_space.items():
        values = np.array([dist.to_internal_repr(t.params[name]) for t in trials], dtype=float)
        if not _is_categorical(dist):
            low, high = float(dist.low), float(dist.high)  # type: ignore[attr-defined]
            if dist.log:  # type: ignore[attr-defined]
                values, low, high = np.log(values), math.log(low), math.log(high)
            values = (values - low) / (high - low) if high > low else values * 0.0
        columns.append(values)
    return np.stack(columns, axis=1)
