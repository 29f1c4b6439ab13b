"""Put a search together: results folder, journal, history, optimizer, runner, reporters."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypermax import __version__
from hypermax.driver import Driver
from hypermax.errors import (
    HYPERMAX_LOG,
    Crashed,
    DiskFull,
    HypermaxError,
    ResultsError,
    SpecError,
    UsageError,
    current_folder,
    is_disk_full,
    own_warnings_in_one_line,
    save_traceback,
)
from hypermax.events import Command, SearchOutcome
from hypermax.execution.leftovers import kill_leftover_trials
from hypermax.interrupts import WaitInterrupted, interrupted_at_exit, run_aside, signals_to
from hypermax.journal import Journal
from hypermax.journal_replay import FORMAT_VERSION, JournalState, read_records, replay
from hypermax.results import (
    FolderUnusable,
    ResultsFolder,
    holds_own_spec,
    read_text_of,
    searches_named,
    unwritable,
)
from hypermax.shipped import OBJECTIVE_ENV, SHIPPED_FILE
from hypermax.spec import Spec, load_spec, spec_from_dict
from hypermax.warnings_log import warnings_logged

if TYPE_CHECKING:
    from hypermax.api import Result
    from hypermax.optimizers import BaseOptimizer
    from hypermax.space import Space
    from hypermax.warmstart import Finished


@dataclass(frozen=True)
class Prepared:
    """A results folder made ready (locked, history read) for a search."""

    spec: Spec
    folder: ResultsFolder
    history: JournalState
    seed: int
    set_aside: Path | None = None  # where a fresh start moved the folder's earlier search


def prepare(
    spec: Spec,
    folder_path: Path | None = None,
    fresh: bool = False,
    fresh_hint: str = "--fresh",
    path_name: Callable[[str], str] = str,
) -> Prepared:
    """Lock the results folder, read its history, and check that it belongs to this spec.

    ``fresh_hint`` names how the caller asks for a fresh start, for the error that says so, and
    ``path_name`` the spec path where the folder's search differs, as the caller's user wrote
    it (``hypermax quick``: ``--hp x`` for ``hyperparameters.properties.x.max``).
    """
    folder = ResultsFolder(folder_path or spec.results_folder)
    try:
        return _prepare(spec, folder, fresh, fresh_hint, path_name)
    except FolderUnusable as exc:
        if folder_path is not None:  # named on the command line (or by the caller)
            raise
        raise FolderUnusable(f"{spec.path.name}: results.directory: {exc}") from None
    except OSError as exc:
        if is_disk_full(exc):
            raise DiskFull(folder.path, exc) from None
        raise unwritable(folder.path, exc) from None


def prepare_run(
    spec: Spec,
    folder_path: Path | None = None,
    fresh: bool = False,
    fresh_hint: str = "--fresh",
    path_name: Callable[[str], str] = str,
) -> Prepared:
    """:func:`prepare` for a run of ``spec``, saying on stderr, one line each, what the user
    should know: the notices of the spec's keys that do nothing here (before the folder is
    used), then, for a search it resumes, what becomes of the parts of the spec edited since
    the search started (:func:`edits_since_start`: a changed seed is not used), or, for a fresh
    start, where the folder's earlier search went."""
    for notice in spec.notices:
        print(notice, file=sys.stderr)
    said = [] if fresh else edits_since_start(folder_path or spec.results_folder, spec)
    prepared = prepare(spec, folder_path, fresh, fresh_hint, path_name)
    if prepared.set_aside is not None:
        said.append(
            f"hypermax: {fresh_hint}: the search that was in {prepared.folder.path} is now in "
            f"{prepared.set_aside}"
        )
    for line in said:
        print(line, file=sys.stderr)
    return prepared


