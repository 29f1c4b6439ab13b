"""What a search changes in its whole process while it runs, when searches run at once in
threads of one program (hypermax.optimize in a web app's workers): the program finds its state as
it left it once they all ended, whichever ends first."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import re
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hypermax.errors import own_warnings_in_one_line
from hypermax.optimizers.optuna_based import quiet_optuna
from hypermax.validation import _stack_for
from hypermax.warnings_log import warnings_logged


def _optuna_logger() -> Any:
    import optuna  # noqa: F401 - as a program that uses it: its logger set up

    own = logging.getLogger("optuna")
    return own.level, own.handlers[:]


CHANGES: dict[str, tuple[Callable[[], contextlib.AbstractContextManager[Any]], Callable[[], Any]]]
CHANGES = {
    "warnings.showwarning": (
        lambda: warnings_logged(logging.getLogger("hypermax")),
        lambda: warnings.showwarning,
    ),
    "warnings.formatwarning": (own_warnings_in_one_line, lambda: warnings.formatwarning),
    "the recursion limit": (lambda: _stack_for(10_000), sys.getrecursionlimit),
    "optuna's logger": (quiet_optuna, _optuna_logger),
}


@contextlib.contextmanager
def _overlapping(make: Callable[[], contextlib.AbstractContextManager[Any]]) -> Iterator[None]:
    """Two searches inside, the first to enter leaving first."""
    first, second = make(), make()
    first.__enter__()
    second.__enter__()
    try:
        yield
    finally:
        first.__exit__(None, None, None)
        second.__exit__(None, None, None)


@pytest.mark.parametrize("name", CHANGES)
def test_searches_that_overlap_leave_the_process_as_they_found_it(name):
    make, state = CHANGES[name]
    found = state()
    with _overlapping(make):
        assert state() != found  # the change is in force while any is inside
    assert state() == found  # before: the second put back what the first had made


def test_checks_that_overlap_put_sys_path_back_as_they_found_it(tmp_path, monkeypatch):
    from hypermax.specfile import function

    found = list(sys.path)
    first_in, second_in, first_may_go = threading.Event(), threading.Event(), threading.Event()
    find_spec = importlib.util.find_spec

    def looking(name, package=None):  # the first check is still looking as the second starts
        if not first_in.is_set():
            first_in.set()
            first_may_go.wait(30)
        else:
            second_in.set()
        return find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", looking)
    first = threading.Thread(target=function.module_origin, args=("model", tmp_path / "a"))
    second = threading.Thread(target=function.module_origin, args=("model", tmp_path / "b"))
    first.start()
    first_in.wait(30)
    second.start()
    second_in.wait(0.3)  # before: it found sys.path as the first had set it aside
    first_may_go.set()
    first.join(30)
    second.join(30)
    assert sys.path == found


def _nevergrad_quiet() -> contextlib.AbstractContextManager[Any]:
    from hypermax.optimizers.nevergrad_based import _quiet  # nevergrad itself is not imported

    return _quiet()


@pytest.mark.parametrize("quiet", [quiet_optuna, _nevergrad_quiet])
def test_a_filter_another_thread_sets_while_an_ask_keeps_warnings_quiet_stays(quiet):
    """``warnings.catch_warnings`` put the whole list of filters back as it left: the filter
    that the program's other thread set meanwhile was gone once the ask ended."""
    inside, added = threading.Event(), threading.Event()
    programs = ("error", None, UserWarning, re.compile("the_program"), 0)

    def other_thread() -> None:
        inside.wait(30)
        warnings.filterwarnings("error", category=UserWarning, module="the_program")
        added.set()

    found = list(warnings.filters)
    thread = threading.Thread(target=other_thread)
    thread.start()
    try:
        with quiet():
            assert warnings.filters != found  # its filters are in force
            inside.set()
            added.wait(30)
        thread.join(30)
        assert programs in warnings.filters
        assert [f for f in warnings.filters if f != programs] == found  # its own are gone
    finally:
        warnings.filters[:] = found
        warnings._filters_mutated()  # type: ignore[attr-defined]
