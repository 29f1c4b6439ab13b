"""Put a search together on its prepared results folder (optimizer, runner, journal,
reporters) and run it."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypermax.child_exits import exit_statuses_kept, ignored_elsewhere_problem
from hypermax.driver import Driver
from hypermax.errors import (
    HYPERMAX_LOG,
    Crashed,
    HypermaxError,
    SpecError,
    UsageError,
    current_folder,
    own_warnings_in_one_line,
    save_traceback,
)
from hypermax.events import Command, SearchOutcome
from hypermax.interrupts import (
    WaitInterrupted,
    interrupted_at_exit,
    left_behind_by_exit,
    run_aside,
    signals_to,
)
from hypermax.journal import Journal
from hypermax.search_folder import Prepared, forget_new_search, prepare_run
from hypermax.search_log import log_to_file
from hypermax.spec import Spec, load_spec, spec_from_dict
from hypermax.warmstart import warm_start_path, warm_start_trials

if TYPE_CHECKING:
    from hypermax.api import Result
    from hypermax.optimizers import BaseOptimizer
    from hypermax.space import Space


def build_driver(prepared: Prepared, reporters: list[Any]) -> tuple[Driver, Journal]:
    """The driver of a prepared search, and its journal (not open yet), with the warm start's
    trials imported. For a search this run starts, a user's error here (a warm start refused,
    a plugin's options, a Dask scheduler that does not answer) or a Ctrl-C (while it waits for
    that scheduler) leaves no results folder behind: it never ran (see
    :func:`~hypermax.search_folder.forget_new_search`)."""
    try:
        return _build_driver(prepared, reporters)
    except (HypermaxError, KeyboardInterrupt):
        forget_new_search(prepared)
        raise


def _build_driver(prepared: Prepared, reporters: list[Any]) -> tuple[Driver, Journal]:
    from hypermax.execution import make_runner
    from hypermax.space import Space

    spec = prepared.spec
    space = Space.from_spec(spec)
    optimizer = build_optimizer(spec, space, prepared.seed)
    runner = make_runner(spec)
    # a results folder moved aside or deleted while the search runs is made again, locked
    folder = prepared.folder
    journal = Journal(folder.journal, lambda: folder.lock_again(spec.raw, spec.path))
    driver = Driver(
        spec, space, optimizer, runner, journal, prepared.folder, reporters, prepared.history
    )
    if spec.cluster is None:  # trials on this machine: room for their files (``ulimit -n``)
        from hypermax.execution.file_limit import make_room_for

        short = make_room_for(spec.function.parallel)
        if short is not None:
            driver.note(short)
    history = prepared.history
    if spec.search.warm_start and not history.trials:  # also one stopped before it
        path, source = warm_start_path(spec, prepared), spec.search.warm_start
        if prepared.set_aside is not None and path.is_relative_to(prepared.set_aside.resolve()):
            source = str(prepared.set_aside / path.relative_to(prepared.set_aside.resolve()))
        driver.import_trials(warm_start_trials(spec, path), source)
    elif spec.search.warm_start and history.import_cut:
        finish_import(driver, prepared)
    return driver, journal


def finish_import(driver: Driver, prepared: Prepared) -> None:
    """Import the rest of a warm start whose import a crash cut short (the journal holds the
    first of its trials, and no mark that all were written); when the warm start can no longer
    be read, the search says so and learns from those it has."""
    spec, history = prepared.spec, prepared.history
    source = str(spec.search.warm_start)
    done = history.cut_import_of(source)
    if not done:  # the import of another warm start (search.warm_start edited since)
        driver.note(
            f"warm start: its import of {history.import_source} was cut short (a crash), and"
            f" search.warm_start names {source} now: the search learns from those it imported"
        )
        return
    try:
        driver.import_trials(warm_start_trials(spec, warm_start_path(spec, prepared)), source, done)
    except HypermaxError as exc:
        driver.note(
            f"warm start: its import was cut short after {done} trials, and the rest cannot be"
            f" read now ({exc}): the search learns from those {done}"
        )


def build_optimizer(spec: Spec, space: Space, seed: int) -> BaseOptimizer:
    """The optimizer ``search.method`` names, with its options and the search's budget.

    A plugin whose ``setup`` raises ValueError refuses its options: a SpecError at
    ``search.<module:Class>``, as a built-in method's options are refused."""
    from hypermax.optimizers import Budget, OptimizerError, make_optimizer
    from hypermax.registry import METHODS

    method = spec.search.method
    budget = Budget(iterations=spec.search.iterations, parallel=spec.function.parallel)
    try:
        return make_optimizer(method, space, seed, spec.search.options, spec.folder, budget=budget)
    except OptimizerError:
        raise
    except ValueError as exc:
        if method in METHODS:
            raise
        raise SpecError(spec.shown, [(f"search.{method}", str(exc))]) from None


def use_dashboard(spec: Spec, no_ui: bool) -> bool:
    """The dashboard needs a terminal on both ends and nobody asking for plain output. A closed
    standard stream (``<&-``, ``>&-``: Python makes it None) is no terminal."""
    if no_ui or spec.ui_enabled is False:
        return False
    terminal = all(s is not None and s.isatty() for s in (sys.stdin, sys.stdout))
    return terminal and os.environ.get("TERM", "dumb") != "dumb"


