"""Optimizers: ``make_optimizer`` picks one by the spec's ``search.method``."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hypermax.optimizers.base import BaseOptimizer, trial_seed

if TYPE_CHECKING:
    from hypermax.space import Space

__all__ = ["BUILTIN_METHODS", "BaseOptimizer", "make_optimizer", "trial_seed"]

BUILTIN_METHODS = {
    "tpe": "hypermax.optimizers.hyperopt_based:TPEOptimizer",
    "random": "hypermax.optimizers.hyperopt_based:RandomOptimizer",
    "anneal": "hypermax.optimizers.hyperopt_based:AnnealOptimizer",
    "atpe": "hypermax.optimizers.hyperopt_based:ATPEOptimizer",
}


def load_optimizer_class(method: str) -> type[BaseOptimizer]:
    """A built-in method name or a plugin ``module:Class`` → the optimizer class."""
    target = BUILTIN_METHODS.get(method, method)
    if ":" not in target:
        raise ValueError(f"unknown method {method!r}")
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, BaseOptimizer)):
        raise ValueError(f"{method} is not a hypermax BaseOptimizer subclass")
    return cls


def make_optimizer(
    method: str, space: Space, seed: int, options: dict[str, Any] | None = None
) -> BaseOptimizer:
    """Build the optimizer for ``search.method``."""
    return load_optimizer_class(method)(space, seed, options)
