"""TPE, random, anneal and ATPE through hyperopt's suggest functions, with our own ``Trials``."""

from __future__ import annotations

import functools
import logging
import threading
import types
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from hypermax.optimizers.base import BaseOptimizer, trial_seed
from hypermax.shared_state import changed
from hypermax.space.hyperopt_lite import defer_algorithms
from hypermax.trial import Proposal, Trial

defer_algorithms()  # hyperopt's TPE and ATPE (and scipy) only for the methods that run them

if TYPE_CHECKING:
    pass

TPE_OPTIONS = ("n_startup_jobs", "gamma", "n_EI_candidates", "prior_weight")
ANNEAL_OPTIONS = ("avg_best_idx", "shrink_coef")


def _unused_objective(params: Any) -> None:  # pragma: no cover - hyperopt never calls it here
    raise RuntimeError("trials run in their own processes")


class HyperoptOptimizer(BaseOptimizer):
    """Drives one of hyperopt's ``suggest`` functions one trial at a time (never ``fmin``).

    Running trials sit in the ``Trials`` as running docs, so parallel asks see each other.
    A trial that ended with a loss (ok, stopped, killed with ``auto_kill_loss``, imported) is a
    done doc with that loss; one without (failed, killed without ``auto_kill_loss``) is an
    error doc, which hyperopt leaves out of its history.
    """

    method = "hyperopt_tpe"

    def setup(self) -> None:
        from hyperopt import Domain, Trials

        self._renamed: dict[str, str] = {}  # hyperopt's name of a leaf → its label, if other
        self._domain = Domain(_unused_objective, self._expression())
        self._trials = Trials()
        self._docs: dict[int, dict[str, Any]] = {}
        self._stale = False  # trials inserted or ended since the last refresh of their view
        self._suggest = self._suggest_function()

    def _expression(self) -> Any:
        """The space as hyperopt's expression, for the suggest function."""
        return self.space.hyperopt_space()

    def _suggest_function(self) -> Callable[..., list[dict[str, Any]]]:
        from hyperopt import anneal, rand, tpe

        if self.method == "random":
            return rand.suggest
        if self.method == "anneal":
            options = {k: self.options[k] for k in ANNEAL_OPTIONS if k in self.options}
            return functools.partial(anneal.suggest, **options)
        if self.method == "atpe":
            return _atpe_suggest
        kwargs = {k: self.options[k] for k in TPE_OPTIONS if k in self.options}
        return functools.partial(tpe.suggest, verbose=False, **kwargs)

    def ask(self, trial_id: int) -> Proposal:
        docs = self._suggest(
            [trial_id], self._domain, self._history(), trial_seed(self.seed, trial_id)
        )
        vals = docs[0]["misc"]["vals"]
        internal = {self._renamed.get(n, n): _plain(v[0]) for n, v in vals.items() if len(v)}
        internal = self._as_the_space_holds(internal)
        self.pending(trial_id, internal)
        return Proposal(trial_id, self.space.decode(internal), internal)

    def _as_the_space_holds(self, internal: dict[str, Any]) -> dict[str, Any]:
        """hyperopt's draws with each number as the space holds it: a multiple of its step
        without float noise (``3 * 0.1`` is 0.30000000000000004, the trial gets 0.3), at least
        one step on a log scale (a ``qlognormal`` draw of 0 reaches the trial as the step), so
        that the journal's internal values are what the trial's params encode to."""
        for leaf in self.space.leaves():
            if leaf.kind != "categorical" and leaf.step and leaf.label in internal:
                internal[leaf.label] = float(leaf.shape(internal[leaf.label]))
        return internal

    def _history(self) -> Any:
        """The ``Trials`` the suggest function sees: all of them, running ones included (their
        view refreshed once per ask, not at every insert or tell: a refresh is linear in them)."""
        if self._stale:
            self._trials.refresh()
            self._stale = False
        return self._trials

    def pending(self, trial_id: int, internal: dict[str, Any]) -> None:
        from hyperopt.base import JOB_STATE_RUNNING

        if trial_id not in self._docs:
            self._insert([(trial_id, internal)], JOB_STATE_RUNNING, [{"status": "new"}])

    def tell(self, trial: Trial) -> None:
        self.pending(trial.id, trial.internal)
        self._finish(trial.id, trial.loss)
        self._stale = True

    def tell_many(self, trials: Iterable[Trial]) -> None:
        """One insert and one refresh for the whole history: resuming 10,000 trials is linear."""
        from hyperopt.base import JOB_STATE_RUNNING

        history = list(trials)
        unseen = [(t.id, t.internal) for t in history if t.id not in self._docs]
        self._insert(unseen, JOB_STATE_RUNNING, [{"status": "new"} for _ in unseen])
        for trial in history:
            self._finish(trial.id, trial.loss)
        self._stale = True

    def _insert(
        self, items: list[tuple[int, dict[str, Any]]], state: int, results: list[Any]
    ) -> None:
        if not items:
            return
        labels = {name: self._renamed.get(name, name) for name in self._domain.params}
        miscs = [
            {
                "tid": tid,
                "cmd": self._domain.cmd,
                "workdir": self._domain.workdir,
                "idxs": {
                    name: [tid] if label in internal else [] for name, label in labels.items()
                },
                "vals": {
                    name: [internal[label]] if label in internal else []
                    for name, label in labels.items()
                },
            }
            for tid, internal in items
        ]
        tids = [tid for tid, _ in items]
        docs = self._trials.new_trial_docs(tids, [None] * len(items), results, miscs)
        for doc in docs:
            doc["state"] = state
        self._trials.insert_trial_docs(docs)
        inserted = self._trials._dynamic_trials[-len(docs) :]
        self._docs.update({doc["tid"]: doc for doc in inserted})
        self._stale = True

    def _finish(self, trial_id: int, loss: float | None) -> None:
        from hyperopt.base import JOB_STATE_DONE, JOB_STATE_ERROR

        doc = self._docs[trial_id]
        if loss is None:
            doc["state"] = JOB_STATE_ERROR
            doc["result"] = {"status": "fail"}
        else:
            doc["state"] = JOB_STATE_DONE
            doc["result"] = {"status": "ok", "loss": float(loss)}


