"""The ``hypermax`` program's first module: the console script's and ``python -m hypermax``'s.

It routes the signals that interrupt a command before the command line is imported: a Ctrl-C,
SIGTERM, SIGQUIT or SIGHUP that comes while argparse and hypermax's own modules are imported
ends hypermax as Ctrl-C does anywhere else (exit 130, one line, no traceback), where Ctrl-C
printed a KeyboardInterrupt traceback and the others killed it (exit status -15, -3, -1).
What is left before the routing is the interpreter's own start-up.

It holds what the program knows of its end as well: once a command concluded its work
(:func:`concluded`), an interrupt ends the program at once with the command's own exit code.

It imports the interpreter's built-in modules only: whatever it imported would come before the
routing.
"""

from __future__ import annotations

import _signal  # signal's built-in half: the ``signal`` module makes enums first (0.5 ms)
import atexit
import os
import sys

TYPE_CHECKING = False  # typing itself is not imported: see above

if TYPE_CHECKING:
    from types import FrameType

#: the exit code of hypermax when a command was interrupted (Ctrl-C)
EXIT_INTERRUPTED = 130
#: the signals that end a command as Ctrl-C does (each unless it is ignored)
_INTERRUPTING = (_signal.SIGINT, _signal.SIGTERM, _signal.SIGQUIT, _signal.SIGHUP)
#: whether the ``hypermax`` program routed the signals (:func:`interrupt_as_ctrl_c`)
_ROUTED: list[bool] = []
#: the exit code of the command whose work is done, once it concluded (:func:`concluded`)
_CONCLUDED: list[int] = []


def raise_interrupt(signum: int, frame: FrameType | None) -> None:
    """A signal handler that ends what the main thread does as Ctrl-C does: it raises
    KeyboardInterrupt. Once the command concluded (:func:`concluded`), it ends the program at
    once with the command's exit code instead: the command's work is done."""
    if _CONCLUDED:
        os._exit(_CONCLUDED[-1])
    raise KeyboardInterrupt


def interrupt_as_ctrl_c() -> None:
    """From now on, SIGINT, SIGTERM, SIGQUIT and SIGHUP (each unless it is ignored or handled)
    call :func:`raise_interrupt`, as Ctrl-C does: before a command routes them its own way,
    their default action killed hypermax (exit status -15), where Ctrl-C ended it with 130.
    For the ``hypermax`` program only: :func:`concluded` takes effect after it."""
    for sig in _INTERRUPTING:
        now = _signal.getsignal(sig)
        if now is _signal.SIG_DFL or now is _signal.default_int_handler:
            _signal.signal(sig, raise_interrupt)
    if not _ROUTED:  # the first callback registered: the exit calls it last
        atexit.register(_ignore_interrupts_to_the_end)
    _ROUTED[:] = [True]


def _ignore_interrupts_to_the_end() -> None:
    """The last of the exit's ``atexit`` callbacks: once the command concluded, ignore the
    interrupting signals for the rest of the exit. The interpreter takes its own handlers away
    next, which puts the signals back to their default action while it takes its modules
    apart: a Ctrl-C then killed hypermax (exit status -2) in its last milliseconds, whatever
    its exit code."""
    if _CONCLUDED:
        for sig in _INTERRUPTING:
            _signal.signal(sig, _signal.SIG_IGN)


def concluded(code: int) -> None:
    """The command's work is done (a search: its summary shown, its journal closed) and
    ``code`` is its exit code: in the ``hypermax`` program, from now on, an interrupt that
    :func:`raise_interrupt` handles ends the process at once with ``code``, as one that comes
    once the command returned does; what the command still writes is then left unwritten.
    Elsewhere (``main()`` run by a process that goes on) nothing changes."""
    if _ROUTED:
        _CONCLUDED[:] = [code]


def interrupted() -> int:
    """End a command that an interrupt stopped: another interrupt ends the program at once,
    "hypermax: interrupted" goes to stderr, and the exit code is :data:`EXIT_INTERRUPTED`."""
    _CONCLUDED[:] = [EXIT_INTERRUPTED]
    for sig in _INTERRUPTING:
        if _signal.getsignal(sig) is not _signal.SIG_IGN:
            _signal.signal(sig, raise_interrupt)
    forget_caught_interrupts()
    try:
        sys.stderr.write("hypermax: interrupted\n")
        sys.stderr.flush()
    except Exception:  # a closed stderr: nothing more can be said
        pass
    return EXIT_INTERRUPTED


def forget_caught_interrupts() -> None:
    """Clear Python's note of a KeyboardInterrupt that left code it ran from a text.

    ``dataclasses`` and ``collections.namedtuple`` make their methods by ``exec`` of a text; a
    Ctrl-C (or a SIGTERM, which hypermax turns into one) that comes meanwhile, as a module is
    imported, raises KeyboardInterrupt there, and CPython then notes it as unhandled even when
    hypermax catches it: its exit ends by a SIGINT to itself (exit status -2), whatever exit code
    the command returned (130). Each run of code from a text starts by clearing that note, and
    this one raises nothing, so that the command's own exit code stands."""
    exec("None")


def run() -> int:
    """The ``hypermax`` program: route the interrupting signals, then import the command line
    and run it (:func:`hypermax.cli.program.run`). An interrupt during that import, or before
    the command line could handle it, ends it as Ctrl-C does: exit 130, one line."""
    interrupt_as_ctrl_c()
    try:
        from hypermax.cli.program import run as program

        return program()
    except KeyboardInterrupt:
        return interrupted()
