"""The lock that keeps a results folder to one hypermax, and who holds it.

The lock is an ``flock`` of the folder's lock file, which names the process that holds it, and
of the folder itself: the kernel drops both when their holder dies, so a lock left by a crashed
hypermax is simply taken over, and a lock file deleted by hand lets no second hypermax in.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from pathlib import Path
from typing import IO

from hypermax.errors import ResultsError, is_disk_full
from hypermax.results.files import read_text_of
from hypermax.results.making import FolderUnusable

LOCK_NAME = ".lock"
#: seconds a lock file's time may lag its process's start (a clock of a network filesystem's
#: server): a process that started later than that did not write the lock, its pid is reused
LOCK_CLOCK_SLACK = 600


class FolderLock:
    """The lock of the results folder ``path``, held from :meth:`take` to :meth:`release`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None
        self._folder: int | None = None  # the folder itself, opened and locked

    def take(self) -> None:
        """Take the lock or raise ResultsError naming the process that holds it
        (:class:`FolderUnusable` when the lock file cannot be opened: a read-only disk)."""
        path = self.path / LOCK_NAME
        try:
            handle, made = _open_lock_file(path)
        except OSError as exc:  # a read-only disk, say
            if is_disk_full(exc):
                raise
            why = exc.strerror or str(exc)
            raise FolderUnusable(f"{self.path}: cannot lock the results folder: {why}") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = _holder(handle.read())
            locker = _locker(handle.fileno())
            handle.close()
            if locker is not None and holder != (locker, socket.gethostname()):
                # the holder took the lock and has not written its name yet: the file is
                # empty, or names the hypermax before it
                holder = (locker, socket.gethostname())
            if holder == (os.getpid(), socket.gethostname()):  # a search of this process
                raise ResultsError(
                    f"{self.path}: in use by another search of this process (pid {holder[0]}): "
                    "two searches cannot share a results folder"
                ) from None
            named = f"pid {holder[0]} on {holder[1]}" if holder else "unknown process"
            stopped = ""
            if holder is not None and holder[1] == socket.gethostname() and _stopped(holder[0]):
                stopped = (
                    f"; it is stopped (Ctrl-Z): fg in its terminal, or kill -CONT {holder[0]},"
                    " continues it"
                )
            raise ResultsError(
                f"{self.path}: in use by another hypermax ({named}){stopped}"
            ) from None
        try:
            self._folder = _lock_folder(self.path)
        except BlockingIOError:
            if made:  # the holder's was deleted by hand: leave no empty one that names no one
                _remove_made(path, handle)
            handle.close()
            locker = _folder_locker(self.path)
            named = (
                "" if locker in (None, os.getpid()) else f"pid {locker} on {socket.gethostname()}; "
            )
            raise ResultsError(
                f"{self.path}: in use by another hypermax ({named}its {LOCK_NAME} file was deleted)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Let the lock go (nothing when it is not held)."""
        if self._folder is not None:
            os.close(self._folder)  # which drops its flock
            self._folder = None
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def _open_lock_file(path: Path) -> tuple[IO[str], bool]:
    """The lock file ``path`` opened (made when it is not there), and whether it was made."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o666)
    except FileExistsError:
        return open(path, "a+", encoding="utf-8"), False
    return open(fd, "a+", encoding="utf-8"), True


def _remove_made(path: Path, handle: IO[str]) -> None:
    """Remove the lock file ``path`` this process made and holds open as ``handle`` (not one
    another made there since)."""
    with contextlib.suppress(OSError):
        if _same_file(f"/proc/self/fd/{handle.fileno()}", path):
            path.unlink()


def searching(folder: Path) -> bool | None:
    """Whether a hypermax runs the search of the results ``folder`` now: the process its lock
    file names, on this host, is alive (not a zombie whose parent has not reaped it) and is the
    one that wrote the lock (not a process of the same pid started since, after a reboot, say).
    None when that cannot be told (another host, a lock file edited by hand). Without a lock
    file (deleted by hand), or with an empty one, whether a process of this host holds the
    folder's lock."""
    path = folder / LOCK_NAME
    try:
        text = read_text_of(path)
        written = path.stat().st_mtime
    except FileNotFoundError:
        return _folder_held(folder)
    except OSError:
        return None
    if not text.strip():
        return _folder_held(folder)
    holder = _holder(text)
    if holder is None or holder[1] != socket.gethostname():
        return None
    try:
        os.kill(holder[0], 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        pass
    return _wrote_lock(holder[0], written) and _holds(holder[0], path)


def of_another_host(folder: Path) -> bool:
    """Whether the lock file of the results ``folder`` names a hypermax of another host (a
    shared file system): whether it runs cannot be told from here."""
    holder = _named_holder(folder)
    return holder is not None and holder[1] != socket.gethostname()


def held_here(folder: Path) -> bool:
    """Whether the lock file of the results ``folder`` names this process (on this host)."""
    return _named_holder(folder) == (os.getpid(), socket.gethostname())


def stopped_holder(folder: Path) -> int | None:
    """The pid of the hypermax that runs the search of the results ``folder``, when it is
    stopped (Ctrl-Z, SIGSTOP); None when it is not, or none runs it here."""
    holder = _named_holder(folder)
    if holder is None or searching(folder) is not True or not _stopped(holder[0]):
        return None
    return holder[0]


def running_holder(folder: Path) -> str | None:
    """Who runs the search of the results ``folder`` now (``pid 123 on host``), as a second
    hypermax refused it is told; None when no hypermax is known to (see :func:`searching`)."""
    holder = _named_holder(folder)
    if holder is None or searching(folder) is not True:
        return None
    return f"pid {holder[0]} on {holder[1]}"


def _named_holder(folder: Path) -> tuple[int, str] | None:
    """The pid and host the lock file of the results ``folder`` names; None when it names
    none, or cannot be read."""
    try:
        return _holder(read_text_of(folder / LOCK_NAME))
    except OSError:
        return None


def _holds(pid: int, lock: Path) -> bool:
    """Whether process ``pid`` has the lock file ``lock`` open: a copy of a results folder has
    its lock file name the hypermax of the original, which holds the original's (True when
    that cannot be read)."""
    fds = f"/proc/{pid}/fd"
    try:
        return any(_same_file(os.path.join(fds, fd), lock) for fd in os.listdir(fds))
    except OSError:
        return True


def _same_file(a: str, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # closed meanwhile
        return False


def _lock_folder(path: Path) -> int | None:
    """Lock the folder itself too, so that a lock file deleted by hand (taken for a stale one)
    does not let a second hypermax in; returns its open descriptor, None where a folder cannot
    be locked (NFS). Raises BlockingIOError when another process holds it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise
    except OSError:
        os.close(fd)
        return None
    return fd


def _wrote_lock(pid: int, written: float) -> bool:
    """Whether the live process ``pid`` is the hypermax that wrote a lock file at ``written``:
    not a zombie, nor a process started since. psutil is imported only here, for a process
    that lives: ``show`` of a search that ended must start fast."""
    import psutil

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return process.create_time() <= written + LOCK_CLOCK_SLACK
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # alive, someone else's
        return True


def _locker(fd: int) -> int | None:
    """The pid of the process of this host that holds the flock of the open file ``fd``, as
    ``/proc/locks`` lists it; None when that cannot be told (no ``/proc``, a lock of another
    host, a process of another pid namespace)."""
    pids = _lock_pids(fd)
    return next((pid for pid in pids or () if pid > 0), None)


def _lock_pids(fd: int) -> list[int] | None:
    """The pids ``/proc/locks`` gives the holders of locks of the open file ``fd`` (0 or -1
    for a process it cannot name; waiters left out); None when that cannot be told."""
    try:
        st = os.fstat(fd)
        with open("/proc/locks", encoding="ascii") as locks:
            lines = locks.read().splitlines()
    except (OSError, ValueError):
        return None
    file = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    pids = []
    for fields in map(str.split, lines):
        if len(fields) >= 6 and fields[1] != "->" and fields[5] == file:  # not a waiter
            with contextlib.suppress(ValueError):
                pids.append(int(fields[4]))
    return pids


def _folder_held(path: Path) -> bool | None:
    """Whether a process of this host holds the flock of the folder ``path`` (or of its lock
    file: a hypermax taking the lock holds that first), as ``/proc/locks`` lists them; None
    when that cannot be told (no ``/proc``)."""
    held: bool | None = False
    for each in (path, path / LOCK_NAME):
        try:
            fd = os.open(each, os.O_RDONLY | os.O_NONBLOCK)  # a named pipe: no wait
        except OSError:
            continue
        try:
            found = _flocked(fd)
        finally:
            os.close(fd)
        if found:
            return True
        if found is None:
            held = None
    return held


def _flocked(fd: int) -> bool | None:
    """Whether any process of this host holds a lock of the open file ``fd`` (whatever pid
    ``/proc/locks`` gives it); None when that cannot be told."""
    pids = _lock_pids(fd)
    return None if pids is None else bool(pids)


def _folder_locker(path: Path) -> int | None:
    """The pid of the process of this host that holds the flock of the folder ``path`` (see
    :func:`_locker`)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        return _locker(fd)
    finally:
        os.close(fd)


def _stopped(pid: int) -> bool:
    """Whether the process ``pid`` of this host is stopped (Ctrl-Z, SIGSTOP)."""
    from hypermax.execution.procfs import is_stopped  # psutil's import, only when asked

    return is_stopped(pid)


def _holder(text: str) -> tuple[int, str] | None:
    """(pid, host) of the hypermax a lock file names; None when it names none."""
    try:
        data = json.loads(text)
        pid, host = int(data["pid"]), str(data["host"])
    except (ValueError, KeyError, TypeError):
        return None
    return (pid, host) if pid > 0 else None  # a pid of 0 or below names no one process