def _prepare(
    spec: Spec,
    folder: ResultsFolder,
    fresh: bool,
    fresh_hint: str,
    path_name: Callable[[str], str],
) -> Prepared:
    if not folder.exists() and holds_own_spec(folder.path):  # a project's folder (RESULTS_DIR .)
        raise ResultsError(
            f"{folder.path}: its {folder.spec.name} is a spec, not one a search froze, which a "
            "search there would write over: give the search a folder of its own"
        )
    held = None if folder.exists() else searches_named(folder.path)
    if held:  # results/ given for results/s: the search would go in beside them
        raise ResultsError(
            f"{folder.path}: holds the results folders of searches ({held}), not one:"
            f" --results {folder.path} puts this search in {folder.path / spec.search.name}"
        )
    if fresh and folder.exists():
        _can_move_aside(folder, spec, fresh_hint)
    folder.lock()
    set_aside = None
    try:
        if fresh and folder.exists():
            set_aside = folder.move_aside()  # under the lock: no other hypermax is using it
            folder.unlock()
            folder.lock()
        folder.remove_leftovers()
        records = read_records(folder.journal)
        kill_leftover_trials(records, folder.path / "trials")
        history = replay(records, folder.journal)
        folder.remove_unrun(history.trials)
        header = history.header
        if header is not None and not spec.makes(header.get("spec_hash")):
            raise ResultsError(
                f"{folder.path}: holds a search with another space, function or loss"
                f"{_changed(folder, spec, path_name)}; use {fresh_hint} to start anew"
                " (the old folder is kept)"
            )
        other = _another_projects(folder, spec, header)
        if other is not None:
            raise ResultsError(
                f"{folder.path}: holds the search of {other}, a spec in another folder (its"
                f" relative paths name its own files); give this spec a search.name of its own,"
                f" or use {fresh_hint} to start anew (the old folder is kept)"
            )
        seed = search_seed(spec, header)
        folder.write_spec(spec.raw, spec.path)
        with Journal(folder.journal) as journal:  # one that cannot be appended to stops here
            if header is None:
                journal.append(
                    {
                        "event": "header",
                        "format": FORMAT_VERSION,
                        "hypermax": __version__,
                        "name": spec.search.name,
                        "spec_hash": spec.fingerprint(),
                        "spec_path": str(spec.path.resolve()),
                        "seed": seed,
                        "created_at": time.time(),
                    }
                )
    except BaseException:
        folder.unlock()
        raise
    return Prepared(spec, folder, history, seed, set_aside)


def _can_move_aside(folder: ResultsFolder, spec: Spec, fresh_hint: str) -> None:
    """ResultsError when a fresh start cannot move ``folder`` aside: it holds the current folder
    (a search run from inside its results folder, ``RESULTS_DIR .``), which would move with it,
    or the spec, which would go with the old search (and its files beside it)."""
    where = folder.path.resolve()
    if Path.cwd().resolve().is_relative_to(where):
        held = "the current folder"
    elif spec.path.is_relative_to(where) or spec.path.resolve().is_relative_to(where):
        held = f"the spec {spec.path.name}"
    else:
        return
    raise ResultsError(
        f"{folder.path}: {fresh_hint} cannot move the results folder aside: it holds {held};"
        " give the search a folder of its own"
    )


def _another_projects(
    folder: ResultsFolder, spec: Spec, header: dict[str, Any] | None
) -> Path | None:
    """The spec file, still there in another folder than ``spec``'s, whose search ``folder``
    holds: two projects' specs alike but for the files their relative paths name (a ``src``
    beside each), run from one folder, would mix their losses in one search. None for the
    folder of a spec moved since (it is not there any more), of a new search, and for a spec
    that names no file from its folder (absolute paths alone)."""
    function = spec.function
    program = function.command[0] if function.command else ""
    beside = (  # a file named from the spec's folder
        function.module is not None  # found beside the spec, maybe
        or any(path and not os.path.isabs(path) for path in (function.src, function.cwd))
        or ("/" in program and not os.path.isabs(program))
    )
    if header is None or not beside:  # every file named as the other spec names it
        return None
    was = folder.ran_from(header)
    try:
        if was is None or not was.is_file() or os.path.samefile(was.resolve().parent, spec.folder):
            return None
        if os.path.samefile(was, folder.spec):  # a resume from the frozen copy, which names itself
            return None
    except OSError:
        return None
    return was


