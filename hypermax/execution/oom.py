"""How many processes the kernel's out-of-memory killer has killed: to tell a trial it took.

A trial that ends by SIGKILL that hypermax did not send was most likely taken by the
out-of-memory killer (trials are its first choice: :mod:`.tether`). The kernel counts its kills
for each memory cgroup (``oom_kill`` in ``memory.events`` under cgroup v2, in
``memory.oom_control`` under v1), whichever out-of-memory it was, the cgroup's or the machine's,
and for the machine (``/proc/vmstat``). :func:`oom_kills` reads the count of hypermax's own
memory cgroup, which its trials share, or the machine's where that cannot be read; a trial whose
count rose while it ran, and that ended by SIGKILL, was taken by it.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from hypermax.execution.cgroup_memory import own_cgroup_folders

_VMSTAT = Path("/proc/vmstat")


def oom_kills() -> int | None:
    """The out-of-memory killer's kills so far, in hypermax's memory cgroup if it can be read,
    else on the machine; None where neither can (not Linux, no procfs)."""
    for path in (*_cgroup_counters(), _VMSTAT):
        count = _count(path)
        if count is not None:
            return count
    return None


@functools.cache
def _cgroup_counters() -> tuple[Path, ...]:
    """The files that hold the kill count of this process's memory cgroup, then of its
    ancestors (v2's ``memory.events``, v1's ``memory.oom_control``)."""
    names = {1: "memory.oom_control", 2: "memory.events"}
    return tuple(folder / names[version] for folder, version in own_cgroup_folders())


def _count(path: Path) -> int | None:
    """The ``oom_kill`` line's count in ``path``; read with one system call (every trial's
    start reads it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        data = os.read(fd, 65536)
    except OSError:
        return None
    finally:
        os.close(fd)
    start = data.find(b"oom_kill ")
    if start < 0:
        return None
    value = data[start + len(b"oom_kill ") :].split(b"\n", 1)[0].strip()
    return int(value) if value.isdigit() else None
