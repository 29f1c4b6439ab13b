"""Optimizers: ``make_optimizer`` picks one by the spec's ``search.method``.

Built-in method names come from :mod:`hypermax.registry`; any other ``module:Class`` is a plugin.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from hypermax.deferred import defer
from hypermax.errors import one_line
from hypermax.optimizers.base import (
    EXHAUSTED,
    WAIT,
    BaseOptimizer,
    Budget,
    NoProposal,
    trial_seed,
)
from hypermax.registry import METHODS, builtin_problem
from hypermax.shared_state import SYS_PATH

if TYPE_CHECKING:
    from hypermax.space import Space

# optuna's progress bar (tqdm, and asyncio with it: 30 ms of a search's start) only for
# Study.optimize, which no search calls
defer("optuna", "optuna.progress_bar")

__all__ = [
    "BUILTIN_METHODS",
    "EXHAUSTED",
    "WAIT",
    "BaseOptimizer",
    "Budget",
    "NoProposal",
    "OptimizerError",
    "load_optimizer_class",
    "make_optimizer",
    "method_problem",
    "trial_seed",
]

#: the built-in methods this version provides → the ``"module:Class"`` that implements each
BUILTIN_METHODS = {name: info.target for name, info in METHODS.items() if info.target is not None}


class OptimizerError(ValueError):
    """A ``search.method`` that cannot be used; the message is one line."""


def method_problem(method: str, folder: Path | None = None) -> str | None:
    """Why ``method`` cannot be used, in one line, or None when it can.

    A built-in method is checked without importing it (only that the packages it needs are
    installed); a plugin ``module:Class`` is imported, with ``folder`` first on ``sys.path``.
    """
    if method in METHODS:
        return builtin_problem(method)
    try:
        load_optimizer_class(method, folder)
    except OptimizerError as exc:
        return str(exc)
    return None


def load_optimizer_class(method: str, folder: Path | None = None) -> type[BaseOptimizer]:
    """A built-in method name or a plugin ``module:Class`` → the optimizer class.

    A plugin's module is imported with ``folder`` (the spec's folder) first on ``sys.path``.
    Raises :class:`OptimizerError` with a one-line reason.
    """
    if method in METHODS and not METHODS[method].available:
        raise OptimizerError(builtin_problem(method))
    target = BUILTIN_METHODS.get(method, method)
    if ":" not in target:
        raise OptimizerError(f'unknown method "{method}"')
    module_name, _, class_name = target.partition(":")
    module = _import(module_name, folder)
    cls = getattr(module, class_name, None)
    if cls is None:
        raise OptimizerError(
            f'module "{module_name}" has no "{class_name}"'
            f"{_taken(module, module_name, folder) or _meant(module, class_name)}"
        )
    if not (isinstance(cls, type) and issubclass(cls, BaseOptimizer)):
        raise OptimizerError(f'"{method}" is not a subclass of hypermax.optimizers.BaseOptimizer')
    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    if missing:
        raise OptimizerError(f'"{method}" does not implement {", ".join(missing)}')
    problem = _init_problem(cls)
    if problem is not None:
        raise OptimizerError(f'"{method}" {problem}')
    return cls


def _init_problem(cls: type[BaseOptimizer]) -> str | None:
    """Why the search cannot build ``cls`` as it builds every optimizer,
    ``cls(space, seed, options, budget=budget)`` (an ``__init__`` of its own that takes other
    arguments), or None."""
    import inspect

    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):  # no signature to read: building it will tell
        return None
    try:
        signature.bind(object(), 0, {}, budget=None)
    except TypeError:
        return (
            f"cannot be built: its __init__{signature} must take (space, seed, options=None, "
            "budget=None) and pass them to BaseOptimizer.__init__ (or prepare its state in "
            "setup() instead)"
        )
    return None


def _taken(module: ModuleType, module_name: str, folder: Path | None) -> str:
    """When ``folder`` holds a file of the module's name that is not the module imported (one
    of Python's, or one imported already, has that name): saying so, for the message."""
    if folder is None:
        return ""
    own = Path(folder, *module_name.split(".")).with_suffix(".py")
    found = getattr(module, "__file__", None)
    if not own.is_file() or (found is not None and Path(found).resolve() == own.resolve()):
        return ""
    imported = f"is {found}" if found else "is built into Python"
    return f" (the module of that name {imported}, not {own}: rename {own.name})"


def _meant(module: ModuleType, class_name: str) -> str:
    """The optimizer of ``module`` that a misspelt ``class_name`` may mean, for the message."""
    import difflib

    optimizers = [
        name
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, BaseOptimizer)
        and value is not BaseOptimizer
    ]
    close = difflib.get_close_matches(class_name, optimizers, n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _import(module_name: str, folder: Path | None) -> ModuleType:
    with SYS_PATH:
        return _import_with(module_name, folder)


def _import_with(module_name: str, folder: Path | None) -> ModuleType:
    saved = list(sys.path)
    if folder is not None:
        sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(module_name)
    except (Exception, SystemExit) as exc:  # a module that calls sys.exit() as it is imported
        missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
        if missing and (module_name == missing or module_name.startswith(missing + ".")):
            where = f" in {folder}" if folder is not None else ""
            raise OptimizerError(f'cannot find module "{missing}"{where}') from exc
        raise OptimizerError(f'cannot import "{module_name}": {one_line(exc)}') from exc
    finally:
        sys.path[:] = saved


def make_optimizer(
    method: str,
    space: Space,
    seed: int,
    options: dict[str, Any] | None = None,
    folder: Path | None = None,
    budget: Budget | None = None,
) -> BaseOptimizer:
    """Build the optimizer for ``search.method`` (a plugin is imported from ``folder``).

    A space with nothing to search gets :class:`~hypermax.optimizers.fixed.FixedOptimizer`
    whichever built-in method it names (the grid's one point still runs once)."""
    cls = load_optimizer_class(method, folder)
    if method in BUILTIN_METHODS and method not in _OWN_ONE_POINT and not space.labels():
        from hypermax.optimizers.fixed import FixedOptimizer

        cls = FixedOptimizer
    return cls(space, seed, options, budget=budget)


#: built-in methods that handle a space with nothing to search themselves
_OWN_ONE_POINT = frozenset({"grid", "ablation"})
