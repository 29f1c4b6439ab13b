"""psutil watchdog pieces: follow a trial's whole process tree, measure it, kill it.

Plain functions and one small class; the local runner's monitor thread calls them every tick.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass

import psutil

MIB = 1024 * 1024
TOKEN_ENV = "HYPERMAX_TRIAL_TOKEN"


@dataclass
class TreeSample:
    """One look at a trial's tree: summed RSS, summed CPU seconds, live process count."""

    rss_mib: float
    cpu_seconds: float
    processes: int


class ProcessTree:
    """Every process a trial ever started: its group, its descendants, and any process seen once.

    A process that leaves the group (``setsid``) or is re-parented to init after a double fork
    stays tracked once it has been seen; :func:`find_by_token` catches the ones never seen.
    """

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self.pgid = root_pid  # the trial is started with start_new_session=True
        self._known: dict[int, psutil.Process] = {}
        self._cpu_of_dead = 0.0
        self._cpu_last: dict[int, float] = {}
        with contextlib.suppress(psutil.Error):
            self._known[root_pid] = psutil.Process(root_pid)

    def refresh(self) -> list[psutil.Process]:
        """Add newly seen descendants; drop dead processes; return the live ones."""
        for proc in list(self._known.values()):
            try:
                for child in proc.children(recursive=True):
                    self._known.setdefault(child.pid, child)
            except psutil.Error:
                continue
        live = []
        for pid, proc in list(self._known.items()):
            if _alive(proc):
                live.append(proc)
            else:
                self._cpu_of_dead += self._cpu_last.pop(pid, 0.0)
                if pid != self.root_pid:
                    del self._known[pid]
        return live

    def sample(self) -> TreeSample:
        """Summed RSS (MiB) and CPU seconds of the live tree."""
        rss = 0
        count = 0
        for proc in self.refresh():
            try:
                with proc.oneshot():
                    rss += proc.memory_info().rss
                    times = proc.cpu_times()
                self._cpu_last[proc.pid] = times.user + times.system
                count += 1
            except psutil.Error:
                continue
        cpu = self._cpu_of_dead + sum(self._cpu_last.values())
        return TreeSample(rss / MIB, cpu, count)

    def create_time(self) -> float:
        """The root process's create time: with its pid, it names the process uniquely."""
        return self._known[self.root_pid].create_time()

    def members(self) -> list[psutil.Process]:
        """Every live tracked process plus the live members of the trial's process group."""
        live = {p.pid: p for p in self.refresh()}
        for proc in _group_members(self.pgid):
            live.setdefault(proc.pid, proc)
        return list(live.values())


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _group_members(pgid: int) -> list[psutil.Process]:
    members = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == pgid:
                members.append(proc)
        except (OSError, psutil.Error):
            continue
    return members


def find_by_token(token: str) -> list[psutil.Process]:
    """Live processes whose environment carries ``HYPERMAX_TRIAL_TOKEN=token``."""
    found = []
    me = os.getpid()
    for proc in psutil.process_iter():
        if proc.pid == me:
            continue
        try:
            if proc.environ().get(TOKEN_ENV) == token and _alive(proc):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def kill_tree(procs: list[psutil.Process], grace: float) -> list[psutil.Process]:
    """SIGTERM every process, wait up to ``grace`` seconds, SIGKILL the rest, reap.

    Returns the processes that were still alive at the end (normally none).
    """
    procs = [p for p in procs if _alive(p)]
    if not procs:
        return []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(signal.SIGTERM)
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    _, alive = psutil.wait_procs(alive, timeout=5)
    return [p for p in alive if _alive(p)]


def system_used_mib() -> float:
    """Total minus available memory of the machine, in MiB."""
    vm = psutil.virtual_memory()
    return (vm.total - vm.available) / MIB


def monotonic() -> float:
    return time.monotonic()
