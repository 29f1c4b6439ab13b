"""The built-in methods ``search.method`` may name, and what implements each one.

A leaf module (standard library only, nothing else of hypermax): spec validation, the command line
and the optimizer loader all read it. Adding a method is one :class:`MethodInfo` here plus its
options object (``search.<name>``) in ``schema.json``, whose ``search.method`` pattern, description
and errorMessage name every method listed here (``tests/test_registry.py`` checks that they agree).

Example::

    from hypermax.registry import METHODS, available_methods

    available_methods()          # ['tpe', 'random', 'anneal', 'atpe', 'hyperopt_tpe', ...]
    METHODS["grid"].planned      # True: its iterations default to the size of the grid
"""

from __future__ import annotations

from dataclasses import dataclass

#: how a plugin optimizer is named in ``search.method``
PLUGIN_FORM = "module:Class"


@dataclass(frozen=True)
class MethodInfo:
    """One built-in method.

    Attributes:
        name: what ``search.method`` says; the method's options sit in ``search.<name>``.
        summary: one line for help texts and ``hypermax validate``.
        target: the ``"module:Class"`` of the optimizer that implements it, or None for a name
            the spec format reserves that this version does not provide yet.
        needs: packages it needs beyond hypermax's own dependencies, as
            ``(import name, pip name)`` pairs.
        planned: whether the method plans a finite set of trials (a grid, an ablation study):
            its ``iterations`` default to the plan's size instead of 100 (``schema.json`` lists
            these methods where it declares that default).
        extra: the extra of the hypermax package that installs them (``pip install
            "hypermax[gp]"``), if there is one.
    """

    name: str
    summary: str
    target: str | None = None
    needs: tuple[tuple[str, str], ...] = ()
    planned: bool = False
    extra: str | None = None

    @property
    def available(self) -> bool:
        """Whether this version provides the method."""
        return self.target is not None


_OWN = "hypermax.optimizers"
_HYPEROPT = f"{_OWN}.hyperopt_based"
_OPTUNA = f"{_OWN}.optuna_based"

#: every built-in method name the spec format knows, in the order help texts list them
METHODS: dict[str, MethodInfo] = {
    info.name: info
    for info in (
        MethodInfo("tpe", "Tree-structured Parzen Estimator (Optuna)", f"{_OPTUNA}:TPEOptimizer"),
        MethodInfo("random", "random sampling of the space", f"{_HYPEROPT}:RandomOptimizer"),
        MethodInfo("anneal", "simulated annealing around the best", f"{_HYPEROPT}:AnnealOptimizer"),
        MethodInfo(
            "atpe",
            "adaptive TPE",
            f"{_HYPEROPT}:ATPEOptimizer",
            needs=(("lightgbm", "lightgbm"), ("sklearn", "scikit-learn")),
            extra="atpe",
        ),
        MethodInfo(
            "hyperopt_tpe",
            "hyperopt's original TPE, as fmin runs it",
            f"{_HYPEROPT}:HyperoptTPEOptimizer",
        ),
        MethodInfo(
            "gp",
            "Gaussian-process Bayesian optimisation (Optuna)",
            f"{_OPTUNA}:GPOptimizer",
            needs=(("torch", "torch"),),
            extra="gp",
        ),
        MethodInfo(
            "cmaes",
            "CMA-ES, covariance matrix adaptation",
            f"{_OWN}.cma_es:CMAESOptimizer",
            needs=(("cmaes", "cmaes"),),
        ),
        MethodInfo(
            "ngopt",
            "nevergrad's NGOpt portfolio",
            f"{_OWN}.nevergrad_based:NGOptOptimizer",
            needs=(("nevergrad", "nevergrad"),),
            extra="ngopt",
        ),
        MethodInfo(
            "auto",
            "ngopt, gp or tpe, picked by the space, the parallel trials and the trials so far",
            f"{_OWN}.auto:AutoOptimizer",
        ),
        MethodInfo(
            "grid",
            "every point of a grid over the space",
            f"{_OWN}.grid:GridOptimizer",
            planned=True,
        ),
        MethodInfo("evolution", "differential evolution", f"{_OWN}.evolution:EvolutionOptimizer"),
        MethodInfo(
            "ablation",
            "leave one component out at a time",
            f"{_OWN}.ablation:AblationOptimizer",
            planned=True,
        ),
    )
}


def available_methods() -> list[str]:
    """Names of the built-in methods this version provides, in registry order."""
    return [name for name, info in METHODS.items() if info.available]


def missing_packages(name: str) -> list[str]:
    """The pip names of the packages built-in method ``name`` needs that are not installed.

    Looks the packages up without importing them.
    """
    import importlib.util

    return [pip for module, pip in METHODS[name].needs if importlib.util.find_spec(module) is None]


def builtin_problem(name: str) -> str | None:
    """Why built-in method ``name`` cannot be used here, in one line, or None when it can."""
    if not METHODS[name].available:
        usable = ", ".join(available_methods())
        return f'"{name}" is not available in this version; use {usable} or a "{PLUGIN_FORM}"'
    missing = missing_packages(name)
    if missing:
        extra = METHODS[name].extra
        how = f'"hypermax[{extra}]"' if extra else " ".join(missing)
        return f'"{name}" needs {" and ".join(missing)}: pip install {how}'
    return None
