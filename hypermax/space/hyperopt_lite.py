"""hyperopt without its TPE and ATPE modules until something uses them.

``import hyperopt`` imports every algorithm it has. Two of them import scipy: ``tpe``
(``scipy.special``, which imports numpy's every submodule, f2py among them: about 0.2 s) and
``atpe`` (``scipy.stats``: 0.4 s more). A search that samples its space with hyperopt's
``random`` or ``anneal`` uses neither. Before hyperopt is first imported, :func:`defer_algorithms`
puts a stand-in for each in ``sys.modules``; the first attribute read from one (``tpe.suggest``)
imports the real module in its place. Nothing changes where hyperopt was imported already.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

#: hyperopt's modules that import scipy, imported when first used
DEFERRED = ("hyperopt.atpe", "hyperopt.tpe")


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


def defer_algorithms() -> None:
    """Let hyperopt be imported without its modules that import scipy (see the module's
    docstring)."""
    if "hyperopt" in sys.modules:
        return
    for name in DEFERRED:
        if name not in sys.modules:
            sys.modules[name] = _Deferred(name)
