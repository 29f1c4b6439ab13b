"""The watchdog's pieces: see every process of every trial, measure each trial's tree, kill it.

One :class:`Watchdog` serves all the live trials of a runner. Each tick it lists the machine's
processes once and reads ``/proc/<pid>/stat`` only for processes it has not seen before and for
members of a trial's tree, so its cost grows with the trials' processes, not with the machine's.

A process belongs to a trial when it is in the trial's session (the trial starts in a session of
its own, so this is its process group and everything forked from it that did not call
``setsid``), when its parent belongs to the trial (a ``setsid`` daemon seen before it
double-forked), or when its environment carries the trial's token (one that called ``setsid`` and
double-forked between two ticks). Every member ever seen stays a member until it dies.

On other systems than Linux the same reads go through psutil, which is slower but equivalent.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from hypermax.execution.protocol import TRIAL_DIR_ENV
from hypermax.trial import KillReason

MIB = 1024 * 1024
TOKEN_ENV = "HYPERMAX_TRIAL_TOKEN"
#: consecutive over-limit samples before a memory limit kills (one spike does not)
RAM_SAMPLES_TO_KILL = 3
#: how long to wait for SIGKILLed processes to vanish before giving up on them
KILL_WAIT_SECONDS = 5.0
#: SIGTERM → SIGKILL grace for leftovers of a crashed hypermax found on the next start
LEFTOVER_GRACE_SECONDS = 1.0
_KILL_POLL_SECONDS = 0.02
#: every how many ticks the main process's high-water mark is read (it keeps peaks between reads)
PEAK_EVERY_TICKS = 5
#: looks at a new process whose environment reads empty (it is in the middle of an exec)
_ENVIRONMENT_TRIES = 5

_USE_PROC = sys.platform.startswith("linux") and os.path.isdir("/proc/self")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if _USE_PROC else 1
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if _USE_PROC else 1
_TOKEN_NEEDLE = TOKEN_ENV.encode() + b"="


# -- one process ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ProcInfo:
    """One process as the last look saw it.

    ``start`` orders processes by creation and, with ``pid``, names one process uniquely (clock
    ticks since boot on Linux, the creation time elsewhere).
    """

    pid: int
    ppid: int
    pgid: int
    sid: int
    start: float
    rss: int
    cpu: float
    zombie: bool


def read_proc(pid: int) -> ProcInfo | None:
    """The process ``pid`` now, or None when it is gone (or not ours to read)."""
    return _read_stat(pid) if _USE_PROC else _read_psutil(pid)


def _read_stat(pid: int) -> ProcInfo | None:
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
    except OSError:
        return None
    try:
        data = os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)
    # the command name may hold spaces and parentheses: the fields start after the last ")"
    fields = data[data.rfind(b")") + 2 :].split()
    if len(fields) < 22:
        return None
    return ProcInfo(
        pid=pid,
        ppid=int(fields[1]),
        pgid=int(fields[2]),
        sid=int(fields[3]),
        start=float(fields[19]),
        rss=int(fields[21]) * _PAGE_SIZE,
        cpu=(int(fields[11]) + int(fields[12])) / _CLOCK_TICKS,
        zombie=fields[0] in (b"Z", b"X"),
    )


def _read_psutil(pid: int) -> ProcInfo | None:
    try:
        proc = psutil.Process(pid)
        with proc.oneshot():
            times = proc.cpu_times()
            return ProcInfo(
                pid=pid,
                ppid=proc.ppid(),
                pgid=os.getpgid(pid),
                sid=os.getsid(pid),
                start=proc.create_time(),
                rss=proc.memory_info().rss,
                cpu=times.user + times.system,
                zombie=proc.status() == psutil.STATUS_ZOMBIE,
            )
    except (OSError, psutil.Error):
        return None


def read_peak_rss(pid: int) -> int:
    """The highest RSS (bytes) process ``pid`` reached since it started its program; 0 unknown.

    Linux keeps this high-water mark per process (``VmHWM``): reading it each tick catches a peak
    that came and went between two samples.
    """
    if not _USE_PROC:
        return 0
    try:
        fd = os.open(f"/proc/{pid}/status", os.O_RDONLY)
    except OSError:
        return 0
    try:
        data = os.read(fd, 16384)
    except OSError:
        return 0
    finally:
        os.close(fd)
    at = data.find(b"VmHWM:")
    if at < 0:
        return 0
    end = data.find(b"kB", at)
    try:
        return int(data[at + 6 : end]) * 1024
    except ValueError:
        return 0


def list_pids() -> set[int]:
    """Every process id on the machine."""
    if _USE_PROC:
        return {int(name) for name in os.listdir("/proc") if name.isdigit()}
    return set(psutil.pids())


def read_token(pid: int) -> str | None:
    """The trial token in the environment of ``pid``: "" when it has none, None when unknown.

    Unknown: the process is gone, is not ours to read, or has no environment yet (for a moment
    while it execs a program, its environment reads empty).
    """
    if not _USE_PROC:
        try:
            return str(psutil.Process(pid).environ().get(TOKEN_ENV, "")) or None
        except (OSError, psutil.Error):
            return None
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            environ = f.read()
    except OSError:
        return None
    if not environ:
        return None
    at = environ.find(_TOKEN_NEEDLE)
    while at > 0 and environ[at - 1] != 0:  # a match inside another variable's value
        at = environ.find(_TOKEN_NEEDLE, at + 1)
    if at < 0:
        return ""
    value_at = at + len(_TOKEN_NEEDLE)
    end = environ.find(b"\0", value_at)
    return environ[value_at : end if end >= 0 else len(environ)].decode("ascii", "replace")


def is_alive(pid: int, start: float) -> bool:
    """Whether the process ``pid`` that started at ``start`` still runs (a zombie does not)."""
    info = read_proc(pid)
    return info is not None and info.start == start and not info.zombie


def send(info: ProcInfo, sig: int) -> None:
    """Signal one process, unless its pid now names another process (or this one)."""
    if info.pid != os.getpid() and is_alive(info.pid, info.start):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(info.pid, sig)


def _signal_all(procs: list[ProcInfo], sig: int) -> None:
    """Signal each process, and at once every process group they lead.

    A group is signalled only while a live process is in it: Linux does not hand a pid out again
    while a process still uses it as its group id, so the group is the trial's own. Signalling
    the group is atomic with respect to ``fork``, which a loop of per-process signals is not.
    """
    groups = {p.pgid for p in procs if p.pgid == p.sid} - {os.getpgid(0)}  # never our own
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
    for info in procs:
        send(info, sig)


# -- the machine's processes ----------------------------------------------------------------
class ProcessTable:
    """The machine's processes, re-read incrementally.

    :meth:`scan` reads the stat of processes it has not seen before and of the ``watched`` ones;
    any other process keeps what was read when it first appeared (its parent, group and session
    as they were at birth are what decide whether it belongs to a trial).
    """

    def __init__(self) -> None:
        self._procs: dict[int, ProcInfo] = {}

    def scan(self, watched: Iterable[int] = ()) -> list[ProcInfo]:
        """Look again; return the processes that appeared since the last look, oldest first."""
        pids = list_pids()
        for pid in self._procs.keys() - pids:
            del self._procs[pid]
        new: list[ProcInfo] = []
        for pid in pids - self._procs.keys():
            info = read_proc(pid)
            if info is not None:
                self._procs[pid] = info
                new.append(info)
        for pid in set(watched) & pids:
            info = read_proc(pid)
            if info is None:
                self._procs.pop(pid, None)
                continue
            if info.start != self._procs[pid].start:  # the pid now names a newer process
                new.append(info)
            self._procs[pid] = info
        return sorted(new, key=lambda p: (p.start, p.pid))

    def get(self, pid: int) -> ProcInfo | None:
        return self._procs.get(pid)

    def since(self, start: float) -> list[ProcInfo]:
        """Known processes that started at or after ``start``, oldest first."""
        return sorted(
            (p for p in self._procs.values() if p.start >= start), key=lambda p: (p.start, p.pid)
        )


# -- one trial's tree -----------------------------------------------------------------------
@dataclass(frozen=True)
class TreeSample:
    """One look at a trial's tree: summed RSS, summed CPU seconds, live process count.

    ``peak_mib`` is at least ``rss_mib`` and at least the main process's own high-water mark.
    """

    rss_mib: float
    cpu_seconds: float
    processes: int
    peak_mib: float = 0.0


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
        self._cpu: dict[int, float] = {root.pid: root.cpu}
        self._cpu_of_dead = 0.0

    @property
    def member_pids(self) -> list[int]:
        return list(self._members)

    def descends(self, info: ProcInfo) -> bool:
        """Whether ``info`` is in the trial's session or a child of one of its members."""
        if info.start < self.root.start:
            return False
        return info.sid == self.sid or info.ppid in self._members

    def add(self, info: ProcInfo) -> None:
        self._members[info.pid] = info.start
        self._cpu[info.pid] = info.cpu

    def live(self, table: ProcessTable) -> list[ProcInfo]:
        """The members still running; the dead ones are forgotten (their CPU time is kept)."""
        alive = []
        for pid, start in list(self._members.items()):
            info = table.get(pid)
            if info is not None and info.start == start and not info.zombie:
                self._cpu[pid] = info.cpu
                alive.append(info)
                continue
            if info is not None and info.start == start:
                self._cpu[pid] = info.cpu  # a zombie's times are final
            self._cpu_of_dead += self._cpu.pop(pid, 0.0)
            del self._members[pid]
        return alive

    def sample(self, table: ProcessTable, with_peak: bool = True) -> TreeSample:
        """Summed RSS (MiB) and CPU seconds of the live tree.

        ``with_peak`` also reads the main process's high-water mark (a file read more).
        """
        alive = self.live(table)
        rss = sum(p.rss for p in alive)
        cpu = self._cpu_of_dead + sum(self._cpu.values())
        root_peak = 0
        if with_peak and self.root.pid in self._members:
            root_peak = read_peak_rss(self.root.pid)
        return TreeSample(rss / MIB, cpu, len(alive), max(rss, root_peak) / MIB)


