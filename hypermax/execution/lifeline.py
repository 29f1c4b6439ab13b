"""In a trial process: die with hypermax, where the launcher could not arrange it before.

The launcher ties a trial to hypermax between fork and exec (:mod:`.tether`); a trial that
starts as ``python_function`` may be left to tie itself when it starts (:func:`tie_to_hypermax`),
and where the kernel could not be made to kill it when the lifeline pipe closes, a thread
watches that pipe (:func:`watch_lifeline`). Imported by the child bootstrap: standard library
only.
"""

from __future__ import annotations

import _signal  # signal's C half: ``signal`` imports enum, which every trial would pay for
import fcntl
import os

from hypermax.execution import protocol

TYPE_CHECKING = False  # typing itself is not imported: every trial process imports this module

if TYPE_CHECKING:
    from typing import Any


def tie_to_hypermax() -> None:
    """Arm the parent-death signal and the lifeline here, when the launcher left it to the
    trial (``HYPERMAX_PARENT_PID``): the same ties as between fork and exec, and the same check
    that hypermax did not die before they held (then the trial exits at once)."""
    parent = os.environ.pop(protocol.PARENT_PID_ENV, "")
    if parent.isdigit():
        from hypermax.execution.tether import child_setup

        child_setup(int(parent), _lifeline_fd())()


def watch_lifeline(fd: int | None = None) -> Any:
    """When the lifeline (``fd``, else the one the environment names) is not armed in the
    kernel, watch it from a thread; return the thread.

    The watcher kills the trial's whole process group (this process included) once the pipe
    reaches end of file, which happens when hypermax exits, however it exits.
    """
    if fd is None:
        fd = _lifeline_fd()
    if fd is None or _armed(fd):
        return None
    import threading  # only here: most trials never need it

    watcher = threading.Thread(target=_die_with_lifeline, args=(fd,), daemon=True)
    watcher.start()
    return watcher


def _lifeline_fd() -> int | None:
    value = os.environ.get(protocol.LIFELINE_FD_ENV, "")
    if not value.isdigit():
        return None
    try:
        os.fstat(int(value))
    except OSError:
        return None
    return int(value)


def _armed(fd: int) -> bool:
    """Whether the runner set the pipe to signal the trial at end of file.

    The owner (the trial's process group) is not read back: ``F_GETOWN`` cannot return a
    group on every platform, and only the launcher sets SIGKILL and ``O_ASYNC`` on this pipe.
    """
    getsig = getattr(fcntl, "F_GETSIG", None)
    if getsig is None:
        return False
    try:
        async_on = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ASYNC
        return bool(async_on) and fcntl.fcntl(fd, getsig) == _signal.SIGKILL
    except OSError:
        return False


def _die_with_lifeline(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except OSError:
        pass  # a broken pipe means the same as its end: hypermax is gone
    if os.getpgid(0) == os.getpid():  # the trial leads its own group: take all of it along
        try:  # noqa: SIM105 - contextlib costs every trial an import
            os.killpg(os.getpid(), _signal.SIGKILL)
        except OSError:
            pass  # then at least this process goes
    os._exit(1)
