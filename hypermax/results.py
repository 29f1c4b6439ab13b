"""The results folder ``<results.directory>/<search.name>/``: its layout and its lock."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import socket
import stat
from collections.abc import Collection
from pathlib import Path
from typing import IO, Any

from hypermax.callables import IDENTITY_FILE
from hypermax.errors import ResultsError, current_folder, is_disk_full
from hypermax.journal import JOURNAL_NAME
from hypermax.shipped import SHIPPED_FILE
from hypermax.specfile.reader import file_kind, open_to_read

SPEC_NAME = "search.json"
#: the key of the frozen spec that names the spec file it was made from (whose folder its
#: relative paths start from), for a resume whose journal has no header to say so
SPEC_ORIGIN = "x-hypermax-spec"
LOCK_NAME = ".lock"
#: seconds a lock file's time may lag its process's start (a clock of a network filesystem's
#: server): a process that started later than that did not write the lock, its pid is reused
LOCK_CLOCK_SLACK = 600
#: what an atomic write leaves when it is cut short: ``.results.csv.tmp1234``
_TEMPORARY = re.compile(r"\..+\.tmp\d*")
#: the searches a folder of results folders names, at most
SEARCHES_NAMED = 5
#: the bytes the longest path hypermax writes in a results folder adds to the folder's own:
#: ``/trials/<id>/..hypermax_result.json.tmp<pid>``, a trial's result on its way in
ROOM_IN_FOLDER = 64
#: what a results folder holds besides the temporaries of atomic writes: a folder that holds
#: anything else is not one, and a search there would mix its files with others (the plots
#: folder is ``hypermax.plots.PLOTS_FOLDER``)
RESULTS_NAMES = frozenset(
    {JOURNAL_NAME, SPEC_NAME, LOCK_NAME, "trials", "logs", "results.csv", "best.json", "plots"}
    | {SHIPPED_FILE, SHIPPED_FILE + ".tmp", IDENTITY_FILE, IDENTITY_FILE + ".tmp"}
)
#: the names of other files a refused folder's message names, at most
OTHERS_NAMED = 3


class FolderUnusable(ResultsError):
    """The results folder cannot be made where its path points."""


class ResultsFolder:
    """Paths inside one search's results folder, and the lock that keeps it to one hypermax."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: IO[str] | None = None
        self._folder_lock: int | None = None  # the folder itself, opened and locked

    @property
    def journal(self) -> Path:
        return self.path / JOURNAL_NAME

    @property
    def spec(self) -> Path:
        return self.path / SPEC_NAME

    def trial_dir(self, trial_id: int) -> Path:
        return self.path / "trials" / str(trial_id)

    def log(self, trial_id: int) -> Path:
        return self.path / "logs" / f"trial_{trial_id}.log"

    def exists(self) -> bool:
        return os.path.exists(self.journal)  # False for a name too long to be there, too

    def create(self) -> None:
        """Make the folder with its ``trials`` and ``logs``. Raises :class:`FolderUnusable` when
        the path cannot hold them (a file in the way, no permission); a full disk raises its
        OSError; a relative path whose current folder was removed, a UsageError that says so."""
        if not self.path.is_absolute():
            current_folder(str(self.path))
        too_long = _too_long(self.path)
        if too_long:
            raise FolderUnusable(f"{self.path}: cannot make the results folder: {too_long}")
        for sub in ("", "trials", "logs"):
            where = self.path / sub
            try:
                where.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                if is_disk_full(exc):
                    raise
                why = exc.strerror or str(exc)
                # mkdir's own words, "File exists" or "Not a directory", name nothing
                in_the_way = next((p for p in (where, *where.parents) if _not_a_folder(p)), None)
                if in_the_way is not None:
                    mode = in_the_way.stat().st_mode
                    kind = "a file" if stat.S_ISREG(mode) else file_kind(mode)
                    why = f"{in_the_way} is {kind}, not a folder"
                dangling = next(
                    (p for p in (where, *where.parents) if os.path.islink(p) and not p.exists()),
                    None,
                )
                if dangling is not None:  # mkdir's own words: "File exists"
                    why = f"{dangling} is a symlink to {os.readlink(dangling)}, " + (
                        "which does not exist" if _dangles(dangling) else "a loop of symlinks"
                    )
                message = f"{self.path}: cannot make the results folder: {why}"
                raise FolderUnusable(message) from None

    def lock(self) -> None:
        """Take the folder's lock or raise ResultsError naming the process that holds it
        (:class:`FolderUnusable` when the lock file cannot be opened: a read-only disk).

        The lock is an ``flock``: the kernel drops it when its holder dies, so a lock left by a
        crashed hypermax is simply taken over.
        """
        self.create()
        path = self.path / LOCK_NAME
        try:
            handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held until unlock()
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
            handle.close()
            if holder == (os.getpid(), socket.gethostname()):  # a search of this process
                raise ResultsError(
                    f"{self.path}: in use by another search of this process (pid {holder[0]}): "
                    "two searches cannot share a results folder"
                ) from None
            named = f"pid {holder[0]} on {holder[1]}" if holder else "unknown process"
            raise ResultsError(f"{self.path}: in use by another hypermax ({named})") from None
        try:
            self._folder_lock = _lock_folder(self.path)
        except BlockingIOError:
            handle.close()
            raise ResultsError(
                f"{self.path}: in use by another hypermax (its {LOCK_NAME} file was deleted)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
        handle.flush()
        self._lock = handle

    def searching(self) -> bool | None:
        """Whether a hypermax runs this folder's search now: the process its lock file names,
        on this host, is alive (not a zombie whose parent has not reaped it) and is the one
        that wrote the lock (not a process of the same pid started since, after a reboot,
        say). None when that cannot be told (no lock file, another host)."""
        path = self.path / LOCK_NAME
        try:
            holder = _holder(read_text_of(path))
            written = path.stat().st_mtime
        except OSError:
            return None
        if holder is None or holder[1] != socket.gethostname():
            return None
        try:
            os.kill(holder[0], 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # alive, someone else's
            pass
        return _wrote_lock(holder[0], written) and _holds(holder[0], path)

    def unlock(self) -> None:
        if self._folder_lock is not None:
            os.close(self._folder_lock)  # which drops its flock
            self._folder_lock = None
        if self._lock is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def remove_leftovers(self) -> list[Path]:
        """Remove the temporary files of atomic writes cut short (a full disk, a crash) from
        the folder and its logs; call it holding the lock. Returns what was removed."""
        removed = []
        for folder in (self.path, self.path / "logs"):
            for path in folder.glob(".*.tmp*"):
                if _TEMPORARY.fullmatch(path.name) and path.is_file():
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                    removed.append(path)
        return removed

    def remove_unrun(self, journaled: Collection[int]) -> list[Path]:
        """Remove what was made ahead for trials that never ran, which a hypermax killed before
        it could remove it left: a trial's folder that the journal (``journaled``: the ids it
        names) does not name and that holds the params file alone, with its log if empty. Call
        it holding the lock. Returns the folders removed."""
        from hypermax.execution.trial_files import PARAMS_FILE

        try:
            entries = list(os.scandir(self.path / "trials"))
        except OSError:
            return []
        removed = []
        for entry in entries:
            if not entry.name.isdigit() or int(entry.name) in journaled:
                continue
            log = self.log(int(entry.name))
            try:
                if not entry.is_dir(follow_symlinks=False) or os.listdir(entry) != [PARAMS_FILE]:
                    continue
                if os.path.lexists(log) and os.lstat(log).st_size:
                    continue
                os.unlink(os.path.join(entry.path, PARAMS_FILE))
                os.rmdir(entry.path)
                with contextlib.suppress(FileNotFoundError):
                    log.unlink()
            except OSError:
                continue
            removed.append(Path(entry.path))
        return removed

    def move_aside(self) -> Path:
        """Move this folder's search to ``<name>.1`` (or the next free number) beside it and
        return that path; :class:`FolderUnusable` when it cannot be (then nothing moved).

        Call it holding the lock. The folder itself stays, locked all along, and its entries go
        into the new one, the journal last (a crash midway leaves the search here, to resume):
        renamed whole and then made again, the folder was for a moment nobody's, and a second
        hypermax could take it. A folder that is a symlink stays one: its search is set aside
        beside the folder it points to."""
        base = self.path.resolve() if self.path.is_symlink() else self.path
        n = 1
        moved: list[str] = []
        made = False
        target = base.with_name(f"{base.name}.{n}")
        try:
            while not made:
                try:
                    target.mkdir()
                    made = True
                except FileExistsError:
                    n += 1
                    target = base.with_name(f"{base.name}.{n}")
            names = sorted(os.listdir(self.path), key=lambda name: name == JOURNAL_NAME)
            for name in names:
                if name != LOCK_NAME:
                    os.rename(self.path / name, target / name)
                    moved.append(name)
            with contextlib.suppress(OSError):  # its rights, as a folder renamed keeps them
                target.chmod(stat.S_IMODE(self.path.stat().st_mode))
        except BaseException as exc:  # a name too long for its ".1", a mount point, Ctrl-C
            for name in reversed(moved):  # put back what went
                with contextlib.suppress(OSError):
                    os.rename(target / name, self.path / name)
            if made:
                with contextlib.suppress(OSError):
                    target.rmdir()
            if not isinstance(exc, OSError):
                raise
            if is_disk_full(exc):
                raise
            why = exc.strerror or str(exc)
            raise FolderUnusable(
                f"{self.path}: cannot move the results folder aside to {target.name}: {why}"
            ) from None
        return target

    def write_spec(self, raw: dict[str, Any], origin: Path) -> None:
        """Freeze the validated spec ``raw`` of the spec file ``origin`` into the folder."""
        from hypermax.execution.protocol import write_atomic

        frozen = {**raw, SPEC_ORIGIN: str(origin.resolve())}
        write_atomic(self.spec, json.dumps(frozen, indent=2, default=str) + "\n")

    def ran_from(self, header: dict[str, Any] | None) -> Path | None:
        """The spec file the folder's search last ran from: the one its frozen spec names (each
        run freezes its spec anew), else the one its journal's ``header`` names; None when
        neither does."""
        try:
            frozen = json.loads(read_text_of(self.spec))
        except (OSError, ValueError):
            frozen = None
        named = frozen.get(SPEC_ORIGIN) if isinstance(frozen, dict) else None
        for path in (named, (header or {}).get("spec_path")):
            if isinstance(path, str) and path:
                return Path(path)
        return None


def read_text_of(path: Path) -> str:
    """The text of a file of a results folder (its frozen spec, its lock). OSError when it
    cannot be read, and when it is not a regular file: a named pipe would wait for a writer
    forever, a device (``/dev/zero``) never end; it is opened without waiting for a pipe."""
    fd = open_to_read(path)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            why = "Is a directory" if stat.S_ISDIR(mode) else f"is {file_kind(mode)}, not a file"
            raise OSError(errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL, why, str(path))
        with open(fd, encoding="utf-8", closefd=False) as file:
            return file.read()
    finally:
        os.close(fd)


def holds_own_spec(folder: Path) -> bool:
    """Whether the ``search.json`` in ``folder`` is a user's spec in the folder of a project,
    not one a search froze there: a JSON object that does not name the spec file it came from
    (one that cannot be read is neither)."""
    try:
        doc = json.loads(read_text_of(folder / SPEC_NAME))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and SPEC_ORIGIN not in doc


def unwritable(folder: Path, exc: OSError) -> FolderUnusable:
    """The error for a write to the results ``folder`` that failed with ``exc`` (not a full
    disk): one line naming the file (the folder, for a temporary file it could not make)."""
    named = exc.filename2 or exc.filename
    where = Path(os.fsdecode(named)) if isinstance(named, str | bytes) else folder
    if where.name.startswith(".") and not os.path.exists(where):  # an atomic write's temporary
        where = where.parent
    return FolderUnusable(f"{where}: cannot be written: {exc.strerror or exc}")


def _not_a_folder(path: Path) -> bool:
    """Whether something other than a folder is at ``path`` (a dangling symlink is nothing)."""
    try:
        return not stat.S_ISDIR(path.stat().st_mode)
    except OSError:
        return False


def _dangles(link: Path) -> bool:
    """Whether the symlink ``link`` leads to nothing (rather than round a loop)."""
    try:
        os.stat(link)
    except OSError as exc:
        return exc.errno != errno.ELOOP
    return False


def _too_long(path: Path) -> str | None:
    """Why ``path`` cannot be a results folder's: a name in it longer than a name may be, or a
    path that leaves no room, under the system's longest path, for the paths of the files a
    results folder holds (the trials' results, written in their folders); None when it can."""
    length = len(os.fsencode(path.absolute()))
    above = next((p for p in path.absolute().parents if os.path.exists(p)), Path("/"))
    try:  # a path's limit counts its closing NUL, a name's does not
        longest = os.pathconf(above, "PC_PATH_MAX") - 1
        longest_name = os.pathconf(above, "PC_NAME_MAX")
    except (OSError, ValueError):
        longest, longest_name = 4095, 255
    for name in path.parts:
        if len(os.fsencode(name)) > longest_name:
            return (
                f"the name {name[:16]}... is {len(os.fsencode(name))} bytes long, more than the"
                f" {longest_name} a name may have"
            )
    if length + ROOM_IN_FOLDER <= longest:
        return None
    return (
        f"its path is {length} bytes long, and the paths of the files in it up to"
        f" {ROOM_IN_FOLDER} more, past the {longest} a path may have"
    )


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


def _holder(text: str) -> tuple[int, str] | None:
    """(pid, host) of the hypermax a lock file names; None when it names none."""
    try:
        data = json.loads(text)
        pid, host = int(data["pid"]), str(data["host"])
    except (ValueError, KeyError, TypeError):
        return None
    return (pid, host) if pid > 0 else None  # a pid of 0 or below names no one process


def check_results_folder(results_dir: str, strict: bool = True) -> None:
    """ResultsError when ``results_dir`` is not there, or is a folder of results folders
    (``results/``: it names a few of its searches); ``strict``: also when it has no journal
    (``resume`` takes a folder with a frozen spec and no journal yet)."""
    path = Path(results_dir)
    folder = ResultsFolder(path)
    if folder.exists():
        return
    if not os.path.exists(path):  # a name too long to be there is not there
        raise ResultsError(f"{results_dir}: no such results folder or spec")
    if not os.path.exists(folder.spec):
        named = searches_named(path)
        if named:
            raise ResultsError(
                f"{results_dir}: holds the results folders of searches, not one: name one of"
                f" {named}"
            )
    if strict:
        raise ResultsError(f"{results_dir}: not a hypermax results folder (no trials.jsonl)")


def check_new_search_folder(path: Path) -> None:
    """ResultsError when a new search may not start in the folder ``path`` (one without a
    journal): it holds files a results folder does not (``/``, a home folder, a project's
    folder), which the search's files would mix with, or it is in the results folder of
    another search (``--results results/s`` for a search already in ``results/s``; or in its
    ``trials`` or ``logs``), among that search's own files. A folder not there yet, an empty one
    and one holding what a search left before its journal began are fine; so is one in the
    working folder of a trial (``results/s/trials/3/...``: a trial that runs a search)."""
    where = path if path.is_absolute() else current_folder(str(path)) / path
    shown = list(path.parents)  # the folders above as the user named them, then absolute
    for i, above in enumerate(where.parents):
        if ResultsFolder(above).exists():
            inside = where.relative_to(above).parts
            if len(inside) > 2 and inside[0] == "trials" and inside[1].isdigit():
                break  # in a trial's own folder, whose files are the trial's
            raise ResultsError(
                f"{path}: is inside the results folder of the search in"
                f" {shown[i] if i < len(shown) else above}: give the search a folder of its own"
            )
    try:
        names = sorted(os.listdir(path))
    except OSError:  # not there yet (or not a folder: making it says why)
        return
    others = [n for n in names if n not in RESULTS_NAMES and not _TEMPORARY.fullmatch(n)]
    if others:
        named = ", ".join(others[:OTHERS_NAMED]) + (", ..." if len(others) > OTHERS_NAMED else "")
        raise ResultsError(
            f"{path}: holds other files than a search's ({named}), not the results of a"
            " search: give the search a folder of its own (a new or an empty one)"
        )


def searches_named(path: Path) -> str | None:
    """The results folders of searches in ``path`` (``results/a, results/b``, the first few and
    how many more), None when it holds none."""
    searches = _searches_in(path)
    if not searches:
        return None
    named = ", ".join(str(path / name) for name in searches[:SEARCHES_NAMED])
    more = len(searches) - SEARCHES_NAMED
    return named + (f" (and {more} more)" if more > 0 else "")


def _searches_in(path: Path) -> list[str]:
    """The names of the results folders in ``path``, sorted (none when it cannot be read)."""
    try:
        return sorted(
            child.name
            for child in path.iterdir()
            if child.is_dir() and ResultsFolder(child).exists()
        )
    except OSError:
        return []