def execute(
    prepared: Prepared,
    dashboard: bool,
    concluded: Callable[[SearchOutcome], None] | None = None,
) -> SearchOutcome:
    """Run a prepared search with the dashboard or the console reporter.

    hypermax's own warnings go to ``logs/hypermax.log`` in the results folder. An error nobody
    foresaw (a bug, or one in a plugin) leaves its traceback there too and is raised again as
    :class:`~hypermax.errors.Crashed`, after the running trials were stopped and recorded.
    ``concluded`` is called with the outcome once the search concluded: its summary shown, its
    journal closed.
    """
    from hypermax.execution.file_limit import limit_kept

    logs = prepared.folder.path / "logs"
    try:
        with log_to_file(logs / HYPERMAX_LOG) as own_logs, exit_statuses_kept(), limit_kept():
            try:
                return _execute(prepared, dashboard, concluded)
            except (HypermaxError, KeyboardInterrupt, WaitInterrupted):
                raise
            except (Exception, SystemExit) as exc:  # SystemExit: a plugin optimizer's sys.exit()
                # in the folder this search's log is in: moved aside, another hypermax may
                # hold the one at its path
                raise Crashed(exc, save_traceback(exc, own_logs())) from exc
    except (HypermaxError, KeyboardInterrupt, Crashed):
        raise
    except WaitInterrupted as exc:  # the program's own, its trials stopped and recorded
        raise exc.error from None
    except (Exception, SystemExit) as exc:  # as its log closed: which folder, unknown
        raise Crashed(exc, save_traceback(exc)) from exc
    finally:
        prepared.folder.unlock()


def _execute(
    prepared: Prepared, dashboard: bool, concluded: Callable[[SearchOutcome], None] | None
) -> SearchOutcome:
    from hypermax.ui.console import ConsoleReporter

    if dashboard:
        from hypermax.ui.dashboard import run_dashboard

        driver, journal = build_driver(prepared, [])
        with journal:
            outcome = run_dashboard(driver)  # which leaves the closing lines in the terminal
        if concluded is not None:
            concluded(outcome)
        return outcome
    driver, journal = build_driver(prepared, [ConsoleReporter()])
    with (
        interrupted_at_exit(
            lambda: driver.request(Command.INTERRUPT), prepared.spec.function.kill_grace + 10
        ),
        signals_to(
            lambda signum, frame: driver.request(Command.INTERRUPT),
            on_stop=lambda signum, frame: driver.stop_with_trials(signum != signal.SIGTSTP),
        ),
    ):
        with journal:  # closed under the search's handlers: an interrupt now changes nothing
            # the handlers run in this thread, the search in another: Ctrl-Z stops the trials
            # and hypermax at once, even while a trial's start (its objective's import) is
            # under way
            outcome = run_aside(driver.run, stop=lambda: driver.request(Command.INTERRUPT))
        if concluded is not None:
            concluded(outcome)
        return outcome


def run_search(
    objective: Any,
    *,
    space: dict[str, Any] | None = None,
    metrics: dict[str, Any] | str | None = None,
    results_dir: str | os.PathLike[str] | None = None,
    fresh: bool = False,
    search: dict[str, Any] | None = None,
    function: dict[str, Any] | None = None,
) -> Result:
    """The Python API behind :func:`hypermax.optimize`: run without the dashboard.

    ``search`` holds the ``search.*`` keys and ``function`` the ``function.*`` keys that
    :func:`hypermax.optimize` was given; see :func:`hypermax.api.plan_search`.
    """
    # relative paths start there, and the objective's imports
    current_folder("optimize()", " (os.chdir) and call optimize() again")
    if not sys.executable:  # Python embedded in a program that does not say which one it is
        raise UsageError(
            "optimize(): this Python cannot start the trial processes: it does not know its "
            "interpreter (sys.executable is empty); set sys.executable to the path of a Python "
            "with hypermax installed"
        )
    problem = ignored_elsewhere_problem()  # before anything is written
    if problem is not None:
        raise UsageError(f"optimize(): {problem}")
    with own_warnings_in_one_line():  # a torn journal line skipped: as on the command line
        return _run_search(objective, space, metrics, results_dir, fresh, search, function)


def _run_search(
    objective: Any,
    space: dict[str, Any] | None,
    metrics: dict[str, Any] | str | None,
    results_dir: str | os.PathLike[str] | None,
    fresh: bool,
    search: dict[str, Any] | None,
    function: dict[str, Any] | None,
) -> Result:
    from hypermax.api import (
        API_SPEC,
        SearchInterrupted,
        check_call,
        make_result,
        plan_search,
        ship,
    )

    plan = plan_search(objective, space, search or {}, metrics, function or {}, results_dir)
    if plan.doc is not None:  # without a file, errors name optimize(), relative paths start here
        loaded = spec_from_dict(plan.doc, plan.path or Path.cwd() / API_SPEC, plan.overrides)
    else:
        loaded = load_spec(str(plan.path), plan.overrides)
    if plan.shipped is not None:  # a callable, whose space may be a $ref read only now
        check_call(objective, loaded.hyperparameters)
    # where the caller is now: a host that changes its folder during the search (a thread
    # of its own) must not send the journal, the logs and the trials elsewhere midway
    loaded = replace(loaded, results_directory=loaded.results_directory.absolute())
    prepared = prepare_run(loaded, fresh=fresh, fresh_hint="fresh=True")
    try:  # under the folder's lock, after any fresh start
        ship(plan, resumed=prepared.history.header is not None)
    except BaseException:
        prepared.folder.unlock()
        raise
    outcome = execute(prepared, dashboard=False)
    if outcome.interrupted:
        left_behind_by_exit()  # by a program that ends: nothing after optimize() runs
    result = make_result(
        prepared.folder.path, outcome.reason, outcome.trials, outcome.metadata_in_journal
    )
    if outcome.interrupted:
        raise SearchInterrupted(result)
    return result