def _changed(folder: ResultsFolder, spec: Spec, path_name: Callable[[str], str]) -> str:
    """`` (hyperparameters.properties.x.max differs)``: where the spec differs from the one the
    folder's search was started with, when its frozen copy can say."""
    import json

    from hypermax.spec import first_difference

    try:
        before = json.loads(read_text_of(folder.spec))
    except (OSError, ValueError):
        return ""
    where = first_difference(before, spec.raw) if isinstance(before, dict) else None
    return f" ({path_name(where)} differs)" if where else ""


def edits_since_start(folder: Path, spec: Spec) -> list[str]:
    """What resuming the search in ``folder`` does with the parts of ``spec`` edited since it
    started, one line each: another method asks from now on; another seed is not used (the
    search keeps its own), nor another ``warm_start`` once trials ran (a search learns from its
    warm start before its first trial). Nothing when ``folder`` holds no search of this spec."""
    import json

    from hypermax.journal_replay import holds_trials, read_header

    results = ResultsFolder(folder)
    header = read_header(results.journal)
    if header is None or not spec.makes(header.get("spec_hash")):
        return []
    try:
        frozen = json.loads(read_text_of(results.spec))["search"]
        was, was_warm = frozen["method"], frozen.get("warm_start")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        was = was_warm = None
    lines = []
    method = spec.search.method
    if isinstance(was, str) and was != method:
        lines.append(
            f"{spec.path.name}: search.method: {method} asks from now on (it was {was}), "
            "taught the trials done"
        )
    seed, kept = spec.search.seed, header.get("seed")
    if seed is not None and isinstance(kept, int) and seed != kept:
        lines.append(
            f"{spec.path.name}: search.seed: {seed} is not used: a resumed search keeps the "
            f"seed it started with ({kept})"
        )
    warm = spec.search.warm_start
    if warm is not None and warm != was_warm and holds_trials(results.journal):
        lines.append(
            f"{spec.path.name}: search.warm_start: {warm} is not used: a search learns from its "
            "warm start before its first trial, and this one has run trials"
        )
    return lines


def search_seed(spec: Spec, header: dict[str, Any] | None) -> int:
    """The seed of the spec's search: the one its journal ``header`` keeps, else
    ``search.seed``, else one drawn now."""
    if header is not None and isinstance(header.get("seed"), int):
        return int(header["seed"])  # a resumed search keeps the seed it started with
    if spec.search.seed is not None:
        return int(spec.search.seed)
    return secrets.randbelow(2**31)


def warm_start_trials(spec: Spec, path: Path | None = None) -> list[Finished]:
    """The finished trials of the spec's ``search.warm_start`` (read from ``path`` when given:
    :func:`warm_start_path`), which a new search learns from before its first ask; a
    ResultsError names the spec and ``search.warm_start``, then the file and its problem."""
    from hypermax.warmstart import load_warm_start, with_this_loss

    assert spec.search.warm_start is not None
    names = set(spec.hyperparameters.get("properties", {}))
    try:
        found = load_warm_start(path or (spec.folder / spec.search.warm_start).resolve(), names)
    except ResultsError as exc:  # the file named, not this search's: say whose it is
        raise WarmStartError(spec.path.name, str(exc)) from None
    return with_this_loss(found, spec)


class WarmStartError(ResultsError):
    """A ``search.warm_start`` that cannot be read; ``problem`` is what is wrong with the file
    it names (the message names the spec and ``search.warm_start`` first)."""

    def __init__(self, spec_name: str, problem: str) -> None:
        super().__init__(f"{spec_name}: search.warm_start: {problem}")
        self.problem = problem


def warm_start_path(spec: Spec, prepared: Prepared) -> Path:
    """Where the spec's ``search.warm_start`` is read: where it names, but for a fresh start
    that moved the folder it names (or one inside it) aside: there, where its trials went."""
    assert spec.search.warm_start is not None
    path = (spec.folder / spec.search.warm_start).resolve()
    if prepared.set_aside is not None:
        was = prepared.folder.path.resolve()
        if path.is_relative_to(was):
            return prepared.set_aside.resolve() / path.relative_to(was)
    return path


#: the paths of a spec that name files relative to its folder
_SPEC_FILES = ("function.src", "function.module", "function.cwd", "function.command")


