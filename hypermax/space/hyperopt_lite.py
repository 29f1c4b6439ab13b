"""hyperopt without its TPE and ATPE modules until something uses them.

``import hyperopt`` imports every algorithm it has. Two of them import scipy: ``tpe``
(``scipy.special``, which imports numpy's every submodule, f2py among them: about 0.2 s) and
``atpe`` (``scipy.stats``: 0.4 s more). A search that samples its space with hyperopt's
``random`` or ``anneal`` uses neither; they are imported on first use (:mod:`hypermax.deferred`).
"""

from __future__ import annotations

from hypermax.deferred import defer

#: hyperopt's modules that import scipy, imported when first used
DEFERRED = ("hyperopt.atpe", "hyperopt.tpe")


def defer_algorithms() -> None:
    """Let hyperopt be imported without its modules that import scipy (see the module's
    docstring)."""
    defer("hyperopt", *DEFERRED)
