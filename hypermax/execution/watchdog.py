"""Follow the process tree of every live trial: who belongs to it, and what it uses.

One :class:`Watchdog` serves all the live trials of a runner. Each tick it lists the machine's
processes once and reads ``/proc/<pid>/stat`` only for processes it has not seen before and for
members of a trial's tree, so its cost grows with the trials' processes, not with the machine's.
Between ticks (a trial's start, its end, each step of a kill ladder) it lists nothing: it reads
the processes started since its last look, by the pids handed out since
(:meth:`ProcessTable.catch_up`).

A process belongs to a trial when it is in the trial's session (the trial starts in a session of
its own, so this is its process group and everything forked from it that did not call
``setsid``), when its parent belongs to the trial (a ``setsid`` daemon seen before it
double-forked), or when its environment carries the trial's token (one that called ``setsid`` and
double-forked between two ticks). Every member ever seen stays a member until it dies.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable

from hypermax.execution.procfs import (
    MIB,
    ProcInfo,
    last_pid,
    list_pids,
    read_peak_rss,
    read_proc,
    read_token,
    start_of,
)
from hypermax.execution.tree_memory import TreeMemory, TreeSample

__all__ = ["ProcessTable", "ProcessTree", "TreeMemory", "TreeSample", "Watchdog"]

#: every how many ticks the processes' high-water marks are read (they keep peaks between reads)
PEAK_EVERY_TICKS = 5
#: the most pids handed out since the last look that :meth:`ProcessTable.catch_up` reads one by
#: one; beyond that a listing of every process is cheaper
CATCH_UP_PIDS = 24
#: pids handed out before the last look that :meth:`ProcessTable.catch_up` reads again when that
#: look did not see them: processes whose fork was under way then
CATCH_UP_MARGIN = 12
#: looks at a new process whose environment reads empty (it is in the middle of an exec)
_ENVIRONMENT_TRIES = 5


# -- the machine's processes ----------------------------------------------------------------
class ProcessTable:
    """The machine's processes, re-read incrementally.

    :meth:`scan` reads the stat of processes it has not seen before and of the ``watched`` ones;
    any other process keeps what was read when it first appeared (its parent, group and session
    as they were at birth are what decide whether it belongs to a trial).
    """

    def __init__(self) -> None:
        self._procs: dict[int, ProcInfo] = {}
        self._mark: int | None = None  # the last pid handed out before the last look
        # pids of processes a look saw, and a later one found gone: no process has them again
        # before the numbers wrap around (which makes :meth:`catch_up` list every process)
        self._ended: set[int] = set()

    def scan(self, watched: Iterable[int] = ()) -> list[ProcInfo]:
        """Look again; return the processes that appeared since the last look, oldest first."""
        mark = last_pid()  # before the listing: what starts meanwhile is caught up later
        pids = list_pids()
        gone = self._procs.keys() - pids
        for pid in gone:
            del self._procs[pid]
        self._ended = gone
        new: list[ProcInfo] = []
        for pid in pids - self._procs.keys():
            info = read_proc(pid)
            if info is not None:
                self._procs[pid] = info
                new.append(info)
        self._mark = mark
        return self._reread(watched, new)

    def catch_up(self, watched: Iterable[int] = ()) -> list[ProcInfo]:
        """Look again, reading only the processes started since the last look (and the
        ``watched`` ones): what :meth:`scan` returns, without listing the machine's processes.

        Linux numbers new processes in increasing order (:func:`~.procfs.last_pid`), so the
        pids handed out since the last look are all there is to read, and the last
        :data:`CATCH_UP_MARGIN` before them that the last look did not see: a process shows in
        ``/proc`` only once its fork is done, some time after it got its pid. Those of
        processes a look saw and a later one found ended are not read again (a trial's, once
        it ended: every look until the margin passes them would read them in vain). When that
        cannot be told (the numbers wrapped around, too many started, not Linux), this is
        :meth:`scan`.
        """
        mark = last_pid()
        if self._mark is None or mark is None or not 0 <= mark - self._mark <= CATCH_UP_PIDS:
            return self.scan(watched)
        new: list[ProcInfo] = []
        for pid in range(max(1, self._mark + 1 - CATCH_UP_MARGIN), mark + 1):
            if pid <= self._mark and (pid in self._procs or pid in self._ended):
                continue  # seen by the last look, or seen to end
            info = read_proc(pid)  # None: gone already, or a thread
            if info is not None:
                self._procs[pid] = info
                new.append(info)
        self._mark = mark
        if self._ended:  # the pids the margin has passed: no look reads them again
            below = mark + 1 - CATCH_UP_MARGIN
            self._ended = {pid for pid in self._ended if pid >= below}
        return self._reread(watched, new)

    def _reread(self, watched: Iterable[int], new: list[ProcInfo]) -> list[ProcInfo]:
        """Read the ``watched`` processes again, oldest first (a parent before its children: a
        child it reaps meanwhile is then counted in neither's CPU time rather than in both);
        return ``new`` and those whose pid was reused, oldest first."""
        procs = self._procs
        for pid in sorted(set(watched) & procs.keys(), key=lambda pid: (procs[pid].start, pid)):
            info = read_proc(pid)
            if info is None:
                self._procs.pop(pid, None)
                self._ended.add(pid)
                continue
            if info.start != self._procs[pid].start:
                new.append(info)  # the pid now names a newer process
            self._procs[pid] = info
        return sorted(new, key=lambda p: (p.start, p.pid))

    def put(self, info: ProcInfo) -> None:
        """Hold a fresh look at one process."""
        self._procs[info.pid] = info
        self._ended.discard(info.pid)

    def get(self, pid: int) -> ProcInfo | None:
        return self._procs.get(pid)

    def since(self, start: float) -> list[ProcInfo]:
        """Known processes that started at or after ``start``, oldest first."""
        return sorted(
            (p for p in self._procs.values() if p.start >= start), key=lambda p: (p.start, p.pid)
        )


class ProcessTree:
    """Every process a trial started: its session, its descendants, and its token holders.

    The trial's main process ``root`` leads a session of its own (it was started with
    ``setsid``), so the session id is the root's pid. It is not taken from a reading of the
    root: one made between the fork and the ``setsid`` would name hypermax's own session.
    """

    def __init__(self, root: ProcInfo, token: str) -> None:
        self.root = root
        self.sid = root.pid
        self.token = token
        self._members: dict[int, float] = {root.pid: root.start}
        # the CPU seconds of each member and of the children it reaped, and its parent, as last
        # read; a zombie's are kept (final) until it is reaped
        self._cpu: dict[int, float] = {root.pid: root.cpu + root.waited}
        self._parents: dict[int, int] = {root.pid: root.ppid}
        self._zombies: dict[int, float] = {}  # pid: start
        self._cpu_of_dead = 0.0
        self._root_cpu = root.cpu + root.waited

    @property
    def member_pids(self) -> list[int]:
        """The members, and the zombies among them until they are reaped."""
        return [*self._members, *self._zombies]

    def descends(self, info: ProcInfo) -> bool:
        """Whether ``info`` is in the trial's session or a child of one of its members."""
        if info.start < self.root.start:
            return False
        return info.sid == self.sid or info.ppid in self._members

    def add(self, info: ProcInfo) -> None:
        self._members[info.pid] = info.start
        self._cpu[info.pid] = info.cpu + info.waited
        self._parents[info.pid] = info.ppid

    def live(self, table: ProcessTable) -> list[ProcInfo]:
        """The members still running; the dead ones are forgotten (their CPU time is kept).

        The CPU time of the tree is that of its processes, each with the children it reaped
        (whose time the kernel adds to their parent's as it reaps them: processes too short for
        the watchdog to see count too). A member that is gone was reaped by its parent when
        that parent is still there, whose time holds it now; one gone with its parent in the
        same look counts with that parent (a shell that waited for its command, then ended);
        any other (the trial's main process, an orphan) counts on its own.
        """
        alive = []
        gone: list[tuple[float, int]] = []
        for pid, start in [*self._members.items(), *self._zombies.items()]:
            info = table.get(pid)
            if info is None or info.start != start:
                gone.append((start, pid))
                continue
            self._cpu[pid] = info.cpu + info.waited
            self._parents[pid] = info.ppid
            if pid == self.root.pid:
                self._root_cpu = self._cpu[pid]
            if info.zombie:
                self._members.pop(pid, None)
                self._zombies[pid] = start
            else:
                alive.append(info)
        for _, pid in gone:
            self._members.pop(pid, None)
            self._zombies.pop(pid, None)
        went = {pid for _, pid in gone}
        for _, pid in sorted(gone, reverse=True):  # the youngest first: children before parents
            cpu = self._cpu.pop(pid, 0.0)
            parent = self._parents.pop(pid, None)
            if parent in self._members or parent in self._zombies:
                continue  # its parent reaped it: the parent's reading holds its time
            if parent is not None and parent in went:
                # gone with its parent, which most likely waited for it, then ended: its time
                # goes with the parent's (the main process's as its reaping tells it)
                self._cpu[parent] = self._cpu.get(parent, 0.0) + cpu
                if parent == self.root.pid:
                    self._root_cpu += cpu
                continue
            self._cpu_of_dead += cpu
        return alive

    def sample(self, table: ProcessTable, with_peak: bool = True) -> TreeSample:
        """Summed RSS (MiB) and CPU seconds of the live tree.

        ``with_peak`` also reads its processes' high-water marks (a file read more each).
        """
        alive = self.live(table)
        rss = sum(p.rss for p in alive)
        cpu = self._cpu_of_dead + sum(self._cpu.values())
        own_peak = 0
        if with_peak:
            own_peak = max((read_peak_rss(p.pid) for p in alive), default=0)
        members = tuple((p.pid, p.rss) for p in alive)
        return TreeSample(rss / MIB, cpu, len(alive), own_peak / MIB, members, self._root_cpu)


