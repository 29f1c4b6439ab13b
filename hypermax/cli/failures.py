"""How a command that failed ends: one line on stderr, and its exit code.

A user's mistake (a :class:`~hypermax.errors.HypermaxError`) prints its own lines, Ctrl-C
exits 130, and anything else (a bug, a broken plugin) is one line whose traceback goes to a log
(or to stderr with ``--debug``).
"""

from __future__ import annotations

import contextlib
import sys

from hypermax.cli.stdout import drop_output, reader_gone
from hypermax.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SEARCH_FAILED,
    Crashed,
    HypermaxError,
    save_traceback,
    unexpected,
)


def failed(exc: BaseException, debug: bool) -> int:
    """The exit code of a command that raised ``exc``, once what it has to say is on stderr."""
    if isinstance(exc, HypermaxError):
        if debug:
            import traceback

            traceback.print_exception(exc)
        for line in str(exc).splitlines():
            _say(line)
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        _say("hypermax: interrupted")
        return EXIT_INTERRUPTED
    if isinstance(exc, BrokenPipeError):
        if not reader_gone():
            return crashed(exc, debug)
        drop_output()  # the reader took what it wanted (``| head``): the work is done
        return EXIT_OK
    return crashed(exc, debug)  # a bug or a broken plugin: one line; the traceback to a log


def crashed(exc: BaseException, debug: bool) -> int:
    """An unexpected error as one line (its traceback in a log, or shown with ``--debug``)."""
    error, log = (exc.error, exc.log) if isinstance(exc, Crashed) else (exc, None)
    if debug:
        import traceback

        traceback.print_exception(error)
    _say(f"hypermax: {unexpected(error, log or save_traceback(error))}")
    return EXIT_SEARCH_FAILED


def _say(line: str) -> None:
    """``line`` on stderr, unless it cannot be written there (a pipe whose reader is gone, a
    full disk): the command's exit code says what happened all the same."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr)
