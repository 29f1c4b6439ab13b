"""The memory a container's limit counts: its memory cgroup's, where one limits hypermax.

In a container whose memory is limited (Docker's ``--memory``, a Kubernetes pod's limit, a
systemd unit's ``MemoryMax``), ``/proc/meminfo`` still tells of the whole machine: other
containers' memory counts there, and the container runs out long before the machine does. So
``auto_kill_max_system_ram`` weighs the memory of the cgroup whose limit binds hypermax (its own
memory cgroup or the ancestor with the lowest limit below the machine's memory): its usage less
the file cache the kernel takes back first (``inactive_file``), as ``docker stats`` counts it.
Without such a limit, or where the cgroup files cannot be read, the machine's figure stands.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

_CGROUP_ROOT = Path("/sys/fs/cgroup")


class _Cgroup:
    """The files of one memory cgroup: its usage (bytes) and its ``memory.stat``; the name of
    the inactive file cache there (hierarchical under v1)."""

    def __init__(self, usage: Path, stat: Path, inactive: bytes) -> None:
        self.usage = usage
        self.stat = stat
        self.inactive = inactive


def used_kib() -> int | None:
    """The memory used in the cgroup whose limit binds hypermax, in KiB; None without one."""
    cgroup = _binding()
    if cgroup is None:
        return None
    usage = _read_int(cgroup.usage)
    if usage is None:
        return None
    inactive = 0
    for line in (_read(cgroup.stat) or b"").split(b"\n"):
        name, _, value = line.partition(b" ")
        if name == cgroup.inactive and value.strip().isdigit():
            inactive = int(value)
            break
    return max(usage - inactive, 0) // 1024


@functools.cache
def _binding() -> _Cgroup | None:
    """Of hypermax's memory cgroup and its ancestors, the one with the lowest limit below the
    machine's memory; None when none has one, or none can be read."""
    machine_kib = _machine_kib()
    best: tuple[_Cgroup, int] | None = None
    for folder, version in own_cgroup_folders():
        if version == 2:
            limit_file, usage, inactive = "memory.max", "memory.current", b"inactive_file"
        else:
            limit_file, usage, inactive = (
                "memory.limit_in_bytes",
                "memory.usage_in_bytes",
                b"total_inactive_file",
            )
        limit = _read_int(folder / limit_file)
        if limit is None or (machine_kib is not None and limit >= machine_kib * 1024):
            continue
        if best is None or limit < best[1]:
            best = (_Cgroup(folder / usage, folder / "memory.stat", inactive), limit)
    return None if best is None else best[0]


@functools.cache
def own_cgroup_folders() -> tuple[tuple[Path, int], ...]:
    """The folders of this process's memory cgroup and of its ancestors that are there, the
    deepest first (a container's mount may start below the hierarchy's root), each with its
    cgroup version (1 or 2)."""
    try:
        lines = Path("/proc/self/cgroup").read_text(errors="surrogateescape").splitlines()
    except OSError:
        return ()
    found: list[tuple[Path, int]] = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # cgroup v2: one hierarchy, mounted at the root or at unified/
            mounts: tuple[Path, ...] = (_CGROUP_ROOT, _CGROUP_ROOT / "unified")
            version = 2
        elif "memory" in controllers.split(","):
            mounts, version = (_CGROUP_ROOT / "memory",), 1
        else:
            continue
        parts = [part for part in path.split("/") if part]
        for mount in mounts:
            for depth in range(len(parts), -1, -1):
                folder = mount.joinpath(*parts[:depth])
                if (folder / "memory.stat").exists():
                    found.append((folder, version))
    return tuple(found)


def _machine_kib() -> int | None:
    """MemTotal, in KiB."""
    head = _read(Path("/proc/meminfo")) or b""
    fields = head.split(b"\n", 1)[0].split()
    return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None


def _read_int(path: Path) -> int | None:
    text = (_read(path) or b"").strip()  # v2's "max": no limit (v1's is past the machine's)
    return int(text) if text.isdigit() else None


def _read(path: Path) -> bytes | None:
    """The first 64 KiB of ``path``, in one system call (the watchdog reads these every
    tick); None when it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, 65536)
    except OSError:
        return None
    finally:
        os.close(fd)