# -- all trials -----------------------------------------------------------------------------
class Watchdog:
    """Follows the process trees of every live trial of a runner with one scan per tick.

    Thread-safe: the runner's monitor thread calls :meth:`tick`, other threads :meth:`watch`,
    :meth:`forget`, :meth:`members` and :meth:`terminate`.

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

    def watch(self, key: int, pid: int, token: str) -> ProcessTree | None:
        """Start following the trial ``key`` whose main process is ``pid``; None if it is gone."""
        with self._lock:
            self._refresh()
            root = read_proc(pid)  # fresh: the table may hold a look from before its exec
            if root is None:
                return None
            tree = ProcessTree(root, token)
            self._trees[key] = tree
            # children it forked before this call were seen by an earlier scan: claim them now
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

    def sample(self, key: int) -> TreeSample | None:
        """A sample of one tree now (the others are left for the next tick)."""
        with self._lock:
            self._refresh()
            tree = self._trees.get(key)
            return tree.sample(self._table) if tree is not None else None

    def members(self, key: int) -> list[ProcInfo]:
        """The live processes of trial ``key`` right now."""
        with self._lock:
            self._refresh()
            tree = self._trees.get(key)
            return tree.live(self._table) if tree is not None else []

    def terminate(self, key: int, grace: float, since: float | None = None) -> list[ProcInfo]:
        """SIGTERM every process of trial ``key``, SIGKILL what is left after ``grace`` seconds.

        ``since`` is the monotonic time the SIGTERM phase began, when an earlier call started it.
        Processes that appear meanwhile get the same treatment. Returns the processes that were
        signalled (empty when the tree was already gone).
        """
        began = time.monotonic() if since is None else since
        signalled: dict[int, ProcInfo] = {}
        while True:
            alive = self.members(key)
            if not alive:
                return list(signalled.values())
            now = time.monotonic()
            if now > began + grace + KILL_WAIT_SECONDS:
                return list(signalled.values())
            sig = signal.SIGKILL if now >= began + grace else signal.SIGTERM
            fresh = [p for p in alive if sig == signal.SIGKILL or p.pid not in signalled]
            _signal_all(fresh, sig)
            signalled.update((p.pid, p) for p in fresh)
            time.sleep(_KILL_POLL_SECONDS)

    # -- inside the lock ----------------------------------------------------------------------
    def _watched(self) -> set[int]:
        return {pid for tree in self._trees.values() for pid in tree.member_pids}

    def _refresh(self) -> None:
        new = self._table.scan(self._watched())
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


# -- when hypermax dies ----------------------------------------------------------------------
class Guardian:
    """A small process of its own that kills the live trials if hypermax dies without closing.

    The kernel already kills each trial's process group with hypermax (see the local runner);
    the guardian also gets the processes that left the group: ``setsid`` daemons. hypermax tells
    it, one line at a time on its stdin, which trials run (session, start, token), which of their
    processes escaped their session, and which trials ended. End of file before ``Q`` means
    hypermax is gone: the guardian SIGKILLs every process of every trial still registered.
    Everything here is best effort: if the guardian cannot start or keep up, the search goes on.
    """

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._fd: int | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the guardian process (once)."""
        if self._proc is not None:
            return
        read_end, write_end = os.pipe()
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "hypermax.execution.watchdog", "--guard"],
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                env=env,
            )
        except OSError:
            os.close(write_end)  # no guardian: the kernel-level protections still hold
            return
        finally:
            os.close(read_end)
        os.set_blocking(write_end, False)
        self._fd = write_end

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def trial(self, tree: ProcessTree) -> None:
        """A trial started."""
        self._send(f"T {tree.sid} {tree.root.start:.0f} {tree.token}")

    def escaped(self, tree: ProcessTree, info: ProcInfo) -> None:
        """A process of the trial left its session."""
        self._send(f"P {tree.sid} {info.pid} {info.start:.0f}")

    def ended(self, tree: ProcessTree) -> None:
        """The trial and all its processes are gone."""
        self._send(f"E {tree.sid}")

    def close(self) -> None:
        """hypermax is closing normally: the guardian exits without killing anything."""
        self._send("Q")
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
            self._proc = None

    def _send(self, line: str) -> None:
        with self._lock:
            if self._fd is None:
                return
            try:
                os.write(self._fd, line.encode() + b"\n")  # short lines: atomic
            except (BlockingIOError, BrokenPipeError):
                # a guardian that is gone or stuck must not stall the search; it is only
                # one layer of several
                os.close(self._fd)
                self._fd = None


