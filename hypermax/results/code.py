"""The file of a search's objective (a ``src``, a ``module`` beside the spec, the script an
``executable`` runs), digested: a resume says when it changed since the search last ran (a bug
fixed), its trials before having run the earlier code."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

#: ``python``, ``python3``, ``python3.11``: the names a Python interpreter goes by
_PYTHON = re.compile(r"python[0-9.]*")
#: the interpreter's options whose value is the next argument (``-X dev``, ``-W error``)
_OPTIONS_WITH_A_VALUE = ("-W", "-X", "--check-hash-based-pycs")
#: the module of ``hypermax quick``'s metric reader, which wraps the command it runs after ``--``
_QUICK_READER = "hypermax.quick.metric_line"


def objective_file(function: Any, folder: Path) -> tuple[str, Path] | None:
    """The key of the spec's ``function`` section that names the file of its objective and
    that file: a ``python_function``'s ``src``, or its ``module`` where a trial imports it
    from, when that is in the spec's ``folder`` (``model.py``, ``model/__init__.py``); an
    ``executable``'s ``command``, for the script it runs (:func:`command_script`); None for an
    installed module, and a program or a script not found as a file."""
    if not isinstance(function, dict):
        return None
    if function.get("type") == "executable":
        script = command_script(function.get("command"), folder, function.get("cwd"))
        return None if script is None else ("command", script)
    if function.get("type") != "python_function":
        return None
    src, module = function.get("src"), function.get("module")
    if isinstance(src, str) and src:
        return "src", folder / os.path.expanduser(src)
    if isinstance(module, str) and module:
        from hypermax.specfile.function import module_origin

        origin = module_origin(module, folder)  # where a trial imports it from
        if origin is not None and origin.is_file() and origin.is_relative_to(folder):
            return "module", origin
    return None


def command_script(command: Any, folder: Path, cwd: Any) -> Path | None:
    """The script file an ``executable``'s ``command`` (a list) runs, from where its trials
    start (``cwd``, relative to the spec's ``folder``): a Python interpreter's script
    (``python -u train.py``), or the program itself named by a relative path (``./train.sh``);
    after ``hypermax quick``'s metric reader, the command it wraps. None for a module
    (``-m``), a program found on ``PATH``, a placeholder, and a file that is not there."""
    if isinstance(command, str):  # split as a shell would, as the spec takes it
        try:
            command = shlex.split(command)
        except ValueError:
            return None
    if not isinstance(command, list) or not all(isinstance(arg, str) for arg in command):
        return None
    if _QUICK_READER in command:  # the reader, its metric, "--", then the command
        after = command[command.index(_QUICK_READER) :]
        command = after[after.index("--") + 1 :] if "--" in after else []
    if not command:
        return None
    program, *args = command
    start = folder / os.path.expanduser(cwd) if isinstance(cwd, str) else None
    if _PYTHON.fullmatch(Path(program).name) or program == sys.executable:
        script = _python_script(args)
    elif "/" in program and not os.path.isabs(os.path.expanduser(program)):
        # a program named from where the trial starts; without a cwd, from the spec's folder
        script, start = os.path.expanduser(program), start or folder
    else:
        return None
    if script is None or "{" in script:
        return None
    if start is None and not os.path.isabs(script):
        return None  # no cwd: a trial starts in a folder of its own, where the script is not
    path = Path(script) if start is None else start / script
    return path if path.is_file() else None


def _python_script(args: list[str]) -> str | None:
    """The script among a Python interpreter's arguments; None for ``-m`` and ``-c``."""
    value = False
    for arg in args:
        if arg.startswith(("-m", "-c")):
            return None
        if value or arg.startswith("-"):
            value = arg in _OPTIONS_WITH_A_VALUE
            continue
        return arg
    return None


def code_digest(function: Any, folder: Path) -> dict[str, str] | None:
    """``{"module": "model.py", "sha256": ...}``: the key that names the objective's file, the
    file (relative to ``folder`` where it is in it) and a digest of its bytes; None when there
    is no such file or it cannot be read."""
    found = objective_file(function, folder)
    if found is None:
        return None
    key, path = found
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return None
    try:
        shown = str(path.relative_to(folder))
    except ValueError:
        shown = str(path)
    return {key: shown, "sha256": digest}
