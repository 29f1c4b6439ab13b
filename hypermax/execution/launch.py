"""Start a trial's process and learn how it ended: the launcher seam and its one implementation.

A :class:`Launcher` turns a :class:`LaunchRequest` (what to run, where, with which pipes) into a
:class:`LaunchedProcess`, whose :meth:`~LaunchedProcess.wait` blocks until the process ended and
says how (:class:`ExitStatus`). The trial unit needs nothing else of it, so a launcher that forks
trials from a warm server process, which reports their exit for them, fits the same seam.

:class:`SubprocessLauncher` starts a fresh interpreter or the spec's executable, in a session of
its own, tied to hypermax before it execs (:mod:`.tether`): it gets SIGKILL when hypermax dies
(Linux parent-death signal, checked against a parent that died before it was armed), and the
lifeline pipe, whose write end only hypermax holds, sends SIGKILL to its whole process group when
it closes. :class:`~hypermax.execution.preload.PreloadLauncher` forks ``python_function`` trials
from a server that imported the objective once instead.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import subprocess
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypermax import system_text
from hypermax.execution import process_start, procfs, protocol
from hypermax.execution.fresh import FreshStart
from hypermax.execution.tether import child_setup
from hypermax.scripts import first_line_problem, not_runnable
from hypermax.search_log import TOLD
from hypermax.values import quoted

log = logging.getLogger("hypermax")


@dataclass(frozen=True)
class LaunchRequest:
    """What to start: command, environment, folder, and the pipes the process writes to.

    ``stdout`` and ``stderr`` are the write ends of the trial's output pipes and ``lifeline`` the
    read end of its lifeline; the launched process must hold them, and the caller closes its own
    copies once :meth:`Launcher.launch` returned.
    """

    argv: tuple[str, ...]
    env: dict[str, str]
    cwd: str
    stdout: int
    stderr: int
    lifeline: int


@dataclass(frozen=True)
class ExitStatus:
    """How a launched process ended; None where the launcher cannot tell.

    ``exit_code`` is negative for a signal (``-9``: SIGKILL); ``peak_rss_mib`` is the process's
    own high-water mark and ``cpu_seconds`` its user plus system time. ``lost`` says, when the
    launcher knows nothing of how the process ended, why (the server that reaped it died).
    ``result``: the result (its JSON) the trial sent its launcher instead of writing its result
    file (see :meth:`LaunchedProcess.sent_result`).
    """

    exit_code: int | None = None
    peak_rss_mib: float | None = None
    cpu_seconds: float | None = None
    lost: str | None = None
    result: bytes | None = None


class LaunchError(Exception):
    """The process could not be started; the message says why, in one line."""


class LaunchInterrupted(LaunchError):
    """The search was interrupted before the process started: it will not start."""


class LaunchedProcess(ABC):
    """A started trial process: its pid and create time name it; :meth:`wait` reaps it.

    A ``create_time`` of 0 is not known yet: the watchdog's first look at the process, which
    reads it anyway, tells it (:meth:`seen_start`).
    """

    def __init__(self, pid: int, create_time: float) -> None:
        self.pid = pid
        self.create_time = create_time

    def seen_start(self, start: float | None) -> None:
        """The watchdog's first look found the process started at ``start``
        (:attr:`~.procfs.ProcInfo.start`; None: it found it gone): its create time, unless the
        launcher told it."""
        if self.create_time:
            return
        if start is not None:
            self.create_time = procfs.create_time_of(start)
        else:
            self.create_time = procfs.create_time(self.pid)

    @abstractmethod
    def wait(self) -> ExitStatus:
        """Block until the process ended; how it ended. Called once, from one thread."""

    def sent_result(self) -> bytes | None:
        """The result (its JSON) the trial has sent its launcher so far, rather than writing
        its result file (a forked ``python_function`` trial sends a small one); None when it
        sent none. Any thread may ask, at any time; it never waits."""
        return None


class Launcher(ABC):
    """Starts trial processes."""

    #: set by :meth:`interrupt`: starts under way give up, and no start begins
    interrupted = False
    #: where :meth:`say` sends a line for the user besides hypermax's log (the runner's notes)
    listener: Callable[[str, bool], None] | None = None
    _said: frozenset[str] = frozenset()  # the keys of what :meth:`say_once` said

    def say(self, text: str) -> None:
        """A line for the user about how trials start (a preload server refused): it goes to
        hypermax's log, and to :attr:`listener`, which the runner hands on as a note."""
        (TOLD if self.listener is not None else log).warning("%s", text)
        if self.listener is not None:
            self.listener(text, False)

    def say_once(self, key: str, text: str) -> None:
        """:meth:`say` ``text``, the first time it is said for ``key`` only."""
        if key not in self._said:
            self._said = self._said | {key}
            self.say(text)

    def tell(self, text: str, news: bool = False) -> None:
        """A line for the user about a start under way (a preload server's import that takes
        long): to :attr:`listener` only (and to hypermax's log, without one), as information,
        not a warning; ``news``: see :attr:`hypermax.events.Message.news`."""
        if self.listener is not None:
            self.listener(text, news)
        else:
            log.info("%s", text)

    @abstractmethod
    def launch(self, request: LaunchRequest) -> LaunchedProcess:
        """Start the process ``request`` describes; raises :class:`LaunchError` if it cannot.

        Runs in the thread that submits trials, which must live as long as they do (Linux sends
        the parent-death signal when the thread that forked exits).
        """

    def interrupt(self) -> None:
        """The search is being interrupted: a start that waits (a preload server still
        importing the objective) gives up, raising :class:`LaunchInterrupted`, and so does
        every start after. Only sets a flag: safe from any thread and from a signal handler."""
        self.interrupted = True

    def close(self) -> None:  # noqa: B027 - most launchers hold nothing
        """Free what the launcher holds (a server process); call once every trial has ended."""


