"""TPE and Gaussian-process search through Optuna's samplers, driven one ask at a time.

hypermax keeps an Optuna study in memory that mirrors what the optimizer was told, trial by
trial in the order of their ids, and asks it through Optuna's ask/tell interface with the
distributions derived from the space (:mod:`hypermax.optimizers.dimensions`). Each ask draws its
randomness from :func:`~hypermax.optimizers.base.trial_seed`, so a history told afterwards (a
resume) proposes what the live search would have. Optuna is imported on the first ask, never
when hypermax or its spec validation is imported.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hypermax.bulk import bulk
from hypermax.optimizers.base import trial_seed
from hypermax.optimizers.believer import believer_sampler_class
from hypermax.optimizers.dimensions import Dimension
from hypermax.optimizers.history import HistoryOptimizer
from hypermax.optimizers.optuna_quiet import quiet_optuna
from hypermax.optimizers.optuna_study import add_trials, frozen_trial
from hypermax.optimizers.tpe_parallel import believer_tpe_sampler_class
from hypermax.optimizers.warping import power_warp
from hypermax.trial import Proposal, Trial

if TYPE_CHECKING:
    import optuna
    from optuna.distributions import BaseDistribution
    from optuna.samplers import BaseSampler
    from optuna.trial import FrozenTrial


class OptunaOptimizer(HistoryOptimizer):
    """Proposes params with an Optuna sampler (:meth:`sampler`) over an in-memory study.

    The study holds every trial the optimizer knows in the order of their ids: finished ones with
    the loss they teach (:meth:`finished_value`) and running ones as Optuna sees them
    (:meth:`running_value`). A sampler that only ranks losses (TPE) keeps one study and one
    sampler for the whole search and reseeds the sampler before each ask; one that fits the
    losses themselves (a Gaussian process) gets a study rebuilt before each ask, because the
    values it fits (warped, and standing in for failed trials) change as trials come in.

    Options shared by every Optuna method (``search.<method>``):
        n_startup_jobs: random trials before the model is used.
        constant_liar: with trials running in parallel, let the model count them (default true).
    """

    #: rebuild the study before every ask (for samplers that fit the losses)
    rebuild_each_ask = False
    #: tell trials stopped early as Optuna's pruned trials (ranked after every complete one,
    #: deeper first), with the loss of their last report at its step
    tells_pruned = False
    #: a stepped number with more steps than this is searched as a continuous step count,
    #: rounded (a Gaussian process lists every step of an integer parameter)
    most_steps = math.inf
    n_startup_default = 10

    def setup(self) -> None:
        super().setup()
        self.n_startup = int(self.options.get("n_startup_jobs", self.n_startup_default))
        self.constant_liar = bool(self.options.get("constant_liar", True))
        self._study: optuna.Study | None = None
        self._asking: optuna.Study | None = None
        self._sampler: BaseSampler | None = None
        self._numbers: dict[int, int] = {}  # trial id → the Optuna trial's number
        self._count = 0  # trials in the study (Optuna numbers them 0, 1, ...)
        self._last_id = 0  # the largest trial id in the study, which must stay in id order
        # most_steps → each dimension with its Optuna distribution, shared by every trial
        self._distributions: dict[float, list[tuple[Dimension, BaseDistribution]]] = {}

    # -- what subclasses decide -------------------------------------------------------------
    def sampler(self, seed: int) -> BaseSampler:
        """A new sampler seeded with ``seed``."""
        raise NotImplementedError

    def reseed(self, sampler: BaseSampler, seed: int) -> BaseSampler:
        """The sampler to ask with, drawing from ``seed``: by default a new one."""
        return self.sampler(seed)

    def finished_value(self, loss: float | None) -> float | None:
        """The value a finished trial has in the study (None: leave it out). A trial without a
        loss is worse than every other: +inf for a sampler that only ranks values."""
        return math.inf if loss is None else loss

    def running_value(self) -> float | None:
        """The value a running trial has in a rebuilt study (None: a running trial, which the
        sampler takes as it does)."""
        return None

    # -- the seam ---------------------------------------------------------------------------
    def ask(self, trial_id: int) -> Proposal:
        seed = trial_seed(self.seed, trial_id)
        study = self._prepared_study(seed)
        with quiet_optuna():
            trial = study.ask()
            internal: dict[str, Any] = {}
            for dim in self.dimensions:
                if dim.leaf.active(internal):
                    internal[dim.label] = dim.from_param(_suggest(trial, dim, self.most_steps))
        self._numbers[trial_id] = trial.number
        self._count = trial.number + 1
        self._last_id = max(self._last_id, trial_id)
        return self.proposal(trial_id, internal)

    def pending(self, trial_id: int, internal: dict[str, Any]) -> None:
        if self.history.note(trial_id, internal) and self._mirrors_live():
            self._add(trial_id, internal, None, running=True)

    def tell(self, trial: Trial) -> None:
        known = self.history.finish(trial)
        if not self._mirrors_live():
            return
        _, loss = self.history.finished[trial.id]
        if known and trial.id in self._numbers:
            self._finish(trial.id, loss)
        else:
            self._add(trial.id, trial.internal, loss, running=False)

    # -- the mirrored study -----------------------------------------------------------------
    def _mirrors_live(self) -> bool:
        """Whether pending and tell update the study as they come (else it is rebuilt)."""
        return self._study is not None and not self.rebuild_each_ask

    def _prepared_study(self, seed: int) -> optuna.Study:
        import optuna

        if self._study is None or self.rebuild_each_ask:
            self._rebuild()
        assert self._study is not None
        if self._sampler is None:
            self._sampler = self.sampler(seed)
        else:
            self._sampler = self.reseed(self._sampler, seed)
        asking = self._asking
        if (
            asking is None
            or asking._storage is not self._study._storage
            or asking.sampler is not self._sampler
        ):
            # the study that asks: kept while neither the trials' storage nor the sampler change
            asking = optuna.Study(
                self._study.study_name, self._study._storage, sampler=self._sampler
            )
            self._asking = asking
        return asking

    @bulk
    def _rebuild(self) -> None:
        """A new study holding every known trial in the order of the ids (with the garbage
        collector paused: a 100,000-trial study is most of a million objects, none in a
        cycle)."""
        import optuna
        from optuna.storages import InMemoryStorage

        with quiet_optuna():
            self._study = optuna.create_study(storage=InMemoryStorage())
        self._sampler = None
        self._numbers = {}
        self._count = 0
        self._last_id = 0
        lie = self.running_value()
        known = sorted(
            [(i, internal, False, loss) for i, (internal, loss) in self.history.finished.items()]
            + [(i, internal, True, lie) for i, internal in self.history.running.items()]
        )
        added: list[tuple[int, FrozenTrial]] = []
        for trial_id, internal, running, loss in known:
            if running and self.rebuild_each_ask and not self.constant_liar:
                continue
            if running and lie is not None:
                frozen = self._frozen(trial_id, internal, lie, running=False, value_given=True)
            elif running:
                frozen = self._frozen(trial_id, internal, None, running=True)
            else:
                frozen = self._frozen(trial_id, internal, loss, running=False)
            if frozen is not None:
                added.append((trial_id, frozen))
        self._add_frozen(added)

    def _add(
        self,
        trial_id: int,
        internal: dict[str, Any],
        loss: float | None,
        running: bool,
        value_given: bool = False,
    ) -> None:
        """Add a trial the study has not seen; one older than the newest breaks the id order,
        and the study is rebuilt before the next ask."""
        assert self._study is not None
        if trial_id < self._last_id:
            self._study = None
            return
        frozen = self._frozen(trial_id, internal, loss, running, value_given)
        if frozen is not None:
            self._add_frozen([(trial_id, frozen)])

    def _add_frozen(self, added: list[tuple[int, FrozenTrial]]) -> None:
        """Add trials, in the order of their ids (none older than the newest in the study), and
        note the number each one has there."""
        assert self._study is not None
        add_trials(self._study, [frozen for _, frozen in added])
        for trial_id, _ in added:
            self._numbers[trial_id] = self._count
            self._count += 1
            self._last_id = trial_id

    def _frozen(
        self,
        trial_id: int,
        internal: dict[str, Any],
        loss: float | None,
        running: bool,
        value_given: bool = False,
    ) -> FrozenTrial | None:
        """The trial as the study holds it (None: a finished one it leaves out)."""
        from optuna.trial import TrialState

        value = loss if value_given else self.finished_value(loss)
        if not running and value is None:
            return None
        params, distributions = {}, {}
        for dim, distribution in self._dimensions_and_distributions():
            label = dim.label
            if label in internal and dim.leaf.active(internal):
                params[label] = dim.to_param(internal[label])
                distributions[label] = distribution
        step = self._pruned_step(trial_id, value)
        if running:
            return frozen_trial(TrialState.RUNNING, params, distributions)
        if step is not None and value is not None:
            return frozen_trial(
                TrialState.PRUNED, params, distributions, intermediate={step: value}
            )
        return frozen_trial(TrialState.COMPLETE, params, distributions, value=value)

    def _dimensions_and_distributions(self) -> list[tuple[Dimension, BaseDistribution]]:
        """Each dimension with its Optuna distribution, made once for every trial of the study
        (and again for another :attr:`most_steps`, on which a stepped number's depends)."""
        made = self._distributions.get(self.most_steps)
        if made is None:
            made = [(dim, dim.distribution(self.most_steps)) for dim in self.dimensions]
            self._distributions[self.most_steps] = made
        return made

    def _pruned_step(self, trial_id: int, value: float | None) -> int | None:
        """The step a trial stopped early reached, when the sampler is told it as pruned."""
        if not self.tells_pruned or value is None or not math.isfinite(value):
            return None
        return self.history.stopped_at.get(trial_id)

    def _finish(self, trial_id: int, loss: float | None) -> None:
        from optuna.trial import TrialState

        assert self._study is not None
        value = self.finished_value(loss)
        number = self._numbers[trial_id]
        with quiet_optuna():
            step = self._pruned_step(trial_id, value)
            if value is None:
                self._study.tell(number, state=TrialState.FAIL)
            elif step is not None:  # the loss it reported at ``step``, then pruned
                storage = self._study._storage
                stored_id = storage.get_trial_id_from_study_id_trial_number(
                    self._study._study_id, number
                )
                storage.set_trial_intermediate_value(stored_id, step, value)
                self._study.tell(number, state=TrialState.PRUNED)
            else:
                self._study.tell(number, value)


def _suggest(trial: optuna.Trial, dim: Dimension, most_steps: float) -> Any:
    """Sample one leaf through Optuna's define-by-run interface, from the distribution
    :meth:`Dimension.distribution` gives it."""
    from optuna.distributions import FloatDistribution, IntDistribution

    if dim.choices:
        return trial.suggest_categorical(dim.label, list(range(dim.choices)))
    distribution = dim.distribution(most_steps)
    if isinstance(distribution, IntDistribution):
        first, last = distribution.low, distribution.high
        return trial.suggest_int(dim.label, first, last, log=distribution.log)
    assert isinstance(distribution, FloatDistribution)
    low, high = distribution.low, distribution.high
    return trial.suggest_float(dim.label, low, high, log=distribution.log)


class TPEOptimizer(OptunaOptimizer):
    """Tree-structured Parzen Estimator (Optuna's ``TPESampler``), the default method.

    Multivariate (one joint model of all parameters) and grouped (conditional branches modelled
    apart). With trials running in parallel, each counts at the mean loss of the finished
    trials nearest to it (:mod:`~hypermax.optimizers.tpe_parallel`), so that one running near
    the best is modelled as good; ``running_trials: worst`` counts them as bad instead
    (Optuna's constant liar), ``constant_liar: false`` leaves them out. Options
    (``search.tpe``): ``n_startup_jobs`` (random trials first, default 10), ``n_EI_candidates``
    (candidates scored per ask, default 24), ``gamma`` (fraction of trials modelled as good,
    at most 25; default 0.15, tuned by ``benchmarks/quality.py``), ``prior_weight`` (default
    1), ``multivariate`` (default true), ``constant_liar`` (default true), ``running_trials``
    (``predicted`` or ``worst``, default ``predicted``).
    """

    tells_pruned = True

    def sampler(self, seed: int) -> BaseSampler:
        import optuna

        options = self.options
        kwargs: dict[str, Any] = {"gamma": _Gamma(float(options.get("gamma", GAMMA)))}
        if "prior_weight" in options:
            kwargs["prior_weight"] = float(options["prior_weight"])
        multivariate = bool(options.get("multivariate", True))
        sampler_class = optuna.samplers.TPESampler
        if self.constant_liar and options.get("running_trials", TPE_RUNNING_TRIALS) == "predicted":
            sampler_class = believer_tpe_sampler_class()
        with quiet_optuna():
            return sampler_class(
                n_startup_trials=self.n_startup,
                n_ei_candidates=int(options.get("n_EI_candidates", 24)),
                multivariate=multivariate,
                group=multivariate and _conditional(self.dimensions),
                constant_liar=self.constant_liar,
                seed=seed,
                **kwargs,
            )

    def reseed(self, sampler: BaseSampler, seed: int) -> BaseSampler:
        """The same sampler (its caches of the search space carry over) drawing from ``seed``."""
        try:
            sampler._rng.rng.seed(seed)  # type: ignore[attr-defined]
            sampler._random_sampler._rng.rng.seed(seed)  # type: ignore[attr-defined]
        except AttributeError:  # another Optuna version: a new sampler is as good, if slower
            return self.sampler(seed)
        return sampler


#: how ``tpe`` counts running trials: "predicted" (at the mean loss of the finished trials
#: nearest to each) or "worst" (among the bad trials, Optuna's constant liar)
TPE_RUNNING_TRIALS = "predicted"

#: the fraction of trials TPE models as good (Optuna's default is 0.1; 0.15 did better on all
#: four functions of benchmarks/quality.py)
GAMMA = 0.15


class _Gamma:
    """How many of ``n`` trials TPE models as good: ``gamma * n``, at least 1, at most 25."""

    def __init__(self, fraction: float) -> None:
        self.fraction = fraction

    def __call__(self, n: int) -> int:
        return min(max(math.ceil(self.fraction * n), 1), 25)


def _conditional(dims: list[Dimension]) -> bool:
    return any(dim.leaf.condition for dim in dims)


class GPOptimizer(OptunaOptimizer):
    """Gaussian-process Bayesian optimisation (Optuna's ``GPSampler``; needs torch).

    Best on smooth spaces of a few dimensions, numbers and categories alike; the parameters of a
    conditional branch are sampled at random. The process is fitted to the losses after a
    monotone power transform (:func:`~hypermax.optimizers.warping.power_warp`), which keeps
    their order and evens out their scale. A failed trial counts as the worst loss so far. With
    trials running in parallel, each counts at the loss the process predicts there (the kriging
    believer, :mod:`~hypermax.optimizers.believer`), which spreads the asks without a guess at
    its outcome; ``running_trials: sampled`` uses Optuna's batch acquisition instead
    (q-expected improvement over the running trials' possible outcomes), and
    ``constant_liar: false`` leaves them out. An ask fits the process anew, in about 0.1 to
    0.5 s at 100 trials. Options (``search.gp``): ``n_startup_jobs`` (random trials first,
    default 10), ``constant_liar`` (count running trials, default true), ``running_trials``
    (``predicted`` or ``sampled``, default ``predicted``), ``warp_losses`` (default true),
    ``deterministic_objective`` (fit without noise, default false).
    """

    rebuild_each_ask = True
    most_steps = 2**16  # Optuna's process lists the steps: 1e12 of them took terabytes

    def setup(self) -> None:
        super().setup()
        self.warp_losses = bool(self.options.get("warp_losses", True))
        self._warp: Callable[[float], float] = float

    def sampler(self, seed: int) -> BaseSampler:
        import optuna

        sampler_class = optuna.samplers.GPSampler
        if self.options.get("running_trials", RUNNING_TRIALS) == "predicted":
            sampler_class = believer_sampler_class()
        with quiet_optuna():
            return sampler_class(
                n_startup_trials=self.n_startup,
                deterministic_objective=bool(self.options.get("deterministic_objective", False)),
                warn_independent_sampling=False,
                seed=seed,
            )

    def _rebuild(self) -> None:
        losses = self.history.losses()
        self._warp = power_warp(losses) if self.warp_losses else float
        super()._rebuild()

    def finished_value(self, loss: float | None) -> float | None:
        value = self.history.worst() if loss is None else loss
        return None if value is None else self._warp(value)


#: how ``gp`` counts running trials: "predicted" (at the loss the process predicts there, the
#: kriging believer) or "sampled" (Optuna's batch expected improvement over their outcomes)
RUNNING_TRIALS = "predicted"
