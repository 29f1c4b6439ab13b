"""TPE, random, anneal and ATPE through hyperopt's suggest functions, with our own ``Trials``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hypermax.optimizers.base import BaseOptimizer, trial_seed
from hypermax.trial import Proposal

if TYPE_CHECKING:
    from hypermax.space import Space

TPE_OPTIONS = ("n_startup_jobs", "gamma", "n_EI_candidates", "prior_weight")


def _unused_objective(params: Any) -> None:  # pragma: no cover - hyperopt never calls it here
    raise RuntimeError("trials run in their own processes")


class HyperoptOptimizer(BaseOptimizer):
    """Drives one of hyperopt's ``suggest`` functions one trial at a time (never ``fmin``).

    Running trials sit in the ``Trials`` as running docs, so parallel asks see each other;
    failed trials are error docs, which hyperopt leaves out of its history.
    """

    method = "tpe"

    def __init__(self, space: Space, seed: int, options: dict[str, Any] | None = None) -> None:
        super().__init__(space, seed, options)
        from hyperopt import Domain, Trials

        self._domain = Domain(_unused_objective, space.hyperopt_space())
        self._trials = Trials()
        self._docs: dict[int, dict[str, Any]] = {}
        self._suggest = self._suggest_function()

    def _suggest_function(self) -> Callable[..., list[dict[str, Any]]]:
        from hyperopt import anneal, rand, tpe

        if self.method == "random":
            return rand.suggest
        if self.method == "anneal":
            return anneal.suggest
        if self.method == "atpe":
            from hyperopt import atpe

            return atpe.suggest
        kwargs = {k: self.options[k] for k in TPE_OPTIONS if k in self.options}
        return functools.partial(tpe.suggest, verbose=False, **kwargs)

    def ask(self, trial_id: int) -> Proposal:
        docs = self._suggest(
            [trial_id], self._domain, self._trials, trial_seed(self.seed, trial_id)
        )
        vals = docs[0]["misc"]["vals"]
        internal = {label: _plain(v[0]) for label, v in vals.items() if len(v)}
        self.pending(trial_id, internal)
        return Proposal(trial_id, self.space.decode(internal), internal)

    def pending(self, trial_id: int, internal: dict[str, Any]) -> None:
        from hyperopt.base import JOB_STATE_RUNNING

        if trial_id in self._docs:
            return
        labels = self._domain.params.keys()
        misc = {
            "tid": trial_id,
            "cmd": self._domain.cmd,
            "workdir": self._domain.workdir,
            "idxs": {label: [trial_id] if label in internal else [] for label in labels},
            "vals": {label: [internal[label]] if label in internal else [] for label in labels},
        }
        doc = self._trials.new_trial_docs([trial_id], [None], [{"status": "new"}], [misc])[0]
        doc["state"] = JOB_STATE_RUNNING
        self._trials.insert_trial_docs([doc])
        self._docs[trial_id] = self._trials._dynamic_trials[-1]
        self._trials.refresh()

    def tell(self, trial_id: int, internal: dict[str, Any], loss: float | None) -> None:
        from hyperopt.base import JOB_STATE_DONE, JOB_STATE_ERROR

        self.pending(trial_id, internal)
        doc = self._docs[trial_id]
        if loss is None:
            doc["state"] = JOB_STATE_ERROR
            doc["result"] = {"status": "fail"}
        else:
            doc["state"] = JOB_STATE_DONE
            doc["result"] = {"status": "ok", "loss": float(loss)}
        self._trials.refresh()


def _plain(value: Any) -> Any:
    """numpy scalars → Python numbers, so internal values are JSON-ready."""
    return value.item() if hasattr(value, "item") else value


class TPEOptimizer(HyperoptOptimizer):
    """Tree-structured Parzen Estimator (hyperopt ``tpe.suggest``)."""

    method = "tpe"


class RandomOptimizer(HyperoptOptimizer):
    """Independent random sampling (hyperopt ``rand.suggest``)."""

    method = "random"


class AnnealOptimizer(HyperoptOptimizer):
    """Simulated annealing around the best trials (hyperopt ``anneal.suggest``)."""

    method = "anneal"


class ATPEOptimizer(HyperoptOptimizer):
    """Adaptive TPE (hyperopt ``atpe.suggest``; needs lightgbm and scikit-learn)."""

    method = "atpe"
