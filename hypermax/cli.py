"""Command line: argument parsing only; one function per subcommand, each returning an exit code.

``hypermax --help`` must cost little more than starting the interpreter: this module imports
argparse and the error types, and everything else where it is used.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import os
import sys
from collections.abc import Callable, Sequence

from hypermax import __version__
from hypermax.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SEARCH_FAILED,
    Crashed,
    HypermaxError,
    SpecError,
    UsageError,
    current_folder,
    own_warnings_in_one_line,
    save_traceback,
    unexpected,
)

TYPE_CHECKING = False  # typing itself is not imported: it would cost every ``--help``

if TYPE_CHECKING:
    from typing import Any

    from hypermax.spec import Spec

SUBCOMMANDS = (
    "run",
    "resume",
    "validate",
    "sample",
    "show",
    "export",
    "plot",
    "templates",
    "init",
    "quick",
)
#: the line ``hypermax --help`` shows for ``quick`` (as :func:`hypermax.quick.add_parser` has it)
QUICK_HELP = "tune a command from ranges on the command line"
#: the epilog that lists the methods, written by :func:`_methods_help` when help is shown
_METHODS = "<methods>"


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, told the terminal's width without importing shutil (and with it
    bz2 and lzma) as argparse does."""

    def __init__(self, prog: str) -> None:
        try:
            columns = int(os.environ.get("COLUMNS", "")) or os.get_terminal_size(1).columns
        except (ValueError, OSError):
            columns = 80
        super().__init__(prog, width=columns - 2)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")

    def format_help(self) -> str:
        if self.epilog == _METHODS:  # written only when shown: it reads the method registry
            self.epilog = _methods_help()
        return super().format_help()


def build_parser(quick: bool = True) -> argparse.ArgumentParser:
    """The command line's parser. Without ``quick``, the ``quick`` subcommand is only listed,
    not built: building it imports :mod:`hypermax.quick`, which every ``--help`` would pay."""
    parser = _Parser(prog="hypermax", description="Hyperparameter search for any program.")
    parser.add_argument("--version", action="version", version=f"hypermax {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="print the traceback of an error (anywhere on the line)",
    )
    sub = parser.add_subparsers(
        dest="command",
        parser_class=_Parser,
        metavar="COMMAND",
        help="what to do (hypermax COMMAND -h: its options); hypermax SPEC runs the spec",
    )

    run = sub.add_parser("run", help="run or resume a search", epilog=_METHODS)
    run.add_argument("spec", help="the search spec (.json, .yaml or .yml)")
    run.add_argument(
        "results_dir",
        nargs="?",
        help="results folder to run or continue in (default: "
        "<results.directory>/<search.name> of the spec)",
    )
    _add_run_options(run)

    resume = sub.add_parser("resume", help="continue from the spec frozen in a results folder")
    resume.add_argument("results_dir", help="the results folder of the search to continue")
    resume.add_argument("--no-ui", action="store_true", help="plain lines instead of the dashboard")
    resume.add_argument(
        "--iterations", type=int, metavar="N", help="trials in all, finished ones included"
    )
    resume.add_argument("--parallel", type=int, metavar="N", help="trials at the same time")
    resume.add_argument(
        "--scheduler", metavar="ADDR", help="run the trials on the Dask cluster at ADDR"
    )

    validate = sub.add_parser("validate", help="check a spec; print every problem")
    validate.add_argument("spec", help="the search spec to check")
    validate.add_argument(
        "--connect", action="store_true", help="also check that the spec's Dask cluster answers"
    )
    validate.add_argument(
        "--scheduler", metavar="ADDR", help="the Dask cluster at ADDR, as run --scheduler takes it"
    )

    sample = sub.add_parser(
        "sample", help="print the next N suggested parameter sets", epilog=_METHODS
    )
    sample.add_argument("spec", help="the search spec")
    sample.add_argument("-n", type=int, default=5, metavar="N", help="how many (default 5)")
    sample.add_argument("--seed", type=int, help="the optimizer's seed (overrides search.seed)")

    show = sub.add_parser("show", help="summary of a results folder, or one trial whole")
    show.add_argument("results_dir", help="the results folder of a search")
    show.add_argument(
        "--trial", type=int, metavar="N", help="show trial N whole: params, loss, log, ..."
    )
    show.add_argument(
        "--top", type=int, default=10, metavar="N", help="rows of the table of best trials (10)"
    )
    show.add_argument(
        "--importance", action="store_true", help="rank the params by how much they matter"
    )

    export = sub.add_parser("export", help="export trials as CSV or JSON")
    export.add_argument("results_dir", help="the results folder of a search")
    export.add_argument(
        "--format", choices=("csv", "json"), default="csv", help="csv (default) or json"
    )
    export.add_argument("--best", action="store_true", help="only the best trial")
    _add_result_tools(sub, quick)
    return parser


