"""The ``hypermax`` program: read the line, run its subcommand, end with its exit code.

``hypermax --help`` must cost little more than starting the interpreter: this module imports
argparse and the error types, and every subcommand where it is run.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Sequence

from hypermax.cli.failures import crashed, failed
from hypermax.cli.parser import (
    SUBCOMMANDS,
    build_parser,
    late_results_dir,
    mistyped_command,
    normalise_argv,
)
from hypermax.cli.stdout import (
    escape_unencodable_output,
    fill_closed_standard_fds,
    flush_stdout,
)
from hypermax.errors import EXIT_BAD_INPUT, UsageError, current_folder, own_warnings_in_one_line


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
        flush_stdout()


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
    at once, with the command's exit code (in the exit's last steps, where Python's own handlers
    are gone, it is ignored); one that comes before the command routes them
    (its line still being read) ends it as Ctrl-C does, with 130. As PID 1 of a container,
    the command runs in a child, under a small init that reaps the orphans its trials leave
    (:mod:`.pid_one`).
    """
    from hypermax.cli.pid_one import run_as_init
    from hypermax.entry import (
        concluded,
        forget_caught_interrupts,
        interrupt_as_ctrl_c,
        interrupted,
    )

    interrupt_as_ctrl_c()  # done already by the console script, not by a caller of run() alone
    try:
        fill_closed_standard_fds()
        ended = run_as_init()
        if ended is not None:
            return ended
        escape_unencodable_output()
        code = main()
    except KeyboardInterrupt:  # before main() could handle it, or again as its first ended it
        code = interrupted()
    except SystemExit as exc:  # --help, --version: argparse wrote them, and exits
        concluded(exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1)
        raise
    concluded(code)  # an interrupt from now on ends the program with it
    from hypermax.interrupts import exit_on_signals, leave_threads

    forget_caught_interrupts()  # a Ctrl-C that hypermax caught must not end its exit again
    exit_on_signals(code)  # the command is done (stdout flushed): an interrupt now ends the exit
    leave_threads(code)
    gc.collect()
    gc.freeze()
    return code


#: where ``hypermax quick``'s command goes, so that its options are its own
AFTER_THE_DASHES = "a command's options come after --: hypermax quick ... -- COMMAND ..."
#: the commands whose ``results_dir`` may be given as the spec whose results folder it is
_READ_A_RESULTS_FOLDER = ("resume", "show", "export", "plot")


def _main(argv: Sequence[str] | None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    # --debug is taken anywhere on the line, but not from a trial's command after "--"
    ours = given[: given.index("--")] if "--" in given else given
    debug = "--debug" in ours
    args_list = normalise_argv([arg for arg in ours if arg != "--debug"] + given[len(ours) :])
    try:
        if "run" not in ours and not {"-h", "--help"}.isdisjoint(ours):
            # hypermax shwo --help: read as hypermax run shwo --help, argparse would print
            # run's help before the word is looked at
            word = next((arg for arg in ours if not arg.startswith("-")), None)
            mistyped = None if word in (None, *SUBCOMMANDS) else mistyped_command(str(word))
            if mistyped is not None:
                raise UsageError(mistyped)
        parser = build_parser(quick="quick" in args_list)
        args, extra = parser.parse_known_args(args_list)
        late = late_results_dir(args, extra)
        if late is not None:
            args.results_dir = late
        elif extra:
            # hypermax quick ... python train.py --lr {lr}: the command's options were taken
            # for hypermax's own
            hint = f" ({AFTER_THE_DASHES})" if args.command == "quick" and "--" not in given else ""
            who = f"hypermax {args.command}" if args.command else "hypermax"
            raise UsageError(f"{who}: unrecognized arguments: {' '.join(extra)}{hint}")
        if args.command == "quick" and "--" not in given:
            command = args.trial_command
            if args_list[len(args_list) - len(command) :] != command:  # options after it
                raise UsageError(
                    f"hypermax quick: options after the command ({' '.join(command)}) are taken "
                    f"for hypermax's own: {AFTER_THE_DASHES}"
                )
        if args.command is None:
            parser.print_help()
            return EXIT_BAD_INPUT
        if args.command == "run" and "run" not in ours:  # hypermax WORD, as hypermax run WORD
            mistyped = mistyped_command(args.spec)
            if mistyped is not None:
                raise UsageError(mistyped)
        for word, named in (
            ("SPEC", getattr(args, "spec", None)),
            ("RESULTS_DIR", getattr(args, "results_dir", None)),
        ):
            if named == "":  # an unset variable's "$DIR": not the current folder
                raise UsageError(f"hypermax {args.command}: {word}: must not be empty")
            if isinstance(named, str) and not os.path.isabs(named):  # from the current folder
                current_folder(named)
        if args.command in _READ_A_RESULTS_FOLDER:
            from hypermax.commands import results_folder_named

            args.results_dir = results_folder_named(args.results_dir)
        handler: Callable[[argparse.Namespace], int] = _HANDLERS[args.command]
        from hypermax.entry import raise_interrupt
        from hypermax.interrupts import signals_to

        with signals_to(raise_interrupt):
            try:
                return handler(args)
            except SystemExit as exc:  # a plugin optimizer's sys.exit() (hypermax sample)
                return crashed(exc, debug)
    except (Exception, KeyboardInterrupt) as exc:
        return failed(exc, debug)


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    def call(args: argparse.Namespace) -> int:
        import importlib

        return int(getattr(importlib.import_module(module), name)(args))

    return call


_HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "validate": _lazy("hypermax.cli.validate", "cmd_validate"),
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
