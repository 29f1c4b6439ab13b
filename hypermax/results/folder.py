"""One search's results folder: where its files are, and its making, lock and tidying."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
from collections.abc import Collection
from pathlib import Path
from typing import Any

from hypermax.errors import ResultsError, is_disk_full
from hypermax.journal import JOURNAL_NAME
from hypermax.results.code import code_digest
from hypermax.results.files import SPEC_CODE, SPEC_NAME, SPEC_ORIGIN, SPEC_RAN, read_text_of
from hypermax.results.lock import LOCK_NAME, FolderLock, searching
from hypermax.results.making import FolderUnusable, make_folder

#: what an atomic write leaves when it is cut short: ``.results.csv.tmp1234``
TEMPORARY = re.compile(r"\..+\.tmp\d*")


class ResultsFolder:
    """Paths inside one search's results folder, and the lock that keeps it to one hypermax."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: FolderLock | None = None

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
        make_folder(self.path)

    def lock(self) -> None:
        """Take the folder's lock or raise ResultsError naming the process that holds it
        (:class:`FolderUnusable` when the lock file cannot be opened: a read-only disk).

        The lock is an ``flock``: the kernel drops it when its holder dies, so a lock left by a
        crashed hypermax is simply taken over.
        """
        self.create()
        lock = FolderLock(self.path)
        lock.take()
        self._lock = lock

    def lock_again(self, raw: dict[str, Any], origin: Path) -> None:
        """Lock the folder made again at this path, the one locked having been moved aside or
        deleted while its search ran, and freeze the spec ``raw`` of ``origin`` in it (as
        :meth:`write_spec`); then let the old lock go. An OSError when it cannot be: another
        hypermax took the new folder meanwhile (``EBUSY``), or a disk that takes no file."""
        lock = FolderLock(self.path)
        try:
            self.create()
            lock.take()
        except ResultsError as exc:
            raise OSError(errno.EBUSY, str(exc)) from None
        try:
            self.write_spec(raw, origin)
        except OSError:
            lock.release()
            raise
        old, self._lock = self._lock, lock
        if old is not None:
            old.release()

    def searching(self) -> bool | None:
        """Whether a hypermax runs this folder's search now: the process its lock file names,
        on this host, is alive (not a zombie whose parent has not reaped it) and is the one
        that wrote the lock (not a process of the same pid started since, after a reboot,
        say). None when that cannot be told (no lock file, another host)."""
        return searching(self.path)

    def unlock(self) -> None:
        """Let the folder's lock go (nothing when this one does not hold it)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def remove_leftovers(self) -> list[Path]:
        """Remove the temporary files of atomic writes cut short (a full disk, a crash) from
        the folder and its logs; call it holding the lock. Returns what was removed."""
        removed = []
        for folder in (self.path, self.path / "logs"):
            for path in folder.glob(".*.tmp*"):
                if TEMPORARY.fullmatch(path.name) and path.is_file():
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
        """Freeze the validated spec ``raw`` of the spec file ``origin`` into the folder, with
        the ``search`` section it runs with kept apart (:data:`SPEC_RAN`), and a digest of
        its objective's file (:data:`SPEC_CODE`)."""
        from hypermax.execution.protocol import write_atomic

        kept = {key: value for key, value in raw.items() if key != SPEC_CODE}  # (a frozen one's)
        frozen = {**kept, SPEC_ORIGIN: str(origin.resolve()), SPEC_RAN: raw.get("search")}
        code = code_digest(raw.get("function"), origin.resolve().parent)
        if code is not None:
            frozen[SPEC_CODE] = code
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
