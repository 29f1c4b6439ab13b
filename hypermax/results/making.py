"""Making a results folder where its path points, and the one line when a path cannot hold it."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from hypermax.errors import ResultsError, current_folder, is_disk_full
from hypermax.specfile.regular_file import file_kind

#: the bytes the longest path hypermax writes in a results folder adds to the folder's own:
#: ``/trials/<id>/..hypermax_result.json.tmp<pid>``, a trial's result on its way in
ROOM_IN_FOLDER = 64


class FolderUnusable(ResultsError):
    """The results folder cannot be made where its path points."""


def make_folder(path: Path) -> None:
    """Make the results folder ``path`` with its ``trials`` and ``logs``. Raises
    :class:`FolderUnusable` when the path cannot hold them (a file in the way, no permission); a
    full disk raises its OSError; a relative path whose current folder was removed, a UsageError
    that says so."""
    if not path.is_absolute():
        current_folder(str(path))
    too_long = _too_long(path)
    if too_long:
        raise FolderUnusable(f"{path}: cannot make the results folder: {too_long}")
    for sub in ("", "trials", "logs"):
        where = path / sub
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
            message = f"{path}: cannot make the results folder: {why}"
            raise FolderUnusable(message) from None


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
