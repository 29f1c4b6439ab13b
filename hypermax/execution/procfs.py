"""Read the machine's processes and memory: from ``/proc`` on Linux, through psutil elsewhere.

On Linux each read is one small file read, which is what lets the watchdog look at every trial's
processes many times a second; psutil is slower but equivalent.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import dataclass

import psutil

from hypermax.execution import cgroup_memory
from hypermax.execution.protocol import TOKEN_ENV

MIB = 1024 * 1024

_USE_PROC = sys.platform.startswith("linux") and os.path.isdir("/proc/self")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if _USE_PROC else 1
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if _USE_PROC else 1
_TOKEN_NEEDLE = TOKEN_ENV.encode() + b"="


def _proc_is_ours() -> bool:
    """Whether ``/proc`` numbers processes as this process sees them (the same pid namespace),
    which the last pid of ``/proc/loadavg`` is counted in."""
    try:
        return _USE_PROC and os.readlink("/proc/self") == str(os.getpid())
    except OSError:
        return False


_PIDS_IN_ORDER = _proc_is_ours()


def foreign_proc() -> str | None:
    """Why ``/proc`` cannot tell this process's trials (it belongs to another pid namespace: one
    made without a ``/proc`` of its own, ``unshare --pid --fork`` without ``--mount-proc``), or
    None when it can (or when processes are read through psutil, off Linux)."""
    if not _USE_PROC or _proc_is_ours():
        return None
    try:
        seen = os.readlink("/proc/self")
    except OSError:
        seen = "unknown"
    return (
        f"/proc belongs to another pid namespace (hypermax is pid {os.getpid()} here, {seen} "
        "there), so trials cannot be followed in it: mount a /proc of this namespace "
        "(unshare --pid --fork --mount-proc)"
    )


@dataclass(frozen=True)
class ProcInfo:
    """One process as the last look saw it.

    ``start`` orders processes by creation and, with ``pid``, names one process uniquely (clock
    ticks since boot on Linux, the creation time elsewhere). ``cpu`` is its own CPU seconds (user
    and system), ``waited`` those of the children it reaped (added to it as it reaps each).
    """

    pid: int
    ppid: int
    pgid: int
    sid: int
    start: float
    rss: int
    cpu: float
    zombie: bool
    waited: float = 0.0


def read_proc(pid: int) -> ProcInfo | None:
    """The process ``pid`` now, or None when it is gone (or not ours to read)."""
    return _read_stat(pid) if _USE_PROC else _read_psutil(pid)


def _read_stat(pid: int) -> ProcInfo | None:
    data = _read_head(f"/proc/{pid}/stat", 4096)
    if data is None:
        return None
    # the command name may hold spaces and parentheses: the fields start after the last ")"
    fields = data[data.rfind(b")") + 2 :].split()
    if len(fields) < 22 or (len(fields) > 35 and fields[35] == b"-1"):
        return None  # a thread (its exit signal is -1), which ``/proc/<tid>`` also shows
    return ProcInfo(
        pid=pid,
        ppid=int(fields[1]),
        pgid=int(fields[2]),
        sid=int(fields[3]),
        start=float(fields[19]),
        rss=int(fields[21]) * _PAGE_SIZE,
        cpu=(int(fields[11]) + int(fields[12])) / _CLOCK_TICKS,
        zombie=fields[0] in (b"Z", b"X"),
        waited=(int(fields[13]) + int(fields[14])) / _CLOCK_TICKS,
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
                waited=times.children_user + times.children_system,
            )
    except (OSError, psutil.Error):
        return None


def is_stopped(pid: int) -> bool:
    """Whether the process ``pid`` is stopped by a signal (SIGSTOP, SIGTSTP: state ``T``; not a
    debugger's stop, ``t``)."""
    if not _USE_PROC:
        try:
            return psutil.Process(pid).status() == psutil.STATUS_STOPPED
        except psutil.Error:
            return False
    data = _read_head(f"/proc/{pid}/stat", 4096)
    return data is not None and data[data.rfind(b")") + 2 :][:1] == b"T"


def read_peak_rss(pid: int) -> int:
    """The highest RSS (bytes) process ``pid`` reached since it started its program; 0 unknown.

    Linux keeps this high-water mark per process (``VmHWM``): reading it each tick catches a peak
    that came and went between two samples.
    """
    if not _USE_PROC:
        return 0
    data = _read_head(f"/proc/{pid}/status", 16384)
    return (_kib_field(data, b"VmHWM:") or 0) if data is not None else 0


def read_pss(pid: int) -> int | None:
    """Process ``pid``'s proportional set size (bytes): its RSS with each page it shares with
    other processes (copy-on-write pages of a fork, shared memory, libraries) counted as its
    share of the page. None when it cannot be told (gone, not Linux, a kernel before 4.14).

    Costlier than its RSS (the kernel walks the process's page tables): read it only where
    counting shared pages once matters.
    """
    if not _USE_PROC:
        return None
    data = _read_head(f"/proc/{pid}/smaps_rollup", 4096)
    return _kib_field(data, b"\nPss:") if data is not None else None


def _kib_field(data: bytes, name: bytes) -> int | None:
    """The value, in bytes, of the ``name  1234 kB`` line of a ``/proc`` file; None if none."""
    at = data.find(name)
    if at < 0:
        return None
    end = data.find(b"kB", at)
    try:
        return int(data[at + len(name) : end]) * 1024
    except ValueError:
        return None


def create_time(pid: int) -> float:
    """When the process ``pid`` started, in seconds since the epoch (as psutil tells it); 0 gone.

    With the pid, this names the process in the journal, across restarts of hypermax.
    """
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return 0.0


def create_time_of(start: float) -> float:
    """The create time of a process whose :attr:`ProcInfo.start` is ``start``, as
    :func:`create_time` tells it, without reading the process again: psutil adds the boot
    time to the start's ticks, this the boot time as read once by this process (as the
    preload launcher does for the trials it forks)."""
    if not _USE_PROC:
        return start
    global _boot_time
    if _boot_time is None:
        _boot_time = psutil.boot_time()
    return _boot_time + start / _CLOCK_TICKS


_boot_time: float | None = None


def start_of(create_time: float) -> float:
    """What :attr:`ProcInfo.start` says of a process created at ``create_time`` (seconds since
    the epoch, as :func:`create_time` tells it): clock ticks since boot on Linux."""
    if not _USE_PROC:
        return create_time
    return float(round((create_time - psutil.boot_time()) * _CLOCK_TICKS))


def list_pids() -> set[int]:
    """Every process id on the machine."""
    if _USE_PROC:
        return {int(name) for name in os.listdir("/proc") if name.isdigit()}
    return set(psutil.pids())


def pipe_holders(inodes: set[int]) -> list[int]:
    """The processes (of this user's, but this one) that hold an end of one of the pipes
    ``inodes`` (``os.fstat(fd).st_ino``); none where ``/proc`` cannot tell."""
    if not _USE_PROC or not inodes:
        return []
    links = {f"pipe:[{inode}]" for inode in inodes}
    found = []
    for pid in list_pids() - {os.getpid()}:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:  # gone, or not ours
            continue
        for fd in fds:
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in links:
                    found.append(pid)
                    break
    return found


def start_now() -> float:
    """What :attr:`ProcInfo.start` would say of a process started now, rounded down: a process
    whose start is below it started before this was read."""
    if not _USE_PROC:
        return time.time()
    return float(int(time.clock_gettime(time.CLOCK_BOOTTIME) * _CLOCK_TICKS))


def last_pid() -> int | None:
    """The pid most recently handed out on the machine (to a process or a thread), or None when
    it cannot be known. Linux hands pids out in increasing order, so the processes started
    since this was last read have pids above it, until the numbers wrap around."""
    if not _PIDS_IN_ORDER:
        return None
    head = _read_head("/proc/loadavg", 128)
    try:
        return None if head is None else int(head.split()[4])
    except (IndexError, ValueError):
        return None


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


def system_used_mib() -> float:
    """Total minus available memory of the machine, in MiB; in a container whose memory is
    limited, the memory its limit counts (see :mod:`.cgroup_memory`)."""
    if _USE_PROC:
        used = cgroup_memory.used_kib()
        if used is not None:
            return used / 1024
        used = _meminfo_used_kib()
        if used is not None:
            return used / 1024
    vm = psutil.virtual_memory()
    return (vm.total - vm.available) / MIB


def _meminfo_used_kib() -> int | None:
    """MemTotal - MemAvailable from ``/proc/meminfo`` (what psutil reports, read 5x faster)."""
    head = _read_head("/proc/meminfo", 512)
    if head is None:
        return None
    values = {}
    for line in head.split(b"\n")[:3]:
        name, _, rest = line.partition(b":")
        fields = rest.split()
        if fields and fields[0].isdigit():
            values[name] = int(fields[0])
    if b"MemTotal" not in values or b"MemAvailable" not in values:
        return None
    return values[b"MemTotal"] - values[b"MemAvailable"]


def _read_head(path: str, size: int) -> bytes | None:
    """The first ``size`` bytes of a ``/proc`` file in one read; None when it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, size)
    except OSError:
        return None
    finally:
        os.close(fd)
