"""hypermax as PID 1 of a container (``docker run IMAGE hypermax search.json``): a small init in
front of the command, as ``docker run --init`` puts one there.

PID 1 is the parent of every orphan in its pid namespace: the processes a trial left behind
(a launcher's workers, a shell's background job) become its children when the trial ends, and
stay zombies until it reaps them. A search of thousands of trials filled the container's
process table so with zombies, until no trial could start. hypermax reaps only the children it
started (a reap of any child would take the exit codes its trials are waited for), so as PID 1
it forks: the first process reaps every orphan and passes the signals sent to it on, and the
second runs the command, as any other hypermax does.
"""

from __future__ import annotations

import contextlib
import os
import signal

#: the signals the init passes on to the command: those that stop a search or mean something
#: to a program (a container's stop is SIGTERM)
FORWARDED = (
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGWINCH,
    signal.SIGCONT,
)
#: ``si_code`` of a signal the kernel sent: a terminal's Ctrl-C, Ctrl-\\ and hang-up, which
#: reach the command itself (it is in the init's process group, on the terminal)
_SI_KERNEL = 0x80


def run_as_init() -> int | None:
    """When this process is PID 1: fork; in the child, return None (it goes on to run the
    command); in this process, reap every child and pass the :data:`FORWARDED` signals on to
    the command until it ends, and return its exit code (128 + N when signal N ended it).
    Anywhere else, return None at once."""
    if os.getpid() != 1:
        return None
    waited = {*FORWARDED, signal.SIGCHLD}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, waited)  # none lost before the loop
    try:
        command = os.fork()
    except OSError:  # no process to spare: the command runs as PID 1
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
        return None
    if command == 0:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
        return None
    return _reap_and_forward(command, waited)


def _reap_and_forward(command: int, waited: set[signal.Signals]) -> int:
    """The init's loop: the command's exit code once it ended."""
    while True:
        info = signal.sigwaitinfo(waited)
        if info.si_signo != signal.SIGCHLD:
            if info.si_code != _SI_KERNEL:
                with contextlib.suppress(ProcessLookupError):  # it ended: SIGCHLD is pending
                    os.kill(command, info.si_signo)
            continue
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            if pid == 0:
                break
            if pid == command:
                code = os.waitstatus_to_exitcode(status)
                return code if code >= 0 else 128 - code
