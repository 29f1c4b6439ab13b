"""Tie a trial process's life to its parent's: what runs in the child between fork and its work.

A trial must die when hypermax dies, however hypermax ends. Two kernel mechanisms arrange it,
armed in the child right after the fork (before ``exec`` for a fresh process, before the trial
function for a trial forked from a preloaded server):

- the parent-death signal: SIGKILL when the parent (the thread that forked) ends;
- the lifeline pipe, whose write end only hypermax holds: when it closes, the kernel sends
  SIGKILL to the trial's whole process group (``F_SETOWN``/``F_SETSIG``/``O_ASYNC``).

It also makes the process the first the kernel's out-of-memory killer takes when the machine
(or its memory cgroup) runs out of memory (``oom_score_adj`` 1000, which what it starts
inherits): a trial is what a search can lose and run again, not hypermax, which would take
every running trial with it, nor the user's other programs.

Standard library only, and everything looked up here before any fork: the child must not import
or load anything between fork and exec.
"""

from __future__ import annotations

import _signal  # signal's C half: ``signal`` imports enum, which every trial would pay for
import fcntl
import os
import sys

TYPE_CHECKING = False  # typing itself is not imported: trial processes import this module

if TYPE_CHECKING:
    from collections.abc import Callable

_PR_SET_PDEATHSIG = 1
#: a trial's ``oom_score_adj``: the out-of-memory killer's first choice
OOM_SCORE_ADJ = b"1000"


def _load_prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, looked up once here: the child must not import or load anything.

    Through ``ctypes``' C half: ``import ctypes`` (its classes for every C type, ``struct``)
    would cost each fresh trial, which ties itself to hypermax, about 3 ms.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        import _ctypes

        class _Int(_ctypes._SimpleCData):  # ctypes.c_int
            _type_ = "i"

        class _Function(_ctypes.CFuncPtr):  # what ctypes.CDLL(None) makes
            # without FUNCFLAG_USE_ERRNO (its errno is never read): keeping ``errno`` aside
            # for ``ctypes.get_errno`` makes objects, which costs a forked trial 20 page copies
            _flags_ = _ctypes.FUNCFLAG_CDECL
            _restype_ = _Int

        program = _ctypes.dlopen(None)  # type: ignore[arg-type]  # None: the program itself
        prctl: Callable[..., int] = _Function(_ctypes.dlsym(program, "prctl"))
        return prctl
    except (ImportError, OSError, AttributeError):
        return None


_PRCTL = _load_prctl()
_F_SETSIG: int | None = getattr(fcntl, "F_SETSIG", None)


def child_setup(
    parent_pid: int,
    lifeline: int | None,
    oom_first: bool = True,
    hear_stops: bool = True,
    lifeline_first: bool = False,
) -> Callable[[], None]:
    """What a trial runs first in the forked child: tie its life to its parent's.

    It also gives the child SIGTERM and SIGINT back should it have inherited them ignored, and
    lets in the signals it inherited blocked (:func:`_hear_stops`). The child must already lead
    its own session (``setsid``). Runs in the forked child, so it only calls what was looked up
    in the parent; it exits the child at once when the parent died before any of this was armed.
    Without a ``lifeline``, only the parent-death signal. ``oom_first``: make it the
    out-of-memory killer's first choice (a process forked from one that is already inherits it).
    ``hear_stops=False``: leave SIGTERM and SIGINT, and the signals blocked, as they are (a
    preloaded trial: its server heard them again before it imported the objective, so one
    ignored now is the objective's own choice, as in a fresh trial). ``lifeline_first``: no
    parent-death signal once the lifeline is armed (a process whose group holds processes that
    do not hold the lifeline, as the preload server's does: the signal, sent as the parent's
    thread ends, could kill it, and its children with the pipe's read end, before the parent's
    last thread closes the pipe, and then nothing kills its group).
    """

    def setup() -> None:
        if hear_stops:
            _hear_stops()
        if oom_first:
            _first_for_the_oom_killer()
        armed = False
        if _F_SETSIG is not None and lifeline is not None:
            armed = _arm_lifeline(lifeline, _F_SETSIG)
        if _PRCTL is not None and not (lifeline_first and armed):
            _PRCTL(_PR_SET_PDEATHSIG, _signal.SIGKILL)
        if os.getppid() != parent_pid:  # the parent died before any of that was armed
            os._exit(1)

    return setup


def _hear_stops() -> None:
    """Give SIGTERM (the kill ladder's first step) and SIGINT back their default action when
    this process inherited them ignored (a search run by a service, a script's background job,
    ``nohup``): a trial must end when hypermax asks, with its clean-up, not sit out its grace to
    get SIGKILL. SIGINT gets Python's handler (KeyboardInterrupt) for a trial that runs on in
    Python, which ``exec`` makes the default action for a program. SIGHUP and SIGQUIT stay
    ignored, as ``nohup`` and the shell asked: hypermax stops its trials with neither.

    Nor does it keep a signal blocked: a process forked by a thread that blocks some (a
    program's worker thread that leaves its signals to another's ``sigwait``) keeps that mask
    through ``exec``; a trial would not hear hypermax's SIGTERM, and a preload server that
    blocks SIGCHLD would never hear its trials end."""
    _signal.pthread_sigmask(_signal.SIG_SETMASK, ())
    if _signal.getsignal(_signal.SIGTERM) == _signal.SIG_IGN:
        _signal.signal(_signal.SIGTERM, _signal.SIG_DFL)
    if _signal.getsignal(_signal.SIGINT) == _signal.SIG_IGN:
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)


def _first_for_the_oom_killer() -> None:
    """Raise this process's ``oom_score_adj`` to the most (raising it needs no privilege)."""
    try:
        fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
    except OSError:  # not Linux, or no procfs
        return
    try:
        os.write(fd, OOM_SCORE_ADJ)
    except OSError:
        pass
    finally:
        os.close(fd)


def tie_to_lifeline(parent_pid: int, lifeline: int) -> bool:
    """In a child that :func:`child_setup` already tied to ``parent_pid`` (without a lifeline):
    arm ``lifeline`` too, and exit at once should the parent have died meanwhile. Returns
    whether the kernel watches the pipe (else the caller watches it, :mod:`.child`)."""
    armed = _F_SETSIG is not None and _arm_lifeline(lifeline, _F_SETSIG)
    if os.getppid() != parent_pid:
        os._exit(1)
    return armed


def _arm_lifeline(fd: int, setsig: int) -> bool:
    """Have the kernel SIGKILL this process group when the pipe's last writer closes it;
    whether that is armed."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETOWN, -os.getpid())  # negative: the whole process group
        fcntl.fcntl(fd, setsig, _signal.SIGKILL)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_ASYNC)
    except OSError:
        # not fatal: the parent-death signal still holds, and the child bootstrap watches the
        # pipe from a thread when it finds it not armed
        return False
    return True
