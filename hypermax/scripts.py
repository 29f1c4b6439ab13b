"""Why a script cannot start, read from its first line: ``validate`` says it of an executable's
program before any trial runs, and a trial whose start fails says it instead of the kernel's
"No such file or directory" for a file that is there."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


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
    if not first.startswith(b"#!"):
        if first.startswith(b"\x7fELF") or b"\0" in first:
            return None  # a binary: the kernel says best
        return "it is a script without a first line naming its interpreter (#!/bin/sh)"
    if first.rstrip(b"\n").endswith(b"\r"):
        return "its first line ends in a carriage return (Windows line endings)"
    words = first[2:].decode(errors="replace").split()
    if not words:
        return "its first line names no interpreter"
    interpreter = words[0]
    if Path(interpreter).name == "env" and len(words) > 1 and not words[1].startswith("-"):
        if shutil.which(words[1], path=path) is None:
            return f"its interpreter {words[1]} (#!{interpreter}) is not on PATH"
    elif not os.access(interpreter, os.X_OK):
        return f"its interpreter {interpreter} (its first line) cannot be found"
    return None