def _add_result_tools(sub: argparse._SubParsersAction[_Parser], quick: bool) -> None:
    """Subcommands that start a search without a spec, or look at what one found."""
    plot = sub.add_parser("plot", help="PNG charts of a results folder in DIR/plots/")
    plot.add_argument("results_dir", help="the results folder of a search")
    plot.add_argument("--open", action="store_true", help="open the folder in the file viewer")
    plot.add_argument(
        "--params",
        type=int,
        default=20,
        metavar="N",
        help="chart the N most important params (default 20), each on its own, as bars of "
        "importance and as axes of the parallel coordinates",
    )

    sub.add_parser("templates", help="list the bundled templates")
    init = sub.add_parser("init", help="write search.json and objective.py from a template")
    init.add_argument("template", nargs="?", help="a name from `hypermax templates`")

    if not quick:
        sub.add_parser("quick", help=QUICK_HELP)  # listed; built when it is the subcommand
        return
    from hypermax.quick import add_parser

    add_parser(sub)


def _methods_help() -> str:
    """The methods ``search.method`` may name in this version, for help texts."""
    from hypermax.registry import METHODS, PLUGIN_FORM

    usable = [f"{name} ({info.summary})" for name, info in METHODS.items() if info.available]
    return f"search.method: {', '.join(usable)}, or {PLUGIN_FORM} for a plugin optimizer"


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-ui", action="store_true", help="plain lines instead of the dashboard")
    p.add_argument(
        "--parallel", type=int, metavar="N", help="trials at the same time (function.parallel)"
    )
    p.add_argument(
        "--iterations",
        type=int,
        metavar="N",
        help="trials in all, finished ones included (search.iterations)",
    )
    p.add_argument("--seed", type=int, help="the optimizer's seed (search.seed)")
    p.add_argument("--results", metavar="DIR", help="results directory (results.directory)")
    p.add_argument("--fresh", action="store_true", help="start anew, keeping the old folder")
    p.add_argument("--scheduler", metavar="ADDR", help="run the trials on the Dask cluster at ADDR")


#: the options of ``hypermax`` itself, before a subcommand (``--debug`` is taken anywhere)
_OWN_OPTIONS = ("-h", "--help", "--version")


def _normalise_argv(argv: list[str]) -> list[str]:
    """``hypermax SPEC [DIR]`` is ``hypermax run SPEC [DIR]``, and so is ``hypermax --no-ui
    SPEC``: ``run``'s options may come first, as they may after ``run``."""
    for i, arg in enumerate(argv):
        if arg.startswith("-") and arg not in ("-", "--"):  # "-" names a file (stdin)
            continue
        if arg == "--" or arg not in SUBCOMMANDS:  # after "--", a SPEC that starts with "-"
            first = next((j for j, arg in enumerate(argv) if arg not in _OWN_OPTIONS), i)
            return [*argv[:first], "run", *argv[first:]]
        break
    return argv


def _late_results_dir(args: argparse.Namespace, extra: list[str]) -> str | None:
    """``run``'s results folder when ``extra`` is one given after an option (``hypermax run
    SPEC --no-ui DIR``, or ``-- -DIR`` for a name that starts with a dash), which argparse
    leaves over: it reads the positionals of one stretch. None when it is not."""
    if getattr(args, "command", None) != "run" or getattr(args, "results_dir", None) is not None:
        return None
    if len(extra) == 2 and extra[0] == "--":  # after "--", a name that starts with a dash
        return extra[1]
    return extra[0] if len(extra) == 1 and not extra[0].startswith("-") else None


def main(argv: Sequence[str] | None = None) -> int:
    """The ``hypermax`` command: its exit code. A stdout whose reader went away (``hypermax
    export DIR | head -1``) ends a command quietly, with its own exit code (0 when it did its
    work): what is left unwritten is dropped. SIGTERM, SIGQUIT and a closed terminal's SIGHUP
    end a command as Ctrl-C does (exit 130), a search's start-up included (once its trials run,
    the search routes them to stop those first)."""
    try:
        with own_warnings_in_one_line():
            return _main(argv)
    finally:
        _flush_stdout()


