"""Why a script cannot start, read from its first line: ``validate`` says it of an executable's
program before any trial runs, and a trial whose start fails says it instead of the kernel's
"No such file or directory" for a file that is there."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path


def path_list_from(path_list: str, here: str, empty_is_here: bool = False) -> str:
    """``path_list`` (a ``PATH`` or ``PYTHONPATH``) with its relative folders named from
    ``here``: a process started in another folder finds there what they meant. An empty entry
    of a ``PATH`` (``empty_is_here``) is the current folder too."""
    entries = path_list.split(os.pathsep)
    relative = [(entry or empty_is_here) and not os.path.isabs(entry) for entry in entries]
    if not any(relative):
        return path_list
    return os.pathsep.join(
        os.path.join(here, entry) if named_here else entry
        for entry, named_here in zip(entries, relative, strict=True)
    )


def not_runnable(program: str, file: str | Path) -> str | None:
    """Why ``file``, the program a command names as ``program``, cannot run: it is a folder,
    or a file nobody may run (no execute permission); None otherwise."""
    from hypermax.values import quoted

    if os.path.isdir(file):
        return f"{quoted(program)} is a folder, not a program"
    if os.path.isfile(file) and not os.access(file, os.X_OK):
        return f"{quoted(program)} is not executable (chmod +x {program})"
    return None


def first_line_problem(file: str | Path, path: str | None) -> str | None:
    """Why the script ``file`` cannot start (``PATH`` is ``path``): no ``#!`` line, Windows line
    endings, an interpreter that cannot be found, or nothing at all (an empty file, which the
    kernel refuses to run); None when it can start, may (a binary), or cannot be read."""
    try:
        with open(file, "rb") as script:
            first = script.readline(512)
    except OSError:
        return None
    if not first:
        return "it is empty: no program to run"
    if first.startswith(b"\xef\xbb\xbf#!"):
        return "its first line starts with a byte-order mark, before #! (save it without one)"
    if not first.startswith(b"#!"):
        if first.startswith(b"\x7fELF") or b"\0" in first:
            return None  # a binary: the kernel says best
        return "it is a script without a first line naming its interpreter (#!/bin/sh)"
    if first.rstrip(b"\n").endswith(b"\r"):
        return "its first line ends in a carriage return (Windows line endings)"
    # the kernel splits the line once: the interpreter, then the rest as one argument
    text = first[2:].decode(errors="replace").strip(" \t\n")
    interpreter, argument = [*re.split(r"[ \t]+", text, maxsplit=1), ""][:2]
    if not interpreter:
        return "its first line names no interpreter"
    if Path(interpreter).name == "env" and argument:
        return _env_problem(interpreter, argument, path)
    if not os.access(interpreter, os.X_OK):
        return f"its interpreter {interpreter} (its first line) cannot be found"
    return None


def _env_problem(env: str, argument: str, path: str | None) -> str | None:
    """Why ``#!<env> <argument>`` cannot start its program: ``env`` gets ``argument`` as one
    word, which it splits only after ``-S``; the program must be on ``PATH``."""
    words = argument.split()
    if words[0].startswith("-"):
        split = words[0][2:] if words[0].startswith("-S") else None
        if split is None:
            return None  # other options of env: it says best
        words = [split, *words[1:]] if split else words[1:]
        words = [w for w in words if not w.startswith("-") and "=" not in w]
        if not words:
            return None
    elif len(words) > 1:
        return (
            f'its first line gives {env} "{argument}" as one word (the kernel does not split '
            f"it): write #!{env} -S {argument}"
        )
    if shutil.which(words[0], path=path) is None:
        return f"its interpreter {words[0]} (#!{env}) is not on PATH"
    return None
