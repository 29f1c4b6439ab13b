"""Starting a process from hypermax while a terminal's Ctrl-Z may come: a trial's, a probe's.

Python starts a process by ``vfork`` when it has no function to run in the child: the thread
that starts it waits, and cannot stop, until the child has run its ``exec``. A Ctrl-Z that
reaches the child in that window (still in hypermax's process group) stopped it there, before
its ``exec``; the starting thread then never returned, hypermax, stopping itself for the
shell, never stopped (or its main thread, starting it, never ran its handlers), and the shell
hung. :func:`start` holds the terminal's stops (:data:`JOB_STOPS`) in the starting thread
while the process starts: the child takes them blocked through its ``exec``, so that no stop
reaches it before then. The program then starts with them blocked, a stop sent meanwhile
pending: hypermax's own programs let them in at once (the trial's bootstrap,
:mod:`.child`, in a session of its own, where the kernel drops such a stop), and a short
helper (a probe, ``tput``) ends before it would matter. A process started by ``fork`` (a
function to run in the child: an executable trial's ties to hypermax) needs none of it: its
starting thread can stop, and its program starts with hypermax's signal mask.

:func:`run_briefly` runs a short helper to its end that way, in a session of its own: the
terminal's signals do not reach it, and whatever it leaves running, or holding its output, is
killed with its group when it ends or runs out of time.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: the signals with which a terminal stops a process: Ctrl-Z, and a job in the background that
#: reads from the terminal or writes to it (under ``stty tostop``)
JOB_STOPS = frozenset({signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU})

_READ_SIZE = 65536
_POLL_SECONDS = 0.01  # where no pidfd tells a process's end


def start(argv: Sequence[str], **options: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen(argv, **options)``, which no terminal's stop can catch half-started.

    Without a ``preexec_fn``, the process starts with :data:`JOB_STOPS` blocked (see the
    module's docstring); one of hypermax's own programs that runs on unblocks them."""
    if options.get("preexec_fn") is not None:  # forked: the starting thread can stop
        return subprocess.Popen(argv, **options)
    held = signal.pthread_sigmask(signal.SIG_BLOCK, JOB_STOPS)
    try:
        return subprocess.Popen(argv, **options)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


@dataclass(frozen=True)
class Ran:
    """How a short helper ended: its exit code (None: it ran out of time and was killed) and
    what it wrote on its standard output."""

    exit_code: int | None
    output: bytes


def run_briefly(argv: Sequence[str], timeout: float, **options: Any) -> Ran:
    """Run ``argv`` (with ``Popen``'s ``options``: ``env``, ``cwd``) to its end, at most
    ``timeout`` seconds, with no input, its output read and its errors dropped; raises what
    ``Popen`` raises when it cannot start.

    It runs in a session of its own, out of the terminal's reach. Once it has ended, or run
    out of time, what is left of its process group is killed (SIGKILL): a process it left
    behind holds its output no longer, and is not left running."""
    process = start(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        **options,
    )
    assert process.stdout is not None
    output = bytearray()
    deadline = time.monotonic() + timeout
    try:
        ended = _read_until_ended(process, output, deadline)
    finally:
        # before it is reaped: while its leader is a zombie, the group is still its own
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
        _read_ready(process.stdout.fileno(), output)
        process.stdout.close()
        process.wait()
    return Ran(process.returncode if ended else None, bytes(output))


def _read_until_ended(process: subprocess.Popen[Any], output: bytearray, deadline: float) -> bool:
    """Read ``process``'s output into ``output`` until it has ended (True) or ``deadline``
    (of ``time.monotonic``) has passed (False). It is not reaped."""
    assert process.stdout is not None
    out = process.stdout.fileno()
    try:
        pidfd: int | None = os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        pidfd = None
    try:
        watched = [out] if pidfd is None else [out, pidfd]
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return _ended(process)
            if pidfd is None:  # no way to be woken by its end: looked at in steps
                left = min(left, _POLL_SECONDS)
            ready: list[int] = []
            if watched:
                ready = select.select(watched, [], [], left)[0]
            else:
                time.sleep(left)
            if out in ready:
                chunk = os.read(out, _READ_SIZE)
                if chunk:
                    output += chunk
                    continue
                watched.remove(out)  # its output closed: only its end is awaited now
            if (pidfd is not None and pidfd in ready) or (pidfd is None and _ended(process)):
                return True
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _ended(process: subprocess.Popen[Any]) -> bool:
    """Whether ``process`` has ended, without reaping it."""
    try:
        found = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return found is not None


def _read_ready(fd: int, output: bytearray) -> None:
    """Add to ``output`` what the pipe ``fd`` holds now, without waiting for more."""
    os.set_blocking(fd, False)
    with contextlib.suppress(OSError):
        while chunk := os.read(fd, _READ_SIZE):
            output += chunk