#: one ATPE ask at a time: each gives the atpe module generators of its own for the call
_ATPE_CALL = threading.Lock()


class _SeededNumpy:
    """numpy as the atpe module sees it during one ask: ``numpy.random.choice`` draws from a
    generator seeded for the ask, as ``numpy.random.seed(seed)`` would have seeded it."""

    def __init__(self, numpy: Any, seed: int) -> None:
        self._numpy = numpy
        self.random = types.SimpleNamespace(
            choice=numpy.random.RandomState(seed).choice,
            default_rng=numpy.random.default_rng,
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._numpy, name)


def _atpe_suggest(new_ids: list[int], domain: Any, trials: Any, seed: int) -> list[dict[str, Any]]:
    """``atpe.suggest`` draws from the module ``random`` and ``numpy.random``, not from ``seed``:
    for the call, the atpe module's ``random`` and ``numpy`` draw from generators seeded from it
    (the draws of a global ``random.seed(seed)``), so proposals are reproducible. The process's
    global generators are left alone: seeded for the call and put back after, they gave the
    program's other threads seeded draws during an ask, and took back those they made."""
    import random
    import sys

    import numpy as np
    from hyperopt import atpe as maybe_deferred

    maybe_deferred.suggest  # noqa: B018 - imports the module deferred until its first use
    atpe = sys.modules["hyperopt.atpe"]  # the module itself, not the stand-in that was for it
    with _ATPE_CALL:
        atpe.random, atpe.numpy = random.Random(seed), _SeededNumpy(np, seed)  # type: ignore[attr-defined]
        try:  # its TPE logs lines per ask (hyperopt_tpe's is asked with verbose=False)
            with changed("hyperopt's logger", _quiet_hyperopt):
                return atpe.suggest(new_ids, domain, trials, seed)
        finally:
            atpe.random, atpe.numpy = random, np  # type: ignore[attr-defined]


def _quiet_hyperopt() -> Callable[[], None]:
    """hyperopt's loggers say only their warnings (not the timings and counts ATPE's TPE logs at
    every ask, into the log of a program that called ``hypermax.optimize``); returns what puts
    them back."""
    own = logging.getLogger("hyperopt")
    level = own.level
    own.setLevel(logging.WARNING)
    return lambda: own.setLevel(level)


def _plain(value: Any) -> Any:
    """numpy scalars → Python numbers, so internal values are JSON-ready."""
    return value.item() if hasattr(value, "item") else value


class HyperoptTPEOptimizer(HyperoptOptimizer):
    """hyperopt's own Tree-structured Parzen Estimator (``tpe.suggest``), as ``fmin`` runs it."""

    method = "hyperopt_tpe"


class RandomOptimizer(HyperoptOptimizer):
    """Independent random sampling (hyperopt ``rand.suggest``)."""

    method = "random"
    proposals_use_results = False

    def _history(self) -> Any:
        """``rand.suggest`` reads none of the trials: their view is never refreshed, so an ask
        costs the same after 100,000 trials as after 10."""
        return self._trials


class AnnealOptimizer(HyperoptOptimizer):
    """Simulated annealing around the best trials (hyperopt ``anneal.suggest``)."""

    method = "anneal"


class ATPEOptimizer(HyperoptOptimizer):
    """Adaptive TPE (hyperopt ``atpe.suggest``; needs lightgbm and scikit-learn).

    ``atpe.suggest`` reads a loss and booking times from every trial it is given, so it sees a
    copy of the finished trials that have a loss, never the running or failed ones.
    """

    method = "atpe"

    def _expression(self) -> Any:
        """ATPE looks a parameter's value up by its name with every ``.<digits>.`` taken out
        (the branch numbers of its own names), so it would not find a leaf inside an array
        (``layers#2.0.units``) or under a key of digits: it knows those by their label with
        ``/`` for ``.``."""
        import re

        from hyperopt.pyll import as_apply, dfs

        expression = as_apply(self.space.root.expr())  # a new one: its names are changed
        params = [node for node in dfs(expression) if node.name == "hyperopt_param"]
        names = {node.pos_args[0].obj for node in params}
        for node in params:
            label = node.pos_args[0].obj
            if isinstance(label, str) and re.search(r"\.\d+\.", label):
                name = label.replace(".", "/")
                while name in names:  # a key of the space that has a "/" (``"a/1/b"``)
                    name += "/"
                names.add(name)
                node.pos_args[0]._obj = name
                self._renamed[name] = label
        return expression

    def _history(self) -> Any:
        import datetime

        from hyperopt import Trials
        from hyperopt.base import JOB_STATE_DONE

        done = [doc for doc in self._docs.values() if doc["state"] == JOB_STATE_DONE]
        now = datetime.datetime.now()
        trials = Trials()
        if done:
            docs = [{**doc, "book_time": now, "refresh_time": now} for doc in done]
            trials.insert_trial_docs(docs)
            trials.refresh()
        return trials