def run() -> int:
    """The ``hypermax`` program (the console script, ``python -m hypermax``): :func:`main`,
    then an exit that leaves the heap of the command's imports to the operating system.

    What a search imported (numpy, optuna; hyperopt with scipy and networkx) stays reachable to
    the end, and the interpreter's exit took it apart in full collections of the cyclic garbage
    collector: 50 ms after a small ``tpe`` search, 75 to 150 ms after a ``random`` one. The
    garbage the command made is collected here, as the exit would have (13 and 22 ms); what is
    still reachable then is frozen (``gc.freeze``), out of the exit's collections, and goes with
    the process (the exit then takes 5 ms). The exit is otherwise Python's own: the wait for
    threads (at most :data:`~.interrupts.THREADS_GRACE` for those a plugin left running),
    ``atexit`` handlers, the flush of stdout and stderr. ``main`` itself, run in a
    process that goes on, changes nothing of its collector. A signal that would interrupt the
    command (Ctrl-C, SIGTERM, SIGQUIT, SIGHUP) comes too late once it returned: it ends the exit
    at once, with the command's exit code.
    """
    escape_unencodable_output()
    try:
        code = main()
    except KeyboardInterrupt:  # Ctrl-C again, as the first one ended the command
        code = _interrupted_again()
    from hypermax.interrupts import exit_on_signals, leave_threads

    exit_on_signals(code)  # the command is done (stdout flushed): an interrupt now ends the exit
    leave_threads(code)
    gc.collect()
    gc.freeze()
    return code


def escape_unencodable_output() -> None:
    """Have stdout write a character its encoding cannot hold as its escape (``\\xe9``), as
    Python's stderr does: a param beyond ASCII under an ASCII locale (``LC_ALL=C`` with
    ``PYTHONUTF8=0``), a lone surrogate under any, ended the command's output (a search's last
    lines, ``show``, ``export``) in an unexpected error."""
    stream = sys.stdout
    if isinstance(stream, io.TextIOWrapper) and stream.errors in ("strict", "surrogateescape"):
        with contextlib.suppress(ValueError, OSError):  # closed, or not to be changed now
            stream.reconfigure(errors="backslashreplace")


def _flush_stdout() -> None:
    """Flush stdout now rather than in the interpreter's exit, which reports a reader gone away
    as an error (and exits 120); any other failure to write is left to it, as before."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        _drop_output()
    except (OSError, ValueError):
        pass


def _reader_gone() -> bool:
    """Whether stdout is a pipe whose reader closed it (``| head`` took what it wanted), rather
    than some other pipe of the command broken."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
    except (AttributeError, ValueError, OSError):  # io.UnsupportedOperation: not a file
        return False
    return any(events & select.POLLERR for _, events in poller.poll(0))