def frozen_spec(results_dir: Path, overrides: dict[str, Any] | None = None) -> Spec:
    """The spec frozen in a results folder, with paths resolved from the folder of the spec it
    was frozen from (:meth:`ResultsFolder.ran_from`, else the frozen spec itself); its problems
    name the frozen copy, the file read."""
    import json

    folder = ResultsFolder(results_dir)
    if not folder.spec.exists() and not folder.exists():
        raise ResultsError(f"{results_dir}: not a hypermax results folder (no {folder.spec.name})")
    if not folder.exists() and holds_own_spec(results_dir):  # a project's folder
        raise ResultsError(
            f"{results_dir}: not a hypermax results folder (no {folder.journal.name}); its"
            f" {folder.spec.name} is a spec, not one a search froze: hypermax {folder.spec} runs it"
        )
    header = replay(read_records(folder.journal), folder.journal).header or {}
    if not folder.spec.exists():  # its journal is there: the spec it came from can resume it
        named = header.get("spec_path")
        spec = named if isinstance(named, str) and named else "SPEC"
        raise ResultsError(
            f"{results_dir}: its frozen spec {folder.spec.name} is missing; resume it from the "
            f"spec it came from: hypermax run {spec} {results_dir}"
        )
    try:
        doc = json.loads(read_text_of(folder.spec))
    except ValueError as exc:
        raise ResultsError(f"{folder.spec}: damaged ({exc})") from None
    except OSError as exc:
        raise ResultsError(f"{folder.spec}: cannot read it: {exc.strerror or exc}") from None
    if not isinstance(doc, dict):
        raise ResultsError(f"{folder.spec}: damaged (not a JSON object)")
    origin = folder.ran_from(header) or folder.spec  # a folder an older hypermax froze: itself
    function = doc.get("function")
    env = function.get("env") if isinstance(function, dict) else None
    if isinstance(env, dict) and OBJECTIVE_ENV in env:  # optimize()'s objective: the folder's
        env[OBJECTIVE_ENV] = str((folder.path / SHIPPED_FILE).resolve())
    try:
        return spec_from_dict(doc, origin, overrides, named=str(folder.spec))
    except SpecError as exc:
        files = any(path.startswith(_SPEC_FILES) for path, _ in exc.problems)
        if not files or origin == folder.spec or origin.is_file():
            raise
        gone = (  # its src, module or cwd were looked for beside it: say why, and what to do
            f"the spec it came from, {origin}, is gone (its relative paths start from its"
            f" folder): hypermax run SPEC {results_dir} resumes from the spec where it is now"
        )
        raise SpecError(exc.file, [*exc.problems, ("", gone)]) from None


def build_driver(prepared: Prepared, reporters: list[Any]) -> tuple[Driver, Journal]:
    from hypermax.execution import make_runner
    from hypermax.space import Space

    spec = prepared.spec
    space = Space.from_spec(spec)
    optimizer = build_optimizer(spec, space, prepared.seed)
    runner = make_runner(spec)
    journal = Journal(prepared.folder.journal)
    driver = Driver(
        spec, space, optimizer, runner, journal, prepared.folder, reporters, prepared.history
    )
    if spec.search.warm_start and not prepared.history.trials:  # also one stopped before it
        path, source = warm_start_path(spec, prepared), spec.search.warm_start
        if prepared.set_aside is not None and path.is_relative_to(prepared.set_aside.resolve()):
            source = str(prepared.set_aside / path.relative_to(prepared.set_aside.resolve()))
        driver.import_trials(warm_start_trials(spec, path), source)
    return driver, journal


def build_optimizer(spec: Spec, space: Space, seed: int) -> BaseOptimizer:
    """The optimizer ``search.method`` names, with its options and the search's budget."""
    from hypermax.optimizers import Budget, make_optimizer

    budget = Budget(iterations=spec.search.iterations, parallel=spec.function.parallel)
    return make_optimizer(
        spec.search.method, space, seed, spec.search.options, spec.folder, budget=budget
    )


def use_dashboard(spec: Spec, no_ui: bool) -> bool:
    """The dashboard needs a terminal on both ends and nobody asking for plain output."""
    if no_ui or spec.ui_enabled is False:
        return False
    terminal = sys.stdin.isatty() and sys.stdout.isatty()
    return terminal and os.environ.get("TERM", "dumb") != "dumb"


