"""``auto``: the method that suits the space and the budget, among those installed.

The choice (:func:`choose`) follows the quality benchmark (``benchmarks/README.md``): nevergrad's
NGOpt (``ngopt``, with nevergrad installed) on spaces of numbers only, without conditional
branches, searched one trial at a time, where it came closest to the optimum at a few
milliseconds per ask; a Gaussian process (``gp``, with torch installed) on other spaces without
conditional branches, and in parallel, while the history is small enough for its asks to stay
fast; TPE on conditional spaces, without either extra, and once a Gaussian process would grow
slow, when auto hands the history over to TPE.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypermax.optimizers.base import BaseOptimizer, NoProposal
from hypermax.registry import builtin_problem, missing_packages
from hypermax.trial import Proposal, Trial

if TYPE_CHECKING:
    from collections.abc import Iterable

    from hypermax.space import Space
    from hypermax.spec import SearchSpec

#: trials after which a Gaussian process hands over to TPE (its asks grow with the cube of it)
GP_TRIALS = 200
#: dimensions above which a Gaussian process is not chosen
GP_DIMENSIONS = 20


def choose(
    space: Space,
    trials_so_far: int = 0,
    gp_trials: int = GP_TRIALS,
    gp_installed: bool | None = None,
    parallel: int = 1,
    ngopt_installed: bool | None = None,
) -> str:
    """The method ``auto`` uses for ``space`` after ``trials_so_far`` trials.

    Args:
        space: the search space.
        trials_so_far: trials proposed before this one.
        gp_trials: trials after which a Gaussian process hands over to TPE.
        gp_installed: whether ``gp`` can run (default: whether torch is installed).
        parallel: how many trials the search runs at the same time.
        ngopt_installed: whether ``ngopt`` can run (default: whether nevergrad is installed).
    """
    if gp_installed is None:
        gp_installed = not missing_packages("gp")
    if ngopt_installed is None:
        ngopt_installed = not missing_packages("ngopt")
    leaves = space.leaves()
    conditional = any(leaf.condition for leaf in leaves)
    numbers_only = all(leaf.kind != "categorical" for leaf in leaves)
    if ngopt_installed and not conditional and numbers_only and parallel == 1:
        return "ngopt"
    if (
        gp_installed
        and not conditional
        and len(leaves) <= GP_DIMENSIONS
        and trials_so_far < gp_trials
    ):
        return "gp"
    return "tpe"


def chosen(space: Space, options: dict[str, Any], parallel: int, trials_so_far: int = 0) -> str:
    """What ``auto`` runs after ``trials_so_far`` trials, as the search's first line and
    ``validate`` name it: ``ngopt``; or, where the method that would suit the space better needs
    a package not installed, ``tpe, as "gp" needs torch: pip install "hypermax[gp]"``."""
    fixed = options.get("method")
    if fixed:
        return str(fixed)
    gp_trials = int(options.get("gp_trials", GP_TRIALS))
    picked = choose(space, trials_so_far, gp_trials, parallel=parallel)
    suited = choose(space, trials_so_far, gp_trials, True, parallel, ngopt_installed=True)
    problem = builtin_problem(suited) if suited != picked else None
    return f"{picked}, as {problem}" if problem else picked


def shown_method(search: SearchSpec, space: Space, parallel: int, trials_so_far: int) -> str:
    """The search's method as its first line names it: ``auto`` with what it runs now
    (:func:`chosen`), any other as it is."""
    if search.method != "auto":
        return search.method
    return f"auto ({chosen(space, search.options, parallel, trials_so_far)})"


class AutoOptimizer(BaseOptimizer):
    """Picks ``ngopt``, ``gp`` or ``tpe`` by the space and the parallel trials (:func:`choose`)
    and switches from ``gp`` to TPE, handing over the history, after ``gp_trials`` trials.

    Options (``search.auto``): ``gp_trials`` (default 200), ``method`` (fix the choice), and the
    options of each member as ``tpe: {...}``, ``gp: {...}`` and ``ngopt: {...}``.
    """

    def setup(self) -> None:
        self.method = ""
        self.member: BaseOptimizer | None = None
        self._finished: dict[int, Trial] = {}
        self._running: dict[int, dict[str, Any]] = {}
        self._switch_to(self._choice(0))

    def _choice(self, trial_id: int) -> str:
        gp_trials = int(self.options.get("gp_trials", GP_TRIALS))
        parallel = self.budget.parallel
        fixed = self.options.get("method")
        return str(fixed or choose(self.space, trial_id - 1, gp_trials, parallel=parallel))

    def _switch_to(self, method: str) -> BaseOptimizer:
        """Hand everything told so far to a new member running ``method``."""
        from hypermax.optimizers import make_optimizer

        options = self.options.get(method, {})
        member = make_optimizer(method, self.space, self.seed, options, budget=self.budget)
        member.tell_many(sorted(self._finished.values(), key=lambda trial: trial.id))
        for trial_id, internal in sorted(self._running.items()):
            member.pending(trial_id, internal)
        self.method, self.member = method, member
        return member

    def _current(self, trial_id: int) -> BaseOptimizer:
        method = self._choice(trial_id)
        if method != self.method or self.member is None:
            return self._switch_to(method)
        return self.member

    def ask(self, trial_id: int) -> Proposal | NoProposal:
        proposal = self._current(trial_id).ask(trial_id)
        if isinstance(proposal, Proposal):
            self._running[trial_id] = proposal.internal
        return proposal

    def pending(self, trial_id: int, internal: dict[str, Any]) -> None:
        self._running.setdefault(trial_id, internal)
        assert self.member is not None
        self.member.pending(trial_id, internal)

    def tell(self, trial: Trial) -> None:
        self._running.pop(trial.id, None)
        self._finished[trial.id] = trial
        assert self.member is not None
        self.member.tell(trial)

    def tell_many(self, trials: Iterable[Trial]) -> None:
        told = list(trials)
        for trial in told:
            self._running.pop(trial.id, None)
            self._finished[trial.id] = trial
        assert self.member is not None
        self.member.tell_many(told)
