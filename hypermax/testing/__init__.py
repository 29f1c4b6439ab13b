"""The optimizer contract: one pytest suite every optimizer passes, plugins included.

Subclass :class:`OptimizerContract` in a test module, name the method, and pytest runs every
check against it::

    # test_my_optimizer.py
    from hypermax.testing import OptimizerContract

    class TestHalton(OptimizerContract):
        method = "mypackage.search:Halton"   # a built-in name or "module:Class"
        options = {}                          # its options, as in the spec's search.<method>

A plugin imported from a folder that is not on ``sys.path`` names it in ``folder`` (as a spec's
folder is searched for ``search.method``). A method that visits a finite set of points, like
``grid``, subclasses :class:`FiniteOptimizerContract` instead, which gives every number of the
test spaces ``grid_points`` values and adds the checks of a finite walk.

The suite drives the optimizer the way the search driver does: it asks for free slots, tells
every trial how it ended (ok, failed, killed, stopped, imported), tells a resumed history in
one batch, and notes running trials it did not propose. It checks what the driver relies on:
proposals stay in the space and round-trip through it, the same seed gives the same proposals,
a history told afterwards gives the same next proposal as one built live (resume), every
trial state is accepted, conditional spaces and variable-length lists work, and a method that
answers ``WAIT`` or ``EXHAUSTED`` does so consistently.

The test spaces and their losses are :mod:`.spaces`; :func:`drive` and :func:`ask_checked`
(:mod:`.driving`) run an optimizer as the driver does, for these checks and for benchmarks;
the checks themselves are :mod:`.contract`.
"""

from __future__ import annotations

from hypermax.testing.contract import FiniteOptimizerContract, OptimizerContract
from hypermax.testing.driving import ask_checked, drive
from hypermax.testing.spaces import (
    CONDITIONAL_SPACE,
    FLAT_SPACE,
    NORMAL_SPACE,
    conditional_loss,
    flat_loss,
    normal_loss,
    with_grid_points,
)

__all__ = [
    "CONDITIONAL_SPACE",
    "FLAT_SPACE",
    "NORMAL_SPACE",
    "FiniteOptimizerContract",
    "OptimizerContract",
    "ask_checked",
    "conditional_loss",
    "drive",
    "flat_loss",
    "normal_loss",
    "with_grid_points",
]
