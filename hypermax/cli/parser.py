"""The command line's words: the parser of every subcommand, and the line as it reads it.

``hypermax SPEC`` is ``hypermax run SPEC``; ``run``'s options may come before the spec and its
results folder after them. What the parser itself imports costs every ``--help``: argparse and
the error types only.
"""

from __future__ import annotations

import argparse
import os
import sys

from hypermax import __version__
from hypermax.errors import UsageError

TYPE_CHECKING = False  # typing itself is not imported: it would cost every ``--help``

if TYPE_CHECKING:
    from typing import Any

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

    def _print_message(self, message: str, file: Any = None) -> None:
        """Help and the version go to stdout whole, as a command's output does: one that cannot
        take them (a full disk, closed) is one line, exit 1, where argparse dropped the error
        and exited 0, or wrote them to stderr. Usage errors go to stderr as argparse has it."""
        if message and (file is None or file is sys.stdout):
            from hypermax.output import write_out

            write_out(message, self.prog.removeprefix("hypermax").strip())
        else:
            super()._print_message(message, file)

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
    resume.add_argument(
        "results_dir", help="the results folder of the search to continue (or its spec)"
    )
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
    show.add_argument("results_dir", help="the results folder of a search (or its spec)")
    show.add_argument(
        "--trial", type=int, metavar="N", help="show trial N whole: params, loss, log, ..."
    )
    show.add_argument("--top", type=int, metavar="N", help="rows of the table of best trials (10)")
    show.add_argument(
        "--importance", action="store_true", help="rank the params by how much they matter"
    )

    export = sub.add_parser("export", help="export trials as CSV or JSON")
    export.add_argument("results_dir", help="the results folder of a search (or its spec)")
    export.add_argument(
        "--format", choices=("csv", "json"), default="csv", help="csv (default) or json"
    )
    export.add_argument("--best", action="store_true", help="only the best trial")
    _add_result_tools(sub, quick)
    return parser


def _add_result_tools(sub: argparse._SubParsersAction[_Parser], quick: bool) -> None:
    """Subcommands that start a search without a spec, or look at what one found."""
    plot = sub.add_parser("plot", help="PNG charts of a results folder in DIR/plots/")
    plot.add_argument("results_dir", help="the results folder of a search (or its spec)")
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


def normalise_argv(argv: list[str]) -> list[str]:
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


#: words other tools take for a command, and hypermax's command that does that
_OTHER_TOOLS_WORDS = {
    "new": "init",
    "create": "init",
    "check": "validate",
    "continue": "resume",
    "status": "show",
    "help": "--help",
}


def mistyped_command(word: str) -> str | None:
    """Why ``hypermax WORD``, read as ``hypermax run WORD`` since WORD is no command, names
    neither a command nor a spec: ``hypermax: shwo: no such command, nor a spec file (did you
    mean hypermax show?)``. None when WORD names a file, or looks like no command (a spec's
    name that was mistyped is left to the spec's own "cannot read")."""
    import os

    if os.path.lexists(word) or "." in word or "/" in word or os.sep in word:
        return None
    meant = _OTHER_TOOLS_WORDS.get(word.lower())
    if meant is None:
        import difflib

        close = difflib.get_close_matches(word.lower(), SUBCOMMANDS, n=1, cutoff=0.6)
        meant = close[0] if close else None
    if meant is None:
        return None
    return f"hypermax: {word}: no such command, nor a spec file (did you mean hypermax {meant}?)"


def late_results_dir(args: argparse.Namespace, extra: list[str]) -> str | None:
    """``run``'s results folder when ``extra`` is one given after an option (``hypermax run
    SPEC --no-ui DIR``, or ``-- -DIR`` for a name that starts with a dash), which argparse
    leaves over: it reads the positionals of one stretch. None when it is not."""
    if getattr(args, "command", None) != "run" or getattr(args, "results_dir", None) is not None:
        return None
    if len(extra) == 2 and extra[0] == "--":  # after "--", a name that starts with a dash
        return extra[1]
    return extra[0] if len(extra) == 1 and not extra[0].startswith("-") else None