def guard(fd: int = 0) -> int:
    """The guardian's main loop (``python -m hypermax.execution.watchdog --guard``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    trials: dict[int, tuple[float, str]] = {}
    escaped: dict[int, set[tuple[int, float]]] = {}
    pending = b""
    while True:
        data = os.read(fd, 65536)
        if not data:
            break
        pending += data
        *lines, pending = pending.split(b"\n")
        for line in lines:
            word, *args = line.decode("ascii", "replace").split() or [""]
            if word == "Q":
                return 0
            try:
                _guard_message(word, args, trials, escaped)
            except (ValueError, IndexError):
                continue  # only hypermax writes here; a garbled line must not end the guard
    _kill_registered(trials, {p for group in escaped.values() for p in group})
    return 0


def _guard_message(
    word: str,
    args: list[str],
    trials: dict[int, tuple[float, str]],
    escaped: dict[int, set[tuple[int, float]]],
) -> None:
    if word == "T":
        trials[int(args[0])] = (float(args[1]), args[2])
    elif word == "P":
        escaped.setdefault(int(args[0]), set()).add((int(args[1]), float(args[2])))
    elif word == "E":
        trials.pop(int(args[0]), None)
        escaped.pop(int(args[0]), None)


def _kill_registered(trials: dict[int, tuple[float, str]], escaped: set[tuple[int, float]]) -> None:
    if not trials:
        return
    oldest = min(start for start, _ in trials.values())
    tokens = {token for _, token in trials.values()}
    for _ in range(50):
        victims = []
        for pid in list_pids() - {os.getpid()}:
            info = read_proc(pid)
            if info is None or info.zombie or info.start < oldest:
                continue
            session = trials.get(info.sid)
            if (
                (session is not None and info.start >= session[0])
                or (pid, info.start) in escaped
                or read_token(pid) in tokens
            ):
                victims.append(info)
        if not victims:
            return
        _signal_all(victims, signal.SIGKILL)
        time.sleep(_KILL_POLL_SECONDS)


# -- limits ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    """The watchdog limits of one trial (None: no limit)."""

    max_time: float | None = None
    max_ram_mib: float | None = None
    max_system_ram_mib: float | None = None


def time_breach(limits: Limits, elapsed: float) -> bool:
    return limits.max_time is not None and elapsed > limits.max_time


def ram_strikes(limits: Limits, rss_mib: float, strikes: int) -> int:
    """Consecutive samples over the tree RSS limit, this one included (0 when under it)."""
    if limits.max_ram_mib is None or rss_mib <= limits.max_ram_mib:
        return 0
    return strikes + 1


def system_used_mib() -> float:
    """Total minus available memory of the machine, in MiB."""
    if _USE_PROC:
        used = _meminfo_used_kib()
        if used is not None:
            return used / 1024
    vm = psutil.virtual_memory()
    return (vm.total - vm.available) / MIB


def _meminfo_used_kib() -> int | None:
    """MemTotal - MemAvailable from ``/proc/meminfo`` (what psutil reports, read 5x faster)."""
    fd = os.open("/proc/meminfo", os.O_RDONLY)
    try:
        head = os.read(fd, 512)
    finally:
        os.close(fd)
    values = {}
    for line in head.split(b"\n")[:3]:
        name, _, rest = line.partition(b":")
        fields = rest.split()
        if fields and fields[0].isdigit():
            values[name] = int(fields[0])
    if b"MemTotal" not in values or b"MemAvailable" not in values:
        return None
    return values[b"MemTotal"] - values[b"MemAvailable"]


def kill_text(reason: KillReason, value: float | None, limits: Limits) -> str:
    """The one-line reason recorded for a trial the watchdog killed."""
    if reason is KillReason.TIME and value is not None:
        return f"time limit: ran {value:.2f} s, limit {limits.max_time:g} s"
    if reason is KillReason.RAM and value is not None:
        return f"memory limit: tree RSS {value:.0f} MiB, limit {limits.max_ram_mib:g} MiB"
    if reason is KillReason.SYSTEM_RAM and value is not None:
        return (
            f"system memory limit: {value:.0f} MiB in use, limit {limits.max_system_ram_mib:g} MiB"
        )
    return reason.value


# -- killing with psutil (leftovers of an earlier run) --------------------------------------
def kill_tree(procs: list[psutil.Process], grace: float) -> list[psutil.Process]:
    """SIGTERM every process, wait up to ``grace`` seconds, SIGKILL the rest, wait for them.

    Returns the processes that were still alive at the end (normally none).
    """
    procs = [p for p in procs if _running(p)]
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(signal.SIGTERM)
    _, alive = psutil.wait_procs(procs, timeout=grace)
    alive = [p for p in alive if _running(p)]
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    _, alive = psutil.wait_procs(alive, timeout=KILL_WAIT_SECONDS)
    return [p for p in alive if _running(p)]


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def kill_leftover_trials(
    records: Iterable[dict[str, Any]], trials_root: Path | None = None
) -> list[int]:
    """Kill what is left of trials that a crashed hypermax left running; return their pids.

    ``records`` are the journal's records: a ``trial_started`` record names the trial's main
    process by pid and create time, and a later ``trial_finished`` record for the same id means
    it ended. Each such process still alive is killed with its descendants, its session and
    every process carrying its token. With ``trials_root`` (``<results>/trials``), any process
    whose ``HYPERMAX_TRIAL_DIR`` lies inside it is killed too: the grandchildren of a trial whose
    main process already died. Call it while holding the results folder's lock.
    """
    found: dict[int, psutil.Process] = {}
    for pid, create_time in unfinished_trial_processes(records):
        root = _same_process(pid, create_time)
        if root is not None:
            found.update((p.pid, p) for p in _tree_of(root))
    if trials_root is not None:
        found.update((p.pid, p) for p in _processes_inside(trials_root))
    for pid in _me_and_my_ancestors():
        found.pop(pid, None)
    if not found:
        return []
    kill_tree(list(found.values()), LEFTOVER_GRACE_SECONDS)
    return sorted(found)


def unfinished_trial_processes(records: Iterable[dict[str, Any]]) -> list[tuple[int, float]]:
    """(pid, create time) of every trial the journal shows started and not finished."""
    started: dict[Any, tuple[int, float]] = {}
    for record in records:
        event = record.get("event")
        trial_id = record.get("id")
        if event == "trial_started":
            pid, create_time = record.get("pid"), record.get("create_time")
            if isinstance(pid, int) and isinstance(create_time, int | float) and pid > 0:
                started[trial_id] = (pid, float(create_time))
            else:
                started.pop(trial_id, None)
        elif event == "trial_finished":
            started.pop(trial_id, None)
    return list(started.values())


def _same_process(pid: int, create_time: float) -> psutil.Process | None:
    try:
        proc = psutil.Process(pid)
        if abs(proc.create_time() - create_time) < 0.01 and _running(proc):
            return proc
    except psutil.Error:
        return None
    return None


def _tree_of(root: psutil.Process) -> Iterator[psutil.Process]:
    """The root, its descendants, its session and the holders of its token."""
    yield root
    with contextlib.suppress(psutil.Error):
        yield from root.children(recursive=True)
    try:
        token = root.environ().get(TOKEN_ENV)
        since = root.create_time()
    except psutil.Error:
        token, since = None, 0.0
    for proc in psutil.process_iter():
        try:
            if proc.create_time() < since:
                continue
            if os.getsid(proc.pid) == root.pid or (token and read_token(proc.pid) == token):
                yield proc
        except (OSError, psutil.Error):
            continue


def _processes_inside(trials_root: Path) -> Iterator[psutil.Process]:
    """Processes whose ``HYPERMAX_TRIAL_DIR`` is a folder inside ``trials_root``."""
    root = trials_root.resolve()
    for proc in psutil.process_iter():
        try:
            trial_dir = proc.environ().get(TRIAL_DIR_ENV)
        except (OSError, psutil.Error):
            continue
        if trial_dir and Path(trial_dir).resolve().is_relative_to(root) and _running(proc):
            yield proc


def _me_and_my_ancestors() -> set[int]:
    pids = {os.getpid()}
    with contextlib.suppress(psutil.Error):
        pids.update(p.pid for p in psutil.Process().parents())
    return pids


if __name__ == "__main__" and sys.argv[1:] == ["--guard"]:
    sys.exit(guard())
