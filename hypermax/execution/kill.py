"""The one way hypermax kills a tree of processes: SIGTERM, a grace, SIGKILL, every step noted.

The watchdog's trees, the guardian's victims and a crashed hypermax's leftovers all go through
:func:`kill_ladder`; only how the processes are found differs. A trial has one
:class:`Ladder`, so a cancel and the end of the trial's main process never kill it twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from hypermax.execution.procfs import ProcInfo, is_alive, last_pid, start_now

log = logging.getLogger("hypermax")

#: how long to wait for SIGKILLed processes to vanish before giving up on them
KILL_WAIT_SECONDS = 5.0
KILL_POLL_SECONDS = 0.02

Finder = Callable[[], list[ProcInfo]]
Note = Callable[[str], None]
#: why what is left should get SIGKILL now, without the rest of the grace (None: no reason)
Hurry = Callable[[], "str | None"]


# -- signals --------------------------------------------------------------------------------
def _send(info: ProcInfo, sig: int) -> None:
    """Signal one process, unless its pid now names another process (or this one)."""
    if info.pid != os.getpid() and is_alive(info.pid, info.start):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(info.pid, sig)


def signal_all(
    procs: list[ProcInfo], sig: int, signalled: frozenset[int] = frozenset()
) -> set[int]:
    """Signal every process group they lead, then each process the groups did not reach:
    each process gets ``sig`` once.

    A group is signalled only while a live process is in it: Linux does not hand a pid out again
    while a process still uses it as its group id, so the group is the trial's own. Signalling
    the group is atomic with respect to ``fork``, which a loop of per-process signals is not.
    A second SIGTERM is not harmless: a program whose handler ends it (exit 0, its result
    printed) may be exiting when it comes, its handler gone, and die of it. So the groups in
    ``signalled``, which got ``sig`` already, are not signalled again: each of ``procs`` in
    one gets its own. Returns the groups signalled: they reached processes started since
    ``procs`` were read too (:class:`_Reach`).
    """
    groups = {p.pgid for p in procs if p.pgid == p.sid} - {os.getpgid(0)} - signalled
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
    for info in procs:
        if not _reached_by_group(info, groups):
            _send(info, sig)
    return groups


def _reached_by_group(info: ProcInfo, groups: set[int]) -> bool:
    """Whether ``info`` was in one of the signalled ``groups``, and is still: one that has left
    its group since it was read is signalled on its own."""
    if info.pgid not in groups:
        return False
    try:
        return os.getpgid(info.pid) == info.pgid
    except ProcessLookupError:
        return True  # gone: nothing to signal
    except OSError:
        return False


def _give(procs: list[ProcInfo], sig: int, signalled: frozenset[int] = frozenset()) -> set[int]:
    """A step of the ladder: ``sig`` to each process; after SIGTERM, SIGCONT too. A stopped
    process (SIGSTOP, a terminal's Ctrl-Z) handles its SIGTERM only once it runs again;
    otherwise it would sit out the grace and get SIGKILL without its ``finally`` blocks.
    hypermax stops its trials only while it is stopped itself (Ctrl-Z): a ladder under way then
    stands still with the trial's clock, and the trial is continued before it goes on."""
    groups = signal_all(procs, sig, signalled)
    if sig == signal.SIGTERM:
        signal_all(procs, signal.SIGCONT, signalled)
    return groups


@dataclass(frozen=True)
class _Mark:
    """The machine's last pid and the time, read before a look at the processes to signal."""

    last_pid: int | None
    start: float  # as ProcInfo.start counts it

    @classmethod
    def now(cls) -> _Mark:
        return cls(last_pid(), start_now())


@dataclass(frozen=True)
class _Reach:
    """The processes a step's group signals reached beyond those it was given: each one in a
    signalled group that started before the signal, though after the look (``before``) that
    gave the step its processes; it must not get the signal again as a newcomer. Linux hands
    pids out in increasing order: one started before the signal has a pid up to the last
    handed out just before it (``at_signal``), and above the last before the look; one
    started before the look's tick is older still. One started between that reading and the
    signal (a window of microseconds) counts as a newcomer and gets the signal again; one
    started after the signal, as a SIGTERM handler starts one at once, is never taken as
    reached, which a reading after the signal could not tell."""

    groups: frozenset[int]
    before: _Mark
    at_signal: int | None  # the last pid handed out just before the signal

    def reached(self, info: ProcInfo) -> bool:
        if not _reached_by_group(info, set(self.groups)):
            return False
        if info.start < self.before.start:
            return True
        low, high = self.before.last_pid, self.at_signal
        if low is None or high is None:
            return False
        return low < info.pid <= high if low <= high else info.pid > low or info.pid <= high


def _give_noting(procs: list[ProcInfo], sig: int, before: _Mark, reaches: list[_Reach]) -> None:
    """:func:`_give`, and what its group signals reached added to ``reaches``: a group the
    step signalled already (a newcomer in the trial's own) is not signalled again, which would
    give its other processes a second ``sig``."""
    at_signal = last_pid()
    groups = _give(procs, sig, frozenset().union(*(r.groups for r in reaches)))
    if groups:
        reaches.append(_Reach(frozenset(groups), before, at_signal))


# -- the ladder -----------------------------------------------------------------------------
def kill_ladder(
    find: Finder,
    grace: float,
    note: Note,
    label: str = "",
    wake: threading.Event | None = None,
    hurry: Hurry | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> list[ProcInfo]:
    """SIGTERM (and SIGCONT, :func:`_give`) every process ``find`` names, SIGKILL those
    left after ``grace`` seconds of ``clock`` (a trial's own clock stands still while it is
    paused by Ctrl-Z: so does its grace).

    ``find`` is asked again at every poll, so a process that appears meanwhile gets the signal
    of the step under way; a process once found stays a target until it dies. ``grace`` 0 goes
    straight to SIGKILL. Each step is told to ``note`` as one line starting with ``label``:
    which pids got which signal, the grace, how many were left after it, what survived.
    Nothing is noted when ``find`` names nothing. Setting ``wake`` makes it look again at once
    instead of at the next poll (when the caller knows that a process just ended). Once
    ``hurry`` names a reason (the search was interrupted twice, the tree is over its memory
    limit), what is left gets SIGKILL without the rest of the grace, and the note says why.

    Returns:
        The processes still alive ``KILL_WAIT_SECONDS`` after SIGKILL (normally none).
    """
    targets: dict[tuple[int, float], ProcInfo] = {}
    before = _Mark.now()
    alive = _look(find, targets)
    if not alive:
        return []
    head = f"{label}: " if label else ""
    began = clock()
    if grace > 0:
        reaches: list[_Reach] = []
        _give_noting(alive, signal.SIGTERM, before, reaches)
        note(f"{head}SIGTERM to {_pids(alive)}; SIGKILL after {grace:g} s")
        alive = _wait(
            find, targets, began + grace, signal.SIGTERM, note, wake, hurry, clock, reaches
        )
        if not alive:
            note(f"all ended {clock() - began:.2f} s after SIGTERM")
            return []
        why = None if hurry is None else hurry()
        if why:
            waited = clock() - began
            when = f"{waited:.2f} s into the {grace:g} s grace, {why}"
        else:
            when = f"after the {grace:g} s grace"
        note(f"{len(alive)} left {when}: SIGKILL to {_pids(alive)}")
    else:
        note(f"{head}SIGKILL to {_pids(alive)} (no grace)")
    killed: list[_Reach] = []
    _give_noting(alive, signal.SIGKILL, _Mark.now(), killed)
    deadline = clock() + KILL_WAIT_SECONDS
    survivors = _wait(
        find, targets, deadline, signal.SIGKILL, note, wake, clock=clock, reaches=killed
    )
    if survivors:
        note(f"still alive {KILL_WAIT_SECONDS:g} s after SIGKILL: {_pids(survivors)}")
    return survivors


def _look(find: Finder, targets: dict[tuple[int, float], ProcInfo]) -> list[ProcInfo]:
    """Add what ``find`` names to ``targets``, drop the dead; the live targets, oldest first."""
    for info in find():
        targets.setdefault((info.pid, info.start), info)
    for key, info in list(targets.items()):
        if not is_alive(info.pid, info.start):
            del targets[key]
    return sorted(targets.values(), key=lambda p: (p.start, p.pid))


def _wait(
    find: Finder,
    targets: dict[tuple[int, float], ProcInfo],
    deadline: float,
    sig: int,
    note: Note,
    wake: threading.Event | None,
    hurry: Hurry | None = None,
    clock: Callable[[], float] = time.monotonic,
    reaches: list[_Reach] | None = None,
) -> list[ProcInfo]:
    """Until ``deadline`` (of ``clock``), until every target is gone or until ``hurry`` says
    so, give ``sig`` to newcomers too: to those the group signals of the step (``reaches``)
    did not reach already."""
    reaches = [] if reaches is None else reaches
    while True:
        known = set(targets)
        before = _Mark.now()
        alive = _look(find, targets)
        fresh = [
            p
            for p in alive
            if (p.pid, p.start) not in known and not any(r.reached(p) for r in reaches)
        ]
        if fresh:
            _give_noting(fresh, sig, before, reaches)
            note(f"{signal.Signals(sig).name} to {_pids(fresh)}, which appeared meanwhile")
        now = clock()
        if not alive or now >= deadline or (hurry is not None and hurry()):
            return alive
        pause = min(KILL_POLL_SECONDS, deadline - now)
        if wake is None:
            time.sleep(pause)
        elif wake.wait(pause):
            wake.clear()


def _pids(procs: list[ProcInfo]) -> str:
    return ", ".join(str(p.pid) for p in procs)


class Ladder:
    """The one kill ladder of one trial: whoever asks first runs it, later askers wait for it.

    Args:
        find: the trial's live processes, asked again at every step.
        grace: seconds between SIGTERM and SIGKILL.
        note: where each step is told (the trial's log).
        name: the name of the thread :meth:`start` runs it in.
        hurry: once it names a reason, SIGKILL without the rest of the grace.
        clock: what the grace is measured on: the trial's own clock, which stands still
            while the trial is paused (Ctrl-Z).
    """

    def __init__(
        self,
        find: Finder,
        grace: float,
        note: Note,
        name: str = "hypermax-kill",
        hurry: Hurry | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._find = find
        self._grace = grace
        self._note = note
        self._name = name
        self._hurry = hurry
        self._clock = clock
        self._lock = threading.Lock()
        self._begun = False
        self._done = threading.Event()
        self._wake = threading.Event()
        self._survivors: list[ProcInfo] = []

    @property
    def begun(self) -> bool:
        return self._begun

    def start(self, label: str) -> None:
        """Run the ladder in a thread of its own, unless it has begun already; return at once."""
        if self._claim():
            thread = threading.Thread(
                target=self._run_logged, args=(label,), name=self._name, daemon=True
            )
            thread.start()

    def run(self, label: str) -> list[ProcInfo]:
        """Run the ladder in this thread, or wait for the one under way; what survived it."""
        if self._claim():
            self._run(label)
        self._done.wait()
        return self._survivors

    def skip(self) -> None:
        """Have the ladder done with nothing to kill, unless it has begun: the caller looked
        for the trial's processes and found none (a later :meth:`run` returns at once)."""
        if self._claim():
            self._done.set()

    def nudge(self) -> None:
        """Have a ladder under way look again now (a process of the trial just ended)."""
        self._wake.set()

    def _claim(self) -> bool:
        with self._lock:
            first, self._begun = not self._begun, True
        return first

    def _run(self, label: str) -> None:
        try:
            self._survivors = kill_ladder(
                self._find, self._grace, self._note, label, self._wake, self._hurry, self._clock
            )
        finally:
            self._done.set()

    def _run_logged(self, label: str) -> None:
        try:
            self._run(label)
        except Exception:  # a thread of its own: nobody else would hear of it
            log.exception("killing a trial failed")