def execute(prepared: Prepared, dashboard: bool) -> SearchOutcome:
    """Run a prepared search with the dashboard or the console reporter.

    hypermax's own warnings go to ``logs/hypermax.log`` in the results folder. An error nobody
    foresaw (a bug, or one in a plugin) leaves its traceback there too and is raised again as
    :class:`~hypermax.errors.Crashed`, after the running trials were stopped and recorded.
    """
    logs = prepared.folder.path / "logs"
    try:
        with log_to_file(logs / HYPERMAX_LOG):
            return _execute(prepared, dashboard)
    except (HypermaxError, KeyboardInterrupt):
        raise
    except WaitInterrupted as exc:  # the program's own, its trials stopped and recorded
        raise exc.error from None
    except (Exception, SystemExit) as exc:  # SystemExit: a plugin optimizer's sys.exit()
        raise Crashed(exc, save_traceback(exc, logs)) from exc
    finally:
        prepared.folder.unlock()


@contextlib.contextmanager
def log_to_file(path: Path) -> Iterator[None]:
    """While inside, warnings and errors of the ``hypermax`` logger, and Python's warnings, are
    appended to ``path``."""
    logger = logging.getLogger("hypermax")
    try:
        handler: logging.Handler = _LogFileHandler(
            path, delay=True, encoding="utf-8", errors="backslashreplace"
        )
    except OSError:
        yield
        return
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    try:
        with warnings_logged(logger):
            yield
    finally:
        logger.removeHandler(handler)
        handler.close()


class _LogFileHandler(logging.FileHandler):
    """``hypermax.log``: a record that cannot be written (a full disk, the results folder
    deleted while the search ran) is dropped, rather than printed as a "Logging error"
    traceback over the user's terminal or raised into the search; a ``logs`` folder deleted
    while the search ran is made again."""

    def _open(self) -> Any:
        try:
            return super()._open()
        except FileNotFoundError:
            Path(self.baseFilename).parent.mkdir(exist_ok=True)
            return super()._open()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            super().emit(record)
        except OSError:  # opening the file, which a FileHandler does outside its own guard
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:
        if not isinstance(sys.exc_info()[1], OSError):
            super().handleError(record)

    def close(self) -> None:
        try:
            super().close()
        except OSError as exc:  # the last records could not be flushed
            if not is_disk_full(exc):
                raise


def _execute(prepared: Prepared, dashboard: bool) -> SearchOutcome:
    from hypermax.ui.console import ConsoleReporter, summary_lines

    if dashboard:
        from hypermax.ui.dashboard import run_dashboard

        driver, journal = build_driver(prepared, [])
        with journal:
            outcome = run_dashboard(driver)
        # the dashboard's screen is gone: leave the result in the terminal
        print("\n".join(summary_lines(outcome.reason, outcome.done, outcome.best)))
        return outcome
    driver, journal = build_driver(prepared, [ConsoleReporter()])
    with (
        interrupted_at_exit(
            lambda: driver.request(Command.INTERRUPT), prepared.spec.function.kill_grace + 10
        ),
        journal,
        signals_to(
            lambda signum, frame: driver.request(Command.INTERRUPT),
            on_stop=lambda signum, frame: driver.stop_with_trials(),
        ),
    ):
        # the handlers run in this thread, the search in another: Ctrl-Z stops the trials and
        # hypermax at once, even while a trial's start (its objective's import) is under way
        return run_aside(driver.run, stop=lambda: driver.request(Command.INTERRUPT))


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
    from hypermax.api import API_SPEC, SearchInterrupted, make_result, plan_search, ship

    plan = plan_search(objective, space, search or {}, metrics, function or {}, results_dir)
    if plan.doc is not None:  # without a file, errors name optimize(), relative paths start here
        loaded = spec_from_dict(plan.doc, plan.path or Path.cwd() / API_SPEC, plan.overrides)
    else:
        loaded = load_spec(str(plan.path), plan.overrides)
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
    result = make_result(prepared.folder.path, outcome.reason, outcome.trials)
    if outcome.interrupted:
        raise SearchInterrupted(result)
    return result
