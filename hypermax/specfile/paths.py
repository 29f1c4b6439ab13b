"""The paths a spec names for its trials, with a leading ``~`` read as a shell reads it.

A user who writes ``"cwd": "~/work"`` means the ``work`` folder of their home; hypermax runs no
shell, so it expands ``~`` and ``~user`` itself, at the start of ``results.directory``,
``function.cwd``, ``function.src``, the program of an executable's ``command`` (not in its
arguments, which the program reads as it likes), ``search.warm_start`` and the files of
``cluster.security``. Validation and the frozen Spec both read the
document through :func:`home_expanded`, so they see the same paths; the document as written (the
results folder's ``search.json``, the spec's fingerprint) keeps its ``~``.

:func:`path_problem` says, in one wording for every section, that a file or folder is missing.
"""

from __future__ import annotations

import errno
import os
import shlex
from pathlib import Path
from typing import Any, Literal

from hypermax.specfile.regular_file import file_kind
from hypermax.values import quoted


def home_expanded(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with a leading ``~`` or ``~user`` expanded in the paths it names.

    Only the sections that change are copied; ``doc`` itself is left as it is. A value of the
    wrong type, or a string command that cannot be split, is left for the checks to report.
    """
    expanded = dict(doc)
    results = doc.get("results")
    if isinstance(results, dict) and "directory" in results:
        expanded["results"] = {**results, "directory": _home(results["directory"])}
    fn = doc.get("function")
    if isinstance(fn, dict):
        fn = {**fn, **{key: _home(fn[key]) for key in ("cwd", "src") if key in fn}}
        if "command" in fn:
            fn["command"] = _program_expanded(fn["command"])
        expanded["function"] = fn
    search = doc.get("search")
    if isinstance(search, dict) and "warm_start" in search:
        expanded["search"] = {**search, "warm_start": _home(search["warm_start"])}
    cluster = doc.get("cluster")
    if isinstance(cluster, dict) and isinstance(cluster.get("security"), dict):
        security = {
            key: _home(value) if key.startswith("tls_") else value
            for key, value in cluster["security"].items()
        }
        expanded["cluster"] = {**cluster, "security": security}
    return expanded


def _home(path: Any) -> Any:
    return os.path.expanduser(path) if isinstance(path, str) else path


def _program_expanded(command: Any) -> Any:
    """``command`` with its program's ``~`` expanded; a string stays a string split the same."""
    if isinstance(command, list) and command:
        return [_home(command[0]), *command[1:]]
    if not isinstance(command, str) or "~" not in command:
        return command
    try:
        words = shlex.split(command)
    except ValueError:
        return command
    if not words or not words[0].startswith("~"):
        return command
    return shlex.join([os.path.expanduser(words[0]), *words[1:]])


def too_long(path: Path) -> str | None:
    """The system's words when ``path`` is too long to name a file (a name in it longer than a
    name may be, 255 bytes, or the whole longer than a path), which pathlib's checks raise as an
    OSError; None when it is not."""
    try:
        os.lstat(path)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return exc.strerror or "File name too long"
    return None


def path_problem(name: str, folder: Path, kind: Literal["file", "folder"]) -> str | None:
    """Why there is no ``kind`` at ``name`` (a relative one from the spec's ``folder``), or None."""
    target = folder / name
    if (why := too_long(target)) is not None:
        return f"{quoted(name)}: {why}"
    if target.is_dir() if kind == "folder" else target.is_file():
        return None
    if kind == "folder" and target.exists():
        return f"{quoted(name)} is not a folder"
    if kind == "file" and target.is_dir():
        return f"{quoted(name)} is a folder, not a file"
    if kind == "file" and target.exists():  # a named pipe, a device
        return f"{quoted(name)} is {file_kind(target.stat().st_mode)}, not a file"
    return f"cannot find {kind} {quoted(name)}" + (
        "" if Path(name).is_absolute() else f" in {folder}"
    )
