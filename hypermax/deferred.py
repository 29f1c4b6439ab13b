"""Modules of a library left unimported until something uses them.

``import hyperopt`` imports every algorithm it has (TPE and ATPE import scipy); ``import optuna``
imports its progress bar, and with it tqdm and asyncio. A search reads neither hyperopt's
unused algorithms nor optuna's progress bar (it never calls ``optimize``). Before the library
is first imported, :func:`defer` puts a stand-in for each such module in ``sys.modules``; the
first attribute read from one (``tpe.suggest``) imports the real module in its place. Nothing
changes where the library was imported already.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any


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


def defer(library: str, *modules: str) -> None:
    """Let ``library`` be imported without ``modules`` (its submodules), each imported when
    first used; nothing is done once ``library`` was imported."""
    if library in sys.modules:
        return
    for name in modules:
        if name not in sys.modules:
            sys.modules[name] = _Deferred(name)
