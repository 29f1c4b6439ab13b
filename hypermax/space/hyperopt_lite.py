"""hyperopt without its ATPE module until something uses it.

``import hyperopt`` imports every algorithm it has, ``atpe`` among them, and ``atpe`` imports
``scipy.stats``: about 0.4 s of a process's start, paid by every search that samples its space
with hyperopt (``random``, ``anneal``, ``hyperopt_tpe``) and never runs ATPE. Before hyperopt is
first imported, :func:`defer_atpe` puts a stand-in for ``hyperopt.atpe`` in ``sys.modules``; the
first attribute read from it (``atpe.suggest``) imports the real module in its place. Nothing
changes where hyperopt was imported already.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

ATPE = "hyperopt.atpe"


class _Deferred(type(sys)):  # type: ignore[misc]  # types.ModuleType
    """Stands for a module not imported yet; imports it on the first attribute read."""

    def __getattr__(self, attr: str) -> Any:
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        real = importlib.import_module(name)
        parent, _, child = name.rpartition(".")
        if parent in sys.modules:
            setattr(sys.modules[parent], child, real)
        return getattr(real, attr)


def defer_atpe() -> None:
    """Let hyperopt be imported without ``hyperopt.atpe`` (see the module's docstring)."""
    if "hyperopt" not in sys.modules and ATPE not in sys.modules:
        sys.modules[ATPE] = _Deferred(ATPE)
