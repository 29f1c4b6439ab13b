"""What a killed trial's processes left in ``/dev/shm``: shared memory segments, semaphores,
joblib's memmapping folders.

A process that gets SIGKILL unlinks nothing, and the kernel keeps a file of ``/dev/shm`` (memory
that counts as used) until someone removes it. The kill ladder has a trial's processes read
before it signals them; once they are gone, an entry of ``/dev/shm`` is removed only when all of
these hold, so that another program's or another trial's segment is never touched:

- it was not there right after the trial's process started;
- it belongs to this process's user;
- a process of the trial had it open or mapped (``/proc/<pid>/fd``, ``/proc/<pid>/maps``) when
  the ladder first found that process, before any signal;
- no live process has it open or mapped any more (another trial, or another program, that
  uses it).

A segment the trial made and no longer held when it was killed (kept by name only) is not
found. Linux only; elsewhere nothing is read or removed.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys

from hypermax.execution.procfs import ProcInfo, list_pids

SHM = "/dev/shm"
_PREFIX = SHM + "/"
_MAPPED = b" " + _PREFIX.encode()
_DELETED = " (deleted)"
_LINUX = sys.platform.startswith("linux")


def shm_entries() -> frozenset[str]:
    """The names in ``/dev/shm`` now (none where it cannot be read)."""
    if not _LINUX:
        return frozenset()
    try:
        return frozenset(os.listdir(SHM))
    except OSError:
        return frozenset()


def held_entries(pid: int) -> set[str]:
    """The entries of ``/dev/shm`` (its top-level names: a file, or the folder a file is in)
    that process ``pid`` has open or mapped; none when it cannot be read."""
    paths: list[str] = []
    fd_dir = f"/proc/{pid}/fd"
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        fds = []
    for fd in fds:
        try:
            paths.append(os.readlink(f"{fd_dir}/{fd}"))
        except OSError:
            continue  # closed meanwhile
    try:
        with open(f"/proc/{pid}/maps", "rb") as f:
            maps = f.read()
    except OSError:
        maps = b""
    at = maps.find(_MAPPED)
    while at >= 0:
        end = maps.find(b"\n", at)
        end = len(maps) if end < 0 else end
        paths.append(os.fsdecode(maps[at + 1 : end]))
        at = maps.find(_MAPPED, end)
    return {
        path[len(_PREFIX) :].split("/", 1)[0]
        for path in paths
        if path.startswith(_PREFIX) and not path.endswith(_DELETED)  # unlinked already
    }


def held_anywhere(names: set[str]) -> set[str]:
    """Those of ``names`` that some live process has open or mapped (of the processes this one
    may read)."""
    held: set[str] = set()
    for pid in list_pids():
        held |= held_entries(pid) & names
        if held == names:
            break
    return held


class ShmLeftovers:
    """One trial's view of ``/dev/shm``: what was there as it started, what its processes held.

    Make it right after the trial's process started; pass the processes the kill ladder finds
    through :meth:`note`; call :meth:`remove` once they are gone.
    """

    def __init__(self) -> None:
        self._before = shm_entries()
        self._held: set[str] = set()
        self._read: set[tuple[int, float]] = set()

    def note(self, procs: list[ProcInfo]) -> list[ProcInfo]:
        """Read what each of ``procs`` not read before holds in ``/dev/shm``; ``procs`` as
        given (it wraps the ladder's finder)."""
        if not _LINUX:
            return procs
        for info in procs:
            key = (info.pid, info.start)
            if key not in self._read:
                self._read.add(key)
                self._held |= held_entries(info.pid) - self._before
        return procs

    def remove(self) -> list[str]:
        """Remove what the trial's processes held, made since it started, is ours and no live
        process holds; the names removed."""
        mine = {name for name in self._held if _ours(name)}
        self._held.clear()
        if not mine:
            return []
        return [name for name in sorted(mine - held_anywhere(mine)) if _remove(name)]


def _ours(name: str) -> bool:
    try:
        return os.lstat(os.path.join(SHM, name)).st_uid == os.getuid()
    except OSError:
        return False


def _remove(name: str) -> bool:
    path = os.path.join(SHM, name)
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except OSError:
        return False
    return True