# -- a fresh process per trial --------------------------------------------------------------
class SubprocessLauncher(Launcher):
    """Each trial is a fresh process (``subprocess.Popen``) and a child of this one.

    A ``python_function`` trial ties itself to hypermax as its bootstrap starts (told hypermax's
    pid in ``HYPERMAX_PARENT_PID``), which lets ``Popen`` start it with ``vfork``: no copy of
    hypermax's page tables per trial (:func:`.process_start.start`: the terminal's Ctrl-Z cannot
    stop it half-started). An executable is tied between fork and exec.
    """

    def __init__(self) -> None:
        self._fresh = FreshStart()

    def launch(self, request: LaunchRequest) -> LaunchedProcess:
        env = system_text.os_environ(
            {**request.env, protocol.LIFELINE_FD_ENV: str(request.lifeline)}
        )
        argv: Sequence[str] = [system_text.os_text(part) for part in request.argv]
        setup = None
        if request.argv[1:3] == protocol.CHILD_ARGS:
            env[protocol.PARENT_PID_ENV] = str(os.getpid())
            argv, env = self._fresh.command(tuple(argv), env, system_text.os_text(request.cwd))
        else:
            setup = child_setup(os.getpid(), request.lifeline)
        try:
            popen = process_start.start(
                argv,
                cwd=system_text.os_text(request.cwd),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=request.stdout,
                stderr=request.stderr,
                pass_fds=(request.lifeline,),
                start_new_session=True,
                preexec_fn=setup,
            )
        except OSError as exc:
            raise LaunchError(start_problem(exc, request)) from exc
        except subprocess.SubprocessError as exc:
            raise LaunchError(str(exc)) from exc
        except ValueError as exc:  # a NUL byte, which no command line or environment carries
            where = _holding_nul(argv, env)
            if where is None:
                raise
            raise LaunchError(
                f"its {where} holds a NUL byte (\\x00), which no program can be given"
            ) from exc
        # what it carried of hypermax as it started: read once it runs, off the way to its start
        return _Child(popen, _carried_rss_mib(shares_memory=setup is None))


def _carried_rss_mib(shares_memory: bool) -> float:
    """What the kernel carries from hypermax into the ``ru_maxrss`` of a trial it starts (MiB).

    A child started with ``vfork`` (``shares_memory``: no setup to run between fork and exec)
    runs in hypermax's memory until its ``exec``, and takes hypermax's high-water mark from
    there: a search run from a process that once held a large dataset would otherwise record
    that peak for each of its trials. A forked child takes the memory hypermax holds now.
    """
    pid = os.getpid()
    if shares_memory:
        peak = procfs.read_peak_rss(pid)
        return peak / procfs.MIB if peak else float("inf")
    own = procfs.read_proc(pid)
    return own.rss / procfs.MIB if own is not None else float("inf")


