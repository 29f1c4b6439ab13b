"""Command line: one module a job, one function per subcommand, each returning an exit code.

:mod:`.program` runs the ``hypermax`` program (:func:`main`, :func:`run`); :mod:`.parser` reads
its line; :mod:`.options` turns options into the spec's values; :mod:`.failures` ends a command
that failed with its line and exit code; :mod:`.stdout` keeps its output writable to the end;
:mod:`.pid_one` is the init in front of a command run as PID 1 of a container;
:mod:`.validate` is ``hypermax validate`` (the other subcommands live where their work does:
:mod:`hypermax.commands`, :mod:`hypermax.plots`, :mod:`hypermax.templates`,
:mod:`hypermax.quick`).

``hypermax --help`` must cost little more than starting the interpreter: this package imports
argparse and the error types, and everything else where it is used.
"""

from __future__ import annotations

from hypermax.cli.options import load_with_options, option_values
from hypermax.cli.parser import QUICK_HELP, SUBCOMMANDS, build_parser
from hypermax.cli.program import main, run
from hypermax.cli.stdout import escape_unencodable_output

__all__ = [
    "QUICK_HELP",
    "SUBCOMMANDS",
    "build_parser",
    "escape_unencodable_output",
    "load_with_options",
    "main",
    "option_values",
    "run",
]
