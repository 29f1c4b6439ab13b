"""The command's standard output: characters it cannot encode, and a reader gone away.

``hypermax export DIR | head -1`` closes stdout under the command; what is left unwritten then
is dropped and the command ends with its own exit code.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys


def escape_unencodable_output() -> None:
    """Have stdout write a character its encoding cannot hold as its escape (``\\xe9``), as
    Python's stderr does: a param beyond ASCII under an ASCII locale (``LC_ALL=C`` with
    ``PYTHONUTF8=0``), a lone surrogate under any, ended the command's output (a search's last
    lines, ``show``, ``export``) in an unexpected error."""
    stream = sys.stdout
    if isinstance(stream, io.TextIOWrapper) and stream.errors in ("strict", "surrogateescape"):
        with contextlib.suppress(ValueError, OSError):  # closed, or not to be changed now
            stream.reconfigure(errors="backslashreplace")


def fill_closed_standard_fds() -> None:
    """Open ``/dev/null`` on each standard stream's descriptor (0, 1, 2) that is closed
    (``hypermax ... <&- >&- 2>&-``, as some daemons and schedulers start a program).

    The first files a command opens would take those numbers otherwise: the results folder's
    lock and journal did, and a library's message to stderr (C code, a plugin, a program it
    starts without a stderr of its own) went into the journal. Python keeps stdin and stdout
    None (nothing printed goes anywhere); stderr is written to ``/dev/null``, since a line
    printed to a None ``sys.stderr`` goes to stdout: an error into ``export``'s data."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            with contextlib.suppress(OSError):
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:  # the lowest free number: fd itself, but for a race
                    os.dup2(null, fd)
                    os.close(null)
                if fd == 2 and sys.stderr is None:
                    sys.stderr = open(2, "w", closefd=False, errors="backslashreplace")  # noqa: SIM115


def flush_stdout() -> None:
    """Flush stdout now rather than in the interpreter's exit, which reports a reader gone away
    as an error (and exits 120); any other failure to write is left to it, as before."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        drop_output()
    except (OSError, ValueError):
        pass


def reader_gone() -> bool:
    """Whether stdout is a pipe whose reader closed it (``| head`` took what it wanted), rather
    than some other pipe of the command broken."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
    except (AttributeError, ValueError, OSError):  # io.UnsupportedOperation: not a file
        return False
    return any(events & select.POLLERR for _, events in poller.poll(0))


def drop_output() -> None:
    """Send what stdout still holds, and anything written to it later, to ``/dev/null``."""
    with contextlib.suppress(AttributeError, ValueError, OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