def start_problem(exc: OSError, request: LaunchRequest) -> str:
    """Why the program did not start, in one line. The kernel says a script whose first line
    names an interpreter it cannot find is not there ("No such file or directory"): that line
    is named instead, and a script without one ("Exec format error") is said to be one; a
    program that may not run ("Permission denied") is said to be a folder, or not executable."""
    if exc.errno == errno.E2BIG:
        return _too_long(request.argv, request.env) or str(exc)
    program = request.argv[0]
    path = request.env.get("PATH")
    if "/" not in program:
        found = shutil.which(program, path=path)
        if found is None and exc.errno == errno.ENOENT:  # as validate says it
            return f"cannot find program {quoted(program)} on PATH"
        program = found or program
    program = os.path.join(request.cwd, program)
    if exc.errno == errno.EACCES:  # as validate says it: its rights changed since, or a folder
        return not_runnable(request.argv[0], program) or str(exc)
    if exc.errno not in (errno.ENOENT, errno.ENOEXEC) or not os.path.isfile(program):
        return str(exc)
    why = first_line_problem(program, path)
    return str(exc) if why is None else f"{request.argv[0]}: {why}"


class _Child(LaunchedProcess):
    def __init__(self, popen: subprocess.Popen[bytes], carried_mib: float) -> None:
        # its create time from the watchdog's first look: a child of this process is there
        # to read until it is reaped
        super().__init__(popen.pid, 0.0)
        self._popen = popen
        self._carried_mib = carried_mib

    def wait(self) -> ExitStatus:
        """Reap with ``wait4``, which also gives the process's peak RSS and CPU time.

        All None when something else in this process reaped it first (a library that waits for
        any child): the process is gone, but how it ended is not known.
        """
        try:
            _, status, usage = os.wait4(self.pid, 0)
        except ChildProcessError:
            self._popen.returncode = -1  # reaped elsewhere: Popen must not wait for it again
            return ExitStatus()
        code = os.waitstatus_to_exitcode(status)
        self._popen.returncode = code
        return ExitStatus(
            exit_code=code,
            peak_rss_mib=own_maxrss_mib(usage, self._carried_mib),
            cpu_seconds=usage.ru_utime + usage.ru_stime,
        )


def own_maxrss_mib(usage: Any, carried_mib: float) -> float | None:
    """The process's peak RSS from ``wait4`` in MiB, or None when it says nothing about it.

    The kernel carries the high-water mark of the memory a process had before ``exec`` into its
    ``ru_maxrss``, and before ``exec`` a trial is hypermax's memory or a copy of it. So the figure
    is the trial's own only when it is above what it carried (:func:`_carried_rss_mib`).
    """
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, kilobytes on Linux
    maxrss = float(usage.ru_maxrss) * scale / procfs.MIB
    return maxrss if maxrss > carried_mib + 2.0 else None


def _too_long(argv: Sequence[str], env: dict[str, str]) -> str | None:
    """Which argument or environment variable of a process is longer than the system lets
    one be, if one is."""
    limit = f"more than the {system_text.MAX_ARG_BYTES // 1024} KiB the system lets one be"
    for index, arg in enumerate(argv):
        size = system_text.os_size(arg) + 1
        if size > system_text.MAX_ARG_BYTES:
            return f"its argument {index} ({arg[:20]}...) is {size // 1024} KiB long, {limit}"
    for name, value in env.items():
        size = system_text.os_size(name) + system_text.os_size(value) + 2
        if size > system_text.MAX_ARG_BYTES:
            return f"its environment variable {name} is {size // 1024} KiB long, {limit}"
    return None


def _holding_nul(argv: Sequence[str], env: dict[str, str]) -> str | None:
    """Which of a process's command line and environment holds a NUL byte, if one does."""
    if any("\0" in arg for arg in argv):
        return "command line"
    if any("\0" in text for pair in env.items() for text in pair):
        return "environment"
    return None
