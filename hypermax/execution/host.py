"""What the trials running in one process share: the watchdog, the output pump, the guardian.

Threads, and what each one does:

- the monitor (one per host): every tick, one :class:`~hypermax.execution.watchdog.Watchdog`
  scan samples every trial's process tree, and each trial holds itself to its limits
  (:meth:`TrialRun.observe <hypermax.execution.trial_run.TrialRun.observe>`); the host holds the
  machine to the system memory limit. It sleeps a tick, or less when a time limit falls due
  sooner, so that limit is met to the millisecond;
- the output pump (one per host, :class:`~hypermax.execution.output.OutputPump`): carries every
  trial's stdout and stderr to its log, never waiting on a pipe that a leftover process holds;
- the guardian (a process, :class:`~hypermax.execution.guardian.Guardian`): kills the trials'
  processes that left their process group if this process dies without closing the host.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from hypermax.execution import procfs, watchdog
from hypermax.execution.guardian import Guardian
from hypermax.execution.launch import Launcher, SubprocessLauncher
from hypermax.execution.limits import RAM_SAMPLES_TO_KILL, Limits
from hypermax.execution.output_pump import OutputPump, Stream, take_and_close
from hypermax.trial import KillReason

if TYPE_CHECKING:
    from collections.abc import Iterator

    from hypermax.execution.procfs import ProcInfo

log = logging.getLogger("hypermax")

#: paths a host keeps resolved (:meth:`TrialHost.resolve`); a search names a few
_PATHS_KEPT = 256


class Watched(Protocol):
    """A live trial as the monitor sees it (:class:`~hypermax.execution.trial_run.TrialRun`)."""

    key: int

    def observe(self, sample: watchdog.TreeSample) -> None: ...

    def due(self) -> float | None: ...

    def killable(self) -> bool: ...

    def stop(self, reason: KillReason, value: float | None = None) -> None: ...


class TrialHost:
    """The machinery several trials share in this process, started when the first one needs it.

    Args:
        limits: the watchdog limits every trial of this host is held to.
        launcher: starts the trials' processes (default: a fresh process each).
        tick: seconds between two watchdog samples.
    """

    def __init__(self, limits: Limits, launcher: Launcher | None = None, tick: float = 0.1) -> None:
        self.limits = limits
        self.launcher = launcher or SubprocessLauncher()
        #: set when the search was interrupted twice: trials still stopping are killed now
        self.hurry = False
        self.tick = tick
        self.watchdog = watchdog.Watchdog(on_escape=self._escaped)
        self.guardian = Guardian()
        self._keys = itertools.count(1)
        self._runs: dict[int, Watched] = {}
        self._lock = threading.Lock()
        #: held while a trial's process starts: a trial held on standby starts in a follower
        self.launching = threading.Lock()
        self._pump: OutputPump | None = None
        self._closed = False  # close was called: no pump is started again
        self._monitor: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._system_strikes = 0
        self._paths: dict[Path, Path] = {}

    # -- what a trial asks of its host ------------------------------------------------------
    def new_key(self) -> int:
        """A key that names one trial among all of this host's, whatever search it is from."""
        return next(self._keys)

    def resolve(self, path: Path) -> Path:
        """``path.resolve()``, kept for the later trials: the folders a search names (the spec's,
        the results') do not move while it runs, and resolving them costs a system call per
        part of the path."""
        resolved = self._paths.get(path)
        if resolved is None:
            if len(self._paths) >= _PATHS_KEPT:
                self._paths.clear()
            resolved = self._paths[path] = path.resolve()
        return resolved

    def resolve_trial_dir(self, trial_dir: Path) -> Path:
        """``trial_dir.resolve()``, its parent from :meth:`resolve` (it is the same for every
        trial): only the trial's own folder is looked at, in case it is a symlink."""
        if os.path.islink(trial_dir):
            return trial_dir.resolve()
        return self.resolve(trial_dir.parent) / trial_dir.name

    def follow(
        self, run: Watched, pid: int, token: str, create_time: float | None = None
    ) -> watchdog.ProcessTree | None:
        """Watch the tree of ``run``, whose main process is ``pid`` (created at
        ``create_time``); None if it is gone already and ``create_time`` is not given.

        When a step fails (no thread left for the monitor), what the steps before it
        registered is undone before the error is raised: the caller, which never got the tree,
        cannot tell the guardian that the trial ended, and the guardian would otherwise kill,
        when hypermax dies, whatever process later leads a session with the trial's number."""
        self.guardian.start()
        tree = self.watchdog.watch(run.key, pid, token, create_time)
        try:
            if tree is not None:
                self.guardian.trial(tree)
            with self._lock:
                self._runs[run.key] = run
            self._ensure_monitor()
        except BaseException:
            self.release(run, tree)
            raise
        return tree

    def carry(self, streams: tuple[Stream, ...]) -> None:
        """Start carrying a trial's output pipes; once the host is closed, they get what they
        hold now and end, as its pump cut the pipes it carried."""
        with self._lock:
            if self._pump is None and not self._closed:
                self._pump = OutputPump()
            pump = self._pump
        if pump is None:
            for stream in streams:
                take_and_close(stream)
            return
        pump.add(*streams)

    def cut(self, stream: Stream) -> None:
        """Stop reading a pipe that a process outside the trial's tree holds open."""
        with self._lock:
            pump = self._pump
        if pump is not None:
            pump.cut(stream)

    def catch_up(self, stream: Stream) -> None:
        """Read what a pipe holds now (see :meth:`~.output.TrialOutput.catch_up`)."""
        with self._lock:
            pump = self._pump
        if pump is None:
            stream.caught_up.set()
        else:
            pump.catch_up(stream)

    def resume_held(self, stream: Stream | None = None) -> None:
        """Read again a pipe (by default every pipe) whose reading was held (see
        :meth:`~.output.TrialOutput.hold_stdout`)."""
        with self._lock:
            pump = self._pump
        if pump is not None:
            pump.resume_held(stream)

    def members(self, key: int) -> list[ProcInfo]:
        """The live processes of trial ``key`` (what its kill ladder asks at each step)."""
        return self.watchdog.members(key)

    def release(self, run: Watched, tree: watchdog.ProcessTree | None) -> None:
        """The trial ended and its processes are gone: stop watching it."""
        with self._lock:
            self._runs.pop(run.key, None)
        self.watchdog.forget(run.key)
        if tree is not None:
            self.guardian.ended(tree)

    def close(self) -> None:
        """Stop the threads, the launcher and the guardian; call once every trial has ended."""
        self.launcher.close()
        self._stop.set()
        self._wake.set()
        with self._lock:
            self._closed = True
            monitor, self._monitor = self._monitor, None
            pump, self._pump = self._pump, None
        if monitor is not None:
            monitor.join()
        if pump is not None:
            pump.close()
        self.guardian.close()

    def _escaped(self, tree: watchdog.ProcessTree, info: ProcInfo) -> None:
        self.guardian.escaped(tree, info)

    # -- the monitor ------------------------------------------------------------------------
    def _ensure_monitor(self) -> None:
        with self._lock:
            if self._monitor is None or not self._monitor.is_alive():
                self._stop.clear()
                self._monitor = threading.Thread(
                    target=self._watch, name="hypermax-watchdog", daemon=True
                )
                self._monitor.start()
        self._wake.set()

    def _watch(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                runs = list(self._runs.values())
            if not runs:
                self._wake.wait()
                self._wake.clear()
                continue
            try:
                self._look(runs)
            except Exception:  # a failed look must not end the watch over every trial
                log.exception("the watchdog's look at the trials failed; looking again")
            self._stop.wait(self._next_wait(runs))

    def _look(self, runs: list[Watched]) -> None:
        """One tick: sample every tree, enforce every limit."""
        samples = self.watchdog.tick()
        # the trials whose time limit falls due first: weighing another's memory takes time
        for run in sorted(runs, key=_due_or_never):
            sample = samples.get(run.key)
            if sample is not None:
                run.observe(sample)
        if self.limits.max_system_ram_mib is not None:
            self._check_system(procfs.system_used_mib())

    def _next_wait(self, runs: list[Watched]) -> float:
        """A tick, or less when a time limit falls due sooner."""
        wait = self.tick
        now = time.monotonic()
        for run in runs:
            due = run.due()
            if due is not None:
                wait = min(wait, due - now + 0.001)
        return max(wait, 0.001)

    def _check_system(self, used_mib: float) -> None:
        """Over the machine's limit for a few samples: kill the :meth:`heaviest` trial."""
        limit = self.limits.max_system_ram_mib
        if limit is None or used_mib <= limit:
            self._system_strikes = 0
            return
        self._system_strikes += 1
        if self._system_strikes < RAM_SAMPLES_TO_KILL:
            return
        if used_mib - self._freeing_mib() <= limit:
            self._system_strikes = 0
            return  # the trials being killed hold enough to bring it back under
        victim = self.heaviest()
        if victim is not None:
            self._system_strikes = 0
            victim.stop(KillReason.SYSTEM_RAM, used_mib)

    def _freeing_mib(self) -> float:
        """The memory of their own (summed PSS) that the trials being killed still hold (for
        this limit or any other reason: a time limit, early stopping, or what a trial that
        ended left running): it comes back as their kill ends (after their ``kill_grace``, for
        one that ignores SIGTERM), and another trial is killed only if that is not enough."""
        with self._lock:
            victims = [run for run in self._runs.values() if not run.killable()]
        samples = (self.watchdog.sample(run.key, look=False) for run in victims)
        return sum(sample.proportional_mib() for sample in samples if sample is not None)

    def heaviest(self) -> Watched | None:
        """Of the trials that can still be killed, the one whose tree holds the most memory of
        its own: its processes' summed PSS (:meth:`~.tree_memory.TreeSample.proportional_mib`, what
        the RAM limit weighs), so pages it shares (a preloaded trial's view of the server's
        data, its forked workers' copy-on-write view of it) count as its share only. PSS is read
        from the trees with the largest RSS down, until no RSS left can beat the best PSS found
        (PSS is never more than RSS). None when no trial can be killed."""
        with self._lock:
            runs = [run for run in self._runs.values() if run.killable()]
        samples = [(self.watchdog.sample(run.key), run) for run in runs]
        sampled = [(sample, run) for sample, run in samples if sample is not None]
        best: Watched | None = None
        best_mib = -1.0
        for sample, run in sorted(sampled, key=lambda pair: pair[0].rss_mib, reverse=True):
            if sample.rss_mib <= best_mib:
                break
            mib = sample.proportional_mib()
            if mib > best_mib:
                best, best_mib = run, mib
        return best


def _due_or_never(run: Watched) -> float:
    due = run.due()
    return float("inf") if due is None else due


# -- one host per set of limits, for trials run one by one ----------------------------------
_shared: dict[Limits, TrialHost] = {}
_holders: dict[Limits, int] = {}  # how many trials (or callers for good) hold each host
_shared_lock = threading.Lock()


def shared_host(limits: Limits) -> TrialHost:
    """This process's host for trials held to ``limits``, made on first use, kept until exit."""
    return _take(limits)


@contextlib.contextmanager
def borrowed_host(limits: Limits) -> Iterator[TrialHost]:
    """:func:`shared_host`, for one trial: kept for the next trials held to the same limits,
    closed once no trial holds it and a trial takes a host for other limits. A process that
    runs the trials of many searches (a Dask worker) would otherwise keep a host, and its
    guardian process, for every set of limits it ever met."""
    host = _take(limits)
    try:
        yield host
    finally:
        with _shared_lock:
            _holders[limits] -= 1


def _take(limits: Limits) -> TrialHost:
    with _shared_lock:
        host = _shared.get(limits)
        if host is None:
            if not _shared:
                atexit.register(_close_shared)
            host = _shared[limits] = TrialHost(limits)
        _holders[limits] = _holders.get(limits, 0) + 1
        idle = [other for other, count in _holders.items() if count == 0]
        unused = [_shared.pop(other) for other in idle]
        for other in idle:
            del _holders[other]
    for other_host in unused:
        other_host.close()
    return host


def _close_shared() -> None:
    with _shared_lock:
        hosts = list(_shared.values())
        _shared.clear()
        _holders.clear()
    for host in hosts:
        host.close()