# -- all trials -----------------------------------------------------------------------------
class Watchdog:
    """Follows the process trees of every live trial of a runner with one scan per tick.

    Thread-safe: the runner's monitor thread calls :meth:`tick`, other threads :meth:`watch`,
    :meth:`forget`, :meth:`sample` and :meth:`members` (what a kill ladder asks at each step).

    Args:
        on_escape: called (inside the watchdog's lock: keep it short) with a tree and each
            process it gains outside its session, which nothing but this record ties to it.
    """

    def __init__(self, on_escape: Callable[[ProcessTree, ProcInfo], None] | None = None) -> None:
        self._table = ProcessTable()
        self._trees: dict[int, ProcessTree] = {}
        self._lock = threading.Lock()
        self._on_escape = on_escape
        # processes whose environment could not be read yet, and how many more tries each gets
        self._unread: dict[tuple[int, float], int] = {}
        self._ticks = 0

    def watch(
        self, key: int, pid: int, token: str, create_time: float | None = None
    ) -> ProcessTree | None:
        """Start following the trial ``key`` whose main process is ``pid``, created at
        ``create_time`` (seconds since the epoch).

        It lists no process: its children already seen by a look are claimed now; those started
        since are claimed by the next look (a tick, or :meth:`members` at the trial's end), like
        any newcomer. A trial so short that its main process is gone already (forked from a
        preloaded server, which reaped it) is followed all the same, from ``create_time``: what
        it left running is claimed by its session and its token. None when the process is gone
        and ``create_time`` is not known.
        """
        with self._lock:
            root = read_proc(pid)  # fresh: the table may hold a look from before its exec
            if root is None and not create_time:  # 0: not known either
                return None
            if root is None:
                start = start_of(create_time or 0.0)
                root = ProcInfo(pid, 0, pid, pid, start, rss=0, cpu=0.0, zombie=True)
            else:
                self._table.put(root)
            tree = ProcessTree(root, token)
            self._trees[key] = tree
            self._claim(self._table.since(root.start), [tree])
            return tree

    def forget(self, key: int) -> None:
        with self._lock:
            self._trees.pop(key, None)

    def tick(self) -> dict[int, TreeSample]:
        """Look at every process once; return a sample of each followed tree."""
        with self._lock:
            self._refresh()
            self._ticks += 1
            with_peak = self._ticks % PEAK_EVERY_TICKS == 0
            return {key: t.sample(self._table, with_peak) for key, t in self._trees.items()}

    def sample(self, key: int, look: bool = True) -> TreeSample | None:
        """A sample of one tree now (the others are left for the next tick); ``look`` False
        samples what is known, without looking for newcomers (right after :meth:`watch`)."""
        with self._lock:
            if look:
                self._refresh(catch_up=True)
            tree = self._trees.get(key)
            return tree.sample(self._table) if tree is not None else None

    def members(self, key: int) -> list[ProcInfo]:
        """The live processes of trial ``key`` right now, every newcomer since the last look
        included (it reads only the processes started since, where it can: see
        :meth:`ProcessTable.catch_up`)."""
        with self._lock:
            self._refresh(catch_up=True)
            tree = self._trees.get(key)
            return tree.live(self._table) if tree is not None else []

    def claims_pending(self) -> bool:
        """Whether a process seen by a look waits to be given to a trial (its environment read
        empty: it was in the middle of an exec), which a later look may give to any."""
        with self._lock:
            return bool(self._unread)

    # -- inside the lock ----------------------------------------------------------------------
    def _watched(self) -> set[int]:
        return {pid for tree in self._trees.values() for pid in tree.member_pids}

    def _refresh(self, catch_up: bool = False) -> None:
        """Look again (every process, or with ``catch_up`` the newcomers only) and claim what
        is new."""
        look = self._table.catch_up if catch_up else self._table.scan
        new = look(self._watched())
        if not self._trees:
            self._unread.clear()
            return
        for pid, start in list(self._unread):
            info = self._table.get(pid)
            if info is None or info.start != start:
                del self._unread[(pid, start)]
            elif info not in new:
                new.append(info)
        if new:
            self._claim(new, list(self._trees.values()))

    def _claim(self, new: list[ProcInfo], trees: list[ProcessTree]) -> None:
        """Give each new process to the tree it belongs to, if any."""
        unclaimed = list(new)
        progress = True
        while unclaimed and progress:  # parents first, even when two appeared in one tick
            progress = False
            left = []
            for info in unclaimed:
                tree = next((t for t in trees if t.descends(info)), None)
                if tree is None:
                    left.append(info)
                else:
                    self._add(tree, info)
                    progress = True
            unclaimed = left
        oldest = min((t.root.start for t in trees), default=0.0)
        by_token = {t.token: t for t in trees}
        for info in unclaimed:
            if info.start < oldest or info.pid == os.getpid() or info.zombie:
                continue
            key = (info.pid, info.start)
            token = read_token(info.pid)
            if token is None and self._unread.get(key, _ENVIRONMENT_TRIES) > 0:
                self._unread[key] = self._unread.get(key, _ENVIRONMENT_TRIES) - 1
                continue
            self._unread.pop(key, None)
            tree = by_token.get(token or "")
            if tree is not None:
                self._add(tree, info)

    def _add(self, tree: ProcessTree, info: ProcInfo) -> None:
        tree.add(info)
        if info.sid != tree.sid and self._on_escape is not None:
            self._on_escape(tree, info)