def _drop_output() -> None:
    """Send what stdout still holds, and anything written to it later, to ``/dev/null``."""
    with contextlib.suppress(AttributeError, ValueError, OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


#: the commands whose ``results_dir`` may be given as the spec whose results folder it is
_READ_A_RESULTS_FOLDER = ("resume", "show", "export", "plot")


def _main(argv: Sequence[str] | None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    # --debug is taken anywhere on the line, but not from a trial's command after "--"
    ours = given[: given.index("--")] if "--" in given else given
    debug = "--debug" in ours
    args_list = _normalise_argv([arg for arg in ours if arg != "--debug"] + given[len(ours) :])
    try:
        parser = build_parser(quick="quick" in args_list)
        args, extra = parser.parse_known_args(args_list)
        late = _late_results_dir(args, extra)
        if late is not None:
            args.results_dir = late
        elif extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        if args.command is None:
            parser.print_help()
            return EXIT_BAD_INPUT
        for named in (getattr(args, "spec", None), getattr(args, "results_dir", None)):
            if isinstance(named, str) and not os.path.isabs(named):  # from the current folder
                current_folder(named)
        if args.command in _READ_A_RESULTS_FOLDER:
            from hypermax.commands import results_folder_named

            args.results_dir = results_folder_named(args.results_dir)
        handler: Callable[[argparse.Namespace], int] = _HANDLERS[args.command]
        from hypermax.interrupts import raise_interrupt, signals_to

        with signals_to(raise_interrupt):
            try:
                return handler(args)
            except SystemExit as exc:  # a plugin optimizer's sys.exit() (hypermax sample)
                return _crashed(exc, debug)
    except HypermaxError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        for line in str(exc).splitlines():
            print(line, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("hypermax: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError as exc:
        if not _reader_gone():
            return _crashed(exc, debug)
        _drop_output()  # the reader took what it wanted (``| head``): the work is done
        return EXIT_OK
    except Exception as exc:  # a bug or a broken plugin: one line; the traceback goes to a log
        return _crashed(exc, debug)


def _interrupted_again() -> int:
    """A second Ctrl-C (or SIGTERM, SIGQUIT, SIGHUP) came as the first one ended the command,
    once its handler was gone (writing that it was interrupted): it is interrupted all the same,
    no traceback; a third ends it at once."""
    from hypermax.interrupts import exit_on_signals

    exit_on_signals(EXIT_INTERRUPTED)
    with contextlib.suppress(Exception):  # a closed stderr: nothing more can be said
        print("hypermax: interrupted", file=sys.stderr)
    return EXIT_INTERRUPTED


def _crashed(exc: BaseException, debug: bool) -> int:
    """An unexpected error as one line (its traceback in a log, or shown with ``--debug``)."""
    error, log = (exc.error, exc.log) if isinstance(exc, Crashed) else (exc, None)
    if debug:
        import traceback

        traceback.print_exception(error)
    print(f"hypermax: {unexpected(error, log or save_traceback(error))}", file=sys.stderr)
    return EXIT_SEARCH_FAILED


#: the spec's values that options of the command line set, by option
_OPTION_PATHS = {
    "iterations": "search.iterations",
    "seed": "search.seed",
    "parallel": "function.parallel",
    "results": "results.directory",
    "scheduler": "cluster.scheduler",
}


def option_values(args: argparse.Namespace) -> dict[str, Any]:
    """The spec's values the options of ``args`` set, by dotted path."""
    out: dict[str, Any] = {}
    for flag, dotted in _OPTION_PATHS.items():
        value = getattr(args, flag, None)
        if value is not None:
            out[dotted] = value
    return out


def load_with_options(args: argparse.Namespace, load: Callable[[dict[str, Any]], Spec]) -> Spec:
    """``load(overrides)``: the spec with the values the options set (:func:`option_values`). A
    problem with one of those values names the option, not the spec's path, which holds
    another value or none: ``hypermax run: --parallel: must be at least 1, got 0``."""
    overrides = option_values(args)
    try:
        return load(overrides)
    except SpecError as exc:
        options = {path: f"--{flag}" for flag, path in _OPTION_PATHS.items() if path in overrides}
        files = getattr(exc, "files", [exc.file] * len(exc.problems))
        lines = [
            f"hypermax {args.command}: {options[path]}: {text}"
            if file == exc.file and path in options
            else line
            for (path, text), file, line in zip(exc.problems, files, exc.lines(), strict=True)
        ]
        if lines == exc.lines():
            raise
        raise UsageError("\n".join(lines)) from None


def cmd_validate(args: argparse.Namespace) -> int:
    from hypermax.registry import METHODS
    from hypermax.space import Space, skipped_point
    from hypermax.spec import load_spec

    spec = load_with_options(args, lambda overrides: load_spec(args.spec, overrides))
    for notice in spec.notices:
        print(notice, file=sys.stderr)
    space = Space.from_spec(spec)
    _, unusable = space.points_as_trials(spec.search.points)
    for where, why in unusable:
        print(f"hypermax: warning: {skipped_point(args.spec, where, why)}", file=sys.stderr)
    if spec.search.warm_start is not None:  # read as a run reads it: one it cannot is refused
        from hypermax.errors import ResultsError, SpecError
        from hypermax.journal_replay import holds_trials
        from hypermax.results import ResultsFolder
        from hypermax.warmstart import WarmStartError, warm_start_trials

        try:  # a run reads it before its search's first trial only
            if not holds_trials(ResultsFolder(spec.results_folder).journal):
                warm_start_trials(spec)
        except ResultsError as exc:
            problem = exc.problem if isinstance(exc, WarmStartError) else str(exc)
            raise SpecError(args.spec, [("search.warm_start", problem)]) from None
    cluster_lines = _connect(spec, args.spec) if args.connect else []
    method = spec.search.method
    info = METHODS.get(method)
    about = f"method {method}: {info.summary}" if info else f"plugin method {method}"
    if method == "grid":
        about += f", {space.size() or 0:,} grid points"
    from hypermax.output import write_out
    from hypermax.ui.formatting import counted

    searched = counted(len(space.labels()), "searched parameter")
    ok = f"{args.spec}: ok ({searched}, {counted(spec.search.iterations, 'iteration')}, {about})"
    write_out("".join(f"{line}\n" for line in [ok, *cluster_lines]), "validate")
    return 0


def _connect(spec: Spec, spec_arg: str) -> list[str]:
    """``validate --connect``: what the spec's Dask cluster says; raises if it cannot serve."""
    if spec.cluster is None:
        raise UsageError(f"hypermax validate: --connect: {spec_arg} has no cluster section")
    from hypermax.execution.dask_cluster import check_cluster

    return check_cluster(spec.cluster, spec.path.name)


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    def call(args: argparse.Namespace) -> int:
        import importlib

        return int(getattr(importlib.import_module(module), name)(args))

    return call


_HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "validate": cmd_validate,
    "run": _lazy("hypermax.commands", "cmd_run"),
    "resume": _lazy("hypermax.commands", "cmd_resume"),
    "sample": _lazy("hypermax.commands", "cmd_sample"),
    "show": _lazy("hypermax.commands", "cmd_show"),
    "export": _lazy("hypermax.commands", "cmd_export"),
    "plot": _lazy("hypermax.plots", "cmd_plot"),
    "templates": _lazy("hypermax.templates", "cmd_templates"),
    "init": _lazy("hypermax.templates", "cmd_init"),
    "quick": _lazy("hypermax.quick", "cmd_quick"),
}
