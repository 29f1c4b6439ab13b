"""Route Ctrl-C, Ctrl-\\ (SIGQUIT), SIGTERM and a closed terminal's SIGHUP to a handler while a
search runs, and Ctrl-Z (SIGTSTP) to another: trials lead sessions of their own, so the terminal
stops only hypermax, and hypermax stops them itself."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from hypermax import clock

T = TypeVar("T")

#: the signals with which a terminal stops a process in its background that uses it
TERMINAL_STOPS = (signal.SIGTTOU, signal.SIGTTIN)
#: the standard streams: input, output, errors
_STANDARD_FDS = (0, 1, 2)


@contextlib.contextmanager
def signals_to(
    handler: Callable[[int, Any], None], on_stop: Callable[[int, Any], None] | None = None
) -> Iterator[None]:
    """While inside, SIGINT, SIGTERM, SIGQUIT (Ctrl-\\) and SIGHUP call ``handler`` instead of
    their usual action, and SIGTSTP (Ctrl-Z) calls ``on_stop`` when it is given and SIGTSTP has
    its default action (``on_stop`` must then stop the process itself: see
    :func:`stop_this_process`); so do SIGTTOU and SIGTTIN, with which the terminal stops a
    process in its background that writes there (under ``stty tostop``) or reads from it.

    Each is left as it is when it is ignored, or handled outside Python (:func:`_may_take`):
    SIGHUP (the terminal closed: a window, an ssh connection) under ``nohup``; SIGINT and
    SIGQUIT in the jobs a shell script starts in the background (``search.py &``), where the
    Ctrl-C meant for the script's other commands reaches them too; SIGTERM by a program that
    asked not to be stopped with it. When SIGHUP comes because the terminal hung up, the
    standard streams that were on it are pointed at ``/dev/null`` before ``handler`` runs, so
    that what hypermax still writes while it stops (the interrupt's note, the summary) cannot
    fail. SIGQUIT's own action would end hypermax at once: its trials killed without their grace
    and left unrecorded, the dashboard's screen left on the terminal. Only the main thread can
    set signal handlers; elsewhere this changes nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    on_terminal = terminal_fds()

    def on_hangup(signum: int, frame: Any) -> None:
        leave_terminal(on_terminal)
        handler(signum, frame)

    handlers: dict[int, Callable[[int, Any], None]] = {
        sig: on_hangup if sig == signal.SIGHUP else handler
        for sig in INTERRUPTING
        if _may_take(sig)
    }
    for stop in (signal.SIGTSTP, *TERMINAL_STOPS):
        if on_stop is not None and signal.getsignal(stop) is signal.SIG_DFL:
            handlers[stop] = on_stop
    previous = {sig: signal.signal(sig, action) for sig, action in handlers.items()}
    noted, _Noted.signum = _Noted.signum, None
    try:
        if noted is not None and noted in handlers:  # came as the search was put together
            handlers[noted](noted, None)
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _may_take(sig: int) -> bool:
    """Whether a search may handle ``sig`` for a while, and then put back what it found: not when
    it is ignored, nor when a handler set outside Python (by an application that embeds it, R's
    ``reticulate``, a 3D suite) has it, which Python cannot put back (and which the search then
    failed trying, its own handler left in place)."""
    return signal.getsignal(sig) not in (signal.SIG_IGN, None)


class _Noted:
    """The interrupting signal that came while :func:`interrupts_noted` held it, or None, and
    when (``time.monotonic``)."""

    signum: int | None = None
    at = 0.0


#: how long after a noted signal another one stops what runs at once: sooner, it is the same
#: impatient Ctrl-C pressed twice, which must not cut an import short either
INSIST_AFTER = 2.0


def _note(signum: int, frame: Any) -> None:
    now = time.monotonic()
    if _Noted.signum is None:
        _Noted.signum, _Noted.at = signum, now
    elif now - _Noted.at >= INSIST_AFTER:  # what runs takes long: at once, wherever it is
        raise KeyboardInterrupt


@contextlib.contextmanager
def interrupts_noted() -> Iterator[None]:
    """While inside, SIGINT, SIGTERM, SIGQUIT and SIGHUP (each unless it is ignored) are noted
    instead of raising KeyboardInterrupt wherever the main thread is: a Ctrl-C in the middle
    of the first import of a module (optuna's, as the optimizer is made) left it half made in
    the program that called ``optimize()``, and each later search there crashed on it
    (``module 'optuna.pruners' has no attribute '_filter_study'``). :func:`signals_to`, entered
    inside, hands a noted signal to its handler at once: the search is interrupted as it starts.
    One noted and not handed on raises KeyboardInterrupt as this is left, and another one
    :data:`INSIST_AFTER` seconds or more later at once (what runs may take long: a large
    objective pickled, a warm start read). Only the main thread can set signal handlers;
    elsewhere this changes nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _note) for sig in INTERRUPTING if _may_take(sig)}
    _Noted.signum = None
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        noted, _Noted.signum = _Noted.signum, None
    if noted is not None:
        raise KeyboardInterrupt


#: the searches running in threads other than the main one: how to interrupt each, the event
#: set once it ended, and how long its interrupt may take
_THREAD_SEARCHES: dict[threading.Event, tuple[threading.Thread, Callable[[], None], float]] = {}
_THREAD_SEARCHES_LOCK = threading.Lock()
_AT_SHUTDOWN: list[bool] = []  # whether _interrupt_at_shutdown is registered
#: the threads whose searches the interpreter's exit interrupted and does not wait for
_LEFT_BEHIND: set[threading.Thread] = set()


def _forget_thread_searches() -> None:
    """In a child forked while searches ran in threads: they are the parent's, and their threads
    are not in the child. Its exit (a ``multiprocessing`` worker's too, which runs the
    interpreter's exit steps for threads) must not wait for them to end, as it did for
    ``kill_grace`` + 10 seconds."""
    global _THREAD_SEARCHES_LOCK
    _THREAD_SEARCHES_LOCK = threading.Lock()  # another thread may have held it at the fork
    _THREAD_SEARCHES.clear()


os.register_at_fork(after_in_child=_forget_thread_searches)


@contextlib.contextmanager
def interrupted_at_exit(interrupt: Callable[[], None], wait: float) -> Iterator[None]:
    """While inside, in a thread other than the main one (which alone receives signals, so no
    Ctrl-C reaches this search), the search is interrupted when the program ends without
    waiting for it to end: the main thread ended by Ctrl-C (KeyboardInterrupt), or this
    thread is one the interpreter does not wait for (a daemon thread; one whose ``join``
    Ctrl-C interrupted, on Python 3.11). ``interrupt`` asks the search to stop its trials and
    record them; the program's exit then waits up to ``wait`` seconds for the search to leave
    this block, and a Ctrl-C meanwhile calls ``interrupt`` again (the trials still stopping
    are killed at once). In the main thread this changes nothing: :func:`signals_to` serves
    it."""
    thread = threading.current_thread()
    if thread is threading.main_thread():
        yield
        return
    ended = threading.Event()
    with _THREAD_SEARCHES_LOCK:
        if not _AT_SHUTDOWN:
            try:  # run as the interpreter's exit starts, before it waits for threads
                threading._register_atexit(_interrupt_at_shutdown)  # type: ignore[attr-defined]
            except RuntimeError:  # the exit already started
                pass
            else:
                _AT_SHUTDOWN.append(True)
        _THREAD_SEARCHES[ended] = (thread, interrupt, wait)
    try:
        yield
    finally:
        with _THREAD_SEARCHES_LOCK:
            _THREAD_SEARCHES.pop(ended, None)
        ended.set()


def _interrupt_at_shutdown() -> None:
    """At the interpreter's exit: interrupt the searches of :func:`interrupted_at_exit` that the
    exit would not wait for, and wait for them to record their trials."""
    ctrl_c = isinstance(getattr(sys, "last_value", None), KeyboardInterrupt)
    with _THREAD_SEARCHES_LOCK:
        searches = list(_THREAD_SEARCHES.items())
    waits = []
    for ended, (thread, interrupt, wait) in searches:
        if ctrl_c or thread.daemon or not thread.is_alive():  # alive: the exit waits for it
            if thread.daemon or not thread.is_alive():
                _LEFT_BEHIND.add(thread)
            interrupt()
            waits.append((ended, interrupt, time.monotonic() + wait))
    for ended, _, deadline in waits:
        while not ended.is_set() and time.monotonic() < deadline:
            try:
                ended.wait(deadline - time.monotonic())
            except KeyboardInterrupt:  # Ctrl-C again: the trials still stopping are killed
                for _, again, _ in waits:
                    again()


def left_behind_by_exit() -> None:
    """Block this thread for good if the interpreter's exit interrupted its search and does
    not wait for it (:func:`interrupted_at_exit`): the program is ending, so the code after
    the search does not run, and its exception is not printed, cut off midway, as the
    interpreter goes down. Else return at once."""
    if threading.current_thread() in _LEFT_BEHIND:
        threading.Event().wait()


#: the signals that interrupt a search (each unless it is ignored)
INTERRUPTING = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGHUP)


def ended_by_interrupting(exit_code: int | None) -> bool:
    """Whether a process with ``exit_code`` ended by one of the signals that interrupt a search:
    while a search is interrupted, one sent with hypermax's own (a service manager's stop, a
    cluster job's cancel, an outer hypermax whose trial this search is: its kill ladder)."""
    return exit_code is not None and -exit_code in INTERRUPTING


def exit_on_signals(code: int) -> None:
    """From now on, SIGINT, SIGTERM, SIGQUIT and SIGHUP (each unless it is ignored) end this
    process at once with exit code ``code``: for the exit of a command whose work is done, where
    Ctrl-C raised KeyboardInterrupt in the middle of the interpreter's exit (a traceback, and
    exit -2) and the others killed it. Flush what the process still has to write first."""

    def leave(signum: int, frame: Any) -> None:
        os._exit(code)

    for sig in INTERRUPTING:
        if signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, leave)


#: how long the exit of a command that is done waits for threads it did not start as daemons
THREADS_GRACE = 2.0


def leave_threads(code: int) -> None:
    """From now on (the command is done), should this process still be alive
    :data:`THREADS_GRACE` seconds later with threads running that are not daemons (an optimizer
    plugin's, which it never stopped), exit at once with ``code``, saying so on stderr, its
    output flushed. Python's exit waits for every such thread, and held the finished search for
    ever. The exit is otherwise Python's own: the threads that end at its start (a
    ``ThreadPoolExecutor``'s workers) end, and a process that exits in time is not touched."""

    def leave() -> None:
        main = threading.main_thread()
        left = [t.name for t in threading.enumerate() if t is not main and not t.daemon]
        if not left:
            return  # the exit's own work (its handlers) takes its time: not held by a thread
        with contextlib.suppress(Exception):  # a closed stderr: nothing more can be said
            print(
                f"hypermax: exiting without {len(left)} running thread(s): {', '.join(left)}",
                file=sys.stderr,
            )
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # closed, or a reader gone
                if stream is not None:
                    stream.flush()
        os._exit(code)

    timer = threading.Timer(THREADS_GRACE, leave)
    timer.daemon = True  # it dies with a process that exits in time
    timer.name = "hypermax-exit-watch"
    timer.start()


def leave_terminal(fds: list[int]) -> bool:
    """Point each of ``fds`` (standard streams that were on a terminal) that is no longer a
    terminal (it hung up) at ``/dev/null``; returns whether any was."""
    gone = [fd for fd in fds if not _is_terminal(fd)]
    if not gone:
        return False
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in gone:
            os.dup2(null, fd)
    finally:
        os.close(null)
    return True


def terminal_fds() -> list[int]:
    """The standard streams that are on a terminal now: what :func:`leave_terminal` takes."""
    return [fd for fd in _STANDARD_FDS if _is_terminal(fd)]


def in_foreground(fd: int) -> bool:
    """Whether this process is in the foreground of the terminal on ``fd``: its process group is
    the one a shell gave the terminal to (not a job continued with ``bg`` or started with ``&``,
    whose change of the terminal's modes stops it with SIGTTOU). True when ``fd`` is no terminal
    this process controls (a pseudo-terminal it only opened, one that hung up): nothing stops it
    there."""
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return True


def _is_terminal(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


class WaitInterrupted(Exception):
    """A signal handler of the program's own (a timeout's SIGALRM) raised ``error`` in the thread
    that waited for :func:`run_aside`'s work, which was stopped before this was raised."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def run_aside(work: Callable[[], T], stop: Callable[[], None] | None = None) -> T:
    """Run ``work`` in a thread of its own while this thread, the main one, only waits for it
    and runs the signal handlers of :func:`signals_to`: a handler then never interrupts
    ``work`` in the middle of something (holding a lock, waiting for a trial to start), so
    that Ctrl-Z can stop the trials and this process at once. Returns what ``work`` returned
    and raises what it raised. Outside the main thread, which no signal reaches, it just calls
    ``work``.

    Another handler (the program's) that raises while this thread waits calls ``stop``, which
    must make ``work`` end soon (again at each such raise), waits for it to end, then raises
    :class:`WaitInterrupted` with the first such error; without ``stop`` the error is raised
    at once, ``work`` left running."""
    if threading.current_thread() is not threading.main_thread():
        return work()
    done: list[T] = []
    failed: list[BaseException] = []
    ended = threading.Event()

    def run() -> None:
        try:
            done.append(work())
        except BaseException as exc:  # raised again in the caller's thread
            failed.append(exc)
        finally:
            ended.set()

    thread = threading.Thread(target=run, name="hypermax-driver")
    thread.start()
    raised: list[BaseException] = []
    while not ended.is_set():
        try:  # not thread.join(), which such an error leaves taking the thread for ended
            ended.wait(0.2)  # in steps: the handlers run meanwhile
        except BaseException as exc:
            if stop is None:
                raise
            raised.append(exc)
            stop()
    thread.join()
    if raised:
        raise WaitInterrupted(raised[0])
    if failed:
        raise failed[0]
    return done[0]


def stop_this_process() -> None:
    """Stop this process as Ctrl-Z does (SIGTSTP's default action); return once it continues.

    A process whose group is orphaned (no shell that could continue it) is not stopped: the
    kernel drops the signal, and this returns at once. Call from the main thread (only it can
    set the handler back); Ctrl-Z's handlers, which call this, run there. The time it stood
    still is left out of :func:`hypermax.clock.awake`: no part of the search's time."""
    previous = signal.signal(signal.SIGTSTP, signal.SIG_DFL)
    try:
        with clock.standing_still():
            os.kill(os.getpid(), signal.SIGTSTP)  # a signal to itself: stopped before it returns
    finally:
        signal.signal(signal.SIGTSTP, previous)


def can_stop() -> bool:
    """Whether Ctrl-Z's stop (SIGTSTP's default action) would stop this process: a member of
    its process group has a parent in another group of its session, a shell with job control
    that can continue it. The kernel drops the stop of an orphaned group: a program a terminal
    runs without job control (``sh -c``, a container's ``docker run -it``). True when that
    cannot be told."""
    from hypermax.execution import procfs

    group, session = os.getpgrp(), os.getsid(0)
    members = []
    for pid in procfs.list_pids():
        info = procfs.read_proc(pid)
        if info is not None and info.pgid == group and not info.zombie:
            members.append(info)
    if not members:  # a /proc of another pid namespace, say
        return True
    for member in members:
        parent = procfs.read_proc(member.ppid)
        if parent is not None and parent.sid == session and parent.pgid != group:
            return True
    return False


#: what Ctrl-Z says where it cannot stop hypermax
CANNOT_STOP_NOTE = (
    "not stopped: hypermax runs without job control here (no shell could continue it);"
    " the search goes on"
)


def stopped_note(stopped: int, running_on: int = 0, where: str | None = None) -> str:
    """What Ctrl-Z did to the running trials: ``stopped`` of them stopped with hypermax, and
    ``running_on`` that run on ``where`` (on a cluster), which Ctrl-Z does not reach."""
    if running_on and where:
        those = "it runs" if running_on == 1 else "they run"
        return (
            f"stopped, with {_trials(running_on)} running {where}: {those} on; fg or bg continues"
        )
    return f"stopped, with {_trials(stopped)} running; fg or bg continues"


def continued_note(stopped: int) -> str:
    """What fg or bg said after Ctrl-Z had stopped ``stopped`` trials (``continued`` alone
    when it stopped none)."""
    return f"continued {_trials(stopped)}" if stopped else "continued"


def _trials(count: int) -> str:
    return f"{count} trial" + ("" if count == 1 else "s")


def stopping_note(running: int, grace: float) -> str:
    """What an interrupt does to the ``running`` trials, and how to hurry it."""
    trials = "trial" if running == 1 else "trials"
    return (
        f"stopping {running} running {trials} (SIGTERM, then SIGKILL after {grace:g} s);"
        " interrupt again to kill them at once"
    )
